"""Project files come from the user's folder, package files from the package: `workbench lab`
serves the project's notebooks/ (made from the package's when missing), the explorer finds
scenarios/ above the notebook's folder, and reports run in a kernel on this interpreter."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from workbench.app import cli, lab
from workbench.app.explorer import scenario_file
from workbench.reports import paths
from workbench.reports.kernel import ThisPythonKernelManager
from workbench.scenario.loader import ScenarioError

PACKAGE_NOTEBOOKS = sorted(p.name for p in paths.NOTEBOOKS_DIR.glob("*.ipynb"))


class Started(Exception):
    """Raised in place of starting JupyterLab."""


def test_lab_copies_the_package_notebooks_into_a_project_without_any(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    started: list[list[str]] = []

    def start(folder: Path, port: int, token: str, open_browser: bool) -> None:
        started.append(lab.lab_command(folder, port, open_browser))
        raise Started

    monkeypatch.setattr(lab, "start", start)
    monkeypatch.setenv(lab.TOKEN_ENV, "t")
    args = cli._parser().parse_args(["lab", "--no-browser", "--port", "0"])
    with pytest.raises(Started):
        args.run(args)
    folder = tmp_path / "notebooks"
    assert sorted(p.name for p in folder.iterdir()) == PACKAGE_NOTEBOOKS
    assert "explore.ipynb" in PACKAGE_NOTEBOOKS
    assert f"--ServerApp.root_dir={folder}" in started[0]
    assert capsys.readouterr().out.splitlines()[0] == \
        f"workbench lab: copied the workbench's notebooks into {folder}"


def test_lab_leaves_existing_notebooks_alone(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "mine.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "scenarios").mkdir()
    monkeypatch.chdir(tmp_path / "scenarios")  # below the project folder
    assert lab.notebook_folder() == tmp_path / "notebooks"
    assert not lab.ensure_notebooks(lab.notebook_folder())
    assert [p.name for p in (tmp_path / "notebooks").iterdir()] == ["mine.ipynb"]


def test_scenarios_are_found_above_the_notebook_folder(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "plan.yaml").write_text("name: x\n", encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "local.yaml").write_text("name: y\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "notebooks")
    assert scenario_file("plan.yaml") == tmp_path / "scenarios" / "plan.yaml"
    assert scenario_file("local.yaml") == tmp_path / "notebooks" / "local.yaml"
    with pytest.raises(ScenarioError, match=r"nope.yaml: file not found .*: plan.yaml\)"):
        scenario_file("nope.yaml")


def test_reports_use_a_kernel_on_this_interpreter(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``python3`` kernelspec Jupyter would find first (here through JUPYTER_PATH, as a stray
    one in ~/.local/share/jupyter would be) does not change the report's Python."""
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": ["/elsewhere/python", "-f", "{connection_file}"], "display_name": "other",
         "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    kernel = ThisPythonKernelManager(kernel_name="python3")
    assert kernel.kernel_spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
