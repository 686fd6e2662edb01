"""Kaplan–Meier and log-rank from Python: published values (gehan, dd, waltons), the full curve,
Greenwood variance and band against statsmodels' SurvfuncRight / survdiff, lifelines' conventions,
bad input, zero-copy input, the GIL, plots, account tenures and the report's survival section."""

from __future__ import annotations

import os
import subprocess

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy.stats import chi2, norm  # noqa: E402
from statsmodels.duration.survfunc import SurvfuncRight, survdiff  # noqa: E402

import custhealth as ch  # noqa: E402
from custhealth import _core, survival  # noqa: E402

Z = norm.ppf(0.975)


# ---- reference data, read in place ----

@pytest.fixture(scope="module")
def gehan(reference_dir):
    return pd.read_csv(reference_dir / "gehan.dat", sep=r"\s+", header=None, names=["group", "time", "event"])


@pytest.fixture(scope="module")
def dd(reference_dir):
    return pd.read_csv(reference_dir / "dd.csv")


@pytest.fixture(scope="module")
def waltons(reference_dir):
    return pd.read_csv(reference_dir / "waltons_dataset.csv")


def censored_sample(n, seed, integer=False):
    """Exponential lifetimes (rate 1/10) censored by uniform follow-up: about a third censored."""
    rng = np.random.default_rng(seed)
    life, follow = rng.exponential(10.0, n), rng.uniform(0.0, 25.0, n)
    t = np.minimum(life, follow)
    if integer:
        t = np.ceil(t)  # days; many ties
    return t, (life <= follow).astype(np.int64)


# ---- published values ----

def test_gehan_published_values(gehan):
    mp, placebo = gehan[gehan.group == 2], gehan[gehan.group == 1]
    km = ch.KaplanMeier().fit(mp.time, mp.event)
    at = km.survival_function_at_times([6, 7, 10, 13, 16, 22, 23])
    np.testing.assert_allclose(at.to_numpy(), [0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482], atol=5e-5)
    assert km.median_survival_time_ == 23
    assert ch.KaplanMeier().fit(placebo.time, placebo.event).median_survival_time_ == 8
    test = ch.logrank_test(mp.time, placebo.time, mp.event, placebo.event)
    assert round(test.test_statistic, 2) == 16.79
    assert test.degrees_of_freedom == 1
    assert test.p_value == pytest.approx(chi2.sf(test.test_statistic, 1), rel=1e-9)


def test_dd_published_values(dd):
    assert ch.KaplanMeier().fit(dd.duration, dd.observed).median_survival_time_ == 4.0
    demo = dd.democracy == "Democracy"
    test = ch.logrank_test(dd.duration[demo], dd.duration[~demo], dd.observed[demo], dd.observed[~demo])
    assert round(test.test_statistic, 2) == 260.47
    multi = ch.multivariate_logrank_test(dd.duration, dd.democracy, dd.observed)
    assert multi.test_statistic == pytest.approx(test.test_statistic, rel=1e-12)


def test_waltons_medians(waltons):
    assert ch.KaplanMeier().fit(waltons["T"], waltons["E"]).median_survival_time_ == 56
    by_group = {g: ch.KaplanMeier(label=g).fit(d["T"], d["E"]).median_survival_time_ for g, d in waltons.groupby("group")}
    assert by_group == {"control": 58, "miR-137": 26}


# ---- the whole curve against statsmodels ----

def statsmodels_reference(sf):
    """statsmodels' event-time rows with lifelines' band: Greenwood's sum is (se/S)², and the band is
    exp(−exp(log(−log S) ∓ z·√sum / log S)), (0, 0) once S = 0 (where statsmodels' se is NaN)."""
    s, se = sf.surv_prob, sf.surv_prob_se
    with np.errstate(divide="ignore", invalid="ignore"):
        gw = np.where(s > 0, (se / s) ** 2, 0.0)
        v = np.log(s)
        low = np.where(s > 0, np.exp(-np.exp(np.log(-v) - Z * np.sqrt(gw) / v)), 0.0)
        high = np.where(s > 0, np.exp(-np.exp(np.log(-v) + Z * np.sqrt(gw) / v)), 0.0)
    low, high = np.where(s == 1, 1.0, low), np.where(s == 1, 1.0, high)
    return {"times": sf.surv_times, "survival": s, "variance": np.where(s > 0, se**2, 0.0), "low": low, "high": high,
            "n_risk": sf.n_risk, "n_events": sf.n_events}


