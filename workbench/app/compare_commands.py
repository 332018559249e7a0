"""`workbench compare A.yaml B.yaml ...`: named scenarios side by side, in one table (terminal,
CSV or JSON) and one short HTML report, without a sweep file. Each scenario is simulated
exactly as `workbench run` does (same seed, same replications), so every number equals what
`run` prints for it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workbench.app.options import add_simulation_options, print_lines
from workbench.files.untrusted import for_json, for_terminal_block

EXIT_OK, EXIT_USAGE = 0, 2


def register(subparsers: Any) -> None:
    """Add `compare` to the `workbench` command line."""
    text = ("Simulate several scenarios (a plan and its what-ifs) with the same seed and "
            "replications and show them side by side; also writes a short HTML report.")
    p = subparsers.add_parser("compare", help=text.split(";")[0] + ".", description=text)
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files (YAML)")
    add_simulation_options(p, default_reps=1000)  # the defaults of `workbench run`
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="table for people, json for programs, csv for sheets")
    p.add_argument("--html", default="out/compare.html", metavar="FILE",
                   help="where to write the HTML report (default out/compare.html)")
    p.set_defaults(run=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    """Validate every file first (one line per problem, exit 2), then simulate each."""
    from workbench.app.options import file_problem
    from workbench.scenario.loader import ScenarioError, load_scenario

    problems = _given_problems(args.scenarios)
    html = file_problem("compare", "--html", args.html)
    if problems or html:
        print_lines([*problems, *([html] if html else [])])
        return EXIT_USAGE
    scenarios = []
    for path in args.scenarios:
        try:
            scenarios.append(load_scenario(path, args.overrides))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        print_lines(problems)
        return EXIT_USAGE
    named = [(label, _forecast(s, args)) for label, s in zip(labels(args.scenarios), scenarios,
                                                             strict=True)]
    print(_shown(named, args.format), end="")
    return _write_report(named, args)


def _given_problems(paths: list[str]) -> list[str]:
    """Two or more different files: one compared with itself (or nothing) says nothing."""
    import os

    if len(paths) < 2:
        return ["workbench compare: one scenario given (allowed: two or more, e.g. a plan and "
                "its what-if)"]
    seen: dict[str, str] = {}
    problems = []
    for path in paths:
        key = os.path.normcase(os.path.realpath(path))
        if key in seen:
            problems.append(f"workbench compare: {path} given twice (allowed: each scenario "
                            "once)")
        seen.setdefault(key, path)
    return problems


def labels(paths: list[str]) -> list[str]:
    """Column labels: each file's name without extension (the folder too when two clash)."""
    stems = [Path(p).stem for p in paths]
    return [s if stems.count(s) == 1 else str(Path(p).with_suffix(""))
            for s, p in zip(stems, paths, strict=True)]


def _forecast(scenario: Any, args: argparse.Namespace) -> Any:
    from workbench.sim.montecarlo import default_workers, simulate

    workers = args.workers or (default_workers() if args.reps >= 400 else 1)  # as `run` does
    return simulate(scenario, reps=args.reps, seed=args.seed, workers=workers, progress=False)


def _shown(named: list[tuple[str, Any]], kind: str) -> str:
    from workbench.present import compare

    if kind == "json":
        data = {"scenarios": [{"label": label, "forecast": f.to_dict()} for label, f in named]}
        return for_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
    if kind == "csv":
        text: str = compare.compare_long(named).to_csv(index=False)
        return for_terminal_block(text) if sys.stdout.isatty() else text
    names = [f"{label}: {f.scenario.name} ({f.reps} runs, seed {f.seed})" for label, f in named]
    table = compare.compare_table(named).drop(index="scenario")
    return for_terminal_block("\n".join([*names, "", table.to_string()])) + "\n"


def _write_report(named: list[tuple[str, Any]], args: argparse.Namespace) -> int:
    from workbench.reports.compare_report import write_compare_report
    from workbench.reports.scenario_report import whatif_of

    whatifs = [whatif_of(path) for path in args.scenarios]
    try:
        written = write_compare_report(named, whatifs, args.html)
    except OSError as exc:
        print_lines([f"workbench compare: cannot write {args.html} ({exc.strerror or exc})"])
        return 1
    print_lines([f"Report: {written}"])
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run `compare` without the rest of the CLI (tests, `python -m`)."""
    from workbench.app.options import run_alone

    return run_alone(register, argv)


if __name__ == "__main__":
    sys.exit(main())
