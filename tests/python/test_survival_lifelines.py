"""Kaplan–Meier and log-rank against lifelines itself (from PyPI) on seeded random samples: late
entry, case weights, ties, all censored, other alphas, two and k groups — equal within 1e-12. The
one documented difference (fractional weights) is pinned against a hand computation instead."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from conftest import peer

lifelines = peer("lifelines")
from lifelines.statistics import logrank_test, multivariate_logrank_test  # noqa: E402

TOL = 1e-12


def sample(n, seed, integer=False, censor_all=False):
    rng = np.random.default_rng(seed)
    life, follow = rng.exponential(10.0, n), rng.uniform(0.0, 25.0, n)
    t = np.minimum(life, follow)
    if integer:
        t = np.ceil(t)  # many ties
    e = np.zeros(n, np.int64) if censor_all else (life <= follow).astype(np.int64)
    return t, e


def fit_both(t, e, alpha=0.05, **kwargs):
    ours = ch.KaplanMeier(alpha=alpha).fit(t, e, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' own StatisticalWarnings (e.g. on weights)
        theirs = lifelines.KaplanMeierFitter(alpha=alpha).fit(t, e, **kwargs)
    return ours, theirs


def assert_same_curve(ours, theirs):
    np.testing.assert_array_equal(ours.survival_function_.index.to_numpy(), theirs.survival_function_.index.to_numpy())
    np.testing.assert_allclose(ours.survival_function_.to_numpy(), theirs.survival_function_.to_numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.cumulative_density_.to_numpy(), theirs.cumulative_density_.to_numpy(), rtol=0, atol=TOL)
    assert list(ours.confidence_interval_.columns) == list(theirs.confidence_interval_.columns)
    np.testing.assert_allclose(ours.confidence_interval_.to_numpy(), theirs.confidence_interval_.to_numpy(),
                               rtol=0, atol=TOL)
    table, expected = ours.event_table_, theirs.event_table
    np.testing.assert_array_equal(table.index.to_numpy(), expected.index.to_numpy())
    for column in ("removed", "observed", "censored", "entrance", "at_risk"):
        np.testing.assert_allclose(table[column].to_numpy(float), expected[column].to_numpy(float), rtol=0, atol=TOL,
                                   err_msg=column)
    assert ours.median_survival_time_ == theirs.median_survival_time_


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("integer", [False, True])
def test_kaplan_meier_equals_lifelines(seed, integer):
    assert_same_curve(*fit_both(*sample(500, seed, integer)))


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.3])
def test_kaplan_meier_alpha_equals_lifelines(alpha):
    assert_same_curve(*fit_both(*sample(300, 7, integer=True), alpha=alpha))


def test_kaplan_meier_all_censored_equals_lifelines():
    ours, theirs = fit_both(*sample(100, 8, censor_all=True))
    assert_same_curve(ours, theirs)
    assert (ours.survival_function_.to_numpy() == 1.0).all() and ours.median_survival_time_ == np.inf


@pytest.mark.parametrize("seed", [11, 12])
def test_kaplan_meier_late_entry_equals_lifelines(seed):
    t, e = sample(400, seed, integer=True)
    entry = np.floor(np.random.default_rng(seed + 100).uniform(0.0, 1.0, len(t)) * t)
    entry[entry >= t] = 0.0
    assert_same_curve(*fit_both(t, e, entry=entry))


@pytest.mark.parametrize("seed", [21, 22])
def test_kaplan_meier_integer_weights_equal_lifelines(seed):
    t, e = sample(300, seed, integer=True)
    w = np.random.default_rng(seed + 100).integers(1, 5, len(t)).astype(float)
    assert_same_curve(*fit_both(t, e, weights=w))


# ---- log-rank ----

@pytest.mark.parametrize("seed", [31, 32, 33])
def test_two_sample_logrank_equals_lifelines(seed):
    ta, ea = sample(200, seed, integer=True)
    tb, eb = sample(150, seed + 50, integer=True)
    tb = tb * 1.3
    ours = ch.logrank_test(ta, tb, event_observed_A=ea, event_observed_B=eb)
    theirs = logrank_test(ta, tb, event_observed_A=ea, event_observed_B=eb)
    assert ours.test_statistic == pytest.approx(theirs.test_statistic, rel=TOL, abs=TOL)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-10, abs=TOL)
    assert ours.degrees_of_freedom == theirs.degrees_of_freedom == 1


def test_weighted_two_sample_logrank_equals_lifelines():
    ta, ea = sample(120, 41, integer=True)
    tb, eb = sample(130, 42, integer=True)
    rng = np.random.default_rng(43)
    wa, wb = rng.integers(1, 4, len(ta)).astype(float), rng.integers(1, 4, len(tb)).astype(float)
    ours = ch.logrank_test(ta, tb * 1.2, ea, eb, weights_A=wa, weights_B=wb)
    theirs = logrank_test(ta, tb * 1.2, event_observed_A=ea, event_observed_B=eb, weights_A=wa, weights_B=wb)
    assert ours.test_statistic == pytest.approx(theirs.test_statistic, rel=TOL, abs=TOL)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-10, abs=TOL)


@pytest.mark.parametrize("k", [3, 5])
def test_k_group_logrank_equals_lifelines(k):
    rng = np.random.default_rng(50 + k)
    t, e = sample(600, 50 + k, integer=True)
    groups = rng.choice([f"g{i}" for i in range(k)], len(t))
    t = t * (1.0 + 0.1 * pd.Series(groups).str[1:].astype(int).to_numpy())
    t = np.ceil(t)
    ours = ch.multivariate_logrank_test(t, groups, e)
    theirs = multivariate_logrank_test(t, groups, e)
    assert ours.test_statistic == pytest.approx(theirs.test_statistic, rel=TOL, abs=TOL)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-10, abs=TOL)
    assert ours.degrees_of_freedom == theirs.degrees_of_freedom == k - 1


def test_weighted_k_group_logrank_equals_lifelines():
    rng = np.random.default_rng(60)
    t, e = sample(500, 60, integer=True)
    groups = rng.choice(["x", "y", "z"], len(t))
    w = rng.integers(1, 4, len(t)).astype(float)
    ours = ch.multivariate_logrank_test(t, groups, e, weights=w)
    theirs = multivariate_logrank_test(t, groups, e, weights=w)
    assert ours.test_statistic == pytest.approx(theirs.test_statistic, rel=TOL, abs=TOL)


def test_fractional_weights_against_a_hand_computation():
    """Where lifelines is not right. With fractional weights (sampling weights, say) lifelines 0.30
    truncates its event table's `censored` column to integers (0 instead of 0.25 and 0.7 here), its
    curve does not drop at the last time although every subject at risk dies there (S(5) stays
    0.317), and its band at t = 1 is (0.2432, 0.9948). By hand, from Kaplan & Meier's product and
    Greenwood's sum with the weights as counts:"""
    t = np.array([1.0, 2.0, 2.0, 3.0, 4.0, 5.0])
    e = np.array([1, 1, 0, 1, 0, 1])
    w = np.array([0.5, 1.5, 0.25, 2.0, 0.7, 1.1])
    km = ch.KaplanMeier().fit(t, e, weights=w)
    at_risk = np.array([6.05, 6.05, 5.55, 3.80, 1.80, 1.10])  # rows 0, 1, 2, 3, 4, 5
    deaths = np.array([0.0, 0.5, 1.5, 2.0, 0.0, 1.1])
    np.testing.assert_allclose(km.event_table_["at_risk"].to_numpy(), at_risk, rtol=0, atol=TOL)
    np.testing.assert_allclose(km.event_table_["censored"].to_numpy(), [0, 0, 0.25, 0, 0.7, 0], rtol=0, atol=TOL)
    survival = np.cumprod(1.0 - deaths / at_risk)
    np.testing.assert_allclose(km.survival_function_["KM_estimate"].to_numpy(), survival, rtol=0, atol=TOL)
    assert survival[-1] == 0.0
    # The exponential-Greenwood band at t = 1: v = Σ d/(n(n−d)) / log(S)², bounds exp(−exp(log(−log S) ± z√v)).
    z = 1.959963984540054
    s1 = 1.0 - 0.5 / 6.05
    v = (0.5 / (6.05 * 5.55)) / np.log(s1) ** 2
    c = np.log(-np.log(s1))
    low, high = np.exp(-np.exp(c + z * np.sqrt(v))), np.exp(-np.exp(c - z * np.sqrt(v)))
    np.testing.assert_allclose(km.confidence_interval_.loc[1.0].to_numpy(), [low, high], rtol=1e-12)
    assert low == pytest.approx(0.2515097, abs=1e-7) and high == pytest.approx(0.9946237, abs=1e-7)


