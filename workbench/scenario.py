"""Scenario files: the program a TPM describes (teams, calendar, work, risks, milestones),
loaded once, validated and frozen. Everything downstream reads these models, never raw YAML.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeGuard

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from workbench.distributions import KINDS, Distribution
from workbench.validation import field_names, format_loc, show, validation_problems

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PosInt = Annotated[int, Field(ge=1)]
NonNegInt = Annotated[int, Field(ge=0)]
Share = Annotated[float, Field(gt=0, le=1)]
Probability = Annotated[float, Field(ge=0, le=1)]


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

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


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

    rate_per_week: Annotated[float, Field(ge=0)] = Field(
        description="Interrupts per team per week.")
    effort_days: Distribution = Field(description="Person-days each interrupt takes.")


class Hire(Frozen):
    """New people joining: they ramp up and, meanwhile, take mentoring time from the team."""

    date: dt.date = Field(description="First day of the new people.")
    count: PosInt = Field(1, description="How many people join that day.")
    ramp_up_weeks: Annotated[float, Field(ge=0)] = Field(
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
    cost_per_person_day: Annotated[float, Field(ge=0)] = Field(
        0.0, description="What one person-day costs (for cost forecasts; 0: cost not tracked).")
    stages: dict[str, Stage] | None = Field(
        None, description="Ordered steps; default: one stage worked by everyone.")
    interrupts: Interrupts | None = Field(
        None, description="Unplanned work arriving at random (default: none).")
    hires: tuple[Hire, ...] = Field((), description="People joining during the program.")
    leavers: tuple[Leaver, ...] = Field((), description="People leaving during the program.")
    time_off: tuple[TimeOff, ...] = Field(
        (), description="Holidays, training, parental leave: periods when people are away.")

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(self.stages) if self.stages else ("work",)

    @property
    def head_count(self) -> int:
        return self.members if isinstance(self.members, int) else len(self.members)


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


class Epic(Frozen):
    """A body of work owned by one team."""

    team: str = Field(description="The team that does the work (a key of `teams`).")
    items: Items = Field(description="Item count or explicit items.")
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

    @field_validator("split_rate")
    @classmethod
    def _split_order(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not 0 < value[0] <= value[1]:
            raise ValueError("needs [low, high] with 0 < low <= high")
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
    rate_per_day: Annotated[float, Field(gt=0)] = Field(
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


class Risk(Frozen):
    """Something that may happen: its probability, when, and what it does."""

    probability: Probability = Field(description="Chance that it happens in a run (0 to 1).")
    at: dt.date | None = Field(None, description="When it would happen (default: the start).")
    delay: DelayImpact | None = Field(None, description="An epic starts later.")
    add_items: ScopeImpact | None = Field(None, description="An epic gets more items.")
    capacity: CapacityImpact | None = Field(None, description="A team loses people.")

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


class Scenario(Frozen):
    """A whole program, ready to simulate."""

    name: str = Field(description="The program's name, shown on every report.")
    description: str = Field("", description="A few words on what the program delivers.")
    start: dt.date = Field(description="First calendar day of the simulation.")
    horizon_days: PosInt = Field(
        730, description="A run stops here; unfinished work is reported, never waited for.")
    warmup_days: Annotated[float, Field(ge=0)] = Field(
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

    @model_validator(mode="after")
    def _cross_check(self) -> Scenario:
        from workbench.validation import cross_check  # the rules that span sections

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



# =================================================================================================
# Loading: YAML -> extends -> overrides -> a validated, frozen Scenario. Every mistake becomes one
# line `FILE: field.path: what is wrong (what is allowed)`, never a traceback.
# =================================================================================================

Overrides = Mapping[str, Any] | Iterable[str]
Origins = dict[tuple[Any, ...], str]  # field path -> the file that last set it (for error lines)


class ScenarioError(Exception):
    """A scenario the TPM must fix: `problems` holds one `FILE: field.path: ...` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_scenario(path: str | os.PathLike[str], overrides: Overrides = ()) -> Scenario:
    """Read a scenario file (following `extends`), apply overrides, validate and freeze it.

    Overrides change fields after the files are merged, for quick what-ifs: a mapping
    ``{"teams.platform.members": 8}`` or strings ``"teams.platform.members=8"`` whose value is
    read as YAML. Raises `ScenarioError` listing every problem found.
    """
    shown = str(path)
    data, origins = _resolve(Path(path), shown, overrides)
    return _validate(data, origins, shown, Path(path).parent)


