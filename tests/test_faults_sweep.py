"""Sweeps under faults, as they happen to a TPM's overnight run: a second sweep started on the
same folder, the sweep killed with ``kill -9``, Ctrl-C, and a disk that fills up. Each point
is a light notebook (test_sweep_recovery.light_notebook): these tests are about processes and
files, not numbers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.faults import (
    all_whole,
    enospc,
    family,
    named_paths_exist,
    small_disk,
    wait_for,
    wait_gone,
)
from tests.test_sweep import SCENARIO, sweep_file
from tests.test_sweep_recovery import light_notebook
from workbench.app import cli, report_commands
from workbench.files import lock
from workbench.reports import sweep

LIBRARY = ("import sys; from workbench.reports import sweep; "
           "plan = sweep.load_sweep(sys.argv[1], notebook=sys.argv[2]); "
           "sweep.run_sweep(plan, sys.argv[3], workers=2, summary=False)")
COMMAND = ("import pathlib, sys; from workbench.reports import paths; "
           "paths.REPORT_NOTEBOOK = pathlib.Path(sys.argv[2]); from workbench.app import cli; "
           "sys.exit(cli.main(['sweep', sys.argv[1], '--out', sys.argv[3], '--workers', '2']))")
MEMBERS = [2, 3, 4, 5]


@pytest.fixture
def base(write_file) -> Path:  # noqa: ANN001
    return write_file("program.yaml", SCENARIO)


@pytest.fixture
def notebook(base: Path) -> Path:
    return light_notebook(base.parent / "light.ipynb")


def start(script: str, path: Path, notebook: Path, out: Path) -> subprocess.Popen[str]:
    """A sweep in a process of its own (and a process group of its own, like a terminal's)."""
    return subprocess.Popen([sys.executable, "-c", script, str(path), str(notebook), str(out)],
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finished(out: Path) -> set[str]:
    return {p.parent.name for p in out.glob("*/point.json")}


def point_folders(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if p.is_dir()}


def days(members: int) -> float:
    """What the light notebook reports as P85 for an app team of ``members``."""
    return 50.0 + 10 * members


def test_a_second_sweep_is_refused_and_the_first_keeps_its_own_results(
        base: Path, notebook: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = sweep_file(base.parent, "parameters: {replications: 5, pause: 1.0}\n"
                                    "grid: {teams.app.members: [2, 3, 4]}")
    other = sweep_file(base.parent, "parameters: {replications: 6}\n"
                                    "grid: {teams.app.members: [7, 8]}", name="other.yaml")
    out = (base.parent / "out").resolve()
    proc = start(LIBRARY, first, notebook, out)
    try:
        wait_for(lambda: lock.read_owner(out / lock.LOCK_FILE) is not None, 60, "the lock")
        monkeypatch.setattr(sweep.paths, "REPORT_NOTEBOOK", notebook)
        assert cli.main(["sweep", str(other), "--out", str(out)]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1
        assert err[0].startswith(f"workbench sweep: {out} is in use by workbench sweep (PID "
                                 f"{proc.pid} on {socket.gethostname()}, since ")
        assert err[0].endswith("); wait for it to finish or choose another --out")
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
    assert point_folders(out) == {"000-members=2", "001-members=3", "002-members=4"}
    results = pd.read_parquet(out / "results.parquet")
    assert results["teams.app.members"].tolist() == [2, 3, 4]
    assert results["p85_days"].tolist() == [days(m) for m in (2, 3, 4)]
    assert (results["replications"] == 5).all() and (results["status"] == "done").all()
    assert not (out / lock.LOCK_FILE).exists()

    # Someone else's numbers written into a finished point: the table keeps this run's.
    summary = out / "000-members=2" / "summary.json"
    foreign = json.loads(summary.read_text())
    foreign["milestones"][0]["p85_days"] = 999.0
    summary.write_text(json.dumps(foreign))
    again = sweep.run_sweep(sweep.load_sweep(first, notebook=notebook), out, summary=False)
    assert [p.status for p in again.points] == ["skipped"] * 3
    assert again.results["p85_days"].tolist() == [days(m) for m in (2, 3, 4)]


def test_a_stale_lock_is_taken_over_with_a_notice(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / lock.LOCK_FILE).write_text(json.dumps(
        {"pid": gone.pid, "host": socket.gethostname(), "command": "workbench sweep",
         "since": "2027-01-04T09:00:00+00:00"}))
    heard: list[str] = []
    with lock.exclusive(tmp_path, "workbench report", heard.append):
        owner = lock.read_owner(tmp_path / lock.LOCK_FILE)
        assert owner is not None and owner.pid == os.getpid()
    assert heard == [f"{tmp_path}: taking over the lock of workbench sweep (PID {gone.pid} on "
                     f"{socket.gethostname()}, since 2027-01-04T09:00:00+00:00), which is no "
                     "longer running"]
    assert not (tmp_path / lock.LOCK_FILE).exists()


def test_kill_9_leaves_no_process_and_a_rerun_runs_each_point_once(
        base: Path, notebook: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sweep_file(base.parent, "parameters: {replications: 5, pause: 1.0}\n"
                                   f"grid: {{teams.app.members: {MEMBERS}}}")
    out = base.parent / "out"
    proc = start(LIBRARY, path, notebook, out)
    wait_for(lambda: finished(out), 120, "a finished point")
    wait_for(lambda: len(family(proc.pid)) >= 6, 30, "kernels of the running points")
    processes = family(proc.pid)  # the sweep, forkserver, resource tracker, workers, kernels
    started = point_folders(out)
    os.kill(proc.pid, signal.SIGKILL)  # the sweep alone, as `kill -9 PID` does
    proc.wait()
    assert wait_gone(processes, timeout=5) < 5
    done = finished(out)
    assert done <= started  # no queued point was run by an orphan
    assert point_folders(out) == done  # the points that were running are removed, not half
    all_whole(out)
    records = {p: json.loads((out / p / "point.json").read_text()) for p in done}
    assert all(r["status"] == "done" for r in records.values()), records

    resumed = sweep.run_sweep(sweep.load_sweep(path, notebook=notebook), out, workers=2,
                              summary=False)
    assert f"taking over the lock of workbench sweep (PID {proc.pid} on " in \
        capsys.readouterr().err  # the killed sweep's lock, left behind: taken over, said so
    assert {p.point_id for p in resumed.skipped} == done
    assert sorted(resumed.results["teams.app.members"]) == MEMBERS  # each point exactly once
    assert (resumed.results["status"] == "done").all()
    assert resumed.results["p85_days"].tolist() == [days(m) for m in MEMBERS]


def test_ctrl_c_exits_130_at_once_without_a_traceback_and_runs_no_queued_point(
        base: Path, notebook: Path) -> None:
    path = sweep_file(base.parent, "parameters: {replications: 5, pause: 1.5}\n"
                                   f"grid: {{teams.app.members: {MEMBERS}}}")
    out = base.parent / "out"
    proc = start(COMMAND, path, notebook, out)
    wait_for(lambda: finished(out), 120, "a finished point")
    wait_for(lambda: len(family(proc.pid)) >= 6, 30, "kernels of the running points")
    processes = family(proc.pid)
    started = point_folders(out)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "Traceback" not in err and "Error" not in err, err
    assert err.splitlines()[-1] == (f"sweep interrupted: finished points are kept in {out}, "
                                    "unfinished ones removed; run the same command again to "
                                    "resume")
    wait_gone(processes, timeout=5)
    assert finished(out) <= started and point_folders(out) == finished(out)
    assert len(finished(out)) < len(MEMBERS)
    all_whole(out)
    assert not (out / lock.LOCK_FILE).exists()


def test_a_full_disk_fails_one_point_and_the_rest_come_out(
        base: Path, notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = sweep_file(base.parent, "parameters: {replications: 5, ballast_at: 3, "
                                   "ballast_kb: 4096}\ngrid: {teams.app.members: [2, 3, 4]}")
    plan = sweep.load_sweep(path, notebook=notebook)
    with small_disk(tmp_path / "disk", kb=512) as disk:
        out = disk.path / "out"
        first = sweep.run_sweep(plan, out, workers=2, summary=False)
        assert [p.status for p in first.points] == ["done", "failed", "done"]
        assert "[Errno 28] No space left on device" in first.failures[0].error
        named_paths_exist(first.failures[0].error)
        assert (out / "results.parquet").is_file() and (out / "results.csv").is_file()
        assert pd.read_parquet(out / "results.parquet")["status"].tolist() == \
            ["done", "failed", "done"]
        all_whole(out)

        # The disk fills up just before the table is written: the command says what is missing.
        if not disk.real:  # a patched writer refuses what a full disk would
            write = sweep.atomic.atomic_write_bytes

            def full(target: Path, data: bytes) -> Path:
                if Path(target).name.startswith("results."):
                    raise enospc(target)
                return write(target, data)

            monkeypatch.setattr(sweep.atomic, "atomic_write_bytes", full)
        again = sweep.run_sweep(plan, out, workers=2, summary=False,
                                progress=lambda p: disk.fill() if p.done == p.total else None)
        missing = [n for n in ("results.parquet", "results.csv") if not (out / n).exists()]
        assert missing and missing[0] == "results.parquet"  # not the earlier run's, left stale
        assert again.unwritten == [f"{name} could not be written in {out.resolve()} ([Errno 28] "
                                   "No space left on device)" for name in missing]
        capsys.readouterr()
        assert report_commands._sweep_report(again) == 1
        err = capsys.readouterr().err
        assert f"could not write the results: {again.unwritten[0]}" in err.splitlines()
        named_paths_exist(err)
        all_whole(out)
