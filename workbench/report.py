"""Scenario reports: what the report notebook computes (kernel side) and how a report is made
from it (runner side: papermill execution, then an offline HTML export with code hidden).

Kernel side (`prepare`, `write_outputs`, `consistency_problems`) is what the notebook calls, so
the notebook holds no logic. Runner side (`run_report`, `execute_notebook`, `export_html`)
imports papermill and nbconvert only when called: report kernels stay quick to start.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import tables
from workbench._speedups import skip_slow_iri_checker
from workbench.forecast import Forecast
from workbench.montecarlo import replay, simulate
from workbench.narrative import milestone_sentence
from workbench.records import RunLog
from workbench.scenario import Scenario, load_scenario
from workbench.whatif import risk_impact

PACKAGE_DIR = Path(__file__).resolve().parent
NOTEBOOKS_DIR = PACKAGE_DIR.parent / "notebooks"
REPORT_NOTEBOOK = NOTEBOOKS_DIR / "scenario_report.ipynb"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
TEMPLATE_NAME = "workbench_report"
SUMMARY_FILE = "summary.json"


# =================================================================================================
# Kernel side: what the report notebook calls
# =================================================================================================

def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The project folder: the nearest folder at or above ``start`` (default: the current one)
    holding pyproject.toml; the current folder if there is none."""
    here = Path(start or Path.cwd()).resolve()
    return next((p for p in (here, *here.parents) if (p / "pyproject.toml").is_file()), here)


def locate(path: str | os.PathLike[str]) -> Path:
    """A file the notebook was given: absolute as is; relative, looked up from the current
    folder and then each folder above it (so `scenarios/program.yaml` works from notebooks/,
    with no `../` in notebooks). Unfound paths are returned as given, to fail with their name."""
    p = Path(path)
    if p.is_absolute():
        return p
    here = Path.cwd().resolve()
    return next((d / p for d in (here, *here.parents) if (d / p).exists()), p)


def output_dir(path: str | os.PathLike[str]) -> Path:
    """Where a report writes its files: absolute as is, relative to the project folder."""
    p = Path(path)
    return p if p.is_absolute() else project_root() / p


@dataclass(frozen=True)
class ReportData:
    """Everything a scenario report shows, computed once."""

    scenario: Scenario
    forecast: Forecast
    impact: pd.DataFrame  # `whatif.risk_impact` (empty when skipped)
    run: RunLog  # one typical replication, for the flow and utilisation charts
    run_rep: int
    simulation_seconds: float  # time spent simulating (forecast + risk impact)
    parameters: dict[str, Any] = field(default_factory=dict)


def prepare(scenario_path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None,
            replications: int = 500, seed: int = 0, risk_impact_on: bool = True,
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
                      params)


def write_outputs(data: ReportData, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Tables (Parquet + CSV) and ``summary.json`` into ``out_dir``. The summary is written
    last: its presence means every table beside it is complete."""
    out = output_dir(out_dir)
    f = data.forecast
    written: dict[str, Path] = {}
    for name, frame in (("milestones", tables.milestone_table(f)), ("epics", tables.epic_table(f)),
                        ("burnup", tables.burnup_table(f)), ("risk_impact", data.impact)):
        written[name] = tables.write_table(frame, out / name)[0]
    written["summary"] = tables.write_json(out / SUMMARY_FILE, summary(data))
    return written


def summary(data: ReportData) -> dict[str, Any]:
    """The summary JSON: `Forecast.to_dict()` plus risk impact and how the report was made."""
    out = data.forecast.to_dict()
    out["risk_impact"] = data.impact.replace({np.nan: None}).to_dict(orient="records")
    out["report"] = {"parameters": data.parameters, "representative_rep": data.run_rep,
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
        if m["p85"] and tables.long_date(m["p85"]) not in sentence:
            problems.append(f"{m['name']}: summary sentence does not quote P85 {m['p85']}")
    on_disk = read_summary(out_dir)
    if on_disk["milestones"] != f.to_dict()["milestones"]:
        problems.append("summary.json milestones differ from the forecast shown")
    stored = pd.read_parquet(output_dir(out_dir) / "milestones.parquet")
    if not stored.equals(tables.milestone_table(f)):
        problems.append("milestones.parquet differs from the milestone table shown")
    return problems


# =================================================================================================
# Runner side: papermill execution and HTML export
# =================================================================================================

@dataclass(frozen=True)
class ReportFiles:
    """What `workbench report` produced."""

    notebook: Path
    html: Path
    outputs: Path  # folder with summary.json and the tables


def notebook_parameters(notebook: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares: name -> {inferred_type_name, default, help}."""
    skip_slow_iri_checker()
    import papermill as pm

    return pm.inspect_notebook(str(notebook))


_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,), "float": (int, float), "str": (str,), "bool": (bool,),
    "dict": (dict,), "list": (list, tuple)}


