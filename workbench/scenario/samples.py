"""Effort calibrated from history: the loader reads the completed-work export an
`empirical: {file: ...}` distribution names and puts its cycle times in its place, so the
models never read files themselves."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from workbench.files import project

Loc = tuple[str | int, ...]
FILE_KEYS = frozenset({"file", "column", "window_days"})


def file_refs(data: Any) -> Iterator[tuple[Loc, dict[str, Any]]]:
    """Every ``{empirical: {file: ...}}`` mapping in plain scenario data, with its field path
    (an explicit stack, not recursion: big files have a hundred thousand values)."""
    stack: list[tuple[Loc, Any]] = [((), data)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, dict):
            if len(node) == 1 and isinstance(node.get("empirical"), Mapping):
                yield loc, node
                continue
            # pushed last to first, so they come off the stack in file order
            stack.extend(((*loc, k), v) for k, v in reversed(node.items())
                         if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(((*loc, i), v) for i, v in reversed(list(enumerate(node)))
                         if isinstance(v, dict | list))


def read_samples(ref: Mapping[str, Any], folder: Path, roots: list[Path]) -> list[float]:
    """The cycle times (days) of the finished items of the export ``ref`` names; a relative
    path is relative to ``folder`` and must stay inside ``roots`` (the project). Raises
    ValueError with what is wrong and what is allowed, never quoting the file."""
    if set(ref) - FILE_KEYS or "file" not in ref:
        raise ValueError("empirical from history takes {file: path, column?: name, "
                         "window_days?: n}")
    if not isinstance(ref["file"], str) or not isinstance(ref.get("column", ""), str) \
            or not isinstance(ref.get("window_days", 1), int):
        raise ValueError("empirical from history takes {file: path, column?: name, "
                         "window_days?: whole number}")
    path = Path(ref["file"])
    path = path if path.is_absolute() else folder / path
    escaped = project.outside(path, roots)
    if escaped is not None:
        raise ValueError(f"history file {ref['file']!r} is outside the project folder "
                         f"{escaped} (allowed: files under it, or under a folder given with "
                         "--allow-path DIR)")
    if not path.exists():
        raise ValueError(f"history file {str(ref['file'])!r} not found")
    samples = _cycle_times(str(path.resolve()), path.stat().st_mtime_ns, ref.get("column"),
                           ref.get("window_days"))
    if not samples:
        raise ValueError(f"history file {str(ref['file'])!r} has no usable cycle times")
    return list(samples)


@functools.lru_cache(maxsize=32)
def _cycle_times(path: str, mtime_ns: int, column: str | None, window_days: int | None
                 ) -> tuple[float, ...]:
    # Cached by file and modification time: the explorer re-validates on every change.
    from workbench.files import exports  # pandas is slow to import: only when a file is named

    try:
        return tuple(exports.cycle_time_samples(path, column=column, window_days=window_days))
    except exports.HistoryError as exc:  # the reason, without the columns it found
        raise ValueError(_unquoted(str(exc))) from None


def _unquoted(message: str) -> str:
    """A history error without the file's own words (the columns it found) and without the
    command-line hints (a scenario names its file differently)."""
    message = re.sub(r"\s*\(columns found:[^)]*\)", "", message)
    return re.sub(r";\s*(columns found:|map yours with)[^;)]*", "", message)
