"""Scenario loading benchmark (issue: right answers in ordinary months). Prints ratios measured
in one run: loading a 10,000-epic scenario (parse, merge, validate, rules) against PyYAML's
pure-Python safe loader only parsing the same file."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml
from _common import best_of, print_ratios  # benchmarks/ is on sys.path when run as a script

from workbench.scenario.loader import load_scenario
from workbench.scenario.models import Scenario


def big_scenario(path: Path, epics: int = 10_000, teams: int = 20) -> Path:
    """A program of ``epics`` epics over ``teams`` teams, dependencies in chains of ten."""
    lines = ["name: big", "start: 2027-01-04", "horizon_days: 3650", "teams:"]
    lines += [f"  team{t}: {{members: 5}}" for t in range(teams)]
    lines.append("epics:")
    for i in range(epics):
        dep = f", depends_on: [epic{i - 1}]" if i % 10 else ""
        lines.append(f"  epic{i}: {{team: team{i % teams}, items: 3, "
                     f"effort_days: {{triangular: [1, 2, 4]}}{dep}}}")
    lines += ["milestones:", "  first: {epics: [epic0, epic1]}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class BeforeLoader(yaml.SafeLoader):
    """The scenario loader's YAML step before this round, kept runnable to measure against:
    the pure-Python safe loader with its duplicate-key check (each key built twice)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, "duplicate key",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_times() -> tuple[float, float, float]:
    """(pure-Python parse, the loader as it was: its YAML step + validation, ours), in s."""
    with tempfile.TemporaryDirectory() as tmp:
        path = big_scenario(Path(tmp) / "big.yaml")
        text = path.read_text(encoding="utf-8")
        pure = best_of(lambda: yaml.load(text, Loader=yaml.SafeLoader), 3)  # noqa: S506
        before = best_of(lambda: Scenario.model_validate(
            yaml.load(text, Loader=BeforeLoader)), 3)  # noqa: S506
        ours = best_of(lambda: load_scenario(path), 3)
    return pure, before, ours


def main() -> None:
    pure, before, ours = load_times()
    print_ratios({
        "10,000 epics: loading as before (pure-Python YAML + validation) vs now (speed-up)":
            (before / ours, ">= 4"),
        "10,000 epics: PyYAML's pure-Python parse alone vs our whole load (speed-up)":
            (pure / ours, "reported")})


if __name__ == "__main__":
    main()
    sys.exit(0)
