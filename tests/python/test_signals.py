"""Signals from Python: every signal of the catalogue against an independent pandas computation of its
definition (signals_reference.py) on a generated portfolio at several as-of times (mid-data, a month
boundary, two hours past a midnight, near the data's end); accounts without rows and with rows only at
or after T; hand-made rows on every window edge; no leakage of rows at or after T; many as-of times at
once; threads; the catalogue; bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
import signals_reference as ref
from conftest import peer

T_MID = pd.Timestamp("2024-06-17 13:45:10")
T_MONTH = pd.Timestamp("2024-09-01")          # a midnight on the 1st: the MRR month is August
T_2AM = pd.Timestamp("2024-10-01 02:00")      # two hours past a midnight (and in October's first day)
T_END = pd.Timestamp("2024-12-31 20:00")      # the data ends 2024-12-31 22:42
TIMES = [T_MID, T_MONTH, T_2AM, T_END]
S = pd.Timedelta(seconds=1)
D = pd.Timedelta(days=1)
H = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def portfolio() -> ch.Dataset:
    return ch.generate(n_accounts=300, days=400, seed=11)


@pytest.fixture(scope="module")
def frames(portfolio) -> dict[str, pd.DataFrame]:
    return portfolio.to_frames()


def assert_matches_reference(ours: pd.DataFrame, theirs: pd.DataFrame, skip: dict[str, pd.Index] | None = None) -> None:
    """Same accounts in the same order, the catalogue's columns as float64, and each column equal:
    counts exactly, the rest to 1e-12 with NaN where the reference has NaN. Every failing column is
    named in the one failure."""
    skip = skip or {}
    assert ours.index.name == "account_id"
    assert list(ours.index.astype(str)) == list(theirs.index)
    assert list(ours.columns) == list(theirs.columns)
    assert all(ours[c].dtype == np.float64 for c in ours.columns), ours.dtypes[ours.dtypes != np.float64]
    failures = []
    for name in theirs.columns:
        keep = ~theirs.index.isin(skip.get(name, pd.Index([])))
        a, b = ours[name].to_numpy()[keep], theirs[name].to_numpy(dtype=float)[keep]
        try:
            if name in ref.COUNTS:
                np.testing.assert_array_equal(a, b, err_msg=name)
            else:
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=name)
        except AssertionError as err:
            same = np.isclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)
            bad = theirs.index[keep][~same]
            failures.append(f"{name}: {len(bad)} accounts differ, e.g. {list(bad[:3])}\n{err}")
    if failures:
        pytest.fail(f"{len(failures)} signal(s) differ from the reference: "
                    f"{[f.split(':')[0] for f in failures]}\n\n" + "\n\n".join(failures))


def nps_last_skips(frames: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> dict[str, pd.Index]:
    return {"nps.last": ref.ambiguous_nps_last(frames["surveys"], as_of)}


# ---- the generated portfolio -------------------------------------------------------------------------

@pytest.mark.parametrize("as_of", TIMES, ids=lambda t: str(t))
def test_every_signal_equals_pandas(portfolio, frames, as_of):
    ours = ch.signals(portfolio, as_of=as_of)
    assert ours.index.dtype == portfolio.table("accounts").account_id.dtype
    assert list(ours.index.astype(str)) == portfolio.account_ids  # every account, sorted by id
    assert list(ours.columns) == ref.NAMES
    theirs = ref.reference_signals(frames, as_of, csat_scale=portfolio.csat_scale)
    assert_matches_reference(ours, theirs, nps_last_skips(frames, as_of))
    # The generated data are not trivial here: most signals vary across accounts.
    assert (theirs.nunique() > 1).sum() >= 28


def test_as_of_as_string_or_timestamp(portfolio):
    a = ch.signals(portfolio, as_of="2024-06-17 13:45:10")
    b = ch.signals(portfolio, as_of=T_MID)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_names_select_columns_in_the_given_order(portfolio):
    names = ["mrr.current", "usage.events_7d", "support.sla_met_rate_90d"]
    some = ch.signals(portfolio, as_of=T_2AM, names=names)
    assert list(some.columns) == names
    everything = ch.signals(portfolio, as_of=T_2AM)
    pd.testing.assert_frame_equal(some, everything[names], check_exact=True)


def test_trend_is_theil_sen_over_mean_as_scipy(portfolio, frames):
    stats = peer("scipy.stats")
    ours = ch.signals(portfolio, as_of=T_2AM, names=["usage.trend_8w"])["usage.trend_8w"]
    usage = ref.plain(frames["usage"])
    ids = pd.Index(portfolio.account_ids)
    counts = ref.weekly_counts(usage, ids, T_2AM)
    expected = np.array([stats.theilslopes(c, np.arange(8.0))[0] / c.mean() if c.mean() > 0 else np.nan
                         for c in counts])
    np.testing.assert_allclose(ours.to_numpy(), expected, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert np.isfinite(expected).sum() > 150 and (expected > 0).any() and (expected < 0).any()


# ---- accounts without rows, rows only at or after T, rows on every window edge -------------------------

T_EDGE = T_MONTH  # 2024-09-01 00:00: the 90 d window starts 2024-06-03, 30 d 2024-08-02, 7 d 2024-08-25


def _rows(columns: list[str], rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def edge_frames(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The generated tables plus hand-made accounts, as of T_EDGE:
    acct_zz_empty   an accounts row only (no seats, no renewal date);
    acct_zz_late    every row (start included) at or after T;
    acct_zz_edges   rows exactly on and one second outside each window's edges, at T - 1 s and at T;
    acct_zz_mixed   payments in two currencies in 30 d; an MRR row of 0 only;
    acct_zz_orphan  no accounts row: a usage row and MRR rows (0 three months back, then 50)."""
    T = T_EDGE
    f = {name: ref.plain(df) for name, df in frames.items()}
    acc_cols = list(f["accounts"].columns)

    def account(aid, start, end, seats, renewal):
        return (aid, start, end, "smb", "starter", "csm_01", seats, renewal)

    accounts = _rows(acc_cols, [
        account("acct_zz_empty", pd.Timestamp("2024-03-01"), pd.NaT, np.nan, pd.NaT),
        account("acct_zz_late", T, pd.NaT, 3.0, pd.Timestamp("2025-09-01")),
        account("acct_zz_edges", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-08-15 12:00"), 12.0,
                pd.Timestamp("2024-08-01")),
        account("acct_zz_mixed", pd.Timestamp("2023-06-01"), pd.NaT, 4.0, pd.Timestamp("2025-06-01")),
    ])
    usage = _rows(["account_id", "timestamp", "event", "value", "user_id"], [
        ("acct_zz_late", T, "login", 1.0, "u_late"),
        ("acct_zz_late", T + H, "export", 1.0, "u_late"),
        ("acct_zz_edges", T - 90 * D - S, "login", 1.0, "u1"),
        ("acct_zz_edges", T - 90 * D, "login", 2.0, "u1"),
        ("acct_zz_edges", T - 30 * D - S, "export", 4.0, "u1"),
        ("acct_zz_edges", T - 30 * D, "export", 8.0, "u2"),
        ("acct_zz_edges", T - 7 * D - S, "report_view", 16.0, "u2"),
        ("acct_zz_edges", T - 7 * D, "report_view", 32.0, "u1"),
        ("acct_zz_edges", T - 7 * D + H, "login", 64.0, "u1"),
        ("acct_zz_edges", T - S, "api_call", 128.0, None),
        ("acct_zz_edges", T, "login", 256.0, "u3"),
        ("acct_zz_orphan", T - 2 * D, "login", 1.0, "u9"),
    ])
    surveys = _rows(["account_id", "timestamp", "kind", "score", "respondent"], [
        ("acct_zz_late", T, "nps", 10.0, "r"),
        ("acct_zz_late", T + D, "csat", 5.0, "r"),
        ("acct_zz_late", T + 2 * D, "ces", 3.0, "r"),
        ("acct_zz_edges", T - 180 * D - S, "nps", 0.0, "r1"),
        ("acct_zz_edges", T - 180 * D, "nps", 10.0, "r1"),
        ("acct_zz_edges", T - 10 * D, "nps", 5.0, "r2"),
        ("acct_zz_edges", T - 10 * D, "nps", 9.0, "r3"),
        ("acct_zz_edges", T - S, "nps", 7.0, "r2"),
        ("acct_zz_edges", T, "nps", 0.0, "r2"),
        ("acct_zz_edges", T - 90 * D - S, "csat", 5.0, "r1"),
        ("acct_zz_edges", T - 90 * D, "csat", 4.0, "r1"),
        ("acct_zz_edges", T - 2 * D, "csat", 5.0, "r2"),
        ("acct_zz_edges", T - D, "csat", 3.0, "r3"),
        ("acct_zz_edges", T - 90 * D, "ces", 2.0, "r1"),
        ("acct_zz_edges", T - 5 * D, "ces", 5.0, "r2"),
        ("acct_zz_edges", T, "ces", 7.0, "r2"),
    ])
    NaT = pd.NaT
    tickets = _rows(["account_id", "opened_at", "first_response_at", "resolved_at", "priority", "owner"], [
        ("acct_zz_late", T, T + 10 * pd.Timedelta(minutes=1), NaT, "urgent", "agent_01"),
        ("acct_zz_late", T + D, NaT, NaT, "high", "agent_01"),
        # opened on the 30 d edge, never answered: breached, open, high
        ("acct_zz_edges", T - 30 * D, NaT, NaT, "urgent", "agent_01"),
        # a second before the 30 d window, answered at exactly the target: met, resolved
        ("acct_zz_edges", T - 30 * D - S, T - 30 * D - S + 2 * H, T - 29 * D, "normal", "agent_01"),
        # waited 30 minutes of 2 h: pending, open
        ("acct_zz_edges", T - pd.Timedelta(minutes=30), NaT, NaT, "normal", "agent_02"),
        # waited exactly the 1 h target: pending (breached only beyond it), open, high
        ("acct_zz_edges", T - H, NaT, NaT, "urgent", "agent_02"),
        # answered and resolved at T itself: neither counts yet (pending, open)
        ("acct_zz_edges", T - 3 * H, T, T, "low", "agent_02"),
        # missing priority (normal), answered 1 s late: breached; resolved at T - 1 s
        ("acct_zz_edges", T - 5 * D, T - 5 * D + 2 * H + S, T - S, None, None),
        # before the 90 d window, never resolved: open, high
        ("acct_zz_edges", T - 100 * D, T - 100 * D + H, NaT, "high", "agent_03"),
        ("acct_zz_edges", T + H, NaT, NaT, "urgent", "agent_03"),
    ])
    mrr = _rows(["account_id", "month", "mrr"], [
        ("acct_zz_late", pd.Timestamp("2024-09-01"), 80.0),
        ("acct_zz_late", pd.Timestamp("2024-10-01"), 90.0),
        *[("acct_zz_edges", pd.Timestamp(2024, m, 1), 90.0 + 10 * m) for m in range(1, 7)],
        ("acct_zz_edges", pd.Timestamp("2024-09-01"), 999.0),
        ("acct_zz_mixed", pd.Timestamp("2024-06-01"), 0.0),
        ("acct_zz_orphan", pd.Timestamp("2024-05-01"), 0.0),
        ("acct_zz_orphan", pd.Timestamp("2024-08-01"), 50.0),
    ])
    payments = _rows(["account_id", "timestamp", "type", "amount", "currency"], [
        ("acct_zz_late", T, "payment", 50.0, "EUR"),
        ("acct_zz_late", T + D, "refund", 5.0, "EUR"),
        ("acct_zz_late", T + D, "decline", 5.0, "EUR"),
        ("acct_zz_late", T + 2 * D, "chargeback", 5.0, "EUR"),
        ("acct_zz_edges", T - 60 * D, "payment", 7.0, "EUR"),
        ("acct_zz_edges", T - 30 * D - S, "payment", 40.0, "EUR"),
        ("acct_zz_edges", T - 30 * D - S, "decline", 10.0, "EUR"),
        ("acct_zz_edges", T - 30 * D, "payment", 10.0, "EUR"),
        ("acct_zz_edges", T - 89 * D, "chargeback", 10.0, "EUR"),
        ("acct_zz_edges", T - 3 * D, "decline", 10.0, "EUR"),
        ("acct_zz_edges", T - 2 * D, "refund", 5.0, "USD"),  # another currency, but not a payment row
        ("acct_zz_edges", T - D, "cancellation", 0.0, "EUR"),
        ("acct_zz_edges", T - S, "payment", 20.5, "EUR"),
        ("acct_zz_edges", T, "payment", 100.0, "GBP"),
        ("acct_zz_mixed", T - 3 * D, "payment", 10.0, "USD"),
        ("acct_zz_mixed", T - 2 * D, "payment", 12.0, "EUR"),
        ("acct_zz_mixed", T - D, "refund", 1.0, "USD"),
    ])
    extra = {"accounts": accounts, "usage": usage, "surveys": surveys, "tickets": tickets, "mrr": mrr,
             "payments": payments}
    return {name: pd.concat([f[name], extra[name].astype(f[name].dtypes.to_dict())], ignore_index=True)
            for name in f}


