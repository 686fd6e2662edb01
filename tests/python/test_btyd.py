"""Buy-till-you-die: the published values of tests/data/reference/README.md (Fader, Hardie & Lee 2005; Batislam
et al. 2007; Fader, Hardie & Shang 2010; Fader & Hardie 2007), and lifetimes 0.11 on the same data and at the
same parameters over random histories (x = 0, tₓ = 0 and large x included)."""

from __future__ import annotations

import json
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from custhealth import _core
from conftest import peer


@pytest.fixture(scope="module")
def cdnow(reference_dir):
    return pd.read_csv(reference_dir / "cdnow_customers_summary.csv", index_col="ID")


@pytest.fixture(scope="module")
def cdnow_transactions(reference_dir):
    tx = pd.read_csv(reference_dir / "CDNOW_sample.txt", sep=r"\s+", header=None,
                     names=["id", "cohort", "date", "quantity", "amount"], dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    return tx


@pytest.fixture(scope="module")
def bg(cdnow):
    return ch.BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def random_histories(n=2000, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 40, n).astype(float)
    x[:4] = [0, 0, 250, 1]
    T = rng.uniform(0.5, 80, n)
    rec = np.where(x > 0, T * rng.uniform(0.01, 1.0, n), 0.0)
    rec[3] = T[3]  # last purchase at the end of observation
    return x, rec, T


# ---- the RFM summary ------------------------------------------------------------------------------------------

def test_rfm_summary_reproduces_the_published_cdnow_summary(cdnow, cdnow_transactions):
    # Calibration to 1997-09-30, one purchase per customer-day, times in days / 7; the published IDs number the
    # customers in their order of first appearance in the file.
    ours = ch.rfm_summary(cdnow_transactions, "id", "date", observation_end="1997-09-30", freq="D", freq_multiplier=7)
    ours = ours.loc[pd.unique(cdnow_transactions["id"])]
    assert len(ours) == len(cdnow) == 2357
    np.testing.assert_array_equal(ours[["frequency", "recency", "T"]].round(2).to_numpy(), cdnow.to_numpy())
    assert tuple(ours.iloc[0]) == pytest.approx((2, 30.43, 38.86), abs=0.005)


def test_rfm_summary_equals_lifetimes_with_values_and_holdout(cdnow_transactions):
    utils = peer("lifetimes.utils")
    tx = cdnow_transactions
    theirs = utils.summary_data_from_transaction_data(tx, "id", "date", monetary_value_col="amount",
                                                      observation_period_end="1998-06-30", freq="W")
    ours = ch.rfm_summary(tx, "id", "date", "amount", observation_end="1998-06-30", freq="W")
    pd.testing.assert_frame_equal(ours, theirs, check_names=False, check_index_type=False, rtol=1e-12)
    theirs = utils.calibration_and_holdout_data(tx, "id", "date", calibration_period_end="1997-09-30",
                                                observation_period_end="1998-06-30", freq="W",
                                                monetary_value_col="amount")
    ours = ch.rfm_summary(tx, "id", "date", "amount", observation_end="1998-06-30", freq="W",
                          calibration_end="1997-09-30")
    pd.testing.assert_frame_equal(ours[theirs.columns], theirs, check_names=False, check_index_type=False,
                                  check_dtype=False, rtol=1e-12)


def test_rfm_summary_from_a_dataset_counts_successful_payments():
    ds = ch.generate(n_accounts=40, days=200, seed=5)
    pay = ds.table("payments")
    usd = pay[(pay["type"] == "payment") & (pay["currency"] == "USD")]
    ours = ch.rfm_summary(ds, table="payments", currency="USD", freq="D")
    by_hand = ch.rfm_summary(pd.DataFrame({"c": usd["account_id"].astype(str), "t": usd["timestamp"],
                                           "v": usd["amount"]}), "c", "t", "v", freq="D")
    np.testing.assert_allclose(ours.to_numpy(), by_hand.to_numpy())
    with pytest.raises(ch.InvalidInputError, match="currencies"):
        ch.rfm_summary(ds, table="payments")
    assert len(ch.rfm_summary(ds, table="usage", freq="W")) == ds.table("usage")["account_id"].nunique()


@pytest.mark.parametrize("freq", ["D", "W"])
def test_the_cpp_rfm_summary_of_a_dataset_equals_rfm_summary_and_lifetimes(freq):
    # _core.btyd_rfm_dataset (btyd/rfm.hpp, what `custhealth clv` reads) against the pandas summary above and
    # lifetimes. Its as-of is exclusive (rows before it count), lifetimes' observation end inclusive: as of a
    # Monday midnight they are one second apart and select the same rows.
    ds = ch.generate(n_accounts=120, days=400, seed=11)
    pay = ds.table("payments")
    for table, currency, as_of in [("payments", "EUR", None), ("payments", "USD", "2024-09-02"),
                                   ("usage", None, None), ("usage", None, "2024-06-03")]:
        frame = pay if table == "payments" else ds.table("usage")
        end = frame["timestamp"].max() if as_of is None else pd.Timestamp(as_of) - pd.Timedelta(seconds=1)  # naive UTC
        seconds = None if as_of is None else int(pd.Timestamp(as_of, tz="UTC").timestamp())
        core = _core.btyd_rfm_dataset(ds._native, table, currency, seconds, freq)
        columns = [k for k in ("frequency", "recency", "T", "monetary_value") if core[k] is not None]
        ours = pd.DataFrame({k: core[k] for k in columns}, index=pd.Index(core["account_id"], name="account_id"))
        theirs = ch.rfm_summary(ds, table=table, currency=currency, freq=freq, observation_end=end)
        theirs.index = theirs.index.astype(str)
        assert len(ours) > 20, table
        pd.testing.assert_frame_equal(ours, theirs, check_names=False, check_index_type=False, rtol=1e-12)
        if table == "payments":
            assert core["currency"] == currency
            rows = pay[(pay["type"] == "payment") & (pay["currency"] == currency) & (pay["timestamp"] <= end)]
            assert core["transactions"] == len(rows)
    with pytest.raises(ch.InvalidInputError, match="currencies"):
        _core.btyd_rfm_dataset(ds._native, "payments", None, None, freq)
    lifetimes_utils = peer("lifetimes.utils")
    usd = pay[(pay["type"] == "payment") & (pay["currency"] == "USD")].copy()
    usd["account_id"] = usd["account_id"].astype(str)
    lt = lifetimes_utils.summary_data_from_transaction_data(usd, "account_id", "timestamp", monetary_value_col="amount",
                                                            observation_period_end="2024-09-01 23:59:59", freq=freq)
    core = _core.btyd_rfm_dataset(ds._native, "payments", "USD", int(pd.Timestamp("2024-09-02", tz="UTC").timestamp()),
                                  freq)
    np.testing.assert_allclose(np.column_stack([core[k] for k in ("frequency", "recency", "T", "monetary_value")]),
                               lt.loc[core["account_id"]].to_numpy(dtype=float), rtol=1e-12)


def test_rfm_summary_bad_input(cdnow_transactions):
    tx = cdnow_transactions
    with pytest.raises(ch.InvalidInputError, match="after observation_end"):
        ch.rfm_summary(tx, "id", "date", observation_end="1997-06-30", calibration_end="1997-09-30")
    with pytest.raises(ch.InvalidInputError, match="no column 'when'"):
        ch.rfm_summary(tx, "id", "when")
    with pytest.raises(ch.InvalidInputError, match="empty"):
        ch.rfm_summary(tx.iloc[:0], "id", "date")
    missing = tx.head(5).copy()
    missing.loc[2, "date"] = pd.NaT
    with pytest.raises(ch.InvalidInputError, match="row 2"):
        ch.rfm_summary(missing, "id", "date")


# ---- the published parameters -----------------------------------------------------------------------------------

def test_bg_nbd_reproduces_fader_hardie_lee(bg):
    assert bg.converged_
    np.testing.assert_allclose(bg.params_[["r", "alpha", "a", "b"]].round(3), [0.243, 4.414, 0.793, 2.426])
    assert round(bg.log_likelihood_, 1) == -9582.4
    # Hardie's spreadsheet's unconditional expectations at the fitted parameters (its t = 78 value is a
    # truncated series: the exact one is 1.858).
    t = np.array([0.1429, 1, 3, 31.8571, 32])
    np.testing.assert_allclose(bg.expected_number_of_purchases_up_to_time(t).round(4),
                               [0.0078, 0.0532, 0.1506, 1.0405, 1.0437])
    assert round(bg.expected_number_of_purchases_up_to_time(78), 3) == 1.858


def test_bg_nbd_predictions_at_the_rounded_published_parameters():
    m = ch.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert round(float(m.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)[0]), 3) == 1.226
    assert m.probability_of_n_purchases_up_to_time(39, 0) == pytest.approx(0.5737864, abs=5e-8)
    assert m.probability_of_n_purchases_up_to_time(2, 10) == pytest.approx(1.07869e-07, rel=5e-6)


