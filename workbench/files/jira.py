"""A Jira CSV export ("Export CSV (all fields)", Jira Cloud and Data Center) read as Jira writes it.

Jira repeats a column header once per value (`Sprint`, `Fix versions`, `Components`, `Labels`,
`Outward issue link (Blocks)`...), names its custom fields `Custom field (Story Points)`, and
writes dates in the exporting user's format (`01/Dec/26 9:15 AM`) or, from automation, as ISO
8601 with offsets that change at daylight saving. `read_export` keeps every repeated column,
reads only the columns asked for (a big export has a hundred), and parses dates to UTC with the
history reader's date detector.

Problems are lines `FILE: column: what is wrong (what is allowed)`; none quotes a cell of the
file, only column names and issue keys.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workbench.files.exports import HistoryError, _detect_format, _parse

CUSTOM = "Custom field ({})"


class ExportError(ValueError):
    """The export cannot be used as given: one `FILE: column: what (allowed)` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, eq=False)
class JiraExport:
    """The columns of an export that were asked for, as stripped text, by header name.

    A name stands for every column with that header (Jira repeats headers), in file order.
    """

    source: str
    header: tuple[str, ...]
    frame: pd.DataFrame  # columns are header positions; all values text, stripped
    positions: Mapping[str, tuple[int, ...]]

    def __len__(self) -> int:
        return len(self.frame)

    def has(self, name: str | None) -> bool:
        """Whether the export has a column of this name."""
        return name is not None and name in self.positions

    def first(self, name: str | None) -> list[str]:
        """Per issue, the first non-empty value of the columns of this name ('' if none)."""
        if not self.has(name):
            return [""] * len(self)
        cols = [self.frame[p] for p in self.positions[name]]  # type: ignore[index]
        out = cols[0]
        for col in cols[1:]:
            out = out.where(out != "", col)
        return out.tolist()

    def every(self, name: str | None) -> list[tuple[str, ...]]:
        """Per issue, every non-empty value of the columns of this name, in column order."""
        if not self.has(name):
            return [()] * len(self)
        cols = [self.frame[p].tolist() for p in self.positions[name]]  # type: ignore[index]
        return [tuple(v for v in row if v) for row in zip(*cols, strict=True)]

    def dates(self, name: str | None) -> tuple[pd.Series, list[int]]:
        """The first column of this name as UTC times (NaT when empty), and the rows whose
        value is not in the column's format."""
        if not self.has(name):
            return pd.Series(pd.NaT, index=self.frame.index, dtype="datetime64[s]"), []
        values = self.frame[self.positions[name][0]]  # type: ignore[index]
        try:
            fmt = _detect_format(values, self.source, str(name))
        except HistoryError:  # its message quotes a value: say it without
            raise ExportError([f"{self.source}: {name}: dates not understood (allowed: a date "
                               "format Jira exports, e.g. 01/Dec/26 9:15 AM, or ISO 8601 such "
                               "as 2026-12-01T09:15:00.000+0100)"]) from None
        parsed = _parse(values, fmt).astype("datetime64[s]")
        bad = ((values != "") & parsed.isna()).to_numpy().nonzero()[0].tolist()
        return parsed, bad


def find_column(header: Iterable[str], name: str) -> str | None:
    """The header a user's column name means: exact, any case, or `Custom field (name)`."""
    names = list(header)
    for wanted in (name, CUSTOM.format(name)):
        if wanted in names:
            return wanted
        hit = next((h for h in names if h.lower() == wanted.lower()), None)
        if hit:
            return hit
    return None


def read_header(path: str | Path) -> tuple[str, ...]:
    """The export's header row (names kept in order, repeats kept)."""
    p = Path(path)
    if not p.is_file():
        raise ExportError([f"{p}: file not found"])
    try:
        with open(p, encoding="utf-8-sig", newline="") as f:
            row = next(csv.reader(f), None)
    except UnicodeDecodeError:
        raise ExportError([f"{p}: top level: not UTF-8 text (allowed: a CSV file as Jira "
                           "exports it)"]) from None
    except csv.Error as exc:
        raise ExportError([f"{p}: top level: not a readable CSV file ({exc})"]) from None
    if not row or not any(h.strip() for h in row):
        raise ExportError([f"{p}: top level: the file is empty (allowed: a Jira CSV export: "
                           "a header row, then one row per issue)"])
    return tuple(h.strip() for h in row)


def read_export(path: str | Path, names: Iterable[str]) -> JiraExport:
    """Read the columns ``names`` (every column of each name) of a Jira CSV export."""
    header = read_header(path)
    wanted = set(names)
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        if name in wanted:
            positions.setdefault(name, []).append(i)
    used = sorted(i for cols in positions.values() for i in cols)
    frame = _read_body(Path(path), len(header), used)
    return JiraExport(str(path), header, frame,
                      {name: tuple(cols) for name, cols in positions.items()})


def _read_body(path: Path, width: int, used: list[int]) -> pd.DataFrame:
    try:
        # Positions instead of names: pandas would rename a repeated `Sprint` to `Sprint.1`.
        frame = pd.read_csv(path, header=0, names=list(range(width)), usecols=used or [0],
                            dtype=str, keep_default_na=False, na_filter=False,
                            encoding="utf-8-sig", index_col=False)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExportError([f"{path}: top level: not a readable CSV file ({reason})"]) from None
    if frame.empty:
        raise ExportError([f"{path}: top level: no issues below the header (allowed: a Jira "
                           "CSV export with at least one issue)"])
    return frame.apply(lambda col: col.str.strip())
