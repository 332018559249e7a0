"""Who can work when: each person's daily capacity (person-days of planned work per calendar
day) over the horizon, after working days, holidays, focus, ramp-up, mentoring, time off,
capacity risks and interrupts.

The simulation turns an item's effort into calendar time with these curves: a person with
capacity 0.7 on working days needs 10 calendar days (two weeks) for 7 person-days of work.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from workbench.scenario.calendar import WorkCalendar
from workbench.scenario.models import Calendar, Person, Scenario, Team

INF = math.inf


@dataclass
class WorkerSlot:
    """One worker slot in one replication; ``cum`` is cumulative capacity at each day start."""

    team: str
    stage: str
    index: int
    first_day: int  # first day with the team
    last_day: int  # day after the last day with the team (exclusive)
    cap: np.ndarray = field(repr=False)  # capacity per calendar day
    cum: list[float] = field(default_factory=list, repr=False)
    daily: list[float] = field(default_factory=list, repr=False)  # `cap` as Python floats
    rate: float | None = None  # constant capacity every day (fast path), else None
    hire: int | None = None  # which entry of the team's `hires` brought this person
    away_starts: list[int] = field(default_factory=list, repr=False)  # long absences begin
    share: float = 1.0  # of this person's time the team has (people shared between teams)
    days: int = field(default=0, repr=False)  # of the curve (the horizon), set by `freeze`
    total: float = field(default=0.0, repr=False)  # capacity over the whole curve (`cum[-1]`)

    def freeze(self, work: np.ndarray, handover_after_days: float = math.inf,
               daily: list[float] | None = None) -> None:
        """Prepare the lookups used on the simulation's hot path; ``work`` is the calendar's
        working days, against which an absence longer than ``handover_after_days`` working
        days is found (an item held then goes to a colleague). ``daily``: the capacity per
        day as Python floats, when already worked out that way (it then replaces ``cap``)."""
        self._freeze_curve(daily)
        self.away_starts = _long_absences(self.cap, work, self.first_day, self.last_day,
                                          handover_after_days)

    def _freeze_curve(self, daily: list[float] | None = None) -> None:
        horizon = len(self.cap) if daily is None else len(daily)
        end = min(self.last_day, horizon)
        joins, leaves = min(max(self.first_day, 0), horizon), max(end, 0)
        if daily is None:
            self.cap[:joins] = 0.0
            self.cap[leaves:] = 0.0  # a person who left before the start works no day
            daily = self.cap.tolist()  # plain floats: faster to index, and exact in the log
        else:  # the same clearing on the floats, which then make the array
            daily[:joins] = [0.0] * joins
            daily[leaves:] = [0.0] * (horizon - leaves)
            self.cap = np.fromiter(daily, float, horizon)
        self.daily = daily
        cum = np.zeros(horizon + 1)  # capacity before each day: 0, then the running sum
        self.cap.cumsum(out=cum[1:])
        self.cum = cum.tolist()
        self.days, self.total = horizon, self.cum[-1]
        full = self.first_day <= 0 and end >= horizon
        first = daily[0] if horizon else 0.0
        # a day off (found at once in a working week) rules out a constant rate before the
        # whole curve is compared
        constant = full and first > 0 and 0.0 not in daily and bool((self.cap == first).all())
        self.rate = first if constant else None

    def finish_time(self, t0: float, effort_days: float) -> float:
        """When work of ``effort_days`` started at time ``t0`` is done (INF: not within reach)."""
        if self.rate is not None:
            return t0 + effort_days / self.rate
        if effort_days <= 0:
            return t0
        cum, cap, days = self.cum, self.daily, self.days
        d = int(t0)
        if d >= days:
            return INF
        target = cum[d] + cap[d] * (t0 - d) + effort_days
        if target > self.total:
            return INF
        near = d + 16  # most items are done within a few weeks: search those days first
        within = near <= days and cum[near] >= target
        j = bisect_left(cum, target, d + 1, near if within else days + 1) - 1
        return j + (target - cum[j]) / cap[j]

    def work_done(self, t0: float, t1: float) -> float:
        """Person-days of capacity between two times."""
        return self._cum_at(t1) - self._cum_at(t0)

    def _cum_at(self, t: float) -> float:
        if self.rate is not None:
            return t * self.rate
        d = min(int(t), self.days - 1)
        return self.cum[d] + self.daily[d] * (t - d)


def _long_absences(cap: np.ndarray, work: np.ndarray, first_day: int, last_day: int,
                   longer_than: float) -> list[int]:
    """Days on which a run of more than ``longer_than`` working days without capacity begins
    (time off, leave, a capacity risk; weekends and public holidays are not absences, and
    leaving for good is not either: that hands work back by itself)."""
    if not math.isfinite(longer_than):
        return []
    days = _working(work, max(first_day, 0), last_day)
    # where being off flips, on the working days padded with a working day at each end: the
    # starts and ends of the runs of days off, in turn
    off = np.zeros(len(days) + 2, dtype=bool)
    np.less_equal(cap[days], 0, out=off[1:-1])
    flips = (off[1:] != off[:-1]).nonzero()[0]
    starts, ends = flips[::2], flips[1::2]
    begins = days[starts[ends - starts > longer_than]]
    # a run that starts before the person's first capacity is their not having started yet
    worked = cap.nonzero()[0]
    return begins[begins > worked[0]].tolist() if worked.size else []


class KeptCache:
    """What was worked out from some objects (and plain values), kept beside them for the
    next replication: keyed by the objects' ids and the values, and valid only while the
    very same objects come back (they are held, so their ids cannot be reused). The oldest
    entry goes beyond ``size``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[Hashable, tuple[tuple[object, ...], Any]] = {}

    def get(self, held: tuple[object, ...], extra: Hashable = ()) -> Any:
        """The value kept from the objects ``held`` and ``extra`` (None if there is none)."""
        hit = self._entries.get((*map(id, held), extra))
        if hit is None or any(a is not b for a, b in zip(hit[0], held, strict=True)):
            return None
        return hit[1]

    def put(self, held: tuple[object, ...], extra: Hashable, value: Any) -> Any:
        """Keep ``value``, worked out from ``held`` and ``extra``; returns it."""
        if len(self._entries) >= self.size:
            self._entries.pop(next(iter(self._entries)))
        self._entries[(*map(id, held), extra)] = (held, value)
        return value


