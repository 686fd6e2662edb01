"""What the grouped aggregates (feedback, support, payments) share at the Python edge: DataFrame
columns handed to the core in place (datetime64[ns] times, float64 numbers, categorical codes),
the time-axis arguments, and the core's grouped results turned into DataFrames."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence, cast

import numpy as np
import pandas as pd

from . import _core
from ._convert import NO_TIME, check_period, epoch_seconds, name_list, number_column, seconds_to_datetime, to_seconds
from .dataset import Dataset, as_dataset

NS_PER_SECOND = 1_000_000_000


def invalid(message: str) -> Exception:
    return _core.InvalidInputError(message)


def as_by(by: str | Sequence[str] | None) -> list[str]:
    return name_list(by) or []


def source(data: Any, table: str) -> Dataset | pd.DataFrame:
    """A Dataset (or a dict of DataFrames made into one), or a DataFrame of `table` as it is."""
    if isinstance(data, (Dataset, pd.DataFrame)):
        return data
    if isinstance(data, Mapping):
        return as_dataset(data)
    raise TypeError(f"expected a custhealth.Dataset or a {table} DataFrame, got {type(data).__name__}")


def scope(period: str | None, as_of: Any, window_days: int | None) -> tuple[str | None, int | None, int]:
    """(period, as-of seconds, window days) for the core; a window replaces the period."""
    if period is not None:
        try:
            check_period(period)
        except ValueError as err:
            raise invalid(str(err)) from None
    if window_days is not None and (isinstance(window_days, bool) or int(window_days) != window_days
                                    or window_days < 1):
        # 0 used to mean "no window" to the core and was silently ignored (issue 12).
        raise invalid(f"window_days must be a whole number of days ≥ 1, got {window_days!r}")
    seconds = None
    if as_of is not None:
        try:
            seconds = to_seconds(as_of)
        except (ValueError, TypeError) as err:
            raise invalid(f"as_of: {err}") from None
    return period, seconds, int(window_days or 0)


def column(df: pd.DataFrame, name: str, table: str) -> pd.Series:
    if name not in df.columns:
        raise invalid(f"{table}: missing required column '{name}'")
    return df[name]


def ticks(series: pd.Series, name: str) -> tuple[np.ndarray, int]:
    """A time column as (int64 ticks since the epoch in UTC, ticks per second); NaT / missing as
    INT64_MIN. datetime64 columns (naive = UTC, or tz-aware) and int64 epoch seconds are read in
    place; strings are parsed once as ISO-8601."""
    # Unlike _convert.time_column, datetimes stay nanoseconds: dividing them down to seconds would copy.
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return np.asarray(series.array.asi8), NS_PER_SECOND  # UTC nanoseconds, a view
    try:
        seconds = epoch_seconds(series, name)
    except ValueError as err:
        raise invalid(str(err)) from None
    if seconds is not None:
        return seconds, 1
    try:
        parsed = pd.to_datetime(series, utc=True)
    except (ValueError, TypeError) as err:
        raise invalid(f"column '{name}': cannot parse as a date or time: {err}") from None
    return np.asarray(cast(Any, parsed.array).asi8), NS_PER_SECOND


def optional_ticks(df: pd.DataFrame, name: str, unit: int) -> np.ndarray | None:
    """An optional time column in the given unit (None when the DataFrame lacks it)."""
    if name not in df.columns:
        return None
    values, got = ticks(df[name], name)
    if got == unit:
        return values
    scale = unit // got if unit > got else None
    if scale is None:
        raise invalid(f"column '{name}': mixed time units")
    return np.where(values == NO_TIME, NO_TIME, values * scale)


def numbers(series: Any, name: str) -> np.ndarray:
    """float64 values, in place when the column already is float64."""
    try:
        values = number_column(series, name)
    except ValueError as err:
        raise invalid(str(err)) from None
    if values.ndim != 1:
        raise invalid(f"'{name}': expected a one-dimensional array")
    return values


class Key:
    """One grouping key of a DataFrame: integer codes for the core (categorical codes read in place,
    anything else factorized once, missing values as −1) and the way back to the key's values."""

    def __init__(self, name: str, series: pd.Series) -> None:
        self.name = name
        if isinstance(series.dtype, pd.CategoricalDtype):
            self.codes = series.cat.codes.to_numpy()
            self.values: Any = series.cat.categories
            self.dtype: Any = series.dtype
        else:
            codes, uniques = pd.factorize(series, sort=True)
            self.codes, self.values, self.dtype = codes, uniques, None
        self.labels = [str(v) for v in self.values]

    def core(self) -> tuple[str, np.ndarray, list[str]]:
        return self.name, self.codes, self.labels

    def column(self, codes: np.ndarray, input_codes: np.ndarray) -> Any:
        """The key's values for the groups (`codes` index the result's labels, −1 = missing)."""
        codes = np.asarray(codes, dtype=np.int64)
        safe = input_codes[np.maximum(codes, 0)] if len(input_codes) else np.zeros_like(codes)
        index = np.where(codes < 0, -1, safe).astype(np.int64)
        if self.dtype is not None:
            return pd.Categorical.from_codes(index, dtype=self.dtype)
        # The array, not the Index: Index.take reads −1 as "the last value", arrays as "missing".
        return pd.Index(self.values).array.take(index, allow_fill=True)