def test_mbg_nbd_reproduces_batislam(cdnow):
    m = ch.ModifiedBetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    np.testing.assert_allclose(m.params_.round(3), [0.525, 6.183, 0.891, 1.614])


def test_pareto_nbd_reproduces_the_published_fit(cdnow):
    m = ch.ParetoNBD().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    np.testing.assert_allclose(m.params_[["r", "alpha", "s"]].round(3), [0.553, 10.578, 0.606])
    assert abs(m.params_["beta"] - 11.668) < 0.002  # the likelihood is flat in beta (README)
    assert round(m.log_likelihood_, 1) == -9595.0
    at = ch.ParetoNBD.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    assert round(float(at.conditional_expected_number_of_purchases_up_to_time(52, 26, 30.86, 31)[0]), 2) == 25.46


def test_gamma_gamma_reproduces_fader_hardie_lee_jmr(reference_dir):
    d = pd.read_csv(reference_dir / "cdnow_customers_summary_with_transactions.csv")
    d = d[d["x"] > 0]
    assert len(d) == 946
    m = ch.GammaGamma().fit(d["x"], d["zbar"])
    np.testing.assert_allclose(m.params_[["p", "q"]].round(2), [6.25, 3.74])
    assert abs(m.params_["gamma"] - 15.448) < 0.01


def test_bg_bb_reproduces_the_donations_fit(reference_dir):
    d = pd.read_csv(reference_dir / "donations.csv")
    m = ch.BetaGeoBetaBinom().fit(d["frequency"], d["recency"], d["periods"], weights=d["weights"])
    np.testing.assert_allclose(m.params_.round(3), [1.204, 0.750, 0.657, 2.783])
    # P(alive in the next year, 2002) for three 1995 donors with n = 6 (Fader, Hardie & Shang 2010).
    at = ch.BetaGeoBetaBinom.from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    p = at.conditional_probability_alive(1, np.array([0, 2, 6]), np.array([0, 4, 6]), np.array([6, 6, 6]))
    np.testing.assert_array_equal(np.round(p, 2), [0.11, 0.59, 0.93])


@pytest.mark.parametrize("column, alpha, beta, survivors", [("highend_alive", 0.668, 3.806, 378),
                                                            ("regular_alive", 0.704, 1.182, 170)])
def test_shifted_beta_geometric_reproduces_fader_hardie_2007(reference_dir, column, alpha, beta, survivors):
    alive = pd.read_csv(reference_dir / "sbg_retention.csv")[column].to_numpy()
    m = ch.ShiftedBetaGeo().fit(alive[:8])  # years 0..7: fitted on years 1–7
    np.testing.assert_allclose(m.params_.round(3), [alpha, beta])
    assert round(m.predict_alive(12).iloc[-1]) == survivors
    # Retention is S(t)/S(t−1), and the survival curve is its running product.
    t = np.arange(1, 13, dtype=float)
    np.testing.assert_allclose(np.cumprod(m.retention_rate(t)), m.survival_function(t), rtol=1e-12)


# ---- lifetimes, fit for fit and prediction for prediction --------------------------------------------------------

