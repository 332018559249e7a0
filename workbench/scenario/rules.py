"""What makes a scenario wrong, said so a TPM can fix it in one go.

These are the **rules that span sections** (an epic's team must exist, dependencies must not
loop, a milestone target must not be before the start...), checked by `cross_check` once every
section is valid on its own. A problem is a field path (a tuple of keys and list indexes, as in
the YAML) and a message that
says what is wrong and, in brackets, what is allowed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from workbench.scenario.calendar import regional_holidays
from workbench.scenario.errors import Loc, Problem, ScenarioRuleError, listing

if TYPE_CHECKING:  # the models import this module lazily; a runtime import would be circular
    from workbench.scenario.models import Epic, Rework, Scenario, Team


# The cross-section rules, in the words the reference docs use (docs.py prints this list).
RULES: tuple[str, ...] = (
    "An epic's `team`, an arrival's `team` and a capacity risk's `team` name a team of `teams`.",
    "`depends_on`, a milestone's `epics` and a delay/add_items risk's `epic` name epics of "
    "`epics`.",
    "Dependencies do not loop (the error names the cycle in order: a -> b -> c -> a).",
    "A milestone `target` is not before the scenario `start`.",
    "Per-stage `effort_days` gives exactly the stages of the owning team.",
    "`rework.from` and `rework.to` are stages of the team, and `to` is not after `from`.",
    "The `people` of a team's stages add up to at most its head count.",
    "A person's, hire's or leaver's `stage` is a stage of the team; people's names are unique.",
    "A `time_off.person` names one of the team's named people.",
    "The `capacity_share`s of one team's epics add up to at most 1.",
    "A team's `leavers` are no more than the people it has by then (members plus earlier hires).",
    "A stage that receives work has someone to work it (its `people`, or a hire for it).",
    "A team that has work (epics or arrivals) has capacity: at least one member or hire.",
    "A milestone `target` lies within the horizon (`start` + `horizon_days`).",
    "A holidays `country` whose regions differ (e.g. GB) names its `subdivision`.",
    "An epic has a `team` and `items`, or is an external `delivery` (no team, items or "
    "effort); `not_before` and a delivery's earliest date lie within the horizon.",
    "A person's `allocation` names teams of `teams` and adds up to at most 1; `budget.teams` "
    "names teams of `teams`.",
    "`as_of` lies within the horizon and is not before `start`; an epic's `done` is at most its "
    "item count, and is given only with an item count (a list marks items `done: true`); an "
    "item is either `done: true` or has `remaining_days`, not both.",
    "A risk's `mitigation.probability` is at most the risk's own `probability`.",
    "`levers.people.teams` name teams of `teams`; `levers.scope.keep` names epics of `epics`; "
    "no one joins before the start (`levers.people.earliest`, `join_dates`), and the earliest "
    "and join dates lie within the horizon; `levers.flow.most_focus` is not below a team's "
    "`focus`.",
)


def cross_check(scenario: Scenario) -> None:
    """Raise `ScenarioRuleError` (a ValueError) listing every cross-section rule the scenario
    breaks; its message names the first one with its field path."""
    found = rule_problems(scenario)
    if found:
        raise ScenarioRuleError(found)


def rule_problems(scenario: Scenario) -> list[Problem]:
    """Every cross-section problem of a scenario, in file order; empty when it is sound."""
    return [*_team_problems(scenario), *_epic_problems(scenario), *_cycle_problems(scenario),
            *_milestone_problems(scenario), *_calendar_problems(scenario),
            *_risk_problems(scenario), *_budget_problems(scenario),
            *_allocation_problems(scenario),
            *_arrival_problems(scenario), *_progress_problems(scenario),
            *_lever_problems(scenario)]


def _unknown(kind: str, name: str, known: Iterable[str], label: str = "known") -> str:
    names = list(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown {kind} {name!r} ({hint}{label}: {listing(names)})"


def _stages_label(team_name: str) -> str:
    return f"stages of team {team_name!r}"


def _team_problems(s: Scenario) -> Iterator[Problem]:
    work = _work_by_team(s)
    for name, team in s.teams.items():
        here: Loc = ("teams", name)
        yield from _stage_people(team, here)
        yield from _leaver_count(s, team, here)
        yield from _share_total(s, name, work.get(name, []))
        yield from _capacity_for_work(s, name, team, here, work.get(name, []))
        yield from _people_problems(team, name, here)
        for field in ("hires", "leavers"):
            for i, change in enumerate(getattr(team, field)):
                yield from _stage_ref(team, name, change.stage, (*here, field, i, "stage"))
        for i, off in enumerate(team.time_off):
            yield from _time_off_person(team, name, off.person, (*here, "time_off", i, "person"))


Work = list[tuple[str, Any, float | None]]  # (epic or arrival name, its effort, its share)


def _work_by_team(s: Scenario) -> dict[str, Work]:
    """Each team's epics and arrival streams, found in one pass (big files have many)."""
    out: dict[str, Work] = {}
    for name, epic in s.epics.items():
        if epic.team is not None:  # external deliveries are nobody's work
            out.setdefault(epic.team, []).append((name, epic.effort_days, epic.capacity_share))
    for arrival in s.arrivals:
        out.setdefault(arrival.team, []).append((arrival.name, arrival.effort_days, None))
    return out


