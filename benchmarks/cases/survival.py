"""Kaplan–Meier: 1,000,000 right-censored subjects (integer days, then continuous times) through
custhealth.KaplanMeier vs lifelines' KaplanMeierFitter (the DESIGN §8 peer), scikit-survival's
kaplan_meier_estimator, statsmodels' SurvfuncRight, and the product-limit estimator written in
DuckDB SQL and in polars; and a two-group log-rank test vs lifelines' logrank_test, statsmodels'
survdiff and the same sums in DuckDB and polars."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from sksurv.nonparametric import kaplan_meier_estimator
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

import custhealth as ch


def _tenures(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Exponential lifetimes (mean 700 days) censored by a uniform follow-up of up to 1,500 days:
    about 37 % censored, like a portfolio observed for four years."""
    rng = np.random.default_rng(seed)
    life, follow = rng.exponential(700.0, n), rng.uniform(0.0, 1500.0, n)
    return np.minimum(life, follow), life <= follow


# ---- the engines: one row per distinct time (d events of the n at risk), then running sums ----

DUCKDB_KM = """
WITH per_time AS (SELECT t, count_if(e) AS d, count(*) AS c FROM subjects GROUP BY t),
     at_risk AS (SELECT t, d, CAST(sum(c) OVER (ORDER BY t DESC) AS DOUBLE) AS n FROM per_time)
SELECT t, product(1 - d / n) OVER w AS s,
       power(product(1 - d / n) OVER w, 2) * sum(d / (n * (n - d))) OVER w AS var
FROM at_risk WINDOW w AS (ORDER BY t ROWS UNBOUNDED PRECEDING) ORDER BY t
"""

# Two groups (g = 0, 1): O − E of group 1 and the hypergeometric variance, summed over the times.
DUCKDB_LOGRANK = """
WITH per_time AS (SELECT t, count_if(e) AS d, count_if(e AND g = 1) AS d1, count(*) AS c, count_if(g = 1) AS c1
                  FROM subjects GROUP BY t),
     at_risk AS (SELECT d, d1, CAST(sum(c) OVER w AS DOUBLE) AS n, CAST(sum(c1) OVER w AS DOUBLE) AS n1
                 FROM per_time WINDOW w AS (ORDER BY t DESC))
SELECT power(sum(d1) - sum(n1 * d / n), 2) / sum(CASE WHEN n > 1 THEN n1 * (n - n1) * d * (n - d) / (n * n * (n - 1)) END)
FROM at_risk
"""


def _polars_at_risk(frame, **counts):
    """Per distinct time the given counts (as floats: n² overflows polars' u32 counts) and, for each
    count c*, the number at risk n* (a reverse running sum), sorted by time."""
    import polars as pl  # noqa: PLC0415 (after compare.py has set the thread count)

    risk = {f"n{name[1:]}": pl.col(name).cum_sum(reverse=True) for name in counts if name.startswith("c")}
    return (frame.lazy().group_by("t").agg(**counts).with_columns(pl.exclude("t").cast(pl.Float64))
            .sort("t").with_columns(**risk))


def polars_km(frame):
    import polars as pl  # noqa: PLC0415

    d, n = pl.col("d"), pl.col("n")
    return (_polars_at_risk(frame, d=pl.col("e").sum(), c=pl.len())
            .with_columns(s=(1 - d / n).cum_prod(), greenwood=(d / (n * (n - d))).cum_sum())
            .select("t", "s", var=pl.col("s") ** 2 * pl.col("greenwood")).collect())


def polars_logrank(frame) -> float:
    import polars as pl  # noqa: PLC0415

    e, one = pl.col("e"), pl.col("g") == 1
    d, n, n1 = pl.col("d"), pl.col("n"), pl.col("n1")
    sums = (_polars_at_risk(frame, d=e.sum(), d1=(e & one).sum(), c=pl.len(), c1=one.sum())
            .select(o=pl.col("d1").sum(), e=(n1 * d / n).sum(),
                    v=pl.when(n > 1).then(n1 * (n - n1) * d * (n - d) / (n * n * (n - 1))).otherwise(0.0).sum())
            .collect())
    return float((sums["o"][0] - sums["e"][0]) ** 2 / sums["v"][0])


# ---- the checks ----

def _same_steps(ours: ch.KaplanMeier, times, s, var=None) -> None:
    """S(t) at the peer's times agrees to 1e-9; so does the variance where S > 0 (at S = 0 the
    Greenwood sum divides by zero, and each engine spells the result differently)."""
    times, s = np.asarray(times, dtype=float), np.asarray(s, dtype=float)
    np.testing.assert_allclose(ours.survival_function_.iloc[:, 0].loc[times].to_numpy(), s, rtol=1e-9, atol=1e-12)
    if var is not None:
        var, mask = np.asarray(var, dtype=float), s > 0
        np.testing.assert_allclose(ours.variance_.iloc[:, 0].loc[times].to_numpy()[mask], var[mask],
                                   rtol=1e-9, atol=1e-15, err_msg="variance")


