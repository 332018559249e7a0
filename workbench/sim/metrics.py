"""Pure functions from one run's event log to the numbers a TPM reads: when each epic and
milestone finished, what it cost, how busy each team was, and flow figures (time in system,
wait, throughput, WIP, utilisation, turned away). No SimPy here: hand-written logs work.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from workbench.scenario.models import Scenario
from workbench.sim.records import RunLog

NAN = math.nan
# Records of a service cut short: the item went back to its queue with `effort_days` left.
HANDED_BACK = ("stop", "handover")
# A service the horizon cuts: `effort_days` of it would fall after the run ends.
CUT = "cut"
# The pseudo-stage of items done at one stage and waiting for room at the next.
WAITING = "waiting for "


def epic_finish_days(log: RunLog) -> dict[str, float]:
    """Day each epic finished (NaN: not within the horizon). Epics never ready are absent."""
    return _visits(log).epic_done


def epic_start_days(log: RunLog) -> dict[str, float]:
    """Day work on each epic first started (a person took its first item); epics never started
    are absent. The roadmap's bars begin here."""
    return _visits(log).epic_start


def milestone_finish(scenario: Scenario, epic_days: dict[str, float]
                     ) -> dict[str, tuple[float, str]]:
    """Per milestone: the day its last epic finished (NaN if any is unfinished) and that epic."""
    out = {}
    for name, milestone in scenario.milestones.items():
        days = [epic_days.get(e, NAN) for e in milestone.epics]
        if any(math.isnan(d) for d in days):
            unfinished = next(e for e, d in zip(milestone.epics, days, strict=True)
                              if math.isnan(d))
            out[name] = (NAN, unfinished)
        else:
            last = max(range(len(days)), key=lambda i: days[i])
            out[name] = (days[last], milestone.epics[last])
    return out


def team_end_days(scenario: Scenario, log: RunLog, epic_days: dict[str, float]
                  ) -> dict[str, float]:
    """When each team rolls off the program: its last epic done (the horizon if it is unfinished
    or serves an arrival stream; the program's end for a team with no work of its own)."""
    flowing = {a.team for a in scenario.arrivals}
    out = {}
    for team in scenario.teams:
        own = [epic_days.get(e, NAN) for e, spec in scenario.epics.items() if spec.team == team]
        if team in flowing or any(math.isnan(d) for d in own):
            out[team] = float(log.horizon_days)
        else:
            out[team] = max(own, default=log.end_time)
    return out


def _integral(per_day: np.ndarray, until: float) -> float:
    """Sum of a per-day series over [0, until) with the last day taken pro rata."""
    if until == 0:
        return 0.0
    whole = min(int(until), len(per_day))
    total = float(np.add.reduce(per_day[:whole]))  # what .sum() does, without its wrapper
    if whole < len(per_day):
        total += float(per_day[whole]) * (until - whole)
    return total


def cost(scenario: Scenario, log: RunLog, team_end: dict[str, float]) -> float:
    """People cost: paid person-days (working days on the team) until each team rolls off."""
    return sum(team_costs(scenario, log, team_end).values())


def team_costs(scenario: Scenario, log: RunLog, until: dict[str, float]) -> dict[str, float]:
    """Each team's people cost: its paid person-days up to its day in ``until``, times its
    rate."""
    out = {}
    for name, team in scenario.teams.items():
        paid = log.capacity[name].paid if name in log.capacity else np.zeros(1)
        out[name] = _integral(paid, until[name]) * team.cost_per_person_day
    return out


def cost_by(scenario: Scenario, log: RunLog, team_end: dict[str, float], day: float) -> float:
    """The program's cost accrued by ``day`` (the horizon when NaN: not finished)."""
    day = log.horizon_days if math.isnan(day) else day
    return sum(team_costs(scenario, log, {t: min(e, day) for t, e in team_end.items()}).values())


def busy_days(log: RunLog, since: float = 0.0) -> dict[tuple[str, str], float]:
    """Person-days of planned work done per (team, stage), by services started at or after
    ``since`` (work cut short by someone leaving counts only what was done)."""
    return _visits(log, since).busy


def utilisation(log: RunLog, team_end: dict[str, float],
                busy: dict[tuple[str, str], float] | None = None) -> dict[str, float]:
    """Share of each team's planned-work capacity spent on items, until it rolls off
    (``busy``: `busy_days` of the log, when already worked out)."""
    busy = busy_days(log) if busy is None else busy
    out = {}
    for team, cap in log.capacity.items():
        available = sum(_integral(a, team_end[team]) for a in cap.available.values())
        work = sum(v for (t, _), v in busy.items() if t == team)
        out[team] = work / available if available > 0 else NAN
    return out


