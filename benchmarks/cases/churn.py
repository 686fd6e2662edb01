"""Churn model (issue 14, part 2): the logistic fit on 1,000,000 accounts × 32 signals against scikit-learn's
make_pipeline(StandardScaler(), LogisticRegression()) with its default lbfgs solver (the issue's peer,
target ≥ 2×), both at l2 = 1 (C = 1); the check is equal training log loss (relative 1e-6)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import custhealth as ch


def _signals(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """k signals with their own means and scales, a shared factor correlating the first eight, and a
    churn label (about 20 % positive) logistic in half of them. C-order float64, as a feature matrix
    built with numpy is."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(n, 1))
    x = rng.normal(size=(n, k))
    x[:, :8] += 0.6 * common
    beta = np.where(np.arange(k) % 2 == 0, rng.normal(0.0, 0.4, k), 0.0)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(1.6 - x @ beta))).astype(np.int64)
    x = x * rng.uniform(0.5, 50.0, k) + rng.uniform(-100.0, 1000.0, k)
    return np.ascontiguousarray(x), y


def cases(args):
    from compare import Case, Peer  # noqa: PLC0415 (the runner's module)

    n, k = (100_000 if args.quick else 1_000_000), 32
    x, y = _signals(n, k, seed=2026)

    def ours():
        return ch.LogisticChurnModel(l2=1.0, n_threads=2).fit(x, y)  # the peer's BLAS takes both cores too

    def sklearn():
        with warnings.catch_warnings():
            warnings.simplefilter("error", SklearnConvergenceWarning)  # a peer that stops early is no peer
            return make_pipeline(StandardScaler(), LogisticRegression(C=1.0)).fit(x, y)

    def same_log_loss(model, pipe):
        ours_loss = log_loss(y, model.predict_proba(x))
        peer_loss = log_loss(y, pipe.predict_proba(x))
        np.testing.assert_allclose(ours_loss, peer_loss, rtol=1e-6)
        assert model.converged_

    return [
        Case("logistic churn model fit (l2 = 1)", f"{n:,} x {k}", ours, [
            Peer("scikit-learn StandardScaler + LogisticRegression(lbfgs)", sklearn, same_log_loss, target=2.0),
        ], notes=["X float64 C-order, read in place; y int64; check: equal training log loss (relative 1e-6); "
                  "custhealth n_threads=2, numpy's BLAS at its default threads (2)"]),
    ]
