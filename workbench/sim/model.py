"""The SimPy model: a scenario played out once.

Actors are short generator functions (`worker`, `epic_gate`, `arrivals`, `risk_event`,
`interrupts`); they only move items between queues and append `Record`s to the log. Shared
state lives in `Run`/`TeamFlow` (queues and WIP counts); numbers come from `metrics`.

How work flows: ready epics put their items in the team's backlog; the team releases items into
its first stage while it is under its WIP limit; each stage has a queue that its people take
items from (by epic priority, or by reserved capacity share); a finished item moves to the next
stage when that stage has room (its WIP limit), may be sent back (rework), and leaves when done.
"""

from __future__ import annotations

import math
import zlib
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Generator, Iterator
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np
import simpy

from workbench.files.collector import no_cyclic_gc
from workbench.scenario.distributions import Distribution
from workbench.scenario.models import Arrival, Epic, Rework, Scenario
from workbench.sim.capacity import (
    INF,
    KeptCache,
    WorkerSlot,
    build_team,
    calendar_of,
    paid_days,
    team_days,
)
from workbench.sim.records import Record, RunLog, TeamCapacity

DONE = -1
_new = tuple.__new__  # Record(...) via tuple.__new__: 2.5x cheaper on the hot path, same record
Effort = Distribution | dict[str, Distribution]


def stream(seed: int, rep: int, source: str) -> np.random.Generator:
    """The random stream of one source in one replication.

    Equivalent to ``SeedSequence(seed).spawn(...)`` children: the spawn key is (replication,
    CRC-32 of the source name), so adding a risk or an epic leaves every other stream as it was
    (what-ifs compare like with like) and the numbers never depend on the worker count.
    """
    key = (rep, zlib.crc32(source.encode()))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


class Draws:
    """Draws from one distribution, sampled in blocks (one numpy call per block, not per item)."""

    def __init__(self, dist: Distribution, rng: np.random.Generator, block: int = 256) -> None:
        self.dist, self.rng, self.block = dist, rng, block
        self._it: Iterator[float] = iter(())

    def __call__(self) -> float:
        for x in self._it:
            return x
        self._it = iter(self.dist.sample(self.rng, self.block).tolist())
        return next(self._it)


class WorkItem:
    """A unit of work moving through a team's stages."""

    __slots__ = ("id", "epic", "lane", "efforts", "stage", "remaining")

    def __init__(self, id: int, epic: str, lane: tuple[int, int], efforts: list[float | None]
                 ) -> None:
        self.id, self.epic, self.lane, self.efforts = id, epic, lane, efforts
        self.stage = DONE  # index of the stage it is in (DONE: not in any stage)
        self.remaining = 0.0  # effort left at the current stage (person-days)


class WorkQueue:
    """Items waiting, taken by lane priority, or by reserved capacity share where epics have one.

    Shares are weighted fair queueing on effort: the lane furthest below its share goes next,
    and a lane with nothing waiting lends its capacity to the others.
    """

    def __init__(self, env: simpy.Environment, shares: dict[str, float],
                 whole_items: bool = False) -> None:
        self.env = env
        # A backlog counts an item's whole effort when it lets it in (its stage efforts are not
        # started yet); a stage queue counts the effort left at that stage.
        self.whole_items = whole_items
        self.lanes: dict[tuple[int, int], deque[WorkItem]] = {}
        self.order: list[tuple[int, int]] = []
        self.ordered: list[deque[WorkItem]] = []  # the lanes in `order`
        self.getters: deque[simpy.Event] = deque()
        self.shares = shares
        self.rest = max(0.0, 1.0 - sum(shares.values()))
        self.served: dict[str, float] = dict.fromkeys([*shares, ""], 0.0)
        self.size = 0

    def put(self, item: WorkItem, front: bool = False) -> None:
        if self.getters:
            if self.shares:
                self._served(item)
            self.getters.popleft().succeed(item)
            return
        lane = self.lanes.get(item.lane)
        if lane is None:
            lane = self.lanes[item.lane] = deque()
            self.order = sorted(self.lanes)
            self.ordered = [self.lanes[k] for k in self.order]
        lane.appendleft(item) if front else lane.append(item)
        self.size += 1

    def wait(self) -> simpy.Event:
        """An event with the next item put (when `take` found none)."""
        event = simpy.Event(self.env)
        self.getters.append(event)
        return event

    def cancel(self, event: simpy.Event) -> None:
        if event in self.getters:
            self.getters.remove(event)

    def take(self) -> WorkItem | None:
        if not self.size:
            return None
        if self.shares:
            lane = self._pick()
        else:
            for lane in self.ordered:  # noqa: B007 (the first lane with an item waiting)
                if lane:
                    break
        item = lane.popleft()
        self.size -= 1
        if self.shares:
            self._served(item)
        return item

    def _pick(self) -> deque[WorkItem]:
        best, best_ratio = None, INF
        for key in self.order:
            lane = self.lanes[key]
            if not lane:
                continue
            group = lane[0].epic if lane[0].epic in self.shares else ""
            weight = self.shares.get(group, self.rest)
            ratio = self.served[group] / weight if weight > 0 else INF
            if best is None or ratio < best_ratio:
                best, best_ratio = lane, ratio
        assert best is not None
        return best

    def _served(self, item: WorkItem) -> None:
        group = item.epic if item.epic in self.shares else ""
        self.served[group] += sum(e for e in item.efforts if e) if self.whole_items \
            else item.remaining


