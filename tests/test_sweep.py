"""`workbench sweep`: every point is checked before anything runs, the collected numbers equal
`workbench run`, and the summary compares points (recovery from failures and kills:
test_sweep_recovery.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import SMALL_PROGRAM_YAML
from workbench.app import cli
from workbench.present import tables
from workbench.reports import sweep, sweep_summary
from workbench.scenario.loader import load_scenario
from workbench.sim.sensitivity import sensitivity

SCENARIO = SMALL_PROGRAM_YAML
REPS, SEED = 20, 5


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
     "scenario_path, overrides, replications, seed, out_dir, risk_impact, workers, "
     "forecast_log, levers_search, sensitivity)"),
    ("parameters: {seed: one}\ngrid: {teams.app.members: [2, 3]}",
     "{f}: parameters.seed: 'one' is not a whole number (allowed: int; random seed: the same "
     "seed gives the same numbers)"),
    ("parameters: {out_dir: x}\ngrid: {teams.app.members: [2, 3]}",
     "{f}: parameters.out_dir: set by the sweep for each point (allowed: use base, grid or "
     "points instead)"),
    ("grid: {teams.app.membrs: [2, 3]}",
     "{f}: grid.teams.app.membrs: no field 'teams.app.membrs' in program.yaml (allowed at "
     "teams.app: members, focus, wip_limit, cost_per_person_day, stages, interrupts, hires, "
     "leavers, time_off, handover_after_days, handover_cost_days, calendar)"),
    ("grid: {teams.ap.members: [2, 3]}",
     "{f}: grid.teams.ap.members: no field 'teams.ap.members' in program.yaml (allowed at "
     "teams: app, web)"),
    ("grid: {teams.app.members: [2, -1]}",
     "{f}: grid.teams.app.members: -1 is too small (allowed: whole number >= 0 or list of "
     "mappings (keys: name, start, end, stage, calendar, allocation)) [point members=-1]"),
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
    # each point in the words the summary uses, not its folder's field paths
    assert "ok app 2 people" in progress and "ok app 3 people" in progress
    assert "members=" not in progress
    results = pd.read_parquet(out / "results.parquet")
    assert len(results) == 4  # two points x two milestones
    assert (pd.read_csv(out / "results.csv")["p85_days"] == results["p85_days"]).all()
    for members in (2, 3):
        expected = workbench_run_json(base, f"teams.app.members={members}",
                                      subprocess_=members == 3, capsys=capsys)
        rows = results[results["teams.app.members"] == members].set_index("milestone")
        for m in expected["milestones"]:
            row = rows.loc[m["name"]]
            assert row["p85_days"] == m["p85_days"] and row["p50_days"] == m["p50_days"]
            assert row["p95"] == pd.Timestamp(m["p95"])
            assert row["chance_of_target"] == m["chance_of_target"]
            assert row["most_often_last"] == m["most_often_last"]["epic"]
        assert rows["sha256"].iloc[0] == expected["scenario"]["sha256"]
    html = (out / "summary.html").read_text(encoding="utf-8")
    assert "app 3 people" in html and "Ranking" in html  # points in words
    # cost against date, the sweep's tornado and the plan's; one swept field: no heatmap
    assert html.count('<img alt="Chart:') == 3 and "No heatmap: it needs a grid" in html
    assert "What moves the plan&#39;s date most" in html or "What moves the plan's date most" \
        in html
    assert '<img alt="Chart: What moves launch most: each input at its low and high end"' in html
    # the plan's tornado is `workbench sensitivity` of the base scenario, at the sweep's seed
    moves = sweep_summary.plan_moves(out / "results.parquet", results)
    assert moves is not None and moves.milestone == "launch"
    pd.testing.assert_frame_equal(moves.table, sensitivity(load_scenario(base), 100, SEED))


def workbench_run_json(base: Path, override: str, subprocess_: bool,
                       capsys: pytest.CaptureFixture[str]) -> dict:
    """`workbench run --format json` as a user types it (in a new process, or through the same
    command line in this one, which is quicker)."""
    args = ["run", str(base), "--set", override, "--reps", str(REPS), "--seed", str(SEED),
            "--format", "json"]
    if subprocess_:
        done = subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                              text=True, check=True)
        return json.loads(done.stdout)
    capsys.readouterr()
    assert cli.main(args) == 0
    return json.loads(capsys.readouterr().out)


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
