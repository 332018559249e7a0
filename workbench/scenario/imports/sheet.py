"""`workbench import sheet`: a planning spreadsheet, one row per epic, becomes a scenario.

Columns (any case; `Effort low` = `effort_low`): epic, team, items *or* effort_low /
effort_likely / effort_high, depends_on, milestone, target, priority, done. With items, the
efforts are person-days per item; without, they are the epic's whole effort, cut into items of
about `ITEM_DAYS` person-days. `done` counts items done (with items) or person-days done.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from workbench.files.exports import DATE_FORMATS
from workbench.files.jira import ExportError
from workbench.files.sheet import Cell, Sheet, read_sheet
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
from workbench.scenario.loader import ScenarioError

KNOWN = ("epic", "team", "items", "effort_low", "effort_likely", "effort_high", "depends_on",
         "milestone", "target", "priority", "done")
ALIASES = {"name": "epic", "low": "effort_low", "likely": "effort_likely",
           "most_likely": "effort_likely", "high": "effort_high", "depends": "depends_on",
           "dependencies": "depends_on", "release": "milestone", "target_date": "target",
           "items_done": "done"}
EFFORTS = ("effort_low", "effort_likely", "effort_high")
ITEM_DAYS = 5  # person-days per item when a row gives only the epic's whole effort
DEFAULT_EFFORT = {"triangular": [1, 2, 5]}  # person-days per item when a row gives none
ALLOWED_COLUMNS = "epic, team, items or effort_low/effort_likely/effort_high"


@dataclass
class Row:
    """One epic as the sheet gives it."""

    line: int
    epic: str
    team: str
    items: int | None = None
    effort: tuple[float, float, float] | None = None
    depends_on: list[str] = field(default_factory=list)
    milestones: list[str] = field(default_factory=list)
    target: dt.date | None = None
    priority: int | None = None
    done: float = 0.0


class Problems:
    """Every mistake of a sheet, one line each: `FILE: column: row N (epic X): what (allowed)`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []

    def add(self, column: str, where: str, what: str) -> None:
        self.lines.append(f"{self.source}: {column}: {where}{what}")

    def raise_any(self) -> None:
        if self.lines:
            raise ScenarioError(self.lines)


def import_sheet(path: str | Path, out: str | Path, *, as_of: dt.date, name: str | None = None,
                 team_size: int = 5, sheet: str | None = None) -> ImportReport:
    """Read the sheet, write the scenario to ``out`` and its report beside it."""
    try:
        table = _with_aliases(read_sheet(path, sheet))
    except ExportError as exc:  # the files layer's lines, as the scenario layer's error
        raise ScenarioError(exc.problems) from None
    problems = Problems(table.source)
    _check_columns(table, problems)
    rows = [r for r in (_row(table, i, problems) for i in range(len(table.rows))) if r]
    _check_plan(rows, problems)
    problems.raise_any()
    report = ImportReport(f"workbench import sheet: {path} -> {out}")
    plan = _plan(table, rows, as_of, name, team_size, report)
    _summary(report, table, rows, plan, out)
    save(plan, out, report)
    return report


# --- reading rows ---------------------------------------------------------------------------

def _with_aliases(table: Sheet) -> Sheet:
    columns = tuple(ALIASES.get(c, c) for c in table.columns)
    rows = tuple({ALIASES.get(k, k): v for k, v in row.items()} for row in table.rows)
    return Sheet(table.source, columns, rows, table.lines)


def _check_columns(table: Sheet, problems: Problems) -> None:
    for column in ("epic", "team"):
        if column not in table.columns:
            problems.add(column, "", f"column not found (allowed: a header row with "
                                     f"{ALLOWED_COLUMNS}, and optionally depends_on, milestone, "
                                     "target, priority, done)")
    efforts = [c for c in EFFORTS if c in table.columns]
    if "items" not in table.columns and len(efforts) < 3:
        problems.add("items", "", f"column not found, nor all three effort columns (allowed: "
                                  f"{ALLOWED_COLUMNS})")
    for column in sorted({c for c in table.columns if table.columns.count(c) > 1}):
        problems.add(column, "", "column appears twice (allowed: each column once)")
    problems.raise_any()


