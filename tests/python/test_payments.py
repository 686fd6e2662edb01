"""Payments quality from Python: payments_summary against an independent pandas computation on seeded
random payments and on a Dataset's own payments table, chargeback flags at the thresholds, zero-copy
input, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from custhealth import payments

TYPES = list(payments.TYPES)


def random_payments(seed: int = 1, n: int = 20000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "account_id": rng.choice([f"m{i:02d}" for i in range(6)], n),
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300 * 86400, n), unit="s"),
        "type": rng.choice(TYPES, n, p=[0.88, 0.04, 0.006, 0.064, 0.01]),
        "amount": rng.integers(100, 500_000, n) / 100.0,
        "currency": rng.choice(["EUR", "USD", None], n),
    })
    extra = pd.DataFrame({"account_id": ["refunds_only"] * 3, "timestamp": [pd.Timestamp("2024-03-03")] * 3,
                          "type": ["refund"] * 3, "amount": [1.0, 2.0, 3.0], "currency": ["EUR"] * 3})
    return pd.concat([df, extra], ignore_index=True)


def pandas_payments(df: pd.DataFrame, by: list[str], warning: float = 0.0065, breach: float = 0.009) -> pd.DataFrame:
    d = df.assign(period=df.timestamp.dt.to_period("M").dt.start_time)
    counts = d.pivot_table(index=by + ["period"], columns="type", values="amount", aggfunc="size", fill_value=0)
    volume = d.pivot_table(index=by + ["period"], columns="type", values="amount", aggfunc="sum", fill_value=0.0)
    counts = counts.reindex(columns=TYPES, fill_value=0)
    volume = volume.reindex(columns=TYPES, fill_value=0.0)
    out = pd.DataFrame(index=counts.index)
    for t, plural in zip(TYPES, ["payments", "refunds", "chargebacks", "declines", "cancellations"]):
        out[plural] = counts[t]
        out[f"{t}_volume"] = volume[t]
    paid = out.payments.where(out.payments > 0)
    out["refund_rate"] = out.refunds / paid
    out["refund_amount_rate"] = out.refund_volume / out.payment_volume.where(out.payment_volume > 0)
    out["chargeback_ratio"] = out.chargebacks / paid
    attempts = out.payments + out.declines
    out["decline_rate"] = out.declines / attempts.where(attempts > 0)
    out["cancellation_rate"] = out.cancellations / paid
    r = out.chargeback_ratio
    out["flag"] = np.select([r.isna(), r >= breach, r >= warning], ["none", "breach", "warning"], "ok")
    if "currency" in d.columns:
        # Amounts in several currencies have no sum: per type, a group whose rows of that type are in
        # more than one currency (a missing one is a currency of its own) has a NaN volume; the refund
        # amount rate is NaN too when payments and refunds are in different currencies.
        cur = d["currency"].astype(object).where(d["currency"].notna(), "<none>")
        g = d.assign(cur=cur, type=d["type"].astype(object)).groupby(by + ["period", "type"])["cur"]
        n_cur = g.nunique().unstack("type").reindex(index=out.index, columns=TYPES)
        one = g.first().unstack("type").reindex(index=out.index, columns=TYPES).where(n_cur == 1)
        for t in TYPES:
            out.loc[(n_cur[t] > 1).to_numpy(), f"{t}_volume"] = np.nan
        differ = one["payment"].notna() & one["refund"].notna() & (one["payment"] != one["refund"])
        unknown = differ | out["payment_volume"].isna() | out["refund_volume"].isna()
        out.loc[unknown.to_numpy(), "refund_amount_rate"] = np.nan
    return out.reset_index()


def compare(ours: pd.DataFrame, theirs: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Asserts equal groups and columns; returns ours in key order."""
    ids = [k for k in key if k != "period"]  # categorical or not: compare labels
    a = ours.assign(**{k: ours[k].astype(object) for k in ids}).sort_values(key).reset_index(drop=True)
    b = theirs.assign(**{k: theirs[k].astype(object) for k in ids}).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[key], b[key], check_dtype=False)
    for c in payments.COLUMNS:
        if c == "flag":
            assert (a.flag.astype(str).to_numpy() == b.flag.to_numpy()).all()
        else:
            np.testing.assert_allclose(a[c].to_numpy(dtype=float), b[c].to_numpy(dtype=float), rtol=1e-12, err_msg=c)
    return a


