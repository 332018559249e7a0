"""The forecast log, through the real CLI: three reports changing one thing each give three
entries, a trend of three points per milestone and attribution parts that add up; two reports
at once both land (two real processes); a damaged log is one line and exit 2, the HTML still
written. The database is real SQLite."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from workbench.app import cli
from workbench.files import forecast_log
from workbench.present.trend_charts import trend, trend_table

REPO = Path(__file__).resolve().parents[1]
SCENARIO = """
name: Small program
start: 2027-01-04
as_of: 2027-01-04
owner: Dana
asks: [Approve the second platform hire]
horizon_days: 365
teams:
  platform: {members: 2, cost_per_person_day: 100, hires: [{date: 2027-02-01, ramp_up_weeks: 2}]}
  web: {members: 2, cost_per_person_day: 100}
epics:
  ledger: {team: platform, items: 8, effort_days: {triangular: [1, 2, 4]}}
  payouts: {team: platform, items: 6, effort_days: {triangular: [1, 2, 4]}, depends_on: [ledger]}
  screens: {team: web, items: 5, effort_days: {triangular: [1, 2, 3]}}
risks:
  vendor: {probability: 0.4, owner: Sam, delay: {epic: payouts, days: {fixed: 10}}}
milestones:
  beta: {epics: [ledger], target: 2027-02-15}
  ga: {epics: [ledger, payouts, screens], target: 2027-03-31}