def _stage_people(team: Team, here: Loc) -> Iterator[Problem]:
    # Stages without `people` are worked by everyone, so only explicit numbers must fit.
    total = sum(st.people or 0 for st in (team.stages or {}).values())
    if total > team.head_count:
        yield ((*here, "stages"), f"stage people add up to {total} but the team has "
                                  f"{team.head_count} members (allowed: at most {team.head_count})")


def _share_total(s: Scenario, name: str, work: Work) -> Iterator[Problem]:
    shared = [(e, share) for e, _, share in work if share]
    total = sum(share for _, share in shared)
    if total > 1 + 1e-9:
        yield (("epics", shared[-1][0], "capacity_share"), f"the capacity shares of team "
               f"{name!r} add up to {total:g} ({', '.join(f'{e} {v:g}' for e, v in shared)}) "
               "(allowed: at most 1)")


def _leaver_count(s: Scenario, team: Team, here: Loc) -> Iterator[Problem]:
    left = 0
    for i, leaver in enumerate(team.leavers):
        had = team.head_count + sum(h.count for h in team.hires if h.date < leaver.date) - left
        left += leaver.count
        if leaver.count > had:
            yield ((*here, "leavers", i, "count"), f"{leaver.count} people leave on "
                   f"{leaver.date} but the team has {max(had, 0)} by then (allowed: at most "
                   f"{max(had, 0)})")


def _capacity_for_work(s: Scenario, name: str, team: Team, here: Loc, work: Work
                       ) -> Iterator[Problem]:
    if not work:
        return
    if team.head_count == 0 and not team.hires and not _shared_into(s, name):
        yield ((*here, "members"), f"no members and no hires, but work is assigned "
               f"({listing([w for w, _, _ in work])}) (allowed: at least one person or hire)")
        return
    shared = _shared_into(s, name)
    for stage in _stages_with_work(team, work):
        if not _staffed(team, stage) and not (shared and stage == team.stage_names[0]):
            yield ((*here, "stages", stage, "people"), f"nobody works stage {stage!r} but "
                   f"work is routed to it (allowed: at least 1 person, or a hire with "
                   f"stage: {stage})")


def _shared_into(s: Scenario, name: str) -> bool:
    """Whether someone of another team gives this team part of their time."""
    return any(name in (p.allocation or {}) for other, team in s.teams.items() if other != name
               and not isinstance(team.members, int) for p in team.members)


def _stages_with_work(team: Team, work: Work) -> list[str]:
    """The stages any epic or arrival of the team sends work to."""
    used: set[str] = set()
    for _, effort, _ in work:
        used |= set(effort) if isinstance(effort, dict) else set(team.stage_names)
    return [st for st in team.stage_names if st in used]


def _staffed(team: Team, stage: str) -> bool:
    first = team.stage_names[0]
    return stage in team.member_stages() or any((h.stage or first) == stage for h in team.hires)


def _people_problems(team: Team, team_name: str, here: Loc) -> Iterator[Problem]:
    if isinstance(team.members, int):
        return
    seen: set[str] = set()
    for i, person in enumerate(team.members):
        if person.name in seen:
            yield ((*here, "members", i, "name"), f"{person.name!r} appears twice "
                                                  "(allowed: unique names within a team)")
        seen.add(person.name)
        yield from _stage_ref(team, team_name, person.stage, (*here, "members", i, "stage"))


