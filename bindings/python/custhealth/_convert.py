"""Conversions at the Python edge: times to int64 UTC seconds and back, pandas columns to the
arrays the compiled core reads (numeric arrays without a copy when their dtype fits)."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Sequence

import numpy as np
import pandas as pd

#: The core's marker of an absent time (INT64_MIN), shown as NaT in DataFrames.
NO_TIME = np.iinfo(np.int64).min

PERIODS = ("D", "W", "M", "Q")


def to_seconds(value: Any) -> int:
    """One moment as int64 UTC epoch seconds: an ISO-8601 string, a date/datetime, a pandas or
    numpy timestamp, or an integer already in epoch seconds. Naive times are taken as UTC."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"not a time: {value!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.value // 1_000_000_000)


def seconds_to_datetime(seconds: np.ndarray) -> pd.DatetimeIndex:
    """int64 UTC seconds (NO_TIME for absent) to timezone-naive UTC datetimes (NaT for absent)."""
    seconds = np.asarray(seconds, dtype=np.int64)
    missing = seconds == NO_TIME
    ns = np.where(missing, 0, seconds).astype("int64") * 1_000_000_000
    out = ns.view("datetime64[ns]").copy()
    out[missing] = np.datetime64("NaT")
    return pd.DatetimeIndex(out)


def moment(seconds: int) -> pd.Timestamp:
    """One count of UTC seconds as a timestamp (NaT for NO_TIME)."""
    return seconds_to_datetime(np.array([seconds], dtype=np.int64))[0]


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}: expected one of {', '.join(PERIODS)}")
    return period


def epoch_seconds(series: pd.Series, name: Any) -> np.ndarray | None:
    """An integer or float column as int64 epoch seconds (NO_TIME for NaN); None for other dtypes.
    A fractional second is a ValueError naming the column `name`."""
    if pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.int64)  # no copy when already int64
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy()
        missing = np.isnan(values)
        if not np.all(missing | (values == np.floor(values))):
            raise ValueError(f"column '{name}': fractional epoch seconds")
        return np.where(missing, NO_TIME, values).astype(np.int64)
    return None


def time_column(series: pd.Series) -> Any:
    """A time column for the core: int64 seconds (NO_TIME for missing), or factorized strings
    that the core parses with the same ISO-8601 parser as the CSV reader."""
    if pd.api.types.is_datetime64_any_dtype(series):
        s = series
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = s.to_numpy(dtype="datetime64[ns]").view("int64")
        out = np.floor_divide(ns, 1_000_000_000)
        out[ns == NO_TIME] = NO_TIME
        return out
    seconds = epoch_seconds(series, series.name)
    return string_column(series) if seconds is None else seconds


def number_column(series: Any, name: Any = None) -> np.ndarray:
    """float64 values of a Series, an Index or anything numpy reads (a list), without a copy when
    already float64. Not numbers: a ValueError naming the column `name` (default: the Series' name)."""
    try:
        if isinstance(series, (pd.Series, pd.Index)):
            return series.to_numpy(dtype=np.float64)
        return np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"column '{series.name if name is None else name}' must be numeric: {err}") from None


def name_list(names: str | Sequence[str] | None) -> list[str] | None:
    """One name or several as a list of str; None stays None (for `events`, "all", unlike an empty list)."""
    if names is None:
        return None
    return [names] if isinstance(names, str) else [str(n) for n in names]


def string_column(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Strings as (int64 codes, −1 for missing; the distinct values as str)."""
    codes, uniques = pd.factorize(series)
    return codes.astype(np.int64, copy=False), [str(u) for u in uniques]
