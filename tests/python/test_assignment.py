"""ch.assign_accounts (DESIGN §4 "Assignment"): the workload column against the formula computed in
pandas, the owners' loads against a groupby, the assignment against an itertools brute force over
every assignment of a tiny case, the defaults, the GIL, bad input."""

from __future__ import annotations

import inspect
import itertools
import pickle

import numpy as np
import pandas as pd
import pytest

import custhealth as ch
from custhealth import _core

T = pd.Timestamp("2024-12-01")
SEGMENT_WEIGHTS = {"enterprise": 3.0, "mid-market": 1.5}
BAND_WEIGHTS = {"red": 2.5}  # yellow and green keep their defaults


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """A generated portfolio with every seventh account's owner blanked: the new accounts."""
    out = ch.generate(n_accounts=300, days=400, seed=11).to_frames()
    accounts = out["accounts"].copy()
    accounts["owner"] = accounts["owner"].astype(object)
    accounts.loc[accounts.index[::7], "owner"] = None
    out["accounts"] = accounts
    return out


@pytest.fixture(scope="module")
def ds(frames) -> ch.Dataset:
    return ch.Dataset(**frames)


@pytest.fixture(scope="module")
def health(frames) -> pd.Series:
    ids = frames["accounts"]["account_id"].astype(str)
    rng = np.random.default_rng(3)
    bands = rng.choice(np.array(["red", "yellow", "green", "blue", None], dtype=object), size=len(ids))
    return pd.Series(bands, index=pd.Index(ids, name="account_id"), name="band")