def test_predict_and_event_table_have_lifelines_names():
    t, e = sample(200, 70, integer=True)
    ours, theirs = fit_both(t, e)
    assert ours.event_table is ours.event_table_
    for when in (0.0, 3.0, 7.5, 100.0):
        assert ours.predict(when) == pytest.approx(theirs.predict(when), abs=TOL)
    np.testing.assert_allclose(ours.predict([1.0, 2.0, 9.0]), theirs.predict([1.0, 2.0, 9.0]), atol=TOL)


WEIGHTINGS = [("wilcoxon", {}), ("tarone-ware", {}), ("peto", {}), ("fleming-harrington", {"p": 1.0, "q": 0.0}),
              ("fleming-harrington", {"p": 0.5, "q": 2.0})]


@pytest.mark.parametrize("weightings, pq", WEIGHTINGS)
@pytest.mark.parametrize("integer", [False, True])
def test_weighted_log_rank_tests_equal_lifelines(weightings, pq, integer):
    ta, ea = sample(300, 31, integer=integer)
    tb, eb = sample(250, 32, integer=integer)
    tb = tb * 0.8
    ours = ch.logrank_test(ta, tb, ea, eb, weightings=weightings, **pq)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = logrank_test(ta, tb, ea, eb, weightings=weightings, **pq)
    assert ours.test_statistic == pytest.approx(theirs.test_statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-9)
    assert ours.test_name == theirs.test_name
    # k groups
    t, e = np.concatenate([ta, tb, ta[:100] * 1.3]), np.concatenate([ea, eb, ea[:100]])
    g = np.repeat(["x", "y", "z"], [len(ta), len(tb), 100])
    ours = ch.multivariate_logrank_test(t, g, e, weightings=weightings, **pq)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = multivariate_logrank_test(t, g, e, weightings=weightings, **pq)
    assert ours.test_statistic == pytest.approx(theirs.test_statistic, rel=1e-9)


