"""The status call leaders read first: per milestone green, amber or red, the commit date, how
far ahead of or behind the target it is, and the one thing that most moves it.

The rule (documented in docs/howto-weekly-status.md): **green** when the chance of making the
target is at least the scenario's `status.green_at` (default 85%), **amber** when at least
`status.amber_at` (default 50%), **red** below. The commit date is the P85. Ahead/behind counts
working days of the program's calendar (the one calendar, `scenario.calendar`) between the target
and the commit date. What most moves a milestone comes as a ranked list of ``(label, days)``,
so any ranking (risk impact today, a sensitivity ranking tomorrow) can be plugged in.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.present.formats import (
    MISSING,
    as_date,
    calendar_days,
    percent,
    text_date,
    working_days,
)
from workbench.scenario.calendar import WorkCalendar
from workbench.scenario.models import Scenario, StatusRule
from workbench.sim.forecast import ProgramForecast

Ranked = Sequence[tuple[str, float]]
COLOURS = {"green": "#1a7f37", "amber": "#b35900", "red": "#cf222e"}


def status_of(chance: float | None, rule: StatusRule | None = None) -> str | None:
    """'green', 'amber' or 'red' for a chance of making the target (None: no target)."""
    if chance is None or not math.isfinite(chance):
        return None
    rule = rule or StatusRule.model_validate({})
    if chance >= rule.green_at - 1e-12:
        return "green"
    return "amber" if chance >= rule.amber_at - 1e-12 else "red"


def working_days_late(scenario: Scenario, target: dt.date, commit: dt.date) -> int:
    """Working days from the target to the commit date: positive behind, negative ahead."""
    first, last = sorted((target, commit))
    cal = WorkCalendar.from_scenario(scenario.calendar).busdays(first, last)
    count = int(np.busday_count(first + dt.timedelta(days=1), last + dt.timedelta(days=1),
                                busdaycal=cal))
    return count if commit >= target else -count


def top_mover(ranked: Ranked) -> tuple[str, float] | None:
    """The one thing that moves the date most (largest shift either way), if any moves it."""
    moving = [(label, d) for label, d in ranked if math.isfinite(d) and round(d) != 0]
    return max(moving, key=lambda x: abs(x[1])) if moving else None


def risk_ranking(impact: pd.DataFrame | None, milestone: str) -> list[tuple[str, float]]:
    """Risk impact (`sim.whatif.risk_impact`) as a ranked list for one milestone."""
    if impact is None or impact.empty:
        return []
    rows = impact[impact["milestone"] == milestone]
    ranked = [(f"risk {r.risk}", float(r.shift_days)) for r in rows.itertuples()
              if not pd.isna(r.shift_days)]
    return sorted(ranked, key=lambda x: -abs(x[1]))


def status_rows(forecast: ProgramForecast, rankings: Mapping[str, Ranked] | None = None
                ) -> list[dict[str, Any]]:
    """Per milestone: status, chance, target, commit date (P85), working days late, mover."""
    s = forecast.scenario
    return [_row(s, m, (rankings or {}).get(m["name"], ())) for m in forecast.milestones()]


def _row(s: Scenario, m: dict[str, Any], ranked: Ranked) -> dict[str, Any]:
    target, commit = as_date(m["target"]), as_date(m["p85"])
    late = working_days_late(s, target, commit) if target and commit else None
    return {"milestone": m["name"], "status": status_of(m["chance_of_target"], s.status),
            "chance": m["chance_of_target"], "target": target, "commit": commit,
            "working_days_late": late, "mover": top_mover(ranked)}


def status_line(row: dict[str, Any]) -> str:
    """'ga: RED, 32% chance of 31 August 2027; commit to 13 September 2027 (9 working days
    behind); most moves it: risk vendor (+12 days)'."""
    return f"{row['milestone']}: {_word(row)}, {status_text(row)}"


def _word(row: dict[str, Any]) -> str:
    return (row["status"] or "no target").upper()


def status_text(row: dict[str, Any]) -> str:
    """The line without its milestone and status word."""
    head = ""
    if row["target"] is not None:
        head += f"{percent(row['chance'])} chance of {text_date(row['target'])}; "
    head += f"commit to {text_date(row['commit'])}" if row["commit"] is not None else \
        "the commit date (P85) is beyond the horizon"
    head += _late(row["working_days_late"])
    if "plan_commit" in row:  # a what-if: its commit date against the plan's
        head += (f"; against the plan: was {text_date(row['plan_commit'])} → now "
                 f"{text_date(row['commit'])}")
    if row["mover"] is not None:
        label, shift = row["mover"]
        head += f"; most moves it: {label} ({calendar_days(shift, signed=True)})"
    return head


