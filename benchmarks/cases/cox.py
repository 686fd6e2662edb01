"""Cox regression (issue 14, part 3): ch.CoxPH on 200,000 tenures × 8 covariates in whole days (many tied
times, Efron), unstratified and with 3 strata, against lifelines' CoxPHFitter (the DESIGN §8 survival peer) and
statsmodels' PHReg(ties="efron"); checks: equal coefficients (1e-6) and log partial likelihood (relative 1e-9)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from statsmodels.duration.hazard_regression import PHReg

import custhealth as ch

COVARIATES = [f"x{j}" for j in range(8)]


def _tenures(n: int, seed: int) -> pd.DataFrame:
    """Eight covariates of different means and scales (two correlated, one binary), a segment with its own
    baseline, exponential lifetimes (mean ~400 days) in whole days censored by up to 1,500 days of follow-up."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    x[:, 1] += 0.5 * x[:, 0]
    x[:, 7] = rng.random(n) < 0.3
    segment = rng.integers(0, 3, n)
    eta = x @ np.array([0.5, -0.3, 0.2, 0.0, 0.1, -0.2, 0.05, 0.4]) + 0.3 * segment
    life = rng.exponential(400.0 * np.exp(-eta))
    follow = rng.uniform(0.0, 1500.0, n)
    df = pd.DataFrame(x * rng.uniform(0.5, 20.0, 8) + rng.uniform(-50.0, 50.0, 8), columns=COVARIATES)
    df["x7"] = x[:, 7].astype(float)
    df["days"] = np.ceil(np.minimum(life, follow))
    df["churned"] = (life <= follow).astype(np.int64)
    df["segment"] = segment
    return df


def cases(args):
    from compare import Case, Peer  # noqa: PLC0415 (the runner's module)

    warnings.filterwarnings("ignore", module="lifelines")
    n = 20_000 if args.quick else 200_000
    df = _tenures(n, seed=2027)
    plain = df.drop(columns="segment")
    X = df[COVARIATES].to_numpy()

    def same_as_lifelines(ours: ch.CoxPH, peer: CoxPHFitter) -> None:
        np.testing.assert_allclose(ours.params_.to_numpy(), peer.params_.to_numpy(), rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours.log_likelihood_, peer.log_likelihood_, rtol=1e-9)
        assert ours.converged_

    def same_as_statsmodels(ours: ch.CoxPH, peer) -> None:
        np.testing.assert_allclose(ours.params_.to_numpy(), peer.params, rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours.log_likelihood_, peer.llf, rtol=1e-9)

    def phreg(strata=None):
        return PHReg(df["days"].to_numpy(), X, status=df["churned"].to_numpy(), ties="efron", strata=strata).fit()

    return [
        Case("Cox fit (Efron ties)", f"{n:,} x 8, {df['days'].nunique():,} distinct days",
             lambda: ch.CoxPH().fit(plain, "days", "churned"), [
                 Peer("lifelines CoxPHFitter", lambda: CoxPHFitter().fit(plain, "days", "churned"), same_as_lifelines),
                 Peer("statsmodels PHReg(ties='efron')", phreg, same_as_statsmodels),
             ], notes=["from a DataFrame on both sides; custhealth single-threaded; checks: coefficients 1e-6, "
                       "log partial likelihood relative 1e-9"]),
        Case("Cox fit, 3 strata", f"{n:,} x 8", lambda: ch.CoxPH().fit(df, "days", "churned", strata="segment"), [
            Peer("lifelines CoxPHFitter", lambda: CoxPHFitter().fit(df, "days", "churned", strata="segment"),
                 same_as_lifelines),
            Peer("statsmodels PHReg(ties='efron')", lambda: phreg(df["segment"].to_numpy()), same_as_statsmodels),
        ]),
    ]
