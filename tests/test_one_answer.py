"""One answer everywhere: the same question asked of `workbench run`, `workbench report`, a
one-point `workbench sweep` and the explorer, each with its defaults, gets the same figures
(the same replications by precision, the same seed), and so does a what-if refined in the
explorer against `workbench run --set`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.helpers import SMALL_PROGRAM_YAML
from workbench.app import cli
from workbench.app.explorer import Explorer

FIGURES = ["p50_days", "p85_days", "p95_days", "chance_of_target", "p85_error_working_days",
           "chance_error"]


def figures(milestones: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {m["name"]: [m[k] for k in FIGURES] for m in milestones}


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert cli.main(["run", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def program(write_file) -> Path:  # noqa: ANN001
    return write_file("program.yaml", SMALL_PROGRAM_YAML)


def test_run_report_sweep_and_explorer_give_the_same_figures(
        program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = program.parent
    run = run_json(capsys, str(program))
    assert run["precision"]["rule"] == "auto" and run["seed"] == 0

    assert cli.main(["report", str(program), "--out", str(folder / "report")]) == 0
    report = json.loads((folder / "report" / "program" / "summary.json").read_text())

    (folder / "sweep.yaml").write_text("base: program.yaml\npoints: [{name: as-is}]\n")
    assert cli.main(["sweep", str(folder / "sweep.yaml"), "--out", str(folder / "sweep"),
                     "--reports", "none"]) == 0
    rows = pd.read_parquet(folder / "sweep" / "results.parquet").set_index("milestone")
    swept = {name: [rows.loc[name, k] for k in FIGURES] for name in rows.index}

    explorer = Explorer(program, workers=1, offline=False, background=False)
    try:
        explored = figures(explorer.baseline.to_dict()["milestones"])
        assert explorer.baseline.reps == run["replications"]
    finally:
        explorer.close()

    expected = figures(run["milestones"])
    assert figures(report["milestones"]) == expected
    assert report["replications"] == run["replications"] == int(rows["replications"].iloc[0])
    assert swept == expected
    assert explored == expected


def test_a_what_if_refined_in_the_explorer_is_workbench_run_set(
        program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    explorer = Explorer(program, workers=1, quick_reps=16, offline=False, background=False)
    try:
        explorer.controls["teams.app.members"].widget.value = 4
        whatif = explorer.whatif
    finally:
        explorer.close()
    run = run_json(capsys, str(program), "--set", "teams.app.members=4")
    assert whatif.reps == run["replications"] and whatif.precision is not None
    assert figures(whatif.to_dict()["milestones"]) == figures(run["milestones"])
