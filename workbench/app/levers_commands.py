"""`workbench levers`: what must change to make a date. Searches the scenario's levers for the
cheapest sets that reach the confidence, prints them best first and writes each as a what-if
file that `extends` the scenario (``workbench run`` on it reproduces the chance)."""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
from pathlib import Path
from typing import Any

from workbench.app.options import (
    bounded_float,
    print_lines,
    reps_number,
    seed_number,
    workers_number,
)
from workbench.files import atomic
from workbench.files.jsonable import plain
from workbench.files.untrusted import for_json, for_terminal_block
from workbench.scenario.loader import dump_overrides_yaml, load_scenario
from workbench.scenario.models import Scenario

DEFAULT_REPS = 500
EXPLORER_CANDIDATES = 40  # the explorer's button: a quick search that answers in seconds


def register(sub: Any) -> None:
    """Add `levers` to the command line."""
    p = sub.add_parser("levers", help="Find the cheapest sets of levers (people, hires, scope, "
                       "WIP, focus, mitigations) that make a milestone's date.",
                       description="Find the cheapest sets of levers that make a date.")
    p.set_defaults(run=run_levers)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file (YAML)")
    p.add_argument("--milestone", required=True, metavar="NAME", help="the milestone to make")
    p.add_argument("--confidence", type=_confidence, default=0.85, metavar="C",
                   help="chance to reach, between 0 and 1 exclusive (default 0.85)")
    p.add_argument("--by", type=_date, default=None, metavar="DATE",
                   help="the date to make, YYYY-MM-DD (default: the milestone's target)")
    p.add_argument("--budget", type=bounded_float(0, None, "budget"), default=None,
                   metavar="N", help="most the levers may cost, in the scenario's currency")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder for the what-if files (default: beside the scenario)")
    p.add_argument("--reps", type=reps_number, default=DEFAULT_REPS, metavar="N",
                   help=f"replications to confirm each reported set (default {DEFAULT_REPS}; "
                        "candidates are screened with a fifth, 50 to 200)")
    p.add_argument("--screen-reps", type=reps_number, default=None, metavar="N",
                   help="replications per screened candidate (default: a fifth of --reps)")
    p.add_argument("--seed", type=seed_number, default=0, metavar="S",
                   help="random seed, the same for every candidate (default 0)")
    p.add_argument("--workers", type=workers_number, default=1, metavar="W",
                   help="worker processes per simulation (default 1; same numbers either way)")
    p.add_argument("--format", choices=["table", "json"], default="table",
                   help="table for people, json for programs")


def _confidence(text: str) -> float:
    allowed = "allowed: more than 0 and less than 1, e.g. 0.85"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:30]!r} is not a number ({allowed})") from None
    if not 0 < value < 1:  # nan fails this too
        raise argparse.ArgumentTypeError(f"{text[:30]!r} is out of range ({allowed})")
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:30]!r} is not a date (allowed: YYYY-MM-DD)"
                                         ) from None


def run_levers(args: argparse.Namespace) -> int:
    """Run the search and print (and write) its answer."""
    from workbench.present import levers_text
    from workbench.sim.lever_search import search_levers

    scenario = load_scenario(args.scenario)
    problem = input_problem(scenario, args) or out_problem(args)
    if problem:
        print_lines([problem])
        return 2
    answer = search_levers(args.scenario, scenario, args.milestone, confidence=args.confidence,
                           by=args.by, budget=args.budget, reps=args.reps, seed=args.seed,
                           screen_reps=args.screen_reps, workers=args.workers)
    files = write_whatifs(args.scenario, scenario, answer, args.out)
    if args.format == "json":
        text = json.dumps(plain(levers_text.answer_dict(answer, files)), indent=2,
                          ensure_ascii=False)
        print(for_json(text))
    else:
        print(for_terminal_block(levers_text.answer_text(answer, files)), end="")
    return 0


