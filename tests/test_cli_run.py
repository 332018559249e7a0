"""`workbench run` as a user meets it: the installed command, real scenario files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.scenario.loader import load_scenario
from workbench.sim.montecarlo import simulate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def workbench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_run_json_is_identical_with_one_and_two_workers() -> None:
    args = ["run", "scenarios/program.yaml", "--reps", "40", "--seed", "5", "--format", "json"]
    one = workbench(*args, "--workers", "1")
    two = workbench(*args, "--workers", "2")
    assert one.returncode == 0, one.stderr
    assert one.stdout == two.stdout
    data = json.loads(one.stdout)
    assert data["seed"] == 5 and data["replications"] == 40
    assert len(data["scenario"]["sha256"]) == 64 and data["version"]
    beta = next(m for m in data["milestones"] if m["name"] == "beta")
    assert beta["p50"] <= beta["p85"] <= beta["p95"]
    assert 0 <= beta["chance_of_target"] <= 1
    assert beta["most_often_last"]["epic"] in load_scenario(SCENARIOS / "program.yaml"
                                                            ).milestones["beta"].epics


def test_run_table_and_csv() -> None:
    table = workbench("run", "scenarios/program.yaml", "--reps", "20", "--seed", "1")
    assert table.returncode == 0, table.stderr
    assert "P85" in table.stdout and "chance" in table.stdout and "cost:" in table.stdout
    csv = workbench("run", "scenarios/program.yaml", "--reps", "20", "--format", "csv")
    header, *rows = csv.stdout.splitlines()
    assert header.startswith("kind,name,team,target,p50,p85,p95")
    assert sum(r.startswith("milestone,") for r in rows) == 2


@pytest.mark.parametrize("args, expected", [
    (["run", "scenarios/missing.yaml"], "scenarios/missing.yaml: "),
    (["run", "scenarios/program.yaml", "--set", "teams.platform.members=-1"],
     "teams.platform.members"),
    (["run", "scenarios/program.yaml", "--set", "teams.platfrm.members=8"],
     "teams.platfrm.members: no teams entry 'platfrm' (did you mean 'platform'?"),
])
def test_run_bad_input_is_one_line_exit_2(args: list[str], expected: str) -> None:
    done = workbench(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in done.stderr


def p50(path: Path) -> float:
    f = simulate(load_scenario(path), reps=80, seed=3)
    return float(np.median(f.column("milestone:ga")))


def test_bundled_what_ifs_move_the_date_the_right_way() -> None:
    base = p50(SCENARIOS / "program.yaml")
    assert p50(SCENARIOS / "whatif_more_people.yaml") <= base
    assert p50(SCENARIOS / "whatif_cut_scope.yaml") <= base
    assert p50(SCENARIOS / "whatif_dependency_slips.yaml") >= base
