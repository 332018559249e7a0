"""The forecast log: every report's forecast kept in one SQLite file beside the scenario, so the
next report can show the trend and say why the dates moved.

One table, one row per entry: the report date, the scenario's name and SHA-256, and the entry
itself as JSON (plain data: the scenario as written, per-milestone P50/P85/P95 and chance,
cost, seed, replications, version). An append is one transaction (``BEGIN IMMEDIATE``): it
lands whole or not at all, and two reports appending at once wait for each other (busy
timeout) instead of failing. A file that is not a forecast log, is damaged or stays locked is
a `LogError` whose message is one line naming the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from workbench.files.jsonable import dumps

SUFFIX = ".forecasts.sqlite"
APPLICATION_ID = 0x54504D57  # "TPMW": marks the file as ours (PRAGMA application_id)
SCHEMA_VERSION = 1
BUSY_SECONDS = 30.0  # how long an append waits for another process's append

_SCHEMA = """
CREATE TABLE IF NOT EXISTS forecasts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    logged_at TEXT NOT NULL,
    as_of TEXT NOT NULL,
    scenario TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    entry TEXT NOT NULL
)"""


class LogError(Exception):
    """The forecast log cannot be read or written; the message is one line naming the file."""


def default_path(scenario_path: str | os.PathLike[str]) -> Path:
    """Where a scenario's forecasts are logged by default: ``<stem>.forecasts.sqlite`` beside
    it."""
    p = Path(scenario_path)
    return p.with_name(p.stem + SUFFIX)


def make_entry(forecast: Mapping[str, Any], scenario: Mapping[str, Any], as_of: str,
               logged_at: str) -> dict[str, Any]:
    """An entry from a forecast's JSON (`ProgramForecast.to_dict()`, or a report's summary) and
    the scenario as written (resolved, as plain data): what the trend and the attribution read
    back."""
    keep = ("name", "target", "p50", "p85", "p95", "chance_of_target")
    cost = forecast.get("cost") or {}
    return {"as_of": as_of, "logged_at": logged_at,
            "scenario": {"name": forecast["scenario"]["name"],
                         "sha256": forecast["scenario"]["sha256"], "resolved": dict(scenario)},
            "milestones": [{k: m.get(k) for k in keep} for m in forecast["milestones"]],
            "cost": {q: cost.get(q) for q in ("p50", "p85", "p95")},
            "seed": forecast["seed"], "replications": forecast["replications"],
            "version": forecast["version"]}


def append(path: str | os.PathLike[str], entry: Mapping[str, Any]) -> int:
    """Add one entry (plain data with ``as_of``, ``logged_at`` and ``scenario.name`` and
    ``scenario.sha256``) in one transaction; returns its id."""
    text = dumps(entry)
    row = (entry["logged_at"], entry["as_of"], entry["scenario"]["name"],
           entry["scenario"]["sha256"], text)
    with _connection(path, write=True) as db:
        db.execute("BEGIN IMMEDIATE")  # the write lock first: waits for another append
        _prepare(db, path)
        cur = db.execute("INSERT INTO forecasts (logged_at, as_of, scenario, sha256, entry) "
                         "VALUES (?, ?, ?, ?, ?)", row)
        db.execute("COMMIT")
        return int(cur.lastrowid or 0)


def entries(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every entry, oldest first, each with its ``id`` (none for a log not yet written)."""
    if not Path(path).exists():
        return []
    with _connection(path, write=False) as db:
        _check_ours(db, path)
        if not _has_table(db):
            return []
        rows = db.execute("SELECT id, entry FROM forecasts ORDER BY id").fetchall()
    return [_entry(path, i, text) for i, text in rows]


def _entry(path: str | os.PathLike[str], number: int, text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except (TypeError, ValueError):
        found = None
    if not isinstance(found, dict):
        raise LogError(f"{path}: entry {number} of the forecast log is damaged (not the JSON "
                       "of an entry)")
    return {"id": number, **found}


def integrity_problems(path: str | os.PathLike[str]) -> list[str]:
    """SQLite's own check of the whole file ([] when sound)."""
    with _connection(path, write=False) as db:
        found = [r[0] for r in db.execute("PRAGMA quick_check").fetchall()]
    return [] if found == ["ok"] else [f"{path}: {line}" for line in found]


@contextlib.contextmanager
def _connection(path: str | os.PathLike[str], write: bool) -> Iterator[sqlite3.Connection]:
    """A connection with a busy timeout, in manual transactions; SQLite's errors become one
    line naming the file."""
    db: sqlite3.Connection | None = None
    if Path(path).is_dir():
        raise LogError(f"{path}: is a folder (allowed: a forecast log file, e.g. "
                       f"program{SUFFIX})")
    try:
        if write:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # reading opens read-write where allowed: SQLite can then roll back a journal left by
        # an append that was cut short (read-only, it could not read the file at all)
        mode = "rwc" if write else "rw" if os.access(path, os.W_OK) else "ro"
        uri = f"{Path(path).resolve().as_uri()}?mode={mode}"
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
        yield db
    except sqlite3.OperationalError as exc:
        raise LogError(_reason(path, exc)) from None
    except sqlite3.DatabaseError as exc:  # not a database at all, or damaged
        raise LogError(_damaged(path, str(exc))) from None
    except OSError as exc:
        raise LogError(f"{path}: cannot open the forecast log ({exc.strerror or exc})") from None
    finally:
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                if db.in_transaction:
                    db.execute("ROLLBACK")
            db.close()


def _reason(path: str | os.PathLike[str], exc: sqlite3.OperationalError) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (f"{path}: the forecast log stayed locked by another process for "
                f"{BUSY_SECONDS:g} s (allowed: one writer at a time; try again)")
    if "not a database" in text or "malformed" in text:
        return _damaged(path, text)
    return f"{path}: cannot use the forecast log ({text})"


def _damaged(path: str | os.PathLike[str], text: str) -> str:
    """A file that is no SQLite database at all is someone else's (say so, and nothing about
    moving it aside); a malformed one is a log that was damaged."""
    if "not a database" in text:
        return (f"{path}: is not a forecast log (allowed: a file made by workbench report, or "
                "a new path)")
    return (f"{path}: the forecast log is damaged ({text}); move it aside and the next report "
            "starts a new one")


def _prepare(db: sqlite3.Connection, path: str | os.PathLike[str]) -> None:
    """Mark a new file as ours and create the table; refuse someone else's database."""
    _check_ours(db, path)
    if not _has_table(db):
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute(_SCHEMA)


def _check_ours(db: sqlite3.Connection, path: str | os.PathLike[str]) -> None:
    app = db.execute("PRAGMA application_id").fetchone()[0]
    tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app != APPLICATION_ID and tables:
        raise LogError(f"{path}: a SQLite database but not a forecast log (allowed: a file "
                       f"written by workbench report, or a new file name)")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise LogError(f"{path}: written by a newer workbench (log version {version}; this "
                       f"one reads up to {SCHEMA_VERSION})")


def _has_table(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'forecasts'").fetchone() \
        is not None
