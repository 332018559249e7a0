"""Charts a TPM shows leadership: pure functions from a tidy table (`workbench.tables`) to an
Altair chart, plus a static renderer so every chart is a picture that shows everywhere.

Why static: Altair's default renderer loads Vega from a CDN (blank offline), its `mimetype`
renderer drops the chart in Altair 6, and untrusted JupyterLab refuses SVG. `use_static_charts()`
renders each chart with vl-convert to SVG (crisp, picked by the HTML export) and PNG (picked by
untrusted JupyterLab and static viewers): no JavaScript, no network (the renderer matrix is in
the team's notebook tooling notes, section 1).
"""

from __future__ import annotations

import base64
from typing import Any

import altair as alt
import pandas as pd

from workbench.present.formats import (
    VEGA_MONEY,
    VEGA_MONTH,
    VEGA_PERCENT,
    VEGA_PERCENT_AXIS,
    money,
)

AnyChart = alt.Chart | alt.LayerChart | alt.FacetChart | alt.VConcatChart | alt.HConcatChart
WIDTH = 580  # plot width: with axes and a legend on top it fits A4 portrait (186 mm)
TARGET_COLOUR = "#c0392b"
P85_COLOUR = "#1f4e79"
PNG_SCALE = 2  # PNG at twice the size, shown at half: sharp on high-density screens


# --- the static renderer -------------------------------------------------------------------------

