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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.files.exports import HistoryError, _detect_format, _parse

CUSTOM = "Custom field ({})"
SAMPLE_DATES = 100  # distinct values a column's date format is told from


class ExportError(ValueError):
    """The export cannot be used as given: one `FILE: column: what (allowed)` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, eq=False)
class JiraExport:
    """The columns of an export that were asked for, as stripped text, by header name.

    A name stands for every column with that header (Jira repeats headers), in file order.
    Values come column by column (pandas Series, one value per issue): a big export is read
    in a blink that way, and in minutes issue by issue.
    """

    source: str
    header: tuple[str, ...]
    frame: pd.DataFrame  # columns are header positions; all values text, stripped
    positions: Mapping[str, tuple[int, ...]]
    skipped: tuple[int, ...] = ()  # lines whose number of fields is not the header's
    _dates: dict[str, tuple[pd.Series, np.ndarray]] = field(default_factory=dict, repr=False)
    _formats: list[str] = field(default_factory=list, repr=False)  # found in other columns

    def __len__(self) -> int:
        return len(self.frame)

    def has(self, name: str | None) -> bool:
        """Whether the export has a column of this name."""
        return name is not None and name in self.positions

    def first(self, name: str | None) -> pd.Series:
        """Per issue, the first non-empty value of the columns of this name ('' if none)."""
        if not self.has(name):
            return blank(len(self))
        cols = [self.frame[p] for p in self.positions[name]]  # type: ignore[index]
        out = cols[0]
        for col in cols[1:]:
            out = out.where(out != "", col)
        return out

    def every(self, name: str | None) -> pd.DataFrame:
        """Every non-empty value of the columns of this name, one row each: `row` (the
        issue's position) and `value`, issue by issue, in column order within an issue."""
        parts = [pd.DataFrame({"row": np.flatnonzero(filled), "order": k,
                               "value": col[filled].reset_index(drop=True)})
                 for k, p in enumerate(self.positions.get(name or "", ()))
                 if (filled := ((col := self.frame[p]) != "").to_numpy()).any()]
        if not parts:
            return pd.DataFrame({"row": np.zeros(0, int), "value": np.zeros(0, object)})
        long = pd.concat(parts, ignore_index=True).sort_values(["row", "order"], kind="stable")
        return long[["row", "value"]].reset_index(drop=True)

    def dates(self, name: str | None) -> tuple[pd.Series, np.ndarray]:
        """The first column of this name as UTC times (NaT when empty), and the positions of
        the issues whose value is not in the column's format."""
        if not self.has(name):
            return pd.Series(pd.NaT, index=self.frame.index, dtype="datetime64[s]"), \
                np.zeros(0, int)
        if name not in self._dates:  # several steps ask for the same dates: parse them once
            self._dates[str(name)] = self._parse_dates(str(name))
        return self._dates[str(name)]

    def _parse_dates(self, name: str) -> tuple[pd.Series, np.ndarray]:
        values = self.frame[self.positions[name][0]]
        filled = values[values != ""]
        spread = filled.iloc[::max(1, len(filled) // (20 * SAMPLE_DATES))]  # across the file
        sample = spread.drop_duplicates().head(SAMPLE_DATES)
        try:
            fmt = self._known_format(sample) or _detect_format(sample, self.source, name)
        except HistoryError:  # its message quotes a value: say it without
            raise ExportError([f"{self.source}: {name}: dates not understood (allowed: a date "
                               "format Jira exports, e.g. 01/Dec/26 9:15 AM, or ISO 8601 such "
                               "as 2026-12-01T09:15:00.000+0100)"]) from None
        self._formats.append(fmt)
        parsed = _parse(values, fmt).astype("datetime64[s]")
        return parsed, np.flatnonzero(((values != "") & parsed.isna()).to_numpy())

    def _known_format(self, sample: pd.Series) -> str | None:
        """A format another column of this export was found in, if it reads every value of
        the sample (one export writes one format; detecting it again costs the most)."""
        return next((f for f in self._formats if _parse(sample, f).notna().all()), None)

    def keep(self, mask: np.ndarray) -> JiraExport:
        """The export without the issues where ``mask`` is False (positions renumbered)."""
        frame = self.frame[mask].reset_index(drop=True)
        return JiraExport(self.source, self.header, frame, self.positions, self.skipped)


# --- text columns, worked on by Arrow (a hash or a cast over 50,000 values in a millisecond) ---

def blank(n: int) -> pd.Series:
    """``n`` empty texts."""
    import pyarrow as pa

    return pd.Series(pa.repeat(pa.scalar("", pa.large_string()), n).to_pandas())


def is_in(values: pd.Series, wanted: Iterable[str]) -> np.ndarray:
    """Whether each value is one of ``wanted``, in any case."""
    import pyarrow as pa
    import pyarrow.compute as pc

    choices = pa.array(sorted({w.lower() for w in wanted}), type=pa.large_string())
    lowered = pc.utf8_lower(_arrow(values))
    return pc.is_in(lowered, value_set=choices).to_numpy(zero_copy_only=False)


def has_repeats(values: pd.Series) -> bool:
    """Whether any text appears twice (a quick hash count; finding which is slower)."""
    import pyarrow.compute as pc

    return bool(pc.count_distinct(_arrow(values)).as_py() < len(values))


def positions_in(values: pd.Series, wanted: pd.Series) -> np.ndarray:
    """For each wanted text, the position of its first match in ``values`` (-1: none; empty
    text matches nothing)."""
    import pyarrow.compute as pc

    known = _arrow(values)
    known = pc.if_else(pc.equal(known, ""), None, known)  # "" stands for "none": never a match
    found = pc.index_in(_arrow(wanted), value_set=known)
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def to_numbers(values: pd.Series) -> np.ndarray:
    """Text as numbers, NaN where empty or not a number."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = _arrow(values)
    try:  # the usual case, all numbers: Arrow's cast is many times faster than pandas'
        return pc.cast(pc.if_else(pc.equal(arrow, ""), None, arrow), pa.float64()
                       ).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _arrow(values: pd.Series) -> object:
    import pyarrow as pa

    return pa.array(values, type=pa.large_string())  # pandas' own text type: no copy


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
    used = sorted(i for cols in positions.values() for i in cols) or [0]
    frame, skipped = _read_body(Path(path), len(header), used)
    return JiraExport(str(path), header, frame,
                      {name: tuple(cols) for name, cols in positions.items()}, tuple(skipped))


def _read_body(path: Path, width: int, used: list[int]) -> tuple[pd.DataFrame, list[int]]:
    """The used columns as stripped text, by position, with Arrow's CSV reader (fast, and
    it reads only the columns asked for); lines with the wrong number of fields are skipped
    and their line numbers returned."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    names = [f"c{i}" for i in range(width)]  # positions: a repeated `Sprint` stays apart
    skipped: list[int] = []

    def skip(row: object) -> str:
        skipped.append(int(getattr(row, "number", 0) or 0))
        return "skip"

    try:
        table = pacsv.read_csv(
            # one thread: faster on a busy machine, and kinder to whoever shares it
            path, read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                                 use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                include_columns=[names[i] for i in used],
                column_types={names[i]: pa.large_string() for i in used},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, OSError) as exc:  # Arrow's message quotes the row: never shown
        reason = "not UTF-8 text" if "UTF8" in str(exc) else "a row Arrow cannot parse"
        raise ExportError([f"{path}: top level: not a readable CSV file ({reason})"]) from None
    if table.num_rows == 0:
        raise ExportError([f"{path}: top level: no issues below the header (allowed: a Jira "
                           "CSV export with at least one issue)"])
    frame = pd.DataFrame({i: pd.Series(pc.utf8_trim_whitespace(table[f"c{i}"]).to_pandas())
                          for i in used})
    return frame, skipped
