"""The wheel as a data team gets it: `pip wheel . -w dist --no-deps` (scikit-build-core), installed
into a fresh virtual environment that holds nothing else, then the README's Python example run there —
outside the source tree, so nothing but the installed package can be imported."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import venv

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(*args, cwd=None, check=True, pythonpath=None):
    # No PYTHONPATH pointing at the build tree unless asked for.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=1500)
    if check:
        assert result.returncode == 0, f"{args}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def pinned(name: str) -> str:
    """The requirement line of requirements/test.txt for `name` (the versions the tests ran on)."""
    for line in (ROOT / "requirements" / "test.txt").read_text().splitlines():
        if re.match(rf"{name}==", line):
            return line.strip()
    raise AssertionError(f"{name} is not pinned in requirements/test.txt")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build_dir = os.environ.get("CUSTHEALTH_WHEEL_BUILD_DIR", str(tmp / "build"))
    run(sys.executable, "-m", "pip", "wheel", ROOT, "-w", tmp / "dist", "--no-deps", "--disable-pip-version-check",
        "-C", f"build-dir={build_dir}")
    wheels = list((tmp / "dist").glob("custhealth-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check", wheels[0])
    return tmp, python


def test_wheel_holds_the_compiled_core_inside_the_package(fresh):
    tmp, python = fresh
    listing = run(python, "-m", "pip", "show", "--files", "custhealth").stdout
    assert re.search(r"custhealth/_core\..*\.so", listing), listing
    assert "custhealth/py.typed" in listing
    assert "custhealth/models/adoption_v1.json" in listing  # the shipped model files


def test_import_without_numpy_or_pandas_names_what_is_missing(fresh):
    tmp, python = fresh
    result = run(python, "-c", "import custhealth", cwd=tmp, check=False)
    assert result.returncode != 0
    assert "ImportError: custhealth needs numpy" in result.stderr and "pip install numpy" in result.stderr
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", pinned("numpy"))
    result = run(python, "-c", "import custhealth", cwd=tmp, check=False)
    assert "ImportError: custhealth needs pandas" in result.stderr and "pip install pandas" in result.stderr


def test_readme_example_runs_from_the_installed_wheel(fresh):
    tmp, python = fresh
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", pinned("numpy"), pinned("pandas"))
    where = run(python, "-c", "import custhealth; print(custhealth.__file__)", cwd=tmp).stdout
    assert str(tmp / "venv") in where, where  # the installed copy, not the source tree
    result = run(python, ROOT / "examples" / "quickstart.py", cwd=tmp)
    assert "NpsResult(score=" in result.stdout
    # The same numbers, to the last printed digit, as the build tree's module under this interpreter.
    build = pathlib.Path(os.environ.get("CUSTHEALTH_BUILD_DIR", ROOT / "build"))
    expected = run(sys.executable, ROOT / "examples" / "quickstart.py", cwd=tmp, pythonpath=build / "python")
    assert result.stdout == expected.stdout


def test_missing_cpp_dependencies_are_named_as_debian_packages(tmp_path):
    # CMake told that Eigen and fmt cannot be found, as on a machine without libeigen3-dev / libfmt-dev.
    result = run("cmake", "-S", ROOT, "-B", tmp_path / "b", "-DCMAKE_DISABLE_FIND_PACKAGE_Eigen3=ON",
                 "-DCMAKE_DISABLE_FIND_PACKAGE_fmt=ON", "-DCUSTHEALTH_BUILD_PYTHON=OFF", check=False)
    assert result.returncode != 0
    assert "C++ build dependencies not found: libeigen3-dev libfmt-dev" in result.stderr
    assert "sudo apt-get install libeigen3-dev libfmt-dev" in result.stderr
