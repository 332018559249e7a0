"""The sweep summary's charts (from `reports.sweep_summary` tables): each point's cost against
its date, the tornado with direction, and the heatmap with dates in its cells and legend.
Sized like the report's charts, to print on A4 and Letter portrait."""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench.present.charts import PRINT_WIDTH, AnyChart, message
from workbench.present.formats import VEGA_DAY, VEGA_MONEY, VEGA_PERCENT
from workbench.present.sentences import field_title

EARLIER, LATER = "#2e7d32", "#c0392b"


def cost_vs_date(points: pd.DataFrame) -> AnyChart:
    """Each point at its P85 date (across) and P85 cost (up), labelled in words; the plan
    ringed. Left and low is better. From `sweep_summary.cost_date_table`."""
    if points.empty:
        return message("No finished point to draw.", "Cost against date")
    name = str(points["milestone"].iloc[0])
    # points of scenarios in other currencies: the axis says so (each point's own is in the
    # ranking)
    codes = sorted({str(c) for c in points["currency"] if c}) if "currency" in points else []
    currency = codes[0] if len(codes) == 1 else f"mixed: {', '.join(codes)}" if codes else ""
    base = alt.Chart(points).encode(
        x=alt.X("p85:T", title=f"{name} P85", axis=alt.Axis(
            format=VEGA_DAY, labelAngle=0, tickCount=5, labelOverlap="greedy")),
        y=alt.Y("cost_p85:Q", title=f"people cost P85 ({currency})" if currency
                else "people cost P85", axis=alt.Axis(format=VEGA_MONEY),
                scale=alt.Scale(zero=False, padding=20)))
    dots = base.mark_circle(size=90).encode(color=alt.Color(
        "chance_of_target:Q", title="chance of target", scale=alt.Scale(scheme="redyellowgreen",
                                                                        domain=[0, 1]),
        legend=alt.Legend(format=VEGA_PERCENT, orient="top")))
    ring = base.transform_filter("datum.plan").mark_point(size=260, color="#333",
                                                          strokeWidth=1.5)
    text = base.mark_text(align="left", dx=9, dy=-7, fontSize=10).encode(text="point:N")
    return alt.layer(dots, ring, text).properties(
        width=PRINT_WIDTH - 60, height=280, title=alt.Title(
            "Cost against date", anchor="start",
            subtitle=f"each point at its {name} P85 and P85 cost; ringed: the plan; "
                     "left and low is better"))


def tornado(swings: pd.DataFrame) -> AnyChart | None:
    """What moves the date most, with direction: per swept field a bar for its low end and one
    for its high end (or one per what-if), days earlier (green, left) or later (red, right) at
    P85 than the plan, each labelled. From `sweep_summary.tornado_table`."""
    if swings.empty:  # `sweep_summary.tornado_note` says why; an empty chart says nothing
        return None
    order = list(dict.fromkeys(swings["change"]))
    t = swings.assign(way=["later" if d > 0 else "earlier" for d in swings["shift_days"]],
                      label_at=swings["shift_days"].clip(lower=0))
    y = alt.Y("change:N", sort=order, title=None, axis=alt.Axis(labelLimit=200))
    offset = alt.YOffset("end:N", sort=["low", "high", "what-if"])
    base = alt.Chart(t).encode(y=y, yOffset=offset)
    bars = base.mark_bar(height=10).encode(
        x=alt.X("shift_days:Q", title="days earlier (-) or later (+) at P85 than the plan"),
        color=alt.Color("way:N", legend=None,
                        scale=alt.Scale(domain=["earlier", "later"], range=[EARLIER, LATER])))
    # Every label right of its bar's end or of zero: never over the field names on the left.
    labels = base.mark_text(align="left", dx=4, fontSize=10).encode(
        x="label_at:Q", text="label:N")
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#333").encode(x="x:Q")
    name = str(swings["milestone"].iloc[0]) if "milestone" in swings else ""
    return alt.layer(bars, labels, zero).properties(
        width=PRINT_WIDTH - 220, height=max(60, 34 * len(order)), title=alt.Title(
            "What moves the date most", anchor="start",
            subtitle=f"{name} P85 against the plan, at each end of each swept field"))


def heatmap(cells: pd.DataFrame, x: str, y: str, value: str = "p85_days") -> AnyChart | None:
    """A metric over two swept fields (from `sweep.heatmap_table`), the fields named in words
    and dates in the cells; None (nothing shown) without two fields: the
    section's sentence says why."""
    if cells.empty or not x or not y:
        return None
    base = alt.Chart(cells).encode(
        x=alt.X("x:O", title=field_title(x), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("y:O", title=field_title(y)))
    if value == "chance_of_target":
        colour = alt.Color("value:Q", title="chance of target", scale=alt.Scale(
            scheme="greens"), legend=alt.Legend(format=VEGA_PERCENT))
    else:  # darker is later; each cell says its date, so no legend in days since the start
        colour = alt.Color("value:Q", scale=alt.Scale(scheme="orangered"), legend=None)
    rect = base.mark_rect().encode(color=colour)
    text = base.mark_text(fontSize=12).encode(text="label:N")
    return alt.layer(rect, text, data=cells).properties(
        width=min(PRINT_WIDTH, 110 * cells["x"].nunique()),
        height=min(400, 44 * cells["y"].nunique()), title=alt.Title(
            "Sweep heatmap", anchor="start",
            subtitle=f"chance of target by {field_title(x)} and {field_title(y)}"
            if value == "chance_of_target" else
            f"P85 date by {field_title(x)} and {field_title(y)}; darker: later"))
