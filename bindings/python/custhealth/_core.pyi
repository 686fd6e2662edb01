# Generated from the compiled module by pybind11-stubgen (pinned in requirements/test.txt); tests/python/test_typing.py
# regenerates it and fails when this copy is stale: after changing a binding, run the command in that test.
"""
custhealth's compiled core (private: import custhealth instead)
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['CesResult', 'CesState', 'CohortState', 'ConvergenceError', 'CoxModel', 'CsatResult', 'CsatState', 'DEFAULTS', 'Dataset', 'ENUMS', 'HealthTracker', 'InvalidInputError', 'KaplanMeierResult', 'KmState', 'LifecycleState', 'LogisticModel', 'MAX_THREADS', 'ModelSpecError', 'NpsResult', 'NpsState', 'PaymentsState', 'RevenueState', 'SCHEMA', 'SIGNAL_CATALOG', 'Scorecard', 'SlaState', 'ZTestResult', 'account_workload', 'active_accounts', 'assign_accounts', 'backlog_arrays', 'backlog_dataset', 'brier', 'btyd_conditional_expected', 'btyd_expected', 'btyd_expected_average_profit', 'btyd_fit', 'btyd_fit_sbg', 'btyd_log_likelihood_rows', 'btyd_p_alive', 'btyd_parameter_names', 'btyd_probability', 'btyd_rfm_dataset', 'btyd_sbg_log_likelihood', 'btyd_sbg_retention', 'btyd_sbg_survival', 'calibration', 'calibration_fit', 'calibration_predict', 'ces', 'churn_labels', 'cohort_retention', 'cohort_state', 'concordance', 'csat', 'csat_test', 'csv_directory', 'default_threads', 'feedback_arrays', 'feedback_dataset', 'from_arrays', 'generate', 'kaplan_meier', 'km_state', 'lifecycle', 'lifecycle_state', 'lift', 'log_hyp2f1', 'log_loss', 'logrank_states', 'logrank_test', 'mrr_bridge', 'mrr_month_range', 'mrr_movements', 'nps', 'nps_test', 'payments_arrays', 'payments_dataset', 'pr_auc', 'precision_at_k', 'read_csv', 'release_survival_buffers', 'revenue_retention', 'revenue_state', 'roc_auc', 'scorecard_alerts', 'scorecard_rescore', 'scorecard_score', 'scorecard_score_signals', 'signals', 'sla_arrays', 'sla_dataset', 'sla_state_arrays', 'tenure', 'tickets_end', 'top_k_count', 'usage_shard', 'write_csv']
class InvalidInputError(ValueError):
    pass
class ModelSpecError(ValueError):
    pass
class ConvergenceError(ValueError):
    pass
class Dataset:
    """
    An immutable, indexed portfolio (see custhealth.Dataset)
    """
    def columns(self, table: str) -> dict:
        """
        The columns of one table: numpy views; strings as (codes, values)
        """
    def table_range(self, table: str) -> tuple[int, int]:
        """
        The whole days holding one table's event times ((0, 0) when it has none)
        """
    @property
    def account_ids(self) -> list[str]:
        ...
    @property
    def csat_scale(self) -> int:
        """
        The CSAT scale the surveys were validated against
        """
    @property
    def ingest_report(self) -> dict:
        ...
    @property
    def n_accounts(self) -> int:
        ...
    @property
    def time_range(self) -> tuple[int, int]:
        ...
class NpsState:
    """
    Mergeable partial state of feedback_summary over some rows (custhealth.dask)
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: NpsState) -> bool:
        ...
    def __getstate__(self) -> bytes:
        ...
    def __setstate__(self, arg0: bytes) -> None:
        ...
    def merge(self, other: NpsState) -> NpsState:
        """
        The state of both partitions' rows (exact: counts and sums over disjoint rows)
        """
    def result(self) -> dict:
        """
        The result, as the single-process call reports it
        """
class CsatState:
    """
    Mergeable partial state of feedback_summary over some rows (custhealth.dask)
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: CsatState) -> bool:
        ...
    def __getstate__(self) -> bytes:
        ...
    def __setstate__(self, arg0: bytes) -> None:
        ...
    def merge(self, other: CsatState) -> CsatState:
        """
        The state of both partitions' rows (exact: counts and sums over disjoint rows)
        """
    def result(self) -> dict:
        """
        The result, as the single-process call reports it
        """
class CesState:
    """
    Mergeable partial state of feedback_summary over some rows (custhealth.dask)
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: CesState) -> bool:
        ...
    def __getstate__(self) -> bytes:
        ...
    def __setstate__(self, arg0: bytes) -> None:
        ...
    def merge(self, other: CesState) -> CesState:
        """
        The state of both partitions' rows (exact: counts and sums over disjoint rows)
        """
    def result(self) -> dict:
        """
        The result, as the single-process call reports it
        """
class NpsResult:
    """
    Net Promoter Score of a group of 0..10 answers: 100·(P − D)/N with a normal interval.
    """
    __hash__: typing.ClassVar[None] = None
    def __add__(self, arg0: NpsResult) -> NpsResult:
        """
        Merges two results exactly (the answers of both)
        """
    def __eq__(self, arg0: NpsResult) -> bool:
        ...
    def __getstate__(self) -> tuple[tuple, float]:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, arg0: tuple) -> None:
        ...
    @property
    def ci_high(self) -> float:
        ...
    @property
    def ci_low(self) -> float:
        ...
    @property
    def confidence(self) -> float:
        ...
    @property
    def counts(self) -> list[int]:
        """
        Answers per score 0..10
        """
    @property
    def detractors(self) -> int:
        ...
    @property
    def n(self) -> int:
        """
        Number of answers
        """
    @property
    def passives(self) -> int:
        ...
    @property
    def promoters(self) -> int:
        ...
    @property
    def score(self) -> float:
        """
        The headline score (NaN when empty)
        """
    @property
    def se(self) -> float:
        """
        Standard error of the score
        """
