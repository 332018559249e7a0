"""`workbench import jira` and `workbench import sheet`: a scenario from the tracker or from a
planning spreadsheet, with an import report printed and written beside it.

    workbench import jira EXPORT.csv --out plan/imported.yaml [--mapping MAPPING.yaml]
                          [--release "Checkout 1.0=2027-03-31"] [--as-of DATE] [--effort METHOD]
    workbench import sheet PLAN.csv|PLAN.xlsx --out plan/imported.yaml [--as-of DATE]

Input that needs fixing gives one line per problem, `FILE: column/field: what (allowed)`, exit 2,
and nothing is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any, NoReturn

from workbench.scenario.loader import ScenarioError

EFFORT_METHODS = ("auto", "points", "resample", "default")  # = settings.METHODS (a test checks)


def register(subparsers: Any) -> None:
    """Add `import jira` and `import sheet` to the `workbench` command line."""
    text = "Build a scenario from a Jira CSV export or a planning spreadsheet."
    parser = subparsers.add_parser("import", help=text, description=text)
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    _add_jira(kinds)
    _add_sheet(kinds)


def _add_jira(sub: Any) -> None:
    p = _command(sub, "jira", "A scenario from a Jira CSV export (\"Export CSV (all fields)\"), "
                              "with progress as of the export's date.", _run_jira)
    p.add_argument("export", metavar="EXPORT.csv", help="the Jira CSV export")
    p.add_argument("--mapping", metavar="MAPPING.yaml",
                   help="your columns, team field, release dates, sizing (docs/howto-import.md)")
    p.add_argument("--release", action="append", default=[], metavar="NAME=DATE",
                   help="a fix version's release date, e.g. 'Checkout 1.0=2027-03-31' "
                        "(repeatable; wins over the mapping)")
    p.add_argument("--effort", choices=EFFORT_METHODS,
                   help="person-days per item: points x a learned rate, resample each team's "
                        "finished items, or the default (default: the mapping's, else auto)")
    p.add_argument("--team-field", metavar="COLUMN",
                   help="where teams come from: a column, 'component' or 'project'")


def _add_sheet(sub: Any) -> None:
    p = _command(sub, "sheet", "A scenario from a planning sheet, one row per epic (epic, team, "
                               "items or effort low/likely/high, depends_on, milestone, target, "
                               "priority, done).", _run_sheet)
    p.add_argument("plan", metavar="PLAN.csv|PLAN.xlsx", help="the planning sheet")
    p.add_argument("--sheet", metavar="NAME", help="the workbook's sheet (default: the first)")


def _command(sub: Any, name: str, text: str, run: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=text, description=text)
    parser.add_argument("--out", required=True, metavar="SCENARIO.yaml",
                        help="the scenario to write (its report goes beside it: "
                             "SCENARIO.import.txt)")
    parser.add_argument("--as-of", type=_date, metavar="DATE",
                        help="the date the data describes (Jira default: the export's newest "
                             "date; sheet default: today)")
    parser.add_argument("--name", help="the scenario's name")
    parser.add_argument("--team-size", type=int, metavar="N",
                        help="members of each imported team (default 5), to override in the "
                             "scenario that extends the imported one")
    parser.set_defaults(run=run)

    def one_line(message: str) -> NoReturn:  # what to fix, without a usage block
        parser.exit(2, f"workbench import {name}: {message}\n")

    parser.error = one_line  # type: ignore[method-assign]
    return parser


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (allowed: YYYY-MM-DD)") from None


def _run_jira(args: argparse.Namespace) -> int:
    from workbench.scenario.imports.jira import import_jira
    from workbench.scenario.imports.settings import load_mapping

    mapping = load_mapping(args.mapping)
    mapping = _with_options(mapping, args)
    report = import_jira(args.export, args.out, mapping, args.mapping or "--mapping")
    print(report.text(), end="")
    return 0


def _with_options(mapping: Any, args: argparse.Namespace) -> Any:
    """The mapping with the command line's choices on top (the command line wins)."""
    if args.team_size is not None and args.team_size < 1:
        raise ScenarioError([f"--team-size: {args.team_size} is too small (allowed: 1 or more)"])
    releases = {**mapping.releases, **dict(_release(r) for r in args.release)}
    team = mapping.team.model_copy(update={
        k: v for k, v in (("field", args.team_field), ("size", args.team_size)) if v is not None})
    effort = mapping.effort.model_copy(update={"method": args.effort} if args.effort else {})
    update = {"releases": releases, "team": team, "effort": effort}
    update |= {k: v for k, v in (("as_of", args.as_of), ("name", args.name)) if v is not None}
    return mapping.model_copy(update=update)


def _release(text: str) -> tuple[str, dt.date]:
    name, sep, when = text.rpartition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), dt.date.fromisoformat(when.strip())
    except ValueError:
        raise ScenarioError([f"--release: {text!r} is not NAME=DATE (allowed: e.g. --release "
                             "'Checkout 1.0=2027-03-31')"]) from None


def _run_sheet(args: argparse.Namespace) -> int:
    from workbench.scenario.imports.sheet import import_sheet

    size = 5 if args.team_size is None else args.team_size
    if size < 1:
        raise ScenarioError([f"--team-size: {size} is too small (allowed: 1 or more)"])
    report = import_sheet(args.plan, args.out, as_of=args.as_of or dt.date.today(),
                          name=args.name, team_size=size, sheet=args.sheet)
    print(report.text(), end="")
    return 0
