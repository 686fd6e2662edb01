"""Assignment of new accounts to account managers (DESIGN §4 "Assignment"): each account's expected
workload from its segment, MRR and health band, and a balanced book within every owner's capacity —
the fewest accounts left without an owner, then the smallest largest load/capacity, then the most even
spread below it (custhealth/scorecard/assignment.hpp holds the formula, its defaults and the search)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import _core
from ._convert import moment, to_seconds
from ._grouping import invalid
from .dataset import Dataset
from .scorecard import Scorecard
from .signals import signals

#: The workload formula's defaults, read from the core (their one place).
DEFAULTS: dict[str, Any] = _core.DEFAULTS["assignment"]


def _weights(given: Mapping[Any, Any] | None, name: str) -> dict[str, float]:
    """A {label: weight} mapping as str → float, each weight a finite number > 0."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise TypeError(f"{name} must be a mapping {{label: weight}}, got {type(given).__name__}")
    out: dict[str, float] = {}
    for label, weight in given.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer, np.floating)) or \
                not np.isfinite(weight) or weight <= 0:
            raise invalid(f"{name}[{label!r}] = {weight!r}: a weight must be a finite number > 0")
        out[str(label)] = float(weight)
    return out


def _owner_capacities(owners: Sequence[str] | Mapping[str, Any], capacity: Any) -> tuple[list[str], np.ndarray]:
    """Owner names and their capacities (inf for no limit): a list with one `capacity` for all (None:
    no limit), or a {owner: capacity} mapping (None there: no limit)."""
    if isinstance(owners, Mapping):
        if capacity is not None:
            raise invalid("capacity: give the capacities in the owners mapping, or owners as a list with capacity=")
        names, caps = list(owners), list(owners.values())
    elif isinstance(owners, (list, tuple, pd.Index, pd.Series, np.ndarray)):
        names = list(owners)
        caps = [capacity] * len(names)
    else:
        raise TypeError(f"owners must be a list of names or a mapping {{owner: capacity}}, got {type(owners).__name__}")
    if not names:
        raise invalid("owners: no owners to assign to")
    if any(not isinstance(n, str) or not n for n in names):
        raise invalid("owners: every owner is a non-empty name")
    if len(set(names)) != len(names):
        raise invalid(f"owners: {sorted({n for n in names if names.count(n) > 1})} appear more than once")
    values = []
    for name, cap in zip(names, caps):
        if cap is None:
            cap = np.inf
        if isinstance(cap, bool) or not isinstance(cap, (int, float, np.integer, np.floating)):
            raise invalid(f"capacity of owner {name!r} must be a number (or None for no limit), got {cap!r}")
        values.append(float(cap))
    return names, np.asarray(values, dtype=np.float64)


def _bands(health: Any, ids: pd.Index) -> np.ndarray:
    """The health band of every account of `ids` as text (None where there is none): `health` is a
    Series of band labels indexed by account_id, or a scorecard's result with a `band` column."""
    if health is None:
        return np.full(len(ids), None, dtype=object)
    if isinstance(health, pd.DataFrame):
        if "band" not in health.columns:
            raise invalid("health: a DataFrame needs a 'band' column (a scorecard's result)")
        health = health["band"]
    if not isinstance(health, pd.Series):
        raise TypeError(f"health must be a pandas Series of band names indexed by account_id, got "
                        f"{type(health).__name__}")
    labels = pd.Series(health.to_numpy(dtype=object), index=pd.Index(health.index.astype(str)))
    if not labels.index.is_unique:
        raise invalid("health: its index has repeated account ids")
    unknown = labels.index[~labels.index.isin(ids.astype(str))]
    if len(unknown):
        raise invalid(f"health: {len(unknown)} account ids that are not in the dataset, e.g. {unknown[0]!r}")
    return np.array([None if pd.isna(b) else str(b) for b in labels.reindex(ids.astype(str))], dtype=object)


