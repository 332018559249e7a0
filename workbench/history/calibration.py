"""Self-calibrated forecasts: percentiles that come true as often as they say, on the team's own
past (docs/howto-history.md, "Calibrated forecasts", says it for a TPM).

The raw method (the forecast's own sampling: say the last 90 days of weekly throughput) assumes
the coming weeks are drawn like the sampled ones. Real teams drift and have runs of good and bad
weeks, so its P85 can come true far less (or more) often than 85%. The calibrated method keeps
the raw forecast's shape and corrects the level it is read at:

1. Replay: on every past day (an origin) whose outcome is known, make the raw forecast of the
   same question with the data before that day, and note `u`, the chance the raw forecast gave
   of a better outcome than the one that happened. A raw P_L came true exactly when u < L.
   "When" outcomes over weeks are read to the day: a week's chance is spread over its working
   days, so a calibrated date can fall mid-week.
2. Level: at a new origin, P_q is read at the q-quantile of the past u's (weighted split
   conformal prediction; an outcome a year older counts half), the quantile taken at q plus an
   online correction (adaptive conformal inference): each calibrated forecast that comes due
   moves it up by STEP·(1 − q) if it missed, down by STEP·q if it came true, so a change of
   pace shows within weeks instead of waiting for the weights to forget the old pace. The
   correction is not clipped (a long run of misses takes as long a run of hits to undo); only
   the level read is kept within LEVEL_FLOOR..LEVEL_CAP (P0.1..P99.9). An outcome comes due
   days after its forecast, when as many later forecasts are already out, so the step shrinks
   with that delay (at most GAIN / mean delay in days): a 12-week question moves 0.25 a
   horizon, not 0.8, and does not overshoot.
3. Read the raw forecast at the new levels.

No peeking: an origin uses only origins whose outcome was known before it (for "when", the day
after the N-th item was done; for "how many", the day after the last period). With fewer than
MIN_CASES such outcomes the forecast stays raw and says so.

Everything is vectorised over the replayed days (one pass of batched convolutions); the levels
are one pass over the days in order, as the online correction needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from workbench.history.flow import Period
from workbench.history.throughput import TOL, how_many_levels
from workbench.history.timeline import Method, Timeline
from workbench.scenario.calendar import WorkCalendar

HALF_LIFE_DAYS = 365.0  # a past outcome a year older weighs half as much
STEP = 0.01             # the online correction per outcome that comes due (per day's origin),
GAIN = 0.25             # at most GAIN / (mean days from a forecast to its outcome)
MIN_CASES = 60          # past outcomes needed before calibrating (two months of daily origins)
LEVEL_CAP = 0.999       # never read the raw forecast beyond its P0.1 or P99.9, where 10,000
LEVEL_FLOOR = 0.001     # simulated futures still hold ten (its far tails are noise, or absurd)
CHUNK = 1 << 22         # array cells per batched convolution: bounds memory


def unsupported(period: Period) -> str:
    """Why a period cannot be calibrated ("" if it can)."""
    if period.kind == "workday":
        return "calibration replays calendar days or weeks; use --period week or day"
    return ""


def period_days(period: Period) -> int:
    """Calendar days per period (a day period is one)."""
    return period.days


@dataclass(frozen=True, eq=False)
class PastCases:
    """The raw method's forecasts replayed at past days with a known outcome: `origin` (day
    index), `known` (the first day its outcome was known) and `u` (the chance the raw forecast
    gave of a better outcome than what happened: P_L came true iff u < L), sorted by origin."""

    when: bool
    target: int
    origin: np.ndarray
    known: np.ndarray
    u: np.ndarray
    last: int = 0  # the last day of the data replayed (an index)
    passes: dict[tuple[float, ...], tuple[_Tracker, np.ndarray]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.origin.size)


def first_origin(timeline: Timeline, min_history_days: int | None = None) -> int:
    """The first day a backtest or a calibration replays: enough history before it."""
    return min_history_days or max(60, 12 * timeline.period.days)


def past_cases(timeline: Timeline, method: Method, target: int, when: bool,
               first: int | None = None) -> PastCases:
    """Replay the raw `method` at every day from `first` on whose outcome the data holds."""
    step = period_days(timeline.period)
    c = np.r_[0, np.cumsum(timeline.daily)]
    days = np.arange(first if first is not None else first_origin(timeline),
                     timeline.last + 1)
    # known the day after the target-th item was done, or the day after the last period
    known = (np.searchsorted(c, c[days] + target, side="left") if when
             else days + target * step)
    days, known = days[known <= c.size - 1], known[known <= c.size - 1]
    pmfs, ok = sample_pmfs(timeline.daily, step, days, method)
    days, known, pmfs = days[ok], known[ok], pmfs[ok]
    if when:
        u = _when_u(pmfs, days, known - days, step, target, timeline)
    else:
        u = _how_many_u(pmfs, c[known] - c[days], target)
    return PastCases(when, target, days, known, u, timeline.last)


# ------------------------------------------------------------------------- samples, replayed


def sample_pmfs(daily: np.ndarray, step: int, days: np.ndarray, method: Method
                ) -> tuple[np.ndarray, np.ndarray]:
    """The raw sample's distribution at each origin day (rows), the same as
    `Timeline.train`'s: whole periods of `step` days ending the day before, within the window,
    weighted by recency. Also which rows have a sample that finishes something."""
    c = np.r_[0, np.cumsum(daily)]
    ends = np.arange(daily.size)
    full = ends >= step - 1  # a whole period ends on this day
    sums = np.where(full, c[ends + 1] - c[np.maximum(ends + 1 - step, 0)], 0)
    width = int(sums.max(initial=0)) + 1
    rho = 0.5 ** (step / method.half_life_days) if method.half_life_days else 1.0
    acc = _chain_sums(np.where(full, sums, -1), width, step, rho)
    lo = np.zeros_like(days) if method.window_days is None else np.maximum(
        days - method.window_days, 0)
    n = (days - lo) // step
    rows = acc[days] - (rho ** n)[:, None] * acc[np.maximum(days - n * step, 0)]
    rows[n == 0] = 0.0
    total = rows.sum(axis=1)
    ok = (total > 0) & (rows[:, 0] < total * (1 - 1e-12))
    return rows / np.where(total > 0, total, 1.0)[:, None], ok


def _chain_sums(sums: np.ndarray, width: int, step: int, rho: float) -> np.ndarray:
    """acc[e + 1] = one-hot(sums[e]) + rho · acc[e + 1 − step]: the recency-weighted count of
    each period total over the periods ending on e, e − step, ... (acc[0] = 0; -1: no period)."""
    d = sums.size
    blocks = -(-d // step)
    hot = np.zeros((blocks * step, width))
    real = np.flatnonzero(sums >= 0)
    hot[real, sums[real]] = 1.0
    chained = _discounted_cumsum(hot.reshape(blocks, step, width), rho).reshape(-1, width)
    return np.vstack([np.zeros((1, width)), chained[:d]])


def _discounted_cumsum(x: np.ndarray, rho: float) -> np.ndarray:
    """y[k] = x[k] + rho · y[k − 1] along axis 0, in blocks short enough that rho^-k stays
    small (a scaled cumulative sum would overflow over a long history)."""
    if rho == 1.0:
        return np.cumsum(x, axis=0)
    out = np.empty_like(x)
    size = max(1, int(20 / -np.log2(rho)))  # rho ** -size <= 2 ** 20
    carry = np.zeros(x.shape[1:])
    for a in range(0, x.shape[0], size):
        p = rho ** np.arange(min(size, x.shape[0] - a))
        scale = p.reshape(-1, *([1] * (x.ndim - 1)))
        block = np.cumsum(x[a:a + p.size] / scale, axis=0) * scale + carry * rho * scale
        out[a:a + p.size] = block
        carry = block[-1]
    return out


def _when_u(pmfs: np.ndarray, days: np.ndarray, took: np.ndarray, step: int, target: int,
            timeline: Timeline) -> np.ndarray:
    """u for "when will the next `target` items be done?", the last one `took` days after
    each origin (counting the origin day)."""
    k = (took - 1) // step + 1  # the period it fell in
    done_before = 1 - truncated_powers(pmfs, k - 1, target).sum(axis=1)
    done_within = 1 - truncated_powers(pmfs, k, target).sum(axis=1)
    frac = _work_fraction(timeline, days + step * (k - 1), took - 1 - step * (k - 1), step)
    return np.clip(done_before + (done_within - done_before) * frac, 0.0, 1.0)


def _how_many_u(pmfs: np.ndarray, actual: np.ndarray, periods: int) -> np.ndarray:
    """u for "how many items in the next `periods` periods?", `actual` items really done."""
    u = np.empty(actual.size)
    for rows in _row_chunks(pmfs.shape[0], periods * pmfs.shape[1]):
        cdf = np.cumsum(power_distribution(pmfs[rows], periods), axis=1)
        at = np.minimum(actual[rows], cdf.shape[1] - 1)
        below = np.where(actual[rows] >= cdf.shape[1], 1.0, cdf[np.arange(at.size), at])
        u[rows] = 1 - below
    return np.clip(u, 0.0, 1.0)


def _row_chunks(rows: int, width: int) -> list[slice]:
    per = max(1, CHUNK // max(width, 1))
    return [slice(a, min(rows, a + per)) for a in range(0, rows, per)]


def _work_fraction(timeline: Timeline, period_start: np.ndarray, before: np.ndarray,
                   step: int) -> np.ndarray:
    """The share of a period's working days that fall before day `before` of it (0-based):
    how much of the period's chance of finishing has passed by then."""
    if step == 1:
        return np.zeros(period_start.size)
    start = timeline.first.astype(dt.date)
    span = int(period_start.max(initial=0)) + step + 1
    work = np.r_[0.0, np.cumsum(timeline.calendar.working_days(start, span))]
    total = work[period_start + step] - work[period_start]
    done = work[period_start + before] - work[period_start]
    return np.where(total > 0, done / np.where(total > 0, total, 1), before / step)