_WORKING = KeptCache(256)


def _working(work: np.ndarray, first: int, last_day: int) -> np.ndarray:
    """The working days (indices into ``work``) from ``first`` to before ``last_day``, worked
    out once for each stay (read-only: every replication's people share them)."""
    days = _WORKING.get((work,), (first, last_day))
    if days is None:
        days = _WORKING.put((work,), (first, last_day), _frozen(
            (work[first:max(last_day, first)] > 0).nonzero()[0] + first))
    return days


@lru_cache(maxsize=64)
def working_days(calendar: Calendar, start: dt.date, days: int) -> np.ndarray:
    """1.0 for each working calendar day from ``start``, 0.0 for weekends and holidays (one
    read-only array per calendar: every replication shares it)."""
    return _frozen(WorkCalendar.from_scenario(calendar).working_days(start, days))


@lru_cache(maxsize=64)
def paid_days(calendar: Calendar, start: dt.date, days: int) -> np.ndarray:
    """1.0 for each day people are paid for: the working week, public holidays included."""
    return _frozen(WorkCalendar.from_scenario(calendar).weekdays(start, days))


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def calendar_of(scenario: Scenario, team: Team, person: Person | None = None) -> Calendar:
    """The calendar someone works by: their own, else their team's, else the program's."""
    own = person.calendar if person is not None else None
    return own or team.calendar or scenario.calendar


def team_days(scenario: Scenario, team: Team, person: Person | None = None) -> np.ndarray:
    """Working days of a team (or of one of its people) over the horizon."""
    return working_days(calendar_of(scenario, team, person), scenario.start,
                        scenario.horizon_days)


def _share(person: Person, team_name: str, home: bool) -> float:
    """The part of ``person`` a team gets: its `allocation`, else all of them at home."""
    if person.allocation is None:
        return 1.0 if home else 0.0
    return person.allocation.get(team_name, 0.0)


def build_team(scenario: Scenario, name: str, work: np.ndarray, lost: list[tuple[int, int, int]],
               interrupt_load: list[tuple[float, int, float]]) -> list[WorkerSlot]:
    """Every person slot of a team for one replication.

    ``lost`` lists capacity risks that fired: (first day, day after last, people).
    ``interrupt_load`` lists interrupts: (time, member pick, effort person-days).

    What no random input touches (calendars, focus, hires, mentoring, time off) is worked out
    once per scenario (`planned_team`); a replication copies only the people a fired risk or
    an interrupt changes, and shares the rest read-only. The curves are exactly those of
    building everything afresh: only capacity within a person's stay counts, and that is the
    same whichever way round the stay's edges are cleared.
    """
    planned = planned_team(scenario, name, work)
    if not lost and not interrupt_load:
        return planned
    people = [replace(p, cap=p.cap.copy()) for p in planned]
    for first, end, count in lost:
        _remove(people, first, end, count)
    taken = _apply_interrupts(people, interrupt_load)
    handover = scenario.teams[name].handover_after_days
    for i, (p, q) in enumerate(zip(people, planned, strict=True)):
        daily = taken.get(id(p))
        if daily is not None or p.last_day != q.last_day or bool((p.cap != q.cap).any()):
            p.freeze(work, handover, daily)
        else:
            people[i] = q
    return people


