"""The search for the cheapest sets of levers that make a date, honest under Monte Carlo noise.

Every candidate is simulated with the same seed, so replication ``i`` draws the same numbers
in every candidate (common random numbers: a difference between two candidates is the levers',
not the sample's). Candidates are **screened** with few replications; the sets reported are
**confirmed** with the full count, each with a 95% Wilson interval on its chance.

The search (see docs/design.md): greedy walks add the single step with the best gain in
chance per unit of money until the screened chance reaches the confidence (one walk over all
levers, one per family of levers, one per depth of scope cut); each set found is pruned (steps
taken back while the chance holds) and its small neighbourhood tried (one step swapped for a
cheaper one). The Pareto set (money, P85 date, scope given up) of every screened candidate that
reaches is confirmed with the full replications and filtered again on the confirmed numbers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.scenario.loader import (
    load_scenario_data,
    merge_scenario_data,
    nested,
    scenario_from_data,
)
from workbench.scenario.models import Scenario
from workbench.sim.forecast import day_to_date, percentile_days
from workbench.sim.levers import (
    Candidate,
    Catalogue,
    catalogue,
    changes,
    dropped,
    items_given_up,
    money,
)
from workbench.sim.montecarlo import default_workers, process_pool, simulate

Z95 = 1.959963984540054
MAX_GREEDY_STEPS = 12
MAX_CONFIRMED = 8
ROUNDS = 3  # screen-and-confirm rounds at most (each raises the screening threshold)
MIN_RAISE = 0.02


@dataclass(frozen=True)
class Outcome:
    """One candidate, simulated: its chance of the date and P85, what it costs."""

    candidate: Candidate
    changes: dict[str, Any]
    reps: int
    hits: int  # replications in which the milestone was done by the date
    p85_days: float  # inf: 85% of runs did not finish within the horizon
    p85: dt.date | None
    money: float
    items_given_up: int
    dropped: tuple[str, ...]

    @property
    def chance(self) -> float:
        return self.hits / self.reps

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.hits, self.reps)


@dataclass
class Search:
    """A search in progress: the catalogue, how to simulate, and every candidate screened."""

    cat: Catalogue
    evaluate: Callable[[Candidate, int], Outcome]
    confidence: float
    screen_reps: int
    budget: float | None = None
    screened: dict[Candidate, Outcome] = field(default_factory=dict)
    confirmed: dict[Candidate, Outcome] = field(default_factory=dict)
    threshold: float = math.nan  # what a screened chance must reach (raised after a miss)
    limit: int | None = None  # most candidates screened (a quick search); None: no limit
    exhausted: bool = False  # the limit stopped the search

    def __post_init__(self) -> None:
        if math.isnan(self.threshold):
            self.threshold = self.confidence

    def screen(self, candidate: Candidate) -> Outcome:
        if candidate not in self.screened:
            if self.limit is not None and len(self.screened) >= self.limit:
                self.exhausted = True
                raise _Exhausted
            self.screened[candidate] = self.evaluate(candidate, self.screen_reps)
        return self.screened[candidate]

    def confirm(self, candidate: Candidate, reps: int) -> Outcome:
        if candidate not in self.confirmed:
            self.confirmed[candidate] = self.evaluate(candidate, reps)
        return self.confirmed[candidate]

    def affordable(self, candidate: Candidate) -> bool:
        return self.budget is None or money(self.cat, candidate) <= self.budget + 1e-9

    def reaches(self, candidate: Candidate) -> bool:
        return self.screen(candidate).chance >= self.threshold


class _Exhausted(Exception):
    """The quick search screened as many candidates as it may."""


@dataclass(frozen=True)
class Answer:
    """What the search found: the plan, the reported sets (confirmed, best first), whether any
    reaches the confidence, and how much was simulated."""

    catalogue: Catalogue
    confidence: float
    plan: Outcome
    sets: list[Outcome]
    reached: bool
    evaluated: int
    seed: int
    reps: int
    screen_reps: int
    exhausted: bool = False  # a quick search stopped at its limit of candidates

    def borderline(self, outcome: Outcome) -> bool:
        """Its 95% interval includes the confidence level: more replications could say either."""
        low, high = outcome.interval
        return low <= self.confidence <= high


def wilson(hits: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a chance seen ``hits`` times in ``n`` runs (95% default):
    sound near 0 and 1, where the normal approximation is not."""
    if n <= 0:
        return math.nan, math.nan
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


