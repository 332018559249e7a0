"""The history report: a forecast straight from a completed-work export, with the evidence a
leader needs to trust it (what went in, how the team flows, how often such forecasts came true).

Kernel side (`prepare`, `summary_sentences`, the `*_display` tables, `write_outputs`,
`consistency_problems`) is what notebooks/history_report.ipynb calls, so the notebook holds no
logic. Runner side (`run_history_report`) executes that notebook with papermill and exports the
same offline HTML as the scenario report (`workbench.report`), imported only when called.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import __version__
from workbench.files import atomic
from workbench.files.columns import parse_where, split_list
from workbench.files.exports import History, HistoryError, Reading, load_history, load_transitions
from workbench.files.jsonable import plain
from workbench.history.answer import Target, answer, read_levels
from workbench.history.backtest import LEVELS, Backtest, beside, own_method
from workbench.history.flow import Period, Stability, history_as_of, stability, throughput
from workbench.history.settings import (
    AS_OF,
    COUNTRY,
    DATE_FORMAT,
    DONE_RESOLUTIONS,
    EXPORT_DATE,
    HALF_LIFE_DAYS,
    METHOD,
    ORIGINS,
    PERIOD,
    SEED,
    SPRINT_WEEKS,
    TRANSITION_COLUMNS,
    TRANSITIONS,
    TRIALS,
    WHERE,
    WINDOW_DAYS,
)
from workbench.history.throughput import (
    QUIET,
    Throughput,
    ThroughputForecast,
    forecast_how_many,
    forecast_when,
    quiet_pace,
    throughput_from_history,
)
from workbench.present import formats
from workbench.present import history_charts as hc
from workbench.present.forecast_text import coverage_sentence, coverage_sentences, method_line
from workbench.present.sentences import Html
from workbench.reports.paths import NOTEBOOKS_DIR, locate, output_dir
from workbench.scenario.calendar import WorkCalendar

HISTORY_NOTEBOOK = NOTEBOOKS_DIR / "history_report.ipynb"
SUMMARY_FILE = "summary.json"
KIND_WORDS = {"finish_before_start": "finished before they started",
              "unparsable_date": "with a date not in its column's format",
              "missing_finish": "with no dates", "duplicate_key": "repeated keys",
              "not_delivered": "resolved without delivering (e.g. Duplicate, Won't Fix)",
              "date_after_export": "dated more than a year after the export",
              "date_before_first_created": "dated before the first created date"}


@dataclass(frozen=True, eq=False)
class HistoryReport:
    """Everything a history report shows, computed once.

    `loaded` is the file as read (for the data-quality report); `history` the same cut at
    `as_of` (the last day of data used). `window` is the first and last day of the throughput
    sample. `forecast` is what the report shows (calibrated, or raw saying why), `raw` the raw
    method's; `method` names the backtest row that measured the forecast shown, `raw_method`
    the row of its raw sampling.
    """

    loaded: History
    history: History
    as_of: dt.date
    period: Period
    calendar: WorkCalendar
    window: tuple[dt.date, dt.date]
    sample: Throughput
    forecast: ThroughputForecast
    stability: Stability | None
    backtest: Backtest | None
    backtest_note: str
    method: str
    sha256: str
    parameters: dict[str, Any] = field(default_factory=dict)
    raw: ThroughputForecast | None = None
    raw_method: str = ""

    @property
    def items(self) -> int | None:
        """The items a "when" forecast is about (None for "how many")."""
        return _items_of(self.parameters)


# =================================================================================================
# Kernel side: what the notebook calls
# =================================================================================================

def prepare(history_path: str | os.PathLike[str], mapping: Mapping[str, Any] | None = None,
            items: int = 0, by_date: str = "", window_days: int = WINDOW_DAYS.default,
            half_life_days: float = HALF_LIFE_DAYS.default, as_of: str = AS_OF.default,
            period: str = PERIOD.default, sprint_weeks: int = SPRINT_WEEKS.default,
            country: str = COUNTRY.default, trials: int = TRIALS.default,
            seed: int = SEED.default, origins: int = ORIGINS.default,
            date_format: str = DATE_FORMAT.default, method: str = METHOD.default,
            where: str = WHERE.default, done_resolutions: str = DONE_RESOLUTIONS.default,
            export_date: str = EXPORT_DATE.default, transitions: str = TRANSITIONS.default,
            transition_columns: str = TRANSITION_COLUMNS.default) -> HistoryReport:
    """Read the export, cut it at `as_of`, sample throughput over the last `window_days`
    (0: all history), forecast when `items` are done (or how many by `by_date`), calibrate it
    on the team's past (`method`), and backtest the same kind of forecast, raw and calibrated,
    at `origins` past dates (0: no backtest). The defaults are `workbench.history.settings`',
    the same as `workbench forecast`'s."""
    params = {k: v for k, v in locals().items() if k in inspect.signature(prepare).parameters}
    params.update(history_path=str(history_path), mapping=dict(mapping or {}))
    loaded, history, day, sample = _inputs(params)
    per, cal, by = sample.period, _calendar(params), _check(params)
    counts = _sample_counts(history, per, cal, day, window_days)
    common: dict[str, Any] = {"calendar": cal, "trials": trials, "seed": seed}
    raw = forecast_how_many(by, sample, **common) if by else \
        forecast_when(items, sample, **common)
    ours = own_method(window_days, half_life_days, method == "calibrated")
    target = Target(items=items or None, periods=None if items else raw.periods)
    said = answer(history, raw, target=target, sampling=ours, as_of=day, period=per,
                  calendar=cal, method=method, origins=origins, others=beside(ours)[1:])
    check = stability(sample.values, seed) if sample.values.size >= 4 else None
    digest = hashlib.sha256(locate(history_path).read_bytes()).hexdigest()
    window = (counts.index[0].date(), day)
    return HistoryReport(loaded, history, day, per, cal, window, sample, said.forecast, check,
                         said.backtest, said.backtest_note, said.row or ours.name, digest,
                         params, said.raw, said.raw_row or ours.name)


