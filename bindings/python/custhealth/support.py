"""Support service levels (DESIGN §4 "Support and SLA") from the tickets table: first-response and
resolution times (count, mean, median, p90), SLA met / breached / pending against per-priority
targets with a Wilson interval of the met rate, task completion, and backlog aging — as of a moment
T: events at or after T have not happened yet.

- met: answered within the priority's target; breached: answered late, or unanswered with
  T − opened past the target; pending: unanswered within target (left out of the rate).
- Quantiles interpolate linearly between order statistics (numpy's and pandas' default).
- Completion = tickets resolved in the period / tickets opened in the period (can exceed 1).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._convert import moment
from ._grouping import (as_by, column, enum_codes, frame_keys, invalid, optional_ticks, scope, source, ticks,
                        to_frame)
from .dataset import Dataset
from .parallel import resolve_threads

PRIORITIES: tuple[str, ...] = _core.ENUMS["priority"]

#: First-response targets in hours (DESIGN §4), as the core defines them.
DEFAULT_TARGETS_HOURS = {p: s / 3600.0 for p, s in _core.DEFAULTS["sla_first_response_seconds"].items()}

SLA_COLUMNS = ("opened", "answered", "met", "breached", "pending", "met_rate", "ci_low", "ci_high",
               "first_response_mean_h", "first_response_median_h", "first_response_p90_h", "resolved",
               "resolution_mean_h", "resolution_median_h", "resolution_p90_h", "open", "resolved_in_period",
               "completion")
BACKLOG_COLUMNS = ("open", "age_lt_1d", "age_1_3d", "age_3_7d", "age_7_30d", "age_ge_30d")


def _targets(targets: Mapping[str, Any] | None) -> list[int]:
    """Seconds per priority (low, normal, high, urgent): defaults overridden by `targets`, whose values
    are hours (numbers) or timedeltas."""
    hours = dict(DEFAULT_TARGETS_HOURS)
    for name, value in (targets or {}).items():
        if name not in hours:
            raise invalid(f"unknown priority {name!r} in targets: expected one of {', '.join(PRIORITIES)}")
        if isinstance(value, (pd.Timedelta, np.timedelta64)) or hasattr(value, "total_seconds"):
            value = pd.Timedelta(value).total_seconds() / 3600.0
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise invalid(f"target for {name!r} must be hours or a timedelta, got {value!r}") from None
        if not np.isfinite(value) or value < 0:
            raise invalid(f"target for {name!r} must be ≥ 0 hours, got {value!r}")
        hours[name] = value
    return [int(round(hours[p] * 3600)) for p in PRIORITIES]


def _ticket_arrays(df: pd.DataFrame, opened_col: str, first_response_col: str, resolved_col: str,
                   priority_col: str) -> tuple[Any, ...]:
    opened, unit = ticks(column(df, opened_col, "tickets"), opened_col)
    first = optional_ticks(df, first_response_col, unit)
    resolved = optional_ticks(df, resolved_col, unit)
    prio = None
    if priority_col in df.columns:  # a missing priority is "normal", as when loading a Dataset
        prio = enum_codes(df[priority_col], priority_col, PRIORITIES, "priority", "tickets", missing="normal")
    return opened, first, resolved, unit, prio


def sla_summary(data: Any, by: str | Sequence[str] | None = None, period: str | None = "M", as_of: Any = None,
                targets: Mapping[str, Any] | None = None, *, window_days: int | None = None,
                confidence: float = 0.95, opened_col: str = "opened_at",
                first_response_col: str = "first_response_at", resolved_col: str = "resolved_at",
                priority_col: str = "priority", n_threads: int | None = None) -> pd.DataFrame:
    """SLA per group of tickets, grouped by the period of ``opened_at``.

    Parameters
    ----------
    data : custhealth.Dataset or pandas.DataFrame
        A Dataset (keys: ``priority``, ``owner`` of the ticket, ``account_id``, ``segment``,
        ``plan``, ``account_owner``), or a tickets DataFrame (keys: any of its columns).
    by, period, window_days : as in :func:`feedback_summary`.
    as_of : date-like, optional
        The moment T. Default: the end of the tickets — the midnight after their latest opening,
        first response or resolution — on a Dataset and a tickets DataFrame alike, as in the C++
        library, so SLA numbers do not depend on the route.
    targets : mapping, optional
        First-response targets by priority, in hours or as timedeltas, overriding
        ``DEFAULT_TARGETS_HOURS`` (urgent 1 h, high 2 h, normal 2 h, low 8 h).
    n_threads : int, optional
        Threads over blocks of tickets (default ``ch.get_num_threads()``); the counts merge exactly
        and each group's medians and p90s come from its merged, sorted durations, so the numbers are
        the same bits for any count.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``period``, and ``opened answered met breached pending met_rate ci_low
        ci_high`` (Wilson), first-response and resolution ``*_mean_h *_median_h *_p90_h`` in hours
        (of the tickets opened in the period), ``resolved open`` (of those, as of T),
        ``resolved_in_period`` (by resolution time) and ``completion``. ``attrs["as_of"]`` is T.
        Undefined rates and times are NaN.

    Raises
    ------
    InvalidInputError
        A ticket answered or resolved before it was opened, a missing ``opened_at``, an unknown
        priority, a bad target, period or key, ``n_threads`` not a whole number from 1 to 4096.
    """
    threads = resolve_threads(n_threads, "sla_summary")
    by = as_by(by)
    data = source(data, "tickets")
    per, at, window = scope(period, as_of, window_days)
    goals = _targets(targets)
    keys = None
    if isinstance(data, Dataset):
        raw = _core.sla_dataset(data._native, by, per, at, window, goals, confidence, threads)
    else:
        keys = frame_keys(data, by, "tickets")
        opened, first, resolved, unit, prio = _ticket_arrays(data, opened_col, first_response_col, resolved_col,
                                                              priority_col)
        raw = _core.sla_arrays(opened, first, resolved, unit, prio, [k.core() for k in keys], per, at, window, goals,
                               confidence, threads)
    out = to_frame(raw, by, keys, SLA_COLUMNS, source=data)
    out.attrs["as_of"] = moment(raw["as_of"])
    return out


def ticket_backlog(data: Any, by: str | Sequence[str] | None = None, as_of: Any = None, *,
                   opened_col: str = "opened_at", first_response_col: str = "first_response_at",
                   resolved_col: str = "resolved_at", priority_col: str = "priority") -> pd.DataFrame:
    """Open tickets as of T (opened before T, not resolved before T) by age T − opened_at:
    ``age_lt_1d, age_1_3d, age_3_7d, age_7_30d, age_ge_30d`` and their sum ``open``, per group of
    ``by`` (no period). T defaults as in :func:`sla_summary`: the end of a Dataset's data, or one
    second after the latest time in a tickets DataFrame."""
    by = as_by(by)
    data = source(data, "tickets")
    _, at, _ = scope(None, as_of, None)
    keys = None
    if isinstance(data, Dataset):
        raw = _core.backlog_dataset(data._native, by, at)
    else:
        keys = frame_keys(data, by, "tickets")
        opened, first, resolved, unit, prio = _ticket_arrays(data, opened_col, first_response_col, resolved_col,
                                                              priority_col)
        raw = _core.backlog_arrays(opened, first, resolved, unit, prio, [k.core() for k in keys], at)
    out = to_frame(raw, by, keys, BACKLOG_COLUMNS, period=False, source=data)
    out.attrs["as_of"] = moment(raw["as_of"])
    return out


__all__ = ["sla_summary", "ticket_backlog", "DEFAULT_TARGETS_HOURS", "PRIORITIES"]
