"""custhealth over dask DataFrames (DESIGN §5, §7): the same calls as the single-process package, for
data spread over a Dask cluster.

``import custhealth.dask as chd``; every function takes dask collections where ``custhealth`` takes
pandas ones and returns what ``custhealth`` returns (pandas objects, small). Each call runs in three
steps, none of which re-implements a statistic:

1. per partition, the C++ core computes the analytic's **partial state** on that partition's rows —
   the step the single-process call runs on all rows, stopped before the result (``NpsState``,
   ``SlaState``, ``PaymentsState``, ``CohortState``, ``LifecycleState``, ``RevenueState``, ``KmState``);
2. the states, pickled, are combined on the workers by a tree of ``dask.delayed`` merges
   (``split_every`` states per node, the core's exact ``merge``); only the root's state reaches the client;
3. the client turns the one merged state into the result, through the same code as the single-process
   call.

The numbers equal the single-process call on the concatenated partitions: to the bit for counts and
for everything computed from them (NPS, CSAT, CES, SLA counts, rates and duration quantiles, cohort
and lifecycle counts, unweighted Kaplan–Meier curves and log-rank tests) and for payment volumes
(double-double sums, correctly rounded in any order while a group's total stays below ~2⁵³ × its
smallest amount); revenue cohorts and revenue retention (MRR sums) and weighted
Kaplan–Meier / log-rank (weight sums) are float sums merged in another order and may differ in the
last bits.

Partitioning: the row-wise aggregates (``feedback_summary``, ``sla_summary``, ``payments_summary``,
``KaplanMeier.fit``, ``logrank_test``) accept any partitioning — their states are sums over rows, so an
account split across partitions merges correctly. ``cohort_retention``, ``lifecycle`` and
``revenue_retention`` classify each *account* from all its rows (its first active period, its activity
in the previous period, its MRR months apart), so they
need frames **partitioned by account**: an account id found in two partitions is refused with an error
naming the id and both partitions (``ddf.shuffle("account_id")`` or ``ddf.set_index("account_id")``
partitions by account). ``signals`` and ``score`` compute each partition as one dataset, so they too
need every table partitioned by account alike; what compares accounts with each other (the
``CROSS_ACCOUNT_SIGNALS``, cards with a ``percentile`` map) is refused.

Defaults that depend on all the data (the as-of time of ``sla_summary``, ``cohort_retention`` and
``lifecycle``; with them the event names of an ``events`` filter and the account ids of
``cohort_by="start"``; ``revenue_retention``'s month range) cost one more pass over the partitions;
pass ``as_of=`` to save it where that is all it is for.
Trailing windows (``window_days``) of ``feedback_summary`` and ``payments_summary`` need ``as_of``.

Errors: a wrong column or dtype raises the single-process call's error before anything runs (the
partition step is first run on the frame's empty ``_meta``); a partition whose rows are refused raises
the core's error prefixed with ``partition i of n`` (row numbers in it count from that partition's
first row).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Mapping, Sequence, TypeVar, cast

import numpy as np
import pandas as pd

import dask.dataframe as dd
from dask.delayed import delayed

from . import _core, feedback as _feedback, payments as _payments, retention as _retention
from . import support as _support, survival as _survival
from ._core import InvalidInputError
from ._convert import moment, name_list, number_column, string_column, time_column
from ._grouping import as_by, frame_keys, scope, to_frame
from .dataset import Dataset, _id_column

S = TypeVar("S")

#: States merged per node of the reduction tree (dask.bag's default is 8).
SPLIT_EVERY = 8


# ---- the reduction ----

def _frame(data: Any, what: str, table: str) -> Any:
    """`data` if it is a dask DataFrame; a clear TypeError for anything else (pandas frames included)."""
    if isinstance(data, dd.DataFrame):
        return data
    hint = f" (use custhealth.{what} for a pandas DataFrame)" if isinstance(data, pd.DataFrame) else ""
    raise TypeError(f"custhealth.dask.{what}: expected a dask DataFrame of {table}, got "
                    f"{type(data).__module__}.{type(data).__name__}{hint}")


def _series(data: Any, what: str, name: str) -> Any:
    if isinstance(data, dd.Series):
        return data
    hint = f" (use custhealth.{what} for pandas and numpy)" if isinstance(data, (pd.Series, np.ndarray, list)) else ""
    raise TypeError(f"custhealth.dask.{what}: {name} must be a dask Series, got "
                    f"{type(data).__module__}.{type(data).__name__}{hint}")


def _in_partition(err: Exception, what: str, i: int, n: int) -> Exception:
    """The partition's error with its index in front, of the same type when that type takes a message."""
    message = f"custhealth.dask.{what}: partition {i} of {n}: {err}"
    if isinstance(err, InvalidInputError):
        return InvalidInputError(message)
    if type(err) in (ValueError, TypeError, KeyError, OverflowError):
        return type(err)(message)
    return err


def _step(step: Callable[..., S | None], what: str, i: int, n: int, *parts: Any) -> S | None:
    """One partition's state."""
    try:
        return step(*parts)
    except Exception as err:  # noqa: BLE001 — re-raised, with the partition's index
        raise _in_partition(err, what, i, n) from err


def _merge_all(merge: Callable[[S, S], S], states: Any) -> S | None:
    """The merge of the states of a node of the tree (None: an empty partition)."""
    present = [s for s in states if s is not None]
    return functools.reduce(merge, present) if present else None


