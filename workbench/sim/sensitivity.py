"""Sensitivity with direction: each uncertain input moved to a low and a high end, one at a
time, with the same seed (common random numbers), and what that does to each milestone's P85
date and chance of target.

The ends (see docs/design.md): an effort range is fixed at its 10th and at its 90th percentile;
a split rate at its low and at its high bound; a rework probability and an interrupt rate
halved and raised by half; a risk switched off and made twice as likely (capped at certain).
A risk of probability 0 is thus the same scenario at both ends, and has no effect.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.scenario.distributions import Distribution
from workbench.scenario.models import Epic, Scenario
from workbench.sim.forecast import ProgramForecast, percentile_days
from workbench.sim.montecarlo import simulate

COLUMNS = ["input", "kind", "milestone", "low_label", "high_label", "p85_days_base",
           "p85_days_low", "p85_days_high", "shift_low_days", "shift_high_days",
           "chance_base", "chance_low", "chance_high", "swing_days", "swing_chance",
           "earlier_end"]
QUANTILE_SAMPLES = 20_000
RATE_SPREAD = 0.5  # rework and interrupt rates: halved and raised by half


@dataclass(frozen=True)
class Input:
    """One uncertain input, with the scenario at each end and how each end reads."""

    name: str
    kind: str  # effort, split, rework, interrupts, risk
    low: Scenario
    high: Scenario
    low_label: str
    high_label: str


def inputs(scenario: Scenario) -> list[Input]:
    """Every uncertain input of the scenario, in file order: effort ranges, split rates,
    rework, interrupts, then each risk."""
    return [*_efforts(scenario), *_splits(scenario), *_reworks(scenario),
            *_interrupts(scenario), *_risks(scenario)]


def _with_epic(s: Scenario, name: str, **update: Any) -> Scenario:
    epic = s.epics[name].model_copy(update=update)
    return s.model_copy(update={"epics": {**s.epics, name: epic}})


def quantile(dist: Distribution, q: float) -> float:
    """The ``q`` quantile of a distribution, from a fixed sample (the same every time)."""
    if dist.kind == "fixed":
        return dist.params[0]
    draws = dist.sample(np.random.default_rng(20_271), QUANTILE_SAMPLES)
    return float(np.quantile(draws, q))


def _at(effort: Any, q: float) -> Any:
    """An epic's effort (one distribution, or one per stage) fixed at its ``q`` quantile."""
    if isinstance(effort, Distribution):
        return Distribution(kind="fixed", params=(round(quantile(effort, q), 6),))
    return {stage: _at(d, q) for stage, d in effort.items()}


def _spread(effort: Any) -> bool:
    if isinstance(effort, Distribution):
        return effort.kind != "fixed"
    return any(_spread(d) for d in effort.values())


def _efforts(s: Scenario) -> Iterator[Input]:
    for name, epic in s.epics.items():
        if epic.effort_days is None or not _spread(epic.effort_days) or not _has_items(epic):
            continue
        yield Input(f"{name} effort", "effort",
                    _with_epic(s, name, effort_days=_at(epic.effort_days, 0.1)),
                    _with_epic(s, name, effort_days=_at(epic.effort_days, 0.9)),
                    "effort at P10", "effort at P90")


def _has_items(epic: Epic) -> bool:
    return bool(epic.items) and isinstance(epic.items, int)


def _splits(s: Scenario) -> Iterator[Input]:
    for name, epic in s.epics.items():
        if epic.split_rate is None or epic.split_rate[0] == epic.split_rate[1]:
            continue
        low, high = epic.split_rate
        yield Input(f"{name} scope growth", "split",
                    _with_epic(s, name, split_rate=(low, low)),
                    _with_epic(s, name, split_rate=(high, high)),
                    f"grows x{low:g}", f"grows x{high:g}")


def _reworks(s: Scenario) -> Iterator[Input]:
    for name, epic in s.epics.items():
        if epic.rework is None or epic.rework.probability == 0:
            continue
        p = epic.rework.probability
        low, high = p * (1 - RATE_SPREAD), min(1.0, p * (1 + RATE_SPREAD))
        yield Input(f"{name} rework", "rework",
                    _with_epic(s, name, rework=epic.rework.model_copy(update={"probability": low})),
                    _with_epic(s, name,
                               rework=epic.rework.model_copy(update={"probability": high})),
                    f"rework {low:.0%}", f"rework {high:.0%}")