def _stage_ref(team: Team, team_name: str, stage: str | None, loc: Loc) -> Iterator[Problem]:
    if stage is not None and stage not in team.stage_names:
        yield loc, _unknown("stage", stage, team.stage_names, _stages_label(team_name))


def _time_off_person(team: Team, team_name: str, person: str | None, loc: Loc) -> Iterator[Problem]:
    if person is None:
        return
    if isinstance(team.members, int):
        yield loc, (f"team {team_name!r} has a head count, not named people "
                    "(allowed: list people under members to name one here)")
        return
    names = [p.name for p in team.members]
    if person not in names:
        yield loc, _unknown("person", person, names, f"people of team {team_name!r}")


def _epic_problems(s: Scenario) -> Iterator[Problem]:
    for name, epic in s.epics.items():
        here: Loc = ("epics", name)
        for dep in epic.depends_on:
            if dep not in s.epics:
                yield (*here, "depends_on"), _unknown("epic", dep, s.epics)
        yield from _kind_problems(epic, here)
        yield from _timing_problems(s, epic, here)
        if epic.team is None:
            continue
        team = s.teams.get(epic.team)
        if team is None:
            yield (*here, "team"), _unknown("team", epic.team, s.teams)
            continue
        yield from _effort_stages(epic.effort_days, team, epic.team, (*here, "effort_days"))
        for i, item in enumerate(epic.items if isinstance(epic.items, tuple) else ()):
            yield from _effort_stages(item.effort_days, team, epic.team,
                                      (*here, "items", i, "effort_days"))
        yield from _rework_stages(epic.rework, team, epic.team, (*here, "rework"))


def _kind_problems(epic: Epic, here: Loc) -> Iterator[Problem]:
    """An epic is work of a team (with items) or an external delivery (a date), not both."""
    if epic.team is None and epic.delivery is None:
        yield (*here, "team"), ("missing (required: text, a team of `teams`; or a `delivery` "
                                "date for something from outside)")
    elif epic.team is not None and epic.delivery is not None:
        yield (*here, "delivery"), ("an external delivery has no team (allowed: a team, or a "
                                    "delivery)")
    elif epic.delivery is not None and (epic.items or epic.effort_days is not None):
        yield (*here, "items"), ("an external delivery has no items or effort (allowed: "
                                 "delivery, depends_on, not_before)")
    elif epic.team is not None and epic.items is None:
        yield (*here, "items"), "missing (required: an item count or a list of items)"


def _timing_problems(s: Scenario, epic: Epic, here: Loc) -> Iterator[Problem]:
    last = s.date_of(s.horizon_days - 1)
    if epic.not_before is not None and epic.not_before > last:
        yield (*here, "not_before"), (f"{epic.not_before} is after the horizon's last day {last} "
                                      f"(allowed: up to {last}, or raise horizon_days)")
    if epic.delivery is not None and epic.delivery.dates[0] > last:
        yield (*here, "delivery"), (f"the earliest date {epic.delivery.dates[0]} is after the "
                                    f"horizon's last day {last} (allowed: up to {last})")


def _effort_stages(effort: Any, team: Team, team_name: str, loc: Loc) -> Iterator[Problem]:
    if not isinstance(effort, dict):
        return  # one distribution serves every stage
    stages = team.stage_names
    unknown = [key for key in effort if key not in stages]
    for key in unknown:
        yield (*loc, key), _unknown("stage", key, stages, _stages_label(team_name))
    missing = [st for st in stages if st not in effort]
    if missing and not unknown:  # a misspelt stage already explains the missing one
        yield loc, (f"no effort for stage {', '.join(map(repr, missing))} "
                    f"({_stages_label(team_name)}: {', '.join(stages)})")


def _rework_stages(rework: Rework | None, team: Team, team_name: str,
                   loc: Loc) -> Iterator[Problem]:
    if rework is None:
        return
    stages = team.stage_names
    bad = False
    for key, stage in (("from", rework.from_), ("to", rework.to)):
        if stage not in stages:
            bad = True
            yield (*loc, key), _unknown("stage", stage, stages, _stages_label(team_name))
    if not bad and stages.index(rework.to) > stages.index(rework.from_):
        yield (*loc, "to"), (f"{rework.to!r} comes after {rework.from_!r} "
                             f"(allowed: a stage at or before {rework.from_!r})")


