"""Charts of a team's history and of the forecasts made from it: throughput run chart,
cycle-time scatter and histogram, cumulative flow, ageing work in progress, forecast
distribution and backtest coverage.

Two halves, as in `workbench.charts`: `*_table` functions aggregate a `History` (or a forecast,
or a backtest) into a small tidy frame, and chart functions turn such a frame into an Altair
chart. Aggregating first is what keeps a chart of a big export quick and light: Vega gets at
most a few thousand rows (weekly bins, one point per distinct finish day and cycle time), never
one row per item per day. Show the charts with `charts.use_static_charts()` (SVG + PNG, no
JavaScript, no network).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.files.exports import History
from workbench.history.backtest import Backtest
from workbench.history.flow import (
    Period,
    WorkCalendar,
    ageing_wip,
    cumulative_flow,
    cycle_time_percentiles,
)
from workbench.history.throughput import ThroughputForecast, period_end_dates
from workbench.present.charts import P85_COLOUR, TARGET_COLOUR, WIDTH, AnyChart, alt, message
from workbench.present.formats import (
    VEGA_DAY,
    VEGA_MONTH,
    VEGA_PERCENT,
    VEGA_PERCENT_AXIS,
    days,
    short_date,
)

MAX_BARS = 400      # bars in a run chart or distribution: more are binned, they'd be hairlines
MAX_POINTS = 2000   # dots in a scatter: more only overlap at 640 px (and Altair stops at 5000)
CFD_DAILY_DAYS = 366  # a longer cumulative flow is drawn from week ends (exact: it's cumulative)
LEVEL_COLOURS = {"P50": "#2e75b6", "P70": "#6fa8dc", "P85": P85_COLOUR, "P95": TARGET_COLOUR}
BAR_COLOUR = "#8fb3d9"


# =================================================================================================
# Tables: aggregate before charting
# =================================================================================================

def throughput_table(counts: pd.Series, period: Period, max_bars: int = MAX_BARS) -> pd.DataFrame:
    """Items finished per period (`history.throughput`), one row per bar: period_start,
    period_end, items (per period) and periods (1). Over `max_bars` periods, consecutive periods
    are binned and items is their average per period (a daily chart of six years stays
    readable)."""
    start = pd.DatetimeIndex(counts.index)
    # a period ends the day before the next starts (working days: on the day itself)
    length = pd.Timedelta(days=period.days if period.kind == "week" else 1)
    frame = pd.DataFrame({"period_start": start, "period_end": start + length,
                          "items": counts.to_numpy(dtype=float), "periods": 1})
    size = math.ceil(len(frame) / max_bars) if len(frame) > max_bars else 1
    if size == 1:
        return frame
    group = np.arange(len(frame)) // size
    return frame.groupby(group).agg(period_start=("period_start", "first"),
                                    period_end=("period_end", "last"),
                                    items=("items", "mean"), periods=("periods", "sum"))


def cycle_time_points(history: History, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """One point per distinct (finish day, cycle time) with the number of items there: the
    cycle-time scatter without thousands of overlapping dots. Finish days are grouped into bins
    of about two pixels of the chart's width (no finer than the eye can see: a week for six
    years of data), wider still if more than `max_points` points remain."""
    items = _with_cycle_time(history)
    if items.empty:
        return pd.DataFrame(columns=["finish", "cycle_time_days", "items"])
    day = items["finish"].dt.normalize()
    first = day.min()
    bin_days = max(1, math.ceil(((day.max() - first).days + 1) / (WIDTH / 2)))
    while True:
        binned = first + pd.to_timedelta((day - first).dt.days // bin_days * bin_days, unit="D")
        frame = _count_points(binned, items["cycle_time_days"])
        if len(frame) <= max_points:
            return frame
        bin_days *= 2


def _count_points(day: pd.Series, ct: pd.Series) -> pd.DataFrame:
    return (pd.DataFrame({"finish": day, "cycle_time_days": ct})
            .groupby(["finish", "cycle_time_days"]).size().rename("items").reset_index())


def percentile_table(history: History, levels: Sequence[float] = (50, 70, 85, 95)
                     ) -> pd.DataFrame:
    """Cycle-time percentiles as rows (level 'P85', days, label '85%: 19 days', row: where its
    label goes) for the lines drawn across the scatter, histogram and ageing chart."""
    pct = cycle_time_percentiles(history, levels)
    return pd.DataFrame({"level": [f"P{q:g}" for q in pct.index],
                         "days": pct.to_numpy(dtype=float),
                         "label": [f"{q:g}%: {_duration(d)}" for q, d in pct.items()],
                         "row": 2 + 14 * np.arange(len(pct))})  # label height, pixels


def cycle_time_histogram(history: History, bins: int = 40) -> pd.DataFrame:
    """Items per cycle-time bin (whole days): low, high, items, share. Bins cover up to the
    99th percentile; longer items share one last bin (labelled with its range) so a few
    year-long items don't squash the rest."""
    ct = _with_cycle_time(history)["cycle_time_days"].to_numpy()
    cap = max(float(np.percentile(ct, 99, method="inverted_cdf")), 1.0)
    width = max(1, math.ceil(cap / bins))
    edges = np.arange(0, cap + width, width, dtype=float)
    # the last bin starts at the last edge and takes every longer item
    counts, _ = np.histogram(np.minimum(ct, edges[-1]), bins=np.r_[edges, edges[-1] + width])
    frame = pd.DataFrame({"low": edges, "high": edges + width, "items": counts})
    frame["share"] = frame["items"] / len(ct)
    return frame[frame["items"] > 0].reset_index(drop=True)


