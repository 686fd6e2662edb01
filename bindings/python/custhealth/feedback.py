"""Voice of the customer (DESIGN §4 "Surveys"): NPS, CSAT and CES with honest error bars, the
two-sample tests, and grouped summaries by key columns × calendar period or a trailing window.

- NPS: promoters 9–10, passives 7–8, detractors 0–6; ``100·(P − D)/N``; SE
  ``100·sqrt(((p + d) − (p − d)²)/N)``; interval ``NPS ± z·SE`` clipped to [−100, 100].
- CSAT: share of answers in the top ``top_boxes`` boxes of 1..``scale``, in percent; Wilson interval.
- CES: mean of 1..7 answers; Student-t interval.

The C++ core computes (the GIL released); float64 scores and datetime64 times are read in place.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._core import CesResult, CsatResult, NpsResult, ZTestResult
from ._grouping import Key, as_by, column, enum_codes, frame_keys, invalid, numbers, scope, source, ticks, to_frame
from ._plotting import check_count, date_axis, new_axes
from .dataset import Dataset
from .parallel import resolve_threads

KINDS: tuple[str, ...] = _core.ENUMS["survey_kind"]

# The columns of feedback_summary after the keys and `period`, per kind.
COLUMNS = {
    "nps": ("n", "score", "se", "ci_low", "ci_high", "promoters", "passives", "detractors"),
    "csat": ("n", "score", "se", "ci_low", "ci_high", "satisfied", "mean"),
    "ces": ("n", "score", "se", "ci_low", "ci_high", "sd"),
}


def _scores(scores: Any) -> np.ndarray:
    return numbers(scores, "scores")


def nps(scores: Any, *, confidence: float = 0.95) -> NpsResult:
    """Net Promoter Score of 0..10 answers (a numpy array, pandas Series or list).

    Returns an :class:`NpsResult` with ``.score .n .se .ci_low .ci_high .promoters .passives
    .detractors``; ``score`` and the interval are NaN for no answers. Raises
    :class:`InvalidInputError` for a score that is not an integer 0..10 (NaN included).
    """
    return _core.nps(_scores(scores), confidence)


def csat(scores: Any, scale: int = 5, *, top_boxes: int = 2, confidence: float = 0.95) -> CsatResult:
    """CSAT of 1..``scale`` answers: the percentage in the top ``top_boxes`` boxes (4–5 of 5 by
    default) with a Wilson interval; ``.se`` is the binomial 100·sqrt(p(1 − p)/n), ``.mean`` the
    mean score."""
    return _core.csat(_scores(scores), int(scale), int(top_boxes), confidence)


def ces(scores: Any, *, confidence: float = 0.95) -> CesResult:
    """Customer Effort Score: the mean of 1..7 answers with a Student-t interval (NaN for n < 2)."""
    return _core.ces(_scores(scores), confidence)


def nps_test(a: Any, b: Any) -> ZTestResult:
    """Two-sided z-test of NPS(a) − NPS(b) = 0 with ``z = Δ/sqrt(SE_a² + SE_b²)``. ``a`` and ``b``
    are answers or :class:`NpsResult` s. NaN when a group is empty (z, p: when both are unanimous)."""
    return _core.nps_test(a if isinstance(a, NpsResult) else nps(a), b if isinstance(b, NpsResult) else nps(b))


def csat_test(a: Any, b: Any, scale: int = 5, *, top_boxes: int = 2) -> ZTestResult:
    """Two-proportion z-test of the CSAT shares with the pooled proportion (statsmodels'
    ``proportions_ztest``); ``difference`` and ``se`` in percentage points."""
    def result(x: Any) -> CsatResult:
        return x if isinstance(x, CsatResult) else csat(x, scale, top_boxes=top_boxes)
    return _core.csat_test(result(a), result(b))


def _kind_codes(df: pd.DataFrame, kind_col: str, kind: str) -> tuple[np.ndarray | None, int]:
    """The kind column as codes of KINDS and the code of `kind` (None, 0 without the column)."""
    if kind_col not in df.columns:
        return None, 0
    return enum_codes(df[kind_col], kind_col, KINDS, "survey kind", "surveys"), KINDS.index(kind)


def _raw(data: Any, kind: str, by: list[str], period: str | None, as_of: Any, window_days: int | None,
         scale: int | None,
         top_boxes: int, confidence: float, time_col: str, score_col: str,
         kind_col: str, n_threads: int | None = None, state: bool = False) -> tuple[Any, list[Key] | None]:
    """The core's grouped summary (a dict of arrays) and the DataFrame's keys (None for a Dataset); with
    `state`, a DataFrame's mergeable partial state instead of the dict (custhealth.dask's step)."""
    if kind not in KINDS:
        raise invalid(f"unknown survey kind {kind!r}: expected one of {', '.join(KINDS)}")
    data = source(data, "surveys")
    per, at, window = scope(period, as_of, window_days)
    threads = resolve_threads(n_threads, "feedback_summary")
    if isinstance(data, Dataset):
        # A dataset's answers were validated against its load's scale: that is the default here too.
        scale = data.csat_scale if scale is None else scale
        return _core.feedback_dataset(data._native, kind, by, per, at, window, int(scale), int(top_boxes),
                                      confidence, threads), None
    scale = 5 if scale is None else scale
    keys = frame_keys(data, by, "surveys")
    time, unit = ticks(column(data, time_col, "surveys"), time_col)
    score = numbers(column(data, score_col, "surveys"), score_col)
    kinds, wanted = _kind_codes(data, kind_col, kind)
    raw = _core.feedback_arrays(kind, time, unit, score, kinds, wanted, [k.core() for k in keys], per, at, window,
                                int(scale), int(top_boxes), confidence, threads, state)
    return raw, keys


def feedback_summary(data: Any, kind: str = "nps", by: str | Sequence[str] | None = None, period: str | None = "M",
                     as_of: Any = None, window_days: int | None = None, *, scale: int | None = None, top_boxes: int = 2,
                     confidence: float = 0.95, time_col: str = "timestamp", score_col: str = "score",
                     kind_col: str = "kind", n_threads: int | None = None) -> pd.DataFrame:
    """NPS, CSAT or CES per group, in one pass over the answers.

    Parameters
    ----------
    data : custhealth.Dataset or pandas.DataFrame
        A Dataset (keys: ``account_id``, ``segment``, ``plan``, ``owner`` of the account), or a
        DataFrame of survey answers (keys: any of its columns; a ``kind`` column, when present,
        selects the rows of ``kind``).
    kind : {"nps", "csat", "ces"}
    by : column name(s) to group by; missing key values form a group of their own.
    period : {"D", "W", "M", "Q"} or None
        Calendar period (UTC; ISO weeks start on Monday) of each answer's time; None: all time.
    as_of : date-like, optional
        Only answers strictly before it count.
    window_days : int, optional
        One trailing window ``[as_of − window_days, as_of)`` instead of calendar periods.
    scale, top_boxes : CSAT's answer scale (default: the dataset's ``csat_scale``, 5 for a DataFrame)
        and satisfied boxes.
    confidence : level of the intervals.
    n_threads : int, optional
        Threads over blocks of rows (default ``ch.get_num_threads()``); the counts merge exactly, so
        the numbers are the same bits for any count.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``period`` (the period's or window's start; NaT over all time), and
        ``n, score, se, ci_low, ci_high`` plus ``promoters, passives, detractors`` (NPS),
        ``satisfied, mean`` (CSAT) or ``sd`` (CES). One row per group with at least one answer,
        sorted by keys then period.

    Raises
    ------
    InvalidInputError
        A score outside its kind's range (or NaN), an unknown kind, period or key, a missing column,
        ``window_days`` below 1. (A window without ``as_of`` ends at the midnight after the latest
        answer.)
    """
    by = as_by(by)
    raw, keys = _raw(data, kind, by, period, as_of, window_days, scale, top_boxes, confidence, time_col, score_col,
                     kind_col, n_threads)
    return to_frame(raw, by, keys, COLUMNS[kind], source=data)


# What a summary's extra columns tell of its kind, and the axis label of each kind.
_KIND_MARKER = {"nps": "promoters", "csat": "satisfied", "ces": "sd"}
_KIND_LABEL = {"nps": "NPS", "csat": "CSAT (% satisfied)", "ces": "CES (mean effort)"}


def _groups(summary: pd.DataFrame, keys: list[str]) -> list[tuple[tuple[Any, ...], pd.DataFrame]]:
    """The rows of each group of `keys` (missing values as None), in order of appearance. (Not pandas'
    groupby(dropna=False): in pandas 2.3 its ``groups`` raise "Categorical categories cannot be null" for a
    key with missing values.)"""
    if not keys:
        return [((), summary)]
    rows: dict[tuple[Any, ...], list[int]] = {}
    for i, values in enumerate(zip(*(summary[k].astype(object).to_numpy() for k in keys))):
        rows.setdefault(tuple(None if pd.isna(v) else v for v in values), []).append(i)
    return [(key, summary.iloc[positions]) for key, positions in rows.items()]


def plot_feedback(summary: pd.DataFrame, *, ax: Any = None, ci: bool = True, max_groups: int = 20) -> Any:
    """The score of a :func:`feedback_summary` over time with its confidence band: one line per group
    (the summary's ``by`` columns, the ones before ``period``), or one line without ``by``.

    Parameters
    ----------
    summary : pandas.DataFrame
        What ``feedback_summary(..., period=...)`` returned (rows may be filtered first: e.g. a few
        segments). The kind (NPS, CSAT, CES) is read from its columns.
    ax : matplotlib.axes.Axes, optional
        Default: a new 8 × 4 inch figure.
    ci : bool, default True
        Shade each group's interval ``[ci_low, ci_high]``.
    max_groups : int, default 20
        More groups than this are refused (a plot of hundreds of lines says nothing): filter the
        summary, or group by fewer keys.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InvalidInputError
        Not a summary (a missing column), an empty one, one over all time (``period=None``: no time
        axis), more than ``max_groups`` groups.
    """
    where = "plot_feedback"
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"{where}: expected the DataFrame of ch.feedback_summary, got {type(summary).__name__}")
    lacking = [c for c in ("period", "n", "score", "ci_low", "ci_high") if c not in summary.columns]
    if lacking:
        raise invalid(f"{where}: not a feedback_summary DataFrame: missing column(s) {', '.join(lacking)}")
    kinds = [k for k, marker in _KIND_MARKER.items() if marker in summary.columns]
    if len(kinds) != 1:
        raise invalid(f"{where}: cannot tell the kind of the summary: expected exactly one of the columns "
                      f"{', '.join(_KIND_MARKER.values())} (NPS, CSAT, CES)")
    if summary.empty:
        raise invalid(f"{where}: the summary is empty (no answers in any group): nothing to plot")
    if summary["period"].isna().any():
        raise invalid(f"{where}: the summary has no time axis (feedback_summary(..., period=None) is over all "
                      "time): use period='M' (or 'D', 'W', 'Q')")
    cap = check_count(max_groups, "max_groups", 1, where)
    keys = list(summary.columns[:summary.columns.get_loc("period")])
    groups = _groups(summary, keys)
    if len(groups) > cap:
        raise invalid(f"{where}: {len(groups)} groups of {', '.join(keys)} exceed max_groups={cap}: "
                      "filter the summary or group by fewer keys")
    ax = new_axes(ax, (8.0, 4.0))
    for key, rows in groups:
        rows = rows.sort_values("period", kind="stable")
        t = rows["period"].to_numpy()
        label = " / ".join("(missing)" if v is None else str(v) for v in key) or _KIND_LABEL[kinds[0]]
        (line,) = ax.plot(t, rows["score"].to_numpy(dtype=float), marker="o", markersize=3, label=label)
        if ci:
            ax.fill_between(t, rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float),
                            color=line.get_color(), alpha=0.2, linewidth=0)
    date_axis(ax)
    ax.set_xlabel("period")
    ax.set_ylabel(_KIND_LABEL[kinds[0]])
    ax.set_title(f"{_KIND_LABEL[kinds[0]]} over time" + (f" by {' × '.join(map(str, keys))}" if keys else "")
                 + (" (shaded: confidence interval)" if ci else ""))
    if keys:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title=" / ".join(map(str, keys)))
    return ax


__all__ = ["nps", "csat", "ces", "nps_test", "csat_test", "feedback_summary", "plot_feedback", "NpsResult",
           "CsatResult", "CesResult", "ZTestResult"]
