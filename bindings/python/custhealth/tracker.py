"""The streaming health tracker (DESIGN §5, §7): tables arrive in batches of rows, and the signals,
scores and alerts as of any moment are those of the batch functions on the same rows — because they
*are* the batch functions, run on the dataset of the rows the tracker has accepted.

Rows may arrive out of order within a lateness bound: a row whose time is earlier than the latest time
of its table accepted in an earlier batch, minus ``lateness``, is *late* — rejected, counted in
``report[table]["late"]`` (and among ``rejected``, with example messages), never kept silently.
Keyed rows are updates: an accounts row of an account an earlier batch sent, or an MRR row of a month
it sent, replaces that row (the latest sent wins — an account that ends or renews is sent again;
``report[table]["updated"]`` counts them). The state survives restarts through
:meth:`HealthTracker.snapshot` / :meth:`HealthTracker.restore`.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._convert import moment, to_seconds
from ._grouping import invalid
from .dataset import _SCHEMA, Dataset, column_mapping, table_column_mapping
from .scorecard import Scorecard
from .signals import signals as _signals


def _card(card: Scorecard | str | os.PathLike[str]) -> Scorecard:
    return card if isinstance(card, Scorecard) else Scorecard.load(card)


def _lateness_seconds(lateness: Any) -> int:
    """Whole seconds from an int (seconds), a timedelta, a numpy/pandas timedelta or a string
    pandas reads as one (``"1D"``, ``"6h"``)."""
    if isinstance(lateness, bool):
        raise invalid(f"lateness must be whole seconds ≥ 0 or a timedelta, got {lateness!r}")
    if isinstance(lateness, (int, np.integer)):
        return int(lateness)
    try:
        delta = pd.Timedelta(lateness)
    except (TypeError, ValueError) as err:
        raise invalid(f"lateness must be whole seconds ≥ 0 or a timedelta, got {lateness!r}: {err}") from None
    if pd.isna(delta) or delta.value % 1_000_000_000:
        raise invalid(f"lateness must be a whole number of seconds, got {lateness!r}")
    return int(delta.value // 1_000_000_000)


class HealthTracker:
    """Keeps every account's signals, scores and alerts up to date as rows arrive.

    Parameters
    ----------
    card : Scorecard or str, default "saas_health_v1"
        The card that scores and alerts (a shipped name, a path, or a loaded card). Snapshots record
        its identity; restoring with another card is refused.
    lateness : int or timedelta, default one day
        The lateness bound (see the module docstring), in seconds or as a timedelta; ≥ 0.
    strict, csat_scale, time_unit, columns, **cols
        How batches are read, as :class:`Dataset` reads frames (the same checks, the same errors).

    The tracker retains every accepted row: the signals read whole histories (the last use, the first
    key feature, whether an account ever paid, tickets still open).
    """

    def __init__(self, card: Scorecard | str | os.PathLike[str] = "saas_health_v1", *,
                 lateness: int | _dt.timedelta | str = 86_400, strict: bool = True, csat_scale: int = 5,
                 time_unit: str | None = None, columns: Mapping[str, Mapping[str, str]] | None = None,
                 **cols: str) -> None:
        self._init(_card(card), None, lateness, csat_scale, strict, time_unit, columns, cols)

    def _init(self, card: Scorecard, native: Any, lateness: Any, csat_scale: int, strict: bool,
              time_unit: str | None, columns: Mapping[str, Mapping[str, str]] | None, cols: Mapping[str, str]) -> None:
        self._card = card
        self._native = native if native is not None else _core.HealthTracker(card._native, _lateness_seconds(lateness),
                                                                            int(csat_scale))
        self._load: dict[str, Any] = dict(strict=strict, time_unit=time_unit, columns=columns, **cols)
        self._dataset: Dataset | None = None

    @classmethod
    def restore(cls, path: str | os.PathLike[str], card: Scorecard | str | os.PathLike[str] = "saas_health_v1", *,
                strict: bool = True, time_unit: str | None = None,
                columns: Mapping[str, Mapping[str, str]] | None = None, **cols: str) -> "HealthTracker":
        """The tracker a snapshot holds (its rows, report, position, lateness and CSAT scale). A file
        that is not a snapshot, of another format version, truncated, corrupt (checksum) or of another
        card is refused with :class:`InvalidInputError` naming the file and the reason; nothing is
        half-loaded. ``strict`` and the column options say how later batches are read."""
        loaded = _card(card)
        native = _core.HealthTracker.restore(os.fspath(path), loaded._native)
        self = cls.__new__(cls)
        self._init(loaded, native, None, native.csat_scale, strict, time_unit, columns, cols)
        return self

    # ---- rows in -------------------------------------------------------------------------------

    def update(self, usage: pd.DataFrame | None = None, accounts: pd.DataFrame | None = None,
               surveys: pd.DataFrame | None = None, tickets: pd.DataFrame | None = None,
               mrr: pd.DataFrame | None = None, payments: pd.DataFrame | None = None) -> dict[str, dict[str, Any]]:
        """Adds a batch of rows of any tables. Each frame is read as :class:`Dataset` reads it (a
        missing column, a wrong dtype or a bad value raises the same error, and nothing of the batch is
        applied; with ``strict=False`` bad rows are counted instead). Returns this batch's report: per
        table ``read``, ``accepted``, ``rejected``, ``late``, ``updated``, ``reasons`` and ``examples``."""
        if all(f is None for f in (usage, accounts, surveys, tickets, mrr, payments)):
            raise invalid("update: no table given (usage=, accounts=, surveys=, tickets=, mrr= or payments=)")
        if accounts is not None:
            self._check_account_updates(accounts)
        batch = Dataset(usage, accounts, surveys, tickets, mrr, payments, csat_scale=self.csat_scale, **self._load)
        report: dict[str, dict[str, Any]] = self._native.update(batch._native)
        self._dataset = None
        return report

    def _check_account_updates(self, accounts: pd.DataFrame) -> None:
        """An accounts row of a known account replaces its stored row whole: refused when the frame
        lacks one of the table's columns, which the replacement would otherwise blank silently."""
        if not isinstance(accounts, pd.DataFrame):
            return  # Dataset() says what it expects
        load = dict(self._load)
        per_table = table_column_mapping(load.pop("columns", None)).get("accounts", {})
        mapping = column_mapping({k: v for k, v in load.items() if k.endswith("_col")})
        name = {c: per_table.get(c, mapping.get(c, c)) for c in _SCHEMA["accounts"]}
        lacking = [c for c, n in name.items() if n not in accounts.columns]
        if not lacking or name["account_id"] not in accounts.columns or self._native.report["accounts"]["accepted"] == 0:
            return
        known = set(self.dataset.table("accounts").dropna(subset=["start"])["account_id"].astype(str))
        again = sorted({str(i) for i in accounts[name["account_id"]]} & known)
        if again:
            raise invalid(f"update: accounts rows of known accounts ({', '.join(again[:3])}"
                          f"{', …' if len(again) > 3 else ''}) replace their stored rows whole, and this frame lacks "
                          f"{', '.join(lacking)}: send every column of the accounts table (the stored values, where "
                          "they have not changed)")

    # ---- numbers out -----------------------------------------------------------------------------

    @property
    def dataset(self) -> Dataset:
        """The accepted rows as a :class:`Dataset` (every batch function takes it)."""
        if self._dataset is None:
            self._dataset = Dataset._wrap(self._native.dataset())
        return self._dataset

    def signals(self, as_of: Any = None, names: Sequence[str] | None = None, **kwargs: Any) -> pd.DataFrame:
        """``ch.signals`` on :attr:`dataset`: the same arguments, the same frame, the same bits."""
        return _signals(self.dataset, as_of, names, **kwargs)

    def scores(self, as_of: Any = None, **kwargs: Any) -> pd.DataFrame:
        """The card's ``score`` on :attr:`dataset` (score, band, trend, top factors per account)."""
        return self._card.score(self.dataset, as_of, **kwargs)

    def alerts(self, as_of: Any) -> pd.DataFrame:
        """The card's alerts that start at ``as_of``: at the first call every alert active then, later
        those active at ``as_of`` and not at the previous call's (on the rows known now). ``as_of`` must
        be after the previous call's."""
        try:
            seconds = to_seconds(as_of)
        except (TypeError, ValueError) as err:
            raise invalid(f"alerts: as_of: {err}") from None
        moments = self._native.alert_moments(seconds)
        out = self._card.alerts(self.dataset, list(moments))
        return out[out["as_of"] == moment(seconds)].reset_index(drop=True)

    # ---- state ---------------------------------------------------------------------------------------

    @property
    def card(self) -> Scorecard:
        return self._card

    @property
    def lateness(self) -> pd.Timedelta:
        return pd.Timedelta(seconds=int(self._native.lateness_seconds))

    @property
    def csat_scale(self) -> int:
        return int(self._native.csat_scale)

    @property
    def report(self) -> dict[str, dict[str, Any]]:
        """Every batch's report added up, per table: ``read == accepted + rejected``; ``late`` counts
        the late rows among the rejected, ``updated`` the keyed rows among the accepted that replaced
        an earlier batch's."""
        report: dict[str, dict[str, Any]] = self._native.report
        return report

    @property
    def position(self) -> int:
        """The caller's position in its input (rows or bytes consumed), saved in snapshots so that a
        restarted reader skips exactly what the snapshot holds."""
        return int(self._native.position)

    @position.setter
    def position(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise invalid(f"position must be a whole number ≥ 0, got {value!r}")
        self._native.position = int(value)

    def snapshot(self, path: str | os.PathLike[str]) -> None:
        """Writes the whole state to ``path`` atomically: a temporary file in the same directory,
        fsync, rename, fsync of the directory (see the README's snapshot format)."""
        self._native.snapshot(os.fspath(path))

    def __repr__(self) -> str:
        usage = self.report["usage"]
        return (f"HealthTracker(card={self._card.name!r}, lateness={self.lateness}, usage rows={usage['accepted']}, "
                f"late={usage['late']}, position={self.position})")


__all__ = ["HealthTracker"]
