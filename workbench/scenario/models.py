"""Scenario files: the program a TPM describes (teams, calendar, work, risks, milestones),
as frozen models. Everything downstream reads these models, never raw YAML.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from workbench.scenario.distributions import KINDS, Distribution

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PosInt = Annotated[int, Field(ge=1)]
NonNegInt = Annotated[int, Field(ge=0)]
Share = Annotated[float, Field(gt=0, le=1)]
Probability = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0, le=1e15)]


def _count_or_list(value: Any) -> str | None:
    """Which form a `members`/`items` value takes, so errors speak of that form only."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "count"
    if isinstance(value, list | tuple):
        return "list"
    return "count" if isinstance(value, float) else None


def _effort_form(value: Any) -> str:
    """One distribution for every stage, or a mapping of stage name to distribution."""
    if isinstance(value, Mapping) and not (
            set(value) == {"kind", "params"} or len(value) == 1 and next(iter(value)) in KINDS):
        return "per_stage"
    return "distribution"


class Frozen(BaseModel):
    """Base: immutable, and a misspelled key is an error rather than silently ignored."""

    # inf and NaN are refused everywhere: `.inf` would pass as a number and crash a run later
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              allow_inf_nan=False)


class Holidays(Frozen):
    """Public holidays: a country's (by ISO code, via the `holidays` package) plus explicit
    dates."""

    country: str | None = Field(None, description="ISO country code, e.g. US, DE, GB.")
    subdivision: str | None = Field(None, description="State or province code, e.g. CA.")
    dates: tuple[dt.date, ...] = Field((), description="Extra non-working dates (company days).")

    @model_validator(mode="after")
    def _known_codes(self) -> Holidays:
        # Checked here so a typo is a validation error, not a crash in the middle of a forecast.
        if self.country is None:
            return self
        import holidays  # imported late: it takes a noticeable moment and most files need it once

        supported: dict[str, list[str]] = holidays.list_supported_countries()
        if self.country not in supported:
            raise ValueError(_code_problem("country", self.country, list(supported)))
        if self.subdivision is not None and self.subdivision not in supported[self.country]:
            raise ValueError(_code_problem("subdivision", self.subdivision,
                                           supported[self.country]))
        return self