# ----------------------------------------------------------------------- batched convolutions


TILT_DIGITS = 12  # what wraps around in the short FFT arrives damped by 10 ** -12


def truncated_powers(pmfs: np.ndarray, k: np.ndarray, size: int) -> np.ndarray:
    """Row r: the distribution of the total of k[r] periods drawn from pmfs[r], over totals
    0..size-1 (the rest, at or above `size`, is left out).

    One FFT of length 2·size for every row and power at once: the distribution is first
    damped by theta^t (exponential tilting), so the totals beyond the FFT's length, which wrap
    around onto the low totals, arrive damped by theta^(2·size) = 1e-12; the powers are taken
    on the transform (each row its own exponent) and the damping undone."""
    n = 2 * size
    theta = 10.0 ** (-TILT_DIGITS / n)
    width = min(n, pmfs.shape[1])
    tilted = np.fft.rfft(pmfs[:, :width] * theta ** np.arange(width), n)
    power = tilted ** np.asarray(k, dtype=np.int64)[:, None]
    out = np.fft.irfft(power, n)[:, :size] / theta ** np.arange(size)
    return np.clip(out, 0.0, None)


def power_distribution(pmfs: np.ndarray, periods: int) -> np.ndarray:
    """Row r: the full distribution of the total of `periods` periods drawn from pmfs[r]."""
    size = periods * (pmfs.shape[1] - 1) + 1
    n = 1 << int(np.ceil(np.log2(max(size, 2))))
    out = np.fft.irfft(np.fft.rfft(pmfs, n) ** periods, n)[:, :size]
    out = np.clip(out, 0.0, None)
    return out / out.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------------- levels


