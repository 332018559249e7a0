"""What-ifs look like what-ifs: `workbench report --set ...` (and a file that `extends` the
plan) is titled "What-if: ...", lists its changes against the plan, and is written under its
own name, so the plan's report is never overwritten."""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path

import pytest

from workbench.app import report_commands
from workbench.present import sentences
from workbench.reports.scenario_report import changed_fields, report_stem, whatif_of
from workbench.scenario.loader import load_scenario

PLAN = "scenarios/program.yaml"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("whatif")
    common = ["--out", str(out), "--reps", "10", "--seed", "3"]
    assert report_commands.main(["report", PLAN, *common]) == 0
    plan_html = out / "program.html"
    before = _digest(plan_html)
    assert report_commands.main(["report", PLAN, *common, "--set",
                                 "teams.platform.members=9"]) == 0
    return {"out": out, "plan": plan_html, "before": before}


def test_whatif_report_has_its_own_file_and_leaves_the_plan_alone(reports: dict) -> None:
    out: Path = reports["out"]
    assert _digest(reports["plan"]) == reports["before"]  # the plan's report, byte for byte
    whatif = out / "program-whatif-platform-members-9.html"
    assert whatif.is_file() and (out / "program-whatif-platform-members-9.ipynb").is_file()
    assert sorted(p.name for p in out.glob("*.html")) == [
        "program-whatif-platform-members-9.html", "program.html"]
    summary = json.loads((out / "program-whatif-platform-members-9" / "summary.json")
                         .read_text())
    assert summary["report"]["whatif"]["changes"] == [
        {"field": "teams.platform.members", "plan": 7, "what_if": 9}]
    assert json.loads((out / "program" / "summary.json").read_text())["report"]["whatif"] is None


def test_whatif_report_is_titled_and_lists_its_changes(reports: dict) -> None:
    page = html.unescape((reports["out"] / "program-whatif-platform-members-9.html").read_text())
    assert "<title>What-if: Payments platform launch: forecast report</title>" in page
    assert "<h2>What-if: Payments platform launch</h2>" in page
    assert "Changed against Payments platform launch (program.yaml):" in page
    assert "<li>platform: 7 → 9 people</li>" in page
    plan = html.unescape(reports["plan"].read_text())
    assert "What-if" not in plan and "<h2>Forecast report</h2>" in plan


def test_a_file_that_extends_the_plan_is_a_whatif_of_it() -> None:
    w = whatif_of("scenarios/whatif_more_people.yaml")
    assert w is not None and w.base_file == "program.yaml"
    assert sentences.whatif_lines(w) == ["platform: 7 → 9 people", "platform build: 4 → 6 people"]
    cut = whatif_of("scenarios/whatif_cut_scope.yaml")
    assert cut is not None and [c[0] for c in cut.changes] == [
        "epics.payouts.items", "epics.reconciliation.items", "epics.payout-screens.items"]
    assert whatif_of(PLAN) is None  # the plan of record is not a what-if
    assert report_stem(PLAN) == "program"


def test_changes_are_exactly_the_fields_that_differ() -> None:
    plan = load_scenario(PLAN)
    assert changed_fields(plan, plan) == []
    other = load_scenario(PLAN, {"teams.platform.focus": 0.8, "name": "renamed"})
    assert changed_fields(plan, other) == [("teams.platform.focus", 0.7, 0.8)]
    slips = whatif_of("scenarios/whatif_dependency_slips.yaml")
    assert slips is not None and len(slips.changes) == 1  # a new risk is one change
    assert sentences.whatif_lines(slips) == [
        "added risk ledger-slips: probability 1, delays ledger by 30 days"]


def test_whatif_stems_never_collide_with_the_plan() -> None:
    a = report_stem(PLAN, {"teams.platform.members": 9})
    b = report_stem(PLAN, {"teams.platform.members": 10})
    long = report_stem(PLAN, {f"epics.e{i}.items": i for i in range(30)})
    assert len({"program", a, b, long}) == 4 and all(s.startswith("program-whatif-")
                                                     for s in (a, b, long))
    assert len(long) < 80


def test_field_words_read_as_a_tpm_says_them() -> None:
    assert sentences.field_words("teams.platform.members", 9) == "platform 9 people"
    assert sentences.field_words("teams.platform.focus", 0.8) == "platform focus 0.8"
    assert sentences.field_words("milestones.ga.target", "2027-09-13") == "ga target 13 Sep 2027"
    assert sentences.change_words("epics.sso.items", 14, 8) == "sso: 14 → 8 items"


def test_a_whatifs_status_shows_the_plans_commit_date_and_its_own(reports: dict) -> None:
    """'against the plan: was 8 Sep 2027 → now 11 Aug 2027', the plan's P85 being the plan
    report's (same seed and replications)."""
    from workbench.present import formats

    out: Path = reports["out"]
    plan = json.loads((out / "program" / "summary.json").read_text())["milestones"]
    mine = json.loads((out / "program-whatif-platform-members-9" / "summary.json")
                      .read_text())["milestones"]
    page = html.unescape((out / "program-whatif-platform-members-9.html").read_text())
    status = page[page.index("<h2>Status</h2>"):page.index("Executive summary")]
    for before, after in zip(plan, mine, strict=True):
        assert (f"against the plan: was {formats.short_date(before['p85'])} → now "
                f"{formats.short_date(after['p85'])}") in status
    assert "against the plan" not in html.unescape(reports["plan"].read_text())
