"""Retention analytics (DESIGN §4 "Retention"): cohort retention matrices (heads and revenue),
lifecycle counts, MRR movements and the monthly bridge, GRR / NRR / logo retention, and account
tenures for survival analysis. The numbers come from the C++ core (GIL released); this module
turns them into pandas objects.

Every function takes a :class:`custhealth.Dataset`, a dict of DataFrames, or a single DataFrame
of the table it reads (usage for activity, mrr for revenue, accounts for tenures).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._convert import moment, name_list, seconds_to_datetime, to_seconds
from ._plotting import check_count, new_axes, thinned
from .dataset import Dataset, as_dataset
from .parallel import resolve_threads


def _dataset(data: Any, table: str) -> Dataset:
    """A Dataset as it is; a dict of DataFrames made into one; a DataFrame taken as `table`."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, pd.DataFrame):
        frames: dict[str, Any] = {table: data}
        return Dataset(**frames)
    if isinstance(data, Mapping):
        return as_dataset(data)
    raise TypeError(f"expected a custhealth.Dataset, a dict of DataFrames or a {table} DataFrame, "
                    f"got {type(data).__name__}")


def _seconds(value: Any) -> int | None:
    return None if value is None else to_seconds(value)


def _times(seconds: np.ndarray, name: str) -> pd.DatetimeIndex:
    return seconds_to_datetime(seconds).rename(name)


class CohortRetention:
    """A cohort retention matrix.

    Attributes
    ----------
    sizes : pandas.Series
        Per cohort (indexed by the cohort period's start date): its accounts, or for revenue
        cohorts its MRR in the cohort period.
    accounts : pandas.Series
        Accounts per cohort (equal to ``sizes`` for head cohorts).
    counts : pandas.DataFrame
        Cohorts × offsets 0..K: accounts (or MRR) active in period c+k (``mode="on"``) or in some
        period ≥ c+k (``mode="on_or_after"``). NaN where period c+k is not fully observed.
    rates : pandas.DataFrame
        ``counts / sizes``; NaN for unobserved cells and for cohorts of size 0.
    average : pandas.Series
        Per offset, the size-weighted average over the observed cells:
        Σ counts / Σ sizes over the cohorts whose cell is observed.
    as_of : pandas.Timestamp
        Only rows before this moment were used; a cell is observed when its period ends by then.
    excluded : int
        Accounts without a cohort (no qualifying activity, or no start, before ``as_of``).
    """

    def __init__(self, native: dict[str, Any], period: str, mode: str, value: str) -> None:
        index = _times(native["cohort_start"], "cohort")
        offsets = pd.RangeIndex(native["counts"].shape[1], name="offset")
        self.period, self.mode, self.value = period, mode, value
        self.sizes = pd.Series(np.asarray(native["sizes"]), index=index, name="size")
        self.accounts = pd.Series(np.asarray(native["accounts"]), index=index, name="accounts")
        self.counts = pd.DataFrame(native["counts"], index=index, columns=offsets)
        self.rates = pd.DataFrame(native["rates"], index=index, columns=offsets)
        self.average = pd.Series(np.asarray(native["average"]), index=offsets, name="average")
        self.as_of = moment(native["as_of"])
        self.excluded = int(native["excluded"])

    def plot(self, ax: Any = None, annotate: bool | None = None, cmap: str = "viridis", *,
             max_ticks: int = 20) -> Any:
        """A heat map of :attr:`rates`: cohorts down, offsets across, unobserved cells blank, with a
        colour bar.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Default: a new figure sized to the matrix (at most 12 × 9 inches).
        annotate : bool, optional
            Write each cell's percentage in it; default: only for matrices up to 24 × 24.
        cmap : str
            A matplotlib colour map.
        max_ticks : int, default 20
            At most this many labels on each axis: on a longer axis (daily or weekly cohorts) every
            s-th row or column is labelled, s the smallest of 1, 2, 5, 10, 20, 25, 50, … that fits.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        InvalidInputError
            A matrix without cohorts or offsets, ``max_ticks`` below 2, ``annotate`` not a bool.
        """
        rows, cols = self.rates.shape
        if rows == 0 or cols == 0:
            raise _core.InvalidInputError(f"CohortRetention.plot: nothing to plot, the matrix is {rows} × {cols} "
                                          f"(no cohort before as_of {self.as_of})")
        cap = check_count(max_ticks, "max_ticks", 2, "CohortRetention.plot")
        if annotate is None:
            annotate = rows <= 24 and cols <= 24
        elif not isinstance(annotate, (bool, np.bool_)):
            raise _core.InvalidInputError(f"CohortRetention.plot: annotate must be True, False or None, "
                                          f"got {annotate!r}")
        ax = new_axes(ax, (min(12.0, 1.5 + 0.45 * max(cols, 4)), min(9.0, 1.0 + 0.35 * max(rows, 4))))
        rates = self.rates.to_numpy(dtype=float)
        values = np.ma.masked_invalid(rates)
        top = 1.0 if self.value == "accounts" or values.count() == 0 else max(1.0, float(values.max()))
        image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=0.0, vmax=top, interpolation="nearest")
        fmt = {"D": "%Y-%m-%d", "W": "%Y-%m-%d", "M": "%Y-%m", "Q": "%Y-%m"}[self.period]
        down, across = thinned(rows, cap), thinned(cols, cap)
        ax.set_yticks(list(down), [self.rates.index[i].strftime(fmt) for i in down])
        ax.set_xticks(list(across), [str(self.rates.columns[j]) for j in across])
        ax.set_xlabel(f"periods since cohort ({self.period})")
        ax.set_ylabel("cohort")
        ax.set_title(f"{'Revenue' if self.value == 'mrr' else 'Cohort'} retention ({self.mode})")
        if annotate:
            for (i, j), v in np.ndenumerate(rates):
                if np.isfinite(v):
                    ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=7,
                            color="white" if v < 0.6 * top else "black")
        ax.figure.colorbar(image, ax=ax, label="retention")
        return ax

    def __repr__(self) -> str:
        return (f"<custhealth.CohortRetention: {len(self.sizes)} cohorts × {self.rates.shape[1]} offsets, "
                f"period={self.period}, mode={self.mode}, value={self.value}, as_of={self.as_of}>")


