"""`workbench report` under faults: a full disk, a failed HTML export and a second report on a
folder another run owns. The report is recorded as failed in one line naming only files that
exist; no file is left truncated; a failed or killed run leaves the earlier report as it was.
A light report notebook stands in for the real one (these tests are about files)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.faults import all_whole, named_paths_exist, small_disk
from tests.test_sweep import SCENARIO
from workbench.app import cli
from workbench.files import lock
from workbench.reports import runner

FILL = 99  # --set teams.app.members=99: the light notebook fills the disk
SLOW_ENV = "WORKBENCH_TEST_SLOW_REPORT"  # set: the light notebook writes a table, then waits


def light_report(path: Path) -> Path:
    """The report notebook's parameters; writes a summary like the real one, and with an app
    team of 99 fills the disk first (a simulated disk: refuses as a full one would)."""
    params = new_code_cell(
        'scenario_path: str = ""\noverrides: dict = {}\nreplications: int = 10\n'
        'seed: int = 0\nout_dir: str = ""\nworkers: int = 1')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, new_code_cell(
        "import errno, json, os, pathlib\n"
        "from workbench.files.atomic import write_json\n"
        "out = pathlib.Path(out_dir)\n"
        f"if overrides.get('teams.app.members') == {FILL}:\n"
        "    if os.environ.get('WORKBENCH_TEST_SIMULATED_DISK_KB'):\n"
        "        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "    out.mkdir(parents=True, exist_ok=True)\n"
        "    with open(out.parent / 'filler.bin', 'ab') as f:\n"
        "        while True:\n"
        "            f.write(bytes(65536)); f.flush()\n"
        f"if os.environ.get('{SLOW_ENV}'):\n"
        "    out.mkdir(parents=True, exist_ok=True)\n"
        "    (out / 'milestones.csv').write_text('half-written')\n"
        "    import time; time.sleep(120)\n"
        "write_json(out / 'summary.json', {'scenario': {'name': 'Small program'}})\n"
        "print('P85 2027-03-01')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def scenario(write_file) -> Path:  # noqa: ANN001
    return write_file("small.yaml", SCENARIO)


@pytest.fixture(autouse=True)
def light(scenario: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    notebook = light_report(scenario.parent / "light.ipynb")
    monkeypatch.setattr(runner.paths, "REPORT_NOTEBOOK", notebook)
    return notebook


def report(scenario: Path, out: Path, *extra: str) -> int:
    return cli.main(["report", str(scenario), "--out", str(out), "--reps", "5", *extra])


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file of an earlier report, byte for byte."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != lock.LOCK_FILE}


def test_a_failed_export_keeps_the_earlier_report_and_names_the_failed_notebook(
        scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = (tmp_path / "out").resolve()
    assert report(scenario, out) == 0
    earlier = snapshot(out)
    assert "small.html" in earlier and "small/summary.json" in earlier
    capsys.readouterr()
    monkeypatch.setattr(runner, "TEMPLATE_NAME", "no_such_template")
    assert report(scenario, out) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("workbench report: failed: the HTML export failed: ")
    assert err[0].endswith(f"(executed notebook: {out / 'small.failed.ipynb'})")
    named_paths_exist(err[0])
    # the earlier report stays whole and as it was; this run's notebook is the failed one
    assert {k: v for k, v in snapshot(out).items() if k != "small.failed.ipynb"} == earlier
    all_whole(out)


def test_a_new_report_removes_the_earlier_pdf(scenario: Path, tmp_path: Path) -> None:
    out = (tmp_path / "out").resolve()
    assert report(scenario, out) == 0
    (out / "small.pdf").write_bytes(b"%PDF-1.4 an earlier run's")
    assert report(scenario, out) == 0
    assert not (out / "small.pdf").exists()  # it printed another run, not this HTML
    assert sorted(p.name for p in out.iterdir() if p.name != lock.LOCK_FILE) == [
        "small", "small.html", "small.ipynb"]  # no staging folder left


KILL = ("import sys\nfrom pathlib import Path\nfrom workbench.app import cli\n"
        "from workbench.reports import runner\n"
        "runner.paths.REPORT_NOTEBOOK = Path(sys.argv[1])\n"
        "sys.exit(cli.main(['report', sys.argv[2], '--out', sys.argv[3], '--reps', '5']))\n")


def test_a_report_killed_midway_leaves_the_earlier_one_byte_for_byte(
        scenario: Path, light: Path, tmp_path: Path) -> None:
    out = (tmp_path / "out").resolve()
    assert report(scenario, out) == 0
    stem = "small"
    earlier = snapshot(out)
    run = subprocess.Popen([sys.executable, "-c", KILL, str(light), str(scenario), str(out)],
                           start_new_session=True, env={**os.environ, SLOW_ENV: "1"})
    try:
        half = runner.staging_dir(out, stem) / stem / "milestones.csv"
        deadline = time.monotonic() + 90
        while not half.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert half.exists(), "the light notebook never started writing"
        os.kill(run.pid, signal.SIGTERM)
        run.wait(timeout=30)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)  # the kernel it started
    assert {k: v for k, v in snapshot(out).items() if not k.startswith(".")} == earlier
    # the next report clears the killed run's staging folder
    assert report(scenario, out) == 0
    assert not runner.staging_dir(out, stem).exists()


@pytest.mark.parametrize("fill", ["before the report", "by the report"])
def test_a_full_disk_fails_the_report_in_one_line(
        scenario: Path, tmp_path: Path, fill: str, capsys: pytest.CaptureFixture[str]) -> None:
    with small_disk(tmp_path / "disk") as disk:
        out = disk.path / "out"
        assert report(scenario, out) == 0  # an earlier report on the same disk
        capsys.readouterr()
        if fill == "before the report":
            disk.fill()
        code = report(scenario, out, "--set", f"teams.app.members={FILL}")
        err = capsys.readouterr().err.splitlines()
        assert code == 1 and len(err) == 1, err
        assert err[0].startswith("workbench report: failed: the report notebook failed: ")
        assert "No space left on device" in err[0]
        named_paths_exist(err[0])
        # the earlier report stays: a failed run never takes the last good one away
        assert (out / "small.html").is_file() and (out / "small.ipynb").is_file()
        assert (out / "small" / "summary.json").is_file()
        all_whole(out)


HOLD = ("import sys, time\nfrom workbench.files import lock\n"
        "with lock.exclusive(sys.argv[1], 'workbench sweep'):\n"
        "    print('held', flush=True)\n    time.sleep(120)\n")


def test_a_report_on_a_folder_another_run_owns_is_refused(
        scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = (tmp_path / "out").resolve()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        owner = lock.read_owner(out / lock.LOCK_FILE)
        assert owner is not None
        assert report(scenario, out) == 2
        assert capsys.readouterr().err.splitlines() == [
            f"workbench report: {out} is in use by workbench sweep (PID {holder.pid} on "
            f"{socket.gethostname()}, since {owner.since}); wait for it to finish or choose "
            "another --out"]
        assert sorted(p.name for p in out.iterdir()) == [lock.LOCK_FILE]  # nothing written
    finally:
        holder.kill()
        holder.wait()
