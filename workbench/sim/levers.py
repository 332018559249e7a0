"""The levers a TPM can pull to make a date, read from a scenario: add people to a team from
a date, move a planned hire earlier, raise a team's focus or WIP limit, buy a risk's named
mitigation, drop epics (lowest priority first, never one a kept epic waits for).

A **candidate** is one setting per lever (0: as planned). `changes` turns it into the dotted
field overrides the scenario loader applies (the same fields a what-if file's `extends` would
change), and `money` and `items_given_up` say what it costs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.scenario.calendar import WorkCalendar
from workbench.scenario.models import Hire, Levers, Scenario

Candidate = tuple[int, ...]  # one setting per lever of the catalogue, 0 = as planned
DEFAULT_RAMP_UP_WEEKS = 4.0
DEFAULT_MENTORING = 0.2
JOIN_STEP_WEEKS = (0, 4, 8)  # default join dates: the earliest, and 4 and 8 weeks later


@dataclass(frozen=True)
class Lever:
    """One thing that can change, with its possible settings (setting 0 is the plan).

    ``kind`` is add (people from ``when``), hire (planned hire ``index`` moved to an earlier
    date of ``dates``), focus, wip, mitigate or drop: the cut line ``epics``, given up one
    rung of ``ladder`` per setting; a rung is (epic index, items it keeps), 0 kept: dropped,
    with every epic before it."""

    kind: str
    name: str  # the team, risk or milestone it acts on
    most: int  # the highest setting
    when: dt.date | None = None
    index: int = 0
    dates: tuple[dt.date, ...] = ()
    epics: tuple[str, ...] = ()
    ladder: tuple[tuple[int, int], ...] = ()

    @property
    def key(self) -> str:
        when = f"@{self.when}" if self.when else ""
        return f"{self.kind}:{self.name}{when}" + (f"#{self.index}" if self.kind == "hire" else "")


@dataclass(frozen=True)
class Catalogue:
    """Every lever of a scenario for one milestone and date, and the bounds between them."""

    scenario: Scenario
    milestone: str
    by: dt.date
    levers: tuple[Lever, ...]
    bounds: Levers
    written: Mapping[str, Any]  # the file's data, before progress: what a what-if changes

    @property
    def plan(self) -> Candidate:
        return (0,) * len(self.levers)

    def steps(self, candidate: Candidate) -> list[Candidate]:
        """Every candidate one setting stronger than ``candidate`` (within the bounds)."""
        out = []
        for i, lever in enumerate(self.levers):
            if candidate[i] < lever.most:
                up = (*candidate[:i], candidate[i] + 1, *candidate[i + 1:])
                if self.allowed(up):
                    out.append(up)
        return out

    def allowed(self, candidate: Candidate) -> bool:
        """At most ``most_added`` people per team, whatever their join dates."""
        added: dict[str, int] = {}
        for lever, setting in zip(self.levers, candidate, strict=True):
            if lever.kind == "add":
                added[lever.name] = added.get(lever.name, 0) + setting
        return all(n <= self.bounds.people.most_added for n in added.values())


def catalogue(scenario: Scenario, milestone: str, by: dt.date, written: Mapping[str, Any]
              ) -> Catalogue:
    """The levers of ``scenario`` for making ``milestone`` by ``by``, within its `levers:`
    section (or the defaults). ``written``: the scenario's data as in its file
    (`load_scenario_data`), which says what is done: a what-if that gives scope up keeps it."""
    bounds = scenario.levers or Levers.model_validate({})
    levers = [*_people(scenario, bounds, by), *_flow(scenario, bounds),
              *_mitigations(scenario, bounds), *_scope(scenario, bounds, milestone)]
    return Catalogue(scenario, milestone, by, tuple(levers), bounds, written)


def _teams_with_work(scenario: Scenario) -> list[str]:
    busy = {e.team for e in scenario.epics.values()} | {a.team for a in scenario.arrivals}
    return [t for t in scenario.teams if t in busy]


def _people(scenario: Scenario, bounds: Levers, by: dt.date) -> list[Lever]:
    p = bounds.people
    earliest = max(p.earliest or scenario.start, scenario.start)
    dates = p.join_dates or tuple(earliest + dt.timedelta(weeks=w) for w in JOIN_STEP_WEEKS)
    teams = p.teams if p.teams is not None else _teams_with_work(scenario)
    out = [Lever("add", t, p.most_added, when=d) for t in teams for d in dates
           if d < by and p.most_added > 0]
    if p.move_hires:
        out += [lever for t in teams for lever in _moved_hires(scenario, t, earliest)]
    return out


def _moved_hires(scenario: Scenario, team: str, earliest: dt.date) -> list[Lever]:
    out = []
    for i, hire in enumerate(scenario.teams[team].hires):
        earlier = tuple(d for d in (hire.date - dt.timedelta(weeks=w) for w in (4, 8))
                        if d >= earliest)
        if earlier:
            out.append(Lever("hire", team, len(earlier), index=i, dates=earlier))
    return out


def _flow(scenario: Scenario, bounds: Levers) -> list[Lever]:
    f, out = bounds.flow, []
    for name in _teams_with_work(scenario):
        team = scenario.teams[name]
        if f.wip and team.wip_limit is not None:
            out.append(Lever("wip", name, 2))
        steps = int((f.most_focus - team.focus) / f.focus_step + 1e-9)
        if f.focus and steps > 0:
            out.append(Lever("focus", name, steps))
    return out


def _mitigations(scenario: Scenario, bounds: Levers) -> list[Lever]:
    if not bounds.mitigations:
        return []
    return [Lever("mitigate", name, 1) for name, risk in scenario.risks.items()
            if risk.mitigation is not None]


def _scope(scenario: Scenario, bounds: Levers, milestone: str) -> list[Lever]:
    s = bounds.scope
    finished = tuple(e for e in scenario.epics if planned_items(scenario, e) == 0)
    order = cut_order(scenario, milestone, (*s.keep, *finished))[: s.most_dropped]
    ladder = tuple(rung for i, e in enumerate(order)
                   for rung in _rungs(i, planned_items(scenario, e), s.cut_parts))
    if not (s.drop and order):
        return []
    return [Lever("drop", milestone, len(ladder), epics=order, ladder=ladder)]


def _rungs(index: int, planned: int, parts: int) -> list[tuple[int, int]]:
    """One epic's rungs of the cut line: the items it keeps after each part is given up
    (each a different count, none of them all or none), then dropping it."""
    rungs, last = [], planned
    for part in range(1, parts):
        kept = planned - math.ceil(planned * part / parts)
        if 0 < kept < last:
            rungs.append((index, kept))
            last = kept
    return [*rungs, (index, 0)]


def scope_cut(lever: Lever, setting: int) -> tuple[tuple[str, ...], tuple[str, int] | None]:
    """What a setting of the scope lever gives up: the epics dropped whole, and the epic
    cut part-way with the items it keeps (None: none is)."""
    if not setting:
        return (), None
    index, kept = lever.ladder[setting - 1]
    if not kept:
        return lever.epics[: index + 1], None
    return lever.epics[:index], (lever.epics[index], kept)


def cut_order(scenario: Scenario, milestone: str, keep: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The milestone's epics in the order they would be given up: lowest priority first (the
    team's priority, else the file's order), never one that an epic still kept depends on,
    and never the milestone's last epic."""
    names = list(scenario.epics)
    rank = {e: (ep.priority if ep.priority is not None else 0, names.index(e))
            for e, ep in scenario.epics.items()}
    candidates = sorted((e for e in scenario.milestones[milestone].epics
                         if e not in keep and scenario.epics[e].team is not None),
                        key=lambda e: rank[e], reverse=True)
    kept, order = set(names), []
    for _ in range(len(scenario.milestones[milestone].epics) - 1):
        free = next((e for e in candidates if e not in order and not _needed(scenario, e, kept)),
                    None)
        if free is None:
            break
        order.append(free)
        kept.discard(free)
    return tuple(order)


