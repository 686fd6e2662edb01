"""Retention: the monthly cohort retention matrix of 10,000,000 usage events of 100,000 accounts vs
the same matrix in DuckDB (SQL over the registered DataFrame), polars (lazy, same buffers) and the
idiomatic pandas computation (period per event, first period per account by groupby-min,
drop_duplicates of (account, period), group sizes per (cohort, period), offsets, unstack).

Then the end-to-end rows: building the Dataset from the DataFrame (int64 ids, then string ids), and
``ch.cohort_retention(df)`` straight from the DataFrame against DuckDB's query over the same rows in
its own table."""

from __future__ import annotations

import numpy as np
import pandas as pd

import custhealth as ch

START = np.datetime64("2023-01-01T00:00:00")
DAYS = 730
AS_OF = "2025-01-01"  # every month of the data is complete, so every peer may use all rows


def _usage(rows: int, accounts: int) -> pd.DataFrame:
    """Accounts starting on a uniform day of 2023–2024, staying an exponential lifetime (mean 300
    days) and spreading their events uniformly over it — the shape of a real usage log."""
    rng = np.random.default_rng(7)
    start = rng.uniform(0, DAYS - 1, accounts)
    stop = np.minimum(DAYS, start + 1 + rng.exponential(300, accounts))
    account = rng.integers(0, accounts, rows)
    day = start[account] + rng.random(rows) * (stop[account] - start[account])
    return pd.DataFrame({
        "account_id": account.astype(np.int64),
        "timestamp": START + (day * 86400).astype("timedelta64[s]"),
        "event": pd.Categorical.from_codes(rng.integers(0, 5, rows),
                                           ["login", "report_view", "export", "api_call", "dashboard_edit"]),
    })


