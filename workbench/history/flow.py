"""Flow metrics of a completed-work history: sampling periods (day, working day, week or
sprint), throughput per period, cycle times, cumulative flow, ageing WIP, stability.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.files.exports import History, HistoryError
from workbench.scenario.calendar import WorkCalendar

# ------------------------------------------------------------------------- calendar, periods

PeriodKind = Literal["day", "workday", "week"]


@dataclass(frozen=True)
class Period:
    """How throughput is counted and forecast: per calendar day (zero days counted, weekends
    included), per working day, or per week / sprint of `weeks` weeks."""

    kind: PeriodKind = "week"
    weeks: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("day", "workday", "week"):
            raise ValueError(f"period {self.kind!r} unknown (allowed: day, workday, week)")
        if self.weeks < 1:
            raise ValueError("a period is at least one week long")

    @property
    def days(self) -> int:
        """Calendar days in one period (a working day counts as one)."""
        return 7 * self.weeks if self.kind == "week" else 1

    @property
    def unit(self) -> str:
        """The period's name for tables: day, workday, week or 2-week sprint."""
        if self.kind == "week":
            return "week" if self.weeks == 1 else f"{self.weeks}-week sprint"
        return self.kind

    def describe(self) -> str:
        """What a TPM needs to know about the choice."""
        if self.kind == "day":
            return "per calendar day (days with nothing finished count as zero)"
        if self.kind == "workday":
            return "per working day (work finished on a day off counts on the working day before)"
        return f"per {self.unit} (whole periods ending on the last day of data)"


WEEK = Period("week")  # the Throughput Forecaster's default sampling period


def daily_completions(history: History) -> tuple[np.datetime64, np.ndarray]:
    """Items finished on each calendar day from the first finish to the last (zeros included)."""
    days = history.items["finish"].to_numpy().astype("datetime64[D]")
    if not len(days):
        raise HistoryError(f"{history.source}: no finished items")
    first = days.min()
    counts = np.bincount((days - first).astype(np.int64))
    return first, counts