def _reduce(what: str, collections: Sequence[Any], step: Callable[..., S | None], merge: Callable[[S, S], S],
            split_every: int | None, indexed: bool = False, per_partition: Sequence[Any] | None = None) -> S | None:
    """step(*partitions) on each partition (the i-th partition of every collection; with `indexed`,
    step(i, *partitions); with `per_partition`, its i-th item after the partitions), then a tree
    reduction of the states with `merge`; None when every partition was empty."""
    lengths = {c.npartitions for c in collections}
    if len(lengths) != 1:
        raise InvalidInputError(f"custhealth.dask.{what}: the inputs are partitioned differently "
                                f"({', '.join(str(c.npartitions) for c in collections)} partitions): pass columns "
                                "of one dask DataFrame")
    parts = list(zip(*(c.to_delayed() for c in collections)))
    if per_partition is not None:
        parts = [(*p, delayed(extra, pure=True)) for p, extra in zip(parts, per_partition)]
    n = len(parts)
    level = [delayed(_step, pure=True)(functools.partial(step, i) if indexed else step, what, i, n, *p)
             for i, p in enumerate(parts)]
    # The tree: each node merges up to split_every states of the level below, on a worker; only the
    # root's state travels to the client. (dask.bag's reduction builds the same tree, but loses the
    # partitions of some dask-expr collections, e.g. from_delayed(..., verify_meta=False).)
    width = max(2, split_every or SPLIT_EVERY)
    while len(level) > 1:
        level = [delayed(_merge_all, pure=True)(merge, level[i:i + width]) for i in range(0, len(level), width)]
    if not level:
        return None
    result: S | None = level[0].compute()
    return result


def _merge_states(a: Any, b: Any) -> Any:
    return a.merge(b)


def _meta(collection: Any) -> Any:
    """The collection's empty pandas object, with its columns and dtypes."""
    return collection._meta


# ---- account partitioning ----

class _Accounts:
    """The account ids of some partitions, each with the partition it came from. Merging two refuses
    an id present in both (an account split across partitions); the check hashes the ids (no sort)."""

    def __init__(self, ids: np.ndarray, partition: np.ndarray) -> None:
        self.ids, self.partition = ids, partition

    @classmethod
    def of(cls, ids: Any, i: int) -> "_Accounts":
        return cls.unique(np.asarray(pd.unique(pd.Series(ids).dropna())), i)

    @classmethod
    def unique(cls, ids: np.ndarray, i: int) -> "_Accounts":
        return cls(ids, np.full(len(ids), i, dtype=np.int64))

    @classmethod
    def of_dataset(cls, ds: Dataset, i: int) -> "_Accounts":
        """The accounts of a partition's dataset: its id dictionary (the ids as text, unique already —
        cheaper than the unique ids of the rows)."""
        return cls.unique(np.asarray(ds._native.account_ids, dtype=object), i)

    def merge(self, other: "_Accounts", what: str) -> "_Accounts":
        ids = np.concatenate([self.ids, other.ids])
        partition = np.concatenate([self.partition, other.partition])
        repeated = pd.Index(ids).duplicated()
        if repeated.any():
            first = sorted(set(ids[repeated]))[0]
            a, b = sorted(int(p) for p in partition[ids == first])[:2]
            raise InvalidInputError(
                f"custhealth.dask.{what}: account {first!r} appears in partitions {a} and {b}; {what} needs "
                "all of an account's rows in one partition: partition the frame by account first (e.g. "
                "ddf.shuffle('account_id') or ddf.set_index('account_id'))")
        return _Accounts(ids, partition)


class _ByAccount:
    """A partial state with the accounts it covers, for the analytics that need whole accounts."""

    def __init__(self, state: Any, accounts: _Accounts) -> None:
        self.state, self.accounts = state, accounts


def _by_account(what: str) -> Callable[[_ByAccount, _ByAccount], _ByAccount]:
    def merge(a: _ByAccount, b: _ByAccount) -> _ByAccount:
        accounts = a.accounts.merge(b.accounts, what)
        if a.state is None or b.state is None:
            return _ByAccount(a.state if b.state is None else b.state, accounts)
        return _ByAccount(a.state.merge(b.state), accounts)
    return merge


# ---- keys of grouped results ----

#: dask's placeholder for the categories of a categorical column it has not read.
UNKNOWN_CATEGORIES = "__UNKNOWN_CATEGORIES__"


class _LabelKey:
    """A grouping key of merged partition states, for to_frame: the core matched the partitions'
    groups by their labels (the key values as text), so the values come back from the labels, in the
    frame's dtype (the partitions' input codes mean nothing together)."""

    def __init__(self, meta: pd.Series, labels: Sequence[str]) -> None:
        self.dtype, self.labels = meta.dtype, list(labels)

    def column(self, codes: np.ndarray, _input_codes: np.ndarray) -> Any:
        codes, labels = np.asarray(codes, dtype=np.int64), self.labels
        text = pd.Series(list(labels), dtype=object)
        if isinstance(self.dtype, pd.CategoricalDtype):
            categories = list(self.dtype.categories)
            if UNKNOWN_CATEGORIES in categories:  # dask has not read them: the categories that occur
                return pd.Categorical(text.array.take(codes, allow_fill=True))
            position = {str(c): i for i, c in enumerate(categories)}
            label_codes = np.array([position[label] for label in labels] + [-1], dtype=np.int64)
            return pd.Categorical.from_codes(label_codes[np.where(codes < 0, -1, codes)], dtype=self.dtype)
        if pd.api.types.is_bool_dtype(self.dtype):
            typed: Any = text.map({"True": True, "False": False}).astype(bool).array
        elif pd.api.types.is_object_dtype(self.dtype):
            typed = text.array
        else:
            typed = text.astype(self.dtype).array
        return typed.take(codes, allow_fill=True)