def cumulative_flow_table(history: History, end: dt.date | None = None) -> pd.DataFrame:
    """Items in each state per day, as stacked bands (day, state, items, order): the finished
    band at the bottom, the earliest state on top. Past a year, week ends only (exact: the
    underlying counts are cumulative)."""
    if history.state_dates is None and "start" not in history.columns:
        return pd.DataFrame(columns=["day", "state", "items", "order"])  # only finishes: no flow
    cfd = cumulative_flow(history, end=end)
    if len(cfd) > CFD_DAILY_DAYS:
        keep = np.r_[np.arange(len(cfd) - 1, -1, -7)[::-1]]
        cfd = cfd.iloc[keep]
    states = list(cfd.columns)
    reached = cfd.to_numpy()
    # band of a state = items that reached it but not the next one; the last state is done
    bands = reached - np.c_[reached[:, 1:], np.zeros(len(cfd), dtype=reached.dtype)]
    names = [_state_label(s, history) for s in states]
    frame = pd.DataFrame(bands, columns=names, index=cfd.index).reset_index().melt(
        id_vars="day", var_name="state", value_name="items")
    frame["order"] = frame["state"].map({n: len(names) - i for i, n in enumerate(names)})
    return frame


def _state_label(state: str, history: History) -> str:
    if history.state_dates is None:
        return {"started": "in progress", "finished": "finished"}.get(state, state)
    return state


def ageing_table(history: History, as_of: dt.date | None = None,
                 max_points: int = MAX_POINTS) -> pd.DataFrame:
    """Items in progress on `as_of` (`history.ageing_wip`): key, start, age_days, state and
    `band`, how unusual the age is against finished items' cycle times. The oldest
    `max_points` are kept (the young ones are the least worrying)."""
    wip = ageing_wip(history, as_of).head(max_points).copy()
    if "state" not in wip:
        wip["state"] = "in progress"
    wip["band"] = pd.cut(wip["older_than_pct"], [-1, 50, 85, 95, 101],
                         labels=["younger than half", "P50-P85", "P85-P95", "older than P95"],
                         right=False).astype(str)
    return wip