class CsatResult:
    """
    CSAT: the share of answers in the top boxes of a 1..scale scale, in percent, Wilson interval.
    """
    __hash__: typing.ClassVar[None] = None
    def __add__(self, arg0: CsatResult) -> CsatResult:
        """
        Merges two results exactly (the answers of both)
        """
    def __eq__(self, arg0: CsatResult) -> bool:
        ...
    def __getstate__(self) -> tuple[tuple, float]:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, arg0: tuple) -> None:
        ...
    @property
    def ci_high(self) -> float:
        ...
    @property
    def ci_low(self) -> float:
        ...
    @property
    def confidence(self) -> float:
        ...
    @property
    def mean(self) -> float:
        """
        Mean score
        """
    @property
    def n(self) -> int:
        """
        Number of answers
        """
    @property
    def satisfied(self) -> int:
        ...
    @property
    def scale(self) -> int:
        ...
    @property
    def score(self) -> float:
        """
        The headline score (NaN when empty)
        """
    @property
    def sd(self) -> float:
        ...
    @property
    def se(self) -> float:
        """
        Standard error of the score
        """
    @property
    def top_boxes(self) -> int:
        ...
class CesResult:
    """
    Customer Effort Score: mean of 1..7 answers, t interval.
    """
    __hash__: typing.ClassVar[None] = None
    def __add__(self, arg0: CesResult) -> CesResult:
        """
        Merges two results exactly (the answers of both)
        """
    def __eq__(self, arg0: CesResult) -> bool:
        ...
    def __getstate__(self) -> tuple[tuple, float]:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, arg0: tuple) -> None:
        ...
    @property
    def ci_high(self) -> float:
        ...
    @property
    def ci_low(self) -> float:
        ...
    @property
    def confidence(self) -> float:
        ...
    @property
    def mean(self) -> float:
        ...
    @property
    def n(self) -> int:
        """
        Number of answers
        """
    @property
    def score(self) -> float:
        """
        The headline score (NaN when empty)
        """
    @property
    def sd(self) -> float:
        ...
    @property
    def se(self) -> float:
        """
        Standard error of the score
        """
class ZTestResult:
    """
    A two-sided z-test of group a against group b
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: ZTestResult) -> bool:
        ...
    def __getstate__(self) -> tuple[float, float, float, float]:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, arg0: tuple) -> None:
        ...
    @property
    def difference(self) -> float:
        """
        a − b, in the metric's points
        """
    @property
    def p_value(self) -> float:
        ...
    @property
    def se(self) -> float:
        ...
    @property
    def z(self) -> float:
        ...
class SlaState:
    """
    Mergeable partial state of sla_summary over some tickets (custhealth.dask): counts and the durations behind the quantiles
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: SlaState) -> bool:
        ...
    def __getstate__(self) -> bytes:
        ...
    def __setstate__(self, arg0: bytes) -> None:
        ...
    def merge(self, other: SlaState) -> SlaState:
        """
        The state of both partitions' rows (exact: counts and sums over disjoint rows)
        """
    def result(self) -> dict:
        """
        The result, as the single-process call reports it
        """
class PaymentsState:
    """
    Mergeable partial state of payments_summary over some rows (custhealth.dask)
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: PaymentsState) -> bool:
        ...
    def __getstate__(self) -> bytes:
        ...
    def __setstate__(self, arg0: bytes) -> None:
        ...
    def merge(self, other: PaymentsState) -> PaymentsState:
        """
        The state of both partitions' rows (exact: counts and sums over disjoint rows)
        """
    def result(self) -> dict:
        """
        The result, as the single-process call reports it
        """
class CohortState:
    """
    Mergeable partial state of cohort_retention over disjoint accounts (custhealth.dask)
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: CohortState) -> bool:
        ...
    def __getstate__(self) -> bytes:
        ...
    def __setstate__(self, arg0: bytes) -> None:
        ...
    def merge(self, other: CohortState) -> CohortState:
        """
        The state of both partitions' rows (exact: counts and sums over disjoint rows)
        """
    def result(self) -> dict:
        """
        The result, as the single-process call reports it
        """
class LifecycleState:
    """
    Mergeable partial state of lifecycle over disjoint accounts (custhealth.dask)
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: LifecycleState) -> bool:
        ...
    def __getstate__(self) -> bytes:
        ...
    def __setstate__(self, arg0: bytes) -> None:
        ...
    def merge(self, other: LifecycleState) -> LifecycleState:
        """
        The state of both partitions' rows (exact: counts and sums over disjoint rows)
        """
    def result(self) -> dict:
        """
        The result, as the single-process call reports it
        """
class RevenueState:
    """
    Mergeable partial state of revenue_retention over disjoint accounts (custhealth.dask)
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: RevenueState) -> bool:
        ...
    def __getstate__(self) -> bytes:
        ...
    def __setstate__(self, arg0: bytes) -> None:
        ...
    def merge(self, other: RevenueState) -> RevenueState:
        """
        The state of both partitions' rows (exact: counts and sums over disjoint rows)
        """
    def result(self) -> dict:
        """
        The result, as the single-process call reports it
        """
