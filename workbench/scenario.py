"""Scenario files: the program a TPM describes (teams, calendar, work, risks, milestones),
loaded once, validated and frozen. Everything downstream reads these models, never raw YAML.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workbench.distributions import Distribution

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PosInt = Annotated[int, Field(ge=1)]
NonNegInt = Annotated[int, Field(ge=0)]
Share = Annotated[float, Field(gt=0, le=1)]
Probability = Annotated[float, Field(ge=0, le=1)]


class Frozen(BaseModel):
    """Base: immutable, and a misspelled key is an error rather than silently ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Holidays(Frozen):
    """Public holidays: a country's (by ISO code, via the `holidays` package) plus explicit dates."""

    country: str | None = Field(None, description="ISO country code, e.g. US, DE, GB.")
    subdivision: str | None = Field(None, description="State or province code, e.g. CA.")
    dates: tuple[dt.date, ...] = Field((), description="Extra non-working dates (company days).")


class Calendar(Frozen):
    """When people work."""

    workdays: tuple[Weekday, ...] = Field(
        ("mon", "tue", "wed", "thu", "fri"), min_length=1,
        description="Working weekdays; all seven for a 24/7 desk or a textbook queue.")
    holidays: Holidays = Field(default_factory=Holidays)


class Person(Frozen):
    """A named team member, optionally joining or leaving during the program."""

    name: str
    start: dt.date | None = Field(None, description="First day on the team (default: always).")
    end: dt.date | None = Field(None, description="Last day on the team (default: stays).")
    stage: str | None = Field(None, description="Stage this person works (default: the first).")


class Stage(Frozen):
    """A step every item goes through (build, review, test...)."""

    people: NonNegInt | None = Field(
        None, description="How many of the team's members work this stage (default: all).")
    wip_limit: PosInt | None = Field(
        None, description="Most items in this stage at once, waiting or worked.")


class Interrupts(Frozen):
    """Unplanned work (support, incidents) that takes capacity away from the plan."""

    rate_per_week: Annotated[float, Field(ge=0)] = Field(description="Interrupts per team per week.")
    effort_days: Distribution = Field(description="Person-days each interrupt takes.")


class Hire(Frozen):
    """New people joining: they ramp up and, meanwhile, take mentoring time from the team."""

    date: dt.date
    count: PosInt = 1
    ramp_up_weeks: Annotated[float, Field(ge=0)] = Field(
        0, description="Weeks until a new person is fully productive (linear ramp).")
    mentoring: Annotated[float, Field(ge=0, le=1)] = Field(
        0, description="Share of one existing person's time each hire takes, fading over ramp-up.")
    stage: str | None = Field(None, description="Stage the hires work (default: the first).")


class Leaver(Frozen):
    """People leaving the team on a date."""

    date: dt.date
    count: PosInt = 1
    stage: str | None = None


class TimeOff(Frozen):
    """A period when some of the team (or one named person) is away."""

    start: dt.date
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

    members: NonNegInt | tuple[Person, ...] = Field(
        description="Head count, or a list of named people with optional start/end dates.")
    focus: Share = Field(1.0, description="Share of time on planned work (after meetings etc.).")
    wip_limit: PosInt | None = Field(
        None, description="Most items in progress in the team at once (arrivals beyond it are "
                          "turned away; backlog items wait).")
    cost_per_person_day: Annotated[float, Field(ge=0)] = 0.0
    stages: dict[str, Stage] | None = Field(
        None, description="Ordered steps; default: one stage worked by everyone.")
    interrupts: Interrupts | None = None
    hires: tuple[Hire, ...] = ()
    leavers: tuple[Leaver, ...] = ()
    time_off: tuple[TimeOff, ...] = ()

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(self.stages) if self.stages else ("work",)

    @property
    def head_count(self) -> int:
        return self.members if isinstance(self.members, int) else len(self.members)


StageEffort = dict[str, Distribution]


class Item(Frozen):
    """One explicit backlog item."""

    name: str
    effort_days: Distribution | StageEffort | None = None


class Rework(Frozen):
    """Items sent back: after `from`, with this probability, the item goes again through `to`."""

    from_: str = Field(alias="from")
    to: str
    probability: Probability