def forecast_distribution(forecast: ThroughputForecast, calendar: WorkCalendar | None = None,
                          max_bars: int = MAX_BARS) -> pd.DataFrame:
    """The forecast's probabilities, one row per outcome worth a bar: for "when", periods,
    probability, done_by (chance of being done by then) and date (the period's last day); for
    "how many", items, probability and at_least (chance of at least that many). The far tails
    (under 0.05% each) are left out; past `max_bars` outcomes, neighbours are binned."""
    p = np.asarray(forecast.pmf, dtype=float)
    values = np.arange(p.size)
    cum = np.cumsum(p)
    keep = (cum >= 0.0005) & (np.r_[0.0, cum[:-1]] <= 0.9995) & (p > 0)
    lo, hi = (int(values[keep][0]), int(values[keep][-1])) if keep.any() else (0, 0)
    size = max(1, math.ceil((hi - lo + 1) / max_bars))
    group = (values[lo:hi + 1] - lo) // size
    frame = pd.DataFrame({"value": values[lo:hi + 1], "probability": p[lo:hi + 1], "g": group})
    frame = frame.groupby("g").agg(value=("value", "last"), first=("value", "first"),
                                   probability=("probability", "sum")).reset_index(drop=True)
    if forecast.question == "when":
        frame["done_by"] = cum[frame["value"].to_numpy()]
        frame = frame.rename(columns={"value": "periods"})
        if forecast.start is not None:
            frame["date"] = pd.to_datetime(period_end_dates(
                forecast.start, frame["periods"].to_numpy(), forecast.period,
                calendar or WorkCalendar()))
        return frame
    reach = np.cumsum(p[::-1])[::-1]  # reach[m] = chance of at least m items
    frame["at_least"] = reach[frame["first"].to_numpy()]
    return frame.rename(columns={"value": "items"})


def forecast_levels(forecast: ThroughputForecast) -> pd.DataFrame:
    """The forecast's answer per confidence level (level 'P85', value, date, label, row) for
    the lines drawn on its distribution."""
    rows: list[dict[str, Any]] = []
    for q, v, d in zip(forecast.levels, forecast.values, forecast.dates, strict=True):
        if v is None:
            continue
        if forecast.question == "when":
            text = f"P{q:g}: {v} {forecast.period.unit}s" + (f", {short_date(d)}" if d else "")
        else:
            text = f"P{q:g}: {v} items"
        rows.append({"level": f"P{q:g}", "value": v, "date": pd.Timestamp(d) if d else pd.NaT,
                     "label": text, "row": 4 + 14 * len(rows)})  # row: label height, pixels
    return pd.DataFrame(rows, columns=["level", "value", "date", "label", "row"])


def coverage_table(result: Backtest) -> pd.DataFrame:
    """Backtest coverage in long form: method, level ('P85'), nominal (0.85), coverage (share
    of past forecasts that came true) and cases."""
    cov = result.coverage.reset_index()
    frame = cov.melt(id_vars=["method", "cases"], value_vars=[f"P{q:g}" for q in result.levels],
                     var_name="level", value_name="coverage")
    frame["nominal"] = frame["level"].str[1:].astype(float) / 100
    return frame[["method", "level", "nominal", "coverage", "cases"]]


def backtest_cases_table(result: Backtest, method: str | None = None) -> pd.DataFrame:
    """One method's past forecasts (default: the first, the forecast's own method): origin,
    actual, p50/p85/p95 and whether P85 came true. Forecasts that never finish (infinite) are
    left out."""
    name = method or str(result.coverage.index[0])
    cases = result.cases[result.cases["method"] == name].replace([np.inf, -np.inf], np.nan)
    keep = ["origin", "actual", *[c for c in cases.columns if c.startswith("p")]]
    kept = cases[keep].dropna()
    frame = kept.reset_index(drop=True)
    # the backtest's own verdict: a calibrated "when" is read to the day, not the period
    hit = cases.loc[kept.index, "hit_p85"].astype(bool).to_numpy()
    frame["p85_came_true"] = np.where(hit, "came true", "missed")
    return frame


