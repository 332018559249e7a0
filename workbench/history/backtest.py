"""Backtesting: would our past forecasts have come true?

At many past dates (rolling origins) forecast the next N items (or the items done in the next K
periods) from the data before that date only, then compare with what the team actually did.
Coverage is the share of origins where the forecast came true: for P85 it should be about 85%.
Lower means the forecasts were over-optimistic; much higher, over-cautious.

Teams change pace, so each origin is forecast several ways (`Method`): from all history, from a
recent window, or with recent periods weighted more; and, with `calibrate`, the self-calibrated
method (`workbench.history.calibration`) beside the raw one it corrects, on the same origins.
The table shows which one is calibrated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.files.exports import History, HistoryError
from workbench.history import calibration as cal
from workbench.history.flow import WEEK, Period
from workbench.history.throughput import (
    Throughput,
    how_many_exact,
    how_many_levels,
    how_many_monte_carlo,
    period_end_dates,
    sampler,
    when_exact,
    when_levels,
    when_monte_carlo,
)
from workbench.history.timeline import Method, Timeline
from workbench.scenario.calendar import WorkCalendar

__all__ = ["DEFAULT_METHODS", "LEVELS", "Backtest", "Method", "backtest", "beside",
           "calibrated_name", "own_method"]

LEVELS: tuple[float, ...] = (50, 85, 95)


# The ways a forecast can sample, each scored beside the forecast's own: the team's whole
# history (no reaction to drift), a recent window, and recent periods weighted more.
DEFAULT_METHODS: tuple[Method, ...] = (
    Method("all history"),
    Method("last 90 days", window_days=90),
    Method("recency-weighted (half-life 60 days)", half_life_days=60),
)


def own_method(window_days: int | None, half_life_days: float | None,
               calibrated: bool = False) -> Method:
    """A forecast's own sampling (0 or None: not used), named for the backtest table, e.g.
    'last 90 days (this forecast)'; with `calibrated`, the raw sampling the calibrated
    forecast corrects: 'last 90 days (raw: this forecast before calibration)'."""
    parts = [f"last {window_days} days" if window_days else "all history"]
    if half_life_days:
        parts.append(f"half-life {half_life_days:g} days")
    mark = "raw: this forecast before calibration" if calibrated else "this forecast"
    return Method(", ".join(parts) + f" ({mark})", window_days or None, half_life_days or None)


def calibrated_name(base: Method, ours: bool = True) -> str:
    """The backtest row of the calibrated method on `base`: 'calibrated last 90 days (this
    forecast)', or without the mark when the forecast is not calibrated."""
    return "calibrated " + base.name.split(" (")[0] + (" (this forecast)" if ours else "")


def beside(ours: Method, others: Sequence[Method] = DEFAULT_METHODS) -> tuple[Method, ...]:
    """`ours` first (the baseline of `Backtest.helps`), then the others that sample
    differently: what `workbench backtest` and the history report score."""
    same = (ours.window_days, ours.half_life_days)
    return (ours, *(m for m in others if (m.window_days, m.half_life_days) != same))


