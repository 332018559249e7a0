"""Completed-work history: what a team actually finished, read from a tracker's CSV export.

`load_history` turns an export (Jira's CSV, or anything with a finish-date column) into a clean
`History`: one row per finished item, plus the items still in progress, plus a report of every
row it could not use and why. Nothing is dropped silently and nothing doubtful is used silently:
dates with mixed time-zone offsets are read in UTC; `where` keeps one project's or team's rows;
resolutions that are not delivered work (Duplicate, Won't Fix...) are left out and counted;
dates outside the plausible range (before the first created date, more than a year after the
export) are left out and counted; two columns whose names differ only in case are an error.

A long-format status-transition log (key, state, when) can give each item its dates instead of
the export's columns (`transitions`), and `cycle_time_samples` gives the cycle times a
scenario's empirical effort resamples. The flow metrics of a `History` are in
`workbench.history.flow`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.files.columns import (
    DEFAULT_COLUMNS,
    DONE_RESOLUTIONS,
    NO_RESOLUTION,
    PLAUSIBLE_DAYS_AFTER_EXPORT,
    ROLES,
    TRANSITION_COLUMNS,
)

__all__ = ["DATE_FORMATS", "DEFAULT_COLUMNS", "DONE_RESOLUTIONS", "ROLES", "TRANSITION_COLUMNS",
           "History", "HistoryError", "Problem", "cycle_time_samples", "history_from_frame",
           "load_history", "load_transitions", "with_transitions"]

# --------------------------------------------------------------------------- columns and formats

# Tried in order when no format is given; a column takes the one that reads the most values.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d",
    "%d/%b/%y %H:%M", "%d/%b/%y %I:%M %p", "%d/%b/%Y %H:%M", "%d/%b/%Y %I:%M %p", "%d/%b/%y",
    "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M",
    "%d.%m.%Y", "%d.%m.%Y %H:%M", "ISO8601",
)
EXAMPLES = 3  # rows quoted per kind of problem
OFFSET = r"(?:[+-]\d\d:?\d\d|Z)$"  # a time-zone offset at the end of a date
IN_UTC = " (time-zone offsets converted to UTC)"


class HistoryError(ValueError):
    """A history file cannot be used as given; the message names the file and what to change."""


@dataclass(frozen=True)
class Problem:
    """One kind of row the importer could not use as is: how many, what was done, examples.
    `source` is "export" for the export's rows, "transitions" for the moves of a log."""

    kind: str
    count: int
    excluded: bool
    meaning: str
    examples: tuple[str, ...] = ()
    source: str = "export"

    def line(self) -> str:
        """One readable line, e.g. for the CLI."""
        eg = f" (e.g. {'; '.join(self.examples)})" if self.examples else ""
        what = "row(s)" if self.source == "export" else f"{self.source} row(s)"
        return f"{self.kind}: {self.count:,} {what}, {self.meaning}{eg}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"kind": self.kind, "count": self.count, "excluded": self.excluded,
                "meaning": self.meaning, "examples": list(self.examples), "source": self.source}


