"""A Jira export as a program: epics, the items under each, sub-tasks folded into their items,
and a line for every issue that cannot be placed (never dropped silently)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.files.jira import JiraExport, find_column, read_export, read_header
from workbench.scenario.imports.settings import JiraMapping, Names, given_columns
from workbench.scenario.loader import ScenarioError

TODO, PROGRESS, DONE, DROPPED = "to do", "in progress", "done", "closed without work"
REQUIRED = ("key", "type", "status")
TEAM_ALIASES = {"component": "Components", "project": "Project key"}
TEAM_DEFAULTS = ("Custom field (Team)", "Project key")


@dataclass(eq=False)
class Issue:
    """One row of the export, with what the import needs."""

    row: int
    key: str
    id: str
    type: str
    status: str
    state: str  # TODO, PROGRESS, DONE or DROPPED
    summary: str
    parents: tuple[str, ...]
    epic_name: str
    team: str
    points: float | None
    versions: tuple[str, ...]
    rank: str
    blocks: tuple[tuple[str, str], ...]  # (column, key)
    blocked_by: tuple[tuple[str, str], ...]
    workdays: float | None  # start -> resolved, in working days, for finished items
    resolved: str  # when it was resolved (ISO, UTC), '' if not
    subtasks: list[Issue] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, DROPPED)

    def own_points(self) -> float | None:
        """Its points, else the sum of its sub-tasks' (teams that estimate sub-tasks)."""
        if self.points is not None or not self.subtasks:
            return self.points
        pts = [s.points for s in self.subtasks if s.points is not None]
        return sum(pts) if pts else None


@dataclass(eq=False)
class Program:
    """Epics in backlog order, each epic's items, and what could not be placed."""

    source: str
    columns: dict[str, str]  # role -> the column used
    parent_columns: Names
    epics: list[Issue]
    items: dict[str, list[Issue]]  # epic key -> its items
    epic_of: dict[str, str]  # any placed issue's key -> its epic's key
    by_key: dict[str, Issue]
    as_of: dt.date
    as_of_from: str
    team_column: str | None
    subtasks: int = 0
    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- reading --------------------------------------------------------------------------------

def read_program(path: str, mapping: JiraMapping, mapping_shown: str = "--mapping"
                 ) -> Program:
    """The export at ``path`` as epics and items, with the mapping's columns (``mapping_shown``
    names the mapping in error lines)."""
    header = read_header(path)
    columns = resolve_columns(header, path, mapping, mapping_shown)
    export = read_export(path, _wanted(columns))
    issues, unused = _issues(export, columns, mapping)
    as_of, as_of_from = _as_of(export, columns, mapping)
    program = Program(path, _single(columns), columns["parent"], [], {}, {}, {}, as_of,
                      as_of_from, _first(columns, "team"), unused=unused)
    _place(program, issues, mapping)
    return program


def resolve_columns(header: tuple[str, ...], path: str, mapping: JiraMapping,
                    mapping_shown: str = "--mapping") -> dict[str, Names]:
    """Each role's columns found in the header; a column the mapping names must exist."""
    given = given_columns(mapping)
    problems = [f"{mapping_shown}: {_role_path(role)}: column {name!r} is not in "
                f"{path} (allowed: a column of the export's header)"
                for role, names in given.items() for name in names
                if find_column(header, name) is None]
    if problems:
        raise ScenarioError(problems)
    out = {role: tuple(h for n in _names(mapping, role) if (h := find_column(header, n)))
           for role in (*type(mapping.columns).model_fields, "team", "components", "project")}
    missing = [_names(mapping, role)[0] for role in REQUIRED if not out[role]]
    if missing:
        raise ScenarioError([f"{path}: {', '.join(missing)}: {_plural(missing, 'column')} not "
                             "found, so this is not a Jira export (allowed: Jira's \"Export CSV "
                             "(all fields)\", with columns Issue key, Issue Type and Status)"])
    return out


def _plural(names: list[str], word: str) -> str:
    return word if len(names) == 1 else word + "s"


def _role_path(role: str) -> str:
    return role if "." in role else f"columns.{role}"


def _names(mapping: JiraMapping, role: str) -> Names:
    if role == "team":
        wanted = mapping.team.field
        return (TEAM_ALIASES.get(wanted, wanted),) if wanted else TEAM_DEFAULTS
    if role in ("components", "project"):
        return (TEAM_ALIASES["component" if role == "components" else "project"],)
    value = getattr(mapping.columns, role)
    return (value,) if isinstance(value, str) else tuple(value or ())


def _wanted(columns: dict[str, Names]) -> set[str]:
    wanted = {name for names in columns.values() for name in names}
    return wanted | {names[0] for names in columns.values() if names}