def assert_matches(km, ref, rtol=1e-10):
    t = ref["times"]
    sf = km.survival_function_.iloc[:, 0]
    assert set(t) <= set(sf.index), "every event time is on the timeline"
    np.testing.assert_allclose(sf.loc[t].to_numpy(), ref["survival"], rtol=rtol, atol=1e-14)
    np.testing.assert_allclose(km.cumulative_density_.iloc[:, 0].loc[t].to_numpy(), 1 - ref["survival"], rtol=rtol,
                               atol=1e-14)
    np.testing.assert_allclose(km.variance_.iloc[:, 0].loc[t].to_numpy(), ref["variance"], rtol=rtol, atol=1e-15)
    ci = km.confidence_interval_.loc[t]
    np.testing.assert_allclose(ci.iloc[:, 0].to_numpy(), ref["low"], rtol=rtol, atol=1e-14)
    np.testing.assert_allclose(ci.iloc[:, 1].to_numpy(), ref["high"], rtol=rtol, atol=1e-14)
    table = km.event_table_.loc[t]
    np.testing.assert_allclose(table["observed"].to_numpy(), ref["n_events"], rtol=1e-12)
    # statsmodels' n_risk is the estimator's n: lifelines' at_risk without the row's own entrants
    # (except on the first row, where they are at risk for its events).
    n = table["at_risk"] - np.where(table.index == km.event_table_.index[0], 0, table["entrance"])
    np.testing.assert_allclose(n.to_numpy(), ref["n_risk"], rtol=1e-12)
    # Between event times S, its variance and band stay flat (forward-filled).
    flat = (km.event_table_["observed"] == 0).to_numpy()[1:]
    for frame in (km.survival_function_, km.variance_, km.confidence_interval_):
        values = frame.to_numpy()
        np.testing.assert_array_equal(values[1:][flat], values[:-1][flat])


def first_at_or_below(times, values):
    below = np.flatnonzero(values <= 0.5)
    return times[below[0]] if len(below) else np.inf


def test_waltons_curve_variance_and_band_match_statsmodels(waltons):
    km = ch.KaplanMeier().fit(waltons["T"], waltons["E"])
    ref = statsmodels_reference(SurvfuncRight(waltons["T"].to_numpy(), waltons["E"].to_numpy()))
    assert_matches(km, ref)
    assert km.median_survival_time_ == SurvfuncRight(waltons["T"], waltons["E"]).quantile(0.5) == 56
    assert km.median_ci_ == (first_at_or_below(ref["times"], ref["low"]),
                             first_at_or_below(ref["times"], ref["high"])) == (53, 58)


@pytest.mark.parametrize("integer", [False, True], ids=["continuous", "integer-days"])
@pytest.mark.parametrize("n", [50, 5000])
def test_random_censored_sample_matches_statsmodels(n, integer):
    t, e = censored_sample(n, seed=n + integer, integer=integer)
    assert 0.2 < 1 - e.mean() < 0.5
    km = ch.KaplanMeier().fit(t, e)
    sf = SurvfuncRight(t, e)
    assert_matches(km, statsmodels_reference(sf), rtol=1e-9)
    assert km.median_survival_time_ == sf.quantile(0.5)


def test_late_entry_matches_statsmodels():
    t, e = censored_sample(400, seed=11)
    t = t + 0.01  # statsmodels leaves a subject out of the risk set at its entry time, so no exits at 0
    rng = np.random.default_rng(12)
    entry = np.where(rng.random(len(t)) < 0.4, rng.uniform(0.0, 1.0, len(t)) * t, 0.0)
    km = ch.KaplanMeier().fit(t, e, entry=entry)
    assert_matches(km, statsmodels_reference(SurvfuncRight(t, e, entry=entry)), rtol=1e-9)


