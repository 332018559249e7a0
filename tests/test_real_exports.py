"""Real exports as they are: mixed time-zone offsets, one project's rows (--where), a long-format
transition log (--transitions), resolutions that are not delivered work, columns that differ
only in case, and dates outside the plausible range. Each trap on a small file made for it, read
by the library and by the commands; bad input is one line naming the file, exit 2."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from workbench.app import history_commands
from workbench.files import exports
from workbench.files.exports import HistoryError, Reading, load_history
from workbench.history import flow
from workbench.reports import history_report, runner


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def run(*argv: str) -> int:
    """Parse with a parser holding only the history commands, as `workbench` would."""
    parser = argparse.ArgumentParser(prog="workbench")
    history_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.run(args))


def weekly_rows(project: str, weeks: int, per_week: int, offset: str,
                resolution: str = "Done") -> list[str]:
    """Rows of a Jira REST-style export: ISO dates with a time-zone offset."""
    out = []
    for w in range(weeks):
        for i in range(per_week):
            day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * w + i)
            done = day + pd.Timedelta(days=3, hours=5)
            out.append(f"{project}-{w * per_week + i},{project},{resolution},"
                       f"{day:%Y-%m-%dT10:00:00}{offset},{done:%Y-%m-%dT10:00:00}{offset}")
    return out


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two projects, three offsets, 30 weeks; project B also closed three items as duplicates
    or won't fix."""
    rows = [*weekly_rows("A", 30, 3, "+0000"), *weekly_rows("B", 30, 2, "-0500"),
            *weekly_rows("C", 30, 1, "-0600"),
            "B-900,B,Duplicate,2024-02-01T09:00:00-0500,2024-02-02T09:00:00-0500",
            "B-901,B,Won't Fix,2024-02-01T09:00:00-0500,2024-02-03T09:00:00-0500",
            "B-902,B,Duplicate,2024-02-01T09:00:00-0500,2024-02-04T09:00:00-0500"]
    path = tmp_path_factory.mktemp("multi") / "jira.csv"
    path.write_text("Issue key,Project key,Resolution,Created,Resolved\n" + "\n".join(rows)
                    + "\n", encoding="utf-8")
    return path


# --- mixed offsets -------------------------------------------------------------------------------

def test_mixed_offsets_are_read_in_utc(multi: Path) -> None:
    h = load_history(multi)
    assert len(h.items) == 30 * 6
    b1 = h.items.set_index("key").loc["B-0"]
    assert b1["start"] == pd.Timestamp("2024-01-01 15:00")  # 10:00 at -0500
    assert h.items.set_index("key").loc["C-0", "finish"] == pd.Timestamp("2024-01-04 16:00")
    assert h.date_formats["Resolved"] == "ISO8601 (time-zone offsets converted to UTC)"