def _needed(scenario: Scenario, epic: str, kept: set[str]) -> bool:
    return any(epic in scenario.epics[k].depends_on for k in kept if k != epic)


# --- a candidate as field changes ---------------------------------------------------------------

def changes(cat: Catalogue, candidate: Candidate) -> dict[str, Any]:
    """The dotted field overrides that make ``candidate`` (empty for the plan): what the
    loader's overrides apply, and what a what-if file that `extends` the scenario writes."""
    out: dict[str, Any] = {}
    for lever, setting in zip(cat.levers, candidate, strict=True):
        if setting:
            _change(cat, lever, setting, out)
    return out


def _change(cat: Catalogue, lever: Lever, setting: int, out: dict[str, Any]) -> None:
    s, team = cat.scenario, cat.scenario.teams.get(lever.name)
    if lever.kind in ("add", "hire"):
        key = f"teams.{lever.name}.hires"
        hires = out.get(key) or [_plain_hire(h) for h in team.hires]  # type: ignore[union-attr]
        if lever.kind == "add":
            hires.append(_new_hire(cat, lever, setting))
        else:
            hires[lever.index]["date"] = lever.dates[setting - 1]
        out[key] = hires
    elif lever.kind == "focus":
        out[f"teams.{lever.name}.focus"] = round(team.focus + setting *  # type: ignore[union-attr]
                                                 cat.bounds.flow.focus_step, 6)
    elif lever.kind == "wip":
        out[f"teams.{lever.name}.wip_limit"] = team.wip_limit + setting  # type: ignore[union-attr,operator]
    elif lever.kind == "mitigate":
        out[f"risks.{lever.name}.probability"] = s.risks[lever.name].mitigation.probability  # type: ignore[union-attr]
    else:
        _give_up(cat, lever, setting, out)


