"""Dask cluster benchmark (issue: scale out on Dask). Prints a ratio measured in one run.

- replications/s through a 2-worker Dask cluster (a real `dask scheduler` and two `dask worker`
  processes on 127.0.0.1, as `workbench run --scheduler` uses it: connect, run, disconnect) vs
  the local process pool of `workbench run --workers 2` on the same machine (target >= 0.8x).
  Batching many replications per task is what makes Dask's ~1.5 ms per task noise.
- the same for a sweep: 64 points x 200 replications of the bundled program (`--reports
  none`), points x batches as tasks, on the 2-worker cluster vs the local pool (target >=
  0.8x). ``--sweep-points N`` makes it smaller.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _common import best_of, print_ratios  # benchmarks/ is on sys.path when run as a script

from workbench.app import cluster
from workbench.scenario.loader import load_scenario
from workbench.scenario.models import Scenario
from workbench.sim.montecarlo import simulate

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPS = 200


@contextmanager
def dask_cluster(workers: int = 2) -> Iterator[str]:
    """A scheduler and ``workers`` single-threaded workers; every process group killed after."""
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "scheduler.json"
        procs = [_start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                         "--dashboard-address", ":0", "--scheduler-file", str(file)], tmp)]
        try:
            address = _address(file)
            procs += [_start(["worker", address, "--nthreads", "1", "--no-dashboard",
                              "--host", "127.0.0.1", "--local-directory", tmp], tmp)
                      for _ in range(workers)]
            with cluster.connect(address, timeout=60) as c:
                c.client.wait_for_workers(workers, timeout=60)
            yield address
        finally:
            for proc in reversed(procs):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _start(args: list[str], cwd: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "dask"), *args], cwd=cwd, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _address(file: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return str(json.loads(file.read_text())["address"])
        except (OSError, ValueError, KeyError):
            time.sleep(0.05)
    raise RuntimeError("the scheduler did not start")


def on_cluster(scenario: Scenario, address: str) -> None:
    """What `workbench run --scheduler ADDRESS` does."""
    with cluster.connect(address) as on:
        simulate(scenario, REPS, 1, workers=on.workers, executor=on.executor,
                 chunk_size=on.chunk_size(REPS), progress=False)


def dask_vs_pool() -> float:
    scenario = load_scenario(ROOT / "scenarios" / "program.yaml")
    with dask_cluster(2) as address:
        on_cluster(scenario, address)  # workers import the model once: not the point
        dask = best_of(lambda: on_cluster(scenario, address))
    simulate(scenario, 8, 1, workers=2, progress=False)
    pool = best_of(lambda: simulate(scenario, REPS, 1, workers=2, progress=False))
    return pool / dask  # throughput ratio: Dask's replications/s over the pool's


def sweep_dask_vs_pool(points: int) -> float:
    """Sweep wall time on the local pool over the same sweep's on a 2-worker cluster."""
    import bench_sweep

    from workbench.reports import sweep

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = sweep.load_sweep(bench_sweep.write_sweep(folder, points, REPS))
        pool = bench_sweep.timed_sweep(plan, folder / "pool")
        with dask_cluster(2) as address, cluster.connect(address) as on:
            on_cluster(load_scenario(ROOT / "scenarios" / "program.yaml"), address)  # warm
            dask = bench_sweep.timed_sweep(plan, folder / "dask", on.executor)
    return pool / dask


def main() -> None:
    points = int(sys.argv[sys.argv.index("--sweep-points") + 1]) \
        if "--sweep-points" in sys.argv else 64
    results = {"replications/s, 2-worker Dask cluster vs local process pool":
               (dask_vs_pool(), ">= 0.8"),
               f"sweep of {points} points x {REPS} replications, Dask vs local pool (speed)":
               (sweep_dask_vs_pool(points), ">= 0.8")}
    print_ratios(results)


if __name__ == "__main__":
    main()
