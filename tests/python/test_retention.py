"""Retention from Python: cohort matrices, lifecycle, MRR movements / bridge / revenue retention and
tenures, each checked against an independent pandas computation on seeded random data; bad input."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from custhealth import _core

# pandas' period aliases for ours: ISO weeks run Monday..Sunday, i.e. weeks ending on Sunday.
FREQ = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q"}
AS_OF = pd.Timestamp("2024-07-01")


def random_usage(seed: int = 1, accounts: int = 300) -> pd.DataFrame:
    """Accounts joining over 18 months with geometric gaps between events; some have a single event,
    some have all their events after AS_OF, and nobody is active in August 2023 (an empty period)."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2023-01-01").value // 10**9
    for a in range(accounts):
        t = start + int(rng.integers(0, 560 * 86400))
        n = 1 if a % 10 == 0 else int(rng.integers(1, 40))
        for _ in range(n):
            rows.append((f"acct_{a:04d}", t, rng.choice(["login", "export", "report"], p=[0.6, 0.1, 0.3])))
            t += int(rng.exponential(9 * 86400 * (1 + a % 3)))
    df = pd.DataFrame(rows, columns=["account_id", "ts", "event"])
    df["timestamp"] = pd.to_datetime(df["ts"], unit="s")
    df = df[(df.timestamp < "2023-08-01") | (df.timestamp >= "2023-09-01")]
    return df.drop(columns="ts").sample(frac=1.0, random_state=seed).reset_index(drop=True)


def pandas_cohorts(usage: pd.DataFrame, period: str, mode: str, as_of: pd.Timestamp,
                   events: list[str] | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """The idiomatic pandas computation: period per event, first period per account, distinct
    (account, period), counts per (cohort, offset); cells after the last full period masked."""
    df = usage[usage.timestamp < as_of]
    if events is not None:
        df = df[df.event.isin(events)]
    per = df.timestamp.dt.to_period(FREQ[period])
    d = pd.DataFrame({"account_id": df.account_id.to_numpy(), "p": per.array.asi8})
    first = d.groupby("account_id").p.min().rename("cohort")
    last_full = as_of.to_period(FREQ[period]).ordinal - 1
    cohorts = np.arange(first.min(), first.max() + 1)
    offsets = np.arange(0, max(1, last_full - first.min() + 1))
    sizes = first.value_counts().reindex(cohorts, fill_value=0).astype(float)
    if mode == "on":
        active = d.drop_duplicates().join(first, on="account_id")
        active = active[active.p <= last_full]
        counts = (active.assign(k=active.p - active.cohort).groupby(["cohort", "k"]).account_id.nunique()
                  .unstack(fill_value=0))
    else:
        span = (d.groupby("account_id").p.max().clip(upper=last_full) - first).rename("span").to_frame().join(first)
        counts = pd.DataFrame({k: (span.span >= k).groupby(span.cohort).sum() for k in offsets})
    counts = counts.reindex(index=cohorts, columns=offsets, fill_value=0).astype(float)
    observed = (cohorts[:, None] + offsets[None, :]) <= last_full
    counts = counts.where(observed)
    return sizes, counts


def index_of(period: str, ordinals: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Period(ordinal=int(o), freq=FREQ[period]).start_time for o in ordinals])


@pytest.fixture(scope="module")
def usage() -> pd.DataFrame:
    return random_usage()


@pytest.fixture(scope="module")
def usage_ds(usage) -> ch.Dataset:
    return ch.Dataset(usage=usage)