def static_bundle(spec: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """A Vega-Lite spec as a Jupyter MIME bundle: SVG, PNG and a text fallback (no scripts)."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(spec, vl_version=_vl_version())
    png = vlc.svg_to_png(svg, scale=PNG_SCALE)  # rasterise the SVG: one Vega run, not two
    width, height = _png_size(png)
    bundle = {"image/svg+xml": svg, "image/png": base64.b64encode(png).decode("ascii"),
              "text/plain": f"Chart: {_title_text(spec)}"}
    return bundle, {"image/png": {"width": width // PNG_SCALE, "height": height // PNG_SCALE}}


def use_static_charts() -> None:
    """Show every chart in this kernel as SVG+PNG pictures (call once at the top of a notebook;
    returns None so nothing is printed)."""
    if "workbench_static" not in alt.renderers.names():
        alt.renderers.register("workbench_static", lambda spec, **_: static_bundle(spec))
    alt.renderers.enable("workbench_static")


def _vl_version() -> str:
    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return f"v{major}_{minor}"


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG header (IHDR chunk)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _title_text(spec: dict[str, Any]) -> str:
    title = spec.get("title", "chart")
    return str(title.get("text", "chart") if isinstance(title, dict) else title)


def message(text: str, title: str = "") -> alt.Chart:
    """A chart that only says why there is nothing to draw (e.g. no risks in the scenario)."""
    return alt.Chart(pd.DataFrame({"text": [text]}), title=title).mark_text(
        fontSize=14, color="#555").encode(text="text:N").properties(width=WIDTH, height=60)


# --- scenario report charts ----------------------------------------------------------------------

def completion_dates(hist: pd.DataFrame) -> AnyChart:
    """When each milestone lands across runs (share of runs per week), target in red, P85
    dashed. From `tables.finish_histogram`."""
    if hist.empty:
        return message("No milestones finished within the horizon.", "Completion dates")
    x = alt.X("week_start:T", title=None, axis=alt.Axis(format=VEGA_MONTH, tickCount="month"))
    bars = alt.Chart().mark_bar(color="#8fb3d9").encode(
        x=x, x2="week_end:T",
        y=alt.Y("share:Q", title="share of runs", axis=alt.Axis(format=VEGA_PERCENT_AXIS)),
        y2=alt.datum(0), tooltip=["week_start:T", alt.Tooltip("share:Q", format=VEGA_PERCENT)])
    target = alt.Chart().mark_rule(color=TARGET_COLOUR, strokeWidth=2).encode(x="target:T")
    label = alt.Chart().mark_text(align="left", dx=4, dy=-4, color=TARGET_COLOUR, baseline="top",
                                  y=0).encode(x="target:T", text=alt.value("target"))
    p85 = alt.Chart().mark_rule(color=P85_COLOUR, strokeDash=[5, 3]).encode(x="p85:T")
    return alt.layer(bars, target, label, p85, data=hist).properties(
        width=WIDTH, height=110).facet(row=alt.Row("milestone:N", title=None)).properties(
        title=alt.Title("When each milestone lands",
                        subtitle="share of runs finishing each week; red: target; dashed: P85"))


def burnup(burn: pd.DataFrame) -> AnyChart:
    """Items done week by week: the median run (P50), the level 85% of runs reach (P85), the
    fan between them, and total scope. From `tables.burnup_table`."""
    base = alt.Chart(burn).encode(x=alt.X("week_end:T", title=None,
                                          axis=alt.Axis(format=VEGA_MONTH, tickCount="month")))
    fan = base.mark_area(opacity=0.25, color=P85_COLOUR).encode(
        y=alt.Y("done_p85:Q", title="items done"), y2="done_p50:Q")
    lines = base.transform_fold(["done_p50", "done_p85", "scope"], as_=["line", "items"]).mark_line(
    ).encode(y="items:Q", color=alt.Color(
        "line:N", title=None, scale=alt.Scale(domain=["done_p50", "done_p85", "scope"],
                                              range=["#2e75b6", P85_COLOUR, "#999999"]),
        legend=alt.Legend(orient="top", labelExpr="{'done_p50': 'P50', 'done_p85': 'P85 (85% "
                                    "of runs at least)', 'scope': 'scope (median)'}[datum.label]")),
        strokeDash=alt.condition("datum.line == 'scope'", alt.value([4, 4]), alt.value([1, 0])))
    return alt.layer(fan, lines).properties(
        width=WIDTH, height=260,
        title=alt.Title("Burn-up with forecast fan", subtitle="items done by each week's end"))


def epic_timeline(timeline: pd.DataFrame, links: pd.DataFrame) -> AnyChart:
    """Each epic's finish window (P50 to P85) by team, with grey lines from each prerequisite to
    the epic waiting for it. From `tables.epic_timeline` and `tables.dependency_links`."""
    if timeline.empty:
        return message("No epics in this scenario.", "Epic timeline")
    order = timeline.sort_values("order")["epic"].tolist()
    scale = alt.Scale(domain=order)
    x_axis = alt.Axis(format=VEGA_MONTH, tickCount="month")
    bars = alt.Chart(timeline).mark_bar(height=12, cornerRadius=2).encode(
        x=alt.X("bar_start:T", title=None, axis=x_axis), x2="bar_end:T",
        y=alt.Y("epic:N", title=None, scale=scale, sort=order),
        color=alt.Color("team:N", title="team"),
        tooltip=["epic:N", "team:N", "p50:T", "p85:T", "depends_on:N"])
    beyond = alt.Chart(timeline).transform_filter("datum.beyond_horizon").mark_text(
        align="left", dx=4, color=TARGET_COLOUR).encode(
        x="bar_end:T", y=alt.Y("epic:N", scale=scale, sort=order),
        text=alt.value("P85 beyond horizon"))
    layers: list[Any] = [bars, beyond]
    if not links.empty:
        layers.insert(0, alt.Chart(links).mark_rule(color="#9a9a9a", strokeDash=[2, 2]).encode(
            x="from_date:T", x2="to_date:T",
            y=alt.Y("from_epic:N", scale=scale, sort=order, bandPosition=0.5),
            y2=alt.Y2("to_epic:N", bandPosition=0.5)))
    return alt.layer(*layers).properties(
        width=WIDTH, height=max(120, 22 * len(order)),
        title=alt.Title("Epic timeline", subtitle="bars: P50 to P85 finish; dotted: waits for"))


def team_utilisation(util: pd.DataFrame) -> alt.Chart:
    """Week by week, the share of each team's planned-work capacity spent on items in one
    typical run. From `tables.team_utilisation`."""
    return alt.Chart(util).mark_line(interpolate="step-after").encode(
        x=alt.X("week_start:T", title=None, axis=alt.Axis(format=VEGA_MONTH, tickCount="month")),
        y=alt.Y("utilisation:Q", title="utilisation", axis=alt.Axis(format=VEGA_PERCENT_AXIS),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("team:N", title="team")).properties(
        width=WIDTH, height=220,
        title=alt.Title("Team utilisation over time", subtitle="one typical run, by week"))


def cumulative_flow(cfd: pd.DataFrame) -> alt.Chart:
    """Items per state day by day in one typical run, stacked: widening bands are queues
    building up. From `tables.cumulative_flow`."""
    states = cfd.drop_duplicates("state").sort_values("order")["state"].tolist()
    return alt.Chart(cfd).mark_area().encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format=VEGA_MONTH, tickCount="month")),
        y=alt.Y("items:Q", title="items", stack="zero"),
        color=alt.Color("state:N", title=None, sort=states,
                        scale=alt.Scale(scheme="tableau20"),
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=180)),
        order=alt.Order("order:Q", sort="ascending")).properties(
        width=WIDTH, height=260,
        title=alt.Title("Cumulative flow", subtitle="one typical run; bands: items per state"))


def cost_distribution(hist: pd.DataFrame) -> AnyChart:
    """People cost across runs, with the P50 and P85 cost marked. From
    `tables.cost_histogram`."""
    base = alt.Chart(hist)
    currency = str(hist["currency"].iloc[0]) if "currency" in hist and len(hist) else ""
    title = f"people cost ({currency})" if currency else "people cost"
    bars = base.mark_bar(color="#9cc3a5").encode(
        x=alt.X("cost_low:Q", title=title, axis=alt.Axis(format=VEGA_MONEY),
                scale=alt.Scale(zero=False)), x2="cost_high:Q",
        y=alt.Y("share:Q", title="share of runs", axis=alt.Axis(format=VEGA_PERCENT_AXIS)),
        y2=alt.datum(0))
    rules = base.transform_aggregate(p50="min(p50)", p85="min(p85)").transform_fold(
        ["p50", "p85"], as_=["which", "cost"]).mark_rule(strokeWidth=2).encode(
        x="cost:Q", color=alt.Color("which:N", title=None, scale=alt.Scale(
            domain=["p50", "p85"], range=["#2e75b6", P85_COLOUR]),
            legend=alt.Legend(labelExpr="upper(datum.label)")))
    return alt.layer(bars, rules).properties(
        width=WIDTH, height=200, title=alt.Title("Cost distribution", subtitle="across runs"))


def cost_burn(burn: pd.DataFrame, currency: str = "") -> AnyChart:
    """Cost accrued over time in a typical run, against the budget (a red rule) when there is
    one. From `tables.cost_burn`."""
    if burn.empty or not burn["cost"].max() > 0:
        return message("No cost to draw (no team has a cost_per_person_day).", "Cost over time")
    title = f"cost so far ({currency})" if currency else "cost so far"
    line = alt.Chart(burn).mark_line(color="#2e7d32").encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format=VEGA_MONTH, tickCount="month")),
        y=alt.Y("cost:Q", title=title, axis=alt.Axis(format=VEGA_MONEY, labelExpr=MONEY_TICK)))
    layers: list[Any] = [line]
    budgeted = bool(burn["budget"].notna().any())
    if budgeted:
        layers.append(alt.Chart(burn.head(1)).mark_rule(color=TARGET_COLOUR, strokeDash=[6, 3])
                      .encode(y="budget:Q"))
    heading = ("Cost against budget", "one typical run; red: the budget") if budgeted else \
        ("Cost over time", "one typical run")
    return alt.layer(*layers).properties(width=WIDTH, height=220, title=alt.Title(
        heading[0], subtitle=heading[1]))


# A zero tick reads "0", not "0M" (d3's SI format gives the unit of the other ticks).
MONEY_TICK = "datum.value == 0 ? '0' : datum.label"


def risk_impact(impact: pd.DataFrame, milestone: str | None = None) -> AnyChart:
    """Tornado of risks: how many days each one moves a milestone's P85 (bar = P85 with every
    risk minus P85 with that one switched off, same seed). From `whatif.risk_impact`."""
    rows = impact if milestone is None else impact[impact["milestone"] == milestone]
    rows = rows.dropna(subset=["shift_days"])
    if rows.empty:
        return message("No risks to weigh (none in the scenario, or skipped).", "Risk impact")
    order = rows.groupby("risk")["shift_days"].max().sort_values(ascending=False).index.tolist()
    base = alt.Chart(rows).encode(y=alt.Y("risk:N", sort=order, title=None))
    bars = base.mark_bar(color="#d98c5f").encode(
        x=alt.X("shift_days:Q", title="calendar days later at P85 because of this risk"),
        tooltip=["risk:N", "milestone:N", alt.Tooltip("shift_days:Q", format=".0f")])
    text = base.mark_text(align="left", dx=3).encode(
        x="shift_days:Q", text=alt.Text("shift_days:Q", format="+.0f"))
    chart = alt.layer(bars, text, data=rows).properties(width=WIDTH - 120,
                                                        height=max(60, 26 * len(order)))
    label = milestone or "each milestone"
    return chart.properties(title=alt.Title("Risk impact", subtitle=f"P85 shift of {label}")) \
        if milestone else chart.facet(row=alt.Row("milestone:N", title=None)).properties(
        title=alt.Title("Risk impact", subtitle="P85 shift per milestone"))


# --- sweep charts --------------------------------------------------------------------------------

def sweep_heatmap(cells: pd.DataFrame, x: str, y: str, value: str = "p85_days") -> AnyChart:
    """A metric (P85 days by default) over two swept fields ``x`` and ``y``: darker is later.
    From `sweep.heatmap_table`; with fewer than two swept fields, says so."""
    if cells.empty or not x or not y:
        return message("A heatmap needs a grid over two fields.", "Heatmap")
    base = alt.Chart(cells).encode(x=alt.X("x:O", title=x, axis=alt.Axis(labelAngle=0)),
                                   y=alt.Y("y:O", title=y))
    scale = alt.Scale(scheme="greens") if value == "chance_of_target" \
        else alt.Scale(scheme="orangered")  # more chance is good; more days is bad
    rect = base.mark_rect().encode(color=alt.Color("value:Q", title=value, scale=scale))
    text = base.mark_text(fontSize=12).encode(text="label:N")
    return alt.layer(rect, text).properties(
        width=min(WIDTH, 110 * cells["x"].nunique()), height=min(400, 44 * cells["y"].nunique()),
        title=alt.Title("Sweep heatmap", subtitle=f"{value} by {x} and {y}"))


def sweep_tornado(swings: pd.DataFrame) -> AnyChart:
    """Which change moves the date most: per swept field (or point), the range of P85 it spans,
    in days relative to the reference. From `sweep.tornado_table`."""
    if swings.empty:
        return message("Nothing swept to compare.", "What moves the date most")
    order = swings.sort_values("swing_days", ascending=False)["change"].tolist()
    reference = swings["reference"].iloc[0] if "reference" in swings else "the reference"
    base = alt.Chart(swings).encode(y=alt.Y("change:N", sort=order, title=None))
    bars = base.mark_bar(color="#7a9cc6").encode(
        x=alt.X("low_days:Q", title=f"P85 shift (days) vs {reference}"), x2="high_days:Q")
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#333").encode(x="x:Q")
    return alt.layer(bars, zero).properties(
        width=WIDTH - 160, height=max(60, 28 * len(order)),
        title=alt.Title("What moves the date most",
                        subtitle=f"days earlier (-) or later (+) at P85 than {reference}"))


# --- the report's main charts, sized to print (A4 and Letter portrait) ------------------------

PRINT_WIDTH = 560  # plot width: with axis labels the picture stays under A4's 186 mm (~700 px)
LINE_COLOURS = {"P50": "#2e75b6", "P85": P85_COLOUR, "P95": "#7f7f7f", "target": TARGET_COLOUR}
LINE_DASHES = {"P50": [1, 0], "P85": [6, 3], "P95": [2, 2], "target": [1, 0]}
TODAY_COLOUR = "#2e7d32"


WHEN_PANEL_HEIGHT = 140  # px: room for four label rows above the tallest bars


def when_chart(when: pd.DataFrame) -> AnyChart:
    """When each milestone lands: one panel per milestone (its name on top), the share of runs
    finishing each week, and labelled P50, P85, P95 and target lines with their dates. From
    `report_tables.when_table`."""
    if when.empty:
        return message("No milestones finished within the horizon.", "When each milestone lands")
    x = alt.X("when:T", title=None, axis=alt.Axis(format=VEGA_MONTH, tickCount="month",
                                                   labelAngle=0))
    bars = alt.Chart().transform_filter("datum.kind == 'bar'").mark_bar(
        color="#c9dcef").encode(
        x=alt.X("week_start:T", title=None, axis=alt.Axis(format=VEGA_MONTH, tickCount="month",
                                                          labelAngle=0)),
        x2="week_end:T", y=alt.Y("share:Q", title="share of runs",
                                 axis=alt.Axis(format=VEGA_PERCENT_AXIS)), y2=alt.datum(0))
    lines = alt.Chart().transform_filter("datum.kind == 'line'")
    # Labels in a staircase by date, each right of its line; a line starts at its own label's
    # row, so it never runs through the (earlier, higher) labels to its left.
    row = alt.YOffset("label_dy:Q", scale=None)  # pixels below the panel's top
    rules = lines.mark_rule(strokeWidth=2).encode(
        x=x, y=alt.value(2), y2=alt.value(WHEN_PANEL_HEIGHT), yOffset=row,
        color=_line_colour(), strokeDash=alt.StrokeDash(
            "line:N", scale=alt.Scale(domain=list(LINE_DASHES), range=list(LINE_DASHES.values())),
            legend=None))
    labels = lines.mark_text(align="left", dx=4, baseline="top", fontSize=11).encode(
        x=x, y=alt.value(2), yOffset=row, text="text:N", color=_line_colour())
    panel = alt.layer(bars, rules, labels).properties(
        width=PRINT_WIDTH, height=WHEN_PANEL_HEIGHT)
    header = alt.Header(labelAngle=0, labelOrient="top", labelAnchor="start", labelFontSize=13,
                        labelFontWeight="bold", title=None)
    return panel.facet(row=alt.Row("milestone:N", header=header, sort=None), data=when) \
        .properties(title=alt.Title(
            "When each milestone lands",
            subtitle="bars: share of runs finishing each week; lines: P50, P85, P95, target"))


def _line_colour() -> alt.Color:
    return alt.Color("line:N", title=None, scale=alt.Scale(
        domain=list(LINE_COLOURS), range=list(LINE_COLOURS.values())),
        legend=alt.Legend(orient="top"))


def roadmap(table: pd.DataFrame, links: pd.DataFrame, marks: pd.DataFrame) -> AnyChart:
    """The roadmap: each epic from its P50 start to its P85 finish (a tick at its P50 finish),
    coloured by team; vertical lines for each milestone's P85 and today; a dependency is a
    vertical connector at the moment the waiting epic starts, from its prerequisite's row
    (a dot) down to its own (a triangle). From `report_tables.roadmap_table`, `roadmap_links`
    and `roadmap_marks`."""
    if table.empty:
        return message("No epics in this scenario.", "Roadmap")
    order = table.sort_values("order")["epic"].tolist()
    y = alt.Y("epic:N", title=None, sort=order, scale=alt.Scale(domain=order))
    axis = alt.Axis(format=VEGA_MONTH, tickCount="month", labelAngle=0)
    team = alt.Color("team:N", title="team", legend=alt.Legend(orient="top"))
    bars = alt.Chart(table).mark_bar(height=12, cornerRadius=2, opacity=0.85).encode(
        x=alt.X("start:T", title=None, axis=axis), x2="p85:T", y=y, color=team,
        tooltip=["epic:N", "team:N", "window:N"])
    ticks = alt.Chart(table).mark_tick(color="white", thickness=2, size=12).encode(
        x="p50:T", y=y)
    beyond = alt.Chart(table).transform_filter("datum.beyond_horizon").mark_text(
        align="left", dx=4, color=TARGET_COLOUR).encode(
        x="p85:T", y=y, text=alt.value("P85 beyond horizon"))
    layers: list[Any] = [bars, ticks, beyond, *_roadmap_marks(marks)]
    if not links.empty:
        layers[:0] = _connectors(links, order)
    return alt.layer(*layers).properties(
        width=PRINT_WIDTH - 60, height=max(120, 22 * len(order)),
        title=alt.Title("Roadmap", anchor="start", subtitle=(
            "bars: P50 start to P85 finish (white tick: P50 finish); connectors: waits for; "
            "lines: milestone P85 and the report date")))


def _connectors(links: pd.DataFrame, order: list[str]) -> list[Any]:
    y = alt.Y("from_epic:N", sort=order, scale=alt.Scale(domain=order), bandPosition=0.5)
    base = alt.Chart(links)
    rule = base.mark_rule(color="#555", strokeWidth=1.2).encode(
        x="when:T", y=y, y2=alt.Y2("to_epic:N", bandPosition=0.5))
    dot = base.mark_point(filled=True, color="#555", size=25).encode(x="when:T", y=y)
    head = base.mark_point(shape="triangle-down", filled=True, color="#555", size=40).encode(
        x="when:T", y=alt.Y("to_epic:N", sort=order, scale=alt.Scale(domain=order)))
    return [rule, dot, head]


def _roadmap_marks(marks: pd.DataFrame) -> list[Any]:
    if marks.empty:
        return []
    colour = alt.condition("datum.kind == 'today'", alt.value(TODAY_COLOUR),
                           alt.value(P85_COLOUR))
    rule = alt.Chart(marks).mark_rule(strokeDash=[5, 3], strokeWidth=1.5).encode(
        x="when:T", color=colour)
    text = alt.Chart(marks).mark_text(align="left", dx=3, baseline="bottom", angle=0,
                                      fontSize=10, y=-2).encode(
        x="when:T", text="label:N", color=colour)
    return [rule, text]


def utilisation_summary(bands: pd.DataFrame) -> AnyChart:
    """Each team's utilisation across runs: the P10 to P90 band and the median (labelled).
    From `report_tables.utilisation_bands`."""
    if bands.empty:
        return message("No team utilisation to show.", "Team utilisation")
    order = bands.sort_values("median")["team"].tolist()
    y = alt.Y("team:N", title=None, sort=order)
    x = alt.X("low:Q", title="share of planned-work time spent on items",
              scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=VEGA_PERCENT_AXIS))
    band = alt.Chart(bands).mark_bar(height=14, color="#c9dcef").encode(x=x, x2="high:Q", y=y)
    median = alt.Chart(bands).mark_tick(color=P85_COLOUR, thickness=3, size=18).encode(
        x="median:Q", y=y)
    label = alt.Chart(bands).mark_text(align="left", dx=6, fontSize=11).encode(
        x="high:Q", y=y, text="label:N")
    return alt.layer(band, median, label).properties(
        width=PRINT_WIDTH - 60, height=max(60, 30 * len(order)), title=alt.Title(
            "Team utilisation across runs", anchor="start",
            subtitle="band: P10 to P90 of runs; dark tick and label: the median run"))


def cost_against_budget(hist: pd.DataFrame, budget: Any = None) -> AnyChart:
    """People cost across runs in the scenario's currency, P50 and P85 labelled with their
    amounts, and the budget (red) where there is one (an amount, or the scenario's `budget`).
    From `tables.cost_histogram`."""
    budget = getattr(budget, "total", budget)
    if hist.empty or not hist["cost_high"].max() > 0:
        return message("No cost to draw (no team has a cost_per_person_day).", "Cost")
    currency = str(hist["currency"].iloc[0]) if "currency" in hist else ""
    bars = alt.Chart(hist).mark_bar(color="#9cc3a5").encode(
        x=alt.X("cost_low:Q", title=f"people cost ({currency})" if currency else "people cost",
                axis=alt.Axis(format=VEGA_MONEY), scale=alt.Scale(zero=False)),
        x2="cost_high:Q", y=alt.Y("share:Q", title="share of runs",
                                  axis=alt.Axis(format=VEGA_PERCENT_AXIS)), y2=alt.datum(0))
    rules = _cost_rules(hist, budget, currency)
    marks = alt.Chart(rules)
    rule = marks.mark_rule(strokeWidth=2).encode(x="cost:Q", color=alt.Color(
        "line:N", title=None, legend=None, scale=alt.Scale(
            domain=["P50", "P85", "budget"], range=["#2e75b6", P85_COLOUR, TARGET_COLOUR])))
    text = marks.mark_text(align="left", dx=4, baseline="top", fontSize=11).encode(
        x="cost:Q", y="label_y:Q", text="text:N", color=alt.Color("line:N", legend=None))
    return alt.layer(bars, rule, text).properties(
        width=PRINT_WIDTH, height=200, title=alt.Title(
            "Cost across runs", anchor="start",
            subtitle="P50 and P85 cost" + (" against the budget (red)" if budget else "")))


def _cost_rules(hist: pd.DataFrame, budget: float | None, currency: str) -> pd.DataFrame:
    rows = [{"line": "P50", "cost": float(hist["p50"].iloc[0])},
            {"line": "P85", "cost": float(hist["p85"].iloc[0])}]
    if budget:
        rows.append({"line": "budget", "cost": float(budget)})
    top = float(hist["share"].max())
    for i, r in enumerate(rows):  # labels stacked down from the top, so they never overprint
        r["label_y"], r["text"] = top * (1 - 0.14 * i), f"{r['line']} {money(r['cost'], currency)}"
    return pd.DataFrame(rows)
