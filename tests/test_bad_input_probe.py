"""Bad input found by the probe of the new commands (levers, log, compare, report, run --log):
each mistake is one line naming the option or field and what is allowed, exit 2, before any
work starts; machine formats stay machine-readable."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_levers import DROP_ONE
from workbench.app import cli

SMALL = DROP_ONE  # two small scenarios, each named after its file


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (marker) holding two small scenarios, the current folder."""
    (tmp_path / ".workbench").write_text("")
    for name in ("s", "t"):
        (tmp_path / f"{name}.yaml").write_text(SMALL.replace("{name}", name))
    (tmp_path / "afile").write_text("not a folder\n")
    (tmp_path / "adir").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The one line a mistake prints (exit 2, nothing on stdout)."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own refusals (the OneLineParser's one line)
        code = int(exc.code or 0)
    assert code == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    (line,) = err.splitlines()
    return line


# --- 1. run --log with a machine format ----------------------------------------------------------

@pytest.mark.parametrize("kind", ["json", "csv"])
def test_run_log_keeps_machine_output_clean(project: Path, kind: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "s.yaml", "--reps", "20", "--log", "--format", kind]) == 0
    out, err = capsys.readouterr()
    assert "Logged:" not in out
    assert err.strip() == "Logged: s.forecasts.sqlite (entry 1)"
    if kind == "json":
        assert json.loads(out)["replications"] == 20
    else:
        assert out.splitlines()[0].count(",") >= 3 and "Logged" not in out


# --- 2. output paths checked before any work -----------------------------------------------------

