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
from .dataset import Dataset

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
         kind_col: str, state: bool = False) -> tuple[Any, list[Key] | None]:
    """The core's grouped summary (a dict of arrays) and the DataFrame's keys (None for a Dataset); with
    `state`, a DataFrame's mergeable partial state instead of the dict (custhealth.dask's step)."""
    if kind not in KINDS:
        raise invalid(f"unknown survey kind {kind!r}: expected one of {', '.join(KINDS)}")
    data = source(data, "surveys")
    per, at, window = scope(period, as_of, window_days)
    if isinstance(data, Dataset):
        # A dataset's answers were validated against its load's scale: that is the default here too.
        scale = data.csat_scale if scale is None else scale
        return _core.feedback_dataset(data._native, kind, by, per, at, window, int(scale), int(top_boxes),
                                      confidence), None
    scale = 5 if scale is None else scale
    keys = frame_keys(data, by, "surveys")
    time, unit = ticks(column(data, time_col, "surveys"), time_col)
    score = numbers(column(data, score_col, "surveys"), score_col)
    kinds, wanted = _kind_codes(data, kind_col, kind)
    raw = _core.feedback_arrays(kind, time, unit, score, kinds, wanted, [k.core() for k in keys], per, at, window,
                                int(scale), int(top_boxes), confidence, state)
    return raw, keys


def feedback_summary(data: Any, kind: str = "nps", by: str | Sequence[str] | None = None, period: str | None = "M",
                     as_of: Any = None, window_days: int | None = None, *, scale: int | None = None, top_boxes: int = 2,
                     confidence: float = 0.95, time_col: str = "timestamp", score_col: str = "score",
                     kind_col: str = "kind") -> pd.DataFrame:
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
                     kind_col)
    return to_frame(raw, by, keys, COLUMNS[kind])


__all__ = ["nps", "csat", "ces", "nps_test", "csat_test", "feedback_summary", "NpsResult", "CsatResult", "CesResult",
           "ZTestResult"]