def _single(columns: dict[str, Names]) -> dict[str, str]:
    return {role: names[0] for role, names in columns.items() if names}


def _first(columns: dict[str, Names], role: str) -> str | None:
    names = columns.get(role) or ()
    return names[0] if names else None


def _issues(export: JiraExport, columns: dict[str, Names], mapping: JiraMapping
            ) -> tuple[list[Issue], list[str]]:
    """One `Issue` per row; rows without a key or with a repeated key get a line each."""
    col = {role: _first(columns, role) for role in columns}
    unused: list[str] = []
    states = _states(export, col, mapping)
    fields = _row_fields(export, columns, col, unused)
    issues, seen = [], set()
    for row, key in enumerate(fields.pop("key")):
        if not key:
            unused.append(f"row {row + 1}: no {col['key']}; not used")
        elif key in seen:
            unused.append(f"{key}: {col['key']} seen on an earlier row; the first kept")
        else:
            seen.add(key)
            issues.append(Issue(row=row, key=key, state=states[row],
                                **{name: values[row] for name, values in fields.items()}))
    return issues, unused


def _row_fields(export: JiraExport, columns: dict[str, Names], col: dict[str, str | None],
                unused: list[str]) -> dict[str, list[Any]]:
    """Per-row values of each `Issue` field, read column by column (fast on big exports)."""
    keys = export.first(col["key"])
    workdays, resolved = _workdays(export, col, keys, unused)
    return {"key": keys, "id": export.first(col["id"]), "type": export.first(col["type"]),
            "status": export.first(col["status"]), "summary": export.first(col["summary"]),
            "parents": _parent_refs(export, columns["parent"]),
            "epic_name": export.first(col["epic_name"]), "team": export.first(col["team"]),
            "points": _points(export, columns["points"], keys, unused),
            "versions": export.every(col["fix_versions"]), "rank": export.first(col["rank"]),
            "blocks": _links(export, columns["blocks"]),
            "blocked_by": _links(export, columns["blocked_by"]),
            "workdays": workdays, "resolved": resolved}


def _states(export: JiraExport, col: dict[str, str | None], mapping: JiraMapping
            ) -> list[str]:
    """Each issue's state, from its status category (or, without one, its status name)."""
    status, category = export.first(col["status"]), export.first(col["status_category"])
    resolution = export.first(col["resolution"])
    not_done = {r.lower() for r in mapping.status.not_done_resolutions}
    done = {s.lower() for s in mapping.status.done}
    going = {s.lower() for s in mapping.status.in_progress}
    out = []
    for st, cat, res in zip(status, category, resolution, strict=True):
        cat = cat.lower() if cat else ("done" if st.lower() in done else
                                       "in progress" if st.lower() in going else "to do")
        state = DONE if cat == "done" else PROGRESS if cat == "in progress" else TODO
        out.append(DROPPED if state == DONE and res.lower() in not_done else state)
    return out


def _parent_refs(export: JiraExport, names: Names) -> list[tuple[str, ...]]:
    cols = [export.first(n) for n in names]
    return [tuple(v for v in row if v) for row in zip(*cols, strict=True)] if cols \
        else [()] * len(export)


def _points(export: JiraExport, names: Names, keys: list[str], unused: list[str]
            ) -> list[float | None]:
    raw = pd.Series([""] * len(export), dtype=str)
    for name in names:  # the first points column with a value wins
        values = pd.Series(export.first(name), dtype=str)
        raw = raw.where(raw != "", values)
    numbers = pd.to_numeric(raw, errors="coerce")
    for i in np.flatnonzero(((raw != "") & (numbers.isna() | (numbers < 0))).to_numpy()):
        unused.append(f"{keys[i]}: {names[0]}: not a number of points; read as no points")
    numbers = numbers.where(numbers > 0)
    return [None if np.isnan(x) else float(x) for x in numbers.to_numpy(dtype=float)]


def _links(export: JiraExport, names: Names) -> list[tuple[tuple[str, str], ...]]:
    per_column = [[tuple((name, v) for v in row) for row in export.every(name)]
                  for name in names if export.has(name)]
    if not per_column:
        return [()] * len(export)
    return [tuple(link for part in row for link in part) for row in zip(*per_column, strict=True)]


def _workdays(export: JiraExport, col: dict[str, str | None], keys: list[str],
              unused: list[str]) -> tuple[list[float | None], list[str]]:
    """Working days (Mon-Fri) from start (started, else created) to resolved, a same-day item
    counting half a day (None without both dates, or when resolved before it started); and
    when each issue was resolved."""
    start, bad_start = export.dates(col["started"] or col["created"])
    end, bad_end = export.dates(col["resolved"])
    for rows, name in ((bad_start, col["started"] or col["created"]), (bad_end, col["resolved"])):
        unused += [f"{keys[i]}: {name}: not a date in the column's format; read as empty"
                   for i in rows]
    ok = (start.notna() & end.notna() & (end >= start)).to_numpy()
    days = np.full(len(export), np.nan)
    s = start.to_numpy()[ok].astype("datetime64[D]")
    e = end.to_numpy()[ok].astype("datetime64[D]")
    days[ok] = np.maximum(np.busday_count(s, e), 0.5)
    resolved = end.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("").tolist()
    return [None if np.isnan(d) else float(d) for d in days], resolved