def parameter_problems(notebook: str | os.PathLike[str], parameters: Mapping[str, Any],
                       source: str, where: str = "parameters") -> list[str]:
    """One line per parameter the notebook does not declare or whose value has the wrong type
    (papermill itself only warns and runs on): `SOURCE: where.name: what (allowed: ...)`."""
    declared = notebook_parameters(notebook)
    problems = []
    for name, value in parameters.items():
        spec = declared.get(name)
        if spec is None:
            problems.append(f"{source}: {where}.{name}: unknown parameter of "
                            f"{Path(notebook).name} (allowed: {', '.join(declared)})")
            continue
        kind = spec.get("inferred_type_name", "None")
        allowed = _TYPES.get(kind)
        wrong_bool = isinstance(value, bool) and kind in ("int", "float")
        if allowed and (not isinstance(value, allowed) or wrong_bool):
            problems.append(f"{source}: {where}.{name}: {value!r} is not {_a(kind)} "
                            f"(allowed: {kind}; {spec.get('help') or 'see the notebook'})")
    return problems


def execute_notebook(notebook: str | os.PathLike[str], output: str | os.PathLike[str],
                     parameters: Mapping[str, Any]) -> Path:
    """Run a notebook with papermill (kernel ``python3``, the one in this environment) and write
    it to ``output`` atomically. On failure the executed notebook is kept next to ``output`` as
    ``*.failed.ipynb`` and papermill's error is raised."""
    skip_slow_iri_checker()
    import papermill as pm

    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    # papermill writes the notebook at the end (and on error): under a hidden name until done
    partial = target.with_name(f".{target.stem}.partial.ipynb")
    try:
        pm.execute_notebook(str(notebook), str(partial), parameters=dict(parameters),
                            kernel_name="python3", progress_bar=False, log_output=False,
                            # one save at the end, not one per cell (MBs of chart images)
                            request_save_on_cell_execute=False,
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except BaseException:
        if partial.exists():
            os.replace(partial, failed_notebook_path(target))
        raise
    os.replace(partial, target)
    failed_notebook_path(target).unlink(missing_ok=True)  # from an earlier failed run
    return target


def failed_notebook_path(output: str | os.PathLike[str]) -> Path:
    """Where the executed notebook of a failed run is kept."""
    p = Path(output)
    return p.with_name(p.stem + ".failed.ipynb")


def export_html(notebook: str | os.PathLike[str], html_path: str | os.PathLike[str],
                title: str | None = None) -> Path:
    """A self-contained HTML page from an executed notebook: code and prompts hidden, cells
    tagged ``remove-cell`` (the checks) left out, no script, stylesheet or image from outside
    hosts (our template drops the CDN require.js, MathJax and mermaid of the stock template)."""
    skip_slow_iri_checker()
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb = nbformat.read(str(notebook), as_version=4)
    if title:
        nb.metadata["title"] = title  # the template escapes it
    config = Config()
    config.TemplateExporter.extra_template_basedirs = [str(TEMPLATES_DIR)]
    config.TemplateExporter.exclude_input = True
    config.TemplateExporter.exclude_input_prompt = True
    config.TemplateExporter.exclude_output_prompt = True
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    exporter = HTMLExporter(config=config, template_name=TEMPLATE_NAME)
    body, _ = exporter.from_notebook_node(nb)
    return tables.atomic_write_text(html_path, _without_css_comments(body))


def _without_css_comments(page: str) -> str:
    """Drop comments from the page's stylesheets: JupyterLab's CSS credits its sources with
    web addresses, and a report should not mention outside hosts at all (it is smaller, too)."""
    def clean(match: re.Match[str]) -> str:
        return re.sub(r"/\*.*?\*/", "", match.group(0), flags=re.S)

    return re.sub(r"<style[^>]*>.*?</style>", clean, page, flags=re.S | re.I)


def run_report(scenario_path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
               replications: int = 500, seed: int = 0,
               overrides: Mapping[str, Any] | None = None, workers: int = 1,
               notebook: str | os.PathLike[str] = REPORT_NOTEBOOK) -> ReportFiles:
    """`workbench report`: execute the report notebook for a scenario, then export it.

    Writes ``OUT/<stem>.ipynb``, ``OUT/<stem>.html`` and ``OUT/<stem>/`` (summary + tables),
    ``<stem>`` being the scenario file's name without extension. ``workers=0``: one
    simulation process per core.
    """
    scenario = Path(scenario_path).resolve()
    out = Path(out_dir).resolve()
    stem = scenario.stem
    executed = execute_notebook(notebook, out / f"{stem}.ipynb", {
        "scenario_path": str(scenario), "overrides": dict(overrides or {}),
        "replications": replications, "seed": seed, "out_dir": str(out / stem),
        "workers": workers})
    name = read_summary(out / stem)["scenario"]["name"]
    html = export_html(executed, out / f"{stem}.html", title=f"{name}: forecast report")
    return ReportFiles(executed, html, out / stem)


def _a(kind: str) -> str:
    return {"int": "a whole number", "float": "a number", "str": "a text", "bool": "true/false",
            "dict": "a mapping", "list": "a list"}.get(kind, kind)
