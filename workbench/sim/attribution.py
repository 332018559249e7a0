"""Why the forecast moved: the previous and the current scenario replayed changing one
difference at a time, with the same seed and replications (common random numbers: the random
streams are keyed by name, so a change moves only what it touches).

The path is sequential (`scenario.diff.steps`): each step's P85 minus the step before's is that
change's part, so the parts add up exactly to the whole move between the two versions. A move
is in calendar days between P85 dates (progress moves the start, so days from the start would
not compare).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from workbench.scenario.diff import Change, steps
from workbench.scenario.models import Scenario
from workbench.scenario.progress import remaining
from workbench.sim.forecast import ProgramForecast, percentile_days
from workbench.sim.montecarlo import simulate


@dataclass(frozen=True)
class Part:
    """One step of the path: the change(s) made, and how many days each milestone's P85 moved
    (None: beyond the horizon on either side)."""

    changes: list[Change]
    days: dict[str, float | None]


@dataclass(frozen=True)
class Attribution:
    """The move of each milestone's P85 from the previous version to this one, in parts."""

    before: dict[str, dt.date | None]
    after: dict[str, dt.date | None]
    parts: list[Part]

    def total(self, milestone: str) -> float | None:
        """Days the milestone's P85 moved in all (positive: later)."""
        a, b = self.before.get(milestone), self.after.get(milestone)
        return None if a is None or b is None else float((b - a).days)


def p85_dates(forecast: ProgramForecast) -> dict[str, dt.date | None]:
    """Each milestone's P85 date (None: beyond the horizon)."""
    out: dict[str, dt.date | None] = {}
    for name in forecast.scenario.milestones:
        day = percentile_days(np.asarray(forecast.column(f"milestone:{name}")), 85)
        out[name] = forecast.date(day) if math.isfinite(day) else None
    return out


def attribute(old: Scenario, new: Scenario, reps: int, seed: int, *,
              current: ProgramForecast | None = None, workers: int | None = 1,
              executor: Executor | None = None) -> Attribution:
    """Replay ``old`` (as written) to ``new`` one change at a time; ``current`` is the forecast
    of ``new`` if already made (same seed and replications), so it is not simulated again."""
    run: Callable[[Scenario], ProgramForecast] = lambda s: simulate(  # noqa: E731
        remaining(s), reps, seed, workers=workers, executor=executor, progress=False)
    before = p85_dates(run(old))
    shared = [m for m in new.milestones if m in old.milestones]
    previous, parts = before, []
    path = steps(old, new)
    for i, (made, version) in enumerate(path):
        last = i == len(path) - 1
        dates = p85_dates(current if last and current is not None else run(version))
        parts.append(Part(made, {m: _moved(previous.get(m), dates.get(m)) for m in shared}))
        previous = dates
    after = previous if path else before
    return Attribution({m: before.get(m) for m in shared}, {m: after.get(m) for m in shared},
                       parts)


def _moved(a: dt.date | None, b: dt.date | None) -> float | None:
    return None if a is None or b is None else float((b - a).days)
