"""Command-line options shared by the commands that simulate (`run`, `report`), and the history
settings (`workbench.history.settings`) as options of the commands that forecast from history."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from workbench.files import limits
from workbench.files.untrusted import for_terminal
from workbench.history.settings import Setting
from workbench.sim.precision import AUTO, DEFAULT_PRECISION, Reps


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line, ``workbench CMD: what (allowed)``, and
    exit 2: what to fix, without a usage block (``--help`` shows that)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, for_terminal(f"{self.prog}: {message}") + "\n")


def whole_number(least: int, most: int, name: str = "whole number") -> Callable[[str], int]:
    """An argparse type: a whole number from ``least`` to ``most``, refused in the user's
    words (the value is shown shortened: a typed number can be thousands of digits)."""

    def parse(text: str) -> int:
        shown = repr(text if len(text) <= 30 else text[:27] + "...")
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{shown} is not a whole number (allowed: "
                                             f"{least} to {most})") from None
        if not least <= value <= most:
            raise argparse.ArgumentTypeError(f"{shown} is out of range (allowed: {least} "
                                             f"to {most})")
        return value

    parse.__name__ = name
    return parse


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (and at most `limits.MAX_REPS`)."""
    return whole_number(1, limits.MAX_REPS)(text)


seed_number = whole_number(0, limits.MAX_SEED, "seed")
reps_number = whole_number(1, limits.MAX_REPS, "replications")
workers_number = whole_number(1, limits.MAX_WORKERS, "workers")


def finite_float(text: str) -> float:
    """An argparse type: a finite number (``nan`` and ``inf`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:30]!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text[:30]!r} is not a finite number")
    return value


# One default number of replications for every face (run, report, sweep, the explorer's
# refinement): as many as the figures need, so they all give the same answer.
DEFAULT_REPS: Reps = AUTO
DEFAULT_SEED = 0
DEFAULT_SWEEP_REPORTS = "best:3"  # a sweep's per-point reports: the three best (and the summary)


def reps_choice(text: str) -> Reps:
    """An argparse type: ``auto`` (replications by precision) or a number of replications."""
    if text.strip().lower() == AUTO:
        return AUTO
    try:
        return reps_number(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(str(exc).removesuffix(")") + ", or auto)") from None


def add_simulation_options(parser: argparse.ArgumentParser,
                           default_reps: Reps = DEFAULT_REPS) -> None:
    """--reps, --seed, --workers and --set, worded the same in every command."""
    p = DEFAULT_PRECISION
    parser.add_argument("--reps", type=reps_choice, default=default_reps, metavar="N|auto",
                        help=f"replications, 1 to {limits.MAX_REPS}, or auto: until every "
                             f"milestone's P85 is known within ±{p.p85_working_days:g} working "
                             f"day and every chance within ±{p.chance_points:g} points (95%%), "
                             f"at most {p.cap} (default {default_reps})")
    parser.add_argument("--seed", type=seed_number, default=DEFAULT_SEED, metavar="S",
                        help=f"random seed, 0 to {limits.MAX_SEED} (default {DEFAULT_SEED})")
    parser.add_argument("--workers", type=workers_number, default=None, metavar="W",
                        help=f"worker processes, 1 to {limits.MAX_WORKERS} (default: one per "
                             "core for long runs)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="FIELD.PATH=VALUE",
                        help="override a field, e.g. teams.platform.members=8 (repeatable)")



def run_alone(register: Callable[[Any], None], argv: Sequence[str] | None = None) -> int:
    """Run one command module's sub-commands without the rest of the CLI (tests, ``python -m``)."""
    parser = OneLineParser(prog="workbench")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.run(args))

def print_lines(lines: list[str] | tuple[str, ...], stream: Any = None) -> None:
    """Lines from the user's files to a terminal, each escaped (`untrusted.for_terminal`)."""
    for line in lines:
        print(for_terminal(line), file=stream or sys.stderr, flush=True)


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
    """The setting's type, refusing values outside its range (and non-finite numbers) in the
    same words as every other number option."""
    least, most = setting.minimum, setting.maximum
    if setting.type is int and (least is not None or most is not None):
        return whole_number(int(least if least is not None else -(2**63)),
                            int(most if most is not None else 2**63 - 1), setting.name)
    if setting.type is float:
        return bounded_float(least, most, setting.name)
    return setting.type


def bounded_float(least: float | None, most: float | None,
                  name: str = "number") -> Callable[[str], float]:
    """An argparse type: a finite number within the bounds given."""
    allowed = (f"{_plain(least)} to {_plain(most)}" if least is not None and most is not None
               else f"{_plain(least)} or more" if least is not None
               else f"{_plain(most)} or less" if most is not None else "")

    def parse(text: str) -> float:
        try:
            value = finite_float(text)
        except argparse.ArgumentTypeError as exc:  # nan, inf, words: say the range too
            raise argparse.ArgumentTypeError(f"{exc} (allowed: {allowed or 'a finite number'})"
                                             ) from None
        if (least is not None and value < least) or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"{text[:30]!r} is out of range (allowed: "
                                             f"{allowed})")
        return value

    parse.__name__ = name
    return parse


def _plain(number: float | None) -> str:
    """4294967295 as 4294967295, not 4.29497e+09."""
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def folder_problem(command: str, option: str, given: str | None) -> str | None:
    """The line to print when an output folder can never be written (it, or a folder above it,
    is a file), checked before any work so a long search is not lost at the end."""
    from pathlib import Path

    if not given:
        return None
    blocker = _file_on_the_way(Path(given))
    if blocker is None:
        return None
    return f"workbench {command}: {option}: {blocker} is a file (allowed: a folder)"


def file_problem(command: str, option: str, given: str | None) -> str | None:
    """The line to print when an output file can never be written (it is a folder, or a folder
    above it is a file), checked before any work."""
    from pathlib import Path

    if not given:
        return None
    path = Path(given)
    if path.is_dir():
        return f"workbench {command}: {option}: {given} is a folder (allowed: a file path)"
    blocker = _file_on_the_way(path.parent)
    if blocker is None:
        return None
    return f"workbench {command}: {option}: {blocker} is a file (allowed: a path in a folder)"


def _file_on_the_way(folder: Any) -> Any:
    """The first existing non-folder among ``folder`` and the folders above it, if any."""
    for place in (folder, *folder.parents):
        if place.exists():
            return None if place.is_dir() else place
    return None
