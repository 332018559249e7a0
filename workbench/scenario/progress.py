"""Progress: the work left as of the report date, as a scenario that starts then.

A TPM re-forecasts every week: epics say how far they have come (`done: 6`, an item
`done: true`, an item's `remaining_days`) as of `as_of`. `remaining` turns that into the plain
scenario the simulation runs: it starts at `as_of`, with only the work left and the people on
board then, and its horizon ends on the same day as the file's (fewer `horizon_days`).
Nothing in the simulation knows about progress; dates before the new start already mean
"in the past" to the capacity curves (a hire made before it is ramped up as far as its date
says, time off that has ended takes nothing, a leaver has gone), so only what would read
wrong from a later start is rewritten here: a risk or a capacity loss dated in the past happens
at `as_of`, a loss that has ended is dropped, and a named person who has left is taken off the
team.

The loader applies `remaining` once to every scenario it validates, so every face (run, report,
sweep, explorer) forecasts from progress the same way; `load_scenario(..., progress=False)`
gives the scenario as written (what the forecast log keeps).
"""

from __future__ import annotations

import datetime as dt

from workbench.scenario.distributions import Distribution
from workbench.scenario.models import Epic, Item, Person, Risk, Scenario, Team


def has_progress(scenario: Scenario) -> bool:
    """Whether the scenario says anything about work done or a report date after its start."""
    moved = scenario.as_of is not None and scenario.as_of != scenario.start
    return moved or any(_epic_progress(e) for e in scenario.epics.values())


def remaining(scenario: Scenario) -> Scenario:
    """The work left as of `as_of`, started then (the scenario itself when there is no
    progress). Applying it twice changes nothing more."""
    if not has_progress(scenario):
        return scenario
    as_of = scenario.as_of or scenario.start
    teams = {name: _team_left(team, as_of) for name, team in scenario.teams.items()}
    epics = {name: _epic_left(epic) for name, epic in scenario.epics.items()}
    risks = {name: r for name, r in ((n, _risk_left(risk, as_of))
                                     for n, risk in scenario.risks.items()) if r is not None}
    # the horizon ends where the file says (horizon_days counts calendar days from the start):
    # a later start leaves fewer days, so no forecast lands past the scenario's horizon
    horizon = scenario.horizon_days - (as_of - scenario.start).days
    return scenario.model_copy(update={"start": as_of, "as_of": as_of, "teams": teams,
                                       "epics": epics, "risks": risks,
                                       "horizon_days": horizon})


def _epic_progress(epic: Epic) -> bool:
    if epic.done:
        return True
    items = epic.items if isinstance(epic.items, tuple) else ()
    return any(i.done or i.remaining_days is not None for i in items)


def _epic_left(epic: Epic) -> Epic:
    if isinstance(epic.items, int):
        return epic.model_copy(update={"items": epic.items - epic.done, "done": 0})
    if not _epic_progress(epic):
        return epic
    items = tuple(_item_left(i) for i in epic.items or () if not i.done)
    return epic.model_copy(update={"items": items, "done": 0})


def _item_left(item: Item) -> Item:
    """An item part-way through: its remaining person-days become its (fixed) effort."""
    if item.remaining_days is None:
        return item
    effort = Distribution(kind="fixed", params=(float(item.remaining_days),))
    return item.model_copy(update={"effort_days": effort, "remaining_days": None})


def _team_left(team: Team, as_of: dt.date) -> Team:
    """The team without named people who left before `as_of` (and their time off)."""
    if isinstance(team.members, int):
        return team
    gone = {p.name for p in team.members if _left(p, as_of)}
    if not gone:
        return team
    members = tuple(p for p in team.members if p.name not in gone)
    time_off = tuple(t for t in team.time_off if t.person not in gone)
    return team.model_copy(update={"members": members, "time_off": time_off})


def _left(person: Person, as_of: dt.date) -> bool:
    return person.end is not None and person.end < as_of


def _risk_left(risk: Risk, as_of: dt.date) -> Risk | None:
    """A risk dated in the past may still happen, at `as_of`; a capacity loss that has ended
    is over (a risk with nothing left to do is dropped)."""
    update: dict[str, object] = {}
    if risk.at is not None and risk.at < as_of:
        update["at"] = as_of
    loss = risk.capacity
    if loss is not None and loss.end is not None and loss.end < as_of:
        update["capacity"] = None
    elif loss is not None and loss.start is not None and loss.start < as_of:
        update["capacity"] = loss.model_copy(update={"start": as_of})
    left = risk.model_copy(update=update) if update else risk
    return left if (left.delay or left.add_items or left.capacity) else None
