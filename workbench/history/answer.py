"""One answer everywhere: the forecast a TPM is given from history, with its method and its
own measured coverage. `workbench forecast`, `workbench report --history` and the report's
kernel all call `answer`, so the same question gets the same figures from each.

The forecast is read the calibrated way (`workbench.history.calibration`) when the team's past
holds enough outcomes to calibrate on, and stays raw otherwise, saying why. It also stays raw
when, on the same past dates, the raw sampling was better calibrated than the calibrated one
(`choose`: long questions on a team whose pace turned, whose outcomes come due too late for
the calibration to follow): the choice is made on the past only, like the rest. Its coverage is
measured by the same backtest `workbench backtest` runs (the same origins, the calibrated row
beside the raw one), so "on this team's past such P85s came true 84% of the time" is the
backtest table's figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from workbench.files.exports import History, HistoryError
from workbench.history import calibration as cal
from workbench.history.backtest import LEVELS, Backtest, Method, backtest, calibrated_name
from workbench.history.flow import Period
from workbench.history.throughput import ThroughputForecast
from workbench.history.timeline import Timeline
from workbench.scenario.calendar import WorkCalendar

METHODS: tuple[str, ...] = ("calibrated", "raw")


@dataclass(frozen=True)
class Target:
    """The question the backtest replays: the next `items` items ("when"), or the items done
    in the next `periods` periods ("how many")."""

    items: int | None = None
    periods: int | None = None

    @property
    def when(self) -> bool:
        """A "when" question?"""
        return self.items is not None

    @property
    def size(self) -> int:
        """Items or periods."""
        return int(self.items if self.items is not None else self.periods or 0)


@dataclass(frozen=True, eq=False)
class Answer:
    """`forecast`: what is shown (calibrated, or raw with the reason in its note), with its
    measured coverage; `raw`: the raw method's forecast; `backtest`: raw and calibrated scored
    on the same past origins (None: `backtest_note` says why); `row`: the backtest row that
    measured the forecast shown; `raw_row`: the row of its raw sampling."""

    forecast: ThroughputForecast
    raw: ThroughputForecast
    backtest: Backtest | None
    backtest_note: str
    row: str | None
    raw_row: str = ""


def answer(history: History, raw: ThroughputForecast, *, target: Target | None,
           sampling: Method, as_of: dt.date, period: Period, calendar: WorkCalendar,
           method: str = "calibrated", origins: int = 100, others: Sequence[Method] = (),
           why_raw: str = "") -> Answer:
    """Calibrate `raw` (when `method` is "calibrated" and the past allows) and measure it.

    `history` is the data up to `as_of` (the last day used); `sampling` is the raw forecast's
    own sampling, named for the backtest table; `others`: more raw methods to score beside it.
    `target` None, or `why_raw`, keeps the forecast raw and unmeasured for that reason."""
    if method not in METHODS:
        raise ValueError(f"method {method!r} unknown (allowed: {', '.join(METHODS)})")
    raw = replace(raw, sampling=sampling.name.split(" (")[0])
    if target is None or why_raw:
        note = why_raw or "this question cannot be replayed"
        return Answer(replace(raw, note=f"raw: {note}"), raw, None, note, None)
    calibrate = sampling if method == "calibrated" else None
    past = replay(history, target, sampling, period, calendar) if calibrate else None
    result, note = measure(history, target, period, calendar, origins,
                           (sampling, *others), calibrate, raw.levels, past)
    shown = calibrated(history, raw, target, sampling, as_of, period, calendar, past) \
        if calibrate is not None else replace(raw, note="raw: asked for (--method raw)")
    raw_row, why = sampling.name, ""
    if result is not None:
        result, raw_row, why = choose(result, sampling)
    if why and shown.method == "calibrated":  # (too little history: it says so already)
        shown = replace(raw, note=f"raw: {why}")
    row = result.calibrated if shown.method == "calibrated" and result else raw_row
    return Answer(_with_coverage(shown, result, row or raw_row, note), raw, result, note,
                  row if result is not None else None, raw_row)


def choose(result: Backtest, sampling: Method) -> tuple[Backtest, str, str]:
    """Calibrated, unless no past date could be calibrated or, on the past dates where both
    forecast, the raw sampling was better calibrated: then the backtest with "this forecast"
    moved to the raw row. Returns the backtest, the raw sampling's row and why raw ("" if
    calibrated)."""
    mine = result.calibrated
    if mine is None:
        return result, sampling.name, ""
    if not result.coverage.loc[mine, "cases"]:
        why = f"too little history to calibrate (no past date had {cal.MIN_CASES} outcomes known)"
    else:
        cal_error, raw_error = result.error_where_both(mine, sampling.name)
        if not raw_error < cal_error:
            return result, sampling.name, ""
        why = (f"on this team's past the raw method was better calibrated for this question "
               f"({raw_error:.1f} points off on average, calibrated {cal_error:.1f}, on the "
               f"same past dates)")
    base = sampling.name.split(" (")[0]
    names = {mine: calibrated_name(sampling, ours=False),
             sampling.name: f"{base} (this forecast)"}
    return result.renamed(names), names[sampling.name], why


def replay(history: History, target: Target, sampling: Method, period: Period,
           calendar: WorkCalendar) -> cal.PastCases | None:
    """The raw sampling replayed at every past day for this question (None: it cannot be):
    made once, read by the backtest's calibrated row and by the forecast."""
    if cal.unsupported(period) or not target.size:
        return None
    line = Timeline.of(history, period, calendar)
    return cal.past_cases(line, sampling, target.size, target.when)


