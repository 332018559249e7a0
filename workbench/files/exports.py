"""Completed-work history: what a team actually finished, read from a tracker's CSV export.

`load_history` turns an export (Jira's CSV, or anything with a finish-date column) into a clean
`History`: one row per finished item, plus the items still in progress, plus a report of every
row it could not use and why. Nothing is dropped silently and nothing doubtful is used silently.

A status-transition log can add the date each item first entered each state, and
`cycle_time_samples` gives the cycle times a scenario's empirical effort resamples. The flow
metrics of a `History` are in `workbench.history.flow`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------- columns and formats

ROLES: tuple[str, ...] = ("key", "type", "status", "start", "finish", "points", "project")
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "key": ("Issue key", "id", "key"),
    "type": ("Issue Type", "type"),
    "status": ("Status",),
    "start": ("Created", "created_date", "start", "started"),
    "finish": ("Resolved", "finished_date", "finish", "finished", "done"),
    "points": ("Story Points",),
    "project": ("project", "Project key", "Project name"),
}
# Tried in order when no format is given; a column takes the one that reads the most values.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d",
    "%d/%b/%y %H:%M", "%d/%b/%y %I:%M %p", "%d/%b/%Y %H:%M", "%d/%b/%Y %I:%M %p", "%d/%b/%y",
    "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M",
    "%d.%m.%Y", "%d.%m.%Y %H:%M", "ISO8601",
)
EXAMPLES = 3  # rows quoted per kind of problem


class HistoryError(ValueError):
    """A history file cannot be used as given; the message names the file and what to change."""


@dataclass(frozen=True)
class Problem:
    """One kind of row the importer could not use as is: how many, what was done, examples."""

    kind: str
    count: int
    excluded: bool
    meaning: str
    examples: tuple[str, ...] = ()

    def line(self) -> str:
        """One readable line, e.g. for the CLI."""
        eg = f" (e.g. {'; '.join(self.examples)})" if self.examples else ""
        return f"{self.kind}: {self.count:,} row(s), {self.meaning}{eg}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"kind": self.kind, "count": self.count, "excluded": self.excluded,
                "meaning": self.meaning, "examples": list(self.examples)}


@dataclass(frozen=True, eq=False)
class History:
    """A clean completed-work history. Treat the frames as read-only.

    `items`: finished items, columns key, start, finish, cycle_time_days (finish − start in
    days, elapsed, so same-day work is 0), line (in the file) and any of type, status, points,
    project found. `open_items`: started but not finished (for ageing WIP and cumulative flow).
    `state_dates`: when each item entered each workflow state (index key), if known.
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

    @property
    def excluded(self) -> int:
        """Rows left out entirely (in-progress items are kept, in `open_items`)."""
        return sum(p.count for p in self.problems if p.excluded)

    def report(self) -> str:
        """What was read, what was used, and every kind of row left out or doubted."""
        head = (f"{self.source}: {self.rows_read:,} rows read, {len(self.items):,} finished items"
                f" used, {len(self.open_items):,} in progress, {self.excluded:,} left out")
        return "\n".join([head, *("  " + p.line() for p in self.problems)])

    def to_dict(self) -> dict[str, Any]:
        """What was read and left out, as plain data (the `history` of JSON outputs and of
        the history report's summary)."""
        return {"source": self.source, "rows_read": self.rows_read,
                "finished_items": len(self.items), "in_progress": len(self.open_items),
                "left_out": self.excluded, "columns": dict(self.columns),
                "date_formats": dict(self.date_formats),
                "problems": [p.to_dict() for p in self.problems]}


# --------------------------------------------------------------------------------- import


def load_history(path: str | Path, mapping: Mapping[str, str | Sequence[str]] | None = None,
                 date_format: str | None = None) -> History:
    """Read a completed-work CSV export.

    `mapping` names your columns by role (key, type, status, start, finish, points, project) and
    may list per-state date columns in workflow order under "states". Unmapped roles take the
    first default column found (Jira's names and the shared example files' names).
    """
    return history_from_frame(_read_csv(path), str(path), mapping, date_format)


def history_from_frame(raw: pd.DataFrame, source: str = "<frame>",
                       mapping: Mapping[str, str | Sequence[str]] | None = None,
                       date_format: str | None = None) -> History:
    """Same as `load_history`, for a frame already in memory (all values read as text)."""
    raw = raw.fillna("").astype(str).apply(lambda c: c.str.strip())
    columns, states = _resolve_columns(raw, source, mapping or {})
    date_cols = [c for c in (columns.get("start"), columns["finish"], *states) if c]
    formats = {c: date_format or _detect_format(raw[c], source, c) for c in date_cols}
    parsed = {c: _parse(raw[c], formats[c]) for c in date_cols}
    frame = _base_frame(raw, columns, parsed)
    frame, problems = _classify(frame, raw, columns, parsed)
    state_dates = _state_frame(frame, parsed, states) if states else None
    done = frame[frame["finish"].notna()].drop(columns="_ok").reset_index(drop=True)
    wip = frame[frame["finish"].isna()].drop(columns="_ok").reset_index(drop=True)
    return History(source, done, wip, problems, columns, formats, len(raw), states, state_dates)


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


