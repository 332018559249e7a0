"""`workbench import jira`: a Jira CSV export becomes a scenario `workbench run` accepts as is.

Epics come from `Issue Type = Epic`, their items from `Parent` / `Epic Link` (sub-tasks folded
into their items), teams from a chosen field, dependencies from `Blocks` links, milestones from
`Fix versions`. Done items are progress as of the export's date: the scenario starts then with
the items still to do. Effort per item and the size of epics not broken down yet are learned
from the same export. Everything that cannot be mapped gets one line in the import report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workbench.files.jira import ExportError
from workbench.scenario.imports.effort import (
    EffortModel,
    Sizes,
    learn_effort,
    learn_sizes,
    not_broken_down,
    sized,
)
from workbench.scenario.imports.issues import (
    DONE,
    DROPPED,
    PROGRESS,
    Issue,
    Program,
    majority,
    read_program,
)
from workbench.scenario.imports.links import Dependencies, epic_dependencies
from workbench.scenario.imports.plan import (
    ImportReport,
    Plan,
    PlanEpic,
    PlanMilestone,
    PlanTeam,
    find_cycles,
    report_path,
    save,
    slug,
)
from workbench.scenario.imports.settings import JiraMapping
from workbench.scenario.loader import ScenarioError

UNASSIGNED = "unassigned"


@dataclass
class EpicCount:
    """An epic's items by state, and what is left to do (sized when not broken down yet)."""

    epic: Issue
    team: str = ""
    items: list[Issue] = field(default_factory=list)
    done: int = 0
    dropped: int = 0
    progress: int = 0
    left: int = 0
    future: int = 0  # items not written yet (sized epics)
    split: tuple[float, float] | None = None
    sized_note: str = ""

    @property
    def open_items(self) -> list[Issue]:
        return [i for i in self.items if not i.finished]

    @property
    def written(self) -> int:
        return len(self.items) - self.dropped


def import_jira(export: str | Path, out: str | Path, mapping: JiraMapping,
                mapping_shown: str = "--mapping") -> ImportReport:
    """Read the export, write the scenario to ``out`` and the report beside it; return the
    report. Input to fix raises `ScenarioError` before anything is written."""
    try:
        program = read_program(str(export), mapping, mapping_shown)
    except ExportError as exc:  # the files layer's lines, as the scenario layer's error
        raise ScenarioError(exc.problems) from None
    report = ImportReport(f"workbench import jira: {export} -> {out}")
    names = _team_names(program, mapping)
    counts = _count(program, mapping, names, report)
    sizes = learn_sizes(program, mapping)
    _size(counts, sizes, mapping)
    open_counts = [c for c in counts if c.left > 0]
    open_items = [i for c in open_counts for i in c.open_items]
    team_of = {c.epic.key: c.team for c in counts}
    effort = learn_effort(program, mapping, team_of, open_items)
    deps = epic_dependencies(program, {c.epic.key for c in open_counts})
    _refuse_cycles(program, deps)
    plan = _plan(program, mapping, counts, effort, sizes, deps)
    plan.teams = _plan_teams(program, mapping, names, open_counts)
    _fill_report(report, program, counts, effort, deps, out)
    save(plan, out, report)
    return report


# --- counting -------------------------------------------------------------------------------

def _count(program: Program, mapping: JiraMapping, names: dict[str, str],
           report: ImportReport) -> list[EpicCount]:
    counts = []
    for epic in program.epics:
        items = program.items[epic.key]
        c = EpicCount(epic, names[_epic_team(program, epic, items, mapping, report)], items)
        c.done = sum(1 for i in items if i.state == DONE)
        c.dropped = sum(1 for i in items if i.state == DROPPED)
        c.progress = sum(1 for i in items if i.state == PROGRESS)
        c.left = len(c.open_items)
        counts.append(c)
    return counts


def _epic_team(program: Program, epic: Issue, items: list[Issue], mapping: JiraMapping,
               report: ImportReport) -> str:
    """The epic's team value: the mapping's, the epic's own, else most of its items'."""
    column = program.team_column or "team"
    if epic.key in mapping.team.epics:
        return mapping.team.epics[epic.key]
    if epic.team:
        return epic.team
    found = majority(i.team for i in items)
    if found:
        report.notes.append(f"{epic.key}: the epic has no {column}; team {found!r} taken from "
                            "most of its items")
        return found
    report.unused.append(f"{epic.key}: no team ({column} empty on the epic and its items); put "
                         f"in team {UNASSIGNED!r} (set it in Jira, or in the mapping's "
                         "team.epics)")
    return ""


