"""The forecast log on the command line: `workbench report` and `workbench run --log` append
to it, `workbench log SCENARIO` lists it (table, CSV, JSON).

A log that cannot be written (damaged, not a forecast log, locked for too long) is one line
naming the file and exit 2; the report's HTML is written before the log is touched, so it is
never lost.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from workbench.app.options import print_lines
from workbench.files import forecast_log
from workbench.files.untrusted import for_json, for_terminal_block, spreadsheet_writer

EXIT_OK, EXIT_USAGE = 0, 2
LOG_HELP = ("the forecast log (SQLite) to append to (default: <scenario>.forecasts.sqlite "
            "beside the scenario)")


def register(subparsers: Any) -> None:
    """Add `log` to the `workbench` command line."""
    text = ("List the forecasts logged for a scenario (one row per report and milestone): "
            "report date, P50/P85/P95, chance of the target, cost, seed, replications.")
    p = subparsers.add_parser("log", help=text.split(" (")[0] + ".", description=text)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file (its log is beside it)")
    p.add_argument("--log", default=None, metavar="PATH",
                   help="the log file (default: <scenario>.forecasts.sqlite beside it)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="table for people, csv for sheets, json for programs (whole entries)")
    p.set_defaults(run=cmd_log)


def add_report_log_options(parser: argparse.ArgumentParser) -> None:
    """`--log PATH` and `--no-log` for `workbench report`."""
    parser.add_argument("--log", default=None, metavar="PATH", help=LOG_HELP)
    parser.add_argument("--no-log", action="store_true",
                        help="neither read nor append to a forecast log")


def add_run_log_option(parser: argparse.ArgumentParser) -> None:
    """`--log [PATH]` for `workbench run` (off unless given)."""
    parser.add_argument("--log", nargs="?", const="", default=None, metavar="PATH",
                        help="append this forecast to the forecast log; " + LOG_HELP)


def report_log_path(args: argparse.Namespace) -> Path | None:
    """The log a report reads and appends to (None: --no-log, or a `--set` what-if: it is not
    the plan's weekly status, so it stays out of its trend; --log with --set is refused)."""
    if getattr(args, "no_log", False) or getattr(args, "overrides", None):
        return None
    return Path(args.log) if args.log else forecast_log.default_path(args.scenario)


def log_report(args: argparse.Namespace, log: Path | None, outputs: Path) -> int:
    """Append a finished report's forecast (from its summary) to the log."""
    if log is None:
        return EXIT_OK
    from workbench.reports.scenario_report import read_summary

    return _append(args, log, read_summary(outputs))


def log_run(args: argparse.Namespace, forecast: Any) -> int:
    """`workbench run --log [PATH]`: append the forecast just printed."""
    if args.log is None:
        return EXIT_OK
    log = Path(args.log) if args.log else forecast_log.default_path(args.scenario)
    return _append(args, log, forecast.to_dict())


def _append(args: argparse.Namespace, log: Path, summary: dict[str, Any]) -> int:
    import datetime as dt

    from workbench import __version__
    from workbench.present.status import report_date
    from workbench.scenario.loader import load_scenario
    from workbench.scenario.progress import remaining

    written = load_scenario(args.scenario, args.overrides, progress=False)
    # what the summary lacks (a report notebook of one's own) comes from the command line
    shown = {"name": written.name, "sha256": remaining(written).sha256,
             **summary.get("scenario", {})}
    forecast = {"seed": args.seed, "replications": args.reps, "version": __version__,
                "milestones": [], "cost": {}, **summary, "scenario": shown}
    entry = forecast_log.make_entry(forecast, written.model_dump(mode="json", by_alias=True),
                                    report_date(written).isoformat(),
                                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    try:
        number = forecast_log.append(log, entry)
    except forecast_log.LogError as exc:
        print_lines([f"workbench: {exc}"])
        return EXIT_USAGE
    # JSON and CSV on stdout are for programs: the notice goes beside them, not into them
    machine = getattr(args, "format", "table") != "table"
    print_lines([f"Logged: {log} (entry {number})"], sys.stderr if machine else sys.stdout)
    return EXIT_OK


def cmd_log(args: argparse.Namespace) -> int:
    """`workbench log SCENARIO`: the scenario's logged forecasts, oldest first (a log shared
    with other scenarios shows only this one's, and says how many others it holds)."""
    from workbench.scenario.loader import load_scenario

    name = load_scenario(args.scenario, progress=False).name  # a bad scenario: one line, exit 2
    log = Path(args.log) if args.log else forecast_log.default_path(args.scenario)
    try:
        logged = forecast_log.entries(log)
    except forecast_log.LogError as exc:
        print_lines([f"workbench log: {exc}"])
        return EXIT_USAGE
    found = [e for e in logged if e.get("scenario", {}).get("name") == name]
    if len(found) < len(logged):
        print_lines([f"workbench log: {log} also holds {len(logged) - len(found)} entries of "
                     f"other scenarios (not shown; only {name!r} is)"])
    if args.format == "json":
        sys.stdout.write(for_json(json.dumps(found, indent=2, ensure_ascii=False)) + "\n")
        return EXIT_OK
    rows = [_row(e, m, args.format == "csv") for e in found for m in e["milestones"]]
    if args.format == "csv":
        sys.stdout.write(_csv(rows))
    elif not rows:
        print_lines([f"{log}: no forecasts logged yet"], sys.stdout)
    else:
        sys.stdout.write(for_terminal_block(_table(rows)) + "\n")
    return EXIT_OK


COLUMNS = ["entry", "report_date", "milestone", "target", "p50", "p85", "p95", "chance",
           "cost_p85", "seed", "replications", "sha256", "version"]


def _row(entry: dict[str, Any], m: dict[str, Any], raw: bool) -> list[Any]:
    """One entry's milestone: for people (formatted) or for sheets (``raw``: plain numbers)."""
    from workbench.present.formats import iso_date, money, percent

    chance, cost = m["chance_of_target"], entry["cost"].get("p85")
    return [entry["id"], entry["as_of"], m["name"], iso_date(m["target"], ""),
            *(iso_date(m[q], "") for q in ("p50", "p85", "p95")),
            chance if raw else percent(chance), cost if raw else money(cost), entry["seed"],
            entry["replications"], entry["scenario"]["sha256"][:12 if not raw else None],
            entry["version"]]


def _table(rows: list[list[Any]]) -> str:
    cells = [COLUMNS, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in cells)


def _csv(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = spreadsheet_writer(buf)
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(r)
    return buf.getvalue()
