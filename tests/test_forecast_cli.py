"""`workbench forecast` and `workbench backtest`: tables, JSON, and one-line errors (exit 2)."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.app import history_commands

ROOT = Path(__file__).resolve().parents[1]
JIRA = str(ROOT / "data" / "history" / "rueedlinger_agile_project_jira.csv")
CHI2FIT = str(ROOT / "data" / "history" / "chi2fit_team_resolved.csv")


def run(*argv: str) -> int:
    """Parse with a parser holding only the history commands, as `workbench` would."""
    parser = argparse.ArgumentParser(prog="workbench")
    history_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.run(args))


def test_forecast_when_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("forecast", CHI2FIT, "--items", "100", "--seed", "3") == 0
    out = capsys.readouterr().out
    assert "Monte Carlo, 10,000 trials, seed 3" in out
    assert "879 rows read, 879 finished items used" in out
    assert "per week (whole periods ending on the last day of data)" in out
    assert "Start: 2019-05-14" in out
    assert "confidence  weeks       date" in out


def test_forecast_json_is_reproducible_and_reports_the_bad_rows(
        capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("forecast", JIRA, "--items-range", "40", "60", "--split", "1", "1.2", "--risk",
            "0.2", "5", "10", "--period", "workday", "--window-days", "730", "--format", "json")
    assert run(*argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert run(*argv) == 0
    assert json.loads(capsys.readouterr().out) == first
    problems = first["history"]["problems"]
    assert [(p["kind"], p["count"]) for p in problems] == [("finish_before_start", 1662)]
    fc = first["forecast"]
    assert fc["period"] == "workday" and fc["seed"] == 0 and fc["trials"] == 10_000
    assert [p["confidence"] for p in fc["percentiles"]] == [50, 70, 85, 95]
    periods = [p["periods"] for p in fc["percentiles"]]
    assert periods == sorted(periods) and all(p["date"] for p in fc["percentiles"])


def test_forecast_how_many_exact(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("forecast", CHI2FIT, "--by", "2019-06-30", "--exact", "--period", "day",
               "--format", "json") == 0
    fc = json.loads(capsys.readouterr().out)["forecast"]
    assert fc["mode"] == "exact" and fc["periods"] == 48  # 2019-05-14 .. 2019-06-30
    items = [p["items"] for p in fc["percentiles"]]
    assert items == sorted(items, reverse=True)  # more confidence, fewer items


def test_a_quiet_sample_is_flagged_in_the_terminal_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("forecast", JIRA, "--items", "20") == 0  # its last 90 days hold one item
    out = capsys.readouterr().out
    assert "Warning: the sample's pace (0.08 a week) is under 25% of the history's" in out
    assert run("forecast", JIRA, "--items", "20", "--as-of", "2018-03-31") == 0
    assert "Warning" not in capsys.readouterr().out


def test_backtest_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("backtest", JIRA, "--items", "30", "--origins", "40") == 0
    out = capsys.readouterr().out
    assert "40 origins" in out and "calibration error" in out and "Drift reaction helps" in out
    assert run("backtest", CHI2FIT, "--periods", "4", "--origins", "10", "--format",
               "json") == 0
    data = json.loads(capsys.readouterr().out)["backtest"]
    assert data["question"] == "how_many" and data["origins"] == 10
    assert len(data["coverage"]) == 4  # the calibrated method beside the three raw ones
    assert data["coverage"][0]["method"] == data["calibrated"]


@pytest.mark.parametrize(("argv", "message"), [
    (("forecast", CHI2FIT, "--items", "5", "--finish-column", "Done"),
     f"workbench forecast: {CHI2FIT}: column 'Done' not found (columns found: Resolved; "
     f"map yours with --finish-column)"),
    (("forecast", CHI2FIT, "--by", "2019-13-01"),
     "workbench forecast: --by: '2019-13-01' is not a date (use YYYY-MM-DD)"),
    (("forecast", CHI2FIT, "--items", "5", "--workdays", "mon,fri,funday"),
     "workbench forecast: --workdays: 'mon,fri,funday' (allowed: mon,tue,wed,thu,fri,sat,sun)"),
    (("forecast", CHI2FIT, "--items", "5", "--focus", "1.5"),
     "workbench forecast: --focus: a share of the team's throughput, in (0, 1] (got 1.5)"),
    (("backtest", "missing.csv", "--items", "5"),
     "workbench backtest: missing.csv: file not found"),
])
def test_bad_input_is_one_line_and_exit_2(argv: tuple[str, ...], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert err == message + "\n"


def test_bad_options_are_one_line_too(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run("forecast", CHI2FIT, "--items", "5", "--period", "month")
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("workbench forecast: argument --period: invalid choice: "
                                       "'month' (choose from 'day', 'workday', 'week')\n")
    with pytest.raises(SystemExit):
        run("forecast", CHI2FIT)
    assert "one of the arguments --items --items-range --by is required" in (
        capsys.readouterr().err)


def test_the_workbench_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli = pytest.importorskip("workbench.app.cli")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    assert cli.main(["backtest", str(bad), "--items", "5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no finish-date column found" in err
    done = subprocess.run([sys.executable, "-m", "workbench.app.cli", "forecast", CHI2FIT,
                           "--items", "50", "--exact", "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["forecast"]["mode"] == "exact"


# --- one set of defaults ----------------------------------------------------------------------

def forecast_table(out: str) -> dict[int, tuple[int, str]]:
    """confidence -> (periods, date) from `workbench forecast`'s table."""
    rows = re.findall(r"^\s*(\d+)%\s+(\d+)\s+(\d{4}-\d{2}-\d{2})$", out, re.M)
    return {int(q): (int(n), day) for q, n, day in rows}


def test_forecast_and_history_report_agree_with_no_options(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the same question, only the file and --items: the defaults must give the same answer
    cli = pytest.importorskip("workbench.app.cli")
    assert cli.main(["forecast", CHI2FIT, "--items", "100"]) == 0
    table = forecast_table(capsys.readouterr().out)
    assert cli.main(["report", "--history", CHI2FIT, "--items", "100",
                     "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "chi2fit_team_resolved" / "summary.json").read_text())
    report = {p["confidence"]: (p["periods"], p["date"])
              for p in summary["forecast"]["percentiles"]}
    assert [table[q] for q in (50, 85, 95)] == [report[q] for q in (50, 85, 95)]