def test_integer_weights_match_replicated_rows_and_statsmodels_freq_weights():
    t, e = censored_sample(300, seed=21, integer=True)
    w = np.random.default_rng(22).integers(1, 5, len(t)).astype(float)
    km = ch.KaplanMeier().fit(t, e, weights=w)
    # statsmodels' Greenwood standard error is for unweighted data (its weighted one is Tsiatis'):
    # replicating each row w times is the same sample.
    assert_matches(km, statsmodels_reference(SurvfuncRight(np.repeat(t, w.astype(int)), np.repeat(e, w.astype(int)))))
    weighted = SurvfuncRight(t, e, freq_weights=w)
    np.testing.assert_allclose(km.survival_function_.iloc[:, 0].loc[weighted.surv_times], weighted.surv_prob, rtol=1e-12)
    assert km.event_table_["entrance"].sum() == w.sum()


# ---- log-rank against statsmodels' survdiff ----

def test_multivariate_logrank_matches_survdiff(dd, waltons):
    cases = {
        "dd continent": (dd.duration, dd.observed, dd.un_continent_name),
        "dd regime": (dd.duration, dd.observed, dd.regime),
        "waltons": (waltons["T"], waltons["E"], waltons.group),
    }
    t, e = censored_sample(2000, seed=31, integer=True)
    labels = np.random.default_rng(32).integers(0, 4, len(t)) * 7 - 3  # int labels −3, 4, 11, 18
    t = t * np.array([1.0, 1.1, 0.9, 1.3])[(labels + 3) // 7]
    cases["random 4 int groups"] = (t, e, labels)
    for name, (durations, events, groups) in cases.items():
        result = ch.multivariate_logrank_test(durations, groups, events)
        stat, p = survdiff(np.asarray(durations, float), np.asarray(events), np.asarray(groups))
        k = len(np.unique(groups))
        assert result.test_statistic == pytest.approx(stat, rel=1e-9), name
        assert result.degrees_of_freedom == k - 1, name
        assert result.p_value == pytest.approx(chi2.sf(stat, k - 1), rel=1e-6, abs=1e-300), name
        assert list(result.groups.index) == sorted(pd.unique(np.asarray(groups))), name
        # Σ observed = Σ expected = events
        assert result.groups["observed"].sum() == pytest.approx(result.groups["expected"].sum())
        assert result.groups["observed"].sum() == pytest.approx(np.sum(events))


def test_two_sample_weights_equal_replication():
    ta, ea = censored_sample(80, seed=41, integer=True)
    tb, eb = censored_sample(90, seed=42, integer=True)
    tb = tb * 1.4
    rng = np.random.default_rng(43)
    wa, wb = rng.integers(1, 4, len(ta)), rng.integers(1, 4, len(tb))
    weighted = ch.logrank_test(ta, tb, ea, eb, weights_A=wa, weights_B=wb)
    t = np.concatenate([np.repeat(ta, wa), np.repeat(tb, wb)])
    e = np.concatenate([np.repeat(ea, wa), np.repeat(eb, wb)])
    g = np.repeat([0, 1], [wa.sum(), wb.sum()])
    stat, _ = survdiff(t, e, g)
    assert weighted.test_statistic == pytest.approx(stat, rel=1e-9)
    assert list(weighted.summary.columns) == ["test_statistic", "p", "-log2(p)"]
    assert weighted.summary["p"].iloc[0] == weighted.p_value


# ---- lifelines' conventions ----

def test_lifelines_names_and_shapes(waltons):
    km = ch.KaplanMeier(alpha=0.1, label="walton")
    assert km.fit(waltons["T"], waltons["E"]) is km
    assert km.survival_function_.index.name == "timeline"
    assert list(km.survival_function_.columns) == ["walton"]
    assert list(km.cumulative_density_.columns) == ["walton"]
    assert list(km.confidence_interval_.columns) == ["walton_lower_0.9", "walton_upper_0.9"]
    assert km.confidence_interval_survival_function_ is km.confidence_interval_
    assert km.event_table_.index.name == "event_at"
    assert list(km.event_table_.columns) == ["removed", "observed", "censored", "entrance", "at_risk"]
    assert km.event_table_.dtypes.eq(np.int64).all()
    assert km.event_table_["at_risk"].iloc[0] == len(waltons) == km.event_table_["entrance"].sum()
    assert km.timeline[0] == 0 and km.survival_function_.iloc[0, 0] == 1.0
    # A narrower band at 90 % than at 95 %.
    wide = ch.KaplanMeier().fit(waltons["T"], waltons["E"])
    assert list(wide.confidence_interval_.columns) == ["KM_estimate_lower_0.95", "KM_estimate_upper_0.95"]
    assert (km.confidence_interval_.iloc[:, 0] >= wide.confidence_interval_.iloc[:, 0]).all()
    summary = km.summary
    assert summary.loc["walton", "subjects"] == 163 and summary.loc["walton", "median"] == 56
    assert {"median_lower_0.9", "median_upper_0.9"} <= set(summary.columns)


def test_inputs_as_lists_arrays_series_and_flags_as_bool_or_int():
    t, e = censored_sample(200, seed=51)
    reference = ch.KaplanMeier().fit(t, e).survival_function_
    for durations in (list(t), t, pd.Series(t), pd.Series(t, index=np.arange(200)[::-1])):
        for events in (list(e), e, e.astype(bool), pd.Series(e.astype(bool)), e.astype(np.float32), e.astype(np.uint8)):
            pd.testing.assert_frame_equal(ch.KaplanMeier().fit(durations, events).survival_function_, reference)
    all_events = ch.KaplanMeier().fit(t)
    assert all_events.event_table_["censored"].sum() == 0
    # Durations as timedeltas are taken in days.
    in_days = ch.KaplanMeier().fit(pd.to_timedelta(t, unit="D"), e)
    np.testing.assert_allclose(in_days.survival_function_.to_numpy(), reference.to_numpy())


def test_survival_at_and_timeline():
    km = ch.KaplanMeier().fit([2.0, 4.0, 4.0, 7.0, 9.0], [1, 1, 0, 1, 0])
    # S: 1 on [0, 2), 0.8 on [2, 4), 0.6 on [4, 7), 0.3 from 7.
    assert km.survival_at(1.9) == 1.0 and km.survival_at(-1.0) == 1.0
    assert km.survival_at(2.0) == pytest.approx(0.8)
    assert np.isnan(km.survival_at(np.nan))
    values = km.survival_at([0, 3.99, 4, 100])
    assert isinstance(values, np.ndarray)
    np.testing.assert_allclose(values, [1.0, 0.8, 0.6, 0.3])
    series = km.survival_function_at_times([4, 7])
    assert series.name == "KM_estimate" and list(series.index) == [4.0, 7.0]
    np.testing.assert_allclose(series.to_numpy(), [0.6, 0.3])
    assert km.percentile(0.5) == 7.0
    on_grid = ch.KaplanMeier().fit([2.0, 4.0, 4.0, 7.0, 9.0], [1, 1, 0, 1, 0], timeline=[0, 1, 3, 5, 8, 20])
    np.testing.assert_allclose(on_grid.survival_function_.iloc[:, 0], [1.0, 1.0, 0.8, 0.6, 0.3, 0.3])
    assert list(on_grid.survival_function_.index) == [0, 1, 3, 5, 8, 20]
    np.testing.assert_allclose(on_grid.confidence_interval_.iloc[3], km.confidence_interval_.loc[4.0])
    assert on_grid.median_survival_time_ == km.median_survival_time_


def test_refit_replaces_every_fitted_frame():
    km = ch.KaplanMeier().fit([1.0, 2.0, 3.0], [1, 1, 1])
    first = (km.survival_function_, km.event_table_, km.confidence_interval_, km.variance_, km.cumulative_density_)
    km.fit([5.0, 6.0], [1, 0])
    assert list(km.survival_function_.index) == list(km.event_table_.index) == [0.0, 5.0, 6.0]
    assert all(len(frame) == 3 for frame in (km.confidence_interval_, km.variance_, km.cumulative_density_))
    assert all(len(frame) == 4 for frame in first)


def test_fitted_frames_are_writable_and_do_not_alias_the_fit():
    km = ch.KaplanMeier().fit([2.0, 4.0, 4.0, 7.0, 9.0], [1, 1, 0, 1, 0])
    for frame in (km.survival_function_, km.cumulative_density_, km.variance_, km.confidence_interval_):
        frame.iloc[1, 0] = -1.0  # pandas raises on a read-only block
    assert km.survival_at(2.0) == pytest.approx(0.8)  # the fit itself is unchanged
    assert km.median_survival_time_ == 7.0 and km.percentile(0.7) == 4.0
    again = ch.KaplanMeier().fit([2.0, 4.0, 4.0, 7.0, 9.0], [1, 1, 0, 1, 0])
    assert again.survival_function_.iloc[1, 0] == pytest.approx(0.8)


def test_empty_sample_is_an_empty_curve():
    km = ch.KaplanMeier().fit(np.array([], dtype=float), np.array([], dtype=bool))
    assert km.survival_function_.empty and np.isnan(km.median_survival_time_)
    assert np.isnan(km.survival_at(1.0))


def test_reused_and_released_buffers_change_no_bit():
    """The module's workspace keeps the buffers of dropped fits (≥ 4 MiB) for the next one; reused or
    released, the curve is the same to the bit, and equals the hand computation: n subjects dying one by
    one at 0.5, 1.5, … have S = (n − k)/n after k deaths, n − k + 1 at risk at the k-th."""
    n = 600_000
    t = np.random.default_rng(5).permutation(n) + 0.5
    e = np.ones(n, dtype=bool)

    def fit():
        km = ch.KaplanMeier().fit(t, e)
        return km, [km.event_table_.to_numpy().copy(), km.survival_function_.to_numpy().copy(),
                    km.confidence_interval_.to_numpy().copy(), km.variance_.to_numpy().copy()]

    ch.release_survival_buffers()
    assert _core._survival_spare_bytes() == 0
    km, first = fit()
    k = np.arange(0, n + 1, 9973)
    np.testing.assert_allclose(km.survival_function_.iloc[k, 0], (n - k) / n, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(km.event_table_["at_risk"].iloc[k[1:]], n - k[1:] + 1)
    assert km.survival_function_.iloc[-1, 0] == 0.0
    del km
    assert _core._survival_spare_bytes() > 0  # the dropped fit's columns and frames
    _, reused = fit()
    ch.release_survival_buffers()
    assert _core._survival_spare_bytes() == 0
    _, released = fit()
    for again in (reused, released):
        for a, b in zip(first, again):
            assert a.tobytes() == b.tobytes()


def test_unfitted_model_says_so():
    with pytest.raises(AttributeError, match="not fitted"):
        ch.KaplanMeier().survival_at(1.0)


# ---- bad input ----

@pytest.mark.parametrize("call, message", [
    (lambda: ch.KaplanMeier().fit([1.0, -2.0], [1, 0]), r"durations\[1\]: negative duration -2"),
    (lambda: ch.KaplanMeier().fit([1.0, np.nan], [1, 0]), r"durations\[1\]: duration must be finite, got nan"),
    (lambda: ch.KaplanMeier().fit([1.0, np.inf], [1, 0]), r"durations\[1\]: duration must be finite, got inf"),
    (lambda: ch.KaplanMeier().fit([1.0, 2.0], [1, 2]), r"event_observed\[1\]: event flag must be 0 or 1, got 2"),
    (lambda: ch.KaplanMeier().fit([1.0, 2.0], np.array([1, 2], np.uint8)), r"event_observed\[1\]: .* got 2"),
    (lambda: ch.KaplanMeier().fit([1.0, 2.0], [1, 256]), r"event_observed\[1\]: .* got 256"),
    (lambda: ch.KaplanMeier().fit([1.0, 2.0], [0.5, 1]), r"event_observed\[0\]: .* got 0.5"),
    (lambda: ch.KaplanMeier().fit([1.0, 2.0], [np.nan, 1]), r"event_observed\[0\]: .* got nan"),
    (lambda: ch.KaplanMeier().fit([1.0, 2.0], ["yes", "no"]), r"event_observed must hold 0/1 or booleans"),
    (lambda: ch.KaplanMeier().fit([1.0, 2.0], pd.Series([True, None], dtype="boolean")),
     r"event_observed\[1\]: .* got nan"),
    (lambda: ch.KaplanMeier().fit(pd.Series([1, None], dtype="Int64"), [1, 1]),
     r"durations\[1\]: duration must be finite, got nan"),
    (lambda: ch.KaplanMeier().fit([3.0, 2.0], [1, 1], entry=[0.0, 5.0]), r"entry\[1\]: entry 5 is after duration 2"),
    (lambda: ch.KaplanMeier().fit([3.0, 2.0], [1, 1], entry=[0.0, 2.0]), r"entry\[1\]: entry 2 equals duration 2"),
    (lambda: ch.KaplanMeier().fit([3.0, 2.0], [1, 1], weights=[1.0, -1.0]), r"weights\[1\]: negative weight -1"),
    (lambda: ch.KaplanMeier().fit([1.0, 2.0, 3.0], [1, 0]), r"observed has 2 elements but durations has 3"),
    (lambda: ch.KaplanMeier().fit([1.0, 2.0], [1, 0], entry=[0.0]), r"entry has 1 elements but durations has 2"),
    (lambda: ch.KaplanMeier().fit(np.ones((2, 2)), [1, 0]), r"durations must be one-dimensional"),
    (lambda: ch.KaplanMeier().fit(["a", "b"], [1, 0]), r"durations must be numeric"),
    (lambda: ch.KaplanMeier(alpha=1.5).fit([1.0], [1]), r"alpha must be in \(0, 1\)"),
    (lambda: ch.logrank_test([1.0, 2.0], [], [1, 1], []), r"durations_B is empty"),
    (lambda: ch.logrank_test([1.0, 2.0], [3.0], [1, 1], [1, 0]), r"event_observed_B has 2 elements but durations has 1"),
    (lambda: ch.logrank_test([1.0], [2.0], [1], [3]), r"event_observed_B\[0\]: event flag must be 0 or 1, got 3"),
    (lambda: ch.logrank_test([1.0], [-2.0], [1], [1]), r"durations\[1\]: negative duration -2"),
    (lambda: ch.logrank_test([1.0], [2.0], [1], [1], weights_A=[1.0]), r"both samples or for neither"),
    (lambda: ch.multivariate_logrank_test([1.0, 2.0, 3.0], ["a", "a", "a"], [1, 1, 1]), r"at least two groups, found 1"),
    (lambda: ch.multivariate_logrank_test([1.0, 2.0], ["a", "b"], [1, 1], weights=[1.0, 0.0]),
     r"group 1 is empty \(its weights sum to 0\)"),
    (lambda: ch.multivariate_logrank_test([1.0, 2.0], ["a", None], [1, 1]), r"groups\[1\] is missing"),
    (lambda: ch.multivariate_logrank_test([1.0, 2.0], ["a"], [1, 1]), r"groups has 1 elements but durations has 2"),
])
def test_bad_input_is_an_invalid_input_error_naming_the_element(call, message):
    with pytest.raises(ch.InvalidInputError, match=message):
        call()


# ---- zero-copy, the GIL, plots ----

def test_float64_durations_and_bool_flags_reach_the_core_without_a_copy():
    t, e = censored_sample(1000, seed=61)
    flags = e.astype(bool)

    def address(a):
        return a.__array_interface__["data"][0]

    # The same conversions as KaplanMeier.fit, then the core's view of them (the addresses it reads).
    for durations in (t, pd.Series(t)):
        seen = _core._survival_input_addresses(survival._float_array(durations, "durations"),
                                               survival._event_array(flags, len(t), "event_observed"))
        assert seen == (address(t), address(flags))
    # The check can fail: int64 durations and int flags are converted, so the core reads new memory.
    converted = _core._survival_input_addresses(survival._float_array(t.astype(np.int64), "d"),
                                                survival._event_array(e, len(t), "e"))
    assert converted[0] != address(t) and converted[1] != address(e)
    km = ch.KaplanMeier().fit(pd.Series(t), flags)
    assert np.shares_memory(km.durations, t) and np.shares_memory(km.event_observed, flags)
    # Results leave the core as views of its vectors, kept alive by the result object.
    timeline = km._result.timeline
    del km
    assert timeline[0] == 0.0 and not timeline.flags.writeable


def test_gil_is_released_while_fitting(runs_without_gil):
    t, e = censored_sample(2_000_000, seed=71)
    observed = e.astype(np.uint8)
    # One call (~25 ms): between calls the main thread may step even if the core held the GIL.
    assert runs_without_gil(lambda: _core.kaplan_meier(t, observed, None, None, 0.95))


def test_plot_returns_axes_with_a_step_curve_and_a_band(waltons):
    km = ch.KaplanMeier(label="all").fit(waltons["T"], waltons["E"])
    fig, ax = plt.subplots()
    assert km.plot(ax=ax) is ax
    assert len(ax.get_lines()) == 1 and len(ax.collections) == 1
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), km.survival_function_["all"].to_numpy())
    plt.figure()  # ax=None draws on the current Axes, the new figure's
    ax2 = ch.KaplanMeier().fit(waltons["T"], waltons["E"]).plot(ci=False, color="k")
    assert ax2 is not ax and len(ax2.get_lines()) == 1 and len(ax2.collections) == 0
    plt.close("all")


