"""Retention: the monthly cohort retention matrix of 10,000,000 usage events of 100,000 accounts vs the
idiomatic pandas computation (period per event, first period per account by groupby-min,
drop_duplicates of (account, period), group sizes per (cohort, period), offsets, unstack)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import custhealth as ch

START = np.datetime64("2023-01-01T00:00:00")
DAYS = 730


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


def cases(args):
    from compare import Case  # noqa: PLC0415 (the runner's module)

    rows, accounts = (1_000_000, 10_000) if args.quick else (10_000_000, 100_000)
    df = _usage(rows, accounts)
    began = time.perf_counter()
    ds = ch.Dataset(usage=df)
    load_s = time.perf_counter() - began
    as_of = "2025-01-01"  # every month of the data is complete

    def check(ours, peer):
        sizes, counts, rates = peer
        np.testing.assert_array_equal(ours.sizes.to_numpy(), sizes.to_numpy())
        observed = ours.counts.notna().to_numpy()
        theirs = counts.reindex(columns=ours.counts.columns).fillna(0).to_numpy()
        np.testing.assert_array_equal(ours.counts.to_numpy()[observed], theirs[observed])
        np.testing.assert_allclose(ours.rates.to_numpy()[observed], rates.reindex(columns=ours.rates.columns)
                                   .fillna(0).to_numpy()[observed], rtol=1e-15)
        assert not np.isfinite(counts.to_numpy()[~observed]).any(), "pandas has activity in unobserved cells"

    return [
        Case("cohort retention matrix, monthly", f"{rows:,} events, {accounts:,} accounts",
             lambda: ch.cohort_retention(ds, period="M", as_of=as_of), lambda: pandas_cohorts(df),
             "pandas groupby/drop_duplicates", 20.0, check,
             notes=[f"building the Dataset from the DataFrame (once, like a load; not timed above): {load_s:.2f} s",
                    "pandas gets int64 account ids (its fastest case); the Dataset keeps ids as strings"]),
        Case("cohort retention matrix, monthly", f"{rows:,} events, {accounts:,} accounts",
             lambda: ch.cohort_retention(ds, period="M", as_of=as_of), lambda: pandas_cohorts_int(df),
             "pandas, int month codes", 20.0, check),
    ]
