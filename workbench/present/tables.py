"""Forecasts and event logs as tidy tables: one row per thing a chart draws or a TPM reads.

Charts (`workbench.charts`) take these frames; notebooks show them; sweeps collect them. Every
table is small (aggregated here, never one row per replication) so charts stay under Altair's
row limit and reports stay light. Files are written atomically (temp file + `os.replace`), so an
interrupted run never leaves a half-written table that looks complete.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from workbench.present.formats import (
    EXTERNAL,
    WORKING_DAY,
    as_date,
    as_number,
    chance_with_error,
    percent,
    short_date,
    with_error,
)
from workbench.scenario.models import Scenario
from workbench.sim import metrics
from workbench.sim.forecast import ProgramForecast
from workbench.sim.metrics import HANDED_BACK
from workbench.sim.records import RunLog

MAX_CHART_ROWS = 1500  # well below Altair's 5000-row limit; more adds nothing a reader sees
MAX_LINE_POINTS = 160  # points per line on a time axis (about three years of weeks)


# --- milestones and epics ------------------------------------------------------------------------

def milestone_rows(milestones: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Flat rows from the ``milestones`` list of `ProgramForecast.to_dict()` (or a summary
    JSON): the one shape the report, the sweep results and `workbench run --format json` share."""
    rows = []
    for m in milestones:
        last = m.get("most_often_last") or {}
        rows.append({
            "milestone": m["name"],
            **{k: _date(m.get(k)) for k in ("target", "p50", "p85", "p95")},
            **{k: as_number(m.get(k)) for k in ("p50_days", "p85_days", "p95_days",
                                                "chance_of_target", "unfinished_share")},
            "most_often_last": last.get("epic"),
            "most_often_last_share": as_number(last.get("share")),
            # Monte Carlo error: P85 ± working days, chance ± share (95%)
            "p85_error_working_days": as_number(m.get("p85_error_working_days")),
            "chance_error": as_number(m.get("chance_error")),
        })
    return rows


def milestone_table(forecast: ProgramForecast) -> pd.DataFrame:
    """Per milestone: P50/P85/P95 dates, chance of meeting the target, what most often lands
    last. Missing dates mean that share of runs did not finish within the horizon."""
    return tidy(milestone_rows(forecast.milestones()), _MILESTONE_COLUMNS)


_MILESTONE_COLUMNS = ["milestone", "target", "p50", "p85", "p95", "p50_days", "p85_days",
                      "p95_days", "chance_of_target", "unfinished_share", "most_often_last",
                      "most_often_last_share", "p85_error_working_days", "chance_error"]


def milestone_display(forecast: ProgramForecast) -> pd.DataFrame:
    """The milestone table as a leader reads it: dates as '3 Jun 2027', chances as '61%'."""
    t = milestone_table(forecast)
    return pd.DataFrame({
        "Milestone": t["milestone"], "Target": t["target"].map(short_date),
        "P50": t["p50"].map(short_date),
        # with its Monte Carlo error: '13 Sep 2027 ± 1 working day'
        "P85": [with_error(short_date(d), e, WORKING_DAY)
                for d, e in zip(t["p85"], t["p85_error_working_days"], strict=True)],
        "P95": t["p95"].map(short_date),
        "Chance of target": [chance_with_error(c, e) if as_number(c) is not None else percent(c)
                             for c, e in zip(t["chance_of_target"], t["chance_error"],
                                             strict=True)],
        "Most often last": t["most_often_last"],
    }).set_index("Milestone")


def epic_table(forecast: ProgramForecast) -> pd.DataFrame:
    """Per epic: owning team, what it waits for, and P50/P85/P95 finish dates."""
    rows = []
    for e in forecast.epics():
        rows.append({"epic": e["name"], "team": e["team"] or EXTERNAL,
                     "depends_on": ", ".join(forecast.scenario.epics[e["name"]].depends_on),
                     "p50": _date(e["p50"]), "p85": _date(e["p85"]), "p95": _date(e["p95"]),
                     "p50_days": as_number(e["p50_days"]), "p85_days": as_number(e["p85_days"]),
                     "unfinished_share": as_number(e["unfinished_share"])})
    return tidy(rows, ["epic", "team", "depends_on", "p50", "p85", "p95", "p50_days",
                         "p85_days", "unfinished_share"])


