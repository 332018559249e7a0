"""Backtesting: would our past forecasts have come true?

At many past dates (rolling origins) forecast the next N items (or the items done in the next K
periods) from the data before that date only, then compare with what the team actually did.
Coverage is the share of origins where the forecast came true: for P85 it should be about 85%.
Lower means the forecasts were over-optimistic; much higher, over-cautious.

Teams change pace, so each origin is forecast several ways (`Method`): from all history, from a
recent window, or with recent periods weighted more. The table shows which one is calibrated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.files.exports import History, HistoryError
from workbench.history.flow import WEEK, Period, daily_completions
from workbench.history.flow import period_counts as _period_counts
from workbench.history.throughput import (
    Throughput,
    how_many_exact,
    how_many_levels,
    how_many_monte_carlo,
    recency_weights,
    sampler,
    when_exact,
    when_levels,
    when_monte_carlo,
)
from workbench.scenario.calendar import WorkCalendar

LEVELS: tuple[float, ...] = (50, 85, 95)


@dataclass(frozen=True)
class Method:
    """How the throughput sample is taken at each origin: all the history before it, only the
    last `window_days`, and/or recent periods weighted more (`half_life_days`)."""

    name: str
    window_days: int | None = None
    half_life_days: float | None = None


# The ways a forecast can sample, each scored beside the forecast's own: the team's whole
# history (no reaction to drift), a recent window, and recent periods weighted more.
DEFAULT_METHODS: tuple[Method, ...] = (
    Method("all history"),
    Method("last 90 days", window_days=90),
    Method("recency-weighted (half-life 60 days)", half_life_days=60),
)


def own_method(window_days: int | None, half_life_days: float | None) -> Method:
    """A forecast's own sampling (0 or None: not used), named for the backtest table, e.g.
    'last 90 days (this forecast)'."""
    parts = [f"last {window_days} days" if window_days else "all history"]
    if half_life_days:
        parts.append(f"half-life {half_life_days:g} days")
    return Method(", ".join(parts) + " (this forecast)", window_days or None,
                  half_life_days or None)


def beside(ours: Method, others: Sequence[Method] = DEFAULT_METHODS) -> tuple[Method, ...]:
    """`ours` first (the baseline of `Backtest.helps`), then the others that sample
    differently: what `workbench backtest` and the history report score."""
    same = (ours.window_days, ours.half_life_days)
    return (ours, *(m for m in others if (m.window_days, m.half_life_days) != same))


@dataclass(frozen=True, eq=False)
class Backtest:
    """Backtest results. `cases`: one row per origin and method (forecast per level, actual,
    hit per level). `coverage`: per method, the share of hits per level, the calibration error
    (mean distance from the nominal levels, in points) and the number of cases."""

    question: Literal["when", "how_many"]
    target: int
    period: Period
    levels: tuple[float, ...]
    mode: Literal["exact", "monte carlo"]
    cases: pd.DataFrame
    coverage: pd.DataFrame
    source: str
    notes: tuple[str, ...] = ()

    @property
    def best(self) -> str:
        """The method whose coverage is closest to the nominal levels."""
        return str(self.coverage["calibration_error"].idxmin())

    def helps(self) -> dict[str, bool]:
        """Per method after the first: is it better calibrated than the first (the baseline)?"""
        err = self.coverage["calibration_error"]
        return {str(m): bool(err[m] < err.iloc[0]) for m in err.index[1:]}

    def better_than(self, method: str) -> list[str]:
        """The methods better calibrated than `method`, in table order."""
        err = self.coverage["calibration_error"]
        return [str(m) for m in err.index if err[m] < err[method]]

    def describe(self) -> str:
        """A text table a TPM can read."""
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
            lines.append(str(name).ljust(width) + "".join(f"{row[c]:7.0%}" for c in cols)
                         + f"{row['calibration_error']:13.1f} pts {int(row['cases']):6d}{mark}")
        return "\n".join([*lines, *self.notes])

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        cov = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
               for r in self.coverage.reset_index().to_dict(orient="records")]
        return {"question": self.question, "target": self.target, "period": self.period.unit,
                "levels": list(self.levels), "mode": self.mode, "source": self.source,
                "origins": int(self.cases["origin"].nunique()), "coverage": cov,
                "best": self.best, "helps": self.helps(), "notes": list(self.notes)}


def backtest(history: History, *, items: int | None = None, periods: int | None = None,
             period: Period = WEEK, origins: int = 100,
             methods: Sequence[Method] = DEFAULT_METHODS, min_history_days: int | None = None,
             levels: Sequence[float] = LEVELS, calendar: WorkCalendar | None = None,
             exact: bool = True, trials: int = 10_000, seed: int | None = None) -> Backtest:
    """Replay the history: at `origins` evenly spaced past dates, forecast the next `items`
    items ("when") or the items done in the next `periods` periods ("how many") from the data
    before that date, and score each method's P-levels against what happened."""
    if (items is None) == (periods is None):
        raise ValueError("backtest: give either items (when) or periods (how many)")
    target = int(items if items is not None else periods)  # type: ignore[arg-type]
    if target < 1 or origins < 1:
        raise ValueError("backtest: items/periods and origins must be at least 1")
    units = _Units.of(history, period, calendar or WorkCalendar())
    days = _origin_days(units, target, items is not None, origins, min_history_days)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    rows = []
    for day in days:
        actual = units.actual(day, target, items is not None)
        for m in methods:
            sample = units.train(day, m)
            forecast = _forecast(sample, target, items is not None, levels, exact, trials, rng)
            rows.append((day, m.name, actual, forecast))
    cases = _cases(rows, levels, items is not None, units.first)
    notes = _notes(cases, methods, f"p{levels[0]:g}")
    coverage = _coverage(cases.dropna(subset=["p" + f"{levels[0]:g}"]), methods, levels)
    return Backtest("when" if items is not None else "how_many", target, period, tuple(levels),
                    "exact" if exact else "monte carlo", cases, coverage, history.source, notes)