def _plain_hire(hire: Hire) -> dict[str, Any]:
    return hire.model_dump(exclude_defaults=True)


def _new_hire(cat: Catalogue, lever: Lever, count: int) -> dict[str, Any]:
    ramp, mentoring = ramp_up(cat, lever.name)
    hire: dict[str, Any] = {"date": lever.when, "count": count}
    if ramp:
        hire["ramp_up_weeks"] = ramp
    if mentoring:
        hire["mentoring"] = mentoring
    return hire


def ramp_up(cat: Catalogue, team: str) -> tuple[float, float]:
    """Ramp-up weeks and mentoring share of a new person: the `levers:` section's, else as
    the team's first planned hire, else the defaults."""
    p, planned = cat.bounds.people, cat.scenario.teams[team].hires
    ramp = p.ramp_up_weeks if p.ramp_up_weeks is not None else (
        planned[0].ramp_up_weeks if planned else DEFAULT_RAMP_UP_WEEKS)
    mentoring = p.mentoring if p.mentoring is not None else (
        planned[0].mentoring if planned else DEFAULT_MENTORING)
    return ramp, mentoring


def _give_up(cat: Catalogue, lever: Lever, setting: int, out: dict[str, Any]) -> None:
    """A dropped epic keeps only its items already done, and no scope risk adds to it; a cut
    one keeps those and its first items left (the file's order: its last go first)."""
    epics, cut = scope_cut(lever, setting)
    for epic in epics:
        out[f"epics.{epic}.items"] = _written_items(cat, epic, 0)
        out.update(_no_scope_growth(cat.scenario, epic))
    if cut is not None:
        out[f"epics.{cut[0]}.items"] = _written_items(cat, *cut)
    for name, m in cat.scenario.milestones.items():
        left = [e for e in m.epics if e not in epics]
        if len(left) < len(m.epics) and left:
            out[f"milestones.{name}.epics"] = left


def _no_scope_growth(scenario: Scenario, epic: str) -> dict[str, Any]:
    """The fields that stop scope risks adding items to a dropped epic (their items would
    still take the team's time): the impact goes, or the risk when it has no other."""
    out: dict[str, Any] = {}
    for name, risk in scenario.risks.items():
        if risk.add_items is not None and risk.add_items.epic == epic:
            alone = risk.delay is None and risk.capacity is None
            out[f"risks.{name}.probability" if alone else f"risks.{name}.add_items"] = \
                0.0 if alone else None
    return out


