"""ch.metrics.Calibrator (issue 14, part 5): isotonic maps equal scikit-learn's IsotonicRegression and
Platt maps equal the optimum of Platt's objective (scipy) and scikit-learn's sigmoid calibration, on
seeded data with ties and weights; bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

import custhealth as ch

sklearn = pytest.importorskip("sklearn")
from sklearn.isotonic import IsotonicRegression  # noqa: E402


def data(n: int = 2000, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    s = np.round(rng.normal(size=n), 1)  # ties
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * s - 1)))).astype(float)
    w = rng.uniform(0.2, 3.0, n)
    return s, y, w


@pytest.mark.parametrize("weighted", [False, True])
def test_isotonic_equals_scikit_learn(weighted):
    s, y, w = data()
    weights = w if weighted else None
    ours = ch.metrics.Calibrator("isotonic").fit(s, y, sample_weight=weights)
    ref = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(s, y, sample_weight=weights)
    grid = np.concatenate([np.linspace(-5, 5, 1001), s])
    np.testing.assert_allclose(ours.predict(grid), ref.predict(grid), rtol=1e-12, atol=1e-15)
    assert np.all(np.diff(ours.predict(np.sort(grid))) >= 0)


def _platt_reference(s: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Platt's objective minimised by scipy: smoothed targets, weighted log loss of 1/(1+exp(a s + b))."""
    n_pos, n_neg = w[y == 1].sum(), w[y == 0].sum()
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(ab: np.ndarray) -> float:
        z = ab[0] * s + ab[1]
        return float(np.sum(w * (t * np.logaddexp(0, z) + (1 - t) * np.logaddexp(0, -z))))

    return minimize(loss, [0.0, 0.0], method="BFGS", options={"gtol": 1e-10}).x


@pytest.mark.parametrize("weighted", [False, True])
def test_platt_is_the_optimum_of_platts_objective(weighted):
    s, y, w = data()
    weights = w if weighted else np.ones_like(y)
    ours = ch.metrics.Calibrator("platt").fit(s, y, sample_weight=weights if weighted else None)
    a, b = _platt_reference(s, y, weights)
    np.testing.assert_allclose([ours.a_, ours.b_], [a, b], rtol=1e-6)
    np.testing.assert_allclose(ours.predict([0.5]), 1 / (1 + np.exp(a * 0.5 + b)), rtol=1e-6)


def test_platt_equals_scikit_learns_sigmoid_calibration():
    calibration = pytest.importorskip("sklearn.calibration")
    if not hasattr(calibration, "_SigmoidCalibration"):
        pytest.skip("this scikit-learn has no _SigmoidCalibration")
    s, y, w = data(seed=8)
    ref = calibration._SigmoidCalibration().fit(s, y, sample_weight=w)
    ours = ch.metrics.Calibrator("platt").fit(s, y, sample_weight=w)
    np.testing.assert_allclose([ours.a_, ours.b_], [ref.a_, ref.b_], rtol=1e-5)


def test_a_calibrated_band_reads_as_an_observed_rate():
    # Scores far from probabilities (a 0–100 health score, higher = healthier) map to churn rates that
    # match the rates observed in each band of a later sample.
    # Fitted on one sample, read against another: the red band's (score < 20) true rate is
    # 0.4 · E[exp(−s/25)] = 0.5 · (1 − e^−0.8) = 0.2753; about 2,000 red accounts per sample put a
    # standard error of 0.01 on each side.
    rng = np.random.default_rng(5)
    score = rng.uniform(0, 100, 20000)
    churned = (rng.random(20000) < 0.4 * np.exp(-score / 25)).astype(int)
    fit, later = slice(0, 10000), slice(10000, 20000)
    cal = ch.metrics.Calibrator("isotonic").fit(-score[fit], churned[fit])  # increasing in risk
    red = score[later] < 20
    predicted = cal.predict(-score[later][red]).mean()
    assert abs(predicted - churned[later][red].mean()) < 0.04
    assert abs(predicted - 0.5 * (1 - np.exp(-0.8))) < 0.03


@pytest.mark.parametrize("args,message", [
    (([0.1, 0.2], [0, 2]), "y\\[1\\] must be 0 or 1"),
    (([0.1, 0.2], [1, 1]), "needs both churned and retained"),
    (([0.1, np.nan], [0, 1]), "score\\[1\\] is not finite"),
    (([0.1, 0.2, 0.3], [0, 1]), "differ in length"),
])
def test_bad_input(args, message):
    for method in ("isotonic", "platt"):
        with pytest.raises(ch.InvalidInputError, match=message):
            ch.metrics.Calibrator(method).fit(*args)
    with pytest.raises(ch.InvalidInputError, match="weights must be finite and >= 0"):
        ch.metrics.Calibrator().fit([0.1, 0.2], [0, 1], sample_weight=[1.0, -1.0])
    with pytest.raises(ch.InvalidInputError, match="method must be 'isotonic' or 'platt'"):
        ch.metrics.Calibrator("beta")
    with pytest.raises(ch.InvalidInputError, match="fit it first"):
        ch.metrics.Calibrator().predict([0.5])


def test_readme_example_runs(root):
    readme = (root / "README.md").read_text()
    namespace: dict = {"ch": ch, "pd": pd}
    for heading in ("### Logistic model", "### Calibration"):  # the calibration example goes on from the model's
        block = readme.split(heading, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
        exec(block, namespace)  # noqa: S102 (the README's own code)
    rates = namespace["cal"].predict([0.05, 0.2, 0.5])
    assert np.all(np.diff(rates) >= 0) and 0 <= rates[0] <= rates[-1] <= 1