# ------------------------------------------------------------------------------ the timeline


@dataclass(frozen=True, eq=False)
class _Units:
    """The history as throughput per period, ready to cut at any origin day (a day index)."""

    period: Period
    first: np.datetime64
    daily: np.ndarray
    dates: np.ndarray   # day/workday: each period's day (as an index from `first`)
    counts: np.ndarray  # day/workday: items per period

    @classmethod
    def of(cls, history: History, period: Period, calendar: WorkCalendar) -> _Units:
        first, daily = daily_completions(history)
        if period.kind == "week":
            return cls(period, first, daily, np.arange(daily.size), daily)
        starts, counts = _period_counts(first, daily, period, first, first + daily.size - 1,
                                        calendar)
        return cls(period, first, daily, (starts - first).astype(np.int64), counts)

    @property
    def last(self) -> int:
        return int(self.daily.size - 1)

    def train(self, day: int, method: Method) -> Throughput | None:
        """The sample a forecast made on `day` would have drawn from (None: nothing finished)."""
        lo = 0 if method.window_days is None else max(0, day - method.window_days)
        if self.period.kind == "week":
            n = (day - lo) // self.period.days
            counts = self.daily[day - n * self.period.days:day].reshape(
                n, self.period.days).sum(axis=1)
            starts = day - n * self.period.days + self.period.days * np.arange(n)
        else:
            a, b = np.searchsorted(self.dates, [lo, day])
            counts, starts = self.counts[a:b], self.dates[a:b]
        if not counts.size or not counts.any():
            return None
        end = self.first + day - 1
        weights = recency_weights(self.first + starts, end, self.period, method.half_life_days)
        return Throughput(counts, weights, self.period, method.name)

    def future(self, day: int) -> np.ndarray:
        """What the team actually finished per period from `day` on."""
        if self.period.kind == "week":
            n = (self.last + 1 - day) // self.period.days
            return self.daily[day:day + n * self.period.days].reshape(
                n, self.period.days).sum(axis=1)
        return self.counts[np.searchsorted(self.dates, day):]

    def actual(self, day: int, target: int, when: bool) -> int:
        """Periods it really took to finish `target` items, or items really done in `target`
        periods."""
        ahead = self.future(day)
        if not when:
            return int(ahead[:target].sum())
        return int(np.searchsorted(np.cumsum(ahead), target, side="left")) + 1