def _grouped_frame(raw: Mapping[str, Any], by: list[str], meta: pd.DataFrame, columns: Sequence[str],
                   extra: Mapping[str, Callable[[Mapping[str, Any]], Any]] | None = None) -> pd.DataFrame:
    """The single-process DataFrame of a merged grouped state (keys back in the frame's dtypes)."""
    keys: Any = [_LabelKey(meta[name], raw["labels"][i]) for i, name in enumerate(by)]
    return to_frame(raw, by, keys, columns, extra=extra)


def _check_window(what: str, window_days: int | None, as_of: Any) -> None:
    if window_days is not None and as_of is None:
        raise InvalidInputError(f"custhealth.dask.{what}: a trailing window needs as_of (its default, the end "
                                "of all the data, would cost a pass of its own; pass as_of=)")


def _run(what: str, data: Any, step: Callable[[pd.DataFrame], Any], split_every: int | None) -> Any:
    """The row-wise aggregates: the step checked on the frame's meta (the single-process errors for
    wrong columns and dtypes, before anything runs), then run and merged over the partitions."""
    step(_meta(data))
    return _reduce(what, [data], step, _merge_states, split_every)


# ---- surveys, support, payments ----

def feedback_summary(data: Any, kind: str = "nps", by: str | Sequence[str] | None = None, period: str | None = "M",
                     as_of: Any = None, window_days: int | None = None, *, scale: int | None = None,
                     top_boxes: int = 2, confidence: float = 0.95, time_col: str = "timestamp",
                     score_col: str = "score", kind_col: str = "kind",
                     split_every: int | None = None) -> pd.DataFrame:
    """:func:`custhealth.feedback_summary` over a dask DataFrame of survey answers (any partitioning).

    The same arguments and result; ``window_days`` needs ``as_of``. ``split_every``: states merged per
    node of the reduction tree (default 8). Counts merge exactly: the result equals the single-process
    call on the concatenated partitions to the bit.
    """
    data = _frame(data, "feedback_summary", "survey answers")
    by = as_by(by)
    _check_window("feedback_summary", window_days, as_of)

    def step(part: pd.DataFrame) -> Any:
        state, _ = _feedback._raw(part, kind, by, period, as_of, window_days, scale, top_boxes, confidence,
                                  time_col, score_col, kind_col, state=True)
        return state

    state = _run("feedback_summary", data, step, split_every)
    return _grouped_frame(state.result(), by, _meta(data), _feedback.COLUMNS[kind])


def payments_summary(data: Any, by: str | Sequence[str] | None = None, period: str | None = "M", as_of: Any = None,
                     window_days: int | None = None, *,
                     chargeback_warning: float = _payments.DEFAULT_THRESHOLDS["chargeback_warning"],
                     chargeback_breach: float = _payments.DEFAULT_THRESHOLDS["chargeback_breach"],
                     time_col: str = "timestamp", type_col: str = "type", amount_col: str = "amount",
                     currency_col: str | None = None, split_every: int | None = None) -> pd.DataFrame:
    """:func:`custhealth.payments_summary` over a dask DataFrame of payments (any partitioning).

    The same arguments and result; ``window_days`` needs ``as_of``. Counts merge exactly, and volumes
    are compensated sums whose merge is correctly rounded in any order: equal to the single-process
    call to the bit.
    """
    data = _frame(data, "payments_summary", "payments")
    by = as_by(by)
    _check_window("payments_summary", window_days, as_of)
    per, at, window = scope(period, as_of, window_days)
    warning, breach = float(chargeback_warning), float(chargeback_breach)

    if currency_col is not None and currency_col not in data.columns:
        raise InvalidInputError(f"payments: no currency column {currency_col!r} (columns: {list(data.columns)})")

    def step(part: pd.DataFrame) -> Any:
        return _payments._frame_raw(part, by, per, at, window, warning, breach, time_col, type_col, amount_col,
                                    state=True, currency_col=currency_col)[0]

    state = _run("payments_summary", data, step, split_every)
    return _grouped_frame(state.result(), by, _meta(data), _payments.COLUMNS, extra={"flag": _payments._flag})