"""
REPS = "12"


def _report(scenario: Path, out: Path, *extra: str) -> int:
    return cli.main(["report", str(scenario), "--out", str(out), "--reps", REPS, "--seed", "5",
                     "--workers", "1", *extra])


def _moved_lines(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    texts = [o["data"]["text/plain"] for c in nb.cells if c.cell_type == "code"
             for o in c.get("outputs", []) if "text/plain" in o.get("data", {})]
    return [line for t in texts for line in t.splitlines() if line.startswith("Since the last")]


def test_three_reports_give_three_entries_a_trend_and_parts_that_add_up(tmp_path: Path) -> None:
    path = tmp_path / "program.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "out"
    assert _report(path, out) == 0
    path.write_text(SCENARIO.replace("date: 2027-02-01", "date: 2027-03-01"), encoding="utf-8")
    assert _report(path, out) == 0
    path.write_text(SCENARIO.replace("date: 2027-02-01", "date: 2027-03-01")
                    .replace("items: 6, effort", "items: 10, effort"), encoding="utf-8")
    assert _report(path, out) == 0

    log = tmp_path / "program.forecasts.sqlite"
    found = forecast_log.entries(log)
    assert [e["id"] for e in found] == [1, 2, 3]
    assert [e["scenario"]["resolved"]["teams"]["platform"]["hires"][0]["date"]
            for e in found] == ["2027-02-01", "2027-03-01", "2027-03-01"]
    assert [e["scenario"]["resolved"]["epics"]["payouts"]["items"] for e in found] == [6, 6, 10]
    assert {e["seed"] for e in found} == {5} and {e["replications"] for e in found} == {12}
    table = trend_table(found)
    assert table.groupby(["milestone", "measure"]).size().tolist() == [3, 3, 3, 3]
    assert sum(len(v) for v in trend(table).to_dict()["datasets"].values()) == 12

    lines = _moved_lines(out / "program.ipynb")  # the third report: since the second
    assert len(lines) == 2
    ga = next(line for line in lines if ": ga P85" in line)
    assert "from 4 items added to payouts" in ga and "hire" not in ga
    for line in lines:
        total = re.search(r"P85 (?:moved (\d+) calendar days? (later|earlier)|did not move)", line)
        assert total is not None
        whole = 0 if total.group(1) is None else int(total.group(1)) * (
            1 if total.group(2) == "later" else -1)
        parts = [int(n) for n in re.findall(r"([+-]?\d+) from ", line)]
        assert abs(sum(parts) - whole) <= 1
        milestone = "ga" if ": ga P85" in line else "beta"
        logged = [e for e in found[1:] for m in e["milestones"] if m["name"] == milestone]
        p85 = [next(m["p85"] for m in e["milestones"] if m["name"] == milestone) for e in logged]
        assert whole == (dt.date.fromisoformat(p85[1]) - dt.date.fromisoformat(p85[0])).days

    listed = subprocess.run([sys.executable, "-m", "workbench.app.cli", "log", str(path),
                             "--format", "csv"], capture_output=True, text=True, env=_env(),
                            check=False)
    assert listed.returncode == 0
    assert len(listed.stdout.splitlines()) == 1 + 3 * 2  # header + 3 entries x 2 milestones


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_two_reports_at_once_both_land(tmp_path: Path) -> None:
    path = tmp_path / "program.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    runs = [subprocess.Popen([sys.executable, "-m", "workbench.app.cli", "report", str(path),
                              "--out", str(tmp_path / f"out{i}"), "--reps", REPS],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=_env()) for i in (1, 2)]
    codes = [r.wait(timeout=600) for r in runs]
    assert codes == [0, 0], [r.stderr.read() for r in runs if r.stderr]
    found = forecast_log.entries(tmp_path / "program.forecasts.sqlite")
    assert sorted(e["id"] for e in found) == [1, 2]


def test_appends_from_two_processes_all_land(tmp_path: Path) -> None:
    log = tmp_path / "x.forecasts.sqlite"
    code = ("import sys; from workbench.files import forecast_log as f\n"
            "for i in range(40):\n"
            "    f.append(sys.argv[1], {'as_of': '2027-01-04', 'logged_at': 'now', 'scenario': "
            "{'name': sys.argv[2], 'sha256': str(i)}, 'milestones': []})\n")
    runs = [subprocess.Popen([sys.executable, "-c", code, str(log), name], env=_env())
            for name in ("a", "b")]
    assert [r.wait(timeout=120) for r in runs] == [0, 0]
    found = forecast_log.entries(log)
    assert len(found) == 80
    assert sorted(e["scenario"]["name"] for e in found).count("a") == 40
    assert forecast_log.integrity_problems(log) == []


def test_a_damaged_log_is_one_line_exit_2_and_the_html_is_still_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "program.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    log = tmp_path / "program.forecasts.sqlite"
    log.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    assert _report(path, tmp_path / "out") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(log) in err[0] and "is not a forecast log" in err[0]
    page = (tmp_path / "out" / "program.html").read_text(encoding="utf-8")
    assert "The forecast log could not be read, so the trend shows this report only" in page
    assert log.read_bytes().startswith(b"this is not a database")  # left as it was
    assert cli.main(["log", str(path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_someone_elses_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(forecast_log.LogError, match="not a forecast log"):
        forecast_log.append(other, {"as_of": "x", "logged_at": "x",
                                    "scenario": {"name": "n", "sha256": "s"}})
    with sqlite3.connect(other) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("people",)]


def test_a_log_locked_too_long_is_one_line(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "p.forecasts.sqlite"
    entry = {"as_of": "x", "logged_at": "x", "scenario": {"name": "n", "sha256": "s"}}
    forecast_log.append(log, entry)
    monkeypatch.setattr(forecast_log, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(log, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(forecast_log.LogError, match="locked") as caught:
            forecast_log.append(log, entry)
        assert str(log) in str(caught.value) and "\n" not in str(caught.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(forecast_log.entries(log)) == 1  # nothing half-written


def test_no_log_writes_no_file_and_run_log_appends(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "program.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    assert _report(path, tmp_path / "out", "--no-log") == 0
    assert not (tmp_path / "program.forecasts.sqlite").exists()
    custom = tmp_path / "logs" / "weekly.sqlite"
    assert cli.main(["run", str(path), "--reps", "5", "--log", str(custom)]) == 0
    assert len(forecast_log.entries(custom)) == 1
    capsys.readouterr()
    assert cli.main(["log", str(path), "--log", str(custom), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["replications"] for e in listed] == [5]
    assert listed[0]["scenario"]["resolved"]["as_of"] == "2027-01-04"
    assert cli.main(["log", str(path), "--log", str(custom)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["entry", "report_date", "milestone"] and len(table) == 3


def test_a_damaged_entry_is_one_line_naming_it(tmp_path: Path) -> None:
    log = tmp_path / "p.forecasts.sqlite"
    forecast_log.append(log, {"as_of": "x", "logged_at": "x",
                              "scenario": {"name": "n", "sha256": "s"}})
    with sqlite3.connect(log) as db:
        db.execute("UPDATE forecasts SET entry = '{half an entr'")
    with pytest.raises(forecast_log.LogError, match="entry 1 of the forecast log is damaged"):
        forecast_log.entries(log)


def test_a_set_whatif_stays_out_of_the_plans_log(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A `--set` what-if is not the plan's weekly status: with no --log it writes no entry,
    and --log with --set is one line, exit 2, before any work."""
    path = tmp_path / "program.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    log = tmp_path / "program.forecasts.sqlite"
    code = cli.main(["report", str(path), "--out", str(tmp_path / "out"), "--reps", "5",
                     "--set", "teams.platform.members=3", "--log", str(log)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("workbench report: --log with --set")
    assert not log.exists() and not (tmp_path / "out").exists()
