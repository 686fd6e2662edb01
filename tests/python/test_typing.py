"""The package is typed: `py.typed`, a stub for the compiled module that matches it, and
`mypy --strict` clean over custhealth/ (pyproject.toml's [tool.mypy])."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

from conftest import ROOT, peer

PACKAGE = ROOT / "bindings" / "python" / "custhealth"
STUB_HEADER_LINES = 2  # the committed stub's comment on how it is made


def test_mypy_strict_is_clean():
    peer("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_stub_matches_the_compiled_module(tmp_path):
    """Regenerate with: PYTHONPATH=build/python .venv/bin/pybind11-stubgen custhealth._core -o /tmp/s
    --numpy-array-use-type-var, then put the two header lines of the committed file above it."""
    peer("pybind11_stubgen")
    subprocess.run([sys.executable, "-m", "pybind11_stubgen", "custhealth._core", "-o", str(tmp_path),
                    "--numpy-array-use-type-var"], check=True, capture_output=True, env=os.environ.copy(), timeout=300)
    fresh = (tmp_path / "custhealth" / "_core.pyi").read_text()
    committed = "".join((PACKAGE / "_core.pyi").read_text().splitlines(keepends=True)[STUB_HEADER_LINES:])
    assert committed == fresh, "bindings/python/custhealth/_core.pyi is stale; regenerate it (see this test's docstring)"
    assert (PACKAGE / "py.typed").exists()
