"""Buy-till-you-die (issue 15): BG/NBD and Pareto/NBD fits on CDNOW's 2,357 customers and on simulated
BG/NBD customers, and predictions for many customers, against lifetimes 0.11 (targets: fits ≥ 50×,
predictions ≥ 20×). Checks: the same maximum (log-likelihood relative 1e-6, both evaluated by one
function) and the same predictions (1e-9)."""

from __future__ import annotations

import pathlib
import warnings

import numpy as np
import pandas as pd

import custhealth as ch

REFERENCE = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "reference"


def simulate_bg_nbd(n: int, seed: int, r=0.243, alpha=4.414, a=0.793, b=2.426) -> pd.DataFrame:
    """n BG/NBD customers observed for T ~ U(20, 80) weeks after their first purchase (Fader, Hardie & Lee
    2005 §2: Poisson purchases at rate λ ~ Γ(r, α), dropout after each purchase with p ~ Beta(a, b))."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.uniform(20, 80, n)
    t = np.zeros(n)
    x = np.zeros(n)
    last = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        t[idx] += rng.exponential(1 / np.maximum(lam[idx], 1e-300))
        bought = t[idx] <= T[idx]
        x[idx[bought]] += 1
        last[idx[bought]] = t[idx[bought]]
        # stops: past T, or dropped out after this purchase
        dropped = rng.random(idx.size) < p[idx]
        active[idx[~bought | dropped]] = False
    return pd.DataFrame({"frequency": x, "recency": last, "T": T})


def cases(args):
    import lifetimes  # noqa: PLC0415
    from compare import Case, Peer  # noqa: PLC0415 (the runner's module)

    cdnow = pd.read_csv(REFERENCE / "cdnow_customers_summary.csv")
    n_sim = 100_000 if args.quick else 1_000_000
    sim = simulate_bg_nbd(n_sim, seed=2026)
    n_pred = 100_000 if args.quick else 1_000_000
    pred = simulate_bg_nbd(n_pred, seed=7)

    def fit_case(model, peer_cls, data, **peer_kwargs):
        f, r, T = (data[c].to_numpy() for c in ("frequency", "recency", "T"))

        def ours():
            return model().fit(f, r, T)

        def theirs():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return peer_cls().fit(f, r, T, **peer_kwargs)

        def same_maximum(mine, peer):
            at_peer = model.from_params(peer.params_).log_likelihood(f, r, T)
            np.testing.assert_allclose(mine.log_likelihood_, at_peer, rtol=1e-6)
            assert mine.converged_

        return ours, theirs, same_maximum

    rows = []
    for label, data in (("CDNOW", cdnow), ("simulated", sim)):
        ours, theirs, check = fit_case(ch.BetaGeo, lifetimes.BetaGeoFitter, data)
        rows.append(Case(f"BG/NBD fit ({label})", f"{len(data):,} customers", ours,
                         [Peer("lifetimes BetaGeoFitter", theirs, check, target=50.0)]))
    ours, theirs, check = fit_case(ch.ParetoNBD, lifetimes.ParetoNBDFitter, cdnow)
    rows.append(Case("Pareto/NBD fit (CDNOW)", f"{len(cdnow):,} customers", ours,
                     [Peer("lifetimes ParetoNBDFitter (Nelder-Mead)", theirs, check, target=50.0)]))

    params = dict(r=0.243, alpha=4.414, a=0.793, b=2.426)
    mine = ch.BetaGeo.from_params(**params)
    peer = lifetimes.BetaGeoFitter()
    peer.params_ = pd.Series(params)
    f, r, T = (pred[c].to_numpy() for c in ("frequency", "recency", "T"))

    def same(a, b):
        np.testing.assert_allclose(a, b, rtol=1e-9)

    rows.append(Case("BG/NBD P(alive)", f"{n_pred:,} customers", lambda: mine.conditional_probability_alive(f, r, T),
                     [Peer("lifetimes", lambda: peer.conditional_probability_alive(f, r, T), same, target=20.0)]))
    rows.append(Case("BG/NBD expected purchases in 52 weeks", f"{n_pred:,} customers",
                     lambda: mine.conditional_expected_number_of_purchases_up_to_time(52, f, r, T),
                     [Peer("lifetimes", lambda: peer.conditional_expected_number_of_purchases_up_to_time(52, f, r, T),
                           same, target=20.0)],
                     notes=["custhealth single-threaded; lifetimes on numpy/scipy (autograd for its fits)"]))
    return rows
