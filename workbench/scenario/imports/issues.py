"""A Jira export as a program: epics, the items under each, sub-tasks folded into their items,
and a line for every issue that cannot be placed (never dropped silently).

Everything is worked out column by column (one array per field, one value per issue), so an
export of 50,000 issues takes about as long as reading it; only the epics, and the issues that
need a line in the report, are looked at one by one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.files.jira import (
    JiraExport,
    blank,
    find_column,
    has_repeats,
    is_in,
    positions_in,
    read_export,
    read_header,
    to_numbers,
)
from workbench.scenario.imports.settings import JiraMapping, Names, given_columns
from workbench.scenario.loader import ScenarioError

TODO, PROGRESS, DONE, DROPPED = 0, 1, 2, 3  # an issue's state, as coded in `Program.table`
REQUIRED = ("key", "type", "status")
TEAM_ALIASES = {"component": "Components", "project": "Project key"}
TEAM_DEFAULTS = ("Custom field (Team)", "Project key")
MAX_DEPTH = 10  # parents followed up to an epic (sub-task of a sub-task of a story...)


@dataclass(eq=False)
class Epic:
    """One epic of the export."""

    row: int
    key: str
    status: str
    state: int
    summary: str
    team: str  # its team value in Jira ('' if none)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, DROPPED)


@dataclass(eq=False)
class Program:
    """The export as epics and items: `table` has one row per issue (key, state, team, points
    of its own or of its sub-tasks, working days to resolve, resolved, and `epic`/`item`: the
    position of its epic and of the item it counts as, -1 when none)."""

    source: str
    columns: dict[str, str]  # role -> the column used
    parent_columns: Names
    table: pd.DataFrame
    epics: list[Epic]  # in backlog (Rank) order
    versions: pd.DataFrame  # row, value: every fix version of every issue
    links: pd.DataFrame  # blocker, blocked (positions or -1), other (key), column, on (position)
    as_of: dt.date
    as_of_from: str
    team_column: str | None
    subtasks: int = 0
    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def keys(self) -> np.ndarray:
        return self.table["key"].to_numpy(dtype=object)

    def items_mask(self) -> np.ndarray:
        """The issues that count as items of an epic (not epics, not sub-tasks)."""
        rows = np.arange(len(self.table))
        return (self.table["item"].to_numpy() == rows)


# --- reading --------------------------------------------------------------------------------

def read_program(path: str, mapping: JiraMapping, mapping_shown: str = "--mapping"
                 ) -> Program:
    """The export at ``path`` as epics and items, with the mapping's columns (``mapping_shown``
    names the mapping in error lines)."""
    header = read_header(path)
    columns = resolve_columns(header, path, mapping, mapping_shown)
    export = read_export(path, _wanted(columns))
    unused = _skipped_lines(export)
    export = _unique_keys(export, _first(columns, "key"), unused)
    col = {role: _first(columns, role) for role in columns}
    table = _table(export, columns, col, mapping, unused)
    as_of, as_of_from = _as_of(export, col, mapping)
    program = Program(path, _single(columns), columns["parent"], table, [],
                      export.every(col["fix_versions"]), _links(export, columns, table),
                      as_of, as_of_from, col["team"], unused=unused)
    _place(program, export, columns, mapping)
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
           for role in (*type(mapping.columns).model_fields, "team")}
    missing = [_names(mapping, role)[0] for role in REQUIRED if not out[role]]
    if missing:
        raise ScenarioError([f"{path}: {', '.join(missing)}: "
                             f"{'column' if len(missing) == 1 else 'columns'} not found, so this"
                             " is not a Jira export (allowed: Jira's \"Export CSV (all "
                             "fields)\", with columns Issue key, Issue Type and Status)"])
    return out


def _role_path(role: str) -> str:
    return role if "." in role else f"columns.{role}"


def _names(mapping: JiraMapping, role: str) -> Names:
    if role == "team":
        wanted = mapping.team.field
        return (TEAM_ALIASES.get(wanted, wanted),) if wanted else TEAM_DEFAULTS
    value = getattr(mapping.columns, role)
    return (value,) if isinstance(value, str) else tuple(value or ())


def _wanted(columns: dict[str, Names]) -> set[str]:
    return {name for names in columns.values() for name in names}


def _single(columns: dict[str, Names]) -> dict[str, str]:
    return {role: names[0] for role, names in columns.items() if names}


def _first(columns: dict[str, Names], role: str) -> str | None:
    names = columns.get(role) or ()
    return names[0] if names else None


def _skipped_lines(export: JiraExport) -> list[str]:
    width = len(export.header)
    return [f"line {n}: not {width} fields like the header; not used" if n > 0 else
            f"a line without {width} fields like the header; not used" for n in export.skipped]


def _unique_keys(export: JiraExport, key_column: str | None, unused: list[str]) -> JiraExport:
    """Issues without a key, or with a key seen before, get a line each and are left out."""
    keys = export.first(key_column)
    empty = (keys == "").to_numpy()
    again = (keys.duplicated() & (keys != "")).to_numpy() if has_repeats(keys) else empty & False
    unused += [f"row {i + 1}: no {key_column}; not used" for i in np.flatnonzero(empty)]
    unused += [f"{keys.iloc[i]}: {key_column} seen on an earlier row; the first kept"
               for i in np.flatnonzero(again)]
    return export.keep(~(empty | again)) if (empty | again).any() else export


def _table(export: JiraExport, columns: dict[str, Names], col: dict[str, str | None],
           mapping: JiraMapping, unused: list[str]) -> pd.DataFrame:
    keys = export.first(col["key"])
    workdays, resolved = _workdays(export, col, keys, unused)
    return pd.DataFrame({
        "key": keys, "id": export.first(col["id"]), "type": export.first(col["type"]),
        "status": export.first(col["status"]), "state": _states(export, col, mapping),
        "summary": export.first(col["summary"]), "epic_name": export.first(col["epic_name"]),
        "team": export.first(col["team"]), "rank": export.first(col["rank"]),
        "points": _points(export, columns["points"], keys, unused),
        "workdays": workdays, "resolved": resolved})


def _states(export: JiraExport, col: dict[str, str | None], mapping: JiraMapping
            ) -> np.ndarray:
    """Each issue's state, from its status category (or, without one, its status name)."""
    status, category = export.first(col["status"]), export.first(col["status_category"])
    by_status = np.select([is_in(status, mapping.status.done),
                           is_in(status, mapping.status.in_progress)], [DONE, PROGRESS], TODO)
    by_category = np.select([is_in(category, ("done",)), is_in(category, ("in progress",))],
                            [DONE, PROGRESS], TODO)
    state = np.where((category == "").to_numpy(), by_status, by_category)
    closed = is_in(export.first(col["resolution"]), mapping.status.not_done_resolutions)
    return np.where((state == DONE) & closed, DROPPED, state)


