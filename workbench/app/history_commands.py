"""`workbench forecast` and `workbench backtest`: forecasts straight from a history export.

    workbench forecast HISTORY.csv --items 40 [--period day|workday|week] [--format json]
    workbench forecast HISTORY.csv --by 2025-06-30 [--where Project=PAY] [--method raw]
    workbench backtest HISTORY.csv --items 30 [--origins 100] [--cases] [--format csv]

Input that needs fixing gives one line naming the file or option and what is allowed, exit 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from workbench import __version__
from workbench.app.options import (
    add_setting,
    bounded_float,
    finite_float,
    print_lines,
    whole_number,
)
from workbench.files import limits
from workbench.files.columns import ROLES, parse_where, split_list
from workbench.files.jsonable import dumps
from workbench.files.untrusted import for_json, for_terminal, for_terminal_block
from workbench.history.settings import (
    AS_OF,
    BY,
    COUNTRY,
    DATE_FORMAT,
    HALF_LIFE_DAYS,
    ITEMS,
    METHOD,
    ORIGINS,
    PERIOD,
    READING,
    SEED,
    SPRINT_WEEKS,
    TRIALS,
    WINDOW_DAYS,
    WORKDAYS,
    Setting,
)
from workbench.present.formats import iso_date, percent

if TYPE_CHECKING:  # the real imports happen in the commands: pandas costs ~1 s at start-up
    from workbench.files.exports import History, Reading
    from workbench.history.answer import Answer, Target
    from workbench.history.backtest import Backtest, Method
    from workbench.history.flow import Period, Stability
    from workbench.history.throughput import Throughput, ThroughputForecast
    from workbench.scenario.calendar import WorkCalendar

# A mirror of `workbench.scenario.calendar.WEEKDAY_NAMES` (a test keeps them equal): building
# the parser of every `workbench` command must not import the scenario layer.
WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The settings every history command takes alike (`workbench.history.settings`).
SAMPLE = (PERIOD, SPRINT_WEEKS, WINDOW_DAYS, HALF_LIFE_DAYS)
CALENDAR = (COUNTRY, WORKDAYS)  # `report --history`: no --workdays (its kernel has none)


def register(subparsers: Any) -> None:
    """Add the history commands to the `workbench` command line."""
    _add_forecast(subparsers)
    _add_backtest(subparsers)


# ----------------------------------------------------------------------------------- parsers


def _add_forecast(sub: Any) -> None:
    text = "Forecast from history: when N items will be done, or how many by a date."
    p = _command(sub, "forecast", text, run_forecast)
    what = p.add_mutually_exclusive_group(required=True)
    add_setting(what, ITEMS)
    what.add_argument("--items-range", type=whole_number(0, limits.MAX_ITEMS), nargs=2,
                      metavar=("LO", "HI"), help="items still to do, as a range (equally likely)")
    add_setting(what, BY)
    p.add_argument("--split", type=bounded_float(0, 100, "rate"), nargs=2, metavar=("LO", "HI"),
                   help="split rate range: items grow to ceil(items x rate), e.g. 1.0 1.5")
    p.add_argument("--risk", type=finite_float, nargs=3, action="append", default=[],
                   metavar=("P", "LO", "HI"), help="a risk adding LO-HI items with probability P "
                   "(repeatable)")
    p.add_argument("--focus", type=finite_float, default=1.0,
                   help="share of the team's throughput on this work, 0-1 (default 1)")
    p.add_argument("--start", metavar="DATE",
                   help="first day of work (default: the day after the last day of data)")
    _add(p, TRIALS, SEED)
    p.add_argument("--exact", action="store_true",
                   help="compute exact probabilities by convolution instead of sampling")
    p.add_argument("--levels", default="50,70,85,95", help="confidence levels (50,70,85,95)")
    _add(p, *SAMPLE, AS_OF, *CALENDAR, METHOD, ORIGINS)
    _add_output(p)
    _add_mapping(p)


def _add_backtest(sub: Any) -> None:
    text = ("Replay history: how often would past P50/P85/P95 forecasts have come true? Scores "
            "the forecast's own sampling (--window-days, --half-life-days), raw and calibrated "
            "side by side, beside all history, the last 90 days and recent periods weighted "
            "more.")
    p = _command(sub, "backtest", text, run_backtest)
    what = p.add_mutually_exclusive_group(required=True)
    add_setting(what, ITEMS)
    what.add_argument("--periods", type=whole_number(1, limits.MAX_PERIODS), metavar="K",
                      help="how many items in the next K periods?")
    _add(p, ORIGINS)
    p.add_argument("--min-history-days", type=whole_number(0, 36_500),
                   help="history needed before the first origin (default 12 periods, >= 60 days)")
    p.add_argument("--monte-carlo", action="store_true",
                   help="sample futures (--trials, --seed) instead of exact probabilities "
                        "(slower, noisier)")
    _add(p, TRIALS, SEED, *SAMPLE, AS_OF, *CALENDAR, METHOD)
    p.add_argument("--cases", action="store_true",
                   help="list every origin: its forecast per level, what happened, came true?")
    _add_output(p, csv=True)
    _add_mapping(p)


def _command(sub: Any, name: str, text: str, run: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=text, description=text)
    parser.add_argument("history", metavar="HISTORY.csv", help="completed-work CSV export")
    parser.set_defaults(run=run)

    def one_line(message: str) -> NoReturn:  # what to fix, without a usage block
        parser.exit(2, for_terminal(f"workbench {name}: {message}") + "\n")

    parser.error = one_line  # type: ignore[method-assign]
    return parser


def _add(parser: argparse._ActionsContainer, *options: Setting) -> None:
    for setting in options:
        add_setting(parser, setting)


def _add_output(p: argparse.ArgumentParser, csv: bool = False) -> None:
    p.add_argument("--format", choices=("table", "json", "csv") if csv else ("table", "json"),
                   default="table", help="a readable table (default), JSON" + (
                       " or CSV (with --cases: the cases; else the coverage)" if csv else ""))


def _add_mapping(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("columns of the export (defaults fit Jira's CSV export)")
    for role in ROLES:
        g.add_argument(f"--{role}-column", metavar="NAME", help=f"the {role} column")
    g.add_argument("--states", metavar="A,B,C",
                   help="columns holding the date each item entered each state, in order (with "
                        "--transitions: the log's states, in workflow order, done last)")
    _add(g, DATE_FORMAT, *READING)


def add_report_options(p: argparse.ArgumentParser) -> None:
    """The options of `workbench report --history HISTORY.csv` (added to `workbench report`,
    whose --out and --seed they share: its --seed default is `SEED`'s, a test checks)."""
    g = p.add_argument_group("a report from history instead of a scenario: "
                             "workbench report --history HISTORY.csv (--items N | --by DATE)")
    g.add_argument("--history", metavar="HISTORY.csv",
                   help="completed-work CSV export: forecast from it, with backtests and flow "
                        "charts (writes OUT/<file>.html, .ipynb and OUT/<file>/)")
    _add(g, ITEMS, BY, *SAMPLE, AS_OF, COUNTRY, TRIALS, ORIGINS, METHOD)
    _add_mapping(p)


def history_report_wanted(args: argparse.Namespace) -> bool:
    """Does this `workbench report` command line ask for a report from history?"""
    return (args.history is not None or args.scenario is None or args.items is not None
            or args.by is not None)


def run_history_report(args: argparse.Namespace) -> int:
    """`workbench report --history HISTORY.csv`: print where the HTML is; 2 if the input needs
    fixing (checked before the notebook runs), 1 if the notebook failed."""
    from workbench.files.exports import HistoryError
    from workbench.files.lock import FolderInUse
    from workbench.reports import history_report, runner

    try:
        params = _report_parameters(args)
        history_report.check_inputs(params)
    except (HistoryError, ValueError) as exc:
        return _fail("report", exc)
    try:
        files = history_report.run_history_report(args.history, args.out, params,
                                                  notice=_notice)
    except FolderInUse as exc:
        print_lines([f"workbench report: {exc}"])
        return 2
    except runner.ReportFailed as exc:  # what failed, and the notebook to open (if any)
        print_lines([f"workbench report: failed: {exc}"])
        return 1
    except OSError as exc:  # the folder itself cannot be written (a full disk, no permission)
        print_lines([f"workbench report: cannot write in {args.out} ([Errno {exc.errno}] "
                     f"{exc.strerror})"])
        return 1
    print_lines([f"Report: {files.html}", f"Notebook: {files.notebook}  Tables: "
                 f"{files.outputs}"], sys.stdout)
    return 0


def _notice(line: str) -> None:
    print_lines([f"workbench: {line}"])


def _report_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The history report notebook's parameters from the command line."""
    if args.history is None:
        raise ValueError("give a SCENARIO file, or --history HISTORY.csv with --items N or "
                         "--by DATE" if args.scenario is None else
                         "--items and --by need --history HISTORY.csv (a scenario report "
                         "forecasts its own epics)")
    if args.scenario is not None:
        raise ValueError(f"give a SCENARIO or --history, not both (got {args.scenario} and "
                         f"--history {args.history})")
    if args.overrides:
        raise ValueError("--set changes scenario fields; it does not apply to --history")
    if (args.items is None) == (args.by is None):
        raise ValueError("--history: give --items N (when?) or --by DATE (how many?)")
    _check_texts(args)
    return {"history_path": args.history, "mapping": _mapping(args),
            "date_format": args.date_format,
            "items": args.items or 0, "by_date": args.by or "",
            "window_days": args.window_days, "half_life_days": float(args.half_life_days),
            "as_of": args.as_of, "period": args.period, "sprint_weeks": args.sprint_weeks,
            "country": args.country, "trials": args.trials, "seed": args.seed,
            "origins": args.origins, "method": args.method,
            **{s.name: getattr(args, s.name) for s in READING}}


def _check_texts(args: argparse.Namespace) -> None:
    """The options given as text (dates, --where), checked before a notebook runs."""
    _date(args.by, "--by")
    _date(args.as_of, "--as-of")
    _date(args.export_date, "--export-date")
    parse_where(args.where)


# ---------------------------------------------------------------------------------- commands


def run_forecast(args: argparse.Namespace) -> int:
    """`workbench forecast`: print a forecast table (or JSON) with its method and how often
    such forecasts came true on the team's past; 2 if the input needs fixing."""
    from workbench.files.exports import HistoryError
    from workbench.history.flow import stability

    try:
        history = _load(args)
        raw, sample = _forecast(args, history)
        said = _answer(args, history, raw, sample)
    except (HistoryError, ValueError) as exc:
        return _fail("forecast", exc)
    check = stability(sample.values) if sample.values.size >= 4 else None
    if args.format == "json":
        _print_json({"workbench": __version__, "history": history.to_dict(),
                     "forecast": said.forecast.to_dict(),
                     "statements": _statements(said.forecast),
                     "stability": check.to_dict() if check else None})
    else:
        print(for_terminal_block(_forecast_text(history, said.forecast, check,
                                                _quiet_line(history, sample, args))))
    return 0


def _answer(args: argparse.Namespace, history: History, raw: ThroughputForecast,
            sample: Throughput) -> Answer:
    """The forecast calibrated (unless --method raw) and measured on the team's past up to
    the last day of the sample."""
    from workbench.history.answer import answer
    from workbench.history.backtest import own_method
    from workbench.history.flow import history_as_of

    day = sample.last_day
    assert day is not None  # a sample from history has one
    past = history_as_of(history, day) if args.as_of else history
    target, why = _target(args, raw)
    ours = own_method(args.window_days, args.half_life_days, args.method == "calibrated")
    return answer(past, raw, target=target, sampling=ours, as_of=day, period=_period(args),
                  calendar=_calendar(args), method=args.method, origins=args.origins,
                  why_raw=why)


def _target(args: argparse.Namespace, raw: ThroughputForecast) -> tuple[Target | None, str]:
    """The question the backtest replays, or why this forecast cannot be replayed."""
    from workbench.history.answer import Target

    if args.by:
        return Target(periods=raw.periods), ""
    if args.items_range or args.split or args.risk or args.focus != 1:
        return None, ("the backtest replays a fixed number of items at full focus; this "
                      "forecast has a range, a split rate, risks or a focus (give --items N)")
    return Target(items=args.items), ""


def _statements(f: ThroughputForecast) -> dict[str, Any]:
    from workbench.present.forecast_text import coverage_sentences, method_line

    return {"method": method_line(f), "coverage": coverage_sentences(f)}


def run_backtest(args: argparse.Namespace) -> int:
    """`workbench backtest`: print coverage per method, raw and calibrated side by side (or
    every case, JSON or CSV); 2 if the input needs fixing."""
    from workbench.files.exports import HistoryError
    from workbench.history.answer import choose
    from workbench.history.backtest import backtest, beside, own_method

    try:
        history = _as_of(_load(args), args)
        ours = own_method(args.window_days, args.half_life_days, args.method == "calibrated")
        methods = beside(ours)
        result = backtest(history, items=args.items, periods=args.periods,
                          period=_period(args), origins=args.origins, methods=methods,
                          min_history_days=args.min_history_days, calendar=_calendar(args),
                          exact=not args.monte_carlo, trials=args.trials, seed=args.seed,
                          calibrate=ours if args.method == "calibrated" else None)
    except (HistoryError, ValueError) as exc:
        return _fail("backtest", exc)
    result, raw_row, why = choose(result, ours)
    _print_backtest(args, history, result, methods, raw_row, why)
    return 0


def _print_backtest(args: argparse.Namespace, history: History, result: Backtest,
                    methods: Sequence[Method], raw_row: str, why: str) -> None:
    if args.format == "json":
        _print_json({"workbench": __version__, "history": history.to_dict(),
                     "backtest": result.to_dict(cases=args.cases)})
    elif args.format == "csv":
        table = result.cases_table() if args.cases else result.coverage.reset_index()
        print(table.to_csv(index=False), end="")
    else:
        print(for_terminal_block("\n".join([
            f"workbench {__version__}; {_fingerprint(history)}", history.report(),
            result.describe(), _drift_line(result, methods),
            _calibration_line(result, raw_row) + (f"; so this forecast is raw: {why}"
                                                  if why else "")])))
        if args.cases:
            print()
            print(for_terminal_block(result.cases_table().to_string(index=False)))


def _drift_line(result: Backtest, methods: Sequence[Method]) -> str:
    """Do the reactions to drift (a recent window, recent periods weighted more, the
    calibration) beat sampling all history, the way that ignores drift? (`beside` always
    includes all history.)"""
    still = next(m.name for m in methods if m.window_days is None and m.half_life_days is None)
    better = result.better_than(still)
    return "Drift reaction helps: " + (", ".join(better) if better else
                                       f"no ({still} is best calibrated)")


def _calibration_line(result: Backtest, raw: str) -> str:
    """Raw against calibrated on the same origins, in one line."""
    if result.calibrated is None:
        return "Calibrated: not scored (--method raw, or working-day periods)"
    cov = result.coverage
    mine, base = cov.loc[result.calibrated], cov.loc[raw]
    if not mine["cases"]:
        return f"Calibrated: no origin had {_min_cases()} past outcomes known yet"
    return (f"Calibrated vs raw ({raw.split(' (')[0]}): P85 came true {_pct(mine['P85'])} vs "
            f"{_pct(base['P85'])}, calibration error {mine['calibration_error']:.1f} vs "
            f"{base['calibration_error']:.1f} points ({int(mine['cases'])} vs "
            f"{int(base['cases'])} cases)")


def _pct(share: float) -> str:
    return percent(share)


def _min_cases() -> int:
    from workbench.history.calibration import MIN_CASES

    return MIN_CASES


def _forecast(args: argparse.Namespace, history: History
              ) -> tuple[ThroughputForecast, Throughput]:
    from workbench.history.throughput import (
        ScopeRisk,
        forecast_how_many,
        forecast_when,
        throughput_from_history,
    )

    period, calendar = _period(args), _calendar(args)
    sample = throughput_from_history(history, period, window_days=args.window_days or None,
                                     as_of=_date(args.as_of, "--as-of"),
                                     half_life_days=args.half_life_days or None,
                                     calendar=calendar)
    levels = _levels(args.levels)
    start = _within(_date(args.start, "--start"), sample.last_day, "--start",
                    "the last day of data")
    common: dict[str, Any] = {"focus": args.focus, "start": start,
                              "calendar": calendar, "levels": levels, "trials": args.trials,
                              "seed": args.seed, "exact": args.exact}
    if args.by:
        last = sample.last_day
        begin = start or (last + dt.timedelta(days=1) if last else None)
        by = _within(_date(args.by, "--by"), begin, "--by", "the start")
        return forecast_how_many(by, sample, **common), sample
    remaining = args.items if args.items is not None else tuple(args.items_range)
    risks = [ScopeRisk(p, lo, hi, name=f"{i + 1}") for i, (p, lo, hi) in
             enumerate(map(_risk, args.risk))]
    split = tuple(args.split) if args.split else None
    return forecast_when(remaining, sample, split=split, risks=risks, **common), sample


def _as_of(history: History, args: argparse.Namespace) -> History:
    """The history as it was at the end of --as-of (all of it without)."""
    from workbench.history.flow import history_as_of

    day = _date(args.as_of, "--as-of")
    return history_as_of(history, day) if day else history


def _load(args: argparse.Namespace) -> History:
    from workbench.files.exports import load_history

    return load_history(args.history, _mapping(args), args.date_format or None, _reading(args))


def _mapping(args: argparse.Namespace) -> dict[str, Any]:
    """The export's columns by role, and the states (columns, or the log's states)."""
    mapping: dict[str, Any] = {r: getattr(args, f"{r}_column") for r in ROLES
                               if getattr(args, f"{r}_column", None)}
    if args.states:
        mapping["states"] = list(split_list(args.states))
    return mapping


def _reading(args: argparse.Namespace) -> Reading:
    """How to read the export: --where, --done-resolutions, --export-date, --transitions."""
    from workbench.files.exports import Reading, load_transitions

    log = None
    if args.transitions:
        names = split_list(args.transition_columns)
        if names and len(names) != 3:
            raise ValueError(f"--transition-columns: {args.transition_columns!r} (give three "
                             f"names: KEY,STATE,DATE)")
        log = load_transitions(args.transitions, dict(zip(("key", "state", "at"), names,
                                                          strict=False)),
                               args.date_format or None)
    done = split_list(args.done_resolutions)
    if not done:
        raise ValueError("--done-resolutions: name at least one resolution, e.g. Done,Fixed")
    return Reading(parse_where(args.where), done, _date(args.export_date, "--export-date"), log)


def _period(args: argparse.Namespace) -> Period:
    from workbench.history.flow import Period

    if args.sprint_weeks < 1:
        raise ValueError(f"--sprint-weeks: at least 1 (got {args.sprint_weeks})")
    return Period(args.period, args.sprint_weeks)


def _calendar(args: argparse.Namespace) -> WorkCalendar:
    from workbench.scenario.calendar import WorkCalendar

    names = [d.strip().lower()[:3] for d in args.workdays.split(",") if d.strip()]
    bad = [d for d in names if d not in WEEKDAY_NAMES]
    if bad or not names:
        raise ValueError(f"--workdays: {args.workdays!r} (allowed: {','.join(WEEKDAY_NAMES)})")
    workdays = tuple(sorted({WEEKDAY_NAMES.index(d) for d in names}))
    return WorkCalendar(workdays, args.country or None)


def _date(text: str | None, option: str) -> dt.date | None:
    """A date from the command line, from 1900 to 2199 (calendars of other centuries are
    slow to build and mean a typo)."""
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option}: {text[:30]!r} is not a date (use YYYY-MM-DD)") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(f"{option}: {text} is out of range (allowed: {FIRST_DATE} to "
                         f"{LAST_DATE})")
    return day


