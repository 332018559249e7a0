"""The history as throughput per period, ready to cut at any past day: what a forecast made on
that day would have sampled (`Timeline.train`), and what the team then actually did
(`Timeline.actual`). The backtest and the self-calibration both replay the past through it.

Days are indices from the first finish (day 0). A forecast made "on day d" uses the data of
days before d only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.files.exports import History
from workbench.history.flow import Period, daily_completions
from workbench.history.flow import period_counts as _period_counts
from workbench.history.throughput import Throughput, recency_weights
from workbench.scenario.calendar import WorkCalendar


@dataclass(frozen=True)
class Method:
    """How the throughput sample is taken at each origin: all the history before it, only the
    last `window_days`, and/or recent periods weighted more (`half_life_days`)."""

    name: str
    window_days: int | None = None
    half_life_days: float | None = None


@dataclass(frozen=True, eq=False)
class Timeline:
    """The history as throughput per period, ready to cut at any origin day (a day index)."""

    period: Period
    first: np.datetime64
    daily: np.ndarray
    dates: np.ndarray   # day/workday: each period's day (as an index from `first`)
    counts: np.ndarray  # day/workday: items per period
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    @classmethod
    def of(cls, history: History, period: Period, calendar: WorkCalendar) -> Timeline:
        """Cut a history into daily counts and, for working days, into periods."""
        first, daily = daily_completions(history)
        if period.kind == "week":
            return cls(period, first, daily, np.arange(daily.size), daily, calendar)
        starts, counts = _period_counts(first, daily, period, first, first + daily.size - 1,
                                        calendar)
        return cls(period, first, daily, (starts - first).astype(np.int64), counts, calendar)

    @property
    def last(self) -> int:
        """The last day of data (an index)."""
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

    def finish_day(self, day: int, target: int) -> int:
        """The day (index) the `target`-th item from `day` on was finished (past the data's
        last day if it never was)."""
        total = np.cumsum(self.daily[day:])
        return day + int(np.searchsorted(total, target, side="left"))
