"""The mapping file of `workbench import jira`: which of your export's columns mean what, where
teams come from, release dates, and how to size and estimate work. Every key is optional; the
defaults are Jira's own column names.

    columns: {points: Custom field (Story point estimate), started: Custom field (Started)}
    team: {field: Custom field (Squad), names: {Payments Core: payments}, size: 6}
    releases: {"Checkout 1.0": 2027-03-31}
    not_broken_down: {statuses: [New, Refining], min_items: 3, default_items: 10}
    effort: {method: points, default_days: {triangular: [1, 2, 5]}}
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.scenario.distributions import Distribution
from workbench.scenario.errors import format_loc, validation_problems
from workbench.scenario.loader import ScenarioError

Names = tuple[str, ...]
EffortMethod = Literal["auto", "points", "resample", "default"]
METHODS: tuple[str, ...] = ("auto", "points", "resample", "default")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _as_names(value: Any) -> Any:
    """A single column name or a list of them."""
    return (value,) if isinstance(value, str) else value


class Columns(_Strict):
    """Your export's column for each role (default: Jira's names; the first one found is used;
    a name you give must be in the export)."""

    key: str = Field("Issue key", description="The issue key, e.g. CHK-12.")
    id: str = Field("Issue id", description="The numeric issue id (Jira Cloud's Parent uses it).")
    type: str = Field("Issue Type", description="Epic, Story, Task, Bug, Sub-task...")
    status: str = Field("Status", description="The workflow status.")
    status_category: str = Field("Status Category", description="To Do, In Progress or Done.")
    summary: str = Field("Summary", description="The issue's title (for comments only).")
    parent: Names = Field(("Parent", "Parent id", "Parent key", "Custom field (Epic Link)"),
                          description="Columns naming an issue's parent (key, id or epic name).")
    epic_name: str = Field("Custom field (Epic Name)", description="An epic's short name.")
    created: str = Field("Created", description="When the issue was created.")
    updated: str = Field("Updated", description="When the issue last changed (for as_of).")
    resolved: str = Field("Resolved", description="When the issue was resolved.")
    resolution: str = Field("Resolution", description="Done, Won't Do, Duplicate...")
    started: str | None = Field(None, description="When work started (default: none, so "
                                                  "learned effort runs from Created).")
    points: Names = Field(("Custom field (Story Points)", "Custom field (Story point estimate)"),
                          description="Story points.")
    fix_versions: str = Field("Fix versions", description="Releases, the milestones.")
    rank: str = Field("Custom field (Rank)", description="Backlog order (epics are written in it).")
    blocks: Names = Field(("Outward issue link (Blocks)",),
                          description="Links naming the issues this one blocks.")
    blocked_by: Names = Field(("Inward issue link (Blocks)",),
                              description="Links naming the issues that block this one.")

    @field_validator("parent", "points", "blocks", "blocked_by", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        return _as_names(value)


class Teams(_Strict):
    """Where an epic's team comes from, and the size the imported teams get."""

    field: str | None = Field(None, description="A column, or `component` (first of Components) "
                                                "or `project` (Project key). Default: "
                                                "Custom field (Team) if present, else project.")
    names: dict[str, str] = Field(default_factory=dict,
                                  description="A team's value in Jira -> its name in the scenario.")
    epics: dict[str, str] = Field(default_factory=dict,
                                  description="Epic key -> team (for epics Jira gives none).")
    size: Annotated[int, Field(ge=1, le=10_000)] = Field(
        5, description="Members of each imported team: a default to override in the scenario "
                       "that extends the imported one.")


class Statuses(_Strict):
    """Which statuses are done or in progress when the export has no Status Category column,
    and which resolutions mean "closed without doing the work"."""

    done: Names = ("Done", "Closed", "Resolved", "Released")
    in_progress: Names = ("In Progress", "In Review", "In Test", "Review")
    not_done_resolutions: Names = ("Won't Do", "Won't Fix", "Duplicate", "Cannot Reproduce",
                                   "Declined", "Obsolete")


class Sizing(_Strict):
    """Epics not broken down yet are sized from the export's finished epics."""

    statuses: Names = Field(("New", "Refining"),
                            description="Epic statuses that mean: not broken down yet.")
    min_items: Annotated[int, Field(ge=0, le=100_000)] = Field(
        3, description="An epic with fewer items than this is not broken down yet.")
    default_items: Annotated[int, Field(ge=1, le=100_000)] = Field(
        10, description="Items of such an epic when fewer than 3 finished epics teach a size.")


class Effort(_Strict):
    """How person-days per item are found."""

    method: EffortMethod = Field(
        "auto", description="points (story points x a learned rate), resample (each team's "
                            "finished items), default (default_days); auto: the first that works.")
    default_days: Distribution = Field(
        Distribution.model_validate({"triangular": [1, 2, 5]}),
        description="Person-days per item for the default method.")
    recent_items: Annotated[int, Field(ge=5, le=10_000)] = Field(
        100, description="Finished items per team that resample keeps (the most recent).")


class JiraMapping(_Strict):
    """A mapping file for `workbench import jira`."""

    name: str | None = Field(None, description="The scenario's name.")
    as_of: dt.date | None = Field(None, description="The export's date (default: its newest).")
    columns: Columns = Field(default_factory=lambda: Columns.model_validate({}))
    team: Teams = Field(default_factory=lambda: Teams.model_validate({}))
    epic_types: Names = ("Epic",)
    status: Statuses = Field(default_factory=lambda: Statuses.model_validate({}))
    releases: dict[str, dt.date] = Field(default_factory=dict,
                                         description="Fix version -> its release date.")
    not_broken_down: Sizing = Field(default_factory=lambda: Sizing.model_validate({}))
    effort: Effort = Field(default_factory=lambda: Effort.model_validate({}))

    @field_validator("releases", mode="before")
    @classmethod
    def _version_names(cls, value: Any) -> Any:
        # `1.0: 2027-03-31` reads as a number key: keep it as the text the TPM wrote
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


def load_mapping(path: str | Path | None) -> JiraMapping:
    """Read and check a mapping file (None: all defaults)."""
    if path is None:
        return JiraMapping.model_validate({})
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([f"{p}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{p}: cannot read the file ({type(exc).__name__})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "top level"
        raise ScenarioError([f"{p}: {where}: not valid YAML"]) from None
    return validate_mapping(data if data is not None else {}, str(p))


def validate_mapping(data: Any, shown: str) -> JiraMapping:
    """A mapping from plain data; mistakes as `FILE: field.path: what (allowed)` lines."""
    if not isinstance(data, dict):
        raise ScenarioError([f"{shown}: top level: not a mapping (allowed: a mapping of "
                             f"{', '.join(JiraMapping.model_fields)})"])
    try:
        return JiraMapping.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([f"{shown}: {format_loc(loc)}: {msg}"
                             for loc, msg in validation_problems(exc, JiraMapping)]) from None


def given_columns(mapping: JiraMapping) -> dict[str, Names]:
    """The columns the mapping names explicitly (these must exist), by role."""
    cols = mapping.columns
    given = {role: _as_names(getattr(cols, role)) for role in cols.model_fields_set}
    if mapping.team.field not in (None, "component", "project"):
        given["team.field"] = (mapping.team.field,)
    return {role: tuple(n for n in names if n) for role, names in given.items()}
