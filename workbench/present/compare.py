"""Named scenarios side by side (`workbench compare`): one row per figure, one column per
scenario, in the words and formats of `workbench run`; and a chart of each milestone's P50 to
P85 window per scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from workbench.present.charts import P85_COLOUR, PRINT_WIDTH, TARGET_COLOUR, AnyChart
from workbench.present.formats import BEYOND, VEGA_MONTH, iso_date, percent, short_date
from workbench.present.sentences import cost_figures
from workbench.sim.forecast import ProgramForecast

Named = Sequence[tuple[str, ProgramForecast]]  # (column label, its forecast)


def compare_rows(named: Named, date: Any = iso_date) -> list[dict[str, str]]:
    """One dict per figure: ``figure`` and one cell per scenario label. Milestones of every
    scenario appear (a scenario without one shows a dash)."""
    milestones = list(dict.fromkeys(m for _, f in named for m in f.scenario.milestones))
    rows = [{"figure": "scenario", **{label: f.scenario.name for label, f in named}}]
    by_name = {label: {m["name"]: m for m in f.milestones()} for label, f in named}
    for m in milestones:
        for key, words in (("p50", "P50"), ("p85", "P85"), ("p95", "P95"),
                           ("chance_of_target", "chance of target")):
            rows.append({"figure": f"{m} {words}", **{
                label: _cell(by_name[label].get(m), key, date) for label, _ in named}})
    rows.append({"figure": "cost P50", **{label: cost_figures(f)["p50"] for label, f in named}})
    rows.append({"figure": "cost P85", **{label: cost_figures(f)["p85"] for label, f in named}})
    if any(f.budget() for _, f in named):
        rows.append({"figure": "chance within budget", **{
            label: percent((f.budget() or {}).get("chance_within")) for label, f in named}})
    return rows


def _cell(m: dict[str, Any] | None, key: str, date: Any) -> str:
    if m is None:
        return "—"
    if key == "chance_of_target":
        return percent(m[key])
    return str(date(m[key], missing=BEYOND))


def compare_table(named: Named, date: Any = iso_date) -> pd.DataFrame:
    """`compare_rows` as a frame indexed by figure (for the terminal, CSV and the report)."""
    return pd.DataFrame(compare_rows(named, date)).set_index("figure")


def compare_long(named: Named) -> pd.DataFrame:
    """The raw numbers, one row per scenario, milestone and figure (for CSV): dates ISO,
    shares 0-1, money in units."""
    rows = []
    for label, f in named:
        for m in f.milestones():
            for key in ("p50", "p85", "p95", "chance_of_target"):
                rows.append({"scenario": label, "name": f.scenario.name,
                             "figure": f"{m['name']} {key}", "value": m[key]})
        cost = f.cost()
        rows += [{"scenario": label, "name": f.scenario.name, "figure": f"cost {p}",
                  "value": cost[p]} for p in ("p50", "p85", "p95")]
    return pd.DataFrame(rows, columns=["scenario", "name", "figure", "value"])


def windows_table(named: Named) -> pd.DataFrame:
    """Per scenario and milestone: P50, P85, P95 and target dates, and a P85 label."""
    rows = [{"scenario": label, "milestone": m["name"], "p50": m["p50"], "p85": m["p85"],
             "p95": m["p95"], "target": m["target"], "label": f"P85 {short_date(m['p85'])}"}
            for label, f in named for m in f.milestones() if m["p50"]]
    t = pd.DataFrame(rows, columns=["scenario", "milestone", "p50", "p85", "p95", "target",
                                    "label"])
    for c in ("p50", "p85", "p95", "target"):
        t[c] = pd.to_datetime(t[c])
    return t


def windows_chart(t: pd.DataFrame) -> AnyChart:
    """Each milestone, one panel: per scenario a bar from P50 to P85, a tick at P95, the target
    in red. From `windows_table`."""
    if t.empty:
        from workbench.present.charts import message

        return message("No milestone finished within the horizon.", "Scenarios compared")
    order = list(dict.fromkeys(t["scenario"]))
    y = alt.Y("scenario:N", title=None, sort=order)
    axis = alt.Axis(format=VEGA_MONTH, tickCount="month", labelAngle=0)
    bar = alt.Chart().mark_bar(height=14, color="#8fb3d9").encode(
        x=alt.X("p50:T", title=None, axis=axis), x2="p85:T", y=y)
    p95 = alt.Chart().mark_tick(color="#7f7f7f", thickness=2, size=16).encode(x="p95:T", y=y)
    target = alt.Chart().mark_tick(color=TARGET_COLOUR, thickness=2, size=22).encode(
        x="target:T", y=y)
    label = alt.Chart().mark_text(align="left", dx=6, color=P85_COLOUR).encode(
        x="p85:T", y=y, text="label:N")
    header = alt.Header(labelAngle=0, labelOrient="top", labelAnchor="start", labelFontSize=13,
                        labelFontWeight="bold", title=None)
    return alt.layer(bar, p95, target, label).properties(
        width=PRINT_WIDTH - 100, height=max(40, 26 * len(order))).facet(
        row=alt.Row("milestone:N", header=header, sort=None), data=t).properties(
        title=alt.Title("Scenarios compared", anchor="start",
                        subtitle="bars: P50 to P85; grey tick: P95; red tick: target"))