def _points(export: JiraExport, names: Names, keys: pd.Series, unused: list[str]
            ) -> np.ndarray:
    raw = blank(len(export))
    for name in names:  # the first points column with a value wins
        raw = raw.where(raw != "", export.first(name))
    numbers = to_numbers(raw)
    bad = (raw != "").to_numpy() & ~(numbers >= 0)
    unused += [f"{keys.iloc[i]}: {names[0]}: not a number of points; read as no points"
               for i in np.flatnonzero(bad)]
    return np.where(numbers > 0, numbers, np.nan)


def _workdays(export: JiraExport, col: dict[str, str | None], keys: pd.Series,
              unused: list[str]) -> tuple[np.ndarray, pd.Series]:
    """Working days (Mon-Fri) from start (started, else created) to resolved, a same-day item
    counting half a day (NaN without both dates, or when resolved before it started); and
    when each issue was resolved."""
    start_col = col["started"] or col["created"]
    start, bad_start = export.dates(start_col)
    end, bad_end = export.dates(col["resolved"])
    for rows, name in ((bad_start, start_col), (bad_end, col["resolved"])):
        unused += [f"{keys.iloc[i]}: {name}: not a date in the column's format; read as empty"
                   for i in rows]
    ok = (start.notna() & end.notna() & (end >= start)).to_numpy()
    days = np.full(len(export), np.nan)
    days[ok] = np.maximum(np.busday_count(start.to_numpy()[ok].astype("datetime64[D]"),
                                          end.to_numpy()[ok].astype("datetime64[D]")), 0.5)
    return days, end


