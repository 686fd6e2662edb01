"""The README's examples are the files that run: examples/quickstart.py and .cpp are embedded
verbatim, the Python one runs here (the C++ one is built and run by the consumer_project test), and
the example notebook executes end to end."""

from __future__ import annotations

import base64
import io
import os
import pathlib
import subprocess
import sys

import numpy as np
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


def decoded_png(data: str):
    """The pixels of a notebook's base64 image/png output (matplotlib's reader: it checks the PNG signature)."""
    import matplotlib.image  # noqa: PLC0415

    raw = base64.b64decode(data)
    assert raw.startswith(b"\x89PNG\r\n\x1a\n")
    return matplotlib.image.imread(io.BytesIO(raw), format="png")


def test_notebook_runs_and_shows_its_figures(root, monkeypatch):
    """Executed as Jupyter runs it (in examples/, the inline backend): no cell fails, every cell that
    plots shows a figure, and each figure is a real PNG of more than one colour."""
    # The kernel starts in examples/: a relative PYTHONPATH (the Makefile's build/python) is made absolute.
    if os.environ.get("PYTHONPATH"):
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(str(pathlib.Path(p).resolve())
                                                          for p in os.environ["PYTHONPATH"].split(os.pathsep) if p))
    nbformat = peer("nbformat")
    nbclient = peer("nbclient")
    peer("matplotlib")
    notebook = nbformat.read(root / "examples" / "portfolio.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(root / "examples")}}).execute()
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [o for cell in cells for o in cell.outputs]
    errors = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    assert not errors, errors
    draws = ("plot(", "plot_bands(", "plot_waterfall(", "plot_feedback(", "add_at_risk_counts(")
    for cell in cells:
        if any(call in cell.source for call in draws):
            assert any("image/png" in o.get("data", {}) for o in cell.outputs), f"no figure shown by:\n{cell.source}"
    images = [decoded_png(o["data"]["image/png"]) for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 7
    for image in images:
        assert image.size > 0 and image.shape[0] > 100 and image.shape[1] > 100
        assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 1