class TeamFlow:
    """A team's queues and WIP counts during one run."""

    def __init__(self, run: Run, name: str, stages: tuple[str, ...], limits: list[int | None],
                 wip_limit: int | None, shares: dict[str, float]) -> None:
        env = self.env = run.env
        self.log = run.log
        self.run, self.name, self.stages = run, name, stages
        self.backlog = WorkQueue(env, shares, whole_items=True)
        self.queues = [WorkQueue(env, shares if i == 0 else {}) for i in range(len(stages))]
        self.count = [0] * len(stages)
        # the stages after each one (index + 1; the first entry: all of them), made once
        self.after = [range(i, len(stages)) for i in range(len(stages) + 1)]
        self.limits = limits
        self.blocked: list[deque[WorkItem]] = [deque() for _ in stages]
        self.wip, self.wip_limit = 0, wip_limit
        self.handover_cost = run.scenario.teams[name].handover_cost_days

    def release(self) -> None:
        """Start backlog items while the team is under its WIP limit."""
        while self.backlog.size and (self.wip_limit is None or self.wip < self.wip_limit):
            item = self.backlog.take()
            assert item is not None
            self._admit(item)

    def arrive(self, item: WorkItem) -> None:
        """An item from an arrival stream: turned away when the team is at its WIP limit."""
        if self.wip_limit is not None and self.wip >= self.wip_limit:
            self.log(Record(self.env.now, "reject", item.id, item.epic, self.name))
            return
        self._admit(item)

    def _admit(self, item: WorkItem) -> None:
        self.wip += 1
        self.log(_new(Record, (self.env.now, "arrive", item.id, item.epic, self.name, "", -1,
                               0.0)))
        self.move(item, self.next_stage(item, -1))

    def next_stage(self, item: WorkItem, after: int) -> int:
        for s in self.after[after + 1]:
            if item.efforts[s] is not None:
                return s
        return DONE

    def move(self, item: WorkItem, to: int) -> None:
        """Take an item to stage ``to`` (or out of the system), if that stage has room."""
        frm = item.stage
        if to == DONE:
            self._leave(frm)
            self.wip -= 1
            self.run.item_done(self, item)
            self.release()
            return
        limit = self.limits[to]
        if limit is not None and self.count[to] >= limit:
            # done here but the next stage is full: it waits, visibly (flow: "waiting for ...")
            self.log(Record(self.env.now, "blocked", item.id, item.epic, self.name,
                            self.stages[to]))
            self.blocked[to].append(item)
            return
        self.count[to] += 1
        item.stage = to
        item.remaining = item.efforts[to] or 0.0
        self.log(_new(Record, (self.env.now, "queue", item.id, item.epic, self.name,
                               self.stages[to], -1, 0.0)))
        self.queues[to].put(item)
        if frm != DONE:
            self._leave(frm)

    def _leave(self, stage: int) -> None:
        if stage == DONE:
            return
        self.count[stage] -= 1
        if self.blocked[stage]:
            waiting = self.blocked[stage].popleft()
            self.move(waiting, stage)


