"""The house rules that code review alone would miss: no module changes global state when it is
imported, and the layers only import downwards (the import-linter contract in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.helpers import SMALL_PROGRAM_YAML
from workbench.scenario.loader import load_scenario
from workbench.sim import montecarlo

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
