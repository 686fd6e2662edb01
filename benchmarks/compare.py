#!/usr/bin/env python3
"""Side-by-side timings of custhealth against its peers (DuckDB, polars, pandas, lifelines,
scikit-survival, statsmodels) on the same data, in one run, printed as ratios
(peer time / custhealth time), one line per (case, peer).

Each module in benchmarks/cases/ defines ``cases(args) -> list[Case]``; this script runs them.
Every peer's result is checked against custhealth's (same groups, equal counts, rates and scores
to 1e-9): a peer whose numbers differ is reported as a failure, gets no ratio, and the run exits 1.

    .venv/bin/python benchmarks/compare.py --build build [--quick] [--only ingest] [--threads 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

HERE = pathlib.Path(__file__).resolve().parent

# The engines' thread count: None for their defaults, or the --threads value (set once by main()).
THREADS: int | None = None


@dataclass
class Peer:
    name: str                                # e.g. "DuckDB", "pandas groupby"
    run: Callable[[], Any]                   # the peer's call on the same data (timed)
    check: Callable[[Any, Any], None]        # check(ours, peer): asserts both gave the same numbers
    target: float | None = None              # the ratio DESIGN §8 (or issue 10) asks against this peer


@dataclass
class Case:
    name: str                                # what is measured, e.g. "NPS by segment x month"
    size: str                                # the data size, e.g. "10,000,000 answers"
    ours: Callable[[], Any]                  # the custhealth call
    peers: list[Peer] = field(default_factory=list)
    limit_s: float | None = None             # a target on custhealth's own time (end-to-end rows)
    notes: list[str] = field(default_factory=list)


# ---- engine helpers shared by the cases (imported lazily, so --threads applies before polars loads) ----

def duckdb_connect(copy: bool = False, **frames: Any) -> Any:
    """An in-memory DuckDB connection at the run's thread setting, with each DataFrame registered
    under its keyword (scanned in place), or with ``copy=True`` loaded into DuckDB's own table —
    call this before timing so the peer's time is the query alone."""
    import duckdb  # noqa: PLC0415

    con = duckdb.connect()
    if THREADS is not None:
        con.execute(f"SET threads = {THREADS}")
    for name, df in frames.items():
        con.register(f"{name}_frame" if copy else name, df)
        if copy:
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_frame")
            con.unregister(f"{name}_frame")
    return con


def polars_frame(df: Any) -> Any:
    """The pandas DataFrame as a polars one on the same numpy buffers. The venv has no pyarrow,
    which pl.from_pandas needs for categoricals: those become polars Enums built from their codes."""
    import pandas as pd  # noqa: PLC0415
    import polars as pl  # noqa: PLC0415

    columns = {}
    for name, series in df.items():
        if isinstance(series.dtype, pd.CategoricalDtype):
            labels = [str(c) for c in series.cat.categories]
            columns[name] = pl.Series(name, labels, dtype=pl.Enum(labels)).gather(series.cat.codes.to_numpy())
        else:
            values = series.to_numpy()
            if values.dtype == "datetime64[s]":  # polars has no second resolution: ms, as from_pandas does
                values = values.astype("datetime64[ms]")
            columns[name] = pl.Series(name, values)
    return pl.DataFrame(columns)


def pandas_from_polars(frame: Any) -> Any:
    """A small polars result as a pandas DataFrame (without pyarrow: column by column via numpy)."""
    import pandas as pd  # noqa: PLC0415

    return pd.DataFrame({name: frame[name].to_numpy() for name in frame.columns})


def thread_setting() -> str:
    import duckdb  # noqa: PLC0415
    import polars as pl  # noqa: PLC0415

    con = duckdb_connect()
    duck = con.sql("SELECT current_setting('threads')").fetchall()[0][0]
    how = "engine defaults" if THREADS is None else f"--threads {THREADS} (POLARS_MAX_THREADS, DuckDB SET threads)"
    return (f"threads: {how}: polars {pl.thread_pool_size()}, DuckDB {duck}; custhealth n_threads=1 unless a case "
            f"says otherwise; {os.cpu_count()} CPUs")


