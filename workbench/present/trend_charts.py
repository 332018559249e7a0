"""The trend and why it moved: each milestone's P50 and P85 by report date (from the forecast
log) against its target, and one sentence per milestone on what moved its P85 since the last
report ("Since the last report (24 November 2026): ga P85 moved 9 days later: +6 from the
platform hire moving to 5 April 2027, +3 from 4 items added to payouts, 0 from progress").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from workbench.present.charts import WIDTH  # one printable width for every chart
from workbench.present.formats import VEGA_DAY, as_date, calendar_days, text_date
from workbench.scenario.diff import joined
from workbench.sim.attribution import Attribution

TREND_COLUMNS = ["report_date", "milestone", "measure", "date", "target"]
COLOURS = {"P50": "#7fa7cf", "P85": "#1f4e79"}
TARGET_COLOUR = "#c0392b"
Y_PADDING_PX = 14  # room above and below the earliest and latest point of a panel


def trend_table(entries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per log entry, milestone and measure (P50, P85): the forecast date by report
    date, with the target."""
    rows = [{"report_date": as_date(e["as_of"]), "milestone": m["name"], "measure": q.upper(),
             "date": as_date(m[q]), "target": as_date(m["target"])}
            for e in entries for m in e["milestones"] for q in ("p50", "p85")]
    frame = pd.DataFrame(rows, columns=TREND_COLUMNS)
    for column in ("report_date", "date", "target"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def trend(table: pd.DataFrame) -> alt.FacetChart | alt.Chart:
    """P50 and P85 by report date per milestone (one row each), the target as a red line."""
    if table.empty:
        return alt.Chart(pd.DataFrame({"text": ["No forecasts logged yet."]})).mark_text(
            size=14).encode(text="text:N").properties(width=WIDTH, height=40)
    x = alt.X("yearmonthdate(report_date):O", title="report date",
              axis=alt.Axis(format=VEGA_DAY, formatType="time", labelAngle=0))
    # padding: a point at the top or bottom of the range is drawn inside its panel, not on
    # (half over) its edge
    lines = alt.Chart().mark_line(point=True).encode(
        x=x, y=alt.Y("date:T", title="forecast date", axis=alt.Axis(format=VEGA_DAY),
                     scale=alt.Scale(zero=False, nice=False, padding=Y_PADDING_PX)),
        color=alt.Color("measure:N", scale=alt.Scale(domain=list(COLOURS),
                                                     range=list(COLOURS.values())),
                        legend=alt.Legend(orient="top", title=None)),
        order=alt.Order("report_date:T"),
        tooltip=[alt.Tooltip("report_date:T", format=VEGA_DAY), "measure:N",
                 alt.Tooltip("date:T", format=VEGA_DAY)])
    # the target across the whole width: y only (one target per milestone)
    target = alt.Chart().mark_rule(color=TARGET_COLOUR, strokeDash=[4, 3]).encode(
        y="max(target):T")
    return alt.layer(lines, target, data=table).properties(width=WIDTH, height=160).facet(
        row=alt.Row("milestone:N", title=None)).resolve_scale(y="independent").properties(
        title="P50 and P85 by report date (red: the target)")


def moved_sentences(result: Attribution | None, previous_as_of: Any = None) -> list[str]:
    """Per milestone: how far its P85 moved since the last report, and each change's part."""
    if result is None:
        return []
    since = f"Since the last report ({text_date(previous_as_of)})" if previous_as_of \
        else "Since the last report"
    return [f"{since}: {_moved(result, m)}" for m in result.after]


def _moved(result: Attribution, milestone: str) -> str:
    total = result.total(milestone)
    if total is None:
        return f"{milestone} P85 is beyond the horizon in one of the two reports"
    head = f"{milestone} P85 did not move on the same runs" if round(total) == 0 else \
        f"{milestone} P85 moved {calendar_days(abs(total))} {'later' if total > 0 else 'earlier'}"
    parts = [f"{_signed(p.days.get(milestone))} from {joined(p.changes, text_date)}"
             for p in result.parts]
    return head + (": " + ", ".join(parts) if parts else " (nothing in the scenario changed)")


def noise_sentence(last: Mapping[str, Any], seed: int, reps: int,
                   p85: Mapping[str, Any]) -> str:
    """When the last report's numbers came from other runs (another seed or replication count):
    why it moved compares both scenarios on this report's runs, so the chart's two P85 points
    may differ even where nothing changed; say so, with the milestones whose points differ
    (``p85``: this report's P85 by milestone)."""
    if (last.get("seed"), last.get("replications")) == (seed, reps):
        return ""
    before = {m["name"]: as_date(m.get("p85")) for m in last.get("milestones", [])}
    gaps = [f"{name} {calendar_days(abs((now - was).days))}"
            for name, now, was in ((n, as_date(d), before.get(n)) for n, d in p85.items())
            if now and was and now != was]
    apart = f" (the chart's last two P85 points differ: {', '.join(gaps)})" if gaps else ""
    return (f"The last report used {_runs(last.get('replications'))} (seed {last.get('seed')}), "
            f"this one {_runs(reps)} (seed {seed}): the moves above compare both scenarios on "
            f"this report's runs, so part of the move between the chart's points is Monte "
            f"Carlo noise{apart}.")


def _runs(n: Any) -> str:
    return "1 run" if n == 1 else f"{int(n):,} runs" if isinstance(n, int) else f"{n} runs"


def _signed(n: float | None) -> str:
    if n is None:
        return "?"
    text = f"{round(n):d}"
    return f"+{text}" if round(n) > 0 else text