class Run:
    """Shared state of one replication: the environment, the log, teams, epics."""

    def __init__(self, scenario: Scenario, seed: int, rep: int) -> None:
        self.scenario, self.seed, self.rep = scenario, seed, rep
        self.env = simpy.Environment()
        self.records: list[Record] = []
        self.log: Callable[[Record], None] = self.records.append
        self.next_id = 0
        self.horizon = scenario.horizon_days
        self.fired = {name: _fires(stream(seed, rep, f"risk:{name}"), r.probability)
                      for name, r in scenario.risks.items()}
        self.flows: dict[str, TeamFlow] = {}
        self.people: dict[str, list[WorkerSlot]] = {}
        self.epic_left: dict[str, int] = {}
        self.epic_ready: set[str] = set()
        self.epic_done = {name: self.env.event() for name in scenario.epics}
        self.done_times: list[float] = []  # of the epic_done records, as they are logged
        self.reworks: dict[str, tuple[Rework, Callable[[], float]]] = {}
        self.efforts: dict[str, tuple[Effort, np.random.Generator]] = {}
        # items a scope risk added before the epic began
        self.pending: dict[str, list[WorkItem]] = {}
        self.lanes: dict[str, tuple[int, int]] = _lanes(scenario)
        self.processes: list[simpy.Process] = []

    def stream(self, source: str) -> np.random.Generator:
        return stream(self.seed, self.rep, source)

    def start(self, actor: Generator[Any, Any, None]) -> None:
        """Start an actor, kept so that `dismantle` can let go of it after the run."""
        self.processes.append(self.env.process(actor))

    def dismantle(self) -> None:
        """Break the run's reference cycles (an actor waiting on an event the event calls
        back; a team and its run), so that reference counting frees a finished run at once
        and the cycle collector has nothing to search (it cost a tenth of a replication)."""
        for process in self.processes:
            process._target = None  # type: ignore[assignment]
            # a suspended actor's frame holds the event it waits on, whose callback is the
            # actor's process: closing the generator lets go of both
            process._generator.close()
        for event in self.epic_done.values():
            event.callbacks = None  # type: ignore[assignment]
        self.env._queue.clear()
        for flow in self.flows.values():
            for queue in (flow.backlog, *flow.queues):
                queue.getters.clear()
            del flow.run
        self.processes.clear()

    def new_item(self, epic: str, lane: tuple[int, int], efforts: list[float | None]) -> WorkItem:
        self.next_id += 1
        return WorkItem(self.next_id, epic, lane, efforts)

    def item_done(self, team: TeamFlow, item: WorkItem) -> None:
        now = self.env.now
        self.log(_new(Record, (now, "done", item.id, item.epic, team.name, "", -1, 0.0)))
        if item.epic in self.epic_left:
            self.epic_left[item.epic] -= 1
            self.check_epic(item.epic)

    def check_epic(self, epic: str) -> None:
        if self.epic_left[epic] == 0 and epic in self.epic_ready:
            self.log(Record(self.env.now, "epic_done", -1, epic,
                            self.scenario.epics[epic].team or ""))
            self.done_times.append(self.env.now)
            if not self.epic_done[epic].triggered:
                self.epic_done[epic].succeed()

    def finished_stage(self, team: TeamFlow, item: WorkItem) -> None:
        """After a stage: rework back to an earlier stage, or on to the next."""
        stage = item.stage
        rework = self.reworks.get(item.epic)
        if rework is not None and team.stages[stage] == rework[0].from_ \
                and rework[1]() < rework[0].probability:
            back = team.stages.index(rework[0].to)
            dist, rng = self.efforts[item.epic]
            item.efforts[back:stage + 1] = _sample_efforts(dist, team.stages[back:stage + 1], rng)
            self.log(Record(self.env.now, "rework", item.id, item.epic, team.name,
                            team.stages[back]))
            team.move(item, back)
            return
        team.move(item, team.next_stage(item, stage))