@dataclass(frozen=True)
class Flow:
    """Flow figures over a window, for one stage or the whole system."""

    time_in_system_days: float
    wait_days: float
    throughput_per_day: float
    wip: float
    utilisation: float
    turned_away_share: float
    items: int
    handovers: float = 0.0  # items handed to a colleague because their owner was away


def wip_integral(times: list[tuple[float, int]], start: float, end: float) -> float:
    """∫ WIP dt over [start, end] from (time, +1/-1) steps."""
    level, last, area = 0, start, 0.0  # `last`: the latest step after `start`, else start
    # by time alone (quicker than by time and step): steps at the same time add nothing
    # between them, so their order changes no bit of the area
    for t, step in sorted(times, key=itemgetter(0)):
        if t > end:
            break
        if t > start:
            area += level * (t - last)
            last = t
        level += step
    return area + level * (end - last)


def flow(log: RunLog, busy: dict[tuple[str, str], float] | None = None) -> dict[str, Flow]:
    """Flow figures per ``team/stage`` and ``overall``, over [warm-up, end of run], for items
    that arrived after the warm-up (``busy``: `busy_days` since the warm-up, if known)."""
    return _flow(log, _visits(log, log.warmup_days), busy)


def _flow(log: RunLog, seen: _Seen, busy: dict[tuple[str, str], float] | None = None
          ) -> dict[str, Flow]:
    """`flow` from what `_visits` read since the warm-up."""
    start, end = log.warmup_days, log.end_time
    span = max(end - start, 1e-12)
    visits, system, handed = seen.visits, seen.system, seen.handed
    busy = seen.busy if busy is None else busy
    out: dict[str, Flow] = {}
    available = {(team, stage): _integral(a, end) - _integral(a, start)
                 for team, cap in log.capacity.items() for stage, a in cap.available.items()}
    for (team, stage), rows in visits.items():
        key = f"{team}/{stage}"
        out[key] = _stage_flow(rows, start, end, span, busy.get((team, stage), 0.0),
                               available.get((team, stage), 0.0), float(handed.get(key, 0)))
    out["overall"] = _system_flow(system, start, end, span, busy, sum(available.values()),
                                  float(sum(handed.values())))
    return out


class _Seen(NamedTuple):
    """What the summary reads from a log, in one pass."""

    visits: dict[tuple[str, str], list[tuple[float, float, float]]]  # queued, started, left
    system: dict[int, list[float]]  # per item: arrived, done, total wait
    handed: Counter[str]  # hand-overs per team/stage from `since` on
    busy: dict[tuple[str, str], float]  # `busy_days` since `since`
    epic_done: dict[str, float]  # `epic_finish_days`
    epic_start: dict[str, float]  # `epic_start_days`
    came: int  # items that came in (arrived, or were turned away)
    done: list[float]  # when items were done, in the log's order


def _visits(log: RunLog, since: float = 0.0) -> _Seen:
    """Stage visits, system stays, hand-overs, busy days and the epics' days, in one pass
    over the log (the summary reads it once)."""
    visits: dict[tuple[str, str], list[tuple[float, float, float]]] = defaultdict(list)
    open_: dict[tuple[int, str, str], list[float]] = {}
    system: dict[int, list[float]] = {}
    handed: Counter[str] = Counter()
    busy: dict[tuple[str, str], float] = defaultdict(float)
    started: dict[tuple[int, str], float] = {}  # each (item, stage)'s latest service
    done: dict[str, float] = {}
    reopened: dict[str, float] = {}
    first: dict[str, float] = {}
    came = 0
    done_at: list[float] = []
    back = (*HANDED_BACK, CUT)
    blocked = 0  # waiting visits open: only then can a queue record end one
    inf = math.inf
    for r in log.records:  # the commonest events first
        ev = r.event
        if ev == "start":
            t = r.time
            started[(r.item, r.stage)] = t
            if t >= since:
                busy[(r.team, r.stage)] += r.effort_days
            v = open_.get((r.item, r.team, r.stage))
            if v is not None and v[1] != v[1]:  # not started yet (NaN)
                v[1] = t
                system[r.item][2] += t - v[0]
            if r.epic and t < first.get(r.epic, inf):
                first[r.epic] = t
        elif ev == "queue":
            if blocked:
                waited = open_.pop((r.item, r.team, WAITING + r.stage), None)
                if waited is not None:
                    blocked -= 1
                    visits[(r.team, WAITING + r.stage)].append((waited[0], NAN, r.time))
            open_[(r.item, r.team, r.stage)] = [r.time, NAN]
        elif ev == "finish":
            v = open_.pop((r.item, r.team, r.stage), None)
            if v is not None:
                visits[(r.team, r.stage)].append((v[0], v[1], r.time))
        elif ev == "arrive":
            came += 1
            system[r.item] = [r.time, NAN, 0.0]
        elif ev == "done":
            system[r.item][1] = r.time
            done_at.append(r.time)
        elif ev == "interrupt":  # the commonest of the rest, and nothing here reads it
            continue
        elif ev == "epic_done":
            done[r.epic] = r.time
        elif ev == "blocked":
            blocked += 1
            open_[(r.item, r.team, WAITING + r.stage)] = [r.time, NAN]
        elif ev == "reject":
            came += 1
            system[r.item] = [r.time, -1.0, 0.0]
        elif ev in back:
            if started.get((r.item, r.stage), -1.0) >= since:
                busy[(r.team, r.stage)] -= r.effort_days
            if ev == "handover" and r.time >= since:
                handed[f"{r.team}/{r.stage}"] += 1
        elif ev == "risk" and r.epic:
            reopened[r.epic] = r.time
    for (_item, team, stage), v in open_.items():
        visits[(team, stage)].append((v[0], v[1], NAN))
    finished = {e: (t if reopened.get(e, -1.0) <= t else NAN) for e, t in done.items()}
    return _Seen(visits, system, handed, busy, finished, first, came, done_at)


