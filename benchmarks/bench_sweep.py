"""Sweep benchmarks (issue: parameterised notebooks). Prints ratios measured in one run.

- parallel: wall time of an 8-point sweep of the bundled program on 2 workers vs the same 8
  points one by one (target <= 0.65x);
- per-point overhead: what a point costs beyond its simulation (kernel start, imports, charts,
  tables, notebook writing, the sweep's own bookkeeping), vs executing an empty notebook with
  papermill (target <= 1.5x). The empty notebook is timed two ways: through papermill's API
  from a warm process (how sweep points run) and as the `papermill` command a user types.

Usage: python benchmarks/bench_sweep.py [--reps N] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from workbench.reports import runner, sweep

ROOT = Path(__file__).resolve().parent.parent
GRID = {"teams.platform.members": [7, 8, 9, 10], "teams.platform.focus": [0.7, 0.8]}


def write_sweep(folder: Path, reps: int) -> Path:
    path = folder / "bench.yaml"
    lines = [f"base: {ROOT / 'scenarios' / 'program.yaml'}",
             f"parameters: {{replications: {reps}, seed: 1, risk_impact: false}}", "grid:"]
    lines += [f"  {field}: {values}" for field, values in GRID.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def timed_sweep(plan: sweep.Sweep, out: Path, workers: int) -> tuple[float, sweep.SweepOutcome]:
    start = time.perf_counter()
    outcome = sweep.run_sweep(plan, out, workers=workers, summary=False)
    wall = time.perf_counter() - start
    if outcome.failures:
        raise SystemExit(f"benchmark sweep failed: {outcome.failures[0].error}")
    return wall, outcome


def empty_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    path = folder / "empty.ipynb"
    nbformat.write(nb, path)
    return path


def empty_api(nb: Path, folder: Path, runs: int = 3) -> float:
    """Best of ``runs``: papermill's API in this (warm) process, as sweep points are run."""
    times = []
    for i in range(runs):
        start = time.perf_counter()
        runner.execute_notebook(nb, folder / f"empty-{i}.ipynb", {})
        times.append(time.perf_counter() - start)
    return min(times)


def empty_cli(nb: Path, folder: Path, runs: int = 2) -> float:
    """Best of ``runs``: the `papermill` command, a fresh process each time."""
    papermill = Path(sys.executable).with_name("papermill")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(papermill), "-k", "python3", "--no-progress-bar", str(nb),
                        str(folder / "empty-cli.ipynb")], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def simulation_seconds(out: Path) -> float:
    frame = sweep.read_results(out / "results.parquet")
    return float(frame.drop_duplicates("point_id")["simulation_seconds"].sum())


def breakdown(out: Path) -> dict[str, float]:
    """Where a point's time goes (mean over points): kernel start and papermill, the first cell
    beyond simulating (imports, loading), simulation, the chart cells, everything else."""
    names = ("kernel+papermill", "imports", "simulation", "charts", "rest")
    parts: dict[str, list[float]] = {k: [] for k in names}
    for point in sorted(p for p in out.iterdir() if p.is_dir()):
        record = json.loads((point / "point.json").read_text())
        sim = json.loads((point / "summary.json").read_text())["report"]["simulation_seconds"]
        cells = [c for c in nbformat.read(point / "report.ipynb", as_version=4).cells
                 if c.cell_type == "code"]
        took = [c.metadata.get("papermill", {}).get("duration") or 0.0 for c in cells]
        first = next(t for c, t in zip(cells, took, strict=True) if "prepare(" in c.source)
        charts = sum(t for c, t in zip(cells, took, strict=True) if "charts." in c.source
                     and "prepare(" not in c.source)
        parts["kernel+papermill"].append(record["seconds"] - sum(took))
        parts["imports"].append(first - sim)
        parts["simulation"].append(sim)
        parts["charts"].append(charts)
        parts["rest"].append(sum(took) - first - charts)
    return {k: sum(v) / len(v) for k, v in parts.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=100, help="replications per point")
    parser.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = sweep.load_sweep(write_sweep(folder, args.reps))
        points = len(plan.points)
        nb = empty_notebook(folder)
        # The machine is shared and its load drifts: time the empty notebook just before and
        # just after the one-by-one sweep it is compared with, and take the mean.
        api, cli = empty_api(nb, folder), empty_cli(nb, folder)
        serial, _ = timed_sweep(plan, folder / "serial", workers=1)
        api, cli = (api + empty_api(nb, folder)) / 2, (cli + empty_cli(nb, folder)) / 2
        parallel, _ = timed_sweep(plan, folder / "parallel", workers=2)
        overhead = (serial - simulation_seconds(folder / "serial")) / points
        parts = breakdown(folder / "serial")
    results = {
        "parallel_2_vs_1": (parallel / serial, 0.65),
        "point_overhead_vs_empty_notebook_api": (overhead / api, 1.5),
        "point_overhead_vs_empty_notebook_cli": (overhead / cli, 1.5),
    }
    print(f"{points} points x {args.reps} replications: one by one {serial:.1f}s, "
          f"2 workers {parallel:.1f}s; per point beyond simulation {overhead:.2f}s; "
          f"empty notebook {api:.2f}s (API), {cli:.2f}s (papermill command)")
    print("one point, mean seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
    for name, (ratio, target) in results.items():
        verdict = "ok" if ratio <= target else "OVER"
        print(f"{name}: {ratio:.2f}x (target <= {target}) {verdict}")
    if args.json:
        print(json.dumps({k: round(v[0], 3) for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
