"""custhealth.metrics against scikit-learn and lifelines on seeded random data with ties and weights
(rtol 1e-12: both sides sum the same terms in a different order), the top-k rule against a hand
count and plain numpy, and every bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from conftest import peer

sklearn = peer("sklearn")
if tuple(int(part) for part in sklearn.__version__.split(".")[:2]) < (1, 5):
    pytest.skip(f"pins scikit-learn >= 1.5's log_loss (clipped at the dtype's eps); this is {sklearn.__version__}",
                allow_module_level=True)
sklearn_metrics = peer("sklearn.metrics")
sklearn_calibration = peer("sklearn.calibration")
lifelines_utils = peer("lifelines.utils")

M = ch.metrics
RTOL = 1e-12
Y6 = [1, 0, 1, 0, 1, 0]
S6 = [0.9, 0.9, 0.7, 0.5, 0.5, 0.1]


def sample(n: int, seed: int, *, signed: bool = False, digits: int = 2, weights: bool = False,
           rate: float = 0.3):
    """Labels, scores rounded to `digits` (many ties; signed ones cross zero, −0.0 included) and,
    optionally, weights with some zeros."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rate).astype(np.int64)
    s = np.round(rng.normal(0.0, 1.0, n) if signed else rng.random(n), digits)
    if signed:
        s[rng.random(n) < 0.02] = -0.0
    s = s + 0.3 * y * (s >= 0)  # some signal
    if not signed:
        s = np.clip(s, 0.0, 1.0)
    w = np.where(rng.random(n) < 0.1, 0.0, rng.exponential(1.0, n)) if weights else None
    return y, s, w


# 20,000 scores rounded to 2 digits repeat a lot: they take the radix sort; to 12 digits, the survival sort.
CASES = [(n, seed, signed, digits) for n, seed, digits in [(50, 1, 2), (1_000, 2, 2), (20_000, 3, 2), (20_000, 4, 12)]
         for signed in (False, True)]


# ---- ranking: scikit-learn ----

@pytest.mark.parametrize("n,seed,signed,digits", CASES)
def test_roc_auc_equals_sklearn(n, seed, signed, digits):
    y, s, w = sample(n, seed, signed=signed, digits=digits, weights=True)
    assert M.roc_auc(y, s) == pytest.approx(sklearn_metrics.roc_auc_score(y, s), rel=RTOL)
    assert M.roc_auc(y, s, sample_weight=w) == pytest.approx(
        sklearn_metrics.roc_auc_score(y, s, sample_weight=w), rel=RTOL)


@pytest.mark.parametrize("n,seed,signed,digits", CASES)
def test_pr_auc_equals_sklearn_average_precision(n, seed, signed, digits):
    y, s, w = sample(n, seed, signed=signed, digits=digits, weights=True)
    assert M.pr_auc(y, s) == pytest.approx(sklearn_metrics.average_precision_score(y, s), rel=RTOL)
    assert M.pr_auc(y, s, sample_weight=w) == pytest.approx(
        sklearn_metrics.average_precision_score(y, s, sample_weight=w), rel=RTOL)


def test_ranking_with_all_scores_tied_and_without_ties():
    y, _, w = sample(500, 4, weights=True)
    flat = np.full(500, 0.25)
    assert M.roc_auc(y, flat) == 0.5 == sklearn_metrics.roc_auc_score(y, flat)
    assert M.pr_auc(y, flat, w) == pytest.approx(sklearn_metrics.average_precision_score(y, flat, sample_weight=w),
                                                rel=RTOL)
    distinct = np.random.default_rng(5).permutation(500) / 500.0
    assert M.roc_auc(y, distinct, w) == pytest.approx(sklearn_metrics.roc_auc_score(y, distinct, sample_weight=w),
                                                      rel=RTOL)
    assert M.pr_auc(y, distinct) == pytest.approx(sklearn_metrics.average_precision_score(y, distinct), rel=RTOL)


def test_ranking_is_invariant_to_row_order_and_weight_scale():
    y, s, w = sample(3_000, 6, signed=True, weights=True)
    order = np.random.default_rng(7).permutation(len(y))
    assert M.roc_auc(y[order], s[order], w[order]) == pytest.approx(M.roc_auc(y, s, w), rel=RTOL)
    assert M.pr_auc(y, s, 7.5 * w) == pytest.approx(M.pr_auc(y, s, w), rel=RTOL)


