"""Churn metrics (issue 14, part 4): ROC AUC over 10,000,000 scores vs scikit-learn's roc_auc_score
(the DESIGN §8 peer, target ≥ 10×) — continuous probabilities, then scorecard-like scores with 1,001
distinct values (heavy ties), then with sample weights; average precision vs average_precision_score;
the concordance index vs lifelines' concordance_index on 200,000 subjects."""

from __future__ import annotations

import numpy as np
from lifelines.utils import concordance_index as lifelines_concordance_index
from sklearn.metrics import average_precision_score, roc_auc_score

import custhealth as ch


def _portfolio(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A churn label (about 12 % positive) and a model's probability with some signal: logistic in a
    latent risk that the label also depends on. Labels int64, as pandas hands them over."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(0.0, 1.0, n)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(2.2 - 1.2 * risk))).astype(np.int64)
    p = 1.0 / (1.0 + np.exp(-(risk + rng.normal(0.0, 0.8, n)) + 2.0))
    return y, p


def _same(ours: float, peer: float) -> None:
    np.testing.assert_allclose(ours, peer, rtol=1e-9)


def cases(args):
    from compare import Case, Peer  # noqa: PLC0415 (the runner's module)

    n = 1_000_000 if args.quick else 10_000_000
    y, p = _portfolio(n, seed=2026)
    score = np.round(p * 100.0, 1)  # a 0–100 health score with one decimal: 1,001 values, heavy ties
    w = np.random.default_rng(2027).exponential(1.0, n)
    m = 20_000 if args.quick else 200_000
    rng = np.random.default_rng(2028)
    tenure = np.ceil(rng.exponential(400.0, m))  # days, many tied durations
    churned = rng.random(m) < 0.6
    predicted = tenure * np.exp(rng.normal(0.0, 0.7, m))

    return [
        Case("ROC AUC, probabilities", f"{n:,} scores", lambda: ch.metrics.roc_auc(y, p), [
            Peer("scikit-learn roc_auc_score", lambda: roc_auc_score(y, p), _same, target=10.0),
        ], notes=["y int64 (0/1), p float64, both read in place; check: equal to 1e-9 (relative)"]),
        Case("ROC AUC, scores 0-100 by 0.1 (ties)", f"{n:,} scores", lambda: ch.metrics.roc_auc(y, score), [
            Peer("scikit-learn roc_auc_score", lambda: roc_auc_score(y, score), _same, target=10.0),
        ]),
        Case("ROC AUC, probabilities, sample weights", f"{n:,} scores", lambda: ch.metrics.roc_auc(y, p, w), [
            Peer("scikit-learn roc_auc_score", lambda: roc_auc_score(y, p, sample_weight=w), _same),
        ], notes=["no DESIGN §8 target: the weighted sort moves 16-byte records"]),
        Case("average precision (PR AUC)", f"{n:,} scores", lambda: ch.metrics.pr_auc(y, p), [
            Peer("scikit-learn average_precision_score", lambda: average_precision_score(y, p), _same),
        ]),
        Case("concordance index, tied durations", f"{m:,} subjects",
             lambda: ch.metrics.concordance_index(tenure, predicted, churned), [
                 Peer("lifelines concordance_index", lambda: lifelines_concordance_index(tenure, predicted, churned),
                      _same),
             ]),
    ]