def _code_problem(what: str, code: str, known: list[str]) -> str:
    close = difflib.get_close_matches(code, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    more = ", ..." if len(known) > 12 else ""
    return f"unknown {what} code {code!r} ({hint}allowed: {', '.join(known[:12])}{more})"


class Calendar(Frozen):
    """When people work."""

    workdays: tuple[Weekday, ...] = Field(
        ("mon", "tue", "wed", "thu", "fri"), min_length=1,
        description="Working weekdays; all seven for a 24/7 desk or a textbook queue.")
    holidays: Holidays = Field(default_factory=lambda: Holidays.model_validate({}),
                               description="Public holidays and company days off.")


class Person(Frozen):
    """A named team member, optionally joining or leaving during the program."""

    name: str = Field(description="How the team calls this person (unique within the team).")
    start: dt.date | None = Field(None, description="First day on the team (default: always).")
    end: dt.date | None = Field(None, description="Last day on the team (default: stays).")
    stage: str | None = Field(None, description="Stage this person works (default: the first).")
    calendar: Calendar | None = Field(
        None, description="This person's own working days and holidays (default: the team's).")
    allocation: dict[str, Share] | None = Field(
        None, description="Time split between teams, e.g. {mobile: 0.5, platform: 0.5}: each "
                          "team named gets that share of this person (default: all to this "
                          "team). Shares add up to at most 1.")

    @model_validator(mode="after")
    def _order(self) -> Person:
        if self.start and self.end and self.end < self.start:
            raise ValueError("end must not be before start")
        return self


# A head count or named people: the discriminator picks the form from the value, so a mistake is
# reported against that form only (not as "not a number AND not a list").
Members = Annotated[
    Annotated[NonNegInt, Tag("count")] | Annotated[tuple[Person, ...], Tag("list")],
    Discriminator(_count_or_list, custom_error_type="members_form",
                  custom_error_message="expected a head count or a list of named people")]


class Stage(Frozen):
    """A step every item goes through (build, review, test...)."""

    people: NonNegInt | None = Field(
        None, description="How many of the team's members work this stage (default: all).")
    wip_limit: PosInt | None = Field(
        None, description="Most items in this stage at once, waiting or worked.")


class Interrupts(Frozen):
    """Unplanned work (support, incidents) that takes capacity away from the plan."""

    rate_per_week: Annotated[float, Field(ge=0, le=10_000)] = Field(
        description="Interrupts per team per week.")
    effort_days: Distribution = Field(description="Person-days each interrupt takes.")


class Hire(Frozen):
    """New people joining: they ramp up and, meanwhile, take mentoring time from the team."""

    date: dt.date = Field(description="First day of the new people.")
    count: PosInt = Field(1, description="How many people join that day.")
    ramp_up_weeks: Annotated[float, Field(ge=0, le=520)] = Field(
        0, description="Weeks until a new person is fully productive (linear ramp).")
    mentoring: Annotated[float, Field(ge=0, le=1)] = Field(
        0, description="Share of one existing person's time each hire takes, fading over ramp-up.")
    stage: str | None = Field(None, description="Stage the hires work (default: the first).")


class Leaver(Frozen):
    """People leaving the team on a date."""

    date: dt.date = Field(description="First day without them.")
    count: PosInt = Field(1, description="How many people leave that day.")
    stage: str | None = Field(None, description="Stage they worked (default: the first).")


class TimeOff(Frozen):
    """A period when some of the team (or one named person) is away."""

    start: dt.date = Field(description="First day away.")
    end: dt.date = Field(description="Last day away (inclusive).")
    people: PosInt = Field(1, description="How many members are away.")
    person: str | None = Field(None, description="A named member (teams with named people).")

    @model_validator(mode="after")
    def _order(self) -> TimeOff:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class Team(Frozen):
    """A team: its people, how much of their time goes to the plan, and how it flows work."""

    members: Members = Field(
        description="Head count, or a list of named people with optional start/end dates.")
    focus: Share = Field(1.0, description="Share of time on planned work (after meetings etc.).")
    wip_limit: PosInt | None = Field(
        None, description="Most items in progress in the team at once (arrivals beyond it are "
                          "turned away; backlog items wait).")
    cost_per_person_day: Annotated[float, Field(ge=0, le=1e9)] = Field(
        0.0, description="What one person-day costs (for cost forecasts; 0: cost not tracked).")
    stages: dict[str, Stage] | None = Field(
        None, description="Ordered steps; default: one stage worked by everyone.")
    interrupts: Interrupts | None = Field(
        None, description="Unplanned work arriving at random (default: none).")
    hires: tuple[Hire, ...] = Field((), description="People joining during the program.")
    leavers: tuple[Leaver, ...] = Field((), description="People leaving during the program.")
    time_off: tuple[TimeOff, ...] = Field(
        (), description="Holidays, training, parental leave: periods when people are away.")
    handover_after_days: Annotated[float, Field(ge=0, le=3650)] = Field(
        2, description="An item whose owner will be away (time off, leave, a capacity risk) for "
                       "more than this many working days goes back to the front of its queue, "
                       "for a colleague who is there.")
    handover_cost_days: Annotated[float, Field(ge=0, le=3650)] = Field(
        0, description="Extra person-days the colleague needs to pick a handed-over item up.")
    calendar: Calendar | None = Field(
        None, description="This team's working days and holidays, e.g. an offshore team's "
                          "(default: the program's `calendar`).")

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(self.stages) if self.stages else ("work",)

    @property
    def head_count(self) -> int:
        return self.members if isinstance(self.members, int) else len(self.members)

    def member_stages(self) -> list[str]:
        """The stage each member works: a named person's own `stage` (default: the first);
        for a head count, the stages' explicit `people` first, the rest spread over the
        stages without a number (or the first stage)."""
        names = self.stage_names
        if not isinstance(self.members, int):
            return [p.stage or names[0] for p in self.members]
        if not self.stages:
            return [names[0]] * self.members
        named = [s for s, st in self.stages.items() for _ in range(st.people or 0)]
        free = [s for s, st in self.stages.items() if st.people is None] or [names[0]]
        out = named[: self.members]
        while len(out) < self.members:
            out.append(free[len(out) % len(free)])
        return out


StageEffort = dict[str, Distribution]
# One distribution used at every stage, or one per stage name (see `_effort_form`).
Effort = Annotated[
    Annotated[Distribution, Tag("distribution")] | Annotated[StageEffort, Tag("per_stage")],
    Discriminator(_effort_form)]


class Item(Frozen):
    """One explicit backlog item."""

    name: str = Field(description="What the item is called in reports.")
    effort_days: Effort | None = Field(
        None, description="Person-days for this item (default: the epic's effort_days).")
    done: bool = Field(False, description="Finished as of the scenario's `as_of` (progress: "
                                          "the forecast leaves it out).")
    remaining_days: Annotated[float, Field(ge=0, le=36_500)] | None = Field(
        None, description="Person-days of work left on this item as of `as_of` (progress: "
                          "the forecast uses this, at each of its stages, instead of its "
                          "effort).")


Items = Annotated[
    Annotated[NonNegInt, Tag("count")] | Annotated[tuple[Item, ...], Tag("list")],
    Discriminator(_count_or_list, custom_error_type="items_form",
                  custom_error_message="expected an item count or a list of items")]


class Rework(Frozen):
    """Items sent back: after `from`, with this probability, the item goes again through `to`."""

    from_: str = Field(alias="from", description="Stage after which the item may be sent back.")
    to: str = Field(description="Stage it goes back to (the same or an earlier one).")
    probability: Probability = Field(
        description="Chance, each time, that an item is sent back (0 to 1).")


class Delivery(Frozen):
    """When something from outside arrives (a vendor SDK, a partner sandbox, an approval): one
    date, or a spread of dates: ``{triangular: [earliest, likeliest, latest]}`` or
    ``{uniform: [earliest, latest]}``."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=lambda s, _: (
        s.clear() or s.update(DELIVERY_SCHEMA)))

    kind: Literal["fixed", "uniform", "triangular"]
    dates: tuple[dt.date, ...]

    @model_validator(mode="before")
    @classmethod
    def _from_user_form(cls, value: Any) -> Any:
        if isinstance(value, dt.date | str):
            return {"kind": "fixed", "dates": (value,)}
        if isinstance(value, Mapping) and len(value) == 1 and "kind" not in value:
            (kind, dates), = value.items()
            return {"kind": kind, "dates": dates}
        return value

    @model_validator(mode="after")
    def _check(self) -> Delivery:
        size = {"fixed": 1, "uniform": 2, "triangular": 3}[self.kind]
        if len(self.dates) != size or list(self.dates) != sorted(self.dates):
            raise ValueError(f"{self.kind} takes {size} date(s) in order, earliest first")
        return self

    def days(self, start: dt.date) -> Distribution:
        """The spread as days after ``start`` (the simulation's clock)."""
        offsets = tuple(float(max((d - start).days, 0)) for d in self.dates)
        return Distribution(kind=self.kind, params=offsets)

    def user_form(self) -> Any:
        iso = [d.isoformat() for d in self.dates]
        return iso[0] if self.kind == "fixed" else {self.kind: iso}


DELIVERY_SCHEMA: dict[str, Any] = {"anyOf": [
    {"type": "string", "format": "date"},
    {"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
     "properties": {"uniform": {"type": "array", "items": {"type": "string", "format": "date"},
                                "minItems": 2, "maxItems": 2},
                    "triangular": {"type": "array", "items": {"type": "string", "format": "date"},
                                   "minItems": 3, "maxItems": 3}}}]}


class Epic(Frozen):
    """A body of work owned by one team, or an external delivery (no team, a `delivery` date)."""

    team: str | None = Field(
        None, description="The team that does the work (a key of `teams`); none for an external "
                          "delivery.")
    items: Items | None = Field(None, description="Item count or explicit items.")
    delivery: Delivery | None = Field(
        None, description="For an external delivery (no team): when it arrives, a date or a "
                          "spread of dates, e.g. {triangular: [2027-05-01, 2027-05-15, "
                          "2027-06-15]}.")
    not_before: dt.date | None = Field(
        None, description="Earliest start (e.g. a contract date), besides `depends_on`.")
    effort_days: Effort | None = Field(
        None, description="Person-days per item: one distribution (used at every stage) or one "
                          "per stage name.")
    priority: int | None = Field(
        None, description="Lower goes first within the team (default: order in the file).")
    depends_on: tuple[str, ...] = Field(
        (), description="Epics that must finish before this starts.")
    split_rate: tuple[float, float] | None = Field(
        None, description="Scope growth: items become ceil(items x uniform(low, high)).")
    rework: Rework | None = Field(None, description="Items sent back to an earlier stage.")
    capacity_share: Share | None = Field(
        None, description="Share of the team's effort reserved for this epic (e.g. 0.7).")
    done: Annotated[int, Field(ge=0, strict=True)] = Field(  # strict: `true` is not 1 item
        0, description="Items finished as of the scenario's `as_of` (progress, for an item "
                       "count; with a list of items, mark items `done: true`).")

    @field_validator("split_rate")
    @classmethod
    def _split_order(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not 0 < value[0] <= value[1]:
            raise ValueError("needs [low, high] with 0 < low <= high")
        if value is not None and value[1] > 100:
            raise ValueError("high is over 100 (allowed: items growing at most 100 times)")
        return value

    @model_validator(mode="after")
    def _check(self) -> Epic:
        if self.effort_days is None and (
                isinstance(self.items, int) and self.items > 0
                or isinstance(self.items, tuple)
                and any(i.effort_days is None for i in self.items)):
            raise ValueError("effort_days is required (per epic, or on every item)")
        return self


class Arrival(Frozen):
    """A continuous stream of work (tickets, requests) for flow questions."""

    team: str = Field(description="The team that works the stream (a key of `teams`).")
    rate_per_day: Annotated[float, Field(gt=0, le=10_000)] = Field(
        description="Mean arrivals per calendar day.")
    effort_days: Effort = Field(
        description="Person-days per item: one distribution or one per stage name.")
    name: str = Field("arrivals", description="What the stream is called in reports.")
    priority: int = Field(0, description="Lower goes first (same scale as epic priority).")
    rework: Rework | None = Field(None, description="Items sent back to an earlier stage.")


class DelayImpact(Frozen):
    """The epic cannot start until this many calendar days after it otherwise could."""

    epic: str = Field(description="The epic held back (a key of `epics`).")
    days: Distribution = Field(description="Calendar days of delay.")


class ScopeImpact(Frozen):
    """Items added to an epic when the risk fires (rounded to whole items)."""

    epic: str = Field(description="The epic that grows (a key of `epics`).")
    items: Distribution = Field(description="Items added (rounded to whole items).")


class CapacityImpact(Frozen):
    """People unavailable to a team for a period (or for good)."""

    team: str = Field(description="The team that loses people (a key of `teams`).")
    members: PosInt = Field(1, description="How many people are lost.")
    start: dt.date | None = Field(None, description="Default: the risk's `at`, else the start.")
    end: dt.date | None = Field(None, description="Last day lost; default: for good.")

    @model_validator(mode="after")
    def _order(self) -> CapacityImpact:
        if self.start and self.end and self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class Mitigation(Frozen):
    """What the program can do about a risk, at a price: the action, what it costs and the
    risk's probability once it is done (a lever `workbench levers` may pull)."""

    action: str = Field("", description="What is done, in words, e.g. 'second bank partner'.")
    cost: Money = Field(description="What the mitigation costs, in the scenario's `currency`.")
    probability: Probability = Field(
        description="The risk's probability once mitigated (0 to 1).")


class Risk(Frozen):
    """Something that may happen: its probability, when, and what it does."""

    probability: Probability = Field(description="Chance that it happens in a run (0 to 1).")
    at: dt.date | None = Field(None, description="When it would happen (default: the start).")
    delay: DelayImpact | None = Field(None, description="An epic starts later.")
    add_items: ScopeImpact | None = Field(None, description="An epic gets more items.")
    capacity: CapacityImpact | None = Field(None, description="A team loses people.")
    owner: str = Field("", description="Who watches this risk and acts on it (shown in the "
                                       "report's risk section).")
    mitigation: Mitigation | None = Field(
        None, description="What can be done about it, e.g. {action: second bank partner, cost: "
                          "40000, probability: 0.1} (default: nothing named).")

    @model_validator(mode="after")
    def _has_impact(self) -> Risk:
        if not (self.delay or self.add_items or self.capacity):
            raise ValueError("a risk needs an impact: delay, add_items or capacity")
        return self


class Milestone(Frozen):
    """A named set of epics leadership cares about, with an optional target date."""

    epics: tuple[str, ...] = Field(
        min_length=1, description="Epics that must all be done (keys of `epics`).")
    target: dt.date | None = Field(
        None, description="The date promised; forecasts give the chance of making it.")


def _or_a_number(schema: dict[str, Any]) -> None:
    """A schema that also accepts a plain number (the shorthand `budget: 2000000`)."""
    whole = dict(schema)
    schema.clear()
    schema["anyOf"] = [{"type": "number", "minimum": 0}, whole]


class Budget(Frozen):
    """What the program may cost (people cost, as forecast): in all, and by team. A number
    alone is the program's total."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False,
                              json_schema_extra=lambda s, _: _or_a_number(s))

    total: Money | None = Field(None, description="The whole program's budget.")
    teams: dict[str, Money] = Field(default_factory=dict, description="Budgets by team.")

    @model_validator(mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return {"total": value} if isinstance(value, int | float) and \
            not isinstance(value, bool) else value


class StatusRule(Frozen):
    """When a milestone reads green, amber or red: by its chance of making the target."""

    green_at: Share = Field(0.85, description="Green when the chance of the target is at "
                                              "least this (0 to 1).")
    amber_at: Share = Field(0.5, description="Amber when at least this (below: red).")

    @model_validator(mode="after")
    def _order(self) -> StatusRule:
        if not self.green_at > self.amber_at:
            raise ValueError(f"green_at {self.green_at:g} must be above amber_at "
                             f"{self.amber_at:g} (allowed: 0 < amber_at < green_at <= 1)")
        return self
class PeopleLevers(Frozen):
    """People `workbench levers` may add, and planned hires it may move earlier."""

    teams: tuple[str, ...] | None = Field(
        None, description="Teams that may get people (default: every team with work).")
    most_added: NonNegInt = Field(3, le=50, description="Most people added to one team.")
    earliest: dt.date | None = Field(
        None, description="No one joins before this date (default: the scenario `start`).")
    join_dates: tuple[dt.date, ...] = Field(
        (), description="Dates people may join (default: the earliest date, and 4 and 8 weeks "
                        "after it).")
    ramp_up_weeks: Annotated[float, Field(ge=0, le=520)] | None = Field(
        None, description="Weeks until a new person is fully productive (default: as the "
                          "team's planned hires, else 4).")
    mentoring: Annotated[float, Field(ge=0, le=1)] | None = Field(
        None, description="Share of one existing person's time each new person takes while "
                          "ramping up (default: as the team's planned hires, else 0.2).")
    move_hires: bool = Field(True, description="Planned hires may be moved earlier.")


class ScopeLevers(Frozen):
    """Scope `workbench levers` may give up, along the cut line: lowest priority first, whole
    epics (or, with `cut_parts`, part of an epic's items before all of it)."""

    drop: bool = Field(True, description="Scope may be given up: epics of the milestone "
                                         "dropped (or cut, with `cut_parts`).")
    most_dropped: NonNegInt = Field(2, le=50, description="Most epics given up at once "
                                                          "(dropped or cut).")
    keep: tuple[str, ...] = Field((), description="Epics never dropped (keys of `epics`).")
    cut_parts: Annotated[int, Field(ge=1, le=10, strict=True)] = Field(
        1, description="Give an epic up in this many parts, its last items first (2: half of "
                       "the items left, then the whole epic; default 1: whole epics only).")


class FlowLevers(Frozen):
    """How work flows: WIP limits and focus (protecting a team from other duties)."""

    wip: bool = Field(True, description="A team's `wip_limit` may go one up or down.")
    focus: bool = Field(True, description="A team's `focus` may be raised, at the cost of the "
                                          "time moved to others.")
    focus_step: Share = Field(0.1, description="How much focus one step adds.")
    most_focus: Share = Field(0.9, description="Highest focus a team may be given.")


class Levers(Frozen):
    """What `workbench levers` may change to make a date, and how far (default: at most +3
    people per team, no one joining before the start, scope in whole epics)."""

    people: PeopleLevers = Field(default_factory=lambda: PeopleLevers.model_validate({}),
                                 description="Adding people and moving hires earlier.")
    scope: ScopeLevers = Field(default_factory=lambda: ScopeLevers.model_validate({}),
                               description="Giving scope up along the cut line (lowest "
                                           "priority first).")
    flow: FlowLevers = Field(default_factory=lambda: FlowLevers.model_validate({}),
                             description="WIP limits and focus.")
    mitigations: bool = Field(True, description="Risks' named `mitigation`s may be bought.")


class Scenario(Frozen):
    """A whole program, ready to simulate."""

    name: str = Field(description="The program's name, shown on every report.")
    description: str = Field("", description="A few words on what the program delivers.")
    currency: str = Field("", max_length=8, description="Shown with every amount of money, e.g. "
                          "EUR or USD (default: amounts without a currency).")
    start: dt.date = Field(description="First calendar day of the simulation.")
    horizon_days: PosInt = Field(
        730, description="A run stops here; unfinished work is reported, never waited for.")
    warmup_days: Annotated[float, Field(ge=0, le=36_500)] = Field(
        0, description="Flow statistics ignore items arriving before this day.")
    calendar: Calendar = Field(default_factory=lambda: Calendar.model_validate({}),
                               description="Working days and holidays.")
    teams: dict[str, Team] = Field(min_length=1, description="The teams, by name.")
    epics: dict[str, Epic] = Field(
        default_factory=dict, description="The planned work, by name (in priority order).")
    arrivals: tuple[Arrival, ...] = Field(
        (), description="Streams of incoming work (tickets, requests), for flow questions.")
    risks: dict[str, Risk] = Field(default_factory=dict, description="Risks, by name.")
    milestones: dict[str, Milestone] = Field(
        default_factory=dict, description="What leadership tracks, by name.")
    budget: Budget | None = Field(
        None, description="People-cost budget: a number (the program's), or {total: N, teams: "
                          "{platform: N}}; forecasts give the chance of staying within it.")
    as_of: dt.date | None = Field(
        None, description="The report date: progress (`done`, `remaining_days`) is counted "
                          "as of this day, and the forecast starts here with the work left "
                          "and the people on board then (default: the `start`).")
    owner: str = Field("", description="Who owns the program's forecast (shown on the "
                                       "report).")
    asks: tuple[str, ...] = Field(
        (), description="Decisions wanted from leadership, shown under the status.")
    status: StatusRule = Field(
        default_factory=lambda: StatusRule.model_validate({}),
        description="When a milestone reads green, amber or red, e.g. {green_at: 0.85, "
                    "amber_at: 0.5}: by its chance of making the target.")
    levers: Levers | None = Field(
        None, description="What `workbench levers` may change, and how far (default: +3 people "
                          "per team at most, no one before the start, scope in whole epics).")

    @field_validator("start")
    @classmethod
    def _plausible_start(cls, value: dt.date) -> dt.date:
        # near 9999-12-31 the horizon's dates would not exist
        if not 1900 <= value.year <= 2999:
            raise ValueError("must be in the years 1900 to 2999")
        return value

    @model_validator(mode="after")
    def _cross_check(self) -> Scenario:
        from workbench.scenario.rules import cross_check  # the rules that span sections

        cross_check(self)
        return self

    @property
    def sha256(self) -> str:
        """Content hash of the fully resolved scenario, printed in reports to tie a forecast to
        exactly the inputs that made it."""
        # Not cached: `model_copy(update=...)` would carry a cached hash over to the changed copy.
        return scenario_sha256(self)

    def day_of(self, when: dt.date) -> int:
        """Days from the start (the simulation's clock) to a calendar date."""
        return (when - self.start).days

    def date_of(self, day: float) -> dt.date:
        """The calendar date of a simulation time in days."""
        return self.start + dt.timedelta(days=int(day))


def scenario_sha256(scenario: Scenario) -> str:
    """SHA-256 of the canonical JSON of a fully resolved scenario (defaults filled in, extends and
    overrides applied), so a report names exactly the inputs that made it."""
    # Keys keep the file's order on purpose: the order of stages and of epics changes the run.
    payload = scenario.model_dump(mode="json", by_alias=True)
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
