"""How good a churn score or probability is (DESIGN §4 "Churn risk", Evaluation), over the C++ core
(custhealth/churn/metrics.hpp): the same numbers as scikit-learn and lifelines, computed in one sort.

=====================  ==========================================================
``roc_auc``            ``sklearn.metrics.roc_auc_score`` (ties averaged, weights)
``pr_auc``             ``sklearn.metrics.average_precision_score`` (step-wise)
``brier``              ``sklearn.metrics.brier_score_loss``
``log_loss``           ``sklearn.metrics.log_loss`` (p clipped to [ε, 1 − ε], ε of float64)
``calibration``        ``sklearn.calibration.calibration_curve``, as a table
``lift``               churn rate in the top k over the overall rate
``precision_at_k``     churn rate in the top k
``concordance_index``  ``lifelines.utils.concordance_index``
=====================  ==========================================================

Labels are 0/1 (bool or numeric); anything else, NaN included, is an ``InvalidInputError`` (a
``ValueError``), as are non-finite scores, probabilities outside [0, 1], negative weights, mismatched
lengths, empty input, ``k`` outside (0, 1] and ``bins < 1``. A statistic that is undefined on valid
input — AUC when ``y_true`` holds one class only, lift without churners, a concordance without
admissible pairs — is NaN with an :class:`UndefinedMetricWarning` (a ``UserWarning``), as
scikit-learn 1.9 does for the AUC.

Input: lists, numpy arrays or pandas Series. float64 scores and bool, int8/uint8, int32, int64,
float32 or float64 labels are read in place (no copy); the GIL is released while the core computes.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from . import _core
from ._convert import one_dimensional
from ._core import InvalidInputError

__all__ = ["Calibrator", "UndefinedMetricWarning", "brier", "calibration", "concordance_index", "lift", "log_loss", "pr_auc",
           "precision_at_k", "roc_auc"]


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined on the data given (e.g. one class only); the metric returned NaN."""


# ---- conversions at the edge: shapes and dtypes here, values (0/1, finite, ranges) in the core ----

def _labels(values: Any, name: str = "y_true") -> np.ndarray:
    """0/1 labels as stored; the core checks every value and reads the common dtypes in place."""
    arr = one_dimensional(values, name)
    if arr.dtype == bool or np.issubdtype(arr.dtype, np.number):
        return arr
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise InvalidInputError(f"{name} must hold 0/1 or booleans: {err}") from None


def _floats(values: Any, name: str) -> np.ndarray:
    """float64 values; float64 input passes through untouched (read in place by the core)."""
    arr = one_dimensional(values, name)
    if arr.dtype == np.float64:
        return arr
    if not (arr.dtype == bool or np.issubdtype(arr.dtype, np.number) or arr.dtype == object):
        raise InvalidInputError(f"{name} must be numeric, got dtype {arr.dtype}")
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise InvalidInputError(f"{name} must be numeric: {err}") from None


def _weights(values: Any) -> np.ndarray | None:
    return None if values is None else _floats(values, "sample_weight")


def _checked(metric: str, value: float, reason: str) -> float:
    """`value`, with an UndefinedMetricWarning when it is NaN (valid input gives NaN only when undefined)."""
    if math.isnan(value):
        warnings.warn(f"{metric} is undefined: {reason}; returning NaN", UndefinedMetricWarning, stacklevel=3)
    return value


# ---- ranking ----

def roc_auc(y_true: Any, y_score: Any, sample_weight: Any = None) -> float:
    """Area under the ROC curve: the chance that a random churner scores above a random non-churner,
    tied scores counting ½ (Mann–Whitney U / (P·N), weighted by wᵢwⱼ).

    Equal to ``sklearn.metrics.roc_auc_score(y_true, y_score, sample_weight=...)``; O(n log n).

    Parameters
    ----------
    y_true : array-like of 0/1 or bool
    y_score : array-like of float
        Any finite scores; higher means more likely positive.
    sample_weight : array-like of float ≥ 0, optional

    Returns
    -------
    float
        NaN (with an UndefinedMetricWarning) when one class is absent or has weight 0.

    Examples
    --------
    >>> roc_auc([1, 0, 1, 0, 1, 0], [0.9, 0.9, 0.7, 0.5, 0.5, 0.1])  # 6 of 9 pairs, ties ½
    0.6666666666666666
    """
    value = _core.roc_auc(_labels(y_true), _floats(y_score, "y_score"), _weights(sample_weight))
    return _checked("roc_auc", value, "y_true holds one class only (classes with zero total weight count as absent)")