def headline_milestone(forecast: ProgramForecast) -> str | None:
    """The milestone a summary leads with: the last one in the file with a target (by
    convention the final delivery), else the last one; None for flow-only scenarios."""
    names = list(forecast.scenario.milestones)
    targeted = [n for n in names if forecast.scenario.milestones[n].target]
    chosen = targeted or names
    return chosen[-1] if chosen else None


# --- distributions across replications -----------------------------------------------------------

def finish_histogram(forecast: ProgramForecast, bin_days: int = 7) -> pd.DataFrame:
    """Per milestone and week: share of runs finishing that week (runs that never finished are
    left out; `milestone_table` reports their share). ``target`` repeats on every row."""
    rows = []
    p85 = {m["name"]: m["p85"] for m in forecast.milestones()}
    for name, m in forecast.scenario.milestones.items():
        days = forecast.column(f"milestone:{name}")
        done = days[~np.isnan(days)]
        bins = (np.ceil(done) - 1) // bin_days  # simulation time 6.0 is the end of day 5
        for b, count in zip(*np.unique(bins, return_counts=True), strict=True):
            start = forecast.scenario.start + dt.timedelta(days=int(b) * bin_days)
            rows.append({"milestone": name, "week_start": pd.Timestamp(start),
                         "week_end": pd.Timestamp(start + dt.timedelta(days=bin_days)),
                         "runs": int(count), "share": count / forecast.reps,
                         "target": _date(m.target), "p85": _date(p85[name])})
    return tidy(rows, ["milestone", "week_start", "week_end", "runs", "share", "target", "p85"])


def cost_histogram(forecast: ProgramForecast, bins: int = 30) -> pd.DataFrame:
    """Share of runs per cost band, with the P50 and P85 cost on every row (for the rules)."""
    cost = forecast.column("cost")
    counts, edges = np.histogram(cost, bins=bins)
    summary = forecast.cost()
    return pd.DataFrame({"cost_low": edges[:-1], "cost_high": edges[1:], "runs": counts,
                         "share": counts / forecast.reps, "p50": summary["p50"],
                         "p85": summary["p85"], "currency": forecast.scenario.currency})


def cost_burn(log: RunLog, scenario: Scenario) -> pd.DataFrame:
    """The program's cost accrued day by day in one run (the report's typical one), with the
    budget (if any) on every row: the burn chart a finance partner asks for."""
    ends = metrics.team_end_days(scenario, log, metrics.epic_finish_days(log))
    days = np.arange(log.horizon_days)
    daily = np.zeros(log.horizon_days)
    for name, team in scenario.teams.items():
        paid = log.capacity[name].paid if name in log.capacity else np.zeros(log.horizon_days)
        daily += paid * (days < ends[name]) * team.cost_per_person_day
    stop = int(min(max(ends.values(), default=0.0), log.horizon_days))
    budget = scenario.budget.total if scenario.budget else None
    dates = pd.to_datetime(scenario.start) + pd.to_timedelta(days[:stop], unit="D")
    return pd.DataFrame({"date": dates, "cost": np.cumsum(daily)[:stop], "budget": budget})