def measure(history: History, target: Target, period: Period, calendar: WorkCalendar,
            origins: int, methods: Sequence[Method], calibrate: Method | None,
            levels: Sequence[float] = LEVELS, past: cal.PastCases | None = None
            ) -> tuple[Backtest | None, str]:
    """The backtest of the question (None and why when it cannot run); scores P50, P85, P95
    and any other level the forecast shows."""
    if not origins:
        return None, "skipped (origins = 0)"
    if not target.size:
        return None, "no whole period before the date, so nothing to replay"
    wanted = tuple(sorted({*LEVELS, *levels}))
    try:
        result = backtest(history, items=target.items, periods=target.periods, period=period,
                          origins=origins, methods=methods, calendar=calendar, levels=wanted,
                          calibrate=calibrate, past=past)
    except HistoryError as exc:
        return None, str(exc).removeprefix("backtest: ")
    return result, ""


def calibrated(history: History, raw: ThroughputForecast, target: Target, sampling: Method,
               as_of: dt.date, period: Period, calendar: WorkCalendar,
               past: cal.PastCases | None = None) -> ThroughputForecast:
    """`raw` read at the levels that came true as often as stated on the past before
    `as_of`; raw, with the reason in its note, when that cannot be done. `past`: the replay
    (`replay`), if made already."""
    reason = cal.unsupported(period)
    if reason:
        return replace(raw, note=f"raw: {reason}")
    cases = past or replay(history, target, sampling, period, calendar)
    if cases is None:
        return replace(raw, note="raw: nothing to replay")
    first = np.datetime64(history.items["finish"].min(), "D")
    day = int((np.datetime64(as_of, "D") - first).astype(int)) + 1
    levels = cal.calibrated_levels(cases, [day], [q / 100 for q in raw.levels])[0]
    known = int((cases.known <= day).sum())
    if np.isnan(levels).any():
        return replace(raw, note=f"raw: too little history to calibrate ({known} past "
                                 f"forecasts with a known outcome, {cal.MIN_CASES} needed)")
    values, dates = read_levels(raw, levels, period, calendar)
    return replace(raw, values=values, dates=dates, method="calibrated",
                   read_at=tuple(round(100 * x, 2) for x in levels),
                   note=f"calibrated on {known} past forecasts with a known outcome")


def read_levels(raw: ThroughputForecast, levels: np.ndarray, period: Period,
                calendar: WorkCalendar
                ) -> tuple[tuple[int | None, ...], tuple[dt.date | None, ...]]:
    """The raw distribution read at `levels`: values, and dates for "when" (to the day)."""
    if raw.question == "how_many":
        return cal.how_many_values(raw.pmf, levels.tolist()), tuple(None for _ in levels)
    step = cal.period_days(period)
    start = raw.start or dt.date.today()
    work = cal.work_days(calendar, start, (raw.pmf.size + 1) * step)
    days = cal.when_days(raw.pmf, levels.tolist(), step, work)
    values = tuple(None if d is None else -(-d // step) for d in days)
    dates = tuple(None if d is None else start + dt.timedelta(days=d - 1) for d in days)
    return values, dates


def _with_coverage(f: ThroughputForecast, result: Backtest | None, row: str,
                   note: str) -> ThroughputForecast:
    if result is None or row not in result.coverage.index:
        why = note or "the backtest has no row for it"
        return replace(f, note=f"{f.note}; coverage not measured: {why}")
    return replace(f, coverage=tuple(result.coverage_of(row, q) for q in f.levels))
