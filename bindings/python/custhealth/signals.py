"""The signal layer (DESIGN §4 "Signals"): for every account, named values as of a moment T — usage
in trailing windows, the last NPS answer, SLA breaches, chargeback ratio, MRR change, days to renewal —
computed in one sweep of each account's rows for one T or many. Everything per-account above it (the
scorecard, churn features, alerts) reads these columns and computes none of its own.

Only rows strictly before T are read, so signals at T are free of leakage: rows at or after T never
change them. Counts and sums are 0 where an account has no rows; ratios and "last" values are NaN
where undefined.
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._convert import seconds_to_datetime, to_seconds
from ._grouping import invalid
from .dataset import Dataset
from .parallel import resolve_threads
from .support import _targets


def signal_catalog() -> pd.DataFrame:
    """The catalogue: one row per signal, in output order — ``name``, ``table``, ``unit``,
    ``window_days`` (NaN for a value that is not a trailing window), ``higher_is_better`` and a one-line
    ``definition``."""
    out = pd.DataFrame(_core.SIGNAL_CATALOG)
    out["window_days"] = out["window_days"].astype(float).where(out["window_days"] > 0)
    return out


def signals(ds: Dataset, as_of: Any = None, names: Sequence[str] | None = None, *, n_threads: int | None = None,
            targets: Mapping[str, Any] | None = None, key_features: Sequence[str] | None = None,
            btyd: Any = None, btyd_freq: str | None = None) -> pd.DataFrame:
    """Signals of every account of ``ds`` as of ``as_of``.

    Parameters
    ----------
    ds : Dataset
    as_of : date-like or a list of them, optional
        The moment T (only rows before it count). A list gives every T in one sweep; it is sorted and
        de-duplicated. Default: the end of the data of the event tables the signals read (DESIGN §2: the
        earliest of their ends, with a warning when they are more than 7 days apart).
    names : list of str, optional
        Signals to return, in this order (default: the whole catalogue, see ``signal_catalog()``).
    n_threads : int, optional
        Threads over accounts (default: ``ch.get_num_threads()``, 1 unless set); the numbers are the
        same bits for any count.
    targets : mapping, optional
        First-response SLA targets by priority, as in ``sla_summary``.
    key_features : list of str, optional
        The events that mark first value, for ``adoption.time_to_value_days`` (NaN without them;
        ``ch.adoption`` passes its model's list). Names the usage table lacks never occur.
    btyd : BetaGeo, ModifiedBetaGeo or ParetoNBD, optional
        A model fitted on successful payments counted once per period (``"D"`` or ``"W"``, e.g. on
        ``ch.rfm_summary(ds, table="payments", freq="W")``): ``btyd.p_alive`` and
        ``btyd.expected_purchases_90d`` are its P(alive) and expected payment periods in the next 90 days
        from each account's payments before T (NaN without a model, or for an account without a payment).
    btyd_freq : "D" or "W", optional
        The model's period. Default: the one it recorded when fitted (``freq_``: the rfm_summary's
        ``freq``, or ``fit(..., freq=)``), else ``"W"``. A ``btyd_freq`` other than the recorded one
        is refused (the model's rates are per its own period).

    Returns
    -------
    DataFrame
        Indexed by ``account_id`` (the dataset's ids and dtype, every account), one float64 column per
        signal; with a list of dates, a ``(as_of, account_id)`` MultiIndex.

    Raises
    ------
    InvalidInputError
        An unknown signal name (the message lists close names), ``n_threads`` below 1, an empty list.
    """
    if not isinstance(ds, Dataset):
        raise TypeError(f"signals: expected a custhealth.Dataset, got {type(ds).__name__}")
    many = isinstance(as_of, (list, tuple, np.ndarray, pd.Index, pd.Series))
    if as_of is None:
        event_tables = {row["table"] for row in _core.SIGNAL_CATALOG if not names or row["name"] in names} - {"accounts"}
        moments = [ds._default_as_of(sorted(event_tables), "signals")]
    else:
        try:
            moments = [to_seconds(t) for t in (as_of if many else [as_of])]
        except (TypeError, ValueError) as err:
            raise invalid(f"as_of: {err}") from None
    threads = resolve_threads(n_threads, "signals")
    model = None
    if btyd is not None:
        from .btyd import _Counting

        if not isinstance(btyd, _Counting):
            raise invalid(f"signals: btyd must be a BetaGeo, ModifiedBetaGeo or ParetoNBD model, got {type(btyd).__name__}")
        model = (btyd._model, btyd._params(), _btyd_period(btyd, btyd_freq))
    native = _core.signals(ds._native, moments, list(names or []), threads, _targets(targets),
                           list(key_features or []), model)
    times = seconds_to_datetime(np.asarray(native["as_of"]))
    begin = int(ds._native.time_range[0])
    if int(np.asarray(native["as_of"])[0]) <= begin or ds._native.time_range[0] == ds._native.time_range[1]:
        warnings.warn(f"signals: as_of {times[0].date()} is not after the first data: every count is 0 and every "
                      "ratio NaN", UserWarning, stacklevel=2)
    ids = ds._account_index()
    columns = {name: np.asarray(v) for name, v in zip(native["names"], native["values"])}
    index: pd.Index = pd.MultiIndex.from_product([times.rename("as_of"), ids]) if many else ids
    return pd.DataFrame(columns, index=index, columns=list(columns) if columns else None)


__all__ = ["signal_catalog", "signals"]


def _btyd_period(model: Any, given: str | None) -> str:
    """The payment period the signals count for a BTYD model: the one it was fitted in, unless none is
    recorded (then ``given``, default "W"); a different ``given`` one is an error, not a silent rescaling."""
    if given is not None and given not in ("D", "W"):
        raise invalid(f"signals: btyd_freq must be D or W, got {given!r}")
    freq: str | None = model.freq_
    recorded = {"W-SUN": "W"}.get(freq, freq) if freq is not None else None  # pandas' "W" ends on Sunday
    if recorded is None:
        return "W" if given is None else given
    if recorded not in ("D", "W") or model.freq_multiplier_ != 1:
        unit = recorded if model.freq_multiplier_ == 1 else f"units of {model.freq_multiplier_:g} {recorded}"
        raise invalid(f"signals: the btyd model was fitted in {unit} periods (its rfm_summary's freq); the "
                      "signals count whole D or W periods")
    if given is not None and given != recorded:
        raise invalid(f"signals: btyd_freq={given!r}, but the btyd model was fitted on {recorded!r} periods "
                      f"(its rates are per {recorded} period); leave btyd_freq out to use the model's")
    return recorded