# ---- account tenures ----

def test_tenure_survival_overall_and_by_segment():
    ds = ch.generate(n_accounts=600, days=900, seed=81)
    overall = ch.tenure_survival(ds)
    tenures = ch.tenure(ds)
    direct = ch.KaplanMeier(label="tenure").fit(tenures["duration"], tenures["observed"])
    pd.testing.assert_frame_equal(overall.survival_function_, direct.survival_function_)
    assert overall.as_of_ == tenures.attrs["as_of"]
    assert overall.n_without_start_ == 0 and overall.n_not_started_ == 0
    assert ch.KaplanMeier().fit_dataset(ds).median_survival_time_ == overall.median_survival_time_

    by = ch.tenure_survival(ds, by="segment")
    segments = ds.table("accounts")["segment"].astype(str)
    assert set(by) == set(segments)
    assert sum(k.event_table_["entrance"].sum() for k in by.values()) == len(tenures)
    for name, km in by.items():
        rows = segments.to_numpy()[np.searchsorted(ds.account_ids, tenures.index)] == name
        expected = ch.KaplanMeier().fit(tenures["duration"][rows], tenures["observed"][rows])
        assert km.median_survival_time_ == expected.median_survival_time_
        assert list(km.survival_function_.columns) == [name]
    # An earlier as-of censors more and sees fewer accounts.
    earlier = ch.tenure_survival(ds, as_of="2024-06-01")
    assert earlier.as_of_ == pd.Timestamp("2024-06-01") and earlier.n_not_started_ > 0
    with pytest.raises(ch.InvalidInputError, match="cannot group by 'region'"):
        ch.tenure_survival(ds, by="region")