def test_payments_equal_pandas():
    df = random_payments()
    ours = ch.payments_summary(df, by="account_id", period="M")
    assert list(ours.columns) == ["account_id", "period"] + list(payments.COLUMNS)
    a = compare(ours, pandas_payments(df, ["account_id"]), ["account_id", "period"])
    only_refunds = a[a.account_id == "refunds_only"].iloc[0]
    assert only_refunds.flag == "none" and np.isnan(only_refunds.refund_rate)
    assert {"ok", "warning", "breach"} <= set(a.flag.astype(str))


def test_amounts_in_several_currencies_are_never_added():
    # Two merchants; m1 takes EUR and CAD in January. By hand: January's 3 payments and the refund
    # count stand, but its volume has no sum (EUR + CAD); by currency: 17 EUR and 5 CAD.
    df = pd.DataFrame({"account_id": ["m1", "m1", "m1", "m2"], "type": ["payment", "payment", "refund", "payment"],
                       "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
                       "amount": [10.0, 5.0, 2.0, 7.0], "currency": ["EUR", "CAD", "EUR", "EUR"]})
    for data in (df, ch.Dataset(payments=df)):
        month = ch.payments_summary(data).iloc[0]
        assert month.payments == 3 and month.refund_rate == pytest.approx(1 / 3)
        assert np.isnan(month.payment_volume) and np.isnan(month.refund_amount_rate)
        by_account = ch.payments_summary(data, by="account_id").set_index("account_id")
        assert np.isnan(by_account.loc["m1", "payment_volume"]) and by_account.loc["m2", "payment_volume"] == 7
        by_currency = ch.payments_summary(data, by="currency").set_index("currency")
        assert by_currency.loc["EUR", "payment_volume"] == 17 and by_currency.loc["CAD", "payment_volume"] == 5
        assert by_currency.loc["EUR", "refund_amount_rate"] == pytest.approx(2 / 17)
    # A currency column by another name, when named; a named one that is missing is an error.
    renamed = ch.payments_summary(df.rename(columns={"currency": "ccy"}), currency_col="ccy").iloc[0]
    assert np.isnan(renamed.payment_volume)
    with pytest.raises(ch.InvalidInputError, match="no currency column 'nope'"):
        ch.payments_summary(df, currency_col="nope")
    # One currency, or none named: the volumes add as before.
    single = df[df.currency == "EUR"]
    assert ch.payments_summary(single).payment_volume.iloc[0] == 17
    assert ch.payments_summary(df.drop(columns="currency")).payment_volume.iloc[0] == 22


def test_the_signals_and_the_summary_keep_currencies_apart_the_same_way():
    # Review finding: the signal had its own currency check, in which a payment without a currency
    # after a named one made the volume NaN, and before it did not. One rule now, in any order: a row
    # without a currency is a currency of its own; a refund in another currency leaves the payment
    # volume alone.
    T = pd.Timestamp("2024-02-01")
    base = pd.DataFrame({"account_id": ["a", "a", "b", "b", "c"],
                         "timestamp": pd.to_datetime(["2024-01-10", "2024-01-12", "2024-01-10", "2024-01-11", "2024-01-15"]),
                         "type": ["payment", "payment", "payment", "refund", "payment"],
                         "amount": [10.0, 20.0, 5.0, 1.0, 7.0], "currency": ["EUR", None, "EUR", "CAD", "GBP"]})
    for rows in (base, base.iloc[[1, 0, 3, 2, 4]].reset_index(drop=True)):
        ds = ch.Dataset(payments=rows)
        sig = ch.signals(ds, T, names=["payments.volume_30d"])["payments.volume_30d"]
        summary = ch.payments_summary(ds, by="account_id", period=None).set_index("account_id")
        assert np.isnan(sig["a"]) and np.isnan(summary.loc["a", "payment_volume"])  # EUR and no currency
        assert sig["b"] == 5 and summary.loc["b", "payment_volume"] == 5  # the CAD refund is not a payment
        assert np.isnan(summary.loc["b", "refund_amount_rate"])  # CAD over EUR
        assert sig["c"] == 7 and summary.loc["c", "payment_volume"] == 7