def _date_axis() -> alt.Axis:
    # One tick per month at most: finer ticks printed the same month twice ("Sep 2018").
    return alt.Axis(format=VEGA_MONTH, tickCount="month", labelOverlap=True)


def _duration(d: float) -> str:
    """A duration in a label, rounded: "19 days", "2.5 days" (under ten days, one decimal)."""
    return days(d, digits=0 if abs(d) >= 10 or round(d, 1) == round(d) else 1)


def _with_cycle_time(history: History) -> pd.DataFrame:
    items = history.items
    return items[items["cycle_time_days"].notna()]


# =================================================================================================
# Charts
# =================================================================================================

def throughput_run(table: pd.DataFrame, unit: str = "week",
                   window: tuple[dt.date, dt.date] | None = None,
                   sample_mean: float | None = None) -> AnyChart:
    """Throughput run chart: items finished per period over time (`throughput_table`). The
    shaded span is the window the forecast samples from, the dashed line its mean."""
    if table.empty:
        return message("Nothing finished in this history.", "Throughput")
    binned = int(table["periods"].max()) > 1
    y_title = f"items per {unit}" + (" (average per bar)" if binned else "")
    bars = alt.Chart(table).mark_bar(color=BAR_COLOUR).encode(
        x=alt.X("period_start:T", title=None, axis=_date_axis()),
        x2="period_end:T", y=alt.Y("items:Q", title=y_title), y2=alt.datum(0))
    layers: list[Any] = [bars]
    subtitle = f"items finished per {unit}" + (
        f"; each bar averages {int(table['periods'].iloc[0])} {unit}s" if binned else "")
    if window is not None:
        span = pd.DataFrame({"start": [pd.Timestamp(window[0])],
                             "end": [pd.Timestamp(window[1]) + pd.Timedelta(days=1)]})
        layers.insert(0, alt.Chart(span).mark_rect(color="#f2d7a0", opacity=0.45).encode(
            x="start:T", x2="end:T"))
        subtitle += "; shaded: the forecast's sample"
    if sample_mean is not None and window is not None:
        mean = pd.DataFrame({"start": [pd.Timestamp(window[0])],
                             "end": [pd.Timestamp(window[1])], "mean": [sample_mean]})
        layers.append(alt.Chart(mean).mark_rule(color=P85_COLOUR, strokeDash=[5, 3],
                                                strokeWidth=2).encode(
            x="start:T", x2="end:T", y="mean:Q"))
        subtitle += f" (mean {sample_mean:.1f}, dashed)"
    return alt.layer(*layers).properties(
        width=WIDTH, height=220, title=alt.Title("Throughput run chart", subtitle=subtitle))


def cycle_time_scatter(points: pd.DataFrame, percentiles: pd.DataFrame) -> AnyChart:
    """Cycle time of each finished item by its finish date (`cycle_time_points`; bigger dots:
    several items), with the percentile lines (`percentile_table`): 85% of items took no
    longer than the P85 line. Log-like scale: a few very long items don't flatten the rest."""
    if points.empty:
        return message("No cycle times: the file has no start dates.", "Cycle time")
    scale = alt.Scale(type="symlog")
    dots = alt.Chart(points).mark_circle(opacity=0.45, color="#4a7fb5").encode(
        x=alt.X("finish:T", title=None, axis=_date_axis()),
        y=alt.Y("cycle_time_days:Q", title="cycle time (days)", scale=scale,
                axis=_days_axis(points["cycle_time_days"].max())),
        size=alt.Size("items:Q", title="items", scale=alt.Scale(range=[12, 160]),
                      legend=alt.Legend(values=_size_legend(points["items"].max()))))
    rules, labels = _percentile_lines(percentiles, "y", scale)
    return alt.layer(dots, rules, labels).properties(
        width=WIDTH, height=300,
        title=alt.Title("Cycle time scatter",
                        subtitle="each finished item (bigger dots: several); lines: percentiles"))


