"""Making a report from a notebook: papermill execution, then an offline HTML export with
code hidden. papermill and nbconvert are imported only when called.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.files import atomic, lock
from workbench.files.untrusted import for_terminal
from workbench.present.sentences import whatif_title
from workbench.present.speedups import skip_slow_iri_checker
from workbench.reports import paths
from workbench.reports.paths import SUMMARY_FILE, TEMPLATE_NAME, TEMPLATES_DIR
from workbench.reports.scenario_report import read_summary, report_stem
from workbench.sim.precision import AUTO, Reps

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


KERNEL_START_TRIES = 3  # a kernel may lose its ports to another starting at the same moment
KERNEL_START_FAILED = "Kernel died before replying to kernel_info"


def execute_notebook(notebook: str | os.PathLike[str], output: str | os.PathLike[str],
                     parameters: Mapping[str, Any]) -> Path:
    """Run a notebook with papermill (in a ``python3`` kernel on this interpreter, whatever
    kernelspec Jupyter would find) and write it to ``output`` atomically. On failure the executed
    notebook is kept next to ``output`` as ``*.failed.ipynb`` and papermill's error is raised.

    A kernel that dies before it answers (no cell has run) is started again, up to
    KERNEL_START_TRIES times: Jupyter picks free TCP ports, closes them and the kernel binds
    them a moment later, so kernels starting side by side (a sweep's workers) can collide."""
    for _ in range(KERNEL_START_TRIES - 1):
        try:
            return _execute_once(notebook, output, parameters)
        except RuntimeError as exc:
            if KERNEL_START_FAILED not in str(exc):
                raise
    return _execute_once(notebook, output, parameters)  # the last try: whatever it raises


def _execute_once(notebook: str | os.PathLike[str], output: str | os.PathLike[str],
                  parameters: Mapping[str, Any]) -> Path:
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
        _keep_if_whole(partial, failed_notebook_path(target))
        raise
    os.replace(partial, target)
    failed_notebook_path(target).unlink(missing_ok=True)  # from an earlier failed run
    return target


def _keep_if_whole(partial: Path, kept: Path) -> None:
    """Keep a failed run's notebook under ``kept`` if papermill wrote it whole; a notebook cut
    short (a full disk) is removed, never left to look like a record of the run."""
    import nbformat

    kept.unlink(missing_ok=True)  # an earlier run's: it is not this run's record
    if not partial.exists():
        return
    try:
        nbformat.read(str(partial), as_version=4)
    except Exception:  # noqa: BLE001 - truncated or not JSON: not a notebook to show anyone
        partial.unlink(missing_ok=True)
        return
    os.replace(partial, kept)


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


class ReportFailed(Exception):
    """A report that did not come out: what failed (one line) and the executed notebook to
    open, if one was written (``notebook`` exists whenever it is not None)."""

    def __init__(self, what: str, notebook: Path | None) -> None:
        where = f"executed notebook: {notebook}" if notebook else "no notebook was written"
        super().__init__(f"{what} ({where})")
        self.what, self.notebook = what, notebook


def make_report(notebook: str | os.PathLike[str], out_dir: str | os.PathLike[str], stem: str,
                parameters: Mapping[str, Any], title: Callable[[Path], str],
                notice: Callable[[str], None] | None = None) -> ReportFiles:
    """Execute ``notebook`` and export its HTML into a hidden staging folder, then move the
    new ``OUT/<stem>.ipynb``, ``OUT/<stem>.html`` and ``OUT/<stem>/`` into place (the HTML
    last), owning the folder meanwhile (`lock.FolderInUse` if another run does). A failed or
    killed run leaves the earlier report as it was (its executed notebook, if any, kept as
    ``<stem>.failed.ipynb``); a new report removes the earlier run's ``<stem>.pdf``, which no
    longer matches it. The notebook's ``out_dir`` parameter is pointed at the staging folder.
    Raises `ReportFailed`. ``title(outputs)``: the page's title."""
    out = Path(out_dir).resolve()
    with lock.exclusive(out, "workbench report", notice):
        stage = staging_dir(out, stem)
        shutil.rmtree(stage, ignore_errors=True)  # a killed run's
        stage.mkdir(parents=True)
        try:
            _render(notebook, out, stage, stem, parameters, title)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    return ReportFiles(out / f"{stem}.ipynb", out / f"{stem}.html", out / stem)


def staging_dir(out: Path, stem: str) -> Path:
    """Where a report is made before it replaces the earlier one (hidden, in the same folder
    so that moving it into place is a rename)."""
    return out / f".{stem}.partial"


def _render(notebook: str | os.PathLike[str], out: Path, stage: Path, stem: str,
            parameters: Mapping[str, Any], title: Callable[[Path], str]) -> None:
    params = {**parameters, "out_dir": str(stage / stem)} if "out_dir" in parameters \
        else dict(parameters)
    executed = _executed(notebook, stage / f"{stem}.ipynb", params, out / f"{stem}.ipynb")
    try:
        heading = title(stage / stem)
    except Exception as exc:
        raise ReportFailed(f"the report's summary could not be read: {error_line(exc)}",
                           _keep_failed(executed, out, stem)) from exc
    try:
        export_html(executed, stage / f"{stem}.html", title=heading)
    except Exception as exc:
        raise ReportFailed(f"the HTML export failed: {error_line(exc)}",
                           _keep_failed(executed, out, stem)) from exc
    _move_into_place(stage, out, stem)


def _keep_failed(executed: Path, out: Path, stem: str) -> Path:
    """The executed notebook of a run that failed after it, kept beside the earlier report."""
    kept = failed_notebook_path(out / f"{stem}.ipynb")
    os.replace(executed, kept)
    return kept


def _move_into_place(stage: Path, out: Path, stem: str) -> None:
    """The new outputs folder, notebook, then HTML replace the earlier ones; the earlier
    PDF and failed notebook go (they belong to another run)."""
    outputs, old = out / stem, out / f".{stem}.old"
    shutil.rmtree(old, ignore_errors=True)
    if (stage / stem).is_dir():
        if outputs.is_dir():
            os.replace(outputs, old)
        os.replace(stage / stem, outputs)
    os.replace(stage / f"{stem}.ipynb", out / f"{stem}.ipynb")
    (out / f"{stem}.pdf").unlink(missing_ok=True)
    os.replace(stage / f"{stem}.html", out / f"{stem}.html")
    failed_notebook_path(out / f"{stem}.ipynb").unlink(missing_ok=True)
    shutil.rmtree(old, ignore_errors=True)


def _executed(notebook: str | os.PathLike[str], target: Path,
              parameters: Mapping[str, Any], named: Path) -> Path:
    """Run the notebook into ``target``; on failure its executed notebook is kept as the
    failed notebook of ``named`` (the report's notebook path)."""
    try:
        return execute_notebook(notebook, target, parameters)
    except Exception as exc:
        kept = failed_notebook_path(named)
        staged = failed_notebook_path(target)
        if staged.is_file():
            os.replace(staged, kept)
        else:
            kept.unlink(missing_ok=True)  # an earlier run's: it is not this run's record
        raise ReportFailed(f"the report notebook failed: {error_line(exc)}",
                           kept if kept.is_file() else None) from exc


def remove_earlier_report(out: Path, stem: str) -> None:
    """An earlier run's HTML, notebooks, PDF and summary (the mark that its tables are
    complete)."""
    for path in (out / f"{stem}.html", out / f"{stem}.ipynb", out / f"{stem}.pdf",
                 failed_notebook_path(out / f"{stem}.ipynb"), out / stem / SUMMARY_FILE):
        path.unlink(missing_ok=True)


def error_line(exc: BaseException) -> str:
    """One line: papermill's cell error (name: value), else the exception; for a system
    error, what the system said without the file's name (often a temp file since removed)."""
    name, value = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if name:
        text = f"{name}: {value}"
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"{type(exc).__name__}: [Errno {exc.errno}] {exc.strerror}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    line = text.splitlines()[0] if text.strip() else type(exc).__name__
    return for_terminal(_QUOTED_PATH.sub(_existing_path, line))


_QUOTED_PATH = re.compile(r"'(/[^']+)'")


def _existing_path(match: re.Match[str]) -> str:
    """A quoted path kept if it exists, else named in the nearest folder that does: every path
    an error line names can be opened."""
    if Path(match.group(1)).exists():
        return match.group(0)
    return f"({atomic.existing_place(match.group(1))})"


def run_report(scenario_path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
               replications: Reps = AUTO, seed: int = 0,
               overrides: Mapping[str, Any] | None = None, workers: int = 1,
               notebook: str | os.PathLike[str] | None = None,
               notice: Callable[[str], None] | None = None,
               forecast_log: str | os.PathLike[str] | None = None) -> ReportFiles:
    """`workbench report`: execute the report notebook for a scenario, then export it.

    Writes ``OUT/<stem>.ipynb``, ``OUT/<stem>.html`` and ``OUT/<stem>/`` (summary + tables),
    ``<stem>`` being the scenario file's name without extension (with ``overrides``, plus a
    ``-whatif-...`` suffix naming them: `scenario_report.report_stem`). ``workers=0``: one
    simulation process per core. ``forecast_log``: the log the report reads its trend from
    (it does not write it). Raises `ReportFailed` (and `lock.FolderInUse`).
    """
    scenario = Path(scenario_path).resolve()
    out = Path(out_dir).resolve()
    stem = report_stem(scenario, overrides)  # a what-if's never overwrites the plan's report
    parameters = {"scenario_path": str(scenario), "overrides": dict(overrides or {}),
                  "replications": replications, "seed": seed,
                  "out_dir": str(out / stem), "workers": workers}
    if forecast_log:
        parameters["forecast_log"] = str(Path(forecast_log).resolve())
    return make_report(notebook or paths.REPORT_NOTEBOOK, out, stem, parameters,
                       _scenario_title, notice)


def _scenario_title(outputs: Path) -> str:
    summary = read_summary(outputs)
    name = summary["scenario"]["name"]
    if (summary.get("report") or {}).get("whatif"):
        return f"{whatif_title(name)}: forecast report"
    return f"{name}: forecast report"


def _a(kind: str) -> str:
    return {"int": "a whole number", "float": "a number", "str": "a text", "bool": "true/false",
            "dict": "a mapping", "list": "a list"}.get(kind, kind)
