"""Kaplan–Meier: 1,000,000 right-censored subjects (integer days, then continuous times) through
custhealth.KaplanMeier vs statsmodels' SurvfuncRight, and a two-group log-rank test vs survdiff."""

from __future__ import annotations

import numpy as np
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

import custhealth as ch


def _tenures(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Exponential lifetimes (mean 700 days) censored by a uniform follow-up of up to 1,500 days:
    about 37 % censored, like a portfolio observed for four years."""
    rng = np.random.default_rng(seed)
    life, follow = rng.exponential(700.0, n), rng.uniform(0.0, 1500.0, n)
    return np.minimum(life, follow), life <= follow


def _same_curve(ours: ch.KaplanMeier, peer: SurvfuncRight) -> None:
    """S(t) and Greenwood's standard error at every event time agree to 1e-9 (relative)."""
    sf = ours.survival_function_.iloc[:, 0]
    np.testing.assert_allclose(sf.loc[peer.surv_times].to_numpy(), peer.surv_prob, rtol=1e-9, atol=1e-12)
    se = np.sqrt(ours.variance_.iloc[:, 0].loc[peer.surv_times].to_numpy())
    finite = np.isfinite(peer.surv_prob_se)
    np.testing.assert_allclose(se[finite], peer.surv_prob_se[finite], rtol=1e-9, atol=1e-12)


def cases(args):
    from compare import Case  # noqa: PLC0415 (the runner's module)

    n = 100_000 if args.quick else 1_000_000
    t, observed = _tenures(n, seed=2025)
    days = np.ceil(t)
    status = observed.astype(np.int64)  # statsmodels' status; custhealth takes the bool array in place
    group = np.random.default_rng(2026).integers(0, 2, n)
    days_b = np.where(group == 1, np.ceil(t * 1.05), days)  # group 1 lives 5 % longer

    notes = ["lifelines (the DESIGN §8 peer) is not in Debian; the peer is statsmodels' SurvfuncRight, which "
             "computes S(t) and Greenwood's SE at event times; custhealth's time covers the fit (event table, "
             "S, Greenwood's sum, median) and building survival_function_ and variance_",
             "check: S(t) and Greenwood's SE at every event time agree to 1e-9"]
    return [
        Case("Kaplan-Meier, integer days", f"{n:,} subjects",
             lambda: _fit(days, observed), lambda: SurvfuncRight(days, status), "statsmodels SurvfuncRight", 10.0, _same_curve, notes=notes),
        Case("Kaplan-Meier, continuous times", f"{n:,} subjects ({n:,} distinct times)",
             lambda: _fit(t, observed), lambda: SurvfuncRight(t, status), "statsmodels SurvfuncRight", 10.0,
             _same_curve, notes=["every time distinct: a sort of 1 M keys and 1 M rows with events on both sides"]),
        Case("log-rank test, 2 groups, integer days", f"{n:,} subjects", lambda: _logrank(days_b, observed, group),
             lambda: survdiff(days_b, status, group), "statsmodels survdiff", 1.0,
             lambda ours, peer: np.testing.assert_allclose(ours.test_statistic, peer[0], rtol=1e-9),
             notes=["no DESIGN §8 target (shown for reference); check: chi2 agrees to 1e-9"]),
    ]


def _fit(durations: np.ndarray, observed: np.ndarray) -> ch.KaplanMeier:
    km = ch.KaplanMeier().fit(durations, observed)
    km.survival_function_, km.variance_  # noqa: B018 (built, as the peer's surv_prob and surv_prob_se are)
    return km


def _logrank(durations: np.ndarray, observed: np.ndarray, group: np.ndarray) -> ch.LogRankResult:
    return ch.multivariate_logrank_test(durations, group, observed)