def calibrated_levels(cases: PastCases, days: Sequence[int] | np.ndarray,
                      levels: Sequence[float]) -> np.ndarray:
    """For each day in `days` and each nominal level (a fraction, 0.85), the level to read the
    raw forecast at: NaN where fewer than MIN_CASES outcomes were known before that day. One
    pass over the days in order (the online correction feeds on outcomes as they come due),
    up to the day after the data, kept with `cases` for the next question on the same past."""
    days = np.asarray(days, dtype=np.int64)
    out = np.full((days.size, len(levels)), np.nan)
    if not days.size or not len(cases):
        return out
    start, table = _level_pass(cases, tuple(float(q) for q in levels), int(days.max()))
    inside = (days >= start) & (days - start < table.shape[0])
    out[inside] = table[days[inside] - start]
    return out


def _level_pass(cases: PastCases, q: tuple[float, ...], until: int) -> tuple[int, np.ndarray]:
    """The levels of every day from the first replayed origin to `until` (at least the day
    after the data), cached on `cases` and resumed from where it stopped when asked for more."""
    start = int(cases.origin.min())
    track, table = cases.passes.get(q) or (_Tracker(cases, np.asarray(q), start),
                                           np.zeros((0, len(q))))
    end = max(until, cases.last + 1)
    if start + table.shape[0] <= end:
        more = np.full((end + 1 - start - table.shape[0], len(q)), np.nan)
        for i, t in enumerate(range(start + table.shape[0], end + 1)):
            level = track.advance(t)
            if level is not None:
                more[i] = level
        table = np.vstack([table, more])
        cases.passes[q] = (track, table)
    return start, table


