"""Shared fixtures: the reference data sets (read in place, skipped when absent) and the repo root."""

from __future__ import annotations

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def reference_dir() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("CUSTHEALTH_REFERENCE_DATA", ROOT.parent / "shared" / "reference"))
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path} (set CUSTHEALTH_REFERENCE_DATA)")
    return path


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT
