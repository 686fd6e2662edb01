"""Every public result and state pickles and comes back equal (the prerequisite for multiprocessing,
joblib and Dask): Dataset, survey results and tests, grouped summaries, cohort and lifecycle results,
Kaplan–Meier fits (fitted on a custom timeline too) and log-rank results. An object that cannot be
pickled must say so, never pass silently."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest

import custhealth as ch


def round_trip(obj):
    return pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


@pytest.fixture(scope="module")
def ds():
    return ch.generate(n_accounts=60, days=400, seed=11)


def test_dataset_round_trips_equal(ds):
    back = round_trip(ds)
    assert back == ds and back is not ds
    assert back.ingest_report == ds.ingest_report
    for name in ch.dataset.TABLES:
        pd.testing.assert_frame_equal(back.table(name), ds.table(name))
    # It is a working dataset: the same analytics, the same numbers.
    pd.testing.assert_frame_equal(ch.feedback_summary(back, kind="nps", period="Q"),
                                  ch.feedback_summary(ds, kind="nps", period="Q"))
    pd.testing.assert_frame_equal(ch.cohort_retention(back, period="M").rates, ch.cohort_retention(ds, period="M").rates)
    assert copy.deepcopy(ds) == ds


def test_dataset_keeps_its_ingest_report_and_partial_tables(tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text("account_id,timestamp,event\na,2024-01-01,login\nb,2024-13-01,login\n")
    ds = ch.read_csv(usage=path, strict=False)
    back = round_trip(ds)
    assert back.ingest_report == ds.ingest_report and back.ingest_report["usage"]["rejected"] == 1
    assert back == ds
    assert list(back.table("mrr").columns) == ["account_id", "month", "mrr"]


def test_survey_results_round_trip_and_still_merge():
    rng = np.random.default_rng(3)
    for result in (ch.nps(rng.integers(0, 11, 500)), ch.csat(rng.integers(1, 11, 300), scale=10, top_boxes=3),
                   ch.ces(rng.integers(1, 8, 200), confidence=0.9), ch.nps([])):
        back = round_trip(result)
        assert back == result and type(back) is type(result)
        assert repr(back) == repr(result) and back.confidence == result.confidence
        assert back + result == result + result
    test = ch.nps_test(ch.nps(rng.integers(0, 11, 100)), ch.nps(rng.integers(0, 11, 120)))
    assert round_trip(test) == test
    assert round_trip(ch.nps_test(ch.nps([]), ch.nps([9]))) == ch.nps_test(ch.nps([]), ch.nps([9]))  # NaNs


def test_kaplan_meier_round_trips_equal():
    rng = np.random.default_rng(5)
    t, e = np.ceil(rng.exponential(10, 300)), rng.integers(0, 2, 300)
    for km in (ch.KaplanMeier(alpha=0.1, label="x").fit(t, e, weights=rng.integers(1, 3, 300)),
               ch.KaplanMeier().fit(t, e, timeline=[0, 5, 10, 50])):
        back = round_trip(km)
        for attribute in ("survival_function_", "confidence_interval_", "cumulative_density_", "event_table_"):
            pd.testing.assert_frame_equal(getattr(back, attribute), getattr(km, attribute))
        assert back.median_survival_time_ == km.median_survival_time_ and back.label == km.label
    unfitted = round_trip(ch.KaplanMeier(alpha=0.2))
    assert unfitted.alpha == 0.2


def test_tenure_fit_and_tests_round_trip(ds):
    km = ch.KaplanMeier().fit_dataset(ds)
    back = round_trip(km)
    pd.testing.assert_frame_equal(back.survival_function_, km.survival_function_)
    assert back.n_without_start_ == km.n_without_start_
    test = ch.logrank_test([1, 2, 3, 4], [2, 4, 6, 8], [1, 1, 0, 1], [1, 0, 1, 1])
    back_test = round_trip(test)
    assert back_test.test_statistic == test.test_statistic and back_test.p_value == test.p_value
    pd.testing.assert_frame_equal(back_test.groups, test.groups)


def test_cohort_and_lifecycle_results_round_trip(ds):
    cohorts = ch.cohort_retention(ds, period="M")
    back = round_trip(cohorts)
    pd.testing.assert_frame_equal(back.rates, cohorts.rates)
    pd.testing.assert_series_equal(back.sizes, cohorts.sizes)
    assert back.as_of == cohorts.as_of
    pd.testing.assert_frame_equal(round_trip(ch.lifecycle(ds, period="M")), ch.lifecycle(ds, period="M"))
    pd.testing.assert_frame_equal(round_trip(ch.revenue_retention(ds)), ch.revenue_retention(ds))


def test_the_core_objects_refuse_pickling_loudly(ds):
    # Only the public wrappers define their state; a bare core object must not pickle half-way.
    with pytest.raises(TypeError):
        pickle.dumps(ds._native)
