"""The scenario reference, `docs/scenarios.md`, generated from the models so it cannot drift.

    python -m workbench.app.docs           # rewrite docs/scenarios.md
    python -m workbench.app.docs --check   # exit 1 if the committed file is out of date

A developer's tool, run in the project checkout (or a folder below it): docs/ and scenarios/ are
those of the project folder, the nearest folder at or above the current one with pyproject.toml.

Every key, type, default and description comes from `workbench.scenario`; the error lines shown
are produced by the real validator; the bundled scenarios are listed with their first comment.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import inspect
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from workbench.files import limits
from workbench.files.project import project_root
from workbench.scenario import distributions
from workbench.scenario.distributions import Distribution
from workbench.scenario.errors import (
    bare_type,
    describe_field,
    format_loc,
    is_union,
    validation_problems,
)
from workbench.scenario.loader import merge_scenario_data
from workbench.scenario.models import Delivery, Scenario
from workbench.scenario.rules import RULES

ROOT = project_root()
DOC_PATH = ROOT / "docs" / "scenarios.md"
SCENARIO_DIR = ROOT / "scenarios"

# A small but complete scenario; the tests load it, so the reference never shows a broken example.
EXAMPLE = """\
name: Payments platform launch
start: 2027-01-04
horizon_days: 730
calendar:
  workdays: [mon, tue, wed, thu, fri]
  holidays: {country: US, dates: [2027-12-24]}
teams:
  platform:
    members: 6
    focus: 0.7                 # share of time on planned work
    wip_limit: 4
    cost_per_person_day: 900
    stages:
      build: {people: 4}
      review: {people: 2, wip_limit: 3}
    interrupts: {rate_per_week: 2, effort_days: {triangular: [0.5, 1, 3]}}
    hires: [{date: 2027-02-01, count: 2, ramp_up_weeks: 8, mentoring: 0.2}]
    time_off: [{start: 2027-07-01, end: 2027-07-14, people: 2}]
  identity:
    members: 3
epics:
  sso:
    team: identity
    items: 14
    effort_days: {lognormal: {p50: 3, p90: 8}}
    split_rate: [1.0, 1.3]
  payments-api:
    team: platform
    items: 20
    effort_days: {build: {triangular: [1, 3, 10]}, review: {exponential: {mean: 0.5}}}
    rework: {from: review, to: build, probability: 0.15}
    depends_on: [sso]
risks:
  vendor-late: {probability: 0.3, delay: {epic: payments-api, days: {triangular: [5, 10, 20]}}}
  key-person-leaves:
    probability: 0.1
    capacity: {team: platform, members: 1, start: 2027-03-01}
milestones:
  beta: {epics: [sso, payments-api], target: 2027-05-31}
"""

WHATIF_EXAMPLE = """\
# Two more platform engineers, both building.
extends: payments.yaml
name: Payments launch, two more platform engineers
teams: {platform: {members: 8, stages: {build: {people: 6}}}}
"""

# Small mistakes (changes to a sound scenario) whose real error lines the reference shows.
_SOUND: dict[str, Any] = {
    "name": "example", "start": dt.date(2027, 1, 4), "teams": {"platform": {"members": 6}},
    "epics": {"sso": {"team": "platform", "items": 5, "effort_days": 2},
              "ledger": {"team": "platform", "items": 5, "effort_days": 2}}}
_MISTAKES: tuple[dict[str, Any], ...] = (
    {"teams": {"platform": {"focs": 0.7}}},
    {"teams": {"platform": {"focus": "most"}}},
    {"epics": {"payments-api": {"team": "platform", "items": 20, "effort_days": 3,
                                "depends_on": ["sso2"]}}},
    {"epics": {"sso": {"depends_on": ["ledger"]}, "ledger": {"depends_on": ["sso"]}}},
    {"milestones": {"beta": {"epics": ["sso"], "target": dt.date(2026, 12, 1)}}},
)


def render() -> str:
    """The full text of docs/scenarios.md."""
    parts = [_intro(), _example(), *(_section(m, where) for m, where in model_sections()),
             _distributions(), _extends(), _rules(), _limits(), _errors(), _bundled()]
    return "\n\n".join(p.strip("\n") for p in parts) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write docs/scenarios.md, or with --check say whether it is up to date (exit 1 if not)."""
    parser = argparse.ArgumentParser(prog="python -m workbench.app.docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only compare, do not write")
    args = parser.parse_args(argv)
    text = render()
    current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
    if args.check:
        if current != text:
            print(f"{DOC_PATH}: out of date; run `python -m workbench.app.docs`", file=sys.stderr)
            return 1
        print(f"{DOC_PATH}: up to date")
        return 0
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