def _within(day: dt.date | None, since: dt.date | None, option: str, what: str
            ) -> dt.date | None:
    """``day``, if it is at most `limits.MAX_FORECAST_DAYS` after ``since`` (if known)."""
    if day is None or since is None:
        return day
    last = since + dt.timedelta(days=limits.MAX_FORECAST_DAYS)
    if day > last:
        raise ValueError(f"{option}: {day} is more than {limits.MAX_FORECAST_DAYS // 365} "
                         f"years after {what} {since} (allowed: up to {last})")
    return day


def _risk(triple: Sequence[float]) -> tuple[float, int, int]:
    """``--risk P LO HI``: a probability and whole numbers of items."""
    p, lo, hi = triple
    if not 0 <= p <= 1 or not all(v == int(v) and 0 <= v <= limits.MAX_ITEMS for v in (lo, hi)):
        raise ValueError(f"--risk: P LO HI with P from 0 to 1 and whole numbers of items from 0 "
                         f"to {limits.MAX_ITEMS}, e.g. --risk 0.3 5 10")
    return p, int(lo), int(hi)


def _levels(text: str) -> tuple[float, ...]:
    try:
        levels = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"--levels: {text!r} (use percentages like 50,85,95)") from None
    if not levels or any(not 0 < q < 100 for q in levels):
        raise ValueError(f"--levels: {text!r} (each strictly between 0 and 100)")
    return levels


FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
# the library names its arguments; the command line user knows them as options
OPTIONS = {"remaining": "--items", "focus": "--focus", "split": "--split", "trials": "--trials",
           "levels": "--levels", "window_days": "--window-days", "risk": "--risk",
           "half_life_days": "--half-life-days", "by": "--by", "by_date": "--by",
           "as_of": "--as-of", "items": "--items"}


def _fail(command: str, exc: Exception) -> int:
    text = str(exc)
    name, _, rest = text.partition(":")
    if name in OPTIONS and rest:
        text = OPTIONS[name] + ":" + rest
    print_lines([f"workbench {command}: {text}".splitlines()[0]])
    return 2


# ------------------------------------------------------------------------------------ output


def _fingerprint(history: History) -> str:
    """Which file, exactly: a TPM can tell two exports of the same name apart."""
    digest = hashlib.sha256(Path(history.source).read_bytes()).hexdigest()[:12]
    return f"history sha256 {digest}"


def _quiet_line(history: History, sample: Throughput, args: argparse.Namespace) -> str:
    """A warning when the sample runs far below the team's usual pace (a cut export, a lull)."""
    from workbench.history.throughput import QUIET, quiet_pace

    overall = quiet_pace(history, sample, _calendar(args))
    if overall is None:
        return ""
    return (f"Warning: the sample's pace ({sample.mean:.2f} a {sample.period.unit}) is under "
            f"{QUIET:.0%} of the history's ({overall:.2f}): check the export covers recent work, "
            f"or set --as-of to the last busy day (or --window-days 0 for all history)")