def _as_of(export: JiraExport, col: dict[str, str | None], mapping: JiraMapping
           ) -> tuple[dt.date, str]:
    """The export's date: the mapping's, else the newest date in it (no export is older)."""
    if mapping.as_of:
        return mapping.as_of, "given"
    newest = [export.dates(col[role])[0].max() for role in ("updated", "resolved", "created")]
    found = [t for t in newest if not pd.isna(t)]
    if not found:
        raise ScenarioError([f"{export.source}: {mapping.columns.updated}: no dates, so the "
                             "export's date is unknown (allowed: give it with --as-of DATE)"])
    return max(found).date(), "the newest date in the export"


def _links(export: JiraExport, columns: dict[str, Names], table: pd.DataFrame) -> pd.DataFrame:
    """Every blocking link as (blocker, blocked) positions, -1 for an issue not in the export
    (its key in `other`), with the column and the issue it was written on."""
    parts = []
    for role, outward in (("blocks", True), ("blocked_by", False)):
        for k, name in enumerate(columns[role]):
            long = export.every(name)
            on, other = long["row"].to_numpy(), positions_in(table["key"], long["value"])
            parts.append(pd.DataFrame({
                "blocker": on if outward else other, "blocked": other if outward else on,
                "other": long["value"].to_numpy(dtype=object), "column": name, "on": on,
                "order": k + (0 if outward else 100)}))
    if not parts:  # no link columns at all
        none = np.zeros(0, int)
        return pd.DataFrame({"blocker": none, "blocked": none, "other": np.zeros(0, object),
                             "column": np.zeros(0, object), "on": none})
    links = pd.concat(parts, ignore_index=True).sort_values(["on", "order"], kind="stable")
    return links.drop(columns="order").reset_index(drop=True)


# --- placing issues in the hierarchy ----------------------------------------------------------

def _place(program: Program, export: JiraExport, columns: dict[str, Names],
           mapping: JiraMapping) -> None:
    """Epics by type; every other issue under the epic its parent chain leads to."""
    table = program.table
    epic_types = {t.lower() for t in mapping.epic_types}
    is_epic = is_in(table["type"], epic_types)
    parent, refs = _parent_rows(export, columns["parent"], table, is_epic)
    epic, item, top = _climb(parent, is_epic)
    table["epic"], table["item"] = epic, item
    rows = np.arange(len(table))
    program.subtasks = int(((item >= 0) & (item != rows)).sum())
    table["points"] = _with_subtask_points(table["points"].to_numpy(), item, rows)
    program.epics = _epics(table, is_epic)
    above = np.unique(parent[is_epic & (parent >= 0)])
    above = above[~is_epic[above]]
    _report_unplaced(program, is_epic, parent, refs, top, above)