@pytest.mark.parametrize("ours, name", [(ch.BetaGeo, "BetaGeoFitter"), (ch.ModifiedBetaGeo, "ModifiedBetaGeoFitter")])
def test_fits_equal_lifetimes(cdnow, ours, name):
    lifetimes = peer("lifetimes")
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    theirs = getattr(lifetimes, name)().fit(f, r, T)
    mine = ours().fit(f, r, T)
    at_theirs = ours.from_params(theirs.params_)
    # Both at a maximum: the same log-likelihood (lifetimes stops at a looser tolerance, so ours is ≥ theirs).
    ll_theirs = at_theirs.log_likelihood(f, r, T)
    assert mine.log_likelihood_ >= ll_theirs - 1e-9 * abs(ll_theirs)
    assert mine.log_likelihood_ == pytest.approx(ll_theirs, rel=1e-9)
    np.testing.assert_allclose(mine.params_.to_numpy(), theirs.params_.to_numpy(), rtol=2e-5)
    np.testing.assert_allclose(mine.standard_errors_.to_numpy(), theirs.standard_errors_.to_numpy(), rtol=1e-4)


def test_penalised_fit_equals_lifetimes(cdnow):
    lifetimes = peer("lifetimes")
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    theirs = lifetimes.BetaGeoFitter(penalizer_coef=0.1).fit(f, r, T)
    mine = ch.BetaGeo(penalizer_coef=0.1).fit(f, r, T)
    np.testing.assert_allclose(mine.params_.to_numpy(), theirs.params_.to_numpy(), rtol=1e-4)


PARAMS = {
    "BetaGeo": ("BetaGeoFitter", dict(r=0.243, alpha=4.414, a=0.793, b=2.426)),
    "ModifiedBetaGeo": ("ModifiedBetaGeoFitter", dict(r=0.525, alpha=6.183, a=0.891, b=1.614)),
    "ParetoNBD": ("ParetoNBDFitter", dict(r=0.553, alpha=10.578, s=0.606, beta=11.669)),
}


@pytest.mark.parametrize("name", list(PARAMS))
def test_predictions_equal_lifetimes_at_the_same_parameters(name):
    lifetimes = peer("lifetimes")
    theirs_name, params = PARAMS[name]
    theirs = getattr(lifetimes, theirs_name)()
    theirs.params_ = pd.Series(params)
    ours = getattr(ch, name).from_params(**params)
    x, rec, T = random_histories()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(ours.conditional_probability_alive(x, rec, T),
                                   theirs.conditional_probability_alive(x, rec, T), rtol=1e-9)
        for t in (0.5, 10.0, 52.0):
            np.testing.assert_allclose(ours.conditional_expected_number_of_purchases_up_to_time(t, x, rec, T),
                                       theirs.conditional_expected_number_of_purchases_up_to_time(t, x, rec, T),
                                       rtol=1e-9)
        t = np.array([0.1, 1.0, 10.0, 100.0])
        np.testing.assert_allclose(ours.expected_number_of_purchases_up_to_time(t),
                                   theirs.expected_number_of_purchases_up_to_time(t), rtol=1e-9)
        if name != "ParetoNBD":
            for n in (0, 1, 5):
                assert ours.probability_of_n_purchases_up_to_time(7.0, n) == pytest.approx(
                    theirs.probability_of_n_purchases_up_to_time(7.0, n), rel=1e-9)


def test_bg_bb_equals_lifetimes(reference_dir):
    lifetimes = peer("lifetimes")
    d = pd.read_csv(reference_dir / "donations.csv")
    theirs = lifetimes.BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], weights=d["weights"])
    mine = ch.BetaGeoBetaBinom().fit(d["frequency"], d["recency"], d["periods"], weights=d["weights"])
    np.testing.assert_allclose(mine.params_.to_numpy(), theirs.params_.to_numpy(), rtol=1e-4)
    at = ch.BetaGeoBetaBinom.from_params(theirs.params_)
    for m in (0, 1, 5):
        np.testing.assert_allclose(at.conditional_probability_alive(m, d["frequency"], d["recency"], d["periods"]),
                                   theirs.conditional_probability_alive(m, d["frequency"], d["recency"], d["periods"]),
                                   rtol=1e-9)
        np.testing.assert_allclose(
            at.conditional_expected_number_of_purchases_up_to_time(m, d["frequency"], d["recency"], d["periods"]),
            theirs.conditional_expected_number_of_purchases_up_to_time(m, d["frequency"], d["recency"], d["periods"]),
            rtol=1e-9)