# ---- probabilities: scikit-learn ----

@pytest.mark.parametrize("n,seed", [(50, 11), (2_000, 12), (50_000, 13)])
def test_brier_and_log_loss_equal_sklearn(n, seed):
    y, p, w = sample(n, seed, weights=True)
    p[:5] = [0.0, 1.0, 0.0, 1.0, 0.5]  # exact 0 and 1: log_loss clips them to [eps, 1 - eps]
    y[:4] = [1, 0, 0, 1]  # two confident misses, two confident hits
    assert M.brier(y, p) == pytest.approx(sklearn_metrics.brier_score_loss(y, p), rel=RTOL)
    assert M.brier(y, p, w) == pytest.approx(sklearn_metrics.brier_score_loss(y, p, sample_weight=w), rel=RTOL)
    assert M.log_loss(y, p) == pytest.approx(sklearn_metrics.log_loss(y, p, labels=[0, 1]), rel=RTOL)
    assert M.log_loss(y, p, w) == pytest.approx(
        sklearn_metrics.log_loss(y, p, sample_weight=w, labels=[0, 1]), rel=RTOL)


def test_log_loss_clips_at_float64_eps_as_current_sklearn():
    # scikit-learn >= 1.5 clips to [eps, 1 - eps], eps = np.finfo(float64).eps = 2**-52 (the old
    # eps=1e-15 argument is gone): a confident miss costs -log(2**-52) = 36.04.
    eps = np.finfo(np.float64).eps
    assert M.log_loss([1], [0.0]) == pytest.approx(-np.log(eps), rel=RTOL)
    assert M.log_loss([1, 0], [0.0, 1.0]) == pytest.approx(
        sklearn_metrics.log_loss([1, 0], [0.0, 1.0]), rel=RTOL)
    # One class only: defined (scikit-learn needs labels= for it).
    assert M.log_loss([1, 1], [0.8, 0.6]) == pytest.approx(
        sklearn_metrics.log_loss([1, 1], [0.8, 0.6], labels=[0, 1]), rel=RTOL)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("bins", [1, 3, 5, 10, 17])
@pytest.mark.parametrize("digits", [1, 3])
def test_calibration_equals_sklearn_calibration_curve(strategy, bins, digits):
    # digits=1: every p on a uniform edge (k/10) and heavy ties, so edges coincide and bins go empty.
    y, p, _ = sample(5_000, 20 + bins, digits=digits)
    prob_true, prob_pred = sklearn_calibration.calibration_curve(y, p, n_bins=bins, strategy=strategy)
    table = M.calibration(y, p, bins=bins, strategy=strategy)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["lower", "upper", "count", "prob_pred", "prob_true"]
    assert table.index.name == "bin"
    np.testing.assert_allclose(table["prob_true"].to_numpy(), prob_true, rtol=RTOL)
    np.testing.assert_allclose(table["prob_pred"].to_numpy(), prob_pred, rtol=RTOL)
    assert table["count"].sum() == len(y) and (table["count"] > 0).all()
    # The edges are numpy's, bit for bit; each row's p lie in (lower, upper] (the first bin closed).
    edges = (np.linspace(0.0, 1.0, bins + 1) if strategy == "uniform"
             else np.percentile(p, np.linspace(0, 1, bins + 1) * 100))
    np.testing.assert_array_equal(table["lower"].to_numpy(), edges[table.index.to_numpy()])
    np.testing.assert_array_equal(table["upper"].to_numpy(), edges[table.index.to_numpy() + 1])
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=bins)
    np.testing.assert_array_equal(table["count"].to_numpy(), counts[counts > 0])


def test_calibration_drops_empty_bins():
    table = M.calibration(Y6, S6, bins=10)
    assert table.index.tolist() == [0, 4, 6, 8]  # p = 0.5 on an edge goes to the bin below it
    prob_true, _ = sklearn_calibration.calibration_curve(Y6, S6, n_bins=10)
    np.testing.assert_array_equal(table["prob_true"].to_numpy(), prob_true)


# ---- the top of the list ----

