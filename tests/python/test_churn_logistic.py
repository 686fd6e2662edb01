"""ch.LogisticChurnModel against scikit-learn (StandardScaler + LogisticRegression, newton-cholesky at
tol 1e-12: both sides solve the same strictly convex problem to far below 1e-6) and statsmodels (Logit and
GLM with freq_weights for the standard errors at l2 = 0), contributions against the logit, the JSON round
trip, and every bad input of issue 14."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from conftest import ROOT, peer

sklearn_linear = peer("sklearn.linear_model")
sklearn_preprocessing = peer("sklearn.preprocessing")
sklearn_pipeline = peer("sklearn.pipeline")
sm = peer("statsmodels.api")
scipy_stats = peer("scipy.stats")

RTOL = 1e-6


def churn_frame(n: int, seed: int, k: int = 5) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Seeded signals with different means and scales, two of them correlated, a logistic churn label
    (about 25 % churners) and positive weights."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    cols = {}
    for j in range(k):
        cols[f"s{j}"] = 10.0 * j + (1.0 + j) * (rng.normal(size=n) + (0.7 * common if j < 2 else 0.0))
    X = pd.DataFrame(cols, index=pd.Index([f"acct_{i:05d}" for i in range(n)], name="account_id"))
    z = (X - X.mean()) / X.std()
    logit = -1.2 + z.to_numpy() @ np.linspace(0.8, -0.5, k)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    w = rng.exponential(1.0, n)
    return X, y, w


def sklearn_pipeline_fit(X, y, l2: float, w=None, standardize: bool = True):
    C = np.inf if l2 == 0 else 1.0 / l2
    steps = [sklearn_preprocessing.StandardScaler()] if standardize else []
    lr = sklearn_linear.LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    pipe = sklearn_pipeline.make_pipeline(*steps, lr)
    params = {"logisticregression__sample_weight": w}
    if standardize:
        params["standardscaler__sample_weight"] = w
    pipe.fit(X.to_numpy(), y, **params)
    return pipe


def original_scale(pipe, standardize: bool = True) -> tuple[np.ndarray, float]:
    lr = pipe[-1]
    if not standardize:
        return lr.coef_[0], float(lr.intercept_[0])
    scaler = pipe[0]
    coef = lr.coef_[0] / scaler.scale_
    return coef, float(lr.intercept_[0] - coef @ scaler.mean_)


# ---- against scikit-learn ----

@pytest.mark.parametrize("l2", [0.0, 0.1, 1.0, 25.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_standard_scaler_plus_logistic_regression(l2, weighted):
    X, y, w = churn_frame(3000, seed=int(l2 * 10) + weighted)
    weights = w if weighted else None
    model = ch.LogisticChurnModel(l2=l2).fit(X, y, sample_weight=weights)
    pipe = sklearn_pipeline_fit(X, y, l2, weights)
    assert model.converged_ and model.n_iter_ < 20
    np.testing.assert_allclose(model.coef_std_.to_numpy(), pipe[-1].coef_[0], rtol=RTOL, atol=1e-9)
    coef, intercept = original_scale(pipe)
    np.testing.assert_allclose(model.coef_.to_numpy(), coef, rtol=RTOL, atol=1e-9)
    assert model.intercept_ == pytest.approx(intercept, rel=RTOL, abs=1e-9)
    np.testing.assert_allclose(model.predict_proba(X), pipe.predict_proba(X.to_numpy()), rtol=RTOL, atol=1e-9)
    # StandardScaler's weighted mean and ddof-0 sd
    np.testing.assert_allclose(model.mean_.to_numpy(), pipe[0].mean_, rtol=1e-12)
    np.testing.assert_allclose(model.scale_.to_numpy(), pipe[0].scale_, rtol=1e-12)
    assert list(model.coef_.index) == list(X.columns)


@pytest.mark.parametrize("l2", [0.0, 0.5])
def test_without_standardisation_equals_logistic_regression_on_raw_columns(l2):
    X, y, w = churn_frame(2000, seed=40)
    model = ch.LogisticChurnModel(l2=l2, standardize=False).fit(X, y, sample_weight=w)
    pipe = sklearn_pipeline_fit(X, y, l2, w, standardize=False)
    coef, intercept = original_scale(pipe, standardize=False)
    np.testing.assert_allclose(model.coef_.to_numpy(), coef, rtol=RTOL, atol=1e-9)
    assert model.intercept_ == pytest.approx(intercept, rel=RTOL, abs=1e-9)
    np.testing.assert_allclose(model.predict_proba(X), pipe.predict_proba(X.to_numpy()), rtol=RTOL, atol=1e-9)


def test_log_loss_is_sklearns_at_the_fitted_coefficients():
    X, y, w = churn_frame(1500, seed=41)
    model = ch.LogisticChurnModel(l2=1.0).fit(X, y, sample_weight=w)
    p = model.predict_proba(X)[:, 1]
    assert model.log_loss_ == pytest.approx(ch.metrics.log_loss(y, p, w), rel=1e-12)


# ---- standard errors against statsmodels ----

@pytest.mark.parametrize("standardize", [True, False])
def test_standard_errors_equal_statsmodels_logit_without_penalty(standardize):
    X, y, _ = churn_frame(2500, seed=50)
    model = ch.LogisticChurnModel(l2=0.0, standardize=standardize).fit(X, y)
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    order = [*X.columns, "const"]
    np.testing.assert_allclose(model.standard_errors_.to_numpy(), ref.bse[order].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.summary["coef"].to_numpy(), ref.params[order].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.summary["z"].to_numpy(), ref.tvalues[order].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.summary["p"].to_numpy(), ref.pvalues[order].to_numpy(), rtol=1e-5, atol=1e-300)
    ci = ref.conf_int().loc[order]
    np.testing.assert_allclose(model.summary["ci_lower"].to_numpy(), ci[0].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.summary["ci_upper"].to_numpy(), ci[1].to_numpy(), rtol=1e-6)


def test_weighted_standard_errors_equal_statsmodels_glm_freq_weights():
    X, y, w = churn_frame(2000, seed=51)
    w = np.round(w * 3.0) + 1.0  # frequency weights
    model = ch.LogisticChurnModel(l2=0.0).fit(X, y, sample_weight=w)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-12)
    order = [*X.columns, "const"]
    np.testing.assert_allclose(model.standard_errors_.to_numpy(), ref.bse[order].to_numpy(), rtol=1e-6)


def test_summary_columns_follow_from_coef_and_se():
    X, y, _ = churn_frame(1000, seed=52)
    model = ch.LogisticChurnModel(l2=2.0).fit(X, y)
    s = model.summary
    assert list(s.columns) == ["coef", "se", "z", "p", "ci_lower", "ci_upper", "coef_std"]
    assert list(s.index) == [*X.columns, "intercept"]
    np.testing.assert_allclose(s["z"], s["coef"] / s["se"], rtol=1e-14)
    np.testing.assert_allclose(s["p"], 2 * scipy_stats.norm.sf(np.abs(s["z"])), rtol=1e-9)
    zc = scipy_stats.norm.ppf(0.975)
    np.testing.assert_allclose(s["ci_lower"], s["coef"] - zc * s["se"], rtol=1e-12)
    np.testing.assert_allclose(s["coef_std"].iloc[:-1], model.coef_std_, rtol=0)
    # the penalised SEs are smaller than the unpenalised ones
    free = ch.LogisticChurnModel(l2=0.0).fit(X, y)
    assert (model.standard_errors_ < free.standard_errors_).all()


# ---- contributions ----

def test_contributions_sum_to_the_logit():
    X, y, w = churn_frame(800, seed=60)
    model = ch.LogisticChurnModel(l2=1.0).fit(X, y, sample_weight=w)
    c = model.contributions(X)
    assert list(c.columns) == [*X.columns, "intercept"]
    assert c.index.equals(X.index)
    logit = model.predict_logit(X)
    assert [sum(row) for row in c.to_numpy().tolist()] == logit.tolist()  # left to right, to the bit
    np.testing.assert_allclose(1.0 / (1.0 + np.exp(-logit)), model.predict_proba(X)[:, 1], rtol=1e-15)
    # per feature: coef_std · (x − mean)/sd, the intercept the logit of the mean account
    z = (X - model.mean_) / model.scale_
    np.testing.assert_allclose(c[X.columns].to_numpy(), (z * model.coef_std_).to_numpy(), rtol=1e-14, atol=1e-15)
    mean_account = pd.DataFrame([model.mean_.to_numpy()], columns=X.columns)
    assert model.predict_logit(mean_account)[0] == pytest.approx(c["intercept"].iloc[0], abs=1e-14)
    # the pipeline's decision function is the same logit
    pipe = sklearn_pipeline_fit(X, y, 1.0, w)
    np.testing.assert_allclose(logit, pipe.decision_function(X.to_numpy()), rtol=RTOL, atol=1e-9)


def test_columns_are_matched_by_name_and_arrays_by_position():
    X, y, _ = churn_frame(500, seed=61)
    model = ch.LogisticChurnModel().fit(X, y)
    shuffled = X[list(reversed(X.columns))]
    assert np.array_equal(model.predict_logit(shuffled), model.predict_logit(X))
    assert np.array_equal(model.predict_logit(np.ascontiguousarray(X.to_numpy())), model.predict_logit(X))
    on_array = ch.LogisticChurnModel().fit(X.to_numpy(), y)
    assert list(on_array.coef_.index) == [f"x{j}" for j in range(X.shape[1])]
    np.testing.assert_allclose(on_array.coef_.to_numpy(), model.coef_.to_numpy(), rtol=1e-12)


def test_integer_and_bool_input():
    X, y, _ = churn_frame(600, seed=62)
    Xi = X.round().astype(np.int64)
    model = ch.LogisticChurnModel().fit(Xi, y.astype(bool))
    ref = ch.LogisticChurnModel().fit(Xi.astype(np.float64), y.astype(np.float64))
    assert np.array_equal(model.coef_.to_numpy(), ref.coef_.to_numpy())


# ---- the model file ----

def test_json_round_trip_gives_identical_predictions():
    X, y, w = churn_frame(700, seed=70)
    model = ch.LogisticChurnModel(l2=0.3).fit(X, y, sample_weight=w)
    text = model.to_json()
    back = ch.LogisticChurnModel.from_json(text)
    assert np.array_equal(back.predict_proba(X), model.predict_proba(X))
    assert back.contributions(X).equals(model.contributions(X))
    pd.testing.assert_frame_equal(back.summary, model.summary, check_exact=True)
    assert (back.l2, back.standardize, back.n_iter_, back.converged_) == (0.3, True, model.n_iter_, True)
    doc = json.loads(text)
    assert doc["format"] == "custhealth.logistic_churn" and doc["version"] == 1
    assert [f["name"] for f in doc["features"]] == list(X.columns)


def test_model_file_matches_its_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "models" / "logistic_churn.schema.json").read_text())
    X, y, _ = churn_frame(300, seed=71)
    for l2 in (0.0, 1.0):
        jsonschema.validate(json.loads(ch.LogisticChurnModel(l2=l2).fit(X, y).to_json()), schema)


def test_bad_model_files_name_the_json_path():
    X, y, _ = churn_frame(300, seed=72)
    doc = json.loads(ch.LogisticChurnModel().fit(X, y).to_json())
    del doc["features"][2]["sd"]
    with pytest.raises(ch.ModelSpecError, match=r"churn\.json: \$\.features\[2\]: missing \"sd\""):
        ch.LogisticChurnModel.from_json(json.dumps(doc), source="churn.json")
    with pytest.raises(ch.ModelSpecError, match=r"\$\.format"):
        ch.LogisticChurnModel.from_json(json.dumps({"format": "saas_health", "version": 1}))
    with pytest.raises(ch.ModelSpecError, match="not valid JSON"):
        ch.LogisticChurnModel.from_json("{")


def test_a_model_file_from_another_feature_set_is_a_clear_error():
    X, y, _ = churn_frame(300, seed=73)
    model = ch.LogisticChurnModel.from_json(ch.LogisticChurnModel().fit(X, y).to_json())
    other = X.rename(columns={"s1": "usage.events_30d"}).assign(extra=1.0)
    with pytest.raises(ch.InvalidInputError, match=r"missing: 's1'; not in the model: 'usage.events_30d', 'extra'"):
        model.predict_proba(other)
    with pytest.raises(ch.InvalidInputError, match="X has 4 columns but the model has 5 features"):
        model.predict_proba(X.to_numpy()[:, :4])


# ---- convergence, the GIL ----

def test_non_convergence_warns_and_reports_the_status():
    X, y, _ = churn_frame(500, seed=80)
    with pytest.warns(ch.ConvergenceWarning, match=r"did not converge \(max_iter\) after 1 Newton steps"):
        model = ch.LogisticChurnModel(max_iter=1).fit(X, y)
    assert not model.converged_ and model.status_ == "max_iter" and model.n_iter_ == 1
    assert model.gradient_norm_ > 1e-8
    assert issubclass(ch.ConvergenceWarning, UserWarning)


def test_a_large_fit_releases_the_gil(runs_without_gil):
    X, y, _ = churn_frame(200_000, seed=81, k=8)
    values = X.to_numpy()
    assert runs_without_gil(lambda: ch.LogisticChurnModel().fit(values, y))


def test_unfitted_model_says_so():
    with pytest.raises(ch.InvalidInputError, match="not fitted"):
        _ = ch.LogisticChurnModel().coef_


# ---- bad input (issue 14) ----

@pytest.fixture
def small():
    return churn_frame(200, seed=90, k=3)


@pytest.mark.parametrize("bad,match", [
    (2, r"y\[7\] must be 0 or 1, got 2"),
    (0.5, r"y\[7\] must be 0 or 1, got 0.5"),
    (np.nan, r"y\[7\] must be 0 or 1, got NaN"),
])
def test_y_not_0_1(small, bad, match):
    X, y, _ = small
    y = y.astype(np.float64)
    y[7] = bad
    with pytest.raises(ch.InvalidInputError, match=match):
        ch.LogisticChurnModel().fit(X, y)


def test_all_one_class(small):
    X, y, _ = small
    with pytest.raises(ch.InvalidInputError, match=r"one class only \(all 0\)"):
        ch.LogisticChurnModel().fit(X, np.zeros_like(y))
    with pytest.raises(ch.InvalidInputError, match=r"one class only \(all 1\)"):
        ch.LogisticChurnModel().fit(X, np.ones_like(y))


@pytest.mark.parametrize("bad,shown", [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "-inf")])
def test_non_finite_x_is_rejected_with_column_and_row(small, bad, shown):
    X, y, _ = small
    X = X.copy()
    X.iloc[11, 1] = bad
    with pytest.raises(ch.InvalidInputError, match=rf"column 's1' row 11 is {shown}: X must be finite"):
        ch.LogisticChurnModel().fit(X, y)
    model = ch.LogisticChurnModel().fit(X.drop(X.index[11]), np.delete(y, 11))
    with pytest.raises(ch.InvalidInputError, match=rf"column 's1' row 11 is {shown}"):
        model.predict_proba(X)


def test_nullable_missing_values_are_rejected_too(small):
    X, y, _ = small
    X = X.round().astype("Int64")
    X.iloc[3, 0] = pd.NA
    with pytest.raises(ch.InvalidInputError, match="column 's0' row 3 is NaN"):
        ch.LogisticChurnModel().fit(X, y)


def test_mismatched_lengths(small):
    X, y, w = small
    with pytest.raises(ch.InvalidInputError, match="X has 200 rows but y has 199 values"):
        ch.LogisticChurnModel().fit(X, y[:-1])
    with pytest.raises(ch.InvalidInputError, match="sample_weight has 10 values but X has 200 rows"):
        ch.LogisticChurnModel().fit(X, y, sample_weight=w[:10])


def test_constant_column(small):
    X, y, _ = small
    with pytest.raises(ch.InvalidInputError, match=r"column 'plan' is constant \(3\)"):
        ch.LogisticChurnModel().fit(X.assign(plan=3.0), y)


def test_two_identical_columns(small):
    X, y, _ = small
    twin = X.assign(s1_again=X["s1"])
    with pytest.raises(ch.InvalidInputError,
                       match=r"perfectly collinear: 's1_again' is a linear combination of 's1'"):
        ch.LogisticChurnModel(l2=0.0).fit(twin, y)
    # With l2 > 0 the problem is strictly convex: allowed (as in scikit-learn), the weight split evenly.
    model = ch.LogisticChurnModel(l2=1.0).fit(twin, y)
    assert model.coef_["s1"] == pytest.approx(model.coef_["s1_again"], rel=1e-10)
    pipe = sklearn_pipeline_fit(twin, y, 1.0)
    np.testing.assert_allclose(model.coef_std_.to_numpy(), pipe[-1].coef_[0], rtol=RTOL, atol=1e-9)


def test_a_linear_combination_of_several_columns(small):
    X, y, _ = small
    combo = X.assign(total=2.0 * X["s0"] - X["s2"] + 5.0)
    with pytest.raises(ch.InvalidInputError, match=r"'total' is a linear combination of 's0', 's2'"):
        ch.LogisticChurnModel(l2=0.0).fit(combo, y)


def test_negative_l2_and_weights_and_options(small):
    X, y, w = small
    with pytest.raises(ch.InvalidInputError, match="l2 must be finite and >= 0, got -1"):
        ch.LogisticChurnModel(l2=-1.0).fit(X, y)
    w = w.copy()
    w[5] = -0.25
    with pytest.raises(ch.InvalidInputError, match=r"sample_weight\[5\] must be finite and >= 0, got -0.25"):
        ch.LogisticChurnModel().fit(X, y, sample_weight=w)
    with pytest.raises(ch.InvalidInputError, match="max_iter must be >= 1"):
        ch.LogisticChurnModel(max_iter=0).fit(X, y)


def test_non_numeric_and_badly_shaped_x(small):
    X, y, _ = small
    with pytest.raises(ch.InvalidInputError, match="column 'segment' of X is not numeric"):
        ch.LogisticChurnModel().fit(X.assign(segment="smb"), y)
    with pytest.raises(ch.InvalidInputError, match="X must be two-dimensional"):
        ch.LogisticChurnModel().fit(X["s0"].to_numpy(), y)
    with pytest.raises(ch.InvalidInputError, match="feature names must be distinct: 's0'"):
        ch.LogisticChurnModel().fit(X.set_axis(["s0", "s0", "s2"], axis=1), y)


def test_invariances():
    """Row order does not matter; with l2 = 0, scaling all weights changes nothing."""
    X, y, w = churn_frame(600, seed=91)
    model = ch.LogisticChurnModel(l2=0.0).fit(X, y, sample_weight=w)
    order = np.random.default_rng(1).permutation(len(y))
    again = ch.LogisticChurnModel(l2=0.0).fit(X.iloc[order], y[order], sample_weight=w[order] * 7.5)
    np.testing.assert_allclose(again.coef_.to_numpy(), model.coef_.to_numpy(), rtol=1e-9)
    assert math.isclose(again.intercept_, model.intercept_, rel_tol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(model.predict_logit(X.iloc[order]), model.predict_logit(X)[order])


def test_readme_example_runs(root):
    readme = (root / "README.md").read_text()
    block = readme.split("### Logistic model", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {"ch": ch, "pd": pd}
    exec(block, namespace)  # noqa: S102 (the README's own code)
    model, X = namespace["model"], namespace["X"]
    assert model.converged_ and len(X) > 1000
    assert np.array_equal(namespace["same"].predict_proba(X), model.predict_proba(X))
    np.testing.assert_allclose(namespace["contributions"].sum(axis=1), model.predict_logit(X), rtol=1e-12)