@dataclass(frozen=True, eq=False)
class Backtest:
    """Backtest results. `cases`: one row per origin and method (forecast per level, actual,
    hit per level, the level the raw forecast was read at; for "when" also the dates). The
    calibrated row, if any, is first. `coverage`: per method, the share of hits per level, the
    calibration error (mean distance from the nominal levels, in points) and the number of
    cases."""

    question: Literal["when", "how_many"]
    target: int
    period: Period
    levels: tuple[float, ...]
    mode: Literal["exact", "monte carlo"]
    cases: pd.DataFrame
    coverage: pd.DataFrame
    source: str
    notes: tuple[str, ...] = ()
    calibrated: str | None = None

    @property
    def best(self) -> str:
        """The method whose coverage is closest to the nominal levels."""
        return str(self.coverage["calibration_error"].idxmin())

    @property
    def raw_methods(self) -> list[str]:
        """The rows of raw methods (every row but the calibrated one)."""
        return [str(m) for m in self.coverage.index if m != self.calibrated]

    def helps(self) -> dict[str, bool]:
        """Per method after the first: is it better calibrated than the first (the baseline)?"""
        err = self.coverage["calibration_error"]
        return {str(m): bool(err[m] < err.iloc[0]) for m in err.index[1:]}

    def better_than(self, method: str) -> list[str]:
        """The methods better calibrated than `method`, in table order."""
        err = self.coverage["calibration_error"]
        return [str(m) for m in err.index if err[m] < err[method]]

    def coverage_of(self, method: str, level: float) -> tuple[float | None, int]:
        """How often `method`'s P`level` came true, and on how many past forecasts."""
        row = self.coverage.loc[method]
        share = row.get(f"P{level:g}")
        cases = int(row["cases"])
        return (None if share is None or pd.isna(share) or not cases else float(share)), cases

    def describe(self) -> str:
        """A text table a TPM can read: raw and calibrated side by side."""
        what = (f"the next {self.target} items" if self.question == "when"
                else f"items done in the next {self.target} {self.period.unit}s")
        origins = self.cases["origin"]
        lines = [f"Backtest of {what} ({self.source}), {self.period.describe()}, {self.mode}:",
                 f"{origins.nunique()} origins {origins.min():%Y-%m-%d} to "
                 f"{origins.max():%Y-%m-%d}; coverage = share of cases where the forecast came "
                 f"true (should match the level)"]
        cols = [f"P{q:g}" for q in self.levels]
        width = max(len(m) for m in self.coverage.index) + 2
        lines.append("method".ljust(width) + "".join(c.rjust(7) for c in cols)
                     + "  calibration error  cases")
        for name, row in self.coverage.iterrows():
            mark = "  <- best" if name == self.best else ""
            cells = "".join("    n/a" if pd.isna(row[c]) else f"{row[c]:7.0%}" for c in cols)
            err = "     n/a    " if pd.isna(row["calibration_error"]) else \
                f"{row['calibration_error']:13.1f} pts"
            lines.append(str(name).ljust(width) + cells + f"{err} {int(row['cases']):6d}{mark}")
        return "\n".join([*lines, *self.notes])

    def cases_table(self) -> pd.DataFrame:
        """Every origin and method with its forecast per level and what happened, as a TPM
        reads it: dates for "when" (due per level, done on), items for "how many"."""
        c = self.cases
        out = pd.DataFrame({"origin": c["origin"].dt.date, "method": c["method"]})
        for q in self.levels:
            name = f"p{q:g}"
            if self.question == "when":
                out[f"P{q:g} by"] = c["by_" + name].dt.date
            else:
                out[f"P{q:g} items"] = c[name]
            out[f"P{q:g} read at"] = c["read_" + name].round(4)
        out["done on" if self.question == "when" else "items done"] = (
            c["done_on"].dt.date if self.question == "when" else c["actual"])
        for q in self.levels:
            hit = c[f"hit_p{q:g}"]
            out[f"P{q:g} came true"] = hit.map({True: "yes", False: "no"}).fillna("no forecast")
        return out

    def renamed(self, names: dict[str, str]) -> Backtest:
        """The same backtest with rows renamed (e.g. which one is "this forecast")."""
        cases = self.cases.assign(method=self.cases["method"].replace(names))
        coverage = self.coverage.rename(index=names)
        notes = tuple(_rename_in(n, names) for n in self.notes)
        cal_row = names.get(self.calibrated, self.calibrated) if self.calibrated else None
        return replace(self, cases=cases, coverage=coverage, notes=notes, calibrated=cal_row)

    def error_where_both(self, a: str, b: str) -> tuple[float, float]:
        """The calibration errors of rows `a` and `b` on the origins where both forecast (a
        fair comparison: the calibrated row starts later)."""
        c = self.cases.dropna(subset=[f"p{self.levels[0]:g}"])
        days = set(c.loc[c["method"] == a, "origin_day"]) & set(
            c.loc[c["method"] == b, "origin_day"])
        both = c[c["origin_day"].isin(days)]
        errors = []
        for name in (a, b):
            mine = both[both["method"] == name]
            cov = {f"P{q:g}": float(mine[f"hit_p{q:g}"].astype(float).mean()) if len(mine)
                   else np.nan for q in self.levels}
            errors.append(calibration_error(cov, self.levels))
        return errors[0], errors[1]

    def to_dict(self, cases: bool = False) -> dict[str, Any]:
        """Plain data for JSON (`cases`: with every origin's forecast and outcome)."""
        cov = [{k: _plain(v) for k, v in r.items()}
               for r in self.coverage.reset_index().to_dict(orient="records")]
        out = {"question": self.question, "target": self.target, "period": self.period.unit,
               "levels": list(self.levels), "mode": self.mode, "source": self.source,
               "origins": int(self.cases["origin"].nunique()), "coverage": cov,
               "best": self.best, "helps": self.helps(), "calibrated": self.calibrated,
               "notes": list(self.notes)}
        if cases:
            out["cases"] = [{k: _plain(v) for k, v in r.items()}
                            for r in self.cases_table().to_dict(orient="records")]
        return out