def _forecast_text(history: History, f: ThroughputForecast, check: Stability | None,
                   warning: str = "") -> str:
    run = ("exact (convolution, no sampling noise)" if f.mode == "exact"
           else f"Monte Carlo, {f.trials:,} trials, seed {f.seed}")
    question = (f"When will the work be done? Scope: {f.scope}" if f.question == "when"
                else f"How many items by {iso_date(f.by)}? ({f.scope})")
    from workbench.present.forecast_text import coverage_sentences, method_line

    lines = [question, f"Method: {run}; workbench {__version__}; {_fingerprint(history)}",
             f"Percentiles: {method_line(f)}",
             history.report(), f"Throughput: {f.throughput}", *([warning] if warning else []),
             f"Sampling: {f.period.describe()}; dates on {f.calendar}",
             f"Start: {iso_date(f.start, missing='not given')}",
             f"Check: {check.describe() if check else 'too few periods to check stability'}",
             ""]
    table = f.table()
    lines.append(table.to_string(index=False))
    unit = f"{f.period.unit}s" if f.question == "when" else "items"
    lines.append(f"mean {f.mean:.2f} {unit}, SD {f.sd:.2f}")
    if f.question == "how_many":
        lines.append("Read: at P85, at least that many items are done in 85% of futures.")
    elif f.not_done > 0.0005:
        lines.append(f"{percent(f.not_done, digits=1)} of futures did not finish within the "
                     "horizon.")
    return "\n".join([*lines, "", "How often such forecasts came true:",
                      *("  " + t for t in coverage_sentences(f))])


def _print_json(data: dict[str, Any]) -> None:
    print(for_json(dumps(data, indent=2)))

