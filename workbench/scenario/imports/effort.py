"""Effort and size learned from the same export: person-days per item (story points times a
points -> days rate, or each team's own finished items resampled, or a stated default), and the
size of epics not broken down yet (from the export's finished epics, or a stated default)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.scenario.imports.issues import DONE, Epic, Program
from workbench.scenario.imports.settings import JiraMapping
from workbench.scenario.loader import ScenarioError

MIN_SAMPLES = 5  # finished items needed to learn a rate or resample a team
MIN_EPICS = 3  # finished epics needed to learn a size


# --- effort per item --------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenWork:
    """An epic's open items, for its effort: how many, and the points of those that have some."""

    items: int
    pointed: int
    points: float  # the sum over the pointed items


@dataclass(frozen=True)
class EffortModel:
    """How an epic's person-days per item are found, and what they were learned from."""

    method: str  # points, resample or default
    why: str  # one phrase: what it was learned from, or why the default
    rate: tuple[float, float] = (0.0, 0.0)  # working days per point: p50, p90
    typical_points: float = 0.0  # for items without points
    samples: dict[str, list[float]] = field(default_factory=dict)  # team -> recent workdays
    pooled: list[float] = field(default_factory=list)
    default: Any = None  # the default distribution, as written in a scenario

    def for_epic(self, team: str, work: OpenWork, future: int) -> tuple[Any, str]:
        """The epic's effort_days (as written in a scenario) and a phrase saying why."""
        if self.method == "points":
            return self._by_points(work, future)
        if self.method == "resample":
            own = self.samples.get(team, [])
            if len(own) >= MIN_SAMPLES:
                return {"empirical": own}, f"{len(own)} finished items of team {team}"
            return {"empirical": self.pooled}, (f"{len(self.pooled)} finished items of all teams "
                                                f"(team {team} has {len(own)})")
        return self.default, "the stated default"

    def _by_points(self, work: OpenWork, future: int) -> tuple[Any, str]:
        count = work.items + future
        unpointed = count - work.pointed
        mean = (work.points + unpointed * self.typical_points) / count if count else 0.0
        mean = mean or self.typical_points
        p50, p90 = round(mean * self.rate[0], 2), round(mean * self.rate[1], 2)
        dist: Any = {"lognormal": {"p50": p50, "p90": p90}} if p90 > p50 > 0 else max(p50, 0.01)
        return dist, f"{mean:.1f} points per item on average"

    def describe(self) -> str:
        """One sentence for the scenario's description and the import report."""
        if self.method == "points":
            return (f"story points x {self.rate[0]:.2f} working days per point (p50; p90 "
                    f"{self.rate[1]:.2f}), learned from {self.why}; items without points "
                    f"count as {self.typical_points:g} points (the export's median)")
        if self.method == "resample":
            return f"resampled from each team's finished items ({self.why})"
        return f"the stated default per item ({self.why})"


def learn_effort(program: Program, mapping: JiraMapping, team_of: np.ndarray,
                 open_items: np.ndarray) -> EffortModel:
    """The effort method the mapping asks for (auto: points, else resample, else default).
    ``team_of``: each issue's team (by its epic); ``open_items``: the items still to do."""
    table = program.table
    items = program.items_mask()
    points, workdays = table["points"].to_numpy(), table["workdays"].to_numpy()
    finished = items & (table["state"].to_numpy() == DONE) & ~np.isnan(workdays)
    span, chosen = _span(program), mapping.effort.method
    model = _points_model(points, workdays, finished, items, span)
    pointed_open = int((open_items & ~np.isnan(points)).sum())
    if chosen == "points" or chosen == "auto" and model and 2 * pointed_open >= open_items.sum():
        if model is None:
            found = int((finished & ~np.isnan(points)).sum())
            raise ScenarioError([_cannot(program, "points", "finished items with story points "
                                         "and dates", found)])
        return model
    if chosen in ("resample", "auto") and finished.sum() >= MIN_SAMPLES:
        return _resample_model(table[finished], team_of[finished], mapping.effort.recent_items,
                               span)
    if chosen == "resample":
        raise ScenarioError([_cannot(program, "resample", "finished items with dates",
                                     int(finished.sum()))])
    why = ("chosen in the mapping" if chosen == "default" else
           f"fewer than {MIN_SAMPLES} finished items with dates to learn from")
    return EffortModel("default", why, default=mapping.effort.default_days.user_form())


