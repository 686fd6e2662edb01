"""The signal catalogue (DESIGN §4 "Signals") computed from its definitions with plain pandas/numpy, as
the independent reference test_signals.py compares custhealth.signals against. Nothing here calls
custhealth: the input is a dict of DataFrames (Dataset.to_frames() or hand-built tables).

Conventions of every signal: the window of W days as of T holds the rows with time in
[T - W·86400 s, T); every account gets a value; counts and sums are 0 without rows, ratios and "last"
values NaN where undefined."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

NAMES = [
    "usage.events_7d", "usage.events_30d", "usage.events_90d", "usage.value_30d",
    "usage.active_days_7d", "usage.active_days_30d", "usage.active_days_90d",
    "usage.active_users_30d", "usage.features_30d", "usage.days_since_last", "usage.trend_8w", "usage.dau_mau",
    "adoption.breadth", "adoption.depth", "adoption.seat_utilisation", "adoption.time_to_value_days",
    "nps.last", "nps.days_since_last", "nps.score_180d", "nps.n_180d", "csat.rate_90d", "ces.mean_90d",
    "support.tickets_30d", "support.open", "support.open_high", "support.open_high_age_days",
    "support.sla_breaches_30d", "support.sla_met_rate_90d",
    "payments.volume_30d", "payments.volume_change_30d", "payments.refund_rate_90d", "payments.chargeback_ratio_90d",
    "payments.chargebacks_90d", "payments.decline_rate_30d",
    "btyd.p_alive", "btyd.expected_purchases_90d",
    "mrr.current", "mrr.change_90d",
    "account.tenure_days", "account.days_to_renewal", "account.seats",
]

# Signals that are whole-number counts (compared exactly); with no rows they are 0.
COUNTS = [
    "usage.events_7d", "usage.events_30d", "usage.events_90d", "usage.active_days_7d", "usage.active_days_30d",
    "usage.active_days_90d", "usage.active_users_30d", "usage.features_30d", "nps.n_180d",
    "support.tickets_30d", "support.open", "support.open_high", "support.sla_breaches_30d",
    "payments.chargebacks_90d",
]
# 0 (not NaN) for an account without rows: the counts and the sums.
ZERO_WITHOUT_ROWS = COUNTS + ["usage.value_30d", "payments.volume_30d"]
# NaN for an account without rows: the ratios, the "last" values, MRR.
NAN_WITHOUT_ROWS = [
    "usage.days_since_last", "usage.trend_8w", "usage.dau_mau", "adoption.depth", "adoption.time_to_value_days", "nps.last", "nps.days_since_last", "nps.score_180d", "csat.rate_90d",
    "ces.mean_90d", "support.sla_met_rate_90d", "payments.refund_rate_90d", "payments.chargeback_ratio_90d",
    "payments.decline_rate_30d", "mrr.current", "mrr.change_90d", "support.open_high_age_days",
    "payments.volume_change_30d", "btyd.p_alive", "btyd.expected_purchases_90d",
]

TABLE_OF_FAMILY = {"usage": "usage", "adoption": "usage", "nps": "surveys", "csat": "surveys", "ces": "surveys", "support": "tickets",
                   "payments": "payments", "btyd": "payments", "mrr": "mrr", "account": "accounts"}


def window_days(name: str) -> float:
    """The catalogue's window of a signal: the _<W>d suffix, 56 for the 8 weekly counts of the trend,
    30 for DAU/MAU (the 30 d window), 90 for the MRR change; NaN for "last" values and attributes."""
    if name == "usage.trend_8w":
        return 56.0
    if name == "payments.volume_change_30d":
        return 60.0  # two consecutive 30-day windows
    if name == "adoption.time_to_value_days" or name.startswith("btyd."):
        return np.nan
    if name == "usage.dau_mau" or name.startswith("adoption."):
        return 30.0
    suffix = name.rsplit("_", 1)[-1]
    if suffix.endswith("d") and suffix[:-1].isdigit():
        return float(suffix[:-1])
    return np.nan


TARGET_S = {"low": 8 * 3600, "normal": 2 * 3600, "high": 2 * 3600, "urgent": 3600}
DAY = pd.Timedelta(days=1)


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns (ids, names) as plain objects; account ids as text."""
    out = df.assign(**{c: df[c].astype(object) for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)})
    if len(out):
        out["account_id"] = out["account_id"].astype(str)
    else:
        out["account_id"] = out["account_id"].astype(object)
    return out