def test_gamma_gamma_and_clv_equal_lifetimes(reference_dir):
    lifetimes = peer("lifetimes")
    d = pd.read_csv(reference_dir / "cdnow_customers_summary_with_transactions.csv")
    rep = d[d["x"] > 0]
    theirs = lifetimes.GammaGammaFitter().fit(rep["x"], rep["zbar"])
    mine = ch.GammaGamma().fit(rep["x"], rep["zbar"])
    np.testing.assert_allclose(mine.params_.to_numpy(), theirs.params_.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(mine.standard_errors_.to_numpy(), theirs.standard_errors_.to_numpy(), rtol=1e-3)
    at = ch.GammaGamma.from_params(p=theirs.params_["p"], q=theirs.params_["q"], gamma=theirs.params_["v"])
    np.testing.assert_allclose(at.conditional_expected_average_profit(d["x"], d["zbar"]),
                               theirs.conditional_expected_average_profit(d["x"], d["zbar"]), rtol=1e-12)
    bgf = lifetimes.BetaGeoFitter()
    bgf.params_ = pd.Series(dict(r=0.243, alpha=4.414, a=0.793, b=2.426))
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # what lifetimes' fit() sets
    ours_bg = ch.BetaGeo.from_params(bgf.params_)
    theirs_clv = theirs.customer_lifetime_value(bgf, d["x"], d["t_x"], d["T"], d["zbar"], time=12, freq="W",
                                                discount_rate=0.01)
    ours_clv = at.customer_lifetime_value(ours_bg, d["x"], d["t_x"], d["T"], d["zbar"], time=12, freq="W",
                                          discount_rate=0.01)
    np.testing.assert_allclose(ours_clv, theirs_clv, rtol=1e-9)


# ---- files, pickles, bad input -------------------------------------------------------------------------------------

def test_json_and_pickle_round_trip(bg):
    back = ch.BetaGeo.from_json(bg.to_json())
    pd.testing.assert_series_equal(back.params_, bg.params_)
    assert back.log_likelihood_ == bg.log_likelihood_
    pd.testing.assert_frame_equal(back.variance_matrix_, bg.variance_matrix_)
    assert json.loads(bg.to_json())["model"] == "bg_nbd"
    again = pickle.loads(pickle.dumps(bg))
    pd.testing.assert_series_equal(again.params_, bg.params_)
    with pytest.raises(ch.InvalidInputError, match="not a ParetoNBD"):
        ch.ParetoNBD.from_json(bg.to_json())


@pytest.mark.parametrize("frequency, recency, T, message", [
    ([1, -1], [1, 0], [2, 2], r"frequency\[1\]: must be a whole number >= 0"),
    ([1, 2.5], [1, 1], [2, 2], r"frequency\[1\]: must be a whole number"),
    ([1, 1], [1, -1], [2, 2], r"recency\[1\]: must be a finite number >= 0"),
    ([1, 1], [1, 1], [2, -2], r"T\[1\]: must be a finite number >= 0"),
    ([1, 1], [1, 3], [2, 2], r"recency\[1\]: greater than T \(3 > 2\)"),
    ([1, 1], [1, 0], [2, 2], r"recency\[1\]: is 0 with frequency 1"),
    ([1, 0], [1, 1], [2, 2], r"recency\[1\]: must be 0 when frequency is 0"),
    ([1, 1], [1, np.nan], [2, 2], r"recency\[1\]"),
    ([], [], [], "empty input"),
    ([0, 0], [0, 0], [2, 3], "every frequency is 0"),
])
def test_bad_input_is_a_clear_error(frequency, recency, T, message):
    for cls in (ch.BetaGeo, ch.ModifiedBetaGeo, ch.ParetoNBD):
        with pytest.raises(ch.InvalidInputError, match=message):
            cls().fit(np.array(frequency, dtype=float), np.array(recency, dtype=float), np.array(T, dtype=float))


def test_bad_prediction_input_and_parameters():
    m = ch.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(ch.InvalidInputError, match="t must be finite and >= 0"):
        m.conditional_expected_number_of_purchases_up_to_time(-1, 1, 1, 2)
    with pytest.raises(ch.InvalidInputError, match="t must be finite and >= 0"):
        m.expected_number_of_purchases_up_to_time(-1)
    with pytest.raises(ch.InvalidInputError, match="greater than T"):
        m.conditional_probability_alive(1, 3, 2)
    with pytest.raises(ch.InvalidInputError, match="alpha must be finite and > 0"):
        ch.BetaGeo.from_params(r=1, alpha=-1, a=1, b=1)
    with pytest.raises(ch.InvalidInputError, match="expected"):
        ch.BetaGeo.from_params(r=1, alpha=1)
    with pytest.raises(ch.InvalidInputError, match="not fitted"):
        ch.BetaGeo().conditional_probability_alive(1, 1, 2)
    with pytest.raises(ch.InvalidInputError, match="frequency > 0"):
        ch.GammaGamma().fit([0, 1], [1.0, 2.0])
    with pytest.raises(ch.InvalidInputError, match=r"monetary_value\[1\]"):
        ch.GammaGamma().fit([1, 1], [1.0, -2.0])
    with pytest.raises(ch.InvalidInputError, match=r"at most one purchase per opportunity"):
        ch.BetaGeoBetaBinom().fit([3, 1], [2, 1], [6, 6])
    with pytest.raises(ch.InvalidInputError, match=r"more customers than the period before"):
        ch.ShiftedBetaGeo().fit([100, 80, 90])
    with pytest.raises(ch.InvalidInputError, match="penalizer"):
        ch.BetaGeo(penalizer_coef=-1).fit([1, 0], [1, 0], [2, 2])


def test_a_fit_that_does_not_converge_warns_and_says_so(cdnow):
    with pytest.warns(ch.ConvergenceWarning, match="did not converge"):
        m = ch.BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"], max_iter=2)
    assert not m.converged_ and m.status_ == "max_iter"
    # with the tolerance met, it is silent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ch.BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"]).converged_


def test_initial_params_by_name(cdnow):
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    a = ch.BetaGeo().fit(f, r, T, initial_params=dict(b=2.0, a=0.5, alpha=3.0, r=0.3))  # any order: by name
    b = ch.BetaGeo().fit(f, r, T, initial_params=[0.3, 3.0, 0.5, 2.0])
    np.testing.assert_allclose(a.params_.to_numpy(), b.params_.to_numpy(), rtol=1e-12)


def test_weights_equal_repeated_rows(cdnow):
    # A compressed table with counts is the same fit as its expanded rows.
    counts = cdnow.groupby(["frequency", "recency", "T"]).size().reset_index(name="n")
    a = ch.BetaGeo().fit(counts["frequency"], counts["recency"], counts["T"], weights=counts["n"])
    b = ch.BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    np.testing.assert_allclose(a.params_.to_numpy(), b.params_.to_numpy(), rtol=1e-8)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-12)


def test_short_names(bg, cdnow):
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    pd.testing.assert_series_equal(bg.p_alive(f, r, T), bg.conditional_probability_alive(f, r, T))
    pd.testing.assert_series_equal(bg.expected_purchases(10, f, r, T), bg.predict(10, f, r, T))
    assert bg.expected_purchases(10) == bg.expected_number_of_purchases_up_to_time(10)
    assert bg.p_alive(f, r, T).index.equals(cdnow.index)


# ---- the btyd.* signals ---------------------------------------------------------------------------------------------

