"""An imported plan as a scenario file: teams, epics, milestones, with comments saying where
each number came from; checked by the scenario loader before a byte is written, then written
atomically with its import report beside it. Same plan, same bytes."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.files import limits
from workbench.files.atomic import atomic_write_text
from workbench.scenario.loader import scenario_from_data

MIN_HORIZON_DAYS = 730
HORIZON_MARGIN_DAYS = 365  # beyond the last target, so a late program still shows its date


@dataclass
class PlanTeam:
    name: str
    members: int
    comment: str = ""


@dataclass
class PlanEpic:
    name: str
    team: str
    items: int
    effort: Any  # as written in a scenario (a number or a one-key mapping)
    depends_on: list[str] = field(default_factory=list)
    split_rate: tuple[float, float] | None = None
    priority: int | None = None
    comments: list[str] = field(default_factory=list)


@dataclass
class PlanMilestone:
    name: str
    epics: list[str]
    target: dt.date | None = None
    comment: str = ""


@dataclass
class Plan:
    """What an import found, ready to write."""

    name: str
    description: str
    start: dt.date
    teams: list[PlanTeam]
    epics: list[PlanEpic]
    milestones: list[PlanMilestone]
    header: list[str] = field(default_factory=list)  # comment paragraphs at the top
    teams_note: str = ""  # a comment above `teams:`

    def horizon_days(self) -> int:
        targets = [(m.target - self.start).days for m in self.milestones if m.target]
        wanted = max([MIN_HORIZON_DAYS, *(t + HORIZON_MARGIN_DAYS for t in targets)])
        return min(wanted, limits.current().horizon_days)


@dataclass
class ImportReport:
    """What was imported and everything that could not be: printed and written beside it."""

    title: str
    summary: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [self.title, *(f"  {s}" for s in self.summary)]
        for head, rows in (("notes", self.notes), ("could not map", self.unused)):
            if rows:
                lines += [f"{head} ({len(rows)}):", *(f"  {r}" for r in rows)]
        return "\n".join(lines) + "\n"


# --- checking ---------------------------------------------------------------------------------

def find_cycles(depends_on: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Loops of dependencies, each in order (a waits for b ... waits for a), each epic in at
    most one reported loop."""
    left = _in_cycles(depends_on)
    cycles = []
    for start in depends_on:
        loop = _walk_to_loop(start, depends_on, left) if start in left else None
        if loop:
            cycles.append(loop)
            left -= set(loop)
    return cycles


def _walk_to_loop(start: str, depends_on: Mapping[str, Sequence[str]], left: set[str]
                  ) -> list[str] | None:
    """Follow dependencies from ``start`` until one repeats: the loop, closed (a, b, a)."""
    path = [start]
    while True:
        node = next((d for d in depends_on.get(path[-1], ()) if d in left), None)
        if node is None:
            return None
        if node in path:
            return [*path[path.index(node):], node]
        path.append(node)


def _in_cycles(depends_on: Mapping[str, Sequence[str]]) -> set[str]:
    """Epics on or leading into a loop: what is left after peeling off those whose
    dependencies can all finish (Kahn), then those that nothing left waits on."""
    nodes = set(depends_on) | {d for ds in depends_on.values() for d in ds}
    waits = {n: {d for d in depends_on.get(n, ()) if d in nodes} for n in nodes}
    changed = True
    while changed:
        free = {n for n, ds in waits.items() if not ds & waits.keys()}
        needed = {d for ds in waits.values() for d in ds}
        done = free | {n for n in waits if n not in needed}
        changed = bool(done)
        for n in done:
            waits.pop(n)
    return set(waits)


# --- writing ----------------------------------------------------------------------------------

def save(plan: Plan, out: str | Path, report: ImportReport) -> Path:
    """Check the scenario loads, then write it and its report (``OUT.import.txt``)."""
    target = Path(out)
    check_loads(plan, target)
    atomic_write_text(target, scenario_text(plan))
    atomic_write_text(report_path(target), report.text())
    return target


def report_path(out: str | Path) -> Path:
    """Where the import report of a scenario goes: beside it, `NAME.import.txt`."""
    target = Path(out)
    return target.with_name(target.stem + ".import.txt")