def pandas_cohorts(df: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    """What a data team writes: sizes, counts and rates by (cohort month, months since)."""
    d = pd.DataFrame({"account_id": df["account_id"], "period": df["timestamp"].dt.to_period("M")})
    cohort = d.groupby("account_id")["period"].min().rename("cohort")
    d = d.drop_duplicates(["account_id", "period"]).join(cohort, on="account_id")
    cells = d.groupby(["cohort", "period"]).size().rename("n").reset_index()
    cells["offset"] = (cells["period"] - cells["cohort"]).apply(lambda x: x.n)
    counts = cells.set_index(["cohort", "offset"])["n"].unstack()
    sizes = cohort.value_counts().sort_index()
    return sizes, counts, counts.div(sizes, axis=0)


def pandas_cohorts_int(df: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    """The same with the month as an int64 code (year·12 + month − 1): drop_duplicates and groupby
    then hash integers instead of Period objects — pandas' fast path, several times quicker."""
    ts = df["timestamp"].dt
    d = pd.DataFrame({"account_id": df["account_id"], "period": ts.year * 12 + ts.month - 1})
    cohort = d.groupby("account_id")["period"].min().rename("cohort")
    d = d.drop_duplicates(["account_id", "period"]).join(cohort, on="account_id")
    counts = d.groupby(["cohort", d["period"] - d["cohort"]]).size().unstack()
    sizes = cohort.value_counts().sort_index()
    return sizes, counts, counts.div(sizes, axis=0)


# The engines return the matrix in long form (cohort, offset, n, rate), as SQL gives it.
DUCKDB_COHORTS = """
WITH active AS (SELECT DISTINCT account_id, date_trunc('month', timestamp) AS period FROM usage),
     cohorts AS (SELECT account_id, min(period) AS cohort FROM active GROUP BY account_id),
     sizes AS (SELECT cohort, count(*) AS size FROM cohorts GROUP BY cohort)
SELECT cohort, datediff('month', cohort, period) AS "offset", count(*) AS n, count(*) / any_value(size) AS rate
FROM active JOIN cohorts USING (account_id) JOIN sizes USING (cohort)
GROUP BY cohort, "offset"
"""


def polars_cohorts(frame):
    import polars as pl  # noqa: PLC0415 (after compare.py has set the thread count)

    def months(c):
        return c.dt.year().cast(pl.Int32) * 12 + c.dt.month().cast(pl.Int32)

    period, cohort = pl.col("period"), pl.col("cohort")
    return (frame.lazy().select("account_id", pl.col("timestamp").dt.truncate("1mo").alias("period")).unique()
            .with_columns(cohort=period.min().over("account_id"))
            .group_by("cohort", offset=months(period) - months(cohort)).agg(n=pl.len())
            .with_columns(rate=pl.col("n") / pl.col("n").filter(pl.col("offset") == 0).first().over("cohort"))
            .collect())


def _months(index: pd.Index) -> pd.DatetimeIndex:
    """Cohort labels as month-start datetimes: pandas Periods, int month codes or timestamps."""
    if isinstance(index, pd.PeriodIndex):
        return index.to_timestamp()
    if pd.api.types.is_integer_dtype(index):
        return pd.to_datetime(pd.DataFrame({"year": index // 12, "month": index % 12 + 1, "day": 1}))
    return pd.DatetimeIndex(index).as_unit("ns")


def _wide(long: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    counts = long.pivot(index="cohort", columns="offset", values="n")
    return counts[0], counts, long.pivot(index="cohort", columns="offset", values="rate")


def check(as_wide):
    """Same cohorts and sizes, equal counts in every observed cell, rates to 1e-9, and no activity
    where custhealth marks a cell unobserved. `as_wide` turns the peer's result into
    (sizes, counts, rates), cohorts down and offsets across."""
    def run(ours: ch.CohortRetention, peer) -> None:
        sizes, counts, rates = as_wide(peer)
        assert len(sizes) == len(ours.sizes), f"{len(ours.sizes)} cohorts, the peer has {len(sizes)}"
        assert (_months(sizes.index) == ours.sizes.index).all(), "cohorts differ"
        np.testing.assert_array_equal(ours.sizes.to_numpy(), sizes.to_numpy(), err_msg="sizes")
        assert set(counts.columns) <= set(ours.counts.columns), "the peer has activity beyond the last offset"
        observed = ours.counts.notna().to_numpy()
        theirs = counts.reindex(columns=ours.counts.columns).to_numpy(dtype=float)
        np.testing.assert_array_equal(ours.counts.to_numpy()[observed], np.nan_to_num(theirs)[observed], "counts")
        their_rates = np.nan_to_num(rates.reindex(columns=ours.rates.columns).to_numpy(dtype=float))
        np.testing.assert_allclose(ours.rates.to_numpy()[observed], their_rates[observed], rtol=1e-9, err_msg="rates")
        assert not np.isfinite(theirs[~observed]).any(), "the peer has activity in unobserved cells"
    return run


def cases(args):
    from compare import Case, Peer, duckdb_connect, pandas_from_polars, polars_frame  # noqa: PLC0415

    rows, accounts = (1_000_000, 10_000) if args.quick else (10_000_000, 100_000)
    size = f"{rows:,} events, {accounts:,} accounts"
    df = _usage(rows, accounts)
    ds = ch.Dataset(usage=df)
    # Set up before timing: DuckDB scans the registered DataFrame, or (end to end) its own table.
    con, own, frame = duckdb_connect(usage=df), duckdb_connect(copy=True, usage=df), polars_frame(df)
    string_ids = df.assign(account_id="acct-" + df["account_id"].astype(str))  # object dtype, pandas' default
    from_pandas = check(lambda r: r)
    from_long = check(lambda r: _wide(r))
    matrix = Case("cohort retention matrix, monthly", size,
                  lambda: ch.cohort_retention(ds, period="M", as_of=AS_OF), [
                      Peer("DuckDB SQL", lambda: con.sql(DUCKDB_COHORTS).df(), from_long, target=10.0),
                      Peer("polars lazy", lambda: polars_cohorts(frame), check(lambda r: _wide(pandas_from_polars(r)))),
                      Peer("pandas groupby/drop_duplicates", lambda: pandas_cohorts(df), from_pandas),
                      Peer("pandas, int month codes", lambda: pandas_cohorts_int(df), from_pandas),
                  ], notes=["custhealth's time is the matrix from a Dataset built once beforehand (like a load); "
                            "the end-to-end rows below include building it",
                            "the peers get int64 account ids (their fastest case); polars the same buffers "
                            "(timestamps as datetime[ms], polars has no seconds)"])
    limit = 0.5 * rows / 10_000_000  # issue 10: 10 M rows in 0.5 s; --quick scales it with the rows
    return [
        matrix,
        Case("Dataset from a usage DataFrame, int64 account ids", f"{rows:,} rows",
             lambda: ch.Dataset(usage=df), limit_s=limit),
        Case("Dataset from a usage DataFrame, string account ids", f"{rows:,} rows",
             lambda: ch.Dataset(usage=string_ids), notes=["string ids ('acct-N', object dtype): no target; "
                                                            "shown for what they cost against int ids"]),
        Case("cohort retention straight from the DataFrame", size,
             lambda: ch.cohort_retention(df, period="M", as_of=AS_OF), [
                 Peer("DuckDB SQL, own table", lambda: own.sql(DUCKDB_COHORTS).df(), from_long, target=2.0),
             ], notes=["custhealth builds the Dataset inside the call; DuckDB's table was created before timing"]),
    ]
