"""The README's examples are the files that run: examples/quickstart.py and .cpp are embedded
verbatim, the Python one runs here (the C++ one is built and run by the consumer_project test), and
the example notebook executes end to end."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import peer


def test_readme_embeds_the_quickstart_files_verbatim(root):
    readme = (root / "README.md").read_text()
    for name in ("quickstart.py", "quickstart.cpp"):
        assert (root / "examples" / name).read_text().strip() in readme, name


def test_python_quickstart_runs(root):
    result = subprocess.run([sys.executable, str(root / "examples" / "quickstart.py")], capture_output=True,
                            text=True, timeout=300, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    assert "NpsResult(score=" in result.stdout


def test_notebook_runs(root):
    nbformat = peer("nbformat")
    nbclient = peer("nbclient")
    notebook = nbformat.read(root / "examples" / "portfolio.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(root)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