def load_scenario_data(path: str | os.PathLike[str], overrides: Overrides = ()) -> dict[str, Any]:
    """The merged plain data of a scenario (after extends and overrides), not yet validated."""
    return _resolve(Path(path), str(path), overrides)[0]


def merge_scenario_data(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """How `extends` combines two files: mappings merge key by key and the child wins; lists and
    distributions are replaced whole (half of one triangular and half of another means nothing)."""
    out = dict(base)
    for key, value in child.items():
        out[key] = _merged(out.get(key), value)
    return out


def scenario_sha256(scenario: Scenario) -> str:
    """SHA-256 of the canonical JSON of a fully resolved scenario (defaults filled in, extends and
    overrides applied), so a report names exactly the inputs that made it."""
    # Keys keep the file's order on purpose: the order of stages and of epics changes the run.
    payload = scenario.model_dump(mode="json", by_alias=True)
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dump_overrides_yaml(base_path: str | os.PathLike[str], changes: Mapping[str, Any], *,
                        out_dir: str | os.PathLike[str] | None = None,
                        comment: str | None = None) -> str:
    """The text of a what-if file: ``extends: <base>`` plus only the changed fields.

    ``changes`` maps dotted field paths (or whole sections) to new values; distributions may be
    given as `Distribution` objects. ``extends`` is written relative to ``out_dir`` (default: the
    what-if is saved beside its base).
    """
    base = Path(base_path)
    extends = os.path.relpath(base, out_dir) if out_dir is not None else base.name
    nested: dict[str, Any] = {}
    for dotted, value in changes.items():
        _set_path(nested, str(dotted), _plain(value), str(base))
    head = f"# {comment or f'What-if on {base.name}: only the fields that differ.'}\n"
    body = yaml.safe_dump({"extends": extends.replace(os.sep, "/"), **nested}, sort_keys=False,
                          allow_unicode=True, default_flow_style=None)
    return head + body


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file, for editors and `workbench schema`. A file with `extends`
    is checked leniently: its required fields may come from the base."""
    full = _any_of(Scenario.model_json_schema(by_alias=True))
    defs: dict[str, Any] = full.pop("$defs", {})
    full["properties"]["extends"] = {
        "type": "string", "description": "A scenario file this one builds on (relative path); "
                                         "this file only lists what differs."}
    defs["Scenario"] = full
    partial = {f"Partial{name}": _partial(node) for name, node in defs.items()}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "TPM Workbench scenario", "description": Scenario.__doc__,
            "type": "object", "$defs": {**defs, **partial},
            "if": {"required": ["extends"]},
            "then": {"$ref": "#/$defs/PartialScenario"}, "else": {"$ref": "#/$defs/Scenario"}}


# --- reading files ----------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """`yaml.safe_load`, plus two checks a TPM needs: a key written twice is an error (otherwise
    the second epic of that name silently replaces the first), and an impossible date such as
    2027-02-30 is reported at its line."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` is meant to be overridden by the keys beside it
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (allowed: each key once)",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date {node.value!r}: {exc}", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _resolve(path: Path, shown: str, overrides: Overrides) -> tuple[dict[str, Any], Origins]:
    data, origins = _read_chain(path, shown, (), path.parent)
    for dotted, value in _override_pairs(overrides, shown):
        origins[_set_path(data, dotted, value, shown, strict=True)] = shown
    return data, origins


def _read_chain(path: Path, shown: str, chain: tuple[tuple[Path, str], ...],
                top_dir: Path) -> tuple[dict[str, Any], Origins]:
    """A file merged over the files it extends, and which file set each field."""
    data = _read_yaml(path, shown)
    if path.parent.resolve() != top_dir.resolve():
        _anchor_files(data, path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data, _origins_of(data, shown)
    base_path, base_shown = _extends_target(parent, path, shown)
    chain = (*chain, (path.resolve(), shown))
    if base_path.resolve() in [p for p, _ in chain]:
        names = [name for _, name in chain] + [base_shown]
        raise ScenarioError([f"{shown}: extends: cycle {' -> '.join(names)} "
                             "(allowed: a chain that ends in a file without extends)"])
    base, origins = _read_chain(base_path, base_shown, chain, top_dir)
    origins.update(_origins_of(data, shown))
    return merge_scenario_data(base, data), origins


def _read_yaml(path: Path, shown: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{shown}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{shown}: cannot read the file ({exc})"]) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{shown}: {_yaml_problem(exc)}"]) from None
    if not isinstance(data, dict):
        what = "the file is empty" if data is None else f"{show(data)} is not a mapping"
        raise ScenarioError([f"{shown}: top level: {what} (allowed: a mapping of sections: "
                             f"{', '.join(field_names(Scenario))}, extends)"])
    return data


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        if exc.problem and exc.context and exc.context_mark and mark \
                and exc.context_mark.line != mark.line:
            # YAML notices a mistake late (an unclosed bracket at the next key): point back too.
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        return f"line {mark.line + 1}: {problem}" if mark else problem
    return f"not valid YAML ({exc})"


def _extends_target(parent: Any, path: Path, shown: str) -> tuple[Path, str]:
    if not isinstance(parent, str) or not parent:
        raise ScenarioError([f"{shown}: extends: {show(parent)} is not a file name "
                             "(allowed: a path relative to this file, e.g. program.yaml)"])
    target = path.parent / parent
    target_shown = os.path.normpath(os.path.join(os.path.dirname(shown), parent))
    if not target.is_file():
        raise ScenarioError([f"{shown}: extends: file {parent!r} not found "
                             f"(looked for {target_shown})"])
    return target, target_shown


def _anchor_files(node: Any, folder: Path) -> None:
    """Make `empirical: {file: ...}` paths absolute, so a base file in another folder keeps
    pointing at its own history export after merging."""
    if isinstance(node, dict):
        ref = node.get("empirical")
        if isinstance(ref, dict) and isinstance(ref.get("file"), str) \
                and not os.path.isabs(ref["file"]):
            ref["file"] = str((folder / ref["file"]).resolve())
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            _anchor_files(child, folder)


def _origins_of(data: Mapping[str, Any], shown: str, prefix: tuple[Any, ...] = ()) -> Origins:
    origins: Origins = {}
    for key, value in data.items():
        origins[(*prefix, key)] = shown
        if isinstance(value, Mapping):
            origins.update(_origins_of(value, shown, (*prefix, key)))
    return origins


def _origin(origins: Origins, loc: tuple[Any, ...], default: str) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in origins:
            return origins[loc[:n]]
    return default


def _merged(old: Any, new: Any) -> Any:
    return merge_scenario_data(old, new) if _mergeable(old) and _mergeable(new) else new


def _mergeable(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping) and not (len(value) == 1 and next(iter(value)) in KINDS)


# --- overrides --------------------------------------------------------------------------------

def _override_pairs(overrides: Overrides, shown: str) -> list[tuple[str, Any]]:
    if isinstance(overrides, Mapping):
        return [(str(key), value) for key, value in overrides.items()]
    pairs = []
    for text in [overrides] if isinstance(overrides, str) else overrides:
        dotted, sep, raw = str(text).partition("=")
        if not sep or not dotted.strip():
            raise ScenarioError([f"{shown}: override {text!r}: expected field.path=value "
                                 "(e.g. teams.platform.members=8)"])
        try:
            value = yaml.load(raw, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
        except yaml.YAMLError as exc:
            raise ScenarioError([f"{shown}: {dotted.strip()}: override value {raw!r} is not "
                                 f"valid YAML ({_yaml_problem(exc)})"]) from None
        pairs.append((dotted.strip(), value))
    return pairs


def _set_path(data: dict[str, Any], dotted: str, value: Any, shown: str, strict: bool = False
              ) -> tuple[Any, ...]:
    """Set ``a.b.0.c`` in nested data (creating mappings on the way); returns the path set.
    ``strict``: a path through a named section must name an entry that exists."""
    node: Any = data
    done: list[Any] = []
    keys = dotted.split(".")
    for i, key in enumerate(keys):
        part = _path_part(node, key, shown, dotted, tuple(done))
        done.append(part)
        if i == len(keys) - 1:
            old = node[part] if isinstance(node, list) else node.get(part)
            node[part] = _merged(old, value)
        else:
            if isinstance(node, dict) and node.get(part) is None:
                if strict:
                    _must_exist(node, part, tuple(done), shown, dotted)
                node[part] = {}
            node = node[part]
    return tuple(done)


# Sections whose keys are names the user chose: a path through one of them must name an
# existing entry, or a typo (`teams.platfrm.members=8`) would quietly add a new team.
_NAMED = {("teams",), ("epics",), ("risks",), ("milestones",), ("teams", "*", "stages")}


def _must_exist(node: dict[str, Any], part: str, path: tuple[Any, ...], shown: str,
                dotted: str) -> None:
    parent = path[:-1]
    if not any(len(p) == len(parent) and all(a in ("*", b) for a, b in zip(p, parent, strict=True))
               for p in _NAMED):
        return
    known = [str(k) for k in node]
    close = difflib.get_close_matches(str(part), known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ScenarioError([f"{shown}: {dotted}: no {format_loc(parent)} entry {part!r} "
                         f"({hint}known: {', '.join(known) or 'none'})"])


def _path_part(node: Any, key: str, shown: str, dotted: str, done: tuple[Any, ...]) -> Any:
    if isinstance(node, dict):
        return key
    where = format_loc(done)
    if isinstance(node, list):
        if key.isdigit() and int(key) < len(node):
            return int(key)
        raise ScenarioError([f"{shown}: {dotted}: {where} has no item {key!r} "
                             f"(allowed: 0 to {len(node) - 1})"])
    raise ScenarioError([f"{shown}: {dotted}: {where} is {show(node)}, not a mapping or list "
                         "(allowed: a path to a field)"])


def _plain(value: Any) -> Any:
    """A value as it is written in a scenario file (for what-if files)."""
    if isinstance(value, Distribution):
        return value.user_form()
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(by_alias=True, exclude_defaults=True))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# --- validation and the JSON Schema -------------------------------------------------------------

def _validate(data: dict[str, Any], origins: Origins, shown: str, folder: Path) -> Scenario:
    try:
        return Scenario.model_validate(data, context={"base_dir": str(folder)})
    except ValidationError as exc:
        lines = [f"{_origin(origins, loc, shown)}: {format_loc(loc)}: {msg}"
                 for loc, msg in validation_problems(exc, Scenario)]
        raise ScenarioError(lines) from None


def _any_of(node: Any) -> Any:
    # pydantic writes our tagged unions as oneOf, but {fixed: 3} is both a distribution and a
    # one-stage effort mapping; anyOf accepts what the loader accepts.
    if isinstance(node, dict):
        return {("anyOf" if k == "oneOf" else k): _any_of(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_any_of(v) for v in node]
    return node


def _partial(node: dict[str, Any]) -> dict[str, Any]:
    """A schema definition with nothing required (for files with `extends`)."""
    out = _renamed_refs(node)
    out.pop("required", None)
    return out


def _renamed_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (v.replace("#/$defs/", "#/$defs/Partial") if k == "$ref" else _renamed_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed_refs(v) for v in node]
    return node