# --- actors ---------------------------------------------------------------------------------

def worker(run: Run, team: TeamFlow, person: WorkerSlot, stage: int) -> Generator[Any, Any, None]:
    """A person: take the next item of their stage, work it at their capacity, pass it on."""
    env, queue, log = run.env, team.queues[stage], run.log
    name, stage_name, index = team.name, team.stages[stage], person.index
    # Looked up once: a person's curves do not change during a run (the hot path's cost).
    timeout, take, wait, finish_time = env.timeout, queue.take, queue.wait, person.finish_time
    if person.first_day > 0:
        yield timeout(person.first_day)
    last_day = person.last_day
    leaves = last_day < run.horizon
    daily = person.daily if person.rate is None else None
    stop_day = min(last_day, run.horizon)
    # the days long absences begin, and the next one after now (a person's clock only moves on)
    aways, next_away, n_aways = person.away_starts, 0, len(person.away_starts)
    while True:
        now = env.now  # read again only after a yield (the clock moves only then)
        if daily is not None:  # off today (weekend, holiday, time off): don't hold work
            ready = int(now)  # the first day from today on with capacity, looked up day by day
            while ready < stop_day and daily[ready] <= 0:
                ready += 1
            if ready >= stop_day:
                return
            if ready > now:
                yield timeout(ready - now)
                now = env.now
        item = take()  # busy periods: no event needed when work is waiting
        if item is None:
            get = wait()
            if leaves:
                yield get | timeout(max(last_day - now, 0))
                if not get.triggered:
                    queue.cancel(get)
                    return
            item = yield get
            now = env.now
        start, effort = now, item.remaining
        end = finish_time(start, effort)
        log(_new(Record, (start, "start", item.id, item.epic, name, stage_name, index, effort)))
        while next_away < n_aways and aways[next_away] <= start:
            next_away += 1
        away = aways[next_away] if next_away < n_aways and \
            aways[next_away] < (end if end < last_day else last_day) else None
        if away is not None:  # away for long before it is done: a colleague takes it over
            yield timeout(away - start)
            _hand_over(run, team, person, stage, item, effort - person.work_done(start, away))
            continue
        if end > last_day:  # (INF, not within reach, is too)
            if not leaves:  # beyond the horizon: the run stops before this item is done
                log(Record(start, "cut", item.id, item.epic, name, stage_name, index,
                           effort - person.work_done(start, run.horizon)))
                return
            yield timeout(max(last_day - start, 0))
            item.remaining = effort - person.work_done(start, env.now)
            log(Record(env.now, "stop", item.id, item.epic, name, stage_name, index,
                       item.remaining))
            queue.put(item, front=True)
            return
        yield timeout(end - start)
        log(_new(Record, (end, "finish", item.id, item.epic, name, stage_name, index, effort)))
        run.finished_stage(team, item)


def _hand_over(run: Run, team: TeamFlow, person: WorkerSlot, stage: int, item: WorkItem,
               remaining: float) -> None:
    """The item goes back to the front of its stage's queue with the work left (plus the
    team's hand-over cost), for whoever is there."""
    run.log(Record(run.env.now, "handover", item.id, item.epic, team.name, team.stages[stage],
                   person.index, remaining))
    item.remaining = remaining + team.handover_cost
    team.queues[stage].put(item, front=True)


def epic_gate(run: Run, name: str, epic: Epic, lane: tuple[int, int], delay_days: float
              ) -> Generator[Any, Any, None]:
    """An epic: wait for its dependencies, its earliest start and any delay risk, then release
    its items (an external delivery: arrive on its drawn date)."""
    env = run.env
    deps = [run.epic_done[d] for d in epic.depends_on]
    if deps:
        yield env.all_of(deps)
    earliest = run.scenario.day_of(epic.not_before) if epic.not_before else 0
    if earliest > env.now:
        yield env.timeout(earliest - env.now)
    if delay_days > 0:
        yield env.timeout(delay_days)
    if epic.delivery is not None:
        arrives = float(epic.delivery.days(run.scenario.start).sample(
            run.stream(f"delivery:{name}"), 1)[0])
        if arrives > env.now:
            yield env.timeout(arrives - env.now)
    run.log(Record(env.now, "epic_ready", -1, name, epic.team or ""))
    run.epic_ready.add(name)
    if epic.team is None:
        run.check_epic(name)  # nothing to do: it has arrived
        return
    team = run.flows[epic.team]
    for efforts in _epic_efforts(run, name, epic):
        team.backlog.put(run.new_item(name, lane, efforts))
    run.check_epic(name)
    team.release()


