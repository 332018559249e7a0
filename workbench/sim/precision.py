"""Replications by precision (``--reps auto``): the rule that decides how many runs a
forecast needs, and the one default number of replications. Light to import (no numpy), so
the command line can offer the option without loading the simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.sim.forecast import ProgramForecast

AUTO = "auto"  # replications by precision: as many as the figures need (`Precision`)
Reps = int | str  # a number of replications, or AUTO


@dataclass(frozen=True)
class Precision:
    """What ``--reps auto`` runs until: every milestone's P85 known within
    ``p85_working_days`` either way and every chance of a target within ``chance_points``
    percentage points, both with ``level`` confidence; at most ``cap`` replications.

    Replications are added in whole ``step`` batches, and how many to add next depends only on
    the results so far (never on timing or workers): the same seed gives the same runs."""

    p85_working_days: float = 1.0
    chance_points: float = 2.0
    level: float = 0.95
    first: int = 400
    step: int = 100
    cap: int = 10_000

    def shortfall(self, forecast: ProgramForecast) -> float:
        """How far the least precise figure is from its target (1 or less: precise enough)."""
        worst = 0.0
        for m in forecast.milestones():
            err = m["p85_error_working_days"]
            worst = max(worst, math.inf if err is None else err / self.p85_working_days)
            if m["chance_error"] is not None:
                worst = max(worst, 100 * m["chance_error"] / self.chance_points)
        return worst

    def next_reps(self, forecast: ProgramForecast) -> int | None:
        """How many replications to have next (None: precise enough, or at the cap): the runs
        so far times the shortfall, within 1.25x-4x. Errors shrink as 1/sqrt(runs), but a P85's
        error is shown in half working days, so the square of a shown shortfall overstates the
        need (1.5 days may be 1.05); growing by the shortfall itself reaches the target in a few
        rounds without running twice the runs it needs."""
        short, n = self.shortfall(forecast), forecast.reps
        if short <= 1.0 or n >= self.cap:
            return None
        want = n * min(max(short, 1.25), 4.0)
        return min(self.cap, self.step * math.ceil(want / self.step))

    def describe(self, forecast: ProgramForecast) -> dict[str, Any]:
        """The rule and whether the figures reached it (the JSON ``precision`` block)."""
        return {"rule": AUTO, "p85_working_days": self.p85_working_days,
                "chance_points": self.chance_points, "level": self.level, "cap": self.cap,
                "replications": forecast.reps, "reached": self.shortfall(forecast) <= 1.0}

DEFAULT_PRECISION = Precision()
