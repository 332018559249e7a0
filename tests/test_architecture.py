"""The house rules that code review alone would miss: no module changes global state when it is
imported, and the layers only import downwards (the import-linter contract in pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import SMALL_PROGRAM_YAML
from workbench.scenario.loader import load_scenario
from workbench.sim import montecarlo

ROOT = Path(__file__).resolve().parents[1]
IMPORT_EVERYTHING = textwrap.dedent("""
    import importlib, os, pkgutil, sys
    import workbench
    env = dict(os.environ)
    # the charts first: they are what a notebook imports before anything else
    names = ["workbench.present.charts"] + [
        m.name for m in pkgutil.walk_packages(workbench.__path__, "workbench.")
        if not m.name.endswith("__main__")]
    for name in names:
        importlib.import_module(name)
    import jsonschema
    print(len(names), dict(os.environ) == env,
          sorted(k for k, v in sys.modules.items() if v is None),
          "iri" in jsonschema.FormatChecker.checkers)
""")


def test_importing_every_module_changes_no_global_state() -> None:
    """Environment untouched, no module blocked in `sys.modules`, and jsonschema loads as it
    would without us (the start-up speed-up is an explicit call in the notebooks)."""
    out = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True,
                         text=True, check=True).stdout.split(maxsplit=1)
    assert int(out[0]) >= 40
    assert out[1].strip() == "True [] True"


@pytest.mark.parametrize("env, calls", [("0", 0), ("1", 3)])
def test_invariant_checks_follow_the_environment_at_call_time(
        env: str, calls: int, monkeypatch: pytest.MonkeyPatch, write_file) -> None:  # noqa: ANN001
    small_program = write_file("small.yaml", SMALL_PROGRAM_YAML)
    seen: list[int] = []
    monkeypatch.setenv(montecarlo.CHECK_ENV, env)
    monkeypatch.setattr(montecarlo, "check_invariants", lambda scenario, log: seen.append(1))
    montecarlo.run_chunk(load_scenario(small_program), 0, 0, 3)
    assert len(seen) == calls


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """import-linter's check of the layer contract in ``project``'s pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache",
                           str(project / "pyproject.toml")], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_layers_only_import_downwards() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_an_import_back_up_fails_the_contract_and_is_named(tmp_path: Path) -> None:
    """Plant `sim.model -> app.cli` in a copy of the package: the check fails and says where."""
    shutil.copytree(ROOT / "workbench", tmp_path / "workbench",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    model = tmp_path / "workbench" / "sim" / "model.py"
    model.write_text(model.read_text() + "\nimport workbench.app.cli  # planted\n")
    done = lint_imports(tmp_path)
    assert done.returncode == 1
    assert "workbench.sim is not allowed to import workbench.app" in done.stdout
    assert "workbench.sim.model -> workbench.app.cli" in done.stdout
