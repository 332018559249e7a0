"""Pausing Python's cycle collector while many small objects are made that reference counting
frees anyway: a big file's node tree, a simulation run's events. The collector's passes over
them cost more than the work itself (two thirds of loading a 10,000-epic scenario, up to a
third of a long run)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector for the block; restored (and left to run) afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
