"""`workbench report` and `workbench sweep`: the leadership report of one scenario, and many
what-ifs run as reports and compared in one table.

Mistakes the user can fix (a bad sweep file, an unknown parameter, a scenario field that does
not exist) print one line each, naming the file, the field and what is allowed, and exit 2 --
never a traceback. A sweep with failed points exits 1 and names them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbench.app.options import (
    DEFAULT_REPS,
    DEFAULT_SEED,
    DEFAULT_SWEEP_REPORTS,
    add_simulation_options,
    print_lines,
    whole_number,
    workers_number,
)
from workbench.files import limits
from workbench.files.jsonable import plain

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# A point whose sweep file sets no replications or seed gets those of `workbench run`.
POINT_DEFAULTS = {"replications": DEFAULT_REPS, "seed": DEFAULT_SEED}


def register(subparsers: Any) -> None:
    """Add `report` and `sweep` to the `workbench` command line (each sets ``run``)."""
    text = ("Make the leadership report of a scenario: execute the report notebook and export "
            "HTML with code hidden that works offline. Writes OUT/<scenario>.ipynb, "
            "OUT/<scenario>.html and OUT/<scenario>/ (summary.json, Parquet and CSV tables).")
    rep = subparsers.add_parser("report", help=text.split(":")[0] + ".", description=text)
    rep.add_argument("scenario", metavar="SCENARIO", nargs="?",
                     help="scenario file (YAML); or --history HISTORY.csv, see below")
    rep.add_argument("--out", default="out", metavar="DIR", help="output folder (default out)")
    add_simulation_options(rep)
    rep.add_argument("--pdf", action="store_true",
                     help="also write OUT/<scenario>.pdf, printed by headless Chromium")
    rep.add_argument("--paper", choices=["a4", "letter"], default=None,
                     help="paper of the PDF, portrait (default a4; implies --pdf)")
    from workbench.app import history_commands  # light: pandas is imported only when a report runs

    history_commands.add_report_options(rep)  # --history HISTORY.csv: a report from history
    from workbench.app import log_commands

    log_commands.add_report_log_options(rep)  # --log PATH / --no-log: the forecast log
    rep.set_defaults(run=cmd_report)

    text = ("Run the report for every point of a sweep file (a base scenario plus a grid of "
            "values or a list of what-ifs), in parallel processes; collect OUT/results.parquet "
            "and .csv and render OUT/summary.html. Finished points are skipped when run again.")
    sw = subparsers.add_parser("sweep", help=text.split(";")[0] + ".", description=text)
    sw.add_argument("sweep", metavar="SWEEP", help="sweep file (YAML)")
    sw.add_argument("--out", default=None, metavar="DIR",
                    help="output folder (default out/<sweep file name>)")
    sw.add_argument("--workers", type=workers_number, default=None, metavar="W",
                    help=f"points run at once, 1 to {limits.MAX_WORKERS} (default: one per "
                         "core)")
    sw.add_argument("--force", action="store_true", help="re-run points already finished")
    sw.add_argument("--max-points", type=whole_number(1, limits.MAX_POINTS_CEILING),
                    default=limits.MAX_POINTS, metavar="N",
                    help=f"refuse a sweep of more than N points (default {limits.MAX_POINTS}, "
                         f"at most {limits.MAX_POINTS_CEILING})")
    sw.add_argument("--reports", type=_reports_choice, default=DEFAULT_SWEEP_REPORTS,
                    metavar="none|best:N|all",
                    help="per-point report notebooks and HTML, rendered after the results "
                         f"table: none, the N best by P85, or all (default "
                         f"{DEFAULT_SWEEP_REPORTS}; the summary is always made)")
    from workbench.app import cluster  # light: Dask is imported only when a cluster is used

    cluster.add_option(sw)  # points become tasks on the cluster; results are written as they come
    sw.set_defaults(run=cmd_sweep)


def cmd_report(args: argparse.Namespace) -> int:
    """`workbench report SCENARIO`: print where the HTML is."""
    from workbench.app import history_commands
    from workbench.files.lock import FolderInUse
    from workbench.reports import runner
    from workbench.scenario.loader import ScenarioError, load_scenario

    problem = _option_problem(args)  # before any work: nothing is simulated to be lost
    if problem:
        return _usage([problem])
    if history_commands.history_report_wanted(args):  # `--history HISTORY.csv`, or a mistake
        return _history_report(args)

    from workbench.app import log_commands

    try:
        load_scenario(args.scenario, args.overrides)  # fail fast, in the user's words
    except ScenarioError as exc:
        return _usage(exc.problems)
    pdf_problem = _pdf_problem(args)
    if pdf_problem:
        return _usage([pdf_problem])
    overrides = _override_mapping(args.overrides)
    log = log_commands.report_log_path(args)
    try:
        files = runner.run_report(args.scenario, args.out, args.reps, args.seed, overrides,
                                  workers=args.workers or 0, notice=_notice, forecast_log=log)
    except FolderInUse as exc:
        return _usage([f"workbench report: {exc}"])
    except runner.ReportFailed as exc:  # what failed, and the notebook to open (if any)
        print_lines([f"workbench report: failed: {exc}"])
        return EXIT_FAILED
    except OSError as exc:  # the folder itself cannot be written (a full disk, no permission)
        return _cannot_write("report", args.out, exc)
    print_lines([f"Report: {files.html}", f"Notebook: {files.notebook}  Tables: "
                 f"{files.outputs}"], sys.stdout)
    code = _write_pdf(args, files.html) if args.pdf else EXIT_OK
    return log_commands.log_report(args, log, files.outputs) or code


def _option_problem(args: argparse.Namespace) -> str | None:
    """The one line for options that cannot work together or cannot be written; ``--paper``
    on its own asks for the PDF (that is the only thing it is for)."""
    from workbench.app.options import folder_problem

    if args.paper is not None:
        args.pdf = True
    args.paper = args.paper or "a4"
    if args.log is not None and args.no_log:
        return ("workbench report: --log and --no-log together (allowed: one of them: --log "
                "PATH to log there, --no-log to log nowhere)")
    if args.log is not None and getattr(args, "overrides", None):
        # a --set what-if logged beside the plan would read as the plan moving next week
        return ("workbench report: --log with --set: a what-if is not logged (allowed: drop "
                "--log, or write the what-if as a file that extends the plan: it has its own log)")
    return folder_problem("report", "--out", args.out)


def _history_report(args: argparse.Namespace) -> int:
    """`report --history`, and its PDF when asked (checked for Chromium before any work)."""
    from workbench.app import history_commands

    problem = _pdf_problem(args) if args.history else ""
    if problem:
        return _usage([problem])
    code = history_commands.run_history_report(args)
    html = Path(args.out) / f"{Path(args.history or '').stem}.html"
    return _write_pdf(args, html) if code == EXIT_OK and args.pdf and html.is_file() else code


def _pdf_problem(args: argparse.Namespace) -> str:
    """The line to print when --pdf cannot be honoured (no Chromium), before any work."""
    from workbench.reports import pdf

    try:
        if args.pdf:
            pdf.require_chromium()
    except pdf.PdfUnavailable as exc:
        return f"workbench report: {exc}"
    return ""


def _write_pdf(args: argparse.Namespace, html: Path) -> int:
    from workbench.reports import pdf

    try:
        written = pdf.write_pdf(html, html.with_suffix(".pdf"), args.paper)
    except OSError as exc:
        print_lines([f"workbench report: the PDF could not be printed: {exc}"])
        return EXIT_FAILED
    print_lines([f"PDF: {written} ({args.paper}, portrait)"], sys.stdout)
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """`workbench sweep SWEEP`: progress on stderr, where the results are on stdout."""
    from workbench.app import cluster
    from workbench.files import lock
    from workbench.files.lock import FolderInUse
    from workbench.reports import sweep

    try:
        plan = sweep.load_sweep(args.sweep, max_points=args.max_points)
    except sweep.SweepError as exc:
        return _usage(exc.problems)
    out = Path(args.out or Path("out") / Path(args.sweep).stem)
    # On a cluster, workers' notebooks read the scenarios and write into OUT at the same paths.
    inputs = [str(plan.notebook), *(p.scenario for p in plan.points)]
    try:
        cluster.check_option(args.scheduler)
        with lock.exclusive(out, "workbench sweep", _notice):  # before anything is written
            print_lines([f"sweep {plan.name}: {len(plan.points)} points -> {out}"])
            with cluster.session(args.scheduler, files=inputs, folders=[out]) as on:
                outcome = sweep.run_sweep(plan, out, workers=args.workers, force=args.force,
                                          executor=on.executor if on else None,
                                          progress=_print_progress, reports=args.reports,
                                          defaults=POINT_DEFAULTS)
    except cluster.ClusterError as exc:
        return _usage([f"workbench sweep: {exc}"])
    except FolderInUse as exc:
        return _usage([f"workbench sweep: {exc}"])
    except KeyboardInterrupt:
        stopped = ("points sent to the cluster may still finish" if
                   cluster.scheduler_address(args.scheduler) else "unfinished ones removed")
        print_lines([f"sweep interrupted: finished points are kept in {out}, {stopped}; run "
                     "the same command again to resume"])
        return 130
    except OSError as exc:  # the folder itself cannot be written (a full disk, no permission)
        return _cannot_write("sweep", out, exc)
    return _sweep_report(outcome)


def _cannot_write(command: str, out: Any, exc: OSError) -> int:
    reason = f"[Errno {exc.errno}] {exc.strerror}" if exc.strerror else str(exc)
    print_lines([f"workbench {command}: cannot write in {out} ({reason})"])
    return EXIT_FAILED


def _notice(line: str) -> None:
    print_lines([f"workbench: {line}"])


def _sweep_report(outcome: Any) -> int:
    lines = []
    if outcome.skipped:
        lines.append(f"{len(outcome.skipped)} points were already finished (skipped; --force "
                     "re-runs)")
    written = [n for n in ("results.parquet", "results.csv") if (outcome.out_dir / n).is_file()]
    if written:
        print_lines([f"Results: {outcome.out_dir / written[0]}"
                     + (" (and .csv)" if len(written) == 2 else "")], sys.stdout)
    lines += [f"could not write the results: {line}" for line in outcome.unwritten]
    if outcome.summary_html:
        print_lines([f"Summary: {outcome.summary_html}"], sys.stdout)
    else:
        lines.append(f"summary report failed: {outcome.summary_error}")
    for f in outcome.failures:
        notebook = outcome.out_dir / f.point_id / f.notebook
        where = f" (notebook: {notebook})" if f.notebook and notebook.is_file() else ""
        lines.append(f"FAILED {f.point}: {f.error}{where}")
    if outcome.failures:
        names = ", ".join(f.point for f in outcome.failures)
        lines.append(f"{len(outcome.failures)} of {len(outcome.points)} points failed: {names}")
    print_lines(lines)
    ok = not outcome.failures and not outcome.unwritten and outcome.summary_html
    return EXIT_OK if ok else EXIT_FAILED


def _print_progress(p: Any) -> None:
    mark = {"done": "ok", "failed": "FAILED", "skipped": "skipped"}[p.last.status]
    took = f" in {p.last.seconds:.1f} s" if p.last.status != "skipped" else ""
    print_lines([f"[{p.done}/{p.total}] {mark} {p.words}{took} (failures so far: {p.failed})"])


def _reports_choice(text: str) -> str:
    """An argparse type: which per-point reports a sweep renders (checked here, one line)."""
    from workbench.reports.sweep import parse_reports

    try:
        parse_reports(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _override_mapping(pairs: list[str]) -> dict[str, Any]:
    """`--set a.b=v` strings as a mapping for the notebook, values read as `load_scenario`
    reads them (the same reader), so the report sees exactly what was validated."""
    from workbench.scenario.loader import override_pairs

    return {key: plain(value) for key, value in override_pairs(pairs, "--set")}


def _usage(problems: list[str]) -> int:
    print_lines(problems)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    """Run `report`/`sweep` without the rest of the CLI (tests, `python -m`)."""
    from workbench.app.options import run_alone

    return run_alone(register, argv)


if __name__ == "__main__":
    sys.exit(main())
