"""`workbench sensitivity`: what moves each milestone's date most. Each uncertain input
(effort ranges, split rates, rework, interrupts, each risk) is moved to its low and its high end
with the same seed, and the shift of the P85 date and of the chance of target is printed, widest
swing first, with which end is earlier (docs/howto-levers.md, "Sensitivity")."""

from __future__ import annotations

import argparse
import io
import json
from typing import Any

from workbench.app.options import print_lines, reps_number, seed_number, workers_number
from workbench.files.jsonable import plain
from workbench.files.untrusted import for_json, for_terminal_block, spreadsheet_writer
from workbench.scenario.loader import load_scenario

DEFAULT_REPS = 200  # paired runs per end: differences of common random numbers settle fast
TOP = 8  # inputs per milestone in the table (the JSON and CSV hold them all)


def register(sub: Any) -> None:
    """Add `sensitivity` to the command line."""
    p = sub.add_parser("sensitivity", help="What moves each milestone's date most: every "
                       "uncertain input at its low and high end, with direction.",
                       description="Each uncertain input moved low and high (same seed): the "
                                   "shift of each milestone's P85 and chance of target.")
    p.set_defaults(run=run_sensitivity)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file (YAML)")
    p.add_argument("--milestone", default=None, metavar="NAME",
                   help="only this milestone (default: every milestone)")
    p.add_argument("--reps", type=reps_number, default=DEFAULT_REPS, metavar="N",
                   help=f"replications per end, the same seeds for every input (default "
                        f"{DEFAULT_REPS})")
    p.add_argument("--seed", type=seed_number, default=0, metavar="S",
                   help="random seed (default 0)")
    p.add_argument("--workers", type=workers_number, default=1, metavar="W",
                   help="worker processes per simulation (default 1; same numbers either way)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="table for people, csv for sheets, json for programs")


def run_sensitivity(args: argparse.Namespace) -> int:
    """Move every input, then print the ranking."""
    from workbench.sim.sensitivity import sensitivity

    scenario = load_scenario(args.scenario)
    if args.milestone is not None and args.milestone not in scenario.milestones:
        known = ", ".join(scenario.milestones) or "none"
        print_lines([f"{args.scenario}: --milestone: unknown milestone {args.milestone!r} "
                     f"(known: {known})"])
        return 2
    table = sensitivity(scenario, args.reps, args.seed, workers=args.workers)
    if args.milestone is not None:
        table = table[table["milestone"] == args.milestone].reset_index(drop=True)
    print(_render(table, args.format, args.reps, args.seed), end="")
    return 0


def _render(table: Any, fmt: str, reps: int, seed: int) -> str:
    if fmt == "json":
        text = json.dumps({"replications": reps, "seed": seed,
                           "inputs": plain(table.to_dict(orient="records"))},
                          indent=2, ensure_ascii=False)
        return for_json(text) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = spreadsheet_writer(buffer)
        writer.writerow(list(table.columns))
        writer.writerows(table.itertuples(index=False))
        return buffer.getvalue()
    return for_terminal_block(_table_text(table, reps, seed))


def _table_text(table: Any, reps: int, seed: int) -> str:
    from workbench.present.sensitivity_charts import swing_text

    lines = [f"What moves each date most ({reps} runs per end, seed {seed}; each input at its "
             "low and high end, everything else as planned):"]
    if table.empty:
        return lines[0] + "\n  nothing uncertain to move (fixed efforts, no risks).\n"
    for name, rows in table.groupby("milestone", sort=False):
        lines += ["", f"{name}:"]
        lines += [f"  {swing_text(row)}" for _, row in rows.head(TOP).iterrows()]
    return "\n".join(lines) + "\n"