def arrivals(run: Run, arrival: Arrival, lane: tuple[int, int]) -> Generator[Any, Any, None]:
    """A stream of work arriving at random (Poisson) times."""
    env, team = run.env, run.flows[arrival.team]
    gap = Draws(Distribution(kind="exponential", params=(1 / arrival.rate_per_day,)),
                run.stream(f"arrivals:{arrival.name}"))
    stages = team.stages
    draw = _stage_draws(arrival.effort_days, stages, run.stream(f"effort:{arrival.name}"))
    while True:
        yield env.timeout(gap())
        team.arrive(run.new_item(arrival.name, lane, [d() if d else None for d in draw]))


def add_items(run: Run, epic: str, count: int, at_day: float) -> Generator[Any, Any, None]:
    """A scope risk: items added to an epic when it fires."""
    if at_day > 0:
        yield run.env.timeout(at_day)
    spec = run.scenario.epics[epic]
    assert spec.team is not None  # the rules refuse scope risks on external deliveries
    team = run.flows[spec.team]
    run.log(Record(run.env.now, "risk", -1, epic, spec.team, "", -1, float(count)))
    run.epic_left[epic] += count
    dist, rng = run.efforts[epic]
    for _ in range(count):
        item = run.new_item(epic, run.lanes[epic], _sample_efforts(dist, team.stages, rng))
        if epic in run.epic_ready:
            team.backlog.put(item)
        else:
            run.pending.setdefault(epic, []).append(item)
    team.release()


# --- set-up ---------------------------------------------------------------------------------

def simulate_once(scenario: Scenario, seed: int = 0, rep: int = 0) -> RunLog:
    """Play the scenario out once; the same (seed, rep) always gives the same log."""
    run = Run(scenario, seed, rep)
    lost = _capacity_losses(run)
    lanes = run.lanes
    delays = _delays(run)
    capacity: dict[str, TeamCapacity] = {}
    # Interrupts are known up front (their cost is in the capacity curves): no actor needed.
    interrupts: dict[str, list[tuple[float, int, float]]] = {}
    for name, team in scenario.teams.items():
        load = _interrupt_load(run, name)
        work = team_days(scenario, team)
        people = build_team(scenario, name, work, lost.get(name, []), load)
        run.people[name] = people
        shares = {e: spec.capacity_share for e, spec in scenario.epics.items()
                  if spec.team == name and spec.capacity_share}
        stages = team.stage_names
        limits: list[int | None] = (
            [team.stages[s].wip_limit for s in stages] if team.stages else [None])
        flow = run.flows[name] = TeamFlow(run, name, stages, limits, team.wip_limit, shares)
        for person in people:
            run.start(worker(run, flow, person, stages.index(person.stage)))
        interrupts[name] = load
        paid = paid_days(calendar_of(scenario, team), scenario.start, scenario.horizon_days)
        capacity[name] = _team_capacity(name, stages, people, paid)
    for name, epic in scenario.epics.items():
        run.efforts[name] = (epic.effort_days or Distribution(kind="fixed", params=(0.0,)),
                             run.stream(f"effort:{name}"))
        if epic.rework:
            run.reworks[name] = (epic.rework, Draws(_UNIFORM, run.stream(f"rework:{name}")))
        run.epic_left[name] = _item_count(run, name, epic)
    for arrival in scenario.arrivals:
        if arrival.rework:
            run.reworks[arrival.name] = (arrival.rework,
                                         Draws(_UNIFORM, run.stream(f"rework:{arrival.name}")))
        run.efforts[arrival.name] = (arrival.effort_days,
                                     run.stream(f"rework-effort:{arrival.name}"))
        run.start(arrivals(run, arrival, lanes[arrival.name]))
    for name, epic in scenario.epics.items():
        run.start(epic_gate(run, name, epic, lanes[name], delays.get(name, 0.0)))
    _start_scope_risks(run)
    with no_cyclic_gc():
        run.env.run(until=scenario.horizon_days)
        run.dismantle()
    end = _end_time(run)
    if any(interrupts.values()):  # logged up to the end (records made only for those)
        upto = (end, INF, INF)  # each load is in time order: past the end, none is logged
        run.records.extend(_new(Record, (t, "interrupt", -1, "", name, "", -1, e))
                           for name, load in interrupts.items()
                           for t, _, e in load[:bisect_right(load, upto)])
        run.records.sort(key=itemgetter(0))  # by time; stable: same-time events keep their order
    team_stages = {name: flow.stages for name, flow in run.flows.items()}
    unreleased = sum(flow.backlog.size for flow in run.flows.values()) + sum(
        left for e, left in run.epic_left.items() if e not in run.epic_ready)
    return RunLog(run.records, end, scenario.horizon_days, scenario.warmup_days, capacity,
                  team_stages, rep, unreleased)


