"""Cox proportional hazards regression (DESIGN §4) over the C++ core (custhealth/churn/cox.hpp), with
lifelines' ``CoxPHFitter`` conventions: ``CoxPH(l2).fit(df, duration_col, event_col, strata=, weights_col=)``,
``params_``, ``summary``, ``print_summary()``, ``baseline_survival_``, ``predict_survival_function``.

The model: Efron's partial likelihood (tied event times), optional weights and strata (separate risk sets and
baselines, shared coefficients), maximised by Newton–Raphson with step halving, as R's ``coxph`` and lifelines.

``l2`` is lifelines' ``penalizer`` (with ``l1_ratio=0``): the fit maximises
``ℓ(β) − n·(l2/2)·Σⱼ (βⱼ·sⱼ)²``, ``n`` the number of rows and ``sⱼ`` the sample standard deviation (ddof 1) of
covariate j — a ridge penalty per row on the standardised coefficients, so its strength does not depend on the
number of rows or on the covariates' units. Standard errors come from the penalised Hessian, as lifelines'.

Differences from lifelines, on purpose: a constant column, perfectly collinear columns (with ``l2=0``), NaN or
infinite values and event values other than 0/1 are errors naming the column and the row (lifelines warns or
fails later); ``predict_*(times=...)`` reads the Breslow baseline as the step function it is (R's survfit),
where lifelines interpolates linearly between its times — at the baseline's own times (the default) both agree.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._core import InvalidInputError
from .churn import ConvergenceWarning, _design, _FitStatus
from .metrics import _floats, _labels

__all__ = ["CoxLikelihoodRatioTest", "CoxPH"]

_WHERE = "CoxPH"


@dataclass(frozen=True)
class CoxLikelihoodRatioTest:
    """The likelihood-ratio test of the fitted model against the model without covariates: ``2·(ℓ̂ − ℓ(0))``
    on ``p`` degrees of freedom (lifelines' ``log_likelihood_ratio_test()``; R's "Likelihood ratio test")."""

    test_statistic: float
    p_value: float
    degrees_of_freedom: int
    test_name = "log-likelihood ratio test"
    null_distribution = "chi squared"


def _strata_keys(df: pd.DataFrame, strata: list[str]) -> pd.Index:
    """One key per row: the stratum column's values, or a MultiIndex of tuples for several columns."""
    missing = [c for c in strata if c not in df.columns]
    if missing:
        raise InvalidInputError(f"{_WHERE}: strata column(s) {missing} not in the frame")
    keys: pd.Index
    if len(strata) == 1:
        keys = pd.Index(df[strata[0]].to_numpy(), name=strata[0])
    else:
        keys = pd.MultiIndex.from_frame(df[strata])
    return keys


