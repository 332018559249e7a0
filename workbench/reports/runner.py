"""Making a report from a notebook: papermill execution, then an offline HTML export with
code hidden. papermill and nbconvert are imported only when called.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.files import atomic
from workbench.present.speedups import skip_slow_iri_checker
from workbench.reports.paths import REPORT_NOTEBOOK, TEMPLATE_NAME, TEMPLATES_DIR
from workbench.reports.scenario_report import read_summary

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
    """Run a notebook with papermill (in a ``python3`` kernel on this interpreter, whatever
    kernelspec Jupyter would find) and write it to ``output`` atomically. On failure the executed
    notebook is kept next to ``output`` as ``*.failed.ipynb`` and papermill's error is raised."""
    skip_slow_iri_checker()
    import papermill as pm

    from workbench.reports.kernel import ThisPythonKernelManager

    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    # papermill writes the notebook at the end (and on error): under a hidden name until done
    partial = target.with_name(f".{target.stem}.partial.ipynb")
    try:
        pm.execute_notebook(str(notebook), str(partial), parameters=dict(parameters),
                            kernel_name="python3", progress_bar=False, log_output=False,
                            kernel_manager_class=ThisPythonKernelManager,
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
    return atomic.atomic_write_text(html_path, _without_css_comments(body))


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