def test_t_0_and_pairwise_equal_lifelines():
    from lifelines.statistics import pairwise_logrank_test

    ta, ea = sample(200, 41, integer=True)
    tb, eb = sample(200, 42, integer=True)
    ours = ch.logrank_test(ta, tb, ea, eb, t_0=8)
    theirs = logrank_test(ta, tb, ea, eb, t_0=8)
    assert ours.test_statistic == pytest.approx(theirs.test_statistic, rel=1e-9)
    t = np.concatenate([ta, tb, tb[:80] * 0.5])
    e = np.concatenate([ea, eb, eb[:80]])
    g = np.repeat([2, 0, 1], [200, 200, 80])
    for kwargs in ({}, {"weightings": "wilcoxon"}, {"t_0": 10}):
        ours_p = ch.pairwise_logrank_test(t, g, e, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs_p = pairwise_logrank_test(t, g, e, **kwargs)
        assert list(ours_p.summary.index) == list(theirs_p.summary.index) == [(0, 1), (0, 2), (1, 2)]
        np.testing.assert_allclose(ours_p.summary["test_statistic"], theirs_p.summary["test_statistic"], rtol=1e-9)
        np.testing.assert_allclose(ours_p.summary["p"], theirs_p.summary["p"], rtol=1e-9)


def test_weighted_log_rank_bad_input():
    t, e = sample(50, 5)
    with pytest.raises(ch.InvalidInputError, match="needs p and q"):
        ch.logrank_test(t, t, e, e, weightings="fleming-harrington")
    with pytest.raises(ch.InvalidInputError, match="p, q >= 0"):
        ch.logrank_test(t, t, e, e, weightings="fleming-harrington", p=-1, q=0)
    with pytest.raises(ch.InvalidInputError, match="weightings must be one of"):
        ch.logrank_test(t, t, e, e, weightings="gehan")
    with pytest.raises(ch.InvalidInputError, match="t_0"):
        ch.logrank_test(t, t, e, e, t_0=-5)
    with pytest.raises(ch.InvalidInputError, match="two groups"):
        ch.pairwise_logrank_test(t, np.zeros(50), e)


@pytest.mark.parametrize("integer", [False, True])
def test_threads_give_one_threads_bits_and_lifelines(integer):
    # 200,000 subjects: three blocks of 65,536, so 2 and 3 threads really split the sort (or the
    # counting of whole-number times).
    t, e = sample(200_000, 9, integer=integer)
    rng = np.random.default_rng(4)
    w = rng.uniform(0.1, 1.9, len(t))
    for kwargs in ({}, {"weights": w}):
        one = ch.KaplanMeier(n_threads=1).fit(t, e, **kwargs)
        for threads in (2, 3):
            many = ch.KaplanMeier(n_threads=threads).fit(t, e, **kwargs)
            pd.testing.assert_frame_equal(many.survival_function_, one.survival_function_, check_exact=True)
            pd.testing.assert_frame_equal(many.event_table_, one.event_table_, check_exact=True)
            pd.testing.assert_frame_equal(many.confidence_interval_, one.confidence_interval_, check_exact=True)
    theirs = lifelines.KaplanMeierFitter().fit(t, e)
    np.testing.assert_array_equal(one.survival_function_.index.to_numpy(), theirs.survival_function_.index.to_numpy())
    ours = ch.KaplanMeier(n_threads=2).fit(t, e)
    # A product over ~10^5 event times against lifelines' sum of logs: rounding, not a difference.
    np.testing.assert_allclose(ours.survival_function_.to_numpy(), theirs.survival_function_.to_numpy(), rtol=0,
                               atol=1e-10)
    g = rng.integers(0, 3, len(t))
    ours_k = ch.multivariate_logrank_test(t, g, e, n_threads=1)
    for threads in (2, 3):
        many = ch.multivariate_logrank_test(t, g, e, n_threads=threads)
        assert many.test_statistic == ours_k.test_statistic and many.p_value == ours_k.p_value
    two = ch.logrank_test(t[g == 0], t[g == 1], e[g == 0], e[g == 1], n_threads=3)
    assert two.test_statistic == ch.logrank_test(t[g == 0], t[g == 1], e[g == 0], e[g == 1], n_threads=1).test_statistic
    expected = multivariate_logrank_test(t, g, e).test_statistic
    assert ours_k.test_statistic == pytest.approx(expected, rel=1e-9)
    assert two.test_statistic == pytest.approx(logrank_test(t[g == 0], t[g == 1], e[g == 0], e[g == 1]).test_statistic,
                                               rel=1e-9)
    for bad in (0, -1, 4097):
        with pytest.raises(ch.InvalidInputError, match="KaplanMeier.fit: n_threads must be a whole number from 1 to"):
            ch.KaplanMeier(n_threads=bad).fit(t, e)
        with pytest.raises(ch.InvalidInputError, match="logrank_test: n_threads must be a whole number from 1 to"):
            ch.logrank_test(t, t, e, e, n_threads=bad)
        with pytest.raises(ch.InvalidInputError, match="multivariate_logrank_test: n_threads must be a whole"):
            ch.multivariate_logrank_test(t, g, e, n_threads=bad)
