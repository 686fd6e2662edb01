"""Feedback: NPS and CSAT by segment × month over 10,000,000 answers vs the same aggregate in DuckDB
(SQL over the registered DataFrame), polars (lazy, on the same buffers) and pandas (the idiomatic
groupby), plus the physical floor: one plain read pass over the same three columns."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import custhealth as ch

SEGMENTS = ["enterprise", "mid-market", "smb", "startup", "public-sector"]
Z = 1.959963984540054


def answers(rows: int, low: int, high: int, seed: int) -> pd.DataFrame:
    """Seeded answers over three years, in random order (as a warehouse export of many accounts)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01-01T00:00:00", "ns").astype(np.int64)
    span = 3 * 365 * 86400 * 10**9
    return pd.DataFrame({
        "segment": pd.Categorical.from_codes(rng.integers(0, len(SEGMENTS), rows).astype(np.int8), categories=SEGMENTS),
        "timestamp": (start + rng.integers(0, span, rows)).view("datetime64[ns]"),
        "score": rng.integers(low, high + 1, rows).astype(np.float64),
    })


# Every engine computes the per-group counts (the work over 10 M rows); the formulas on the ~180
# groups are one shared pandas step, so all peers produce the same DataFrame custhealth returns.

def nps_formulas(g: pd.DataFrame) -> pd.DataFrame:
    p, q = g.promoters / g.n, g.detractors / g.n
    g["score"] = 100 * (p - q)
    g["se"] = 100 * np.sqrt(((p + q) - (p - q) ** 2) / g.n)
    g["ci_low"] = (g.score - Z * g.se).clip(lower=-100)
    g["ci_high"] = (g.score + Z * g.se).clip(upper=100)
    return g


def csat_formulas(g: pd.DataFrame) -> pd.DataFrame:
    """Wilson's interval of the satisfied share (top 2 boxes of 5)."""
    z2 = Z ** 2
    p = g.satisfied / g.n
    center = (p + z2 / (2 * g.n)) / (1 + z2 / g.n)
    half = Z * np.sqrt(p * (1 - p) / g.n + z2 / (4 * g.n ** 2)) / (1 + z2 / g.n)
    g["score"], g["ci_low"], g["ci_high"] = 100 * p, 100 * (center - half), 100 * (center + half)
    return g


FORMULAS = {"nps": nps_formulas, "csat": csat_formulas}


def pandas_summary(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """What a data team writes: month per answer, flags, groupby, the formulas."""
    d = df.assign(period=df["timestamp"].dt.to_period("M"))
    if kind == "nps":
        d = d.assign(promoter=d["score"] >= 9, detractor=d["score"] <= 6)
        aggs = {"promoters": ("promoter", "sum"), "detractors": ("detractor", "sum")}
    else:
        d = d.assign(satisfied=d["score"] >= 4)
        aggs = {"satisfied": ("satisfied", "sum"), "mean": ("score", "mean")}
    g = d.groupby(["segment", "period"], observed=True).agg(n=("score", "size"), **aggs)
    return FORMULAS[kind](g)


def polars_summary(frame, kind: str) -> pd.DataFrame:
    import polars as pl  # noqa: PLC0415 (after compare.py has set the thread count)

    from compare import pandas_from_polars  # noqa: PLC0415

    score = pl.col("score")
    # Counts as Int64, as pandas and DuckDB give them: polars' u32 would overflow in Wilson's n².
    aggs = ({"promoters": (score >= 9).sum().cast(pl.Int64), "detractors": (score <= 6).sum().cast(pl.Int64)}
            if kind == "nps" else {"satisfied": (score >= 4).sum().cast(pl.Int64), "mean": score.mean()})
    g = (frame.lazy().group_by("segment", pl.col("timestamp").dt.truncate("1mo").alias("period"))
         .agg(n=pl.len().cast(pl.Int64), **aggs).collect())
    return FORMULAS[kind](pandas_from_polars(g))


def duckdb_summary(con, kind: str) -> pd.DataFrame:
    aggs = ("count_if(score >= 9) AS promoters, count_if(score <= 6) AS detractors" if kind == "nps" else
            "count_if(score >= 4) AS satisfied, avg(score) AS mean")
    g = con.sql(f"SELECT segment, date_trunc('month', timestamp) AS period, count(*) AS n, {aggs} "
                "FROM answers GROUP BY ALL").df()
    return FORMULAS[kind](g)


def check(columns):
    """Same (segment, month) groups, equal counts, the scores and intervals to 1e-9."""
    def standard(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.reset_index() if "segment" not in frame.columns else frame
        period = frame["period"]
        period = period.dt.start_time if isinstance(period.dtype, pd.PeriodDtype) else period.astype("datetime64[ns]")
        return (frame.assign(segment=frame["segment"].astype(str), period=period)
                .sort_values(["segment", "period"], ignore_index=True))

    def run(ours: pd.DataFrame, peer: pd.DataFrame) -> None:
        ours, peer = standard(ours), standard(peer)
        assert len(ours) == len(peer), f"{len(ours)} groups, the peer has {len(peer)}"
        assert (ours[["segment", "period"]].to_numpy() == peer[["segment", "period"]].to_numpy()).all(), "groups differ"
        assert (ours["n"].to_numpy() == peer["n"].to_numpy()).all(), "counts differ"
        for c in columns:
            np.testing.assert_allclose(ours[c].to_numpy(), peer[c].to_numpy(), rtol=1e-9, atol=1e-12, err_msg=c)
    return run


def read_pass(df: pd.DataFrame) -> float:
    """The floor: one read of every byte of the three columns (a sum each, as one numpy pass)."""
    t = df["timestamp"].array.asi8
    s = df["score"].to_numpy()
    c = df["segment"].array.codes
    return float(t.sum()) + float(s.sum()) + float(c.sum())


def cases(args):
    from compare import Case, Peer, duckdb_connect, polars_frame  # noqa: PLC0415 (the runner's module)

    rows = 1_000_000 if args.quick else 10_000_000
    out = []
    for kind, low, high, seed, columns in (("nps", 0, 10, 1, ["score", "se", "ci_low", "ci_high"]),
                                           ("csat", 1, 5, 2, ["score", "ci_low", "ci_high", "mean"])):
        df = answers(rows, low, high, seed=seed)
        con, frame = duckdb_connect(answers=df), polars_frame(df)  # set up before timing
        agree = check(columns)
        peers = [
            Peer("DuckDB SQL", lambda con=con, kind=kind: duckdb_summary(con, kind), agree, target=10.0),
            Peer("polars lazy", lambda frame=frame, kind=kind: polars_summary(frame, kind), agree),
            Peer("pandas groupby", lambda df=df, kind=kind: pandas_summary(df, kind), agree),
        ]
        notes = []
        if kind == "nps":
            floor = min(_timed(lambda: read_pass(df)) for _ in range(5))
            ours = min(_timed(lambda: ch.feedback_summary(df, "nps", by="segment", period="M")) for _ in range(5))
            notes = [f"physical floor (numpy read of the 3 columns, {rows * 17 / 1e6:.0f} MB): {floor:.4f} s; "
                     f"the grouped NPS takes {ours / floor:.1f}x that",
                     "same data for all: segment categorical (int8 codes; a polars Enum, a DuckDB ENUM), "
                     "timestamp datetime64[ns], score float64; DuckDB scans the registered DataFrame"]
        out.append(Case(f"{kind.upper()} by segment x month", f"{rows:,} answers",
                        lambda df=df, kind=kind: ch.feedback_summary(df, kind, by="segment", period="M"),
                        peers, notes=notes))
    return out


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