def in_window(times: pd.Series, as_of: pd.Timestamp, days: int) -> pd.Series:
    """Rows with time in [T - days·86400 s, T) (NaT: never)."""
    return (times >= as_of - days * DAY) & (times < as_of)


def _seconds(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds()


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, NaN where den is 0."""
    return (num / den.where(den > 0)).astype(float)


def _counts(frame: pd.DataFrame, ids: pd.Index) -> pd.Series:
    return frame.groupby("account_id").size().reindex(ids, fill_value=0).astype(float)


# ---- one function per family ------------------------------------------------------------------------

def usage_signals(usage: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> pd.DataFrame:
    u = usage.assign(day=usage.timestamp.dt.floor("D"))
    out = pd.DataFrame(index=ids)
    for w in (7, 30, 90):
        d = u[in_window(u.timestamp, as_of, w)]
        out[f"usage.events_{w}d"] = _counts(d, ids)
        out[f"usage.active_days_{w}d"] = d.groupby("account_id").day.nunique().reindex(ids, fill_value=0)
    d30 = u[in_window(u.timestamp, as_of, 30)]
    g = d30.groupby("account_id")
    out["usage.value_30d"] = g.value.sum().reindex(ids, fill_value=0.0)
    out["usage.active_users_30d"] = g.user_id.nunique().reindex(ids, fill_value=0)  # nunique: missing users left out
    out["usage.features_30d"] = g.event.nunique().reindex(ids, fill_value=0)

    before = u[u.timestamp < as_of]
    last = before.groupby("account_id").timestamp.max().reindex(ids)
    out["usage.days_since_last"] = _seconds(as_of - last) / 86400

    out["usage.trend_8w"] = _trend_8w(u, ids, as_of)

    pairs = d30.dropna(subset=["user_id"]).drop_duplicates(["account_id", "user_id", "day"])
    pair_count = _counts(pairs, ids)
    out["usage.dau_mau"] = _ratio(pair_count / 30, out["usage.active_users_30d"])
    return out.astype(float)


def weekly_counts(usage: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> np.ndarray:
    """c_0..c_7 per account (rows of the result in `ids` order): c_i counts the rows in
    [T - (8 - i)·7 d, T - (7 - i)·7 d)."""
    start = as_of - 56 * DAY
    d = usage[(usage.timestamp >= start) & (usage.timestamp < as_of)]
    week = ((d.timestamp - start) // (7 * DAY)).astype(int)
    table = pd.crosstab(d.account_id, week).reindex(index=ids, columns=range(8), fill_value=0)
    return table.to_numpy(dtype=float)


def _trend_8w(usage: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> pd.Series:
    c = weekly_counts(usage, ids, as_of)
    slopes = np.column_stack([(c[:, j] - c[:, i]) / (j - i) for i, j in combinations(range(8), 2)])
    slope = np.median(slopes, axis=1)
    mean = c.mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        trend = np.where(mean > 0, slope / np.where(mean > 0, mean, 1.0), np.nan)
    return pd.Series(trend, index=ids)


def survey_signals(surveys: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp, csat_scale: int = 5) -> pd.DataFrame:
    out = pd.DataFrame(index=ids)
    nps = surveys[surveys.kind == "nps"]
    before = nps[nps.timestamp < as_of].sort_values("timestamp", kind="stable")
    out["nps.last"] = before.groupby("account_id").score.last().reindex(ids)
    out["nps.days_since_last"] = _seconds(as_of - before.groupby("account_id").timestamp.max().reindex(ids)) / 86400

    d = nps[in_window(nps.timestamp, as_of, 180)]
    g = d.assign(promoter=d.score >= 9, detractor=d.score <= 6).groupby("account_id")
    n = g.size().reindex(ids, fill_value=0).astype(float)
    net = (g.promoter.sum() - g.detractor.sum()).reindex(ids, fill_value=0).astype(float)
    out["nps.score_180d"] = _ratio(100 * net, n)
    out["nps.n_180d"] = n

    csat = surveys[(surveys.kind == "csat") & in_window(surveys.timestamp, as_of, 90)]
    satisfied = (csat.score >= csat_scale - 1).groupby(csat.account_id).sum().reindex(ids, fill_value=0)
    out["csat.rate_90d"] = _ratio(100 * satisfied.astype(float), _counts(csat, ids))

    ces = surveys[(surveys.kind == "ces") & in_window(surveys.timestamp, as_of, 90)]
    out["ces.mean_90d"] = ces.groupby("account_id").score.mean().reindex(ids)
    return out.astype(float)


def ambiguous_nps_last(surveys: pd.DataFrame, as_of: pd.Timestamp) -> pd.Index:
    """Accounts whose two latest NPS answers before T share a timestamp: their nps.last is not defined
    by the rows alone (left out of the comparison)."""
    nps = plain(surveys)
    nps = nps[(nps.kind == "nps") & (nps.timestamp < as_of)]
    latest = nps.groupby("account_id").timestamp.transform("max")
    at_latest = nps[nps.timestamp == latest].groupby("account_id").size()
    return pd.Index(at_latest[at_latest > 1].index)


def sla_status(tickets: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per ticket opened before T: met / breached / pending as of T (first-response targets by priority;
    a missing priority is normal)."""
    t = tickets[tickets.opened_at < as_of]
    target = t.priority.map(TARGET_S).fillna(TARGET_S["normal"]).astype(float)
    answered = t.first_response_at.notna() & (t.first_response_at < as_of)
    frt = _seconds(t.first_response_at - t.opened_at)
    waited = _seconds(as_of - t.opened_at)
    return t.assign(met=answered & (frt <= target),
                    breached=(answered & (frt > target)) | (~answered & (waited > target)),
                    pending=~answered & (waited <= target))


def support_signals(tickets: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> pd.DataFrame:
    out = pd.DataFrame(index=ids)
    t = sla_status(tickets, as_of)
    out["support.tickets_30d"] = _counts(t[in_window(t.opened_at, as_of, 30)], ids)
    still_open = t[t.resolved_at.isna() | (t.resolved_at >= as_of)]
    out["support.open"] = _counts(still_open, ids)
    open_high = still_open[still_open.priority.isin(["high", "urgent"])]
    out["support.open_high"] = _counts(open_high, ids)
    oldest = open_high.groupby("account_id").opened_at.min().reindex(ids)
    out["support.open_high_age_days"] = _seconds(as_of - oldest) / 86400
    t30 = t[in_window(t.opened_at, as_of, 30)]
    out["support.sla_breaches_30d"] = t30.groupby("account_id").breached.sum().reindex(ids, fill_value=0)
    t90 = t[in_window(t.opened_at, as_of, 90)]
    g = t90.groupby("account_id")
    met = g.met.sum().reindex(ids, fill_value=0).astype(float)
    decided = (g.met.sum() + g.breached.sum()).reindex(ids, fill_value=0).astype(float)
    out["support.sla_met_rate_90d"] = _ratio(met, decided)
    return out.astype(float)


def payment_signals(payments: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> pd.DataFrame:
    out = pd.DataFrame(index=ids)

    def count(d: pd.DataFrame, kind: str) -> pd.Series:
        return _counts(d[d.type == kind], ids)

    d30 = payments[in_window(payments.timestamp, as_of, 30)]
    paid = d30[d30.type == "payment"]
    volume = paid.groupby("account_id").amount.sum().reindex(ids, fill_value=0.0)
    currencies = paid.groupby("account_id").currency.nunique().reindex(ids, fill_value=0)
    out["payments.volume_30d"] = volume.where(currencies <= 1)

    # The 30 days before those: [T - 60 d, T - 30 d), and one currency over both windows.
    d60 = payments[in_window(payments.timestamp, as_of, 60) & (payments.type == "payment")]
    before = d60[d60.timestamp < as_of - pd.Timedelta(days=30)]
    previous = before.groupby("account_id").amount.sum().reindex(ids, fill_value=0.0)
    one_currency = d60.groupby("account_id").currency.nunique().reindex(ids, fill_value=0) <= 1
    out["payments.volume_change_30d"] = ((volume - previous) / previous).where(one_currency & (previous > 0))

    d90 = payments[in_window(payments.timestamp, as_of, 90)]
    out["payments.refund_rate_90d"] = _ratio(count(d90, "refund"), count(d90, "payment"))
    out["payments.chargeback_ratio_90d"] = _ratio(count(d90, "chargeback"), count(d90, "payment"))
    out["payments.chargebacks_90d"] = count(d90, "chargeback").astype(float)
    out["payments.decline_rate_30d"] = _ratio(count(d30, "decline"), count(d30, "payment") + count(d30, "decline"))
    # Without a BTYD model (test_btyd.py checks them with one, against the model on rfm_summary).
    out["btyd.p_alive"] = out["btyd.expected_purchases_90d"] = np.nan
    return out.astype(float)


def mrr_in_month(mrr: pd.DataFrame, ids: pd.Index, month: pd.Timestamp) -> pd.Series:
    """The rule of mrr.current for one month: the account's row of that month; else 0 after a month
    with MRR > 0 before it; else NaN."""
    this = mrr[mrr.month == month].groupby("account_id").mrr.first().reindex(ids)
    paid_before = mrr[(mrr.month < month) & (mrr.mrr > 0)].account_id.unique()
    return this.where(this.notna() | ~ids.isin(paid_before), 0.0)


def mrr_signals(mrr: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> pd.DataFrame:
    out = pd.DataFrame(index=ids)
    month = (as_of - pd.Timedelta(seconds=1)).to_period("M")
    current = mrr_in_month(mrr, ids, month.start_time)
    previous = mrr_in_month(mrr, ids, (month - 3).start_time)
    out["mrr.current"] = current
    out["mrr.change_90d"] = (current - previous) / previous.where(previous > 0)
    return out.astype(float)


def account_signals(accounts: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> pd.DataFrame:
    a = accounts.set_index("account_id").reindex(ids)
    out = pd.DataFrame(index=ids)
    started = a.start.notna() & (a.start < as_of)
    stop = a.end.where(a.end.notna() & (a.end < as_of), as_of)
    out["account.tenure_days"] = (_seconds(stop - a.start) / 86400).where(started)
    out["account.days_to_renewal"] = _seconds(a.renewal_date - as_of) / 86400
    out["account.seats"] = a.seats
    return out.astype(float)


def adoption_signals(signals: pd.DataFrame, usage: pd.DataFrame, accounts: pd.DataFrame,
                     as_of: pd.Timestamp, key_features=()) -> pd.DataFrame:
    """Breadth over the events anyone used before T; depth as the mid-rank percentile
    (average rank − ½) / n of events per active day among the active accounts of each segment (a
    missing segment is a segment of its own); seats used, NaN without seats."""
    out = pd.DataFrame(index=signals.index)
    eligible = usage.loc[usage.timestamp < as_of, "event"].nunique()
    out["adoption.breadth"] = signals["usage.features_30d"] / eligible if eligible else np.nan
    a = accounts.set_index("account_id").reindex(signals.index)
    active = signals["usage.active_days_30d"] > 0
    per_day = (signals["usage.events_30d"] / signals["usage.active_days_30d"])[active]
    segment = a.segment.astype(object).where(a.segment.notna(), "<none>")[active]
    ranks = per_day.groupby(segment).rank(method="average")
    sizes = per_day.groupby(segment).transform("size")
    out["adoption.depth"] = ((ranks - 0.5) / sizes).reindex(signals.index)
    seats = a.seats.where(a.seats > 0)
    out["adoption.seat_utilisation"] = signals["usage.active_users_30d"] / seats
    key = usage[usage.event.isin(list(key_features)) & (usage.timestamp < as_of)]
    first = key.groupby("account_id").timestamp.min().reindex(signals.index)
    out["adoption.time_to_value_days"] = _seconds(first - a.start) / 86400
    return out.astype(float)


# ---- the whole catalogue ----------------------------------------------------------------------------

def account_ids(frames: dict[str, pd.DataFrame]) -> pd.Index:
    """Every account named in any table, sorted as text."""
    ids = set()
    for df in frames.values():
        ids.update(df.account_id.dropna().astype(str))
    return pd.Index(sorted(ids), dtype=object, name="account_id")


def reference_signals(frames: dict[str, pd.DataFrame], as_of, csat_scale: int = 5, key_features=()) -> pd.DataFrame:
    """Every signal of NAMES for every account (index: account ids as text, sorted) as of T."""
    as_of = pd.Timestamp(as_of)
    f = {name: plain(df) for name, df in frames.items()}
    ids = account_ids(f)
    parts = [
        usage_signals(f["usage"], ids, as_of),
        survey_signals(f["surveys"], ids, as_of, csat_scale),
        support_signals(f["tickets"], ids, as_of),
        payment_signals(f["payments"], ids, as_of),
        mrr_signals(f["mrr"], ids, as_of),
        account_signals(f["accounts"], ids, as_of),
    ]
    out = pd.concat(parts, axis=1)
    out = pd.concat([out, adoption_signals(out, f["usage"], f["accounts"], as_of, key_features)], axis=1)
    assert sorted(out.columns) == sorted(NAMES)
    return out[NAMES]
