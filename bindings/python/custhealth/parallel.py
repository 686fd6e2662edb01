"""How many threads custhealth's per-account analytics use when a call does not say (DESIGN §7): one,
unless ``set_num_threads`` or the environment variable ``CUSTHEALTH_NUM_THREADS`` says otherwise. The
numbers are the same bits for any count: per-account work is split into contiguous blocks of accounts
that write disjoint cells, and row aggregates into blocks of rows whose counts merge exactly, so threads
change only the time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._grouping import invalid

_setting: int | None = None
MAX_THREADS: int = int(_core.MAX_THREADS)


def _checked(n: Any, where: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_THREADS:
        raise invalid(f"{where}: n_threads must be a whole number from 1 to {MAX_THREADS}, got {n!r}")
    return int(n)


def set_num_threads(n: int | None) -> None:
    """Threads for every later call that leaves ``n_threads`` unset (``None``: back to the
    environment's ``CUSTHEALTH_NUM_THREADS``, else 1). A process-wide setting, as numpy's BLAS or
    polars' pool; a call's own ``n_threads=`` always wins."""
    global _setting
    _setting = None if n is None else _checked(n, "set_num_threads")


def get_num_threads() -> int:
    """The thread count a call with ``n_threads=None`` uses now."""
    if _setting is not None:
        return _setting
    return int(_core.default_threads())  # InvalidInputError naming the variable when it is not a count


def resolve_threads(n_threads: Any, where: str) -> int:
    """``n_threads`` checked (a whole number ≥ 1), or the process-wide count when it is None."""
    return get_num_threads() if n_threads is None else _checked(n_threads, where)


__all__ = ["get_num_threads", "set_num_threads"]
