"""`workbench levers` on the bundled program (issue 15), printed as measured figures.

1. Time per evaluated candidate (a lever setting turned into loader overrides, validated and
   simulated) against a plain `simulate` of the same scenario and replications, measured side
   by side (target <= 1.3x).
2. The whole default search for `ga` on scenarios/program.yaml (500 replications to confirm,
   100 to screen): its time (target < 120 s on this 2-core machine) and candidates evaluated.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from _common import best_of, print_ratios  # benchmarks/ is on sys.path when run as a script

from workbench.scenario.loader import load_scenario, load_scenario_data
from workbench.sim import lever_search
from workbench.sim.levers import catalogue
from workbench.sim.montecarlo import simulate

ROOT = Path(__file__).resolve().parent.parent

PROGRAM = ROOT / "scenarios" / "program.yaml"
REPS = 100


def per_candidate() -> float:
    scenario = load_scenario(PROGRAM)
    cat = catalogue(scenario, "ga", scenario.milestones["ga"].target,  # type: ignore[arg-type]
                    load_scenario_data(PROGRAM))
    run = lever_search.evaluator(PROGRAM, cat, seed=0)
    focus = next(i for i, lv in enumerate(cat.levers) if lv.key == "focus:platform")
    candidate = tuple(1 if i == focus else 0 for i in range(len(cat.levers)))
    changed = load_scenario(PROGRAM, {"teams.platform.focus": 0.8})
    plain, lever = math.inf, math.inf
    for _ in range(5):  # interleaved, so a busy moment on the machine hits both alike
        plain = min(plain, best_of(lambda: simulate(changed, REPS, 0, progress=False), 1))
        lever = min(lever, best_of(lambda: run(candidate, REPS), 1))
    print(f"plain run of {REPS} replications: {plain:.2f} s; one candidate: {lever:.2f} s")
    return lever / plain


def whole_search() -> tuple[float, int]:
    scenario = load_scenario(PROGRAM)
    t = time.perf_counter()
    answer = lever_search.search_levers(PROGRAM, scenario, "ga", reps=500, seed=0)
    seconds = time.perf_counter() - t
    print(f"default search for ga: {seconds:.1f} s, {answer.evaluated} candidates evaluated, "
          f"{len(answer.sets)} sets reported (reached: {answer.reached})")
    return seconds, answer.evaluated


def main() -> int:
    ratio = per_candidate()
    seconds, _ = whole_search()
    print_ratios({"levers candidate vs plain run": (ratio, "<= 1.3"),
                  "levers whole search / 120 s": (seconds / 120, "< 1.0")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
