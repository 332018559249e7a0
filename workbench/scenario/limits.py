"""How big a scenario may be before the workbench refuses to start: each limit is checked before
any work, gives one line naming the limit and how to raise it, and keeps a mistyped number
(`items: 1000000000000`) from ending in a crash after minutes of work.

Raise a limit for one command with ``--limit epics=50000`` (any command that reads scenarios),
or for a whole session with the environment variable ``WORKBENCH_LIMITS="epics=50000,file_mb=60"``
(report kernels and sweep workers inherit it).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass

ENV_VAR = "WORKBENCH_LIMITS"


@dataclass(frozen=True)
class Limits:
    """The largest scenario the workbench accepts (defaults fit any real program many times)."""

    file_mb: float = 20.0  # one scenario file
    epics: int = 20_000
    items_per_epic: int = 100_000
    items: int = 1_000_000  # all epics together
    horizon_days: int = 36_500  # a hundred years
    extends_depth: int = 20  # files in one `extends` chain
    nesting_depth: int = 40  # levels of mappings and lists in one file

    def problem(self, name: str, value: float, what: str) -> str | None:
        """One line when ``value`` is over limit ``name``, else None."""
        limit = getattr(self, name)
        if value <= limit:
            return None
        return (f"{what} is {_n(value)}, over the limit of {_n(limit)} (allowed: at most "
                f"{_n(limit)}; raise it with --limit {name}=N or {ENV_VAR}={name}=N)")


def _n(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,g}"


NAMES = tuple(f.name for f in dataclasses.fields(Limits))


def parse(pairs: Iterable[str], source: str = "--limit") -> Limits:
    """Limits with ``name=value`` pairs applied to the defaults; ValueError names what is
    wrong and what is allowed."""
    changes: dict[str, float] = {}
    for pair in pairs:
        name, _, raw = pair.partition("=")
        name = name.strip()
        if name not in NAMES:
            raise ValueError(f"{source}: unknown limit {name!r} (allowed: {', '.join(NAMES)})")
        kind = type(getattr(Limits(), name))
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(f"{source}: {name}={raw!r} is not a number (allowed: {name}=N, "
                             f"N > 0)") from None
        if not value > 0:
            raise ValueError(f"{source}: {name}={raw!r} (allowed: a number > 0)")
        changes[name] = value
    return dataclasses.replace(Limits(), **changes)  # type: ignore[arg-type]


def current() -> Limits:
    """The limits in force: the defaults, changed by the environment (``WORKBENCH_LIMITS``)."""
    raw = os.environ.get(ENV_VAR, "")
    return parse([p for p in raw.split(",") if p.strip()], ENV_VAR)
