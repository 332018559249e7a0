"""Command-line options shared by the commands that simulate (`run`, `report`)."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def add_simulation_options(parser: argparse.ArgumentParser, default_reps: int) -> None:
    """--reps, --seed, --workers and --set, worded the same in every command."""
    parser.add_argument("--reps", type=positive_int, default=default_reps, metavar="N",
                        help=f"replications (default {default_reps})")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="random seed (default 0)")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="W",
                        help="worker processes (default: one per core for long runs)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="FIELD.PATH=VALUE",
                        help="override a field, e.g. teams.platform.members=8 (repeatable)")