def _stage_flow(rows: list[tuple[float, float, float]], start: float, end: float, span: float,
                busy: float, available: float, handovers: float) -> Flow:
    # NaN (not started, not left yet) compares false, and is the one value unequal to itself
    counted = [r for r in rows if r[0] >= start]
    stays = [d - q for q, _, d in counted if d <= end]
    gone = [d for _, _, d in rows if d == d]
    steps = [(q, 1) for q, _, _ in rows] + [(d, -1) for d in gone]
    return Flow(
        time_in_system_days=_mean(stays),
        wait_days=_mean([s - q for q, s, _ in counted if s == s]),
        throughput_per_day=sum(1 for d in gone if start <= d <= end) / span,
        wip=wip_integral(steps, start, end) / span,
        utilisation=busy / available if available > 0 else NAN,
        turned_away_share=0.0,
        items=len(stays),
        handovers=handovers,
    )


def _system_flow(system: dict[int, list[float]], start: float, end: float, span: float,
                 busy: dict[tuple[str, str], float], available: float, handovers: float) -> Flow:
    # one pass over the stays: done (-1.0: turned away; NaN: not done) and arrived since start
    stays, waits, ups, downs = [], [], [], []
    arrived = rejected = through = 0
    for a, d, w in system.values():
        if d == -1.0:
            arrived += a >= start
            rejected += a >= start
            continue
        ups.append(a)
        if d >= 0:
            downs.append(d)
            through += start <= d <= end
        if a >= start:
            arrived += 1
            if d >= 0 and d <= end:
                stays.append(d - a)
                waits.append(w)
    return Flow(
        time_in_system_days=_mean(stays),
        wait_days=_mean(waits),
        throughput_per_day=through / span,
        wip=wip_integral([(a, 1) for a in ups] + [(d, -1) for d in downs], start, end) / span,
        utilisation=sum(busy.values()) / available if available > 0 else NAN,
        turned_away_share=rejected / arrived if arrived else 0.0,
        items=len(stays),
        handovers=handovers,
    )


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else NAN


def littles_law(log: RunLog) -> tuple[float, float, float]:
    """(L, λ, W) over [0, T], T the last moment the system was empty: L must equal λ·W.

    L integrates the WIP step function of the raw arrive/done events; W averages the stays
    paired by item: two independent readings of the log that agree only if it is consistent.
    """
    steps = [(r.time, 1 if r.event == "arrive" else -1) for r in log.records
             if r.event in ("arrive", "done")]
    steps.sort()
    level, last_empty = 0, 0.0
    for t, step in steps:
        level += step
        if level == 0:
            last_empty = t
    if last_empty <= 0:
        return 0.0, 0.0, 0.0
    system = _visits(log).system
    stays = [d - a for a, d, _ in system.values() if 0 <= d <= last_empty]
    lam = len(stays) / last_empty
    return wip_integral(steps, 0.0, last_empty) / last_empty, lam, _mean(stays)


FLOW_FIELDS = ("time_in_system_days", "wait_days", "throughput_per_day", "wip", "utilisation",
               "handovers", "turned_away_share")


def flow_keys(scenario: Scenario) -> list[str]:
    """Every ``team/stage`` of the scenario, each ``team/waiting for <stage>`` where a stage's
    WIP limit can hold finished work back, then ``overall``."""
    keys = []
    for t, team in scenario.teams.items():
        keys += [f"{t}/{s}" for s in team.stage_names]
        keys += [f"{t}/{WAITING}{s}" for s, st in (team.stages or {}).items()
                 if st.wip_limit is not None]
    return [*keys, "overall"]