def _resolve_columns(raw: pd.DataFrame, source: str, mapping: Mapping[str, str | Sequence[str]]
                     ) -> tuple[dict[str, str], tuple[str, ...]]:
    unknown = set(mapping) - {*ROLES, "states"}
    if unknown:
        raise HistoryError(f"{source}: unknown mapping role(s) {', '.join(sorted(unknown))} "
                           f"(allowed: {', '.join((*ROLES, 'states'))})")
    found = ", ".join(raw.columns)
    by_lower = {str(c).lower(): str(c) for c in raw.columns}
    columns: dict[str, str] = {}
    for role in ROLES:
        wanted = mapping.get(role)
        if isinstance(wanted, str):
            if wanted.lower() not in by_lower:
                raise HistoryError(f"{source}: column {wanted!r} not found (columns found: "
                                   f"{found}; map yours with --{role}-column)")
            columns[role] = by_lower[wanted.lower()]
            continue
        hit = next((by_lower[c.lower()] for c in DEFAULT_COLUMNS[role] if c.lower() in by_lower),
                   None)
        if hit:
            columns[role] = hit
    if "finish" not in columns:
        raise HistoryError(f"{source}: no finish-date column found (looked for "
                           f"{', '.join(DEFAULT_COLUMNS['finish'])}; columns found: {found}; "
                           f"map yours with --finish-column)")
    states = mapping.get("states") or ()
    states = (states,) if isinstance(states, str) else tuple(states)
    for s in states:
        if s.lower() not in by_lower:
            raise HistoryError(f"{source}: state column {s!r} not found (columns found: {found};"
                               f" list yours with --states)")
    return columns, tuple(by_lower[s.lower()] for s in states)


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
    # utc=True: pandas refuses a column of mixed offsets otherwise (+0100 in summer, +0000 in
    # winter); a value without an offset is read as UTC, so its wall clock is kept.
    out = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    if getattr(out.dt, "tz", None) is not None:  # keep wall-clock UTC; trackers mix offsets
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def _base_frame(raw: pd.DataFrame, columns: Mapping[str, str],
                parsed: Mapping[str, pd.Series]) -> pd.DataFrame:
    line = np.arange(len(raw)) + 2  # the header is line 1
    key = raw[columns["key"]] if "key" in columns else pd.Series([""] * len(raw), dtype=str)
    key = key.where(key != "", pd.Series([f"line {n}" for n in line], dtype=str))
    start = parsed[columns["start"]] if "start" in columns else pd.Series(pd.NaT, index=raw.index)
    finish = parsed[columns["finish"]]
    frame = pd.DataFrame({"key": key.to_numpy(), "start": start.astype("datetime64[s]"),
                          "finish": finish.astype("datetime64[s]")})
    frame["cycle_time_days"] = (frame["finish"] - frame["start"]) / pd.Timedelta(days=1)
    for role in ("type", "status", "project"):
        if role in columns:
            frame[role] = raw[columns[role]].to_numpy()
    if "points" in columns:
        frame["points"] = pd.to_numeric(raw[columns["points"]], errors="coerce").to_numpy()
    frame["line"] = line
    frame["_ok"] = True
    return frame