def _cycle_problems(s: Scenario) -> Iterator[Problem]:
    graph = {name: [d for d in epic.depends_on if d in s.epics] for name, epic in s.epics.items()}
    for cycle in find_cycles(graph):
        yield (("epics", cycle[0], "depends_on"),
               f"dependency cycle: {' -> '.join(cycle)} (each waits for the next, so none can "
               "start; allowed: no cycles)")


def find_cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Dependency loops in a graph of name -> names it waits for, each in order and closed
    (``[a, b, c, a]``), found by a depth-first walk in the graph's order."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: fully explored
    for node in graph:
        if node not in state:
            _visit(node, graph, state, [], cycles)
    return cycles


def _visit(node: str, graph: Mapping[str, list[str]], state: dict[str, int], path: list[str],
           cycles: list[list[str]]) -> None:
    # A module function, not a closure: a closure that calls itself is a reference cycle,
    # which would keep a 10,000-epic graph until the cycle collector runs.
    state[node] = 1
    path.append(node)
    for nxt in graph.get(node, ()):
        if state.get(nxt) == 1:
            cycles.append([*path[path.index(nxt):], nxt])
        elif nxt not in state:
            _visit(nxt, graph, state, path, cycles)
    path.pop()
    state[node] = 2


def _milestone_problems(s: Scenario) -> Iterator[Problem]:
    for name, milestone in s.milestones.items():
        here: Loc = ("milestones", name)
        for epic in milestone.epics:
            if epic not in s.epics:
                yield (*here, "epics"), _unknown("epic", epic, s.epics)
        if milestone.target is not None and milestone.target < s.start:
            yield (*here, "target"), (f"{milestone.target} is before the start {s.start} "
                                      f"(allowed: {s.start} or later)")
        last = s.date_of(s.horizon_days - 1)
        if milestone.target is not None and milestone.target > last:
            yield (*here, "target"), (f"{milestone.target} is after the horizon's last day "
                                      f"{last} (allowed: up to {last}, or raise horizon_days)")


def _calendar_problems(s: Scenario) -> Iterator[Problem]:
    yield from _regions(s, s.calendar, ("calendar",))
    for name, team in s.teams.items():
        if team.calendar is not None:
            yield from _regions(s, team.calendar, ("teams", name, "calendar"))
        for i, person in enumerate(() if isinstance(team.members, int) else team.members):
            if person.calendar is not None:
                yield from _regions(s, person.calendar, ("teams", name, "members", i, "calendar"))


def _regions(s: Scenario, calendar: Any, here: Loc) -> Iterator[Problem]:
    hol = calendar.holidays
    if hol.country is None or hol.subdivision is not None:
        return
    missed = regional_holidays(hol.country, s.start.year)
    if missed:
        import holidays

        day, name = missed[0]
        regions = holidays.list_supported_countries()[hol.country]
        yield ((*here, "holidays", "subdivision"),
               f"{hol.country}'s public holidays differ by region: without one, {len(missed)} "
               f"that most regions keep are missed (e.g. {day} {name}); name the region "
               f"(allowed: {listing(regions)})")


def _risk_problems(s: Scenario) -> Iterator[Problem]:
    for name, risk in s.risks.items():
        here: Loc = ("risks", name)
        for impact in (risk.delay, risk.add_items):
            if impact is not None and impact.epic not in s.epics:
                key = "delay" if impact is risk.delay else "add_items"
                yield (*here, key, "epic"), _unknown("epic", impact.epic, s.epics)
        if risk.capacity is not None and risk.capacity.team not in s.teams:
            yield (*here, "capacity", "team"), _unknown("team", risk.capacity.team, s.teams)
        mitigation = risk.mitigation
        if mitigation is not None and mitigation.probability > risk.probability:
            yield (*here, "mitigation", "probability"), (
                f"{mitigation.probability:g} is above the risk's own probability "
                f"{risk.probability:g} (allowed: 0 to {risk.probability:g}: a mitigation "
                "makes the risk less likely)")
        scoped = s.epics.get(risk.add_items.epic) if risk.add_items else None
        if scoped is not None and scoped.team is None:
            yield (*here, "add_items", "epic"), (f"{risk.add_items.epic!r} is an external "  # type: ignore[union-attr]
                                                 "delivery, which has no items (allowed: an "
                                                 "epic with a team; delay it instead)")


def _budget_problems(s: Scenario) -> Iterator[Problem]:
    for team in (s.budget.teams if s.budget else {}):
        if team not in s.teams:
            yield ("budget", "teams", team), _unknown("team", team, s.teams)


