"""custhealth.dask on a LocalCluster of 2 worker processes: every call equals the single-process call on the
concatenated partitions (to the bit where the merge is exact, to rounding where it is a float sum merged
in another order), with uneven partitions (empty ones, accounts split where that is allowed), and the bad
inputs: wrong columns or dtypes, a failing partition, an account split where it is refused, non-dask input."""

from __future__ import annotations

import pickle
import struct

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from conftest import peer

dask = peer("dask")
distributed = peer("distributed")
dd = peer("dask.dataframe")
import custhealth.dask as chd  # noqa: E402  (after the peer check: the module imports dask)

AS_OF = "2024-12-01"

# Debian's distributed 2022.12 calls a tornado API that newer tornado deprecates (not our code).
pytestmark = pytest.mark.filterwarnings("ignore:make_current is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def client():
    # ":0": a free port. (dashboard_address=None falls back to :8787, and a cluster already on that port
    # — another test run, a notebook — makes this one fail to start.)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def frames():
    ds = ch.generate(n_accounts=120, days=400, seed=11, end="2025-01-01")
    out = ds.to_frames()
    segment = out["accounts"].set_index("account_id")["segment"]
    for name in ("surveys", "tickets", "payments"):
        out[name] = out[name].assign(segment=out[name]["account_id"].map(segment).astype(object))
    return out


def pieces(df: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    """Row ranges of df between the cut positions (repeated cuts give empty partitions)."""
    bounds = [0, *cuts, len(df)]
    return [df.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def dask_frame(parts: list[pd.DataFrame]):
    return dd.from_delayed([dask.delayed(p) for p in parts], meta=parts[0].iloc[:0], verify_meta=False)


def concatenated(ddf) -> pd.DataFrame:
    """The partitions as one pandas frame, as dask hands them over (its string conversion included)."""
    return ddf.compute()


def uneven(df: pd.DataFrame, seed: int = 0):
    """Rows in a random order (accounts split across partitions) in uneven partitions, two of them empty."""
    shuffled = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    n = len(shuffled)
    ddf = dask_frame(pieces(shuffled, [0, n // 7, n // 7, n // 2, n - 3]))
    return ddf, concatenated(ddf)


def by_account(df: pd.DataFrame, n_parts: int = 5):
    """Rows partitioned by account (uneven: some partitions hold many accounts, one is empty)."""
    codes = pd.factorize(df["account_id"], sort=True)[0]
    part = np.minimum(codes % 11, n_parts - 2)  # partition n_parts − 1 gets no account
    ddf = dask_frame([df[part == i] for i in range(n_parts)])
    return ddf, concatenated(ddf)


# ---- row-wise aggregates: any partitioning ----

@pytest.mark.parametrize("kind", ["nps", "csat", "ces"])
def test_feedback_summary_equals_one_process_to_the_bit(client, frames, kind):
    ddf, whole = uneven(frames["surveys"])
    for by, period in ((["segment"], "M"), (["account_id", "segment"], "Q"), ([], None)):
        got = chd.feedback_summary(ddf, kind, by=by, period=period, split_every=2)
        want = ch.feedback_summary(whole, kind, by=by, period=period)
        assert len(got) > 0
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    window = chd.feedback_summary(ddf, kind, by="segment", as_of=AS_OF, window_days=90)
    pd.testing.assert_frame_equal(window, ch.feedback_summary(whole, kind, by="segment", as_of=AS_OF, window_days=90),
                                  check_exact=True)


def test_feedback_keys_come_back_in_their_dtypes(client, frames):
    surveys = frames["surveys"].assign(tier=lambda d: (d["score"] % 3).astype(np.int64),
                                       band=lambda d: pd.Categorical(np.where(d["score"] > 5, "hi", "lo"),
                                                                     categories=["lo", "hi", "unused"]))
    ddf, whole = uneven(surveys, seed=3)
    got = chd.feedback_summary(ddf, "nps", by=["tier", "band"])
    want = ch.feedback_summary(whole, "nps", by=["tier", "band"])
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["tier"].dtype == np.int64 and list(got["band"].cat.categories) == ["lo", "hi", "unused"]


def test_payments_summary_equals_one_process_to_the_bit(client, frames):
    ddf, whole = uneven(frames["payments"], seed=1)
    got = chd.payments_summary(ddf, by=["segment", "currency"], period="M")
    want = ch.payments_summary(whole, by=["segment", "currency"], period="M")
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, want, check_exact=True)  # volumes: compensated sums, any order
    # By segment alone the groups mix currencies: NaN volumes, merged across partitions by currency
    # name (each partition's dictionary is its own); a renamed currency column is read when named.
    mixed = chd.payments_summary(ddf, by="segment", period="M")
    pd.testing.assert_frame_equal(mixed, ch.payments_summary(whole, by="segment", period="M"), check_exact=True)
    assert mixed["payment_volume"].isna().any() and mixed["payments"].sum() == (whole["type"] == "payment").sum()
    renamed = ddf.rename(columns={"currency": "ccy"})
    pd.testing.assert_frame_equal(chd.payments_summary(renamed, by="segment", period="M", currency_col="ccy"), mixed,
                                  check_exact=True)
    with pytest.raises(ch.InvalidInputError, match="no currency column 'nope'"):
        chd.payments_summary(ddf, currency_col="nope")


def test_sla_summary_equals_one_process_to_the_bit(client, frames):
    ddf, whole = uneven(frames["tickets"], seed=2)
    for as_of in (None, AS_OF):
        got = chd.sla_summary(ddf, by=["segment", "priority"], period="M", as_of=as_of)
        want = ch.sla_summary(whole, by=["segment", "priority"], period="M", as_of=as_of)
        assert len(got) > 0 and got["first_response_median_h"].notna().any()
        pd.testing.assert_frame_equal(got, want, check_exact=True)  # quantiles too: the state keeps the times
        assert got.attrs["as_of"] == want.attrs["as_of"]


# ---- per-account analytics: partitioned by account ----

@pytest.mark.parametrize("mode", ["on", "on_or_after"])
def test_cohort_retention_equals_one_process_to_the_bit(client, frames, mode):
    ddf, whole = by_account(frames["usage"])
    for as_of in (None, AS_OF):
        got = chd.cohort_retention(ddf, period="M", mode=mode, as_of=as_of, split_every=2)
        want = ch.cohort_retention(whole, period="M", mode=mode, as_of=as_of)
        for name in ("sizes", "accounts", "average"):
            pd.testing.assert_series_equal(getattr(got, name), getattr(want, name), check_exact=True)
        for name in ("counts", "rates"):
            pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)
        assert (got.as_of, got.excluded) == (want.as_of, want.excluded)


def test_revenue_cohorts_equal_one_process_to_rounding(client, frames):
    # MRR sums over accounts, merged in another order: equal to rounding, not necessarily to the bit.
    ddf, whole = by_account(frames["mrr"])
    got = chd.cohort_retention(ddf, value="mrr")
    want = ch.cohort_retention(whole, value="mrr")
    pd.testing.assert_frame_equal(got.rates, want.rates, rtol=1e-12, atol=0)
    pd.testing.assert_series_equal(got.sizes, want.sizes, rtol=1e-12, atol=0)
    pd.testing.assert_series_equal(got.accounts, want.accounts, check_exact=True)


def test_lifecycle_equals_one_process_to_the_bit(client, frames):
    ddf, whole = by_account(frames["usage"])
    for period in ("M", "W"):
        got = chd.lifecycle(ddf, period=period)
        want = ch.lifecycle(whole, period=period)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert got.attrs == want.attrs


@pytest.mark.parametrize("call,table", [(chd.cohort_retention, "usage"), (chd.lifecycle, "usage"),
                                        (chd.revenue_retention, "mrr")])
def test_an_account_split_across_partitions_is_refused(client, frames, call, table):
    usage = frames[table]
    account = usage["account_id"].iloc[0]
    rows = usage[usage["account_id"] == account]
    others = usage[usage["account_id"] != account]
    ddf = dask_frame([rows.iloc[:1], others.iloc[:0], others, rows.iloc[1:]])
    with pytest.raises(ch.InvalidInputError, match=rf"account '{account}' appears in partitions 0 and 3"):
        call(ddf, as_of=AS_OF)
    if table == "usage":  # ... and by start, where the first pass finds it
        accounts = frames["accounts"]
        with pytest.raises(ch.InvalidInputError, match=rf"account '{account}' appears in partitions 0 and 3"):
            chd.cohort_retention({"usage": ddf, "accounts": accounts}, cohort_by="start")



def month_number(times: pd.Series) -> pd.Series:
    return times.dt.year * 12 + times.dt.month - 1


def pandas_cohort_counts(usage: pd.DataFrame, events: list[str], as_of: str,
                         starts: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Independent head cohorts (mode "on", monthly): per cohort its accounts, per (cohort, offset) the
    accounts with a qualifying event in month cohort + offset; the cohort is the first qualifying
    month, or with `starts` (account id → start) the month of the start (before as_of)."""
    u = usage[usage["event"].isin(events) & (usage["timestamp"] < pd.Timestamp(as_of))]
    ids = u["account_id"].astype(object)
    month = month_number(u["timestamp"])
    if starts is None:
        cohort_of = month.groupby(ids).min()
    else:
        started = starts[starts.notna() & (starts < pd.Timestamp(as_of))]
        cohort_of = month_number(started)
    cells = pd.DataFrame({"id": ids, "cohort": ids.map(cohort_of), "offset": month - ids.map(cohort_of)})
    cells = cells.dropna().astype({"cohort": np.int64, "offset": np.int64})
    cells = cells[cells["offset"] >= 0].drop_duplicates()
    return cohort_of.value_counts(), cells.groupby(["cohort", "offset"]).size()


def assert_cohorts_match(got, sizes: pd.Series, cells: pd.Series) -> None:
    """A CohortRetention against independent sizes and cells (every observed cell: its count or 0)."""
    index = month_number(pd.Series(got.sizes.index))
    nonempty = got.sizes.to_numpy() > 0  # the matrix keeps the empty cohorts between others
    assert dict(zip(index[nonempty], got.sizes.to_numpy()[nonempty])) == {int(k): float(v) for k, v in sizes.items()}
    observed = got.counts.stack().dropna()
    assert len(observed) > 10 and observed.sum() > 0
    for (cohort, offset), value in observed.items():
        key = (int(month_number(pd.Series([cohort])).iloc[0]), int(offset))
        assert value == cells.get(key, 0), key


EVENTS = ["export", "integration_setup"]


def test_cohort_retention_with_events_equals_one_process_and_pandas(client, frames):
    ddf, whole = by_account(frames["usage"])
    for events, as_of in ((EVENTS, AS_OF), ("invite_user", None)):
        got = chd.cohort_retention(ddf, events=events, as_of=as_of, split_every=2)
        want = ch.cohort_retention(whole, events=events, as_of=as_of)
        for name in ("sizes", "accounts", "average"):
            pd.testing.assert_series_equal(getattr(got, name), getattr(want, name), check_exact=True)
        for name in ("counts", "rates"):
            pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)
        assert (got.as_of, got.excluded) == (want.as_of, want.excluded) and got.excluded > 0
    got = chd.cohort_retention(ddf, events=EVENTS, as_of=AS_OF)
    assert_cohorts_match(got, *pandas_cohort_counts(whole, EVENTS, AS_OF))


def accounts_with_strays(frames) -> pd.DataFrame:
    """The accounts table plus accounts without any usage (two starting before AS_OF, one after)."""
    accounts = frames["accounts"].assign(account_id=lambda d: d["account_id"].astype(object))
    strays = pd.DataFrame({"account_id": ["stray_1", "stray_2", "stray_3"],
                           "start": pd.to_datetime(["2024-03-04", "2024-07-30", "2025-06-01"])})
    return pd.concat([accounts, strays], ignore_index=True)


@pytest.mark.parametrize("events", [None, EVENTS])
def test_cohorts_by_start_equal_one_process_and_pandas(client, frames, events):
    ddf, whole = by_account(frames["usage"])
    accounts = accounts_with_strays(frames)
    want = ch.cohort_retention({"usage": whole, "accounts": accounts}, cohort_by="start", events=events, as_of=AS_OF)
    for given in (accounts, dd.from_pandas(accounts, npartitions=3)):  # pandas or dask accounts
        got = chd.cohort_retention({"usage": ddf, "accounts": given}, cohort_by="start", events=events, as_of=AS_OF,
                                   split_every=2)
        for name in ("sizes", "accounts", "average"):
            pd.testing.assert_series_equal(getattr(got, name), getattr(want, name), check_exact=True)
        for name in ("counts", "rates"):
            pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)
        assert (got.as_of, got.excluded) == (want.as_of, want.excluded)
    starts = accounts.set_index("account_id")["start"]
    assert_cohorts_match(got, *pandas_cohort_counts(whole, events or list(whole["event"].cat.categories), AS_OF,
                                                    starts))
    default = chd.cohort_retention({"usage": ddf, "accounts": accounts}, cohort_by="start", events=events)
    pd.testing.assert_frame_equal(default.counts, ch.cohort_retention({"usage": whole, "accounts": accounts},
                                                                      cohort_by="start", events=events).counts,
                                  check_exact=True)


def test_the_light_usage_ingest_equals_the_full_one_and_falls_back_for_bad_rows(client, frames):
    """Partitions of usage take the light ingest (_light_usage); ids of other kinds, extra columns and
    rows the full ingest refuses give the single-process numbers and errors."""
    usage = frames["usage"]
    part = usage.iloc[:500]
    light = chd._light_usage(part)
    assert light is not None and light.account_ids == ch.Dataset(usage=part).account_ids
    codes = pd.factorize(usage["account_id"], sort=True)[0]
    kinds = {"int ids": usage.assign(account_id=codes * 7, event=usage["event"].astype(object)),
             "float ids": usage.assign(account_id=(codes * 7).astype(np.float64)),
             "extra column": usage.assign(note="x")}
    for name, variant in kinds.items():
        assert (chd._light_usage(variant.iloc[:500]) is None) == (name == "extra column"), name
        ddf, whole = by_account(variant)
        got, want = chd.cohort_retention(ddf, as_of=AS_OF), ch.cohort_retention(whole, as_of=AS_OF)
        pd.testing.assert_frame_equal(got.counts, want.counts, check_exact=True)
        pd.testing.assert_frame_equal(chd.lifecycle(ddf, as_of=AS_OF), ch.lifecycle(whole, as_of=AS_OF),
                                      check_exact=True)
    parts = [usage.iloc[:300], usage.iloc[300:600].reset_index(drop=True)]
    for column, bad in (("value", np.nan), ("timestamp", pd.Timestamp("1850-01-01")), ("event", None)):
        broken = parts[1].copy()
        broken.loc[4, column] = bad
        assert chd._light_usage(broken) is None, column
        with pytest.raises(ch.InvalidInputError) as single:
            ch.lifecycle(broken, as_of=AS_OF)
        with pytest.raises(ch.InvalidInputError) as distributed_:
            chd.lifecycle(dask_frame([parts[0], broken]), as_of=AS_OF)
        assert str(distributed_.value) == f"custhealth.dask.lifecycle: partition 1 of 2: {single.value}", column


def test_revenue_cohorts_by_start_equal_one_process_to_rounding(client, frames):
    ddf, whole = by_account(frames["mrr"])
    accounts = accounts_with_strays(frames)
    got = chd.cohort_retention({"mrr": ddf, "accounts": accounts}, cohort_by="start", value="mrr")
    want = ch.cohort_retention({"mrr": whole, "accounts": accounts}, cohort_by="start", value="mrr")
    assert len(got.sizes) > 0
    pd.testing.assert_frame_equal(got.rates, want.rates, rtol=1e-12, atol=0)
    pd.testing.assert_series_equal(got.sizes, want.sizes, rtol=1e-12, atol=0)
    pd.testing.assert_series_equal(got.accounts, want.accounts, check_exact=True)
    assert got.excluded == want.excluded


def test_lifecycle_with_events_equals_one_process_and_pandas(client, frames):
    ddf, whole = by_account(frames["usage"])
    for events, as_of in ((EVENTS, AS_OF), ("alert_rule", None)):
        got = chd.lifecycle(ddf, events=events, as_of=as_of)
        want = ch.lifecycle(whole, events=events, as_of=as_of)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert got.attrs == want.attrs
    # Independently: the accounts active (with a qualifying event) per month, compared month to month.
    got = chd.lifecycle(ddf, events=EVENTS, as_of=AS_OF)
    u = whole[whole["event"].isin(EVENTS) & (whole["timestamp"] < pd.Timestamp(AS_OF))]
    active = u.groupby(month_number(u["timestamp"]))["account_id"].agg(lambda s: set(s.astype(object)))
    seen: set = set()
    for month in range(int(active.index.min()), int(month_number(pd.Series([pd.Timestamp(AS_OF)])).iloc[0])):
        now, before = active.get(month, set()), active.get(month - 1, set())
        row = got.loc[pd.Timestamp(year=month // 12, month=month % 12 + 1, day=1)]
        assert (row["new"], row["retained"], row["resurrected"], row["dormant"]) == (
            len(now - seen), len(now & before), len((now - before) & seen), len(before - now)), month
        seen |= now


def pandas_revenue_retention(mrr: pd.DataFrame, months: int, as_of: str | None) -> pd.DataFrame:
    """Independent GRR / NRR / logo retention: MRR per account × month (0 where absent), then per month
    m1 the accounts paying at m1 − months."""
    m = mrr if as_of is None else mrr[mrr["month"] < pd.Timestamp(as_of)]
    grid = m.assign(n=month_number(m["month"]), id=m["account_id"].astype(object)).pivot_table(
        index="id", columns="n", values="mrr", aggfunc="sum", fill_value=0.0)
    grid = grid.reindex(columns=range(grid.columns.min(), grid.columns.max() + 1), fill_value=0.0)
    rows = {}
    for m1 in range(grid.columns.min() + months, grid.columns.max() + 1):
        v0, v1 = grid[m1 - months], grid[m1]
        paying = v0 > 0
        rows[pd.Timestamp(year=m1 // 12, month=m1 % 12 + 1, day=1)] = {
            "accounts": paying.sum(), "retained_accounts": (paying & (v1 > 0)).sum(), "start_mrr": v0[paying].sum(),
            "retained_mrr": np.minimum(v0, v1)[paying].sum(), "end_mrr": v1[paying].sum()}
    return pd.DataFrame.from_dict(rows, orient="index")


def test_revenue_retention_equals_one_process_and_pandas(client, frames):
    ddf, whole = by_account(frames["mrr"])
    counts = ["accounts", "retained_accounts"]
    for months, as_of in ((12, None), (3, None), (1, "2024-09-15")):
        got = chd.revenue_retention(ddf, months=months, as_of=as_of, split_every=2)
        want = ch.revenue_retention(whole, months=months, as_of=as_of)
        assert len(got) > 0 and (got["accounts"] > 0).all()
        # Counts (and logo retention) to the bit; MRR sums over accounts merged in another order, to rounding.
        pd.testing.assert_frame_equal(got[counts + ["start_month", "logo_retention"]],
                                      want[counts + ["start_month", "logo_retention"]], check_exact=True)
        pd.testing.assert_frame_equal(got, want, rtol=1e-12, atol=0)
        peer_ = pandas_revenue_retention(whole, months, as_of)
        np.testing.assert_array_equal(got[counts].to_numpy(), peer_[counts].to_numpy())
        np.testing.assert_allclose(got[["start_mrr", "retained_mrr", "end_mrr"]].to_numpy(),
                                   peer_[["start_mrr", "retained_mrr", "end_mrr"]].to_numpy(), rtol=1e-12)
        np.testing.assert_array_equal(got.index, peer_.index)
    # Whole-unit MRR sums exactly in any order: then every column is the same bits.
    ddf, whole = by_account(frames["mrr"].assign(mrr=lambda d: d["mrr"].round()))
    pd.testing.assert_frame_equal(chd.revenue_retention(ddf, months=3), ch.revenue_retention(whole, months=3),
                                  check_exact=True)
    # A table shorter than the lag: the empty series, as one process gives it.
    pd.testing.assert_frame_equal(chd.revenue_retention(ddf, months=60), ch.revenue_retention(whole, months=60))


@pytest.fixture(scope="module")
def tables(client, frames):
    """Every table partitioned by account alike (partition i holds the same accounts in each table),
    one partition empty; with the concatenation in the same order."""
    n_parts = 4
    ids = pd.Index(sorted(frames["accounts"]["account_id"]))
    out, whole = {}, {}
    for name in ("usage", "accounts", "surveys", "tickets", "mrr", "payments"):
        df = frames[name].drop(columns=["segment"]) if name in ("surveys", "tickets", "payments") else frames[name]
        part = np.minimum(ids.get_indexer(df["account_id"]) % 7, n_parts - 2)
        out[name] = dask_frame([df[part == i] for i in range(n_parts)])
        whole[name] = concatenated(out[name])
    return out, whole


def test_signals_equal_one_process_to_the_bit(client, tables):
    tables, whole = tables
    names = [n for n in ch.signal_catalog()["name"] if n not in chd.CROSS_ACCOUNT_SIGNALS]
    got = chd.signals(tables, as_of=AS_OF)
    want = ch.signals(ch.Dataset(**whole), as_of=AS_OF, names=names).sort_index(kind="stable")
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    many = chd.signals(tables, as_of=["2024-06-01", AS_OF], names=["usage.events_30d", "nps.score_180d"])
    pd.testing.assert_frame_equal(many, ch.signals(ch.Dataset(**whole), as_of=["2024-06-01", AS_OF],
                                                   names=["usage.events_30d", "nps.score_180d"]).sort_index(),
                                  check_exact=True)
    with pytest.raises(ch.InvalidInputError, match="adoption.depth compare an account with other accounts"):
        chd.signals(tables, as_of=AS_OF, names=["adoption.depth"])


def test_scores_equal_one_process_and_cross_account_cards_are_refused(client, tables):
    tables, whole = tables
    card = ch.Scorecard.load("saas_health_v1")
    with pytest.raises(ch.InvalidInputError, match="compares accounts with each other"):
        chd.score(card, tables, as_of=AS_OF)
    spec = card.to_dict()
    for group in spec["groups"]:
        group["measures"] = [m for m in group["measures"] if "percentile" not in m["map"]
                             and m["signal"] not in chd.CROSS_ACCOUNT_SIGNALS]
    spec["groups"] = [g for g in spec["groups"] if g["measures"]]
    local = ch.Scorecard.from_dict(spec)
    got = chd.score(local, tables, as_of=AS_OF)
    want = local.score(ch.Dataset(**whole), as_of=AS_OF).sort_index(kind="stable")
    assert got["score"].notna().sum() > 10
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_signals_refuse_an_account_in_two_partitions(client, tables):
    tables, whole = tables
    usage = whole["usage"]
    account = usage["account_id"].iloc[0]
    moved = dict(tables)
    others = usage[usage["account_id"] != account]
    moved["usage"] = dask_frame([others, usage[usage["account_id"] == account], others.iloc[:0], others.iloc[:0]])
    with pytest.raises(ch.InvalidInputError, match=r"account .* appears in partitions \d and \d"):
        chd.signals(moved, as_of=AS_OF, names=["usage.events_30d"])
    with pytest.raises(ch.InvalidInputError, match="pass as_of"):
        chd.signals(tables, as_of=None)
    with pytest.raises(TypeError, match="dict of dask DataFrames"):
        chd.signals(whole["usage"], as_of=AS_OF)

# ---- survival ----

def survival_sample(seed: int, n: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"t": np.round(rng.exponential(30.0, n)) + rng.integers(0, 2, n) * 0.5,
                         "e": rng.random(n) < 0.7,
                         "w": rng.integers(1, 4, n) * 0.3,
                         "group": rng.integers(0, 2, n)})


def test_kaplan_meier_equals_one_process_to_the_bit(client):
    sample = survival_sample(5)
    ddf, whole = uneven(sample, seed=5)
    km = chd.KaplanMeier().fit(ddf["t"], ddf["e"])
    want = ch.KaplanMeier().fit(whole["t"], whole["e"])
    for name in ("survival_function_", "confidence_interval_", "event_table_", "variance_"):
        pd.testing.assert_frame_equal(getattr(km, name), getattr(want, name), check_exact=True)
    assert km.median_survival_time_ == want.median_survival_time_ and km.median_ci_ == want.median_ci_
    again = pickle.loads(pickle.dumps(km))
    pd.testing.assert_frame_equal(again.survival_function_, want.survival_function_, check_exact=True)
    # No event flags: every exit an event.
    pd.testing.assert_frame_equal(chd.KaplanMeier().fit(ddf["t"]).survival_function_,
                                  ch.KaplanMeier().fit(whole["t"]).survival_function_, check_exact=True)


def test_weighted_kaplan_meier_with_late_entry_equals_one_process_to_rounding(client):
    sample = survival_sample(6).assign(entry=lambda d: np.floor(d["t"] / 3))
    ddf, whole = uneven(sample, seed=6)
    km = chd.KaplanMeier(alpha=0.1).fit(ddf["t"], ddf["e"], entry=ddf["entry"], weights=ddf["w"])
    want = ch.KaplanMeier(alpha=0.1).fit(whole["t"], whole["e"], entry=whole["entry"], weights=whole["w"])
    # Weight sums per event time are float sums merged in another order.
    pd.testing.assert_frame_equal(km.survival_function_, want.survival_function_, rtol=1e-12, atol=1e-15)
    pd.testing.assert_frame_equal(km.event_table_, want.event_table_, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("weightings", [None, "wilcoxon", "peto", "fleming-harrington"])
def test_logrank_equals_one_process_to_the_bit(client, weightings):
    sample = survival_sample(7)
    ddf, whole = uneven(sample, seed=7)
    a, b = ddf[ddf["group"] == 0], ddf[ddf["group"] == 1]
    wa, wb = whole[whole["group"] == 0], whole[whole["group"] == 1]
    pq = {"p": 1.0, "q": 0.5} if weightings == "fleming-harrington" else {}
    got = chd.logrank_test(a["t"], b["t"], a["e"], b["e"], t_0=60, weightings=weightings, **pq)
    want = ch.logrank_test(wa["t"], wb["t"], wa["e"], wb["e"], t_0=60, weightings=weightings, **pq)
    assert (got.test_statistic, got.p_value, got.degrees_of_freedom) == (want.test_statistic, want.p_value, 1)
    assert got.test_name == want.test_name
    pd.testing.assert_frame_equal(got.groups, want.groups, check_exact=True)


def test_weighted_logrank_equals_one_process_to_rounding(client):
    sample = survival_sample(8)
    ddf, whole = uneven(sample, seed=8)
    a, b = ddf[ddf["group"] == 0], ddf[ddf["group"] == 1]
    wa, wb = whole[whole["group"] == 0], whole[whole["group"] == 1]
    got = chd.logrank_test(a["t"], b["t"], a["e"], b["e"], weights_A=a["w"], weights_B=b["w"])
    want = ch.logrank_test(wa["t"], wb["t"], wa["e"], wb["e"], weights_A=wa["w"], weights_B=wb["w"])
    assert got.test_statistic == pytest.approx(want.test_statistic, rel=1e-10)
    assert got.p_value == pytest.approx(want.p_value, rel=1e-9)


# ---- partial states ----

def test_states_pickle_and_merge_exactly(frames):
    surveys = frames["surveys"]
    half = len(surveys) // 2
    step = lambda df: ch.feedback._raw(df, "nps", ["segment"], "M", None, None, None, 2, 0.95, "timestamp",  # noqa: E731
                                       "score", "kind", state=True)[0]
    a, b, whole = step(surveys.iloc[:half]), step(surveys.iloc[half:]), step(surveys)
    assert a.merge(b) == whole and b.merge(a) == whole
    assert pickle.loads(pickle.dumps(a)) == a
    mrr = frames["mrr"]
    state = ch._core.revenue_state(ch.Dataset(mrr=mrr)._native, 3, None, 23_900, 24_300)
    assert pickle.loads(pickle.dumps(state)) == state and state.result()["month"].size > 0
    with pytest.raises(ch.InvalidInputError, match="different lags"):
        state.merge(ch._core.revenue_state(ch.Dataset(mrr=mrr)._native, 2, None, 23_900, 24_300))


def test_corrupt_states_are_refused_never_half_loaded(frames):
    """A state's bytes are checked on the way back: length, format tag, and the invariants the
    estimators rely on (here: a Kaplan–Meier table's times non-negative and increasing)."""
    def restore(state, blob: bytes):
        fresh = type(state).__new__(type(state))
        fresh.__setstate__(blob)
        return fresh

    surveys = frames["surveys"]
    nps = ch.feedback._raw(surveys, "nps", ["segment"], "M", None, None, None, 2, 0.95, "timestamp", "score", "kind",
                           state=True)[0]
    blob = nps.__getstate__()
    assert restore(nps, blob) == nps
    with pytest.raises(ch.InvalidInputError, match="unpickling nps_state/2: truncated"):
        restore(nps, blob[:-3])
    with pytest.raises(ch.InvalidInputError, match="unpickling nps_state/2: trailing bytes"):
        restore(nps, blob + b"\0")
    km = ch._core.km_state(np.array([3.0, 5.0, 8.0]), np.array([1, 0, 1], dtype=np.uint8))
    with pytest.raises(ch.InvalidInputError, match="format 'km_state/2'"):
        restore(nps, km.__getstate__())
    good = km.__getstate__()
    header = 8 + len("km_state/2") + 1 + 8  # format tag, (no) parameters, the times' length
    bad = good[:header] + struct.pack("<d", -1.0) + good[header + 8:]
    with pytest.raises(ch.InvalidInputError, match="times not finite, non-negative and increasing"):
        restore(km, bad)


def test_states_of_different_parameters_do_not_merge(frames):
    surveys = frames["surveys"]
    step = lambda df, c: ch.feedback._raw(df, "nps", [], None, None, None, None, 2, c, "timestamp",  # noqa: E731
                                          "score", "kind", state=True)[0]
    with pytest.raises(ch.InvalidInputError, match="different parameters"):
        step(surveys, 0.95).merge(step(surveys, 0.9))


# ---- bad input ----

def test_wrong_columns_and_dtypes_give_the_single_process_errors(client, frames):
    surveys = frames["surveys"]
    missing = surveys.drop(columns="score")
    with pytest.raises(ch.InvalidInputError) as single:
        ch.feedback_summary(missing)
    with pytest.raises(ch.InvalidInputError) as distributed_:
        chd.feedback_summary(uneven(missing)[0])
    assert str(distributed_.value) == str(single.value)  # raised from the frame's meta, before anything runs

    wrong = surveys.assign(score=surveys["score"].map(lambda x: f"{x:.0f} points"))
    with pytest.raises(ch.InvalidInputError) as single:
        ch.feedback_summary(wrong)
    with pytest.raises(ch.InvalidInputError) as distributed_:
        chd.feedback_summary(uneven(wrong)[0])
    # The same error, from the partition that raised first (whose first bad value may be another one).
    assert str(single.value).split(": could not convert")[0] in str(distributed_.value)

    tickets = frames["tickets"].drop(columns="opened_at")
    with pytest.raises(ch.InvalidInputError) as single:
        ch.sla_summary(tickets)
    with pytest.raises(ch.InvalidInputError) as distributed_:
        chd.sla_summary(uneven(tickets)[0])
    assert str(distributed_.value) == str(single.value)

    usage = frames["usage"].rename(columns={"timestamp": "time"})
    with pytest.raises(ch.InvalidInputError) as single:
        ch.cohort_retention(usage)
    with pytest.raises(ch.InvalidInputError) as distributed_:
        chd.cohort_retention(by_account(usage)[0])
    assert str(distributed_.value) == str(single.value)

    payments = frames["payments"].assign(amount=frames["payments"]["amount"].map(lambda x: f"{x} EUR"))
    with pytest.raises(ch.InvalidInputError) as single:
        ch.payments_summary(payments)
    with pytest.raises(ch.InvalidInputError) as distributed_:
        chd.payments_summary(uneven(payments)[0])
    assert str(single.value).split(": could not convert")[0] in str(distributed_.value)


def test_bad_events_accounts_and_mrr_give_the_single_process_errors(client, frames):
    usage, whole = by_account(frames["usage"])
    for events in (["export", "no_such_event"], []):
        for route in ("cohort_retention", "lifecycle"):
            with pytest.raises(ch.InvalidInputError) as single:
                getattr(ch, route)(whole, events=events)
            with pytest.raises(ch.InvalidInputError) as distributed_:
                getattr(chd, route)(usage, events=events)
            assert str(distributed_.value) == str(single.value)
    for options in ({"period": "fortnight"}, {"mode": "sometimes"}, {"cohort_by": "signup"}):
        with pytest.raises(ch.InvalidInputError) as single:
            ch.cohort_retention(whole, **options)
        with pytest.raises(ch.InvalidInputError) as distributed_:
            chd.cohort_retention(usage, **options)
        assert str(distributed_.value) == str(single.value)  # before any pass, not from a partition
    with pytest.raises(ch.InvalidInputError) as single:
        ch.lifecycle(whole, period="fortnight")
    with pytest.raises(ch.InvalidInputError) as distributed_:
        chd.lifecycle(usage, period="fortnight")
    assert str(distributed_.value) == str(single.value)
    without_starts = frames["accounts"].drop(columns="start")
    for accounts in (None, without_starts):  # by start without any start date
        tables_ = {"usage": whole} | ({} if accounts is None else {"accounts": accounts})
        with pytest.raises(ch.InvalidInputError) as single:
            ch.cohort_retention(tables_, cohort_by="start")
        with pytest.raises(ch.InvalidInputError) as distributed_:
            chd.cohort_retention(tables_ | {"usage": usage}, cohort_by="start")
        assert str(distributed_.value) == str(single.value)
    bad_start = frames["accounts"].assign(start="someday")
    with pytest.raises(ch.InvalidInputError) as single:
        ch.cohort_retention({"usage": whole, "accounts": bad_start}, cohort_by="start")
    with pytest.raises(ch.InvalidInputError) as distributed_:
        chd.cohort_retention({"usage": usage, "accounts": bad_start}, cohort_by="start")
    assert str(distributed_.value) == str(single.value)
    with pytest.raises(TypeError, match="accounts table must be a pandas or dask DataFrame"):
        chd.cohort_retention({"usage": usage, "accounts": [1, 2]}, cohort_by="start")

    mrr, whole_mrr = by_account(frames["mrr"])
    with pytest.raises(ch.InvalidInputError) as single:
        ch.cohort_retention(whole_mrr, value="mrr", events=["login"])
    with pytest.raises(ch.InvalidInputError) as distributed_:
        chd.cohort_retention(mrr, value="mrr", events=["login"])
    assert str(distributed_.value) == str(single.value)
    for bad, months in ((frames["mrr"].drop(columns="mrr"), 12), (frames["mrr"].assign(mrr="lots"), 12),
                        (frames["mrr"], 0)):
        with pytest.raises(ch.InvalidInputError) as single:
            ch.revenue_retention(bad, months=months)
        with pytest.raises(ch.InvalidInputError) as distributed_:
            chd.revenue_retention(by_account(bad)[0], months=months)
        assert str(single.value).split(": could not convert")[0] in str(distributed_.value)
    with pytest.raises(ch.InvalidInputError, match="revenue retention: the mrr table is empty"):
        chd.revenue_retention(dask_frame([frames["mrr"].iloc[:0]] * 3))
    with pytest.raises(TypeError, match=r"expected a dask DataFrame of mrr.*use custhealth\.revenue_retention"):
        chd.revenue_retention(frames["mrr"])


def test_a_failing_partition_is_named(client, frames):
    surveys = frames["surveys"]
    nps = surveys[surveys["kind"] == "nps"].reset_index(drop=True)
    parts = pieces(nps, [10, 10, 200, 400])
    bad = parts[3].copy()
    bad.iloc[5, bad.columns.get_loc("score")] = 11.0
    parts[3] = bad
    with pytest.raises(ch.InvalidInputError, match=r"partition 3 of 5: surveys\[5\]: NPS must be an integer 0\.\.10"):
        chd.feedback_summary(dask_frame(parts))
    usage = frames["usage"]
    broken = [usage.iloc[:100], usage.iloc[100:200].assign(timestamp=pd.NaT)]
    with pytest.raises(ch.InvalidInputError, match="partition 1 of 2"):
        chd.lifecycle(dask_frame(broken), as_of=AS_OF)
    mrr = by_account(frames["mrr"])[0].to_delayed()
    broken_mrr = [p.compute() for p in mrr]
    broken_mrr[2] = broken_mrr[2].assign(mrr=-5.0)
    with pytest.raises(ch.InvalidInputError, match=r"partition 2 of 5: mrr\[label \d+\]: column 'mrr': must not be negative"):
        chd.revenue_retention(dask_frame(broken_mrr))
    t = survival_sample(1)
    parts = pieces(t, [100, 200])
    parts[2] = parts[2].assign(t=-1.0)
    ddf = dask_frame(parts)
    with pytest.raises(ch.InvalidInputError, match="partition 2 of 3: "):
        chd.KaplanMeier().fit(ddf["t"], ddf["e"])


def test_arguments_the_dask_route_refuses(client, frames):
    ddf = uneven(frames["surveys"])[0]
    with pytest.raises(ch.InvalidInputError, match="trailing window needs as_of"):
        chd.feedback_summary(ddf, window_days=30)
    usage = by_account(frames["usage"])[0]
    with pytest.raises(ch.InvalidInputError, match="expected tables 'usage'"):
        chd.cohort_retention({"usage": usage, "tickets": usage}, cohort_by="start")
    sample = dd.from_pandas(survival_sample(2), npartitions=3)
    other = dd.from_pandas(survival_sample(2), npartitions=2)
    with pytest.raises(ch.InvalidInputError, match="partitioned differently"):
        chd.KaplanMeier().fit(sample["t"], other["e"])
    with pytest.raises(ch.InvalidInputError, match="durations_B is empty"):
        chd.logrank_test(sample["t"], sample["t"][sample["t"] < -1])


def test_non_dask_input_is_refused(frames):
    surveys = frames["surveys"]
    with pytest.raises(TypeError, match=r"expected a dask DataFrame.*use custhealth\.feedback_summary"):
        chd.feedback_summary(surveys)
    for call, table in ((chd.sla_summary, "tickets"), (chd.payments_summary, "payments"),
                        (chd.cohort_retention, "usage"), (chd.lifecycle, "usage")):
        with pytest.raises(TypeError, match="expected a dask DataFrame"):
            call(frames[table])
    with pytest.raises(TypeError, match="dask DataFrame"):
        chd.feedback_summary({"surveys": surveys})
    with pytest.raises(TypeError, match="durations must be a dask Series"):
        chd.KaplanMeier().fit(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="durations_A must be a dask Series"):
        chd.logrank_test([1.0, 2.0], [3.0])
