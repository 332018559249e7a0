"""`workbench validate` and `workbench schema` as a TPM runs them: exit codes, one line per
problem naming the file and the field, never a traceback.

Each file in tests/invalid/ holds one mistake and, in a `# expect:` comment, the exact line
`workbench validate` must print for it (run from the repository root).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.app import cli

REPO = Path(__file__).resolve().parents[1]
INVALID = sorted((REPO / "tests" / "invalid").glob("*.yaml"))
BUNDLED = sorted((REPO / "scenarios").glob("*.yaml"))


def workbench(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed command line the way a user does, from the repository root."""
    return subprocess.run([sys.executable, "-m", "workbench", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


def expected_line(path: Path) -> str:
    (line,) = [ln.removeprefix("# expect: ") for ln in path.read_text().splitlines()
               if ln.startswith("# expect: ")]
    return line


# Each of these runs as a real process (about a second each); the rest of tests/invalid/ is
# checked line by line in-process by test_folder_with_mistakes_reports_each_file_and_exits_2.
REQUIRED = ("unknown_key", "wrong_type", "negative_effort", "unknown_team", "unknown_dependency",
            "dependency_cycle", "target_before_start", "missing_extends", "yaml_syntax")


def test_there_is_one_invalid_file_per_required_mistake():
    assert set(REQUIRED) <= {p.stem for p in INVALID}


@pytest.mark.parametrize("path", [p for p in INVALID if p.stem in REQUIRED], ids=lambda p: p.stem)
def test_invalid_file_gives_exit_2_and_exactly_its_line(path):
    rel = path.relative_to(REPO).as_posix()
    done = workbench("validate", rel)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [expected_line(path)]
    assert done.stderr.startswith("tests/invalid/")


def test_folder_of_bundled_scenarios_is_ok():
    done = workbench("validate", "scenarios")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        f"scenarios/{p.name}: ok ({n_teams} teams, {n_epics} epics, {n_ms} milestones)"
        for p, (n_teams, n_epics, n_ms) in zip(BUNDLED, map(_counts, BUNDLED), strict=True)]
    assert "scenarios/program.yaml: ok (4 teams, 13 epics, 2 milestones)" in done.stdout


def _counts(path: Path) -> tuple[int, int, int]:
    from workbench.scenario.loader import load_scenario

    s = load_scenario(path)
    return len(s.teams), len(s.epics), len(s.milestones)


def test_folder_with_mistakes_reports_each_file_and_exits_2(capsys):
    assert cli.main(["validate", str(REPO / "scenarios" / "mm1.yaml"), "tests/invalid"]) == 2
    out, err = capsys.readouterr()
    assert out.endswith("mm1.yaml: ok (1 teams, 0 epics, 0 milestones)\n")
    assert err.splitlines() == [expected_line(p) for p in INVALID]


def test_validate_with_overrides(capsys):
    program = str(REPO / "scenarios" / "program.yaml")
    assert cli.main(["validate", program, "--set", "teams.platform.members=9"]) == 0
    assert cli.main(["validate", program, "--set", "teams.platform.focus=2"]) == 2
    err = capsys.readouterr().err
    assert err == (f"{program}: teams.platform.focus: 2 is too large "
                   "(allowed: number > 0 and <= 1)\n")


def test_missing_file_and_empty_folder(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "nope.yaml"), str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{tmp_path}: no *.yaml files in this folder"]
    assert cli.main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'nope.yaml'}: file not found\n"


def test_schema_command_prints_and_writes(tmp_path):
    done = workbench("schema")
    assert done.returncode == 0
    printed = json.loads(done.stdout)
    assert "extends" in printed["$defs"]["Scenario"]["properties"]
    out = tmp_path / "scenario.schema.json"
    assert cli.main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == printed


def test_a_bug_is_one_line_and_exit_1(monkeypatch, capsys):
    def broken(*_: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "load_scenario", broken)
    assert cli.main(["validate", "scenarios/program.yaml"]) == 1
    assert capsys.readouterr().err == "workbench: error: RuntimeError: boom\n"


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as no_command:
        cli.main([])
    assert no_command.value.code == 2