_UNIFORM = Distribution(kind="uniform", params=(0.0, 1.0))


def _fires(rng: np.random.Generator, probability: float) -> bool:
    return bool(rng.random() < probability)


def _lanes(scenario: Scenario) -> dict[str, tuple[int, int]]:
    """Queue order: explicit priority first (lower goes first), then order in the file."""
    lanes = {}
    for i, (name, epic) in enumerate(scenario.epics.items()):
        lanes[name] = (epic.priority if epic.priority is not None else i, i)
    for j, arrival in enumerate(scenario.arrivals):
        lanes[arrival.name] = (arrival.priority, len(scenario.epics) + j)
    return lanes


def _delays(run: Run) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, risk in run.scenario.risks.items():
        if run.fired[name] and risk.delay:
            days = float(risk.delay.days.sample(run.stream(f"risk-impact:{name}"), 1)[0])
            out[risk.delay.epic] = out.get(risk.delay.epic, 0.0) + days
    return out


def _capacity_losses(run: Run) -> dict[str, list[tuple[int, int, int]]]:
    out: dict[str, list[tuple[int, int, int]]] = {}
    for name, risk in run.scenario.risks.items():
        impact = risk.capacity
        if not (run.fired[name] and impact):
            continue
        start = impact.start or risk.at or run.scenario.start
        end = run.scenario.day_of(impact.end) + 1 if impact.end else None
        out.setdefault(impact.team, []).append(
            (run.scenario.day_of(start), end, impact.members))  # type: ignore[arg-type]
    return out


def _start_scope_risks(run: Run) -> None:
    for name, risk in run.scenario.risks.items():
        if run.fired[name] and risk.add_items:
            rng = run.stream(f"risk-impact:{name}")
            count = max(0, round(float(risk.add_items.items.sample(rng, 1)[0])))
            at = run.scenario.day_of(risk.at) if risk.at else 0
            run.start(add_items(run, risk.add_items.epic, count, at))


def _interrupt_load(run: Run, team: str) -> list[tuple[float, int, float]]:
    spec = run.scenario.teams[team].interrupts
    if spec is None or spec.rate_per_week <= 0:
        return []
    rng = run.stream(f"interrupts:{team}")
    horizon = run.scenario.horizon_days
    n = int(rng.poisson(spec.rate_per_week / 7 * horizon))
    times = np.sort(rng.uniform(0, horizon, n))
    picks = rng.integers(0, 1 << 30, n)
    efforts = spec.effort_days.sample(rng, n)
    return list(zip(times.tolist(), picks.tolist(), efforts.tolist(), strict=True))