@pytest.mark.parametrize("period", ["D", "W", "M", "Q"])
@pytest.mark.parametrize("mode", ["on", "on_or_after"])
def test_cohort_matrix_equals_pandas(usage, usage_ds, period, mode):
    ours = ch.cohort_retention(usage_ds, period=period, mode=mode, as_of=AS_OF)
    sizes, counts = pandas_cohorts(usage, period, mode, AS_OF)
    expected_index = index_of(period, sizes.index.to_numpy())
    np.testing.assert_array_equal(ours.sizes.index, expected_index)
    np.testing.assert_array_equal(ours.sizes.to_numpy(), sizes.to_numpy())
    np.testing.assert_array_equal(ours.counts.to_numpy(), counts.to_numpy())  # NaN where unobserved
    rates = counts.div(sizes.replace(0, np.nan), axis=0)
    np.testing.assert_allclose(ours.rates.to_numpy(), rates.to_numpy(), rtol=1e-15, equal_nan=True)
    weights = counts.notna().mul(sizes, axis=0)
    average = counts.sum() / weights.sum()
    np.testing.assert_allclose(ours.average.to_numpy(), average.to_numpy(), rtol=1e-12, equal_nan=True)
    assert ours.excluded == usage.account_id.nunique() - int(sizes.sum())


def test_cohort_matrix_details(usage, usage_ds):
    r = ch.cohort_retention(usage_ds, as_of=AS_OF)
    assert list(r.counts.columns) == list(range(r.counts.shape[1]))
    assert r.rates.index.name == "cohort" and r.rates.columns.name == "offset"
    # August 2023 had no activity: nobody joined then (NaN row) and earlier cohorts show 0, not NaN.
    assert r.sizes.loc["2023-08-01"] == 0 and r.rates.loc["2023-08-01"].isna().all()
    assert r.counts.loc["2023-01-01", 7] == 0
    # The single-event accounts are in their cohort's size and only at offset 0.
    assert (r.rates[0].dropna() == 1.0).all()
    # June 2024 is the last full month: the June cohort has k=0 only; nothing later exists.
    assert r.rates.loc["2024-06-01", 0] == 1.0 and r.rates.loc["2024-06-01", 1:].isna().all()
    # Default as_of: the end of the data (the midnight after its last day); the partial last period is NaN.
    default = ch.cohort_retention(usage_ds)
    assert default.as_of == usage.timestamp.max().normalize() + pd.Timedelta(days=1)
    # The last full month is March 2027 (April is partial): 51 offsets from the January 2023 cohort,
    # all observed for it; later cohorts end in NaN where c + k passes March 2027.
    assert default.rates.shape[1] == 51 and default.rates.iloc[0].notna().all()
    assert np.isnan(default.rates.iloc[-1, -1]) and default.rates.iloc[-1, 0] == 1.0
    # A usage DataFrame works as well as a Dataset.
    direct = ch.cohort_retention(usage, as_of=AS_OF)
    pd.testing.assert_frame_equal(direct.rates, r.rates)


def test_event_filter_equals_pandas(usage, usage_ds):
    ours = ch.cohort_retention(usage_ds, period="M", events=["export", "report"], as_of=AS_OF)
    sizes, counts = pandas_cohorts(usage, "M", "on", AS_OF, events=["export", "report"])
    np.testing.assert_array_equal(ours.counts.to_numpy(), counts.to_numpy())
    np.testing.assert_array_equal(ours.sizes.to_numpy(), sizes.to_numpy())


def test_start_cohorts():
    usage = pd.DataFrame({"account_id": ["a", "a", "b", "c"],
                          "timestamp": pd.to_datetime(["2024-01-10", "2024-02-10", "2024-03-01", "2024-01-02"]),
                          "event": "login"})
    accounts = pd.DataFrame({"account_id": ["a", "b"], "start": ["2024-02-01", "2024-01-15"]})
    r = ch.cohort_retention(ch.Dataset(usage=usage, accounts=accounts), cohort_by="start", as_of="2024-04-01")
    assert r.excluded == 1
    # The usage log begins on 2 January, so January is not wholly observed (NaN, as the partial month
    # holding as_of is): the January cohort's month 0 is unknown, not 0 %.
    np.testing.assert_array_equal(r.rates.to_numpy(), [[np.nan, 0, 1], [1, 0, np.nan]])


