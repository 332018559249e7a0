"""Charts for the what-if explorer: the what-if drawn over a grey ghost of the baseline, so a
TPM sees at a glance what a change moved.

Each chart reads *named* datasets (``hist``, ``dates``, ``titles``, ``burnup``, ``timeline``),
so its structure is built and validated by Altair once, and an update only swaps the data
(`live_spec`): Altair's validation costs ~0.5 s per redraw on this machine, the data ~10 ms.
The tables come from `workbench.tables`, stacked with a ``run`` column ("what-if" or
"baseline") by `with_run`. `workbench.charts` draws one forecast at a time; these draw two.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from workbench.present.formats import VEGA_DAY_MONTH, VEGA_MONTH, VEGA_PERCENT, VEGA_PERCENT_AXIS

WHATIF = "what-if"
BASELINE = "baseline"
GHOST = "#a3a9b0"  # the baseline: present, but quieter than the what-if
INK = "#1f5fa8"
TARGET = "#c0392b"
WIDTH = 540
DATE_LABELS = ("target", "P85 baseline", "P85 what-if")
AnyChart = alt.LayerChart | alt.FacetChart | alt.VConcatChart


def with_run(whatif: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Stack the what-if and the baseline tables with a ``run`` column telling them apart."""
    return pd.concat([baseline.assign(run=BASELINE), whatif.assign(run=WHATIF)],
                     ignore_index=True)


def datasets(frames: Mapping[str, pd.DataFrame]) -> dict[str, list[dict[str, Any]]]:
    """Tables as Vega-Lite datasets (dates as ISO strings, missing values as null)."""
    # pandas' JSON writer is C: ten times quicker than Altair's sanitiser on these tables
    return {name: json.loads(frame.to_json(orient="records", date_format="iso"))
            for name, frame in frames.items()}


def live_spec(template: Mapping[str, Any], frames: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """A chart spec built once (``chart.to_dict()``) with today's data in its named datasets."""
    spec = dict(template)
    spec["datasets"] = datasets(frames)
    return spec


def _run_colour() -> alt.Color:
    return alt.Color("run:N", title=None,
                     scale=alt.Scale(domain=[WHATIF, BASELINE], range=[INK, GHOST]),
                     legend=alt.Legend(orient="top"))


def finish_distribution(milestones: Sequence[str], width: int = WIDTH) -> alt.VConcatChart:
    """Per milestone, the share of runs finishing each week (what-if bars over baseline bars),
    the target as a red dashed rule and each run's P85 as a rule, titled with the chance of
    making the target.

    Data: ``hist`` (milestone, week_start, week_end, share, run), ``dates`` (milestone, label
    in `DATE_LABELS`, when) and ``titles`` (milestone, text).
    """
    return alt.vconcat(*[_milestone_chart(name, width) for name in milestones]).properties(
        spacing=28)


def _milestone_chart(name: str, width: int) -> AnyChart:
    only = alt.datum.milestone == name
    x = alt.X("week_start:T", title="finish week", axis=alt.Axis(format=VEGA_DAY_MONTH))
    bars = alt.Chart(alt.Data(name="hist")).transform_filter(only).mark_bar(
        opacity=0.55, binSpacing=0).encode(
        x=x, x2="week_end:T",
        y=alt.Y("share:Q", title="share of runs", stack=None,
                axis=alt.Axis(format=VEGA_PERCENT_AXIS)),
        y2=alt.datum(0), color=_run_colour(),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("week_start:T", title="week of"),
                 alt.Tooltip("share:Q", format=VEGA_PERCENT)])
    rules = alt.Chart(alt.Data(name="dates")).transform_filter(only).mark_rule(
        strokeWidth=2).encode(
        x="when:T",
        stroke=alt.Stroke("label:N", title=None, legend=alt.Legend(orient="top"),
                          scale=alt.Scale(domain=list(DATE_LABELS),
                                          range=[TARGET, GHOST, INK])),
        strokeDash=alt.StrokeDash("label:N", legend=None,
                                  scale=alt.Scale(domain=list(DATE_LABELS),
                                                  range=[[6, 3], [3, 2], [1, 0]])),
        tooltip=["label:N", alt.Tooltip("when:T")])
    title = alt.Chart(alt.Data(name="titles")).transform_filter(only).mark_text(
        align="left", baseline="bottom", x=0, y=-6, fontSize=12, fontWeight="bold").encode(
        text="text:N")
    return alt.layer(bars, rules, title).properties(width=width, height=110)


def burnup_fan(width: int = WIDTH) -> AnyChart:
    """Items done by each week: the what-if's 15-85% band and median over the baseline's.

    Data: ``burnup`` (week_end, done_p85, done_p50, done_optimistic, scope, run).
    """
    base = alt.Chart(alt.Data(name="burnup")).encode(
        x=alt.X("week_end:T", title=None, axis=alt.Axis(format=VEGA_MONTH)))
    band = base.mark_area(opacity=0.22).encode(
        y=alt.Y("done_p85:Q", title="items done"), y2="done_optimistic:Q", color=_run_colour())
    median = base.mark_line(strokeWidth=2).encode(
        y="done_p50:Q", color=_run_colour(),
        strokeDash=alt.StrokeDash("run:N", legend=None,
                                  scale=alt.Scale(domain=[WHATIF, BASELINE],
                                                  range=[[1, 0], [5, 3]])),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("week_end:T"),
                 alt.Tooltip("done_p50:Q", title="items done (median)", format=".0f")])
    scope = base.mark_line(color="#555", strokeWidth=1, opacity=0.6).encode(
        y="scope:Q", detail="run:N")
    return alt.layer(band, median, scope).properties(
        width=width, height=170,
        title=alt.Title("Burn-up: items done (median, with the 15-85% band)", anchor="start",
                        fontSize=13))


def epic_timeline(order: Sequence[str], width: int = WIDTH) -> AnyChart:
    """One bar per epic from its P50 to its P85 finish: the baseline a wide grey ghost, the
    what-if a narrow bar in its team's colour on top. ``order`` fixes the rows (the baseline's),
    so a change moves bars, not rows.

    Data: ``timeline`` (epic, team, bar_start, bar_end, run).
    """
    y = alt.Y("epic:N", sort=list(order), title=None)
    tooltip = [alt.Tooltip("epic:N"), alt.Tooltip("team:N"), alt.Tooltip("run:N"),
               alt.Tooltip("bar_start:T", title="P50"), alt.Tooltip("bar_end:T", title="P85")]
    data = alt.Data(name="timeline")
    ghost = alt.Chart(data).transform_filter(alt.datum.run == BASELINE).mark_bar(
        color=GHOST, opacity=0.45, size=14).encode(
        x=alt.X("bar_start:T", title="P50 to P85 finish", axis=alt.Axis(format=VEGA_MONTH)),
        x2="bar_end:T", y=y, tooltip=tooltip)
    now = alt.Chart(data).transform_filter(alt.datum.run == WHATIF).mark_bar(size=6).encode(
        x="bar_start:T", x2="bar_end:T", y=y,
        color=alt.Color("team:N", legend=alt.Legend(orient="top", title=None)), tooltip=tooltip)
    return alt.layer(ghost, now).properties(
        width=width, height=max(120, 17 * len(order)),
        title=alt.Title("Epics: P50 to P85 finish (grey: baseline)", anchor="start",
                        fontSize=13))