def burnup_table(forecast: ProgramForecast) -> pd.DataFrame:
    """Items done by each week's end: the median run (P50), what 85% of runs reach at least
    (P85), an optimistic 15%, and the median total scope. Trimmed once every run is done."""
    fan = forecast.burnup_fan((0.15, 0.5, 0.85))
    t = pd.DataFrame({"week_end": pd.to_datetime(pd.Series(fan["week_end"], dtype=object)),
                      "done_p85": fan["q15"], "done_p50": fan["q50"],
                      "done_optimistic": fan["q85"]})
    t["scope"] = fan["scope_p50"]
    finished = np.flatnonzero(np.diff(np.asarray(forecast.burnup).max(axis=0), prepend=0) > 0)
    still_moving = t.index[t["done_p85"].diff().fillna(1) != 0]
    last = max(int(still_moving.max()) if len(still_moving) else 0,
               int(finished.max()) if finished.size else 0)
    t = t.iloc[: last + 3].reset_index(drop=True)
    if len(t) <= MAX_LINE_POINTS:
        return t
    stride = math.ceil(len(t) / MAX_LINE_POINTS)  # years of weekly points: keep every n-th
    return t.iloc[[*range(0, len(t) - 1, stride), len(t) - 1]].reset_index(drop=True)


# --- the epic timeline ---------------------------------------------------------------------------

def epic_timeline(forecast: ProgramForecast) -> pd.DataFrame:
    """One bar per epic from its P50 to its P85 finish date; epics whose P85 is beyond the
    horizon are drawn to the horizon and flagged. ``order`` sorts bars by P50."""
    t = epic_table(forecast)
    end = pd.Timestamp(forecast.scenario.date_of(forecast.scenario.horizon_days))
    t["beyond_horizon"] = t["p85"].isna()
    t["bar_start"] = t["p50"].fillna(end)
    t["bar_end"] = t["p85"].fillna(end)
    t["order"] = t["bar_start"].rank(method="first").astype(int)
    return t


def dependency_links(forecast: ProgramForecast) -> pd.DataFrame:
    """One row per dependency: from the end of the prerequisite's bar (its P85 finish) to the
    start of the dependent's bar (its P50 finish), so the timeline shows which bar waits for
    which."""
    timeline = epic_timeline(forecast).set_index("epic")
    rows = []
    for name, epic in forecast.scenario.epics.items():
        for dep in epic.depends_on:
            rows.append({"from_epic": dep, "to_epic": name,
                         "from_date": timeline.at[dep, "bar_end"],
                         "to_date": timeline.at[name, "bar_start"]})
    return tidy(rows, ["from_epic", "to_epic", "from_date", "to_date"])


# --- one representative run ----------------------------------------------------------------------

def team_utilisation(log: RunLog, start: dt.date, step_days: int | None = None
                     ) -> pd.DataFrame:
    """Share of each team's planned-work capacity spent on items, per week of one run (per
    several weeks on long runs). Work is spread over each service's span in proportion to the
    stage's daily capacity."""
    busy = _busy_per_day(log)
    weeks = math.ceil(max(log.end_time, 7) / 7)
    step_days = step_days or 7 * max(1, math.ceil(weeks / MAX_LINE_POINTS))
    rows = []
    for team, cap in log.capacity.items():
        available = np.sum(list(cap.available.values()), axis=0)
        worked = busy.get(team, np.zeros(len(available)))
        last = min(len(available), max(int(math.ceil(log.end_time)), step_days))
        for first in range(0, last, step_days):
            a = float(available[first:first + step_days].sum())
            w = float(worked[first:first + step_days].sum())
            # Work is spread by the team's capacity, not each person's: near a hire or a leave
            # a week can read a few percent over full; a team cannot be busier than full.
            rows.append({"week_start": pd.Timestamp(start + dt.timedelta(days=first)),
                         "team": team, "busy_days": w, "available_days": a,
                         "utilisation": min(w / a, 1.0) if a > 0 else np.nan})
    return tidy(rows, ["week_start", "team", "busy_days", "available_days", "utilisation"])


