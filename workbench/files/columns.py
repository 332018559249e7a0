"""The vocabulary of a completed-work export: the roles a column can play, the names each role
is found under without an option, and the resolutions that count as delivered work.

Light on purpose (no pandas): the command line is built from it before any file is read.
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("key", "type", "status", "start", "finish", "points", "project",
                          "resolution")
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "key": ("Issue key", "id", "key"),
    "type": ("Issue Type", "type"),
    "status": ("Status",),
    "start": ("Created", "created_date", "start", "started"),
    "finish": ("Resolved", "finished_date", "finish", "finished", "done"),
    "points": ("Story Points",),
    "project": ("project", "Project key", "Project name"),
    "resolution": ("Resolution",),
}
# Jira's resolutions that mean the work was delivered; the others (Duplicate, Won't Fix, Won't
# Do, Cannot Reproduce, Incomplete, Declined...) closed an item without delivering it.
DONE_RESOLUTIONS: tuple[str, ...] = ("Done", "Fixed", "Resolved", "Complete", "Completed",
                                     "Delivered", "Released")
# An empty resolution, or Jira's word for none, is not a verdict: the row is judged by its dates.
NO_RESOLUTION: tuple[str, ...] = ("", "Unresolved", "None")
# A transition log's columns: the item, the state it moved into, when.
TRANSITION_COLUMNS: dict[str, tuple[str, ...]] = {
    "key": ("Issue key", "key", "id"),
    "state": ("To Status", "to_status", "state", "status"),
    "at": ("Date", "changed", "timestamp", "at", "entered"),
}
PLAUSIBLE_DAYS_AFTER_EXPORT = 365  # a date later than this after the export is a typo


def parse_where(text: str) -> dict[str, tuple[str, ...]]:
    """`--where` conditions, 'Project=A,B;Team=X', as {column: values}; every condition must
    hold (a column named twice keeps the rows in both lists). ValueError names a bad one."""
    out: dict[str, tuple[str, ...]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        column, eq, values = part.partition("=")
        kept = tuple(v.strip() for v in values.split(",") if v.strip())
        if not eq or not column.strip() or not kept:
            raise ValueError(f"--where: {part!r} (use COLUMN=VALUE or COLUMN=A,B, e.g. "
                             f"--where Project=PAY)")
        name = column.strip()
        out[name] = tuple(v for v in out[name] if v in kept) if name in out else kept
    return out


def split_list(text: str) -> tuple[str, ...]:
    """'Done, Fixed' -> ('Done', 'Fixed'): a comma-separated option as a tuple."""
    return tuple(v.strip() for v in text.split(",") if v.strip())