class KaplanMeierResult:
    """
    A fitted Kaplan–Meier curve (see custhealth.KaplanMeier); columns are read-only views
    """
    def confidence_band(self) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
        """
        The exponential-Greenwood band per timeline row, as (low, high) arrays.
        """
    def cumulative_density(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    def removed(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    def survival_at(self, times: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> numpy.typing.NDArray[numpy.float64]:
        """
        S(t) of the right-continuous step function at each time (1 before the first).
        """
    def survival_copy(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        A writable copy of S(t) per timeline row.
        """
    def survival_time(self, q: typing.SupportsFloat | typing.SupportsIndex) -> float:
        """
        Smallest t with S(t) <= q; inf if never, NaN for an empty fit.
        """
    def variance(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Greenwood variance of S(t) per timeline row.
        """
    @property
    def at_risk(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def censored(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def confidence(self) -> float:
        ...
    @property
    def entrance(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def median(self) -> float:
        ...
    @property
    def median_ci(self) -> tuple[float, float]:
        ...
    @property
    def observed(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def survival(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def timeline(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
class KmState:
    """
    Mergeable partial state of a Kaplan–Meier fit or a log-rank group: the event table (custhealth.dask)
    """
    __hash__: typing.ClassVar[None] = None
    def __eq__(self, arg0: KmState) -> bool:
        ...
    def __getstate__(self) -> bytes:
        ...
    def __setstate__(self, arg0: bytes) -> None:
        ...
    def fit(self, confidence: typing.SupportsFloat | typing.SupportsIndex = 0.95) -> KaplanMeierResult:
        """
        The Kaplan–Meier curve of the table (as kaplan_meier on its subjects)
        """
    def merge(self, other: KmState) -> KmState:
        """
        The state of both partitions' rows (exact: counts and sums over disjoint rows)
        """
    def result(self) -> dict:
        """
        The result, as the single-process call reports it
        """
class Scorecard:
    """
    A validated scorecard model (custhealth/scorecard/scorecard.hpp)
    """
    @staticmethod
    def latest_version() -> int:
        ...
    @staticmethod
    def parse(text: str, source: str) -> Scorecard:
        """
        Parses and validates model JSON (ModelSpecError with the JSON path)
        """
    def signals(self) -> list[str]:
        """
        The signals the measures read, in model order, each once
        """
    def to_json(self) -> str:
        ...
    @property
    def bands(self) -> list:
        ...
    @property
    def description(self) -> str:
        ...
    @property
    def key_features(self) -> list[str]:
        ...
    @property
    def measures(self) -> list:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def trend_days(self) -> int:
        ...
    @property
    def version(self) -> int:
        ...
class LogisticModel:
    """
    The fitted logistic churn model of custhealth/churn/logistic.hpp (use custhealth.LogisticChurnModel).
    """
    @staticmethod
    def fit(X: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], y: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], sample_weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, feature_names: collections.abc.Sequence[str], l2: typing.SupportsFloat | typing.SupportsIndex, standardize: bool, max_iter: typing.SupportsInt | typing.SupportsIndex, tol: typing.SupportsFloat | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> LogisticModel:
        """
        Fits on X (n x p float64, any strides, read in place), y (0/1) and optional weights.
        """
    @staticmethod
    def from_json(text: str, source: str = 'model') -> LogisticModel:
        """
        The model of a file written by to_json().
        """
    def columns_for(self, names: collections.abc.Sequence[str]) -> list[int]:
        """
        For each model feature, its position among names; an error lists missing and extra ones.
        """
    def contributions(self, X: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], columns: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None = None) -> numpy.typing.NDArray[numpy.float64]:
        """
        n x (p + 1) log-odds contributions: coef_std * (x - mean) / sd per feature, then intercept_std.
        """
    def predict_logit(self, X: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], columns: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None = None) -> numpy.typing.NDArray[numpy.float64]:
        """
        The logit of each row (the sum of its contributions).
        """
    def predict_proba(self, X: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], columns: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex] | None = None) -> numpy.typing.NDArray[numpy.float64]:
        """
        P(churn) of each row.
        """
    def summary(self, confidence: typing.SupportsFloat | typing.SupportsIndex = 0.95) -> dict:
        """
        The coefficient table's columns: term, coef, se, z, p, ci_lower, ci_upper, coef_std, se_std.
        """
    def to_json(self) -> str:
        ...
    @property
    def coef(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def coef_std(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def converged(self) -> bool:
        ...
    @property
    def feature_names(self) -> list[str]:
        ...
    @property
    def gradient_norm(self) -> float:
        ...
    @property
    def intercept(self) -> float:
        ...
    @property
    def intercept_se(self) -> float:
        ...
    @property
    def intercept_se_std(self) -> float:
        ...
    @property
    def intercept_std(self) -> float:
        ...
    @property
    def iterations(self) -> int:
        ...
    @property
    def l2(self) -> float:
        ...
    @property
    def log_loss(self) -> float:
        ...
    @property
    def max_iter(self) -> int:
        ...
    @property
    def mean(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def objective(self) -> float:
        ...
    @property
    def rows(self) -> int:
        ...
    @property
    def sd(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def se(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def se_std(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def standardize(self) -> bool:
        ...
    @property
    def status(self) -> str:
        ...
    @property
    def tol(self) -> float:
        ...
    @property
    def weight_sum(self) -> float:
        ...
class CoxModel:
    """
    The fitted Cox model of custhealth/churn/cox.hpp (use custhealth.CoxPH).
    """
    @staticmethod
    def fit(X: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], durations: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], events: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]] | None, weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, strata: typing.Annotated[numpy.typing.ArrayLike, numpy.int32] | None, feature_names: collections.abc.Sequence[str], l2: typing.SupportsFloat | typing.SupportsIndex, max_iter: typing.SupportsInt | typing.SupportsIndex, tol: typing.SupportsFloat | typing.SupportsIndex, duration_col: str, event_col: str, weights_col: str) -> CoxModel:
        """
        Fits on X (n x p float64, any strides, read in place), durations, optional 0/1 events, weights (> 0) and int32 stratum codes.
        """
    def likelihood_ratio_test(self) -> tuple[float, float, int]:
        """
        (statistic, p_value, degrees_of_freedom) of the test against no covariates.
        """
    def log_partial_hazard(self, X: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]]) -> numpy.typing.NDArray[numpy.float64]:
        """
        coef . (x - mean) of each row (X's columns are the model's, in order).
        """
    def predict_cumulative_hazard(self, X: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], strata: typing.Annotated[numpy.typing.ArrayLike, numpy.int32] | None, times: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], survival: bool = False) -> numpy.typing.NDArray[numpy.float64]:
        """
        times x rows: the cumulative hazard (or, with survival, the survival) of each row at each time.
        """
    def summary(self, confidence: typing.SupportsFloat | typing.SupportsIndex = 0.95) -> dict:
        """
        The coefficient table's columns: term, coef, exp_coef, se, ci_lower, ci_upper, exp_ci_lower, exp_ci_upper, z, p.
        """
    @property
    def baseline_hazard(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def baseline_times(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def coef(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def concordance_index(self) -> float:
        ...
    @property
    def converged(self) -> bool:
        ...
    @property
    def covariance(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def events(self) -> int:
        ...
    @property
    def feature_names(self) -> list[str]:
        ...
    @property
    def iterations(self) -> int:
        ...
    @property
    def l2(self) -> float:
        ...
    @property
    def log_likelihood(self) -> float:
        ...
    @property
    def mean(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def n_strata(self) -> int:
        ...
    @property
    def null_log_likelihood(self) -> float:
        ...
    @property
    def partial_log_likelihood(self) -> float:
        ...
    @property
    def rows(self) -> int:
        ...
    @property
    def sd(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def se(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def status(self) -> str:
        ...
    @property
    def step_norm(self) -> float:
        ...
    @property
    def weight_sum(self) -> float:
        ...
class HealthTracker:
    """
    The streaming health tracker (custhealth/streaming/tracker.hpp)
    """
    @staticmethod
    def restore(path: str, card: Scorecard) -> HealthTracker:
        """
        The tracker a snapshot holds; refuses a damaged one or one of another card
        """
    def __init__(self, card: Scorecard, lateness_seconds: typing.SupportsInt | typing.SupportsIndex, csat_scale: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def alert_moments(self, as_of: typing.SupportsInt | typing.SupportsIndex) -> list[int]:
        """
        The as-of times of alerts(as_of): [as_of] first, then [previous, as_of]; records as_of
        """
    def dataset(self) -> Dataset:
        """
        The retained rows as one dataset (rebuilt when rows were added)
        """
    def snapshot(self, path: str) -> None:
        """
        Writes the state atomically (temporary file, fsync, rename, fsync of the directory)
        """
    def update(self, batch: Dataset) -> dict:
        """
        Appends a validated batch; returns what it accepted and rejected (late rows too)
        """
    @property
    def card(self) -> Scorecard:
        ...
    @property
    def csat_scale(self) -> int:
        ...
    @property
    def lateness_seconds(self) -> int:
        ...
    @property
    def position(self) -> int:
        ...
    @position.setter
    def position(self, arg1: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def report(self) -> dict:
        ...
def _survival_input_addresses(arg0: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], arg1: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8]) -> tuple[int, int]:
    ...
def _survival_spare_bytes() -> int:
    ...
def account_workload(segment_weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], band_weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], mrr: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], mrr_exponent: typing.SupportsFloat | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    """
    Per account segment_weight · band_weight · (mrr / mean positive mrr)^mrr_exponent (NaN or non-positive MRR counts as the mean)
    """
def active_accounts(dataset: Dataset, as_of: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.uint8]:
    """
    Per account (code order): 1 when active at the time (started before it, not ended before it)
    """
def assign_accounts(workload: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], load: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], capacity: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> dict:
    """
    New accounts (their workloads) to owners holding books of `load` within `capacity` (inf: no limit): owner index per account (-1: no owner has room), loads and load/capacity ratios after; see custhealth.assign_accounts for the objective
    """
def backlog_arrays(opened: typing.Any, first_response: typing.Any, resolved: typing.Any, ticks_per_second: typing.SupportsInt | typing.SupportsIndex, priority: typing.Any, keys: list, as_of: typing.SupportsInt | typing.SupportsIndex | None) -> dict:
    ...
def backlog_dataset(dataset: Dataset, by: collections.abc.Sequence[str], as_of: typing.SupportsInt | typing.SupportsIndex | None) -> dict:
    ...
def brier(y_true: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], y_prob: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], sample_weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None) -> float:
    """
    Brier score (= sklearn.metrics.brier_score_loss); NaN when the weights sum to 0.
    """
def btyd_conditional_expected(model: str, params: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], t: typing.SupportsFloat | typing.SupportsIndex, frequency: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, recency: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, T: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> numpy.typing.NDArray[numpy.float64]:
    ...
def btyd_expected(arg0: str, arg1: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], arg2: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> numpy.typing.NDArray[numpy.float64]:
    ...
def btyd_expected_average_profit(arg0: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], arg1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], arg2: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> numpy.typing.NDArray[numpy.float64]:
    ...
def btyd_fit(model: str, frequency: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, recency: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, T: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, monetary: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, penalizer: typing.SupportsFloat | typing.SupportsIndex = 0.0, max_iter: typing.SupportsInt | typing.SupportsIndex = 500, tol: typing.SupportsFloat | typing.SupportsIndex = 1e-09, initial: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] | None = None) -> dict:
    ...
def btyd_fit_sbg(alive: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], penalizer: typing.SupportsFloat | typing.SupportsIndex = 0.0, max_iter: typing.SupportsInt | typing.SupportsIndex = 500, tol: typing.SupportsFloat | typing.SupportsIndex = 1e-09, initial: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] | None = None) -> dict:
    ...
def btyd_log_likelihood_rows(arg0: str, arg1: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], arg2: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, arg3: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, arg4: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, arg5: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, arg6: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None) -> numpy.typing.NDArray[numpy.float64]:
    ...
