"""Where reports find their notebooks and templates (inside the package), and where a report
looks for its inputs and writes its outputs (the user's project folder)."""

from __future__ import annotations

import os
from pathlib import Path

from workbench.files.project import project_root

PACKAGE_DIR = Path(__file__).resolve().parent
NOTEBOOKS_DIR = PACKAGE_DIR / "notebooks"
REPORT_NOTEBOOK = NOTEBOOKS_DIR / "scenario_report.ipynb"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
TEMPLATE_NAME = "workbench_report"
SUMMARY_FILE = "summary.json"


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


