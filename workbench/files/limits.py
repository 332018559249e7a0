"""Every bound the workbench checks before any work starts, defined once, so a value outside
one is a line naming it and what is allowed (exit 2), never a crash halfway through the night.

Two kinds, both here so each number lives once:

- Fixed bounds of options and sweep files (the ``MAX_*`` constants): what a seed may be, how
  many replications, worker processes and sweep points a command takes, and how big and deep a
  sweep file may be. Why these numbers: a seed up to 2**32 - 1 keeps its ten digits exact in
  every tool that reads a results table (a spreadsheet keeps 15); a million replications is
  hours of simulation and the most a forecast's table holds comfortably in memory; 256 worker
  processes is more cores than a machine has; a thousand sweep points is several nights of
  reports (``--max-points`` raises it, to a hundred thousand); a sweep file is a few lines.
- Scenario size limits (`Limits`), which a TPM with a truly huge program may raise: how big a
  scenario may be, so a mistyped number (``items: 1000000000000``) is one line naming the limit
  and how to raise it, not a crash after minutes of work. Raise one for one command with
  ``--limit epics=50000`` (any command that reads scenarios), or for a whole session with the
  environment variable ``WORKBENCH_LIMITS="epics=50000,file_mb=60"`` (report kernels and sweep
  workers inherit it).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass

MAX_SEED = 2**32 - 1
MAX_REPS = 1_000_000  # replications of a run, a report or a sweep point
MAX_WORKERS = 256  # worker processes of a run, a report or a sweep
MAX_TRIALS = 1_000_000  # futures of a forecast from history
MAX_ITEMS = 1_000_000  # items a forecast from history may be asked about
MAX_ORIGINS = 10_000  # past dates a backtest forecasts from
MAX_PERIODS = 10_000  # periods ahead a backtest asks about
MAX_FORECAST_DAYS = 20 * 365 + 5  # how far after the data a forecast from history may look
MAX_POINTS = 1_000  # sweep points, unless --max-points says otherwise
MAX_POINTS_CEILING = 100_000  # the most --max-points allows
MAX_SWEEP_FILE_BYTES = 1024 * 1024  # a sweep file is a few lines; 1 MiB is far beyond that
MAX_YAML_DEPTH = 32  # nesting of a sweep file's mappings and lists (a scenario: nesting_depth)


def seed_problem(value: object) -> str | None:
    """Why ``value`` is not a seed, or None if it is one."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        return f"a seed is a whole number from 0 to {MAX_SEED}"
    return None


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
