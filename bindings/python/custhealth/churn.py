"""Churn risk models (DESIGN §4 "Churn risk") over the C++ core (custhealth/churn/logistic.hpp).

:class:`LogisticChurnModel` minimises ``Σ wᵢ·logloss_i + (l2/2)·Σⱼ βⱼ²`` over standardised columns (weighted
mean 0 and sd 1 with ddof 0, the intercept unpenalised) by Newton's method with a line search — the same
coefficients and probabilities as scikit-learn's ``make_pipeline(StandardScaler(), LogisticRegression(C=1/l2))``
(``penalty=None`` for ``l2=0``; with weights, ``sample_weight`` passed to both steps), with standard errors,
per-account contributions and a JSON model file (``models/logistic_churn.schema.json``).

Rules:

- ``X`` must be finite: NaN and ±inf are **rejected** (an ``InvalidInputError`` naming the column and the row),
  never imputed — impute first, and say how (e.g. a median plus a missing-indicator column).
- ``y`` is 0/1 (bool or numeric) with both classes among rows of positive weight; weights are finite, ≥ 0.
- A constant column is an error. With ``l2=0`` so is a column that is a linear combination of others
  (the error names them); with ``l2 > 0`` collinear columns are allowed, as in scikit-learn.
- Standard errors are ``√diag(H⁻¹)`` of the penalised Hessian at the optimum, taken to the original scale by
  the exact linear map of the coefficients; with ``l2=0`` they equal statsmodels'
  ``Logit(y, add_constant(X)).fit().bse``. With ``l2 > 0`` they are the Gaussian-prior (Bayesian)
  approximation, smaller than unpenalised ones.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._core import InvalidInputError
from .metrics import _floats, _labels
from .parallel import resolve_threads

__all__ = ["ConvergenceWarning", "LogisticChurnModel"]


class ConvergenceWarning(UserWarning):
    """A fit stopped before its convergence test passed (max_iter reached, or no step decreased the
    objective); the model is returned as it stood, with ``converged_ = False``."""


def _design(X: Any, where: str = "LogisticChurnModel") -> tuple[np.ndarray, list[str] | None, pd.Index]:
    """X as a 2-D numeric array (float64 frames and arrays without a copy), its column names (None for an
    array) and the row index to label results with; errors start with ``where`` (the model's name)."""
    if isinstance(X, pd.DataFrame):
        for name, dtype in X.dtypes.items():
            if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
                raise InvalidInputError(f"{where}: column {name!r} of X is not numeric (dtype {dtype})")
        if any(isinstance(dtype, pd.api.extensions.ExtensionDtype) for dtype in X.dtypes):
            # Nullable Int64 / Float64 / boolean: missing values become NaN, which the core rejects by name.
            values = X.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            values = X.to_numpy(dtype=np.float64, copy=False)
        return values, [str(c) for c in X.columns], X.index
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise InvalidInputError(f"{where}: X must be two-dimensional, got shape {arr.shape}")
    if not (arr.dtype == bool or np.issubdtype(arr.dtype, np.number)):
        raise InvalidInputError(f"{where}: X must be numeric, got dtype {arr.dtype}")
    return arr, None, pd.RangeIndex(arr.shape[0])


class _FitStatus:
    """How a model's fit ended (fit_status in enums.hpp), read from its core model: ``n_iter_``, ``converged_``, ``status_``."""

    def _fitted(self) -> Any:
        raise NotImplementedError

    @property
    def n_iter_(self) -> int:
        return int(self._fitted().iterations)

    @property
    def converged_(self) -> bool:
        return bool(self._fitted().converged)

    @property
    def status_(self) -> str:
        """"converged", "max_iter" or "line_search_failed"."""
        return str(self._fitted().status)


class LogisticChurnModel(_FitStatus):
    """L2-penalised logistic regression for churn, scikit-learn's conventions (fitted attributes end in ``_``).

    Parameters
    ----------
    l2 : float, default 1.0
        The penalty ``(l2/2)·Σβⱼ²`` on the standardised coefficients (scikit-learn's ``C = 1/l2``); 0 for none.
    standardize : bool, default True
        Fit on ``(x − mean)/sd``. With False the penalty is on the raw coefficients, and the fit equals
        ``LogisticRegression(C=1/l2)`` on raw ``X``.
    max_iter : int, default 100
        Newton steps.
    tol : float, default 1e-8
        Convergence when the largest component of the gradient of the penalised objective divided by
        ``Σ wᵢ`` (the mean loss's gradient, independent of n) is ≤ tol.

    Examples
    --------
    >>> model = LogisticChurnModel(l2=1.0).fit(X, y)            # doctest: +SKIP
    >>> model.summary                                            # doctest: +SKIP
    >>> model.predict_proba(X_new)[:, 1]                         # doctest: +SKIP
    >>> model.contributions(X_new)                               # doctest: +SKIP
    """

    n_threads: int | None = None  # a class default: models pickled before it existed read None

    def __init__(self, l2: float = 1.0, standardize: bool = True, max_iter: int = 100, tol: float = 1e-8, *,
                 n_threads: int | None = None) -> None:
        self.l2 = float(l2)
        self.standardize = bool(standardize)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.n_threads = n_threads
        self._model: _core.LogisticModel | None = None

    def __repr__(self) -> str:
        return (f"LogisticChurnModel(l2={self.l2!r}, standardize={self.standardize!r}, max_iter={self.max_iter!r}, "
                f"tol={self.tol!r}, n_threads={self.n_threads!r})")

    # ---- fitting ----

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LogisticChurnModel:
        """Fits on ``X`` (DataFrame: feature names from its columns; 2-D array: x0, x1, …), ``y`` (0/1) and
        optional ``sample_weight``; returns self. A fit that does not converge warns
        (:class:`ConvergenceWarning`) and keeps the coefficients it reached."""
        values, names, _ = _design(X)
        labels = _labels(y, "y")
        weights = None if sample_weight is None else _floats(sample_weight, "sample_weight")
        if names is None:
            names = [f"x{j}" for j in range(values.shape[1])]
        self._model = _core.LogisticModel.fit(values, labels, weights, names, self.l2, self.standardize,
                                              self.max_iter, self.tol, resolve_threads(self.n_threads, "LogisticChurnModel.fit"))
        if not self._model.converged:
            warnings.warn(
                f"LogisticChurnModel did not converge ({self._model.status}) after {self._model.iterations} Newton "
                f"steps: gradient norm {self._model.gradient_norm:.3g} > tol {self.tol:g}. Raise max_iter, or with "
                f"l2 = 0 check for separable data (set l2 > 0)", ConvergenceWarning, stacklevel=2)
        return self

    def _fitted(self) -> _core.LogisticModel:
        if self._model is None:
            raise InvalidInputError("LogisticChurnModel is not fitted: call fit() or LogisticChurnModel.from_json()")
        return self._model

    # ---- fitted attributes ----

    @property
    def feature_names_in_(self) -> list[str]:
        return list(self._fitted().feature_names)

    @property
    def coef_(self) -> pd.Series:
        """Coefficients on the original scale of each feature (log-odds per unit), by feature name."""
        m = self._fitted()
        return pd.Series(m.coef, index=pd.Index(m.feature_names, name="feature"), name="coef")

    @property
    def intercept_(self) -> float:
        """The intercept on the original scale (the logit at x = 0)."""
        return float(self._fitted().intercept)

    @property
    def coef_std_(self) -> pd.Series:
        """Coefficients per training standard deviation (the fitted parameters when standardize=True)."""
        m = self._fitted()
        return pd.Series(m.coef_std, index=pd.Index(m.feature_names, name="feature"), name="coef_std")

    @property
    def mean_(self) -> pd.Series:
        m = self._fitted()
        return pd.Series(m.mean, index=pd.Index(m.feature_names, name="feature"), name="mean")

    @property
    def scale_(self) -> pd.Series:
        """The training standard deviations (weighted, ddof 0), StandardScaler's ``scale_``."""
        m = self._fitted()
        return pd.Series(m.sd, index=pd.Index(m.feature_names, name="feature"), name="sd")

    @property
    def standard_errors_(self) -> pd.Series:
        """Standard errors of ``coef_`` and, under ``"intercept"``, of ``intercept_`` (original scale)."""
        m = self._fitted()
        return pd.Series(np.append(m.se, m.intercept_se), index=pd.Index([*m.feature_names, "intercept"], name="term"),
                         name="se")

    @property
    def gradient_norm_(self) -> float:
        return float(self._fitted().gradient_norm)

    @property
    def log_loss_(self) -> float:
        """The weighted mean log loss on the training data at the fitted coefficients."""
        return float(self._fitted().log_loss)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per feature and one for the intercept: ``coef``, ``se``, ``z``, ``p`` (two-sided, normal),
        ``ci_lower``/``ci_upper`` (95 %), ``coef_std`` (per training sd; for the intercept, the logit of the
        mean account)."""
        return self.summary_at(0.95)

    def summary_at(self, confidence: float) -> pd.DataFrame:
        """:attr:`summary` with a ``confidence`` interval other than 95 %."""
        columns = self._fitted().summary(float(confidence))
        index = pd.Index(columns.pop("term"), name="term")
        return pd.DataFrame({name: columns[name] for name in ("coef", "se", "z", "p", "ci_lower", "ci_upper",
                                                              "coef_std")}, index=index)

    # ---- scoring ----

    def _scoring(self, X: Any) -> tuple[_core.LogisticModel, np.ndarray, list[int] | None, pd.Index]:
        m = self._fitted()
        values, names, index = _design(X)
        columns = None if names is None else m.columns_for(names)  # by name; an array is taken in model order
        return m, values, columns, index

    def predict_logit(self, X: Any) -> np.ndarray:
        """The logit of each row: ``intercept_std + Σ coef_std·(x − mean)/sd`` (the sum of its contributions).
        A DataFrame's columns are matched by name (any order; missing or extra names are an error); a 2-D
        array's columns are taken as the model's features in order."""
        m, values, columns, _ = self._scoring(X)
        return m.predict_logit(values, columns)

    def decision_function(self, X: Any) -> np.ndarray:
        """scikit-learn's name for :meth:`predict_logit`."""
        return self.predict_logit(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """n × 2: P(no churn), P(churn) per row, as scikit-learn's ``predict_proba``."""
        m, values, columns, _ = self._scoring(X)
        p = m.predict_proba(values, columns)
        return np.column_stack([1.0 - p, p])

    def contributions(self, X: Any) -> pd.DataFrame:
        """Per-row, per-feature log-odds contributions ``coef_std·(x − mean)/sd`` (how far the feature moves
        this account's logit from the mean account's) and an ``"intercept"`` column holding the baseline
        logit of the mean account; each row sums to :meth:`predict_logit` (in that order, to the bit).
        Same index as X (a RangeIndex for arrays)."""
        m, values, columns, index = self._scoring(X)
        out = m.contributions(values, columns)
        return pd.DataFrame(out, index=index, columns=pd.Index([*m.feature_names, "intercept"]))

    # ---- the model file ----

    def to_json(self) -> str:
        """The model file (format ``custhealth.logistic_churn`` version 1; models/logistic_churn.schema.json)."""
        return str(self._fitted().to_json())

    @classmethod
    def from_json(cls, text: str, source: str = "model") -> LogisticChurnModel:
        """The model of a file written by :meth:`to_json`; a ``ModelSpecError`` names the JSON path of a bad
        field. Scoring then matches a frame's columns against the file's feature names."""
        core = _core.LogisticModel.from_json(str(text), str(source))
        model = cls(l2=core.l2, standardize=core.standardize, max_iter=core.max_iter, tol=core.tol)
        model._model = core
        return model