def cohort_retention(data: Any, period: str = "M", mode: str = "on", cohort_by: str = "first_activity",
                     value: str | None = None, events: str | Sequence[str] | None = None,
                     as_of: Any = None, *, n_threads: int | None = None) -> CohortRetention:
    """Cohort retention matrix.

    Parameters
    ----------
    data : Dataset, dict of DataFrames, or a usage DataFrame (an mrr DataFrame with ``value="mrr"``)
    period : {"D", "W", "M", "Q"}
        Calendar periods in UTC; weeks are ISO weeks starting on Monday.
    mode : {"on", "on_or_after"}
        ``on``: active in exactly period c+k; ``on_or_after``: active in any period ≥ c+k.
    cohort_by : {"first_activity", "start"}
        The period of the account's first qualifying event (first month with MRR > 0 for revenue
        cohorts), or of its ``start`` in the accounts table.
    value : None or "mrr"
        None counts accounts; ``"mrr"`` gives revenue cohorts, Σ MRR in c+k / Σ MRR in c
        (period M or Q, mode ``on``).
    events : str or list of str, optional
        Only these event names count as activity (for the cohort too, with ``first_activity``).
    as_of : time, optional
        Only rows before it are used; cells whose period ends after it are NaN. Default: the end of
        the data (the midnight after its last day; for revenue cohorts the end of the last month).
    n_threads : int, optional
        Threads over blocks of accounts for head cohorts (default ``ch.get_num_threads()``); the counts
        merge exactly, so the matrix is the same bits for any count. Revenue cohorts use one thread
        (their MRR sums would round differently when split).

    Raises
    ------
    InvalidInputError
        Unknown period, mode, cohort_by, value or event name; an empty table; ``cohort_by="start"``
        without start dates; negative or duplicated MRR.
    """
    value = "accounts" if value is None else value
    ds = _dataset(data, "mrr" if value == "mrr" else "usage")
    native = _core.cohort_retention(ds._native, period, mode, cohort_by, value, name_list(events), _seconds(as_of),
                                    resolve_threads(n_threads, "cohort_retention"))
    return CohortRetention(native, period, mode, value)


def lifecycle(data: Any, period: str = "M", events: str | Sequence[str] | None = None,
              as_of: Any = None, *, n_threads: int | None = None) -> pd.DataFrame:
    """Lifecycle counts per period (DESIGN §4): ``new`` (first active period), ``retained`` (active
    in this and the previous period), ``resurrected`` (active now, not in the previous period, but
    before), ``dormant`` (active in the previous period, not now), and ``active`` (the first three
    summed). Rows run from the first active period to the last fully observed one before ``as_of``
    (default: the end of the data), indexed by the period's start date. ``n_threads``: threads over
    blocks of accounts (default ``ch.get_num_threads()``; the counts are the same for any count)."""
    ds = _dataset(data, "usage")
    return _lifecycle_frame(_core.lifecycle(ds._native, period, name_list(events), _seconds(as_of),
                                            resolve_threads(n_threads, "lifecycle")))


def _lifecycle_frame(native: Mapping[str, Any]) -> pd.DataFrame:
    """The lifecycle DataFrame of the core's counts."""
    columns = ["new", "retained", "resurrected", "dormant", "active"]
    out = pd.DataFrame({c: np.asarray(native[c]) for c in columns}, index=_times(native["start"], "period"))
    out.attrs["as_of"] = moment(native["as_of"])
    return out


