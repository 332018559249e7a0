"""Sweeps whose points are simulations (not notebooks): each point's numbers equal `workbench
run` of that point, per-point reports are rendered only for the points asked for, a point
that cannot run fails alone, a killed sweep resumes to the very numbers of an uninterrupted
one, and a Dask cluster gives the same table as the local pool."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.test_sweep import SCENARIO, sweep_file
from workbench.app import cli, cluster
from workbench.reports import sweep

NUMBERS = ["p50_days", "p85_days", "p95_days", "chance_of_target", "p85_error_working_days",
           "chance_error", "cost_p85", "replications", "seed"]


@pytest.fixture
def base(write_file) -> Path:  # noqa: ANN001
    return write_file("program.yaml", SCENARIO)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    assert cli.main(["run", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_each_point_equals_workbench_run_with_the_same_defaults(
        base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No replications or seed in the sweep file: the points get `workbench run`'s (auto, 0)."""
    path = sweep_file(base.parent, "grid: {teams.app.members: [2, 4]}")
    out = base.parent / "out"
    assert cli.main(["sweep", str(path), "--out", str(out), "--reports", "none"]) == 0
    results = pd.read_parquet(out / "results.parquet")
    assert not list(out.glob("*/report.ipynb"))  # --reports none: no notebook ran per point
    for members in (2, 4):
        expected = run_json(capsys, str(base), "--set", f"teams.app.members={members}")
        assert expected["precision"]["rule"] == "auto"
        rows = results[results["teams.app.members"] == members].set_index("milestone")
        for m in expected["milestones"]:
            row = rows.loc[m["name"]]
            for column in ("p50_days", "p85_days", "p95_days", "chance_of_target",
                           "p85_error_working_days", "chance_error"):
                assert row[column] == m[column], column
            assert row["replications"] == expected["replications"] and row["seed"] == 0


def test_best_2_renders_exactly_two_point_reports_the_best_ones(base: Path) -> None:
    path = sweep_file(base.parent, "parameters: {replications: 30, seed: 3, risk_impact: false}"
                                   "\ngrid: {teams.app.members: [1, 2, 4]}")
    out = base.parent / "out"
    assert cli.main(["sweep", str(path), "--out", str(out), "--reports", "best:2"]) == 0
    reports = sorted(p.parent.name for p in out.glob("*/report.html"))
    assert len(reports) == 2 and len(list(out.glob("*/report.ipynb"))) == 2
    results = pd.read_parquet(out / "results.parquet")
    launch = results[results["milestone"] == "launch"].sort_values("p85_days")
    assert reports == sorted(launch["point_id"].iloc[:2])  # the two earliest P85s
    assert (out / "summary.html").is_file()
    # the report shows the table's numbers: same seed, same replications
    summary = json.loads((out / reports[0] / "summary.json").read_text())
    row = results[(results["point_id"] == reports[0]) & (results["milestone"] == "launch")]
    launch_summary = next(m for m in summary["milestones"] if m["name"] == "launch")
    assert launch_summary["p85_days"] == row["p85_days"].iloc[0]


def test_a_bad_reports_choice_is_one_line_exit_2(base: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = sweep_file(base.parent, "grid: {teams.app.members: [2]}")
    with pytest.raises(SystemExit) as exited:
        cli.main(["sweep", str(path), "--reports", "best:0"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "workbench sweep: argument --reports: 'best:0' is not a choice (allowed: none, all, "
        "best:N with N a whole number of 1 or more)")


def test_a_point_that_cannot_run_fails_alone_and_resume_runs_only_it(base: Path) -> None:
    other = base.parent / "other.yaml"
    other.write_text(SCENARIO.replace("members: 2", "members: 3"), encoding="utf-8")
    path = sweep_file(base.parent, "parameters: {replications: 40, seed: 2}\npoints:\n"
                                   "  - {name: base}\n  - {name: other, scenario: other.yaml}\n"
                                   "  - {name: bigger, set: {teams.app.members: 5}}")
    plan = sweep.load_sweep(path)
    other.unlink()  # gone between checking and running: this point cannot be simulated
    out = base.parent / "out"
    first = sweep.run_sweep(plan, out, workers=2, summary=False)
    assert [(p.point, p.status) for p in first.points] == [
        ("base", "done"), ("other", "failed"), ("bigger", "done")]
    assert "not found" in first.failures[0].error or "No such file" in first.failures[0].error
    other.write_text(SCENARIO.replace("members: 2", "members: 3"), encoding="utf-8")
    second = sweep.run_sweep(plan, out, workers=2, summary=False)
    assert [p.status for p in second.points] == ["skipped", "done", "skipped"]
    whole = sweep.run_sweep(plan, base.parent / "again", workers=1, summary=False)
    assert comparable(second.results).equals(comparable(whole.results))


def comparable(results: pd.DataFrame) -> pd.DataFrame:
    return results.drop(columns=["seconds", "simulation_seconds", "status", "error"]
                        ).reset_index(drop=True)


def test_a_killed_sweep_resumes_to_the_numbers_of_an_uninterrupted_one(base: Path) -> None:
    path = sweep_file(base.parent, "parameters: {replications: 1500, seed: 4}\n"
                                   "grid: {teams.app.members: [2, 3, 4, 5, 6, 7]}")
    out = base.parent / "out"
    script = ("import sys; from workbench.reports import sweep; "
              "sweep.run_sweep(sweep.load_sweep(sys.argv[1]), sys.argv[2], workers=2, "
              "summary=False)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(path), str(out)],
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("*/point.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers at once
        proc.wait()
    done = [p.parent.name for p in out.glob("*/point.json")]
    assert 1 <= len(done) < 6
    for name in done:
        assert json.loads((out / name / "point.json").read_text())["status"] == "done"
    plan = sweep.load_sweep(path)
    resumed = sweep.run_sweep(plan, out, workers=2, summary=False)
    assert {p.point_id for p in resumed.skipped} == set(done)
    assert sorted(resumed.results["teams.app.members"].unique()) == [2, 3, 4, 5, 6, 7]
    whole = sweep.run_sweep(plan, base.parent / "whole", workers=1, summary=False)
    assert comparable(resumed.results).equals(comparable(whole.results))


def test_dask_gives_the_table_of_the_local_pool(base: Path) -> None:
    path = sweep_file(base.parent, "parameters: {seed: 6}\ngrid: {teams.app.members: [2, 3]}")
    plan = sweep.load_sweep(path)
    local = sweep.run_sweep(plan, base.parent / "local", workers=2, summary=False)
    with cluster.connect("local") as on:
        remote = sweep.run_sweep(plan, base.parent / "dask", executor=on.executor,
                                 summary=False)
    assert comparable(local.results).equals(comparable(remote.results))
    assert (local.results["replications"] > 0).all()


@pytest.mark.parametrize(("value", "ok"), [("auto", True), ("'200'", False), ("many", False),
                                           ("true", False), ("2.5", False)])
def test_replications_in_a_sweep_file_are_auto_or_a_whole_number(
        base: Path, value: str, ok: bool) -> None:
    path = sweep_file(base.parent, f"parameters: {{replications: {value}}}\n"
                                   "grid: {teams.app.members: [2]}")
    if ok:
        assert sweep.load_sweep(path).parameters["replications"] == "auto"
        return
    with pytest.raises(sweep.SweepError) as refused:
        sweep.load_sweep(path)
    assert refused.value.problems[-1].startswith(f"{path}: parameters.replications: ")
    assert refused.value.problems[-1].endswith(
        "(allowed: auto, or a whole number from 1 to 1000000)")
