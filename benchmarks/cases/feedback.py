"""Feedback: NPS and CSAT by segment × month over 10,000,000 answers vs the equivalent pandas groupby,
on the same DataFrame (segment categorical, timestamp datetime64[ns], score float64 — all read in
place by custhealth), plus the physical floor: one plain read pass over the same three columns."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import custhealth as ch

SEGMENTS = ["enterprise", "mid-market", "smb", "startup", "public-sector"]


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


def pandas_nps(df: pd.DataFrame) -> pd.DataFrame:
    """What a data team writes: month per answer, promoter/detractor flags, groupby, the formulas."""
    d = df.assign(period=df["timestamp"].dt.to_period("M"), promoter=df["score"] >= 9, detractor=df["score"] <= 6)
    g = d.groupby(["segment", "period"], observed=True).agg(n=("score", "size"), promoters=("promoter", "sum"),
                                                           detractors=("detractor", "sum"))
    p, q = g.promoters / g.n, g.detractors / g.n
    g["score"] = 100 * (p - q)
    g["se"] = 100 * np.sqrt(((p + q) - (p - q) ** 2) / g.n)
    g["ci_low"] = (g.score - 1.959963984540054 * g.se).clip(lower=-100)
    g["ci_high"] = (g.score + 1.959963984540054 * g.se).clip(upper=100)
    return g


def pandas_csat(df: pd.DataFrame) -> pd.DataFrame:
    d = df.assign(period=df["timestamp"].dt.to_period("M"), satisfied=df["score"] >= 4)
    g = d.groupby(["segment", "period"], observed=True).agg(n=("score", "size"), satisfied=("satisfied", "sum"),
                                                           mean=("score", "mean"))
    z2 = 1.959963984540054 ** 2
    p = g.satisfied / g.n
    center = (p + z2 / (2 * g.n)) / (1 + z2 / g.n)
    half = 1.959963984540054 * np.sqrt(p * (1 - p) / g.n + z2 / (4 * g.n ** 2)) / (1 + z2 / g.n)
    g["score"], g["ci_low"], g["ci_high"] = 100 * p, 100 * (center - half), 100 * (center + half)
    return g


def check(columns):
    def run(ours: pd.DataFrame, peer: pd.DataFrame) -> None:
        peer = peer.reset_index()
        peer["period"] = peer["period"].dt.start_time
        key = ["segment", "period"]
        ours = ours.assign(segment=ours.segment.astype(str)).sort_values(key, ignore_index=True)
        peer = peer.assign(segment=peer.segment.astype(str)).sort_values(key, ignore_index=True)
        assert (ours[key].to_numpy() == peer[key].to_numpy()).all(), "groups differ"
        assert len(ours) == len(peer), (len(ours), len(peer))
        assert (ours["n"].to_numpy() == peer["n"].to_numpy()).all(), "counts differ"
        for c in columns:
            np.testing.assert_allclose(ours[c].to_numpy(), peer[c].to_numpy(), rtol=1e-9, err_msg=c)
    return run


def read_pass(df: pd.DataFrame) -> float:
    """The floor: one read of every byte of the three columns (a sum each, as one numpy pass)."""
    t = df["timestamp"].array.asi8
    s = df["score"].to_numpy()
    c = df["segment"].array.codes
    return float(t.sum()) + float(s.sum()) + float(c.sum())


def cases(args):
    from compare import Case  # noqa: PLC0415 (the runner's module)

    rows = 1_000_000 if args.quick else 10_000_000
    nps_df = answers(rows, 0, 10, seed=1)
    csat_df = answers(rows, 1, 5, seed=2)

    floor = min(_timed(lambda: read_pass(nps_df)) for _ in range(5))
    ours = min(_timed(lambda: ch.feedback_summary(nps_df, "nps", by="segment", period="M")) for _ in range(5))
    notes = [f"physical floor (numpy read of the 3 columns, {rows * 17 / 1e6:.0f} MB): {floor:.4f} s; "
             f"the grouped NPS takes {ours / floor:.1f}x that",
             "same DataFrame for both: segment categorical (int8 codes), timestamp datetime64[ns], score float64"]
    return [
        Case("NPS by segment x month", f"{rows:,} answers",
             lambda: ch.feedback_summary(nps_df, "nps", by="segment", period="M"), lambda: pandas_nps(nps_df),
             "pandas groupby", 20.0, check(["score", "se", "ci_low", "ci_high"]), notes=notes),
        Case("CSAT by segment x month", f"{rows:,} answers",
             lambda: ch.feedback_summary(csat_df, "csat", by="segment", period="M"), lambda: pandas_csat(csat_df),
             "pandas groupby", 20.0, check(["score", "ci_low", "ci_high", "mean"])),
    ]


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