class _Tracker:
    """The state of the calibration as days pass: the outcomes known so far (as weights in
    the order of their u) and the online correction of each level. Plain floats and lists:
    this runs once per day, where NumPy's per-call cost on three numbers would dominate."""

    def __init__(self, cases: PastCases, q: np.ndarray, start: int) -> None:
        self.q, self.start = q.tolist(), start
        rising = [int(j) for j in np.argsort(q, kind="stable")]
        self.pairs = list(zip(rising, rising[1:], strict=False))  # (lower, higher) levels
        order = np.argsort(cases.known, kind="stable")
        by_u = np.argsort(cases.u, kind="stable")
        rank = np.empty(len(cases), dtype=np.int64)
        rank[by_u] = np.arange(len(cases))
        self.top = np.clip(np.nextafter(cases.u[by_u], 2.0), LEVEL_FLOOR, LEVEL_CAP).tolist()
        self.queue = list(zip(cases.known[order].tolist(), cases.origin[order].tolist(),
                              cases.u[order].tolist(), rank[order].tolist(),
                              (2.0 ** ((cases.origin[order] - start) / HALF_LIFE_DAYS)).tolist(),
                              strict=True))
        self.cum = np.zeros(len(cases))
        self.total = self.newest = 0.0
        self.used: dict[int, list[float]] = {}  # the levels each origin's forecast was read at
        self.delta = [0.0] * len(self.q)
        self.seen = 0
        self.waited = 0.0  # days from origin to outcome, summed over the outcomes learned
        self.level: list[float] | None = None

    def advance(self, t: int) -> list[float] | None:
        """Take in the outcomes known by day t, then the levels for a forecast made on t
        (None while too few outcomes are known: the raw levels are used). They change only
        on days an outcome comes due."""
        learned = self.seen
        while self.seen < len(self.queue) and self.queue[self.seen][0] <= t:
            self._learn(*self.queue[self.seen])
            self.seen += 1
        if self.seen < MIN_CASES:
            return None
        if self.seen > learned or self.level is None:
            self.level = self._levels()
        self.used[t] = self.level
        return self.level

    def _learn(self, known: int, origin: int, u: float, rank: int, weight: float) -> None:
        self.cum[rank:] += weight
        self.total += weight
        self.newest = max(self.newest, weight)
        self.waited += known - origin
        used = self.used.get(origin)
        if used is None:  # made before calibration began: the correction tracks its own misses
            return
        # a forecast's outcome comes due `wait` days later, when as many later forecasts of the
        # same kind are already out: a smaller step keeps the correction from overshooting
        step = min(STEP, GAIN * (self.seen + 1) / self.waited)
        for j, q in enumerate(self.q):  # unclipped, as in adaptive conformal inference
            self.delta[j] += step * ((1.0 if u >= used[j] else 0.0) - (1 - q))

    def _levels(self) -> list[float]:
        """The weighted conformal quantile of the known u's at each corrected level (the new
        origin counts as one more case, at u = 1, weighing as the newest known: the
        finite-sample margin)."""
        total = (self.total + self.newest) * (1 - 1e-12)
        goals = [min(max(q + d, LEVEL_FLOOR), LEVEL_CAP) * total
                 for q, d in zip(self.q, self.delta, strict=True)]
        k = self.cum.searchsorted(goals).tolist()
        level = [self.top[i] if i < len(self.top) else LEVEL_CAP for i in k]
        for lower, higher in self.pairs:  # a higher level never reads below a lower one
            level[higher] = max(level[higher], level[lower])
        return level


# ------------------------------------------------------------------------------ read values


def when_days(pmf: np.ndarray, levels: Sequence[float], step: int, work: np.ndarray
              ) -> tuple[int | None, ...]:
    """Days from the origin (counting it as day 1) by which a "when" forecast whose periods
    have distribution `pmf` is done, at each level (fractions; None: not within its horizon).
    Within a period of `step` days the chance is spread over its working days (`work`: 1 for
    each working day from the origin)."""
    cdf = np.cumsum(pmf)
    out: list[int | None] = []
    for level in levels:
        k = int(np.searchsorted(cdf, level - TOL, side="left"))
        if k >= cdf.size:
            out.append(None)
        elif k == 0 or step == 1:
            out.append(k)
        else:
            out.append(step * (k - 1) + _day_in_period(cdf, k, level, work, step))
    return tuple(out)


def _day_in_period(cdf: np.ndarray, k: int, level: float, work: np.ndarray, step: int) -> int:
    """The first day (1..step) of period k by which its share of the chance reaches `level`."""
    before = cdf[k - 1]
    need = (level - before) / max(cdf[k] - before, 1e-300)
    days = work[step * (k - 1):step * k]
    if days.size < step or days.sum() == 0:
        days = np.ones(step)
    share = np.cumsum(days) / days.sum()
    return int(np.searchsorted(share, need - TOL, side="left")) + 1


def how_many_values(pmf: np.ndarray, levels: Sequence[float]) -> tuple[int | None, ...]:
    """Items done at each level (fractions) of a "how many" forecast: the most reached with at
    least that chance."""
    return how_many_levels(pmf, [100 * level for level in levels])


def work_days(calendar: WorkCalendar, start: dt.date, days: int) -> np.ndarray:
    """1 for each working day from `start` on (the origin is day 1)."""
    return calendar.working_days(start, days)
