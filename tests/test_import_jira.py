"""`workbench import jira`: the sample export against hand-counted values, each trap of a real
export, re-imports, and bad input (one line, exit 2, nothing written, no content quoted)."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
import yaml

from workbench.app import import_commands
from workbench.app.cli import main
from workbench.scenario.imports import settings
from workbench.scenario.loader import load_scenario
from workbench.scenario.models import Scenario

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "jira" / "checkout_export.csv"
MAPPING = ROOT / "data" / "jira" / "mapping.yaml"

# Counted by hand from data/jira/make_sample.py's EPICS table (items, done, in progress, closed
# without work): items to do = items - done - closed; CHK-4 (Refining) and CHK-8 (New) are not
# broken down yet and are sized from the three finished epics (14, 18 and 22 items: p50 18).
ITEMS_LEFT = {"PLAT-2": 15 - 7, "CHK-2": 16 - 6 - 1, "CHK-6": 20 - 8, "CHK-9": 18 - 5,
              "PLAT-4": 8 - 3, "CHK-11": 10 - 2 - 1, "CHK-3": 12, "CHK-7": 10, "CHK-10": 12,
              "PLAT-3": 11, "CHK-4": 18, "CHK-8": 18}  # in backlog (Rank) order
DONE = {"PLAT-2": 7, "CHK-2": 6, "CHK-6": 8, "CHK-9": 5, "PLAT-4": 3, "CHK-11": 2, "CHK-1": 14,
        "CHK-5": 18, "PLAT-1": 22}
TEAMS = {"PLAT-2": "platform", "CHK-2": "payments", "CHK-6": "storefront", "CHK-9": "mobile",
         "PLAT-4": "platform", "CHK-11": "mobile", "CHK-3": "payments", "CHK-7": "storefront",
         "CHK-10": "mobile", "PLAT-3": "platform", "CHK-4": "payments", "CHK-8": "storefront"}
# PLAT-36 (Event bus) blocks CHK-37 (Payment methods API); CHK-35 blocks CHK-86 and CHK-87
# (Checkout page); epic CHK-2 blocks epic CHK-9; sub-task CHK-151 (of a Mobile checkout item)
# blocks CHK-122 (Wallet payments, CHK-10).
DEPENDS = {"CHK-2": ("PLAT-2",), "CHK-6": ("CHK-2",), "CHK-9": ("CHK-2",), "CHK-10": ("CHK-9",)}
MILESTONES = {"checkout-1-0": (("PLAT-2", "CHK-2", "CHK-6", "CHK-9", "CHK-11"), "2027-03-31"),
              "checkout-1-1": (("CHK-6", "CHK-3", "CHK-7", "CHK-10", "CHK-4"), "2027-06-30")}


def run_cli(*argv: str) -> int:
    return main(["import", *argv])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".workbench").touch()
    return tmp_path


def import_sample(project: Path, export: Path = SAMPLE, *extra: str) -> Scenario:
    out = project / "plan" / "imported.yaml"
    assert run_cli("jira", str(export), "--mapping", str(MAPPING), "--out", str(out),
                   *extra) == 0
    return load_scenario(out)


# --- the sample export --------------------------------------------------------------------

def test_sample_export_gives_the_hand_counted_plan(project: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    scenario = import_sample(project)
    assert [(k, e.items) for k, e in scenario.epics.items()] == list(ITEMS_LEFT.items())
    assert {k: e.team for k, e in scenario.epics.items()} == TEAMS
    assert {k: e.depends_on for k, e in scenario.epics.items() if e.depends_on} == DEPENDS
    assert {k: (m.epics, str(m.target)) for k, m in scenario.milestones.items()} == MILESTONES
    assert sorted(scenario.teams) == ["mobile", "payments", "platform", "storefront"]
    assert all(t.members == 5 for t in scenario.teams.values())
    assert str(scenario.start) == "2026-12-01"  # the newest Updated: 01/Dec/26 4:40 PM
    assert scenario.epics["CHK-4"].split_rate == (0.833, 1.223)  # 15..22 of 18
    assert scenario.epics["CHK-2"].split_rate is None
    done = ", ".join(f"{k} {n}" for k, n in DONE.items())
    assert f"done per epic: {done}" in scenario.description
    out = capsys.readouterr().out
    assert "224 issues: 15 epics, 188 items, 20 sub-tasks folded into their items" in out
    assert "85 items done, 2 closed without work (not counted), 135 to do in 12 open epics" in out
    assert "in progress: 9 items, counted as not started" in out
    assert "CHK-144: no epic" in out
    assert "PLAT-42: Inward issue link (Blocks) names OPS-404, which is not in the export" in out
    assert "1 links inside one epic and 1 whose blocker" in out
    assert (project / "plan" / "imported.import.txt").read_text() == out


def test_the_imported_scenario_runs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import_sample(project)
    capsys.readouterr()
    assert main(["run", str(project / "plan" / "imported.yaml"), "--reps", "20"]) == 0
    assert "checkout-1-0  2027-03-31" in capsys.readouterr().out


def test_progress_and_effort_method_are_recorded_as_comments(project: Path) -> None:
    import_sample(project)
    text = (project / "plan" / "imported.yaml").read_text()
    assert "# progress: 85 items done as of 2026-12-01" in text
    assert "# CHK-2 Payment methods API: 6 of 15 items done, 2 in progress, 1 closed" in text
    assert "# effort method: points: story points x" in text
    assert "Effort: story points x" in load_scenario(project / "plan" / "imported.yaml"
                                                     ).description


def test_same_export_same_bytes(project: Path) -> None:
    import_sample(project)
    first = (project / "plan" / "imported.yaml").read_bytes()
    report = (project / "plan" / "imported.import.txt").read_bytes()
    import_sample(project)
    assert (project / "plan" / "imported.yaml").read_bytes() == first
    assert (project / "plan" / "imported.import.txt").read_bytes() == report


def test_a_tpm_file_that_extends_the_import_keeps_its_edits(project: Path) -> None:
    import_sample(project)
    mine = project / "plan" / "checkout.yaml"
    mine.write_text("extends: imported.yaml\nteams: {payments: {members: 7, focus: 0.8}}\n")
    assert load_scenario(mine).teams["payments"].members == 7
    import_sample(project)  # the weekly re-import replaces only the imported file
    assert load_scenario(mine).teams["payments"].focus == 0.8


# --- re-import after the export changed ---------------------------------------------------

def edited(src: Path, dst: Path, changes: Mapping[str, Mapping[str, str]]) -> Path:
    """A copy of an export with some cells of some issues changed (first column of a name)."""
    rows = list(csv.reader(src.open(encoding="utf-8", newline="")))
    header = rows[0]
    for row in rows[1:]:
        for name, value in changes.get(row[1], {}).items():
            row[header.index(name)] = value
    with dst.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    return dst


def blocks(text: str) -> dict[str, list[str]]:
    """A scenario file's lines by part: each header paragraph ("header progress:"), name,
    description, teams, each epic (with the comments above it), milestones."""
    out: dict[str, list[str]] = {}
    part, pending = "header", []
    for line in text.splitlines():
        epic = re.fullmatch(r"  ([A-Z]+-\d+):", line)
        if line.startswith("# ") and not line.startswith("#  "):
            part = "header " + line.split()[1]
        elif line.startswith("  # ") and part not in ("teams", "milestones"):
            pending.append(line)
            continue
        elif epic:
            part = epic.group(1)
        elif not line.startswith(("#", " ")):
            part = line.split(":")[0]
            part = "teams" if part in ("start", "horizon_days", "epics") else part
        out.setdefault(part, []).extend([*pending, line])
        pending = []
    return out


def test_reimport_changes_exactly_what_changed(project: Path) -> None:
    before = import_sample(project)
    text_before = blocks((project / "plan" / "imported.yaml").read_text())
    (project / "jira").mkdir()
    export = edited(SAMPLE, project / "jira" / SAMPLE.name, {
        "CHK-50": {"Status": "Done", "Status Category": "Done", "Resolution": "Done",
                   "Resolved": "25/Nov/26 2:00 PM"},  # an item of CHK-3 done
        "PLAT-45": {"Outward issue link (Blocks)": "CHK-96"}})  # PLAT-3 now blocks CHK-7
    after = import_sample(project, export)
    text_after = blocks((project / "plan" / "imported.yaml").read_text())
    changed = {k for k in before.epics if before.epics[k] != after.epics[k]}
    assert changed == {"CHK-3", "CHK-7"}
    assert (before.epics["CHK-3"].items, after.epics["CHK-3"].items) == (12, 11)
    assert after.epics["CHK-7"] == before.epics["CHK-7"].model_copy(
        update={"depends_on": ("PLAT-3",)})
    assert after.milestones == before.milestones and after.teams == before.teams
    assert set(text_after) == set(text_before)
    changed_parts = {k for k in text_before if text_before[k] != text_after[k]}
    assert changed_parts == {"header progress:", "description", "CHK-3", "CHK-7"}
    assert text_after["CHK-7"] == [*text_before["CHK-7"], "    depends_on: [PLAT-3]"]
    assert "  # CHK-3 Refunds: 1 of 12 items done, 0 in progress; 11 to do" in text_after["CHK-3"]


# --- traps of a real export -----------------------------------------------------------------

HEADER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Status Category",
          "Created", "Updated", "Resolved", "Parent", "Custom field (Team)",
          "Custom field (Story Points)", "Fix versions", "Fix versions", "Sprint", "Sprint",
          "Outward issue link (Blocks)", "Outward issue link (Blocks)",
          "Inward issue link (Blocks)"]
CATEGORY = {"To Do": "To Do", "In Progress": "In Progress", "Done": "Done"}


def issue(key: str, kind: str = "Story", parent: str = "", status: str = "To Do",
          **cells: str | Sequence[str]) -> dict[str, str | Sequence[str]]:
    """One row: Issue id is the key's number + 1000; a repeated column takes a list."""
    row: dict[str, str | Sequence[str]] = {
        "Summary": f"summary of {key}", "Issue key": key, "Issue id": _id(key),
        "Issue Type": kind, "Status": status, "Status Category": CATEGORY[status],
        "Created": "02/Nov/26 9:15 AM", "Updated": "03/Nov/26 9:15 AM",
        "Parent": _id(parent) if parent else "", "Custom field (Team)": "Core"}
    row.update(cells)
    return row