def enum_codes(series: pd.Series, name: str, choices: Sequence[str], what: str, table: str,
               missing: str | None = None) -> np.ndarray:
    """A column of labels as the core's enumeration codes (uint8: the label's position in `choices`).
    Raises for a label not in `choices`, and for a missing value (naming its row) unless `missing`
    names the label it stands for."""
    key = Key(name, series)
    if missing is None and (key.codes < 0).any():
        raise invalid(f"{table}[{int(np.argmax(key.codes < 0))}]: column '{name}' is empty")
    unknown = sorted(set(key.labels) - set(choices))
    if unknown:
        raise invalid(f"column '{name}': unknown {what} {unknown[0]!r}: expected one of {', '.join(choices)}")
    # A missing value's code −1 reads the table's last entry: the code of `missing`.
    lut = np.array([choices.index(label) for label in key.labels] + [choices.index(missing or choices[0])],
                   dtype=np.uint8)
    return lut[key.codes]


def frame_keys(df: pd.DataFrame, by: list[str], table: str) -> list[Key]:
    keys = []
    for name in by:
        if name not in df.columns:
            raise invalid(f"{table}: unknown key '{name}': not a column of the DataFrame")
        keys.append(Key(name, df[name]))
    return keys


ACCOUNT_KEYS = ("account_id", "account")


def to_frame(raw: Mapping[str, Any], by: list[str], keys: list[Key] | None, columns: Sequence[str],
             extra: Mapping[str, Callable[[Mapping[str, Any]], Any]] | None = None,
             period: bool = True, source: Any = None) -> pd.DataFrame:
    """The DataFrame of a grouped result: the key columns (named as in `by`), `period` (the start of
    the period or window, NaT over all time), then `columns`; sorted by keys (missing first) and period.
    `source`: the Dataset of a Dataset's result, whose integer account ids come back as integers."""
    data: dict[str, Any] = {}
    int_ids = isinstance(source, Dataset) and source._int_ids
    for i, name in enumerate(by):
        codes = np.asarray(raw["codes"][i])
        if keys is None and int_ids and name in ACCOUNT_KEYS and (codes >= 0).all():
            data[name] = np.asarray(raw["labels"][i], dtype=object).astype(np.int64)[codes.astype(np.int64)]
        elif keys is None:  # a Dataset's keys: the labels themselves
            data[name] = pd.Categorical.from_codes(codes, categories=raw["labels"][i])
        else:
            data[name] = keys[i].column(codes, np.asarray(raw["input_codes"][i]))
    if period:
        data["period"] = seconds_to_datetime(raw["start"])
    native = raw["columns"]
    for c in columns:
        data[c] = extra[c](native) if extra and c in extra else np.asarray(native[c])
    out = pd.DataFrame(data)
    order = by + (["period"] if period else [])
    if order and len(out) > 1:
        try:
            out = out.sort_values(order, na_position="first", kind="stable", ignore_index=True)
        except TypeError:  # keys of mixed types: keep the core's order (by the keys' text)
            pass
    return out
