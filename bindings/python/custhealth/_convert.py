"""Conversions at the Python edge: times to int64 UTC seconds and back, pandas columns to the
arrays the compiled core reads (numeric arrays without a copy when their dtype fits)."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import _core

#: The core's marker of an absent time (INT64_MIN), shown as NaT in DataFrames.
NO_TIME = np.iinfo(np.int64).min

PERIODS: tuple[str, ...] = _core.ENUMS["period"]


def to_seconds(value: Any) -> int:
    """One moment as int64 UTC epoch seconds: an ISO-8601 string, a date/datetime, a pandas or
    numpy timestamp, or an integer already in epoch seconds. Naive times are taken as UTC."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    ts = pd.Timestamp(value)
    if pd.isna(ts):
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


#: Ticks per second of each ``time_unit`` (pandas' names), as the core's parse_time_unit.
TIME_UNITS: dict[str, int] = _core.DEFAULTS["ticks_per_second"]

#: Integer times beyond ±2⁶² are far outside the plausible span the core checks (1900–2200); they
#: are clipped there so that they stay implausible instead of wrapping or turning into NO_TIME.
_FAR = np.int64(1) << np.int64(62)


def check_time_unit(unit: str | None) -> str:
    if unit is None:
        return "s"
    if unit not in TIME_UNITS:
        raise ValueError(f"unknown time_unit {unit!r}: expected one of {', '.join(TIME_UNITS)}")
    return unit


def epoch_seconds(series: pd.Series, name: Any, unit: str = "s") -> np.ndarray | None:
    """An integer or float column of epoch times in `unit` as int64 epoch seconds (floored; NO_TIME
    for NaN); None for other dtypes. A fractional second is a ValueError naming the column `name`."""
    ticks = TIME_UNITS[unit]
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_unsigned_integer_dtype(series):
        values: np.ndarray = np.minimum(series.to_numpy(dtype=np.uint64), np.uint64(_FAR)).astype(np.int64)
        return values // ticks if ticks != 1 else values
    if pd.api.types.is_integer_dtype(series):
        values = series.to_numpy(dtype=np.int64)  # no copy when already int64
        return np.floor_divide(values, ticks) if ticks != 1 else np.asarray(values)
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=np.float64)
        missing = np.isnan(values)
        if ticks == 1 and not np.all(missing | (values == np.floor(values))):
            raise ValueError(f"column '{name}': fractional epoch seconds")
        clipped = np.clip(np.where(missing, 0.0, values), -float(_FAR), float(_FAR))
        return np.where(missing, NO_TIME, np.floor_divide(clipped.astype(np.int64), ticks))
    return None


def time_column(series: pd.Series, unit: str = "s") -> Any:
    """A time column for the core: int64 seconds (NO_TIME for missing), or factorized strings
    that the core parses with the same ISO-8601 parser as the CSV reader. Integers are epoch times
    in `unit`; datetimes are instants whatever the unit."""
    if pd.api.types.is_datetime64_any_dtype(series):
        s = series
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = s.to_numpy(dtype="datetime64[ns]").view("int64")
        out = np.floor_divide(ns, 1_000_000_000)
        out[ns == NO_TIME] = NO_TIME
        return out
    seconds = epoch_seconds(series, series.name, unit)
    return string_column(series) if seconds is None else seconds


def number_column(series: Any, name: Any = None) -> np.ndarray:
    """float64 values of a Series, an Index or anything numpy reads (a list), without a copy when
    already float64. Not numbers: a ValueError naming the column `name` (default: the Series' name)."""
    dtype = getattr(series, "dtype", None)
    if (dtype is not None and pd.api.types.is_bool_dtype(dtype)) or (
            isinstance(series, (list, tuple)) and any(isinstance(v, (bool, np.bool_)) for v in series)):
        # True would become 1.0: a score of 1 nobody gave.
        raise ValueError(f"column '{getattr(series, 'name', None) if name is None else name}' must be numeric, "
                         "got booleans")
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


def one_dimensional(values: Any, name: str) -> np.ndarray:
    """A 1-D numpy array of `values` (list, ndarray, pandas Series or Index), without a copy when
    possible. Nullable pandas columns (Int64, Float64, boolean) become float64 with NaN for missing,
    which the core's checks then name by index."""
    if isinstance(values, (pd.Series, pd.Index)):
        if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) and (
                pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)):
            values = values.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            values = values.to_numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise _core.InvalidInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr
