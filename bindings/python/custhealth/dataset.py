"""The portfolio a data team hands to custhealth: six long-format tables (DESIGN §2) sharing one
account dictionary, loaded from CSV files, pandas DataFrames or the synthetic generator."""

from __future__ import annotations

import os
import warnings
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._convert import (NO_TIME, check_time_unit, moment, number_column, seconds_to_datetime, string_column, time_column,
                       to_seconds)

TABLES: tuple[str, ...] = _core.ENUMS["table"]

# Each table's columns by their default names and kinds, in column order: the core's schema
# (table.hpp), the one list every loader and writer reads.
_SCHEMA: dict[str, dict[str, str]] = {table: {name: kind for name, kind, _required in columns}
                                      for table, columns in _core.SCHEMA.items()}
_DEFAULT_NAMES = sorted({c for cols in _SCHEMA.values() for c in cols})
# `<name>_col=` for every default column name, plus the short forms of the suffixed ones
# (account_col, user_col, opened_col, first_response_col, resolved_col, renewal_col).
_COL_KWARGS = {f"{name}_col": name for name in _DEFAULT_NAMES}
_COL_KWARGS.update({f"{name.rsplit('_', 1)[0]}_col": name for name in _DEFAULT_NAMES
                    if name.endswith(("_id", "_at", "_date"))})


def column_mapping(kwargs: Mapping[str, Any]) -> dict[str, str]:
    """`*_col=` keyword arguments to {default name: name in the input}; unknown ones are errors."""
    mapping = {}
    for key, value in kwargs.items():
        if key not in _COL_KWARGS:
            raise TypeError(f"unexpected keyword argument {key!r}")
        mapping[_COL_KWARGS[key]] = str(value)
    return mapping


def table_column_mapping(columns: Mapping[str, Mapping[str, str]] | None) -> dict[str, dict[str, str]]:
    """``columns={"usage": {"timestamp": "event_time"}}``: per table, {default name: name in the
    input}, checked against the tables' schemas (an unknown table or column is an error, not ignored)."""
    out: dict[str, dict[str, str]] = {}
    for table, names in (columns or {}).items():
        if table not in _SCHEMA:
            raise _core.InvalidInputError(f"columns: unknown table {table!r}: expected one of {', '.join(TABLES)}")
        if not isinstance(names, Mapping):
            raise TypeError(f"columns[{table!r}] must be a mapping {{default name: name in the input}}")
        for default in names:
            if default not in _SCHEMA[table]:
                raise _core.InvalidInputError(f"columns[{table!r}]: unknown column {default!r}: expected one of "
                                              f"{', '.join(_SCHEMA[table])}")
        out[table] = {str(k): str(v) for k, v in names.items()}
    return out


def _id_column(series: pd.Series) -> pd.Series:
    """Account ids as their kind: a float column whose values are all whole (integer ids that
    pandas made float because one is missing) is read as integers, so `12` and `12.0` are one id
    and print as `12`; a float id with a fraction stays as it is."""
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=np.float64)
        present = values[~np.isnan(values)]
        if np.all(present == np.floor(present)) and np.all(np.abs(present) < 2.0 ** 63):
            return series.astype("Int64")
    return series


class Dataset:
    """An immutable, validated and indexed portfolio.

    Parameters
    ----------
    usage, accounts, surveys, tickets, mrr, payments : pandas.DataFrame, optional
        Long-format tables with the columns of DESIGN §2. Times may be datetimes, ISO-8601
        strings or int64 epoch seconds. Numeric columns of dtype float64 and int64 time columns
        are read without a copy.
    strict : bool, default True
        Raise :class:`InvalidInputError` on the first bad row; with False, bad rows are counted
        in :attr:`ingest_report` and left out.
    csat_scale : int, default 5
        CSAT answers are integers 1..csat_scale.
    time_unit : {"s", "ms", "us", "ns"}, optional
        The unit of integer (or float) epoch times; default seconds. Datetimes and ISO strings are
        unaffected. Every time must lie in 1900..2199 (DESIGN §2): epoch milliseconds read as seconds
        are rejected with a hint to pass ``time_unit="ms"``.
    columns : mapping, optional
        Column names per table where they differ by table: ``{"usage": {"timestamp": "event_time"},
        "payments": {"timestamp": "paid_at"}}`` (default name → name in the frame); these win over
        ``*_col=`` for their table. An unknown table or column is an error.
    **cols
        Column names that differ from the defaults in every table: ``account_col="customer"``,
        ``timestamp_col="ts"``, ``score_col=...`` (``<default name>_col`` for any column).
    """

    #: A generated portfolio's ground truth (:func:`generate`); absent on loaded data.
    truth: pd.DataFrame

    def __init__(self, usage: pd.DataFrame | None = None, accounts: pd.DataFrame | None = None,
                 surveys: pd.DataFrame | None = None, tickets: pd.DataFrame | None = None,
                 mrr: pd.DataFrame | None = None, payments: pd.DataFrame | None = None, *,
                 strict: bool = True, csat_scale: int = 5, time_unit: str | None = None,
                 columns: Mapping[str, Mapping[str, str]] | None = None, **cols: str) -> None:
        mapping = column_mapping(cols)
        per_table = table_column_mapping(columns)
        unit = check_time_unit(time_unit)
        frames = {name: df for name, df in (("accounts", accounts), ("usage", usage), ("surveys", surveys),
                                            ("tickets", tickets), ("mrr", mrr), ("payments", payments))
                  if df is not None}

        def name_of(table: str, default: str) -> str:  # the input's name, as load_options::column
            return per_table.get(table, {}).get(default, mapping.get(default, default))

        for name, df in frames.items():
            if not isinstance(df, pd.DataFrame):
                raise TypeError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
            if name_of(name, "account_id") not in df.columns:
                raise _core.InvalidInputError(f"{name}: missing required column '{name_of(name, 'account_id')}'")
        # One account dictionary across tables, sorted, as the core keeps it.
        ids = [_id_column(df[name_of(name, "account_id")]) for name, df in frames.items()]
        # Integer ids come back as integers (so accounts.join(result) works), when every frame has them
        # (and they fit int64: uint64 ids beyond it stay text).
        int_frames = bool(ids) and all(pd.api.types.is_integer_dtype(i.dtype) for i in ids)
        if len({str(i.dtype) for i in ids}) > 1:
            # Concatenating an int64 and a float64 column would make every id a float (and ids
            # beyond 2^53 collide): mixed kinds meet as their text, the dictionary's form anyway.
            ids = [i.astype("string") for i in ids]
        all_ids = pd.concat(ids, ignore_index=True) if ids else pd.Series([], dtype=object)
        # Factorize the raw values, then make the (few) distinct ones text: converting only those
        # keeps 10 M integer ids fast. Distinct raw values can share a text (int 10 in one frame,
        # str "10" in another), so the texts are made unique again, sorted as the core's
        # dictionary is (integer ids 9 and 10 sort as "10" < "9"), and each raw value's code
        # becomes its text's rank.
        raw_codes, raw_uniques = pd.factorize(all_ids)
        names = np.array([str(u) for u in raw_uniques], dtype=object)
        uniques, rank = np.unique(names, return_inverse=True)
        codes = np.where(raw_codes < 0, -1, rank[np.maximum(raw_codes, 0)] if len(rank) else -1)
        id_values = list(uniques)  # one list for every table: the core converts it once
        tables: dict[str, dict[str, Any]] = {}
        start = 0
        for name, df in frames.items():
            converted: dict[str, Any] = {name_of(name, "account_id"): (codes[start:start + len(df)].astype(np.int64),
                                                                        id_values)}
            start += len(df)
            for default, kind in _SCHEMA[name].items():
                actual = name_of(name, default)
                if kind == "id" or actual not in df.columns:
                    continue
                series = df[actual]
                try:
                    converted[actual] = (time_column(series, unit) if kind in ("time", "month") else
                                         number_column(series) if kind == "number" else string_column(series))
                except ValueError as err:
                    raise _core.InvalidInputError(f"{name}: {err}") from None
            tables[name] = converted
        # Frames whose index is not 0..n-1 name a rejected row by its label (`surveys[label 300]`).
        labels = {name: df.index for name, df in frames.items()
                  if not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1)}
        self._native = _core.from_arrays(tables, strict, csat_scale, mapping, per_table, unit, labels)
        self._int_ids = int_frames and _canonical_integers(self._native.account_ids)

    @classmethod
    def _wrap(cls, native: Any) -> "Dataset":
        self = cls.__new__(cls)
        self._native = native
        return self

    # -- pickling: the columns travel, and the core seals them again on arrival --

    def __getstate__(self) -> dict[str, Any]:
        """Every table's columns (numpy arrays and dictionaries), the account ids, the ingest report
        of the original load, and whatever else the object carries (a generated portfolio's truth)."""
        tables: dict[str, dict[str, Any]] = {}
        for name in TABLES:
            columns: dict[str, Any] = {}
            for column, values in self._native.columns(name).items():
                if isinstance(values, tuple):
                    codes, names = values
                    columns[column] = (np.asarray(codes, dtype=np.int64), list(names))
                else:
                    columns[column] = np.array(values)  # a copy: the view's owner stays here
            tables[name] = columns
        state = {k: v for k, v in self.__dict__.items() if k not in ("_native", "_ids_index", "_typed_ids")}
        state.update(_tables=tables, _ids=list(self._native.account_ids), _report=self.ingest_report,
                     _csat_scale=self.csat_scale)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        tables, ids = state.pop("_tables"), state.pop("_ids")
        report, csat_scale = state.pop("_report"), state.pop("_csat_scale")
        self.__dict__.update(state)
        arrays: dict[str, dict[str, Any]] = {}
        for name, columns in tables.items():
            rows = len(columns["account_id"])
            # Accounts known only from event tables have no start and no accounts row of their own:
            # sealing gives them one again.
            keep = columns["start"] != NO_TIME if name == "accounts" and rows else np.ones(rows, dtype=bool)
            if not keep.any():
                continue
            kept = {}
            for column, values in columns.items():
                if isinstance(values, tuple):
                    codes, names = values
                    if len(codes) == rows:
                        # choices travel as their enum values: codes into the enum's names
                        kept[column] = (np.asarray(codes, dtype=np.int64)[keep], names)
                elif column == "account_id":
                    kept[column] = (values.astype(np.int64)[keep], ids)
                elif len(values) == rows:  # else an optional column the original input lacked
                    kept[column] = values[keep]
            arrays[name] = kept
        self._native = _core.from_arrays(arrays, True, csat_scale, {}, {}, "s", {})
        self._report = report

    def __eq__(self, other: object) -> bool:
        """Same accounts and the same rows in every table (the ingest report aside)."""
        if not isinstance(other, Dataset):
            return NotImplemented
        if self.account_ids != other.account_ids:
            return False
        for name in TABLES:
            if not self.table(name).equals(other.table(name)):  # columns, dtypes and values
                return False
        return True

    __hash__ = None  # type: ignore[assignment]  # compared by value

    @property
    def csat_scale(self) -> int:
        """The CSAT scale the surveys were validated against; CSAT summaries default to it."""
        return int(self._native.csat_scale)

    @property
    def n_accounts(self) -> int:
        return self._native.n_accounts

    @property
    def account_ids(self) -> list[str]:
        """Account ids in code order (sorted)."""
        return self._native.account_ids

    #: Whether the account ids are integers (int64 in results) rather than text: the DataFrame
    #: route's frames all had integer ids, or (read_csv) every id is a canonical decimal integer.
    _int_ids: bool = False

    @property
    def _ids(self) -> np.ndarray:
        """The account ids in code order with their type: int64, or an object array of str."""
        ids: np.ndarray | None = self.__dict__.get("_typed_ids")
        if ids is None:
            text = np.asarray(self._native.account_ids, dtype=object)
            ids = text.astype(np.int64) if self._int_ids and len(text) else text
            self._typed_ids = ids
        return ids

    def _account_index(self) -> pd.Index:
        """Every account, in code order, as the ``account_id`` index of per-account results: the
        accounts table's ids with their dtype. Built once (the dataset is immutable); each result gets
        a shallow copy (its name is its own), sharing the dtype, so comparing two is quick."""
        ids: pd.Index | None = self.__dict__.get("_ids_index")
        if ids is None:
            ids = pd.Index(self.table("accounts")["account_id"], name="account_id")
            self._ids_index = ids
        return ids.copy()

    def _default_as_of(self, tables: Sequence[str], what: str) -> int:
        """The default T of an analytic reading `tables` (DESIGN §2): the earliest end among those
        with rows, so that no table is read past its own end — with a warning when their ends are more
        than 7 days apart (a lagging table makes every later signal look like silence). The whole
        dataset's end when none of them has rows."""
        ends = {t: end for t in tables if (end := int(self._native.table_range(t)[1])) != 0}
        if not ends:
            return int(self._native.time_range[1])
        first, last = min(ends, key=ends.__getitem__), max(ends, key=ends.__getitem__)
        if ends[last] - ends[first] > 7 * 86_400:
            warnings.warn(f"{what}: as_of defaults to {moment(ends[first]).date()}, where the {first} table ends; "
                          f"{last} runs on to {moment(ends[last]).date()}. Pass as_of= to choose", UserWarning,
                          stacklevel=3)
        return ends[first]

    @property
    def ingest_report(self) -> dict[str, dict[str, Any]]:
        """Per table: source, read, accepted, rejected, duplicates, reasons (reason → count) and
        the first example messages. ``read == accepted + rejected`` always. (An unpickled dataset
        reports its original load.)"""
        return getattr(self, "_report", None) or self._native.ingest_report

    def table(self, name: str) -> pd.DataFrame:
        """One table as a DataFrame (times as UTC datetimes, ids and names as categoricals — account
        ids as int64 where they are integers, see ``_int_ids``). Every
        table comes back with all its columns — an empty or unloaded one with zero rows; an optional
        column the input lacked holds missing values (NaT, NaN, missing categories)."""
        columns = self._native.columns(name)
        ids = np.asarray(self._native.account_ids, dtype=object)
        rows = len(columns["account_id"])
        out: dict[str, Any] = {}
        for column, values in columns.items():
            if isinstance(values, tuple):
                codes, names = values
                codes = np.asarray(codes, dtype=np.int64)
                if len(codes) != rows:
                    codes = np.full(rows, -1, dtype=np.int64)
                out[column] = pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))
            elif column == "account_id" and self._int_ids:
                out[column] = self._ids[np.asarray(values, dtype=np.int64)]
            elif column == "account_id":
                out[column] = pd.Categorical.from_codes(np.asarray(values, dtype=np.int64),
                                                        categories=pd.Index(ids, dtype=object))
            elif values.dtype == np.int64:
                out[column] = seconds_to_datetime(values if len(values) == rows else np.full(rows, NO_TIME))
            else:
                out[column] = values if len(values) == rows else np.full(rows, np.nan)
        return pd.DataFrame(out)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table as a DataFrame, keyed by table name."""
        return {name: self.table(name) for name in TABLES}

    def to_csv(self, directory: str | os.PathLike[str]) -> None:
        """Writes the non-empty tables as ``<table>.csv`` files that :func:`read_csv` reads back."""
        _core.write_csv(self._native, os.fspath(directory))

    def __repr__(self) -> str:
        report = self.ingest_report
        sizes = ", ".join(f"{t}={report[t]['accepted']}" for t in TABLES if t in report and report[t]["accepted"])
        return f"<custhealth.Dataset: {self.n_accounts} accounts; {sizes}>"


def read_csv(usage: str | os.PathLike[str] | None = None, accounts: str | os.PathLike[str] | None = None,
             surveys: str | os.PathLike[str] | None = None, tickets: str | os.PathLike[str] | None = None,
             mrr: str | os.PathLike[str] | None = None, payments: str | os.PathLike[str] | None = None, *,
             directory: str | os.PathLike[str] | None = None, strict: bool = True, csat_scale: int = 5,
             time_unit: str | None = None, columns: Mapping[str, Mapping[str, str]] | None = None,
             **cols: str) -> Dataset:
    """Reads CSV files (RFC 4180, CRLF, a UTF-8 BOM) into a :class:`Dataset`.

    ``directory`` names a folder of ``usage.csv``, ``accounts.csv``, ...; single files override
    it. Errors name ``file:line: column 'x': reason``; ``strict=False`` counts bad rows in
    ``ingest_report`` instead. ``*_col=`` keyword arguments and ``columns=`` (per table) rename
    columns and ``time_unit`` gives the unit of integer epoch times, as in :class:`Dataset`.
    """
    paths = dict(_core.csv_directory(os.fspath(directory))) if directory is not None else {}
    for name, path in (("usage", usage), ("accounts", accounts), ("surveys", surveys), ("tickets", tickets),
                       ("mrr", mrr), ("payments", payments)):
        if path is not None:
            paths[name] = os.fspath(path)
    if not paths:
        raise ValueError("read_csv needs at least one file or a directory")
    ds = Dataset._wrap(_core.read_csv(paths, strict, csat_scale, column_mapping(cols), table_column_mapping(columns),
                                      check_time_unit(time_unit)))
    ds._int_ids = _canonical_integers(ds.account_ids)
    return ds


def _canonical_integers(ids: Sequence[str]) -> bool:
    """Whether every id is an integer written the one way int64 prints it (``-12``, not ``012``,
    ``+12``, ``12.0`` or `` 12``): such ids read back as the integers they are, as pandas.read_csv
    reads them, and nothing is lost by it."""
    if not ids:
        return False
    text = np.asarray(ids, dtype=object)
    try:
        values = text.astype(np.int64)
    except (ValueError, OverflowError):
        return False
    return bool((values.astype(str).astype(object) == text).all())


def generate(n_accounts: int = 1000, days: int = 730, seed: int = 7, end: Any = "2025-01-01",
             payments: bool = True) -> Dataset:
    """A synthetic portfolio whose latent account health drives usage, surveys, tickets, revenue,
    payments and churn; bit-for-bit the same for a seed. The ground truth is in ``.truth``
    (a DataFrame indexed by account id: true_health and true_churn_probability at the end of the data,
    churned, and base_health — the account's long-run health level, a parameter of the simulation, so
    the one truth that says nothing about what happened after a past date)."""
    if n_accounts < 0 or days <= 0:
        raise ValueError("n_accounts must be ≥ 0 and days > 0")
    native, truth = _core.generate(int(n_accounts), int(days), int(seed), to_seconds(end), bool(payments))
    ds = Dataset._wrap(native)
    ds.truth = pd.DataFrame(truth, index=pd.Index(native.account_ids, name="account_id"))
    return ds


def as_dataset(data: Any) -> Dataset:
    """A Dataset as it is; a dict of DataFrames ({"usage": df, ...}) made into one."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, Mapping):
        return Dataset(**data)
    raise TypeError(f"expected a custhealth.Dataset or a dict of DataFrames, got {type(data).__name__}")


__all__ = ["Dataset", "read_csv", "generate", "as_dataset", "TABLES", "NO_TIME"]