# What the definitions give the hand-made accounts (worked out by hand from the rows above).
EDGES = {
    "usage.events_7d": 3, "usage.events_30d": 5, "usage.events_90d": 7, "usage.value_30d": 248.0,
    "usage.active_days_7d": 2, "usage.active_days_30d": 4, "usage.active_days_90d": 6,
    "usage.active_users_30d": 2, "usage.features_30d": 4, "usage.days_since_last": 1 / 86400,
    # weekly counts [0, 0, 0, 2, 0, 0, 1, 3]: the 14th and 15th of the 28 sorted pair slopes are 1/6 and
    # 1/5 per week, so the median is 11/60; the mean count is 3/4
    "usage.trend_8w": (11 / 60) / 0.75,
    "usage.dau_mau": 3 / 30 / 2,  # pairs (u2, Aug 2), (u2, Aug 24), (u1, Aug 25); the user-less row is none
    "nps.last": 7.0, "nps.score_180d": 25.0, "nps.n_180d": 4, "csat.rate_90d": 200 / 3, "ces.mean_90d": 3.5,
    "support.tickets_30d": 5, "support.open": 5, "support.open_high": 3, "support.sla_breaches_30d": 2,
    "support.sla_met_rate_90d": 1 / 3,
    "payments.volume_30d": 30.5, "payments.refund_rate_90d": 1 / 4, "payments.chargeback_ratio_90d": 1 / 4,
    "payments.decline_rate_30d": 1 / 3,
    "mrr.current": 0.0, "mrr.change_90d": -1.0,  # paid until June: August is 0; May was 140
    "account.tenure_days": 227.5, "account.days_to_renewal": -31.0, "account.seats": 12.0,
}