def _as_of(export: JiraExport, columns: dict[str, Names], mapping: JiraMapping
           ) -> tuple[dt.date, str]:
    """The export's date: the mapping's, else the newest date in it (no export is older)."""
    if mapping.as_of:
        return mapping.as_of, "given"
    newest = [export.dates(_first(columns, role))[0].max()
              for role in ("updated", "resolved", "created")]
    found = [t for t in newest if not pd.isna(t)]
    if not found:
        raise ScenarioError([f"{export.source}: {mapping.columns.updated}: no dates, so the "
                             "export's date is unknown (allowed: give it with --as-of DATE)"])
    return max(found).date(), "the newest date in the export"


# --- placing issues in the hierarchy ----------------------------------------------------------

def _place(program: Program, issues: list[Issue], mapping: JiraMapping) -> None:
    """Epics by type; every other issue under the epic its parent chain leads to."""
    epic_types = {t.lower() for t in mapping.epic_types}
    epics = [i for i in issues if i.type.lower() in epic_types]
    program.by_key = {i.key: i for i in issues}
    index = _reference_index(issues, epics)
    above = _above_epics(epics, index, epic_types)
    program.epics = sorted(epics, key=lambda e: (e.rank == "", e.rank, e.row))
    program.items = {e.key: [] for e in program.epics}
    program.epic_of = {e.key: e.key for e in epics}
    for issue in issues:
        if issue.type.lower() in epic_types:
            continue
        if issue.key in above:
            program.unused.append(f"{issue.key}: above the epics (parent of "
                                  f"{', '.join(above[issue.key])}); not used")
            continue
        _place_one(program, issue, index, epic_types)


def _reference_index(issues: list[Issue], epics: list[Issue]) -> dict[str, Issue]:
    """What a parent column may hold: a key, a numeric id, or (Data Center) an epic's name."""
    index = {e.epic_name: e for e in epics if e.epic_name}
    index.update({i.id: i for i in issues if i.id})
    index.update({i.key: i for i in issues})
    return index


def _above_epics(epics: list[Issue], index: dict[str, Issue], epic_types: set[str]
                 ) -> dict[str, list[str]]:
    above: dict[str, list[str]] = {}
    for epic in epics:
        parent = next((index[r] for r in epic.parents if r in index), None)
        if parent is not None and parent.type.lower() not in epic_types:
            above.setdefault(parent.key, []).append(epic.key)
    return above


def _place_one(program: Program, issue: Issue, index: dict[str, Issue],
               epic_types: set[str]) -> None:
    chain = _chain(issue, index, epic_types)
    if not issue.parents:
        program.unused.append(f"{issue.key}: no epic ({_parent_columns(program)} empty); "
                              "not in the scenario")
    elif not chain:
        program.unused.append(f"{issue.key}: its parent {issue.parents[0]} is not in the "
                              "export; not in the scenario")
    elif chain[-1].type.lower() not in epic_types:
        program.unused.append(f"{issue.key}: no epic above it (its parent {chain[-1].key} has "
                              "none); not in the scenario")
    elif len(chain) == 1:
        program.items[chain[0].key].append(issue)
        program.epic_of[issue.key] = chain[0].key
    else:  # a sub-task (of a sub-task...): folded into the item under the epic
        chain[-2].subtasks.append(issue)
        program.epic_of[issue.key] = chain[-1].key
        program.subtasks += 1


def _chain(issue: Issue, index: dict[str, Issue], epic_types: set[str]) -> list[Issue]:
    """The issue's ancestors, nearest first, up to an epic or a dead end (a loop of parents
    stops where it repeats)."""
    out: list[Issue] = []
    current = issue
    while len(out) < 10:
        parent = next((index[r] for r in current.parents if r in index), None)
        if parent is None or parent is issue or parent in out:
            return out
        out.append(parent)
        if parent.type.lower() in epic_types:
            return out
        current = parent
    return out


def _parent_columns(program: Program) -> str:
    return " and ".join(program.parent_columns) or "no parent column"


def majority(values: Iterable[str]) -> str:
    """The most common non-empty value (ties: the first alphabetically); '' if none."""
    counts = Counter(v for v in values if v)
    if not counts:
        return ""
    top = max(counts.values())
    return min(v for v, n in counts.items() if n == top)