def assign_accounts(ds: Dataset, owners: Sequence[str] | Mapping[str, Any], capacity: Any = None, *,
                    as_of: Any = None, accounts: Sequence[Any] | None = None, health: Any = None,
                    segment_weights: Mapping[Any, Any] | None = None, band_weights: Mapping[Any, Any] | None = None,
                    mrr_exponent: float = DEFAULTS["mrr_exponent"]) -> pd.DataFrame:
    """New accounts assigned to account managers, each owner's book kept within its capacity.

    Workload of an account: ``segment_weight × band_weight × (mrr / m) ** mrr_exponent``, where ``mrr``
    is its ``mrr.current`` signal at ``as_of`` and ``m`` the mean of the positive MRRs of the accounts
    considered (the new ones and those the owners already hold); an account without MRR (NaN or 0)
    counts as ``m``. An owner's current load is the workload of the active accounts it holds.

    The objective, in order (precisely in custhealth/scorecard/assignment.hpp): the fewest accounts
    left without an owner; the smallest largest ``load / capacity`` (an unlimited owner counts the
    largest finite capacity, or 1); the smallest sum of squared ratios; then a fixed lexicographic
    order. Exact up to ``DEFAULTS["exact_limit"]`` (12) accounts; beyond, longest-workload-first with
    move and swap improvements (``attrs["exact"]`` says which).

    Parameters
    ----------
    ds : Dataset
    owners : list of str, or mapping {owner: capacity}
        The account managers (a capacity of None: no limit).
    capacity : float, optional
        With a list of owners, every owner's capacity (default: no limit).
    as_of : date-like, optional
        T: accounts active at T (started before T, not ended before T) count; MRR is the signal at T.
        Default: the end of the MRR data, as ``signals`` does.
    accounts : list of account ids, optional
        The accounts to assign (whatever their owner now). Default: the accounts active at T with no
        owner in the accounts table.
    health : Series, optional
        Band labels (e.g. "red", "yellow", "green") indexed by account_id, such as a scorecard's
        ``band`` column (a scorecard result DataFrame is accepted too), or a ``Scorecard``, scored at T.
        Default: no bands (weight 1).
    segment_weights : mapping, optional
        {segment: weight}; segments not given weigh 1.
    band_weights : mapping, optional
        {band: weight}, updating the defaults ``DEFAULTS["band_weights"]`` (red 2, yellow 1.5, green 1);
        other bands and accounts without a band weigh 1.
    mrr_exponent : float, default 0.5
        0 ignores MRR; 1 makes workload proportional to it.

    Returns
    -------
    DataFrame
        Indexed by ``account_id`` (the new accounts): ``owner`` (None when unassigned), ``workload`` and
        ``reason`` (None, or why no owner took it). ``attrs["loads"]`` is a DataFrame indexed by owner:
        ``capacity``, ``load_before``, ``load_after``, ``ratio`` (load_after over the balancing
        capacity); ``attrs["as_of"]`` and ``attrs["exact"]``.

    Raises
    ------
    InvalidInputError
        No owners, repeated or empty owner names, a capacity that is not a number > 0, a weight that is
        not a number > 0, account ids not in the dataset, a negative exponent.
    """
    if not isinstance(ds, Dataset):
        raise TypeError(f"assign_accounts: expected a custhealth.Dataset, got {type(ds).__name__}")
    names, caps = _owner_capacities(owners, capacity)
    segment_w = _weights(segment_weights, "segment_weights")
    band_w = {**{str(k): float(v) for k, v in DEFAULTS["band_weights"].items()},
              **_weights(band_weights, "band_weights")}
    if isinstance(mrr_exponent, bool) or not isinstance(mrr_exponent, (int, float, np.integer, np.floating)):
        raise invalid(f"mrr_exponent must be a number, got {mrr_exponent!r}")
    if as_of is None:
        seconds = ds._default_as_of(["mrr"], "assign_accounts")
    else:
        try:
            seconds = to_seconds(as_of)
        except (TypeError, ValueError) as err:
            raise invalid(f"as_of: {err}") from None
    T = moment(seconds)

    table = ds.table("accounts")
    ids = ds._account_index()
    mrr = signals(ds, as_of=seconds, names=["mrr.current"])["mrr.current"].to_numpy()
    # Active at T, as the scorecard scores (DESIGN §4; account_table::active_at).
    active = np.asarray(_core.active_accounts(ds._native, seconds), dtype=bool)
    owner = table["owner"].astype(object).where(table["owner"].notna(), None).to_numpy()
    unowned = np.array([o is None or o == "" for o in owner], dtype=bool)
    if accounts is None:
        new = active & unowned
        order = np.flatnonzero(new)
    else:
        wanted = pd.Index([str(a) for a in accounts])
        if not wanted.is_unique:
            raise invalid(f"accounts: {wanted[wanted.duplicated()][0]!r} appears more than once")
        position = pd.Index(ids.astype(str)).get_indexer(wanted)
        if (position < 0).any():
            raise invalid(f"accounts: {int((position < 0).sum())} ids that are not in the dataset, "
                          f"e.g. {wanted[position < 0][0]!r}")
        order = position
        new = np.zeros(len(ids), dtype=bool)
        new[order] = True
    owner_code = pd.Index(names).get_indexer(pd.Index(owner, dtype=object))
    held = active & ~new & (owner_code >= 0)

    # The workload of every account considered, in one call (one mean MRR for books and new accounts).
    considered = np.flatnonzero(new | held)
    seg = table["segment"].astype(object).to_numpy()[considered]
    if isinstance(health, Scorecard):  # its bands at T
        health = health._score(ds, seconds, None, False)[0]
    bands = _bands(health, ids)[considered]
    workload = np.full(len(ids), np.nan)
    workload[considered] = _core.account_workload(
        np.array([segment_w.get(str(s), DEFAULTS["weight"]) for s in seg], dtype=np.float64),
        np.array([DEFAULTS["weight"] if b is None else band_w.get(b, DEFAULTS["weight"]) for b in bands],
                 dtype=np.float64),
        np.ascontiguousarray(mrr[considered], dtype=np.float64), float(mrr_exponent))
    load_before = np.bincount(owner_code[held], weights=workload[held], minlength=len(names)).astype(np.float64)

    new_workload = np.ascontiguousarray(workload[order])
    raw = _core.assign_accounts(new_workload, load_before, caps)
    assigned = np.asarray(raw["owner"])
    load_after = np.asarray(raw["load"])
    room = float(np.max(caps - load_after))
    out = pd.DataFrame({
        "owner": pd.Series([names[i] if i >= 0 else None for i in assigned], dtype=object),
        "workload": new_workload,
        "reason": pd.Series([None if i >= 0 else f"no owner has capacity for workload {w:.4g} (the most room left "
                             f"is {room:.4g})" for i, w in zip(assigned, new_workload)], dtype=object),
    })
    out.index = ids[order]
    loads = pd.DataFrame({"capacity": caps, "load_before": load_before, "load_after": load_after,
                          "ratio": np.asarray(raw["ratio"])}, index=pd.Index(names, name="owner"))
    out.attrs.update(loads=loads, as_of=T, exact=bool(raw["exact"]))
    return out


__all__ = ["DEFAULTS", "assign_accounts"]