def btyd_p_alive(model: str, params: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], frequency: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, recency: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, T: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, t_future: typing.SupportsFloat | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> numpy.typing.NDArray[numpy.float64]:
    ...
def btyd_parameter_names(arg0: str) -> list[str]:
    ...
def btyd_probability(arg0: str, arg1: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], arg2: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], arg3: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    ...
def btyd_rfm_dataset(dataset: Dataset, table: str, currency: str | None, as_of: typing.SupportsInt | typing.SupportsIndex | None, freq: str) -> dict:
    """
    The RFM summary of a Dataset's payments or usage table in C++ (btyd/rfm.hpp): rows before as_of
    (epoch seconds; None: the end of the table's data), periods of freq (D, W, M, Q).
    """
def btyd_sbg_log_likelihood(arg0: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], arg1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> float:
    ...
def btyd_sbg_retention(arg0: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], arg1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> numpy.typing.NDArray[numpy.float64]:
    ...
def btyd_sbg_survival(arg0: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], arg1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> numpy.typing.NDArray[numpy.float64]:
    ...
def calibration(y_true: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], y_prob: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], bins: typing.SupportsInt | typing.SupportsIndex, strategy: str) -> dict:
    """
    The calibration table's columns (non-empty bins only; = sklearn.calibration.calibration_curve).
    """
def calibration_fit(method: str, score: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], sample_weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], float, float]:
    """
    (x, y, a, b) of the fitted map: isotonic (x, y) or Platt (a, b)
    """
def calibration_predict(method: str, x: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], y: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], a: typing.SupportsFloat | typing.SupportsIndex, b: typing.SupportsFloat | typing.SupportsIndex, score: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> numpy.typing.NDArray[numpy.float64]:
    ...
def ces(scores: typing.Any, confidence: typing.SupportsFloat | typing.SupportsIndex = 0.95) -> CesResult:
    ...
