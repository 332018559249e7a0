"""The scenario report's kernel side: what `scenario_report.ipynb` calls, so the notebook
holds no logic (prepare the data, write the tables, check the key numbers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.files import atomic
from workbench.files.jsonable import plain
from workbench.present import formats, tables
from workbench.present.sentences import WhatIf, milestone_sentence
from workbench.reports.paths import SUMMARY_FILE, locate, output_dir
from workbench.scenario.loader import base_file, load_scenario
from workbench.scenario.models import Scenario
from workbench.sim.forecast import ProgramForecast
from workbench.sim.montecarlo import replay, simulate
from workbench.sim.precision import AUTO, Reps
from workbench.sim.records import RunLog
from workbench.sim.whatif import risk_impact


@dataclass(frozen=True)
class ReportData:
    """Everything a scenario report shows, computed once."""

    scenario: Scenario
    forecast: ProgramForecast
    impact: pd.DataFrame  # `whatif.risk_impact` (empty when skipped)
    run: RunLog  # one typical replication, for the flow and utilisation charts
    run_rep: int
    simulation_seconds: float  # time spent simulating (forecast + risk impact)
    parameters: dict[str, Any] = field(default_factory=dict)
    whatif: WhatIf | None = None  # set when the scenario is a what-if of a plan of record


def prepare(scenario_path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None,
            replications: Reps = AUTO, seed: int = 0, risk_impact_on: bool = True,
            workers: int = 1) -> ReportData:
    """Load the scenario, simulate it, weigh each risk, and replay one typical run (the one
    whose headline milestone lands closest to its P50). ``workers=0``: one process per core
    (the same numbers whatever the count)."""
    scenario = load_scenario(locate(scenario_path), dict(overrides or {}))
    clock = time.perf_counter()
    forecast = simulate(scenario, replications, seed, workers=workers or None, progress=False)
    impact = risk_impact(scenario, replications, seed, baseline=forecast,
                         workers=workers or None, enabled=risk_impact_on)
    seconds = time.perf_counter() - clock
    headline = tables.headline_milestone(forecast)
    rep = forecast.representative_rep(f"milestone:{headline}", 50) if headline else 0
    params = {"scenario_path": str(scenario_path), "overrides": dict(overrides or {}),
              "replications": replications, "seed": seed, "risk_impact": risk_impact_on}
    return ReportData(scenario, forecast, impact, replay(scenario, seed, rep), rep, seconds,
                      params, whatif_of(scenario_path, overrides, scenario))


def whatif_of(scenario_path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None,
              scenario: Scenario | None = None) -> WhatIf | None:
    """What makes this scenario a what-if: ``--set`` changes on its file, or the file it
    `extends`; None for a plan of record (no overrides, extends nothing)."""
    path = locate(scenario_path)
    base_path = path if overrides else base_file(path)
    if base_path is None:
        return None
    base = load_scenario(base_path)
    mine = scenario or load_scenario(path, dict(overrides or {}))
    return WhatIf(base.name, Path(base_path).name, tuple(changed_fields(base, mine)))


def plan_commits(data: ReportData) -> dict[str, Any] | None:
    """For a what-if, each milestone's P85 in the plan it was made from (the plan simulated
    with the what-if's seed and replications, so the two differ only by the changes); None
    for a plan of record."""
    if data.whatif is None:
        return None
    path = locate(data.parameters["scenario_path"])
    overrides = data.parameters.get("overrides")
    base_path = path if overrides else base_file(path)
    if base_path is None:
        return None
    plan = simulate(load_scenario(base_path), data.forecast.reps, data.forecast.seed,
                    progress=False)
    return {m["name"]: m["p85"] for m in plan.milestones()}


def changed_fields(base: Scenario, other: Scenario) -> list[tuple[str, Any, Any]]:
    """The fields that differ (dotted path, base value, other value), in file order; a section
    only one side has is one change. The name and description are not changes to the plan."""
    old, new = base.model_dump(mode="json"), other.model_dump(mode="json")
    for key in ("name", "description"):
        old.pop(key, None), new.pop(key, None)
    return list(_diff(old, new, ""))


def _diff(old: Any, new: Any, prefix: str) -> Iterator[tuple[str, Any, Any]]:
    if _section(old) and _section(new):
        for key in [*old, *(k for k in new if k not in old)]:
            yield from _diff(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else key)
    elif old != new:
        yield prefix, old, new


def _section(data: Any) -> bool:
    """A mapping to compare field by field (a distribution, dumped as kind and params, is one
    value)."""
    return isinstance(data, dict) and set(data) != {"kind", "params"}


def report_stem(scenario_path: str | os.PathLike[str],
                overrides: Mapping[str, Any] | None = None) -> str:
    """The report's file name (no extension): the scenario file's name, and for ``--set``
    changes a ``-whatif-...`` suffix naming them, so a what-if never overwrites the plan's."""
    stem = Path(scenario_path).stem
    if not overrides:
        return stem
    words = "-".join(f"{k.split('.', 1)[-1]}-{v}" for k, v in sorted(overrides.items()))
    slug = re.sub(r"[^A-Za-z0-9]+", "-", words).strip("-").lower()
    digest = hashlib.sha256(json.dumps(plain(dict(overrides)), sort_keys=True,
                                       default=str).encode()).hexdigest()[:8]
    return f"{stem}-whatif-{slug[:48].rstrip('-')}-{digest}" if len(slug) > 48 else \
        f"{stem}-whatif-{slug or digest}"


