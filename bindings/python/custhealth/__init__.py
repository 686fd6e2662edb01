"""custhealth — customer-health analytics: churn risk, adoption, CSAT/NPS aggregates, retention.

The compiled core (``custhealth._core``) is private; this package is the public, typed API.
"""

import importlib.util as _util

# numpy and pandas are the package's two dependencies; without them say so, before any submodule
# fails on its first import with less context.
for _name in ("numpy", "pandas"):
    if _util.find_spec(_name) is None:
        raise ImportError(f"custhealth needs {_name}, which is not installed in this environment: pip install {_name}")
del _name, _util

from ._core import ConvergenceError, InvalidInputError, ModelSpecError
from ._core import __version__
from .dataset import Dataset, generate, read_csv
from .feedback import (CesResult, CsatResult, NpsResult, ZTestResult, ces, csat, csat_test, feedback_summary, nps,
                       nps_test, plot_feedback)
from .payments import payments_summary
from .support import sla_summary, ticket_backlog
from .survival import (KaplanMeier, LogRankResult, PairwiseLogRankResult, add_at_risk_counts, logrank_test,
                       multivariate_logrank_test, pairwise_logrank_test, release_survival_buffers, tenure_survival)
from .parallel import get_num_threads, set_num_threads
from .signals import signal_catalog, signals
from .adoption import adoption
from .scorecard import Scorecard
from .assignment import assign_accounts
from .training import backtest, churn_features, tune
from . import metrics
from .churn import ConvergenceWarning, LogisticChurnModel
from .btyd import BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD, ShiftedBetaGeo, rfm_summary
from .cox import CoxLikelihoodRatioTest, CoxPH
from .tracker import HealthTracker
from .retention import CohortRetention, cohort_retention, lifecycle, mrr_bridge, mrr_movements, revenue_retention, tenure

__all__ = [
    "__version__",
    "ConvergenceError",
    "ConvergenceWarning",
    "InvalidInputError",
    "ModelSpecError",
    "Dataset",
    "adoption",
    "Scorecard",
    "HealthTracker",
    "assign_accounts",
    "backtest",
    "churn_features",
    "tune",
    "get_num_threads",
    "set_num_threads",
    "signal_catalog",
    "signals",
    "generate",
    "read_csv",
    "nps",
    "csat",
    "ces",
    "nps_test",
    "csat_test",
    "feedback_summary",
    "plot_feedback",
    "NpsResult",
    "CsatResult",
    "CesResult",
    "ZTestResult",
    "sla_summary",
    "ticket_backlog",
    "payments_summary",
    "KaplanMeier",
    "add_at_risk_counts",
    "LogRankResult",
    "logrank_test",
    "multivariate_logrank_test",
    "pairwise_logrank_test",
    "PairwiseLogRankResult",
    "release_survival_buffers",
    "tenure_survival",
    "CohortRetention",
    "cohort_retention",
    "lifecycle",
    "mrr_movements",
    "mrr_bridge",
    "revenue_retention",
    "tenure",
    "metrics",
    "LogisticChurnModel",
    "rfm_summary",
    "BetaGeo",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "GammaGamma",
    "BetaGeoBetaBinom",
    "ShiftedBetaGeo",
    "CoxPH",
    "CoxLikelihoodRatioTest",
]
