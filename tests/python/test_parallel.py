"""Threads (issue 16): every per-account analytic takes ``n_threads`` and gives the same bits for any
count — signals, scores, alerts, adoption, churn features and the backtest; the process-wide count
(``ch.set_num_threads``, ``CUSTHEALTH_NUM_THREADS``) is what a call without one uses; bad counts are
refused with the caller's name."""

from __future__ import annotations

import json
import math
import os
import pathlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from custhealth import _core

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ds() -> ch.Dataset:
    return ch.generate(n_accounts=300, days=500, seed=21)


@pytest.fixture(autouse=True)
def restore_setting():
    yield
    ch.set_num_threads(None)


def assert_same_bits(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_scores_alerts_and_adoption_are_the_same_bits_on_any_thread_count(ds):
    card = ch.Scorecard.load("saas_health_v1")
    as_of = pd.Timestamp("2024-10-15")
    one = card.score(ds, as_of=as_of, n_threads=1)
    week = list(pd.date_range("2024-10-01", periods=8, freq="D"))
    alerts = card.alerts(ds, as_of=week, n_threads=1)
    assert len(alerts) > 0 and one["score"].notna().sum() > 100
    for n in (2, 3, 7, 1000):  # 1000: more threads than accounts
        assert_same_bits(card.score(ds, as_of=as_of, n_threads=n), one)
        assert_same_bits(card.alerts(ds, as_of=week, n_threads=n), alerts)
    assert_same_bits(ch.adoption(ds, as_of=as_of, n_threads=2), ch.adoption(ds, as_of=as_of, n_threads=1))


def test_scoring_split_into_blocks_of_accounts_is_the_same_bits_and_the_reference():
    # 12,500 accounts: three blocks of at least 4,096 (the scoring's grain), so the mapping and the
    # weighting themselves split — on both routes, signals computed here or given.
    from scorecard_reference import reference_scores  # noqa: PLC0415
    big = ch.generate(n_accounts=12_500, days=150, seed=8)
    card = ch.Scorecard.load("saas_health_v1")
    as_of = pd.Timestamp("2024-12-01")
    one = card.score(big, as_of=as_of, n_threads=1)
    assert one["score"].notna().sum() > 10_000
    signals = ch.signals(big, as_of=as_of, names=card.signals)
    given = card.score(big, as_of=as_of, signals=signals, n_threads=1)
    for n in (2, 3):
        assert_same_bits(card.score(big, as_of=as_of, n_threads=n), one)
        assert_same_bits(card.score(big, as_of=as_of, signals=signals, n_threads=n), given)
    with open(ROOT / "models" / "saas_health_v1.json") as f:
        want = reference_scores(json.load(f), signals, big.table("accounts"), as_of)
    np.testing.assert_allclose(one["score"], want["score"], rtol=0, atol=1e-9)


def test_churn_features_and_backtest_are_the_same_bits_on_any_thread_count(ds):
    dates = list(pd.date_range("2024-03-01", periods=4, freq="MS"))
    X1, y1, m1 = ch.churn_features(ds, dates, horizon_days=60, n_threads=1)
    X2, y2, m2 = ch.churn_features(ds, dates, horizon_days=60, n_threads=2)
    assert_same_bits(X2, X1)
    pd.testing.assert_series_equal(y2, y1)
    assert_same_bits(m2, m1)
    card = ch.Scorecard.load("saas_health_v1")
    assert_same_bits(ch.backtest(ds, card, as_of=dates, horizon_days=60, n_threads=2),
                     ch.backtest(ds, card, as_of=dates, horizon_days=60, n_threads=1))


def test_a_call_without_a_count_uses_the_process_wide_one(ds, monkeypatch):
    seen: list[int] = []
    original = _core.signals, _core.scorecard_score, _core.scorecard_alerts

    def spy(real):
        def call(*args):
            seen.append(args[-1] if real is not original[0] else args[3])
            return real(*args)
        return call

    monkeypatch.setattr(_core, "signals", spy(original[0]))
    monkeypatch.setattr(_core, "scorecard_score", spy(original[1]))
    monkeypatch.setattr(_core, "scorecard_alerts", spy(original[2]))
    card = ch.Scorecard.load("saas_health_v1")
    as_of = pd.Timestamp("2024-10-15")
    assert ch.get_num_threads() == 1
    ch.signals(ds, as_of=as_of)
    card.score(ds, as_of=as_of)
    assert seen == [1, 1]
    ch.set_num_threads(2)
    assert ch.get_num_threads() == 2
    seen.clear()
    ch.signals(ds, as_of=as_of)
    card.score(ds, as_of=as_of)
    card.alerts(ds, as_of=as_of)
    ch.adoption(ds, as_of=as_of)
    ch.churn_features(ds, [as_of], horizon_days=30)
    assert seen == [2, 2, 2, 2, 2]
    seen.clear()
    ch.signals(ds, as_of=as_of, n_threads=3)  # a call's own count wins
    assert seen == [3]
    ch.set_num_threads(None)
    assert ch.get_num_threads() == 1


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_the_environment_sets_the_default_and_a_bad_value_is_named():
    ok = run_python("import custhealth as ch; print(ch.get_num_threads())", CUSTHEALTH_NUM_THREADS="3")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "3"
    set_wins = run_python("import custhealth as ch; ch.set_num_threads(2); print(ch.get_num_threads())",
                          CUSTHEALTH_NUM_THREADS="3")
    assert set_wins.stdout.strip() == "2", set_wins.stderr
    bad = run_python("import custhealth as ch\n"
                     "ds = ch.generate(n_accounts=5, days=60, seed=1)\n"
                     "try:\n    ch.signals(ds)\nexcept ch.InvalidInputError as e:\n    print('refused:', e)\n",
                     CUSTHEALTH_NUM_THREADS="many")
    assert bad.returncode == 0, bad.stderr
    assert 'refused: CUSTHEALTH_NUM_THREADS must be a whole number from 1 to 4096, got "many"' in bad.stdout
    # A card scored on signals already computed scores on threads too: the setting is read there as well.
    given = run_python("import custhealth as ch\n"
                       "ds = ch.generate(n_accounts=5, days=60, seed=1)\n"
                       "card = ch.Scorecard.load('saas_health_v1')\n"
                       "s = ch.signals(ds, as_of='2024-12-01', names=card.signals, n_threads=1)\n"
                       "print(len(card.score(ds, as_of='2024-12-01', signals=s, n_threads=1)))\n"
                       "try:\n    card.score(ds, as_of='2024-12-01', signals=s)\n"
                       "except ch.InvalidInputError as e:\n    print('refused:', e)\n",
                       CUSTHEALTH_NUM_THREADS="many")
    assert given.returncode == 0, given.stderr
    assert given.stdout.splitlines()[0] == "5"
    assert 'refused: CUSTHEALTH_NUM_THREADS must be a whole number from 1 to 4096, got "many"' in given.stdout


@pytest.mark.parametrize("bad", [0, -1, 4097, 2**31, 1.5, True, "2", np.float64(2)])
def test_bad_counts_are_refused_by_name(ds, bad):
    card = ch.Scorecard.load("saas_health_v1")
    as_of = pd.Timestamp("2024-10-15")
    calls = {
        "signals": lambda: ch.signals(ds, as_of=as_of, n_threads=bad),
        "score": lambda: card.score(ds, as_of=as_of, n_threads=bad),
        "alerts": lambda: card.alerts(ds, as_of=as_of, n_threads=bad),
        "adoption": lambda: ch.adoption(ds, as_of=as_of, n_threads=bad),
        "set_num_threads": lambda: ch.set_num_threads(bad),
    }
    for name, call in calls.items():
        with pytest.raises(ch.InvalidInputError, match=f"{name}: n_threads must be a whole number from 1 to 4096, got"):
            call()
    assert ch.get_num_threads() == 1  # a refused setting changes nothing


def test_feedback_and_payments_summaries_are_the_same_bits_on_any_thread_count():
    # Enough rows for several blocks of rows (a block per thread from 65,536 rows).
    rng = np.random.default_rng(5)
    n = 300_000
    time = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s")
    answers = pd.DataFrame({"timestamp": time, "score": rng.integers(0, 11, n).astype(float),
                            "segment": rng.choice(["smb", "mid", "enterprise"], n)})
    one = ch.feedback_summary(answers, kind="nps", by="segment", period="M", n_threads=1)
    for threads in (2, 3):
        assert_same_bits(ch.feedback_summary(answers, kind="nps", by="segment", period="M", n_threads=threads), one)
    # Independently: NPS = 100·(promoters − detractors)/n per segment × month, in pandas.
    month = answers["timestamp"].dt.to_period("M").dt.start_time
    grouped = answers.groupby([answers["segment"], month])["score"]
    want = (100 * (grouped.apply(lambda s: (s >= 9).sum() - (s <= 6).sum()) / grouped.size())).to_numpy()
    np.testing.assert_allclose(one["score"].to_numpy(), want, rtol=0, atol=1e-12)

    payments = pd.DataFrame({"timestamp": time, "type": rng.choice(["payment", "refund", "chargeback"], n, p=[.9, .08, .02]),
                             "amount": rng.integers(1, 500_000, n) / 100.0, "account_id": rng.choice(["a", "b"], n)})
    single = ch.payments_summary(payments, by="account_id", n_threads=1)
    assert_same_bits(ch.payments_summary(payments, by="account_id", n_threads=2), single)
    # The volumes are correctly rounded sums, as math.fsum gives them (threads or not).
    month = payments["timestamp"].dt.to_period("M").dt.start_time
    paid = payments[payments["type"] == "payment"]
    fsum = paid.groupby([paid["account_id"], month[paid.index]])["amount"].agg(lambda s: math.fsum(s))
    np.testing.assert_array_equal(single["payment_volume"].to_numpy(), fsum.to_numpy())
    with pytest.raises(ch.InvalidInputError, match="feedback_summary: n_threads must be a whole number from 1 to 4096, got 0"):
        ch.feedback_summary(answers, n_threads=0)
    with pytest.raises(ch.InvalidInputError, match="payments_summary: n_threads must be a whole number from 1 to 4096, got -2"):
        ch.payments_summary(payments, n_threads=-2)


def test_cohort_matrices_and_lifecycles_are_the_same_bits_on_any_thread_count():
    ds = ch.generate(n_accounts=9000, days=400, seed=4)  # above 4,096 accounts: several blocks
    for mode in ("on", "on_or_after"):
        for by in ("first_activity", "start"):
            one = ch.cohort_retention(ds, period="M", mode=mode, cohort_by=by, n_threads=1)
            for threads in (2, 3):
                many = ch.cohort_retention(ds, period="M", mode=mode, cohort_by=by, n_threads=threads)
                assert_same_bits(many.counts, one.counts)
                pd.testing.assert_series_equal(many.sizes, one.sizes, check_exact=True)
                assert many.excluded == one.excluded
    for period in ("W", "M"):
        pd.testing.assert_frame_equal(ch.lifecycle(ds, period=period, n_threads=3),
                                      ch.lifecycle(ds, period=period, n_threads=1), check_exact=True)
    # Independently: the 0-offset cell of an "on" matrix by first activity is the cohort's size.
    one = ch.cohort_retention(ds, period="M", n_threads=2)
    first = one.counts.iloc[:, 0]
    observed = first.notna().to_numpy()
    assert observed.sum() > 5
    np.testing.assert_array_equal(first.to_numpy()[observed], one.sizes.to_numpy()[observed])
    with pytest.raises(ch.InvalidInputError, match="cohort_retention: n_threads must be a whole number from 1 to 4096, got 0"):
        ch.cohort_retention(ds, n_threads=0)
    with pytest.raises(ch.InvalidInputError, match="lifecycle: n_threads must be a whole number from 1 to 4096, got -1"):
        ch.lifecycle(ds, n_threads=-1)


def test_tenure_is_the_same_frame_on_any_thread_count():
    ds = ch.generate(n_accounts=9000, days=400, seed=4)  # above 4,096 accounts: several blocks
    one = ch.tenure(ds, n_threads=1)
    for threads in (2, 3):
        pd.testing.assert_frame_equal(ch.tenure(ds, n_threads=threads), one, check_exact=True)
        assert ch.tenure(ds, n_threads=threads).attrs == one.attrs
    # Independently, from the accounts table in pandas: (end or as_of) − start in days.
    accounts = ds.table("accounts").set_index("account_id")
    as_of = one.attrs["as_of"]
    kept = accounts[accounts["start"].notna() & (accounts["start"] < as_of)]
    ended = kept["end"].notna() & (kept["end"] < as_of)
    want = ((kept["end"].where(ended, as_of) - kept["start"]).dt.total_seconds() / 86400).loc[one.index]
    np.testing.assert_array_equal(one["duration"].to_numpy(), want.to_numpy())
    np.testing.assert_array_equal(one["observed"].to_numpy(), ended.loc[one.index].to_numpy())
    with pytest.raises(ch.InvalidInputError, match="tenure: n_threads must be a whole number from 1 to 4096, got 0"):
        ch.tenure(ds, n_threads=0)
    with pytest.raises(ch.InvalidInputError, match="tenure: n_threads must be a whole number from 1 to 4096, got 4097"):
        ch.tenure(ds, n_threads=4097)


def test_the_logistic_fit_is_the_same_bits_on_any_thread_count():
    rng = np.random.default_rng(8)
    X = pd.DataFrame(rng.normal(size=(150_000, 4)), columns=list("abcd"))  # several chunks of rows
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-(X["a"] - 0.5 * X["b"])))).astype(int)
    one = ch.LogisticChurnModel(l2=1.0, n_threads=1).fit(X, y)
    two = ch.LogisticChurnModel(l2=1.0, n_threads=2).fit(X, y)
    assert one.to_json() == two.to_json()
    assert "n_threads=2" in repr(ch.LogisticChurnModel(n_threads=2))
    with pytest.raises(ch.InvalidInputError, match="LogisticChurnModel.fit: n_threads must be a whole number from 1 to 4096, got 0"):
        ch.LogisticChurnModel(n_threads=0).fit(X, y)


