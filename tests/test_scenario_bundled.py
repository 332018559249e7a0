"""The bundled scenarios are valid and are what they claim to be; the JSON Schema accepts them
(and rejects mistakes); the scenario reference is in sync with the models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from workbench.app import docs
from workbench.scenario.loader import load_scenario, load_scenario_data, scenario_json_schema
from workbench.scenario.models import Scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))
WHATIFS = sorted(SCENARIOS.glob("whatif_*.yaml"))


def test_the_expected_scenarios_are_bundled():
    names = {p.name for p in BUNDLED}
    assert {"program.yaml", "whatif_more_people.yaml", "whatif_cut_scope.yaml",
            "whatif_dependency_slips.yaml", "mm1.yaml", "mm2.yaml", "mm1k.yaml"} <= names


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_scenario_is_valid_and_opens_with_a_comment(path):
    load_scenario(path)
    assert path.read_text().startswith("# ")


def test_program_is_a_realistic_program():
    s = load_scenario(SCENARIOS / "program.yaml")
    teams, epics = s.teams, s.epics
    assert (str(s.start), s.horizon_days) == ("2027-01-04", 730)
    assert len(teams) >= 4 and len(epics) >= 12
    assert any(epics[d].team != e.team for e in epics.values() for d in e.depends_on)
    staged = [t for t in teams.values() if t.stages and len(t.stages) >= 3]
    assert staged and any(e.rework and teams[e.team] in staged for e in epics.values())
    hires = [h for t in teams.values() for h in t.hires]
    assert any(h.ramp_up_weeks > 0 and h.mentoring > 0 for h in hires)
    assert any(t.time_off for t in teams.values())
    assert any(t.interrupts for t in teams.values())
    assert all(t.cost_per_person_day > 0 for t in teams.values())
    risks = s.risks.values()
    assert any(r.delay for r in risks) and any(r.capacity or r.add_items for r in risks)
    assert s.calendar.holidays.country == "US"
    assert len([m for m in s.milestones.values() if m.target]) >= 2
    items = sum(e.items if isinstance(e.items, int) else len(e.items) for e in epics.values())
    assert 100 <= items <= 500  # one replication must stay fast


@pytest.mark.parametrize("path", WHATIFS, ids=lambda p: p.name)
def test_whatifs_are_a_few_lines_on_the_program(path):
    lines = path.read_text().splitlines()
    assert 3 <= len(lines) <= 6
    assert lines[0].startswith("# ") and lines[1] == "extends: program.yaml"
    assert load_scenario(path).sha256 != load_scenario(SCENARIOS / "program.yaml").sha256


def test_each_whatif_changes_what_its_name_says():
    base = load_scenario(SCENARIOS / "program.yaml")
    more = load_scenario(SCENARIOS / "whatif_more_people.yaml")
    cut = load_scenario(SCENARIOS / "whatif_cut_scope.yaml")
    slips = load_scenario(SCENARIOS / "whatif_dependency_slips.yaml")

    def heads(s: Scenario) -> int:
        return sum(t.head_count for t in s.teams.values())

    def items(s: Scenario) -> int:
        return sum(e.items for e in s.epics.values() if isinstance(e.items, int))

    assert heads(more) > heads(base) and items(more) == items(base)
    assert items(cut) < items(base) and heads(cut) == heads(base)
    certain = [r for r in slips.risks.values() if r.delay and r.probability == 1]
    assert certain and any(certain[0].delay.epic in e.depends_on  # type: ignore[union-attr]
                           for e in slips.epics.values())


@pytest.mark.parametrize(("name", "rate", "mean", "members", "wip_limit"), [
    ("mm1.yaml", 3.0, 0.2, 1, None),
    ("mm2.yaml", 1.5, 1.0, 2, None),
    ("mm1k.yaml", 0.9, 1.0, 1, 5),
])
def test_textbook_queues(name, rate, mean, members, wip_limit):
    s = load_scenario(SCENARIOS / name)
    (team,) = s.teams.values()
    (arrival,) = s.arrivals
    assert (arrival.rate_per_day, arrival.effort_days.kind, arrival.effort_days.mean) == (
        rate, "exponential", mean)  # type: ignore[union-attr]
    assert (team.members, team.focus, team.wip_limit) == (members, 1.0, wip_limit)
    assert not (team.stages or team.interrupts or team.hires or team.time_off or s.epics)
    assert len(s.calendar.workdays) == 7 and s.calendar.holidays.country is None
    assert not s.calendar.holidays.dates
    assert s.horizon_days >= 20000 and s.warmup_days == 200


# --- JSON Schema --------------------------------------------------------------------------------

def _json(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))  # dates as the strings editors see


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_schema_accepts_the_bundled_files_as_written(validator, path):
    import yaml

    validator.validate(_json(yaml.safe_load(path.read_text())))


def test_schema_accepts_resolved_scenarios(validator):
    validator.validate(_json(load_scenario_data(SCENARIOS / "program.yaml")))


@pytest.mark.parametrize("change", [
    {"teams": {"platform": {"focs": 0.7}}},
    {"teams": {"platform": {"members": "six"}}},
    {"epics": {"sso": {"effort_days": {"triangle": [1, 2, 3]}}}},
    {"horizon_days": 0},
])
def test_schema_rejects_mistakes(validator, change):
    from workbench.scenario.loader import merge_scenario_data

    data = merge_scenario_data(load_scenario_data(SCENARIOS / "program.yaml"), change)
    assert list(validator.iter_errors(_json(data)))


def test_schema_needs_the_required_fields_unless_the_file_extends_another(validator):
    assert list(validator.iter_errors({"teams": {"a": {"focus": 0.5}}}))
    validator.validate({"extends": "program.yaml", "teams": {"a": {"focus": 0.5}}})
    assert list(validator.iter_errors({"extends": "program.yaml", "teams": {"a": {"fcus": 1}}}))


# --- the reference docs -------------------------------------------------------------------------

def test_docs_are_in_sync_with_the_models():
    committed = (REPO / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert committed == docs.render(), \
        "docs/scenarios.md is stale: run python -m workbench.app.docs"


def test_docs_check_command(monkeypatch, tmp_path, capsys):
    assert docs.main(["--check"]) == 0
    stale = tmp_path / "scenarios.md"
    stale.write_text(docs.render().replace("Person", "Persn"), encoding="utf-8")
    monkeypatch.setattr(docs, "DOC_PATH", stale)
    assert docs.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert docs.main([]) == 0 and docs.main(["--check"]) == 0  # rewriting fixes it


def test_docs_examples_are_valid(write_file):
    load_scenario(write_file("payments.yaml", docs.EXAMPLE))
    whatif = load_scenario(write_file("whatif.yaml", docs.WHATIF_EXAMPLE))
    assert whatif.teams["platform"].members == 8


def test_every_field_is_documented():
    undocumented = [f"{model.__name__}.{key}" for model, _ in docs.model_sections()
                    for key, field in model.model_fields.items() if not field.description]
    assert undocumented == []
