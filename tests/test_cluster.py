"""Dask cluster: a real `dask scheduler` and `dask worker` processes on 127.0.0.1 give the same
numbers as local processes; a worker killed mid-sweep loses and duplicates nothing; a scheduler
that cannot be reached is a one-line error within a bounded time, never a hang. Every process
a test starts is killed by the test, with its whole process group and descendants."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.faults import live_cmdline
from tests.helpers import SMALL_PROGRAM_YAML
from workbench.app import cli, cluster
from workbench.reports import sweep
from workbench.scenario.loader import load_scenario
from workbench.sim.montecarlo import simulate

pytestmark = pytest.mark.cluster

BIN = Path(sys.executable).parent  # the dask commands of this environment
ROOT = Path(__file__).resolve().parent.parent
SCENARIO = SMALL_PROGRAM_YAML
TIMING_COLUMNS = ["seconds", "simulation_seconds"]


# --- a real cluster, stopped whatever happens ----------------------------------------------------

@dataclass
class DaskCluster:
    """Scheduler and worker processes started by a test; each leads its own process group."""

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]

    def worker_of(self, pid: int) -> subprocess.Popen[bytes]:
        """The `dask worker` command a worker process (nanny's child) belongs to."""
        group = os.getpgid(pid)
        return next(w for w in self.workers if w.pid == group)


def _start(args: list[str], folder: Path, log: str) -> subprocess.Popen[bytes]:
    with open(folder / log, "wb") as out:
        return subprocess.Popen([str(BIN / "dask"), *args], cwd=folder, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """The process, its group and every descendant (papermill kernels run in sessions of
    their own, so the group alone would leave them behind)."""
    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for child in family:
        with suppress(psutil.NoSuchProcess):
            child.kill()
    proc.wait(timeout=10)
    psutil.wait_procs(family, timeout=10)


def _wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _address(file: Path, scheduler: subprocess.Popen[bytes]) -> str:
    assert scheduler.poll() is None, (file.parent / "scheduler.log").read_text()
    try:
        return str(json.loads(file.read_text())["address"])
    except (OSError, ValueError, KeyError):
        return ""


@contextmanager
def dask_cluster(folder: Path, n_workers: int = 2) -> Iterator[DaskCluster]:
    """A scheduler on a free port (port 0: no clash under pytest -n) and ``n_workers``
    single-threaded workers, as an operator would start them."""
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "scheduler.json"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # port 0 everywhere, web server included: clusters of parallel tests never clash
        procs.append(_start(["scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--dashboard-address", ":0",
                             "--scheduler-file", str(file)], folder, "scheduler.log"))
        address = _wait_for(lambda: _address(file, procs[0]), 60, "the scheduler")
        for i in range(n_workers):
            procs.append(_start(["worker", address, "--nthreads", "1", "--no-dashboard",
                                 "--host", "127.0.0.1", "--name", f"w{i}",
                                 "--local-directory", str(folder / f"w{i}")],
                                folder, f"worker{i}.log"))
        if n_workers:
            with cluster.connect(address, timeout=60) as c:
                c.client.wait_for_workers(n_workers, timeout=60)
        yield DaskCluster(address, procs[0], procs[1:])
    finally:
        for proc in reversed(procs):  # workers first: no reconnection attempts to log
            _kill(proc)


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    with dask_cluster(tmp_path_factory.mktemp("dask")) as running:
        yield running


# --- inputs --------------------------------------------------------------------------------------

def light_notebook(path: Path) -> Path:
    """The report notebook without charts (fast); ``pause`` keeps a point running long enough
    for a test to kill its worker."""
    params = new_code_cell(
        'scenario_path: str = ""\noverrides: dict = {}\nreplications: int = 10\n'
        'seed: int = 0\nout_dir: str = ""\nrisk_impact: bool = False\npause: float = 0.0')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[params, new_code_cell(
        "import time\nfrom workbench.reports import scenario_report\n"
        "data = scenario_report.prepare(scenario_path, overrides, replications, seed, "
        "risk_impact)\ntime.sleep(pause)\nscenario_report.write_outputs(data, out_dir)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def small_sweep(folder: Path, members: list[int], pause: float = 0.0) -> sweep.Sweep:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "program.yaml").write_text(SCENARIO, encoding="utf-8")
    path = folder / "sweep.yaml"
    path.write_text("base: program.yaml\nparameters: {replications: 20, seed: 5, "
                    f"pause: {pause}}}\ngrid: {{teams.app.members: {members}}}\n",
                    encoding="utf-8")
    return sweep.load_sweep(path, notebook=light_notebook(folder / "light.ipynb"))


def comparable(results: pd.DataFrame) -> pd.DataFrame:
    """A results table without what depends on the machine (timings)."""
    return results.drop(columns=TIMING_COLUMNS).sort_values(["point_id", "milestone"]
                                                           ).reset_index(drop=True)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = cli.main(["run", *args, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


# --- same numbers --------------------------------------------------------------------------------

def test_run_is_identical_on_local_processes_and_clusters(
        shared_cluster: DaskCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """External cluster (--scheduler and DASK_SCHEDULER_ADDRESS) and an embedded
    LocalCluster: many replications per task, any chunking, the same forecast."""
    scenario = tmp_path / "program.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    args = [str(scenario), "--reps", "60", "--seed", "7"]
    local = run_json(capsys, *args, "--workers", "1")
    assert run_json(capsys, *args, "--scheduler", shared_cluster.address) == local
    monkeypatch.setenv(cluster.ENV_VAR, shared_cluster.address)
    assert run_json(capsys, *args) == local
    monkeypatch.delenv(cluster.ENV_VAR)
    assert run_json(capsys, *args, "--scheduler", "local") == local


def test_sweep_is_identical_on_local_processes_and_a_cluster(
        shared_cluster: DaskCluster, tmp_path: Path) -> None:
    plan = small_sweep(tmp_path, [2, 3])
    local = sweep.run_sweep(plan, tmp_path / "local", workers=2, summary=False)
    with cluster.connect(shared_cluster.address) as on:
        remote = sweep.run_sweep(plan, tmp_path / "dask", executor=on.executor, summary=False)
    assert [p.status for p in remote.points] == ["done"] * 2, remote.points
    pd.testing.assert_frame_equal(comparable(remote.results), comparable(local.results))
    for point in plan.points:  # the tables each notebook wrote, too
        for table in ("milestones", "epics", "burnup"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / "dask" / point.id / f"{table}.parquet"),
                pd.read_parquet(tmp_path / "local" / point.id / f"{table}.parquet"))


def test_workers_must_see_the_sweep_files(shared_cluster: DaskCluster, tmp_path: Path) -> None:
    with cluster.connect(shared_cluster.address) as on:
        cluster.check_shared(on, [ROOT / "scenarios" / "program.yaml"], [tmp_path / "out"], "x")
        with pytest.raises(cluster.ClusterError, match=r"x: worker tcp://127\.0\.0\.1:\d+ "
                           r"cannot see .*/missing\.yaml \(workers need the same files"):
            cluster.check_shared(on, [tmp_path / "missing.yaml"], [], "x")
    assert list((tmp_path / "out").iterdir()) == []  # the marker is cleaned up


# --- a worker dies -------------------------------------------------------------------------------

def test_worker_killed_mid_sweep_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    plan = small_sweep(tmp_path / "sweep", [2, 3, 4], pause=0.5)
    finished: dict[str, Any] = {}
    with dask_cluster(tmp_path / "dask") as running, \
            cluster.connect(running.address) as on:
        thread = threading.Thread(target=lambda: finished.update(outcome=sweep.run_sweep(
            plan, tmp_path / "out", executor=on.executor, summary=False)))
        thread.start()
        victim = _wait_for(lambda: _busy_worker(on, running), 60, "a point to be running")
        _kill(victim)
        _wait_for(lambda: len(on.client.nthreads()) == 1, 30, "the scheduler to lose it")
        thread.join(timeout=180)
        assert not thread.is_alive(), "the sweep did not finish on the remaining worker"
    outcome = finished["outcome"]
    ids = [p.id for p in plan.points]
    assert sorted(p.point_id for p in outcome.points) == ids
    assert [p.status for p in outcome.points] == ["done"] * len(ids), outcome.points
    per_point = outcome.results.groupby("point_id")["milestone"].agg(list).to_dict()
    assert per_point == {i: ["beta", "launch"] for i in ids}
    for i in ids:
        assert json.loads((tmp_path / "out" / i / sweep.POINT_FILE).read_text()
                          )["status"] == "done"


def _busy_worker(on: cluster.Cluster, running: DaskCluster) -> subprocess.Popen[bytes] | None:
    """A `dask worker` whose point's notebook kernel is up (so the kill lands mid-point)."""
    pids = on.client.run(os.getpid)
    for address, keys in on.client.processing().items():
        if keys and address in pids:
            worker = psutil.Process(pids[address])
            if any("ipykernel" in " ".join(live_cmdline(c)) for c in _children(worker)):
                return running.worker_of(pids[address])
    return None


def _children(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


# --- unreachable ---------------------------------------------------------------------------------

@pytest.fixture
def dead_address() -> Iterator[str]:
    """A port held open but not listening: connections are refused for the whole test."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"tcp://127.0.0.1:{held.getsockname()[1]}"


@pytest.mark.parametrize("command", ["run", "sweep"])
@pytest.mark.parametrize("from_env", [False, True])
def test_unreachable_scheduler_is_one_line_exit_2(
        command: str, from_env: bool, dead_address: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    target = ROOT / "scenarios" / "program.yaml" if command == "run" \
        else ROOT / "sweeps" / "program-whatifs.yaml"
    args = [command, str(target)] + ([] if command == "run" else ["--out", str(tmp_path)])
    if from_env:
        monkeypatch.setenv(cluster.ENV_VAR, dead_address)
    else:
        args += ["--scheduler", dead_address]
    start = time.monotonic()
    code = cli.main(args)
    took = time.monotonic() - start
    err = capsys.readouterr().err.strip().splitlines()[-1]
    named = f"{cluster.ENV_VAR}={dead_address}" if from_env else f"--scheduler {dead_address}"
    assert code == 2
    assert err == (f"workbench {command}: {named}: nothing is listening at "
                   f"{dead_address.removeprefix('tcp://')} (start `dask scheduler` there, "
                   "or fix the address)")
    assert took < 5
    assert not list(tmp_path.glob("*/point.json"))  # nothing ran


def test_silent_listener_times_out_naming_the_address() -> None:
    """A port that accepts connections and never answers (Dask alone would wait forever)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        start = time.monotonic()
        with pytest.raises(cluster.ClusterError, match=f"^{address}: cannot connect"), \
                cluster.connect(address, timeout=1.5):
            pass
        assert time.monotonic() - start < 1.5 + 1 + 3


def test_scheduler_without_workers_is_an_error_not_a_wait(tmp_path: Path) -> None:
    with dask_cluster(tmp_path, n_workers=0) as running:
        start = time.monotonic()
        with pytest.raises(cluster.ClusterError, match=f"^{running.address}: the scheduler has "
                           f"no workers after 1 s \\(start some with `dask worker "), \
                cluster.connect(running.address, timeout=1):
            pass
        assert time.monotonic() - start < 1 + 5


class FakeClient:
    """Answers `client.run` as workers with these workbench versions would."""

    def __init__(self, versions: dict[str, Any]) -> None:
        self.versions = versions

    def run(self, *_: Any, **__: Any) -> dict[str, Any]:
        return self.versions


@pytest.mark.parametrize(("answer", "expected"), [
    ("0.0.1", "src: worker tcp://w:1 has tpm-workbench 0.0.1, this machine {ours} (install "
              "the same version everywhere)"),
    (ModuleNotFoundError("workbench"), "src: worker tcp://w:1 does not have tpm-workbench "
                                       "installed (install tpm-workbench=={ours} on every "
                                       "worker)"),
])
def test_workers_with_another_version_are_refused(answer: Any, expected: str) -> None:
    ours = cluster._our_version()
    cluster._check_versions(FakeClient({"tcp://w:0": ours}), "src")
    with pytest.raises(cluster.ClusterError) as caught:
        cluster._check_versions(FakeClient({"tcp://w:0": ours, "tcp://w:1": answer}), "src")
    assert str(caught.value) == expected.format(ours=ours)


@pytest.mark.parametrize(("address", "expected"), [
    ("nosuchhost.invalid:8786", "--scheduler nosuchhost.invalid:8786: unknown host "
                                "'nosuchhost.invalid'"),
    ("tcp://127.0.0.1:port", "--scheduler tcp://127.0.0.1:port: not a scheduler address"),
])
def test_bad_addresses(address: str, expected: str) -> None:
    with pytest.raises(cluster.ClusterError, match="^" + expected.replace(".", r"\.")), \
            cluster.connect(address, f"--scheduler {address}", timeout=5):
        pass


def test_without_a_scheduler_dask_is_not_imported() -> None:
    """Dask is an optional extra: a plain run must not need it."""
    script = ("import sys\nfrom workbench.app import cli\n"
              f"assert cli.main(['run', {str(ROOT / 'scenarios' / 'program.yaml')!r}, "
              "'--reps', '4', '--format', 'json']) == 0\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('dask', 'distributed')), file=sys.stderr)")
    env = {k: v for k, v in os.environ.items() if k != cluster.ENV_VAR}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_chunk_size_keeps_tasks_big_and_workers_busy(tmp_path: Path) -> None:
    def size(reps: int, workers: int) -> int:
        return cluster.Cluster("x", None, None, workers).chunk_size(reps)  # type: ignore[arg-type]

    assert size(40, 2) == 10  # never fewer than 10 replications per task
    assert size(1000, 2) == 125  # four tasks per worker
    assert size(100_000, 2) == 200  # bounded, so results stream back
    (tmp_path / "program.yaml").write_text(SCENARIO, encoding="utf-8")
    scenario = load_scenario(tmp_path / "program.yaml")
    assert simulate(scenario, 30, 1, chunk_size=7).values.tolist() == \
        simulate(scenario, 30, 1, chunk_size=30).values.tolist()