def test_btyd_signals_are_the_model_on_the_payments_before_T(root):
    ds = ch.read_csv(directory=root / "examples" / "data")
    T = pd.Timestamp("2025-06-01 12:00")
    pay = ds.table("payments")
    before = pay[(pay["type"] == "payment") & (pay["timestamp"] < T)]
    rfm = ch.rfm_summary(pd.DataFrame({"id": before["account_id"].astype(str), "t": before["timestamp"]}), "id", "t",
                         observation_end=T, freq="W")
    # Unpenalised, this sample's a and b run off to infinity together (a point-mass dropout probability: the fit
    # warns and lifetimes raises); a small penalty keeps them finite.
    bg = ch.BetaGeo(penalizer_coef=0.001).fit(rfm["frequency"], rfm["recency"], rfm["T"])
    assert bg.converged_
    names = ["btyd.p_alive", "btyd.expected_purchases_90d"]
    sig = ch.signals(ds, T, names=names, btyd=bg)
    sig.index = sig.index.astype(str)
    paid = sig.loc[rfm.index]
    np.testing.assert_allclose(paid["btyd.p_alive"], bg.p_alive(rfm["frequency"], rfm["recency"], rfm["T"]), rtol=1e-12)
    np.testing.assert_allclose(paid["btyd.expected_purchases_90d"],
                               bg.expected_purchases(90 / 7, rfm["frequency"], rfm["recency"], rfm["T"]), rtol=1e-12)
    assert sig.drop(rfm.index).isna().all().all()  # no payment before T: NaN
    # Without a model the columns are NaN; with daily periods the horizon is 90 periods.
    assert ch.signals(ds, T, names=names).isna().all().all()
    # No leakage: rows at or after T change nothing.
    frames = ds.to_frames()
    frames["payments"] = frames["payments"][frames["payments"]["timestamp"] < T]
    again = ch.signals(ch.Dataset(**frames), T, names=names, btyd=bg)
    again.index = again.index.astype(str)
    pd.testing.assert_frame_equal(again, sig)
    # A card reads them as any signal: P(alive) 1 scores 100, 0 scores 0.
    card = ch.Scorecard.from_dict({
        "name": "merchant_alive", "version": 1, "bands": [{"name": "red", "below": 40}, {"name": "green"}],
        "groups": [{"name": "alive", "weight": 100,
                    "measures": [{"signal": "btyd.p_alive", "weight": 1, "map": {"linear": [0, 1]}}]}]})
    scored = card.score(ds, as_of=T, signals=ch.signals(ds, T, btyd=bg))
    scored.index = scored.index.astype(str)
    active = scored["score"].notna() & sig["btyd.p_alive"].notna()
    assert active.sum() > 50
    np.testing.assert_allclose(scored.loc[active, "score"], 100 * sig.loc[active, "btyd.p_alive"], rtol=1e-12)
    with pytest.raises(ch.InvalidInputError, match="D or W"):
        ch.signals(ds, T, names=names, btyd=bg, btyd_freq="M")
    with pytest.raises(ch.InvalidInputError, match="btyd must be"):
        ch.signals(ds, T, names=names, btyd=ch.GammaGamma.from_params(p=1, q=2, gamma=3))


def test_a_model_records_the_period_it_was_fitted_in_and_the_signals_use_it(root, tmp_path):
    ds = ch.read_csv(directory=root / "examples" / "data")
    T = pd.Timestamp("2025-06-01")
    pay = ds.table("payments")
    before = pay[(pay["type"] == "payment") & (pay["timestamp"] < T)]
    log = pd.DataFrame({"id": before["account_id"].astype(str), "t": before["timestamp"]})
    daily = ch.rfm_summary(log, "id", "t", observation_end=T, freq="D")
    assert daily.attrs == {"freq": "D", "freq_multiplier": 1.0}
    bg = ch.BetaGeo(penalizer_coef=0.001).fit(daily["frequency"], daily["recency"], daily["T"])
    assert (bg.freq_, bg.freq_multiplier_) == ("D", 1.0)
    # Saved with the model, and kept by a pickle.
    again = ch.BetaGeo.from_json(bg.to_json())
    assert again.freq_ == "D" and json.loads(bg.to_json())["period"] == {"freq": "D", "multiplier": 1.0}
    assert pickle.loads(pickle.dumps(bg)).freq_ == "D"
    # The signals count days for it without being told: 90 days ahead is 90 of its periods — the
    # model's own prediction on the daily summary (the independent value).
    names = ["btyd.p_alive", "btyd.expected_purchases_90d"]
    sig = ch.signals(ds, T, names=names, btyd=bg)
    sig.index = sig.index.astype(str)
    paid = sig.loc[daily.index]
    np.testing.assert_allclose(paid["btyd.expected_purchases_90d"],
                               bg.expected_purchases(90, daily["frequency"], daily["recency"], daily["T"]), rtol=1e-12)
    pd.testing.assert_frame_equal(ch.signals(ds, T, names=names, btyd=bg, btyd_freq="D"), ch.signals(ds, T, names=names, btyd=bg))
    # Told another period than its own: refused, naming both.
    with pytest.raises(ch.InvalidInputError, match="btyd_freq='W', but the btyd model was fitted on 'D' periods"):
        ch.signals(ds, T, names=names, btyd=bg, btyd_freq="W")
    # Plain arrays carry no period: fit(freq=) records one; without it none is known (btyd_freq or W).
    plain = ch.BetaGeo(penalizer_coef=0.001)
    assert plain.fit(daily["frequency"].to_numpy(), daily["recency"].to_numpy(), daily["T"].to_numpy()).freq_ is None
    assert plain.fit(daily["frequency"].to_numpy(), daily["recency"].to_numpy(), daily["T"].to_numpy(), freq="D").freq_ == "D"
    with pytest.raises(ch.InvalidInputError, match="not a pandas period frequency"):
        plain.fit(daily["frequency"], daily["recency"], daily["T"], freq="fortnight")
    # An explicit freq may only agree with the summary's own.
    with pytest.raises(ch.InvalidInputError, match="freq='W', but the columns come from a summary in"):
        plain.fit(daily["frequency"], daily["recency"], daily["T"], freq="W")
    assert plain.fit(daily["frequency"], daily["recency"], daily["T"], freq="D").freq_ == "D"
    # Columns of summaries in different periods, or in scaled units the signals cannot count, are refused.
    weekly = ch.rfm_summary(log, "id", "t", observation_end=T, freq="W")
    with pytest.raises(ch.InvalidInputError, match="different periods"):
        ch.BetaGeo().fit(daily["frequency"], weekly["recency"], daily["T"])
    scaled = ch.rfm_summary(log, "id", "t", observation_end=T, freq="D", freq_multiplier=7)
    model = ch.BetaGeo(penalizer_coef=0.001).fit(scaled["frequency"], scaled["recency"], scaled["T"])
    with pytest.raises(ch.InvalidInputError, match="units of 7 D periods"):
        ch.signals(ds, T, names=names, btyd=model)


