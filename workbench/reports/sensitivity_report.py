"""The report's "What moves the date most" section: the sensitivity of the headline milestone
(each uncertain input at its low and high end, `sim.sensitivity`) as a tornado with both ends
labelled, and the widest swings in words. Paired with the forecast's own first runs (the same
seeds), so it needs a fraction of the headline's replications to be precise."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from workbench.present import sensitivity_charts, tables
from workbench.present.sentences import Html
from workbench.reports.scenario_report import ReportData
from workbench.sim.sensitivity import sensitivity

SENSITIVITY_REPS = 100  # runs per end, paired with the forecast's first runs
SHOWN = 3  # swings said in words under the chart


@dataclass(frozen=True)
class Moves:
    """The sensitivity table of a report, and the milestone it is shown for."""

    table: pd.DataFrame
    milestone: str
    reps: int


def what_moves(data: ReportData, reps: int = SENSITIVITY_REPS, workers: int = 1,
               enabled: bool = True) -> Moves | None:
    """Every uncertain input moved low and high over the forecast's first ``reps`` runs (None
    when switched off, or with no milestone)."""
    headline = tables.headline_milestone(data.forecast)
    if not enabled or not headline:
        return None
    base = data.forecast.head(reps)
    table = sensitivity(data.scenario, base.reps, data.forecast.seed, baseline=base,
                        workers=workers or None)
    return Moves(table, headline, base.reps)


def sentences(moves: Moves | None) -> Html:
    """The widest swings in words, or why the section is empty."""
    if moves is None:
        return Html(["Left out of this report (sensitivity: false)."], tag="p")
    rows = moves.table[moves.table["milestone"] == moves.milestone].head(SHOWN)
    if rows.empty:
        return Html(["Nothing uncertain to move: every effort is fixed and there are no "
                     "risks."], tag="p")
    lead = (f"For {moves.milestone}, each input at its low and its high end, everything else as "
            f"planned ({moves.reps} runs per end, the same seeds): the widest swings first.")
    return Html([sensitivity_charts.swing_text(r) for _, r in rows.iterrows()], lead=lead)


def tornado(moves: Moves | None) -> alt.LayerChart | alt.FacetChart | None:
    """The tornado of the headline milestone (None: nothing to draw)."""
    if moves is None or moves.table[moves.table["milestone"] == moves.milestone].empty:
        return None
    return sensitivity_charts.tornado(moves.table, moves.milestone)