def check_inputs(params: Mapping[str, Any]) -> None:
    """Fail fast, before a notebook runs: read the file and build the throughput sample from
    `params` (the notebook's parameters; missing ones take `prepare`'s defaults). Raises
    HistoryError or ValueError naming what to fix."""
    defaults = {k: v.default for k, v in inspect.signature(prepare).parameters.items()}
    _inputs({**defaults, **params})


def _inputs(params: Mapping[str, Any]) -> tuple[History, History, dt.date, Throughput]:
    """The file as read, the history cut at as_of, the last day used and the sample."""
    _check(params)
    loaded = load_history(locate(params["history_path"]), dict(params["mapping"] or {}),
                          params["date_format"] or None, _reading(params))
    day = _date(params["as_of"], "as_of") or _last_finish(loaded)
    history = history_as_of(loaded, day) if params["as_of"] else loaded
    per = Period(params["period"], params["sprint_weeks"])
    sample = throughput_from_history(
        history, per, window_days=params["window_days"] or None, as_of=day,
        half_life_days=params["half_life_days"] or None, calendar=_calendar(params))
    return loaded, history, day, sample


def _reading(params: Mapping[str, Any]) -> Reading:
    """How the export is read: the rows kept, the done resolutions, the export day, a log."""
    log = None
    if params.get("transitions"):
        names = split_list(params.get("transition_columns") or "")
        if names and len(names) != 3:
            raise ValueError(f"transition_columns: {params['transition_columns']!r} (give three "
                             f"names: KEY,STATE,DATE)")
        log = load_transitions(locate(params["transitions"]),
                               dict(zip(("key", "state", "at"), names, strict=False)),
                               params.get("date_format") or None)
    done = split_list(params.get("done_resolutions") or DONE_RESOLUTIONS.default)
    return Reading(parse_where(params.get("where") or ""), done,
                   _date(params.get("export_date") or "", "export_date"), log)


def _calendar(params: Mapping[str, Any]) -> WorkCalendar:
    return WorkCalendar(country=params["country"] or None)