def _id(key: str) -> str:
    project, _, n = key.partition("-")
    return str(1000 * sum(map(ord, project)) + int(n))


def write_export(path: Path, rows: Sequence[Mapping[str, str | Sequence[str]]],
                 header: Sequence[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            taken: dict[str, int] = {}
            line = []
            for name in header:
                value = row.get(name, "")
                values = [value] if isinstance(value, str) else list(value)
                line.append(values[taken.get(name, 0)] if taken.get(name, 0) < len(values)
                            else "")
                taken[name] = taken.get(name, 0) + 1
            writer.writerow(line)
    return path


def imported(project: Path, rows: Sequence[Mapping[str, str | Sequence[str]]],
             *extra: str, header: Sequence[str] = HEADER) -> tuple[Scenario, str]:
    export = write_export(project / "export.csv", rows, header)
    out = project / "out.yaml"
    assert run_cli("jira", str(export), "--out", str(out), "--effort", "default", *extra) == 0
    return load_scenario(out), (project / "out.import.txt").read_text()


def test_repeated_headers_all_count(project: Path) -> None:
    rows = [issue("A-1", "Epic"), issue("B-1", "Epic", **{"Custom field (Team)": "Web"}),
            issue("A-2", parent="A-1", **{"Outward issue link (Blocks)": ["B-2", "B-3"],
                                          "Fix versions": ["1.0", "1.1"],
                                          "Sprint": ["S1", "S2"]}),
            issue("B-2", parent="B-1"), issue("B-3", parent="B-1", **{"Fix versions": ["1.1"]})]
    scenario, _ = imported(project, rows, "--release", "1.0=2027-01-29")
    assert scenario.epics["B-1"].depends_on == ("A-1",)
    assert scenario.milestones["1-0"].epics == ("A-1",)
    assert str(scenario.milestones["1-0"].target) == "2027-01-29"
    assert scenario.milestones["1-1"].epics == ("A-1", "B-1")


def test_mixed_time_zone_offsets_are_read_in_utc(project: Path) -> None:
    iso = {"Created": "2026-02-02T23:30:00.000-0800",  # Tue 3 Feb, 07:30 UTC
           "Resolved": "2026-02-05T08:00:00.000+0100",  # Thu 5 Feb, 07:00 UTC: 2 working days
           "Updated": "2026-02-05T08:00:00.000+0100"}
    rows = [issue("A-1", "Epic", **{**iso, "Updated": "2026-03-02T01:30:00.000+0300"}),
            *(issue(f"A-{n}", parent="A-1", status="Done", **iso) for n in range(2, 7)),
            issue("A-7", parent="A-1", **iso)]
    export = write_export(project / "export.csv", rows)
    out = project / "out.yaml"
    assert run_cli("jira", str(export), "--out", str(out), "--effort", "resample") == 0
    scenario = load_scenario(out)
    assert str(scenario.start) == "2026-03-01"  # 2 Mar 01:30 at +0300 is 1 Mar in UTC
    assert scenario.epics["A-1"].effort_days.params == (2.0,) * 5  # type: ignore[union-attr]


def test_sub_tasks_fold_into_their_items(project: Path) -> None:
    rows = [issue("A-1", "Epic"), issue("B-1", "Epic"), issue("A-2", parent="A-1"),
            issue("A-3", parent="A-1"), issue("A-7", parent="A-1"), issue("B-2", parent="B-1"),
            *(issue(f"A-{n}", "Sub-task", parent="A-2") for n in (4, 5)),
            issue("A-6", "Sub-task", parent="A-2", **{"Outward issue link (Blocks)": "B-2"})]
    scenario, report = imported(project, rows)
    assert scenario.epics["A-1"].items == 3  # A-2, A-3, A-7; A-4..A-6 are A-2's sub-tasks
    assert scenario.epics["B-1"].depends_on == ("A-1",)  # A-6's link counts for A-2
    assert "3 sub-tasks folded into their items" in report
    assert "A-6 blocks B-2: epic B-1 waits for epic A-1" in report


def test_a_link_between_items_of_two_epics_is_a_dependency_with_a_note(project: Path) -> None:
    rows = [issue("A-1", "Epic"), issue("B-1", "Epic"), issue("A-2", parent="A-1"),
            issue("B-2", parent="B-1", **{"Inward issue link (Blocks)": "A-2"}),
            issue("B-3", parent="B-1", **{"Inward issue link (Blocks)": "B-2"})]
    scenario, report = imported(project, rows)
    assert scenario.epics["B-1"].depends_on == ("A-1",)
    assert scenario.epics["A-1"].depends_on == ()
    assert ("A-2 blocks B-2: epic B-1 waits for epic A-1 (a link between items of different "
            "epics)") in report
    assert "1 links inside one epic" in report


def test_a_link_outside_the_export_is_reported(project: Path) -> None:
    rows = [issue("A-1", "Epic"), issue("A-2", parent="A-1",
                                        **{"Outward issue link (Blocks)": "OPS-9"})]
    scenario, report = imported(project, rows)
    assert scenario.epics["A-1"].depends_on == ()
    assert ("A-2: Outward issue link (Blocks) names OPS-9, which is not in the export; link not "
            "used") in report


def test_an_epic_without_a_team_is_reported_and_kept(project: Path) -> None:
    nobody = {"Custom field (Team)": ""}
    rows = [issue("A-1", "Epic", **nobody), issue("A-2", parent="A-1", **nobody),
            issue("B-1", "Epic", **nobody), issue("B-2", parent="B-1")]
    scenario, report = imported(project, rows)
    assert scenario.epics["A-1"].team == "unassigned"
    assert scenario.epics["B-1"].team == "core"  # from its items
    assert "A-1: no team (Custom field (Team) empty on the epic and its items)" in report
    assert "B-1: the epic has no Custom field (Team); team 'Core' taken from most" in report


def test_columns_the_importer_does_not_know_can_be_named_in_the_mapping(project: Path) -> None:
    header = [h for h in HEADER if h not in ("Custom field (Team)", "Custom field (Story Points)")]
    header += ["Custom field (Squad)", "Custom field (Estimate)"]
    squad = {"Custom field (Squad)": "Squad Blue"}
    rows = [issue("A-1", "Epic", **squad),
            *(issue(f"A-{n}", parent="A-1", status="Done", Resolved="04/Nov/26 9:15 AM",
                    **{"Custom field (Estimate)": "2"}) for n in range(2, 8)),
            issue("A-8", parent="A-1", **{"Custom field (Estimate)": "4"})]
    mapping = project / "mapping.yaml"
    mapping.write_text("team: {field: Squad}\ncolumns: {points: Custom field (Estimate)}\n")
    export = write_export(project / "export.csv", rows, header)
    out = project / "out.yaml"
    assert run_cli("jira", str(export), "--mapping", str(mapping), "--out", str(out)) == 0
    scenario = load_scenario(out)
    assert scenario.epics["A-1"].team == "squad-blue"
    # 2 working days (Mon 2 -> Wed 4 Nov) per 2 points: 1 day per point, and A-8 has 4 points
    assert scenario.epics["A-1"].effort_days.mean == pytest.approx(4.0)  # type: ignore[union-attr]


def test_epics_not_broken_down_use_the_stated_default_without_finished_epics(
        project: Path) -> None:
    rows = [issue("A-1", "Epic", status="To Do"), issue("A-2", parent="A-1"),
            issue("B-1", "Epic", **{"Status": "Refining"}),
            *(issue(f"B-{n}", parent="B-1") for n in range(2, 6))]
    scenario, report = imported(project, rows)
    assert scenario.epics["A-1"].items == 10  # 1 item written, fewer than 3: the default 10
    assert scenario.epics["B-1"].items == 10  # status Refining
    assert "sized: A-1: not broken down yet (1 items written, fewer than 3)" in report
    assert "the stated default of 10 items (only 0 finished epics" in report


# --- bad input: one line naming the file, exit 2, nothing written ------------------------------

def refused(project: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    out = project / "out.yaml"
    assert run_cli(*argv, "--out", str(out)) == 2
    assert not out.exists() and not (project / "out.import.txt").exists()
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    return line


def test_an_empty_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = project / "empty.csv"
    empty.write_text("")
    line = refused(project, capsys, "jira", str(empty))
    assert line.startswith(f"{empty}: top level: the file is empty")


def test_a_csv_that_is_not_a_jira_export(project: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    other = project / "other.csv"
    other.write_text("id,created,secret\nA,2026-01-01,TOPSECRET\n")
    line = refused(project, capsys, "jira", str(other))
    assert line.startswith(f"{other}: Issue key, Issue Type, Status: columns not found, so this "
                           "is not a Jira export")
    assert "TOPSECRET" not in line and "secret" not in line


def test_a_mapping_naming_a_missing_column(project: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    mapping = project / "mapping.yaml"
    mapping.write_text("columns: {points: Story Pts}\n")
    line = refused(project, capsys, "jira", str(SAMPLE), "--mapping", str(mapping))
    assert line == (f"{mapping}: columns.points: column 'Story Pts' is not in {SAMPLE} "
                    "(allowed: a column of the export's header)")


def test_a_dependency_cycle_made_by_links(project: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    rows = [issue("A-1", "Epic", Summary="TOPSECRET"), issue("B-1", "Epic"),
            issue("A-2", parent="A-1", **{"Outward issue link (Blocks)": "B-2"}),
            issue("B-2", parent="B-1", **{"Outward issue link (Blocks)": "A-3"}),
            issue("A-3", parent="A-1")]
    export = write_export(project / "export.csv", rows)
    line = refused(project, capsys, "jira", str(export))
    assert line.startswith(f"{export}: Outward issue link (Blocks): dependency cycle "
                           "B-1 -> A-1 -> B-1 from links A-2 blocks B-2, B-2 blocks A-3")
    assert "TOPSECRET" not in line


def test_dates_that_are_not_dates(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [issue("A-1", "Epic", Created="TOPSECRET", Updated="TOPSECRET")]
    line = refused(project, capsys, "jira", str(write_export(project / "e.csv", rows)))
    assert line.startswith(f"{project / 'e.csv'}: Created: dates not understood")
    assert "TOPSECRET" not in line


def test_points_asked_for_but_none_in_the_export(project: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rows = [issue("A-1", "Epic"), issue("A-2", parent="A-1")]
    export = write_export(project / "e.csv", rows)
    line = refused(project, capsys, "jira", str(export), "--effort", "points")
    assert line.startswith(f"{export}: effort.method: points needs at least 5 finished items")


def test_bad_mapping_and_options(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = project / "mapping.yaml"
    mapping.write_text("colums: {points: X}\n")
    assert refused(project, capsys, "jira", str(SAMPLE), "--mapping", str(mapping)) == (
        f"{mapping}: colums: unknown key 'colums' (did you mean 'columns'?)")
    line = refused(project, capsys, "jira", str(SAMPLE), "--release", "Checkout 1.0")
    assert line.startswith("--release: 'Checkout 1.0' is not NAME=DATE")


def test_the_sample_mapping_is_valid_and_the_effort_choices_agree() -> None:
    data = yaml.safe_load(MAPPING.read_text())
    assert settings.validate_mapping(data, str(MAPPING)).releases
    assert import_commands.EFFORT_METHODS == settings.METHODS


def test_the_sample_is_what_its_generator_writes(tmp_path: Path) -> None:
    script = tmp_path / "make_sample.py"
    shutil.copy(ROOT / "data" / "jira" / "make_sample.py", script)
    import runpy

    runpy.run_path(str(script), run_name="__main__")
    assert (tmp_path / "checkout_export.csv").read_bytes() == SAMPLE.read_bytes()


def test_the_written_text_says_what_the_checked_data_says() -> None:
    import datetime as dt

    from workbench.scenario.imports.plan import (
        Plan,
        PlanEpic,
        PlanMilestone,
        PlanTeam,
        scenario_data,
        scenario_text,
    )

    odd = ["yes", "1.0", "a: b", 'say "hi"', "#hash", "naïve", "-dash", "null", "x\ty"]
    plan = Plan(name="Plan: 'odd' names", description="line one\nline two",
                start=dt.date(2027, 1, 4), teams=[PlanTeam(n, 3, "c") for n in odd],
                epics=[PlanEpic(n, odd[0], 2, {"lognormal": {"p50": 1.5, "p90": 3.25}},
                                [odd[1]] if n != odd[1] else [], (0.5, 1.25), 3,
                                [f"comment {n}\nwith a line break"]) for n in odd],
                milestones=[PlanMilestone("1.0", odd[:2], dt.date(2027, 3, 1), "x")],
                header=["a header\nparagraph " + "long " * 40])
    assert yaml.safe_load(scenario_text(plan)) == scenario_data(plan)


def test_a_data_center_export_without_status_category_or_parent_ids(project: Path) -> None:
    header = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Resolution", "Created",
              "Updated", "Resolved", "Custom field (Epic Link)", "Custom field (Epic Name)",
              "Component/s", "Custom field (Story Points)"]
    rows = [{"Issue key": "A-1", "Issue Type": "Epic", "Status": "Open",
             "Custom field (Epic Name)": "Wallet", "Component/s": "Mobile",
             "Created": "02/Nov/26 9:15 AM"},
            {"Issue key": "A-2", "Issue Type": "Story", "Status": "Closed", "Resolution": "Fixed",
             "Custom field (Epic Link)": "A-1", "Created": "02/Nov/26 9:15 AM",
             "Resolved": "04/Nov/26 9:15 AM"},
            {"Issue key": "A-3", "Issue Type": "Story", "Status": "In Review",
             "Custom field (Epic Link)": "Wallet"},  # an epic's name, as older versions write
            *({"Issue key": f"A-{n}", "Issue Type": "Bug", "Status": "Open",
               "Custom field (Epic Link)": "A-1"} for n in (4, 5))]
    export = write_export(project / "dc.csv", rows, header)
    out = project / "out.yaml"
    assert run_cli("jira", str(export), "--out", str(out), "--team-field", "Component/s") == 0
    scenario = load_scenario(out)
    assert {k: (e.team, e.items) for k, e in scenario.epics.items()} == {"A-1": ("mobile", 3)}
    report = (project / "out.import.txt").read_text()
    assert "1 items done" in report and "in progress: 1 items" in report


def test_a_line_with_the_wrong_number_of_fields_is_reported(project: Path) -> None:
    export = write_export(project / "e.csv", [issue("A-1", "Epic"), issue("A-2", parent="A-1"),
                                              issue("A-3", parent="A-1"),
                                              issue("A-4", parent="A-1")])
    with export.open("a", encoding="utf-8") as f:
        f.write("stray,line,with,too,few,fields\n")
    out = project / "out.yaml"
    assert run_cli("jira", str(export), "--out", str(out)) == 0
    assert f"line 6: not {len(HEADER)} fields like the header; not used" in (
        project / "out.import.txt").read_text()


def test_teams_from_components(project: Path) -> None:
    scenario = import_sample(project, SAMPLE, "--team-field", "component")
    assert sorted(scenario.teams) == ["api", "infra", "ios", "web"]


def test_a_repeated_key_and_a_row_without_key_are_reported(project: Path) -> None:
    rows = [issue("A-1", "Epic"), *(issue(f"A-{n}", parent="A-1") for n in (2, 3, 4)),
            issue("A-2", parent="A-1", status="Done"), {**issue("A-9"), "Issue key": ""}]
    scenario, report = imported(project, rows)
    assert scenario.epics["A-1"].items == 3  # the first A-2 (to do) is kept
    assert "A-2: Issue key seen on an earlier row; the first kept" in report
    assert "row 6: no Issue key; not used" in report