def _item_count(run: Run, name: str, epic: Epic) -> int:
    if epic.items is None:  # an external delivery
        return 0
    base = epic.items if isinstance(epic.items, int) else len(epic.items)
    if epic.split_rate is None or base == 0:
        return base
    low, high = epic.split_rate
    factor = float(run.stream(f"scope:{name}").uniform(low, high))
    return math.ceil(base * factor - 1e-9)


def _epic_efforts(run: Run, name: str, epic: Epic) -> list[list[float | None]]:
    """Per-item, per-stage efforts of an epic, drawn in one go from the epic's stream."""
    assert epic.team is not None  # only epics with a team have items
    stages = run.flows[epic.team].stages
    dist, rng = run.efforts[name]
    count = run.epic_left[name] - len(run.pending.get(name, []))
    explicit = list(epic.items) if isinstance(epic.items, tuple) else []
    out = []
    columns = [_stage_dist(dist, s) for s in stages]
    drawn = [c.sample(rng, count).tolist() if c is not None else repeat(None, count)
             for c in columns]
    for i, efforts in enumerate(zip(*drawn, strict=True)):  # one from each stage column
        own = explicit[i].effort_days if i < len(explicit) else None
        out.append(list(efforts) if own is None else _sample_efforts(own, stages, rng))
    return out + [item.efforts for item in run.pending.pop(name, [])]


def _stage_dist(effort: Effort, stage: str) -> Distribution | None:
    if isinstance(effort, Distribution):
        return effort
    return effort.get(stage)


def _sample_efforts(effort: Effort, stages: tuple[str, ...] | list[str],
                    rng: np.random.Generator) -> list[float | None]:
    out: list[float | None] = []
    for s in stages:
        d = _stage_dist(effort, s)
        out.append(float(d.sample(rng, 1)[0]) if d is not None else None)
    return out


def _stage_draws(effort: Effort, stages: tuple[str, ...], rng: np.random.Generator
                 ) -> list[Draws | None]:
    out: list[Draws | None] = []
    for s in stages:
        d = _stage_dist(effort, s)
        out.append(Draws(d, rng) if d is not None else None)
    return out


_CAPACITY = KeptCache(64)


def _team_capacity(name: str, stages: tuple[str, ...], people: list[WorkerSlot],
                   weekdays: np.ndarray) -> TeamCapacity:
    """The team's capacity curves; worked out once for a team no risk or interrupt changed
    (its people are then the scenario's shared, read-only slots)."""
    kept: TeamCapacity | None = _CAPACITY.get((people, weekdays))
    if kept is not None:
        return kept
    made = _sum_capacity(name, stages, people, weekdays)
    if all(not p.cap.flags.writeable for p in people):  # the shared slots: keep the sum
        for a in made.available.values():
            a.setflags(write=False)
        _CAPACITY.put((people, weekdays), (), made)
    return made


def _sum_capacity(name: str, stages: tuple[str, ...], people: list[WorkerSlot],
                  weekdays: np.ndarray) -> TeamCapacity:
    available = {s: np.zeros(len(weekdays)) for s in stages}
    for p in people:
        available[p.stage] += p.cap
    return TeamCapacity(name, available, _paid(people, weekdays))


_PAID = KeptCache(64)


def _paid(people: list[WorkerSlot], weekdays: np.ndarray) -> np.ndarray:
    """People on the payroll each day, read-only; worked out once for each set of stays (a
    risk that takes someone for good changes it, interrupts do not)."""
    stays = tuple((p.first_day, p.last_day, p.share) for p in people)
    kept: np.ndarray | None = _PAID.get((weekdays,), stays)
    if kept is not None:
        return kept
    paid = np.zeros(len(weekdays))
    for first, last, share in stays:
        stay = slice(max(first, 0), max(last, 0))  # paid nothing outside it
        paid[stay] += weekdays[stay] * share
    paid.setflags(write=False)
    return _PAID.put((weekdays,), stays, paid)


def _end_time(run: Run) -> float:
    """When all planned work was done; the horizon when anything is unfinished or flowing."""
    if run.scenario.arrivals or any(left > 0 for left in run.epic_left.values()) \
            or len(run.epic_ready) < len(run.scenario.epics):
        return float(run.horizon)
    return max(run.done_times, default=0.0)