def churn_labels(dataset: Dataset, as_of: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], horizon_days: typing.SupportsInt | typing.SupportsIndex, inactivity_days: typing.SupportsInt | typing.SupportsIndex) -> dict:
    ...
def cohort_retention(dataset: Dataset, period: str = 'M', mode: str = 'on', cohort_by: str = 'first_activity', value: str = 'accounts', events: collections.abc.Sequence[str] | None = None, as_of: typing.SupportsInt | typing.SupportsIndex | None = None, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    """
    Cohort retention matrix (see custhealth.cohort_retention); unobserved cells are NaN
    """
def cohort_state(dataset: Dataset, period: str, mode: str, cohort_by: str, value: str, as_of: typing.SupportsInt | typing.SupportsIndex, events: collections.abc.Sequence[str] | None = None) -> CohortState:
    """
    The CohortState of a dataset's accounts; as_of is required (every shard must share T); event names the dataset lacks select nothing (check them over the whole table)
    """
def concordance(event_times: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], predicted_scores: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], event_observed: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]] | None = None) -> tuple:
    """
    (concordant, tied, pairs, index) as lifelines.utils.concordance_index counts them; index NaN without pairs.
    """
def csat(scores: typing.Any, scale: typing.SupportsInt | typing.SupportsIndex = 5, top_boxes: typing.SupportsInt | typing.SupportsIndex = 2, confidence: typing.SupportsFloat | typing.SupportsIndex = 0.95) -> CsatResult:
    ...
def csat_test(arg0: CsatResult, arg1: CsatResult) -> ZTestResult:
    ...
def csv_directory(dir: str) -> dict[str, str]:
    ...
def default_threads() -> int:
    """
    The thread count when none is set: CUSTHEALTH_NUM_THREADS (a whole number >= 1), else 1
    """
def feedback_arrays(kind: str, time: typing.Any, ticks_per_second: typing.SupportsInt | typing.SupportsIndex, score: typing.Any, kind_codes: typing.Any, kind_code: typing.SupportsInt | typing.SupportsIndex, keys: list, period: str | None, as_of: typing.SupportsInt | typing.SupportsIndex | None, window_days: typing.SupportsInt | typing.SupportsIndex, scale: typing.SupportsInt | typing.SupportsIndex, top_boxes: typing.SupportsInt | typing.SupportsIndex, confidence: typing.SupportsFloat | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex = 1, state: bool = False) -> typing.Any:
    """
    Grouped survey summary of DataFrame columns: a dict of arrays, or with state=True the mergeable partial state (NpsState, CsatState, CesState)
    """
def feedback_dataset(dataset: Dataset, kind: str, by: collections.abc.Sequence[str], period: str | None, as_of: typing.SupportsInt | typing.SupportsIndex | None, window_days: typing.SupportsInt | typing.SupportsIndex, scale: typing.SupportsInt | typing.SupportsIndex, top_boxes: typing.SupportsInt | typing.SupportsIndex, confidence: typing.SupportsFloat | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    ...
def from_arrays(tables: dict, strict: bool = True, csat_scale: typing.SupportsInt | typing.SupportsIndex = 5, columns: collections.abc.Mapping[str, str] = {}, table_columns: collections.abc.Mapping[str, collections.abc.Mapping[str, str]] = {}, time_unit: str = 's', row_labels: dict = {}) -> Dataset:
    ...
def generate(n_accounts: typing.SupportsInt | typing.SupportsIndex, days: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex, end: typing.SupportsInt | typing.SupportsIndex, payments: bool) -> tuple[Dataset, dict]:
    ...
def kaplan_meier(durations: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], observed: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], entry: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, confidence: typing.SupportsFloat | typing.SupportsIndex = 0.95, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> KaplanMeierResult:
    """
    Kaplan–Meier fit of float64 durations and uint8 event flags (0/1); entry and weights optional.
    
    Arrays of these dtypes, C-contiguous, are read without a copy; the GIL is released while fitting.
    """
def km_state(durations: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], observed: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], entry: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None) -> KmState:
    """
    The event table of a sample, as a mergeable KmState (the arguments as kaplan_meier's)
    """
def lifecycle(dataset: Dataset, period: str = 'M', events: collections.abc.Sequence[str] | None = None, as_of: typing.SupportsInt | typing.SupportsIndex | None = None, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    """
    Lifecycle counts per fully observed period (see custhealth.lifecycle)
    """
def lifecycle_state(dataset: Dataset, period: str, as_of: typing.SupportsInt | typing.SupportsIndex, events: collections.abc.Sequence[str] | None = None) -> LifecycleState:
    """
    The LifecycleState of a dataset's accounts; as_of is required (every shard must share T); event names the dataset lacks select nothing (check them over the whole table)
    """
def lift(y_true: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], y_score: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], k: typing.SupportsFloat | typing.SupportsIndex) -> float:
    """
    precision_at_k over the overall positive rate; NaN without positives.
    """
def log_hyp2f1(a: typing.SupportsFloat | typing.SupportsIndex, b: typing.SupportsFloat | typing.SupportsIndex, c: typing.SupportsFloat | typing.SupportsIndex, z: typing.SupportsFloat | typing.SupportsIndex) -> float:
    ...
def log_loss(y_true: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], y_prob: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], sample_weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None) -> float:
    """
    Log loss, p clipped to [eps, 1 - eps] (= sklearn.metrics.log_loss); NaN when the weights sum to 0.
    """
def logrank_states(states: collections.abc.Sequence[KmState], weighting: str = 'logrank', p: typing.SupportsFloat | typing.SupportsIndex = 0.0, q: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> dict:
    """
    Log-rank test of groups given as KmStates (group codes 0, 1, ...: their positions)
    """
def logrank_test(durations: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], observed: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], groups: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, weighting: str = 'logrank', p: typing.SupportsFloat | typing.SupportsIndex = 0.0, q: typing.SupportsFloat | typing.SupportsIndex = 0.0, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    """
    Log-rank test across integer group codes (k >= 2), optionally weighted (lifelines' weightings).
    """
def mrr_bridge(dataset: Dataset, as_of: typing.SupportsInt | typing.SupportsIndex | None = None) -> dict:
    """
    Monthly MRR bridge (see custhealth.mrr_bridge)
    """