# --- simulating a candidate -----------------------------------------------------------------------

def evaluator(path: str | os.PathLike[str], cat: Catalogue, seed: int, workers: int | None = 1,
              executor: Executor | None = None) -> Callable[[Candidate, int], Outcome]:
    """A function that simulates a candidate with ``reps`` replications of ``seed``: the
    scenario file's data (`cat.written`, read once with any overrides) merged with the
    candidate's changes the way `extends` merges a what-if file, so the what-if written for
    it gives the same scenario."""
    base, folder = cat.written, Path(path).parent

    def run(candidate: Candidate, reps: int) -> Outcome:
        change = changes(cat, candidate)
        scenario = scenario_from_data(merge_scenario_data(base, nested(change)), str(path),
                                      folder)
        return outcome(cat, candidate, change, scenario, reps, seed, workers, executor)

    return run


def outcome(cat: Catalogue, candidate: Candidate, change: dict[str, Any], scenario: Scenario,
            reps: int, seed: int, workers: int | None = 1,
            executor: Executor | None = None) -> Outcome:
    """Simulate one candidate's scenario and read its chance, P85 and costs."""
    forecast = simulate(scenario, reps, seed, workers=workers, executor=executor,
                        progress=False)
    days = np.nan_to_num(forecast.column(f"milestone:{cat.milestone}"), nan=np.inf)
    hits = int(np.sum(days <= scenario.day_of(cat.by) + 1))
    p85 = percentile_days(days, 85)
    return Outcome(candidate, change, reps, hits, p85,
                   day_to_date(scenario.start, p85) if math.isfinite(p85) else None,
                   money(cat, candidate), items_given_up(cat, candidate),
                   dropped(cat, candidate))


# --- the search ---------------------------------------------------------------------------------

def search_levers(path: str | os.PathLike[str], scenario: Scenario, milestone: str, *,
                  confidence: float = 0.85, by: dt.date | None = None,
                  budget: float | None = None, reps: int = 500, seed: int = 0,
                  screen_reps: int | None = None, overrides: Mapping[str, Any] | None = None,
                  workers: int | None = 1, limit: int | None = None) -> Answer:
    """The cheapest sets of levers that give ``milestone`` at least ``confidence`` chance of
    being done by ``by`` (default: its target), within the scenario's lever bounds and
    ``budget``; when none is enough, the best found. ``scenario`` is ``path`` loaded with
    ``overrides``; ``limit`` caps the candidates screened (a quick search, for reports)."""
    when = by or scenario.milestones[milestone].target
    if when is None:
        raise ValueError(f"milestone {milestone!r} has no target: give a date to make")
    # the file's data says what is done: a what-if that gives an epic up keeps those items
    cat = catalogue(scenario, milestone, when, load_scenario_data(path, dict(overrides or {})))
    screen = min(screen_reps or default_screen_reps(reps), reps)
    if not workers or workers > 1:  # one pool for the whole search, not one per candidate
        n = workers or default_workers()
        with process_pool(n) as pool:
            run = evaluator(path, cat, seed, n, pool)
            return search(Search(cat, run, confidence, screen, budget, limit=limit), reps, seed)
    run = evaluator(path, cat, seed)
    return search(Search(cat, run, confidence, screen, budget, limit=limit), reps, seed)


def search(s: Search, reps: int, seed: int) -> Answer:
    """Confirm the plan; if it falls short, walk and confirm, raising the screening threshold
    when what screening found does not hold with all replications (at most `ROUNDS` times)."""
    cat, confidence = s.cat, s.confidence
    if s.confirm(cat.plan, reps).chance >= confidence:
        return _answer(s, [s.confirm(cat.plan, reps)], True, reps, seed)
    for _ in range(ROUNDS):
        with contextlib.suppress(_Exhausted):  # a quick search confirms what it found
            walk(s)
        answer = confirm(s, reps, seed)
        if answer.reached or s.exhausted or not _screened_reach(s):
            return answer
        # What screening found did not hold with all replications: ask screening for more.
        s.threshold += max(MIN_RAISE, s.threshold - max(o.chance for o in answer.sets))
    return answer