class Epic(Frozen):
    """A body of work owned by one team."""

    team: str
    items: NonNegInt | tuple[Item, ...] = Field(description="Item count or explicit items.")
    effort_days: Distribution | StageEffort | None = Field(
        None, description="Person-days per item: one distribution (used at every stage) or one "
                          "per stage name.")
    priority: int | None = Field(
        None, description="Lower goes first within the team (default: order in the file).")
    depends_on: tuple[str, ...] = Field((), description="Epics that must finish before this starts.")
    split_rate: tuple[float, float] | None = Field(
        None, description="Scope growth: items become ceil(items x uniform(low, high)).")
    rework: Rework | None = None
    capacity_share: Share | None = Field(
        None, description="Share of the team's effort reserved for this epic (e.g. 0.7).")

    @model_validator(mode="after")
    def _check(self) -> Epic:
        if self.split_rate is not None and not 0 < self.split_rate[0] <= self.split_rate[1]:
            raise ValueError("split_rate needs [low, high] with 0 < low <= high")
        if self.effort_days is None and (
                isinstance(self.items, int) and self.items > 0
                or isinstance(self.items, tuple) and any(i.effort_days is None for i in self.items)):
            raise ValueError("effort_days is required (per epic, or on every item)")
        return self


class Arrival(Frozen):
    """A continuous stream of work (tickets, requests) for flow questions."""

    team: str
    rate_per_day: Annotated[float, Field(gt=0)] = Field(description="Mean arrivals per calendar day.")
    effort_days: Distribution | StageEffort
    name: str = "arrivals"
    priority: int = 0
    rework: Rework | None = None


class DelayImpact(Frozen):
    """The epic cannot start until this many calendar days after it otherwise could."""

    epic: str
    days: Distribution


class ScopeImpact(Frozen):
    """Items added to an epic when the risk fires (rounded to whole items)."""

    epic: str
    items: Distribution


class CapacityImpact(Frozen):
    """People unavailable to a team for a period (or for good)."""

    team: str
    members: PosInt = Field(1, description="How many people are lost.")
    start: dt.date | None = Field(None, description="Default: the risk's `at`, else the start.")
    end: dt.date | None = Field(None, description="Last day lost; default: for good.")


class Risk(Frozen):
    """Something that may happen: its probability, when, and what it does."""

    probability: Probability
    at: dt.date | None = Field(None, description="When it would happen (default: the start).")
    delay: DelayImpact | None = None
    add_items: ScopeImpact | None = None
    capacity: CapacityImpact | None = None

    @model_validator(mode="after")
    def _has_impact(self) -> Risk:
        if not (self.delay or self.add_items or self.capacity):
            raise ValueError("a risk needs an impact: delay, add_items or capacity")
        return self


class Milestone(Frozen):
    """A named set of epics leadership cares about, with an optional target date."""

    epics: tuple[str, ...] = Field(min_length=1)
    target: dt.date | None = None


class Scenario(Frozen):
    """A whole program, ready to simulate."""

    name: str
    description: str = ""
    start: dt.date = Field(description="First calendar day of the simulation.")
    horizon_days: PosInt = Field(
        730, description="A run stops here; unfinished work is reported, never waited for.")
    warmup_days: Annotated[float, Field(ge=0)] = Field(
        0, description="Flow statistics ignore items arriving before this day.")
    calendar: Calendar = Field(default_factory=Calendar)
    teams: dict[str, Team] = Field(min_length=1)
    epics: dict[str, Epic] = Field(default_factory=dict)
    arrivals: tuple[Arrival, ...] = ()
    risks: dict[str, Risk] = Field(default_factory=dict)
    milestones: dict[str, Milestone] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cross_check(self) -> Scenario:
        from workbench.validation import cross_check  # the rules that span sections

        cross_check(self)
        return self

    def day_of(self, when: dt.date) -> int:
        """Days from the start (the simulation's clock) to a calendar date."""
        return (when - self.start).days

    def date_of(self, day: float) -> dt.date:
        """The calendar date of a simulation time in days."""
        return self.start + dt.timedelta(days=int(day))