def _team_names(program: Program, mapping: JiraMapping) -> dict[str, str]:
    """Each team value -> a team name usable in `--set teams.NAME.members=8` (no dots,
    spaces or capitals), unique; the mapping's team.names win."""
    items = [i for its in program.items.values() for i in its]
    values = sorted({e.team for e in program.epics} | {i.team for i in items}
                    | set(mapping.team.epics.values()))
    names: dict[str, str] = {"": UNASSIGNED}
    taken = {UNASSIGNED}
    for value in [v for v in values if v]:
        name = mapping.team.names.get(value) or slug(value, "team")
        while name in taken and value not in mapping.team.names:
            name = _bump(name)
        names[value] = name
        taken.add(name)
    return names


def _bump(name: str) -> str:
    stem, _, n = name.rpartition("-")
    return f"{stem}-{int(n) + 1}" if stem and n.isdigit() else f"{name}-2"


def _size(counts: list[EpicCount], sizes: Sizes, mapping: JiraMapping) -> None:
    """Epics not broken down yet get their expected size, never less than what is open."""
    for c in counts:
        if c.epic.state in (DONE, DROPPED) and not c.open_items:
            continue
        reason = not_broken_down(c.epic, c.written, mapping)
        if reason is None:
            continue
        left, split, total = sized(sizes, c.written, c.done, c.left)
        c.future, c.left, c.split = left - c.left, left, split
        c.sized_note = (f"not broken down yet ({reason}): sized {total} items from "
                        f"{sizes.describe()}; {left} left")


def _refuse_cycles(program: Program, deps: Dependencies) -> None:
    lines = []
    for loop in find_cycles(deps.depends_on):
        links = [deps.because[(a, b)][0] for a, b in zip(loop, loop[1:], strict=False)]
        columns = sorted({link.column for link in links})
        lines.append(f"{program.source}: {', '.join(columns)}: dependency cycle "
                     f"{' -> '.join(loop)} from links {', '.join(k.text() for k in links)} "
                     "(each epic waits for the next, so none can start; allowed: no cycles, "
                     "remove one of these links in Jira)")
    if lines:
        raise ScenarioError(lines)


# --- the plan -------------------------------------------------------------------------------

def _plan(program: Program, mapping: JiraMapping, counts: list[EpicCount],
          effort: EffortModel, sizes: Sizes, deps: Dependencies) -> Plan:
    open_counts = [c for c in counts if c.left > 0]
    epics = [_plan_epic(c, effort, deps) for c in open_counts]
    milestones = _milestones(program, mapping, open_counts)
    name = mapping.name or f"{Path(program.source).stem} (imported from Jira)"
    return Plan(name, _description(program, counts, open_counts, effort), program.as_of, [],
                epics, milestones, _header(program, counts, effort, sizes),
                teams_note=f"{mapping.team.size} members per team is a default: set the real "
                           "sizes in the scenario that extends this file.")


def _plan_teams(program: Program, mapping: JiraMapping, names: dict[str, str],
                open_counts: list[EpicCount]) -> list[PlanTeam]:
    """The teams with open work, by name, each with the Jira value it came from."""
    value_of = {name: value for value, name in names.items()}
    used = sorted({c.team for c in open_counts} or {UNASSIGNED})
    column = program.team_column or "no team column"
    return [PlanTeam(t, mapping.team.size,
                     f"{column}: {value_of[t]!r}" if value_of.get(t) else "no team in Jira")
            for t in used]


def _plan_epic(c: EpicCount, effort: EffortModel, deps: Dependencies) -> PlanEpic:
    dist, why = effort.for_epic(c.team, c.open_items, c.future)
    comments = [f"{c.epic.key} {c.epic.summary}: {_progress(c)}"]
    if c.sized_note:
        comments.append(c.sized_note)
    if c.epic.state in (DONE, DROPPED):
        comments.append(f"the epic is {c.epic.status} in Jira, but {len(c.open_items)} of its "
                        "items are not: their work is kept")
    comments.append(f"effort: {effort.method}, {why}")
    return PlanEpic(c.epic.key, c.team, c.left, dist, deps.depends_on.get(c.epic.key, []),
                    c.split, comments=comments)


def _progress(c: EpicCount) -> str:
    parts = [f"{c.done} of {c.written} items done", f"{c.progress} in progress"]
    if c.dropped:
        parts.append(f"{c.dropped} closed without work")
    return ", ".join(parts) + f"; {c.left} to do"