def test_tenure_survival_counts_accounts_without_a_start():
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"], "start": ["2024-01-01", "2024-02-01", "2024-03-01"],
                             "end": ["2024-04-01", None, None]})
    usage = pd.DataFrame({"account_id": ["a", "z"], "timestamp": ["2024-05-01", "2024-05-31"], "event": ["x", "x"]})
    km = ch.tenure_survival(ch.Dataset(accounts=accounts, usage=usage), by=None)
    assert km.n_without_start_ == 1  # "z" appears only in usage
    assert km.event_table_["entrance"].sum() == 3 and km.event_table_["observed"].sum() == 1
    by = ch.tenure_survival(ch.Dataset(accounts=accounts, usage=usage), by="segment")
    assert list(by) == [None] and by[None].survival_function_.columns[0] == "(no segment)"


def test_report_has_the_survival_section(tmp_path):
    cli = os.environ.get("CUSTHEALTH_CLI")
    if not cli:
        pytest.skip("CUSTHEALTH_CLI not set (ctest sets it)")
    ds = ch.generate(n_accounts=800, days=900, seed=91)
    ds.to_csv(tmp_path)
    out = subprocess.run([cli, "report", "--data", str(tmp_path)], check=True, capture_output=True, text=True).stdout
    section = out[out.index("Account survival"):]
    overall = ch.tenure_survival(ds)
    row = next(line for line in section.splitlines() if line.strip().startswith("all accounts")).split()
    assert row[2] == str(len(overall.durations))
    median = overall.median_survival_time_
    assert (f"{median:.0f}" if np.isfinite(median) else "not") in row
    s365 = overall.survival_at(365.0)
    assert f"{100 * s365:.1f}%" in row
    assert "Left out: 0 account(s) without a start date" in section
    for segment in set(ds.table("accounts")["segment"].astype(str)):
        assert f"segment {segment}" in section