@dataclass(frozen=True, eq=False)
class History:
    """A clean completed-work history. Treat the frames as read-only.

    `items`: finished items, columns key, start, finish, cycle_time_days (finish − start in
    days, elapsed, so same-day work is 0), line (in the file) and any of type, status, points,
    project, resolution found. `open_items`: started but not finished (for ageing WIP and
    cumulative flow). `state_dates`: when each item entered each workflow state (index key), if
    known. `rows_selected`: the rows kept by `where` (None: all rows read). `plausible`: the
    first and last day a date may fall on (before or after: left out).
    """

    source: str
    items: pd.DataFrame
    open_items: pd.DataFrame
    problems: tuple[Problem, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    date_formats: Mapping[str, str] = field(default_factory=dict)
    rows_read: int = 0
    states: tuple[str, ...] = ()
    state_dates: pd.DataFrame | None = None
    rows_selected: int | None = None
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    plausible: tuple[dt.date | None, dt.date] | None = None

    @property
    def excluded(self) -> int:
        """Rows of the export left out entirely (in-progress items are kept, in `open_items`)."""
        return sum(p.count for p in self.problems if p.excluded and p.source == "export")

    @property
    def rows_used(self) -> int:
        """The rows the history is made of: those read, or those `where` kept."""
        return self.rows_read if self.rows_selected is None else self.rows_selected

    def where_text(self) -> str:
        """The `where` conditions as typed, e.g. 'project=0,1; Team=Red'."""
        return "; ".join(f"{c}={','.join(v)}" for c, v in self.where.items())

    def report(self) -> str:
        """What was read, what was used, and every kind of row left out or doubted."""
        kept = (f", {self.rows_used:,} kept by --where {self.where_text()}"
                if self.rows_selected is not None else "")
        head = (f"{self.source}: {self.rows_read:,} rows read{kept}, {len(self.items):,} "
                f"finished items used, {len(self.open_items):,} in progress, "
                f"{self.excluded:,} left out")
        return "\n".join([head, *("  " + p.line() for p in self.problems)])

    def to_dict(self) -> dict[str, Any]:
        """What was read and left out, as plain data (the `history` of JSON outputs and of
        the history report's summary)."""
        span = self.plausible or (None, None)
        return {"source": self.source, "rows_read": self.rows_read,
                "rows_selected": self.rows_used, "where": {c: list(v) for c, v in
                                                          self.where.items()},
                "finished_items": len(self.items), "in_progress": len(self.open_items),
                "left_out": self.excluded, "columns": dict(self.columns),
                "date_formats": dict(self.date_formats), "states": list(self.states),
                "plausible_dates": {"first": _iso(span[0]), "last": _iso(span[1])},
                "problems": [p.to_dict() for p in self.problems]}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass(frozen=True)
class Reading:
    """How to read an export beyond its columns: the rows to keep (`where`: column -> values,
    every condition must hold, any case), the resolutions that count as delivered work, the day
    the export was made (dates over a year later are typos; None: the file's modification day,
    or today for a frame), and a transition log (`load_transitions`) giving the dates."""

    where: Mapping[str, Sequence[str]] = field(default_factory=dict)
    done_resolutions: Sequence[str] = DONE_RESOLUTIONS
    export_date: dt.date | None = None
    transitions: pd.DataFrame | None = None


# --------------------------------------------------------------------------------- import


def load_history(path: str | Path, mapping: Mapping[str, str | Sequence[str]] | None = None,
                 date_format: str | None = None, reading: Reading | None = None) -> History:
    """Read a completed-work CSV export.

    `mapping` names your columns by role (key, type, status, start, finish, points, project,
    resolution) and may list per-state date columns in workflow order under "states" (with a
    transition log: the states themselves). Unmapped roles take the first default column found
    (Jira's names and the shared example files' names). `reading`: see `Reading`.
    """
    reading = reading or Reading()
    if reading.export_date is None:
        reading = replace(reading, export_date=_file_day(Path(path)))
    return history_from_frame(_read_csv(path), str(path), mapping, date_format, reading)


def history_from_frame(raw: pd.DataFrame, source: str = "<frame>",
                       mapping: Mapping[str, str | Sequence[str]] | None = None,
                       date_format: str | None = None,
                       reading: Reading | None = None) -> History:
    """Same as `load_history`, for a frame already in memory (all values read as text)."""
    reading = reading or Reading()
    raw = raw.reset_index(drop=True).fillna("").astype(str).apply(lambda c: c.str.strip())
    read = len(raw)
    raw, where = _select(raw, source, reading.where)
    log = reading.transitions
    columns, states = _resolve_columns(raw, source, mapping or {}, log)
    date_cols = [c for c in (columns.get("start"), columns.get("finish"), *states) if c]
    formats = {c: date_format or _detect_format(raw[c], source, c) for c in date_cols}
    parsed = {c: _parse(raw[c], formats[c]) for c in date_cols}
    frame = _base_frame(raw, columns, parsed)
    frame, sd, log_problems = _dates(frame, parsed, states, log, mapping or {})
    frame, problems, first = _classify(frame, raw, columns, parsed, sd, reading)
    done = frame[frame["finish"].notna()].drop(columns="_ok").reset_index(drop=True)
    wip = frame[frame["finish"].isna()].drop(columns="_ok").reset_index(drop=True)
    state_dates = None if sd is None else _kept_states(sd, frame)
    formats = _said_formats(raw, formats)
    return History(source, done, wip, (*problems, *log_problems), columns,
                   {**formats, **_log_formats(log)}, read, tuple(sd.columns) if sd is not None
                   else (), state_dates, len(raw) if where else None, where,
                   (first, _last_plausible(reading)))


def _said_formats(raw: pd.DataFrame, formats: Mapping[str, str]) -> dict[str, str]:
    """Each date column's format, saying when its offsets were converted to UTC."""
    return {c: f + (IN_UTC if raw[c].str.contains(OFFSET).any() else "")
            for c, f in formats.items()}


def _read_csv(path: str | Path) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise HistoryError(f"{p}: file not found")
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False, na_filter=False,
                          encoding="utf-8-sig", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HistoryError(f"{p}: not a readable CSV file ({reason})") from None
    if raw.empty:
        raise HistoryError(f"{p}: no rows below the header")
    return raw


def _file_day(path: Path) -> dt.date | None:
    """The day a file was last written: an export cannot hold work finished after it."""
    try:
        return dt.date.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return None


# ------------------------------------------------------------------------------- columns


def find_column(columns: Sequence[str], wanted: str, source: str, option: str,
                exact: bool = True) -> str | None:
    """The column named `wanted`, in any case; None if none. Two columns whose names differ
    only in case are an error naming both, unless `exact` and one is spelled as asked."""
    if exact and wanted in columns:
        return wanted
    hits = [str(c) for c in columns if str(c).lower() == wanted.lower()]
    if len(hits) > 1:
        raise HistoryError(f"{source}: columns {hits[0]!r} and {hits[1]!r} differ only in case, "
                           f"so {wanted!r} is ambiguous; rename one, or name one exactly with "
                           f"{option}")
    return hits[0] if hits else None


def _resolve_columns(raw: pd.DataFrame, source: str, mapping: Mapping[str, str | Sequence[str]],
                     log: pd.DataFrame | None) -> tuple[dict[str, str], tuple[str, ...]]:
    unknown = set(mapping) - {*ROLES, "states"}
    if unknown:
        raise HistoryError(f"{source}: unknown mapping role(s) {', '.join(sorted(unknown))} "
                           f"(allowed: {', '.join((*ROLES, 'states'))})")
    columns = {role: col for role in ROLES if (col := _role(raw, source, mapping, role))}
    if "finish" not in columns and log is None:
        raise HistoryError(f"{source}: no finish-date column found (looked for "
                           f"{', '.join(DEFAULT_COLUMNS['finish'])}; columns found: "
                           f"{_found(raw)}; map yours with --finish-column)")
    if log is not None:
        if "key" not in columns:
            raise HistoryError(f"{source}: no key column to match the transition log (looked "
                               f"for {', '.join(DEFAULT_COLUMNS['key'])}; columns found: "
                               f"{_found(raw)}; map yours with --key-column)")
        return columns, ()  # the states are the log's, not columns
    return columns, tuple(_state_column(raw, source, s) for s in _states(mapping))


def _role(raw: pd.DataFrame, source: str, mapping: Mapping[str, Any], role: str) -> str | None:
    wanted, option = mapping.get(role), f"--{role}-column"
    if isinstance(wanted, str):
        hit = find_column(list(raw.columns), wanted, source, option)
        if hit is None:
            raise HistoryError(f"{source}: column {wanted!r} not found (columns found: "
                               f"{_found(raw)}; map yours with {option})")
        return hit
    for name in DEFAULT_COLUMNS[role]:
        hit = find_column(list(raw.columns), name, source, option, exact=False)
        if hit:
            return hit
    return None


def _states(mapping: Mapping[str, Any]) -> tuple[str, ...]:
    states = mapping.get("states") or ()
    return (states,) if isinstance(states, str) else tuple(states)


def _state_column(raw: pd.DataFrame, source: str, state: str) -> str:
    hit = find_column(list(raw.columns), state, source, "--states")
    if hit is None:
        raise HistoryError(f"{source}: state column {state!r} not found (columns found: "
                           f"{_found(raw)}; list yours with --states)")
    return hit


def _found(raw: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in raw.columns)


def _select(raw: pd.DataFrame, source: str, where: Mapping[str, Sequence[str]]
            ) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The rows whose column holds one of the values (any case), for every condition."""
    keep = pd.Series(True, index=raw.index)
    conditions: dict[str, tuple[str, ...]] = {}
    for wanted, values in where.items():
        column = find_column(list(raw.columns), wanted, source, "--where")
        if column is None:
            raise HistoryError(f"{source}: --where column {wanted!r} not found (columns found: "
                               f"{_found(raw)})")
        conditions[column] = tuple(values)
        keep &= raw[column].str.lower().isin([v.lower() for v in values])
    if where and not keep.any():
        raise HistoryError(f"{source}: --where {_where_text(conditions)}: no row kept "
                           f"({_values_found(raw, conditions)})")
    return raw[keep], conditions


def _where_text(conditions: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{c}={','.join(v)}" for c, v in conditions.items())


def _values_found(raw: pd.DataFrame, conditions: Mapping[str, Sequence[str]]) -> str:
    parts = []
    for column in conditions:
        values = pd.unique(raw[column])
        shown = ", ".join(str(v) for v in values[:10]) + (", ..." if len(values) > 10 else "")
        parts.append(f"column {column!r} holds {shown}")
    return "; ".join(parts)


# --------------------------------------------------------------------------------- dates


def _detect_format(values: pd.Series, source: str, column: str) -> str:
    """The format that reads the most of a column's values; ambiguity is an error, not a guess."""
    sample = pd.Series(values[values != ""].unique()[:500], dtype=str)
    if sample.empty:
        return DATE_FORMATS[0]
    scores = [(fmt, _parse(sample, fmt)) for fmt in DATE_FORMATS]
    best = max(int(p.notna().sum()) for _, p in scores)
    top = [(fmt, p) for fmt, p in scores if int(p.notna().sum()) == best]
    if best < max(1, len(sample) // 2):
        raise HistoryError(f"{source}: dates in column {column!r} not understood (e.g. "
                           f"{sample.iloc[0]!r}); give the format with --date-format, "
                           f"e.g. --date-format '%d/%m/%Y %H:%M'")
    for fmt, p in top[1:]:
        if not p.equals(top[0][1]):
            raise HistoryError(f"{source}: dates in column {column!r} fit both {top[0][0]!r} and "
                               f"{fmt!r}; choose one with --date-format")
    return top[0][0]


def _parse(values: pd.Series, fmt: str) -> pd.Series:
    # In UTC, as wall-clock time: trackers mix offsets (+0000, -0500 ...) in one column, and a
    # date without an offset is read as it is. Each distinct text is parsed once: an export
    # repeats a few hundred dates over its thousands of rows.
    codes, texts = pd.factorize(values)
    once = pd.to_datetime(pd.Series(texts, dtype=object), format=fmt, errors="coerce", utc=True)
    out = np.append(once.dt.tz_localize(None).to_numpy(), np.datetime64("NaT"))[codes]
    return pd.Series(out, index=values.index, name=values.name)


def _base_frame(raw: pd.DataFrame, columns: Mapping[str, str],
                parsed: Mapping[str, pd.Series]) -> pd.DataFrame:
    line = raw.index.to_numpy() + 2  # the header is line 1
    none = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]")
    key = raw[columns["key"]] if "key" in columns else pd.Series("", index=raw.index, dtype=str)
    key = key.where(key != "", pd.Series([f"line {n}" for n in line], index=raw.index))
    frame = pd.DataFrame({"key": key,
                          "start": parsed.get(columns.get("start", ""), none),
                          "finish": parsed.get(columns.get("finish", ""), none)}, index=raw.index)
    frame = frame.astype({"start": "datetime64[s]", "finish": "datetime64[s]"})
    for role in ("type", "status", "project", "resolution"):
        if role in columns:
            frame[role] = raw[columns[role]]
    if "points" in columns:
        frame["points"] = pd.to_numeric(raw[columns["points"]], errors="coerce")
    frame["line"] = line
    frame["_ok"] = True
    return frame


def _dates(frame: pd.DataFrame, parsed: Mapping[str, pd.Series], states: tuple[str, ...],
           log: pd.DataFrame | None, mapping: Mapping[str, Any]
           ) -> tuple[pd.DataFrame, pd.DataFrame | None, tuple[Problem, ...]]:
    """The frame with its cycle times, per-row state dates (columns or a log) and the log's
    problems."""
    sd: pd.DataFrame | None = None
    problems: tuple[Problem, ...] = ()
    if log is not None:
        frame, sd, problems = _from_log(frame, log, _states(mapping))
    elif states:
        sd = pd.DataFrame({s: parsed[s].astype("datetime64[s]") for s in states},
                          index=frame.index)
    frame["cycle_time_days"] = (frame["finish"] - frame["start"]) / pd.Timedelta(days=1)
    return frame, sd, problems


def _kept_states(sd: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    kept = sd.loc[frame.index]
    kept.index = pd.Index(frame["key"].to_numpy(), name="key")
    return kept


def _last_plausible(reading: Reading) -> dt.date:
    made = reading.export_date or dt.date.today()
    return made + dt.timedelta(days=PLAUSIBLE_DAYS_AFTER_EXPORT)


# ------------------------------------------------------------------------------- problems


@dataclass
class _Notes:
    """The problems found so far; each row keeps its first problem."""

    frame: pd.DataFrame
    examples: Any  # (rows) -> tuple of example texts
    problems: list[Problem] = field(default_factory=list)

    def note(self, mask: pd.Series, kind: str, meaning: str, excluded: bool = True,
             examples: Any = None) -> None:
        mask = mask & self.frame["_ok"]
        if not mask.any():
            return
        rows = self.frame.index[mask][:EXAMPLES]
        shown = (examples or self.examples)(rows)
        self.problems.append(Problem(kind, int(mask.sum()), excluded, meaning, shown))
        if excluded:
            self.frame.loc[mask, "_ok"] = False


def _classify(frame: pd.DataFrame, raw: pd.DataFrame, columns: Mapping[str, str],
              parsed: Mapping[str, pd.Series], sd: pd.DataFrame | None, reading: Reading
              ) -> tuple[pd.DataFrame, tuple[Problem, ...], dt.date | None]:
    """Give each doubtful row its first problem; drop excluded rows; report them all. Returns
    the rows kept, the problems and the first created day (None without start dates)."""
    shown = [c for c in (columns.get("key"), columns.get("start"), columns.get("finish")) if c]
    notes = _Notes(frame, lambda rows: tuple(_example(raw, frame, i, shown) for i in rows))
    bad = pd.Series(False, index=frame.index)
    for col, values in parsed.items():
        bad |= (raw[col] != "") & values.isna()
    notes.note(bad, "unparsable_date", "a date not in its column's format; left out")
    _implausible_late(notes, frame, sd, reading)
    first = frame.loc[frame["_ok"], "start"].min()  # of every plausible created date
    first_day = None if pd.isna(first) else pd.Timestamp(first).normalize()
    _not_delivered(notes, frame, raw, columns, reading.done_resolutions)
    _finish_checks(notes, frame)
    if first_day is not None:
        _implausible_early(notes, frame, sd, first_day)
    _key_checks(notes, frame, raw, columns)
    if "start" in columns:
        notes.note(frame["finish"].notna() & frame["start"].isna(), "missing_start",
                   "no start date: counted as throughput, no cycle time", excluded=False)
    return frame[frame["_ok"]], tuple(notes.problems), first_day.date() if first_day else None


def _all_dates(frame: pd.DataFrame, sd: pd.DataFrame | None) -> pd.DataFrame:
    both = frame[["start", "finish"]]
    return both if sd is None else pd.concat([both, sd], axis=1)


def _implausible_late(notes: _Notes, frame: pd.DataFrame, sd: pd.DataFrame | None,
                      reading: Reading) -> None:
    last = _last_plausible(reading)
    dates = _all_dates(frame, sd)
    late = dates > pd.Timestamp(last) + pd.Timedelta(days=1)
    made = reading.export_date or dt.date.today()
    notes.note(late.any(axis=1), "date_after_export",
               f"a date more than a year after the export ({made}; latest plausible {last}): "
               f"a typo or a placeholder such as 9999-12-31; left out (set --export-date)",
               examples=lambda rows: _date_examples(frame, dates, late, rows))


def _implausible_early(notes: _Notes, frame: pd.DataFrame, sd: pd.DataFrame | None,
                       day: pd.Timestamp) -> None:
    dates = _all_dates(frame, sd).drop(columns="start")
    early = dates < day
    notes.note(early.any(axis=1), "date_before_first_created",
               f"a date before the first created date ({day.date()}); left out",
               examples=lambda rows: _date_examples(frame, dates, early, rows))


def _date_examples(frame: pd.DataFrame, dates: pd.DataFrame, flagged: pd.DataFrame,
                   rows: pd.Index) -> tuple[str, ...]:
    out = []
    for i in rows:
        col = str(flagged.columns[int(np.argmax(flagged.loc[i].to_numpy()))])
        out.append(f"line {frame.at[i, 'line']}: {frame.at[i, 'key']}, {col} "
                   f"{pd.Timestamp(dates.at[i, col]).date()}")
    return tuple(out)


def _not_delivered(notes: _Notes, frame: pd.DataFrame, raw: pd.DataFrame,
                   columns: Mapping[str, str], done: Sequence[str]) -> None:
    if "resolution" not in columns:
        return
    said = raw[columns["resolution"]].str.lower()
    judged = ~said.isin([r.lower() for r in NO_RESOLUTION])
    undelivered = judged & ~said.isin([r.lower() for r in done])
    counts = raw.loc[undelivered & frame["_ok"], columns["resolution"]].value_counts()
    which = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    notes.note(undelivered, "not_delivered",
               f"resolved without delivering ({which}): not in the done list "
               f"({', '.join(done)}); left out (set --done-resolutions)")


def _finish_checks(notes: _Notes, frame: pd.DataFrame) -> None:
    no_finish = frame["finish"].isna()
    notes.note(no_finish & frame["start"].isna(), "missing_finish",
               "no finish date and no start date: nothing to count; left out")
    notes.note(no_finish, "not_finished",
               "no finish date: kept as work in progress (ageing WIP, flow), not as throughput",
               excluded=False)
    notes.note(frame["finish"] < frame["start"], "finish_before_start",
               "finished before it started (e.g. a data migration); left out")


def _key_checks(notes: _Notes, frame: pd.DataFrame, raw: pd.DataFrame,
                columns: Mapping[str, str]) -> None:
    if "key" not in columns:
        return
    named = raw[columns["key"]] != ""
    dup = named & frame["key"].where(frame["_ok"] & named).duplicated()
    notes.note(dup, "duplicate_key", "key seen on an earlier line; the first kept, this one left "
               "out")
    notes.note(~named, "missing_key", "no key: named by its line number", excluded=False)


def _example(raw: pd.DataFrame, frame: pd.DataFrame, i: Any, shown: Sequence[str]) -> str:
    values = ", ".join(f"{c} {raw.at[i, c]!s}" if raw.at[i, c] else f"{c} empty" for c in shown)
    return f"line {frame.at[i, 'line']}: {values}"


# ------------------------------------------------------------------------ status transitions


def load_transitions(path: str | Path, mapping: Mapping[str, str] | None = None,
                     date_format: str | None = None) -> pd.DataFrame:
    """Read a status-transition log (one row per move: key, state entered, when).

    Returns columns key, state, entered (in UTC when the log has offsets). A row that cannot
    be read is an error naming its line: a transition log must be right for cycle times to
    mean anything. `mapping` names the log's columns (roles key, state, at).
    """
    raw = _read_csv(path).astype(str)
    cols = _log_columns(raw, str(path), mapping or {})
    at_col = cols["at"]
    at = raw[at_col].str.strip()
    fmt = date_format or _detect_format(at, str(path), at_col)
    entered = _parse(at, fmt)
    bad = entered.isna() | (raw[cols["key"]].str.strip() == "") | (raw[cols["state"]] == "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise HistoryError(f"{path}: line {i + 2}: needs a key, a state and a date in format "
                           f"{fmt!r} (found {', '.join(raw.iloc[i].astype(str))})")
    log = pd.DataFrame({"key": raw[cols["key"]].str.strip(),
                        "state": raw[cols["state"]].str.strip(),
                        "entered": entered.astype("datetime64[s]")})
    log.attrs = {"source": str(path), "format": {at_col: fmt + (
        IN_UTC if at.str.contains(OFFSET).any() else "")}}
    return log


def _log_columns(raw: pd.DataFrame, source: str, mapping: Mapping[str, str]) -> dict[str, str]:
    unknown = set(mapping) - set(TRANSITION_COLUMNS)
    if unknown:
        raise HistoryError(f"{source}: unknown transition column role(s) "
                           f"{', '.join(sorted(unknown))} (allowed: key, state, at)")
    cols = {}
    for role, names in TRANSITION_COLUMNS.items():
        given = role in mapping
        wanted = (mapping[role],) if given else names
        hit = next((h for n in wanted if (h := find_column(list(raw.columns), n, source,
                                                           "--transition-columns", given))),
                   None)
        if hit is None:
            raise HistoryError(f"{source}: {role} column {wanted[0]!r} not found (columns "
                               f"found: {_found(raw)}; name the log's columns with "
                               f"--transition-columns KEY,STATE,DATE)")
        cols[role] = hit
    return cols


def _log_formats(log: pd.DataFrame | None) -> dict[str, str]:
    if log is None:
        return {}
    source = log.attrs.get("source", "transitions")
    return {f"{source}: {c}": f for c, f in log.attrs.get("format", {}).items()}


def log_states(log: pd.DataFrame) -> tuple[str, ...]:
    """The log's states in workflow order when none are listed: by the median rank at which
    items first enter them (ties: by name)."""
    first = log.groupby(["key", "state"])["entered"].min().reset_index()
    first["rank"] = first.groupby("key")["entered"].rank(method="first")
    order = first.groupby("state")["rank"].median().reset_index()
    return tuple(order.sort_values(["rank", "state"])["state"])


def _from_log(frame: pd.DataFrame, log: pd.DataFrame, listed: tuple[str, ...]
              ) -> tuple[pd.DataFrame, pd.DataFrame, tuple[Problem, ...]]:
    """Dates from the log for every item it moves: start = the first entry into any listed
    state, finish = the start of its last stay in the last listed state (an item moved back out
    of it and not returned is in progress), state dates = the first entry into each state."""
    states = listed or log_states(log)
    source = log.attrs.get("source", "transitions")
    if not log["state"].isin(states).any():
        found = ", ".join(pd.unique(log["state"])[:12])
        raise HistoryError(f"{source}: no move into the states listed ({', '.join(states)}; "
                           f"states found: {found}; list yours with --states)")
    known = set(frame["key"])
    use = log["key"].isin(known) & log["state"].isin(states)
    moves = log[use].sort_values(["key", "entered"], kind="stable")
    first = moves.groupby(["key", "state"])["entered"].min().unstack("state")
    first = first.reindex(columns=list(states))
    finish, reopened = _final_arrivals(moves, states[-1])
    by_key = frame["key"]
    moved = by_key.isin(first.index)
    sd = first.reindex(by_key.to_numpy()).set_axis(frame.index)
    frame = frame.copy()
    frame.loc[moved, "start"] = sd.loc[moved].min(axis=1)
    frame.loc[moved, "finish"] = finish.reindex(by_key[moved].to_numpy()).to_numpy()
    problems = _log_problems(log, known, states, reopened, source, int((~moved).sum()))
    return frame, sd.astype("datetime64[s]"), problems


def _final_arrivals(moves: pd.DataFrame, done: str) -> tuple[pd.Series, list[str]]:
    """Per key: when its last stay in `done` began (none if it is not there now), and the keys
    that left `done` at some point (re-opened). `moves` are sorted by key, then time."""
    m = moves.assign(pos=np.arange(len(moves)), done=moves["state"] == done)
    back = m[~m["done"]].groupby("key")["pos"].max()  # its last move into another state
    after = m["pos"] > m["key"].map(back).fillna(-1)
    finish = m[m["done"] & after].groupby("key")["entered"].min()
    return finish, sorted(m.loc[m["done"] & ~after, "key"].unique())


def _log_problems(log: pd.DataFrame, known: set[str], states: Sequence[str],
                  reopened: list[str], source: str, unmoved: int) -> tuple[Problem, ...]:
    out = []
    skipped = log[~(log["key"].isin(known) & log["state"].isin(states))]
    if len(skipped):
        eg = tuple(f"{k} → {s}" for k, s in skipped[["key", "state"]].head(EXAMPLES).to_numpy())
        out.append(Problem("unused_transition", len(skipped), True,
                           f"a move for an item not in the export (or not kept) or into a state "
                           f"not listed ({', '.join(states)}); not used", eg, source))
    if reopened:
        out.append(Problem("reopened", len(reopened), False,
                           f"moved back out of {states[-1]!r}: finished on its last arrival "
                           f"there, in progress if not back", tuple(reopened[:EXAMPLES])))
    if unmoved:
        out.append(Problem("no_transitions", unmoved, False, "items the log never moves into "
                           "a listed state: dated by the export's own columns"))
    return tuple(out)


def with_transitions(history: History, transitions: pd.DataFrame,
                     states: Sequence[str]) -> History:
    """The history with `state_dates` taken from a transition log: the first entry into each
    listed state (re-entries after rework keep the first date, so cycle times are not shortened).
    Moves for unknown keys or unlisted states are reported, not used. Start and finish stay the
    export's; to date the items by the log, pass it to `load_history` (`Reading.transitions`)."""
    known = pd.Index(pd.concat([history.items["key"], history.open_items["key"]]))
    use = transitions["key"].isin(known) & transitions["state"].isin(states)
    first = (transitions[use].groupby(["key", "state"])["entered"].min()
             .unstack("state").reindex(index=known, columns=list(states)))
    first.index.name = "key"
    problems = list(history.problems)
    skipped = transitions[~use]
    if len(skipped):
        eg = tuple(f"{k} → {s}" for k, s in skipped[["key", "state"]].head(EXAMPLES).to_numpy())
        problems.append(Problem("unused_transition", len(skipped), True,
                                "a move for an unknown item or unlisted state; not used", eg,
                                "transitions"))
    return replace(history, states=tuple(states), state_dates=first, problems=tuple(problems))


# ------------------------------------------------------------------------------ cycle times


def cycle_time_samples(path: str | Path, column: str | None = None,
                       window_days: int | None = None) -> list[float]:
    """Cycle times in days of the finished items of a history file, for calibrating effort in a
    scenario. `column` reads a cycle-time column of the file instead of finish − start (rows the
    importer leaves out stay out); `window_days` keeps items finished in the last that many days
    of the file."""
    raw = _read_csv(path)
    hist = history_from_frame(raw, str(path), reading=Reading(export_date=_file_day(Path(path))))
    items = hist.items
    if window_days is not None:
        if window_days < 1:
            raise HistoryError(f"{path}: window_days must be at least 1 (got {window_days})")
        last = items["finish"].max().normalize()
        items = items[items["finish"] >= last - pd.Timedelta(days=window_days - 1)]
    if column is None:
        if "start" not in hist.columns:
            raise HistoryError(f"{path}: no start-date column, so no cycle times (columns "
                               f"found: {', '.join(raw.columns)}; name a cycle-time column)")
        return [float(x) for x in items["cycle_time_days"].dropna()]
    if column not in raw.columns:
        raise HistoryError(f"{path}: column {column!r} not found (columns found: "
                           f"{', '.join(raw.columns)})")
    values = pd.to_numeric(raw[column].iloc[items["line"].to_numpy() - 2], errors="coerce")
    if values.isna().any() or (values < 0).any():
        raise HistoryError(f"{path}: column {column!r} must hold non-negative numbers of days "
                           f"(e.g. line {int(items['line'].iloc[0])})")
    return [float(x) for x in values]