def _milestones(program: Program, mapping: JiraMapping, open_counts: list[EpicCount]
                ) -> list[PlanMilestone]:
    """One milestone per fix version of open work (the epic's own, or its open items')."""
    members: dict[str, list[str]] = {}
    for c in open_counts:
        for version in _versions(c.epic, c.open_items):
            members.setdefault(version, []).append(c.epic.key)
    releases = {**{slug(k, k): v for k, v in mapping.releases.items()}, **mapping.releases}
    taken: set[str] = set()
    out = []
    for version in sorted(members):
        name = slug(version, "release")
        while name in taken:
            name = _bump(name)
        taken.add(name)
        target = releases.get(version) or releases.get(name)
        late = target is not None and target < program.as_of
        out.append(PlanMilestone(name, members[version], None if late else target,
                                 f"Fix version {version!r}" + (f"; its date {target} is before "
                                 "as_of, so no target" if late else "")))
    _note_versions(program, mapping, set(members))
    return sorted(out, key=lambda m: (m.target is None, m.target or program.as_of, m.name))


def _versions(epic: Issue, items: Iterable[Issue]) -> list[str]:
    out = list(epic.versions)
    for item in items:
        out += [v for v in item.versions if v not in out]
    return out


def _note_versions(program: Program, mapping: JiraMapping, used: set[str]) -> None:
    every = {v for i in program.by_key.values() for v in i.versions}
    for version in sorted(every - used):
        program.notes.append(f"fix version {version!r}: no open work carries it (all done, or "
                             "not under an epic); no milestone")
    slugs = {slug(v, v) for v in used} | used
    for version in sorted(set(mapping.releases) - slugs):
        program.notes.append(f"release {version!r} has a date but is no fix version of open "
                             "work; no milestone")


def _description(program: Program, counts: list[EpicCount], open_counts: list[EpicCount],
                 effort: EffortModel) -> str:
    done = sum(c.done for c in counts)
    left = sum(c.left for c in open_counts)
    sized_keys = [c.epic.key for c in open_counts if c.sized_note]
    text = (f"Imported from {Path(program.source).name} (Jira) as of {program.as_of}: "
            f"{len(open_counts)} open epics, {left} items to do, {done} done by then (done "
            f"per epic: {_done_list(counts)}). Effort: {effort.describe()}.")
    if sized_keys:
        text += f" Sized before breakdown: {', '.join(sized_keys)}."
    return text


def _done_list(counts: list[EpicCount]) -> str:
    return ", ".join(f"{c.epic.key} {c.done}" for c in counts if c.done) or "none"


def _header(program: Program, counts: list[EpicCount], effort: EffortModel,
            sizes: Sizes) -> list[str]:
    done = sum(c.done for c in counts)
    closed = [c.epic.key for c in counts if c.left == 0]
    return [
        f"Imported by `workbench import jira` from {Path(program.source).name}. A re-import "
        "replaces this file: do not edit it. Set team sizes, calendars, risks and what-ifs in a "
        "scenario that extends it (see docs/howto-import.md).",
        f"as_of: {program.as_of} ({program.as_of_from}): the scenario starts then, with the "
        "items still to do.",
        f"progress: {done} items done as of {program.as_of} (the model has no progress field "
        f"yet, so it is kept here and in the description): {_done_list(counts)}.",
        f"in progress: {sum(c.progress for c in counts)} items, counted as not started, with "
        "their whole effort (the model has no partial progress yet).",
        f"effort method: {effort.method}: {effort.describe()}.",
        f"sizes of epics not broken down yet: {sizes.describe()}.",
        f"done epics (not in the scenario): {', '.join(closed) or 'none'}.",
    ]


def _fill_report(report: ImportReport, program: Program, counts: list[EpicCount],
                 effort: EffortModel, deps: Dependencies, out: str | Path) -> None:
    items = sum(len(c.items) for c in counts)
    open_counts = [c for c in counts if c.left > 0]
    report.summary += [
        f"{len(program.by_key)} issues: {len(counts)} epics, {items} items, {program.subtasks} "
        "sub-tasks folded into their items",
        f"as of {program.as_of} ({program.as_of_from}); the scenario starts then",
        f"progress: {sum(c.done for c in counts)} items done, "
        f"{sum(c.dropped for c in counts)} closed without work (not counted), "
        f"{sum(c.left for c in open_counts)} to do in {len(open_counts)} open epics",
        f"in progress: {sum(c.progress for c in counts)} items, counted as not started with "
        "their whole effort (the model has no partial progress yet)",
        f"teams from {program.team_column or 'no column (all unassigned)'}",
        f"effort: {effort.method}: {effort.describe()}",
        *(f"sized: {c.epic.key}: {c.sized_note}" for c in open_counts if c.sized_note),
        f"links: {sum(len(v) for v in deps.depends_on.values())} dependencies between epics; "
        f"{deps.inside} links inside one epic and {deps.satisfied} whose blocker or blocked "
        "issue is finished change nothing",
        f"wrote {out} and {report_path(out)}",
    ]
    report.notes += [*deps.notes, *program.notes]
    report.unused += [*program.unused, *deps.unused]