def _rename_in(text: str, names: dict[str, str]) -> str:
    for old, new in names.items():
        if text.startswith(old + ":"):
            return new + text[len(old):]
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, float) and (np.isnan(value) or np.isinf(value)):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return None if value is pd.NaT else value


def backtest(history: History, *, items: int | None = None, periods: int | None = None,
             period: Period = WEEK, origins: int = 100,
             methods: Sequence[Method] = DEFAULT_METHODS, min_history_days: int | None = None,
             levels: Sequence[float] = LEVELS, calendar: WorkCalendar | None = None,
             exact: bool = True, trials: int = 10_000, seed: int | None = None,
             calibrate: Method | None = None, past: cal.PastCases | None = None) -> Backtest:
    """Replay the history: at `origins` evenly spaced past dates, forecast the next `items`
    items ("when") or the items done in the next `periods` periods ("how many") from the data
    before that date, and score each method's P-levels against what happened. `calibrate`
    adds the calibrated method on that raw sampling (exact probabilities), scored on the same
    origins; `past` is its replay of the same question if already made (`cal.past_cases`)."""
    target, when = _question(items, periods, origins)
    line = Timeline.of(history, period, calendar or WorkCalendar())
    days = _origin_days(line, target, when, origins, min_history_days)
    run = _Run(line, target, when, tuple(levels), exact, trials,
               np.random.default_rng(np.random.SeedSequence(seed)))
    rows = [run.row(day, m) for day in days for m in methods]
    name = None
    if calibrate is not None and not cal.unsupported(period):
        name = calibrated_name(calibrate)
        rows = run.calibrated(days, calibrate, name, past) + rows
        methods = (Method(name), *methods)
    cases = _cases(rows, levels, line.first)
    notes = _notes(cases, methods, f"p{levels[0]:g}", name)
    coverage = _coverage(cases.dropna(subset=["p" + f"{levels[0]:g}"]), methods, levels)
    return Backtest("when" if when else "how_many", target, period, tuple(levels),
                    "exact" if exact else "monte carlo", cases, coverage, history.source, notes,
                    name)


def _question(items: int | None, periods: int | None, origins: int) -> tuple[int, bool]:
    """The target (items or periods) and whether it is a "when" question; ValueError if the
    question is not one of the two, or not at least 1."""
    if (items is None) == (periods is None):
        raise ValueError("backtest: give either items (when) or periods (how many)")
    target = int(items if items is not None else periods)  # type: ignore[arg-type]
    if target < 1 or origins < 1:
        raise ValueError("backtest: items/periods and origins must be at least 1")
    return target, items is not None


# ------------------------------------------------------------------------------ the origins


def _origin_days(line: Timeline, target: int, when: bool, origins: int,
                 min_history_days: int | None) -> np.ndarray:
    """Evenly spaced origins with enough history before and a known outcome after."""
    lo = cal.first_origin(line, min_history_days)
    if when:
        done_after = line.daily[::-1].cumsum()[::-1]  # items finished from each day on
        hi = int(np.flatnonzero(done_after >= target)[-1]) if done_after[0] >= target else -1
        # an origin must leave its N items finished before the data ends
        while hi >= lo and line.actual(hi, target, True) > line.future(hi).size:
            hi -= 1
    else:
        hi = line.last + 1 - target * line.period.days
        if line.period.kind == "workday":
            hi = int(line.dates[-target]) if line.dates.size >= target else -1
    if hi < lo:
        raise HistoryError(f"backtest: the history is too short for {origins} origins with "
                           f"{lo} days of history before each and the outcome known after")
    return np.unique(np.linspace(lo, hi, origins).round().astype(np.int64))


@dataclass(frozen=True)
class _Row:
    """One forecast at one origin: values per level (in periods), the same in the finest unit
    of the outcome (days for weeks), the levels they were read at, and what happened."""

    day: int
    method: str
    actual: int
    fine_actual: int
    values: tuple[float, ...] | None
    fine: tuple[float, ...] | None
    read: tuple[float, ...]
    due: tuple[dt.date | None, ...] | None
    done_on: dt.date | None


