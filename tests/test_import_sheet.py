"""`workbench import sheet`: a planning sheet (CSV or .xlsx) to a scenario, and its mistakes as
one line each (exit 2, nothing written, no cell quoted)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from workbench.app.cli import main
from workbench.scenario.loader import load_scenario

PLAN = """\
Epic,Team,Items,Effort low,Effort likely,Effort high,Depends on,Milestone,Target,Priority,Done,Owner
login,App,8,1,2,4,,beta,2027-03-01,1,2,Ann
pay,App,,10,20,40,login,ga,2027-04-30,2,,Bob
site,Web,5,,,,,beta,2027-03-01,,5,Cy
search,Web,6,1,2,3,"site; login",ga,,,0,
"""
ROWS = [line.split(",") for line in PLAN.splitlines()]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".workbench").touch()
    return tmp_path


def sheet_import(path: Path, *extra: str) -> int:
    return main(["import", "sheet", str(path), "--out", str(path.parent / "out.yaml"),
                 "--as-of", "2027-01-04", *extra])


def test_a_csv_plan(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = project / "plan.csv"
    plan.write_text(PLAN)
    assert sheet_import(plan) == 0
    s = load_scenario(project / "out.yaml")
    assert {k: (e.team, e.items, e.priority, e.depends_on) for k, e in s.epics.items()} == {
        "login": ("app", 6, 1, ()), "pay": ("app", 4, 2, ("login",)),
        "search": ("web", 6, None, ("login",))}  # site is done: nobody waits for it
    assert s.epics["login"].effort_days.params == (1.0, 2.0, 4.0)  # type: ignore[union-attr]
    # pay: 20 person-days likely, in 4 items of about 5: 10/20/40 over 4 items
    assert s.epics["pay"].effort_days.params == (2.5, 5.0, 10.0)  # type: ignore[union-attr]
    assert {k: (m.epics, str(m.target)) for k, m in s.milestones.items()} == {
        "beta": (("login",), "2027-03-01"), "ga": (("pay", "search"), "2027-04-30")}
    assert str(s.start) == "2027-01-04" and s.teams["app"].members == 5
    assert "login 2, site 5" in s.description
    out = capsys.readouterr().out
    assert "column owner: not a column the import knows; not used" in out
    assert main(["run", str(project / "out.yaml"), "--reps", "10"]) == 0


def test_an_xlsx_plan_reads_like_the_csv(project: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in ROWS:
        sheet.append([_typed(c.strip('"')) for c in row])
    book.save(project / "plan.xlsx")
    (project / "plan.csv").write_text(PLAN)
    assert sheet_import(project / "plan.xlsx") == 0
    from_xlsx = load_scenario(project / "out.yaml")
    assert sheet_import(project / "plan.csv") == 0
    from_csv = load_scenario(project / "out.yaml")
    assert from_xlsx.epics == from_csv.epics and from_xlsx.milestones == from_csv.milestones


def _typed(cell: str) -> object:
    """What a spreadsheet holds: numbers as numbers, dates as dates."""
    import datetime as dt

    if cell.isdigit():
        return int(cell)
    try:
        return dt.datetime.fromisoformat(cell)
    except ValueError:
        return cell or None


def test_xlsx_without_openpyxl_says_what_to_install(project: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (project / "plan.xlsx").write_bytes(b"PK\x03\x04 not really")
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as if it were not installed
    assert sheet_import(project / "plan.xlsx") == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{project / 'plan.xlsx'}: top level: reading .xlsx needs the "
                           "openpyxl package")
    assert not (project / "out.yaml").exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("", "top level: the sheet is empty"),
    ("Epic,Items\nx,3\n", "team: column not found"),
    ("Epic,Team,Items\nlogin,app,TOPSECRET\n",
     "items: row 2 (epic login): not a whole number (allowed: a whole number >= 0, or empty)"),
    ("Epic,Team,Items,Done\nlogin,app,3,4\n",
     "done: row 2 (epic login): must be a whole number of items, at most items (3)"),
    ("Epic,Team,Items,Depends on\nlogin,app,3,pay\n",
     "depends_on: row 2 (epic login): pay is not an epic of the sheet"),
    ("Epic,Team,Items\nlogin,app,3\nlogin,web,2\n", "epic: row 3: epic login appears twice"),
    ("Epic,Team,Items,Depends on\na,app,3,b\nb,app,2,a\n",
     "depends_on: dependency cycle a -> b -> a"),
    ("Epic,Team,Items,Target\nlogin,app,3,TOPSECRET\n",
     "target: row 2 (epic login): not a date (allowed: YYYY-MM-DD, e.g. 2027-03-31)"),
])
def test_bad_sheets_give_one_line(project: Path, capsys: pytest.CaptureFixture[str],
                                  text: str, expected: str) -> None:
    plan = project / "plan.csv"
    plan.write_text(text)
    assert sheet_import(plan) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"{plan}: {expected}")
    assert "TOPSECRET" not in line and captured.out == ""
    assert not (project / "out.yaml").exists() and not (project / "out.import.txt").exists()


def test_same_sheet_same_bytes(project: Path) -> None:
    plan = project / "plan.csv"
    plan.write_text(PLAN)
    assert sheet_import(plan) == 0
    first = (project / "out.yaml").read_bytes()
    assert sheet_import(plan) == 0
    assert (project / "out.yaml").read_bytes() == first
