"""Throughput forecasts: "when will these N items be done?" and "how many by this date?",
answered by replaying the team's past throughput (items finished per period) into the future.

Two ways to compute the same answer:
- Monte Carlo: `trials` futures, each drawing one throughput per period from the sample,
  vectorised in NumPy (blocks of periods for all trials at once, no per-trial Python loop);
- exact: the probability of each outcome by convolving the per-period throughput distribution,
  with no sampling noise (and far faster). Scope ranges and risks are handled exactly too.

Throughput is counted in whole items. An estimate given as a triangular range is rounded to whole
items (half up, like a spreadsheet's ROUND); this reproduces Focused Objective's Throughput
Forecaster on its default inputs (7 / 8 / 9 weeks), as does not rounding at all.

Reading the tables: for "when", the P85 period is the first one by which at least 85% of
futures were done. For "how many", the P85 count is the largest count reached in at least 85%
of futures: the more confident figure is the smaller one.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.files.exports import History, HistoryError
from workbench.history.flow import WEEK, Period, daily_completions, period_counts
from workbench.history.flow import throughput as run_chart  # the items per period, all history
from workbench.scenario.calendar import WorkCalendar

LEVELS: tuple[float, ...] = (50, 70, 85, 95)
CHUNK = 1 << 20  # draws held at once: bounds memory whatever the trials or horizon
TOL = 1e-9       # float slack when comparing probabilities and scaled counts
LEFT = 1e-10     # exact mode stops when less than this chance of not being done is left
QUIET = 0.25     # a sample below this share of the history's mean pace is flagged


@dataclass(frozen=True)
class ScopeRisk:
    """Something that may add work: with `probability`, `low`..`high` more items (whole,
    equally likely). Added after splitting: they are counted as they will be delivered."""

    probability: float
    low: int
    high: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.probability <= 1:
            raise ValueError(f"risk {self.name or ''}: probability must be within 0..1 "
                             f"(got {self.probability})")
        if self.low < 0 or (self.high is not None and self.high < self.low):
            raise ValueError(f"risk {self.name or ''}: items need 0 <= low <= high")

    @property
    def top(self) -> int:
        """The largest number of items it can add."""
        return self.low if self.high is None else self.high


@dataclass(frozen=True, eq=False)
class Throughput:
    """Items finished per period: what the team has shown (or is estimated) to deliver.

    `values` are whole item counts, one per observed period (or each possible value of an
    estimate); `weights` their probabilities (None: every observation equally likely).
    `last_day` is the last day of data: a forecast starts the day after unless told otherwise.
    """

    values: np.ndarray
    weights: np.ndarray | None
    period: Period
    source: str
    last_day: dt.date | None = None

    def __post_init__(self) -> None:
        v = np.asarray(self.values)
        if v.size == 0 or np.any(v < 0) or np.any(v != np.round(v)):
            raise ValueError("throughput: a non-empty sample of whole, non-negative item counts")
        if self.weights is not None and (len(self.weights) != v.size or
                                         np.any(np.asarray(self.weights) < 0)):
            raise ValueError("throughput: one non-negative weight per value")
        if not np.any(self._pmf[1:] > 0):
            raise ValueError(f"throughput: {self.source} never finishes anything (all periods "
                             f"zero); choose a longer window or another period")

    @classmethod
    def from_counts(cls, counts: Sequence[int] | np.ndarray, period: Period = WEEK,
                    source: str = "given sample") -> Throughput:
        """A sample typed in: items finished in each past period."""
        values = np.asarray(counts)
        if values.size == 0 or np.any(values != np.round(values)) or np.any(values < 0):
            raise ValueError("throughput: a non-empty sample of whole, non-negative item counts")
        values = values.astype(np.int64)
        return cls(values, None, period, f"{source}: {len(values)} {period.unit}s, "
                                         f"mean {values.mean():.2f}")

    @classmethod
    def uniform(cls, low: int, high: int, period: Period = WEEK) -> Throughput:
        """An estimate: any whole number from `low` to `high` items per period, equally likely."""
        if not 0 <= low <= high:
            raise ValueError(f"throughput estimate: needs 0 <= low <= high (got {low}, {high})")
        values = np.arange(low, high + 1)
        return cls(values, np.full(values.size, 1 / values.size), period,
                   f"estimate uniform {low}-{high} per {period.unit}")

    @classmethod
    def triangular(cls, low: float, mode: float, high: float,
                   period: Period = WEEK) -> Throughput:
        """An estimate: min / most likely / max items per period, rounded to whole items."""
        if not 0 <= low <= mode <= high:
            raise ValueError(f"throughput estimate: needs 0 <= min <= mode <= max "
                             f"(got {low}, {mode}, {high})")
        values, probs = _rounded_triangular(low, mode, high)
        return cls(values, probs, period,
                   f"estimate triangular {low:g}/{mode:g}/{high:g} per {period.unit}, "
                   f"rounded to whole items")

    def pmf(self) -> np.ndarray:
        """Probability of finishing 0, 1, 2 ... items in one period."""
        return self._pmf.copy()

    @functools.cached_property
    def _pmf(self) -> np.ndarray:
        v = np.asarray(self.values, dtype=np.int64)
        w = None if self.weights is None else np.asarray(self.weights, dtype=float)
        p = np.bincount(v, weights=w).astype(float)
        return p / p.sum()

    @functools.cached_property
    def mean(self) -> float:
        """Average items per period."""
        p = self._pmf
        return float(p @ np.arange(p.size))


def _rounded_triangular(a: float, c: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    if a == b:
        return np.array([math.floor(a + 0.5)]), np.array([1.0])

    def cdf(x: np.ndarray) -> np.ndarray:
        x = np.clip(x, a, b)
        left = (x - a) ** 2 / ((b - a) * (c - a)) if c > a else np.zeros_like(x)
        right = 1 - (b - x) ** 2 / ((b - a) * (b - c)) if b > c else np.ones_like(x)
        return np.where(x <= c, left, right)

    ks = np.arange(math.floor(a + 0.5), math.floor(b + 0.5) + 1)
    probs = cdf(ks + 0.5) - cdf(ks - 0.5)
    return ks, probs / probs.sum()


def throughput_from_history(history: History, period: Period = WEEK, *,
                            window_days: int | None = None, as_of: dt.date | None = None,
                            half_life_days: float | None = None,
                            calendar: WorkCalendar | None = None) -> Throughput:
    """The throughput sample a forecast draws from: items finished per period over the last
    `window_days` days up to `as_of` (default: the whole history to its last finish).
    `half_life_days` weights recent periods more: a period that many days older counts half."""
    first, daily = daily_completions(history)
    end = np.datetime64(as_of, "D") if as_of else first + len(daily) - 1
    start = first if window_days is None else max(first, end - window_days + 1)
    if window_days is not None and window_days < 1:
        raise ValueError(f"window_days: at least 1 (got {window_days})")
    if end < first:
        raise HistoryError(f"{history.source}: as_of {as_of} is before the first finish "
                           f"({first})")
    starts, counts = period_counts(first, daily, period, start, end, calendar)
    if not counts.size:
        raise HistoryError(f"{history.source}: the window holds no whole {period.unit}; "
                           f"choose a longer window or a shorter period")
    weights = recency_weights(starts, end, period, half_life_days)
    source = (f"{history.source}: {counts.size} {period.unit}s {starts[0]} to {end}, "
              f"{int(counts.sum())} items, mean {counts.mean():.2f} per {period.unit}"
              + (f", recency half-life {half_life_days:g} days" if half_life_days else ""))
    return Throughput(counts, weights, period, source, end.astype(dt.date))


def quiet_pace(history: History, sample: Throughput,
               calendar: WorkCalendar | None = None) -> float | None:
    """The whole history's mean pace per period when the sample runs under `QUIET` of it (an
    export cut short, or a recent window that caught a lull), else None."""
    overall = float(run_chart(history, sample.period, calendar, end=sample.last_day).mean())
    return overall if sample.mean < QUIET * overall else None


def recency_weights(starts: np.ndarray, end: np.datetime64, period: Period,
                    half_life_days: float | None) -> np.ndarray | None:
    """Weights halving every `half_life_days` of age (age: from a period's last day to `end`)."""
    if half_life_days is None:
        return None
    if half_life_days <= 0:
        raise ValueError(f"half_life_days: must be positive (got {half_life_days})")
    age = (end - (starts + period.days - 1)).astype(float)
    w = 0.5 ** (np.maximum(age, 0) / half_life_days)
    return w / w.sum()


# --------------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class ThroughputForecast:
    """A forecast's answer and how it was reached.

    `values[i]` answers at confidence `levels[i]`: periods needed ("when"; None if not within
    the horizon) or items done ("how_many"). `dates[i]` is the calendar date a "when" answer
    lands on. `pmf[v]` is the probability of each value; `not_done` the chance of not finishing
    within `max_periods`.

    `method` is "raw" (read straight off the simulated futures) or "calibrated" (read at the
    levels `read_at`, in percent, that came true as often as stated on the team's past: see
    `workbench.history.calibration`); `sampling` names the throughput sample, `coverage` is
    per level (share of past such forecasts that came true, how many) when it was measured,
    and `note` says why a forecast is raw or its coverage unmeasured.
    """

    question: Literal["when", "how_many"]
    mode: Literal["exact", "monte carlo"]
    period: Period
    levels: tuple[float, ...]
    values: tuple[int | None, ...]
    dates: tuple[dt.date | None, ...]
    pmf: np.ndarray
    not_done: float
    start: dt.date | None
    by: dt.date | None
    periods: int | None
    scope: str
    throughput: str
    calendar: str
    trials: int | None
    seed: int | None
    method: Literal["raw", "calibrated"] = "raw"
    sampling: str = ""
    read_at: tuple[float, ...] | None = None
    coverage: tuple[tuple[float | None, int], ...] | None = None
    note: str = ""

    @property
    def mean(self) -> float:
        """Average value (over the futures that finished, for "when")."""
        p = self.pmf / max(self.pmf.sum(), 1e-300)
        return float(p @ np.arange(p.size))

    @property
    def sd(self) -> float:
        """Standard deviation of the value."""
        p = self.pmf / max(self.pmf.sum(), 1e-300)
        k = np.arange(p.size)
        return float(math.sqrt(max(p @ (k - self.mean) ** 2, 0.0)))

    def table(self) -> pd.DataFrame:
        """One row per confidence level."""
        name = f"{self.period.unit}s" if self.question == "when" else "items"
        data: dict[str, Any] = {"confidence": [f"{q:g}%" for q in self.levels], name: self.values}
        if self.question == "when":
            data["date"] = self.dates
        return pd.DataFrame(data)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        key = "periods" if self.question == "when" else "items"
        rows = [{"confidence": q, key: v, **({"date": d.isoformat() if d else None}
                                              if self.question == "when" else {})}
                for q, v, d in zip(self.levels, self.values, self.dates, strict=True)]
        for i, row in enumerate(rows):
            row["read_at"] = self.read_at[i] if self.read_at else row["confidence"]
            share, cases = self.coverage[i] if self.coverage else (None, 0)
            row.update(came_true=share, cases=cases)
        return {"question": self.question, "method": self.method, "sampling": self.sampling,
                "note": self.note, "mode": self.mode, "period": self.period.unit,
                "period_meaning": self.period.describe(), "calendar": self.calendar,
                "start": _iso(self.start), "by": _iso(self.by), "periods": self.periods,
                "scope": self.scope, "throughput": self.throughput, "trials": self.trials,
                "seed": self.seed, "mean": round(self.mean, 4), "sd": round(self.sd, 4),
                "not_done": self.not_done, "percentiles": rows}


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


# ------------------------------------------------------------------------------- forecasts


def forecast_when(remaining: int | tuple[int, int], throughput: Throughput, *,
                  split: tuple[float, float] | None = None, risks: Sequence[ScopeRisk] = (),
                  focus: float = 1.0, start: dt.date | None = None,
                  calendar: WorkCalendar | None = None, levels: Sequence[float] = LEVELS,
                  trials: int = 10_000, seed: int | None = None, exact: bool = False,
                  max_periods: int | None = None) -> ThroughputForecast:
    """When will `remaining` items (a count, or a low-high range) be done?

    `split` multiplies the count (uniform low-high, rounded up: stories split as they are
    worked); `risks` may add items; `focus` is the share of the team's throughput that goes to
    this work. Returns periods and dates per confidence level.
    """
    scope = _Scope.of(remaining, split, risks, focus)
    limit = max_periods or _default_horizon(scope.top, throughput.mean, throughput.period)
    _check_run(trials, levels, exact)
    ss = None if exact else np.random.SeedSequence(seed)
    if ss is None:
        periods_pmf, not_done = when_exact(throughput._pmf, scope.pmf(), limit)
    else:
        rngs = [np.random.default_rng(s) for s in ss.spawn(4)]
        need = scope.draw(rngs[:3], trials)
        got = when_monte_carlo(sampler(throughput, rngs[3]), need, limit, throughput)
        periods_pmf = np.bincount(got[got >= 0], minlength=1) / trials
        not_done = float(np.mean(got < 0))
    values = when_levels(periods_pmf, levels)
    begin = start or _next_day(throughput.last_day)
    cal = calendar or WorkCalendar()
    dates = _dates_for(begin, values, throughput.period, cal)
    return ThroughputForecast("when", "exact" if exact else "monte carlo", throughput.period,
                    tuple(levels), values, dates, periods_pmf, not_done, begin, None, None,
                    scope.describe(), throughput.source, _cal_label(throughput.period, cal),
                    None if ss is None else trials, None if ss is None else _seed_of(ss))


def forecast_how_many(by: dt.date | None, throughput: Throughput, *,
                      periods: int | None = None, focus: float = 1.0,
                      start: dt.date | None = None, calendar: WorkCalendar | None = None,
                      levels: Sequence[float] = LEVELS, trials: int = 10_000,
                      seed: int | None = None, exact: bool = False) -> ThroughputForecast:
    """How many items will be done by the date `by` (or within `periods` whole periods)?

    Only whole periods between the start and `by` count (a partial week is left out)."""
    _check_run(trials, levels, exact)
    if not 0 < focus <= 1:
        raise ValueError(f"focus: a share of the team's throughput, in (0, 1] (got {focus})")
    cal = calendar or WorkCalendar()
    begin = start or _next_day(throughput.last_day)
    if periods is None:
        if by is None:
            raise ValueError("how many: give a date (by) or a number of periods")
        if begin is None:
            raise ValueError("how many by a date: give a start date (the throughput is an "
                             "estimate with no last day of data)")
        periods = periods_until(begin, by, throughput.period, cal)
    if periods < 0:
        raise ValueError(f"by: {by} is before the start {begin}")
    ss = np.random.SeedSequence(seed)
    if exact:
        pmf = how_many_exact(throughput.pmf(), periods, focus)
    else:
        rng = np.random.default_rng(ss.spawn(1)[0])
        done = how_many_monte_carlo(sampler(throughput, rng), trials, periods, focus)
        pmf = np.bincount(done, minlength=1) / trials
    values = how_many_levels(pmf, levels)
    scope = f"whole {throughput.period.unit}s from {begin}: {periods}" + (
        f", focus {focus:.0%}" if focus != 1 else "")
    return ThroughputForecast("how_many", "exact" if exact else "monte carlo", throughput.period,
                    tuple(levels), values, tuple(None for _ in values), pmf, 0.0, begin, by,
                    periods, scope, throughput.source, _cal_label(throughput.period, cal),
                    None if exact else trials, None if exact else _seed_of(ss))


def _check_run(trials: int, levels: Sequence[float], exact: bool) -> None:
    if not exact and trials < 1:
        raise ValueError(f"trials: at least 1 (got {trials})")
    if not levels or any(not 0 < q < 100 for q in levels):
        raise ValueError("levels: confidence levels strictly between 0 and 100")


def _seed_of(ss: np.random.SeedSequence) -> int:
    entropy = ss.entropy
    return int(entropy) if isinstance(entropy, int) else int(np.asarray(entropy).ravel()[0])


def _next_day(day: dt.date | None) -> dt.date | None:
    return day + dt.timedelta(days=1) if day else None


def _default_horizon(top: int, mean: float, period: Period) -> int:
    """Enough periods for the slowest plausible future, capped at 100 years: never a hang."""
    cap = 36_500 // period.days if period.kind != "workday" else 26_000
    return int(min(cap, math.ceil(10 * max(top, 1) / mean) + 50))


# -------------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class _Scope:
    """Items to finish: a count or range, times a split rate, plus risks, over the focus."""

    low: int
    high: int
    split: tuple[float, float] | None
    risks: tuple[ScopeRisk, ...]
    focus: float

    @classmethod
    def of(cls, remaining: int | tuple[int, int], split: tuple[float, float] | None,
           risks: Sequence[ScopeRisk], focus: float) -> _Scope:
        if isinstance(remaining, int | np.integer):
            low = high = int(remaining)
        else:
            low, high = (int(x) for x in remaining)
        if not 0 <= low <= high:
            raise ValueError(f"remaining: whole items, 0 <= low <= high (got {low}, {high})")
        if split is not None and not 0 < split[0] <= split[1]:
            raise ValueError(f"split: a rate range 0 < low <= high, e.g. 1.0 1.5 (got {split})")
        if not 0 < focus <= 1:
            raise ValueError(f"focus: a share of the team's throughput, in (0, 1] (got {focus})")
        return cls(int(low), int(high), split, tuple(risks), float(focus))

    @property
    def top(self) -> int:
        """The most items any future can need (after focus)."""
        items = math.ceil(self.high * (self.split[1] if self.split else 1) - TOL)
        return self._thresholds(np.array([items + sum(r.top for r in self.risks)]))[0]

    def _thresholds(self, items: np.ndarray) -> np.ndarray:
        # finishing n items at focus f takes as long as n/f items at full throughput
        return np.ceil(items / self.focus - TOL).astype(np.int64)

    def draw(self, streams: Sequence[np.random.Generator], trials: int) -> np.ndarray:
        """Items to finish in each of `trials` futures (in full-throughput items); one random
        stream each for the count, the split rate and the risks."""
        if self.low == self.high:
            items = np.full(trials, self.low, dtype=np.int64)  # a count, not a range
        else:
            items = streams[0].integers(self.low, self.high + 1, trials)
        if self.split:
            rate = streams[1].uniform(self.split[0], self.split[1], trials)
            items = np.ceil(items * rate - TOL).astype(np.int64)
        for risk in self.risks:
            hits = streams[2].random(trials) < risk.probability
            extra = streams[2].integers(risk.low, risk.top + 1, trials)
            items = items + hits * extra
        return self._thresholds(items)

    def pmf(self) -> np.ndarray:
        """Probability of each number of items to finish (in full-throughput items)."""
        p = np.zeros(self.high + 1)
        p[self.low:] = 1 / (self.high - self.low + 1)
        if self.split:
            p = _split_pmf(p, *self.split)
        for risk in self.risks:
            extra = np.zeros(risk.top + 1)
            extra[risk.low:] = risk.probability / (risk.top - risk.low + 1)
            extra[0] += 1 - risk.probability
            p = np.convolve(p, extra)
        if self.focus == 1:
            return p
        out = np.zeros(int(self._thresholds(np.array([p.size - 1]))[0]) + 1)
        np.add.at(out, self._thresholds(np.arange(p.size)), p)
        return out

    def describe(self) -> str:
        """E.g. ``20-25 items, split 1-1.5 (rounded up), focus 70% (mean 28.6 items)``."""
        parts = [f"{self.low} items" if self.low == self.high else f"{self.low}-{self.high} items"]
        if self.split:
            parts.append(f"split {self.split[0]:g}-{self.split[1]:g} (rounded up)")
        parts += [f"risk {r.name or i + 1}: {r.probability:.0%} chance of +{r.low}"
                  + (f"-{r.top}" if r.top != r.low else "") for i, r in enumerate(self.risks)]
        if self.focus != 1:
            parts.append(f"focus {self.focus:.0%}")
        text = ", ".join(parts)
        if self.split or self.risks or self.low != self.high:
            p = scope_pmf((self.low, self.high), self.split, self.risks)
            text += f" (mean {p @ np.arange(p.size):.1f} items)"
        return text


def scope_pmf(remaining: int | tuple[int, int], split: tuple[float, float] | None = None,
              risks: Sequence[ScopeRisk] = (), focus: float = 1.0) -> np.ndarray:
    """Probability of each total number of items to finish, after splitting and risks (and,
    with `focus` below 1, in items at the team's full throughput)."""
    return _Scope.of(remaining, split, risks, focus).pmf()


def _split_pmf(p: np.ndarray, a: float, b: float) -> np.ndarray:
    """Distribution of ceil(n × rate), rate uniform on [a, b], for n distributed as `p`."""
    out = np.zeros(math.ceil(p.size * b) + 2)
    for n in np.flatnonzero(p):
        if n == 0 or a == b:
            out[math.ceil(n * a - TOL)] += p[n]
            continue
        m = np.arange(math.ceil(n * a - TOL), math.ceil(n * b - TOL) + 1)
        # ceil(n·rate) = m exactly when rate lies in ((m-1)/n, m/n]
        width = np.clip(np.minimum(m / n, b) - np.maximum((m - 1) / n, a), 0, None)
        out[m] += p[n] * width / (b - a)
    return np.trim_zeros(out, "b")


# ------------------------------------------------------------------------------- engines


def when_exact(tpmf: np.ndarray, need_pmf: np.ndarray, max_periods: int
               ) -> tuple[np.ndarray, float]:
    """Exact distribution of the periods needed, by convolution.

    `tpmf[k]`: chance of finishing k items in a period; `need_pmf[n]`: chance that n items must
    be finished. The chance of being done after k periods is the chance the first k periods'
    total reaches the need. Returns (pmf over periods 0..K, chance of not done by max_periods).
    """
    top = need_pmf.size - 1
    if top == 0:
        return np.ones(1), 0.0
    # before period `skip` not even the best periods reach the smallest need: jump there
    smallest = int(np.flatnonzero(need_pmf[1:])[0]) + 1
    skip = min(max_periods, (smallest - 1) // max(tpmf.size - 1, 1))
    rows = _running_totals(tpmf, top, max_periods, skip)
    # P(done by k) = sum over needs n of P(need n) · P(total_k >= n); no BLAS call here: its
    # threads stall on a busy machine, and these arrays are small
    if need_pmf[top] == 1.0:  # a fixed count: done once the total reaches it
        done = 1 - rows.sum(axis=1)
    else:
        done = need_pmf[0] + ((1 - np.cumsum(rows, axis=1)) * need_pmf[1:]).sum(axis=1)
    by_k = np.minimum(np.maximum.accumulate(np.r_[np.full(skip, need_pmf[0]), done]), 1.0)
    pmf = by_k.copy()
    pmf[1:] -= by_k[:-1]
    last = int(np.flatnonzero(pmf)[-1]) if pmf.any() else 0
    # what is left after the horizon is "not done"; under LEFT before it is below notice
    at_horizon = by_k.size > max_periods
    return pmf[:last + 1], float(max(1 - by_k[-1], 0.0)) if at_horizon else 0.0


def _running_totals(tpmf: np.ndarray, top: int, max_periods: int, skip: int = 0) -> np.ndarray:
    """Row k: the distribution of the total finished in `skip` + k periods, over totals
    0..top-1 (the mass at `top` or more is done and dropped), until all is done."""
    below = np.zeros(top)
    below[0] = 1.0
    if skip:
        below = _power(tpmf[:top], skip, top)
    rows = [below]
    flipped = tpmf[::-1].copy()  # np.correlate with the kernel reversed: a convolution, faster
    while skip + len(rows) <= max_periods and below.sum() >= LEFT:
        for _ in range(min(4, max_periods + 1 - skip - len(rows))):  # check the end now and then
            below = np.correlate(below, flipped, "full")[:top]
            rows.append(below)
    return np.array(rows)


def _power(pmf: np.ndarray, k: int, top: int) -> np.ndarray:
    """The k-fold convolution of `pmf`, truncated to totals below `top`, by squaring."""
    out, base = np.zeros(top), pmf
    out[0] = 1.0
    while k:
        if k & 1:
            out = np.convolve(out, base)[:top]
        k >>= 1
        if k:
            base = np.convolve(base, base)[:top]
    return out


def when_monte_carlo(draw: Callable[[tuple[int, int]], np.ndarray], need: np.ndarray,
                     max_periods: int, throughput: Throughput) -> np.ndarray:
    """Periods each future needs to reach its `need` (-1: not within `max_periods`).

    All futures advance together a block of periods at a time (a cumulative sum per row);
    only the few not yet done go on to the next block."""
    out = np.where(need <= 0, 0, -1).astype(np.int64)
    todo = np.flatnonzero(need > 0)
    got = np.zeros(need.size, dtype=np.int64)
    used = 0
    block = _first_block(int(need.max(initial=0)), throughput)
    while todo.size and used < max_periods:
        k = min(block, max_periods - used)
        rows = max(1, CHUNK // k)
        for c in range(0, todo.size, rows):
            idx = todo[c:c + rows]
            total = np.cumsum(draw((idx.size, k)), axis=1, dtype=np.int64)
            gap = need[idx] - got[idx]
            before = (total < gap[:, None]).sum(axis=1)  # periods still short of the need
            fin = before < k
            out[idx[fin]] = used + before[fin] + 1
            got[idx[~fin]] += total[~fin, -1]
        todo = todo[out[todo] < 0]
        used += k
        block = max(block, 8)
    return out


def _first_block(top: int, throughput: Throughput) -> int:
    """Periods most futures need: mean + 4 SD of the time to finish `top` (normal approx.)."""
    p = throughput.pmf()
    k = np.arange(p.size)
    mu = float(p @ k)
    var = float(p @ (k - mu) ** 2)
    periods = top / mu
    sd = math.sqrt(top * var / mu**3)
    return max(1, math.ceil(periods + 4 * sd + 1))


def how_many_exact(tpmf: np.ndarray, periods: int, focus: float = 1.0) -> np.ndarray:
    """Exact distribution of items done in `periods` periods (the periods-fold convolution)."""
    total = np.array([1.0])
    if periods and periods * tpmf.size**2 > 2e7:
        size = periods * (tpmf.size - 1) + 1
        total = np.fft.irfft(np.fft.rfft(tpmf, size) ** periods, size)  # a long horizon
        total = np.clip(total, 0, None)
        total /= total.sum()
    else:
        for _ in range(periods):
            total = np.convolve(total, tpmf)
    if focus == 1:
        return total
    out = np.zeros(math.floor(focus * (total.size - 1) + TOL) + 1)
    np.add.at(out, np.floor(focus * np.arange(total.size) + TOL).astype(np.int64), total)
    return out


def how_many_monte_carlo(draw: Callable[[tuple[int, int]], np.ndarray], trials: int,
                         periods: int, focus: float = 1.0) -> np.ndarray:
    """Items done in `periods` periods, per future."""
    if periods == 0:
        return np.zeros(trials, dtype=np.int64)
    rows = max(1, CHUNK // periods)
    done = np.concatenate([draw((min(rows, trials - c), periods)).sum(axis=1, dtype=np.int64)
                           for c in range(0, trials, rows)])
    return np.floor(focus * done + TOL).astype(np.int64) if focus != 1 else done


def sampler(throughput: Throughput, rng: np.random.Generator
            ) -> Callable[[tuple[int, int]], np.ndarray]:
    """A function drawing throughput for an array of (futures, periods) from the sample."""
    values = np.asarray(throughput.values, dtype=np.int32)
    if throughput.weights is None:
        n = values.size
        return lambda shape: values[rng.integers(0, n, size=shape)]
    cdf = np.cumsum(throughput.weights, dtype=float)
    cdf /= cdf[-1]
    last = values.size - 1
    return lambda shape: values[np.minimum(cdf.searchsorted(rng.random(shape), "right"), last)]


# ---------------------------------------------------------------------------- percentiles


def when_levels(pmf: np.ndarray, levels: Sequence[float]) -> tuple[int | None, ...]:
    """For each level q: the first period by which at least q% of futures are done."""
    cdf = np.cumsum(pmf)
    at = np.searchsorted(cdf, np.asarray(levels, dtype=float) / 100 - TOL, side="left")
    return tuple(int(k) if k < cdf.size else None for k in at)


def how_many_levels(pmf: np.ndarray, levels: Sequence[float]) -> tuple[int | None, ...]:
    """For each level q: the largest count reached in at least q% of futures."""
    reach = np.cumsum(pmf[::-1])[::-1]  # reach[m] = P(done >= m)
    out: list[int | None] = []
    for q in levels:
        ok = np.flatnonzero(reach >= q / 100 - TOL)
        out.append(int(ok[-1]) if ok.size else 0)
    return tuple(out)


# ---------------------------------------------------------------------------------- dates


def period_end_dates(start: dt.date, periods: np.ndarray, period: Period,
                     calendar: WorkCalendar) -> np.ndarray:
    """The date the `k`-th period from `start` ends on (k = 0: the day before the start):
    the k-th calendar day, the k-th working day, or the last working day of the k-th week."""
    k = np.asarray(periods, dtype=np.int64)
    s = np.datetime64(start, "D")
    if period.kind == "day":
        return s + k - 1
    last = s + int(k.max(initial=0)) * period.days * 2 + 30
    cal = calendar.busdays(start, last.astype(dt.date))
    if period.kind == "workday":
        return np.where(k > 0, np.busday_offset(s, np.maximum(k - 1, 0), roll="forward",
                                                busdaycal=cal), s - 1)
    end = s + k * period.days - 1
    work = np.busday_offset(end, 0, roll="backward", busdaycal=cal)
    return np.where(work > end - period.days, work, end)


def periods_until(start: dt.date, by: dt.date, period: Period, calendar: WorkCalendar) -> int:
    """Whole periods from `start` to `by` (both days included)."""
    days = (by - start).days + 1
    if days < 0:
        raise ValueError(f"by: {by} is before the start {start}")
    if period.kind == "day":
        return days
    if period.kind == "week":
        return days // period.days
    cal = calendar.busdays(start, by)
    return int(np.busday_count(np.datetime64(start, "D"), np.datetime64(by, "D") + 1,
                               busdaycal=cal))


def _dates_for(start: dt.date | None, values: tuple[int | None, ...], period: Period,
               calendar: WorkCalendar) -> tuple[dt.date | None, ...]:
    if start is None:
        return tuple(None for _ in values)
    known = np.array([v for v in values if v is not None], dtype=np.int64)
    ends = iter(period_end_dates(start, known, period, calendar).astype(dt.date).tolist())
    return tuple(next(ends) if v is not None else None for v in values)


def _cal_label(period: Period, calendar: WorkCalendar) -> str:
    if period.kind == "day":
        return "every calendar day"
    return calendar.describe()