def _interrupts(s: Scenario) -> Iterator[Input]:
    for name, team in s.teams.items():
        if team.interrupts is None or team.interrupts.rate_per_week == 0:
            continue
        rate = team.interrupts.rate_per_week

        def at(r: float, name: str = name) -> Scenario:
            t = s.teams[name]
            new = t.model_copy(update={"interrupts": t.interrupts.model_copy(  # type: ignore[union-attr]
                update={"rate_per_week": r})})
            return s.model_copy(update={"teams": {**s.teams, name: new}})

        low, high = rate * (1 - RATE_SPREAD), rate * (1 + RATE_SPREAD)
        yield Input(f"{name} interrupts", "interrupts", at(low), at(high),
                    f"{low:g}/week", f"{high:g}/week")


def with_risk_probability(s: Scenario, risk: str, p: float) -> Scenario:
    """The scenario with one risk's probability changed (everything else identical)."""
    new = s.risks[risk].model_copy(update={"probability": p})
    return s.model_copy(update={"risks": {**s.risks, risk: new}})


def _risks(s: Scenario) -> Iterator[Input]:
    for name, risk in s.risks.items():
        high = min(1.0, 2 * risk.probability)
        yield Input(f"risk {name}", "risk", with_risk_probability(s, name, 0.0),
                    with_risk_probability(s, name, high), "switched off",
                    f"{high:.0%} likely")


# --- running it --------------------------------------------------------------------------------

Simulate = Callable[[Scenario], ProgramForecast]


def sensitivity(scenario: Scenario, reps: int = 200, seed: int = 0, *,
                baseline: ProgramForecast | None = None, workers: int | None = 1,
                only: tuple[str, ...] | None = None, executor: Executor | None = None
                ) -> pd.DataFrame:
    """Per input and milestone: P85 (days from the start) and chance of target at the plan and
    at each end, the shift of each end from the plan, the swing between the ends, and which end
    is earlier; sorted per milestone by swing (widest first). ``only`` keeps inputs of those
    kinds (e.g. ``("risk",)``); ``executor`` (a pool kept for every end) overrides ``workers``."""
    def run(s: Scenario) -> ProgramForecast:
        return simulate(s, reps, seed, workers=workers, executor=executor, progress=False)

    base = baseline or run(scenario)
    chosen = [i for i in inputs(scenario) if only is None or i.kind in only]
    rows = [row for i in chosen for row in _rows(scenario, i, base, run(i.low), run(i.high))]
    table = pd.DataFrame(rows, columns=COLUMNS)
    return ranked(table)


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Widest swing first within each milestone (P85 days, then chance), milestones in file
    order."""
    order = {m: i for i, m in enumerate(dict.fromkeys(table["milestone"]))}
    key = table.assign(_m=table["milestone"].map(order), _d=-table["swing_days"].fillna(0),
                       _c=-table["swing_chance"].fillna(0))
    return (key.sort_values(["_m", "_d", "_c"], kind="stable")
            .drop(columns=["_m", "_d", "_c"]).reset_index(drop=True))


def _rows(s: Scenario, i: Input, base: ProgramForecast, low: ProgramForecast,
          high: ProgramForecast) -> list[dict[str, Any]]:
    rows = []
    for name, m in s.milestones.items():
        col = f"milestone:{name}"
        b, lo, hi = (_p85(f, col, s.horizon_days) for f in (base, low, high))
        chances = [f.chance_by(col, m.target) if m.target else math.nan
                   for f in (base, low, high)]
        rows.append({"input": i.name, "kind": i.kind, "milestone": name,
                     "low_label": i.low_label, "high_label": i.high_label,
                     "p85_days_base": b, "p85_days_low": lo, "p85_days_high": hi,
                     "shift_low_days": lo - b, "shift_high_days": hi - b,
                     "chance_base": chances[0], "chance_low": chances[1],
                     "chance_high": chances[2], "swing_days": abs(hi - lo),
                     "swing_chance": abs(chances[2] - chances[1]),
                     "earlier_end": _earlier(lo, hi, chances[1], chances[2])})
    return rows


def _p85(f: ProgramForecast, column: str, horizon: int) -> float:
    """P85 in days, capped at the horizon (a lower bound there) so shifts stay numbers."""
    return min(percentile_days(np.asarray(f.column(column)), 85), float(horizon))


def _earlier(lo: float, hi: float, c_lo: float, c_hi: float) -> str:
    """Which end lands earlier: 'low', 'high' or 'same' (by P85, then by chance)."""
    if lo != hi:
        return "low" if lo < hi else "high"
    if not (math.isnan(c_lo) or c_lo == c_hi):
        return "low" if c_lo > c_hi else "high"
    return "same"
