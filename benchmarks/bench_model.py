"""Simulation core benchmarks (issue: simulation core). Prints ratios measured in one run.

- model overhead: the full model vs a bare SimPy model doing the same number of item-stage
  services (target <= 1.5x);
- cost per item flat: time per item at 10,000 items vs 100 items per run (target < 1.3x);
- parallel: replications per second with 2 workers vs 1 (target >= 1.7x);
- memory: peak RSS for 10,000 replications of the bundled program vs 1,000 (target <= 1.2x);
- one replication of the bundled program (with its summary) vs the implementation before it
  was made faster, kept in `benchmarks/legacy/` (target <= 0.5x), after checking both give the
  same numbers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import simpy
from _common import best_of, print_ratios, side_by_side  # benchmarks/ is on sys.path

from workbench.scenario.models import Scenario, TimeOff
from workbench.sim.model import simulate_once
from workbench.sim.montecarlo import simulate

ROOT = Path(__file__).resolve().parent.parent


def flow_scenario(items: int, rate: float = 3.0) -> Scenario:
    """M/M/2 with roughly ``items`` arrivals over the horizon."""
    return Scenario.model_validate({
        "name": "bench", "start": "2027-01-04", "horizon_days": max(1, int(items / rate)),
        "calendar": {"workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        "teams": {"desk": {"members": 2}},
        "arrivals": [{"team": "desk", "rate_per_day": rate,
                      "effort_days": {"exponential": {"mean": 0.5}}}]})


def bare_simpy(items: int, rate: float = 3.0, seed: int = 1) -> int:
    """The same queue in the plainest SimPy: a source, a Resource, one process per item."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / rate, items * 2).tolist()
    efforts = rng.exponential(0.5, items * 2).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=2)
    served = [0]

    def item(effort: float):  # type: ignore[no-untyped-def]
        with desk.request() as req:
            yield req
            yield env.timeout(effort)
            served[0] += 1

    def source():  # type: ignore[no-untyped-def]
        for gap, effort in zip(gaps, efforts, strict=True):
            yield env.timeout(gap)
            env.process(item(effort))

    env.process(source())
    env.run(until=items / rate)
    return served[0]


def services(log) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for r in log.records if r.event == "finish")


def model_overhead() -> float:
    n = 30_000
    s = flow_scenario(n)
    ratio = side_by_side(lambda: simulate_once(s, 1, 0), lambda: bare_simpy(n), rounds=3)
    return ratio * bare_simpy(n) / services(simulate_once(s, 1, 0))  # per service


def handover_overhead() -> float:
    """The same queue with each person away 2 weeks in every 8 (items handed over)."""
    n = 30_000
    s = flow_scenario(n)
    horizon = s.horizon_days
    away = [{"start": str(s.date_of(d)), "end": str(s.date_of(d + 13)), "people": 1}
            for d in range(20, horizon - 14, 56)]
    team = s.teams["desk"].model_copy(update={"time_off": tuple(
        TimeOff.model_validate(a) for a in away)})
    s = s.model_copy(update={"teams": {"desk": team}})
    log = simulate_once(s, 1, 0)
    assert any(r.event == "handover" for r in log.records)
    ratio = side_by_side(lambda: simulate_once(s, 1, 0), lambda: bare_simpy(n), rounds=3)
    return ratio * bare_simpy(n) / services(log)  # per service


def per_item_growth() -> float:
    small, large = flow_scenario(100), flow_scenario(10_000)
    t_small = best_of(lambda: [simulate_once(small, 1, r) for r in range(100)], 3) / 100
    t_large = best_of(lambda: simulate_once(large, 1, 0), 3)
    per_small = t_small / max(services(simulate_once(small, 1, 0)), 1)
    per_large = t_large / services(simulate_once(large, 1, 0))
    return per_large / per_small


def parallel_speedup() -> float:
    s = flow_scenario(2_000)
    reps = 120
    simulate(s, reps=4, seed=1, workers=2)  # start-up of the fork server is not the point
    return 1 / side_by_side(lambda: simulate(s, reps=reps, seed=1, workers=2),
                            lambda: simulate(s, reps=reps, seed=1, workers=1), rounds=3)


MEMORY_PROBE = """
import resource, sys
from workbench.scenario.loader import load_scenario
from workbench.sim.montecarlo import simulate
simulate(load_scenario(sys.argv[1]), reps=int(sys.argv[2]), seed=1, workers=1, progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def memory_ratio() -> float:
    program = str(ROOT / "scenarios" / "program.yaml")

    def peak(reps: int) -> int:
        out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, program, str(reps)],
                             check=True, capture_output=True, text=True)
        return int(out.stdout.split()[-1])

    return peak(10_000) / peak(1_000)


def one_replication() -> float:
    """Time per replication of `program.yaml` (run and summary row) now vs the old core."""
    from legacy import metrics as old_metrics
    from legacy import model as old_model

    from workbench.scenario.loader import load_scenario
    from workbench.sim.metrics import summary_row
    from workbench.sim.montecarlo import run_chunk

    s = load_scenario(ROOT / "scenarios" / "program.yaml")
    reps = 60

    def old() -> list[dict[str, float]]:
        out = []
        for rep in range(reps):
            log = old_model.simulate_once(s, 0, rep)
            out.append(old_metrics.summary_row(s, log))
            old_metrics.burnup(log)
        return out

    same = [summary_row(s, old_model.simulate_once(s, 0, r)) for r in range(3)]
    assert np.array_equal(run_chunk(s, 0, 0, 3).values,
                          np.array([list(r.values()) for r in same]), equal_nan=True)
    return side_by_side(lambda: run_chunk(s, 0, 0, reps), old)


def main() -> None:
    results = {
        "one replication of program.yaml, now vs the old core": (one_replication(), "<= 0.5"),
        "model overhead vs bare SimPy (per service)": (model_overhead(), "<= 1.0"),
        "the same with time off and hand-overs vs bare SimPy (per service)":
            (handover_overhead(), "reported"),
        "time per item, 10,000 vs 100 items per run": (per_item_growth(), "< 1.3"),
        "replications/s, 2 workers vs 1": (parallel_speedup(), ">= 1.7"),
    }
    if "--quick" not in sys.argv:
        results["peak RSS, 10,000 vs 1,000 replications"] = (memory_ratio(), "<= 1.2")
    print_ratios(results)


if __name__ == "__main__":
    main()