def input_problem(scenario: Scenario, args: argparse.Namespace) -> str | None:
    """The one line that says what is wrong with the command's milestone or date, if anything."""
    where = f"{args.scenario}: --milestone"
    if args.milestone not in scenario.milestones:
        known = ", ".join(scenario.milestones) or "none"
        return f"{where}: unknown milestone {args.milestone!r} (known: {known})"
    by = args.by or scenario.milestones[args.milestone].target
    if by is None:
        return f"{where}: {args.milestone!r} has no target (allowed: give one with --by DATE)"
    last = scenario.date_of(scenario.horizon_days - 1)
    given = "--by" if args.by else f"milestones.{args.milestone}.target"
    if not scenario.start <= by <= last:
        return (f"{args.scenario}: {given}: {by} is outside the scenario's {scenario.start} to "
                f"{last} (allowed: a date within the horizon)")
    return None


def out_problem(args: argparse.Namespace) -> str | None:
    """The line to print when the what-if files could not be written to ``--out``, or could not
    be run from there (a what-if outside the project may not extend a scenario inside it)."""
    from workbench.app.options import folder_problem
    from workbench.files import project

    if not args.out:
        return None
    problem = folder_problem("levers", "--out", args.out)
    if problem:
        return problem
    home = project.outside(args.scenario, project.allowed_roots(args.out))
    if home is None:
        return None
    root = project.project_root(Path(args.scenario).parent)
    return (f"workbench levers: --out: {args.out} is outside the project folder of "
            f"{args.scenario}, so its what-if files could not extend it (allowed: a folder "
            f"inside {root}, or --allow-path {root}, which `run` on them needs too)")


def write_whatifs(path: str, scenario: Scenario, answer: Any, out: str | None) -> list[str]:
    """Each reported set as a what-if file that extends the scenario with only its changes."""
    folder = Path(out) if out else Path(path).parent
    stem = Path(path).stem
    written = []
    for i, o in enumerate(answer.sets, 1):
        target = folder / f"{stem}_levers_{answer.catalogue.milestone}_{i}.yaml"
        changes = {"name": f"{scenario.name}, levers for {answer.catalogue.milestone} "
                           f"(set {i})", **o.changes}
        text = dump_overrides_yaml(path, changes, out_dir=folder,
                                   comment=f"Levers set {i} for {answer.catalogue.milestone} "
                                           f"(workbench levers, seed {answer.seed}).")
        atomic.atomic_write_text(target, text)
        written.append(str(target))
    _remove_stale(folder, stem, answer.catalogue.milestone, len(written))
    return written


def _remove_stale(folder: Path, stem: str, milestone: str, kept: int) -> None:
    """Remove the sets an earlier run of the same milestone wrote beyond this run's ``kept``
    (only files named and headed as this command writes them), so no stale set is left."""
    prefix = f"{stem}_levers_{milestone}_"
    for path in folder.glob(f"{glob.escape(prefix)}*.yaml"):
        number = path.name[len(prefix):-len(".yaml")]
        if not (number.isdigit() and int(number) > kept and str(int(number)) == number):
            continue
        with path.open(encoding="utf-8", errors="replace") as f:
            ours = f.readline().startswith(f"# Levers set {number} for {milestone} (workbench ")
        if ours:
            path.unlink()





def explorer_lines(path: str | Path, overrides: dict[str, Any], scenario: Scenario,
                   chances: dict[str, float | None], seed: int, reps: int,
                   confidence: float = 0.85) -> list[str]:
    """What the explorer's "What would make the date?" button shows for the current settings:
    the best three sets for the first milestone below ``confidence`` (by its chance on screen),
    with few replications so it answers in seconds."""
    from workbench.present.levers_text import report_lines
    from workbench.sim.lever_search import search_levers

    below = [name for name, chance in chances.items()
             if chance is not None and chance < confidence]
    if not below:
        return [f"Every milestone with a target is at {confidence:.0%} or more: nothing to "
                "change."]
    answer = search_levers(path, scenario, below[0], confidence=confidence, reps=reps,
                           seed=seed, screen_reps=min(50, reps), overrides=overrides,
                           limit=EXPLORER_CANDIDATES)
    return report_lines(answer, top=3)