@pytest.mark.parametrize("model", ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"])
def test_btyd_predictions_are_the_same_bits_on_any_thread_count(model):
    rng = np.random.default_rng(3)
    n = 60_000  # several blocks of 16,384 customers
    T = rng.uniform(10, 60, n).round()
    recency = np.minimum(T, rng.uniform(0, 60, n)).round()
    frequency = np.where(recency > 0, rng.integers(1, 30, n), 0).astype(float)
    params = {"BetaGeo": dict(r=0.24, alpha=4.4, a=0.79, b=2.4), "ModifiedBetaGeo": dict(r=0.5, alpha=6.0, a=0.9, b=3.0),
              "ParetoNBD": dict(r=0.55, alpha=10.6, s=0.61, beta=11.7)}[model]
    fitted = getattr(ch, model).from_params(params)
    one_alive = fitted.conditional_probability_alive(frequency, recency, T)
    one_expected = fitted.conditional_expected_number_of_purchases_up_to_time(13, frequency, recency, T)
    fitted.n_threads = 3
    np.testing.assert_array_equal(fitted.conditional_probability_alive(frequency, recency, T), one_alive)
    np.testing.assert_array_equal(
        fitted.conditional_expected_number_of_purchases_up_to_time(13, frequency, recency, T), one_expected)
    # Independently, for the BG/NBD: Fader, Hardie & Lee (2005) P(alive) in numpy.
    if model == "BetaGeo":
        r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
        odds = a / (b + frequency - 1) * ((alpha + T) / (alpha + recency)) ** (r + frequency)
        np.testing.assert_allclose(one_alive, np.where(frequency > 0, 1 / (1 + odds), 1.0), rtol=1e-13)
    fitted.n_threads = 0
    with pytest.raises(ch.InvalidInputError, match="n_threads must be a whole number from 1 to 4096, got 0"):
        fitted.conditional_probability_alive(frequency, recency, T)


def test_bg_bb_predictions_are_the_same_bits_on_any_thread_count():
    rng = np.random.default_rng(4)
    n = 40_000  # distinct (x, tx, n) histories, several blocks of 16,384
    n_periods = rng.integers(5, 12, n).astype(float)
    recency = np.floor(rng.uniform(0, 1, n) * (n_periods + 1))
    frequency = np.where(recency > 0, np.minimum(recency, rng.integers(1, 12, n)), 0).astype(float)
    model = ch.BetaGeoBetaBinom.from_params(dict(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78))
    one = model.conditional_expected_number_of_purchases_up_to_time(5, frequency, recency, n_periods)
    alive = model.conditional_probability_alive(5, frequency, recency, n_periods)
    model.n_threads = 2
    np.testing.assert_array_equal(model.conditional_expected_number_of_purchases_up_to_time(
        5, frequency, recency, n_periods), one)
    np.testing.assert_array_equal(model.conditional_probability_alive(5, frequency, recency, n_periods), alive)
    with pytest.raises(TypeError):
        ch.GammaGamma(n_threads=2)  # it has no threaded prediction: the argument is not taken