@dataclass(frozen=True, eq=False)
class _Run:
    """What every row of one backtest shares: the timeline, the question and how to compute."""

    line: Timeline
    target: int
    when: bool
    levels: tuple[float, ...]
    exact: bool
    trials: int
    rng: np.random.Generator
    exact_pmfs: dict[tuple[int, Method], np.ndarray] = field(default_factory=dict)
    work: list[np.ndarray] = field(default_factory=list)  # 1 per working day, from day 0

    def row(self, day: int, method: Method) -> _Row:
        """The raw `method`'s forecast made on `day`."""
        sample = self.line.train(day, method)
        pmf = None if sample is None else self._pmf(sample, self.exact)
        if pmf is not None and self.exact:  # the calibrated row reads the same distribution
            self.exact_pmfs[(day, method)] = pmf
        values = None if pmf is None else self._raw_values(pmf)
        return self._row(day, method.name, values, tuple(q / 100 for q in self.levels))

    def calibrated(self, days: np.ndarray, base: Method, name: str,
                   past: cal.PastCases | None) -> list[_Row]:
        """The calibrated method on `base` at each origin (None values: too little history).
        It learns from every past day with the usual history before it, wherever the
        backtest's own origins begin."""
        cases = past or cal.past_cases(self.line, base, self.target, self.when)
        read = cal.calibrated_levels(cases, days, [q / 100 for q in self.levels])
        rows = []
        for day, levels in zip(days, read, strict=True):
            pmf = self._base_pmf(int(day), base)
            ok = pmf is not None and not np.isnan(levels).any()
            values = self._read(pmf, levels, int(day)) if ok and pmf is not None else None
            rows.append(self._row(int(day), name, values, tuple(levels.tolist())))
        return rows

    def _base_pmf(self, day: int, base: Method) -> np.ndarray | None:
        if (day, base) in self.exact_pmfs:
            return self.exact_pmfs[(day, base)]
        sample = self.line.train(day, base)
        return None if sample is None else self._pmf(sample, True)

    def _row(self, day: int, name: str, values: tuple[float, ...] | None,
             read: tuple[float, ...]) -> _Row:
        actual = self.line.actual(day, self.target, self.when)
        if not self.when:
            return _Row(day, name, actual, actual, values, values, read, None, None)
        done = self.line.finish_day(day, self.target)
        fine_actual = done - day + 1 if self._daily else actual
        fine = None if values is None else tuple(v * self._step for v in values)
        return _Row(day, name, actual, fine_actual, values, fine, read,
                    None if values is None else self._due(day, values), self._date(done))

    @property
    def _daily(self) -> bool:
        return self.line.period.kind != "workday"

    @property
    def _step(self) -> int:
        return self.line.period.days if self._daily else 1

    def _date(self, day: int) -> dt.date:
        return (self.line.first + day).astype(dt.date)

    def _due(self, day: int, values: tuple[float, ...]) -> tuple[dt.date | None, ...]:
        """The last day each "when" value counts (a period's last calendar day, or a
        calibrated day inside one): done on or before it, the forecast came true."""
        start = self._date(day)
        if not self._daily:  # working days: the period's own day
            return tuple(None if not np.isfinite(v) else period_end_dates(
                start, np.array([int(v)]), self.line.period, self.line.calendar
            ).astype(dt.date)[0] for v in values)
        return tuple(None if not np.isfinite(v) else
                     start + dt.timedelta(days=round(v * self._step) - 1) for v in values)

    def _work(self, day: int, days: int) -> np.ndarray:
        """1 for each working day of the `days` from `day` on (one calendar for the run)."""
        if not self.work or self.work[0].size < day + days:
            span = max(day + days, self.line.last + 1) * 2
            self.work[:] = [cal.work_days(self.line.calendar, self._date(0), span)]
        return self.work[0][day:day + days]

    def _pmf(self, sample: Throughput, exact: bool) -> np.ndarray:
        """The distribution of periods needed ("when") or items done ("how many")."""
        if self.when:
            horizon = _horizon(self.target, sample)
            if exact:
                need = np.zeros(self.target + 1)
                need[self.target] = 1.0
                return when_exact(sample.pmf(), need, horizon)[0]
            got = when_monte_carlo(sampler(sample, self.rng), np.full(self.trials, self.target),
                                   horizon, sample)
            return np.bincount(got[got >= 0], minlength=1) / self.trials
        if exact:
            return how_many_exact(sample.pmf(), self.target)
        done = how_many_monte_carlo(sampler(sample, self.rng), self.trials, self.target)
        return np.bincount(done) / self.trials

    def _raw_values(self, pmf: np.ndarray) -> tuple[float, ...]:
        if self.when:
            return tuple(np.inf if v is None else float(v) for v in when_levels(pmf, self.levels))
        return tuple(float(v) if v is not None else 0.0 for v in how_many_levels(pmf, self.levels))

    def _read(self, pmf: np.ndarray, levels: np.ndarray, day: int) -> tuple[float, ...]:
        """The raw distribution read at the calibrated levels (for "when" over weeks, to the
        day: values in fractional periods)."""
        if not self.when:
            return tuple(float(v or 0) for v in cal.how_many_values(pmf, levels.tolist()))
        days = cal.when_days(pmf, levels.tolist(), self._step,
                             self._work(day, (pmf.size + 1) * self._step))
        return tuple(np.inf if d is None else d / self._step for d in days)