def pr_auc(y_true: Any, y_score: Any, sample_weight: Any = None) -> float:
    """Average precision, the step-wise area under the precision–recall curve:
    ``Σₖ (Rₖ − Rₖ₋₁) Pₖ`` over the distinct scores from the highest down, tied scores entering together.

    Equal to ``sklearn.metrics.average_precision_score(y_true, y_score, sample_weight=...)``, except
    without positives: NaN with an UndefinedMetricWarning here, 0.0 with a warning there.
    """
    value = _core.pr_auc(_labels(y_true), _floats(y_score, "y_score"), _weights(sample_weight))
    return _checked("pr_auc", value, "y_true has no positives (with weight > 0), so recall is undefined")


# ---- probabilities ----

def brier(y_true: Any, y_prob: Any, sample_weight: Any = None) -> float:
    """Brier score ``Σ wᵢ (yᵢ − pᵢ)² / Σ wᵢ`` — ``sklearn.metrics.brier_score_loss``.
    Probabilities outside [0, 1] raise, as scikit-learn does; NaN when the weights sum to 0."""
    value = _core.brier(_labels(y_true), _floats(y_prob, "y_prob"), _weights(sample_weight))
    return _checked("brier", value, "sample_weight sums to 0")


def log_loss(y_true: Any, y_prob: Any, sample_weight: Any = None) -> float:
    """Mean negative log-likelihood ``−Σ wᵢ [yᵢ ln pᵢ + (1 − yᵢ) ln(1 − pᵢ)] / Σ wᵢ``.

    Equal to ``sklearn.metrics.log_loss(y_true, y_prob, sample_weight=..., labels=[0, 1])`` of
    scikit-learn ≥ 1.5: p and 1 − p are clipped to ``[ε, 1 − ε]`` with ε = ``np.finfo(float64).eps``
    (2⁻⁵²; the former ``eps=1e-15`` argument is gone), so a confident miss costs ≈ 36.04, not infinity.
    ``y_true`` with one class only is fine (scikit-learn needs ``labels=`` then). Probabilities
    outside [0, 1] raise; NaN when the weights sum to 0.
    """
    value = _core.log_loss(_labels(y_true), _floats(y_prob, "y_prob"), _weights(sample_weight))
    return _checked("log_loss", value, "sample_weight sums to 0")