def _written_items(cat: Catalogue, epic: str, keep: int) -> Any:
    """An epic's `items` as its file would say it with ``keep`` items left to do: a count
    (plus those done), or the file's list with its done items and ``keep`` others: those
    started first (work already spent), then the first ones not started."""
    spec = cat.written["epics"][epic]
    items = spec.get("items")
    if not isinstance(items, list):
        return keep + int(spec.get("done") or 0)
    open_ = [i for i, item in enumerate(items) if not _done(item)]
    left = sorted(open_, key=lambda i: not _started(items[i]))[:keep]
    kept = [item for i, item in enumerate(items) if _done(item) or i in left]
    return kept or 0


def _done(item: Any) -> bool:
    return isinstance(item, Mapping) and item.get("done") is True


def _started(item: Any) -> bool:
    return isinstance(item, Mapping) and item.get("remaining_days") is not None


# --- what a candidate costs ---------------------------------------------------------------------

def money(cat: Catalogue, candidate: Candidate) -> float:
    """What ``candidate`` costs in the scenario's currency: people paid from their join date
    to the target date, hires paid earlier, time moved to others for focus, mitigations."""
    return sum(lever_money(cat, lever, setting)
               for lever, setting in zip(cat.levers, candidate, strict=True) if setting)


def lever_money(cat: Catalogue, lever: Lever, setting: int) -> float:
    """The cost of one lever at one setting."""
    s = cat.scenario
    if lever.kind == "mitigate":
        return s.risks[lever.name].mitigation.cost  # type: ignore[union-attr]
    if lever.kind in ("wip", "drop"):
        return 0.0
    team = s.teams[lever.name]
    rate = team.cost_per_person_day
    if lever.kind == "add":
        return setting * rate * working_days(cat, lever.name, lever.when, cat.by)  # type: ignore[arg-type]
    if lever.kind == "hire":
        hire = team.hires[lever.index]
        first = lever.dates[setting - 1]
        return hire.count * rate * working_days(cat, lever.name, first,
                                                hire.date - dt.timedelta(days=1))
    extra = setting * cat.bounds.flow.focus_step  # focus
    return extra * team.head_count * rate * working_days(cat, lever.name, s.start, cat.by)


def working_days(cat: Catalogue, team: str, first: dt.date, last: dt.date) -> int:
    """Working days of ``team``'s calendar from ``first`` to ``last``, both included."""
    if last < first:
        return 0
    calendar = cat.scenario.teams[team].calendar or cat.scenario.calendar
    days = (last - first).days + 1
    return int(WorkCalendar.from_scenario(calendar).working_days(first, days).sum())


def items_given_up(cat: Catalogue, candidate: Candidate) -> int:
    """Planned items (left to do) that ``candidate`` gives up: the epics it drops and the
    part it cuts of the next one (before any scope growth)."""
    total = 0
    for lever, setting in zip(cat.levers, candidate, strict=True):
        if lever.kind == "drop":
            epics, cut = scope_cut(lever, setting)
            total += sum(planned_items(cat.scenario, e) for e in epics)
            total += planned_items(cat.scenario, cut[0]) - cut[1] if cut else 0
    return total


def dropped(cat: Catalogue, candidate: Candidate) -> tuple[str, ...]:
    """The epics ``candidate`` gives up whole, in cut order."""
    return tuple(e for lever, setting in zip(cat.levers, candidate, strict=True)
                 if lever.kind == "drop" for e in scope_cut(lever, setting)[0])


def part_cut(cat: Catalogue, candidate: Candidate) -> tuple[str, int] | None:
    """The epic ``candidate`` cuts part-way, with the items it keeps (None: none)."""
    for lever, setting in zip(cat.levers, candidate, strict=True):
        if lever.kind == "drop":
            return scope_cut(lever, setting)[1]
    return None


def planned_items(scenario: Scenario, epic: str) -> int:
    """Items an epic has left to do, as planned (before any scope growth)."""
    items = scenario.epics[epic].items
    return items if isinstance(items, int) else len(items or ())