# ---- the run ----

def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build", help="the CMake build folder (its python/ is imported)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, for a smoke run")
    parser.add_argument("--only", default=None, help="run only the case modules whose name contains this")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for DuckDB and polars (default: theirs); 1 gives per-core ratios")
    parser.add_argument("--data", default=str(HERE / "data"), help="scratch folder for generated inputs")
    args = parser.parse_args()
    if args.threads is not None:
        # polars sizes its thread pool once, when it is first imported: nothing has imported it yet.
        assert "polars" not in sys.modules
        os.environ["POLARS_MAX_THREADS"] = str(args.threads)
        THREADS = args.threads
    # The cases import this file as `compare`; without this alias they would get a second copy of
    # the module, whose THREADS is still None.
    sys.modules["compare"] = sys.modules[__name__]
    sys.path.insert(0, str(pathlib.Path(args.build).resolve() / "python"))
    os.makedirs(args.data, exist_ok=True)

    print(thread_setting())
    print(f"load average at start: {load_average()}{'; --quick (sizes / 10)' if args.quick else ''}\n", flush=True)

    rows, failures = [], []
    for path in sorted((HERE / "cases").glob("*.py")):
        if args.only and args.only not in path.stem:
            continue
        spec = importlib.util.spec_from_file_location(f"cases.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for case in module.cases(args):
            ours_s, ours_result = best_of(case.ours, args.repeat)
            if case.limit_s is not None or not case.peers:  # a row of its own: custhealth's time alone
                target = "(no target)" if case.limit_s is None else f"<= {case.limit_s:g} s"
                verdict = "" if case.limit_s is None else "ok" if ours_s <= case.limit_s else "MISSED"
                rows.append((case.name, case.size, ours_s, "—", None, None, target, verdict))
                print(f"{case.name:<52} {case.size:>24}  custhealth {ours_s:9.4f} s  {target} {verdict}", flush=True)
            for peer in case.peers:
                try:
                    peer_s, peer_result = best_of(peer.run, max(1, args.repeat - 1))
                    peer.check(ours_result, peer_result)
                except Exception as err:  # noqa: BLE001 (a wrong or broken peer fails the run, after the rest ran)
                    failures.append(f"{case.name} [{case.size}] vs {peer.name}: {type(err).__name__}: {err}")
                    print(f"{case.name:<52} {case.size:>24}  {peer.name:<34} CHECK FAILED: "
                          f"{type(err).__name__}: {err}", flush=True)
                    traceback.print_exc(limit=-3)
                    rows.append((case.name, case.size, ours_s, peer.name, None, None, "CHECK FAILED", ""))
                    continue
                ratio = peer_s / ours_s
                target = "(no target)" if peer.target is None else f">= {peer.target:g}x"
                verdict = "" if peer.target is None else "ok" if ratio >= peer.target else "BELOW TARGET"
                rows.append((case.name, case.size, ours_s, peer.name, peer_s, ratio, target, verdict))
                print(f"{case.name:<52} {case.size:>24}  custhealth {ours_s:9.4f} s  {peer.name:<34} "
                      f"{peer_s:9.4f} s  ratio {ratio:7.1f}x  {target} {verdict}", flush=True)
            for note in case.notes:
                print(f"    {note}")

    print(f"\nload average at end: {load_average()}")
    print("\n| work | size | custhealth | peer | peer time | ratio | target |")
    print("|---|---|---:|---|---:|---:|---:|")
    for name, size, ours_s, peer_name, peer_s, ratio, target, verdict in rows:
        peer_time = "—" if peer_s is None else f"{peer_s:.4f} s"
        ratio_text = "—" if ratio is None else f"{ratio:.1f}x"
        print(f"| {name} | {size} | {ours_s:.4f} s | {peer_name} | {peer_time} | {ratio_text} | "
              f"{target} {verdict}".rstrip() + " |")
    if failures:
        print(f"\n{len(failures)} peer(s) FAILED their check (no ratio shown):", *failures, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