def period_counts(first: np.datetime64, daily: np.ndarray, period: Period, start: np.datetime64,
                  end: np.datetime64, calendar: WorkCalendar | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Throughput per period over [start, end] from daily counts beginning on day `first`.

    Returns (period start days, counts). Weeks are whole periods ending on `end` (an
    incomplete oldest period is left out rather than read as a slow one).
    """
    lo, hi = int((start - first).astype(int)), int((end - first).astype(int))
    days = np.zeros(hi - lo + 1, dtype=np.int64)
    src_lo, src_hi = max(lo, 0), min(hi, len(daily) - 1)
    if src_hi >= src_lo:
        days[src_lo - lo:src_hi - lo + 1] = daily[src_lo:src_hi + 1]
    if period.kind == "day":
        return start + np.arange(len(days)), days
    if period.kind == "week":
        n = len(days) // period.days
        tail = days[len(days) - n * period.days:]
        starts = end - n * period.days + 1 + period.days * np.arange(n)
        return starts, tail.reshape(n, period.days).sum(axis=1)
    return _workday_counts(start, end, days, calendar or WorkCalendar())


def _workday_counts(start: np.datetime64, end: np.datetime64, days: np.ndarray,
                    calendar: WorkCalendar) -> tuple[np.ndarray, np.ndarray]:
    cal = calendar.busdays(start.astype(dt.date), end.astype(dt.date))
    dates = start + np.arange(len(days))
    # work finished on a day off shows up on the working day before (never silently lost)
    home = np.busday_offset(dates, 0, roll="backward", busdaycal=cal)
    work = dates[np.is_busday(dates, busdaycal=cal)]
    slot = np.searchsorted(work, home)
    inside = (home >= start) & (slot < len(work))
    counts = np.bincount(slot[inside], weights=days[inside], minlength=len(work))
    return work, counts.astype(np.int64)


def history_as_of(history: History, as_of: dt.date) -> History:
    """The history as it looked at the end of `as_of`: items finished later are in progress
    then, items started later do not exist yet, and later state dates are unknown."""
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    items = history.items
    done = items[items["finish"] < cutoff].reset_index(drop=True)
    late = items[(items["finish"] >= cutoff) & (items["start"] < cutoff)].assign(
        finish=pd.NaT, cycle_time_days=np.nan)
    wip = history.open_items[history.open_items["start"] < cutoff]
    parts = [f for f in (wip, late) if len(f)]
    open_items = pd.concat(parts, ignore_index=True) if parts else late.reset_index(drop=True)
    states = history.state_dates
    if states is not None:
        states = states.reindex(pd.Index([*done["key"], *open_items["key"]], name="key"))
        states = states.where(states < cutoff)
    return replace(history, items=done, open_items=open_items, state_dates=states)


# ---------------------------------------------------------------------------- flow metrics


def throughput(history: History, period: Period = WEEK,
               calendar: WorkCalendar | None = None, start: dt.date | None = None,
               end: dt.date | None = None) -> pd.Series:
    """Items finished per period (zero periods counted), indexed by the period's first day:
    the throughput run chart, and the sample a throughput forecast draws from."""
    first, daily = daily_completions(history)
    lo = np.datetime64(start, "D") if start else first
    hi = np.datetime64(end, "D") if end else first + len(daily) - 1
    starts, counts = period_counts(first, daily, period, lo, hi, calendar)
    return pd.Series(counts, index=pd.DatetimeIndex(starts, name="period_start"),
                     name=f"items_per_{period.kind}")


def cycle_time_percentiles(history: History, levels: Sequence[float] = (50, 70, 85, 95)
                           ) -> pd.Series:
    """Cycle time (days) within which `level`% of finished items were done: the smallest
    observed time with at least that share at or below it (no interpolation)."""
    ct = _cycle_times(history)
    values = np.percentile(ct, list(levels), method="inverted_cdf")
    return pd.Series(values, index=pd.Index(list(levels), name="percent"), name="cycle_time_days")


def cycle_times_between(history: History, from_state: str, to_state: str) -> pd.Series:
    """Days from first entering `from_state` to first entering `to_state`, per item that did
    both in that order (needs per-state dates or a transition log)."""
    sd = _need_states(history)
    for s in (from_state, to_state):
        if s not in sd.columns:
            raise HistoryError(f"{history.source}: state {s!r} unknown (states: "
                               f"{', '.join(sd.columns)})")
    days = (sd[to_state] - sd[from_state]) / pd.Timedelta(days=1)
    return days[days.notna() & (days >= 0)].rename("cycle_time_days")


def cumulative_flow(history: History, start: dt.date | None = None,
                    end: dt.date | None = None) -> pd.DataFrame:
    """Cumulative flow: per calendar day, how many items had reached each state (or a later
    one) by the end of that day. Without per-state dates the states are started / finished.
    The gap between two columns on a day is the work sitting in the earlier state."""
    reached = _reached(history)
    stamps = reached.to_numpy().astype("datetime64[D]")
    valid = stamps[~np.isnat(stamps)]
    if not valid.size:
        raise HistoryError(f"{history.source}: no dates for a cumulative flow")
    lo = np.datetime64(start, "D") if start else valid.min()
    hi = np.datetime64(end, "D") if end else valid.max()
    days = np.arange(lo, hi + 1)
    data = {}
    for j, state in enumerate(reached.columns):
        col = np.sort(stamps[:, j][~np.isnat(stamps[:, j])])
        data[state] = np.searchsorted(col, days, side="right")
    return pd.DataFrame(data, index=pd.DatetimeIndex(days, name="day"))


def _reached(history: History) -> pd.DataFrame:
    """Per item and state: when it reached that state or any later one (skips count)."""
    if history.state_dates is not None:
        sd = history.state_dates
    else:
        both = pd.concat([history.items, history.open_items])
        sd = pd.DataFrame({"started": both["start"].to_numpy(),
                           "finished": both["finish"].to_numpy()})
    # a later state's date implies the earlier states were passed by then
    stamps = sd.to_numpy(dtype="datetime64[s]")[:, ::-1]
    reached = np.fmin.accumulate(stamps, axis=1)[:, ::-1]
    return pd.DataFrame(reached, columns=sd.columns, index=sd.index)


def ageing_wip(history: History, as_of: dt.date | None = None) -> pd.DataFrame:
    """Items in progress on `as_of` (default: the last day in the history) with their age in
    days, their current state if known, and `older_than_pct`: the share of items finished
    before `as_of` whose whole cycle time was shorter than this item's age so far."""
    both = pd.concat([history.items, history.open_items], ignore_index=True)
    # The last date seen, whichever column has it (a finish-only export has no starts at all).
    latest = pd.concat([both["start"], both["finish"]]).max()
    day = pd.Timestamp(as_of) if as_of else pd.Timestamp(latest).normalize()
    cutoff = day + pd.Timedelta(days=1)  # `as_of` means the end of that day
    wip = both[(both["start"] < cutoff) & ~(both["finish"] < cutoff)].copy()
    wip["age_days"] = (cutoff - wip["start"]) / pd.Timedelta(days=1)
    done = np.sort(both[(both["finish"] < cutoff)]["cycle_time_days"].dropna().to_numpy())
    wip["older_than_pct"] = (100 * np.searchsorted(done, wip["age_days"].to_numpy(), side="left")
                             / max(len(done), 1))
    if history.state_dates is not None:
        wip["state"] = _state_on(history.state_dates, wip["key"], cutoff)
    keep = ["key", "start", "age_days", "older_than_pct"] + (
        ["state"] if "state" in wip else [])
    return wip[keep].sort_values("age_days", ascending=False).reset_index(drop=True)


def _state_on(state_dates: pd.DataFrame, keys: pd.Series, cutoff: pd.Timestamp) -> np.ndarray:
    sd = state_dates.reindex(keys.to_numpy())
    entered = sd.to_numpy(dtype="datetime64[s]") < np.datetime64(cutoff, "s")
    last = np.where(entered.any(axis=1), entered.shape[1] - 1 - entered[:, ::-1].argmax(axis=1), -1)
    names = np.array(["(not started)", *sd.columns], dtype=object)
    return names[last + 1]


@dataclass(frozen=True)
class Stability:
    """Is the throughput sample a fair picture? Random halves that disagree mean too few
    samples; a first half and a second half that disagree mean the team's pace has changed."""

    samples: int
    random_difference: float
    time_halves_mean: tuple[float, float]
    time_difference: float
    threshold: float

    @property
    def stable(self) -> bool:
        """Both comparisons within the threshold."""
        return max(self.random_difference, self.time_difference) <= self.threshold

    def describe(self) -> str:
        """One line for reports."""
        verdict = "stable" if self.stable else "NOT stable"
        return (f"throughput sample {verdict}: random halves differ by "
                f"{self.random_difference:.0%}, first vs second half by {self.time_difference:.0%}"
                f" (threshold {self.threshold:.0%}, {self.samples} samples)")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"stable": self.stable, "random_halves_difference": round(self.random_difference, 4),
                "first_vs_second_half_difference": round(self.time_difference, 4),
                "threshold": self.threshold, "samples": self.samples, "text": self.describe()}


