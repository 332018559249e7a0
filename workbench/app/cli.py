"""The `workbench` command line.

Each command is a pair: ``_add_<name>(sub)`` declares its arguments and ``_cmd_<name>(args)`` runs
it and returns the exit code. Exit codes mean the same everywhere:

- 0: done;
- 2: the input needs fixing (a scenario problem, one ``FILE: field.path: ...`` line each, or a bad
  command line);
- 1: the workbench itself failed (one ``workbench: error: ...`` line; a bug to report).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workbench import __version__
from workbench.app import (
    compare_commands,
    history_commands,
    import_commands,
    lab,
    levers_commands,
    log_commands,
    report_commands,
    sensitivity_commands,
)
from workbench.app.options import OneLineParser, add_simulation_options, print_lines
from workbench.files import atomic, limits, project
from workbench.files.untrusted import for_json, for_terminal, for_terminal_block
from workbench.scenario.loader import ScenarioError, load_scenario, scenario_json_schema

Command = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `workbench` command and return its exit code (never a traceback)."""
    args = _parser().parse_args(argv)
    try:
        _apply_limits(args.limits)
        project.allow(args.allow_paths)
    except ValueError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.run(args))
    except ScenarioError as exc:
        _print_problems(exc.problems)
        return 2
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # the machine refused (a full disk, no permission): not a bug
        where = f" ({atomic.existing_place(exc.filename)})" if exc.filename else ""
        print(for_terminal(f"workbench: {exc.strerror or exc}{where}"), file=sys.stderr)
        return 1
    except Exception as exc:  # the one place a bug is turned into a readable line
        line = f"workbench: error: {type(exc).__name__}: {exc}".splitlines()[0]
        print(for_terminal(line), file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="workbench",
        description="Forecast when a program lands, with what confidence and at what cost.")
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("--limit", dest="limits", action="append", default=[],
                        metavar="NAME=N", help="raise a size limit for this command, e.g. "
                        f"--limit epics=50000 (limits: {', '.join(limits.NAMES)}; "
                        "see docs/scenarios.md)")
    parser.add_argument("--allow-path", dest="allow_paths", action="append", default=[],
                        metavar="DIR", help="let scenarios read files (extends, empirical) "
                        "under DIR too, besides their own project folder (repeatable)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_validate(sub)
    _add_schema(sub)
    _add_run(sub)
    history_commands.register(sub)  # `forecast` and `backtest`: forecasts straight from history
    lab.register(sub)  # `lab`: JupyterLab on the notebooks (the what-if explorer)
    report_commands.register(sub)  # `report` and `sweep`: HTML reports and papermill sweeps
    import_commands.register(sub)  # `import jira` and `import sheet`: scenarios from trackers
    log_commands.register(sub)  # `log`: the forecasts logged by reports, oldest first
    compare_commands.register(sub)  # `compare`: named scenarios side by side, no sweep file
    levers_commands.register(sub)  # `levers`: the cheapest sets of levers that make a date
    sensitivity_commands.register(sub)  # `sensitivity`: what moves each date, with direction
    return parser


def _apply_limits(pairs: Sequence[str]) -> None:
    """Put ``--limit`` pairs after any from the environment, where this process and the
    kernels and workers it starts all read them."""
    if not pairs:
        return
    limits.parse(pairs)  # a bad pair is one line before any work
    old = os.environ.get(limits.ENV_VAR, "")
    os.environ[limits.ENV_VAR] = ",".join(p for p in (old, *pairs) if p)


def _command(sub: Any, name: str, run: Command, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(run=run)
    return parser


def _print_problems(problems: Sequence[str]) -> None:
    print_lines(list(problems))


# --- validate -----------------------------------------------------------------------------------

def _add_validate(sub: Any) -> None:
    p = _command(sub, "validate", _cmd_validate,
                 "Check scenario files (or every *.yaml in a folder) and say what to fix.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="FIELD.PATH=VALUE",
                   help="override a field, e.g. teams.platform.members=8 (repeatable)")


def _cmd_validate(args: argparse.Namespace) -> int:
    code = 0
    for path in _scenario_files(args.paths):
        try:
            scenario = load_scenario(path, args.overrides)
        except ScenarioError as exc:
            _print_problems(exc.problems)
            code = 2
            continue
        print(for_terminal(f"{path}: ok ({len(scenario.teams)} teams, {len(scenario.epics)} "
                           f"epics, {len(scenario.milestones)} milestones)"))
    return code


def _scenario_files(paths: Sequence[str]) -> list[str]:
    """Files as given; a folder stands for the *.yaml (and *.yml) files directly inside it."""
    files: list[str] = []
    for given in paths:
        folder = Path(given)
        if not folder.is_dir():
            files.append(given)
            continue
        found = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
        if not found:
            raise ScenarioError([f"{given}: no *.yaml files in this folder"])
        files.extend(str(f) for f in found)
    return files


# --- schema -------------------------------------------------------------------------------------

def _add_schema(sub: Any) -> None:
    p = _command(sub, "schema", _cmd_schema,
                 "Print the JSON Schema of scenario files (for editors and other tools).")
    p.add_argument("--out", metavar="FILE", help="write it to FILE instead of printing it")


def _cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        atomic.atomic_write_text(args.out, text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


# --- run ------------------------------------------------------------------------------------------

def _add_run(sub: Any) -> None:
    from workbench.app import cluster  # light: Dask itself is imported only when a cluster is used

    p = _command(sub, "run", _cmd_run,
                 "Simulate a scenario many times and print the forecast: P50/P85/P95 dates, "
                 "chance of each target, cost, utilisation, flow.")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file (YAML)")
    add_simulation_options(p)
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="table for people, json for programs (stable shape), csv for sheets")
    cluster.add_option(p)  # the same numbers as on local processes, whatever the cluster
    log_commands.add_run_log_option(p)  # --log [PATH]: append to the forecast log


def _cmd_run(args: argparse.Namespace) -> int:
    from workbench.app import cluster  # only `run` needs them
    from workbench.present import terminal
    from workbench.sim.montecarlo import AUTO, default_workers, simulate

    scenario = load_scenario(args.scenario, args.overrides)
    try:
        with cluster.session(args.scheduler) as on:  # workers get the scenario, not its file
            if on is None:
                long_run = args.reps == AUTO or args.reps >= 400
                workers = args.workers or (default_workers() if long_run else 1)
                forecast = simulate(scenario, reps=args.reps, seed=args.seed, workers=workers)
            else:
                forecast = simulate(scenario, reps=args.reps, seed=args.seed,
                                    workers=on.workers, executor=on.executor,
                                    chunk_size=None if args.reps == AUTO
                                    else on.chunk_size(args.reps))
    except cluster.ClusterError as exc:
        print_lines([f"workbench run: {exc}"])
        return 2
    print(_shown(forecast, args.format, terminal), end="")
    return log_commands.log_run(args, forecast)


def _shown(forecast: Any, kind: str, terminal: Any) -> str:
    """The forecast as ``kind``, with names from the file escaped where a terminal would act
    on them (JSON: as JSON escapes; CSV: only when it goes to a terminal, not a file)."""
    if kind == "json":
        return for_json(json.dumps(forecast.to_dict(), indent=2, ensure_ascii=False)) + "\n"
    if kind == "csv":
        text: str = terminal.csv(forecast)
        return for_terminal_block(text) if sys.stdout.isatty() else text
    return for_terminal_block(terminal.table(forecast)) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
