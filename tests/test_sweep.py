"""`workbench sweep`: every point checked before anything runs; numbers equal `workbench run`;
a broken point is isolated and reported; finished points are skipped when run again; a sweep
killed midway leaves no half-written file that looks complete."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from workbench import cli, sweep, tables

SCENARIO = """
name: Small program
start: 2027-01-04
horizon_days: 365
teams:
  app: {members: 3, cost_per_person_day: 100}
  web: {members: 2, cost_per_person_day: 100}
epics:
  login: {team: app, items: 6, effort_days: {triangular: [1, 2, 4]}}
  pay: {team: app, items: 6, effort_days: {triangular: [1, 2, 4]}, depends_on: [login]}
  site: {team: web, items: 5, effort_days: {triangular: [1, 2, 3]}}
risks:
  vendor-late: {probability: 0.5, delay: {epic: pay, days: {fixed: 20}}}
milestones:
  beta: {epics: [login, site], target: 2027-02-05}
  launch: {epics: [login, pay, site], target: 2027-03-31}
"""
REPS, SEED = 20, 5
BROKEN = "web_members_1_is_broken"


def light_notebook(path: Path) -> Path:
    """A report notebook without charts (fast), which fails on purpose when the web team has
    one member, and can pause (so a test can kill the sweep mid-point)."""
    params = new_code_cell(
        'scenario_path: str = ""\noverrides: dict = {}\nreplications: int = 10\n'
        'seed: int = 0\nout_dir: str = ""\nrisk_impact: bool = False\npause: float = 0.0')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, new_code_cell(
        "import time\nfrom workbench import report\n"
        "data = report.prepare(scenario_path, overrides, replications, seed, risk_impact)\n"
        f'assert data.scenario.teams["web"].members != 1, "{BROKEN}"\n'
        "time.sleep(pause)\nreport.write_outputs(data, out_dir)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def base(write_file) -> Path:  # noqa: ANN001
    return write_file("program.yaml", SCENARIO)


def sweep_file(folder: Path, body: str, name: str = "sweep.yaml") -> Path:
    path = folder / name
    path.write_text(f"base: program.yaml\n{body}", encoding="utf-8")
    return path


# --- checked before anything runs ------------------------------------------------------------

@pytest.mark.parametrize(("body", "expected"), [
    ("parameters: {replicatons: 5}\ngrid: {teams.app.members: [2, 3]}",
     "{f}: parameters.replicatons: unknown parameter of scenario_report.ipynb (allowed: "
     "scenario_path, overrides, replications, seed, out_dir, risk_impact, workers)"),
    ("parameters: {seed: one}\ngrid: {teams.app.members: [2, 3]}",
     "{f}: parameters.seed: 'one' is not a whole number (allowed: int; random seed: the same "
     "seed gives the same numbers)"),
    ("parameters: {out_dir: x}\ngrid: {teams.app.members: [2, 3]}",
     "{f}: parameters.out_dir: set by the sweep for each point (allowed: use base, grid or "
     "points instead)"),
    ("grid: {teams.app.membrs: [2, 3]}",
     "{f}: grid.teams.app.membrs: no field 'teams.app.membrs' in program.yaml (allowed at "
     "teams.app: members, focus, wip_limit, cost_per_person_day, stages, interrupts, hires, "
     "leavers, time_off)"),
    ("grid: {teams.ap.members: [2, 3]}",
     "{f}: grid.teams.ap.members: no field 'teams.ap.members' in program.yaml (allowed at "
     "teams: app, web)"),
    ("grid: {teams.app.members: [2, -1]}",
     "{f}: grid.teams.app.members: -1 is too small (allowed: whole number >= 0 or list of "
     "Person) [point members=-1]"),
    ("points: [{name: a, set: {teams.web.focus: 1.5}}]",
     "{f}: points.0.set.teams.web.focus: 1.5 is too large (allowed: number > 0 and <= 1) "
     "[point a]"),
    ("grid: {teams.app.members: [2]}\npoints: [{name: a}]",
     "{f}: top level: give either grid or points (not both, not neither)"),
    ("grid: {teams.app.members: [2]}\nrepeat: 3",
     "{f}: repeat: unknown key 'repeat' (allowed: name, description, base, parameters, grid, "
     "points)"),
    ("grid: {teams.app.members: [2, 3]\n", "{f}: line 3: not valid YAML"),
], ids=["unknown-parameter", "parameter-type", "reserved-parameter", "unknown-field",
        "unknown-team", "bad-value", "bad-point-value", "grid-and-points", "unknown-key",
        "yaml"])
def test_mistakes_are_one_line_exit_2(base: Path, body: str, expected: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = sweep_file(base.parent, body)
    assert cli.main(["sweep", str(path), "--out", str(base.parent / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(expected.format(f=path)), lines[0]
    assert not (base.parent / "out").exists()  # nothing ran


def test_missing_sweep_file_is_one_line_exit_2(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sweep", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'nope.yaml'}: file not found"


def test_grid_and_points_expand_with_swept_values(base: Path) -> None:
    grid = sweep.load_sweep(sweep_file(base.parent, "grid: {teams.app.members: [2, 3], "
                                                    "teams.web.focus: [0.5, 1.0]}"))
    assert [p.values for p in grid.points] == [
        {"teams.app.members": 2, "teams.web.focus": 0.5},
        {"teams.app.members": 2, "teams.web.focus": 1.0},
        {"teams.app.members": 3, "teams.web.focus": 0.5},
        {"teams.app.members": 3, "teams.web.focus": 1.0}]
    assert grid.points[1].id == "001-members=2,focus=1.0"
    body = "points:\n  - {name: as is}\n  - {name: big, set: {teams.app.members: 5}}"
    listed = sweep.load_sweep(sweep_file(base.parent, body))
    assert [p.name for p in listed.points] == ["as is", "big"]
    assert listed.points[1].overrides == {"teams.app.members": 5}
    assert listed.points[0].values == {"scenario": "program.yaml", "teams.app.members": None}


# --- running -----------------------------------------------------------------------------------

def test_sweep_numbers_equal_workbench_run(base: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    """The real report notebook, two points on two workers, then the summary report."""
    path = sweep_file(base.parent, f"parameters: {{replications: {REPS}, seed: {SEED}, "
                                   "risk_impact: false}\ngrid: {teams.app.members: [2, 3]}")
    out = base.parent / "out"
    assert cli.main(["sweep", str(path), "--out", str(out), "--workers", "2"]) == 0
    progress = capsys.readouterr().err
    assert "[2/2] ok" in progress and "(failures so far: 0)" in progress
    results = pd.read_parquet(out / "results.parquet")
    assert len(results) == 4  # two points x two milestones
    assert (pd.read_csv(out / "results.csv")["p85_days"] == results["p85_days"]).all()
    for members in (2, 3):
        expected = workbench_run_json(base, f"teams.app.members={members}")
        rows = results[results["teams.app.members"] == members].set_index("milestone")
        for m in expected["milestones"]:
            row = rows.loc[m["name"]]
            assert row["p85_days"] == m["p85_days"] and row["p50_days"] == m["p50_days"]
            assert row["p95"] == pd.Timestamp(m["p95"])
            assert row["chance_of_target"] == m["chance_of_target"]
            assert row["most_often_last"] == m["most_often_last"]["epic"]
        assert rows["sha256"].iloc[0] == expected["scenario"]["sha256"]
    html = (out / "summary.html").read_text(encoding="utf-8")
    assert "members=3" in html and "Ranking" in html
    assert html.count('<img alt="Chart:') == 2  # heatmap (or why not) and tornado


def workbench_run_json(base: Path, override: str) -> dict:
    """`workbench run --format json` as a user types it."""
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(base), "--set", override, "--reps",
         str(REPS), "--seed", str(SEED), "--format", "json", "--workers", "1"],
        capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_broken_point_is_isolated_and_resume_skips_finished(
        base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebook = light_notebook(base.parent / "light.ipynb")
    path = sweep_file(base.parent, "parameters: {replications: 5}\n"
                                   "grid: {teams.web.members: [2, 1, 3]}")
    plan = sweep.load_sweep(path, notebook=notebook)
    out = base.parent / "out"
    first = sweep.run_sweep(plan, out, workers=2, summary=False)
    assert [(p.point, p.status) for p in first.points] == [
        ("members=2", "done"), ("members=1", "failed"), ("members=3", "done")]
    failed = first.failures[0]
    assert BROKEN in failed.error and failed.error.startswith("AssertionError")
    assert (out / failed.point_id / "report.failed.ipynb").is_file()  # kept for a look
    assert not (out / failed.point_id / "report.ipynb").exists()
    rows = first.results.set_index("point")
    assert rows.loc["members=1", "status"] == "failed" and BROKEN in rows.loc["members=1",
                                                                                "error"]
    assert rows.loc[["members=2", "members=3"], "p85_days"].notna().all()
    done_at = {p: (out / p / "point.json").stat().st_mtime_ns for p in
               ("000-members=2", "002-members=3")}

    second = sweep.run_sweep(plan, out, workers=2, summary=False)
    assert [p.status for p in second.points] == ["skipped", "failed", "skipped"]
    assert {p: (out / p / "point.json").stat().st_mtime_ns for p in done_at} == done_at
    assert second.results.drop(columns=["seconds", "error"]).equals(
        first.results.drop(columns=["seconds", "error"]))
    finished, todo = sweep._split_finished(plan, out, force=True)  # --force: all run again
    assert finished == [] and todo == plan.points
    changed = sweep.load_sweep(sweep_file(base.parent, "parameters: {replications: 6}\n"
                                                       "grid: {teams.web.members: [2, 1, 3]}"),
                               notebook=notebook)
    assert sweep._split_finished(changed, out, force=False)[0] == []  # other inputs: not reused


def test_cli_names_failures_and_exits_1(base: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = light_notebook(base.parent / "light.ipynb")
    monkeypatch.setattr(sweep.report, "REPORT_NOTEBOOK", notebook)
    path = sweep_file(base.parent, "grid: {teams.web.members: [1, 2]}")
    out = base.parent / "out"
    code = cli.main(["sweep", str(path), "--out", str(out), "--workers", "2"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"FAILED members=1: AssertionError: {BROKEN}" in err
    assert err.strip().splitlines()[-1] == "1 of 2 points failed: members=1"
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "members=1" in summary and BROKEN in summary  # the failed points table


def test_kill_mid_sweep_leaves_no_partial_results(base: Path) -> None:
    notebook = light_notebook(base.parent / "light.ipynb")
    path = sweep_file(base.parent, "parameters: {replications: 5, pause: 1.0}\n"
                                   "grid: {teams.app.members: [2, 3, 4]}")
    out = base.parent / "out"
    script = ("import sys; from workbench import sweep; "
              "plan = sweep.load_sweep(sys.argv[1], notebook=sys.argv[2]); "
              "sweep.run_sweep(plan, sys.argv[3], workers=1)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(path), str(notebook), str(out)],
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("*/point.json")) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.8)  # well into the next point's notebook
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole sweep at once: runner, workers
        proc.wait()
    finished = [p.parent for p in out.glob("*/point.json")]
    assert 1 <= len(finished) < 3
    assert not (out / "results.parquet").exists() and not (out / "results.csv").exists()
    for folder in finished:  # marked done: its notebook, summary and tables are all there
        assert json.loads((folder / "point.json").read_text())["status"] == "done"
        assert json.loads((folder / "summary.json").read_text())["replications"] == 5
        nbformat.read(folder / "report.ipynb", as_version=4)
    for file in out.rglob("*"):  # every file under its real name reads back whole
        if file.is_file() and not file.name.startswith("."):
            read_whole(file)
    unfinished = [f for f in out.iterdir() if f.is_dir() and f not in finished]
    assert all(not (f / "report.ipynb").exists() for f in unfinished)

    plan = sweep.load_sweep(path, notebook=notebook)
    resumed = sweep.run_sweep(plan, out, workers=2, summary=False)
    assert len(resumed.skipped) == len(finished)
    assert [p.status for p in resumed.points].count("done") == 3 - len(finished)
    assert len(pd.read_parquet(out / "results.parquet")) == 6  # 3 points x 2 milestones
    assert not list(out.rglob(".*.tmp")) and not list(out.rglob(".*.partial.ipynb"))


def read_whole(file: Path) -> None:
    """Raise if a result file is truncated."""
    if file.suffix == ".json":
        json.loads(file.read_text(encoding="utf-8"))
    elif file.suffix == ".parquet":
        pd.read_parquet(file)
    elif file.suffix == ".csv":
        pd.read_csv(file)
    elif file.suffix == ".ipynb":
        nbformat.read(file, as_version=4)


# --- comparing points ------------------------------------------------------------------------

def synthetic_results(kind: str = "grid") -> pd.DataFrame:
    rows = []
    for i, (a, b) in enumerate([(2, 0.5), (2, 1.0), (3, 0.5), (3, 1.0)]):
        p85 = 100 - 10 * a - 20 * b
        rows.append({"sweep": "s", "kind": kind, "point": f"a={a},b={b}", "point_id": f"{i:03d}",
                     "status": "done", "x.a": a, "x.b": b, "milestone": "ga",
                     "p50": pd.Timestamp("2027-03-01"),
                     "p85": pd.Timestamp("2027-01-04") + pd.Timedelta(days=p85),
                     "p50_days": p85 - 10.0, "p85_days": float(p85),
                     "chance_of_target": a / 4, "cost_p85": 1000.0 * a})
    return tables.tidy(rows, list(rows[0]))


def test_ranking_heatmap_and_tornado_from_results() -> None:
    results = synthetic_results()
    ranked = sweep.ranking(results)
    assert ranked["Point"].tolist() == ["a=3,b=1.0", "a=2,b=1.0", "a=3,b=0.5", "a=2,b=0.5"]
    assert sweep.ranking(results, metric="chance_of_target")["Point"].iloc[0].startswith("a=3")
    heat = sweep.heatmap_table(results)
    assert (heat.x, heat.y) == ("x.a", "x.b")
    assert heat.cells.set_index(["x", "y"]).loc[(3, 1.0), "value"] == 50.0
    swings = sweep.tornado_table(results).set_index("change")
    # a: 2 -> 3 moves P85 by 10 days, b: 0.5 -> 1.0 by 10 days as well; both around the mean
    assert swings["swing_days"].tolist() == [10.0, 10.0]
    listed = sweep.tornado_table(synthetic_results("points")).set_index("change")
    assert listed.loc["a=3,b=1.0", "low_days"] == -20.0  # vs the first point


def test_example_results_match_what_a_sweep_writes() -> None:
    """The sample the summary notebook opens by default has the columns sweeps write now."""
    sample = sweep.read_results(Path(__file__).parents[1] / "sweeps" / "example-results.csv")
    assert set(sweep.RESULT_COLUMNS) | {"kind"} <= set(sample.columns)
    assert sweep.swept_fields(sample) == ["teams.platform.members", "teams.platform.focus"]
    assert (sample["status"] == "done").all()
