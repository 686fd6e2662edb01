"""Survival analysis for Python users: Kaplan–Meier curves and log-rank tests over the C++ core
(custhealth/retention/kaplan_meier.hpp, logrank.hpp), with lifelines' names and conventions, and account tenures."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import _core
from ._core import InvalidInputError
from ._convert import moment, one_dimensional
from ._plotting import pyplot
from .parallel import resolve_threads
from .retention import _dataset, _seconds

__all__ = ["KaplanMeier", "LogRankResult", "PairwiseLogRankResult", "add_at_risk_counts", "logrank_test",
           "multivariate_logrank_test", "pairwise_logrank_test", "release_survival_buffers", "tenure_survival"]


# ---- conversions at the edge: validate shapes and flags here, values in the core ----

def _float_array(values: Any, name: str) -> np.ndarray:
    """float64 values for the core. float64 arrays and Series pass through untouched (the core then
    reads their memory in place); integers are converted; timedeltas become days."""
    arr = one_dimensional(values, name)
    if arr.dtype == np.float64:
        return arr
    if np.issubdtype(arr.dtype, np.timedelta64):
        return arr / np.timedelta64(1, "D")  # NaT → NaN, which the core rejects
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == object):
        raise InvalidInputError(f"{name} must be numeric, got dtype {arr.dtype}")
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise InvalidInputError(f"{name} must be numeric: {err}") from None


def _event_array(values: Any, n: int, name: str) -> np.ndarray:
    """Event flags as uint8 0/1. A bool array is reinterpreted in place (numpy stores True as 1);
    other numeric flags must be exactly 0 or 1 — 2, 0.5 or NaN is an error, never a silent cast."""
    if values is None:
        return np.ones(n, dtype=np.uint8)  # lifelines: every subject observed
    arr = one_dimensional(values, name)
    if arr.dtype == bool:
        return arr.view(np.uint8)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise InvalidInputError(f"{name} must hold 0/1 or booleans: {err}") from None
    if not np.issubdtype(arr.dtype, np.number):
        raise InvalidInputError(f"{name} must hold 0/1 or booleans, got dtype {arr.dtype}")
    bad = ~((arr == 0) | (arr == 1))
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidInputError(f"{name}[{i}]: event flag must be 0 or 1, got {arr[i].item()!r}")
    return arr.astype(np.uint8, copy=False)


def _optional_floats(values: Any, name: str) -> np.ndarray | None:
    return None if values is None else _float_array(values, name)


# ---- Kaplan–Meier ----

class KaplanMeier:
    """Kaplan–Meier estimate of a survival function, as lifelines' ``KaplanMeierFitter``.

    ``S(t) = Π_{tᵢ ≤ t} (1 − dᵢ/nᵢ)`` over the distinct event times (Kaplan & Meier 1958), with
    right censoring, optional late entry (left truncation) and case weights; Greenwood's variance
    and the exponential-Greenwood ("log(−log)") pointwise band, as lifelines.

    Parameters
    ----------
    alpha : float, default 0.05
        The band and the median's interval have confidence ``1 − alpha``.
    label : str, optional
        Column name of the fitted curves; default ``"KM_estimate"`` (lifelines').
    n_threads : int, optional
        Threads of :meth:`fit`'s sort by time (default ``ch.get_num_threads()``): blocks sorted, then
        merged into one thread's order, and unweighted whole-number times counted per block; the sums
        stay on one thread, so the curve is the same bits for any count.

    Attributes
    ----------
    survival_function_ : pandas.DataFrame
        S(t), indexed by ``timeline`` (every distinct exit and entry time, from 0), one column ``label``.
    cumulative_density_ : pandas.DataFrame
        1 − S(t).
    confidence_interval_ : pandas.DataFrame
        Columns ``<label>_lower_<1-alpha>`` and ``<label>_upper_<1-alpha>`` (e.g. ``KM_estimate_lower_0.95``).
    variance_ : pandas.DataFrame
        Greenwood's variance of S(t): ``S(t)² Σ dᵢ / (nᵢ(nᵢ − dᵢ))``.
    event_table_ : pandas.DataFrame
        Indexed by ``event_at``: ``removed, observed, censored, entrance, at_risk`` (lifelines' table).
    median_survival_time_ : float
        Smallest t with S(t) ≤ 0.5; ``inf`` if the curve stays above 0.5, NaN for an empty sample.
    median_ci_ : tuple of float
        (low, high): the same rule applied to the lower and to the upper band (lifelines'
        ``median_survival_times(confidence_interval_)``); ``high`` is ``inf`` when the upper band stays above 0.5.

    Examples
    --------
    >>> km = KaplanMeier().fit([5, 6, 6, 2.5, 4, 4], [1, 0, 0, 1, 1, 1])
    >>> km.median_survival_time_
    4.0
    """

    # Set by fit_dataset / tenure_survival: the as-of moment and the accounts left out.
    as_of_: pd.Timestamp
    n_without_start_: int
    n_not_started_: int

    def __init__(self, alpha: float = 0.05, label: str | None = None, *, n_threads: int | None = None) -> None:
        self.alpha = alpha
        self.label = label
        self.n_threads = n_threads

    def _set_label_alpha(self, label: str | None, alpha: float | None) -> None:
        """fit()'s label and alpha, when given, checked (shared with custhealth.dask's fit)."""
        if label is not None:
            self.label = label
        if alpha is not None:
            self.alpha = alpha
        if not 0.0 < self.alpha < 1.0:
            raise InvalidInputError(f"alpha must be in (0, 1), got {self.alpha!r}")

    def fit(self, durations: Any, event_observed: Any = None, entry: Any = None, weights: Any = None,
            timeline: Any = None, label: str | None = None, alpha: float | None = None) -> "KaplanMeier":
        """Fits the curve.

        Parameters
        ----------
        durations : array-like (list, numpy array, pandas Series)
            Exit times ≥ 0 (event or censoring). float64 input is read without a copy;
            timedeltas are taken in days.
        event_observed : array-like of bool or 0/1, optional
            1 (True) when the exit is an event, 0 when censored; default all events.
        entry : array-like, optional
            Late-entry times, ``0 ≤ entry < duration``: a subject is at risk at t when entry < t ≤ duration.
        weights : array-like, optional
            Case weights ≥ 0 (e.g. counts of identical subjects).
        timeline : array-like, optional
            Times at which to report ``survival_function_``, ``confidence_interval_``,
            ``cumulative_density_`` and ``variance_`` (the step function's values there).
        label, alpha : optional
            Override the constructor's values.
        Returns
        -------
        KaplanMeier
            self, fitted.

        Raises
        ------
        InvalidInputError
            Negative or non-finite durations, a flag other than 0/1, entry ≥ duration, negative
            weights, mismatched lengths (the message names the first offending element); the
            constructor's ``n_threads`` not a whole number from 1 to 4096.
        """
        threads = resolve_threads(getattr(self, "n_threads", None), "KaplanMeier.fit")  # older pickles lack it
        self._set_label_alpha(label, alpha)
        t = _float_array(durations, "durations")
        e = _event_array(event_observed, len(t), "event_observed")
        entry_ = _optional_floats(entry, "entry")
        weights_ = _optional_floats(weights, "weights")
        result = _core.kaplan_meier(t, e, entry_, weights_, 1.0 - self.alpha, threads)
        self.durations, self.event_observed, self.entry, self.weights = t, e, entry_, weights_
        self._set_result(result, timeline, integer_counts=weights_ is None)
        return self

    def fit_dataset(self, dataset: Any, as_of: Any = None, label: str | None = None) -> "KaplanMeier":
        """Fits the account-tenure curve of a :class:`custhealth.Dataset`.

        Tenure is ``end − start`` in days for accounts that ended before ``as_of`` (an event), else
        ``as_of − start``, censored. Accounts without a start date, or starting at or after ``as_of``,
        are left out and counted in ``n_without_start_`` and ``n_not_started_``.

        Parameters
        ----------
        dataset : custhealth.Dataset, dict of DataFrames or accounts DataFrame
        as_of : str, date, datetime or int epoch seconds, optional
            Default: the end of the data.
        label : str, optional
            Default ``"tenure"``.
        """
        if label is not None or self.label is None:
            self.label = label or "tenure"
        return _fit_tenure(self, _tenure_data(dataset, as_of, None))

    # -- fitted state --

    # The curve's DataFrames and the median's interval are built on first access: fit() itself only runs
    # the core, and a caller that needs one column (or only the median) does not pay for pandas frames
    # of a million rows or for the band's logs and exps.
    _LAZY = ("event_table_", "survival_function_", "cumulative_density_", "variance_", "confidence_interval_",
             "median_ci_")

    def __getstate__(self) -> dict[str, Any]:
        """The fit's inputs, not the core's result: unpickling fits them again, which is deterministic,
        so the curve, band and tables come back the same to the bit."""
        state = {k: v for k, v in self.__dict__.items() if k not in self._LAZY and k not in ("_result", "_rows")}
        state["_requested_timeline"] = self.timeline if getattr(self, "_rows", None) is not None else None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        requested = state.pop("_requested_timeline", None)
        self.__dict__.update(state)
        if "durations" in state:  # fitted
            result = _core.kaplan_meier(self.durations, self.event_observed, self.entry, self.weights, 1.0 - self.alpha)
            self._set_result(result, requested, self._integer_counts)

    def _set_result(self, result: Any, timeline: Any, integer_counts: bool) -> None:
        for name in self._LAZY:  # a refit drops the previous fit's frames
            self.__dict__.pop(name, None)
        self._result = result
        self._label = self.label if self.label is not None else "KM_estimate"
        self._integer_counts = integer_counts
        if timeline is None:
            self.timeline = np.asarray(result.timeline)
            self._rows = None
        else:
            self.timeline = np.sort(_float_array(timeline, "timeline"))
            # Row of each requested time on the fitted step function; −1 is "before the first time".
            self._rows = np.searchsorted(result.timeline, self.timeline, side="right") - 1
        self.median_survival_time_ = float(result.median)

    def _on_timeline(self, values: Any, before: float) -> np.ndarray:
        """A per-row column of the fit, read at ``timeline`` (``before`` ahead of the first row)."""
        column: np.ndarray = np.asarray(values)
        rows = self._rows
        if rows is None:
            return column
        if not len(column):  # an empty fit is undefined everywhere
            return np.full(len(rows), np.nan)
        return np.asarray(np.where(rows < 0, before, column[np.maximum(rows, 0)]))

    def _frame(self, columns: dict[str, np.ndarray]) -> pd.DataFrame:
        index = pd.Index(self.timeline, name="timeline")
        if len(columns) == 1:
            # One fresh, writable array from the core (the workspace's memory) or from _on_timeline: wrapped, not
            # copied — a copy of a million rows into new memory costs more than the fit.
            ((name, values),) = columns.items()
            return pd.DataFrame(values.reshape(-1, 1), columns=[name], index=index, copy=False)
        return pd.DataFrame(columns, index=index)

    @cached_property
    def median_ci_(self) -> tuple[float, float]:
        """(low, high): the median's crossing of the lower and of the upper band."""
        self._check_fitted()
        low, high = self._result.median_ci
        return float(low), float(high)

    @cached_property
    def event_table_(self) -> pd.DataFrame:
        """lifelines' event table, indexed by ``event_at``."""
        self._check_fitted()
        r = self._result
        counts = {"removed": r.removed(), "observed": r.observed, "censored": r.censored, "entrance": r.entrance,
                  "at_risk": r.at_risk}
        if self._integer_counts:  # unweighted counts are whole numbers; show them as lifelines does
            counts = {k: np.asarray(v).astype(np.int64) for k, v in counts.items()}
        return pd.DataFrame(counts, index=pd.Index(r.timeline, name="event_at"))

    @cached_property
    def survival_function_(self) -> pd.DataFrame:
        """S(t) indexed by ``timeline``."""
        self._check_fitted()
        # A custom timeline reads the curve into a new array anyway; only the fitted timeline needs a copy.
        curve = self._result.survival if self._rows is not None else self._result.survival_copy()
        return self._frame({self._label: self._on_timeline(curve, 1.0)})

    @cached_property
    def cumulative_density_(self) -> pd.DataFrame:
        """1 − S(t) indexed by ``timeline``."""
        self._check_fitted()
        return self._frame({self._label: self._on_timeline(self._result.cumulative_density(), 0.0)})

    @cached_property
    def variance_(self) -> pd.DataFrame:
        """Greenwood's variance of S(t) indexed by ``timeline``."""
        self._check_fitted()
        return self._frame({self._label: self._on_timeline(self._result.variance(), 0.0)})

    @cached_property
    def confidence_interval_(self) -> pd.DataFrame:
        """The exponential-Greenwood band, columns ``<label>_lower_<1-alpha>`` and ``<label>_upper_<1-alpha>``."""
        self._check_fitted()
        level = f"{self._result.confidence:g}"
        low, high = self._result.confidence_band()
        return self._frame({f"{self._label}_lower_{level}": self._on_timeline(low, 1.0),
                            f"{self._label}_upper_{level}": self._on_timeline(high, 1.0)})

    @property
    def confidence_interval_survival_function_(self) -> pd.DataFrame:
        """lifelines' alias of :attr:`confidence_interval_`."""
        return self.confidence_interval_

    def _check_fitted(self) -> None:
        if not hasattr(self, "_result"):
            raise AttributeError("this KaplanMeier is not fitted yet: call fit() first")

    def survival_at(self, times: Any) -> Any:
        """S(t) of the right-continuous step function (1 before the first time; NaN for NaN).

        Parameters
        ----------
        times : float or array-like

        Returns
        -------
        float or numpy.ndarray
            A float for a scalar, an array of the same length for an array.
        """
        self._check_fitted()
        if np.ndim(times) == 0:
            return float(self._result.survival_at(np.array([times], dtype=np.float64))[0])
        return self._result.survival_at(_float_array(times, "times"))

    def survival_function_at_times(self, times: Any) -> pd.Series:
        """S(t) at the given times as a Series indexed by them, named after the label (lifelines)."""
        self._check_fitted()
        t = np.atleast_1d(_float_array(np.atleast_1d(times), "times"))
        return pd.Series(self._result.survival_at(t), index=t, name=self._label)

    def predict(self, times: Any) -> Any:
        """S(t) at `times` (lifelines' ``predict``): a float for one time, an array for several."""
        self._check_fitted()
        values = self.survival_at(times)
        return float(values) if np.ndim(values) == 0 else np.asarray(values)

    @property
    def event_table(self) -> pd.DataFrame:
        """lifelines' name of :attr:`event_table_`."""
        return self.event_table_

    def percentile(self, p: float) -> float:
        """Smallest t with S(t) ≤ p (lifelines' ``percentile``); inf if never."""
        self._check_fitted()
        return float(self._result.survival_time(p))

    # -- reporting --

    @property
    def summary(self) -> pd.DataFrame:
        """One row: subjects, events, censored, the median and its interval."""
        self._check_fitted()
        level = f"{self._result.confidence:g}"
        r = self._result
        return pd.DataFrame({
            "subjects": [self._subjects()],
            "events": [float(np.sum(r.observed))],
            "censored": [float(np.sum(r.censored))],
            "median": [self.median_survival_time_],
            f"median_lower_{level}": [self.median_ci_[0]],
            f"median_upper_{level}": [self.median_ci_[1]],
        }, index=pd.Index([self._label], name="label"))

    def _subjects(self) -> float:
        """Σ weights of the subjects, from the core's columns (no event-table frame, no band)."""
        return float(np.sum(self._result.entrance))

    def print_summary(self, decimals: int = 2) -> None:
        """Prints :attr:`summary` with a one-line header."""
        self._check_fitted()
        print(f"<custhealth.KaplanMeier: fitted with {self._subjects():g} subjects, alpha={self.alpha:g}>")
        print(self.summary.round(decimals).to_string())

    def plot(self, ax: Any = None, ci_show: bool = True, show_censors: bool = False, at_risk_counts: bool = False,
             *, ci: bool | None = None, censor_styles: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """Step plot of S(t) with its band shaded, as lifelines' ``plot_survival_function``.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Default: the current Axes.
        ci_show : bool, default True
            Shade the confidence band.
        show_censors : bool, default False
            Mark each distinct censoring time on the curve (lifelines' ``+`` of 12 points).
        at_risk_counts : bool, default False
            Add the table of :func:`add_at_risk_counts` under the axis (for several curves on one
            Axes call that function once, after the last curve).
        ci : bool, optional
            The earlier name of ``ci_show``, still accepted.
        censor_styles : dict, optional
            Overrides of the censor markers' style (``marker``, ``ms``, ``mew``, ...).
        **kwargs
            Passed to ``Axes.step`` (color, linestyle, ...).

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        AttributeError
            Not fitted.
        TypeError
            An option matplotlib does not know; ``ci`` and ``ci_show`` both given and different.
        """
        self._check_fitted()
        if ci is not None:
            if ci_show is not True and bool(ci) != bool(ci_show):
                raise TypeError("KaplanMeier.plot: ci is the earlier name of ci_show; give one of them")
            ci_show = ci
        ax = pyplot().gca() if ax is None else ax
        t = self.survival_function_.index.to_numpy()
        kwargs.setdefault("label", self._label)
        line = _styled("KaplanMeier.plot", lambda: ax.step(t, self.survival_function_.iloc[:, 0].to_numpy(),
                                                            where="post", **kwargs)[0])
        if ci_show:
            band = self.confidence_interval_
            ax.fill_between(t, band.iloc[:, 0].to_numpy(), band.iloc[:, 1].to_numpy(), step="post", alpha=0.25,
                            color=line.get_color(), linewidth=0)
        if show_censors:
            table = self.event_table_
            times = table.index.to_numpy()[table["censored"].to_numpy() > 0]
            style = {"marker": "+", "ms": 12, "mew": 1, **(censor_styles or {})}
            _styled("KaplanMeier.plot: censor_styles", lambda: ax.plot(
                times, self.survival_at(times), linestyle="None", color=line.get_color(), gid="censors",
                label=f"_{self._label} censored", **style))
        ax.set_xlabel("timeline")
        ax.set_ylabel("survival probability")
        ax.set_ylim(0.0, 1.05)
        ax.legend()
        if at_risk_counts:
            add_at_risk_counts(self, ax=ax)
        return ax

    def _risk_counts(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """At each time t: the subjects at risk at t (entered at or before t, not exited before t: the event
        table's ``at_risk`` at its times), and the censored and the events up to t inclusive."""
        table = self.event_table_
        at = table.index.to_numpy()
        through = np.searchsorted(at, times, side="right")  # rows with event_at ≤ t
        before = np.searchsorted(at, times, side="left")    # rows with event_at < t

        def total(column: str, rows: np.ndarray) -> np.ndarray:
            sums: np.ndarray = np.concatenate([[0.0], np.cumsum(table[column].to_numpy(dtype=float))])[rows]
            return sums

        return {"At risk": total("entrance", through) - total("removed", before),
                "Censored": total("censored", through), "Events": total("observed", through)}

    def __repr__(self) -> str:
        if not hasattr(self, "_result"):
            return f"<custhealth.KaplanMeier: label={self.label!r}, not fitted>"
        return (f"<custhealth.KaplanMeier: {self._label!r}, {self._subjects():g} subjects, "
                f"median {self.median_survival_time_:g}>")


def _styled(where: str, draw: Any) -> Any:
    """What `draw` returns; matplotlib's error for an unknown style option as a TypeError naming `where`."""
    try:
        return draw()
    except AttributeError as err:  # matplotlib: "Line2D.set() got an unexpected keyword argument 'x'"
        raise TypeError(f"{where}: {err}") from None


AT_RISK_ROWS = ("At risk", "Censored", "Events")


def add_at_risk_counts(*fitters: KaplanMeier, ax: Any = None, rows_to_show: Any = None, xticks: Any = None) -> Any:
    """A table under the x axis of subjects at risk, censored and with events at each x tick, as
    lifelines' ``add_at_risk_counts``: one block of rows per fitter.

    At tick t, *At risk* counts the subjects at risk at t — entered by t and exiting at t or later,
    the event table's ``at_risk`` at t (R's ``summary(survfit, times=)``; lifelines counts just
    after t) — and *Censored* and *Events* the exits up to t inclusive (weights summed when fitted
    with weights).

    Parameters
    ----------
    *fitters : fitted KaplanMeier
    ax : matplotlib.axes.Axes, optional
        The Axes the curves are on; default the current one.
    rows_to_show : list of str, optional
        A subset of ``["At risk", "Censored", "Events"]``, in that order by default.
    xticks : array-like, optional
        The times of the columns (they become the axis' ticks); default the axis' ticks inside its
        limits. The ticks and limits are fixed, so later curves do not move them from the table.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``; the table is its annotations with gid ``"at_risk_counts"`` (one column per tick) and
        ``"at_risk_labels"`` (the row names), replacing an earlier table on ``ax``. Saving with
        ``bbox_inches="tight"`` (as notebooks do) or ``fig.tight_layout()`` keeps it inside the image.

    Raises
    ------
    InvalidInputError
        No fitters, an unknown row, an ``xticks`` time outside the axis' limits.
    AttributeError
        A fitter that is not fitted.
    """
    where = "add_at_risk_counts"
    if not fitters:
        raise InvalidInputError(f"{where}: no fitters given")
    for f in fitters:
        if not isinstance(f, KaplanMeier):
            raise TypeError(f"{where}: expected fitted KaplanMeier objects, got {type(f).__name__}")
        f._check_fitted()
    rows = list(AT_RISK_ROWS) if rows_to_show is None else list(rows_to_show)
    unknown = [r for r in rows if r not in AT_RISK_ROWS]
    if unknown or not rows:
        raise InvalidInputError(f"{where}: rows_to_show must name some of {', '.join(AT_RISK_ROWS)}, got {rows!r}")
    ax = pyplot().gca() if ax is None else ax
    low, high = ax.get_xlim()
    if xticks is None:
        ticks = np.asarray(ax.get_xticks(), dtype=float)
        ticks = ticks[(ticks >= max(low, 0.0)) & (ticks <= high)]
    else:
        ticks = _float_array(xticks, "xticks")
        outside = ticks[(ticks < low) | (ticks > high)]
        if len(outside):
            raise InvalidInputError(f"{where}: xticks {outside[0]:g} lies outside the axis' limits "
                                    f"[{low:g}, {high:g}]")
    ax.set_xticks(ticks)
    ax.set_xlim(low, high)
    for previous in [t for t in ax.texts if t.get_gid() in ("at_risk_counts", "at_risk_labels")]:
        previous.remove()  # a second call replaces the table
    lines: list[list[str]] = [[] for _ in ticks]  # one column of numbers per tick
    names: list[str] = []
    for f in fitters:
        counts = f._risk_counts(ticks)
        for row in rows:
            names.append(f"{f._label}: {row}" if len(fitters) > 1 else row)
            for column, value in zip(lines, counts[row]):
                column.append(f"{value:.0f}" if f._integer_counts else f"{value:.4g}")
    size = ax.xaxis.get_ticklabels()[0].get_fontsize() if len(ticks) else 10.0
    # Under the tick labels (pad + one line), the axis label moved below the table.
    offset = ax.xaxis.get_tick_padding() + 1.6 * size
    place = {"xycoords": ax.get_xaxis_transform(), "textcoords": "offset points", "va": "top",
             "fontsize": size, "annotation_clip": False, "linespacing": 1.3}
    for tick, column in zip(ticks, lines):
        ax.annotate("\n".join(column), xy=(tick, 0.0), xytext=(0.0, -offset), ha="center", gid="at_risk_counts",
                    **place)
    ax.annotate("\n".join(names), xy=(low, 0.0), xytext=(-0.5 * size, -offset), ha="right", gid="at_risk_labels",
                **place)
    ax.xaxis.labelpad = 1.3 * size * len(names) + 0.6 * size
    return ax


# ---- tenures of a dataset ----

_TENURE_GROUPS = ("segment", "plan", "owner")

def _tenure_data(dataset: Any, as_of: Any, by: str | None) -> dict[str, Any]:
    """Tenures from the core (custhealth/retention/tenure.hpp, bound by custhealth.retention) and,
    with `by`, the account attribute's code of each tenure (−1: none) with the codes' labels."""
    native = _dataset(dataset, "accounts")._native
    data = dict(_core.tenure(native, _seconds(as_of)))
    if by:
        if by not in _TENURE_GROUPS:
            raise InvalidInputError(f"tenure_survival: cannot group by {by!r} (expected one of {', '.join(_TENURE_GROUPS)})")
        attribute = native.columns("accounts")[by]  # (codes per account, labels), or None when absent
        accounts = np.asarray(data["account"], dtype=np.int64)
        if attribute is None:
            data["group"], data["group_labels"] = np.full(len(accounts), -1, dtype=np.int64), []
        else:
            data["group"], data["group_labels"] = np.asarray(attribute[0])[accounts], list(attribute[1])
    return data


def _fit_tenure(km: KaplanMeier, data: Mapping[str, Any], mask: Any = None) -> KaplanMeier:
    t, e = data["duration"], data["observed"]
    if mask is not None:
        t, e = t[mask], e[mask]
    km.fit(t, e)
    km.as_of_ = moment(data["as_of"])
    km.n_without_start_ = int(data["without_start"])
    km.n_not_started_ = int(data["not_started"])
    return km


def tenure_survival(dataset: Any, as_of: Any = None, by: str | None = None, alpha: float = 0.05,
                    label: str | None = None) -> Any:
    """Kaplan–Meier curves of account tenure (days from ``start`` to ``end``, censored at ``as_of``).

    Parameters
    ----------
    dataset : custhealth.Dataset, dict of DataFrames or accounts DataFrame
        Needs an accounts table with start dates.
    as_of : str, date, datetime or int epoch seconds, optional
        Only what is known before it counts: an ``end`` at or after ``as_of`` is censored. Default:
        the end of the data.
    by : {"segment", "plan", "owner"}, optional
        Fit one curve per value of this account attribute.
    alpha : float, default 0.05
    label : str, optional
        Label of the single curve (default ``"tenure"``); groups are labelled by their value.

    Returns
    -------
    KaplanMeier or dict
        A fitted :class:`KaplanMeier` (``by=None``), or ``{value: KaplanMeier}`` with accounts
        lacking the attribute under the key ``None``. Each fit carries ``as_of_`` (a Timestamp),
        ``n_without_start_`` and ``n_not_started_`` (accounts left out, over the whole dataset).

    Raises
    ------
    InvalidInputError
        No account has a start date, or an unknown ``by``.
    """
    data = _tenure_data(dataset, as_of, by)
    if not by:
        return _fit_tenure(KaplanMeier(alpha=alpha, label=label or "tenure"), data)
    codes, labels = data["group"], data["group_labels"]
    out: dict[Any, KaplanMeier] = {}
    for code in np.unique(codes):
        name = labels[code] if code >= 0 else None
        out[name] = _fit_tenure(KaplanMeier(alpha=alpha, label=name if name is not None else f"(no {by})"), data,
                                codes == code)
    return out


# ---- log-rank tests ----

class LogRankResult:
    """Result of a log-rank test, with lifelines' ``StatisticalResult`` names.

    Attributes
    ----------
    test_statistic : float
        χ² statistic ``(O − E)ᵀ V⁻ (O − E)`` over k − 1 groups.
    p_value : float
    degrees_of_freedom : int
        k − 1.
    groups : pandas.DataFrame
        Per group (indexed by its label): ``observed`` and ``expected`` events.
    """

    test_name = "logrank_test"
    null_distribution = "chi squared"

    def __init__(self, raw: Mapping[str, Any], labels: list[Any]) -> None:
        self.test_statistic = float(raw["statistic"])
        self.p_value = float(raw["p_value"])
        self.degrees_of_freedom = int(raw["df"])
        self.groups = pd.DataFrame({"observed": raw["observed"], "expected": raw["expected"]},
                                   index=pd.Index([labels[c] for c in raw["groups"]], name="group"))

    @property
    def summary(self) -> pd.DataFrame:
        """lifelines' columns: ``test_statistic``, ``p``, ``-log2(p)``."""
        with np.errstate(divide="ignore"):
            log2p = -np.log2(self.p_value)
        return pd.DataFrame({"test_statistic": [self.test_statistic], "p": [self.p_value], "-log2(p)": [log2p]})

    def print_summary(self, decimals: int = 2) -> None:
        print(f"<custhealth.LogRankResult: {self.test_name}, null distribution {self.null_distribution}, "
              f"degrees of freedom {self.degrees_of_freedom}>")
        print(self.summary.round(decimals).to_string(index=False))
        print(self.groups.round(decimals).to_string())

    def __repr__(self) -> str:
        return (f"<custhealth.LogRankResult: chi2={self.test_statistic:.4g}, df={self.degrees_of_freedom}, "
                f"p={self.p_value:.4g}>")


def logrank_test(durations_A: Any, durations_B: Any, event_observed_A: Any = None, event_observed_B: Any = None,
                 t_0: float = -1, weightings: str | None = None, *, weights_A: Any = None, weights_B: Any = None,
                 p: float | None = None, q: float | None = None, n_threads: int | None = None) -> LogRankResult:
    """Log-rank test of equal hazards in two samples, with lifelines' ``logrank_test`` argument order
    and names (``logrank_test(T_A, T_B, event_observed_A=E_A, event_observed_B=E_B)``).

    Parameters
    ----------
    durations_A, durations_B : array-like
        Exit times ≥ 0 of each sample.
    event_observed_A, event_observed_B : array-like of bool or 0/1, optional
        Event flags; default all events.
    t_0 : float, optional
        Compare the curves up to t_0 only: subjects still at risk after it are censored there (-1: all).
    weightings : str, optional
        A weighted test, as lifelines: ``"wilcoxon"`` (Gehan–Breslow), ``"tarone-ware"``, ``"peto"`` or
        ``"fleming-harrington"`` (with ``p`` and ``q`` ≥ 0); default the log-rank (all weights 1).
    weights_A, weights_B : array-like, optional
        Case weights (both or neither).
    n_threads : int, optional
        Threads of the sort by time (default ``ch.get_num_threads()``), merged into one thread's order:
        the same bits for any count.

    Returns
    -------
    LogRankResult
        Groups are labelled ``"A"`` and ``"B"``.

    Raises
    ------
    InvalidInputError
        Bad values (as :meth:`KaplanMeier.fit`), mismatched lengths, or an empty sample; ``n_threads``
        not a whole number from 1 to 4096.
    """
    threads = resolve_threads(n_threads, "logrank_test")
    ta, tb = _float_array(durations_A, "durations_A"), _float_array(durations_B, "durations_B")
    for name, t in (("durations_A", ta), ("durations_B", tb)):
        if len(t) == 0:
            raise InvalidInputError(f"logrank_test: {name} is empty (each group needs at least one subject)")
    ea = _event_array(event_observed_A, len(ta), "event_observed_A")
    eb = _event_array(event_observed_B, len(tb), "event_observed_B")
    for name, t, e in (("event_observed_A", ta, ea), ("event_observed_B", tb, eb)):
        if len(e) != len(t):
            raise InvalidInputError(f"logrank_test: {name} has {len(e)} elements but durations has {len(t)}")
    if (weights_A is None) != (weights_B is None):
        raise InvalidInputError("logrank_test: give weights for both samples or for neither")
    weights = None
    if weights_A is not None:
        wa, wb = _float_array(weights_A, "weights_A"), _float_array(weights_B, "weights_B")
        for name, t, w in (("weights_A", ta, wa), ("weights_B", tb, wb)):
            if len(w) != len(t):
                raise InvalidInputError(f"logrank_test: {name} has {len(w)} elements but durations has {len(t)}")
        weights = np.concatenate([wa, wb])
    groups = np.concatenate([np.zeros(len(ta), np.intc), np.ones(len(tb), np.intc)])
    return _weighted_logrank("logrank_test", np.concatenate([ta, tb]), np.concatenate([ea, eb]), groups, weights,
                             ["A", "B"], t_0, weightings, p, q, threads)


def _grouped_sample(name: str, durations: Any, groups: Any,
                    event_observed: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Durations, event flags, group codes (sorted labels) and the labels of a k-group test's input."""
    t = _float_array(durations, "durations")
    e = _event_array(event_observed, len(t), "event_observed")
    labels_in = one_dimensional(groups, "groups")
    if len(labels_in) != len(t):
        raise InvalidInputError(f"{name}: groups has {len(labels_in)} elements but durations has {len(t)}")
    codes, uniques = pd.factorize(labels_in, sort=True)
    if (codes < 0).any():
        raise InvalidInputError(f"{name}: groups[{int(np.argmax(codes < 0))}] is missing")
    return t, e, codes, uniques


def _weighted_logrank(name: str, t: np.ndarray, e: np.ndarray, codes: np.ndarray, weights: np.ndarray | None,
                      labels: list[Any], t_0: float, weightings: str | None, p: float | None,
                      q: float | None, n_threads: int = 1) -> LogRankResult:
    """The core test with lifelines' t_0 (censor after it) and weightings; the result named as lifelines names
    it ("Wilcoxon_test", ...)."""
    kind = _weighting(name, weightings, p, q)
    t, e = _censored_at(name, t, e, t_0)
    raw = _core.logrank_test(t, e, codes, weights, weighting=kind, p=float(p or 0.0), q=float(q or 0.0),
                             n_threads=n_threads)
    return _named(LogRankResult(raw, labels), name, kind)


def _weighting(name: str, weightings: str | None, p: float | None, q: float | None) -> str:
    """The core's name of lifelines' weightings; Fleming–Harrington needs p and q."""
    kind = "logrank" if weightings is None else str(weightings)
    if kind == "fleming-harrington" and (p is None or q is None):
        raise InvalidInputError(f"{name}: the Fleming-Harrington test needs p and q (>= 0)")
    return kind


def _censored_at(name: str, t: np.ndarray, e: np.ndarray, t_0: float) -> tuple[np.ndarray, np.ndarray]:
    """lifelines' t_0: subjects still at risk after t_0 are censored there (-1: no limit)."""
    if t_0 == -1:
        return t, e
    if not (isinstance(t_0, (int, float, np.integer, np.floating)) and np.isfinite(t_0) and t_0 >= 0):
        raise InvalidInputError(f"{name}: t_0 must be -1 (no limit) or a finite time >= 0, got {t_0!r}")
    return np.minimum(t, float(t_0)), np.where(t > t_0, np.uint8(0), e)


def _named(result: LogRankResult, name: str, kind: str) -> LogRankResult:
    """The result named as lifelines names a weighted test ("Wilcoxon_test", ...)."""
    if kind != "logrank":
        titles = {"wilcoxon": "Wilcoxon", "tarone-ware": "Tarone-Ware", "peto": "Peto",
                  "fleming-harrington": "Flemington-Harrington"}  # lifelines' spelling, so results compare by name
        result.test_name = name.replace("logrank", titles[kind])
    return result


def multivariate_logrank_test(durations: Any, groups: Any, event_observed: Any = None, weights: Any = None,
                              t_0: float = -1, weightings: str | None = None, *, p: float | None = None,
                              q: float | None = None, n_threads: int | None = None) -> LogRankResult:
    """Log-rank test across k ≥ 2 groups (lifelines' ``multivariate_logrank_test``; statsmodels' ``survdiff``).

    Parameters
    ----------
    durations : array-like
    groups : array-like of labels (str, int, ...)
        The group of each subject; missing labels are an error.
    event_observed : array-like of bool or 0/1, optional
    weights : array-like, optional
    t_0, weightings, p, q, n_threads
        As :func:`logrank_test`.

    Returns
    -------
    LogRankResult
        ``degrees_of_freedom = k − 1``; ``groups`` indexed by the sorted labels.
    """
    threads = resolve_threads(n_threads, "multivariate_logrank_test")
    t, e, codes, uniques = _grouped_sample("multivariate_logrank_test", durations, groups, event_observed)
    return _weighted_logrank("multivariate_logrank_test", t, e, codes.astype(np.intc),
                             _optional_floats(weights, "weights"), list(uniques), t_0, weightings, p, q, threads)


class PairwiseLogRankResult:
    """The log-rank test of every pair of groups (lifelines' ``pairwise_logrank_test``): ``summary`` indexed by
    the pairs, with ``test_statistic``, ``p`` and ``-log2(p)``; no correction for multiple testing (as lifelines)."""

    null_distribution = "chi squared"
    degrees_of_freedom = 1

    def __init__(self, pairs: list[tuple[Any, Any]], results: list[LogRankResult], test_name: str) -> None:
        self.pairs = pairs
        self.results = results
        self.test_name = test_name
        self.test_statistic = np.array([r.test_statistic for r in results])
        self.p_value = np.array([r.p_value for r in results])

    @property
    def summary(self) -> pd.DataFrame:
        with np.errstate(divide="ignore"):
            log2p = -np.log2(self.p_value)
        index = pd.MultiIndex.from_tuples(self.pairs) if self.pairs else pd.MultiIndex.from_arrays([[], []])
        return pd.DataFrame({"test_statistic": self.test_statistic, "p": self.p_value, "-log2(p)": log2p},
                            index=index)

    def print_summary(self, decimals: int = 2) -> None:
        print(f"<custhealth.PairwiseLogRankResult: {self.test_name}, null distribution {self.null_distribution}, "
              f"degrees of freedom {self.degrees_of_freedom}>")
        print(self.summary.round(decimals).to_string())

    def __repr__(self) -> str:
        return f"<custhealth.PairwiseLogRankResult: {len(self.pairs)} pairs>"


def pairwise_logrank_test(durations: Any, groups: Any, event_observed: Any = None, t_0: float = -1,
                          weightings: str | None = None, *, weights: Any = None, p: float | None = None,
                          q: float | None = None) -> PairwiseLogRankResult:
    """A two-sample test (:func:`logrank_test`) for every pair of groups, in sorted label order — lifelines'
    ``pairwise_logrank_test`` (same arguments, same numbers)."""
    t, e, codes, uniques = _grouped_sample("pairwise_logrank_test", durations, groups, event_observed)
    if len(uniques) < 2:
        raise InvalidInputError(f"pairwise_logrank_test: needs at least two groups, found {len(uniques)}")
    w = _optional_floats(weights, "weights")
    pairs, results = [], []
    for a in range(len(uniques)):
        for b in range(a + 1, len(uniques)):
            rows = (codes == a) | (codes == b)
            sub = np.where(codes[rows] == a, 0, 1).astype(np.intc)
            results.append(_weighted_logrank("logrank_test", t[rows], e[rows], sub, None if w is None else w[rows],
                                             [uniques[a], uniques[b]], t_0, weightings, p, q))
            pairs.append((uniques[a], uniques[b]))
    return PairwiseLogRankResult(pairs, results, results[0].test_name)


# ---- memory ----

def release_survival_buffers() -> None:
    """Frees the spare buffers kept for reuse by Kaplan–Meier fits and log-rank tests.

    Fits from Python share one workspace of the C++ core: the sort buffers of a fit, and the columns of
    fitted curves and of their frames once Python drops them, are kept (at most 128 MiB of each kind,
    only buffers of 4 MiB or more) so that the next large fit writes into memory already faulted in.
    Results are the same with or without it. Call this in a long-running process after a burst of
    large fits; later fits refill it.
    """
    _core.release_survival_buffers()
