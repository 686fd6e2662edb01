"""ch.CoxPH against R's coxph on rossi (tests/data/reference/README.md) and lifelines' CoxPHFitter on seeded data
with tied times (Efron), weights, strata and a penalty — coefficients, standard errors, log-likelihoods, the
likelihood-ratio test, concordance, the Breslow baseline and predicted survival — and every bad input of issue 14.

lifelines runs at precision 1e-20 (its default, 1e-7 on the Newton decrement, stops up to ~1e-8 short of the optimum),
so both sides solve the same concave problem to far below the 1e-6 compared."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from custhealth import _core
from conftest import peer

TIGHT = {"precision": 1e-20, "r_precision": 1e-20}  # stop only where the step vanishes in rounding
ATOL = 1e-6


@pytest.fixture
def lifelines():
    return peer("lifelines")


@pytest.fixture(scope="module")
def rossi(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "rossi.csv")


def tenure_frame(n: int, seed: int, strata: bool = False, weights: bool = False) -> pd.DataFrame:
    """Seeded tenure-like data: durations in whole weeks (many ties), ~30 % censored, three covariates of
    different scales (one binary), optionally a 3-level segment (with its own baseline) and integer weights."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = 50.0 + 12.0 * rng.normal(size=n)
    x3 = (rng.random(n) < 0.4).astype(np.int64)
    segment = rng.integers(0, 3, size=n)
    rate = np.exp(0.6 * x1 - 0.03 * (x2 - 50.0) + 0.4 * x3 + (0.5 * segment if strata else 0.0))
    t = rng.exponential(1.0 / rate) * 20.0
    df = pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "weeks": np.ceil(t), "churned": (rng.random(n) < 0.7).astype(int)})
    if strata:
        df["segment"] = np.array(["smb", "mid", "ent"])[segment]
    if weights:
        df["w"] = rng.integers(1, 4, size=n).astype(float)
    return df


def assert_same_fit(ours, theirs, atol: float = ATOL) -> None:
    np.testing.assert_allclose(ours.params_.to_numpy(), theirs.params_.to_numpy(), rtol=0, atol=atol)
    np.testing.assert_allclose(ours.standard_errors_.to_numpy(), theirs.standard_errors_.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.variance_matrix_.to_numpy(), theirs.variance_matrix_.to_numpy(), rtol=1e-5,
                               atol=1e-12)
    assert ours.log_likelihood_ == pytest.approx(theirs.log_likelihood_, rel=1e-9)
    assert ours.concordance_index_ == pytest.approx(theirs.concordance_index_, abs=1e-12)
    ours_lr, theirs_lr = ours.log_likelihood_ratio_test(), theirs.log_likelihood_ratio_test()
    assert ours_lr.test_statistic == pytest.approx(theirs_lr.test_statistic, rel=1e-7)
    assert ours_lr.p_value == pytest.approx(theirs_lr.p_value, rel=1e-6)
    assert ours_lr.degrees_of_freedom == theirs_lr.degrees_freedom
    assert ours.AIC_partial_ == pytest.approx(theirs.AIC_partial_, rel=1e-9)
    assert list(ours.params_.index) == list(theirs.params_.index)


# ---- rossi: R's coxph ----

def test_rossi_equals_r_coxph(rossi):
    cph = ch.CoxPH().fit(rossi, duration_col="week", event_col="arrest")
    coef = [-0.3794222, -0.0574377, 0.3138998, -0.1497957, -0.4337039, -0.0848711, 0.0914971]
    se = [0.19138, 0.02200, 0.30799, 0.21222, 0.38187, 0.19576, 0.02865]
    assert list(cph.params_.index) == ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    np.testing.assert_allclose(cph.params_.to_numpy(), coef, rtol=0, atol=1e-6)
    np.testing.assert_allclose(cph.standard_errors_.to_numpy(), se, rtol=0, atol=5e-6)
    assert cph.log_likelihood_ == pytest.approx(-658.75, abs=0.005)
    lr = cph.log_likelihood_ratio_test()
    assert lr.test_statistic == pytest.approx(33.27, abs=0.005) and lr.degrees_of_freedom == 7
    assert cph.concordance_index_ == pytest.approx(0.640, abs=0.0005)
    assert cph.converged_ and cph.status_ == "converged" and cph.n_events_ == 114


