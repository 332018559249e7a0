"""Sweeps that go wrong: a broken point is isolated and reported, finished points are skipped
when run again, and a sweep killed midway leaves no half-written file that looks complete.

These use a light report notebook (no charts) that fails on purpose for one point."""

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

from tests.faults import read_whole
from tests.test_sweep import SCENARIO, sweep_file
from workbench.app import cli
from workbench.reports import sweep

BROKEN = "web_members_1_is_broken"


@pytest.fixture
def base(write_file) -> Path:  # noqa: ANN001
    return write_file("program.yaml", SCENARIO)


def light_notebook(path: Path) -> Path:
    """A stand-in for the report notebook: no simulation, no imports beyond the standard library
    (so a point costs little more than a kernel start). It writes a summary shaped like the
    real one, fails on purpose when the web team has one member, can pause (so a test can
    kill the sweep mid-point), and writes ``ballast_kb`` KiB for the point whose app team has
    ``ballast_at`` members (so a test can fill a small disk at one point)."""
    params = new_code_cell(
        'scenario_path: str = ""\noverrides: dict = {}\nreplications: int = 10\n'
        'seed: int = 0\nout_dir: str = ""\npause: float = 0.0\nballast_at: int = -1\n'
        'ballast_kb: int = 0')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, new_code_cell(
        "import json, pathlib, time\n"
        f'assert overrides.get("teams.web.members") != 1, "{BROKEN}"\n'
        "assert pathlib.Path(scenario_path).is_file()\n"
        "days = 50.0 + 10 * overrides.get('teams.app.members', 0)\n"
        "milestone = {'name': 'launch', 'target': '2027-03-31', 'p50': '2027-02-20', "
        "'p85': '2027-03-01', 'p95': '2027-03-10', 'p50_days': days - 5, 'p85_days': days, "
        "'p95_days': days + 5, 'chance_of_target': 0.9, 'unfinished_share': 0.0, "
        "'most_often_last': {'epic': 'pay', 'share': 1.0}}\n"
        "summary = {'seed': seed, 'replications': replications, 'scenario': {'sha256': 'x'}, "
        "'cost': {'p50': 1.0, 'p85': 2.0}, 'milestones': [milestone]}\n"
        "time.sleep(pause)\n"
        "out = pathlib.Path(out_dir)\nout.mkdir(parents=True, exist_ok=True)\n"
        "if overrides.get('teams.app.members') == ballast_at:  # a big table: fills a small disk\n"
        "    import errno, os\n"
        "    from workbench.files.atomic import atomic_write_bytes\n"
        "    if ballast_kb > int(os.environ.get('WORKBENCH_TEST_SIMULATED_DISK_KB', 2**40)):\n"
        "        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # a simulated disk\n"
        "    atomic_write_bytes(out / 'ballast.bin', bytes(ballast_kb * 1024))\n"
        "(out / '.summary.tmp').write_text(json.dumps(summary))\n"
        "(out / '.summary.tmp').replace(out / 'summary.json')  # atomic, like the real one")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


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
    base.write_text(SCENARIO.replace("cost_per_person_day: 100", "cost_per_person_day: 120", 1))
    edited = sweep.load_sweep(path, notebook=notebook)
    assert sweep._split_finished(edited, out, force=False)[0] == []  # scenario edited: run again


def test_cli_names_failures_and_exits_1(base: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = light_notebook(base.parent / "light.ipynb")
    monkeypatch.setattr(sweep.paths, "REPORT_NOTEBOOK", notebook)
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
    script = ("import sys; from workbench.reports import sweep; "
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
    assert len(pd.read_parquet(out / "results.parquet")) == 3  # 3 points x 1 milestone
    assert not list(out.rglob(".*.tmp")) and not list(out.rglob(".*.partial.ipynb"))

