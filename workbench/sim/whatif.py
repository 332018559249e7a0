"""Risk impact: how much each risk costs the plan, measured by switching it off.

Each risk is removed in turn and the scenario re-simulated with the same seed. Random streams
are keyed by source name (`model.stream`), so every other draw stays the same and the P85
difference is the risk's own effect, not noise from a new sample.

With many runs (``--reps auto`` can take thousands) each risk is switched off over the
baseline's first PAIRED_REPS runs only: paired runs draw the same numbers, so their difference
is precise long before the headline figures are, and a report weighs each risk in a fraction of
the time. The figures "with" the risk stay the headline ones; "without" is the headline moved by
the paired difference, so every face shows one P85 and one chance.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from workbench.scenario.models import Scenario
from workbench.sim.forecast import ProgramForecast, percentile_days
from workbench.sim.montecarlo import simulate
from workbench.sim.precision import Reps

PAIRED_REPS = 1000  # runs each risk is switched off over: the baseline's first ones (paired)
COLUMNS = ["risk", "milestone", "p85_days_with", "p85_days_without", "shift_days",
           "lower_bound", "chance_with", "chance_without"]


def without_risk(scenario: Scenario, risk: str) -> Scenario:
    """The scenario with one risk removed (everything else identical)."""
    risks = {name: r for name, r in scenario.risks.items() if name != risk}
    return scenario.model_copy(update={"risks": risks})


def risk_impact(scenario: Scenario, reps: Reps = 500, seed: int = 0, *,
                baseline: ProgramForecast | None = None, workers: int | None = 1,
                executor: Executor | None = None, enabled: bool = True) -> pd.DataFrame:
    """Per risk and milestone: P85 (days from start) with every risk and with this one switched
    off, the shift in days (positive: the risk makes the milestone later), and the chance of
    meeting the target both ways. ``lower_bound`` marks shifts where the P85 with the risk is
    beyond the horizon (the shift is at least that). ``enabled=False`` returns an empty table
    (reports that skip the extra simulations)."""
    if not enabled or not scenario.risks or not scenario.milestones:
        return pd.DataFrame(columns=COLUMNS)
    base = baseline or simulate(scenario, reps, seed, workers=workers, executor=executor,
                                progress=False)
    paired = base.head(PAIRED_REPS)  # each risk switched off over the baseline's own runs
    rows = []
    for risk in scenario.risks:
        other = simulate(without_risk(scenario, risk), paired.reps, seed, workers=workers,
                         executor=executor, progress=False)
        found = _compare(scenario, risk, paired, other)
        rows.extend(found if paired.reps == base.reps else _anchored(scenario, base, found))
    return pd.DataFrame(rows, columns=COLUMNS)


def _anchored(scenario: Scenario, base: ProgramForecast, rows: list[dict]) -> list[dict]:
    """Paired rows restated around the headline figures: "with" is the whole baseline's,
    "without" the headline moved by the paired difference."""
    for row in rows:
        column = f"milestone:{row['milestone']}"
        target = scenario.milestones[row["milestone"]].target
        with_ = _p85(base, column)
        chance = base.chance_by(column, target) if target else math.nan
        row["chance_without"] = float(np.clip(chance + row["chance_without"]
                                              - row["chance_with"], 0.0, 1.0))
        row["chance_with"] = chance
        row["lower_bound"] = not math.isfinite(with_)
        row["p85_days_with"] = with_ if math.isfinite(with_) else math.nan
        row["p85_days_without"] = min(with_, scenario.horizon_days) - row["shift_days"]
    return rows


def _compare(scenario: Scenario, risk: str, base: ProgramForecast, other: ProgramForecast
             ) -> list[dict]:
    rows = []
    for name, milestone in scenario.milestones.items():
        column = f"milestone:{name}"
        with_, without = _p85(base, column), _p85(other, column)
        capped = min(with_, scenario.horizon_days)
        shift = capped - without if math.isfinite(without) else math.nan
        rows.append({
            "risk": risk, "milestone": name,
            "p85_days_with": with_ if math.isfinite(with_) else math.nan,
            "p85_days_without": without if math.isfinite(without) else math.nan,
            "shift_days": shift, "lower_bound": not math.isfinite(with_),
            "chance_with": base.chance_by(column, milestone.target) if milestone.target
            else math.nan,
            "chance_without": other.chance_by(column, milestone.target) if milestone.target
            else math.nan})
    return rows


def _p85(forecast: ProgramForecast, column: str) -> float:
    return percentile_days(np.asarray(forecast.column(column)), 85)