def stability(counts: Iterable[float], seed: int = 0, threshold: float = 0.25,
              splits: int = 200) -> Stability:
    """Compare the means of two random halves of the sample (the median over `splits` random
    splits, as one split is itself noisy) and of its two halves in time order; differences are
    relative to the overall mean. The 25% threshold is a rule of thumb."""
    x = np.asarray(list(counts), dtype=float)
    if len(x) < 4:
        raise HistoryError(f"a stability check needs at least 4 samples (got {len(x)})")
    mean = x.mean() or 1.0
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    h = len(x) // 2
    order = rng.random((splits, len(x))).argsort(axis=1)
    halves = x[order]
    rand = np.abs(halves[:, :h].mean(axis=1) - halves[:, h:2 * h].mean(axis=1)) / mean
    time = (float(x[:h].mean()), float(x[-h:].mean()))
    return Stability(len(x), float(np.median(rand)), time, abs(time[0] - time[1]) / mean,
                     threshold)


def _cycle_times(history: History) -> np.ndarray:
    if "start" not in history.columns:
        raise HistoryError(f"{history.source}: no start dates, so no cycle times (map yours "
                           f"with --start-column)")
    ct = history.items["cycle_time_days"].dropna().to_numpy()
    if not ct.size:
        raise HistoryError(f"{history.source}: no finished item has a start date")
    return ct


def _need_states(history: History) -> pd.DataFrame:
    if history.state_dates is None:
        raise HistoryError(f"{history.source}: no per-state dates (map state columns with "
                           f"--states, or add a transition log)")
    return history.state_dates