def mrr_month_range(dataset: Dataset, as_of: typing.SupportsInt | typing.SupportsIndex | None = None) -> tuple[int, int] | None:
    """
    The first and last month numbers of the MRR rows before as_of (None: no such row), for custhealth.dask
    """
def mrr_movements(dataset: Dataset, as_of: typing.SupportsInt | typing.SupportsIndex | None = None) -> dict:
    """
    MRR movements per account-month (see custhealth.mrr_movements)
    """
def nps(scores: typing.Any, confidence: typing.SupportsFloat | typing.SupportsIndex = 0.95) -> NpsResult:
    ...
def nps_test(arg0: NpsResult, arg1: NpsResult) -> ZTestResult:
    ...
def payments_arrays(time: typing.Any, ticks_per_second: typing.SupportsInt | typing.SupportsIndex, type: typing.Any, amount: typing.Any, keys: list, period: str | None, as_of: typing.SupportsInt | typing.SupportsIndex | None, window_days: typing.SupportsInt | typing.SupportsIndex, warning: typing.SupportsFloat | typing.SupportsIndex, breach: typing.SupportsFloat | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex = 1, state: bool = False, currency: typing.Any = None) -> typing.Any:
    """
    Payments quality of DataFrame columns: a dict of arrays, or with state=True the mergeable PaymentsState
    """
def payments_dataset(dataset: Dataset, by: collections.abc.Sequence[str], period: str | None, as_of: typing.SupportsInt | typing.SupportsIndex | None, window_days: typing.SupportsInt | typing.SupportsIndex, warning: typing.SupportsFloat | typing.SupportsIndex, breach: typing.SupportsFloat | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    ...
def pr_auc(y_true: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], y_score: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], sample_weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None) -> float:
    """
    Average precision (= sklearn.metrics.average_precision_score); NaN without positives.
    """
def precision_at_k(y_true: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], y_score: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], k: typing.SupportsFloat | typing.SupportsIndex) -> float:
    """
    Share of positives among the top ceil(k n) scores, ties at the cut shared out.
    """
def read_csv(paths: collections.abc.Mapping[str, str], strict: bool = True, csat_scale: typing.SupportsInt | typing.SupportsIndex = 5, columns: collections.abc.Mapping[str, str] = {}, table_columns: collections.abc.Mapping[str, collections.abc.Mapping[str, str]] = {}, time_unit: str = 's') -> Dataset:
    ...
def release_survival_buffers() -> None:
    """
    Frees the spare buffers that Kaplan–Meier fits and log-rank tests from Python keep for reuse.
    """
def revenue_retention(dataset: Dataset, months: typing.SupportsInt | typing.SupportsIndex = 12, as_of: typing.SupportsInt | typing.SupportsIndex | None = None) -> dict:
    """
    GRR, NRR and logo retention over a lag of `months` (see custhealth.revenue_retention)
    """
def revenue_state(dataset: Dataset, months: typing.SupportsInt | typing.SupportsIndex, as_of: typing.SupportsInt | typing.SupportsIndex | None, first_month: typing.SupportsInt | typing.SupportsIndex, last_month: typing.SupportsInt | typing.SupportsIndex) -> RevenueState:
    """
    The RevenueState of a dataset's accounts, framed on the whole table's month range (mrr_month_range merged)
    """
def roc_auc(y_true: numpy.ndarray[typing.Any, numpy.dtype[typing.Any]], y_score: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], sample_weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None) -> float:
    """
    ROC AUC, ties averaged (= sklearn.metrics.roc_auc_score); NaN with one class only.
    """
def scorecard_alerts(dataset: Dataset, card: Scorecard, as_of: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    """
    The alerts active at the first as-of time and those starting at each later one (see card_alerts)
    """
def scorecard_rescore(card: Scorecard, measure_score: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], group_weights: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], measure_weights: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]) -> numpy.typing.NDArray[numpy.float64]:
    """
    Scores from measure scores already mapped ((measures × accounts), as score() returns them) with other weights: the loop a tuning harness runs
    """
def scorecard_score(dataset: Dataset, card: Scorecard, as_of: typing.SupportsInt | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    """
    Every account's score, band, trend and per-measure scores, points lost and weights as of one time
    """
def scorecard_score_signals(dataset: Dataset, card: Scorecard, as_of: typing.SupportsInt | typing.SupportsIndex, names: collections.abc.Sequence[str], values: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64]], n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    """
    Scores on signals already computed at one as-of time (one float64 array per name, in account order)
    """
def signals(dataset: Dataset, as_of: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], names: collections.abc.Sequence[str], n_threads: typing.SupportsInt | typing.SupportsIndex, targets: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], key_features: collections.abc.Sequence[str], btyd: tuple[str, collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], str] | None = None) -> dict:
    """
    Signals of every account at each as-of time (see custhealth.signals)
    """
def sla_arrays(opened: typing.Any, first_response: typing.Any, resolved: typing.Any, ticks_per_second: typing.SupportsInt | typing.SupportsIndex, priority: typing.Any, keys: list, period: str | None, as_of: typing.SupportsInt | typing.SupportsIndex | None, window_days: typing.SupportsInt | typing.SupportsIndex, targets: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], confidence: typing.SupportsFloat | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    ...
def sla_dataset(dataset: Dataset, by: collections.abc.Sequence[str], period: str | None, as_of: typing.SupportsInt | typing.SupportsIndex | None, window_days: typing.SupportsInt | typing.SupportsIndex, targets: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], confidence: typing.SupportsFloat | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    ...
def sla_state_arrays(opened: typing.Any, first_response: typing.Any, resolved: typing.Any, ticks_per_second: typing.SupportsInt | typing.SupportsIndex, priority: typing.Any, keys: list, period: str | None, as_of: typing.SupportsInt | typing.SupportsIndex, window_days: typing.SupportsInt | typing.SupportsIndex, targets: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], confidence: typing.SupportsFloat | typing.SupportsIndex) -> SlaState:
    """
    The mergeable SlaState of tickets as arrays; as_of is required (every shard must share T)
    """