def test_precision_and_lift_at_k_by_hand():
    # Top ⌈0.6·6⌉ = 4: the three above 0.5 (two churners) and one of the two tied at 0.5 (one
    # churner between them, so ½ expected): 2.5 / 4; the overall rate is ½.
    assert M.precision_at_k(Y6, S6, k=0.6) == 0.625
    assert M.lift(Y6, S6, k=0.6) == 1.25
    assert M.precision_at_k(Y6, S6, k=0.5) == pytest.approx(2 / 3, rel=RTOL)
    assert M.lift(Y6, S6, k=1.0) == 1.0


def test_precision_at_k_without_ties_equals_numpy_top_m():
    rng = np.random.default_rng(30)
    y, s = (rng.random(10_000) < 0.2).astype(int), rng.permutation(10_000) / 10_000.0
    for k, m in [(0.1, 1_000), (0.05, 500), (0.0001, 1), (0.33333, 3_334), (1.0, 10_000)]:
        top = y[np.argsort(-s)[:m]]
        assert M.precision_at_k(y, s, k) == pytest.approx(top.mean(), rel=RTOL)
        assert M.lift(y, s, k) == pytest.approx(top.mean() / y.mean(), rel=RTOL)


def test_precision_at_k_with_ties_is_the_mean_over_tie_orders():
    # Every order of the tied rows, each the stable descending sort of a shuffled copy: their mean
    # precision is exactly the shared-ties rule (the count in the top m is linear in the order's
    # indicator, so averaging over all 4! orders of the four tied rows is exact).
    import itertools

    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    s = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0.3, 0.95, 0.1])
    tied = np.flatnonzero(s == 0.5)
    for m, k in [(3, 3 / 8), (4, 0.5), (5, 5 / 8)]:
        values = []
        for order in itertools.permutations(tied):
            rank = np.concatenate([[6, 0], order, [5, 7]])
            values.append(y[rank[:m]].mean())
        assert M.precision_at_k(y, s, k) == pytest.approx(np.mean(values), rel=RTOL)
        assert M.precision_at_k(y[::-1], s[::-1], k) == pytest.approx(np.mean(values), rel=RTOL)


# ---- survival: lifelines ----

@pytest.mark.parametrize("n,seed", [(30, 40), (800, 41), (5_000, 42)])
def test_concordance_index_equals_lifelines(n, seed):
    rng = np.random.default_rng(seed)
    t = np.ceil(rng.exponential(10.0, n))  # integer durations: many ties
    e = rng.random(n) < 0.6
    pred = np.round(t + rng.normal(0.0, 5.0, n))  # tied predictions too
    assert M.concordance_index(t, pred, e) == pytest.approx(lifelines_utils.concordance_index(t, pred, e), rel=RTOL)
    assert M.concordance_index(t, pred) == pytest.approx(lifelines_utils.concordance_index(t, pred), rel=RTOL)
    assert M.concordance_index(t, -pred, e.astype(float)) == pytest.approx(
        lifelines_utils.concordance_index(t, -pred, e), rel=RTOL)


def test_concordance_index_equals_lifelines_naive_pairs():
    # lifelines' O(n²) definition, a second, independent count of the same pairs.
    from lifelines.utils.concordance import naive_concordance_index

    rng = np.random.default_rng(43)
    t, e, pred = rng.integers(0, 8, 200).astype(float), rng.random(200) < 0.5, rng.integers(0, 5, 200).astype(float)
    assert M.concordance_index(t, pred, e) == pytest.approx(naive_concordance_index(t, pred, e), rel=RTOL)


# ---- input types ----

def test_labels_and_scores_as_lists_arrays_and_series():
    expected = sklearn_metrics.roc_auc_score(Y6, S6)
    y = np.array(Y6)
    for labels in (Y6, y.astype(bool), y.astype(np.int8), y.astype(np.uint8), y.astype(np.int32),
                   y.astype(np.float32), y.astype(np.float64), y.astype(np.uint16), pd.Series(Y6),
                   pd.Series(Y6, dtype="Int64"), pd.Series(y.astype(bool), dtype="boolean"), [True, False] * 3):
        assert M.roc_auc(labels, S6) == expected, labels
    for scores in (S6, np.array(S6), np.array(S6, dtype=np.float32).astype(np.float64), pd.Series(S6),
                   np.array(S6)[::-1][::-1]):
        assert M.roc_auc(Y6, scores) == expected
    assert M.roc_auc(Y6, np.repeat(S6, 2)[::2]) == expected  # strided: converted, same result
    assert M.roc_auc(np.repeat(Y6, 2)[::2], S6) == expected


