"""The project a scenario belongs to: the nearest folder at or above it holding a project marker
(`pyproject.toml`, `.workbench` or `.git`), else its own folder. Outputs go there, and the files
a scenario may read (`extends`, `empirical: {file: ...}`) must lie inside it, or inside a folder
the user allows with ``--allow-path DIR`` (``WORKBENCH_ALLOW_PATHS``, paths joined by ``:``):
a scenario from someone else must not be able to read, or quote, ``/etc/shadow``."""

from __future__ import annotations

import os
from pathlib import Path

MARKERS = ("pyproject.toml", ".workbench", ".git")
ALLOW_ENV = "WORKBENCH_ALLOW_PATHS"


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The project folder at or above ``start`` (default: the current folder); ``start`` itself
    when no folder above holds a marker."""
    here = Path(start or Path.cwd()).resolve()
    return next((p for p in (here, *here.parents) if any((p / m).exists() for m in MARKERS)),
                here)


def allowed_roots(folder: str | os.PathLike[str]) -> list[Path]:
    """The folders a scenario in ``folder`` may read files from."""
    extra = [Path(p).resolve() for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p]
    return [project_root(folder), *extra]


def outside(path: str | os.PathLike[str], roots: list[Path]) -> Path | None:
    """The project folder ``path`` escapes (links resolved), or None when it is inside one."""
    real = Path(path).resolve()
    return None if any(real.is_relative_to(root) for root in roots) else roots[0]


def allow(paths: list[str]) -> None:
    """Add folders to those scenarios may read from, for this process and what it starts."""
    old = os.environ.get(ALLOW_ENV, "")
    joined = [str(Path(p).resolve()) for p in paths]
    os.environ[ALLOW_ENV] = os.pathsep.join(p for p in (old, *joined) if p)
