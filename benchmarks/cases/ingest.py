"""Ingest: a usage CSV into an indexed dataset vs DuckDB's read_csv (into its own table), polars'
read_csv and pandas.read_csv of the same file, timestamps parsed by every peer but the plain pandas
one. Two files: 1,000,000 rows in time order (10,000 accounts, 80,000 users), and the DESIGN §8
shape of a raw warehouse export — 1,000,000 rows in random order of 20,000 accounts and 200,000
users (ids `acct-N`, `uN`)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

import custhealth as ch

EVENTS = np.array(["login", "report_view", "export", "api_call", "dashboard_edit"])


def _write_once(path: str, make) -> None:
    """Writes make()'s DataFrame as the CSV at `path` unless it is there already (through a
    temporary name, so an interrupted run never leaves a short file behind)."""
    if os.path.exists(path):
        return
    make().to_csv(path + ".tmp", index=False)
    os.replace(path + ".tmp", path)


def _sorted_usage(rows: int, accounts: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    start = np.datetime64("2024-01-01T00:00:00")
    times = start + (np.arange(rows) * (365 * 86400 // rows)).astype("timedelta64[s]")
    acct = rng.integers(0, accounts, rows)
    return pd.DataFrame({
        "account_id": np.char.add("acct_", acct.astype(str)),
        "timestamp": np.char.add(np.datetime_as_string(times, unit="s"), "Z"),
        "event": EVENTS[rng.integers(0, 5, rows)],
        "value": rng.integers(1, 11, rows),
        "user_id": np.char.add(np.char.add("u_", acct.astype(str)), np.char.add("_", rng.integers(0, 8, rows).astype(str))),
    })


def _unsorted_usage(rows: int, accounts: int, users: int) -> pd.DataFrame:
    """Each user belongs to one account (user u to account u mod accounts, so every account has
    users / accounts of them); every user appears (the first `users` rows are a permutation of
    them), the rest pick users uniformly; times are uniform over 2024; then the rows are shuffled."""
    rng = np.random.default_rng(10)
    user = np.concatenate([rng.permutation(users), rng.integers(0, users, rows - users)])
    rng.shuffle(user)
    seconds = rng.integers(0, 366 * 86400, rows).astype("timedelta64[s]")
    return pd.DataFrame({
        "account_id": np.char.add("acct-", (user % accounts).astype(str)),
        "timestamp": np.char.add(np.datetime_as_string(np.datetime64("2024-01-01T00:00:00") + seconds, unit="s"), "Z"),
        "event": EVENTS[rng.integers(0, 5, rows)],
        "value": rng.integers(1, 11, rows),
        "user_id": np.char.add("u", user.astype(str)),
    })


# ---- the peers, and what each one's result holds: (rows, distinct accounts, distinct users, timestamp type) ----

def duckdb_read(path: str):
    from compare import duckdb_connect  # noqa: PLC0415 (the runner's module)

    con = duckdb_connect()  # a fresh database per call: the table is the whole result
    con.execute("CREATE TABLE usage AS SELECT * FROM read_csv(?)", [path])
    return con


def duckdb_counts(con) -> tuple:
    (rows, accounts, users, kind), = con.sql("SELECT count(*), count(DISTINCT account_id), count(DISTINCT user_id), "
                                             "any_value(typeof(timestamp)) FROM usage").fetchall()
    return rows, accounts, users, kind


def polars_read(path: str):
    import polars as pl  # noqa: PLC0415 (after compare.py has set the thread count)

    return pl.read_csv(path, try_parse_dates=True)


def polars_counts(frame) -> tuple:
    return len(frame), frame["account_id"].n_unique(), frame["user_id"].n_unique(), str(frame.schema["timestamp"])


def pandas_counts(df: pd.DataFrame) -> tuple:
    return len(df), df["account_id"].nunique(), df["user_id"].nunique(), str(df["timestamp"].dtype)


def check(counts, dates: bool = True):
    """Row counts and the distinct account and user counts agree; the peer parsed the timestamps
    (unless it is the plain pandas.read_csv, kept from the first version of this case)."""
    def run(ours: ch.Dataset, peer) -> None:
        rows, accounts, users, kind = counts(peer)
        expected = (ours.ingest_report["usage"]["accepted"], ours.n_accounts, ours.table("usage")["user_id"].nunique())
        assert (rows, accounts, users) == expected, f"(rows, accounts, users): ours {expected}, the peer's {(rows, accounts, users)}"
        assert not dates or "time" in kind.lower(), f"the peer left the timestamps unparsed ({kind})"
    return run


def cases(args):
    from compare import Case, Peer  # noqa: PLC0415 (the runner's module)

    scale = 10 if args.quick else 1
    rows = 1_000_000 // scale
    in_order = os.path.join(args.data, f"usage_{rows}.csv")
    _write_once(in_order, lambda: _sorted_usage(rows, rows // 100))
    shuffled = os.path.join(args.data, f"usage_unsorted_{rows}.csv")
    accounts, users = 20_000 // scale, 200_000 // scale
    _write_once(shuffled, lambda: _unsorted_usage(rows, accounts, users))

    def peers(path: str, targets: bool) -> list[Peer]:
        # DESIGN §8 asks >= 2x DuckDB and issue 10 >= 3x pandas on the unsorted file; the sorted one has none.
        return [
            Peer("DuckDB read_csv (CREATE TABLE)", lambda: duckdb_read(path), check(duckdb_counts),
                 target=2.0 if targets else None),
            Peer("polars read_csv(try_parse_dates)", lambda: polars_read(path), check(polars_counts)),
            Peer("pandas.read_csv(parse_dates)", lambda: pd.read_csv(path, parse_dates=["timestamp"]),
                 check(pandas_counts), target=3.0 if targets else None),
            Peer("pandas.read_csv (dates as text)", lambda: pd.read_csv(path), check(pandas_counts, dates=False),
                 target=3.0 if targets else None),
        ]

    return [
        Case("CSV ingest, usage table in time order", f"{rows:,} rows, {rows // 100:,} accounts",
             lambda: ch.read_csv(usage=in_order), peers(in_order, targets=False),
             notes=["custhealth also validates every row, dictionary-encodes ids, sorts and indexes"]),
        Case("CSV ingest, usage table in random order", f"{rows:,} rows, {accounts:,} accounts, {users:,} users",
             lambda: ch.read_csv(usage=shuffled), peers(shuffled, targets=True),
             notes=["checks: row count, distinct accounts and distinct users agree; the timestamps were parsed "
                    "(DuckDB: TIMESTAMP WITH TIME ZONE, polars: Datetime(UTC), pandas: datetime64[ns, UTC])"]),
    ]
