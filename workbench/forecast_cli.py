"""`workbench forecast` and `workbench backtest`: forecasts straight from history. Placeholder."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the history commands to the `workbench` command line."""
    del subparsers  # filled in by the history work


__all__ = ["register", "argparse"]