_PLANNED = KeptCache(64)  # teams kept: a sweep's or explorer's recent scenarios


def planned_team(scenario: Scenario, name: str, work: np.ndarray) -> list[WorkerSlot]:
    """A team's person slots before any risk or interrupt, frozen and read-only (shared by
    every replication of ``scenario``; kept for the most recent scenarios)."""
    kept: list[WorkerSlot] | None = _PLANNED.get((scenario, work), name)
    if kept is not None:
        return kept
    team = scenario.teams[name]
    people = _slots(scenario, name, team, work) + _shared_in(scenario, name, team)
    for i, p in enumerate(people):
        p.index = i if p.index < 0 else p.index  # shared-in people come after the team's own
    _pair_ramping_hires(scenario, team, people)
    _apply_mentoring(scenario, team, people, work)
    _apply_time_off(scenario, team, people)
    for p in people:
        p.freeze(work, team.handover_after_days)
        p.cap.setflags(write=False)  # shared: a replication that changes it copies it first
    return _PLANNED.put((scenario, work), name, people)


def _slots(scenario: Scenario, name: str, team: Team, work: np.ndarray) -> list[WorkerSlot]:
    horizon = len(work)
    stages = team.stage_names
    base = work * team.focus
    out: list[WorkerSlot] = []
    if isinstance(team.members, int):
        for i, stage in enumerate(team.member_stages()):
            out.append(WorkerSlot(name, stage, i, 0, horizon, base.copy()))
    else:
        for i, person in enumerate(team.members):
            share = _share(person, name, home=True)
            cap = team_days(scenario, team, person) * team.focus * share
            out.append(WorkerSlot(name, person.stage or stages[0], i, *_stay(scenario, person),
                                  cap, share=share))
    for h, hire in enumerate(team.hires):
        first = scenario.day_of(hire.date)
        ramp = _ramp(horizon, first, hire.ramp_up_weeks)
        for _ in range(hire.count):
            out.append(WorkerSlot(name, hire.stage or stages[0], len(out), first, horizon,
                              base * ramp, hire=h))
    for leaver in team.leavers:
        _leave(out, scenario.day_of(leaver.date), leaver.count, leaver.stage)
    return out



def _stay(scenario: Scenario, person: Person) -> tuple[int, int]:
    """First day with the team and the day after the last."""
    first = scenario.day_of(person.start) if person.start else 0
    last = scenario.day_of(person.end) + 1 if person.end else scenario.horizon_days
    return first, last


def _shared_in(scenario: Scenario, name: str, team: Team) -> list[WorkerSlot]:
    """Slots for people of other teams who give this team part of their time: their own (or
    home team's) calendar, this team's focus, their share."""
    out: list[WorkerSlot] = []
    for home_name, home in scenario.teams.items():
        if home_name == name or isinstance(home.members, int):
            continue
        for person in home.members:
            share = _share(person, name, home=False)
            if share > 0:
                cap = team_days(scenario, home, person) * team.focus * share
                out.append(WorkerSlot(name, team.stage_names[0], -1, *_stay(scenario, person),
                                      cap, share=share))
    return out


def _ramp(horizon: int, first: int, weeks: float) -> np.ndarray:
    """Productivity of a new hire: 0 before joining, then a linear ramp to 1."""
    days = np.arange(horizon, dtype=float) - first
    if weeks <= 0:
        return (days >= 0).astype(float)
    return np.clip((days + 1) / (weeks * 7), 0.0, 1.0) * (days >= 0)


def _pair_ramping_hires(scenario: Scenario, team: Team, people: list[WorkerSlot]) -> None:
    """A hire in ramp-up pairs with the full-speed colleagues of their stage: their capacity
    adds to the colleagues' (who hold the items) until they are at full speed, so nobody's
    item waits on someone at 2% speed. With no such colleague the hire works alone."""
    for h, hire in enumerate(team.hires):
        first = scenario.day_of(hire.date)
        full = first + max(math.ceil(hire.ramp_up_weeks * 7) - 1, 0)
        hires = [p for p in people if p.hire == h]
        mates = [p for p in people if p.stage == hires[0].stage and p.hire != h
                 and p.first_day <= max(first, 0) < p.last_day
                 and not _ramping(scenario, team, p, first)]
        if full <= first or not mates:
            continue
        span = slice(max(first, 0), max(full, 0))
        lent = sum(p.cap[span] for p in hires) / len(mates)
        for p in hires:
            p.cap[span] = 0.0
        for q in mates:
            q.cap[span] += lent * (q.cap[span] > 0)