def _days_axis(top: float) -> alt.Axis:
    """Round day counts as ticks of a log-like axis (its own ticks bunch up at the top)."""
    ticks = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
    return alt.Axis(values=[t for t in ticks if t <= max(top, 1) * 1.5])


def _size_legend(top: int) -> list[int]:
    return [n for n in (1, 2, 5, 10, 20, 50, 100) if n <= max(top, 1)]


def cycle_time_histogram_chart(hist: pd.DataFrame, percentiles: pd.DataFrame) -> AnyChart:
    """How many items took how long (`cycle_time_histogram`), with the percentile lines. The
    last bar holds every item past the 99th percentile."""
    if hist.empty:
        return message("No cycle times: the file has no start dates.", "Cycle time histogram")
    bars = alt.Chart(hist).mark_bar(color=BAR_COLOUR).encode(
        x=alt.X("low:Q", title="cycle time (days)", bin="binned"), x2="high:Q",
        y=alt.Y("items:Q", title="items"))
    last = float(hist["high"].max())
    rules, labels = _percentile_lines(percentiles[percentiles["days"] <= last], "x")
    return alt.layer(bars, rules, labels).properties(
        width=WIDTH, height=220,
        title=alt.Title("Cycle time histogram",
                        subtitle=f"the last bar: every item of {_duration(hist['low'].max())}"
                                 f" or more; lines: percentiles"))


def _percentile_lines(percentiles: pd.DataFrame, axis: str, scale: alt.Scale | None = None
                      ) -> tuple[alt.Chart, alt.Chart]:
    colour = alt.Color("level:N", title=None, scale=alt.Scale(
        domain=list(LEVEL_COLOURS), range=list(LEVEL_COLOURS.values())), legend=None)
    kw: dict[str, Any] = {"scale": scale} if scale is not None else {}
    pos = {axis: alt.X("days:Q", **kw) if axis == "x" else alt.Y("days:Q", **kw)}
    base = alt.Chart(percentiles)
    rules = base.mark_rule(strokeDash=[4, 3], strokeWidth=1.5).encode(color=colour, **pos)
    if axis == "y":
        text = base.mark_text(align="right", dy=-5, fontSize=11).encode(
            x=alt.value(WIDTH - 2), text="label:N", color=colour, **pos)
    else:
        text = base.mark_text(align="left", dx=3, baseline="top", fontSize=11).encode(
            y=alt.Y("row:Q", scale=None, axis=None), text="label:N", color=colour, **pos)
    return rules, text


def cumulative_flow_chart(cfd: pd.DataFrame) -> AnyChart:
    """Cumulative flow diagram (`cumulative_flow_table`): items per state over time, stacked,
    finished at the bottom. A band that widens is work piling up in that state."""
    if cfd.empty:
        return message("No start or state dates in the file, so no cumulative flow.",
                       "Cumulative flow")
    states = cfd.drop_duplicates("state").sort_values("order")["state"].tolist()
    return alt.Chart(cfd).mark_area(interpolate="step-after").encode(
        x=alt.X("day:T", title=None, axis=_date_axis()),
        y=alt.Y("items:Q", title="items", stack="zero"),
        color=alt.Color("state:N", title=None, sort=states[::-1],
                        scale=alt.Scale(scheme="tableau20")),
        order=alt.Order("order:Q", sort="ascending")).properties(
        width=WIDTH, height=260,
        title=alt.Title("Cumulative flow", subtitle="items per state; the top band widening "
                                                    "means work piling up in that state"))


AGE_COLOURS = {"younger than half": "#6aa84f", "P50-P85": "#f1c232", "P85-P95": "#e69138",
               "older than P95": TARGET_COLOUR}