class CoxPH(_FitStatus):
    """Cox proportional hazards regression (Efron ties, strata, weights, L2 penalty), lifelines' names.

    Parameters
    ----------
    l2 : float, default 0.0
        lifelines' ``penalizer`` (``l1_ratio=0``): ``n·(l2/2)·Σ(βⱼ·sⱼ)²`` is subtracted from the partial
        log-likelihood (``sⱼ`` the covariate's sample sd). 0 for none.
    alpha : float, default 0.05
        The intervals of :attr:`summary` are ``1 − alpha``.
    max_iter : int, default 50
        Newton steps (a fit takes 4–8).
    tol : float, default 1e-9
        Convergence when the largest component of the Newton step, on the standardised scale, is ≤ tol.

    Examples
    --------
    >>> cph = CoxPH().fit(rossi, duration_col="week", event_col="arrest")   # doctest: +SKIP
    >>> cph.print_summary()                                                  # doctest: +SKIP
    >>> cph.predict_survival_function(rossi.head())                          # doctest: +SKIP
    """

    def __init__(self, l2: float = 0.0, alpha: float = 0.05, max_iter: int = 50, tol: float = 1e-9) -> None:
        if not 0.0 < float(alpha) < 1.0:
            raise InvalidInputError(f"{_WHERE}: alpha must lie in (0, 1), got {alpha!r}")
        self.l2 = float(l2)
        self.alpha = float(alpha)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.duration_col: str | None = None
        self.event_col: str | None = None
        self.weights_col: str | None = None
        self.strata: list[str] | None = None
        self._model: _core.CoxModel | None = None
        self._strata_labels: pd.Index | None = None

    def __repr__(self) -> str:
        return f"CoxPH(l2={self.l2!r}, alpha={self.alpha!r}, max_iter={self.max_iter!r}, tol={self.tol!r})"

    # ---- fitting ----

    def fit(self, df: pd.DataFrame, duration_col: str, event_col: str | None = None,
            strata: str | list[str] | None = None, weights_col: str | None = None) -> CoxPH:
        """Fits on ``df``: every column but ``duration_col``, ``event_col``, ``weights_col`` and the ``strata``
        columns is a covariate. ``event_col`` None: every row is an event. ``strata``: one or more columns whose
        value combinations get their own baseline hazard. ``weights_col``: weights > 0 (R's and lifelines'
        case weights). Returns self; a fit that does not converge warns (:class:`ConvergenceWarning`)."""
        if not isinstance(df, pd.DataFrame):
            raise InvalidInputError(f"{_WHERE}: fit() takes a DataFrame, got {type(df).__name__}")
        strata_list = None if strata is None else ([strata] if isinstance(strata, str) else list(strata))
        special = [duration_col, event_col, weights_col, *(strata_list or [])]
        missing = [c for c in special if c is not None and c not in df.columns]
        if missing:
            raise InvalidInputError(f"{_WHERE}: column(s) {missing} not in the frame (columns: {list(df.columns)})")
        covariates = [c for c in df.columns if c not in special]
        if not covariates:
            raise InvalidInputError(f"{_WHERE}: the frame has no covariate columns besides {special}")
        values, _, _ = _design(df[covariates], _WHERE)
        names = [str(c) for c in covariates]
        durations = _floats(df[duration_col], f"{_WHERE}: duration column {duration_col!r}")
        events = None if event_col is None else _labels(df[event_col], f"{_WHERE}: event column {event_col!r}")
        weights = None if weights_col is None else _floats(df[weights_col], f"{_WHERE}: weights column {weights_col!r}")
        codes = None
        labels = None
        if strata_list:
            keys = _strata_keys(df, strata_list)
            raw_codes, labels = pd.factorize(keys, sort=True)
            if (raw_codes < 0).any():
                row = int(np.flatnonzero(raw_codes < 0)[0])
                raise InvalidInputError(f"{_WHERE}: strata column(s) {strata_list} row {row} is missing (NaN)")
            codes = raw_codes.astype(np.int32)
        self._model = _core.CoxModel.fit(values, durations, events, weights, codes, names, self.l2, self.max_iter,
                                         self.tol, str(duration_col), str(event_col), str(weights_col))
        self.duration_col, self.event_col, self.weights_col, self.strata = (duration_col, event_col, weights_col,
                                                                            strata_list)
        self._strata_labels = None if labels is None else pd.Index(labels)
        if not self._model.converged:
            warnings.warn(
                f"CoxPH did not converge ({self._model.status}) after {self._model.iterations} Newton steps: step "
                f"{self._model.step_norm:.3g} > tol {self.tol:g}. Raise max_iter, or with l2 = 0 check for a "
                f"covariate that separates the events (set l2 > 0)", ConvergenceWarning, stacklevel=2)
        return self

    def _fitted(self) -> _core.CoxModel:
        if self._model is None:
            raise InvalidInputError(f"{_WHERE} is not fitted: call fit()")
        return self._model

    # ---- fitted attributes ----

    def _per_covariate(self, values: Any, name: str) -> pd.Series:
        m = self._fitted()
        return pd.Series(np.asarray(values), index=pd.Index(m.feature_names, name="covariate"), name=name)

    @property
    def params_(self) -> pd.Series:
        """The coefficients β (log hazard ratios per unit of each covariate)."""
        return self._per_covariate(self._fitted().coef, "coef")

    @property
    def hazard_ratios_(self) -> pd.Series:
        return self._per_covariate(np.exp(self._fitted().coef), "exp(coef)")

    @property
    def standard_errors_(self) -> pd.Series:
        return self._per_covariate(self._fitted().se, "se")

    @property
    def variance_matrix_(self) -> pd.DataFrame:
        m = self._fitted()
        index = pd.Index(m.feature_names, name="covariate")
        return pd.DataFrame(m.covariance, index=index, columns=index.copy())

    @property
    def confidence_intervals_(self) -> pd.DataFrame:
        s = self.summary
        ci = f"{100 * (1 - self.alpha):g}%"
        return pd.DataFrame({f"{ci} lower-bound": s[f"coef lower {ci}"].to_numpy(),
                             f"{ci} upper-bound": s[f"coef upper {ci}"].to_numpy()}, index=s.index)

    @property
    def log_likelihood_(self) -> float:
        """The maximised objective: the partial log-likelihood minus the penalty (lifelines' definition)."""
        return float(self._fitted().log_likelihood)

    @property
    def partial_log_likelihood_(self) -> float:
        """The partial log-likelihood at the fitted β, without the penalty."""
        return float(self._fitted().partial_log_likelihood)

    @property
    def AIC_partial_(self) -> float:  # noqa: N802 (lifelines' name)
        """``−2·log_likelihood_ + 2·p``."""
        m = self._fitted()
        return -2.0 * float(m.log_likelihood) + 2.0 * len(m.feature_names)

    @property
    def concordance_index_(self) -> float:
        """Harrell's concordance of the training rows (pairs within strata), lifelines' ``concordance_index_``."""
        return float(self._fitted().concordance_index)

    @property
    def n_events_(self) -> int:
        return int(self._fitted().events)

    def log_likelihood_ratio_test(self) -> CoxLikelihoodRatioTest:
        """The test against the model without covariates (``2·(log_likelihood_ − ℓ(0))`` on p df)."""
        stat, p, df = self._fitted().likelihood_ratio_test()
        return CoxLikelihoodRatioTest(float(stat), float(p), int(df))

    @property
    def summary(self) -> pd.DataFrame:
        """lifelines' table: ``coef``, ``exp(coef)``, ``se(coef)``, the ``1 − alpha`` intervals of both,
        ``cmp to``, ``z``, ``p`` (two-sided, normal) and ``-log2(p)``, one row per covariate."""
        m = self._fitted()
        t = m.summary(1.0 - self.alpha)
        ci = f"{100 * (1 - self.alpha):g}%"
        p = np.asarray(t["p"])
        with np.errstate(divide="ignore"):
            log2p = -np.log2(p)
        return pd.DataFrame({
            "coef": t["coef"], "exp(coef)": t["exp_coef"], "se(coef)": t["se"],
            f"coef lower {ci}": t["ci_lower"], f"coef upper {ci}": t["ci_upper"],
            f"exp(coef) lower {ci}": t["exp_ci_lower"], f"exp(coef) upper {ci}": t["exp_ci_upper"],
            "cmp to": np.zeros(len(p)), "z": t["z"], "p": p, "-log2(p)": log2p,
        }, index=pd.Index(t["term"], name="covariate"))

    def print_summary(self, decimals: int = 2) -> None:
        """Prints the fit's header, :attr:`summary` and the concordance, partial AIC and likelihood-ratio test."""
        m = self._fitted()
        lines = [repr(self), f"{'duration col':>28} = {self.duration_col!r}"]
        if self.event_col is not None:
            lines.append(f"{'event col':>28} = {self.event_col!r}")
        if self.weights_col is not None:
            lines.append(f"{'weights col':>28} = {self.weights_col!r}")
        if self.strata:
            lines.append(f"{'strata':>28} = {self.strata}")
        if self.l2 > 0:
            lines.append(f"{'l2 (penalizer)':>28} = {self.l2:g}")
        lines += [f"{'baseline estimation':>28} = breslow",
                  f"{'number of observations':>28} = {int(m.rows)}" +
                  ("" if self.weights_col is None else f" (weight sum {m.weight_sum:g})"),
                  f"{'number of events observed':>28} = {int(m.events)}",
                  f"{'partial log-likelihood':>28} = {m.log_likelihood:.{decimals}f}",
                  f"{'status':>28} = {m.status} after {m.iterations} Newton steps", ""]
        table = self.summary.to_string(float_format=lambda v: f"{v:.{decimals}f}")
        lr = self.log_likelihood_ratio_test()
        footer = ["", f"Concordance = {self.concordance_index_:.{decimals}f}",
                  f"Partial AIC = {self.AIC_partial_:.{decimals}f}",
                  f"log-likelihood ratio test = {lr.test_statistic:.{decimals}f} on {lr.degrees_of_freedom} df",
                  f"-log2(p) of ll-ratio test = {-math.log2(lr.p_value) if lr.p_value > 0 else math.inf:.{decimals}f}"]
        print("\n".join([*lines, table, *footer]))

    # ---- the baseline ----

    def _baseline_columns(self, single: str) -> pd.Index:
        return pd.Index([single]) if self._strata_labels is None else self._strata_labels

    def _baseline(self, cumulative: bool) -> np.ndarray:
        hazard = np.asarray(self._fitted().baseline_hazard).T  # times × strata
        return np.cumsum(hazard, axis=0) if cumulative else hazard

    @property
    def baseline_hazard_(self) -> pd.DataFrame:
        """Breslow's baseline hazard at each distinct training duration, for the mean covariate row (one column
        per stratum, 0 where a stratum has no event), as lifelines' ``baseline_hazard_``."""
        m = self._fitted()
        return pd.DataFrame(self._baseline(False), index=pd.Index(np.asarray(m.baseline_times)),
                            columns=self._baseline_columns("baseline hazard"))

    @property
    def baseline_cumulative_hazard_(self) -> pd.DataFrame:
        m = self._fitted()
        return pd.DataFrame(self._baseline(True), index=pd.Index(np.asarray(m.baseline_times)),
                            columns=self._baseline_columns("baseline cumulative hazard"))

    @property
    def baseline_survival_(self) -> pd.DataFrame:
        """``exp(−baseline_cumulative_hazard_)``: the survival of the mean covariate row."""
        m = self._fitted()
        return pd.DataFrame(np.exp(-self._baseline(True)), index=pd.Index(np.asarray(m.baseline_times)),
                            columns=self._baseline_columns("baseline survival"))

    # ---- predictions ----

    def _rows(self, X: Any) -> tuple[np.ndarray, np.ndarray | None, pd.Index]:
        """X's covariates in model order, its stratum codes (None unstratified) and its row labels. A DataFrame
        (or a Series, one row) is read by column name and may hold other columns; a 2-D array is taken in the
        model's column order and cannot carry strata."""
        m = self._fitted()
        names = list(m.feature_names)
        if isinstance(X, pd.Series):
            X = X.to_frame().T.infer_objects()
        if isinstance(X, pd.DataFrame):
            missing = [c for c in names if c not in X.columns]
            if missing:
                raise InvalidInputError(f"{_WHERE}: X lacks the model's covariate(s) {missing}")
            values, _, index = _design(X[names], _WHERE)
            codes = None
            if self.strata:
                keys = _strata_keys(X, self.strata)
                assert self._strata_labels is not None
                found = self._strata_labels.get_indexer(keys)
                if (found < 0).any():
                    row = int(np.flatnonzero(found < 0)[0])
                    raise InvalidInputError(f"{_WHERE}: row {row} of X is in stratum {keys[row]!r}, which the "
                                            f"training data did not have ({list(self._strata_labels)})")
                codes = found.astype(np.int32)
            return values, codes, index
        if self.strata:
            raise InvalidInputError(f"{_WHERE}: the model is stratified by {self.strata}: predict from a DataFrame "
                                    f"holding those columns")
        values, _, index = _design(X, _WHERE)
        return values, None, index

    def predict_log_partial_hazard(self, X: Any) -> pd.Series:
        """``βᵀ(x − x̄)`` per row (R's linear predictor; x̄ the training means)."""
        values, _, index = self._rows(X)
        return pd.Series(self._fitted().log_partial_hazard(values), index=index)

    def predict_partial_hazard(self, X: Any) -> pd.Series:
        """``exp(βᵀ(x − x̄))`` per row."""
        log_hazard = self.predict_log_partial_hazard(X)
        return pd.Series(np.exp(log_hazard.to_numpy()), index=log_hazard.index)

    def _predict(self, X: Any, times: Any, survival: bool) -> pd.DataFrame:
        values, codes, index = self._rows(X)
        m = self._fitted()
        grid = np.asarray(m.baseline_times) if times is None else _floats(np.atleast_1d(times), "times")
        out = m.predict_cumulative_hazard(values, codes, grid, survival)
        return pd.DataFrame(out, index=pd.Index(grid), columns=index)

    def predict_cumulative_hazard(self, X: Any, times: Any = None) -> pd.DataFrame:
        """The cumulative hazard ``H_s(t)·exp(βᵀ(x − x̄))``: one row per time (default: the training durations),
        one column per row of X. Between the baseline's times it is the step function Breslow's estimator is."""
        return self._predict(X, times, False)

    def predict_survival_function(self, X: Any, times: Any = None) -> pd.DataFrame:
        """``exp(−predict_cumulative_hazard(X, times))``: index the times, columns X's rows (lifelines' layout)."""
        return self._predict(X, times, True)
