"""The weekly status part of the scenario report: the status call, the trend from the forecast
log and why the forecast moved since the last report (what `scenario_report.ipynb` calls).

The report itself never writes the log: `workbench report` appends this report's entry once
the HTML is written, so a log that cannot be written never costs the report. Here the log is
only read; a log that cannot be read leaves the trend out with one line saying why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import ValidationError

from workbench.files import forecast_log
from workbench.present.sentences import Html
from workbench.present.status import StatusBlock, report_date, risk_register, status_block
from workbench.present.trend_charts import moved_sentences, noise_sentence, trend_table
from workbench.reports.paths import locate
from workbench.reports.scenario_report import ReportData, plan_commits
from workbench.scenario.loader import load_scenario
from workbench.scenario.models import Scenario
from workbench.sim.attribution import Attribution, attribute
from workbench.sim.forecast import ProgramForecast


@dataclass(frozen=True)
class Weekly:
    """What the report's status, trend and risk-register cells show."""

    status: StatusBlock
    trend: pd.DataFrame
    moved: Html
    register: pd.DataFrame
    attribution: Attribution | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)  # logged ones, then this one


def log_entry(forecast: ProgramForecast, as_written: Scenario) -> dict[str, Any]:
    """The forecast log entry of a forecast (and the scenario as written, with its progress)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return forecast_log.make_entry(forecast.to_dict(),
                                   as_written.model_dump(mode="json", by_alias=True),
                                   report_date(as_written).isoformat(), now)


def as_written(data: ReportData) -> Scenario:
    """The report's scenario as written (progress not applied): what the log keeps."""
    p = data.parameters
    return load_scenario(locate(p["scenario_path"]), dict(p.get("overrides") or {}),
                         progress=False)


def prepare(data: ReportData, log_path: str = "", workers: int = 1) -> Weekly:
    """Status, trend and why it moved for the report of ``data``; ``log_path`` "" : no log."""
    written = as_written(data)
    current = log_entry(data.forecast, written)
    logged, problem = _logged(log_path)
    lines = [problem] if problem else []
    moved = _attribution(logged, written, data, workers)
    if moved is not None:
        lines += moved_sentences(moved, logged[-1]["as_of"])
        lines += [noise_sentence(logged[-1], data.forecast.seed, data.forecast.reps,
                                 {m["name"]: m["p85"] for m in data.forecast.milestones()})]
    elif logged:
        lines.append("The last report's scenario cannot be replayed by this version; why the "
                     "forecast moved is left out.")
    plan = plan_commits(data)
    return Weekly(status_block(data.forecast, data.impact, plan),
                  trend_table([*logged, current]),
                  Html([line for line in lines if line], tag="p"), risk_register(written),
                  moved, [*logged, current])


def _logged(log_path: str) -> tuple[list[dict[str, Any]], str]:
    if not log_path:
        return [], ""
    try:
        return forecast_log.entries(log_path), ""
    except forecast_log.LogError as exc:
        return [], f"The forecast log could not be read, so the trend shows this report only: {exc}"


def _attribution(logged: list[dict[str, Any]], written: Scenario, data: ReportData,
                 workers: int) -> Attribution | None:
    if not logged:
        return None
    try:
        previous = Scenario.model_validate(logged[-1]["scenario"]["resolved"])
    except (ValidationError, ValueError, KeyError):
        return None
    f = data.forecast
    return attribute(previous, written, f.reps, f.seed, current=f, workers=workers or None)
