"""A planning spreadsheet read as rows: a CSV file, or the first sheet (or a named one) of an
.xlsx workbook (with the optional `openpyxl` package). Headers are matched loosely (`Effort
low`, `effort_low` and `low` are the same column); cells keep their type (numbers, dates)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.files.jira import ExportError

Cell = str | int | float | dt.date


@dataclass(frozen=True)
class Sheet:
    """The rows below the header, each a mapping of normalised column name to cell."""

    source: str
    columns: tuple[str, ...]  # normalised names, in order
    rows: tuple[dict[str, Cell], ...]
    lines: tuple[int, ...]  # each row's line (CSV) or row number (xlsx), for error lines


def normalise(name: object) -> str:
    """`Effort low` -> `effort_low`, `Depends-on` -> `depends_on`."""
    return re.sub(r"[^a-z0-9]+", "_", str(name or "").strip().lower()).strip("_")


def read_sheet(path: str | Path, sheet: str | None = None) -> Sheet:
    """Rows of a CSV file or of an .xlsx workbook's sheet (the first, or ``sheet``)."""
    p = Path(path)
    if not p.is_file():
        raise ExportError([f"{p}: file not found"])
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        table = _xlsx_rows(p, sheet)
    elif p.suffix.lower() == ".csv":
        table = _csv_rows(p)
    else:
        raise ExportError([f"{p}: top level: not a .csv or .xlsx file (allowed: a planning "
                           "sheet saved as CSV or as an Excel workbook)"])
    return _sheet(str(p), table)


def _csv_rows(path: Path) -> list[tuple[int, list[Cell]]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            return [(reader.line_num, [c.strip() for c in row]) for row in reader]
    except UnicodeDecodeError:
        raise ExportError([f"{path}: top level: not UTF-8 text (allowed: CSV saved as "
                           "UTF-8)"]) from None
    except csv.Error as exc:
        raise ExportError([f"{path}: top level: not a readable CSV file ({exc})"]) from None


def _xlsx_rows(path: Path, sheet: str | None) -> list[tuple[int, list[Cell]]]:
    try:
        import openpyxl  # optional: only .xlsx needs it
    except ImportError:
        raise ExportError([f"{path}: top level: reading .xlsx needs the openpyxl package, "
                           "which is not installed (allowed: pip install 'tpm-workbench[sheets]'"
                           ", or save the sheet as CSV)"]) from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is no workbook
        raise ExportError([f"{path}: top level: not a readable .xlsx workbook "
                           f"({type(exc).__name__})"]) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ExportError([f"{path}: --sheet: no sheet {sheet!r} in the workbook (allowed: "
                               f"{', '.join(book.sheetnames)})"])
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        return [(n, [_cell(v) for v in row])
                for n, row in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def _cell(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.date | int | float):
        return value
    return str(value).strip()


def _sheet(source: str, table: list[tuple[int, list[Cell]]]) -> Sheet:
    filled = [(n, row) for n, row in table if any(c != "" for c in row)]
    if not filled:
        raise ExportError([f"{source}: top level: the sheet is empty (allowed: a header row, "
                           "then one row per epic)"])
    (_, header), body = filled[0], filled[1:]
    columns = tuple(normalise(h) for h in header)
    rows = tuple({c: (row[i] if i < len(row) else "") for i, c in enumerate(columns) if c}
                 for _, row in body)
    return Sheet(source, columns, rows, tuple(n for n, _ in body))
