"""Command-line options shared by the commands that simulate (`run`, `report`), and the history
settings (`workbench.history.settings`) as options of the commands that forecast from history."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from workbench.history.settings import Setting


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


def add_setting(parser: argparse._ActionsContainer, setting: Setting) -> None:
    """A history setting as an option, worded the same in every command that takes it."""
    extra: dict[str, Any] = {"action": _Join} if setting.repeatable else {
        "type": _checked(setting), "choices": setting.choices}
    parser.add_argument(setting.flag, default=setting.default, metavar=setting.metavar,
                        help=setting.help_text.replace("%", "%%"), **extra)  # argparse formats


class _Join(argparse.Action):
    """A repeatable option kept as one text: the values joined with ";" (as the report's
    notebook takes it)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        before = getattr(namespace, self.dest, "") or ""
        setattr(namespace, self.dest, f"{before};{values}" if before else str(values))


def _checked(setting: Setting) -> Callable[[str], Any]:
    """The setting's type, refusing values under its minimum in the user's words."""
    least = setting.minimum
    if least is None:
        return setting.type

    def parse(text: str) -> Any:
        value = setting.type(text)  # not a number: argparse says "invalid int value"
        if value < least:
            raise argparse.ArgumentTypeError(f"must be {least:g} or more (got {text})")
        return value

    parse.__name__ = getattr(setting.type, "__name__", "value")
    return parse