def check_loads(plan: Plan, target: Path) -> None:
    """The plan must validate as a scenario, as `workbench run` will read it (the text says
    the same as `scenario_data`: tests hold them equal)."""
    scenario_from_data(scenario_data(plan), str(target), target.parent)


def scenario_data(plan: Plan) -> dict[str, Any]:
    """The plan as the plain data its scenario file holds."""
    data: dict[str, Any] = {
        "name": plan.name, "description": plan.description, "start": plan.start,
        "horizon_days": plan.horizon_days(),
        "teams": {t.name: {"members": t.members} for t in plan.teams},
        "epics": {e.name: _epic_data(e) for e in plan.epics}}
    if plan.milestones:
        data["milestones"] = {m.name: {"epics": list(m.epics), **(
            {"target": m.target} if m.target else {})} for m in plan.milestones}
    return data


def _epic_data(epic: PlanEpic) -> dict[str, Any]:
    out: dict[str, Any] = {"team": epic.team, "items": epic.items}
    optional = (("effort_days", epic.effort), ("split_rate", list(epic.split_rate or ())),
                ("priority", epic.priority), ("depends_on", list(epic.depends_on)))
    out.update({k: v for k, v in optional if v is not None and v != []})
    return out


def scenario_text(plan: Plan) -> str:
    """The scenario file: header comments, then name ... milestones, in a stable order."""
    lines = [*_comment_block(plan.header, ""), f"name: {_scalar(plan.name)}",
             f"description: {_scalar(plan.description)}", f"start: {plan.start.isoformat()}",
             f"horizon_days: {plan.horizon_days()}",
             *_comment_block([plan.teams_note] if plan.teams_note else [], ""), "teams:"]
    for team in plan.teams:
        lines.append(f"  {_scalar(team.name)}: {{members: {team.members}}}"
                     + (f"  # {_one_line(team.comment)}" if team.comment else ""))
    lines.append("epics:" if plan.epics else "epics: {}")
    for epic in plan.epics:
        lines += _epic_lines(epic)
    if plan.milestones:
        lines.append("milestones:")
        for m in plan.milestones:
            lines += _milestone_lines(m)
    return "\n".join(lines) + "\n"


def _epic_lines(epic: PlanEpic) -> list[str]:
    lines = [*_comment_block(epic.comments, "  "), f"  {_scalar(epic.name)}:",
             f"    team: {_scalar(epic.team)}", f"    items: {epic.items}"]
    if epic.effort is not None:
        lines.append(f"    effort_days: {flow(epic.effort)}")
    if epic.split_rate:
        lines.append(f"    split_rate: {flow(list(epic.split_rate))}")
    if epic.priority is not None:
        lines.append(f"    priority: {epic.priority}")
    if epic.depends_on:
        lines.append(f"    depends_on: {flow(epic.depends_on)}")
    return lines


def _milestone_lines(m: PlanMilestone) -> list[str]:
    head = f"  {_scalar(m.name)}:" + (f"  # {_one_line(m.comment)}" if m.comment else "")
    lines = [head, f"    epics: {flow(m.epics)}"]
    if m.target:
        lines.append(f"    target: {m.target.isoformat()}")
    return lines


def _comment_block(paragraphs: Sequence[str], indent: str) -> list[str]:
    out = []
    for text in paragraphs:
        wrapped = _wrap(_one_line(text), 96 - len(indent))
        out += [f"{indent}# {line}" for line in wrapped] or [f"{indent}#"]
    return out


def _wrap(text: str, width: int) -> list[str]:
    """Words in lines of at most ``width`` (a longer word gets a line of its own); the lines
    after the first indented by two spaces."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "  " + word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


def _one_line(text: str) -> str:
    """Text safe inside a YAML comment: one line, printable, not too long."""
    text = str(text)
    if not text.isprintable():  # a tab, a line break, a control character
        text = "".join(c if c.isprintable() else " " for c in text)
    clean = " ".join(text.split())
    return clean if len(clean) <= 400 else clean[:397] + "..."


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _scalar(value: Any) -> str:
    """One YAML scalar: plain when unambiguous, else JSON-quoted (valid YAML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    """A value in YAML flow style: ``{lognormal: {p50: 3.0, p90: 8.0}}``, ``[a, b]``."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return _scalar(value)


def slug(text: str, empty: str) -> str:
    """A name usable in `--set teams.NAME.members=8`: lower case, no dots or spaces."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or empty
