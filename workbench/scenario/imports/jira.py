"""`workbench import jira`: a Jira CSV export becomes a scenario `workbench run` accepts as is.

Epics come from `Issue Type = Epic`, their items from `Parent` / `Epic Link` (sub-tasks folded
into their items), teams from a chosen field, dependencies from `Blocks` links, milestones from
`Fix versions`. Done items are progress as of the export's date: the scenario starts then with
the items still to do. Effort per item and the size of epics not broken down yet are learned
from the same export. Everything that cannot be mapped gets one line in the import report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.files.jira import ExportError
from workbench.scenario.imports.effort import (
    EffortModel,
    OpenWork,
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
    Epic,
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

    epic: Epic
    value: str = ""  # its team's value in Jira
    team: str = ""  # its team's name in the scenario
    items: int = 0
    done: int = 0
    dropped: int = 0
    progress: int = 0
    work: OpenWork = OpenWork(0, 0, 0.0)
    left: int = 0
    future: int = 0  # items not written yet (sized epics)
    split: tuple[float, float] | None = None
    sized_note: str = ""

    @property
    def written(self) -> int:
        return self.items - self.dropped


def import_jira(export: str | Path, out: str | Path, mapping: JiraMapping,
                mapping_shown: str = "--mapping") -> ImportReport:
    """Read the export, write the scenario to ``out`` and the report beside it; return the
    report. Input to fix raises `ScenarioError` before anything is written."""
    try:
        program = read_program(str(export), mapping, mapping_shown)
    except ExportError as exc:  # the files layer's lines, as the scenario layer's error
        raise ScenarioError(exc.problems) from None
    report = ImportReport(f"workbench import jira: {export} -> {out}")
    counts = _count(program, mapping, report)
    sizes = learn_sizes([c.done for c in counts if c.epic.state == DONE], mapping)
    _size(counts, sizes, mapping)
    open_rows = np.zeros(len(program.table), bool)
    open_rows[[c.epic.row for c in counts if c.left > 0]] = True
    team_of = _team_of_issues(program, counts)
    effort = learn_effort(program, mapping, team_of, _open_items(program, open_rows))
    deps = epic_dependencies(program, open_rows)
    _refuse_cycles(program, deps)
    plan = _plan(program, mapping, counts, effort, sizes, deps)
    _fill_report(report, program, counts, effort, deps, out)
    save(plan, out, report)
    return report


# --- counting -------------------------------------------------------------------------------

def _count(program: Program, mapping: JiraMapping, report: ImportReport) -> list[EpicCount]:
    """Each epic's items by state, counted for all epics at once."""
    table, items = program.table, program.items_mask()
    epic, state = table["epic"].to_numpy(), table["state"].to_numpy()
    points = table["points"].to_numpy()
    n = len(table)

    def per_epic(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(epic[mask], weights=None if weights is None else weights[mask],
                           minlength=n)

    total, open_ = per_epic(items), items & (state <= PROGRESS)
    by_state = {s: per_epic(items & (state == s)) for s in (DONE, DROPPED, PROGRESS)}
    pointed = open_ & ~np.isnan(points)
    counts = [EpicCount(e, _epic_team(program, e, mapping, report), "", int(total[e.row]),
                        int(by_state[DONE][e.row]), int(by_state[DROPPED][e.row]),
                        int(by_state[PROGRESS][e.row]))
              for e in program.epics]
    open_n, pointed_n, points_sum = per_epic(open_), per_epic(pointed), per_epic(pointed, points)
    names = _team_names([c.value for c in counts], mapping)
    for c in counts:
        r = c.epic.row
        c.team, c.left = names[c.value], int(open_n[r])
        c.work = OpenWork(c.left, int(pointed_n[r]), float(points_sum[r]))
    return counts


def _epic_team(program: Program, epic: Epic, mapping: JiraMapping, report: ImportReport) -> str:
    """The epic's team value: the mapping's, the epic's own, else most of its items'."""
    column = program.team_column or "team"
    if epic.key in mapping.team.epics:
        return mapping.team.epics[epic.key]
    if epic.team:
        return epic.team
    table = program.table
    found = majority(table["team"][(table["epic"] == epic.row) & (table["item"] >= 0)])
    if found:
        report.notes.append(f"{epic.key}: the epic has no {column}; team {found!r} taken from "
                            "most of its items")
        return found
    report.unused.append(f"{epic.key}: no team ({column} empty on the epic and its items); put "
                         f"in team {UNASSIGNED!r} (set it in Jira, or in the mapping's "
                         "team.epics)")
    return ""


def _team_names(values: list[str], mapping: JiraMapping) -> dict[str, str]:
    """Each team value -> a team name usable in `--set teams.NAME.members=8` (no dots,
    spaces or capitals), unique; the mapping's team.names win."""
    names: dict[str, str] = {"": UNASSIGNED}
    taken = {UNASSIGNED}
    for value in sorted({v for v in values if v}):
        name = mapping.team.names.get(value) or slug(value, "team")
        while name in taken and value not in mapping.team.names:
            name = _bump(name)
        names[value] = name
        taken.add(name)
    return names


def _team_of_issues(program: Program, counts: list[EpicCount]) -> np.ndarray:
    """Each issue's team name, by its epic ('' for issues under no epic)."""
    by_row = np.full(len(program.table) + 1, "", dtype=object)  # the last: "no epic"
    for c in counts:
        by_row[c.epic.row] = c.team
    return by_row[program.table["epic"].to_numpy()]


def _open_items(program: Program, open_epics: np.ndarray) -> np.ndarray:
    table = program.table
    epic = table["epic"].to_numpy()
    return (program.items_mask() & (table["state"].to_numpy() <= PROGRESS)
            & open_epics[np.maximum(epic, 0)] & (epic >= 0))


def _bump(name: str) -> str:
    stem, _, n = name.rpartition("-")
    return f"{stem}-{int(n) + 1}" if stem and n.isdigit() else f"{name}-2"


def _size(counts: list[EpicCount], sizes: Sizes, mapping: JiraMapping) -> None:
    """Epics not broken down yet get their expected size, never less than what is open."""
    for c in counts:
        if c.epic.finished and not c.left:
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
    return Plan(name, _description(program, counts, open_counts, effort), program.as_of,
                _plan_teams(program, mapping, open_counts), epics, milestones,
                _header(program, counts, effort, sizes),
                teams_note=f"{mapping.team.size} members per team is a default: set the real "
                           "sizes in the scenario that extends this file.")


def _plan_teams(program: Program, mapping: JiraMapping, open_counts: list[EpicCount]
                ) -> list[PlanTeam]:
    """The teams with open work, by name, each with the Jira value it came from."""
    value_of = {c.team: c.value for c in open_counts}
    column = program.team_column or "no team column"
    return [PlanTeam(t, mapping.team.size,
                     f"{column}: {value_of[t]!r}" if value_of.get(t) else "no team in Jira")
            for t in sorted(value_of or {UNASSIGNED: ""})]


def _plan_epic(c: EpicCount, effort: EffortModel, deps: Dependencies) -> PlanEpic:
    dist, why = effort.for_epic(c.team, c.work, c.future)
    comments = [f"{c.epic.key} {c.epic.summary}: {_progress(c)}"]
    if c.sized_note:
        comments.append(c.sized_note)
    if c.epic.finished:
        comments.append(f"the epic is {c.epic.status} in Jira, but {c.work.items} of its "
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
    members = _version_epics(program, open_counts)
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


def _version_epics(program: Program, open_counts: list[EpicCount]) -> dict[str, list[str]]:
    """Fix version -> the open epics carrying it (on the epic or an open item), epic order."""
    table, long = program.table, program.versions
    rows = long["row"].to_numpy(dtype=int)
    open_rows = np.zeros(len(table) + 1, bool)
    open_rows[[c.epic.row for c in open_counts]] = True
    epic = table["epic"].to_numpy()[rows]
    is_epic = epic == rows
    open_item = program.items_mask()[rows] & (table["state"].to_numpy()[rows] <= PROGRESS)
    use = (is_epic | open_item) & open_rows[epic]
    pairs = pd.DataFrame({"epic": epic[use], "version": long["value"][use].to_numpy()})
    by_epic: dict[int, set[str]] = {}
    for e, v in pairs.drop_duplicates().itertuples(index=False):
        by_epic.setdefault(int(e), set()).add(str(v))
    members: dict[str, list[str]] = {}
    for c in open_counts:  # in epic order
        for version in sorted(by_epic.get(c.epic.row, ())):
            members.setdefault(version, []).append(c.epic.key)
    return members


def _note_versions(program: Program, mapping: JiraMapping, used: set[str]) -> None:
    every = set(program.versions["value"].unique())
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
    items = sum(c.items for c in counts)
    open_counts = [c for c in counts if c.left > 0]
    report.summary += [
        f"{len(program.table)} issues: {len(counts)} epics, {items} items, {program.subtasks} "
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