def _classify(frame: pd.DataFrame, raw: pd.DataFrame, columns: Mapping[str, str],
              parsed: Mapping[str, pd.Series]
              ) -> tuple[pd.DataFrame, tuple[Problem, ...]]:
    """Give each doubtful row its first problem; drop excluded rows; report them all."""
    fcol, scol = columns["finish"], columns.get("start")
    shown = [c for c in (columns.get("key"), scol, fcol) if c]
    problems: list[Problem] = []

    def note(mask: pd.Series, kind: str, meaning: str, excluded: bool = True) -> None:
        mask = mask & frame["_ok"]
        if not mask.any():
            return
        rows = frame.index[mask]
        examples = tuple(_example(raw, frame, i, shown) for i in rows[:EXAMPLES])
        problems.append(Problem(kind, int(mask.sum()), excluded, meaning, examples))
        if excluded:
            frame.loc[mask, "_ok"] = False

    bad = pd.Series(False, index=frame.index)
    for col, values in parsed.items():
        bad |= (raw[col] != "") & values.isna()
    note(bad, "unparsable_date", "a date not in its column's format; left out")
    no_finish = frame["finish"].isna()
    note(no_finish & frame["start"].isna(), "missing_finish",
         "no finish date and no start date: nothing to count; left out")
    note(no_finish, "not_finished",
         "no finish date: kept as work in progress (ageing WIP, flow), not as throughput",
         excluded=False)
    note(frame["finish"] < frame["start"], "finish_before_start",
         "finished before it started (e.g. a data migration); left out")
    if "key" in columns:
        named = raw[columns["key"]] != ""
        dup = named & frame["key"].where(frame["_ok"] & named).duplicated()
        note(dup, "duplicate_key", "key seen on an earlier line; the first kept, this one left out")
        note(~named, "missing_key", "no key: named by its line number", excluded=False)
    if scol:
        note(frame["finish"].notna() & (raw[scol] == ""), "missing_start",
             "no start date: counted as throughput, no cycle time", excluded=False)
    return frame[frame["_ok"]], tuple(problems)


def _example(raw: pd.DataFrame, frame: pd.DataFrame, i: int, shown: Sequence[str]) -> str:
    values = ", ".join(f"{c} {raw.at[i, c]!s}" if raw.at[i, c] else f"{c} empty" for c in shown)
    return f"line {frame.at[i, 'line']}: {values}"


def _state_frame(frame: pd.DataFrame, parsed: Mapping[str, pd.Series],
                 states: tuple[str, ...]) -> pd.DataFrame:
    data = {s: parsed[s].loc[frame.index].astype("datetime64[s]").to_numpy() for s in states}
    return pd.DataFrame(data, index=pd.Index(frame["key"].to_numpy(), name="key"))


# ------------------------------------------------------------------------ status transitions

TRANSITION_COLUMNS: dict[str, tuple[str, ...]] = {
    "key": ("Issue key", "key", "id"),
    "state": ("To Status", "to_status", "state", "status"),
    "at": ("Date", "changed", "timestamp", "at", "entered"),
}


def load_transitions(path: str | Path, mapping: Mapping[str, str] | None = None,
                     date_format: str | None = None) -> pd.DataFrame:
    """Read a status-transition log (one row per move: key, state entered, when).

    Returns columns key, state, entered. A row that cannot be read is an error naming its line:
    a transition log is small and must be right for cycle times to mean anything.
    """
    raw = _read_csv(path).astype(str)
    mapping = mapping or {}
    by_lower = {str(c).lower(): str(c) for c in raw.columns}
    cols = {}
    for role, names in TRANSITION_COLUMNS.items():
        wanted = (mapping[role],) if role in mapping else names
        hit = next((by_lower[n.lower()] for n in wanted if n.lower() in by_lower), None)
        if hit is None:
            raise HistoryError(f"{path}: column {wanted[0]!r} not found (columns found: "
                               f"{', '.join(raw.columns)}; map yours as mapping[{role!r}])")
        cols[role] = hit
    at_col = cols["at"]
    fmt = date_format or _detect_format(raw[at_col].str.strip(), str(path), at_col)
    entered = _parse(raw[at_col].str.strip(), fmt)
    bad = entered.isna() | (raw[cols["key"]].str.strip() == "") | (raw[cols["state"]] == "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise HistoryError(f"{path}: line {i + 2}: needs a key, a state and a date in format "
                           f"{fmt!r} (found {', '.join(raw.iloc[i].astype(str))})")
    return pd.DataFrame({"key": raw[cols["key"]].str.strip(),
                         "state": raw[cols["state"]].str.strip(),
                         "entered": entered.astype("datetime64[s]")})


def with_transitions(history: History, transitions: pd.DataFrame,
                     states: Sequence[str]) -> History:
    """The history with `state_dates` taken from a transition log: the first entry into each
    listed state (re-entries after rework keep the first date, so cycle times are not shortened).
    Moves for unknown keys or unlisted states are reported, not used."""
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
                                "a move for an unknown item or unlisted state; not used", eg))
    return replace(history, states=tuple(states), state_dates=first, problems=tuple(problems))


# ------------------------------------------------------------------------------ cycle times


def cycle_time_samples(path: str | Path, column: str | None = None,
                       window_days: int | None = None) -> list[float]:
    """Cycle times in days of the finished items of a history file, for calibrating effort in a
    scenario. `column` reads a cycle-time column of the file instead of finish − start (rows the
    importer leaves out stay out); `window_days` keeps items finished in the last that many days
    of the file."""
    raw = _read_csv(path)
    hist = history_from_frame(raw, str(path))
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