def _horizon(target: int, sample: Throughput) -> int:
    return int(np.ceil(10 * target / sample.mean)) + 50


# --------------------------------------------------------------------------------- scoring


def _cases(rows: list[_Row], levels: Sequence[float], first: np.datetime64) -> pd.DataFrame:
    when = any(r.done_on is not None for r in rows)
    data: dict[str, Any] = {"origin_day": [r.day for r in rows],
                            "method": [r.method for r in rows],
                            "actual": [r.actual for r in rows]}
    for i, q in enumerate(levels):
        data.update(_level_columns(rows, i, f"p{q:g}", when))
    if when:
        data["done_on"] = pd.to_datetime(pd.Series([r.done_on for r in rows], dtype=object))
    cases = pd.DataFrame(data)
    cases.insert(0, "origin", (first + cases["origin_day"].to_numpy()).astype("datetime64[s]"))
    return cases


def _level_columns(rows: list[_Row], i: int, name: str, when: bool) -> dict[str, Any]:
    """One level's columns: the value, the level read at, came true?, and the due date."""
    fine = np.array([np.nan if r.fine is None else r.fine[i] for r in rows], dtype=float)
    actual = np.array([r.fine_actual for r in rows], dtype=float)
    # "when" came true if done on or before the forecast; "how many" if at least as many
    hit = actual <= fine if when else actual >= fine
    out: dict[str, Any] = {name: [np.nan if r.values is None else r.values[i] for r in rows],
                           "read_" + name: [r.read[i] for r in rows],
                           "hit_" + name: pd.Series(hit, dtype=object).where(~np.isnan(fine),
                                                                              None)}
    if when:
        out["by_" + name] = pd.to_datetime(pd.Series(
            [None if r.due is None else r.due[i] for r in rows], dtype=object))
    return out


def _coverage(cases: pd.DataFrame, methods: Sequence[Method],
              levels: Sequence[float]) -> pd.DataFrame:
    rows = {}
    for m in methods:
        mine = cases[cases["method"] == m.name]
        cov = {f"P{q:g}": float(mine[f"hit_p{q:g}"].astype(float).mean()) if len(mine)
               else np.nan for q in levels}
        rows[m.name] = {**cov, "calibration_error": calibration_error(cov, levels),
                        "cases": len(mine)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def calibration_error(coverage: dict[str, float], levels: Sequence[float]) -> float:
    """Mean distance in points of the coverage from the levels, over P50, P85 and P95 (the
    same figure whichever other levels a table shows); over `levels` if it has none of them."""
    scored = [q for q in levels if q in LEVELS] or list(levels)
    return float(np.mean([abs(100 * coverage[f"P{q:g}"] - q) for q in scored]))


def _notes(cases: pd.DataFrame, methods: Sequence[Method], column: str,
           calibrated: str | None) -> tuple[str, ...]:
    notes = []
    for m in methods:
        missing = int(cases.loc[cases["method"] == m.name, column].isna().sum())
        if missing and m.name == calibrated:
            notes.append(f"{m.name}: {missing} origin(s) had fewer than {cal.MIN_CASES} past "
                         f"forecasts with a known outcome, so no calibrated forecast; left out "
                         f"of its coverage")
        elif missing:
            notes.append(f"{m.name}: {missing} origin(s) had nothing finished in the sample, "
                         f"so no forecast; left out of its coverage")
    return tuple(notes)