def _busy_per_day(log: RunLog) -> dict[str, np.ndarray]:
    horizon = log.horizon_days
    busy: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(horizon))
    open_: dict[tuple[int, str], tuple[float, float]] = {}
    for r in log.records:
        if r.event == "start":
            open_[(r.item, r.stage)] = (r.time, r.effort_days)
        elif r.event in ("finish", *HANDED_BACK) and (r.item, r.stage) in open_:
            t0, effort = open_.pop((r.item, r.stage))
            done = effort - r.effort_days if r.event in HANDED_BACK else effort
            cap = log.capacity[r.team].available.get(r.stage) if r.team in log.capacity else None
            _spread(busy[r.team], t0, r.time, done, cap)
    return dict(busy)


def _spread(target: np.ndarray, t0: float, t1: float, amount: float,
            weights: np.ndarray | None) -> None:
    """Add ``amount`` over [t0, t1) day by day, in proportion to ``weights`` (daily capacity)."""
    first, last = int(t0), min(int(math.ceil(t1)), len(target))
    if last <= first:
        if first < len(target):
            target[first] += amount
        return
    days = np.arange(first, last)
    overlap = np.minimum(days + 1, t1) - np.maximum(days, t0)
    w = overlap * (weights[first:last] if weights is not None else 1.0)
    total = w.sum()
    target[first:last] += amount * (w / total if total > 0 else overlap / overlap.sum())


def cumulative_flow(log: RunLog, start: dt.date) -> pd.DataFrame:
    """Items per state at the end of each day of one run: not started, in each team's stage
    (waiting or worked), done. Stacked, the bands are a cumulative flow diagram."""
    steps, states = _state_steps(log)
    days = max(int(math.ceil(log.end_time)) + 1, 2)
    stride = max(1, math.ceil(days * len(states) / MAX_CHART_ROWS))
    sample = np.arange(0, days, stride, dtype=float) + 1.0  # end of each sampled day
    rows = []
    for order, state in enumerate(states):
        times, deltas = steps.get(state, (np.zeros(0), np.zeros(0)))
        idx = np.argsort(times, kind="stable")
        level = np.concatenate([[0], np.cumsum(deltas[idx])])
        counts = level[np.searchsorted(times[idx], sample, side="right")]
        for t, n in zip(sample, counts, strict=True):
            rows.append({"day": pd.Timestamp(start + dt.timedelta(days=int(t) - 1)),
                         "state": state, "items": int(n), "order": order})
    return tidy(rows, ["day", "state", "items", "order"])


def _state_steps(log: RunLog) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], list[str]]:
    """(+1/-1 steps per state, states in stacking order: done first, not started last)."""
    current: dict[int, str] = {}
    raw: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for r in log.records:
        if r.event == "queue":
            new = f"{r.team} · {r.stage}"
        elif r.event == "done":
            new = "done"
        elif r.event == "arrive":
            new = "not started"  # left at once by the queue record that follows
            raw["not started"].append((r.time, 0))
        else:
            continue
        old = current.get(r.item, "not started")
        if old != new:
            raw[old].append((r.time, -1))
            raw[new].append((r.time, 1))
            current[r.item] = new
    total = len(current) + log.unreleased
    raw["not started"].insert(0, (0.0, total))
    stage_states = [f"{t} · {s}" for t, stages in log.stages.items() for s in stages]
    order = ["done", *reversed(stage_states), "not started"]
    steps = {k: (np.array([t for t, _ in v], dtype=float), np.array([d for _, d in v], dtype=float))
             for k, v in raw.items()}
    return steps, [s for s in order if s in steps] + [s for s in steps if s not in order]


def _date(value: Any) -> pd.Timestamp | None:
    """A date cell of a table: a Timestamp, or None when missing (as `formats` reads missing)."""
    day = as_date(value)
    return None if day is None else pd.Timestamp(day)


def tidy(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame with exactly ``columns``; date columns typed as dates even when empty."""
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns:  # None dates must stay dates (NaT), or Parquet and Vega-Lite see objects
        if c in ("target", "p50", "p85", "p95", "week_start", "week_end", "day", "from_date",
                 "to_date"):
            # one resolution whatever the input, so tables read back from Parquet compare equal
            frame[c] = pd.to_datetime(frame[c]).astype("datetime64[us]")
    return frame