def write_outputs(data: ReportData, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Tables (Parquet + CSV) and ``summary.json`` into ``out_dir``. The summary is written
    last: its presence means every table beside it is complete."""
    out = output_dir(out_dir)
    f = data.forecast
    written: dict[str, Path] = {}
    for name, frame in (("milestones", tables.milestone_table(f)), ("epics", tables.epic_table(f)),
                        ("burnup", tables.burnup_table(f)), ("risk_impact", data.impact)):
        written[name] = atomic.write_table(frame, out / name)[0]
    written["summary"] = atomic.write_json(out / SUMMARY_FILE, summary(data))
    return written


def summary(data: ReportData) -> dict[str, Any]:
    """The summary JSON: `ProgramForecast.to_dict()` plus risk impact and how the report was
    made."""
    out = data.forecast.to_dict()
    out["risk_impact"] = data.impact.replace({np.nan: None}).to_dict(orient="records")
    out["report"] = {"parameters": data.parameters, "representative_rep": data.run_rep,
                     "whatif": data.whatif.as_dict() if data.whatif else None,
                     "simulation_seconds": round(data.simulation_seconds, 4),
                     "made": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    return out


def read_summary(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """A report's summary JSON as written."""
    return json.loads((output_dir(out_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))


def consistency_problems(data: ReportData, out_dir: str | os.PathLike[str]) -> list[str]:
    """Checks on the report's key numbers, each recomputed another way; [] when all hold.

    P50 <= P85 <= P95; every chance of target equals the share of runs whose own finish day is
    within the target; the files on disk hold exactly the numbers shown; the summary's headline
    sentence quotes the table's P85.
    """
    problems = []
    f = data.forecast
    for m in f.milestones():
        days = [m[f"p{q}_days"] if m[f"p{q}_days"] is not None else math.inf
                for q in (50, 85, 95)]
        if not days[0] <= days[1] <= days[2]:
            problems.append(f"{m['name']}: percentiles out of order {days}")
        target = f.scenario.milestones[m["name"]].target
        if target is not None:
            finish = np.nan_to_num(f.column(f"milestone:{m['name']}"), nan=np.inf)
            share = float(np.mean(finish <= f.scenario.day_of(target) + 1))
            if not math.isclose(share, m["chance_of_target"]):
                problems.append(f"{m['name']}: chance {m['chance_of_target']} != {share}")
        sentence = milestone_sentence(m, f.scenario.horizon_days)
        if m["p85"] and formats.text_date(m["p85"]) not in sentence:
            problems.append(f"{m['name']}: summary sentence does not quote P85 {m['p85']}")
    on_disk = read_summary(out_dir)
    if on_disk["milestones"] != f.to_dict()["milestones"]:
        problems.append("summary.json milestones differ from the forecast shown")
    stored = pd.read_parquet(output_dir(out_dir) / "milestones.parquet")
    if not stored.equals(tables.milestone_table(f)):
        problems.append("milestones.parquet differs from the milestone table shown")
    return problems