def _row(table: Sheet, i: int, problems: Problems) -> Row | None:
    cells, line = table.rows[i], table.lines[i]
    epic = _text(cells.get("epic", ""))
    where = f"row {line} (epic {epic}): " if epic else f"row {line}: "
    if not epic:
        problems.add("epic", where, "empty (allowed: the epic's name)")
        return None
    team = _text(cells.get("team", ""))
    row = Row(line, epic, slug(team, "team"))
    if not team:
        problems.add("team", where, "empty (allowed: the team that does the epic)")
    row.items = _whole(cells, "items", where, problems)
    row.effort = _efforts(cells, where, problems)
    if cells.get("items", "") == "" and all(cells.get(c, "") == "" for c in EFFORTS):
        problems.add("items", where, "empty, and no effort_low/likely/high either (allowed: an "
                                     "item count, or the three efforts in person-days)")
    row.depends_on = _names(cells.get("depends_on", ""))
    row.milestones = _names(cells.get("milestone", ""))
    row.target = _date(cells, where, problems)
    row.priority = _whole(cells, "priority", where, problems, negative=True)
    row.done = _done(cells, row, where, problems)
    return row


def _text(cell: Cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _names(cell: Cell) -> list[str]:
    return [n.strip() for n in re.split(r"[,;]", _text(cell)) if n.strip()]


def _number(cell: Cell) -> float | None:
    if isinstance(cell, int | float):
        return float(cell)
    try:
        value = float(str(cell).replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _whole(cells: dict[str, Cell], column: str, where: str, problems: Problems,
           negative: bool = False) -> int | None:
    cell = cells.get(column, "")
    if cell == "":
        return None
    value = _number(cell)
    if value is None or not value.is_integer() or (value < 0 and not negative):
        allowed = "a whole number" + ("" if negative else " >= 0")
        problems.add(column, where, f"not a whole number (allowed: {allowed}, or empty)")
        return None
    return int(value)


def _efforts(cells: dict[str, Cell], where: str, problems: Problems
             ) -> tuple[float, float, float] | None:
    raw = [cells.get(c, "") for c in EFFORTS]
    if all(c == "" for c in raw):
        return None
    values = [_number(c) for c in raw]
    if any(v is None or v < 0 for v in values):
        problems.add("effort_low", where, "effort_low, effort_likely and effort_high must all "
                                          "be numbers >= 0 (allowed: person-days)")
        return None
    low, likely, high = (float(v or 0) for v in values)
    if not low <= likely <= high or high == 0:
        problems.add("effort_low", where, "needs effort_low <= effort_likely <= effort_high, "
                                          "high above 0 (allowed: person-days)")
        return None
    return low, likely, high


def _date(cells: dict[str, Cell], where: str, problems: Problems) -> dt.date | None:
    cell = cells.get("target", "")
    if cell == "" or isinstance(cell, dt.date):
        return cell or None  # type: ignore[return-value]
    for fmt in DATE_FORMATS[:5] + ("%d/%m/%Y", "%d.%m.%Y", "%d %b %Y"):
        try:
            return dt.datetime.strptime(_text(cell), fmt).date()
        except ValueError:
            continue
    problems.add("target", where, "not a date (allowed: YYYY-MM-DD, e.g. 2027-03-31)")
    return None


def _done(cells: dict[str, Cell], row: Row, where: str, problems: Problems) -> float:
    cell = cells.get("done", "")
    if cell == "":
        return 0.0
    value = _number(cell)
    if value is None or value < 0:
        problems.add("done", where, "not a number >= 0 (allowed: items done, or person-days "
                                    "done for a row without items)")
        return 0.0
    if row.items is not None and (not value.is_integer() or value > row.items):
        problems.add("done", where, f"must be a whole number of items, at most items "
                                    f"({row.items})")
        return 0.0
    return value


def _check_plan(rows: list[Row], problems: Problems) -> None:
    """Names unique, dependencies known and loop-free, one target per milestone."""
    seen: set[str] = set()
    for row in rows:
        if row.epic in seen:
            problems.add("epic", f"row {row.line}: ", f"epic {row.epic} appears twice "
                                                       "(allowed: one row per epic)")
        seen.add(row.epic)
    for row in rows:
        for dep in row.depends_on:
            if dep not in seen:
                problems.add("depends_on", f"row {row.line} (epic {row.epic}): ",
                             f"{dep} is not an epic of the sheet (allowed: names in the "
                             "epic column)")
    _check_targets(rows, problems)
    for loop in find_cycles({r.epic: [d for d in r.depends_on if d in seen] for r in rows}):
        problems.add("depends_on", "", f"dependency cycle {' -> '.join(loop)} (each epic waits "
                                       "for the next, so none can start; allowed: no cycles)")


def _check_targets(rows: list[Row], problems: Problems) -> None:
    targets: dict[str, tuple[dt.date, int]] = {}
    for row in rows:
        for m in row.milestones:
            if row.target is None:
                continue
            first = targets.setdefault(m, (row.target, row.line))
            if first[0] != row.target:
                problems.add("target", f"row {row.line} (epic {row.epic}): ",
                             f"milestone {m} already has target {first[0]} on row {first[1]} "
                             "(allowed: one target per milestone)")


# --- the plan -------------------------------------------------------------------------------

def _plan(table: Sheet, rows: list[Row], as_of: dt.date, name: str | None, team_size: int,
          report: ImportReport) -> Plan:
    epics = [e for e in (_plan_epic(r) for r in rows) if e.items > 0]
    left = {e.name for e in epics}
    for e in epics:
        e.depends_on = [d for d in e.depends_on if d in left]  # a done epic holds no one up
    teams = [PlanTeam(t, team_size) for t in sorted({e.team for e in epics} or
                                                   {r.team for r in rows})]
    return Plan(name or f"{Path(table.source).stem} (imported from a sheet)",
                _description(table, rows, epics, as_of), as_of, teams, epics,
                _milestones(rows, left, as_of, report), _header(table, rows, as_of),
                teams_note=f"{team_size} members per team is a default: set the real sizes in "
                           "the scenario that extends this file.")


def _plan_epic(row: Row) -> PlanEpic:
    """Items left and person-days per item, with a comment saying how they were read."""
    if row.items is not None:
        left = row.items - int(row.done)
        effort: object = (list(row.effort) if row.effort else DEFAULT_EFFORT)
        how = ("effort_low/likely/high person-days per item" if row.effort else
               "no effort given: the stated default triangular 1/2/5 person-days per item")
        dist = {"triangular": effort} if row.effort else effort
        note = f"{row.epic}: {int(row.done)} of {row.items} items done; {left} to do"
    else:
        low, likely, high = (max(0.0, x - row.done) for x in row.effort or (0, 0, 0))
        left = math.ceil(likely / ITEM_DAYS - 1e-9) if high > 0 else 0
        left = max(left, 1) if high > 0 else 0
        dist = {"triangular": [round(x / max(left, 1), 2) for x in (low, likely, high)]}
        how = (f"the epic's whole effort ({likely:g} person-days likely, after {row.done:g} "
               f"done) cut into {left} items of about {ITEM_DAYS} person-days")
        note = f"{row.epic}: effort only, {row.done:g} person-days done"
    return PlanEpic(row.epic, row.team, left, dist, list(row.depends_on),
                    priority=row.priority, comments=[note, f"effort: {how}"])


def _milestones(rows: list[Row], left: set[str], as_of: dt.date, report: ImportReport
                ) -> list[PlanMilestone]:
    members: dict[str, list[str]] = {}
    targets: dict[str, dt.date] = {}
    for row in rows:
        for m in row.milestones:
            members.setdefault(m, [])
            if row.epic in left:
                members[m].append(row.epic)
            if row.target:
                targets[m] = row.target
    out = []
    for m, epics in members.items():
        target = targets.get(m)
        if not epics:
            report.notes.append(f"milestone {m}: all its epics are done; not written")
            continue
        if target is not None and target < as_of:
            report.notes.append(f"milestone {m}: target {target} is before as_of {as_of}; "
                                "written without a target")
            target = None
        out.append(PlanMilestone(m, epics, target))
    return sorted(out, key=lambda m: (m.target is None, m.target or as_of, m.name))


def _description(table: Sheet, rows: list[Row], epics: list[PlanEpic], as_of: dt.date) -> str:
    done = ", ".join(f"{r.epic} {r.done:g}" for r in rows if r.done) or "none"
    return (f"Imported from {Path(table.source).name} (planning sheet) as of {as_of}: "
            f"{len(epics)} open epics, {sum(e.items for e in epics)} items to do. Done (items, "
            f"or person-days for rows without items): {done}.")


def _header(table: Sheet, rows: list[Row], as_of: dt.date) -> list[str]:
    closed = [r.epic for r in rows if _plan_epic(r).items == 0]
    return [
        f"Imported by `workbench import sheet` from {Path(table.source).name}. A re-import "
        "replaces this file: do not edit it. Set team sizes, calendars, risks and what-ifs in a "
        "scenario that extends it (see docs/howto-import.md).",
        f"as_of: {as_of}: the scenario starts then, with the work still to do (done is "
        "recorded here and in the description: the model has no progress field yet).",
        f"done epics (not in the scenario): {', '.join(closed) or 'none'}.",
    ]


def _summary(report: ImportReport, table: Sheet, rows: list[Row], plan: Plan,
             out: str | Path) -> None:
    unknown = [c for c in table.columns if c and c not in KNOWN]
    report.summary += [
        f"{len(rows)} epics read; {len(plan.epics)} open, {sum(e.items for e in plan.epics)} "
        f"items to do, {len(plan.teams)} teams, {len(plan.milestones)} milestones",
        f"as of {plan.start}; the scenario starts then",
        f"wrote {out} and {report_path(out)}",
    ]
    report.unused += [f"column {c}: not a column the import knows; not used" for c in unknown]