def _span(program: Program) -> str:
    started = program.columns.get("started")
    return f"{started} -> resolved" if started else "created -> resolved"


def _cannot(program: Program, method: str, what: str, found: int) -> str:
    return (f"{program.source}: effort.method: {method} needs at least {MIN_SAMPLES} {what} in "
            f"the export (found {found}) (allowed: another method, e.g. --effort default)")


def _points_model(points: np.ndarray, workdays: np.ndarray, finished: np.ndarray,
                  items: np.ndarray, span: str) -> EffortModel | None:
    use = finished & ~np.isnan(points)
    rates = workdays[use] / points[use]
    if len(rates) < MIN_SAMPLES:
        return None
    p50, p90 = (float(np.quantile(rates, q)) for q in (0.5, 0.9))
    typical = round(float(np.nanmedian(points[items])), 1)
    why = f"{span} of {len(rates)} finished items with points (working days)"
    return EffortModel("points", why, (round(p50, 2), round(p90, 2)), typical)


def _resample_model(finished: pd.DataFrame, teams: np.ndarray, keep: int, span: str
                    ) -> EffortModel:
    recent = pd.DataFrame({"team": teams, "resolved": finished["resolved"].to_numpy(),
                           "key": finished["key"].to_numpy(dtype=object),
                           "days": finished["workdays"].to_numpy()})
    recent = recent.sort_values(["resolved", "key"], ascending=False, kind="stable")
    by_team = {str(t): sorted(float(d) for d in g["days"])
               for t, g in recent.groupby("team", sort=True).head(keep).groupby("team")}
    pooled = sorted(float(d) for d in recent["days"].head(keep))
    why = (f"the most recent {keep} per team, {span} in working days; a team with fewer than "
           f"{MIN_SAMPLES} uses all teams'")
    return EffortModel("resample", why, samples=by_team, pooled=pooled)


# --- size of epics not broken down yet --------------------------------------------------------

@dataclass(frozen=True)
class Sizes:
    """Items per epic, learned from the export's finished epics (p10, p50, p90), or the
    stated default when there are too few of them."""

    learned: tuple[int, int, int] | None
    finished: int
    default_items: int

    def describe(self) -> str:
        if self.learned:
            p10, p50, p90 = self.learned
            return (f"{self.finished} finished epics of the export: p10 {p10}, p50 {p50}, "
                    f"p90 {p90} items")
        return (f"the stated default of {self.default_items} items (only {self.finished} "
                f"finished epics in the export, {MIN_EPICS} needed to learn a size)")


def learn_sizes(finished_sizes: list[int], mapping: JiraMapping) -> Sizes:
    """Items per finished epic (done items; those closed without work left out)."""
    counts = [c for c in finished_sizes if c]
    default = mapping.not_broken_down.default_items
    if len(counts) < MIN_EPICS:
        return Sizes(None, len(counts), default)
    q = [math.ceil(float(np.quantile(counts, p)) - 1e-9) for p in (0.1, 0.5, 0.9)]
    return Sizes((q[0], q[1], q[2]), len(counts), default)


def not_broken_down(epic: Epic, written: int, mapping: JiraMapping) -> str | None:
    """Why an open epic is sized rather than counted (None: its items are its size)."""
    rule = mapping.not_broken_down
    if epic.status.lower() in {s.lower() for s in rule.statuses}:
        return f"status {epic.status}"
    if written < rule.min_items:
        return f"{written} items written, fewer than {rule.min_items}"
    return None


def sized(sizes: Sizes, written: int, done: int, open_: int
          ) -> tuple[int, tuple[float, float] | None, int]:
    """(items left, split_rate spreading them over p10..p90, expected total) for an epic with
    ``written`` items of which ``done`` are done and ``open_`` still open; never fewer left
    than are open."""
    if sizes.learned is None:
        total = max(written, sizes.default_items)
        return max(open_, total - done), None, total
    p10, p50, p90 = sizes.learned
    total = max(written, p50)
    left = max(open_, total - done)
    if left == 0:
        return 0, None, total
    low = math.floor(max(open_, p10 - done, 1) / left * 1000) / 1000
    high = math.ceil(max(left, p90 - done) / left * 1000) / 1000
    split = None if low == high == 1 else (min(low, 1.0), high)
    return left, split, total