# ---- matrices and plots ---------------------------------------------------------------------------------------------

def test_matrices_equal_lifetimes_on_possible_histories(bg):
    lifetimes = peer("lifetimes")
    theirs = lifetimes.BetaGeoFitter()
    theirs.params_ = bg.params_.copy()
    alive = bg.conditional_probability_alive_matrix(max_frequency=20, max_recency=40)
    assert alive.shape == (41, 21)
    possible = alive.notna().to_numpy()
    assert possible[0, 0] and not possible[0, 1] and not possible[1, 0] and possible[1, 1]
    np.testing.assert_allclose(alive.to_numpy()[possible], theirs.conditional_probability_alive_matrix(20, 40)[possible],
                               rtol=1e-9)
    # The frequency/recency matrix: lifetimes' plot evaluates the conditional expectation at age max_recency.
    m = bg.frequency_recency_matrix(t=2, max_frequency=20, max_recency=40)
    f, r = np.meshgrid(np.arange(21.0), np.arange(41.0))
    theirs_m = theirs.conditional_expected_number_of_purchases_up_to_time(2, f, r, 40)
    np.testing.assert_allclose(m.to_numpy()[possible], theirs_m[possible], rtol=1e-9)


def test_calibration_vs_holdout_equals_lifetimes_numbers(cdnow_transactions):
    summary = ch.rfm_summary(cdnow_transactions, "id", "date", observation_end="1998-06-30", freq="W",
                             calibration_end="1997-09-30")
    model = ch.BetaGeo().fit(summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
    table = model.calibration_vs_holdout(summary, n=7)
    predicted = model.conditional_expected_number_of_purchases_up_to_time(
        summary["duration_holdout"].iloc[0], summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
    by_hand = pd.DataFrame({"f": summary["frequency_cal"], "actual": summary["frequency_holdout"],
                            "predicted": predicted}).groupby("f").mean().iloc[:7]
    np.testing.assert_allclose(table.to_numpy(), by_hand.to_numpy(), rtol=1e-12)
    assert list(table.index) == [0, 1, 2, 3, 4, 5, 6]
    with pytest.raises(ch.InvalidInputError, match="calibration_end"):
        model.calibration_vs_holdout(summary.drop(columns="frequency_holdout"))


def test_plots_draw(bg, cdnow_transactions):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = bg.plot_probability_alive_matrix()
    assert ax.images and ax.get_title().endswith("probability alive")
    ax = bg.plot_frequency_recency_matrix(t=4)
    assert ax.images[0].get_array().shape == (bg.data["T"].max().astype(int) + 1, int(bg.data["frequency"].max()) + 1)
    summary = ch.rfm_summary(cdnow_transactions, "id", "date", observation_end="1998-06-30", freq="W",
                             calibration_end="1997-09-30")
    ax = bg.plot_calibration_purchases_vs_holdout_purchases(summary)
    assert [line.get_label() for line in ax.get_lines()] == ["actual", "BetaGeo prediction"]


def test_shifted_beta_geometric_by_cohort(reference_dir):
    # The two published cohorts as a survivor table; a third observed for one period only.
    retention = pd.read_csv(reference_dir / "sbg_retention.csv")
    table = pd.DataFrame([retention["highend_alive"][:8].to_numpy(float), retention["regular_alive"][:8].to_numpy(float),
                          [50.0, 40.0] + [np.nan] * 6], index=pd.Index(["high end", "regular", "new"], name="cohort"))
    fits = ch.ShiftedBetaGeo.fit_cohorts(table)
    np.testing.assert_allclose(fits.loc[["high end", "regular"], ["alpha", "beta"]].round(3),
                               [[0.668, 3.806], [0.704, 1.182]])
    # One observed period identifies only the churn rate α/(α + β) = P(T = 1) = 10/50.
    assert fits.loc["new", "periods"] == 1
    assert fits.loc["new", "alpha"] / (fits.loc["new", "alpha"] + fits.loc["new", "beta"]) == pytest.approx(0.2, rel=1e-6)
    one = ch.ShiftedBetaGeo().fit(table.loc["regular"].to_numpy())
    assert fits.loc["regular", "log_likelihood"] == pytest.approx(one.log_likelihood_, rel=1e-12)
    assert fits.loc["regular", "se_beta"] == pytest.approx(one.standard_errors_["beta"], rel=1e-12)
    projected = ch.ShiftedBetaGeo.project_cohorts(fits, 12)
    assert round(projected.loc["high end", 12]) == 378 and round(projected.loc["regular", 12]) == 170
    # A cohort without any churn has no finite maximum: it warns, by name.
    with pytest.warns(ch.ConvergenceWarning, match="flat"):
        flat = ch.ShiftedBetaGeo.fit_cohorts(pd.DataFrame([[10.0, 10.0, 10.0]], index=["flat"]))
    assert flat.loc["flat", "status"] != "converged"
    empty = ch.ShiftedBetaGeo.fit_cohorts(pd.DataFrame([[0.0, 0.0]], index=["none"]))
    assert empty.loc["none", "status"] == "too_few_periods" and np.isnan(empty.loc["none", "alpha"])
    assert ch.ShiftedBetaGeo.project_cohorts(empty, 3).loc["none"].isna().all()


def test_a_maximum_at_infinity_is_not_convergence():
    # No churn at all: the sBG likelihood rises towards beta = infinity; the gradient vanishes there but the
    # Hessian is singular, which is no maximum.
    with pytest.warns(ch.ConvergenceWarning, match="no proper maximum"):
        m = ch.ShiftedBetaGeo().fit([10.0, 10.0, 10.0])
    assert m.status_ == "singular_hessian" and not m.converged_


# ---- the review's edge cases (each failed before its fix) ---------------------------------------------------------

def test_hyp2f1_equals_scipy_including_tiny_upper_parameters():
    special = peer("scipy.special")
    rng = np.random.default_rng(8)
    cases = [(1e-9, 2, 3, 0.5), (2, 1e-9, 3, 0.9), (0.3, 0.4, 0.2, 0.95)]
    cases += [tuple(v) for v in np.column_stack([rng.uniform(0.01, 30, (200, 3)), rng.uniform(0, 0.97, 200)])]
    for a, b, c, z in cases:
        assert np.exp(ch._core.log_hyp2f1(a, b, c, z)) == pytest.approx(special.hyp2f1(a, b, c, z), rel=1e-11), (a, b, c, z)
    # A tiny first term followed by growing ones (scipy 1.17 is 3e-5 off here): mpmath at 40 digits.
    assert np.exp(ch._core.log_hyp2f1(1e-12, 50, 10, 0.7)) == pytest.approx(1.3988997200006838, rel=1e-13)


def test_predictions_equal_lifetimes_over_random_parameters():
    # Random parameter sets, a + b < 1 (a negative ₂F₁ series: its log was NaN) and a near 1 among them.
    lifetimes = peer("lifetimes")
    rng = np.random.default_rng(11)
    x, rec, T = random_histories(300, seed=12)
    x, rec, T = x[x < 200], rec[x < 200], T[x < 200]  # lifetimes' own ₂F₁ overflows beyond
    sets = [dict(r=r, alpha=al, a=a, b=b) for r, al, a, b in np.exp(rng.uniform(-3.5, 2, (40, 4)))]
    sets += [dict(r=0.0329, alpha=0.137, a=0.122, b=0.180), dict(r=0.243, alpha=4.414, a=1 + 1e-7, b=2.426)]
    for params in sets:
        ours = ch.BetaGeo.from_params(**params)
        theirs = lifetimes.BetaGeoFitter()
        theirs.params_ = pd.Series(params)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            want_e = theirs.expected_number_of_purchases_up_to_time(np.array([1.0, 10.0, 40.0]))
            want_c = theirs.conditional_expected_number_of_purchases_up_to_time(10.0, x, rec, T)
        got_e = ours.expected_number_of_purchases_up_to_time(np.array([1.0, 10.0, 40.0]))
        got_c = ours.conditional_expected_number_of_purchases_up_to_time(10.0, x, rec, T)
        ok = np.isfinite(want_c)
        assert np.isfinite(got_e).all() and np.isfinite(got_c).all(), params
        # lifetimes subtracts two nearly equal numbers near a = 1; there the closeness is its rounding, not ours.
        tol = 1e-6 if abs(params["a"] - 1) < 1e-3 else 1e-9
        np.testing.assert_allclose(got_e, want_e, rtol=tol, err_msg=str(params))
        np.testing.assert_allclose(got_c[ok], want_c[ok], rtol=tol, err_msg=str(params))


def test_probability_of_many_purchases_keeps_its_precision():
    # The exact tail, summed from j = n (mpmath at 30 digits: 8.78e-24, 9.25e-55, 1.84e-52): 1 − Σ_{j<n}
    # cancelled to rounding and went negative.
    m = ch.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert m.probability_of_n_purchases_up_to_time(2, 40) == pytest.approx(8.7808764e-24, rel=1e-7)
    assert m.probability_of_n_purchases_up_to_time(2, 100) == pytest.approx(9.2469376e-55, rel=1e-7)
    assert m.probability_of_n_purchases_up_to_time(39, 1000) == pytest.approx(1.8399810e-52, rel=1e-7)
    # Summed over n the probabilities are 1.
    total = sum(m.probability_of_n_purchases_up_to_time(5.0, n) for n in range(400))
    assert total == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ch.InvalidInputError, match="whole number"):
        m.probability_of_n_purchases_up_to_time(5.0, 2.7)


def test_pareto_penalty_scales_with_the_input_rows_as_lifetimes(cdnow):
    lifetimes = peer("lifetimes")
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = lifetimes.ParetoNBDFitter(penalizer_coef=0.1).fit(f, r, T)
    mine = ch.ParetoNBD(penalizer_coef=0.1).fit(f, r, T)
    np.testing.assert_allclose(mine.params_.to_numpy(), theirs.params_.to_numpy(), rtol=2e-3)
    assert mine.n_rows_ == len(cdnow)


def test_pareto_fit_with_recency_a_rounding_below_T(cdnow):
    f, r, T = cdnow["frequency"], cdnow["recency"].to_numpy().copy(), cdnow["T"]
    i = int(np.flatnonzero(f.to_numpy() > 0)[0])
    r[i] = np.nextafter(T.iloc[i], 0)
    near = ch.ParetoNBD().fit(f, r, T)
    r[i] = T.iloc[i]
    at = ch.ParetoNBD().fit(f, r, T)
    assert near.converged_
    np.testing.assert_allclose(near.params_.to_numpy(), at.params_.to_numpy(), rtol=1e-6)


def test_gamma_gamma_posterior_mean_is_finite_where_the_population_mean_is_not():
    m = ch.GammaGamma.from_params(p=6.25, q=0.5, gamma=15.44)
    out = m.conditional_expected_average_profit(np.array([5.0, 0.0]), np.array([20.0, 1.0]))
    assert out[0] == pytest.approx(6.25 * (15.44 + 5 * 20) / (6.25 * 5 + 0.5 - 1), rel=1e-14)  # p(γ + x·m̄)/(px + q − 1)
    assert np.isnan(out[1])  # x = 0: the population mean, infinite for q ≤ 1


def test_bg_bb_with_many_opportunities_equals_the_direct_sum():
    # The ratio recursion against log-beta terms summed in mpmath-free double (n = 2,000: no early stop matters).
    special = peer("scipy.special")
    al, be, ga, de = 1.204, 0.750, 0.657, 2.783
    x, tx, n = 3.0, 10.0, 2000.0
    i = np.arange(n - tx)
    terms = special.betaln(al + x, be + tx - x + i) + special.betaln(ga + 1, de + tx + i)
    direct = np.logaddexp(special.betaln(al + x, be + n - x) + special.betaln(ga, de + n),
                          special.logsumexp(terms)) - special.betaln(al, be) - special.betaln(ga, de)
    m = ch.BetaGeoBetaBinom.from_params(alpha=al, beta=be, gamma=ga, delta=de)
    rows = ch._core.btyd_log_likelihood_rows("bg_bb", list(m.params_), np.array([x]), np.array([tx]), np.array([n]),
                                             None, None)
    assert rows[0] == pytest.approx(direct, rel=1e-12)


def test_prediction_inputs_are_checked_not_broadcast():
    m = ch.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(ch.InvalidInputError, match="recency has 2 values, frequency 3"):
        m.conditional_probability_alive([1, 2, 3], [1, 2], [3, 3, 3])
    np.testing.assert_allclose(m.conditional_probability_alive([1, 2], [1, 2], 3),
                               m.conditional_probability_alive([1, 2], [1, 2], [3, 3]))
    with pytest.raises(ch.InvalidInputError, match="initial_params needs"):
        ch.BetaGeo().fit([1, 0], [1, 0], [4, 4], initial_params=dict(r=1, alpha=1))
    with pytest.raises(ch.InvalidInputError, match="cohort_size"):
        ch.ShiftedBetaGeo.from_params(alpha=1, beta=2).predict_alive(3)


def test_rfm_summary_refuses_what_pandas_would_misread(cdnow_transactions):
    tx = cdnow_transactions.assign(stamp=cdnow_transactions["date"].dt.strftime("%Y%m%d").astype(int))
    with pytest.raises(ch.InvalidInputError, match="numeric"):
        ch.rfm_summary(tx, "id", "stamp")
    with pytest.raises(ch.InvalidInputError, match="no transactions up to"):
        ch.rfm_summary(tx, "id", "date", observation_end="1990-01-01")
    with pytest.raises(ch.InvalidInputError, match="freq_multiplier"):
        ch.rfm_summary(tx, "id", "date", freq_multiplier=0)
    with pytest.raises(ch.InvalidInputError, match="not a pandas period frequency"):
        ch.rfm_summary(tx, "id", "date", freq="fortnight")
    with pytest.raises(ch.InvalidInputError, match="not numeric"):
        ch.rfm_summary(tx.assign(v="x"), "id", "date", "v")
    text = tx.assign(stamp=tx["stamp"].astype(str))
    ok = ch.rfm_summary(text, "id", "stamp", datetime_format="%Y%m%d", freq="D")
    pd.testing.assert_frame_equal(ok, ch.rfm_summary(tx, "id", "date", freq="D"))


def test_expectations_at_a_equal_one_and_gamma_equal_one():
    # BG/NBD at a = 1: the closed form is 0/0; its limit (L'Hôpital in a, ∂₂F₁/∂c at c = b) is
    # E[X(t)] = b·(α/(α+t))^r·Σₖ (r)ₖ/k!·zᵏ·(ψ(b+k) − ψ(b)), z = t/(α+t) — summed here with scipy.
    special = peer("scipy.special")
    r, alpha, b, t = 0.243, 4.414, 2.426, 10.0
    z = t / (alpha + t)
    k = np.arange(4000)
    series = np.sum(np.exp(special.gammaln(r + k) - special.gammaln(r) - special.gammaln(k + 1) + k * np.log(z))
                    * (special.digamma(b + k) - special.digamma(b)))
    at_one = ch.BetaGeo.from_params(r=r, alpha=alpha, a=1.0, b=b)
    assert at_one.expected_number_of_purchases_up_to_time(t) == pytest.approx(b * (alpha / (alpha + t)) ** r * series,
                                                                              rel=1e-8)
    near = ch.BetaGeo.from_params(r=r, alpha=alpha, a=1.0 + 1e-4, b=b)
    assert at_one.conditional_expected_number_of_purchases_up_to_time(t, 3, 20.0, 30.0)[0] == pytest.approx(
        near.conditional_expected_number_of_purchases_up_to_time(t, 3, 20.0, 30.0)[0], rel=1e-3)
    # BG/BB at γ = 1: δ/(γ − 1)·[1 − Γ(γ+δ)Γ(1+δ+n)/(Γ(γ+δ+n)Γ(1+δ))] → δ·(ψ(1+δ+n) − ψ(1+δ)).
    bb = ch.BetaGeoBetaBinom.from_params(alpha=1.2, beta=0.75, gamma=1.0, delta=2.8)
    n = 6.0
    assert bb.expected_number_of_purchases_up_to_time(n) == pytest.approx(
        1.2 / 1.95 * 2.8 * (special.digamma(3.8 + n) - special.digamma(3.8)), rel=1e-13)
    close = ch.BetaGeoBetaBinom.from_params(alpha=1.2, beta=0.75, gamma=1.0 + 1e-7, delta=2.8)
    got = bb.conditional_expected_number_of_purchases_up_to_time(3, np.array([2.0]), np.array([4.0]), np.array([6.0]))
    want = close.conditional_expected_number_of_purchases_up_to_time(3, np.array([2.0]), np.array([4.0]),
                                                                     np.array([6.0]))
    assert got[0] == pytest.approx(want[0], rel=1e-6)


def test_the_readme_merchant_example_runs_without_warnings(root):
    # README "Buy-till-you-die": the bundled sample's USD payments, weekly.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = ch.read_csv(directory=root / "examples" / "data")
        rfm = ch.rfm_summary(ds, table="payments", currency="USD", freq="W")
        bg = ch.BetaGeo().fit(rfm["frequency"], rfm["recency"], rfm["T"])
        repeat = rfm[rfm["frequency"] > 0]
        gg = ch.GammaGamma().fit(repeat["frequency"], repeat["monetary_value"])
        clv = gg.customer_lifetime_value(bg, rfm["frequency"], rfm["recency"], rfm["T"], rfm["monetary_value"],
                                         time=12, freq="W", discount_rate=0.01)
    assert bg.converged_ and gg.converged_
    assert clv.index.equals(rfm.index) and (clv > 0).all()
