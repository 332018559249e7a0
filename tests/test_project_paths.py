"""Project files come from the user's folder, package files from the package: the explorer
finds scenarios/ above the notebook's folder, and reports run in a kernel on this interpreter."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from workbench.app.explorer import scenario_file
from workbench.reports.kernel import ThisPythonKernelManager
from workbench.scenario.loader import ScenarioError


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
