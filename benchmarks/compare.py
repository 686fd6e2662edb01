#!/usr/bin/python3
"""Side-by-side timings of custhealth against its Python peers (pandas, statsmodels, scikit-learn)
on the same data, in one run, printed as ratios (peer time / custhealth time).

Each module in benchmarks/cases/ defines ``cases(args) -> list[Case]``; this script runs them.

    /usr/bin/python3 benchmarks/compare.py --build build [--quick] [--only ingest]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

HERE = pathlib.Path(__file__).resolve().parent


@dataclass
class Case:
    name: str                                # what is measured, e.g. "NPS by segment x month"
    size: str                                # the data size, e.g. "10,000,000 answers"
    ours: Callable[[], Any]                  # the custhealth call
    peer: Callable[[], Any]                  # the peer's call on the same data
    peer_name: str                           # e.g. "pandas groupby"
    target: float                            # the ratio DESIGN §8 asks for
    check: Callable[[Any, Any], None] | None = None  # asserts both gave the same numbers
    notes: list[str] = field(default_factory=list)


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build", help="the CMake build folder (its python/ is imported)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, for a smoke run")
    parser.add_argument("--only", default=None, help="run only the case modules whose name contains this")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", default=str(HERE / "data"), help="scratch folder for generated inputs")
    args = parser.parse_args()
    sys.path.insert(0, str(pathlib.Path(args.build).resolve() / "python"))
    os.makedirs(args.data, exist_ok=True)

    rows = []
    for path in sorted((HERE / "cases").glob("*.py")):
        if args.only and args.only not in path.stem:
            continue
        spec = importlib.util.spec_from_file_location(f"cases.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for case in module.cases(args):
            ours_s, ours_result = best_of(case.ours, args.repeat)
            peer_s, peer_result = best_of(case.peer, max(1, args.repeat - 1))
            if case.check is not None:
                case.check(ours_result, peer_result)
            ratio = peer_s / ours_s
            rows.append((case.name, case.size, ours_s, case.peer_name, peer_s, ratio, case.target))
            print(f"{case.name:<44} {case.size:>22}  custhealth {ours_s:9.4f} s  {case.peer_name:<28} "
                  f"{peer_s:9.4f} s  ratio {ratio:7.1f}x  (target >= {case.target:g}x) "
                  f"{'ok' if ratio >= case.target else 'BELOW TARGET'}", flush=True)
            for note in case.notes:
                print(f"    {note}")

    print("\n| work | size | custhealth | peer | peer time | ratio | target |")
    print("|---|---|---:|---|---:|---:|---:|")
    for name, size, ours_s, peer_name, peer_s, ratio, target in rows:
        print(f"| {name} | {size} | {ours_s:.4f} s | {peer_name} | {peer_s:.4f} s | {ratio:.1f}x | >= {target:g}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
