"""What the plots share: matplotlib imported on first use (an optional dependency, the ``plot`` extra)
and the rule that thins tick labels so a long axis (400 daily cohorts, 100 weekly offsets) stays readable."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._grouping import invalid

# Tick steps, in positions of the axis, times 1, 10, 100, … (2.5 only from 25 on): round numbers, each at
# most 2.5 times the one before, so a thinned axis keeps from about 40 % of max_ticks to max_ticks labels.
_STEPS = (1.0, 2.0, 2.5, 5.0)


def pyplot() -> Any:
    """matplotlib.pyplot, or an ImportError that says how to get it."""
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415 (optional dependency, imported on use)
    except ImportError as err:
        raise ImportError("custhealth's plots need matplotlib, which is not installed: "
                          "pip install 'custhealth[plot]' (or matplotlib)") from err
    return plt


def new_axes(ax: Any, figsize: tuple[float, float]) -> Any:
    """`ax` as it is, or the Axes of a new figure of `figsize` inches."""
    if ax is None:
        _, ax = pyplot().subplots(figsize=figsize)
    return ax


def check_count(value: Any, name: str, minimum: int, where: str) -> int:
    """A plot option that counts something (labels, groups): a whole number ≥ `minimum`, bools refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise invalid(f"{where}: {name} must be a whole number ≥ {minimum}, got {value!r}")
    return int(value)


def thinned(n: int, max_ticks: int) -> range:
    """Positions 0, s, 2s, … below n, s the smallest of 1, 2, 5, 10, 20, 25, 50, 100, … that leaves at
    most `max_ticks` of them (all n when n ≤ max_ticks)."""
    scale = 1
    while True:
        for step in (int(f * scale) for f in _STEPS if float(f * scale).is_integer()):
            if -(-n // step) <= max_ticks:
                return range(0, n, step)
        scale *= 10


def date_axis(ax: Any, max_ticks: int = 12) -> None:
    """Dates on the x axis with at most about `max_ticks` concise labels (2024, Feb, Mar, …)."""
    import matplotlib.dates  # noqa: PLC0415

    dates: Any = matplotlib.dates  # its constructors are untyped
    locator = dates.AutoDateLocator(maxticks=max_ticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
