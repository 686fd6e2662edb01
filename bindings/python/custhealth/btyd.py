"""Buy-till-you-die models (DESIGN §4) over the C++ core (custhealth/btyd/btyd.hpp): the RFM summary of a
transaction log, and maximum-likelihood BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma, BG/BB and
shifted-beta-geometric fits with lifetimes' method names.

Conventions, as lifetimes (0.11) where lifetimes has the model:

- ``fit(frequency, recency, T, weights=None)`` returns ``self``; ``params_`` is a Series with the papers'
  parameter names (Gamma-Gamma's scale is ``gamma``, lifetimes' ``v``); ``standard_errors_``,
  ``variance_matrix_``, ``confidence_intervals_`` and ``summary`` (the inverse Hessian on the log scale, taken
  to the parameters by the delta method: lifetimes' standard errors; its variance matrix is not symmetric off
  the diagonal, this one is); ``log_likelihood_`` is the total
  Σ wᵢ·ℓᵢ in the caller's time unit (lifetimes keeps the mean negative one on its internal scale).
- ``penalizer_coef`` is lifetimes': the penalty ``c·Σθ²`` on the parameters with time measured in units of
  ``max(T)``, added to the mean negative log-likelihood (Pareto/NBD: lifetimes' n-times-weaker form).
- A fit that does not converge warns with :class:`~custhealth.ConvergenceWarning` and keeps the parameters
  it reached (``converged_ = False``, ``status_`` says why: ``max_iter``, ``line_search_failed``, or
  ``singular_hessian`` — the gradient vanished but not at a proper maximum, e.g. a cohort without churn
  whose beta runs off to infinity); it never returns them silently.
- ``Model.from_params(...)`` builds a model from given parameters (published values are stated rounded);
  ``to_json()`` / ``from_json()`` save and load one.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._core import InvalidInputError
from .churn import ConvergenceWarning
from .parallel import resolve_threads

__all__ = ["BetaGeo", "BetaGeoBetaBinom", "GammaGamma", "ModifiedBetaGeo", "ParetoNBD", "ShiftedBetaGeo",
           "rfm_summary"]

_FORMAT = "custhealth.btyd"


def _column(values: Any, name: str, owner: str) -> np.ndarray:
    """A 1-D float64 array (float64 input without a copy); non-numeric input is a clear error."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = np.atleast_1d(arr)
        if arr.ndim != 1:
            raise InvalidInputError(f"{owner}: {name} must be one-dimensional, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InvalidInputError(f"{owner}: {name} must be numeric, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _like(values: Any, name: str, owner: str, n: int) -> np.ndarray:
    """A float64 column of n values: the input itself when it already is one (no copy); a scalar is repeated,
    any other length is an error (never broadcast silently)."""
    if np.ndim(values) == 0:
        return np.full(n, _column(values, name, owner)[0])
    arr = _column(values, name, owner)
    if arr.shape != (n,):
        raise InvalidInputError(f"{owner}: {name} has {arr.shape[0]} values, frequency {n}")
    return arr


def _history(owner: str, frequency: Any, recency: Any, age: Any,
             age_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """frequency, recency and the age column (T or n_periods) of a prediction, as float64 columns of one length."""
    f = _column(frequency, "frequency", owner)
    n = f.shape[0]
    return f, _like(recency, "recency", owner, n), _like(age, age_name, owner, n)


def _index(*values: Any) -> pd.Index | None:
    for v in values:
        if isinstance(v, pd.Series):
            return v.index
    return None


def _result(values: np.ndarray, index: pd.Index | None, name: str) -> Any:
    """A Series on the input's index when the input was a Series, else the array."""
    return pd.Series(values, index=index, name=name) if index is not None else values


class _Fitter:
    """What every BTYD model shares: parameters, the fit's statistics, the summary, JSON."""

    _model = ""
    _name = ""

    n_threads: int | None = None  # threads of the per-customer predictions (the models that take it)
    # The period the fitted rates are per (rfm_summary's freq and freq_multiplier), when known: from the
    # summary frame the columns came from (its attrs), or fit(..., freq=). None: not known.
    freq_: str | None = None
    freq_multiplier_: float = 1.0

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        self.penalizer_coef = float(penalizer_coef)

    def _record_period(self, freq: str | None, *columns: Any) -> None:
        """freq_ / freq_multiplier_ of a fit: an explicit ``freq`` (multiplier 1), else what the columns'
        summary frame recorded (rfm_summary's attrs); refused when the columns disagree."""
        seen = {(a["freq"], float(a.get("freq_multiplier", 1.0)))
                for a in (getattr(c, "attrs", {}) for c in columns) if a.get("freq") is not None}
        if len(seen) > 1:
            raise InvalidInputError(f"{self._name}: the columns come from summaries of different periods: {sorted(seen)}")
        if freq is not None:
            _check_freq(freq, self._name)
            if seen and seen != {(str(freq), 1.0)}:
                raise InvalidInputError(f"{self._name}: freq={freq!r}, but the columns come from a summary in "
                                        f"{sorted(seen)[0]} periods (freq, multiplier); leave freq out")
            seen = {(str(freq), 1.0)}
        self.freq_, self.freq_multiplier_ = seen.pop() if seen else (None, 1.0)

    def _threads(self) -> int:
        return resolve_threads(self.n_threads, self._name)

    # ---- parameters ----------------------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        return list(_core.btyd_parameter_names(cls._model))

    @classmethod
    def from_params(cls, params: Any = None, /, **kwargs: float) -> Any:
        """A model at given parameters, e.g. ``BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)``
        (or a Series / dict with those names); no fit statistics."""
        values = dict(params) if params is not None else {}
        values.update(kwargs)
        names = cls._param_names()
        if sorted(values) != sorted(names):
            raise InvalidInputError(f"{cls._name}: parameters {names} expected, got {sorted(values)}")
        model = cls()
        model._set_params([float(values[n]) for n in names])
        return model

    def _set_params(self, values: list[float]) -> None:
        names = self._param_names()
        for n, v in zip(names, values):
            if not (v > 0 and math.isfinite(v)):
                raise InvalidInputError(f"{self._name}: parameter {n} must be finite and > 0, got {v}")
        self.params_ = pd.Series(values, index=names, dtype=float)

    def _params(self) -> list[float]:
        if not hasattr(self, "params_"):
            raise InvalidInputError(f"{self._name}: not fitted (call fit() or from_params() first)")
        return [float(v) for v in self.params_.to_numpy()]

    def _store_fit(self, fit: dict[str, Any], warn: bool = True) -> None:
        """The parameters and statistics of a fit (from the core, or from a file with ``warn=False``)."""
        names = self._param_names()
        self._set_params([float(v) for v in fit["params"]])
        cov = np.asarray(fit["covariance"], dtype=float)
        self.variance_matrix_ = pd.DataFrame(cov, index=names, columns=names)
        self.standard_errors_ = pd.Series(np.sqrt(np.diag(cov)), index=names)
        self.log_likelihood_ = float(fit["log_likelihood"])
        self.status_ = str(fit["status"])
        self.converged_ = self.status_ == "converged"
        self.n_iter_ = int(fit["iterations"])
        self.gradient_norm_ = float(fit["gradient_norm"])
        self.n_rows_ = int(fit["rows"])
        self.weight_sum_ = float(fit["weight_sum"])
        if warn and not self.converged_:
            why = ("the gradient vanished where the Hessian is not positive definite: no proper maximum, a parameter "
                   "runs off to 0 or infinity" if self.status_ == "singular_hessian" else
                   f"{self.status_} after {self.n_iter_} iterations, gradient {self.gradient_norm_:.3g}")
            warnings.warn(f"{self._name}: the fit did not converge ({why}); the parameters are where it stopped — "
                          f"try penalizer_coef > 0 or other initial_params", ConvergenceWarning, stacklevel=3)

    @property
    def confidence_intervals_(self) -> pd.DataFrame:
        """lifetimes' 95 % intervals, params ± 1.96·se."""
        se = self.standard_errors_
        return pd.DataFrame({"lower 95% bound": self.params_ - 1.96 * se, "upper 95% bound": self.params_ + 1.96 * se})

    @property
    def summary(self) -> pd.DataFrame:
        """coef, se(coef) and the 95 % bounds per parameter, as lifetimes' ``summary``."""
        ci = self.confidence_intervals_
        return pd.DataFrame({"coef": self.params_, "se(coef)": self.standard_errors_,
                             "lower 95% bound": ci["lower 95% bound"], "upper 95% bound": ci["upper 95% bound"]})

    def print_summary(self) -> None:
        print(f"<custhealth.{type(self).__name__}: fitted on {self.n_rows_} rows, "
              f"log-likelihood {self.log_likelihood_:.4f}, {self.status_}>")
        print(self.summary.to_string(float_format=lambda v: f"{v:.4f}"))

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"<custhealth.{type(self).__name__}: not fitted>"
        params = ", ".join(f"{k}: {v:.4f}" for k, v in self.params_.items())
        return f"<custhealth.{type(self).__name__}: {params}>"

    # ---- files ---------------------------------------------------------------------------------------------
    def to_json(self) -> str:
        """The model as JSON: format, model, parameters, penalizer and (after a fit) its statistics."""
        doc: dict[str, Any] = {"format": _FORMAT, "version": 1, "model": self._model,
                               "params": {k: float(v) for k, v in self.params_.items()},
                               "penalizer_coef": self.penalizer_coef}
        if self.freq_ is not None:
            doc["period"] = {"freq": self.freq_, "multiplier": self.freq_multiplier_}
        if hasattr(self, "log_likelihood_"):
            doc["fit"] = {"log_likelihood": self.log_likelihood_, "status": self.status_, "iterations": self.n_iter_,
                          "gradient_norm": self.gradient_norm_, "rows": self.n_rows_, "weight_sum": self.weight_sum_,
                          "covariance": self.variance_matrix_.to_numpy().tolist()}
        return json.dumps(doc, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Any:
        """A model written by :meth:`to_json` (of this class, or of any BTYD class through ``_Fitter``)."""
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise InvalidInputError(f"not a {_FORMAT} file (format {doc.get('format') if isinstance(doc, dict) else None!r})")
        if doc.get("version") != 1:
            raise InvalidInputError(f"{_FORMAT}: version {doc.get('version')!r} is not supported (1 is)")
        target = _MODELS.get(doc.get("model", ""))
        if target is None or (cls is not _Fitter and target is not cls):
            raise InvalidInputError(f"{_FORMAT}: model {doc.get('model')!r} is not a {cls.__name__}")
        model = target.from_params(doc["params"])
        model.penalizer_coef = float(doc.get("penalizer_coef", 0.0))
        if doc.get("period"):
            _check_freq(doc["period"]["freq"], f"{_FORMAT}: period")
            model.freq_, model.freq_multiplier_ = str(doc["period"]["freq"]), float(doc["period"].get("multiplier", 1.0))
        if doc.get("fit"):
            model._store_fit({**doc["fit"], "params": model.params_.to_numpy()}, warn=False)
        return model

    def _fit(self, frequency: Any, recency: Any, T: Any, monetary: Any, weights: Any, initial_params: Any,
             tol: float, max_iter: int) -> None:
        def col(v: Any, name: str) -> np.ndarray | None:
            return None if v is None else _column(v, name, self._name)

        initial = None
        if initial_params is not None:
            if isinstance(initial_params, (dict, pd.Series)):  # by name, whatever the order
                names = self._param_names()
                if sorted(initial_params.keys()) != sorted(names):
                    raise InvalidInputError(f"{self._name}: initial_params needs {names}, got {sorted(initial_params.keys())}")
                initial = [float(initial_params[n]) for n in names]
            else:
                initial = [float(v) for v in initial_params]
        self._store_fit(_core.btyd_fit(self._model, col(frequency, "frequency"), col(recency, "recency"), col(T, "T"),
                                       col(monetary, "monetary_value"), col(weights, "weights"),
                                       penalizer=self.penalizer_coef, max_iter=max_iter, tol=tol, initial=initial))


class _Counting(_Fitter):
    """BG/NBD, MBG/NBD and Pareto/NBD: repeat purchases in continuous time."""

    def __init__(self, penalizer_coef: float = 0.0, *, n_threads: int | None = None) -> None:
        """``n_threads``: threads of P(alive) and the conditional expectations over blocks of customers
        (default ``ch.get_num_threads()``; the same bits for any count)."""
        super().__init__(penalizer_coef)
        self.n_threads = n_threads

    def fit(self, frequency: Any, recency: Any, T: Any, weights: Any = None, initial_params: Any = None,
            tol: float = 1e-9, max_iter: int = 500, *, freq: str | None = None) -> Any:
        """Fit to one row per customer: frequency (repeat purchases), recency (first to last purchase), T (first
        purchase to the end of observation), in one time unit; ``weights`` counts customers per row.

        The time unit is recorded as ``freq_`` (saved by :meth:`to_json`; ``ch.signals(btyd=...)`` counts
        payments in it): the ``freq`` of the :func:`rfm_summary` the columns come from, or ``freq=`` here
        for plain arrays (None when neither says)."""
        self._record_period(freq, frequency, recency, T)
        self._fit(frequency, recency, T, None, weights, initial_params, tol, max_iter)
        self.data = pd.DataFrame({"frequency": frequency, "recency": recency, "T": T,
                                  "weights": 1 if weights is None else weights}, index=_index(frequency, recency, T))
        return self

    def _rows(self, frequency: Any, recency: Any, T: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _history(self._name, frequency, recency, T, "T")

    def log_likelihood(self, frequency: Any, recency: Any, T: Any, weights: Any = None) -> float:
        """Σ wᵢ·ℓᵢ of these rows at the model's parameters (the fit's ``log_likelihood_`` on its data)."""
        f, r, t = self._rows(frequency, recency, T)
        w = None if weights is None else _column(weights, "weights", self._name)
        rows = _core.btyd_log_likelihood_rows(self._model, self._params(), f, r, t, None, w)
        return float(np.sum(rows if w is None else rows * w))

    def conditional_probability_alive(self, frequency: Any, recency: Any, T: Any) -> Any:
        """P(alive at T | x, tₓ, T) per customer."""
        f, r, t = self._rows(frequency, recency, T)
        return _result(_core.btyd_p_alive(self._model, self._params(), f, r, t, 0.0, self._threads()),
                       _index(frequency), "p_alive")

    def conditional_expected_number_of_purchases_up_to_time(self, t: float, frequency: Any, recency: Any,
                                                            T: Any) -> Any:
        """E[purchases in (T, T + t] | x, tₓ, T] per customer."""
        f, r, tt = self._rows(frequency, recency, T)
        out = _core.btyd_conditional_expected(self._model, self._params(), float(t), f, r, tt, self._threads())
        return _result(out, _index(frequency), "expected_purchases")

    def expected_number_of_purchases_up_to_time(self, t: Any) -> Any:
        """E[X(t)], the expected repeat purchases of a new customer by t (scalar or array)."""
        tt = _column(t, "t", self._name)
        out = _core.btyd_expected(self._model, self._params(), tt)
        return float(out[0]) if np.ndim(t) == 0 else _result(out, _index(t), "expected_purchases")

    # ---- matrices and plots ---------------------------------------------------------------------------------
    def _grid(self, max_frequency: int | None, max_recency: int | None) -> tuple[np.ndarray, np.ndarray, int]:
        """Every (frequency, recency) cell up to the maxima (default: the fitted data's), for a customer of age
        max_recency; impossible histories (repeat purchases at recency 0, or recency without them) are masked."""
        if max_frequency is None or max_recency is None:
            if not hasattr(self, "data"):
                raise InvalidInputError(f"{self._name}: give max_frequency and max_recency (no fitted data)")
        mf = int(self.data["frequency"].max()) if max_frequency is None else int(max_frequency)
        mr = int(self.data["T"].max()) if max_recency is None else int(max_recency)
        recency, frequency = np.meshgrid(np.arange(mr + 1, dtype=float), np.arange(mf + 1, dtype=float), indexing="ij")
        return frequency.ravel(), recency.ravel(), mr

    def _matrix(self, values: np.ndarray, frequency: np.ndarray, recency: np.ndarray, mr: int) -> pd.DataFrame:
        shape = (mr + 1, int(frequency.max()) + 1)
        return pd.DataFrame(values.reshape(shape), index=pd.RangeIndex(shape[0], name="recency"),
                            columns=pd.RangeIndex(shape[1], name="frequency"))

    def _on_grid(self, what: str, t: float, max_frequency: int | None, max_recency: int | None) -> pd.DataFrame:
        f, r, mr = self._grid(max_frequency, max_recency)
        ok = (f == 0) == (r == 0)
        out = np.full(f.shape, np.nan)
        T = np.full(int(ok.sum()), float(mr))
        if what == "p_alive":
            out[ok] = _core.btyd_p_alive(self._model, self._params(), f[ok], r[ok], T, 0.0, self._threads())
        else:
            out[ok] = _core.btyd_conditional_expected(self._model, self._params(), float(t), f[ok], r[ok], T,
                                                      self._threads())
        return self._matrix(out, f, r, mr)

    def conditional_probability_alive_matrix(self, max_frequency: int | None = None,
                                             max_recency: int | None = None) -> pd.DataFrame:
        """P(alive) of a customer of age ``max_recency`` for every (recency, frequency) up to the maxima: rows
        recency, columns frequency (lifetimes' matrix); NaN for impossible histories."""
        return self._on_grid("p_alive", 0.0, max_frequency, max_recency)

    def frequency_recency_matrix(self, t: float = 1, max_frequency: int | None = None,
                                 max_recency: int | None = None) -> pd.DataFrame:
        """Expected purchases in the next ``t`` for every (recency, frequency) of a customer of age
        ``max_recency``: what lifetimes' ``plot_frequency_recency_matrix`` draws."""
        return self._on_grid("expected", t, max_frequency, max_recency)

    def plot_frequency_recency_matrix(self, t: float = 1, max_frequency: int | None = None,
                                      max_recency: int | None = None, ax: Any = None) -> Any:
        """A heat map of :meth:`frequency_recency_matrix`. Returns the matplotlib Axes."""
        return _heat_map(self.frequency_recency_matrix(t, max_frequency, max_recency), ax,
                         f"{self._name}: expected purchases in the next {t:g}", "expected purchases")

    def plot_probability_alive_matrix(self, max_frequency: int | None = None, max_recency: int | None = None,
                                      ax: Any = None) -> Any:
        """A heat map of :meth:`conditional_probability_alive_matrix`. Returns the matplotlib Axes."""
        return _heat_map(self.conditional_probability_alive_matrix(max_frequency, max_recency), ax,
                         f"{self._name}: probability alive", "P(alive)")

    def calibration_vs_holdout(self, summary: pd.DataFrame, n: int = 7) -> pd.DataFrame:
        """Per calibration frequency (the first ``n``): the mean holdout purchases and the model's mean
        prediction for the holdout's duration, from ``rfm_summary(..., calibration_end=...)``'s frame — the
        numbers of lifetimes' ``plot_calibration_purchases_vs_holdout_purchases``."""
        need = ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"]
        lacking = [c for c in need if c not in summary.columns]
        if lacking:
            raise InvalidInputError(f"{self._name}: the summary lacks {lacking} (use rfm_summary(..., calibration_end=))")
        predicted = self.conditional_expected_number_of_purchases_up_to_time(
            float(summary["duration_holdout"].iloc[0]), summary["frequency_cal"], summary["recency_cal"],
            summary["T_cal"])
        table = pd.DataFrame({"frequency_cal": summary["frequency_cal"].to_numpy(),
                              "actual": summary["frequency_holdout"].to_numpy(),
                              "predicted": np.asarray(predicted, dtype=float)})
        return table.groupby("frequency_cal")[["actual", "predicted"]].mean().iloc[:n]

    def plot_calibration_purchases_vs_holdout_purchases(self, summary: pd.DataFrame, n: int = 7,
                                                        ax: Any = None) -> Any:
        """Mean holdout purchases, actual and predicted, by calibration frequency (:meth:`calibration_vs_holdout`).
        Returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        table = self.calibration_vs_holdout(summary, n)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        ax.plot(table.index, table["actual"], marker="o", label="actual")
        ax.plot(table.index, table["predicted"], marker="o", label=f"{self._name} prediction")
        ax.set_xlabel("purchases in the calibration period")
        ax.set_ylabel("mean purchases in the holdout period")
        ax.set_title("Calibration vs holdout purchases")
        ax.legend()
        return ax

    def predict(self, t: float, frequency: Any, recency: Any, T: Any) -> Any:
        """lifetimes' ``predict``: the conditional expectation."""
        return self.conditional_expected_number_of_purchases_up_to_time(t, frequency, recency, T)

    # DESIGN §5's short names.
    def p_alive(self, frequency: Any, recency: Any, T: Any) -> Any:
        """Short for :meth:`conditional_probability_alive`."""
        return self.conditional_probability_alive(frequency, recency, T)

    def expected_purchases(self, t: Any, frequency: Any = None, recency: Any = None, T: Any = None) -> Any:
        """With a history: :meth:`conditional_expected_number_of_purchases_up_to_time`; without:
        :meth:`expected_number_of_purchases_up_to_time`."""
        if frequency is None:
            return self.expected_number_of_purchases_up_to_time(t)
        return self.conditional_expected_number_of_purchases_up_to_time(t, frequency, recency, T)


class _BetaGeoFamily(_Counting):
    def probability_of_n_purchases_up_to_time(self, t: Any, n: int) -> Any:
        """P(X(t) = n) for a new customer."""
        tt = _column(t, "t", self._name)
        if isinstance(n, bool) or not float(n).is_integer():
            raise InvalidInputError(f"{self._name}: n must be a whole number, got {n!r}")
        out = _core.btyd_probability(self._model, self._params(), tt, int(n))
        return float(out[0]) if np.ndim(t) == 0 else out


class BetaGeo(_BetaGeoFamily):
    """BG/NBD (Fader, Hardie & Lee 2005): Poisson purchases at a gamma-distributed rate (r, alpha), dropout
    after any purchase with a beta-distributed probability (a, b). lifetimes' ``BetaGeoFitter``."""

    _model = "bg_nbd"
    _name = "BetaGeo"


class ModifiedBetaGeo(_BetaGeoFamily):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD whose customers may also drop out right after
    their first purchase. lifetimes' ``ModifiedBetaGeoFitter``."""

    _model = "mbg_nbd"
    _name = "ModifiedBetaGeo"


class ParetoNBD(_Counting):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987): gamma-distributed purchase rates (r, alpha) and
    exponential lifetimes with gamma-distributed dropout rates (s, beta). lifetimes' ``ParetoNBDFitter``."""

    _model = "pareto_nbd"
    _name = "ParetoNBD"


class GammaGamma(_Fitter):
    """Gamma-Gamma spend (Fader, Hardie & Lee 2005, JMR): a customer's mean transaction value, for
    customers with repeat purchases. lifetimes' ``GammaGammaFitter`` (its ``v`` is ``gamma`` here)."""

    _model = "gamma_gamma"
    _name = "GammaGamma"

    def fit(self, frequency: Any, monetary_value: Any, weights: Any = None, initial_params: Any = None,
            tol: float = 1e-9, max_iter: int = 500) -> GammaGamma:
        """Fit to customers with frequency > 0 and their mean repeat-purchase value (> 0)."""
        self._fit(frequency, None, None, monetary_value, weights, initial_params, tol, max_iter)
        self.data = pd.DataFrame({"monetary_value": monetary_value, "frequency": frequency,
                                  "weights": 1 if weights is None else weights}, index=_index(frequency, monetary_value))
        return self

    def conditional_expected_average_profit(self, frequency: Any = None, monetary_value: Any = None) -> Any:
        """E[mean spend | x, m̄] = p(γ + x·m̄)/(px + q − 1) per customer (the fitted data when no arguments);
        x = 0 gets the population mean pγ/(q − 1), NaN when q ≤ 1 (that mean is infinite)."""
        if frequency is None:
            frequency, monetary_value = self.data["frequency"], self.data["monetary_value"]
        f = _column(frequency, "frequency", self._name)
        m = _like(monetary_value, "monetary_value", self._name, f.shape[0])
        out = _core.btyd_expected_average_profit(self._params(), f, m)
        return _result(out, _index(frequency, monetary_value), "expected_average_profit")

    def customer_lifetime_value(self, transaction_prediction_model: Any, frequency: Any, recency: Any, T: Any,
                                monetary_value: Any, time: int = 12, discount_rate: float = 0.01,
                                freq: str = "D") -> Any:
        """Discounted expected value over ``time`` months, as lifetimes: for each month k = 1..time, the expected
        purchases in month k (the transaction model's conditional expectation, with ``freq`` the unit of T:
        "D" 30 per month, "W" 4.345, "M" 1, "H" 720) times the expected spend, divided by
        (1 + discount_rate)^k."""
        factor = {"W": 4.345, "M": 1.0, "D": 30.0, "H": 30.0 * 24}.get(freq)
        if factor is None:
            raise InvalidInputError(f"GammaGamma: freq must be one of D, W, M, H, got {freq!r}")
        spend = np.asarray(self.conditional_expected_average_profit(frequency, monetary_value), dtype=float)
        clv = np.zeros_like(spend)
        previous = np.zeros_like(spend)
        for k in range(1, int(time) + 1):
            cumulative = np.asarray(transaction_prediction_model.predict(k * factor, frequency, recency, T), dtype=float)
            clv += spend * (cumulative - previous) / (1 + discount_rate) ** k
            previous = cumulative
        return _result(clv, _index(frequency, monetary_value), "clv")


class BetaGeoBetaBinom(_Fitter):
    """BG/BB (Fader, Hardie & Shang 2010): purchase or not at each of n discrete opportunities, with
    beta-distributed purchase (alpha, beta) and dropout (gamma, delta) probabilities. lifetimes'
    ``BetaGeoBetaBinomFitter``."""

    _model = "bg_bb"
    _name = "BetaGeoBetaBinom"

    def __init__(self, penalizer_coef: float = 0.0, *, n_threads: int | None = None) -> None:
        """``n_threads``: threads of P(alive) and the conditional expectations over blocks of customers
        (default ``ch.get_num_threads()``; the same bits for any count)."""
        super().__init__(penalizer_coef)
        self.n_threads = n_threads

    def fit(self, frequency: Any, recency: Any, n_periods: Any, weights: Any = None, initial_params: Any = None,
            tol: float = 1e-9, max_iter: int = 500) -> BetaGeoBetaBinom:
        """Fit to (x purchases, tₓ the last one's opportunity, n opportunities) rows, whole numbers; ``weights``
        counts customers per row (a compressed table)."""
        self._fit(frequency, recency, n_periods, None, weights, initial_params, tol, max_iter)
        self.data = pd.DataFrame({"frequency": frequency, "recency": recency, "n_periods": n_periods,
                                  "weights": 1 if weights is None else weights})
        return self

    def _rows(self, frequency: Any, recency: Any, n_periods: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _history(self._name, frequency, recency, n_periods, "n_periods")

    def conditional_probability_alive(self, m_periods_in_future: float, frequency: Any, recency: Any,
                                      n_periods: Any) -> Any:
        """P(alive at opportunity n + m | x, tₓ, n) (lifetimes' argument order)."""
        f, r, n = self._rows(frequency, recency, n_periods)
        out = _core.btyd_p_alive(self._model, self._params(), f, r, n, float(m_periods_in_future), self._threads())
        return _result(out, _index(frequency), "p_alive")

    def conditional_expected_number_of_purchases_up_to_time(self, m_periods_in_future: float, frequency: Any,
                                                            recency: Any, n_periods: Any) -> Any:
        """E[purchases in the next m opportunities | x, tₓ, n]."""
        f, r, n = self._rows(frequency, recency, n_periods)
        out = _core.btyd_conditional_expected(self._model, self._params(), float(m_periods_in_future), f, r, n,
                                              self._threads())
        return _result(out, _index(frequency), "expected_purchases")

    def expected_number_of_purchases_up_to_time(self, n: Any) -> Any:
        """E[X(n)], the expected purchases of a new customer in the first n opportunities."""
        out = _core.btyd_expected(self._model, self._params(), _column(n, "n", self._name))
        return float(out[0]) if np.ndim(n) == 0 else out

    def p_alive(self, frequency: Any, recency: Any, n_periods: Any, m_periods_in_future: float = 0) -> Any:
        """Short for :meth:`conditional_probability_alive`."""
        return self.conditional_probability_alive(m_periods_in_future, frequency, recency, n_periods)

    def expected_purchases(self, t: Any, frequency: Any = None, recency: Any = None, n_periods: Any = None) -> Any:
        """With a history, the conditional expectation over the next t opportunities; without, E[X(t)]."""
        if frequency is None:
            return self.expected_number_of_purchases_up_to_time(t)
        return self.conditional_expected_number_of_purchases_up_to_time(t, frequency, recency, n_periods)


class ShiftedBetaGeo(_Fitter):
    """Shifted-beta-geometric (Fader & Hardie 2007): contract renewals of a cohort, each customer churning at a
    renewal with a beta-distributed probability (alpha, beta); fitted to the counts still active after each
    period."""

    _model = "sbg"
    _name = "ShiftedBetaGeo"

    def fit(self, alive: Any, initial_params: Any = None, tol: float = 1e-9, max_iter: int = 500) -> ShiftedBetaGeo:
        """``alive[t]``: customers still active after t periods (alive[0] the cohort's size), non-increasing."""
        a = _column(alive, "alive", self._name)
        initial = None if initial_params is None else [float(v) for v in initial_params]
        self._store_fit(_core.btyd_fit_sbg(a, penalizer=self.penalizer_coef, max_iter=max_iter, tol=tol,
                                           initial=initial))
        self.data = pd.Series(a, name="alive")
        return self

    def survival_function(self, t: Any) -> Any:
        """S(t) = P(still a customer after t periods) = B(alpha, beta + t)/B(alpha, beta)."""
        out = _core.btyd_sbg_survival(self._params(), _column(t, "t", self._name))
        return float(out[0]) if np.ndim(t) == 0 else out

    def retention_rate(self, t: Any) -> Any:
        """r(t) = S(t)/S(t − 1) = (beta + t − 1)/(alpha + beta + t − 1), t ≥ 1."""
        out = _core.btyd_sbg_retention(self._params(), _column(t, "t", self._name))
        return float(out[0]) if np.ndim(t) == 0 else out

    @classmethod
    def fit_cohorts(cls, counts: pd.DataFrame, penalizer_coef: float = 0.0) -> pd.DataFrame:
        """One fit per cohort of a survivor table — rows cohorts, columns period offsets 0, 1, … (e.g.
        ``ch.cohort_retention(ds, mode="on_or_after", cohort_by="start").counts``), each row read up to its
        last observed (non-NaN) offset. Columns: ``alpha``, ``beta``, their standard errors ``se_alpha``,
        ``se_beta``, ``log_likelihood``, ``status`` (``too_few_periods`` for a row with under two observed
        offsets or no customers: its parameters NaN), ``size`` and ``periods`` (offsets fitted). One
        :class:`ConvergenceWarning` names the cohorts whose fit did not converge (e.g. no churn at all)."""
        if not isinstance(counts, pd.DataFrame):
            raise InvalidInputError(f"ShiftedBetaGeo.fit_cohorts: expected a DataFrame, got {type(counts).__name__}")
        rows = []
        for cohort, values in counts.iterrows():
            alive = values.to_numpy(dtype=float)
            observed = np.flatnonzero(~np.isnan(alive))
            n = observed[-1] + 1 if observed.size else 0
            row: dict[str, Any] = {"cohort": cohort, "size": alive[0] if n else np.nan, "periods": max(n - 1, 0)}
            if n < 2 or not alive[0] > 0 or np.isnan(alive[:n]).any():
                row.update(alpha=np.nan, beta=np.nan, se_alpha=np.nan, se_beta=np.nan, log_likelihood=np.nan,
                           status="too_few_periods")
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    m = cls(penalizer_coef).fit(alive[:n])
                row.update(alpha=m.params_["alpha"], beta=m.params_["beta"], se_alpha=m.standard_errors_["alpha"],
                           se_beta=m.standard_errors_["beta"], log_likelihood=m.log_likelihood_, status=m.status_)
            rows.append(row)
        out = pd.DataFrame(rows, columns=["cohort", "alpha", "beta", "se_alpha", "se_beta", "log_likelihood", "status",
                                          "size", "periods"]).set_index("cohort")
        out.index.name = counts.index.name
        failed = out.index[~out["status"].isin(["converged", "too_few_periods"])]
        if len(failed):
            warnings.warn(f"ShiftedBetaGeo.fit_cohorts: {len(failed)} cohort fit(s) did not converge "
                          f"({', '.join(map(str, failed[:5]))}{', …' if len(failed) > 5 else ''}); their parameters are "
                          "where the fit stopped (a cohort without churn has no finite maximum)",
                          ConvergenceWarning, stacklevel=2)
        return out

    @staticmethod
    def project_cohorts(fits: pd.DataFrame, periods: int) -> pd.DataFrame:
        """Expected customers still active per cohort (rows) after 0..periods periods (columns), from
        :meth:`fit_cohorts`' parameters and sizes; NaN rows where a cohort has no fit."""
        t = np.arange(int(periods) + 1, dtype=float)
        out = np.full((len(fits), t.size), np.nan)
        for i, (alpha, beta, size) in enumerate(fits[["alpha", "beta", "size"]].to_numpy(dtype=float)):
            if np.isfinite(alpha) and np.isfinite(beta):
                out[i] = size * _core.btyd_sbg_survival([alpha, beta], t)
        return pd.DataFrame(out, index=fits.index, columns=pd.RangeIndex(t.size, name="offset"))

    def predict_alive(self, periods: int, cohort_size: float | None = None) -> pd.Series:
        """Expected customers still active after 0..periods periods (a cohort of the fitted size by default)."""
        if cohort_size is None and not hasattr(self, "data"):
            raise InvalidInputError("ShiftedBetaGeo: give cohort_size (a model from parameters has no fitted cohort)")
        size = float(self.data.iloc[0]) if cohort_size is None else float(cohort_size)
        t = np.arange(int(periods) + 1, dtype=float)
        return pd.Series(size * self.survival_function(t), index=pd.Index(t.astype(int), name="period"), name="alive")


def _heat_map(matrix: pd.DataFrame, ax: Any, title: str, label: str) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    image = ax.imshow(matrix.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel("frequency (repeat purchases)")
    ax.set_ylabel("recency (age at the last purchase)")
    ax.set_title(title)
    return ax


_MODELS: dict[str, Any] = {cls._model: cls for cls in
                           (BetaGeo, ModifiedBetaGeo, ParetoNBD, GammaGamma, BetaGeoBetaBinom, ShiftedBetaGeo)}


# ---- the RFM summary -------------------------------------------------------------------------------------------

def rfm_summary(transactions: Any, customer_col: str = "account_id", time_col: str = "timestamp",
                value_col: str | None = None, observation_end: Any = None, freq: str = "W",
                calibration_end: Any = None, *, freq_multiplier: float = 1, datetime_format: str | None = None,
                table: str = "payments", currency: str | None = None) -> pd.DataFrame:
    """One row per customer from a transaction log, as lifetimes' ``summary_data_from_transaction_data``:
    transactions collapse to one per customer and period of ``freq`` (their values summed); ``frequency`` is
    the number of repeat periods, ``recency`` last − first period, ``T`` observation end − first period, in
    periods / ``freq_multiplier``; ``monetary_value`` the mean of the repeat periods' values (0 without).
    Rows after ``observation_end`` (default: the last transaction) are outside the summary.

    With ``calibration_end``: lifetimes' ``calibration_and_holdout_data`` — the summary up to that date
    (columns ``*_cal``), and per customer the holdout's purchase periods ``frequency_holdout``, mean value
    ``monetary_value_holdout`` and ``duration_holdout``.

    ``transactions`` may be a :class:`~custhealth.Dataset`: ``table="payments"`` takes its successful payments
    (``amount`` as the value when ``value_col`` is None; one ``currency`` must be chosen when there are
    several) and ``table="usage"`` its events.
    """
    from .dataset import Dataset

    if isinstance(transactions, Dataset):
        transactions, value_col = _dataset_transactions(transactions, table, value_col, currency)
        customer_col, time_col = "account_id", "timestamp"
    if not isinstance(transactions, pd.DataFrame):
        raise InvalidInputError(f"rfm_summary: transactions must be a DataFrame or a Dataset, got {type(transactions).__name__}")
    for col in [customer_col, time_col] + ([value_col] if value_col else []):
        if col not in transactions.columns:
            raise InvalidInputError(f"rfm_summary: no column {col!r} (columns: {list(transactions.columns)})")
    if freq_multiplier is None or not (float(freq_multiplier) > 0 and np.isfinite(float(freq_multiplier))):
        raise InvalidInputError(f"rfm_summary: freq_multiplier must be finite and > 0, got {freq_multiplier!r}")
    raw_times = transactions[time_col]
    if pd.api.types.is_numeric_dtype(raw_times) and not pd.api.types.is_bool_dtype(raw_times):
        # pandas would read integers as nanoseconds since 1970 and put every row on one day.
        raise InvalidInputError(f"rfm_summary: column {time_col!r} is numeric ({raw_times.dtype}); give datetimes, "
                                "or text with datetime_format= (e.g. '%Y%m%d')")
    _check_freq(freq, "rfm_summary")
    try:
        times = pd.to_datetime(raw_times, format=datetime_format)
    except (ValueError, TypeError) as err:
        raise InvalidInputError(f"rfm_summary: column {time_col!r}: {err}") from None
    _no_missing(times.isna().to_numpy(), time_col)
    _no_missing(transactions[customer_col].isna().to_numpy(), customer_col)
    values = None
    if value_col:
        try:
            values = pd.to_numeric(transactions[value_col]).to_numpy(dtype=float)
        except (ValueError, TypeError) as err:
            raise InvalidInputError(f"rfm_summary: column {value_col!r} is not numeric: {err}") from None
        _no_missing(~np.isfinite(values), value_col)
    end = times.max() if observation_end is None else pd.Timestamp(observation_end)
    if pd.isna(end):
        raise InvalidInputError("rfm_summary: no transactions (empty input)")
    if calibration_end is None:
        return _with_period(_summary(transactions[customer_col], times, values, end, freq, freq_multiplier), freq,
                            freq_multiplier)
    cal_end = pd.Timestamp(calibration_end)
    if cal_end > end:
        raise InvalidInputError(f"rfm_summary: calibration_end {cal_end} is after observation_end {end}")
    in_cal = (times <= cal_end).to_numpy()
    cal = _summary(transactions[customer_col][in_cal], times[in_cal], None if values is None else values[in_cal],
                   cal_end, freq, freq_multiplier)
    cal.columns = [c + "_cal" for c in cal.columns]
    in_hold = ((times > cal_end) & (times <= end)).to_numpy()
    if not in_hold.any():
        raise InvalidInputError(f"rfm_summary: no transactions after calibration_end {cal_end} up to {end}")
    hold_ids = transactions[customer_col][in_hold].to_numpy()
    hold_periods = _period_ordinals(times[in_hold], freq)
    hold = pd.DataFrame({"id": hold_ids, "p": hold_periods})
    out = cal.copy()
    out["frequency_holdout"] = hold.drop_duplicates().groupby("id", sort=False).size().reindex(out.index).fillna(0).astype(float)
    if values is not None:
        hold["v"] = values[in_hold]
        out["monetary_value_holdout"] = hold.groupby("id", sort=False)["v"].mean().reindex(out.index).fillna(0.0)
    out["duration_holdout"] = (end.to_period(freq).ordinal - cal_end.to_period(freq).ordinal) / freq_multiplier
    return _with_period(out, freq, freq_multiplier)


def _with_period(summary: pd.DataFrame, freq: str, multiplier: float) -> pd.DataFrame:
    """The summary with its time unit in ``attrs`` (``freq``, ``freq_multiplier``), which its columns
    carry to a model's fit (``freq_``)."""
    summary.attrs.update(freq=freq, freq_multiplier=float(multiplier))
    return summary


def _check_freq(freq: Any, owner: str) -> None:
    try:
        pd.Period("2000-01-01", freq=freq)
    except (ValueError, TypeError):
        raise InvalidInputError(f"{owner}: freq {freq!r} is not a pandas period frequency (D, W, M, ...)") from None


def _no_missing(bad: np.ndarray, column: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"rfm_summary: column {column!r} row {row}: missing or not finite "
                                f"({int(bad.sum())} such rows)")


def _period_ordinals(times: pd.Series, freq: str) -> np.ndarray:
    """The ordinal of each time's period of ``freq`` (consecutive periods differ by 1)."""
    return np.asarray(pd.PeriodIndex(times.dt.to_period(freq)).asi8)


def _summary(ids: pd.Series, times: pd.Series, values: np.ndarray | None, end: pd.Timestamp, freq: str,
             freq_multiplier: float) -> pd.DataFrame:
    periods = _period_ordinals(times, freq)
    end_period = end.to_period(freq).ordinal
    keep = periods <= end_period
    if not keep.any():
        raise InvalidInputError(f"rfm_summary: no transactions up to {end} (the observation or calibration end)")
    codes, uniques = pd.factorize(ids.to_numpy()[keep], sort=True)
    periods = periods[keep]
    order = np.lexsort((periods, codes))
    c, p = codes[order], periods[order]
    new_pair = np.ones(c.shape[0], dtype=bool)
    new_pair[1:] = (c[1:] != c[:-1]) | (p[1:] != p[:-1])
    pair_c, pair_p = c[new_pair], p[new_pair]
    n = len(uniques)
    first = np.ones(pair_c.shape[0], dtype=bool)
    first[1:] = pair_c[1:] != pair_c[:-1]
    last = np.ones(pair_c.shape[0], dtype=bool)
    last[:-1] = pair_c[1:] != pair_c[:-1]
    count = np.bincount(pair_c, minlength=n)
    lo, hi = pair_p[first], pair_p[last]
    out = pd.DataFrame({"frequency": (count - 1).astype(float),
                        "recency": (hi - lo) / freq_multiplier,
                        "T": (end_period - lo) / freq_multiplier},
                       index=pd.Index(uniques, name=ids.name))
    if values is not None:
        pair_v = np.bincount(np.cumsum(new_pair) - 1, weights=values[keep][order])
        repeat = np.bincount(pair_c[~first], weights=pair_v[~first], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["monetary_value"] = np.where(count > 1, repeat / np.maximum(count - 1, 1), 0.0)
    return out


def _dataset_transactions(ds: Any, table: str, value_col: str | None,
                          currency: str | None) -> tuple[pd.DataFrame, str | None]:
    if table == "usage":
        frame = ds.table("usage")
        return frame, value_col
    if table != "payments":
        raise InvalidInputError(f"rfm_summary: table must be 'payments' or 'usage', got {table!r}")
    frame = ds.table("payments")
    frame = frame[(frame["type"] == "payment").to_numpy()]
    value_col = "amount" if value_col is None else value_col
    currencies = sorted(frame["currency"].astype(str).unique())
    if currency is not None:
        frame = frame[(frame["currency"].astype(str) == currency).to_numpy()]
    elif len(currencies) > 1:
        raise InvalidInputError(f"rfm_summary: the payments are in {len(currencies)} currencies ({', '.join(currencies)}); "
                                f"pass currency= to summarise one (values in different currencies do not average)")
    return frame, value_col
