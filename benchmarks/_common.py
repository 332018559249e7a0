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


def side_by_side(fn: Callable[[], object], base: Callable[[], object], rounds: int = 5
                 ) -> float:
    """The fastest run of ``fn`` over the fastest of ``base``, the two taken in turn for
    ``rounds`` rounds (each going first every other round), so that a busy moment of the
    machine, or a warm-up, hits both alike."""
    mine, theirs = float("inf"), float("inf")
    for i in range(rounds):
        if i % 2:
            theirs = min(theirs, best_of(base, 1))
        mine = min(mine, best_of(fn, 1))
        if not i % 2:
            theirs = min(theirs, best_of(base, 1))
    return mine / theirs


def print_ratios(results: Mapping[str, tuple[float, str]]) -> None:
    """One `name: 1.23x (target <= 1.5)` line per result; `--json` adds them as JSON."""
    for name, (ratio, target) in results.items():
        print(f"{name}: {ratio:.2f}x (target {target})")
    if "--json" in sys.argv:
        print(json.dumps({k: v[0] for k, v in results.items()}))