@pytest.mark.parametrize(("argv", "line"), [
    (["levers", "s.yaml", "--milestone", "m", "--out", "afile"],
     "workbench levers: --out: afile is a file (allowed: a folder)"),
    (["levers", "s.yaml", "--milestone", "m", "--out", "afile/deeper"],
     "workbench levers: --out: afile is a file (allowed: a folder)"),
    (["report", "s.yaml", "--out", "afile"],
     "workbench report: --out: afile is a file (allowed: a folder)"),
    (["compare", "s.yaml", "t.yaml", "--html", "adir"],
     "workbench compare: --html: adir is a folder (allowed: a file path)"),
    (["compare", "s.yaml", "t.yaml", "--html", "afile/x.html"],
     "workbench compare: --html: afile is a file (allowed: a path in a folder)"),
])
def test_an_output_that_cannot_be_written_is_refused_first(
        project: Path, argv: list[str], line: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _fails(capsys, argv) == line
    assert sorted(p.name for p in project.iterdir()) == [".workbench", "adir", "afile", "s.yaml",
                                                          "t.yaml"]  # nothing was written


# --- 3. levers --out outside the project; stale sets ----------------------------------------------

def test_levers_out_outside_the_project_is_refused(project: Path, tmp_path_factory: Any,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    line = _fails(capsys, ["levers", "s.yaml", "--milestone", "m", "--out", str(elsewhere)])
    assert line == (f"workbench levers: --out: {elsewhere} is outside the project folder of "
                    "s.yaml, so its what-if files could not extend it (allowed: a folder inside "
                    f"{project}, or --allow-path {project}, which `run` on them needs too)")
    assert list(elsewhere.iterdir()) == []


def test_levers_removes_its_own_stale_sets_only(project: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    ours = "# Levers set {n} for m (workbench levers, seed 0).\nextends: s.yaml\n"
    (project / "s_levers_m_7.yaml").write_text(ours.format(n=7))
    (project / "s_levers_m_8.yaml").write_text("# my own notes\nextends: s.yaml\n")
    (project / "s_levers_mm_9.yaml").write_text(ours.format(n=9).replace(" m ", " mm "))
    assert cli.main(["levers", "s.yaml", "--milestone", "m", "--reps", "100",
                     "--screen-reps", "30", "--seed", "3"]) == 0
    capsys.readouterr()
    sets = sorted(p.name for p in project.glob("s_levers_m_*.yaml"))
    assert "s_levers_m_7.yaml" not in sets  # the earlier run's set 7: gone
    assert "s_levers_m_8.yaml" in sets  # not written by levers: kept
    assert (project / "s_levers_mm_9.yaml").is_file()  # another milestone: kept
    written = [p for p in sets if p != "s_levers_m_8.yaml"]
    assert written  # the search found at least one set
    assert written == [f"s_levers_m_{i}.yaml" for i in range(1, len(written) + 1)]
    for name in written:  # each runs as `run` reads it
        assert cli.main(["validate", name]) == 0


# --- 4. log with a bad scenario, a shared log ---------------------------------------------------

@pytest.mark.parametrize(("given", "line"), [
    ("nope.yaml", "nope.yaml: file not found"),
    ("adir", "adir: is a folder (allowed: a scenario file)"),
])
def test_log_of_a_bad_scenario_is_one_line(project: Path, given: str, line: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert _fails(capsys, ["log", given]) == line


def test_log_of_an_invalid_scenario_is_its_problem(project: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.yaml").write_text(SMALL.replace("members: 2,", "members: 2, focus: 2,")
                                    .replace("{name}", "bad"))
    assert _fails(capsys, ["log", "bad.yaml"]) == (
        "bad.yaml: teams.a.focus: 2 is too large (allowed: number > 0 and <= 1)")


def test_log_shows_only_its_scenario_and_counts_the_others(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("s", "t", "t"):
        assert cli.main(["run", f"{name}.yaml", "--reps", "10", "--log", "shared.sqlite"]) == 0
    capsys.readouterr()
    assert cli.main(["log", "s.yaml", "--log", "shared.sqlite", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert [e["scenario"]["name"] for e in json.loads(out)] == ["s"]
    assert err.strip() == ("workbench log: shared.sqlite also holds 2 entries of other "
                           "scenarios (not shown; only 's' is)")


# --- 5. compare A A, compare A --------------------------------------------------------------------

def test_compare_the_same_file_twice_or_one_file_is_refused(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _fails(capsys, ["compare", "s.yaml", "./s.yaml"]) == (
        "workbench compare: ./s.yaml given twice (allowed: each scenario once)")
    assert _fails(capsys, ["compare", "s.yaml"]) == (
        "workbench compare: one scenario given (allowed: two or more, e.g. a plan and its "
        "what-if)")


# --- 6. levers names the field it checked --------------------------------------------------------

def test_levers_without_by_names_the_target_it_checked(project: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # the report date is after the target: the loaded scenario starts then (no --by given)
    (project / "late.yaml").write_text(SMALL.replace("horizon_days: 60", "horizon_days: 60\n"
                                                     "as_of: 2027-02-01")
                                       .replace("{name}", "late"))
    assert _fails(capsys, ["levers", "late.yaml", "--milestone", "m"]) == (
        "late.yaml: milestones.m.target: 2027-01-13 is outside the scenario's 2027-02-01 to "
        "2027-03-04 (allowed: a date within the horizon)")
    assert _fails(capsys, ["levers", "s.yaml", "--milestone", "m", "--by", "2027-06-01"]) == (
        "s.yaml: --by: 2027-06-01 is outside the scenario's 2027-01-04 to 2027-03-04 "
        "(allowed: a date within the horizon)")


# --- 7. options that contradict each other --------------------------------------------------------

def test_log_and_no_log_together_is_refused(project: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert _fails(capsys, ["report", "s.yaml", "--log", "x.sqlite", "--no-log"]) == (
        "workbench report: --log and --no-log together (allowed: one of them: --log PATH to "
        "log there, --no-log to log nowhere)")


def test_paper_asks_for_the_pdf() -> None:
    from workbench.app.report_commands import _option_problem

    args = argparse.Namespace(paper="letter", pdf=False, log=None, no_log=False, out="out")
    assert _option_problem(args) is None and (args.pdf, args.paper) == (True, "letter")
    args = argparse.Namespace(paper=None, pdf=True, log=None, no_log=False, out="out")
    assert _option_problem(args) is None and args.paper == "a4"
    args = argparse.Namespace(paper=None, pdf=False, log=None, no_log=False, out="out")
    assert _option_problem(args) is None and not args.pdf


# --- 8. messages that say what is allowed ---------------------------------------------------------

@pytest.mark.parametrize("given", ["1.5", "1", "0", "nan", "inf", "x"])
def test_confidence_says_the_open_range(project: Path, given: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    line = _fails(capsys, ["levers", "s.yaml", "--milestone", "m", "--confidence", given])
    assert line.startswith(f"workbench levers: argument --confidence: {given!r} is ")
    assert line.endswith("(allowed: more than 0 and less than 1, e.g. 0.85)")


def test_budget_nan_names_its_range(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _fails(capsys, ["levers", "s.yaml", "--milestone", "m", "--budget", "nan"]) == (
        "workbench levers: argument --budget: 'nan' is not a finite number (allowed: 0 or more)")


def test_sections_are_described_in_words(project: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (project / "lv.yaml").write_text(SMALL.split("levers:")[0].replace("{name}", "lv")
                                     + "levers: [people]\n")
    assert _fails(capsys, ["validate", "lv.yaml"]) == (
        "lv.yaml: levers: ['people'] is not a mapping (allowed: a mapping (keys: people, scope, "
        "flow, mitigations))")
    (project / "it.yaml").write_text(SMALL.replace("items: 8,", "items: '8',")
                                     .replace("{name}", "it"))
    assert _fails(capsys, ["validate", "it.yaml"]) == (
        "it.yaml: epics.first.items: '8' is not an item count or a list of items (allowed: "
        "whole number >= 0 or list of mappings (keys: name, effort_days, done, remaining_days))")


def test_log_that_is_a_folder_or_not_ours(project: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert _fails(capsys, ["log", "s.yaml", "--log", "adir"]) == (
        "workbench log: adir: is a folder (allowed: a forecast log file, e.g. "
        "program.forecasts.sqlite)")
    assert _fails(capsys, ["log", "s.yaml", "--log", "afile"]) == (
        "workbench log: afile: is not a forecast log (allowed: a file made by workbench "
        "report, or a new path)")
    assert (project / "afile").read_text() == "not a folder\n"  # left as it was


def test_extends_a_folder_and_set_into_a_missing_list(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "e.yaml").write_text("extends: adir\nname: e\n")
    assert _fails(capsys, ["validate", "e.yaml"]) == (
        "e.yaml: extends: 'adir' is a folder (allowed: a scenario file, e.g. program.yaml)")
    assert _fails(capsys, ["validate", "s.yaml", "--set", "arrivals.5.rate_per_day=2"]) == (
        "s.yaml: arrivals.5.rate_per_day: the scenario has no arrivals yet, so no item to "
        "change (allowed: give the whole list, e.g. --set 'arrivals=[...]')")