def tenure(dataset: Dataset, as_of: typing.SupportsInt | typing.SupportsIndex | None = None, n_threads: typing.SupportsInt | typing.SupportsIndex = 1) -> dict:
    """
    Tenures in days with event flags (see custhealth.tenure)
    """
def tickets_end(opened: typing.Any, first_response: typing.Any, resolved: typing.Any, ticks_per_second: typing.SupportsInt | typing.SupportsIndex) -> int:
    """
    sla_summary's default T of tickets as arrays: the midnight after their latest time (INT64_MIN if none)
    """
def top_k_count(n: typing.SupportsInt | typing.SupportsIndex, k: typing.SupportsFloat | typing.SupportsIndex) -> int:
    """
    How many of n accounts the top fraction k holds: ceil(k n), k n within 1e-9 of an integer taken as it.
    """
def usage_shard(account: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], ids: collections.abc.Sequence[str], time: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], event: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], events: collections.abc.Sequence[str]) -> Dataset:
    ...
def write_csv(dataset: Dataset, dir: str) -> None:
    ...
DEFAULTS: dict = {'sla_first_response_seconds': {'low': 28800, 'normal': 7200, 'high': 7200, 'urgent': 3600}, 'chargeback_warning': 0.0065, 'chargeback_breach': 0.009, 'csat_scale': 5, 'ticks_per_second': {'s': 1, 'ms': 1000, 'us': 1000000, 'ns': 1000000000}, 'assignment': {'band_weights': {'red': 2.0, 'yellow': 1.5, 'green': 1.0}, 'weight': 1.0, 'mrr_exponent': 0.5, 'exact_limit': 12}}
ENUMS: dict = {'table': ('accounts', 'usage', 'surveys', 'tickets', 'mrr', 'payments'), 'time_unit': ('s', 'ms', 'us', 'ns'), 'period': ('D', 'W', 'M', 'Q'), 'survey_kind': ('nps', 'csat', 'ces'), 'priority': ('low', 'normal', 'high', 'urgent'), 'payment_type': ('payment', 'refund', 'chargeback', 'decline', 'cancellation'), 'nps_category': ('detractor', 'passive', 'promoter'), 'cohort_mode': ('on', 'on_or_after'), 'cohort_origin': ('first_activity', 'start'), 'cohort_value': ('accounts', 'mrr'), 'mrr_movement': ('new', 'expansion', 'contraction', 'churn', 'reactivation', 'unchanged'), 'payment_flag': ('none', 'ok', 'warning', 'breach'), 'sla_state': ('met', 'breached', 'pending'), 'calibration_strategy': ('uniform', 'quantile'), 'churn_exclusion': ('none', 'no_start', 'not_started', 'ended', 'inactive'), 'alert_severity': ('low', 'medium', 'high'), 'alert_kind': ('at_risk', 'inactive', 'renewal', 'escalation', 'threshold')}
MAX_THREADS: int = 4096
SCHEMA: dict = {'accounts': [('account_id', 'id', True), ('start', 'time', True), ('end', 'time', False), ('segment', 'text', False), ('plan', 'text', False), ('owner', 'text', False), ('seats', 'number', False), ('renewal_date', 'time', False)], 'usage': [('account_id', 'id', True), ('timestamp', 'time', True), ('event', 'text', True), ('value', 'number', False), ('user_id', 'text', False)], 'surveys': [('account_id', 'id', True), ('timestamp', 'time', True), ('kind', 'choice', True), ('score', 'number', True), ('respondent', 'text', False)], 'tickets': [('account_id', 'id', True), ('opened_at', 'time', True), ('first_response_at', 'time', False), ('resolved_at', 'time', False), ('priority', 'choice', False), ('owner', 'text', False)], 'mrr': [('account_id', 'id', True), ('month', 'month', True), ('mrr', 'number', True)], 'payments': [('account_id', 'id', True), ('timestamp', 'time', True), ('type', 'choice', True), ('amount', 'number', True), ('currency', 'text', False)]}
SIGNAL_CATALOG: list = [{'name': 'usage.events_7d', 'table': 'usage', 'unit': 'rows', 'window_days': 7, 'higher_is_better': True, 'definition': 'usage rows in [T - 7 d, T)'}, {'name': 'usage.events_30d', 'table': 'usage', 'unit': 'rows', 'window_days': 30, 'higher_is_better': True, 'definition': 'usage rows in [T - 30 d, T)'}, {'name': 'usage.events_90d', 'table': 'usage', 'unit': 'rows', 'window_days': 90, 'higher_is_better': True, 'definition': 'usage rows in [T - 90 d, T)'}, {'name': 'usage.value_30d', 'table': 'usage', 'unit': 'value', 'window_days': 30, 'higher_is_better': True, 'definition': 'sum of usage value in [T - 30 d, T)'}, {'name': 'usage.active_days_7d', 'table': 'usage', 'unit': 'days', 'window_days': 7, 'higher_is_better': True, 'definition': 'distinct days with a usage row in 7 d'}, {'name': 'usage.active_days_30d', 'table': 'usage', 'unit': 'days', 'window_days': 30, 'higher_is_better': True, 'definition': 'distinct days with a usage row in 30 d'}, {'name': 'usage.active_days_90d', 'table': 'usage', 'unit': 'days', 'window_days': 90, 'higher_is_better': True, 'definition': 'distinct days with a usage row in 90 d'}, {'name': 'usage.active_users_30d', 'table': 'usage', 'unit': 'users', 'window_days': 30, 'higher_is_better': True, 'definition': 'distinct user_id in 30 d'}, {'name': 'usage.features_30d', 'table': 'usage', 'unit': 'events', 'window_days': 30, 'higher_is_better': True, 'definition': 'distinct event names in 30 d'}, {'name': 'usage.days_since_last', 'table': 'usage', 'unit': 'days', 'window_days': 0, 'higher_is_better': False, 'definition': '(T - time of the last usage row before T) / 1 d'}, {'name': 'usage.trend_8w', 'table': 'usage', 'unit': '1/week', 'window_days': 56, 'higher_is_better': True, 'definition': 'Theil-Sen slope of the weekly row counts of the 8 weeks before T, over their mean'}, {'name': 'usage.dau_mau', 'table': 'usage', 'unit': 'ratio', 'window_days': 30, 'higher_is_better': True, 'definition': 'distinct (user, day) pairs in 30 d / 30 / usage.active_users_30d'}, {'name': 'adoption.breadth', 'table': 'usage', 'unit': 'ratio', 'window_days': 30, 'higher_is_better': True, 'definition': 'usage.features_30d / the events anyone used before T'}, {'name': 'adoption.depth', 'table': 'usage', 'unit': 'percentile', 'window_days': 30, 'higher_is_better': True, 'definition': "mid-rank percentile (0-1) of events per active day in 30 d among the segment's accounts active in 30 d"}, {'name': 'adoption.seat_utilisation', 'table': 'usage', 'unit': 'ratio', 'window_days': 30, 'higher_is_better': True, 'definition': 'usage.active_users_30d / seats (NaN without seats)'}, {'name': 'adoption.time_to_value_days', 'table': 'usage', 'unit': 'days', 'window_days': 0, 'higher_is_better': False, 'definition': "days from start to the first use of a key feature (the model's list) before T"}, {'name': 'nps.last', 'table': 'surveys', 'unit': 'score', 'window_days': 0, 'higher_is_better': True, 'definition': 'the last NPS answer before T'}, {'name': 'nps.days_since_last', 'table': 'surveys', 'unit': 'days', 'window_days': 0, 'higher_is_better': False, 'definition': '(T - time of the last NPS answer before T) / 1 d'}, {'name': 'nps.score_180d', 'table': 'surveys', 'unit': 'NPS', 'window_days': 180, 'higher_is_better': True, 'definition': 'NPS of the answers in 180 d'}, {'name': 'nps.n_180d', 'table': 'surveys', 'unit': 'answers', 'window_days': 180, 'higher_is_better': True, 'definition': 'NPS answers in 180 d'}, {'name': 'csat.rate_90d', 'table': 'surveys', 'unit': '%', 'window_days': 90, 'higher_is_better': True, 'definition': 'CSAT top-box share of the answers in 90 d, in percent'}, {'name': 'ces.mean_90d', 'table': 'surveys', 'unit': 'score', 'window_days': 90, 'higher_is_better': False, 'definition': 'mean CES answer in 90 d (1 = least effort)'}, {'name': 'support.tickets_30d', 'table': 'tickets', 'unit': 'tickets', 'window_days': 30, 'higher_is_better': False, 'definition': 'tickets opened in 30 d'}, {'name': 'support.open', 'table': 'tickets', 'unit': 'tickets', 'window_days': 0, 'higher_is_better': False, 'definition': 'tickets opened before T and not resolved before T'}, {'name': 'support.open_high', 'table': 'tickets', 'unit': 'tickets', 'window_days': 0, 'higher_is_better': False, 'definition': 'open tickets of priority high or urgent'}, {'name': 'support.open_high_age_days', 'table': 'tickets', 'unit': 'days', 'window_days': 0, 'higher_is_better': False, 'definition': '(T - opening time of the oldest open high/urgent ticket) / 1 d; NaN if none is open'}, {'name': 'support.sla_breaches_30d', 'table': 'tickets', 'unit': 'tickets', 'window_days': 30, 'higher_is_better': False, 'definition': 'first-response SLA breaches as of T among tickets opened in 30 d'}, {'name': 'support.sla_met_rate_90d', 'table': 'tickets', 'unit': 'ratio', 'window_days': 90, 'higher_is_better': True, 'definition': 'met / (met + breached) among tickets opened in 90 d'}, {'name': 'payments.volume_30d', 'table': 'payments', 'unit': 'amount', 'window_days': 30, 'higher_is_better': True, 'definition': 'sum of payment amounts in 30 d (NaN for several currencies)'}, {'name': 'payments.volume_change_30d', 'table': 'payments', 'unit': 'ratio', 'window_days': 60, 'higher_is_better': True, 'definition': '(volume in 30 d - volume in the 30 d before) / volume in the 30 d before (NaN if 0 or several currencies)'}, {'name': 'payments.refund_rate_90d', 'table': 'payments', 'unit': 'ratio', 'window_days': 90, 'higher_is_better': False, 'definition': 'refunds / payments in 90 d, by count'}, {'name': 'payments.chargeback_ratio_90d', 'table': 'payments', 'unit': 'ratio', 'window_days': 90, 'higher_is_better': False, 'definition': 'chargebacks / payments in 90 d'}, {'name': 'payments.chargebacks_90d', 'table': 'payments', 'unit': 'chargebacks', 'window_days': 90, 'higher_is_better': False, 'definition': 'chargebacks in 90 d'}, {'name': 'payments.decline_rate_30d', 'table': 'payments', 'unit': 'ratio', 'window_days': 30, 'higher_is_better': False, 'definition': 'declines / (payments + declines) in 30 d'}, {'name': 'btyd.p_alive', 'table': 'payments', 'unit': 'probability', 'window_days': 0, 'higher_is_better': True, 'definition': 'P(alive at T) of the given BTYD model from the payment periods before T (NaN without a model or a payment)'}, {'name': 'btyd.expected_purchases_90d', 'table': 'payments', 'unit': 'periods', 'window_days': 0, 'higher_is_better': True, 'definition': "payment periods the given BTYD model expects in the 90 d after its age at T (the start of T's period; NaN without a model or a payment)"}, {'name': 'mrr.current', 'table': 'mrr', 'unit': 'money/month', 'window_days': 0, 'higher_is_better': True, 'definition': 'MRR of the month containing T - 1 s (0 after a paid month without a row; NaN if never paid)'}, {'name': 'mrr.change_90d', 'table': 'mrr', 'unit': 'ratio', 'window_days': 90, 'higher_is_better': True, 'definition': '(current - MRR 3 months earlier) / MRR 3 months earlier'}, {'name': 'account.tenure_days', 'table': 'accounts', 'unit': 'days', 'window_days': 0, 'higher_is_better': True, 'definition': 'days from start to T, or to an end before T'}, {'name': 'account.days_to_renewal', 'table': 'accounts', 'unit': 'days', 'window_days': 0, 'higher_is_better': True, 'definition': 'days from T to renewal_date'}, {'name': 'account.seats', 'table': 'accounts', 'unit': 'seats', 'window_days': 0, 'higher_is_better': True, 'definition': 'seats'}]
__version__: str = '0.1.0'