def test_start_cohorts_before_the_usage_log_begins_are_unknown_not_zero():
    # Accounts signed in 2023; the usage log only begins in March 2024. Periods before it had no data:
    # NaN (not 0 % retention); from March on, the rates are the activity of each start cohort.
    rng = np.random.default_rng(4)
    ids = [f"acct-{i}" for i in range(40)]
    starts = pd.to_datetime("2023-06-01") + pd.to_timedelta(rng.integers(0, 200, 40), unit="D")
    times = pd.to_datetime("2024-03-01") + pd.to_timedelta(rng.integers(0, 120 * 86400, 300), unit="s")
    usage = pd.DataFrame({"account_id": rng.choice(ids, 300), "timestamp": times, "event": "login"})
    accounts = pd.DataFrame({"account_id": ids, "start": starts})
    as_of = pd.Timestamp("2024-07-01")
    r = ch.cohort_retention(ch.Dataset(usage=usage, accounts=accounts), cohort_by="start", as_of=as_of)
    # pandas: per start-month cohort and calendar month, the share of its accounts active that month.
    cohort = accounts.set_index("account_id")["start"].dt.to_period("M")
    active = usage.assign(p=usage.timestamp.dt.to_period("M"), c=usage.account_id.map(cohort)).drop_duplicates(["account_id", "p"])
    sizes = cohort.value_counts()
    # The first month wholly inside the log: the month after the first event's, unless that event
    # is at the month's very start.
    first = usage.timestamp.min()
    F = first.to_period("M") + (0 if first == first.to_period("M").start_time else 1)
    assert F == pd.Period("2024-04", "M")  # the first event is during 1 March, not at its start
    for c in r.rates.index:
        c_period = pd.Timestamp(c).to_period("M")
        for k in r.rates.columns:
            month = c_period + int(k)
            got = r.rates.loc[c, k]
            if month < F or month >= as_of.to_period("M"):
                assert np.isnan(got), (c, k)
            else:
                want = ((active.c == c_period) & (active.p == month)).sum() / sizes.get(c_period, np.nan)
                assert got == pytest.approx(want, abs=1e-12), (c, k)
    assert r.rates.notna().to_numpy().sum() > 15
    # The average curve skips the unknown cells rather than averaging zeros in: Σ counts / Σ sizes
    # over the known cells only.
    known = r.counts.notna() & (r.sizes > 0).to_numpy()[:, None]
    want = r.counts.where(known).sum() / known.mul(r.sizes, axis=0).sum()
    np.testing.assert_allclose(r.average.to_numpy(), want.to_numpy(), rtol=1e-12)
    assert (r.rates.notna().to_numpy().argmax(axis=1) > 0).all()  # every cohort begins before the log


def test_revenue_cohorts_by_start_before_the_mrr_table_have_no_size():
    # a started in November, b in January; MRR is recorded from January. November's MRR is not in the
    # data (not 0): a's cohort has a NaN size and rates; b's, inside the data, by hand: 100, then 150.
    accounts = pd.DataFrame({"account_id": ["a", "b"], "start": pd.to_datetime(["2023-11-10", "2024-01-05"])})
    mrr = pd.DataFrame({"account_id": ["a", "a", "b", "b"], "month": pd.to_datetime(["2024-01-01", "2024-02-01"] * 2),
                        "mrr": [50.0, 50.0, 100.0, 150.0]})
    r = ch.cohort_retention(ch.Dataset(accounts=accounts, mrr=mrr), value="mrr", cohort_by="start", as_of="2024-03-01")
    assert np.isnan(r.sizes.loc["2023-11-01"]) and r.rates.loc["2023-11-01"].isna().all()
    assert r.sizes.loc["2024-01-01"] == 100
    np.testing.assert_array_equal(r.rates.loc["2024-01-01"].to_numpy()[:2], [1.0, 1.5])


def test_plot_heat_map(usage_ds):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = ch.cohort_retention(usage_ds, as_of=AS_OF).plot()
    assert ax.get_title() == "Cohort retention (on)"
    assert len(ax.get_yticklabels()) == 18
    plt.close("all")