def _ramping(scenario: Scenario, team: Team, person: WorkerSlot, day: int) -> bool:
    """Whether ``person`` is itself a hire still ramping up on ``day``."""
    if person.hire is None:
        return False
    hire = team.hires[person.hire]
    return day < scenario.day_of(hire.date) + math.ceil(hire.ramp_up_weeks * 7) - 1


def _apply_mentoring(scenario: Scenario, team: Team, people: list[WorkerSlot], work: np.ndarray
                     ) -> None:
    """Each hire takes `mentoring` of one person's time, fading as they ramp up, shared by
    the people already on the team."""
    horizon = len(work)
    for h, hire in enumerate(team.hires):
        if hire.mentoring <= 0 or hire.ramp_up_weeks <= 0:
            continue
        first = scenario.day_of(hire.date)
        load = hire.mentoring * hire.count * (1 - _ramp(horizon, first, hire.ramp_up_weeks))
        load[: max(first, 0)] = 0.0
        day = max(first, 0)
        mentors = [p for p in people if p.hire != h and p.first_day <= day < p.last_day]
        if not mentors:
            continue
        share = load / len(mentors)
        for p in mentors:
            p.cap = np.clip(p.cap - share * (p.cap > 0), 0.0, None)


def _apply_time_off(scenario: Scenario, team: Team, people: list[WorkerSlot]) -> None:
    names = [] if isinstance(team.members, int) else [p.name for p in team.members]
    for off in team.time_off:
        first, end = scenario.day_of(off.start), scenario.day_of(off.end) + 1
        if off.person is not None:
            chosen = [people[names.index(off.person)]]
        else:
            chosen = [p for p in people if p.first_day < end and p.last_day > first][: off.people]
        for p in chosen:
            p.cap[max(first, 0):max(end, 0)] = 0.0


def _remove(people: list[WorkerSlot], first: int, end: int | None, count: int) -> None:
    """A capacity risk: the most recently added people present at `first` are unavailable."""
    present = [p for p in people if p.first_day <= first < p.last_day][::-1][:count]
    for p in present:
        if end is None:
            p.last_day = max(first, 0)
        else:
            away = slice(max(first, 0), max(end, 0))
            p.cap[away] = 0.0
            p.daily = list(p.daily)  # its own floats now, in step with `cap`
            p.daily[away] = [0.0] * len(p.daily[away])


def _leave(people: list[WorkerSlot], day: int, count: int, stage: str | None) -> None:
    present = [p for p in people if p.last_day > day and (stage is None or p.stage == stage)]
    for p in present[::-1][:count]:
        p.last_day = max(day, 0)


def _apply_interrupts(people: list[WorkerSlot], load: list[tuple[float, int, float]]
                      ) -> dict[int, list[float]]:
    """Interrupts take their effort from one person's capacity, from the day they arrive on.
    Returns, by the ``id`` of each person whose capacity an interrupt took, what is left of
    it per day (Python floats, for `WorkerSlot.freeze`)."""
    own: list[list[float] | None] = [None] * len(people)  # by position: those changed so far
    # who is present changes only where someone joins or leaves
    edges = sorted({d for p in people for d in (p.first_day, p.last_day)})
    present: list[int] = []
    lo, hi = 1.0, 0.0  # the days [lo, hi) on which `present` are there (none yet)
    for time, pick, effort in load:
        day = int(time)
        if not lo <= day < hi:  # the load is in time order: now and then a new stretch
            lo, hi, present = _stretch(people, edges, day)
        if not present:
            continue
        i = present[pick % len(present)]
        cap = own[i]
        if cap is None:  # a copy of the frozen floats (sharing them, where nothing changes)
            cap = own[i] = list(people[i].daily)
        remaining, horizon = effort, len(cap)
        while remaining > 1e-12 and day < horizon:
            left = cap[day]
            if left >= remaining:  # the rest fits in this day
                cap[day] = left - remaining
                break
            cap[day] = 0.0  # left - left: the whole day goes (nothing, on a day off)
            remaining -= left
            day += 1
    return {id(p): cap for p, cap in zip(people, own, strict=True) if cap is not None}


def _stretch(people: list[WorkerSlot], edges: list[int], day: int
             ) -> tuple[float, float, list[int]]:
    """The days around ``day`` on which the same people are there (``edges``: the days on
    which someone joins or leaves, sorted), and who they are (positions in ``people``)."""
    at = bisect_right(edges, day)
    lo = edges[at - 1] if at else -INF
    hi = edges[at] if at < len(edges) else INF
    return lo, hi, [i for i, p in enumerate(people) if p.first_day <= day < p.last_day]
