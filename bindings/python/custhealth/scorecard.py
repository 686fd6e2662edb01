"""Health scorecards (DESIGN §4 "Health scorecard"): a declarative card from ``models/`` or a dict, the
scores, bands, trends and explanations of every account as of T, and the alerts a customer-success
team automates — all read from the signal layer and computed in C++ (custhealth/scorecard/)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._convert import seconds_to_datetime, to_seconds
from ._grouping import invalid
from .dataset import Dataset
from .parallel import resolve_threads

SEVERITIES: tuple[str, ...] = _core.ENUMS["alert_severity"]


def _shipped() -> Any:
    return resources.files("custhealth") / "models"


def shipped_models() -> list[str]:
    """The names of the model files shipped in the package (``models/*.json``, not the schemas)."""
    return sorted(p.name[:-5] for p in _shipped().iterdir()
                  if p.name.endswith(".json") and not p.name.endswith(".schema.json"))


def model_text(model: str | os.PathLike[str]) -> tuple[str, str]:
    """The JSON text of a shipped model (by name, e.g. "saas_health_v1") or of a file path, with the
    name errors should give it."""
    if os.path.exists(model):
        with open(model, encoding="utf-8") as f:
            return f.read(), os.path.basename(model)
    name = str(model)
    shipped = _shipped() / f"{name}.json"
    if name.endswith(".schema") or not shipped.is_file():
        raise invalid(f"no model {name!r}: expected a path or one of {', '.join(shipped_models())}")
    return shipped.read_text(encoding="utf-8"), f"{name}.json"


def _as_of(ds: Dataset, as_of: Any, what: str) -> int:
    """One as-of time in seconds; default: the end of the event tables' data (Dataset._default_as_of)."""
    if as_of is None:
        return ds._default_as_of(["usage", "surveys", "tickets", "mrr", "payments"], what)
    try:
        return to_seconds(as_of)
    except (TypeError, ValueError) as err:
        raise invalid(f"{what}: as_of: {err}") from None


class Scorecard:
    """A validated health scorecard: groups of measures, each mapping one signal to 0..100, weighted
    into a score with bands, a trend over ``trend_days``, overrides and alert settings.

    Build one with :meth:`load` (a shipped card such as ``"saas_health_v1"`` or a path),
    :meth:`from_dict` or :meth:`from_json`; every error is a ``ModelSpecError`` naming the JSON path.
    """

    def __init__(self, native: Any) -> None:
        self._native = native
        self.scores_: pd.DataFrame | None = None
        self._detail: tuple[list[str], list[Any], np.ndarray] = ([], [], np.empty((0, 0)))
        #: For a card from ch.tune: its objective before and after on the training and validation dates.
        self.tuning_: pd.DataFrame | None = None

    # ---- building and writing ------------------------------------------------------------------
    @classmethod
    def load(cls, name_or_path: str | os.PathLike[str]) -> "Scorecard":
        """A shipped card by name (``ch.Scorecard.shipped()`` lists them) or a JSON file."""
        text, source = model_text(name_or_path)
        return cls(_core.Scorecard.parse(text, source))

    @classmethod
    def from_json(cls, text: str, source: str = "<json>") -> "Scorecard":
        return cls(_core.Scorecard.parse(text, source))

    @classmethod
    def from_dict(cls, card: dict[str, Any]) -> "Scorecard":
        """A card from the dict of its JSON form (``json.loads`` of a model file)."""
        try:
            text = json.dumps(card, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise _core.ModelSpecError(f"<dict>: not a JSON document: {err}") from None
        return cls(_core.Scorecard.parse(text, "<dict>"))

    @staticmethod
    def shipped() -> list[str]:
        return shipped_models()

    def to_json(self) -> str:
        """The card as model JSON (``Scorecard.from_json(card.to_json())`` is the same card)."""
        text: str = self._native.to_json()
        return text

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(self.to_json())
        return out

    def __getstate__(self) -> dict[str, Any]:
        return {"json": self.to_json(), "name": self.name, "tuning": self.tuning_}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._native = _core.Scorecard.parse(state["json"], state["name"])
        self.scores_ = None
        self._detail = ([], [], np.empty((0, 0)))
        self.tuning_ = state.get("tuning")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scorecard) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]  # compared by value

    def __repr__(self) -> str:
        return f"Scorecard({self.name!r}, version={self.version}, {len(self.measures)} measures)"

    # ---- what it is ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self._native.name)

    @property
    def version(self) -> int:
        return int(self._native.version)

    @property
    def description(self) -> str:
        return str(self._native.description)

    @property
    def trend_days(self) -> int:
        return int(self._native.trend_days)

    @property
    def bands(self) -> list[str]:
        return [name for name, _ in self._native.bands]

    @property
    def measures(self) -> pd.DataFrame:
        """One row per measure, in model order: group, group weight, signal, weight, indexed by the
        measure's name ``group/signal``."""
        rows = list(self._native.measures)
        out = pd.DataFrame(rows, columns=["group", "group_weight", "signal", "weight"])
        out.index = pd.Index([f"{g}/{s}" for g, _, s, _ in rows], name="measure")
        return out

    @property
    def signals(self) -> list[str]:
        """The signals the measures read, in model order, each once."""
        return list(self._native.signals())

    # ---- scoring -----------------------------------------------------------------------------------
    def score(self, ds: Dataset, as_of: Any = None, *, signals: pd.DataFrame | None = None,
              top_factors: bool = True, n_threads: int | None = None) -> pd.DataFrame:
        """Every account's health as of ``as_of`` (default: the end of the event tables' data).

        Columns: ``score`` (0-100; NaN for accounts not active at T), ``band`` (ordered categorical),
        ``trend`` (score now − score ``trend_days`` earlier; NaN without a trend), ``top_factors``
        (``(measure, points)`` pairs, largest first, that sum to ``100 - score``; for an overridden
        account the override and its reason), ``override`` (the reason, or None), ``computed_score``
        (the card's score before overrides), then each measure's score 0..100 (``<group>/<signal>``)
        and the points it cost (``lost:<group>/<signal>``). Kept as ``scores_`` for :meth:`explain`.

        ``signals``: the card's signals at ``as_of`` already computed (``ch.signals(ds, as_of=T)``, one
        row per account of ``ds`` in its order) — scored without computing them again, e.g. while a
        harness re-weights a card; ``trend`` is then NaN (it needs the signals of a second date).
        ``top_factors=False`` leaves that column out (a Python list per account is most of the time
        of scoring a large portfolio; the ``lost:`` columns hold the same numbers). ``n_threads``: the
        threads the signals are computed on (default ``ch.get_num_threads()``; the same bits for any count).
        """
        out, raw = self._score(ds, as_of, signals, top_factors, n_threads)
        # What explain() reads: a copy of the frame (the caller may sort or change the one returned),
        # the signal values and the effective weights, by account position.
        self.scores_ = out.copy(deep=False)
        self._detail = (list(raw["signal_names"]), list(raw["signals"]), np.asarray(raw["weight"]))
        return out

    def _score(self, ds: Dataset, as_of: Any, signals: pd.DataFrame | None, top_factors: bool,
               n_threads: int | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
        """score() without keeping anything: for the analytics built on a card (backtest, tune, the
        band plot, assignment), which must not change what the user's explain() reads."""
        if not isinstance(ds, Dataset):
            raise TypeError(f"score: expected a custhealth.Dataset, got {type(ds).__name__}")
        moment = _as_of(ds, as_of, "score")
        if signals is None:
            raw = _core.scorecard_score(ds._native, self._native, moment, resolve_threads(n_threads, "score"))
        else:
            if not isinstance(signals, pd.DataFrame) or not signals.index.equals(ds._account_index()):
                raise invalid("score: signals must be a DataFrame indexed by the dataset's accounts, in order "
                              "(ch.signals(ds, as_of=T))")
            lacking = [name for name in self.signals if name not in signals.columns]
            if lacking:
                raise invalid(f"score: signals lack {', '.join(lacking)}, which card {self.name} reads")
            names = self.signals
            values = [np.ascontiguousarray(signals[name].to_numpy(dtype=np.float64)) for name in names]
            raw = _core.scorecard_score_signals(ds._native, self._native, moment, names, values,
                                                resolve_threads(n_threads, "score"))
            raw["signal_names"], raw["signals"] = names, values  # read in place by the core: handed back
        out = self._frame(ds, raw, top_factors)
        out.attrs.update(card=self.name, version=self.version, as_of=pd.Timestamp(moment, unit="s"))
        return out, raw

    def _frame(self, ds: Dataset, raw: dict[str, Any], top_factors: bool) -> pd.DataFrame:
        index = ds._account_index()
        score = np.asarray(raw["score"])
        codes = np.asarray(raw["band"], dtype=np.int64)
        band = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(self.bands, ordered=True))
        names: list[str] = list(raw["measure_names"])
        overrides = np.asarray(raw["override_index"], dtype=np.int64)
        reasons: list[str] = list(raw["override_reasons"])
        out = pd.DataFrame({"score": score, "band": band, "trend": np.asarray(raw["trend"])}, index=index)
        if top_factors:
            # The measures that cost points, largest first (stable: model order among equals).
            lost = np.asarray(raw["points_lost"]).T
            filled = np.nan_to_num(lost, nan=0.0)
            order = np.argsort(-filled, axis=1, kind="stable")
            ranked = np.take_along_axis(filled, order, axis=1)
            counts = (ranked > 0).sum(axis=1)
            labels = np.asarray(names, dtype=object)
            factors: list[list[tuple[str, float]]] = [
                [(f"override: {reasons[overrides[a]]}", float(100 - score[a]))] if overrides[a] >= 0 else
                list(zip(labels[order[a, :counts[a]]].tolist(), ranked[a, :counts[a]].tolist()))
                for a in range(len(score))]
            out["top_factors"] = pd.Series(factors, index=index, dtype=object)
        out["override"] = pd.Series([reasons[i] if i >= 0 else None for i in overrides], index=index, dtype=object) \
            if reasons else pd.Series(None, index=index, dtype=object)
        out["computed_score"] = np.asarray(raw["computed"])
        # The measure scores and the points lost as two blocks wrapped without a copy; the few leading
        # columns are inserted in front (pandas adds a block per insert and copies none).
        block = np.concatenate([np.asarray(raw["measure_score"]), np.asarray(raw["points_lost"])]).T
        frame = pd.DataFrame(block, index=index, columns=names + [f"lost:{n}" for n in names], copy=False)
        for i, (name, column) in enumerate(out.items()):
            frame.insert(i, name, column)
        return frame

    def explain(self, account_id: Any) -> pd.DataFrame:
        """Why one account scored what it did in the last :meth:`score`: per measure, its signal's
        value, the measure's score, its effective weight and the points it cost (they sum to
        ``100 - score``), largest first. ``attrs`` holds the score, band, trend and any override."""
        scores = self.scores_
        if scores is None:
            raise invalid("explain: call score(ds, as_of) first")
        if account_id not in scores.index:
            raise invalid(f"explain: no account {account_id!r} in the scores")
        a = scores.index.get_loc(account_id)
        names, values, weights = self._detail
        value_of = dict(zip(names, values))
        m = self.measures
        row = scores.iloc[a]
        out = pd.DataFrame({
            "signal": m["signal"].to_numpy(),
            "value": [float(np.asarray(value_of[s])[a]) for s in m["signal"]],
            "score": [row[name] for name in m.index],
            "weight": weights[:, a],
            "points_lost": [row[f"lost:{name}"] for name in m.index],
        }, index=m.index)
        out = out.sort_values("points_lost", ascending=False, kind="stable", na_position="last")
        out.attrs.update(account_id=account_id, score=row["score"], band=row["band"], trend=row["trend"],
                         override=row["override"], computed_score=row["computed_score"])
        return out

    # ---- alerts ------------------------------------------------------------------------------------
    def alerts(self, ds: Dataset, as_of: Any = None, *, n_threads: int | None = None) -> pd.DataFrame:
        """The alerts of this card (DESIGN §4 "Alerts"): with one date, those active then; with a list,
        those active at the first and those that *start* at each later one (no repeats).

        Columns: account_id, kind (at_risk, inactive, renewal, escalation, or a rule's name), severity
        (low < medium < high), time (when the condition began where the signals tell it: the last use
        plus ``inactive_days``, the renewal date less ``renewal_days``, the detractor's answer; else
        the as-of date), as_of, owner, message. Sorted by as_of, severity (high first), account.
        ``n_threads`` as in :meth:`score`."""
        if not isinstance(ds, Dataset):
            raise TypeError(f"alerts: expected a custhealth.Dataset, got {type(ds).__name__}")
        many = isinstance(as_of, (list, tuple, np.ndarray, pd.Index, pd.Series))
        moments = [_as_of(ds, t, "alerts") for t in as_of] if many else [_as_of(ds, as_of, "alerts")]
        if not moments:
            raise invalid("alerts: as_of is empty")
        raw = _core.scorecard_alerts(ds._native, self._native, moments, resolve_threads(n_threads, "alerts"))
        ids = ds._account_index()
        account = np.asarray(raw["account"], dtype=np.int64)
        owners = ds.table("accounts")["owner"]
        owner = np.asarray(owners.astype(object).to_numpy()[account], dtype=object)
        owner[pd.isna(owner)] = None
        return pd.DataFrame({
            "account_id": ids[account],
            "kind": pd.Series(list(raw["kind"]), dtype=object),
            "severity": pd.Categorical.from_codes(np.asarray(raw["severity"], dtype=np.int64),
                                                  dtype=pd.CategoricalDtype(list(SEVERITIES), ordered=True)),
            "time": seconds_to_datetime(np.asarray(raw["time"])),
            "as_of": seconds_to_datetime(np.asarray(raw["as_of"])),
            "owner": owner,
            "message": pd.Series(list(raw["message"]), dtype=object),
        })

    # ---- plots ---------------------------------------------------------------------------------------
    def plot_bands(self, ds: Dataset, as_of: Sequence[Any] | Any, ax: Any = None, *, max_ticks: int = 20) -> Any:
        """The band distribution over time: at each as-of date (a list, or one date), a stacked bar of
        the share of the scored accounts in each band; under each bar the date and how many accounts
        had a score then (accounts not active at a date have none). With more than ``max_ticks`` dates
        only every s-th is labelled. Returns the matplotlib Axes."""
        from ._plotting import check_count, new_axes, thinned  # noqa: PLC0415 (imported where the plots use them)

        many = isinstance(as_of, (list, tuple, np.ndarray, pd.Index, pd.Series))
        moments = list(as_of) if many else [as_of]
        if not moments:
            raise invalid("plot_bands: as_of is empty")
        cap = check_count(max_ticks, "max_ticks", 2, "plot_bands")
        shares: dict[pd.Timestamp, pd.Series] = {}
        scored: list[int] = []
        for t in moments:
            frame = self._score(ds, t, None, False)[0]
            when = frame.attrs["as_of"]
            if when in shares:
                raise invalid(f"plot_bands: as_of {when} is given twice")
            shares[when] = frame["band"].value_counts(normalize=True).reindex(self.bands)
            scored.append(int(frame["score"].notna().sum()))
        table = pd.DataFrame(shares).T.fillna(0.0)
        ax = new_axes(ax, (min(14.0, 4.0 + 0.4 * len(table)), 4.0))
        colours = {"red": "#d62728", "yellow": "#f2c12e", "green": "#2ca02c"}
        bottom = np.zeros(len(table))
        positions = np.arange(len(table))
        for name in table.columns:
            ax.bar(positions, table[name].to_numpy(), bottom=bottom, label=name, color=colours.get(str(name)))
            bottom += table[name].to_numpy()
        fmt = "%Y-%m-%d" if all(w == w.normalize() for w in table.index) else "%Y-%m-%d %H:%M"
        shown = thinned(len(table), cap)
        slanted = len(shown) > 6  # then on one line each, ending under its bar
        template = "{date} (n={n})" if slanted else "{date}\nn={n}"
        ax.set_xticks(list(shown), [template.format(date=table.index[i].strftime(fmt), n=scored[i]) for i in shown])
        if slanted:
            for label in ax.get_xticklabels():
                label.set(rotation=45, ha="right", rotation_mode="anchor")
        ax.set_ylim(0.0, 1.0)
        ax.set_ylabel("share of scored accounts")
        ax.set_title(f"{self.name}: bands over time")
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1, 1))  # top band on top
        return ax

    def plot_waterfall(self, account_id: Any, ax: Any = None) -> Any:
        """One account's score in the last :meth:`score` as a waterfall from 100: each measure's lost
        points (largest first), then an override's step when the account has one, down to the score.
        Returns the matplotlib Axes."""
        from ._plotting import new_axes  # noqa: PLC0415 (imported where the plots use them)

        if self.scores_ is None:
            raise invalid("plot_waterfall: call score(ds, as_of) first")
        e = self.explain(account_id)
        score, computed, override, band = (e.attrs[k] for k in ("score", "computed_score", "override", "band"))
        as_of = self.scores_.attrs.get("as_of")
        if not np.isfinite(score):
            raise invalid(f"plot_waterfall: account {account_id!r} has no score as of {as_of} (not active then)")
        e = e[e["points_lost"] > 0]
        labels, starts, ends = ["max"], [0.0], [100.0]
        level = 100.0
        for name, lost in e["points_lost"].items():
            labels.append(str(name))
            starts.append(level)
            ends.append(level - lost)
            level -= lost
        colours = ["#7f7f7f"] + ["#d62728"] * len(e)
        if isinstance(override, str):  # the card's own score (computed_score, where the losses lead) replaced
            base = level if np.isfinite(computed) else 100.0
            labels.append(f"override: {override}")
            starts.append(base)
            ends.append(score)
            colours.append("#2ca02c" if score >= base else "#d62728")
        labels.append("score")
        starts.append(0.0)
        ends.append(score)
        colours.append("#1f77b4")
        ax = new_axes(ax, (8.0, 4.0))
        low, high = np.minimum(starts, ends), np.abs(np.subtract(ends, starts))
        ax.bar(labels, high, bottom=low, color=colours)
        ax.set_ylim(0, 100)
        ax.set_ylabel("points")
        ax.set_title(f"{account_id}: {score:.1f} ({band})" + (f" as of {as_of:%Y-%m-%d}" if as_of is not None else ""))
        for label in ax.get_xticklabels():  # slanted, each ending under its bar
            label.set(rotation=45, ha="right", rotation_mode="anchor")
        return ax

__all__ = ["SEVERITIES", "Scorecard", "model_text", "shipped_models"]
