"""Support SLA from Python: sla_summary and ticket_backlog against an independent pandas computation
on seeded random tickets and on a Dataset's own tables (quantiles vs pandas' quantile, Wilson vs
statsmodels), the default as-of of each route, targets, zero-copy times, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

import custhealth as ch
from custhealth import support

FREQ = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q"}
TARGET_S = {"low": 8 * 3600, "normal": 2 * 3600, "high": 2 * 3600, "urgent": 3600}
T = pd.Timestamp("2024-05-20 09:30")
NONE = "\0none"


def random_tickets(seed: int = 1, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 160 * 86400, n), unit="s")
    first = opened + pd.to_timedelta(rng.exponential(2.5 * 3600, n).astype(np.int64), unit="s")
    resolved = opened + pd.to_timedelta(rng.exponential(4 * 86400, n).astype(np.int64), unit="s")
    df = pd.DataFrame({
        "account_id": rng.choice([f"a{i}" for i in range(40)], n),
        "opened_at": opened,
        "first_response_at": first.where(rng.random(n) > 0.1),
        "resolved_at": resolved.where(rng.random(n) > 0.2),
        "priority": rng.choice(["low", "normal", "high", "urgent"], n, p=[0.3, 0.4, 0.2, 0.1]),
        "owner": rng.choice(["ann", "bob", "cyd", None], n),
    })
    df.loc[0, "owner"] = "solo"  # a group of one
    return df


def pandas_sla(df: pd.DataFrame, by: list[str], period: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """The SLA definitions of DESIGN §4, computed with pandas."""
    # pandas' outer join cannot align missing keys (and a Dataset's categorical keys take no new label).
    df = df.assign(**{k: df[k].astype(object).fillna(NONE) for k in by})
    d = df[df.opened_at < as_of].copy()
    target = d.priority.map(TARGET_S).astype(float)
    frt = (d.first_response_at - d.opened_at).dt.total_seconds()
    answered = d.first_response_at.notna() & (d.first_response_at < as_of)
    waited = (as_of - d.opened_at).dt.total_seconds()
    d["opened"] = 1
    d["answered"] = answered.astype(int)
    d["met"] = (answered & (frt <= target)).astype(int)
    d["breached"] = ((answered & (frt > target)) | (~answered & (waited > target))).astype(int)
    d["pending"] = (~answered & (waited <= target)).astype(int)
    resolved = d.resolved_at.notna() & (d.resolved_at < as_of)
    d["resolved"] = resolved.astype(int)
    d["open"] = (~resolved).astype(int)
    d["frt_h"] = (frt / 3600).where(answered)
    d["res_h"] = ((d.resolved_at - d.opened_at).dt.total_seconds() / 3600).where(resolved)
    d["period"] = d.opened_at.dt.to_period(FREQ[period]).dt.start_time
    g = d.groupby(by + ["period"], dropna=False, sort=False)
    out = g[["opened", "answered", "met", "breached", "pending", "resolved", "open"]].sum()
    out["first_response_mean_h"] = g.frt_h.mean()
    out["first_response_median_h"] = g.frt_h.quantile(0.5)
    out["first_response_p90_h"] = g.frt_h.quantile(0.9)
    out["resolution_mean_h"] = g.res_h.mean()
    out["resolution_median_h"] = g.res_h.median()
    out["resolution_p90_h"] = g.res_h.quantile(0.9)
    r = df[df.resolved_at.notna() & (df.resolved_at < as_of)]
    r = r.assign(period=r.resolved_at.dt.to_period(FREQ[period]).dt.start_time)
    out = out.join(r.groupby(by + ["period"], dropna=False, sort=False).size().rename("resolved_in_period"), how="outer")
    out = out.reset_index()
    counts = ["opened", "answered", "met", "breached", "pending", "resolved", "open", "resolved_in_period"]
    out[counts] = out[counts].fillna(0).astype(int)
    decided = out.met + out.breached
    out["met_rate"] = np.where(decided > 0, out.met / decided.where(decided > 0, 1), np.nan)
    out["completion"] = np.where(out.opened > 0, out.resolved_in_period / out.opened.where(out.opened > 0, 1), np.nan)
    low, high = np.full(len(out), np.nan), np.full(len(out), np.nan)
    ok = (decided > 0).to_numpy()
    low[ok], high[ok] = proportion_confint(out.met[ok], decided[ok], alpha=0.05, method="wilson")
    out["ci_low"], out["ci_high"] = low, high
    return out.assign(**{k: out[k].where(out[k] != NONE) for k in by})


def compare(ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str], columns) -> None:
    a = ours.assign(**{k: ours[k].astype(object) for k in keys if k != "period"})
    b = theirs.assign(**{k: theirs[k].astype(object) for k in keys if k != "period"})
    a = a.sort_values(keys, na_position="first").reset_index(drop=True)
    b = b.sort_values(keys, na_position="first").reset_index(drop=True)
    assert len(a) == len(b)
    pd.testing.assert_frame_equal(a[keys], b[keys], check_dtype=False)
    for c in columns:
        np.testing.assert_allclose(a[c].to_numpy(dtype=float), b[c].to_numpy(dtype=float), rtol=1e-9, atol=1e-9,
                                   err_msg=c)


@pytest.mark.parametrize("by,period", [(["priority"], "M"), (["owner"], "W"), (["priority", "owner"], "Q")])
def test_sla_equals_pandas(by, period):
    df = random_tickets()
    ours = ch.sla_summary(df, by=by, period=period, as_of=T)
    assert list(ours.columns) == by + ["period"] + list(support.SLA_COLUMNS)
    assert ours.attrs["as_of"] == T
    compare(ours, pandas_sla(df, by, period, T), by + ["period"], support.SLA_COLUMNS)
    if by == ["owner"]:
        assert ours.owner.isna().any()             # unassigned tickets: a group of their own
        assert ours[ours.owner == "solo"].opened.sum() == 1  # a group of one (its resolution: another period)


def test_sla_on_threads_is_one_threads_bits_and_pandas():
    # 200,000 tickets: three blocks of the rows grain (65,536), so 2 and 3 threads really split.
    df = random_tickets(seed=7, n=200_000)
    by = ["priority", "owner"]
    one = ch.sla_summary(df, by=by, period="M", as_of=T, n_threads=1)
    for threads in (2, 3):
        pd.testing.assert_frame_equal(ch.sla_summary(df, by=by, period="M", as_of=T, n_threads=threads), one,
                                      check_exact=True)
    compare(one, pandas_sla(df, by, "M", T), by + ["period"], support.SLA_COLUMNS)
    ds = ch.generate(n_accounts=200, days=200, seed=3)
    pd.testing.assert_frame_equal(ch.sla_summary(ds, by="priority", n_threads=2),
                                  ch.sla_summary(ds, by="priority", n_threads=1), check_exact=True)
    for bad in (0, -1, 4097):
        with pytest.raises(ch.InvalidInputError, match="sla_summary: n_threads must be a whole number from 1 to 4096"):
            ch.sla_summary(df, n_threads=bad)
        with pytest.raises(ch.InvalidInputError, match="sla_summary: n_threads must be a whole number from 1 to 4096"):
            ch.sla_summary(ds, n_threads=bad)


def test_sla_default_as_of_is_the_midnight_after_the_latest_time():
    # DESIGN §2: whole days, the latest of opened_at, first_response_at and resolved_at.
    df = random_tickets(seed=2, n=500)
    latest = pd.concat([df.opened_at, df.first_response_at, df.resolved_at]).max()
    end = latest.normalize() + pd.Timedelta(days=1)
    ours = ch.sla_summary(df, by="priority")
    assert ours.attrs["as_of"] == end
    explicit = ch.sla_summary(df, by="priority", as_of=end)
    pd.testing.assert_frame_equal(ours, explicit)


def test_targets_override_defaults():
    df = random_tickets(seed=3, n=800)
    loose = ch.sla_summary(df, by="priority", period=None, as_of=T, targets={"urgent": 10, "low": pd.Timedelta(hours=1)})
    urgent = loose.set_index("priority").loc["urgent"]
    d = df[(df.priority == "urgent") & (df.opened_at < T)]
    frt = (d.first_response_at - d.opened_at).dt.total_seconds()
    assert urgent.met == int(((d.first_response_at < T) & (frt <= 10 * 3600)).sum())
    strict_low = loose.set_index("priority").loc["low"]
    d = df[(df.priority == "low") & (df.opened_at < T)]
    frt = (d.first_response_at - d.opened_at).dt.total_seconds()
    assert strict_low.met == int(((d.first_response_at < T) & (frt <= 3600)).sum())
    with pytest.raises(ch.InvalidInputError, match="unknown priority 'critical'"):
        ch.sla_summary(df, targets={"critical": 1})
    with pytest.raises(ch.InvalidInputError, match="must be ≥ 0 hours"):
        ch.sla_summary(df, targets={"low": -1})


def test_trailing_window():
    df = random_tickets(seed=4)
    ours = ch.sla_summary(df, by="priority", as_of=T, window_days=28)
    begin = T - pd.Timedelta(days=28)
    inside = df[(df.opened_at >= begin) & (df.opened_at < T)]
    assert (ours.period == begin).all()
    assert ours.set_index("priority").opened.to_dict() == inside.groupby("priority").size().to_dict()
    resolved = df[(df.resolved_at >= begin) & (df.resolved_at < T)]
    assert ours.set_index("priority").resolved_in_period.to_dict() == resolved.groupby("priority").size().to_dict()


def test_backlog_equals_pandas():
    df = random_tickets(seed=5)
    ours = ch.ticket_backlog(df, by="priority", as_of=T)
    assert list(ours.columns) == ["priority"] + list(support.BACKLOG_COLUMNS)
    open_ = df[(df.opened_at < T) & (df.resolved_at.isna() | (df.resolved_at >= T))]
    age = (T - open_.opened_at) / pd.Timedelta(days=1)
    bucket = pd.cut(age, [0, 1, 3, 7, 30, np.inf], right=False, labels=list(support.BACKLOG_COLUMNS[1:]))
    theirs = pd.crosstab(open_.priority, bucket).reindex(columns=list(support.BACKLOG_COLUMNS[1:]), fill_value=0)
    theirs["open"] = theirs.sum(axis=1)
    got = ours.set_index(ours.priority.astype(str))[list(support.BACKLOG_COLUMNS)]
    pd.testing.assert_frame_equal(got, theirs[list(support.BACKLOG_COLUMNS)], check_names=False, check_dtype=False)


def test_dataset_equals_pandas_on_its_tables():
    ds = ch.generate(n_accounts=150, days=300, seed=8)
    frames = ds.to_frames()
    tickets = frames["tickets"]
    as_of = pd.Timestamp("2024-11-15 09:30")
    with_segment = tickets.merge(frames["accounts"][["account_id", "segment"]], on="account_id", how="left")
    for by, period in ((["priority"], "M"), (["owner"], "W"), (["segment"], "Q")):  # ticket and account keys
        ours = ch.sla_summary(ds, by=by, period=period, as_of=as_of)
        assert ours.attrs["as_of"] == as_of
        compare(ours, pandas_sla(with_segment, by, period, as_of), by + ["period"], support.SLA_COLUMNS)
    backlog = ch.ticket_backlog(ds, by="account_id", as_of=as_of)
    open_ = tickets[(tickets.opened_at < as_of) & (tickets.resolved_at.isna() | (tickets.resolved_at >= as_of))]
    got = backlog.set_index(backlog.account_id.astype(str)).open
    assert got.to_dict() == open_.account_id.astype(str).value_counts().to_dict()


def test_dataset_default_as_of_is_the_end_of_the_tickets_table():
    # DESIGN §2: over a Dataset, T is the end of the tables the analytic reads — for SLA the tickets'
    # own event times (opened, first response, resolved), in whole days; the same on the DataFrame
    # route, and not moved by other tables that run on longer.
    ds = ch.generate(n_accounts=150, days=300, seed=8)
    frames = ds.to_frames()
    tickets = frames["tickets"]
    latest_ticket = pd.concat([tickets.opened_at, tickets.first_response_at, tickets.resolved_at]).max()
    end = latest_ticket.normalize() + pd.Timedelta(days=1)
    # Usage runs on five days past the tickets.
    later = frames["usage"].iloc[[0]].assign(timestamp=end + pd.Timedelta(days=5))
    frames["usage"] = pd.concat([frames["usage"], later], ignore_index=True)
    ds = ch.Dataset(**frames)
    ours = ch.sla_summary(ds, by="priority")
    assert ours.attrs["as_of"] == end
    compare(ours, pandas_sla(tickets, ["priority"], "M", end), ["priority", "period"], support.SLA_COLUMNS)
    backlog = ch.ticket_backlog(ds)
    assert backlog.attrs["as_of"] == end
    assert backlog.open.iloc[0] == int((tickets.resolved_at.isna() | (tickets.resolved_at >= end)).sum())
    # The bare tickets DataFrame resolves the same T.
    assert ch.sla_summary(tickets, by="priority").attrs["as_of"] == end


def test_opened_at_is_read_in_place():
    df = random_tickets(seed=6, n=100)
    keys = support.frame_keys(df, ["priority"], "tickets")
    opened, first, resolved, unit, prio = support._ticket_arrays(df, "opened_at", "first_response_at", "resolved_at",
                                                                 "priority")
    raw = ch._core.sla_arrays(opened, first, resolved, unit, prio, [k.core() for k in keys], "M", None, 0,
                              [8 * 3600, 7200, 7200, 3600], 0.95)
    assert raw["inputs"]["opened_at"] == df["opened_at"].to_numpy().__array_interface__["data"][0]


def test_bad_input_raises_invalid_input_error():
    df = random_tickets(seed=7, n=50)
    early = df.copy()
    early.loc[3, "first_response_at"] = early.loc[3, "opened_at"] - pd.Timedelta(minutes=5)
    with pytest.raises(ch.InvalidInputError, match=r"tickets\[3\]: 'first_response_at' .* is before 'opened_at'"):
        ch.sla_summary(early)
    with pytest.raises(ch.InvalidInputError, match=r"tickets\[3\]"):
        ch.ticket_backlog(early)
    late = df.copy()
    late.loc[4, "resolved_at"] = late.loc[4, "opened_at"] - pd.Timedelta(days=1)
    with pytest.raises(ch.InvalidInputError, match="'resolved_at' .* is before 'opened_at'"):
        ch.sla_summary(late)
    with pytest.raises(ch.InvalidInputError, match="unknown priority 'critical'"):
        ch.sla_summary(df.assign(priority=np.where(df.index == 2, "critical", df.priority)))
    with pytest.raises(ch.InvalidInputError, match="missing required column 'opened_at'"):
        ch.sla_summary(df.drop(columns="opened_at"))
    with pytest.raises(ch.InvalidInputError, match="'opened_at' is empty"):
        ch.sla_summary(df.assign(opened_at=df.opened_at.where(df.index != 1)), as_of=T)
    with pytest.raises(ch.InvalidInputError, match="unknown key 'team'"):
        ch.sla_summary(df, by="team")
    empty = ch.sla_summary(df.iloc[:0], by="priority")
    assert empty.empty and list(empty.columns) == ["priority", "period"] + list(support.SLA_COLUMNS)
    assert ch.ticket_backlog(df.iloc[:0]).empty
    # Optional columns may be absent: every ticket unanswered and open, priority normal.
    only = ch.sla_summary(df[["opened_at"]], period=None, as_of=T)
    assert int(only.opened.iloc[0]) == int((df.opened_at < T).sum()) and int(only.answered.iloc[0]) == 0
