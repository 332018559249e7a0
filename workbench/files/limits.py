"""The bounds every face checks before any work starts, defined once: what a seed may be, how
many replications, worker processes and sweep points a command takes, and how big and deep a
sweep file may be. A value outside them is one line naming the option and the range (exit 2),
never a crash halfway through the night.

Why these numbers: a seed up to 2**32 - 1 keeps its ten digits exact in every tool that reads
a results table (a spreadsheet keeps 15); a million replications is hours of simulation and
the most a forecast's table holds comfortably in memory; 256 worker processes is more cores
than a machine has; a thousand sweep points is several nights of reports (``--max-points``
raises it, to a hundred thousand).
"""

from __future__ import annotations

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
MAX_YAML_DEPTH = 32  # nesting of a sweep file's mappings and lists


def seed_problem(value: object) -> str | None:
    """Why ``value`` is not a seed, or None if it is one."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        return f"a seed is a whole number from 0 to {MAX_SEED}"
    return None