def summary_row(scenario: Scenario, log: RunLog) -> dict[str, float]:
    """One replication boiled down to the numbers forecasts are read from (all floats).

    Keys: ``epic:<name>`` and ``milestone:<name>`` finish days (NaN: unfinished),
    ``start:<epic>`` the day its first item was started (NaN: never),
    ``last:<milestone>`` index in the milestone's epics of the one that finished last,
    ``cost``, ``util:<team>``, ``flow:<team/stage|overall>:<figure>``, ``end_day``.
    """
    return _summary_row(scenario, log, _visits(log, log.warmup_days))


def summary(scenario: Scenario, log: RunLog) -> tuple[dict[str, float], np.ndarray]:
    """`summary_row` and `burnup` of one replication, from one read of its log."""
    seen = _visits(log, log.warmup_days)
    return _summary_row(scenario, log, seen), _burnup(seen.done, log.horizon_days)


def _summary_row(scenario: Scenario, log: RunLog, seen: _Seen) -> dict[str, float]:
    """`summary_row` from what `_visits` read since the warm-up (utilisation's busy days
    come from it too when there is none)."""
    epic_days, starts, came = seen.epic_done, seen.epic_start, seen.came
    row = {f"epic:{e}": epic_days.get(e, NAN) for e in scenario.epics}
    row.update({f"start:{e}": starts.get(e, NAN) for e in scenario.epics})
    for name, (day, last) in milestone_finish(scenario, epic_days).items():
        row[f"milestone:{name}"] = day
        row[f"last:{name}"] = float(scenario.milestones[name].epics.index(last))
    ends = team_end_days(scenario, log, epic_days)
    costs = team_costs(scenario, log, ends)
    row["cost"] = sum(costs.values())
    row.update({f"cost:{t}": c for t, c in costs.items()})
    for name in scenario.milestones:
        row[f"cost_by:{name}"] = cost_by(scenario, log, ends, row[f"milestone:{name}"])
    # the horizon cut this run's work short, so its cost is a lower bound
    row["cost_cut"] = float(any(math.isnan(d) for d in epic_days.values())
                            or len(epic_days) < len(scenario.epics))
    busy = seen.busy if log.warmup_days == 0.0 else busy_days(log)
    util = utilisation(log, ends, busy)
    row.update({f"util:{t}": util.get(t, NAN) for t in scenario.teams})
    flows = _flow(log, seen)
    for key in flow_keys(scenario):
        f = flows.get(key)
        for field in FLOW_FIELDS:
            row[f"flow:{key}:{field}"] = getattr(f, field) if f else NAN
    row["end_day"] = log.end_time
    row["scope_items"] = float(came + log.unreleased)
    return row


def burnup(log: RunLog, step_days: int = 7) -> np.ndarray:
    """Items done by the end of each ``step_days`` period, from day 0 to the horizon."""
    return _burnup(_visits(log).done, log.horizon_days, step_days)


def _burnup(times: list[float], horizon_days: int, step_days: int = 7) -> np.ndarray:
    """`burnup` from the times items were done."""
    edges = np.arange(step_days, horizon_days + step_days, step_days, dtype=float)
    done = np.sort(np.array(times, dtype=float))
    return np.searchsorted(done, edges, side="right").astype(np.int32)


def check_invariants(scenario: Scenario, log: RunLog) -> None:
    """Raise AssertionError if a log breaks a law every run must obey: Little's law over
    [0, last empty moment], services that end before they start, and epics that begin before
    their prerequisites finish. The test suite turns this on for every run it simulates."""
    L, lam, W = littles_law(log)
    if not math.isclose(L, lam * W, rel_tol=1e-9, abs_tol=1e-9):
        raise AssertionError(f"Little's law broken: L={L} but λW={lam * W}")
    starts: dict[tuple[int, str], float] = {}
    for r in log.records:
        if r.event == "start":
            starts[(r.item, r.stage)] = r.time
        elif r.event == "finish" and r.time < starts[(r.item, r.stage)] - 1e-9:
            raise AssertionError(f"item {r.item} finished {r.stage} before it started")
    ready = {r.epic: r.time for r in log.records if r.event == "epic_ready"}
    done = epic_finish_days(log)
    for epic, t in ready.items():
        for dep in scenario.epics[epic].depends_on:
            if not done.get(dep, math.inf) <= t + 1e-9:
                raise AssertionError(f"epic {epic} started at {t} before {dep} finished")
