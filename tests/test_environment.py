"""environment.yml (for conda users) cannot drift from pyproject.toml, the one list of
dependencies: it holds only Python and pip, and installs the project with extras that exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_installs_the_project_and_nothing_else() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pips = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert sorted(re.split(r"[=<>]", d)[0] for d in conda) == ["pip", "python"]
    python = next(d for d in conda if d.startswith("python"))
    floor = re.search(r">=\s*(\d+\.\d+)", project["requires-python"]).group(1)  # type: ignore[union-attr]
    assert tuple(map(int, python.split("=")[1].split("."))) >= tuple(map(int, floor.split(".")))
    (pip_lines,) = [p["pip"] for p in pips]
    (line,) = pip_lines
    extras = re.fullmatch(r"-e \.\[(.*)\]", line).group(1).split(",")  # type: ignore[union-attr]
    assert set(extras) <= set(project["optional-dependencies"])
    assert set(extras) == set(project["optional-dependencies"]), "every extra make installs"


def test_makefile_installs_the_same_extras() -> None:
    makefile = (ROOT / "Makefile").read_text()
    env = (ROOT / "environment.yml").read_text()
    make_extras = re.search(r"-e '\.\[(.*?)\]'", makefile).group(1)  # type: ignore[union-attr]
    env_extras = re.search(r"-e \.\[(.*?)\]", env).group(1)  # type: ignore[union-attr]
    assert make_extras == env_extras
