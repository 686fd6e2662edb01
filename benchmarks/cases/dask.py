"""custhealth.dask vs dask.dataframe's groupby on the same 2-worker LocalCluster (DESIGN §8, issue 16):
NPS by segment × month over many answers, and a cohort retention matrix over usage partitioned by
account. The data is generated on the workers and persisted there before timing, so both sides time
the aggregate over data already in the cluster's memory."""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENTS = ["enterprise", "mid-market", "smb", "startup", "public-sector"]
START = np.datetime64("2022-01-01T00:00:00", "ns").astype(np.int64)
MONTHS = 24
Z = 1.959963984540054


def answer_chunk(seed: int, rows: int) -> pd.DataFrame:
    """One partition of seeded answers over two years, in random order."""
    rng = np.random.default_rng(seed)
    span = 730 * 86400 * 10**9
    return pd.DataFrame({
        "segment": pd.Categorical.from_codes(rng.integers(0, len(SEGMENTS), rows).astype(np.int8), categories=SEGMENTS),
        "timestamp": (START + rng.integers(0, span, rows)).view("datetime64[ns]"),
        "score": rng.integers(0, 11, rows).astype(np.float64),
    })


def usage_chunk(seed: int, rows: int, accounts: int) -> pd.DataFrame:
    """One partition of usage events of its own accounts (ids seed·accounts …): partitioned by account."""
    rng = np.random.default_rng(seed)
    ids = seed * accounts + rng.integers(0, accounts, rows)
    first = rng.integers(0, 600, accounts)[ids - seed * accounts]  # each account starts on its own day
    days = first + rng.integers(0, 730, rows) % np.maximum(1, 730 - first)
    t = START + days * 86400 * 10**9 + rng.integers(0, 86400, rows) * 10**9
    return pd.DataFrame({"account_id": ids.astype(np.int64), "timestamp": t.view("datetime64[ns]"),
                         "event": pd.Categorical.from_codes(rng.integers(0, 3, rows).astype(np.int8),
                                                            categories=["login", "report", "export"])})


def month_index(ts) -> object:
    return (ts.dt.year - 2022) * 12 + ts.dt.month - 1


def dask_nps(ddf) -> pd.DataFrame:
    """What a data team writes in dask.dataframe: flags, month number, groupby-agg, the formulas."""
    d = ddf.assign(period=month_index(ddf["timestamp"]), promoter=ddf["score"] >= 9, detractor=ddf["score"] <= 6)
    g = d.groupby(["segment", "period"], observed=True).agg(
        n=("score", "count"), promoters=("promoter", "sum"), detractors=("detractor", "sum")).compute()
    g = g.reset_index()
    p, q = g.promoters / g.n, g.detractors / g.n
    g["score"] = 100 * (p - q)
    g["se"] = 100 * np.sqrt(((p + q) - (p - q) ** 2) / g.n)
    return g


def check_nps(ours: pd.DataFrame, peer: pd.DataFrame) -> None:
    peer = peer.assign(segment=peer["segment"].astype(str)).sort_values(["segment", "period"], ignore_index=True)
    ours = ours.assign(segment=ours["segment"].astype(str)).sort_values(["segment", "period"], ignore_index=True)
    assert len(ours) == len(peer), f"{len(ours)} groups, the peer has {len(peer)}"
    assert (ours["n"].to_numpy() == peer["n"].to_numpy()).all(), "counts differ"
    for c in ("score", "se"):
        np.testing.assert_allclose(ours[c].to_numpy(), peer[c].to_numpy(), rtol=1e-9, atol=1e-12, err_msg=c)


def dask_cohorts(ddf) -> pd.Series:
    """Accounts active per (cohort month, offset) in dask.dataframe: each account's first month by a
    groupby, joined back, one row per (account, offset), counted per cell."""
    u = ddf.assign(period=month_index(ddf["timestamp"]))[["account_id", "period"]]
    first = u.groupby("account_id")["period"].min().rename("cohort").reset_index()
    x = u.merge(first, on="account_id")
    x = x.assign(offset=x["period"] - x["cohort"])[["account_id", "cohort", "offset"]].drop_duplicates()
    return x.groupby(["cohort", "offset"]).size().compute()


def check_cohorts(ours, peer: pd.Series) -> None:
    start = pd.Timestamp("2022-01-01")
    cohort = ((ours.counts.index.year - start.year) * 12 + ours.counts.index.month - 1).to_numpy()
    got = {(int(c), int(k)): v for c, row in zip(cohort, ours.counts.to_numpy())
           for k, v in enumerate(row) if np.isfinite(v) and v > 0}
    want = {(int(c), int(k)): float(v) for (c, k), v in peer.items()}
    assert got == want, f"{len(got)} cells, the peer has {len(want)}; first difference: " \
                        f"{next(iter(set(got.items()) ^ set(want.items())), None)}"


def cases(args):
    import dask  # noqa: PLC0415 (optional: the dask peers)
    import dask.dataframe as dd  # noqa: PLC0415
    import distributed  # noqa: PLC0415

    import custhealth.dask as chd  # noqa: PLC0415

    from compare import Case, Peer  # noqa: PLC0415

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")  # None means :8787
    client = distributed.Client(cluster)
    parts = 16
    answers = 10_000_000 if args.quick else 100_000_000  # the size: 1.7 GB of columns in the workers
    surveys = client.persist(dd.from_map(answer_chunk, list(range(parts)), [answers // parts] * parts))
    events, accounts = (1_000_000, 10_000) if args.quick else (10_000_000, 100_000)
    usage = client.persist(dd.from_map(usage_chunk, list(range(parts)), [events // parts] * parts,
                                       [accounts // parts] * parts))
    distributed.wait([surveys, usage])
    as_of = "2024-01-01"  # the end of month 24: every period complete on both sides
    notes = [f"LocalCluster(n_workers=2, threads_per_worker=1, processes=True), {parts} partitions persisted "
             "in the workers' memory before timing; the client is this process",
             f"dask {dask.__version__}, distributed {distributed.__version__}"]
    return [
        Case("dask: NPS by segment x month", f"{answers:,} answers",
             lambda: chd.feedback_summary(surveys, "nps", by="segment", period="M"),
             [Peer("dask.dataframe groupby", lambda: dask_nps(surveys), check_nps, target=5.0)], notes=notes),
        Case("dask: cohort retention matrix", f"{events:,} events, {accounts:,} accounts",
             lambda: chd.cohort_retention(usage, period="M", as_of=as_of),
             [Peer("dask.dataframe groupby + merge", lambda: dask_cohorts(usage), check_cohorts, target=5.0)],
             notes=notes),
    ]