# --- the sections, found by walking the models --------------------------------------------------

@functools.cache
def model_sections() -> tuple[tuple[type[BaseModel], str], ...]:
    """Every model of a scenario file with where it sits (``teams.<team>.hires[]``), in the
    order a reader meets them."""
    found: list[tuple[type[BaseModel], str]] = [(Scenario, "")]
    seen: set[type[BaseModel]] = {Scenario}

    def visit(model: type[BaseModel], where: str) -> None:
        for key, field in _fields(model):
            for child, at in _nested(field.annotation, f"{where}.{key}".lstrip(".")):
                if child not in seen:
                    seen.add(child)
                    found.append((child, at))
                    visit(child, at)

    visit(Scenario, "")
    return tuple(found)


def _fields(model: type[BaseModel]) -> Iterator[tuple[str, FieldInfo]]:
    for name, field in model.model_fields.items():
        yield field.alias or name, field


def _nested(ann: Any, where: str) -> Iterator[tuple[type[BaseModel], str]]:
    ann = bare_type(ann)
    args = get_args(ann)
    if is_union(ann):
        for member in args:
            yield from _nested(member, where)
    elif inspect.isclass(ann) and issubclass(ann, BaseModel) and ann not in (Distribution,
                                                                              Delivery):
        yield ann, where
    elif get_origin(ann) is dict:
        singular = where.rsplit(".", 1)[-1].removesuffix("s")
        yield from _nested(args[1], f"{where}.<{singular}>")
    elif get_origin(ann) in (tuple, list) and args and args[-1] is Ellipsis:
        yield from _nested(args[0], f"{where}[]")


def _section(model: type[BaseModel], where: str) -> str:
    title = "Scenario (top level)" if not where else f"{model.__name__}: `{where}`"
    rows = [f"| `{key}` | {_linked(describe_field(f))} | {_default(f)} | {_meaning(f)} |"
            for key, f in _fields(model)]
    return "\n".join([f"## {title}", "", _doc(model), "",
                      "| key | type | default | meaning |", "|---|---|---|---|", *rows])


def _doc(model: type[BaseModel]) -> str:
    return " ".join(inspect.cleandoc(model.__doc__ or "").split())


def _linked(text: str) -> str:
    names = {m.__name__ for m, _ in model_sections()}
    text = re.sub(r"\b(" + "|".join(sorted(names)) + r")\b",
                  lambda m: f"[{m.group(1)}](#{_anchor(m.group(1))})", text)
    return text.replace("distribution", "[distribution](#distributions)")


def _anchor(name: str) -> str:
    where = dict((m.__name__, w) for m, w in model_sections())[name]
    heading = "Scenario (top level)" if not where else f"{name}: `{where}`"
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see its section"
    return f"`{_yaml(value)}`" if value not in (None, "") else "(none)"


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}" if not value else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _meaning(field: FieldInfo) -> str:
    return (field.description or "").replace("|", "\\|")


# --- prose around the tables --------------------------------------------------------------------

def _intro() -> str:
    return f"""
<!-- Generated by `python -m workbench.app.docs` from workbench/scenario/models.py:
     do not edit by hand. -->
# Scenario files: the reference

A **scenario** is one YAML file that describes a program the way a TPM talks about it: the teams
and their calendar, the work and its dependencies, the risks, and the milestones leadership
tracks. The workbench plays it out hundreds of times to forecast dates, chances and cost.

Check a file with `workbench validate FILE` (or a folder); `workbench schema` prints the JSON
Schema for editors. Sections: {", ".join(f"`{k}`" for k, _ in _fields(Scenario))}, and
`extends` (see [What-ifs](#what-ifs-extends-and-overrides)).

Keys are checked: a misspelt key is an error with a suggestion, never silently ignored. Units are
in the names: `effort_days` is person-days of work, `rate_per_week` a rate, `horizon_days`
calendar days. One item is worked by one person at a time; its effort becomes calendar time
through that person's availability (working days, focus, ramp-up, time off, interrupts).
"""


def _example() -> str:
    return f"## Example\n\n```yaml\n{EXAMPLE}```"