def default_screen_reps(reps: int) -> int:
    """Replications per screened candidate: a fifth of the full count, 50 to 200."""
    return max(50, min(200, reps // 5))


FAMILIES: tuple[frozenset[str], ...] = (frozenset({"add", "hire"}), frozenset({"focus", "wip"}),
                                         frozenset({"mitigate"}))
ALL_BUT_SCOPE = frozenset({"add", "hire", "focus", "wip", "mitigate"})


def walk(s: Search) -> None:
    """Screen the plan (which, with all replications, does not reach), then walk each road:
    at no scope cut, one greedy walk over every lever and one per family of levers (people,
    flow, mitigations: so the Pareto set offers each kind of answer); then one walk per deeper
    scope cut. A depth that reaches on scope alone
    ends the walks (cutting more only gives up more)."""
    s.screen(s.cat.plan)
    for start, kinds in roads(s):
        if start != s.cat.plan and s.reaches(start):
            return
        found = greedy(s, start, kinds)
        if found is not None:
            swap(s, prune(s, found, kinds), kinds)


def roads(s: Search) -> list[tuple[Candidate, frozenset[str]]]:
    """Where each greedy walk starts and which kinds of lever it may pull."""
    present = {lv.kind for lv in s.cat.levers}
    families = [f for f in FAMILIES if f & present and not ALL_BUT_SCOPE & present <= f]
    out = [(s.cat.plan, ALL_BUT_SCOPE)] + [(s.cat.plan, f) for f in families]
    drop = next((i for i, lv in enumerate(s.cat.levers) if lv.kind == "drop"), None)
    if drop is not None:
        out += [(_set(s.cat.plan, drop, depth), ALL_BUT_SCOPE)
                for depth in range(1, s.cat.levers[drop].most + 1)]
    return out


def _set(candidate: Candidate, i: int, value: int) -> Candidate:
    return (*candidate[:i], value, *candidate[i + 1:])


def _movable(s: Search, kinds: frozenset[str]) -> list[int]:
    return [i for i, lv in enumerate(s.cat.levers) if lv.kind in kinds]


def greedy(s: Search, start: Candidate, kinds: frozenset[str]) -> Candidate | None:
    """Add the step with the best gain in screened chance per unit of money (free steps by
    their gain alone) until the chance reaches the confidence; None if it never does."""
    current, movable = start, set(_movable(s, kinds))
    for _ in range(MAX_GREEDY_STEPS):
        moves = [c for c in s.cat.steps(current) if s.affordable(c) and
                 next(i for i, (a, b) in enumerate(zip(c, current, strict=True)) if a != b)
                 in movable]
        best = max(moves, key=lambda c: _gain(s, current, c), default=None)
        if best is None or _gain(s, current, best) <= (0.0, 0.0):
            return None
        current = best
        if s.reaches(current):
            return current
    return None


def _gain(s: Search, before: Candidate, after: Candidate) -> tuple[float, float]:
    """How good a step is, as (tier, amount): a gain in chance ranks above a gain in P85 only;
    within each, a free step ranks above a paid one, and paid steps by gain per money (so a
    walk that starts far from the date still moves towards it)."""
    a, b = s.screen(before), s.screen(after)
    extra = money(s.cat, after) - money(s.cat, before)
    chance, days = b.chance - a.chance, _finite(a.p85_days) - _finite(b.p85_days)
    for tier, gain in ((2.0, chance), (0.5, days)):
        if gain > 0:
            return (tier * 2, gain) if extra <= 0 else (tier, gain / extra)
    return (0.0, 0.0)


def _finite(days: float) -> float:
    return days if math.isfinite(days) else 1e9


def prune(s: Search, found: Candidate, kinds: frozenset[str]) -> Candidate:
    """Take steps back, the dearest first, while the screened chance still reaches."""
    current, movable = found, _movable(s, kinds)
    while True:
        downs = [_set(current, i, current[i] - 1) for i in movable if current[i]]
        ok = [c for c in downs if s.reaches(c)]
        if not ok:
            return current
        current = min(ok, key=lambda c: money(s.cat, c))


def swap(s: Search, found: Candidate, kinds: frozenset[str]) -> Candidate:
    """The small neighbourhood of a set found: one step taken back and another added, tried
    only where that is cheaper (money is known before simulating); the cheapest that still
    reaches, pruned."""
    movable, cost = _movable(s, kinds), money(s.cat, found)
    trials = [_set(_set(found, i, found[i] - 1), j, found[j] + 1)
              for i in movable if found[i] for j in movable
              if j != i and found[j] < s.cat.levers[j].most]
    cheaper = sorted((c for c in trials if s.cat.allowed(c) and money(s.cat, c) < cost - 1e-9),
                     key=lambda c: money(s.cat, c))
    ok = next((c for c in cheaper if s.reaches(c)), None)
    return found if ok is None else prune(s, ok, kinds)


def pareto(outcomes: list[Outcome], chance: bool = False) -> list[Outcome]:
    """The outcomes no other beats on all of money (less), P85 (earlier, in whole days: the
    date the TPM sees) and scope given up (less) while being strictly better on one; one of
    each group equal on all three. ``chance``: the chance (higher) counts too (when no set
    reaches the confidence, a higher chance is worth something)."""
    def key(o: Outcome) -> tuple[float, ...]:
        odds = (-o.chance,) if chance else ()
        return (round(o.money, 2), _p85_day(o), o.items_given_up, *odds)

    def dominated(o: Outcome) -> bool:
        return any(_beats(key(p), key(o)) for p in outcomes)

    kept: dict[tuple[float, ...], Outcome] = {}
    for o in best_first([o for o in outcomes if not dominated(o)]):
        kept.setdefault(key(o), o)  # of sets equal on all three, the first is enough
    return list(kept.values())


def _p85_day(o: Outcome) -> float:
    """P85 as the day it falls on (a fraction of a day earlier is the same date)."""
    return float(math.floor(o.p85_days)) if math.isfinite(o.p85_days) else math.inf


def _beats(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and a != b


def best_first(outcomes: list[Outcome]) -> list[Outcome]:
    """Cheapest first; at equal money, less scope given up, then the earlier P85."""
    return sorted(outcomes, key=lambda o: (round(o.money, 2), o.items_given_up, o.p85_days,
                                           o.candidate))


def confirm(s: Search, reps: int, seed: int) -> Answer:
    """Re-simulate the screened sets worth reporting with the full replications; report the
    confirmed Pareto set of those that reach (or, when none does, the best found)."""
    reach = _screened_reach(s)
    shortlist = best_first(pareto(reach))[:MAX_CONFIRMED] if reach else _closest(s)
    full = [s.confirm(o.candidate, reps) for o in shortlist]
    made = [o for o in s.confirmed.values() if o.chance >= s.confidence]
    sets = (best_first(pareto(made)) if made
            else sorted(pareto(full, chance=True), key=_closeness)[:3])
    return _answer(s, sets, bool(made), reps, seed)


def _screened_reach(s: Search) -> list[Outcome]:
    return [o for o in s.screened.values() if o.chance >= s.threshold]


def _answer(s: Search, sets: list[Outcome], reached: bool, reps: int, seed: int) -> Answer:
    return Answer(s.cat, s.confidence, s.confirmed[s.cat.plan], sets, reached,
                  len(s.screened) + len(s.confirmed), seed, reps, s.screen_reps, s.exhausted)


def _closest(s: Search) -> list[Outcome]:
    """When nothing reached: the three screened candidates with the highest chance."""
    return sorted(s.screened.values(), key=_closeness)[:3]


def _closeness(o: Outcome) -> tuple[float, float, float]:
    """Nearest the goal first: the highest chance, then the earliest P85, then the cheapest."""
    return (-o.chance, o.p85_days, o.money)