def calibration(y_true: Any, y_prob: Any, bins: int = 10,
                strategy: Literal["uniform", "quantile"] = "uniform") -> pd.DataFrame:
    """The calibration (reliability) table: predictions in ``bins`` bins and, per bin, the mean
    prediction against the observed churn rate.

    ``prob_true`` and ``prob_pred`` equal ``sklearn.calibration.calibration_curve(y_true, y_prob,
    n_bins=bins, strategy=strategy)``. Bins: ``uniform`` — equal widths over [0, 1]
    (``numpy.linspace``); ``quantile`` — edges at the percentiles of ``y_prob`` (numpy's linear
    method). A prediction belongs to bin i when ``lower < p ≤ upper`` (the first bin also takes
    ``p = lower``). **Empty bins are dropped**, as scikit-learn drops them, so there may be fewer than
    ``bins`` rows (with ``quantile`` and many tied predictions edges coincide).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``bin`` (0 … bins − 1, non-empty only): ``lower``, ``upper``, ``count``,
        ``prob_pred`` (mean p), ``prob_true`` (share of y = 1).
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)):
        raise InvalidInputError(f"calibration: bins must be an integer >= 1, got {bins!r}")
    if int(bins) < 1:
        raise InvalidInputError(f"calibration: bins must be >= 1, got {int(bins)}")
    columns = _core.calibration(_labels(y_true), _floats(y_prob, "y_prob"), int(bins), str(strategy))
    index = pd.Index(columns.pop("bin"), name="bin")
    return pd.DataFrame({name: columns[name] for name in ("lower", "upper", "count", "prob_pred", "prob_true")},
                        index=index)


# ---- the top of the list ----

def _fraction(k: Any, metric: str) -> float:
    if isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"{metric}: k must be a fraction of the accounts in (0, 1], got {k!r}")
    return float(k)


def precision_at_k(y_true: Any, y_score: Any, k: float = 0.1) -> float:
    """The churn rate among the top ``k`` of the list.

    ``k`` is a fraction of the accounts in (0, 1]: the top ``m = ⌈k·n⌉`` scores (a product within 1e-9
    of an integer counts as it, so 0.7 of 10 is 7). Ties at the cut are shared, not broken by row
    order: if the m-th score is held by t accounts of which r fit in the top m, they bring r/t of the
    churners among them — the expected value over random orders of the ties, so reordering the rows
    never changes the result.
    """
    return _core.precision_at_k(_labels(y_true), _floats(y_score, "y_score"), _fraction(k, "precision_at_k"))


def lift(y_true: Any, y_score: Any, k: float = 0.1) -> float:
    """``precision_at_k(y_true, y_score, k)`` over the overall churn rate: how many times more churners
    the top ``k`` holds than a random ``k`` of the accounts (ties at the cut as in precision_at_k).
    NaN with an UndefinedMetricWarning when there are no churners."""
    value = _core.lift(_labels(y_true), _floats(y_score, "y_score"), _fraction(k, "lift"))
    return _checked("lift", value, "y_true has no positives, so the overall rate is 0")


# ---- survival ----

def concordance_index(event_times: Any, predicted_scores: Any, event_observed: Any = None) -> float:
    """Harrell's concordance index — ``lifelines.utils.concordance_index`` (its argument names and order).

    A higher prediction means a *longer* survival (pass ``-risk`` for a churn risk). A pair is
    admissible when the shorter duration ends in an event; at equal durations an event and a
    censoring are admissible (the event first), two events or two censorings are not. Equal
    predictions count ½. O(n log n).

    Returns
    -------
    float
        NaN with an UndefinedMetricWarning when no pair is admissible (lifelines raises
        ZeroDivisionError).
    """
    observed = None if event_observed is None else _labels(event_observed, "event_observed")
    _, _, _, value = _core.concordance(_floats(event_times, "event_times"),
                                       _floats(predicted_scores, "predicted_scores"), observed)
    return _checked("concordance_index", float(value), "no admissible pairs")


# ---- calibration maps ----

class Calibrator:
    """A score or probability mapped to the churn rate observed at it (DESIGN §4 "Calibration"), so
    that a band reads "31 % churn in 90 days".

    ``method="isotonic"``: a non-decreasing step-and-ramp map (pool adjacent violators, ties in the
    score pooled first), linear between the fitted scores and clipped outside them —
    scikit-learn's ``IsotonicRegression(out_of_bounds="clip")``. ``method="platt"``: the sigmoid
    ``1 / (1 + exp(a·s + b))`` with Platt's smoothed targets — scikit-learn's sigmoid calibration
    (``CalibratedClassifierCV(method="sigmoid")``). Fit it on scores and outcomes of a backtest
    (``churn_features`` at a past date), never on the rows it will be read against.
    """

    def __init__(self, method: str = "isotonic") -> None:
        if method not in ("isotonic", "platt"):
            raise InvalidInputError(f"Calibrator: method must be 'isotonic' or 'platt', got {method!r}")
        self.method = method

    def fit(self, scores: Any, y: Any, sample_weight: Any = None) -> "Calibrator":
        """Fits the map; ``y`` is 0/1. Raises InvalidInputError for non-finite scores, labels other
        than 0/1, one class only, mismatched lengths or negative weights."""
        s = _floats(scores, "scores")
        labels = _floats(_labels(y, "y"), "y")
        x, fitted, a, b = _core.calibration_fit(self.method, s, labels, _weights(sample_weight))
        self.x_, self.y_ = np.asarray(x), np.asarray(fitted)
        self.a_, self.b_ = float(a), float(b)
        return self

    def predict(self, scores: Any) -> np.ndarray:
        """The calibrated probability of each score."""
        if not hasattr(self, "a_"):
            raise InvalidInputError("Calibrator: fit it first")
        s = _floats(scores, "scores")
        return np.asarray(_core.calibration_predict(self.method, list(self.x_), list(self.y_), self.a_, self.b_, s))

    def __repr__(self) -> str:
        fitted = ("" if not hasattr(self, "a_") else
                  f", a={self.a_:.4g}, b={self.b_:.4g}" if self.method == "platt" else f", {len(self.x_)} points")
        return f"Calibrator(method={self.method!r}{fitted})"
