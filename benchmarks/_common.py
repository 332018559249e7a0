"""Shared by the benchmarks: best-of timing and the `name: ratio (target)` lines."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by other work)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def print_ratios(results: Mapping[str, tuple[float, str]]) -> None:
    """One `name: 1.23x (target <= 1.5)` line per result; `--json` adds them as JSON."""
    for name, (ratio, target) in results.items():
        print(f"{name}: {ratio:.2f}x (target {target})")
    if "--json" in sys.argv:
        print(json.dumps({k: v[0] for k, v in results.items()}))