def mrr_movements(data: Any, as_of: Any = None) -> pd.DataFrame:
    """MRR movements per account-month: one row for every month in which the account pays, or paid
    the month before. Columns ``account_id``, ``month``, ``previous_mrr``, ``mrr``, ``change`` and
    ``movement`` — ``new`` (first ever MRR > 0), ``expansion``, ``contraction``, ``churn`` (MRR > 0
    → 0), ``reactivation`` (MRR > 0 after a month at 0, having paid before) or ``unchanged``.

    A month without a row counts as MRR 0: a gap after a paid month is a churn in its first month,
    and an account without a row in the table's last month churns then. The table's first month
    has no month before it, so its MRR is new."""
    ds = _dataset(data, "mrr")
    native = _core.mrr_movements(ds._native, _seconds(as_of))
    previous, current = np.asarray(native["previous"]), np.asarray(native["mrr"])
    return pd.DataFrame({
        "account_id": ds._ids[np.asarray(native["account"], dtype=np.int64)],
        "month": seconds_to_datetime(native["month"]),
        "previous_mrr": previous,
        "mrr": current,
        "change": current - previous,
        "movement": pd.Categorical.from_codes(np.asarray(native["movement"], dtype=np.int64),
                                              categories=native["movement_names"]),
    })


def mrr_bridge(data: Any, as_of: Any = None) -> pd.DataFrame:
    """The monthly MRR bridge, indexed by month: ``opening_mrr`` (the month before), ``new``,
    ``expansion``, ``reactivation``, ``contraction``, ``churn`` (all ≥ 0), ``closing_mrr``, account
    counts, and ``gross_mrr_churn`` = (contraction + churn) / opening and ``net_mrr_churn`` =
    (contraction + churn − expansion) / opening (NaN when opening is 0). Every month reconciles:
    closing − opening = new + expansion + reactivation − contraction − churn."""
    ds = _dataset(data, "mrr")
    native = dict(_core.mrr_bridge(ds._native, _seconds(as_of)))
    index = _times(native.pop("month"), "month")
    out = pd.DataFrame({k: np.asarray(v) for k, v in native.items()}, index=index)
    counts = [c for c in out.columns if c.endswith("_accounts")]
    out[counts] = out[counts].astype(np.int64)
    return out


def revenue_retention(data: Any, months: int = 12, as_of: Any = None) -> pd.DataFrame:
    """Revenue and logo retention from ``month − months`` to ``month``, for every month of the MRR
    table whose start month is also in it (the trailing-12-month series by default), over the
    accounts paying at the start month:

    - ``grr`` = Σ min(MRR(month), MRR(start)) / Σ MRR(start)
    - ``nrr`` = Σ MRR(month) / Σ MRR(start)
    - ``logo_retention`` = share of those accounts still paying at ``month``.

    A missing month counts as MRR 0. Indexed by month; NaN when nobody paid at the start month."""
    ds = _dataset(data, "mrr")
    return _revenue_frame(_core.revenue_retention(ds._native, int(months), _seconds(as_of)))


def _revenue_frame(raw: Mapping[str, Any]) -> pd.DataFrame:
    """The revenue retention DataFrame of the core's series."""
    native = dict(raw)
    index = _times(native.pop("month"), "month")
    out = pd.DataFrame({k: np.asarray(v) for k, v in native.items()}, index=index)
    out["start_month"] = seconds_to_datetime(out["start_month"].to_numpy())
    return out


def tenure(data: Any, as_of: Any = None, *, n_threads: int | None = None) -> pd.DataFrame:
    """Account tenures for survival analysis, indexed by account id: ``duration`` in days from
    ``start`` to ``end``, or to ``as_of`` (default: the end of the data) while the account is
    active or ends later (``observed`` False: right-censored). Accounts without a start, or starting
    at or after ``as_of``, are left out and counted in ``attrs["without_start"]`` and
    ``attrs["not_started"]``. Feed ``duration`` and ``observed`` to a Kaplan–Meier fitter.
    ``n_threads``: threads over blocks of accounts (default ``ch.get_num_threads()``), their lists
    joined in order: the same frame for any count."""
    threads = resolve_threads(n_threads, "tenure")
    ds = _dataset(data, "accounts")
    native = _core.tenure(ds._native, _seconds(as_of), threads)
    accounts = np.asarray(native["account"], dtype=np.int64)
    out = pd.DataFrame({"duration": np.asarray(native["duration"]),
                        "observed": np.asarray(native["observed"]).astype(bool)},
                       index=pd.Index(ds._ids[accounts], name="account_id"))
    out.attrs.update(as_of=moment(native["as_of"]), without_start=int(native["without_start"]),
                     not_started=int(native["not_started"]))
    return out


__all__ = ["CohortRetention", "cohort_retention", "lifecycle", "mrr_movements", "mrr_bridge",
           "revenue_retention", "tenure"]