def _allocation_problems(s: Scenario) -> Iterator[Problem]:
    for name, team in s.teams.items():
        for i, person in enumerate(() if isinstance(team.members, int) else team.members):
            here: Loc = ("teams", name, "members", i, "allocation")
            for other in (person.allocation or {}):
                if other not in s.teams:
                    yield (*here, other), _unknown("team", other, s.teams)
            total = sum((person.allocation or {}).values())
            if total > 1 + 1e-9:
                yield here, (f"{person.name}'s time adds up to {total:g} (allowed: shares that "
                             "add up to at most 1)")


def _arrival_problems(s: Scenario) -> Iterator[Problem]:
    for i, arrival in enumerate(s.arrivals):
        here: Loc = ("arrivals", i)
        team = s.teams.get(arrival.team)
        if team is None:
            yield (*here, "team"), _unknown("team", arrival.team, s.teams)
            continue
        yield from _effort_stages(arrival.effort_days, team, arrival.team, (*here, "effort_days"))
        yield from _rework_stages(arrival.rework, team, arrival.team, (*here, "rework"))




def _progress_problems(s: Scenario) -> Iterator[Problem]:
    """Progress must fit the plan: counted on a day of the program, never more than there is."""
    last = s.date_of(s.horizon_days - 1)
    if s.as_of is not None and s.as_of < s.start:
        yield ("as_of",), f"{s.as_of} is before the start {s.start} (allowed: {s.start} or later)"
    elif s.as_of is not None and s.as_of > last:
        yield ("as_of",), (f"{s.as_of} is after the horizon's last day {last} (allowed: up to "
                           f"{last}, or raise horizon_days)")
    for name, epic in s.epics.items():
        if isinstance(epic.items, tuple) and epic.done:
            yield ("epics", name, "done"), ("a count of done items with a list of items "
                                            "(allowed: mark the items done: true)")
        elif isinstance(epic.items, int) and epic.done > epic.items:
            yield ("epics", name, "done"), (f"{epic.done} done but the epic has {epic.items} "
                                            f"items (allowed: 0 to {epic.items})")
        for i, item in enumerate(epic.items if isinstance(epic.items, tuple) else ()):
            if item.done and item.remaining_days is not None:
                yield (("epics", name, "items", i, "remaining_days"),
                       f"{item.remaining_days:g} days left on an item marked done: true "
                       "(allowed: one of them: done, or the days left)")


def _lever_problems(s: Scenario) -> Iterator[Problem]:
    if s.levers is None:
        return
    people, here = s.levers.people, ("levers", "people")
    for team in people.teams or ():
        if team not in s.teams:
            yield (*here, "teams"), _unknown("team", team, s.teams)
    for epic in s.levers.scope.keep:
        if epic not in s.epics:
            yield ("levers", "scope", "keep"), _unknown("epic", epic, s.epics)
    earliest = people.earliest or s.start
    last = s.date_of(s.horizon_days - 1)
    if earliest < s.start:
        yield (*here, "earliest"), (f"{earliest} is before the start {s.start} (allowed: "
                                    f"{s.start} or later: no one joins before the program)")
    elif earliest > last:
        yield (*here, "earliest"), (f"{earliest} is after the horizon's last day {last} "
                                    f"(allowed: {s.start} to {last})")
    yield from _focus_lever_problems(s)
    for i, day in enumerate(people.join_dates):
        if not max(earliest, s.start) <= day <= last:
            yield (*here, "join_dates", i), (f"{day} is outside {max(earliest, s.start)} to "
                                             f"{last} (allowed: from the earliest join date to "
                                             "the horizon's last day)")


def _focus_lever_problems(s: Scenario) -> Iterator[Problem]:
    """Focus may only be raised: a ceiling below a team's focus would mean lowering it."""
    flow = s.levers.flow if s.levers else None
    if flow is None or not flow.focus or "most_focus" not in flow.model_fields_set:
        return  # the default ceiling (0.9) simply leaves a fully focused team as it is
    name, team = max(s.teams.items(), key=lambda pair: pair[1].focus)  # the most focused
    if team.focus > flow.most_focus + 1e-9:
        yield (("levers", "flow", "most_focus"),
               f"{flow.most_focus:g} is below team {name}'s focus {team.focus:g} "
               f"(allowed: {team.focus:g} to 1, or flow.focus: false)")