def pandas_lifecycle(usage: pd.DataFrame, period: str, as_of: pd.Timestamp) -> pd.DataFrame:
    last_full = as_of.to_period(FREQ[period]).ordinal - 1
    df = usage[usage.timestamp < as_of]
    act = pd.DataFrame({"account_id": df.account_id.to_numpy(),
                        "p": df.timestamp.dt.to_period(FREQ[period]).array.asi8}).drop_duplicates()
    act = act[act.p <= last_full]
    first = act.groupby("account_id").p.min().rename("first")
    shifted = act.assign(p=act.p + 1)  # active in the period before p
    both = act.merge(shifted, on=["account_id", "p"], how="outer", indicator=True).join(first, on="account_id")
    both = both[both.p <= last_full]
    state = np.select([both._merge == "both", (both._merge == "left_only") & (both.p == both["first"]),
                       both._merge == "left_only"], ["retained", "new", "resurrected"], "dormant")
    out = pd.crosstab(both.p, state).reindex(columns=["new", "retained", "resurrected", "dormant"], fill_value=0)
    out = out.reindex(np.arange(first.min(), last_full + 1), fill_value=0)
    out["active"] = out.new + out.retained + out.resurrected
    out.index = index_of(period, out.index.to_numpy())
    return out


@pytest.mark.parametrize("period", ["W", "M", "Q"])
def test_lifecycle_equals_pandas(usage, usage_ds, period):
    ours = ch.lifecycle(usage_ds, period=period, as_of=AS_OF)
    expected = pandas_lifecycle(usage, period, AS_OF)
    np.testing.assert_array_equal(ours.index, expected.index)
    np.testing.assert_array_equal(ours.to_numpy(), expected[list(ours.columns)].to_numpy())
    if period == "M":
        assert ours.loc["2023-08-01", "active"] == 0  # a period without activity is a row of its own


def random_mrr(seed: int = 2, accounts: int = 150) -> pd.DataFrame:
    """Monthly MRR with expansions, contractions, zero rows, missing months and late joiners."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2022-01", "2024-06", freq="M")
    rows = []
    for a in range(accounts):
        first = int(rng.integers(0, len(months) - 1))
        mrr = float(rng.choice([50, 100, 250, 1000]))
        for m in months[first:]:
            u = rng.random()
            if u < 0.04:
                break  # leaves: no further rows
            if u < 0.08:
                continue  # a missing month
            if u < 0.12:
                rows.append((f"m{a:03d}", str(m), 0.0))
                continue
            if u < 0.25:
                mrr = round(mrr * rng.uniform(0.6, 1.6), 2)
            rows.append((f"m{a:03d}", str(m), mrr))
    return pd.DataFrame(rows, columns=["account_id", "month", "mrr"])


def pandas_panel(mrr: pd.DataFrame) -> pd.DataFrame:
    """MRR per account × month, a missing month as 0, over the table's months."""
    table = mrr.assign(month=pd.PeriodIndex(mrr.month, freq="M"))
    months = pd.period_range(table.month.min(), table.month.max(), freq="M", name="month")
    return table.pivot(index="account_id", columns="month", values="mrr").reindex(columns=months).fillna(0.0)