def _origin_days(units: _Units, target: int, when: bool, origins: int,
                 min_history_days: int | None) -> np.ndarray:
    """Evenly spaced origins with enough history before and a known outcome after."""
    lo = min_history_days or max(60, 12 * units.period.days)
    if when:
        done_after = units.daily[::-1].cumsum()[::-1]  # items finished from each day on
        hi = int(np.flatnonzero(done_after >= target)[-1]) if done_after[0] >= target else -1
        # an origin must leave its N items finished before the data ends
        while hi >= lo and units.actual(hi, target, True) > units.future(hi).size:
            hi -= 1
    else:
        hi = units.last + 1 - target * units.period.days
        if units.period.kind == "workday":
            hi = int(units.dates[-target]) if units.dates.size >= target else -1
    if hi < lo:
        raise HistoryError(f"backtest: the history is too short for {origins} origins with "
                           f"{lo} days of history before each and the outcome known after")
    return np.unique(np.linspace(lo, hi, origins).round().astype(np.int64))


def _forecast(sample: Throughput | None, target: int, when: bool, levels: Sequence[float],
              exact: bool, trials: int, rng: np.random.Generator
              ) -> tuple[float | None, ...] | None:
    if sample is None:
        return None
    if when:
        if exact:
            need = np.zeros(target + 1)
            need[target] = 1.0
            pmf, _ = when_exact(sample.pmf(), need, _horizon(target, sample))
        else:
            got = when_monte_carlo(sampler(sample, rng), np.full(trials, target),
                                   _horizon(target, sample), sample)
            pmf = np.bincount(got[got >= 0], minlength=1) / trials
        return tuple(np.inf if v is None else v for v in when_levels(pmf, levels))
    if exact:
        pmf = how_many_exact(sample.pmf(), target)
    else:
        pmf = np.bincount(how_many_monte_carlo(sampler(sample, rng), trials, target)) / trials
    return tuple(float(v) if v is not None else 0.0 for v in how_many_levels(pmf, levels))


def _horizon(target: int, sample: Throughput) -> int:
    return int(np.ceil(10 * target / sample.mean)) + 50


# --------------------------------------------------------------------------------- scoring


def _cases(rows: list[tuple[int, str, int, tuple[float | None, ...] | None]],
           levels: Sequence[float], when: bool, first: np.datetime64) -> pd.DataFrame:
    names = [f"p{q:g}" for q in levels]
    data: dict[str, list[Any]] = {"origin_day": [], "method": [], "actual": []}
    data.update({n: [] for n in names})
    for day, method, actual, forecast in rows:
        data["origin_day"].append(day)
        data["method"].append(method)
        data["actual"].append(actual)
        for n, v in zip(names, forecast or (None,) * len(names), strict=True):
            data[n].append(np.nan if v is None else v)
    cases = pd.DataFrame(data)
    cases.insert(0, "origin", (first + cases["origin_day"].to_numpy()).astype("datetime64[s]"))
    for n in names:
        # "when" came true if done on or before the forecast; "how many" if at least as many
        hit = cases["actual"] <= cases[n] if when else cases["actual"] >= cases[n]
        cases["hit_" + n] = hit.where(cases[n].notna())
    return cases


def _coverage(cases: pd.DataFrame, methods: Sequence[Method],
              levels: Sequence[float]) -> pd.DataFrame:
    rows = {}
    for m in methods:
        mine = cases[cases["method"] == m.name]
        cov = {f"P{q:g}": float(mine[f"hit_p{q:g}"].astype(float).mean()) if len(mine)
               else np.nan for q in levels}
        err = float(np.mean([abs(100 * cov[f"P{q:g}"] - q) for q in levels]))
        rows[m.name] = {**cov, "calibration_error": err, "cases": len(mine)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def _notes(cases: pd.DataFrame, methods: Sequence[Method], column: str) -> tuple[str, ...]:
    notes = []
    for m in methods:
        missing = int(cases.loc[cases["method"] == m.name, column].isna().sum())
        if missing:
            notes.append(f"{m.name}: {missing} origin(s) had nothing finished in the sample, "
                         f"so no forecast; left out of its coverage")
    return tuple(notes)