def _late(late: int | None) -> str:
    if late is None:
        return ""
    if late == 0:
        return " (on the target)"
    side = "behind" if late > 0 else "ahead"
    return f" ({working_days(abs(late))} {side})"


def status_lines(forecast: ProgramForecast, rankings: Mapping[str, Ranked] | None = None
                 ) -> list[str]:
    """One status line per milestone (the terminal's and the report's words)."""
    return [status_line(r) for r in status_rows(forecast, rankings)]


def report_date(scenario: Scenario) -> dt.date:
    """The date a forecast is for: the scenario's `as_of`, else the day it is made (UTC)."""
    return scenario.as_of or dt.datetime.now(dt.UTC).date()


def page_head(scenario: Scenario) -> str:
    """'Report date 24 November 2026 · owner Dana': what the page says it is, and whose. Without
    `as_of` the forecast starts at `start` (the scenario model's default): the page says so,
    and the day it was made (the date its forecast-log entry carries)."""
    parts = [f"Report date {text_date(scenario.as_of)}"] if scenario.as_of else [
        f"Forecast from the start, {text_date(scenario.start)} (the scenario sets no as_of; "
        f"made {text_date(report_date(scenario))})"]
    parts += [f"owner {scenario.owner}"] if scenario.owner else []
    return " · ".join(parts)


class StatusBlock:
    """The status section of the report: report date and owner, a coloured line per milestone,
    the asks. Every scenario-supplied text is escaped."""

    def __init__(self, forecast: ProgramForecast, rankings: Mapping[str, Ranked] | None = None,
                 plan: Mapping[str, Any] | None = None) -> None:
        self.scenario = forecast.scenario
        self.rows = status_rows(forecast, rankings)
        for r in self.rows:  # a what-if's: each milestone's commit date in the plan (P85)
            if plan is not None and r["milestone"] in plan:
                r["plan_commit"] = plan[r["milestone"]]

    def _repr_html_(self) -> str:
        lines = "".join(f'<li><strong>{html.escape(r["milestone"])}</strong>: <strong style='
                        f'"color:{COLOURS.get(r["status"] or "", "#555")}">{_word(r)}</strong>, '
                        f'{html.escape(status_text(r))}</li>' for r in self.rows)
        asks = "".join(f"<li>{html.escape(a)}</li>" for a in self.scenario.asks)
        return (f"<h2>Status</h2><p>{html.escape(page_head(self.scenario))}</p><ul>{lines}</ul>"
                + (f"<h3>Asks of leadership</h3><ul>{asks}</ul>" if asks else ""))

    def __repr__(self) -> str:
        asks = [f"ask: {a}" for a in self.scenario.asks]
        return "\n".join([page_head(self.scenario), *map(status_line, self.rows), *asks])


def status_block(forecast: ProgramForecast, impact: pd.DataFrame | None = None,
                 plan: Mapping[str, Any] | None = None) -> StatusBlock:
    """The report's status section, with risk impact as what moves each milestone; for a
    what-if, ``plan``: each milestone's P85 in the plan it was made from."""
    rankings = {m: risk_ranking(impact, m) for m in forecast.scenario.milestones}
    return StatusBlock(forecast, rankings, plan)


def risk_register(scenario: Scenario) -> pd.DataFrame:
    """The risks with their owner and mitigation, for the report's risk section."""
    rows = []
    for name, r in scenario.risks.items():
        m = getattr(r, "mitigation", None)
        rows.append({"risk": name, "probability": percent(r.probability),
                     "owner": r.owner or MISSING,
                     "mitigation": (m.action or MISSING) if m else MISSING,
                     "probability after": percent(m.probability) if m else MISSING})
    table = pd.DataFrame(rows, columns=["risk", "probability", "owner", "mitigation",
                                        "probability after"]).set_index("risk")
    return without_empty_columns(table)


def without_empty_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The table without the columns that hold nothing in any row (a column of dashes tells a
    reader nothing)."""
    empty = [c for c in table.columns if table[c].map(lambda v: v in (MISSING, "", None)).all()]
    return table.drop(columns=empty)