def _distributions() -> str:
    doc = inspect.cleandoc(distributions.__doc__ or "")
    intro, _, forms = doc.partition("::")
    return "\n".join([
        "## Distributions", "",
        " ".join(intro.split()) + ":", "",
        "```yaml", inspect.cleandoc(forms), "```", "",
        "`lognormal` is set by its median (p50) and the value 9 in 10",
        "draws stay under (p90): the usual way to give a skewed estimate. `empirical` resamples",
        "numbers you measured, or cycle times (days) from a completed-work export; its `file` is",
        "relative to the scenario file that names it."])


def _extends() -> str:
    return f"""
## What-ifs: extends and overrides

A what-if is a few lines: `extends` names the file it builds on (relative to this file), and
the rest lists only what differs.

```yaml
{WHATIF_EXAMPLE}```

How files combine: **mappings merge key by key and the later file wins; lists and distributions
are replaced whole** (in the example the `platform` team keeps its focus, cost and other stages;
only `members` and the build stage's `people` change). Chains (`a` extends `b` extends `c`) are
allowed; a missing file or a loop of `extends` is an error.

**Overrides** change fields after merging, without a file:
`workbench validate program.yaml --set teams.platform.members=8` (the value is read as YAML,
so `--set 'epics.sso.effort_days={{triangular: [1, 2, 6]}}'` works; a number in the path picks a
list item: `arrivals.0.rate_per_day=2`). From Python: `load_scenario(path, overrides)` with a
mapping `{{"teams.platform.members": 8}}` or the same strings.

Every forecast prints the scenario's SHA-256: a hash of the fully resolved scenario (after
`extends` and overrides, with defaults filled in), so two reports with the same hash came from
the same inputs.

**Files a scenario may read.** `extends` and `empirical: {{file: ...}}` name files inside the
scenario's project: the nearest folder at or above the scenario holding `pyproject.toml`,
`.workbench` (an empty file you may create to mark a project) or `.git`, else the scenario's own
folder. Anything else is one line naming the field and this rule; allow another folder with
`workbench --allow-path DIR ...` (or `WORKBENCH_ALLOW_PATHS`). An error about such a file never
quotes its content.
"""


def _rules() -> str:
    return "\n".join(["## Rules across sections", "",
                      "Checked once every section is valid on its own:", "",
                      *(f"- {rule}" for rule in RULES)])


def _limits() -> str:
    rows = [f"| `{f.name}` | {f.default:,} |" for f in dataclasses.fields(limits.Limits)]
    return "\n".join([
        "## Limits", "",
        "Checked before any work, so a mistyped number gives one line instead of a crash "
        "after minutes. Raise one for a command with `workbench --limit NAME=N ...`, or for a "
        f"session with `{limits.ENV_VAR}=NAME=N,NAME=N` (report kernels and sweep workers "
        "inherit it). Aliases (`*x`, repeating what an anchor `&x` names) are refused in "
        "scenario files: a few bytes of them can stand for gigabytes, and `extends` shares "
        "whole files instead.", "",
        "| limit | default |", "|---|---|", *rows])


def _errors() -> str:
    lines = [line for data in _MISTAKES for line in _error_lines(data)]
    return "\n".join([
        "## Error messages", "",
        "`workbench validate` prints one line per problem, `FILE: field.path: what is wrong "
        "(what is allowed)`, and exits with code 2. The field path is the one overrides use. "
        "For example:", "",
        "```text", *lines, "```", "",
        "A YAML mistake is reported by line (`FILE: line 7: mapping values are not allowed "
        "here`); a key written twice in the same mapping is an error, as the second would "
        "silently replace the first."])


def _error_lines(change: dict[str, Any]) -> list[str]:
    data = merge_scenario_data(_SOUND, change)
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        return [f"whatif.yaml: {format_loc(loc)}: {msg}"
                for loc, msg in validation_problems(exc, Scenario)]
    raise AssertionError(f"the documented mistake {change} is accepted")


def _bundled() -> str:
    rows = [f"| `scenarios/{path.name}` | {_first_comment(path)} |"
            for path in sorted(SCENARIO_DIR.glob("*.yaml"))]
    return "\n".join(["## Bundled scenarios", "", "| file | what it is |", "|---|---|", *rows])


def _first_comment(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return first.lstrip("#").strip().replace("|", "\\|")


if __name__ == "__main__":
    raise SystemExit(main())