def _check(params: Mapping[str, Any]) -> dt.date | None:
    """The parameters a TPM can get wrong, each named; returns the `by_date` as a date."""
    items, by_text = params["items"], params["by_date"]
    if (items > 0) == bool(by_text):
        raise ValueError("give either items (when will they be done?) or by_date (how many by "
                         f"then?), not both or neither (got items={items}, by_date={by_text!r})")
    if items < 0 or params["window_days"] < 0 or params["origins"] < 0 or params["trials"] < 1:
        raise ValueError("items, window_days and origins must not be negative; trials >= 1")
    if params["period"] not in ("day", "workday", "week"):
        raise ValueError(f"period {params['period']!r} unknown (allowed: day, workday, week)")
    if params.get("method", METHOD.default) not in (METHOD.choices or ()):
        raise ValueError(f"method {params['method']!r} unknown (allowed: "
                         f"{', '.join(METHOD.choices or ())})")
    return _date(by_text, "by_date")


def _date(text: str, name: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a date (use YYYY-MM-DD)") from None


def _last_finish(history: History) -> dt.date:
    if history.items.empty:
        raise HistoryError(f"{history.source}: no finished items")
    return pd.Timestamp(history.items["finish"].max()).date()


def _items_of(params: Mapping[str, Any]) -> int | None:
    return int(params["items"]) if params.get("items") else None


def _sample_counts(history: History, per: Period, cal: WorkCalendar, day: dt.date,
                   window_days: int) -> pd.Series:
    """The throughput sample's periods (the same cut as `throughput_from_history`)."""
    first = _first_finish(history)
    lo = max(first, day - dt.timedelta(days=window_days - 1)) if window_days else first
    return throughput(history, per, cal, start=lo, end=day)


def _first_finish(history: History) -> dt.date:
    return pd.Timestamp(history.items["finish"].min()).date()


# --- sentences -----------------------------------------------------------------------------------

def summary_sentences(r: HistoryReport) -> list[str]:
    """The executive summary: the forecast, how often such forecasts came true, what the sample
    is and whether it is stable, and what went in."""
    lines = [f"{forecast_sentence(r)} {coverage_sentence(r.forecast, 85)}.",
             backtest_sentence(r), sample_sentence(r), method_sentence(r)]
    if r.stability is not None:
        lines.append(f"Check: the {r.stability.describe()}.")
    lines += [data_sentence(r), *warnings(r)]
    return [line for line in lines if line]


def forecast_sentence(r: HistoryReport) -> str:
    """E.g. '85% chance the 100 items are done by 6 July 2018 (14 weeks at the weekly throughput
    of the last 90 days); 50% chance by 15 June 2018.'"""
    f = r.forecast
    p50, p85 = _at(f, 50), _at(f, 85)
    how = f"at the {_rate(f.period)} throughput of {_sample_words(r)}"
    if f.question == "how_many":
        by = formats.long_date(f.by)
        return (f"85% chance at least {p85[0]} items are done by {by} ({f.periods} whole "
                f"{f.period.unit}s {how}); 50% chance of at least {p50[0]}.")
    n = r.items
    if p85[0] is None:
        return (f"Fewer than 85% of futures finish the {n} items within the forecast's "
                f"horizon {how} ({formats.percent(f.not_done)} never do; mean "
                f"{r.sample.mean:.2f} items a {f.period.unit}): the sample is too slow for "
                f"this scope.")
    tail = f"; 50% chance by {formats.long_date(p50[1])}" if p50[0] is not None else ""
    return (f"85% chance the {n} items are done by {formats.long_date(p85[1])} ({p85[0]} "
            f"{f.period.unit}s {how}){tail}.")


def method_sentence(r: HistoryReport) -> str:
    """How the percentiles were read, e.g. 'Percentiles: calibrated: the last 90 days
    sampled, each level read where ... (P85 at the raw P93.1); calibrated on 812 ...'."""
    return f"Percentiles: {method_line(r.forecast)}."


def backtest_sentence(r: HistoryReport) -> str:
    """E.g. 'Backtests: our P85 came true 86% of the time (100 past forecasts ...)', with the
    raw method beside the calibrated one."""
    b = r.backtest
    if b is None:
        return f"No backtest: {r.backtest_note}."
    cov = b.coverage.loc[r.method]
    what = (f"of the next {b.target} items" if b.question == "when"
            else f"of the items done in the next {b.target} {b.period.unit}s")
    text = (f"Backtests: our P85 came true {formats.percent(cov['P85'])} of the time "
            f"({int(cov['cases'])} past forecasts {what}, each from the data before its date; "
            f"P50 {formats.percent(cov['P50'])}, P95 {formats.percent(cov['P95'])}).")
    text += _raw_clause(r, b, cov)
    if b.best != r.method:
        best = b.coverage.loc[b.best]
        text += (f" Better calibrated on this history: {b.best} (P85 came true "
                 f"{formats.percent(best['P85'])}; off the promised levels by "
                 f"{best['calibration_error']:.0f} points on average, ours by "
                 f"{cov['calibration_error']:.0f}): consider sampling that way.")
    return text


def _raw_clause(r: HistoryReport, b: Backtest, cov: pd.Series) -> str:
    """The raw method beside the calibrated one, when the forecast is calibrated."""
    if r.raw_method == r.method or r.raw_method not in b.coverage.index:
        return ""
    raw = b.coverage.loc[r.raw_method]
    return (f" Raw, before calibration, the same sampling's P85 came true "
            f"{formats.percent(raw['P85'])} (off the promised levels by "
            f"{raw['calibration_error']:.0f} points on average, calibrated "
            f"{cov['calibration_error']:.0f}).")


def sample_sentence(r: HistoryReport) -> str:
    """What the forecast resamples, and how it compares with the whole history."""
    s, unit = r.sample, r.period.unit
    counts = np.asarray(s.values)
    overall = throughput(r.history, r.period, r.calendar, end=r.as_of).mean()
    return (f"Throughput sample: {counts.size} {unit}s from {formats.long_date(r.window[0])} to "
            f"{formats.long_date(r.window[1])}, {_items(int(counts.sum()))}, mean "
            f"{counts.mean():.1f} a {unit} (whole history: {overall:.1f}); "
            f"{r.period.describe()}.")


def data_sentence(r: HistoryReport) -> str:
    """What was read from the file and what was left out, by kind."""
    h = r.loaded
    kinds = [f"{p.count:,} {KIND_WORDS.get(p.kind, p.kind.replace('_', ' '))}"
             for p in h.problems if p.excluded]
    left = f" ({'; '.join(kinds)})" if kinds else ""
    kept = f", {h.rows_used:,} kept by {h.where_text()}" if h.rows_selected is not None else ""
    return (f"Data: {h.rows_read:,} rows read{kept}; {len(h.items):,} finished items used, "
            f"{len(h.open_items):,} in progress, {h.excluded:,} left out{left}.")


def warnings(r: HistoryReport) -> list[str]:
    """What should make a TPM look twice: a cut file, or a sample far below the usual pace."""
    out = []
    later = int((r.loaded.items["finish"] >= pd.Timestamp(r.as_of) + pd.Timedelta(days=1)).sum())
    if later:
        out.append(f"The data is cut at {formats.long_date(r.as_of)} (as_of): {later:,} items "
                   f"finished later are not used.")
    overall = quiet_pace(r.history, r.sample, r.calendar)
    if overall is not None:
        out.append(f"Warning: the sample's pace ({r.sample.mean:.2f} a {r.period.unit}) is under "
                   f"{formats.percent(QUIET)} of the history's ({overall:.2f}): check the export "
                   f"covers recent work, or set as_of to the last busy day.")
    return out


def _items(n: int) -> str:
    return f"{n:,} item" + ("" if n == 1 else "s")


def _at(f: ThroughputForecast, level: float) -> tuple[int | None, dt.date | None]:
    i = list(f.levels).index(level)
    return f.values[i], f.dates[i]


def _rate(period: Period) -> str:
    if period.kind == "week":
        return "weekly" if period.weeks == 1 else f"{period.unit}"
    return "daily" if period.kind == "day" else "working-day"


def _sample_words(r: HistoryReport) -> str:
    window = r.parameters.get("window_days") or 0
    words = f"the last {window} days" if window else "all history"
    half = r.parameters.get("half_life_days") or 0
    return words + (f", recent periods weighted more (half-life {half:g} days)" if half else "")


# --- what the notebook shows ---------------------------------------------------------------------

def title(r: HistoryReport) -> Html:
    """The report's title block: which file, up to which day (the file name is escaped)."""
    return Html([f"{Path(r.loaded.source).name}, data up to {formats.long_date(r.as_of)}"],
                tag="p", heading="Forecast from history")


def executive_summary(r: HistoryReport) -> Html:
    """The summary sentences, ready to show in a notebook."""
    return Html(summary_sentences(r), heading="Executive summary")


def forecast_display(r: HistoryReport) -> pd.DataFrame:
    """The forecast per confidence level as a leader reads it ('3 Jun 2027')."""
    t = r.forecast.table()
    t["confidence"] = t["confidence"].str.replace("%", "% chance")
    if "date" in t:
        t["date"] = t["date"].map(formats.short_date)
    return t.rename(columns=str.capitalize).set_index("Confidence")


def backtest_display(r: HistoryReport) -> pd.DataFrame:
    """Backtest coverage per sampling method: the share of past forecasts that came true."""
    if r.backtest is None:
        return pd.DataFrame({"Backtest": [r.backtest_note]})
    cov = r.backtest.coverage
    out = pd.DataFrame({f"P{q:g} came true": cov[f"P{q:g}"].map(formats.percent)
                        for q in LEVELS})
    out["Calibration error (points)"] = cov["calibration_error"].round(1)
    out["Past forecasts"] = cov["cases"].astype(int)
    out.index.name = "Method (throughput sample)"
    return out


class HtmlFrame:
    """A table shown whole (pandas' notebook view cuts long cells to 50 characters) and
    escaped: examples quote the file, and the file's text must show as text."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def _repr_html_(self) -> str:
        return self.frame.to_html(escape=True, border=0, classes="dataframe")

    def __repr__(self) -> str:
        return self.frame.to_string()


def inputs(r: HistoryReport) -> Html:
    """Which columns were read as what, the date formats, and the work in progress at as_of."""
    h = r.loaded
    cols = ", ".join(f"{role} ← {col}" for role, col in h.columns.items())
    read_as = ", ".join(f"{col}: {fmt}" for col, fmt in h.date_formats.items())
    # The file's name only: a report travels, and the path on this machine is nobody's business.
    name = Path(str(h.source)).name
    return Html([f"File: {name} (SHA-256 {r.sha256[:16]}), {h.rows_read:,} rows.",
                 f"Columns used: {cols}.", f"Date formats: {read_as}.",
                 f"On {formats.long_date(r.as_of)}: {len(r.history.items):,} items finished, "
                 f"{len(r.history.open_items):,} in progress."])


def problems_display(r: HistoryReport) -> HtmlFrame:
    """Every kind of row the importer could not use as is, what was done, and examples."""
    rows = [{"Kind": p.kind.replace("_", " "), "Rows": f"{p.count:,}",
             "What was done": p.meaning, "Examples": "; ".join(p.examples)}
            for p in r.loaded.problems]
    if not rows:
        rows = [{"Kind": "none", "Rows": "0", "What was done": "every row was used",
                 "Examples": ""}]
    return HtmlFrame(pd.DataFrame(rows).set_index("Kind"))


# --- charts (`workbench.history_charts` fed from the report) -------------------------------------

def throughput_chart(r: HistoryReport) -> hc.AnyChart:
    """Throughput run chart of the history up to `as_of`, the forecast's sample shaded."""
    counts = throughput(r.history, r.period, r.calendar, end=r.as_of)
    return hc.throughput_run(hc.throughput_table(counts, r.period), r.period.unit, r.window,
                             r.sample.mean)


def _percentiles(r: HistoryReport) -> pd.DataFrame:
    return hc.percentile_table(r.history) if _has_cycle_times(r) else pd.DataFrame(
        columns=["level", "days", "label", "row"])


def _has_cycle_times(r: HistoryReport) -> bool:
    return bool(r.history.items["cycle_time_days"].notna().any())


# What each flow chart shows (said above it), and the one sentence said instead of a chart the
# export cannot feed: an empty chart placeholder tells a director nothing.
FLOW_NOTES = {
    "cycle_time": ("Cycle time: from start to finish, in calendar days. The lines are "
                   "percentiles: 85% of finished items took no longer than the P85 line, a fair "
                   "answer to \"how long will one item take?\".",
                   "Cycle time charts left out: the file has no start dates, so no item has a "
                   "cycle time."),
    "cumulative_flow": ("Cumulative flow: items in each state over time, stacked. A band that "
                        "widens is work piling up.",
                        "Cumulative flow left out: the file has no start or state dates."),
    "ageing_wip": ("Ageing work in progress: each open item's age so far against how long "
                   "finished items took. Items above the P85 line are already older than 85% of "
                   "finished work: ask about those first.",
                   "Ageing work in progress left out: the file has no start dates."),
}


def flow_note(r: HistoryReport, chart: str) -> Html:
    """The line above a flow chart: what it shows, or why it is left out (one sentence)."""
    shows, left_out = FLOW_NOTES[chart]
    return Html([shows if _drawable(r)[chart] else left_out], tag="p")


def _drawable(r: HistoryReport) -> dict[str, bool]:
    return {"cycle_time": _has_cycle_times(r),
            "cumulative_flow": not hc.cumulative_flow_table(r.history, end=r.as_of).empty,
            "ageing_wip": "start" in r.history.columns}


def cycle_time_scatter(r: HistoryReport) -> hc.AnyChart | None:
    """Cycle time of each finished item by finish date, with percentile lines (None, nothing
    shown, without cycle times: `flow_note` says so)."""
    if not _has_cycle_times(r):
        return None
    return hc.cycle_time_scatter(hc.cycle_time_points(r.history), _percentiles(r))


def cycle_time_histogram(r: HistoryReport) -> hc.AnyChart | None:
    """How many items took how long (None without cycle times)."""
    if not _has_cycle_times(r):
        return None
    return hc.cycle_time_histogram_chart(hc.cycle_time_histogram(r.history), _percentiles(r))


def cumulative_flow(r: HistoryReport) -> hc.AnyChart | None:
    """Cumulative flow up to `as_of` (None without start or per-state dates)."""
    cfd = hc.cumulative_flow_table(r.history, end=r.as_of)
    return None if cfd.empty else hc.cumulative_flow_chart(cfd)


def ageing_wip(r: HistoryReport) -> hc.AnyChart | None:
    """Work in progress at `as_of` against the cycle-time percentiles (None without start
    dates)."""
    if "start" not in r.history.columns:
        return None
    return hc.ageing_wip_chart(hc.ageing_table(r.history, r.as_of), _percentiles(r), r.as_of)


def forecast_chart(r: HistoryReport) -> hc.AnyChart:
    """The forecast's distribution with its P-levels."""
    f = r.forecast
    return hc.forecast_chart(hc.forecast_distribution(f, r.calendar), hc.forecast_levels(f), f)


def coverage_chart(r: HistoryReport) -> hc.AnyChart:
    """Backtest coverage per P-level and sampling method."""
    if r.backtest is None:
        return hc.message(f"No backtest: {r.backtest_note}.", "Backtest coverage")
    return hc.coverage_chart(hc.coverage_table(r.backtest))


def backtest_cases_chart(r: HistoryReport) -> hc.AnyChart:
    """The forecast's own method at each past date against what happened."""
    if r.backtest is None:
        return hc.message(f"No backtest: {r.backtest_note}.", "Backtest over time")
    cases = hc.backtest_cases_table(r.backtest, r.method)
    return hc.backtest_cases_chart(cases, r.backtest.question, r.period.unit)


def all_charts(r: HistoryReport) -> dict[str, hc.AnyChart]:
    """Every chart the report draws, by name (for benchmarks and tests); charts the export
    cannot feed are left out."""
    made = {name: make(r) for name, make in (
        ("forecast", forecast_chart), ("coverage", coverage_chart),
        ("backtest_cases", backtest_cases_chart), ("throughput", throughput_chart),
        ("cycle_time_scatter", cycle_time_scatter), ("cycle_time_histogram", cycle_time_histogram),
        ("cumulative_flow", cumulative_flow), ("ageing_wip", ageing_wip))}
    return {name: chart for name, chart in made.items() if chart is not None}


def footer(r: HistoryReport) -> Html:
    """What reproduces this report: seed, trials, the file's SHA-256 and the version."""
    f = r.forecast
    return Html([f"Seed {f.seed} · {f.trials:,} trials · history SHA-256 {r.sha256[:16]} · "
                 f"TPM Workbench {__version__}"], tag="p")


# --- files ---------------------------------------------------------------------------------------

def summary(r: HistoryReport) -> dict[str, Any]:
    """The summary JSON: history, sample, forecast, stability, backtest, sentences."""
    counts = np.asarray(r.sample.values)
    return {
        "workbench": __version__,
        "history": {**r.loaded.to_dict(), "sha256": r.sha256},
        "as_of": r.as_of.isoformat(),
        "sample": {"first_day": r.window[0].isoformat(), "last_day": r.window[1].isoformat(),
                   "periods": int(counts.size), "items": int(counts.sum()),
                   "mean": round(float(r.sample.mean), 4), "source": r.sample.source},
        "forecast": r.forecast.to_dict(),
        "statements": {"method": method_line(r.forecast),
                       "coverage": coverage_sentences(r.forecast)},
        "raw_forecast": r.raw.to_dict() if r.raw is not None else None,
        "stability": r.stability.to_dict() if r.stability else None,
        "backtest": r.backtest.to_dict() if r.backtest is not None else None,
        "backtest_note": r.backtest_note,
        "summary": summary_sentences(r),
        "report": {"parameters": r.parameters,
                   "made": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
    }


def forecast_frame(r: HistoryReport) -> pd.DataFrame:
    """The forecast table as typed data (confidence as a number, dates as dates)."""
    f = r.forecast
    data: dict[str, Any] = {"confidence": list(f.levels),
                            "periods" if f.question == "when" else "items": list(f.values)}
    if f.question == "when":
        data["date"] = pd.to_datetime(pd.Series(f.dates, dtype=object))
    return pd.DataFrame(data)


def write_outputs(r: HistoryReport, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Tables (Parquet + CSV) and ``summary.json`` into ``out_dir``. The summary is written
    last: its presence means every table beside it is complete."""
    out = output_dir(out_dir)
    frames = {"forecast": forecast_frame(r),
              "throughput": _sample_counts(r.history, r.period, r.calendar, r.as_of,
                                           int(r.parameters.get("window_days") or 0))
              .rename("items").reset_index(),
              "problems": pd.DataFrame([p.to_dict() for p in r.loaded.problems],
                                       columns=["kind", "count", "excluded", "meaning",
                                                "examples"]).astype({"examples": str})}
    if r.backtest is not None:
        frames["backtest_coverage"] = r.backtest.coverage.reset_index()
        frames["backtest_cases"] = r.backtest.cases.replace([np.inf, -np.inf], np.nan)
    written = {name: atomic.write_table(frame, out / name)[0] for name, frame in frames.items()}
    written["summary"] = atomic.write_json(out / SUMMARY_FILE, summary(r))
    return written


def read_summary(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """A history report's summary JSON as written."""
    import json

    return json.loads((output_dir(out_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))


def consistency_problems(r: HistoryReport, out_dir: str | os.PathLike[str]) -> list[str]:
    """Checks on the report's key numbers, each recomputed another way; [] when all hold.

    Rows read = used + in progress + left out; the sample's items equal the finishes counted
    straight from the items in its window; the P-levels are in order; the exact convolution
    agrees with the Monte Carlo answer within one period or a few items; the summary sentence
    quotes P85; the files on disk hold the numbers shown.
    """
    problems = []
    h, f = r.loaded, r.forecast
    if h.rows_used != len(h.items) + len(h.open_items) + h.excluded:
        problems.append("rows read (or kept by where) != used + in progress + left out")
    lo, hi = pd.Timestamp(r.window[0]), pd.Timestamp(r.window[1]) + pd.Timedelta(days=1)
    finish = r.history.items["finish"]
    if r.period.kind != "workday" and int(((finish >= lo) & (finish < hi)).sum()) != int(
            np.sum(r.sample.values)):
        problems.append("sample items differ from the finishes in its window")
    problems += _order_problems(f)
    problems += _exact_problems(r)
    sentence = forecast_sentence(r)
    p85 = _at(f, 85)
    quoted = formats.long_date(p85[1]) if f.question == "when" and p85[0] is not None \
        else f"at least {p85[0]} items" if f.question == "how_many" else "Fewer than 85%"
    if quoted not in sentence:
        problems.append(f"the summary sentence does not quote P85 ({quoted})")
    on_disk = read_summary(out_dir)
    if on_disk["forecast"]["percentiles"] != plain(f.to_dict()["percentiles"]):
        problems.append("summary.json percentiles differ from the forecast shown")
    if r.backtest is not None and on_disk["backtest"]["coverage"] != plain(
            r.backtest.to_dict()["coverage"]):
        problems.append("summary.json backtest coverage differs from the table shown")
    return problems


def _order_problems(f: ThroughputForecast) -> list[str]:
    values = [v for v in f.values if v is not None]
    ordered = values == sorted(values) if f.question == "when" else \
        values == sorted(values, reverse=True)
    return [] if ordered else [f"percentiles out of order: {f.values}"]


def _exact_problems(r: HistoryReport) -> list[str]:
    """Monte Carlo against the exact convolution of the same sample: each P-level within
    sampling error (5% of the exact value, at least one period or two items), for the raw
    forecast and, read at the same levels, for the calibrated one."""
    raw = r.raw or r.forecast
    if raw.question == "when":
        exact = forecast_when(r.items or 0, r.sample, calendar=r.calendar, exact=True,
                              levels=raw.levels)
    else:
        exact = forecast_how_many(raw.by, r.sample, calendar=r.calendar, exact=True,
                                  levels=raw.levels)
    out = _compare(raw, exact, "")
    f = r.forecast
    if f.method == "calibrated" and f.read_at and f.trials:
        out += _bracket(f, exact, r)
    return out


def _bracket(f: ThroughputForecast, exact: ThroughputForecast, r: HistoryReport) -> list[str]:
    """The calibrated Monte Carlo values against the exact distribution read at the same
    levels, give or take 3 standard errors of a level estimated from `trials` futures (far
    levels are read from few futures) and a period or two items."""
    out = []
    slack = 1 if f.question == "when" else 2
    for q, value, at in zip(f.levels, f.values, f.read_at or (), strict=False):
        level = at / 100
        err = 3 * math.sqrt(level * (1 - level) / (f.trials or 1))
        around = np.clip([level - err, level + err], 1e-6, 1 - 1e-6)
        ends, _ = read_levels(exact, around, r.period, r.calendar)
        known = [v for v in ends if v is not None]
        if value is None or len(known) < 2:
            continue
        if not min(known) - slack <= value <= max(known) + slack:
            out.append(f"calibrated P{q:g}: Monte Carlo {value} outside the exact {known}")
    return out


def _compare(mc: ThroughputForecast, exact: ThroughputForecast, what: str) -> list[str]:
    least = 1 if mc.question == "when" else 2
    out = []
    for q, a, b in zip(mc.levels, mc.values, exact.values, strict=True):
        if a is None or b is None:
            # beyond the horizon in one and not the other: fine only when near that edge
            if a != b and exact.not_done <= 0.01:
                out.append(f"{what}P{q:g}: Monte Carlo {a} vs exact {b}")
        elif abs(a - b) > max(least, math.ceil(0.05 * b)):
            out.append(f"{what}P{q:g}: Monte Carlo {a} vs exact {b}")
    return out



# =================================================================================================
# Runner side: `workbench report --history`
# =================================================================================================

def run_history_report(history_path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                       parameters: Mapping[str, Any],
                       notebook: str | os.PathLike[str] = HISTORY_NOTEBOOK,
                       notice: Callable[[str], None] | None = None) -> Any:
    """Execute the history report notebook for an export, then export offline HTML.

    Writes ``OUT/<stem>.ipynb``, ``OUT/<stem>.html`` and ``OUT/<stem>/`` (summary + tables),
    ``<stem>`` being the file's name without extension. ``parameters`` are the notebook's
    (items or by_date, window_days, ...); unknown names or wrong types raise ValueError.
    Returns `runner.ReportFiles`; raises `runner.ReportFailed` (and `lock.FolderInUse`).
    """
    from workbench.reports import runner

    source = Path(history_path).resolve()
    out = Path(out_dir).resolve()
    params = {**parameters, "history_path": str(source), "out_dir": str(out / source.stem)}
    problems = runner.parameter_problems(notebook, params, "workbench report --history")
    if problems:
        raise ValueError("; ".join(problems))
    return runner.make_report(notebook, out, source.stem, params,
                              lambda _: f"{source.name}: forecast from history", notice)
