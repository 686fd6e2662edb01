"""custhealth — customer-health analytics: churn risk, adoption, CSAT/NPS aggregates, retention.

The compiled core (``custhealth._core``) is private; this package is the public, typed API.
"""

from ._core import ConvergenceError, InvalidInputError, ModelSpecError
from ._core import __version__
from .dataset import Dataset, generate, read_csv
from .survival import KaplanMeier, LogRankResult, logrank_test, multivariate_logrank_test, tenure_survival
from .retention import CohortRetention, cohort_retention, lifecycle, mrr_bridge, mrr_movements, revenue_retention, tenure

__all__ = [
    "__version__",
    "ConvergenceError",
    "InvalidInputError",
    "ModelSpecError",
    "Dataset",
    "generate",
    "read_csv",
    "KaplanMeier",
    "LogRankResult",
    "logrank_test",
    "multivariate_logrank_test",
    "tenure_survival",
    "CohortRetention",
    "cohort_retention",
    "lifecycle",
    "mrr_movements",
    "mrr_bridge",
    "revenue_retention",
    "tenure",
]
