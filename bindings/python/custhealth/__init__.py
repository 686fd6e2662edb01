"""custhealth — customer-health analytics: churn risk, adoption, CSAT/NPS aggregates, retention.

The compiled core (``custhealth._core``) is private; this package is the public, typed API.
"""

from ._core import ConvergenceError, InvalidInputError, ModelSpecError
from ._core import __version__
from .dataset import Dataset, generate, read_csv

__all__ = [
    "__version__",
    "ConvergenceError",
    "InvalidInputError",
    "ModelSpecError",
    "Dataset",
    "generate",
    "read_csv",
]