def expected_workload(frames, ds, owners, health, exponent=0.5) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The formula in pandas: (workload of every account considered, the new ones, the held ones)."""
    acc = frames["accounts"].assign(account_id=frames["accounts"]["account_id"].astype(str)).set_index("account_id")
    active = (acc["start"] < T) & ~(acc["end"] < T)
    new = active & acc["owner"].isna()
    held = active & acc["owner"].isin(owners) & ~new
    mrr = ch.signals(ds, as_of=T, names=["mrr.current"])["mrr.current"]
    mrr.index = mrr.index.astype(str)
    considered = new | held
    paying = mrr[considered & (mrr > 0)]
    factor = (mrr / paying.mean()) ** exponent
    factor[~(mrr > 0)] = 1.0
    segment = acc["segment"].astype(object).map(SEGMENT_WEIGHTS).fillna(1.0)
    weights = {"red": 2.0, "yellow": 1.5, "green": 1.0, **BAND_WEIGHTS}
    band = health.reindex(acc.index).map(weights).fillna(1.0)
    workload = (segment * band * factor)[considered]
    return workload, new[new].index, held[held].index


def test_workload_is_the_formula(frames, ds, health):
    owners = sorted(frames["accounts"]["owner"].dropna().unique())[:5]
    got = ch.assign_accounts(ds, owners, capacity=30, as_of=T, health=health, segment_weights=SEGMENT_WEIGHTS,
                             band_weights=BAND_WEIGHTS)
    workload, new, _ = expected_workload(frames, ds, owners, health)
    assert list(got.index.astype(str)) == list(new)
    assert got.index.name == "account_id"
    np.testing.assert_allclose(got["workload"].to_numpy(), workload[new].to_numpy(), rtol=1e-12)
    assert len(new) > 20


def test_mrr_exponent_zero_leaves_the_weights(frames, ds, health):
    owners = sorted(frames["accounts"]["owner"].dropna().unique())[:3]
    got = ch.assign_accounts(ds, owners, as_of=T, health=health, segment_weights=SEGMENT_WEIGHTS,
                             band_weights=BAND_WEIGHTS, mrr_exponent=0)
    workload, new, _ = expected_workload(frames, ds, owners, health, exponent=0)
    np.testing.assert_allclose(got["workload"].to_numpy(), workload[new].to_numpy(), rtol=1e-12)


def test_loads_are_the_groupby_of_the_books(frames, ds, health):
    owners = sorted(frames["accounts"]["owner"].dropna().unique())[:6]
    capacity = {o: 20.0 + 3 * i for i, o in enumerate(owners)}
    got = ch.assign_accounts(ds, capacity, as_of=T, health=health, segment_weights=SEGMENT_WEIGHTS,
                             band_weights=BAND_WEIGHTS)
    workload, _, held = expected_workload(frames, ds, owners, health)
    acc = frames["accounts"].assign(account_id=frames["accounts"]["account_id"].astype(str)).set_index("account_id")
    before = workload[held].groupby(acc.loc[held, "owner"]).sum().reindex(owners, fill_value=0.0)
    added = got.groupby("owner")["workload"].sum().reindex(owners, fill_value=0.0)
    loads = got.attrs["loads"]
    assert list(loads.index) == owners and loads.index.name == "owner"
    np.testing.assert_allclose(loads["load_before"], before, rtol=1e-12)
    np.testing.assert_allclose(loads["load_after"], before + added, rtol=1e-12)
    np.testing.assert_allclose(loads["ratio"], loads["load_after"] / pd.Series(capacity), rtol=1e-12)
    np.testing.assert_array_equal(loads["capacity"], pd.Series(capacity))
    assert (loads["load_after"] <= loads["capacity"]).all()
    assert not got.attrs["exact"]  # more than 12 new accounts: the greedy search
    # Every account that got no owner fits nowhere, and says so.
    for account, row in got[got["owner"].isna()].iterrows():
        assert (loads["load_after"] + row["workload"] > loads["capacity"]).all(), account
        assert row["reason"].startswith(f"no owner has capacity for workload {row['workload']:.4g}")
    assert got.loc[got["owner"].notna(), "reason"].isna().all()


def test_small_capacities_leave_accounts_without_owner(frames, ds):
    owners = sorted(frames["accounts"]["owner"].dropna().unique())[:2]
    books = ch.assign_accounts(ds, owners, as_of=T).attrs["loads"]["load_before"]
    got = ch.assign_accounts(ds, {o: books[o] + 1.0 for o in owners}, as_of=T)
    assert got["owner"].isna().sum() > 0
    assert (got.attrs["loads"]["load_after"] <= got.attrs["loads"]["capacity"]).all()


def brute_force(workload: np.ndarray, before: np.ndarray, capacity: np.ndarray) -> list[int | None]:
    """assignment.hpp's objective from its definition, over every (owners + 1)^n assignment."""
    n, m = len(workload), len(before)
    finite = capacity[np.isfinite(capacity)]
    scale = np.where(np.isfinite(capacity), capacity, finite.max() if len(finite) else 1.0)
    leaves = []
    for code in itertools.product(range(m + 1), repeat=n):  # m: nobody
        load = before.copy()
        for a, c in enumerate(code):
            if c < m:
                load[c] += workload[a]
        if np.any((load > capacity) & (load != before)):
            continue
        ratio = load / scale
        leaves.append((sum(c == m for c in code), ratio.max(), (ratio ** 2).sum(), code))
    fewest = min(leaf[0] for leaf in leaves)
    leaves = [leaf for leaf in leaves if leaf[0] == fewest]
    m_star = min(leaf[1] for leaf in leaves)
    leaves = [leaf for leaf in leaves if leaf[1] <= m_star * (1 + 1e-9)]
    s_star = min(leaf[2] for leaf in leaves)
    leaves = [leaf for leaf in leaves if leaf[2] <= s_star * (1 + 1e-9)]
    # Ties: lexicographic, accounts largest workload first, owners by capacity (largest first), book, index.
    accounts = sorted(range(n), key=lambda a: (-workload[a], a))
    rank = {o: r for r, o in enumerate(sorted(range(m), key=lambda o: (-capacity[o], before[o], o)))}
    rank[m] = m
    best = min(leaves, key=lambda leaf: [rank[leaf[3][a]] for a in accounts])[3]
    return [None if c == m else c for c in best]


def test_a_tiny_case_matches_the_brute_force(frames, ds, health):
    owners = sorted(frames["accounts"]["owner"].dropna().unique())[:3]
    acc = frames["accounts"]
    ids = [str(a) for a in acc.loc[acc["owner"].isna(), "account_id"][:6]]
    first = ch.assign_accounts(ds, owners, as_of=T, accounts=ids, health=health)
    before = first.attrs["loads"]["load_before"].to_numpy()
    # Room for part of the new workload only, so that some accounts wait and the books are uneven.
    total = first["workload"].sum()
    capacity = {owners[0]: before[0] + 0.45 * total, owners[1]: before[1] + 0.3 * total,
                owners[2]: before[2] + 0.15 * total}
    got = ch.assign_accounts(ds, capacity, as_of=T, accounts=ids, health=health)
    assert got.attrs["exact"]
    caps = np.array(list(capacity.values()))
    want = brute_force(got["workload"].to_numpy(), before, caps)
    assert list(got["owner"]) == [None if c is None else owners[c] for c in want]
    # The same through the core's arrays.
    raw = _core.assign_accounts(got["workload"].to_numpy(), before, caps)
    assert [None if c < 0 else int(c) for c in raw["owner"]] == want