def _max_end(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def sla_summary(data: Any, by: str | Sequence[str] | None = None, period: str | None = "M", as_of: Any = None,
                targets: Mapping[str, Any] | None = None, *, window_days: int | None = None,
                confidence: float = 0.95, opened_col: str = "opened_at",
                first_response_col: str = "first_response_at", resolved_col: str = "resolved_at",
                priority_col: str = "priority", split_every: int | None = None) -> pd.DataFrame:
    """:func:`custhealth.sla_summary` over a dask DataFrame of tickets (any partitioning).

    The same arguments and result. The default T (the end of the tickets) takes one pass of its own.
    The state carries the counts and every response and resolution time (medians do not merge), so
    the counts, rates and quantiles equal the single-process call to the bit.
    """
    data = _frame(data, "sla_summary", "tickets")
    by = as_by(by)
    per, at, window = scope(period, as_of, window_days)
    goals = _support._targets(targets)

    def arrays(part: pd.DataFrame) -> tuple[Any, ...]:
        return _support._ticket_arrays(part, opened_col, first_response_col, resolved_col, priority_col)

    def end(part: pd.DataFrame) -> int | None:
        opened, first, resolved, unit, _ = arrays(part)
        t = int(_core.tickets_end(opened, first, resolved, unit))
        return None if t == np.iinfo(np.int64).min else t

    def step(at: int, part: pd.DataFrame) -> Any:
        keys = frame_keys(part, by, "tickets")
        opened, first, resolved, unit, prio = arrays(part)
        return _core.sla_state_arrays(opened, first, resolved, unit, prio, [k.core() for k in keys], per, at,
                                      window, goals, confidence)

    frame_keys(_meta(data), by, "tickets")
    arrays(_meta(data))
    if at is None:
        at = _reduce("sla_summary", [data], end, _max_end, split_every)
        if at is None:  # no tickets at all: the single-process result of an empty table
            return _support.sla_summary(_meta(data), by, period, None, targets, window_days=window_days,
                                        confidence=confidence, opened_col=opened_col,
                                        first_response_col=first_response_col, resolved_col=resolved_col,
                                        priority_col=priority_col)
    state = _reduce("sla_summary", [data], functools.partial(step, at), _merge_states, split_every)
    assert state is not None  # the tickets have an end, so some partition has rows
    raw = state.result()
    out = _grouped_frame(raw, by, _meta(data), _support.SLA_COLUMNS)
    out.attrs["as_of"] = moment(raw["as_of"])
    return out


# ---- retention: whole accounts per partition ----

def _dataset(frames: Mapping[str, pd.DataFrame]) -> Dataset:
    tables: dict[str, Any] = dict(frames)
    return Dataset(**tables)


def _usage_dataset(part: pd.DataFrame, table: str) -> Dataset:
    return _dataset({table: part})


#: The usage columns the light ingest accepts (DESIGN §2's usage table).
_USAGE_COLUMNS = frozenset(("account_id", "timestamp", "event", "value", "user_id"))


def _light_usage(part: pd.DataFrame) -> Dataset | None:
    """A partition's usage as a dataset for cohort_retention / lifecycle, without the full ingest
    (``_core.usage_shard``: the account, time and event columns those analytics read, factorized here
    as Dataset factorizes them, sorted and indexed by the core); None when the partition needs the full
    ingest — other columns, non-datetime times, a value that ingest would refuse, or any row its checks
    would refuse (then the full ingest raises the single-process error)."""
    if not set(part.columns) <= _USAGE_COLUMNS or not pd.api.types.is_datetime64_any_dtype(part["timestamp"]):
        return None
    if "value" in part.columns:  # not read by these analytics, but a non-finite value is refused in one process
        try:
            if not np.isfinite(number_column(part["value"])).all():
                return None
        except ValueError:
            return None
    codes, uniques = pd.factorize(_id_column(part["account_id"]))
    seconds = time_column(part["timestamp"])
    events, names = string_column(part["event"])
    native = _core.usage_shard(codes.astype(np.int64, copy=False), [str(u) for u in uniques], seconds, events, names)
    return None if native is None else Dataset._wrap(native)


def _partition_dataset(part: pd.DataFrame, table: str) -> Dataset:
    """A partition's dataset of one table: the light usage ingest where it applies, else the full one."""
    light = _light_usage(part) if table == "usage" else None
    return light if light is not None else _usage_dataset(part, table)


def _account_step(table: str, account_col: str, state_of: Callable[[Dataset], Any]) -> Callable[..., Any]:
    """A per-account analytic's step: the state of the partition's dataset and its account ids."""
    def step(i: int, part: pd.DataFrame) -> _ByAccount:
        ds = _partition_dataset(part, table)  # the single-process route's checks, or the light usage ingest
        return _ByAccount(state_of(ds) if len(part) else None, _Accounts.of_dataset(ds, i))
    return step


def _account_reduce(what: str, data: Any, table: str, account_col: str, state_of: Callable[[Dataset], Any],
                    split_every: int | None) -> Any:
    step = _account_step(table, account_col, state_of)
    merged = _reduce(what, [data], step, _by_account(what), split_every, indexed=True)
    return None if merged is None else merged.state


class _Scan:
    """What the first pass over a per-account table learns when the call needs it: the end of the
    data (the default as-of), the event names present (to check an ``events`` filter over the whole
    table, as the single-process call checks it) and the account ids with their partitions."""

    def __init__(self, end: int | None, names: set[str], accounts: _Accounts | None) -> None:
        self.end, self.names, self.accounts = end, names, accounts

    def merge(self, other: "_Scan", what: str) -> "_Scan":
        accounts = (self.accounts if other.accounts is None else other.accounts if self.accounts is None
                    else self.accounts.merge(other.accounts, what))
        return _Scan(_max_end(self.end, other.end), self.names | other.names, accounts)


def _scan(data: Any, table: str, what: str, split_every: int | None, *, end: bool = True, names: bool = False,
          account_col: str | None = None) -> _Scan:
    """One pass over the partitions for the _Scan fields asked for."""
    def step(i: int, part: pd.DataFrame) -> _Scan | None:
        if not len(part):
            return None
        stop = int(_partition_dataset(part, table)._native.table_range(table)[1]) if end else 0
        present = {str(v) for v in pd.unique(part["event"].dropna())} if names else set()
        accounts = _Accounts.of(part[account_col], i) if account_col is not None else None
        return _Scan(stop or None, present, accounts)

    def merge(a: _Scan, b: _Scan) -> _Scan:
        return a.merge(b, what)

    scan: _Scan | None = _reduce(what, [data], step, merge, split_every, indexed=True)
    if scan is None:
        raise InvalidInputError(f"{what.replace('_', ' ')}: the {table} table is empty")
    return scan


def _table_end(data: Any, table: str, what: str, split_every: int | None) -> int:
    """The end of the data of one table over all partitions (the single-process default as_of)."""
    at = _scan(data, table, what, split_every).end
    if at is None:
        raise InvalidInputError(f"{what}: the {table} table is empty")
    return at


def _as_of(data: Any, as_of: Any, table: str, what: str, split_every: int | None) -> int:
    if as_of is None:
        return _table_end(data, table, what, split_every)
    seconds = _retention._seconds(as_of)
    assert seconds is not None
    return seconds


def _event_names(events: Any, present: set[str]) -> list[str] | None:
    """An events filter checked over the whole usage table (the event names of every partition), with
    the single-process errors."""
    names = name_list(events)
    if names is None:
        return None
    if not names:
        raise InvalidInputError("events: an empty list selects no activity (pass None for all events)")
    for name in names:
        if name not in present:
            raise InvalidInputError(f'unknown event "{name}": the usage table has no such event')
    return names


def _usage_scope(what: str, data: Any, events: Any, as_of: Any, split_every: int | None,
                 account_col: str | None = None) -> tuple[int, list[str] | None, _Scan | None]:
    """The as-of time and the checked event names of a usage route, from one first pass when either
    (or, with `account_col`, the account ids) is needed; no pass when neither is."""
    if as_of is not None and events is None and account_col is None:
        return _as_of(data, as_of, "usage", what, split_every), None, None
    if events is not None and not name_list(events):
        _event_names(events, set())  # the empty list's error, before any pass
    scan = _scan(data, "usage", what, split_every, end=as_of is None, names=events is not None,
                 account_col=account_col)
    if as_of is None:
        if scan.end is None:
            raise InvalidInputError(f"{what}: the usage table is empty")
        at = scan.end
    else:
        at = _as_of(data, as_of, "usage", what, split_every)
    return at, _event_names(events, scan.names), scan


def _with_accounts(what: str, data: Any, table: str) -> tuple[Any, pd.DataFrame | None]:
    """The dask frame of `table` (usage, or mrr) and the accounts table (gathered to the client: one row
    per account) of a frame or a dict {table: dask frame, "accounts": pandas or dask frame}."""
    if isinstance(data, Mapping):
        unknown = sorted(set(data) - {table, "accounts"})
        if unknown or table not in data:
            raise InvalidInputError(f"custhealth.dask.{what}: expected tables '{table}' (a dask DataFrame) and "
                                    f"optionally 'accounts', got {sorted(data)}")
        accounts = data.get("accounts")
        if isinstance(accounts, dd.DataFrame):
            accounts = cast(pd.DataFrame, accounts.compute())  # type: ignore[no-untyped-call]
        elif accounts is not None and not isinstance(accounts, pd.DataFrame):
            raise TypeError(f"custhealth.dask.{what}: the accounts table must be a pandas or dask DataFrame, got "
                            f"{type(accounts).__module__}.{type(accounts).__name__}")
        return _frame(data[table], what, table), accounts
    return data, None


def _accounts_pieces(table: str, data: Any, accounts: pd.DataFrame, scan: _Scan,
                     account_col: str) -> list[pd.DataFrame]:
    """The accounts table cut by the partition that holds each account's rows of `table` (usage or
    mrr); accounts without any go with the first partition that has some (so each is counted once)."""
    _dataset({table: _meta(data), "accounts": accounts})  # the single-process errors for the accounts table
    assert scan.accounts is not None
    seen = scan.accounts
    def text(ids: Any) -> pd.Index:  # ids meet as their text, as in one Dataset's dictionary
        return pd.Index([str(v) for v in _id_column(pd.Series(ids))], dtype=object)

    ids = accounts[account_col] if account_col in accounts.columns else pd.Series([], dtype=object)
    where = text(seen.ids).get_indexer(text(ids))
    owner = np.where(where >= 0, seen.partition[np.maximum(where, 0)], int(seen.partition.min()))
    return [accounts[owner == i] for i in range(data.npartitions)]


def _check_options(table: str, state_of: Callable[[Dataset], Any], meta: pd.DataFrame) -> None:
    """The single-process errors for bad options (period, mode, ...), before any pass: the state is
    run on the frame's empty meta, where the core parses the options and then refuses the empty table
    (that last error is the one expected here)."""
    try:
        state_of(_usage_dataset(meta, table))
    except InvalidInputError as err:
        if not str(err).endswith(f"the {table} table is empty"):
            raise


def _cohort_step(table: str, state_of: Callable[[Dataset], Any]) -> Callable[..., Any]:
    """A cohort step by start: the state of the partition's usage with its accounts' rows."""
    def step(part: pd.DataFrame, accounts: pd.DataFrame) -> Any:
        if not len(part):
            return None
        return state_of(_dataset({table: part, "accounts": accounts}))
    return step


def cohort_retention(data: Any, period: str = "M", mode: str = "on", cohort_by: str = "first_activity",
                     value: str | None = None, events: str | Sequence[str] | None = None, as_of: Any = None, *,
                     account_col: str = "account_id", split_every: int | None = None) -> _retention.CohortRetention:
    """:func:`custhealth.cohort_retention` over a dask DataFrame of usage (of MRR with ``value="mrr"``)
    **partitioned by account**.

    An account's cohort is the period of its first activity, so each account's rows must be in one
    partition: an account found in two is refused (the error names it and both partitions). Cohort
    sizes and cells are sums over accounts and merge exactly — to the bit for head cohorts; revenue
    cohorts sum MRR in another order (equal to rounding). ``events`` filters as in one process (the
    names are checked over every partition). ``cohort_by="start"`` takes ``data`` as a dict
    ``{"usage": dask frame, "accounts": pandas or dask frame}`` (``{"mrr": ...}`` for revenue cohorts) (the accounts table, one row per
    account, is gathered to the client and cut by the partition holding each account's usage;
    accounts without usage count with the first partition). The default T, an events filter and
    ``cohort_by="start"`` take one first pass together.
    """
    what = "cohort_retention"
    value = "accounts" if value is None else value
    table = "mrr" if value == "mrr" else "usage"
    usage, accounts = _with_accounts(what, data, table)
    usage = _frame(usage, what, table)
    _usage_dataset(_meta(usage), table)  # the single-process errors for wrong columns and dtypes
    if value == "mrr" and events is not None:  # the single-process error (checked before the rows)
        _retention.cohort_retention(_meta(usage), period, mode, cohort_by, value, events, as_of)
    by_start = cohort_by == "start"
    _check_options(table, lambda ds: _core.cohort_state(ds._native, period, mode, cohort_by, value, 0, None),
                   _meta(usage))
    if table == "mrr":
        at, names = _as_of(usage, as_of, table, what, split_every), None
        scan = _scan(usage, table, what, split_every, end=False, account_col=account_col) if by_start else None
    else:
        at, names, scan = _usage_scope(what, usage, events, as_of, split_every, account_col if by_start else None)

    def state_of(ds: Dataset) -> Any:
        return _core.cohort_state(ds._native, period, mode, cohort_by, value, at, names)

    if by_start:
        if accounts is None:  # the single-process error (the test compares the two)
            what_by = "revenue cohorts" if table == "mrr" else "cohort retention"  # the core's wording
            raise InvalidInputError(f"{what_by} by start: no account has a start date (load an accounts table)")
        assert scan is not None
        pieces = _accounts_pieces(table, usage, accounts, scan, account_col)
        state = _reduce(what, [usage], _cohort_step(table, state_of), _merge_states, split_every,
                        per_partition=pieces)
    else:
        state = _account_reduce(what, usage, table, account_col, state_of, split_every)
    if state is None:
        raise InvalidInputError(f"cohort retention: the {table} table is empty")
    return _retention.CohortRetention(state.result(), period, mode, value)


def lifecycle(data: Any, period: str = "M", events: str | Sequence[str] | None = None, as_of: Any = None, *,
              account_col: str = "account_id", split_every: int | None = None) -> pd.DataFrame:
    """:func:`custhealth.lifecycle` over a dask DataFrame of usage **partitioned by account** (new,
    retained, resurrected and dormant read each account's activity period by period; an account in two
    partitions is refused). Counts over accounts merge exactly: equal to the single-process call to the
    bit. ``events`` filters as in one process (the names checked over every partition). The default T
    and an events filter take one first pass together."""
    what = "lifecycle"
    data = _frame(data, what, "usage")
    _usage_dataset(_meta(data), "usage")  # the single-process errors for wrong columns and dtypes
    _check_options("usage", lambda ds: _core.lifecycle_state(ds._native, period, 0, None), _meta(data))
    at, names, _ = _usage_scope(what, data, events, as_of, split_every)
    state = _account_reduce(what, data, "usage", account_col,
                            lambda ds: _core.lifecycle_state(ds._native, period, at, names), split_every)
    if state is None:
        raise InvalidInputError("lifecycle: the usage table is empty")
    return _retention._lifecycle_frame(state.result())


def revenue_retention(data: Any, months: int = 12, as_of: Any = None, *, account_col: str = "account_id",
                      split_every: int | None = None) -> pd.DataFrame:
    """:func:`custhealth.revenue_retention` over a dask DataFrame of MRR **partitioned by account** (an
    account's movement from month − months to month reads its own two rows; an account in two
    partitions is refused). A first pass finds the whole table's month range, which frames every
    partition's series. Account counts (and so logo retention) equal the single-process call to the
    bit; the MRR sums (and GRR, NRR) are float sums merged in another order, equal to rounding."""
    what = "revenue_retention"
    data = _frame(data, what, "mrr")
    months = int(months)
    if months < 1:
        _retention.revenue_retention(_meta(data), months, as_of)  # the single-process error
    _usage_dataset(_meta(data), "mrr")  # the single-process errors for wrong columns and dtypes
    at = _retention._seconds(as_of)

    def month_range(part: pd.DataFrame) -> tuple[int, int] | None:
        if not len(part):
            return None
        found = _core.mrr_month_range(_usage_dataset(part, "mrr")._native, at)
        return None if found is None else (int(found[0]), int(found[1]))

    def union(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
        return min(a[0], b[0]), max(a[1], b[1])

    found = _reduce(what, [data], month_range, union, split_every)
    first, last = found if found is not None else (np.iinfo(np.int64).max, np.iinfo(np.int64).min)
    state = _account_reduce(what, data, "mrr", account_col,
                            lambda ds: _core.revenue_state(ds._native, months, at, first, last), split_every)
    if state is None:
        raise InvalidInputError("revenue retention: the mrr table is empty")
    return _retention._revenue_frame(state.result())


# ---- survival ----

def _km_step(events: bool, entry: bool, weights: bool) -> Callable[..., Any]:
    """A partition's event table from its durations and, as given, flags, entries and weights —
    checked as custhealth.KaplanMeier.fit checks them."""
    def step(t: pd.Series, *rest: pd.Series) -> Any:
        columns = list(rest)
        durations = _survival._float_array(t, "durations")
        observed = _survival._event_array(columns.pop(0) if events else None, len(durations), "event_observed")
        entry_ = _survival._float_array(columns.pop(0), "entry") if entry else None
        weights_ = _survival._float_array(columns.pop(0), "weights") if weights else None
        return _core.km_state(durations, observed, entry_, weights_)
    return step


class KaplanMeier(_survival.KaplanMeier):
    """:class:`custhealth.KaplanMeier` fitted on dask Series (columns of one dask DataFrame, any
    partitioning): each partition's event table (the core's ``KmState``) merged by a tree reduction,
    then fitted on the client. The fitted object is a :class:`custhealth.KaplanMeier` in every way
    (its curve, band, median, event table, plots, pickling). Unweighted curves equal the
    single-process fit to the bit; with ``weights`` the event table's weight sums are merged in
    another order and may differ in the last bits.
    """

    def fit(self, durations: Any, event_observed: Any = None, entry: Any = None, weights: Any = None,
            timeline: Any = None, label: str | None = None, alpha: float | None = None,
            split_every: int | None = None) -> "KaplanMeier":
        """Fits on dask Series; the arguments as :meth:`custhealth.KaplanMeier.fit`."""
        what = "KaplanMeier.fit"
        self._set_label_alpha(label, alpha)
        columns = [_series(durations, what, "durations")]
        columns += [_series(c, what, name) for c, name in ((event_observed, "event_observed"), (entry, "entry"),
                                                             (weights, "weights")) if c is not None]
        step = _km_step(event_observed is not None, entry is not None, weights is not None)
        step(*(_meta(c) for c in columns))
        state = _reduce(what, columns, step, _merge_states, split_every)
        self._fit_state(state, timeline, integer_counts=weights is None)
        return self

    def _fit_state(self, state: Any, timeline: Any, integer_counts: bool) -> None:
        if state is None:  # every partition empty: the empty curve, as custhealth.KaplanMeier gives
            state = _core.km_state(np.empty(0), np.empty(0, dtype=np.uint8))
        self._state = state
        self._set_result(state.fit(1.0 - self.alpha), timeline, integer_counts)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Pickles keep the merged event table (a KmState) rather than the subjects, which never came to
        the client: unpickling fits it again, the same to the bit."""
        requested = state.pop("_requested_timeline", None)
        self.__dict__.update(state)
        if "_state" in state:
            self._fit_state(self._state, requested, self._integer_counts)


def logrank_test(durations_A: Any, durations_B: Any, event_observed_A: Any = None, event_observed_B: Any = None,
                 t_0: float = -1, weightings: str | None = None, *, weights_A: Any = None, weights_B: Any = None,
                 p: float | None = None, q: float | None = None,
                 split_every: int | None = None) -> _survival.LogRankResult:
    """:func:`custhealth.logrank_test` on dask Series (each sample the columns of one dask DataFrame,
    any partitioning): each sample's event table merged over its partitions, then the core's test of
    the two tables. The test reads only the tables' counts, so unweighted results equal the
    single-process test to the bit; with weights, to rounding."""
    what = "logrank_test"
    kind = _survival._weighting(what, weightings, p, q)
    if (weights_A is None) != (weights_B is None):
        raise InvalidInputError("logrank_test: give weights for both samples or for neither")

    def sample(t: Any, e: Any, w: Any, side: str) -> Any:
        columns = [_series(t, what, f"durations_{side}")]
        if e is not None:
            columns.append(_series(e, what, f"event_observed_{side}"))
        if w is not None:
            columns.append(_series(w, what, f"weights_{side}"))

        def step(*parts: pd.Series) -> Any:
            rest = list(parts[1:])
            durations = _survival._float_array(parts[0], f"durations_{side}")
            observed = _survival._event_array(rest.pop(0) if e is not None else None, len(durations),
                                              f"event_observed_{side}")
            if len(observed) != len(durations):
                raise InvalidInputError(f"logrank_test: event_observed_{side} has {len(observed)} elements but "
                                        f"durations has {len(durations)}")
            weights = _survival._float_array(rest.pop(0), f"weights_{side}") if w is not None else None
            durations, observed = _survival._censored_at(what, durations, observed, t_0)
            return _core.km_state(durations, observed, None, weights)

        step(*(_meta(c) for c in columns))
        state = _reduce(what, columns, step, _merge_states, split_every)
        if state is None or not np.sum(state.result()["entrance"]) > 0:
            raise InvalidInputError(f"logrank_test: durations_{side} is empty (each group needs at least one subject)")
        return state

    a, b = sample(durations_A, event_observed_A, weights_A, "A"), sample(durations_B, event_observed_B, weights_B, "B")
    raw = _core.logrank_states([a, b], weighting=kind, p=float(p or 0.0), q=float(q or 0.0))
    return _survival._named(_survival.LogRankResult(raw, ["A", "B"]), what, kind)


# ---- per-account signals and scores ----

#: Signals that compare an account with other accounts (adoption.depth: a percentile within the
#: segment; adoption.breadth: over the events *anyone* used) — not a function of one account's rows.
CROSS_ACCOUNT_SIGNALS = ("adoption.breadth", "adoption.depth")


def _tables(what: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, Mapping) or not data:
        raise TypeError(f"custhealth.dask.{what}: expected a dict of dask DataFrames by table name (usage, "
                        f"accounts, ...), got {type(data).__module__}.{type(data).__name__}")
    return {name: _frame(frame, what, name) for name, frame in data.items()}


def _concat_accounts(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Per-account rows of disjoint accounts, one after the other. A categorical account index (each
    partition's dataset has its own dictionary) stays categorical, over the union of the ids."""
    def ids(index: pd.Index) -> pd.Index:
        return index.get_level_values(-1) if isinstance(index, pd.MultiIndex) else index

    out = pd.concat(frames)
    if all(isinstance(ids(f.index), pd.CategoricalIndex) for f in frames):
        categories = pd.api.types.union_categoricals([cast(Any, ids(f.index).values) for f in frames],
                                                     sort_categories=True).categories
        accounts = pd.CategoricalIndex(ids(out.index).astype(object), categories=categories, name=ids(out.index).name)
        if isinstance(out.index, pd.MultiIndex):
            out.index = pd.MultiIndex.from_arrays([out.index.get_level_values(0), accounts])
        else:
            out.index = accounts
    return out


def _per_account(what: str, tables: dict[str, Any], account_col: str, compute: Callable[[Dataset], pd.DataFrame],
                 split_every: int | None) -> pd.DataFrame:
    """compute(dataset of partition i of every table) on each partition, the per-account rows concatenated
    in account order; an account in two partitions (of any tables) is refused."""
    names = list(tables)
    _dataset({name: _meta(frame) for name, frame in tables.items()})  # the single-process column errors

    def step(i: int, *parts: pd.DataFrame) -> _ByAccount:
        frames = dict(zip(names, parts))
        ids = pd.concat([pd.Series(f[account_col].to_numpy(dtype=object)) for f in parts if account_col in f.columns]
                        or [pd.Series([], dtype=object)])
        rows = compute(_dataset(frames)) if any(len(f) for f in parts) else None
        return _ByAccount(rows, _Accounts.of(ids, i))

    def merge(a: _ByAccount, b: _ByAccount) -> _ByAccount:
        accounts = a.accounts.merge(b.accounts, what)
        rows = [r for r in (a.state, b.state) if r is not None]
        return _ByAccount(_concat_accounts(rows) if len(rows) == 2 else rows[0] if rows else None, accounts)

    merged = _reduce(what, list(tables.values()), step, merge, split_every, indexed=True)
    if merged is None or merged.state is None:
        raise InvalidInputError(f"custhealth.dask.{what}: every partition is empty")
    out: pd.DataFrame = merged.state
    return out.sort_index(kind="stable")


def _explicit_as_of(what: str, as_of: Any) -> None:
    if as_of is None:
        raise InvalidInputError(f"custhealth.dask.{what}: pass as_of (its default, the end of the tables' data, "
                                "would cost a pass of its own)")


def signals(data: Mapping[str, Any], as_of: Any, names: Sequence[str] | None = None, *,
            account_col: str = "account_id", split_every: int | None = None, **options: Any) -> pd.DataFrame:
    """:func:`custhealth.signals` over dask DataFrames **partitioned by account**.

    ``data`` maps table names to dask DataFrames with the same number of partitions, partition *i* of
    every table holding the rows of the same accounts (an account found in two partitions, of any
    tables, is refused). Each partition's signals are computed as one dataset; the rows come back
    sorted by account id, each equal to the single-process value to the bit (a signal reads only its
    own account's rows). ``as_of`` is required (a date or a list); ``options`` are those of
    :func:`custhealth.signals` (``targets``, ``key_features``, ``n_threads`` per partition). The
    signals that compare accounts with each other (``CROSS_ACCOUNT_SIGNALS``) are refused, and left
    out of the default list.
    """
    what = "signals"
    tables = _tables(what, data)
    _explicit_as_of(what, as_of)
    from .signals import signal_catalog, signals as one_process  # noqa: PLC0415 (the package's own module)
    if names is None:
        names = [n for n in signal_catalog()["name"] if n not in CROSS_ACCOUNT_SIGNALS]
    crossing = [n for n in names if n in CROSS_ACCOUNT_SIGNALS]
    if crossing:
        raise InvalidInputError(f"custhealth.dask.signals: {', '.join(crossing)} compare an account with other "
                                "accounts and cannot be computed per partition; use custhealth.signals")
    chosen = list(names)
    return _per_account(what, tables, account_col, lambda ds: one_process(ds, as_of, chosen, **options), split_every)


def score(card: Any, data: Mapping[str, Any], as_of: Any, *, account_col: str = "account_id",
          top_factors: bool = True, split_every: int | None = None) -> pd.DataFrame:
    """``card.score`` (:meth:`custhealth.Scorecard.score`) over dask DataFrames **partitioned by
    account**, as :func:`signals`: each partition scored as one dataset, the rows sorted by account id,
    equal to the single-process scores. A card with a ``percentile`` map (a rank among accounts) or a
    measure reading ``CROSS_ACCOUNT_SIGNALS`` is refused. ``as_of`` is required."""
    from .scorecard import Scorecard  # noqa: PLC0415

    what = "score"
    if not isinstance(card, Scorecard):
        raise TypeError(f"custhealth.dask.score: expected a custhealth.Scorecard, got {type(card).__name__}")
    tables = _tables(what, data)
    _explicit_as_of(what, as_of)
    crossing = [m for m in card.signals if m in CROSS_ACCOUNT_SIGNALS]
    ranked = [f"{g['name']}/{m['signal']}" for g in card.to_dict().get("groups", [])
              for m in g.get("measures", []) if "percentile" in m.get("map", {})]
    if crossing or ranked:
        raise InvalidInputError(f"custhealth.dask.score: card {card.name} compares accounts with each other "
                                f"({', '.join(ranked + crossing)}), which one partition cannot; use card.score")
    return _per_account(what, tables, account_col, lambda ds: card._score(ds, as_of, None, top_factors)[0],
                        split_every)


__all__ = ["feedback_summary", "sla_summary", "payments_summary", "cohort_retention", "lifecycle", "revenue_retention",
           "KaplanMeier",
           "logrank_test", "signals", "score", "CROSS_ACCOUNT_SIGNALS", "SPLIT_EVERY"]
