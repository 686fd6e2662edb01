"""Shared fixtures: the reference data sets (tests/data/reference; a missing folder fails) and the repo root."""

from __future__ import annotations

import importlib
import os
import pathlib
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def reference_dir() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("CUSTHEALTH_REFERENCE_DATA", ROOT / "tests" / "data" / "reference"))
    if not path.is_dir():
        pytest.fail(f"reference data not found at {path} (set CUSTHEALTH_REFERENCE_DATA)")
    return path


def peer(name: str):
    """Imports a peer library the tests compare against (lifelines, polars, ...). Under the project's
    .venv/ (ctest sets CUSTHEALTH_REQUIRE_PEERS) a missing peer is a failure; under Debian's Python,
    which packages only some of them, the module's tests are skipped."""
    if os.environ.get("CUSTHEALTH_REQUIRE_PEERS"):
        return importlib.import_module(name)
    return pytest.importorskip(name)


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


def _runs_without_gil(work, attempts: int = 5) -> bool:
    """Runs `work` — a single core call — in a thread while this thread keeps stepping. If the core
    held the GIL, no step of this thread could fall in the middle half of the worker's call, in any
    attempt; a few attempts keep a loaded machine (this thread not scheduled in time) from failing a
    core that does release it. (Several calls, or Python around the call, would let this thread in
    between them.)"""
    for _ in range(attempts):
        span = {}

        def timed():
            span["start"] = time.perf_counter()
            work()
            span["end"] = time.perf_counter()

        worker = threading.Thread(target=timed)
        steps = []
        worker.start()
        while worker.is_alive():
            steps.append(time.perf_counter())
        worker.join()
        quarter = (span["end"] - span["start"]) / 4
        if any(span["start"] + quarter < t < span["end"] - quarter for t in steps):
            return True
    return False


@pytest.fixture
def runs_without_gil():
    """`runs_without_gil(work)`: True when the main thread ran Python while `work` was in the core."""
    return _runs_without_gil