def test_defaults_come_from_the_core():
    assert _core.DEFAULTS["assignment"]["band_weights"] == {"red": 2.0, "yellow": 1.5, "green": 1.0}
    assert _core.DEFAULTS["assignment"]["weight"] == 1.0
    assert _core.DEFAULTS["assignment"]["exact_limit"] == 12
    assert inspect.signature(ch.assign_accounts).parameters["mrr_exponent"].default == 0.5


def test_result_pickles(ds, frames):
    owners = sorted(frames["accounts"]["owner"].dropna().unique())[:2]
    got = ch.assign_accounts(ds, owners, as_of=T)
    back = pickle.loads(pickle.dumps(got))
    pd.testing.assert_frame_equal(back, got)
    pd.testing.assert_frame_equal(back.attrs["loads"], got.attrs["loads"])


def test_the_search_runs_without_the_gil(runs_without_gil):
    rng = np.random.default_rng(1)
    workload, before, capacity = rng.uniform(0.3, 2.3, 2500), rng.uniform(0, 50, 15), np.full(15, np.inf)
    assert runs_without_gil(lambda: _core.assign_accounts(workload, before, capacity))


@pytest.mark.parametrize("kwargs, message", [
    ({"owners": []}, "no owners"),
    ({"owners": ["a", "a"]}, "more than once"),
    ({"owners": ["a", ""]}, "non-empty name"),
    ({"owners": ["a"], "capacity": 0}, "capacity[0] = 0"),
    ({"owners": ["a"], "capacity": float("nan")}, "capacity[0] = nan"),
    ({"owners": ["a"], "capacity": "ten"}, "must be a number"),
    ({"owners": {"a": 5}, "capacity": 3}, "capacity:"),
    ({"owners": ["a"], "segment_weights": {"smb": -1}}, "segment_weights['smb'] = -1"),
    ({"owners": ["a"], "band_weights": {"red": float("inf")}}, "band_weights['red']"),
    ({"owners": ["a"], "mrr_exponent": -1.0}, "mrr_exponent = -1"),
    ({"owners": ["a"], "accounts": ["nobody"]}, "not in the dataset"),
    ({"owners": ["a"], "accounts": ["acct_00001", "acct_00001"]}, "more than once"),
    ({"owners": ["a"], "health": pd.Series(["red"], index=["nobody"])}, "not in the dataset"),
    ({"owners": ["a"], "health": pd.DataFrame({"score": [1.0]})}, "'band' column"),
    ({"owners": ["a"], "as_of": "not a date"}, "as_of"),
])
def test_bad_input_is_an_invalid_input_error(ds, kwargs, message):
    with pytest.raises(ch.InvalidInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ch.assign_accounts(ds, **kwargs)


def test_bad_workloads_to_the_core_are_named():
    with pytest.raises(ch.InvalidInputError, match=r"workload\[1\] = nan"):
        _core.assign_accounts(np.array([1.0, np.nan]), np.zeros(1), np.ones(1))
    with pytest.raises(ch.InvalidInputError, match=r"load\[0\] = -1"):
        _core.assign_accounts(np.array([1.0]), np.array([-1.0]), np.ones(1))


def test_not_a_dataset_is_a_type_error():
    with pytest.raises(TypeError, match="custhealth.Dataset"):
        ch.assign_accounts({"accounts": pd.DataFrame()}, ["a"])  # type: ignore[arg-type]


def test_a_scorecard_gives_the_bands_at_t():
    ds = ch.generate(n_accounts=200, days=400, seed=4)
    card = ch.Scorecard.load("saas_health_v1")
    T = "2024-12-01"
    a = ch.assign_accounts(ds, owners=["x", "y"], as_of=T, accounts=list(ds.account_ids[:6]), health=card)
    b = ch.assign_accounts(ds, owners=["x", "y"], as_of=T, accounts=list(ds.account_ids[:6]),
                           health=card.score(ds, as_of=T)["band"])
    pd.testing.assert_frame_equal(a, b)