def test_reference_gives_the_hand_worked_edge_values(frames):
    # The reference itself, against values worked out by hand (no custhealth analytics involved).
    theirs = ref.reference_signals(edge_frames(frames), T_EDGE)
    np.testing.assert_allclose(theirs.loc["acct_zz_edges", list(EDGES)].to_numpy(dtype=float),
                               np.array(list(EDGES.values()), dtype=float), rtol=1e-14)
    mixed = theirs.loc["acct_zz_mixed"]
    assert np.isnan(mixed["payments.volume_30d"]) and mixed["payments.refund_rate_90d"] == 0.5
    assert np.isnan(mixed["mrr.current"]) and np.isnan(mixed["mrr.change_90d"])
    orphan = theirs.loc["acct_zz_orphan"]
    assert orphan["usage.events_7d"] == 1 and orphan["mrr.current"] == 50 and np.isnan(orphan["mrr.change_90d"])
    assert orphan[["account.tenure_days", "account.days_to_renewal", "account.seats"]].isna().all()


def test_accounts_without_rows_before_t(frames):
    data = edge_frames(frames)
    ds = ch.Dataset(**data)
    ours = ch.signals(ds, as_of=T_EDGE)
    assert {"acct_zz_empty", "acct_zz_late", "acct_zz_edges", "acct_zz_mixed", "acct_zz_orphan"} <= set(ours.index.astype(str))
    assert_matches_reference(ours, ref.reference_signals(data, T_EDGE), nps_last_skips(data, T_EDGE))
    ours = ours.set_axis(ours.index.astype(str))
    for aid in ["acct_zz_empty", "acct_zz_late"]:
        row = ours.loc[aid]
        assert (row[ref.ZERO_WITHOUT_ROWS] == 0).all(), (aid, row[ref.ZERO_WITHOUT_ROWS][lambda s: s != 0])
        assert row[ref.NAN_WITHOUT_ROWS].isna().all(), (aid, row[ref.NAN_WITHOUT_ROWS].dropna())
    empty, late = ours.loc["acct_zz_empty"], ours.loc["acct_zz_late"]
    assert empty["account.tenure_days"] == 184 and np.isnan(empty["account.days_to_renewal"])
    assert np.isnan(empty["account.seats"])
    assert np.isnan(late["account.tenure_days"])  # starts at T
    assert (late["account.days_to_renewal"], late["account.seats"]) == (365.0, 3.0)
    edges = ours.loc["acct_zz_edges"]
    for name, value in EDGES.items():
        assert edges[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name
    assert np.isnan(ours.loc["acct_zz_mixed", "payments.volume_30d"])  # USD and EUR payments
    assert np.isnan(ours.loc["acct_zz_orphan", "account.tenure_days"])  # no accounts row: no start


# ---- no leakage ----------------------------------------------------------------------------------------

def rewrite_the_future(frames: dict[str, pd.DataFrame], T: pd.Timestamp, seed: int = 5) -> dict[str, pd.DataFrame]:
    """Every row at or after T changed (values, names, scores, amounts, types, currencies, later times
    moved, some rows dropped) and new rows added at T exactly and later; rows before T as they were.
    The accounts table keeps every row; only ends at or after T move (to later or to none)."""
    rng = np.random.default_rng(seed)
    f = {name: ref.plain(df) for name, df in frames.items()}
    ids = f["accounts"].account_id.to_numpy()
    later = lambda n: pd.to_timedelta(rng.integers(0, 20 * 86400, n), unit="s")  # noqa: E731

    u = f["usage"].copy()
    m = u.timestamp >= T
    u.loc[m, "value"] = u.loc[m, "value"] * 7 + 3
    u.loc[m, "event"] = rng.choice(["login", "zz_future_feature", "export"], m.sum())
    u.loc[m, "user_id"] = rng.choice(["u_future", None], m.sum())
    u.loc[m, "timestamp"] = u.loc[m, "timestamp"] + later(m.sum())
    n = 400
    new_usage = pd.DataFrame({"account_id": rng.choice(ids, n), "timestamp": T + later(n),
                              "event": "zz_future_feature", "value": 5.0, "user_id": "u_new"})
    new_usage.loc[: n // 4, "timestamp"] = T
    u = pd.concat([u[~m | (rng.random(len(u)) > 0.2)], new_usage], ignore_index=True)

    s = f["surveys"].copy()
    m = s.timestamp >= T
    high = s.kind.map({"nps": 10, "csat": 5, "ces": 7})
    s.loc[m, "score"] = (10 - s.loc[m, "score"]).clip(lower=1).clip(upper=high[m]).astype(float)
    s.loc[m, "timestamp"] = s.loc[m, "timestamp"] + later(m.sum())
    new_surveys = pd.DataFrame({"account_id": rng.choice(ids, 300), "timestamp": T,
                                "kind": rng.choice(["nps", "csat", "ces"], 300), "score": 1.0, "respondent": "r_new"})
    s = pd.concat([s, new_surveys], ignore_index=True)

    t = f["tickets"].copy()
    m = t.opened_at >= T
    t.loc[m, "priority"] = rng.choice(["low", "urgent"], m.sum())
    t.loc[m, "opened_at"] = t.loc[m, "opened_at"] + later(m.sum())
    for col in ["first_response_at", "resolved_at"]:
        # later answers and resolutions (also of tickets opened before T) move later still, or vanish
        late = t[col] >= T
        moved = t.loc[late, col] + later(late.sum()) + pd.Timedelta(days=20)
        t.loc[late, col] = moved.where(rng.random(late.sum()) > 0.3)
    new_tickets = pd.DataFrame({"account_id": rng.choice(ids, 200), "opened_at": T + later(200),
                                "first_response_at": pd.NaT, "resolved_at": pd.NaT, "priority": "urgent",
                                "owner": "agent_new"})
    new_tickets.loc[:50, "opened_at"] = T
    t = pd.concat([t, new_tickets.astype(t.dtypes.to_dict())], ignore_index=True)

    r = f["mrr"].copy()
    m = r.month >= T
    r.loc[m, "mrr"] = r.loc[m, "mrr"] * 2 + 1
    r = r[~m | (rng.random(len(r)) > 0.3)]
    future_months = [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]
    r = pd.concat([r, pd.DataFrame({"account_id": np.repeat(ids, 2), "month": future_months * len(ids),
                                    "mrr": 1234.0})], ignore_index=True)

    p = f["payments"].copy()
    m = p.timestamp >= T
    p.loc[m, "amount"] = p.loc[m, "amount"] * 3 + 1
    p.loc[m, "type"] = rng.choice(["payment", "refund", "chargeback", "decline"], m.sum())
    p.loc[m, "currency"] = "JPY"
    p.loc[m, "timestamp"] = p.loc[m, "timestamp"] + later(m.sum())
    new_payments = pd.DataFrame({"account_id": rng.choice(ids, 300), "timestamp": T,
                                 "type": rng.choice(["payment", "refund", "chargeback", "decline"], 300),
                                 "amount": 99.0, "currency": "SEK"})
    p = pd.concat([p, new_payments], ignore_index=True)

    a = f["accounts"].copy()
    m = a.end >= T
    a.loc[m, "end"] = (a.loc[m, "end"] + later(m.sum())).where(rng.random(m.sum()) > 0.5)
    return {"accounts": a, "usage": u, "surveys": s, "tickets": t, "mrr": r, "payments": p}


@pytest.mark.parametrize("as_of", [T_MID, T_MONTH, T_2AM], ids=lambda t: str(t))
def test_no_leakage_of_rows_at_or_after_t(portfolio, frames, as_of):
    future = rewrite_the_future(frames, as_of)
    # The rewrite does change what later as-of times see, and nothing before T.
    later = as_of + 20 * D
    assert not ref.reference_signals(future, later).equals(ref.reference_signals(frames, later))
    pd.testing.assert_frame_equal(ref.reference_signals(future, as_of), ref.reference_signals(frames, as_of))
    changed = ch.Dataset(**future)
    assert changed.account_ids == portfolio.account_ids
    pd.testing.assert_frame_equal(ch.signals(changed, as_of=as_of), ch.signals(portfolio, as_of=as_of),
                                  check_exact=True)


# ---- many as-of times, threads -------------------------------------------------------------------------

def test_many_as_of_times_equal_single_calls(portfolio):
    t1, t2, t3 = T_MID, T_2AM, T_END
    many = ch.signals(portfolio, as_of=[t3, str(t1), t2, t1])
    assert list(many.index.names) == ["as_of", "account_id"]
    singles = [ch.signals(portfolio, as_of=t) for t in (t1, t2, t3)]
    expected = pd.concat(singles, keys=[t1, t2, t3], names=["as_of"])
    pd.testing.assert_frame_equal(many, expected, check_exact=True)
    assert list(many.index.get_level_values("as_of").unique()) == [t1, t2, t3]


def test_threads_give_the_same_bits(portfolio):
    times = [T_MID, T_MONTH, T_END]
    one = ch.signals(portfolio, as_of=times, n_threads=1)
    pd.testing.assert_frame_equal(ch.signals(portfolio, as_of=times, n_threads=2), one, check_exact=True)
    pd.testing.assert_frame_equal(ch.signals(portfolio, as_of=times), one, check_exact=True)
    pd.testing.assert_frame_equal(ch.signals(portfolio, as_of=T_2AM, n_threads=2),
                                  ch.signals(portfolio, as_of=T_2AM, n_threads=1), check_exact=True)


# ---- the catalogue, bad input --------------------------------------------------------------------------

def test_catalog_lists_every_signal_in_order():
    cat = ch.signal_catalog()
    assert list(cat.columns) == ["name", "table", "unit", "window_days", "higher_is_better", "definition"]
    assert list(cat.name) == ref.NAMES
    assert cat.higher_is_better.dtype == bool
    np.testing.assert_array_equal(cat.window_days.to_numpy(dtype=float),
                                  np.array([ref.window_days(n) for n in ref.NAMES]))
    assert list(cat.table) == [ref.TABLE_OF_FAMILY[n.split(".")[0]] for n in ref.NAMES]
    assert all(isinstance(x, str) and x for x in cat.definition) and all(isinstance(x, str) and x for x in cat.unit)
    better = cat.set_index("name").higher_is_better
    assert better["usage.events_30d"] and better["nps.score_180d"] and better["mrr.current"]
    assert not better["usage.days_since_last"] and not better["support.open"]
    assert not better["payments.refund_rate_90d"] and not better["support.sla_breaches_30d"]


def test_unknown_name_lists_close_names(portfolio):
    assert issubclass(ch.InvalidInputError, ValueError)
    with pytest.raises(ch.InvalidInputError, match=r"usage\.events_30d"):
        ch.signals(portfolio, as_of=T_MID, names=["usage.events_30"])
    with pytest.raises(ch.InvalidInputError, match=r"nps\.last"):
        ch.signals(portfolio, as_of=T_MID, names=["usage.events_7d", "nps.lst"])


def test_as_of_before_all_data_warns_and_gives_empty_signals(portfolio, frames):
    as_of = pd.Timestamp("2020-01-01")  # before every start and every row
    with pytest.warns(UserWarning):
        ours = ch.signals(portfolio, as_of=as_of)
    assert (ours[ref.ZERO_WITHOUT_ROWS] == 0).all().all()
    assert ours[ref.NAN_WITHOUT_ROWS].isna().all().all()
    assert ours["account.tenure_days"].isna().all()
    assert_matches_reference(ours, ref.reference_signals(frames, as_of))


def test_default_as_of_is_the_earliest_end_of_the_tables_read_with_a_warning_when_they_lag():
    # DESIGN §2: the default T of an analytic reading several tables is the earliest of their ends;
    # more than 7 days apart, Python says so. Usage ends 2024-03-10 (midnight after Mar 9), surveys
    # 2024-02-01 (after Jan 31).
    usage = pd.DataFrame({"account_id": ["a", "a"], "timestamp": ["2024-01-05", "2024-03-09"], "event": ["x", "x"]})
    surveys = pd.DataFrame({"account_id": ["a"], "timestamp": ["2024-01-31"], "kind": ["nps"], "score": [9.0]})
    accounts = pd.DataFrame({"account_id": ["a"], "start": ["2024-01-01"]})
    ds = ch.Dataset(usage=usage, surveys=surveys, accounts=accounts)
    with pytest.warns(UserWarning, match=r"signals: as_of defaults to 2024-02-01, where the surveys table ends; "
                                         r"usage runs on to 2024-03-10"):
        out = ch.signals(ds, names=["usage.events_90d", "nps.last"])
    assert out.loc["a", "usage.events_90d"] == 1.0 and out.loc["a", "nps.last"] == 9.0  # the March event is after T
    # Signals of one table read only its end: no warning, T = 2024-03-10.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ch.signals(ds, names=["usage.events_90d"]).loc["a", "usage.events_90d"] == 2.0
