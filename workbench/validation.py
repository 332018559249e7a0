"""Rules that span sections of a scenario (references, cycles, dates). Placeholder."""

from __future__ import annotations

from typing import Any


def cross_check(scenario: Any) -> None:
    """Raise ValueError naming the first rule a scenario breaks."""