def _parent_rows(export: JiraExport, names: Names, table: pd.DataFrame, is_epic: np.ndarray
                 ) -> tuple[np.ndarray, pd.Series]:
    """Each issue's parent position (-1: none found), and the first parent it names ('' if
    none). A parent column may hold a key, a numeric id (Jira Cloud) or an epic's name (Data
    Center)."""
    rows = np.arange(len(table))
    targets = [values for values in (table["key"], table["id"],
                                     table["epic_name"].where(is_epic, ""))
               if (values != "").any()]  # Cloud exports have no epic names: nothing to look up
    parent = np.full(len(table), -1)
    first = blank(len(table))
    for name in names:
        refs = export.first(name)
        first = first.where(first != "", refs)
        for values in targets:
            found = positions_in(values, refs)
            parent = np.where((parent < 0) & (found != rows), found, parent)
    return parent, first


def _climb(parent: np.ndarray, is_epic: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(epic, item, top) per issue: the epic its parent chain reaches and the item just
    below it (-1 when the chain reaches no epic), and the last issue the chain reached."""
    rows = np.arange(len(parent))
    below, up = rows.copy(), np.where(is_epic, -1, parent)
    for _ in range(MAX_DEPTH):
        climbing = (up >= 0) & ~is_epic[np.maximum(up, 0)]
        if not climbing.any():
            break
        below = np.where(climbing, up, below)
        up = np.where(climbing, parent[np.maximum(up, 0)], up)
    placed = ~is_epic & (up >= 0) & is_epic[np.maximum(up, 0)]
    epic = np.where(placed, up, np.where(is_epic, rows, -1))
    return epic, np.where(placed, below, -1), below


def _with_subtask_points(points: np.ndarray, item: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """An item's points, else the sum of its sub-tasks' (teams that estimate sub-tasks)."""
    sub = (item >= 0) & (item != rows)
    pointed = sub & ~np.isnan(points)
    sums = np.bincount(item[pointed], weights=points[pointed], minlength=len(points))
    has = np.bincount(item[pointed], minlength=len(points)) > 0
    return np.where(np.isnan(points) & has & (item == rows), sums, points)


def _epics(table: pd.DataFrame, is_epic: np.ndarray) -> list[Epic]:
    rows = np.flatnonzero(is_epic)
    cols = {c: table[c].iloc[rows].to_numpy(dtype=object)
            for c in ("rank", "key", "status", "summary", "team")}
    state = table["state"].to_numpy()[rows]
    order = sorted(range(len(rows)), key=lambda i: (cols["rank"][i] == "", cols["rank"][i], i))
    return [Epic(int(rows[i]), cols["key"][i], cols["status"][i], int(state[i]),
                 cols["summary"][i], cols["team"][i]) for i in order]


def _report_unplaced(program: Program, is_epic: np.ndarray, parent: np.ndarray,
                     refs: pd.Series, top: np.ndarray, above: np.ndarray) -> None:
    table, keys = program.table, program.keys
    epics_below: dict[int, list[str]] = {}
    for epic_row in np.flatnonzero(is_epic & np.isin(parent, above)).tolist():
        epics_below.setdefault(int(parent[epic_row]), []).append(str(keys[epic_row]))
    columns = " and ".join(program.parent_columns) or "no parent column"
    for row in np.flatnonzero(~is_epic & (table["epic"].to_numpy() < 0)).tolist():
        if row in epics_below:
            program.unused.append(f"{keys[row]}: above the epics (parent of "
                                  f"{', '.join(epics_below[row])}); not used")
        elif refs.iloc[row] == "":
            program.unused.append(f"{keys[row]}: no epic ({columns} empty); not in the "
                                  "scenario")
        elif parent[row] < 0:
            program.unused.append(f"{keys[row]}: its parent {refs.iloc[row]} is not in the "
                                  "export; not in the scenario")
        else:
            program.unused.append(f"{keys[row]}: no epic above it ({keys[top[row]]}, at the "
                                  "top of its parents, is not under an epic); not in the "
                                  "scenario")


def majority(values: pd.Series) -> str:
    """The most common non-empty value (ties: the first alphabetically); '' if none."""
    counts = values[values != ""].value_counts()
    if counts.empty:
        return ""
    return str(min(counts.index[counts == counts.max()]))
