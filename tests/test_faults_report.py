"""`workbench report` under faults: a full disk, a failed HTML export and a second report on a
folder another run owns. The report is recorded as failed in one line naming only files that
exist; no file is left truncated; an earlier run's HTML never stays beside the new notebook.
A light report notebook stands in for the real one (these tests are about files)."""

from __future__ import annotations

import socket
import subprocess
import sys
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


def test_a_failed_export_removes_the_old_html_and_names_the_real_notebook(
        scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = (tmp_path / "out").resolve()
    assert report(scenario, out) == 0
    assert (out / "small.html").is_file()
    capsys.readouterr()
    monkeypatch.setattr(runner, "TEMPLATE_NAME", "no_such_template")
    assert report(scenario, out) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("workbench report: failed: the HTML export failed: ")
    assert err[0].endswith(f"(executed notebook: {out / 'small.ipynb'})")
    named_paths_exist(err[0])
    assert not (out / "small.html").exists()  # the earlier run's: it would look current
    all_whole(out)


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
        assert not (out / "small.html").exists() and not (out / "small.ipynb").exists()
        assert not (out / "small" / "summary.json").exists()
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