def _same_as_statsmodels(ours: ch.KaplanMeier, peer: SurvfuncRight) -> None:
    """S(t) and Greenwood's standard error at every event time agree to 1e-9 (relative)."""
    _same_steps(ours, peer.surv_times, peer.surv_prob)
    se = np.sqrt(ours.variance_.iloc[:, 0].loc[peer.surv_times].to_numpy())
    finite = np.isfinite(peer.surv_prob_se)
    np.testing.assert_allclose(se[finite], peer.surv_prob_se[finite], rtol=1e-9, atol=1e-12)


def _same_as_lifelines(ours: ch.KaplanMeier, peer: KaplanMeierFitter) -> None:
    """The same timeline and event-table counts, S(t) and the exponential-Greenwood band to 1e-9."""
    np.testing.assert_array_equal(ours.survival_function_.index.to_numpy(), peer.survival_function_.index.to_numpy())
    for column in ("observed", "censored", "at_risk"):
        np.testing.assert_array_equal(ours.event_table_[column].to_numpy(), peer.event_table[column].to_numpy(),
                                      err_msg=column)
    np.testing.assert_allclose(ours.survival_function_.to_numpy(), peer.survival_function_.to_numpy(),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.confidence_interval_.to_numpy(), peer.confidence_interval_.to_numpy(),
                               rtol=1e-9, atol=1e-12, err_msg="confidence band")


def _same_chi2(ours: ch.LogRankResult, chi2: float) -> None:
    np.testing.assert_allclose(ours.test_statistic, chi2, rtol=1e-9)


def _fit(durations: np.ndarray, observed: np.ndarray) -> ch.KaplanMeier:
    km = ch.KaplanMeier().fit(durations, observed)
    km.survival_function_, km.variance_  # noqa: B018 (built, as the peers' curves and variances are)
    return km


def _lifelines_km(durations: np.ndarray, observed: np.ndarray) -> KaplanMeierFitter:
    return KaplanMeierFitter().fit(durations, observed)


def cases(args):
    from compare import Case, Peer, duckdb_connect, polars_frame  # noqa: PLC0415 (the runner's module)

    warnings.filterwarnings("ignore", module="lifelines")  # its StatisticalWarnings are not what we time
    n = 100_000 if args.quick else 1_000_000
    t, observed = _tenures(n, seed=2025)
    days = np.ceil(t)
    status = observed.astype(np.int64)  # statsmodels' status; the others take the bool array
    group = np.random.default_rng(2026).integers(0, 2, n)
    days_b = np.where(group == 1, np.ceil(t * 1.05), days)  # group 1 lives 5 % longer
    one = group == 1

    def km_peers(durations):
        subjects = pd.DataFrame({"t": durations, "e": observed})
        con, frame = duckdb_connect(subjects=subjects), polars_frame(subjects)  # set up before timing
        return [
            Peer("lifelines KaplanMeierFitter", lambda: _lifelines_km(durations, observed), _same_as_lifelines,
                 target=20.0),
            Peer("scikit-survival", lambda: kaplan_meier_estimator(observed, durations),
                 lambda ours, r: _same_steps(ours, *r)),
            Peer("statsmodels SurvfuncRight", lambda: SurvfuncRight(durations, status), _same_as_statsmodels),
            Peer("DuckDB SQL", lambda: con.sql(DUCKDB_KM).df(), lambda ours, r: _same_steps(ours, r["t"], r["s"], r["var"])),
            Peer("polars lazy", lambda: polars_km(frame), lambda ours, r: _same_steps(ours, r["t"], r["s"], r["var"])),
        ]

    subjects = pd.DataFrame({"t": days_b, "e": observed, "g": group})
    con, frame = duckdb_connect(subjects=subjects), polars_frame(subjects)
    return [
        Case("Kaplan-Meier, integer days", f"{n:,} subjects", lambda: _fit(days, observed), km_peers(days),
             notes=["custhealth's time covers the fit (event table, S, Greenwood's sum, median) and building "
                    "survival_function_ and variance_; lifelines also builds its confidence band, the others not",
                    "checks: lifelines' timeline, event-table counts, S and band; S (and the variance where the "
                    "peer gives it) at the other peers' times; all to 1e-9"]),
        Case("Kaplan-Meier, continuous times", f"{n:,} subjects ({n:,} distinct times)", lambda: _fit(t, observed),
             km_peers(t), notes=["every time distinct: a sort of 1 M keys and 1 M rows with events on both sides"]),
        Case("log-rank test, 2 groups, integer days", f"{n:,} subjects",
             lambda: ch.multivariate_logrank_test(days_b, group, observed), [
                 Peer("lifelines logrank_test",
                      lambda: logrank_test(days_b[one], days_b[~one], observed[one], observed[~one]),
                      lambda ours, r: _same_chi2(ours, r.test_statistic)),
                 Peer("statsmodels survdiff", lambda: survdiff(days_b, status, group),
                      lambda ours, r: _same_chi2(ours, r[0])),
                 Peer("DuckDB SQL", lambda: con.sql(DUCKDB_LOGRANK).fetchall()[0][0], _same_chi2),
                 Peer("polars lazy", lambda: polars_logrank(frame), _same_chi2),
             ], notes=["no DESIGN §8 target (shown for reference); lifelines gets the two samples split "
                       "beforehand; check: chi2 agrees to 1e-9"]),
    ]