def test_rossi_equals_lifelines(rossi, lifelines):
    ours = ch.CoxPH().fit(rossi, "week", "arrest")
    theirs = lifelines.CoxPHFitter().fit(rossi, "week", "arrest", fit_options=TIGHT)
    assert_same_fit(ours, theirs, atol=1e-9)
    pd.testing.assert_frame_equal(ours.summary, theirs.summary, rtol=1e-6, check_names=False)
    np.testing.assert_allclose(ours.baseline_hazard_.to_numpy(), theirs.baseline_hazard_.to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(ours.baseline_survival_.to_numpy(), theirs.baseline_survival_.to_numpy(), atol=1e-9)
    np.testing.assert_array_equal(ours.baseline_survival_.index.to_numpy(), theirs.baseline_survival_.index.to_numpy())
    np.testing.assert_allclose(ours.predict_partial_hazard(rossi), theirs.predict_partial_hazard(rossi), rtol=1e-7)
    ours_s, theirs_s = ours.predict_survival_function(rossi.head(20)), theirs.predict_survival_function(rossi.head(20))
    np.testing.assert_allclose(ours_s.to_numpy(), theirs_s.to_numpy(), atol=1e-9)
    assert list(ours_s.columns) == list(theirs_s.columns)


# ---- seeded data with ties, weights, strata and a penalty: lifelines ----

@pytest.mark.parametrize("l2", [0.0, 0.05, 1.0])
def test_ties_and_penalty_equal_lifelines(lifelines, l2):
    df = tenure_frame(1500, seed=int(100 * l2) + 3)
    assert df["weeks"].duplicated().sum() > 1000  # Efron's tie handling matters here
    ours = ch.CoxPH(l2=l2).fit(df, "weeks", "churned")
    theirs = lifelines.CoxPHFitter(penalizer=l2).fit(df, "weeks", "churned", fit_options=TIGHT)
    assert_same_fit(ours, theirs)
    np.testing.assert_allclose(ours.baseline_survival_.to_numpy(), theirs.baseline_survival_.to_numpy(), atol=1e-6)
    new = tenure_frame(30, seed=99)
    np.testing.assert_allclose(ours.predict_survival_function(new).to_numpy(),
                               theirs.predict_survival_function(new).to_numpy(), atol=1e-6)
    if l2 > 0:  # the penalty shrinks the coefficients and is what separates F from ℓ
        assert ours.log_likelihood_ < ours.partial_log_likelihood_


def test_weights_equal_lifelines(lifelines):
    df = tenure_frame(1200, seed=21, weights=True)
    ours = ch.CoxPH().fit(df, "weeks", "churned", weights_col="w")
    theirs = lifelines.CoxPHFitter().fit(df, "weeks", "churned", weights_col="w", fit_options=TIGHT)
    assert_same_fit(ours, theirs)
    np.testing.assert_allclose(ours.baseline_hazard_.to_numpy(), theirs.baseline_hazard_.to_numpy(), rtol=1e-6,
                               atol=1e-12)


@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_strata_equal_lifelines(lifelines, l2):
    df = tenure_frame(1500, seed=31, strata=True, weights=True)
    ours = ch.CoxPH(l2=l2).fit(df, "weeks", "churned", strata=["segment"], weights_col="w")
    theirs = lifelines.CoxPHFitter(penalizer=l2).fit(df, "weeks", "churned", strata=["segment"], weights_col="w",
                                                     fit_options=TIGHT)
    assert_same_fit(ours, theirs)
    assert list(ours.baseline_survival_.columns) == ["ent", "mid", "smb"]
    theirs_base = theirs.baseline_survival_[["ent", "mid", "smb"]]
    np.testing.assert_allclose(ours.baseline_survival_.to_numpy(), theirs_base.to_numpy(), atol=1e-6)
    new = tenure_frame(40, seed=98, strata=True)
    ours_s = ours.predict_survival_function(new)
    theirs_s = theirs.predict_survival_function(new)[ours_s.columns]  # lifelines groups its columns by stratum
    np.testing.assert_allclose(ours_s.to_numpy(), theirs_s.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(ours.predict_cumulative_hazard(new).to_numpy(),
                               theirs.predict_cumulative_hazard(new)[ours_s.columns].to_numpy(), rtol=1e-6, atol=1e-9)


def test_two_strata_columns(lifelines):
    df = tenure_frame(1200, seed=41, strata=True)
    df["plan"] = np.where(df["x1"] > 0.3, "pro", "basic")
    ours = ch.CoxPH().fit(df, "weeks", "churned", strata=["segment", "plan"])
    theirs = lifelines.CoxPHFitter().fit(df, "weeks", "churned", strata=["segment", "plan"], fit_options=TIGHT)
    assert_same_fit(ours, theirs)
    assert len(ours.baseline_hazard_.columns) == 6


def test_without_an_event_column_every_row_is_an_event(lifelines):
    df = tenure_frame(600, seed=51).drop(columns="churned")
    ours = ch.CoxPH().fit(df, "weeks")
    theirs = lifelines.CoxPHFitter().fit(df, "weeks", fit_options=TIGHT)
    assert_same_fit(ours, theirs)


def test_concordance_is_the_metric_on_the_partial_hazard(rossi, lifelines):
    cph = ch.CoxPH().fit(rossi, "week", "arrest")
    expected = lifelines.utils.concordance_index(rossi["week"], -cph.predict_partial_hazard(rossi), rossi["arrest"])
    assert cph.concordance_index_ == pytest.approx(expected, abs=1e-12)
    assert cph.concordance_index_ == pytest.approx(
        ch.metrics.concordance_index(rossi["week"], -cph.predict_partial_hazard(rossi), rossi["arrest"]), abs=1e-12)


# ---- predictions ----

def test_times_read_the_step_function(rossi):
    cph = ch.CoxPH().fit(rossi, "week", "arrest")
    base = cph.baseline_cumulative_hazard_.iloc[:, 0]
    rows = rossi.head(3)
    h = cph.predict_cumulative_hazard(rows, times=[0.0, 0.5, 1.0, 1.5, 10.0, 10.9, 100.0])
    factor = cph.predict_partial_hazard(rows).to_numpy()
    expected = [0.0, 0.0, base.loc[1.0], base.loc[1.0], base.loc[10.0], base.loc[10.0], base.iloc[-1]]
    np.testing.assert_allclose(h.to_numpy(), np.outer(expected, factor), rtol=1e-14)
    assert list(h.index) == [0.0, 0.5, 1.0, 1.5, 10.0, 10.9, 100.0]
    s = cph.predict_survival_function(rows.iloc[0])  # a Series is one row
    assert s.shape == (len(base), 1)


def test_arrays_are_read_in_model_order(rossi):
    cph = ch.CoxPH().fit(rossi, "week", "arrest")
    X = rossi[list(cph.params_.index)]
    np.testing.assert_allclose(cph.predict_log_partial_hazard(X.to_numpy()).to_numpy(),
                               cph.predict_log_partial_hazard(X[X.columns[::-1]]).to_numpy(), rtol=1e-14)
    np.testing.assert_allclose(cph.predict_log_partial_hazard(X).to_numpy(),
                               (X - X.mean()).to_numpy() @ cph.params_.to_numpy(), rtol=1e-12, atol=1e-14)


def test_a_large_fit_releases_the_gil(runs_without_gil):
    df = tenure_frame(200_000, seed=61)
    X = df[["x1", "x2", "x3"]].to_numpy(dtype=float)
    t = df["weeks"].to_numpy()
    e = df["churned"].to_numpy()
    assert runs_without_gil(lambda: _core.CoxModel.fit(X, t, e, None, None, ["x1", "x2", "x3"], 0.0, 50, 1e-9,
                                                       "weeks", "churned", "w"))


def test_non_convergence_warns():
    df = pd.DataFrame({"t": np.arange(1.0, 9.0), "x": -np.arange(1.0, 9.0)})  # x orders the events exactly
    with pytest.warns(ch.ConvergenceWarning, match="did not converge"):
        cph = ch.CoxPH(max_iter=4).fit(df, "t")
    assert not cph.converged_ and cph.status_ == "max_iter"


def test_print_summary(rossi, capsys):
    ch.CoxPH(l2=0.1).fit(rossi, "week", "arrest").print_summary()
    out = capsys.readouterr().out
    assert "'week'" in out and "Concordance" in out and "l2 (penalizer) = 0.1" in out and "prio" in out


def test_readme_example_runs_and_equals_lifelines(root, lifelines):
    readme = (root / "README.md").read_text()
    block = readme.split("### Cox regression", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {"ch": ch, "np": np, "pd": pd}
    exec(block, namespace)  # noqa: S102 (the README's own code)
    cph, df = namespace["cph"], namespace["df"]
    plain = df.assign(segment=df["segment"].astype(str))  # lifelines' groupby warns on a categorical
    theirs = lifelines.CoxPHFitter().fit(plain, "duration", "observed", strata="segment", fit_options=TIGHT)
    assert_same_fit(cph, theirs)
    assert cph.params_["log_seats"] == pytest.approx(-0.31, abs=0.005)  # what the README says


def test_unfitted_model_says_so():
    with pytest.raises(ch.InvalidInputError, match="not fitted"):
        _ = ch.CoxPH().params_


# ---- bad input (issue 14) ----

def _bad(df: pd.DataFrame, match: str, **kwargs) -> None:
    args = {"duration_col": "weeks", "event_col": "churned", **kwargs}
    l2 = args.pop("l2", 0.0)
    with pytest.raises(ch.InvalidInputError, match=match):
        ch.CoxPH(l2=l2).fit(df, **args)


def test_bad_covariates_name_the_column_and_row():
    df = tenure_frame(50, seed=1)
    bad = df.copy()
    bad.loc[7, "x2"] = np.nan
    _bad(bad, "column 'x2' row 7 is NaN")
    bad = df.copy()
    bad.loc[3, "x1"] = np.inf
    _bad(bad, "column 'x1' row 3 is inf")
    bad = df.assign(x3=1)
    _bad(bad, "column 'x3' is constant")
    bad = df.assign(x4=2.0 * df["x1"] - df["x2"])
    _bad(bad, r"'x4' is a linear combination of 'x1', 'x2'")
    ch.CoxPH(l2=0.1).fit(bad, "weeks", "churned")  # a penalty resolves it
    _bad(df.assign(name="a"), "column 'name' of X is not numeric")


def test_bad_durations_events_and_weights():
    df = tenure_frame(50, seed=2)
    _bad(df.assign(weeks=df["weeks"].where(df.index != 4, np.nan)), "duration column 'weeks' row 4 is NaN")
    _bad(df.assign(weeks=df["weeks"].where(df.index != 5, -2.0)), "duration column 'weeks' row 5 is -2")
    _bad(df.assign(churned=df["churned"].where(df.index != 6, 2)), "event column 'churned' row 6 is 2")
    _bad(df.assign(churned=0), "no events")
    _bad(df.assign(w=1.0).assign(w=lambda d: d["w"].where(d.index != 8, 0.0)), "weights column 'w' row 8 is 0",
         weights_col="w")
    _bad(df.assign(s=np.where(df.index == 9, None, "a")), r"strata column\(s\) \['s'\] row 9 is missing",
         strata="s")


def test_bad_arguments():
    df = tenure_frame(50, seed=3)
    _bad(df, "l2 must be finite and >= 0, got -0.5", l2=-0.5)
    _bad(df.iloc[:0], "empty input")
    _bad(df, r"column\(s\) \['tenure'\] not in the frame", duration_col="tenure")
    _bad(df[["weeks", "churned"]], "no covariate columns")
    with pytest.raises(ch.InvalidInputError, match="takes a DataFrame"):
        ch.CoxPH().fit(df.to_numpy(), "weeks")  # type: ignore[arg-type]
    with pytest.raises(ch.InvalidInputError, match="alpha must lie in"):
        ch.CoxPH(alpha=1.5)
    # Lengths cannot differ inside a DataFrame; the core checks them for its other callers.
    X = df[["x1", "x2"]].to_numpy()
    with pytest.raises(ch.InvalidInputError, match="duration column 'weeks' has 49 values but X has 50 rows"):
        _core.CoxModel.fit(X, df["weeks"].to_numpy()[:-1], None, None, None, ["x1", "x2"], 0.0, 50, 1e-9, "weeks",
                           "churned", "w")


def test_bad_prediction_input():
    df = tenure_frame(300, seed=4, strata=True)
    cph = ch.CoxPH().fit(df, "weeks", "churned", strata="segment")
    with pytest.raises(ch.InvalidInputError, match="stratum 'gov', which the training data did not have"):
        cph.predict_survival_function(df.head(3).assign(segment="gov"))
    with pytest.raises(ch.InvalidInputError, match="stratified by"):
        cph.predict_survival_function(df[["x1", "x2", "x3"]].to_numpy())
    with pytest.raises(ch.InvalidInputError, match=r"lacks the model's covariate\(s\) \['x3'\]"):
        cph.predict_partial_hazard(df.drop(columns="x3"))
    with pytest.raises(ch.InvalidInputError, match="column 'x1' row 1 is NaN"):
        cph.predict_partial_hazard(df.head(3).assign(x1=[0.0, np.nan, 1.0]))
    with pytest.raises(ch.InvalidInputError, match="times"):
        cph.predict_survival_function(df.head(3), times=[1.0, np.nan])


def test_no_warnings_on_clean_input(rossi):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ch.CoxPH().fit(rossi, "week", "arrest").summary
