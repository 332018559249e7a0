"""Sweep benchmark (issue: sweeps at simulation speed). Prints a ratio measured in one run.

- a 64-point x 200-replication sweep of the bundled program with ``--reports none`` (points
  are simulations: points x batches of replications on the local pool, the results table
  written as they finish), wall time vs the same replications run back to back in one process
  (pure simulation, no sweep; target <= 1.25x). The sweep uses the default workers (one per
  core), the back-to-back run one process.

Usage: python benchmarks/bench_sweep.py [--points N] [--reps N] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from workbench.reports import sweep
from workbench.scenario.loader import load_scenario
from workbench.sim.montecarlo import run_chunk

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = [7, 8, 9, 10, 11, 12, 13, 14]
FOCUS = [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]


def write_sweep(folder: Path, points: int, reps: int) -> Path:
    """A grid of ``points`` points (8 x 8 at most) over platform size and focus."""
    focus = FOCUS[: max(1, min(len(FOCUS), points // len(MEMBERS)))]
    members = MEMBERS[: max(1, min(len(MEMBERS), points // len(focus)))]
    path = folder / "bench.yaml"
    path.write_text(f"base: {ROOT / 'scenarios' / 'program.yaml'}\n"
                    f"parameters: {{replications: {reps}, seed: 1}}\n"
                    f"grid:\n  teams.platform.members: {members}\n"
                    f"  teams.platform.focus: {focus}\n", encoding="utf-8")
    return path


def timed_sweep(plan: sweep.Sweep, out: Path, executor: object = None) -> float:
    start = time.perf_counter()
    outcome = sweep.run_sweep(plan, out, summary=False, reports="none",
                              executor=executor)  # type: ignore[arg-type]
    wall = time.perf_counter() - start
    if outcome.failures:
        raise SystemExit(f"benchmark sweep failed: {outcome.failures[0].error}")
    return wall


def back_to_back(plan: sweep.Sweep, reps: int) -> float:
    """The same replications, one point after another in this process: simulation only."""
    scenarios = [load_scenario(p.scenario, p.overrides) for p in plan.points]
    start = time.perf_counter()
    for scenario in scenarios:
        run_chunk(scenario, 1, 0, reps)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=64, help="points (at most 64)")
    parser.add_argument("--reps", type=int, default=200, help="replications per point")
    parser.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = sweep.load_sweep(write_sweep(folder, args.points, args.reps))
        serial = back_to_back(plan, args.reps)
        wall = timed_sweep(plan, folder / "out")
    ratio = wall / serial
    print(f"{len(plan.points)} points x {args.reps} replications: sweep {wall:.1f}s, the same "
          f"replications back to back {serial:.1f}s")
    verdict = "ok" if ratio <= 1.25 else "OVER"
    print(f"sweep_vs_back_to_back: {ratio:.2f}x (target <= 1.25) {verdict}")
    if args.json:
        print(json.dumps({"sweep_vs_back_to_back": round(ratio, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