def test_flags_follow_the_thresholds():
    rows = [("m", "2024-01-02", "payment", 10.0)] * 1000 + [("m", "2024-01-03", "chargeback", 10.0)] * 7
    df = pd.DataFrame(rows, columns=["account_id", "timestamp", "type", "amount"])
    assert ch.payments_summary(df).flag.iloc[0] == "warning"   # 0.7 % ≥ 0.65 %
    assert ch.payments_summary(df, chargeback_breach=0.007).flag.iloc[0] == "breach"
    assert ch.payments_summary(df, chargeback_warning=0.008, chargeback_breach=0.01).flag.iloc[0] == "ok"
    with pytest.raises(ch.InvalidInputError, match="warning ≤ breach"):
        ch.payments_summary(df, chargeback_warning=0.02, chargeback_breach=0.01)


def test_window_and_as_of():
    df = random_payments(seed=2, n=5000)
    as_of = pd.Timestamp("2024-06-15")
    ours = ch.payments_summary(df, by="currency", as_of=as_of, window_days=90)
    inside = df[(df.timestamp >= as_of - pd.Timedelta(days=90)) & (df.timestamp < as_of)]
    assert (ours.period == as_of - pd.Timedelta(days=90)).all()
    got = ours.set_index(ours.currency.astype(object).fillna("none")).payments.to_dict()
    want = inside[inside.type == "payment"].groupby(inside.currency.fillna("none")).size().to_dict()
    assert got == want


def test_dataset_equals_pandas_on_its_payments():
    ds = ch.generate(n_accounts=100, days=200, seed=4)
    table = ds.table("payments")
    ours = ch.payments_summary(ds, by="account_id", period="M")
    # Plain labels: over categoricals, pandas' pivot lists every combination of categories, seen or not.
    labels = table.astype({"account_id": object, "type": object})
    compare(ours, pandas_payments(labels, ["account_id"]), ["account_id", "period"])
    by_segment = ch.payments_summary(ds, by=["segment"], period=None)
    assert by_segment.payments.sum() == (table.type == "payment").sum()


def test_amounts_and_times_are_read_in_place():
    df = random_payments(seed=3, n=100)
    keys = payments.frame_keys(df, ["account_id"], "payments")
    time, unit = payments.ticks(df["timestamp"], "timestamp")
    lut = np.arange(5, dtype=np.uint8)
    codes = lut[pd.Categorical(df.type, categories=TYPES).codes]
    raw = ch._core.payments_arrays(time, unit, codes, df["amount"].to_numpy(), [k.core() for k in keys], "M", None, 0,
                                   0.0065, 0.009)
    assert raw["inputs"]["amount"] == df["amount"].to_numpy().__array_interface__["data"][0]
    assert raw["inputs"]["time"] == df["timestamp"].to_numpy().__array_interface__["data"][0]


def test_bad_input_raises_invalid_input_error():
    df = random_payments(seed=5, n=50)
    with pytest.raises(ch.InvalidInputError, match=r"payments\[7\]: 'amount' must be a finite number ≥ 0"):
        ch.payments_summary(df.assign(amount=np.where(df.index == 7, -1.0, df.amount)))
    with pytest.raises(ch.InvalidInputError, match=r"payments\[8\]: 'amount'"):
        ch.payments_summary(df.assign(amount=np.where(df.index == 8, np.nan, df.amount)))
    with pytest.raises(ch.InvalidInputError, match="unknown payment type 'gift'"):
        ch.payments_summary(df.assign(type=np.where(df.index == 2, "gift", df.type)))
    with pytest.raises(ch.InvalidInputError, match="missing required column 'amount'"):
        ch.payments_summary(df.drop(columns="amount"))
    with pytest.raises(ch.InvalidInputError, match="'type' is empty"):
        ch.payments_summary(df.assign(type=df.type.where(df.index != 4)))
    empty = ch.payments_summary(df.iloc[:0], by="account_id")
    assert empty.empty and list(empty.columns) == ["account_id", "period"] + list(payments.COLUMNS)