def ageing_wip_chart(wip: pd.DataFrame, percentiles: pd.DataFrame,
                     as_of: dt.date | None = None) -> AnyChart:
    """Ageing work in progress (`ageing_table`): each open item's age so far, by state, against
    the finished items' cycle-time percentiles. Items above the P85 line are already older than
    85% of finished work took: the ones to ask about."""
    day = f" on {short_date(as_of)}" if as_of else ""
    if wip.empty:
        return message(f"No work in progress{day}.", "Ageing work in progress")
    order = list(dict.fromkeys(wip["state"]))
    scale = alt.Scale(type="symlog")
    dots = alt.Chart(wip).mark_circle(size=70, opacity=0.8).encode(
        x=alt.X("state:N", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("jitter:Q", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("age_days:Q", title="age so far (days)", scale=scale,
                axis=_days_axis(max(wip["age_days"].max(), percentiles["days"].max()))),
        color=alt.Color("band:N", title="age vs finished items", scale=alt.Scale(
            domain=list(AGE_COLOURS), range=list(AGE_COLOURS.values())))
    ).transform_calculate(jitter="(datum.age_days * 9301 + 49297) % 233280 / 233280")
    rules = alt.Chart(percentiles).mark_rule(strokeDash=[4, 3], color="#777").encode(
        y=alt.Y("days:Q", scale=scale))
    labels = alt.Chart(percentiles).mark_text(align="right", dy=-5, fontSize=11,
                                              color="#555").encode(
        y=alt.Y("days:Q", scale=scale), x=alt.value(WIDTH - 2), text="label:N")
    return alt.layer(rules, labels, dots).properties(
        width=WIDTH, height=280,
        title=alt.Title("Ageing work in progress",
                        subtitle=f"{len(wip)} items in progress{day}; lines: cycle-time "
                                 f"percentiles of finished items"))


def forecast_chart(dist: pd.DataFrame, levels: pd.DataFrame, forecast: ThroughputForecast
                   ) -> AnyChart:
    """The forecast's distribution (`forecast_distribution`) with its P-levels
    (`forecast_levels`). "When": the chance of finishing in each period, by date. "How many":
    the chance of each count; P85 is the count reached in 85% of futures."""
    if dist.empty:
        return message("Nothing to draw: no future finished within the horizon.", "Forecast")
    when = forecast.question == "when"
    if when and "date" in dist:
        bars, pos, lv = _dated_bars(dist, forecast.period), "date:T", levels.dropna(
            subset=["date"])
    else:
        field = "periods" if when else "items"
        title = f"{forecast.period.unit}s from the start" if when else "items done"
        bars = alt.Chart(dist).mark_bar(color=BAR_COLOUR).encode(
            x=alt.X(f"{field}:Q", title=title, scale=alt.Scale(zero=False)),
            y=alt.Y("probability:Q", title="chance", axis=alt.Axis(format=VEGA_PERCENT_AXIS)))
        pos, lv = "value:Q", levels
    scale = alt.Scale(domain=list(LEVEL_COLOURS), range=list(LEVEL_COLOURS.values()))
    rules = alt.Chart(lv).mark_rule(strokeDash=[4, 3], strokeWidth=2).encode(
        x=alt.X(pos), color=alt.Color("level:N", title=None, scale=scale))
    labels = alt.Chart(lv).mark_text(align="left", dx=4, fontSize=11, baseline="top").encode(
        x=alt.X(pos), y=alt.Y("row:Q", scale=None, axis=None), text="label:N",
        color=alt.Color("level:N", scale=scale, legend=None))
    by = short_date(forecast.by, missing="the end")
    what = (f"chance of finishing in each {forecast.period.unit}" if when
            else f"chance of each number of items done by {by}")
    name = "When will it be done?" if when else "How many will be done?"
    return alt.layer(bars, rules, labels).properties(
        width=WIDTH, height=240, title=alt.Title(name, subtitle=what + "; lines: P-levels"))


def _dated_bars(dist: pd.DataFrame, period: Period) -> alt.Chart:
    """One bar per period, spanning its days (the date is the period's last day)."""
    frame = dist.assign(end=dist["date"] + pd.Timedelta(days=1),
                        begin=dist["date"] - pd.Timedelta(days=period.days - 1))
    span = (frame["end"].max() - frame["begin"].min()).days
    axis = alt.Axis(format=VEGA_DAY, labelOverlap=True) if span < 240 else _date_axis()
    return alt.Chart(frame).mark_bar(color=BAR_COLOUR, stroke="white", strokeWidth=0.5).encode(
        x=alt.X("begin:T", title=None, axis=axis), x2="end:T",
        y=alt.Y("probability:Q", title="chance", axis=alt.Axis(format=VEGA_PERCENT_AXIS)),
        y2=alt.datum(0))


def coverage_chart(coverage: pd.DataFrame) -> AnyChart:
    """Backtest coverage (`coverage_table`): for each P-level, the share of past forecasts that
    came true per sampling method; the black tick is where it should be (85% for P85). Below
    the tick: over-optimistic; far above: over-cautious."""
    if coverage.empty or coverage["coverage"].isna().all():
        return message("No backtest: the history is too short.", "Backtest coverage")
    base = alt.Chart(coverage).encode(x=alt.X("level:N", title=None, sort=None,
                                              axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar().encode(
        xOffset=alt.XOffset("method:N", sort=None),
        y=alt.Y("coverage:Q", title="forecasts that came true",
                axis=alt.Axis(format=VEGA_PERCENT_AXIS), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("method:N", title="throughput sample", sort=None,
                        legend=alt.Legend(orient="bottom", direction="vertical")))
    text = base.mark_text(baseline="top", dy=4, fontSize=10, color="white").encode(
        xOffset=alt.XOffset("method:N", sort=None), y="coverage:Q",
        text=alt.Text("coverage:Q", format=VEGA_PERCENT))
    nominal = alt.Chart(coverage.drop_duplicates("level")).mark_tick(
        color="black", thickness=3, size=90).encode(x=alt.X("level:N", sort=None),
                                                     y="nominal:Q")
    return alt.layer(bars, text, nominal).properties(
        width=WIDTH - 200, height=240,
        title=alt.Title("Backtest: did past forecasts come true?",
                        subtitle="bars: share that came true; black tick: the level promised"))


def backtest_cases_chart(cases: pd.DataFrame, question: str, unit: str = "week") -> AnyChart:
    """Each past forecast (`backtest_cases_table`) against what happened: the band spans P50 to
    P95, the line is P85, dots are the actual outcome (red: P85 missed)."""
    if cases.empty:
        return message("No backtest cases.", "Backtest over time")
    y_title = f"{unit}s to finish" if question == "when" else f"items done in the {unit}s"
    x = alt.X("origin:T", title="forecast made on", axis=_date_axis())
    base = alt.Chart(cases).encode(x=x)
    band = base.mark_area(opacity=0.25, color=P85_COLOUR).encode(
        y=alt.Y("p50:Q", title=y_title), y2="p95:Q")
    line = base.mark_line(color=P85_COLOUR, strokeWidth=1.5).encode(y="p85:Q")
    dots = base.mark_circle(size=28, opacity=0.9).encode(
        y="actual:Q", color=alt.Color("p85_came_true:N", title="P85", scale=alt.Scale(
            domain=["came true", "missed"], range=["#555555", TARGET_COLOUR])))
    return alt.layer(band, line, dots).properties(
        width=WIDTH, height=240,
        title=alt.Title("Backtest over time", subtitle="band: P50 to P95; line: P85; dots: what "
                                                       "actually happened"))
