"""The built wheel works without the checkout: installed into a fresh virtual environment outside
it, `workbench run`, `report` and `sweep` work from an empty folder, and both the command and the
report's notebook kernel import the installed package, never the checkout's.

To stay fast and offline the fresh environment borrows the third-party packages of this one
through a ``.pth`` line (a plain path line: the folder's own .pth files, among them the editable
install of the checkout, are not run) and gets the wheel with ``pip install --no-deps``.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from packaging.requirements import Requirement

from tests.helpers import SMALL_PROGRAM_YAML

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DATA = ("workbench/py.typed", "workbench/reports/notebooks/*.ipynb",
                "workbench/reports/templates/**/*")
PROBE = "import sys, workbench; print(sys.executable); print(workbench.__file__)"
pytestmark = pytest.mark.wheel


@dataclass(frozen=True)
class Installed:
    """A fresh environment holding the wheel, and an empty folder to work in."""

    wheel: Path
    venv: Path
    work: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """A command of the fresh environment's bin/, in the work folder; it must succeed."""
        done = subprocess.run([str(self.venv / "bin" / args[0]), *args[1:]], cwd=self.work,
                              env=self.env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stderr[-3000:]}"
        return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(base / "src", base / "dist")
    venv = fresh_venv(base / "venv")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", "-q"]
    subprocess.run([*pip, str(wheel)], check=True, env=clean_env(), timeout=120)
    work = base / "work"
    work.mkdir()
    return Installed(wheel, venv, work, clean_env(decoy_kernels(base / "jupyter")))


def build_wheel(src: Path, dist: Path) -> Path:
    """The wheel of a copy of the sources (building in place would leave build/ in the checkout,
    and a stale build/lib could slip deleted modules into the wheel)."""
    for name in ("pyproject.toml", "README.md"):
        src.mkdir(exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "workbench", src / "workbench",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    # With build isolation pip fetches setuptools from PyPI (or its cache): only when this
    # environment lacks the build requirements
    isolation = ["--no-build-isolation"] if build_requirements_met() else []
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    *isolation, str(src)], check=True, env=clean_env(), timeout=300)
    return next(dist.glob("tpm_workbench-*.whl"))


def build_requirements_met() -> bool:
    """Whether this environment has every package of pyproject's [build-system] requires."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for line in pyproject["build-system"]["requires"]:
        req = Requirement(line)
        try:
            if importlib.metadata.version(req.name) not in req.specifier:
                return False
        except importlib.metadata.PackageNotFoundError:
            return False
    return True


def fresh_venv(folder: Path) -> Path:
    """A new virtual environment that sees this one's third-party packages but not its
    editable `workbench`; its share/jupyter is this one's (nbconvert's templates live there,
    where a real install of the notebooks extra puts them)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True,
                   timeout=120)
    site = Path(sysconfig.get_paths(vars={"base": str(folder), "platbase": str(folder)})
                ["purelib"])
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n",
                                           encoding="utf-8")
    (folder / "share").mkdir(exist_ok=True)
    (folder / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter")
    return folder


def decoy_kernels(folder: Path) -> Path:
    """A Jupyter data folder whose ``python3`` kernel is this environment's Python (which
    imports the checkout): found before the fresh environment's own, as a user's
    ~/.local/share/jupyter would be. Reports must not use it."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "decoy", "language": "python"}), encoding="utf-8")
    return folder


def clean_env(jupyter_path: Path | None = None) -> dict[str, str]:
    """This environment's variables without what would lead Python back to the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    if jupyter_path is not None:
        env["JUPYTER_PATH"] = str(jupyter_path)
    return env


# --- the wheel -----------------------------------------------------------------------------------

def test_wheel_holds_the_notebooks_and_templates(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {p.relative_to(ROOT).as_posix() for pattern in PACKAGE_DATA
                for p in ROOT.glob(pattern) if p.is_file()}
    assert {"workbench/reports/notebooks/scenario_report.ipynb",
            "workbench/reports/templates/workbench_report/index.html.j2"} <= expected
    assert expected <= names, sorted(expected - names)


def test_the_fresh_environment_imports_the_installed_package(installed: Installed) -> None:
    python, module = installed.run("python", "-c", PROBE).stdout.split()
    assert Path(python).parent == installed.venv / "bin"
    assert Path(module).is_relative_to(installed.venv), module
    assert not Path(module).is_relative_to(ROOT)
    script = (installed.venv / "bin" / "workbench").read_text(encoding="utf-8").splitlines()
    assert script[0] == f"#!{installed.venv / 'bin' / 'python'}"  # the command: same Python


# --- the commands, from an empty folder ----------------------------------------------------------

def test_run_report_and_sweep_from_an_empty_folder(installed: Installed) -> None:
    work = installed.work
    (work / "program.yaml").write_text(SMALL_PROGRAM_YAML, encoding="utf-8")
    (work / "sweep.yaml").write_text(
        "base: program.yaml\nparameters: {replications: 10, seed: 3, risk_impact: false}\n"
        "grid: {teams.app.members: [2, 3]}\n", encoding="utf-8")

    forecast = json.loads(installed.run("workbench", "run", "program.yaml", "--reps", "20",
                                        "--seed", "1", "--format", "json").stdout)
    assert [m["name"] for m in forecast["milestones"]] == ["beta", "launch"]

    installed.run("workbench", "report", "program.yaml", "--reps", "20", "--seed", "1",
                  "--workers", "1")
    html = (work / "out" / "program.html").read_text(encoding="utf-8")
    svgs = re.findall(r'<img alt="Chart: [^"]+" src="data:image/svg\+xml;base64,([^"]+)"', html)
    # completion, burn-up, timeline, utilisation, flow, cost, cost against budget, risks
    assert len(svgs) == 10  # 8 charts, the trend and the tornado, as in tests/test_report.py
    assert base64.b64decode(svgs[0]).decode("utf-8").lstrip().startswith("<svg")

    installed.run("workbench", "sweep", "sweep.yaml", "--workers", "2")
    summary = (work / "out" / "sweep" / "summary.html").read_text(encoding="utf-8")
    assert "app 3 people" in summary  # in words
    # cost against date, and the tornadoes of the swept field and of the plan's inputs
    assert summary.count('<img alt="Chart:') == 3 and "What moves launch most" in summary


def test_the_report_kernel_is_the_fresh_environment(installed: Installed, tmp_path: Path) -> None:
    """The runner `workbench report` uses starts its kernel on the fresh environment's Python,
    although Jupyter finds the decoy ``python3`` kernelspec first."""
    probe = tmp_path / "probe.ipynb"
    nb = new_notebook(cells=[new_code_cell(PROBE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, probe)
    installed.run("python", "-c", "import sys; from workbench.reports.runner import "
                  "execute_notebook as ex; ex(sys.argv[1], sys.argv[2], {})",
                  str(probe), str(tmp_path / "done.ipynb"))
    done = nbformat.read(tmp_path / "done.ipynb", as_version=4)
    python, module = done.cells[0].outputs[0]["text"].split()
    assert Path(python).parent == installed.venv / "bin"
    assert Path(module).is_relative_to(installed.venv), module