def test_a_large_call_releases_the_gil(runs_without_gil):
    y, s, _ = sample(2_000_000, 50)
    assert runs_without_gil(lambda: M.roc_auc(y, s))


def test_readme_example_runs(root):
    readme = (root / "README.md").read_text()
    block = readme.split("### Metrics", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {"ch": ch}
    exec(block, namespace)  # noqa: S102 (the README's own code)
    y, p = namespace["y"], namespace["p"]
    assert M.roc_auc(y, p) == pytest.approx(sklearn_metrics.roc_auc_score(y, p), rel=RTOL)


# ---- undefined: NaN with a warning ----

def test_undefined_metrics_are_nan_with_a_user_warning():
    assert issubclass(M.UndefinedMetricWarning, UserWarning)
    ones, s = [1, 1, 1], [0.2, 0.4, 0.6]
    with pytest.warns(M.UndefinedMetricWarning, match="roc_auc is undefined: y_true holds one class only"):
        assert np.isnan(M.roc_auc(ones, s))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's own UndefinedMetricWarning
        assert np.isnan(sklearn_metrics.roc_auc_score(ones, s))  # scikit-learn agrees
    with pytest.warns(M.UndefinedMetricWarning, match="roc_auc"):
        assert np.isnan(M.roc_auc([1, 0, 0], s, sample_weight=[0, 1, 1]))  # positives weigh nothing
    with pytest.warns(M.UndefinedMetricWarning, match="pr_auc is undefined: y_true has no positives"):
        assert np.isnan(M.pr_auc([0, 0, 0], s))
    with pytest.warns(M.UndefinedMetricWarning, match="lift is undefined"):
        assert np.isnan(M.lift([0, 0, 0], s, k=0.5))
    with pytest.warns(M.UndefinedMetricWarning, match="brier is undefined: sample_weight sums to 0"):
        assert np.isnan(M.brier(ones, s, sample_weight=[0, 0, 0]))
    with pytest.warns(M.UndefinedMetricWarning, match="log_loss is undefined"):
        assert np.isnan(M.log_loss(ones, s, sample_weight=[0, 0, 0]))
    with pytest.warns(M.UndefinedMetricWarning, match="concordance_index is undefined: no admissible pairs"):
        assert np.isnan(M.concordance_index([1, 1], [1, 2]))
    with pytest.raises(ZeroDivisionError):
        lifelines_utils.concordance_index([1, 1], [1, 2])  # lifelines raises instead
    # Defined edge cases stay quiet (warnings are errors in this suite).
    assert M.pr_auc(ones, s) == 1.0
    assert M.precision_at_k([0, 0, 0], s, k=0.5) == 0.0


# ---- bad input: InvalidInputError (a ValueError) with a clear message ----

BAD = [
    (lambda: M.roc_auc([0, 2, 1], [0.1, 0.2, 0.3]), r"roc_auc: y_true\[1\] must be 0 or 1, got 2"),
    (lambda: M.pr_auc([0, 0.5, 1], [0.1, 0.2, 0.3]), r"pr_auc: y_true\[1\] must be 0 or 1, got 0.5"),
    (lambda: M.brier([0, np.nan, 1], [0.1, 0.2, 0.3]), r"brier: y_true\[1\] must be 0 or 1, got NaN"),
    (lambda: M.roc_auc(pd.Series([0, None, 1], dtype="Int64"), [0.1, 0.2, 0.3]),
     r"y_true\[1\] must be 0 or 1, got NaN"),
    (lambda: M.roc_auc(["a", "b", "c"], [0.1, 0.2, 0.3]), r"y_true must hold 0/1 or booleans"),
    (lambda: M.roc_auc([0, 1, 0], [0.1, np.nan, 0.3]), r"roc_auc: y_score\[1\] is NaN: values must be finite"),
    (lambda: M.pr_auc([0, 1, 0], [0.1, 0.2, np.inf]), r"pr_auc: y_score\[2\] is inf"),
    (lambda: M.lift([0, 1, 0], [0.1, -np.inf, 0.3]), r"lift: y_score\[1\] is -inf"),
    (lambda: M.concordance_index([1, 2], [np.nan, 1]), r"predicted_scores\[0\] is NaN"),
    (lambda: M.concordance_index([1, np.inf], [1, 2]), r"event_times\[1\] is inf"),
    (lambda: M.roc_auc([0, 1, 0], [0.1, 0.2]), r"roc_auc: y_true has 3 values but y_score has 2"),
    (lambda: M.brier([0, 1], [0.1, 0.2, 0.3]), r"brier: y_true has 2 values but y_prob has 3"),
    (lambda: M.log_loss([0, 1], [0.1, 0.2], sample_weight=[1.0]), r"sample_weight has 1 values but y_true has 2"),
    (lambda: M.calibration([0, 1], [0.1, 0.2, 0.3]), r"calibration: y_true has 2 values but y_prob has 3"),
    (lambda: M.concordance_index([1, 2, 3], [1, 2, 3], [1, 0]), r"event_observed has 2 values but event_times has 3"),
    (lambda: M.roc_auc([0, 1], [0.1, 0.2], sample_weight=[1.0, -2.0]),
     r"roc_auc: sample_weight\[1\] must be finite and >= 0, got -2"),
    (lambda: M.brier([0, 1], [0.1, 0.2], sample_weight=[np.nan, 1.0]), r"sample_weight\[0\] must be finite and >= 0"),
    (lambda: M.roc_auc([], []), r"roc_auc: empty input"),
    (lambda: M.log_loss([], []), r"log_loss: empty input"),
    (lambda: M.calibration([], [], bins=3, strategy="quantile"), r"calibration: empty input"),
    (lambda: M.precision_at_k([], [], k=0.5), r"precision_at_k: empty input"),
    (lambda: M.concordance_index([], []), r"concordance_index: empty input"),
    (lambda: M.lift([0, 1], [0.1, 0.2], k=0), r"lift: k must be a fraction of the accounts in \(0, 1\], got 0"),
    (lambda: M.lift([0, 1], [0.1, 0.2], k=1.5), r"lift: k must be .* got 1.5"),
    (lambda: M.precision_at_k([0, 1], [0.1, 0.2], k=-0.1), r"precision_at_k: k must be .* got -0.1"),
    (lambda: M.precision_at_k([0, 1], [0.1, 0.2], k=np.nan), r"precision_at_k: k must be .* got NaN"),
    (lambda: M.precision_at_k([0, 1], [0.1, 0.2], k="10%"), r"precision_at_k: k must be a fraction"),
    (lambda: M.calibration([0, 1], [0.1, 0.2], bins=0), r"calibration: bins must be >= 1, got 0"),
    (lambda: M.calibration([0, 1], [0.1, 0.2], bins=2.5), r"calibration: bins must be an integer"),
    (lambda: M.calibration([0, 1], [0.1, 0.2], strategy="kmeans"),
     r'unknown strategy "kmeans": expected one of uniform, quantile'),
    (lambda: M.brier([0, 1], [0.1, 1.2]), r"brier: y_prob\[1\] must be a probability in \[0, 1\], got 1.2"),
    (lambda: M.log_loss([0, 1], [-0.1, 0.2]), r"log_loss: y_prob\[0\] must be a probability in \[0, 1\], got -0.1"),
    (lambda: M.calibration([0, 1], [0.1, 2.0]), r"calibration: y_prob\[1\] must be a probability"),
    (lambda: M.roc_auc(np.zeros((2, 2)), [0.1, 0.2]), r"y_true must be one-dimensional"),
    (lambda: M.roc_auc([0, 1], np.array(["x", "y"])), r"y_score must be numeric"),
    (lambda: M.concordance_index([1, 2], [1, 2], [1, 2]), r"event_observed\[1\] must be 0 or 1, got 2"),
]


@pytest.mark.parametrize("call,message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_input_is_invalid_input_error(call, message):
    with pytest.raises(ch.InvalidInputError, match=message):
        call()
    assert issubclass(ch.InvalidInputError, ValueError)