def pandas_movements(mrr: pd.DataFrame) -> pd.DataFrame:
    panel = pandas_panel(mrr)
    prev = panel.shift(1, axis=1).fillna(0.0)
    paid_before = (panel > 0).astype(int).cumsum(axis=1).shift(1, axis=1).fillna(0).gt(0)
    long = pd.DataFrame({"mrr": panel.stack(), "previous_mrr": prev.stack(), "paid": paid_before.stack()}).reset_index()
    long = long[(long.mrr > 0) | (long.previous_mrr > 0)]
    long["movement"] = np.select(
        [(long.previous_mrr == 0) & ~long.paid, long.previous_mrr == 0, long.mrr == 0,
         long.mrr > long.previous_mrr, long.mrr < long.previous_mrr],
        ["new", "reactivation", "churn", "expansion", "contraction"], "unchanged")
    long["month"] = long.month.dt.to_timestamp()
    return long.sort_values(["account_id", "month"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def mrr() -> pd.DataFrame:
    return random_mrr()


def test_mrr_movements_equal_pandas(mrr):
    ours = ch.mrr_movements(mrr)
    expected = pandas_movements(mrr)
    assert len(ours) == len(expected)
    np.testing.assert_array_equal(ours.account_id.to_numpy(), expected.account_id.to_numpy())
    np.testing.assert_array_equal(ours.month.to_numpy(), expected.month.to_numpy())
    np.testing.assert_array_equal(ours.mrr.to_numpy(), expected.mrr.to_numpy())
    np.testing.assert_array_equal(ours.previous_mrr.to_numpy(), expected.previous_mrr.to_numpy())
    np.testing.assert_array_equal(ours.movement.astype(str).to_numpy(), expected.movement.to_numpy())
    assert set(ours.movement.astype(str)) == {"new", "expansion", "contraction", "churn", "reactivation", "unchanged"}


def test_mrr_bridge_equals_pandas_and_reconciles(mrr):
    bridge = ch.mrr_bridge(mrr)
    moves = pandas_movements(mrr)
    change = moves.mrr - moves.previous_mrr
    by_kind = change.groupby([moves.month, moves.movement]).sum().unstack(fill_value=0.0)
    panel = pandas_panel(mrr)
    np.testing.assert_allclose(bridge.closing_mrr.to_numpy(), panel.sum().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(bridge.opening_mrr.to_numpy()[1:], panel.sum().to_numpy()[:-1], rtol=1e-12)
    for ours, theirs, sign in [("new", "new", 1), ("expansion", "expansion", 1), ("reactivation", "reactivation", 1),
                               ("contraction", "contraction", -1), ("churn", "churn", -1)]:
        expected = by_kind.get(theirs, pd.Series(0.0, index=by_kind.index)).reindex(bridge.index, fill_value=0.0)
        np.testing.assert_allclose(bridge[ours].to_numpy(), sign * expected.to_numpy(), rtol=1e-12, atol=1e-9)
    flow = bridge.new + bridge.expansion + bridge.reactivation - bridge.contraction - bridge.churn
    np.testing.assert_allclose((bridge.closing_mrr - bridge.opening_mrr).to_numpy(), flow.to_numpy(), atol=1e-6)
    assert bridge.paying_accounts.dtype == np.int64


def test_revenue_retention_equals_pandas(mrr):
    ours = ch.revenue_retention(mrr, months=12)
    panel = pandas_panel(mrr)
    months = panel.columns
    assert len(ours) == len(months) - 12
    for m1 in months[12:]:
        m0 = m1 - 12
        base = panel[panel[m0] > 0]
        row = ours.loc[m1.to_timestamp()]
        assert row.start_month == m0.to_timestamp()
        assert row.accounts == len(base)
        assert row.grr == pytest.approx(np.minimum(base[m1], base[m0]).sum() / base[m0].sum(), rel=1e-12)
        assert row.nrr == pytest.approx(base[m1].sum() / base[m0].sum(), rel=1e-12)
        assert row.logo_retention == pytest.approx((base[m1] > 0).mean(), rel=1e-12)


def test_textbook_revenue_retention():
    mrr = pd.DataFrame({"account_id": ["churns", "churns", "contracts", "contracts", "expands", "expands", "joins"],
                        "month": ["2024-01", "2024-02"] * 3 + ["2024-02"],
                        "mrr": [10, 0, 30, 20, 60, 70, 40.0]})
    r = ch.revenue_retention(mrr, months=1)
    assert r.grr.iloc[0] == pytest.approx(0.8) and r.nrr.iloc[0] == pytest.approx(0.9)
    b = ch.mrr_bridge(mrr)
    assert b.gross_mrr_churn.iloc[1] == pytest.approx(0.2) and b.net_mrr_churn.iloc[1] == pytest.approx(0.1)
    revenue = ch.cohort_retention(mrr, value="mrr")
    np.testing.assert_allclose(revenue.rates.to_numpy(), [[1.0, 0.9], [1.0, np.nan]])


def test_tenure():
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"], "start": ["2024-01-01", "2024-01-01", "2024-05-01"],
                             "end": ["2024-01-31", None, None]})
    t = ch.tenure(accounts, as_of="2024-03-01")
    assert list(t.index) == ["a", "b"]
    assert list(t.duration) == [30.0, 60.0] and list(t.observed) == [True, False]
    assert t.attrs["not_started"] == 1 and t.attrs["without_start"] == 0


def test_gil_is_released_while_cohorts_compute(runs_without_gil):
    ds = ch.generate(n_accounts=10000, days=730, seed=3)
    # One core call, monthly (its numpy output is small beside the computation): between calls, or
    # around the Python wrapper's pandas work, the main thread could step even if the core held the GIL.
    native = ds._native
    assert runs_without_gil(lambda: _core.cohort_retention(native, "M", "on_or_after"))


# ---- bad input ----


def test_duplicated_mrr_months_are_rejected_by_the_loader():
    mrr = pd.DataFrame({"account_id": ["a", "a"], "month": ["2024-01", "2024-01-15"], "mrr": [1.0, 2.0]})
    with pytest.raises(ch.InvalidInputError, match=r"mrr\[1\]: column 'month': account already has a row for this month"):
        ch.mrr_movements(mrr)


def test_negative_mrr_is_rejected():
    mrr = pd.DataFrame({"account_id": ["a"], "month": ["2024-01"], "mrr": [-5.0]})
    with pytest.raises(ch.InvalidInputError, match="column 'mrr': must not be negative"):
        ch.revenue_retention(mrr)


def test_empty_tables_are_clear_errors():
    no_usage = ch.Dataset(accounts=pd.DataFrame({"account_id": ["a"], "start": ["2024-01-01"]}))
    with pytest.raises(ch.InvalidInputError, match="cohort retention: the usage table is empty"):
        ch.cohort_retention(no_usage)
    with pytest.raises(ch.InvalidInputError, match="lifecycle: the usage table is empty"):
        ch.lifecycle(no_usage)
    empty_mrr = pd.DataFrame({"account_id": pd.Series([], dtype=object), "month": pd.Series([], dtype=object),
                              "mrr": pd.Series([], dtype=float)})
    with pytest.raises(ch.InvalidInputError, match="mrr movements: the mrr table is empty"):
        ch.mrr_movements(empty_mrr)
    with pytest.raises(ch.InvalidInputError, match="revenue cohorts: the mrr table is empty"):
        ch.cohort_retention(empty_mrr, value="mrr")


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "weekly"}, 'unknown mode "weekly": expected one of on, on_or_after'),
    ({"period": "Y"}, 'unknown period "Y": expected D, W, M or Q'),
    ({"cohort_by": "signup"}, 'unknown cohort_by "signup": expected one of first_activity, start'),
    ({"value": "revenue"}, 'unknown value "revenue": expected one of accounts, mrr'),
    ({"events": ["exprot"]}, 'unknown event "exprot"'),
    ({"events": []}, "an empty list selects no activity"),
    ({"cohort_by": "start"}, "no account has a start date"),
])
def test_bad_arguments_are_clear_errors(usage_ds, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ch.cohort_retention(usage_ds, **kwargs)


def test_bad_revenue_arguments(mrr):
    with pytest.raises(ch.InvalidInputError, match="period must be M or Q"):
        ch.cohort_retention(mrr, value="mrr", period="W")
    with pytest.raises(ch.InvalidInputError, match='only mode "on"'):
        ch.cohort_retention(mrr, value="mrr", mode="on_or_after")
    with pytest.raises(ch.InvalidInputError, match="events filter applies to usage cohorts only"):
        ch.cohort_retention(mrr, value="mrr", events=["login"])
    with pytest.raises(ch.InvalidInputError, match="months must be"):
        ch.revenue_retention(mrr, months=0)
    with pytest.raises(TypeError, match="expected a custhealth.Dataset"):
        ch.mrr_bridge([1, 2, 3])