def test_mixed_offsets_work_in_forecast_backtest_and_the_report(
        multi: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run("forecast", str(multi), "--items", "20", "--trials", "500") == 0
    assert "Mixed timezones" not in capsys.readouterr().err
    assert run("backtest", str(multi), "--items", "20", "--origins", "10") == 0
    assert "origins" in capsys.readouterr().out
    r = history_report.prepare(multi, items=20, trials=500, origins=10)
    history_report.write_outputs(r, tmp_path)
    assert history_report.consistency_problems(r, tmp_path) == []


# --- --where -------------------------------------------------------------------------------------

def test_where_keeps_the_rows_of_the_projects_named(multi: Path) -> None:
    one = load_history(multi, reading=Reading(where={"Project key": ["A"]}))
    assert set(one.items["project"]) == {"A"} and len(one.items) == 90
    assert (one.rows_read, one.rows_selected) == (183, 90)
    assert "90 kept by --where Project key=A" in one.report()
    two = load_history(multi, reading=Reading(where={"project key": ["a", "C"]}))  # any case
    assert sorted(set(two.items["project"])) == ["A", "C"] and len(two.items) == 120
    both = load_history(multi, reading=Reading(where={"Project key": ["A", "B"],
                                                      "Resolution": ["Done"]}))
    assert len(both.items) == 150 and both.excluded == 0  # every condition must hold


def test_where_on_the_command_line(multi: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("forecast", str(multi), "--items", "20", "--exact", "--format", "json")
    assert run(*argv, "--where", "Project key=B") == 0
    data = json.loads(capsys.readouterr().out)["history"]
    assert (data["rows_selected"], data["finished_items"]) == (63, 60)
    assert data["where"] == {"Project key": ["B"]}
    assert run(*argv, "--where", "Project key=A,B", "--where", "Resolution=Done") == 0
    assert json.loads(capsys.readouterr().out)["history"]["finished_items"] == 150


@pytest.mark.parametrize(("where", "message"), [
    ("Project", "--where: 'Project' (use COLUMN=VALUE or COLUMN=A,B, e.g. --where "
                "Project=PAY)"),
    ("Team=Red", "{path}: --where column 'Team' not found (columns found: Issue key, "
                 "Project key, Resolution, Created, Resolved)"),
    ("Project key=Z", "{path}: --where Project key=Z: no row kept (column 'Project key' "
                      "holds A, B, C)"),
])
def test_where_mistakes_are_one_line(multi: Path, where: str, message: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run("forecast", str(multi), "--items", "5", "--where", where) == 2
    assert capsys.readouterr().err == f"workbench forecast: {message.format(path=multi)}\n"


# --- resolutions ---------------------------------------------------------------------------------

def test_resolutions_not_delivered_are_left_out_and_counted(multi: Path) -> None:
    h = load_history(multi)
    (problem,) = h.problems
    assert (problem.kind, problem.count, problem.excluded) == ("not_delivered", 3, True)
    assert "Duplicate 2, Won't Fix 1" in problem.meaning
    assert h.rows_read == len(h.items) + len(h.open_items) + h.excluded
    kept = load_history(multi, reading=Reading(done_resolutions=("Done", "Duplicate")))
    assert [(p.kind, p.count) for p in kept.problems] == [("not_delivered", 1)]


def test_done_resolutions_on_the_command_line(multi: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run("backtest", str(multi), "--items", "20", "--origins", "5", "--format", "json",
               "--done-resolutions", "done,won't fix") == 0
    problems = json.loads(capsys.readouterr().out)["history"]["problems"]
    assert [(p["kind"], p["count"]) for p in problems] == [("not_delivered", 2)]


# --- columns differing only in case ------------------------------------------------------------

def test_columns_differing_only_in_case_are_an_error_naming_both(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "case.csv", """
        Key,Resolved,resolved
        A,2024-01-02,2024-01-05
        """)
    with pytest.raises(HistoryError, match="columns 'Resolved' and 'resolved' differ only in "
                                           "case"):
        load_history(path)
    assert len(load_history(path, {"finish": "resolved"}).items) == 1  # named exactly: fine
    assert run("forecast", str(path), "--items", "1") == 2
    assert capsys.readouterr().err == (
        f"workbench forecast: {path}: columns 'Resolved' and 'resolved' differ only in case, so "
        f"'Resolved' is ambiguous; rename one, or name one exactly with --finish-column\n")


# --- plausible dates ----------------------------------------------------------------------------

def team_with(tmp_path: Path, odd: list[str]) -> Path:
    """40 weeks of 2024 (three items a week) plus `odd` rows."""
    rows = []
    for i in range(120):
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=2 * i)
        rows.append(f"T-{i},{day:%Y-%m-%d},{day + pd.Timedelta(days=4):%Y-%m-%d}")
    path = tmp_path / "team.csv"
    path.write_text("Issue key,Created,Resolved\n" + "\n".join([*rows, *odd]) + "\n",
                    encoding="utf-8")
    return path


def test_dates_outside_the_plausible_range_are_counted_by_kind(tmp_path: Path) -> None:
    path = team_with(tmp_path, ["X-1,2024-03-01,2500-01-10", "X-2,2024-03-01,9999-12-31",
                                "X-3,9999-12-31,", "X-4,,2019-05-01",
                                "X-5,2024-03-01,2024-03-05"])
    h = load_history(path, reading=Reading(export_date=pd.Timestamp("2024-10-01").date()))
    kinds = {p.kind: (p.count, p.excluded) for p in h.problems}
    assert kinds == {"date_after_export": (3, True), "date_before_first_created": (1, True)}
    after = next(p for p in h.problems if p.kind == "date_after_export")
    assert after.examples == ("line 122: X-1, finish 2500-01-10",
                              "line 123: X-2, finish 9999-12-31", "line 124: X-3, start 9999-12-31")
    assert "latest plausible 2025-10-01" in after.meaning
    assert h.plausible == (pd.Timestamp("2024-01-01").date(), pd.Timestamp("2025-10-01").date())
    assert h.items["finish"].max() < pd.Timestamp("2025-01-01")
    assert {"X-1", "X-2", "X-3", "X-4"}.isdisjoint(set(h.items["key"]) | set(h.open_items["key"]))


def test_year_2500_and_9999_neither_crash_nor_mislead_a_forecast(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = team_with(tmp_path, ["X-1,2024-03-01,2500-01-10", "X-2,2024-03-01,9999-12-31"])
    assert run("forecast", str(path), "--items", "30", "--format", "json",
               "--export-date", "2024-10-01") == 0
    data = json.loads(capsys.readouterr().out)
    assert [(p["kind"], p["count"]) for p in data["history"]["problems"]] == [
        ("date_after_export", 2)]
    p85 = next(p for p in data["forecast"]["percentiles"] if p["confidence"] == 85)
    assert p85["date"] < "2025-06-01"  # not 2579
    assert run("forecast", str(path), "--items", "30") == 0  # the file's own day as the export
    assert "date_after_export: 2 row(s)" in capsys.readouterr().out
    assert run("forecast", str(path), "--items", "3", "--export-date", "2024-02-30") == 2
    assert capsys.readouterr().err == ("workbench forecast: --export-date: '2024-02-30' is not "
                                       "a date (use YYYY-MM-DD)\n")


# --- transition logs -----------------------------------------------------------------------------

WIDE = """
    Issue key,Created,In Progress,Review,Done
    A,2024-01-01 09:00,2024-01-02 09:00,2024-01-04 09:00,2024-01-05 17:00
    B,2024-01-01 09:00,2024-01-03 10:00,,2024-01-08 11:00
    C,2024-01-02 09:00,2024-01-05 09:00,2024-01-09 09:00,
    D,2024-01-03 09:00,,,
    """
LOG = """
    key,to,when
    A,In Progress,2024-01-02 09:00
    A,Review,2024-01-04 09:00
    A,Done,2024-01-05 17:00
    B,In Progress,2024-01-03 10:00
    B,Done,2024-01-08 11:00
    C,In Progress,2024-01-05 09:00
    C,Review,2024-01-09 09:00
    Z,In Progress,2024-01-01 09:00
    """
EXPORT = """
    Issue key,Created,Resolved
    A,2024-01-01 09:00,2024-01-05 17:00
    B,2024-01-01 09:00,2024-01-08 11:00
    C,2024-01-02 09:00,
    D,2024-01-03 09:00,
    """
STATES = ["In Progress", "Review", "Done"]


def test_a_transition_log_gives_the_cycle_times_of_the_equivalent_wide_file(
        tmp_path: Path) -> None:
    wide = load_history(write(tmp_path, "wide.csv", WIDE),
                        {"start": "In Progress", "finish": "Done", "states": STATES})
    log = exports.load_transitions(write(tmp_path, "log.csv", LOG),
                                   {"key": "key", "state": "to", "at": "when"})
    long = load_history(write(tmp_path, "export.csv", EXPORT), {"states": STATES},
                        reading=Reading(transitions=log))
    cycle = ["key", "start", "finish", "cycle_time_days"]
    assert long.items[cycle].equals(wide.items[cycle])
    assert list(long.items["cycle_time_days"]) == [3 + 8 / 24, 5 + 1 / 24]
    assert long.state_dates is not None and wide.state_dates is not None
    assert long.state_dates.loc[["A", "B", "C"]].equals(wide.state_dates.loc[["A", "B", "C"]])
    # by the end of 9 Jan: A, B, C started; A and C reviewed, B skipped review but is done
    assert flow.cumulative_flow(long).loc["2024-01-09"].tolist() == [3, 3, 2]
    kinds = {p.kind: (p.count, p.source) for p in long.problems}
    assert kinds == {"not_finished": (2, "export"), "unused_transition": (1, str(
        tmp_path / "log.csv")), "no_transitions": (1, "export")}  # C, D open; Z unknown; D


def test_reopened_items_finish_on_their_last_arrival_in_done(tmp_path: Path) -> None:
    log = exports.load_transitions(write(tmp_path, "log.csv", """
        Issue key,To Status,Date
        A,In Progress,2024-01-02
        A,Done,2024-01-04
        A,In Progress,2024-01-10
        A,Done,2024-01-12
        B,In Progress,2024-01-02
        B,Done,2024-01-03
        B,In Progress,2024-01-06
        """))
    h = load_history(write(tmp_path, "e.csv", "Issue key,Created,Resolved\nA,2024-01-01,"
                           "2024-01-04\nB,2024-01-01,2024-01-03\n"),
                     {"states": ["In Progress", "Done"]}, reading=Reading(transitions=log))
    a = h.items.set_index("key").loc["A"]
    assert (a["start"], a["finish"]) == (pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-12"))
    assert h.state_dates is not None and h.state_dates.loc["A", "Done"] == pd.Timestamp(
        "2024-01-04")  # the first entry, for the cumulative flow
    assert list(h.open_items["key"]) == ["B"]  # re-opened and not back in Done
    reopened = next(p for p in h.problems if p.kind == "reopened")
    assert (reopened.count, reopened.examples) == (2, ("A", "B"))


def test_transitions_on_the_command_line(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    export = write(tmp_path, "export.csv", EXPORT)
    log = write(tmp_path, "log.csv", LOG)
    argv = ("forecast", str(export), "--items", "2", "--exact", "--format", "json", "--period",
            "day", "--transitions", str(log), "--transition-columns", "key,to,when",
            "--states", ",".join(STATES))
    assert run(*argv) == 0
    data = json.loads(capsys.readouterr().out)["history"]
    assert data["states"] == STATES and data["finished_items"] == 2
    assert f"{log}: when" in data["date_formats"]
    assert run(*argv[:-4], "--transition-columns", "key,to") == 2
    assert capsys.readouterr().err == ("workbench forecast: --transition-columns: 'key,to' (give "
                                       "three names: KEY,STATE,DATE)\n")
    assert run(*argv[:-6], "--transitions", str(log)) == 2  # the log's columns not found
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{log}: state column 'To Status' not found" in err
    assert run(*argv[:-2], "--states", "Doing,Closed") == 2
    assert capsys.readouterr().err == (f"workbench forecast: {log}: no move into the states "
                                       f"listed (Doing, Closed; states found: In Progress, "
                                       f"Review, Done; list yours with --states)\n")
    assert run(*argv[:-6], "--transitions", str(tmp_path / "no.csv")) == 2
    assert capsys.readouterr().err == f"workbench forecast: {tmp_path / 'no.csv'}: file not found\n"


def test_report_takes_the_reading_options(tmp_path: Path, multi: Path) -> None:
    from workbench.app import cli

    args = cli._parser().parse_args([
        "report", "--history", str(multi), "--items", "10", "--where", "Project key=A",
        "--done-resolutions", "Done", "--export-date", "2024-12-31", "--method", "raw"])
    params = history_commands._report_parameters(args)
    assert params["where"] == "Project key=A" and params["method"] == "raw"
    assert runner.parameter_problems(history_report.HISTORY_NOTEBOOK, {
        **params, "out_dir": str(tmp_path)}, "report") == []
    r = history_report.prepare(**{**params, "trials": 300, "origins": 5})
    assert r.loaded.rows_selected == 90 and r.forecast.method == "raw"
    assert "90 kept by Project key=A" in history_report.data_sentence(r)


# --- backtest cases ------------------------------------------------------------------------------

def test_backtest_cases_as_table_csv_and_json(multi: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    common = ("backtest", str(multi), "--periods", "3", "--origins", "12", "--cases")
    assert run(*common, "--format", "csv") == 0
    cases = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert len(cases) == 12 * 4 and cases["origin"].nunique() == 12
    assert {"P85 items", "P85 read at", "items done", "P85 came true"} <= set(cases.columns)
    assert run(*common, "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)["backtest"]
    assert len(data["cases"]) == 48 and data["cases"][0]["method"] == data["calibrated"]
    assert run(*common) == 0
    out = capsys.readouterr().out
    assert "Calibrated vs raw" in out and "P85 came true" in out
    when = ("backtest", str(multi), "--items", "12", "--origins", "8", "--cases", "--format",
            "csv")
    assert run(*when) == 0
    cases = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert {"P85 by", "done on"} <= set(cases.columns)
    raw = cases[cases["method"].str.startswith("last 90 days")]
    hit = pd.to_datetime(raw["done on"]) <= pd.to_datetime(raw["P85 by"])
    assert (hit == (raw["P85 came true"] == "yes")).all()
