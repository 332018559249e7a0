"""Shared test fixtures: where the bundled scenarios live, and a writer for small scenario files."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteFile = Callable[[str, str], Path]


@pytest.fixture
def write_file(tmp_path: Path) -> WriteFile:
    """Write ``text`` (dedented) to ``tmp_path / name`` and return the path; folders are made."""

    (tmp_path / ".workbench").touch()  # a project: its scenarios may read each other's files

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
