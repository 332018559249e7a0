"""Loading scenario files: extends, overrides, one-line errors located at the right file and
field, the content hash, what-if files and frozen models."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from workbench.files.exports import cycle_time_samples
from workbench.scenario.distributions import Distribution
from workbench.scenario.loader import (
    ScenarioError,
    dump_overrides_yaml,
    load_scenario,
    load_scenario_data,
    merge_scenario_data,
)
from workbench.scenario.models import scenario_sha256
from workbench.scenario.rules import find_cycles

BASE = """
    name: Base program
    start: 2027-01-04
    calendar: {workdays: [mon, tue, wed, thu, fri]}
    teams:
      platform:
        members: 6
        focus: 0.7
        stages: {build: {people: 4}, review: {people: 2}}
      identity: {members: 3}
    epics:
      sso: {team: identity, items: 10, effort_days: {triangular: [1, 2, 5]}}
      ledger:
        team: platform
        items: 20
        effort_days: {build: {triangular: [1, 3, 8]}, review: 0.5}
        depends_on: [sso]
    milestones:
      beta: {epics: [sso, ledger], target: 2027-06-30}
"""


def problems(path: Path, overrides: object = ()) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)  # type: ignore[arg-type]
    return caught.value.problems


# --- extends ------------------------------------------------------------------------------------

def test_extends_merges_mappings_child_wins_and_replaces_lists(write_file):
    write_file("base.yaml", BASE)
    child = write_file("child.yaml", """
        extends: base.yaml
        name: Child
        calendar: {workdays: [mon, tue, wed, thu]}
        teams: {platform: {members: 8, stages: {build: {people: 6}}}}
    """)
    s = load_scenario(child)
    platform = s.teams["platform"]
    assert s.name == "Child"
    assert (platform.members, platform.focus) == (8, 0.7)  # focus kept from the base
    assert platform.stages is not None
    assert {k: v.people for k, v in platform.stages.items()} == {"build": 6, "review": 2}
    assert s.calendar.workdays == ("mon", "tue", "wed", "thu")  # a list is replaced whole
    assert list(s.epics) == ["sso", "ledger"]


def test_extends_replaces_a_distribution_whole(write_file):
    write_file("base.yaml", BASE)
    child = write_file("child.yaml", """
        extends: base.yaml
        epics: {sso: {effort_days: {uniform: [1, 2]}}}
    """)
    assert load_scenario(child).epics["sso"].effort_days == Distribution.model_validate(
        {"uniform": [1, 2]})


def test_extends_chains_and_resolves_relative_to_each_file(write_file):
    write_file("programs/base.yaml", BASE)
    write_file("programs/more_people.yaml", """
        extends: base.yaml
        teams: {platform: {members: 8}}
    """)
    leaf = write_file("whatifs/and_focus.yaml", """
        extends: ../programs/more_people.yaml
        teams: {platform: {focus: 0.9}}
    """)
    platform = load_scenario(leaf).teams["platform"]
    assert (platform.members, platform.focus) == (8, 0.9)


def test_empirical_file_stays_relative_to_the_file_that_names_it(write_file, tmp_path):
    csv = write_file("base/hist/done.csv", """
        key,start,finish
        A-1,2026-01-05,2026-01-08
        A-2,2026-01-06,2026-01-12
        A-3,2026-01-07,2026-01-09
    """)
    write_file("base/program.yaml", BASE.replace(
        "{triangular: [1, 2, 5]}", "{empirical: {file: hist/done.csv}}"))
    child = write_file("whatif/child.yaml", "extends: ../base/program.yaml\n")
    effort = load_scenario(child).epics["sso"].effort_days
    assert isinstance(effort, Distribution)
    assert effort.params == tuple(cycle_time_samples(csv))


def test_missing_extends_and_extends_cycles_are_errors(write_file, tmp_path):
    missing = write_file("child.yaml", "extends: nope.yaml\nname: x\n")
    assert problems(missing) == [
        f"{missing}: extends: file 'nope.yaml' not found (looked for {tmp_path / 'nope.yaml'})"]
    loop = write_file("self.yaml", "extends: self.yaml\n")
    assert problems(loop) == [
        f"{loop}: extends: cycle {loop} -> {loop} "
        "(allowed: a chain that ends in a file without extends)"]


def test_an_error_is_reported_against_the_file_that_set_the_field(write_file):
    base = write_file("base.yaml", BASE.replace("focus: 0.7", "focus: 1.7"))
    child = write_file("child.yaml", """
        extends: base.yaml
        teams: {identity: {members: -1}}
    """)
    assert problems(child) == [
        f"{base}: teams.platform.focus: 1.7 is too large (allowed: number > 0 and <= 1)",
        f"{child}: teams.identity.members: -1 is too small "
        "(allowed: whole number >= 0 or list of mappings (keys: name, start, end, stage, "
        "calendar, allocation))",
    ]


def test_a_rule_broken_by_a_what_if_is_the_what_ifs_mistake(write_file):
    # The what-if adds a stage; the epic without effort for it is written in the base, but the
    # base is sound on its own, so the line names the what-if (issue: "an error caused by a
    # what-if file is reported against its base file").
    write_file("base.yaml", BASE)
    child = write_file("child.yaml", """
        extends: base.yaml
        teams: {platform: {stages: {test: {people: 0}}}}
    """)
    assert problems(child) == [
        f"{child}: epics.ledger.effort_days: no effort for stage 'test' (stages of team "
        "'platform': build, review, test)"]


def test_merge_rules_on_plain_data():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": {"triangular": [1, 2, 3]}}
    child = {"a": {"c": [3]}, "d": {"uniform": [1, 2]}}
    assert merge_scenario_data(base, child) == {"a": {"b": 1, "c": [3]},
                                                "d": {"uniform": [1, 2]}}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": {"triangular": [1, 2, 3]}}  # untouched


# --- overrides ----------------------------------------------------------------------------------

def test_overrides_as_strings_are_read_as_yaml(write_file):
    path = write_file("base.yaml", BASE)
    s = load_scenario(path, ["teams.platform.members=8", "epics.sso.depends_on=[]",
                             "milestones.beta.target=2027-07-31",
                             "epics.sso.effort_days={uniform: [1, 3]}"])
    assert s.teams["platform"].members == 8
    assert s.epics["sso"].depends_on == ()
    assert s.milestones["beta"].target == dt.date(2027, 7, 31)
    assert s.epics["sso"].effort_days == Distribution.model_validate({"uniform": [1, 3]})


def test_overrides_as_a_mapping_and_into_lists(write_file):
    path = write_file("queue.yaml", """
        name: Desk
        start: 2027-01-04
        teams: {desk: {members: 1}}
        arrivals: [{team: desk, rate_per_day: 1, effort_days: 0.5}]
    """)
    s = load_scenario(path, {"arrivals.0.rate_per_day": 2.5, "teams.desk.wip_limit": 3})
    assert (s.arrivals[0].rate_per_day, s.teams["desk"].wip_limit) == (2.5, 3)


def test_bad_overrides_are_one_line_each(write_file):
    path = write_file("base.yaml", BASE)
    assert problems(path, ["teams.platform.members"]) == [
        f"{path}: override 'teams.platform.members': expected field.path=value "
        "(e.g. teams.platform.members=8)"]
    assert problems(path, ["teams.platform.members.count=3"]) == [
        f"{path}: teams.platform.members.count: teams.platform.members is 6, not a mapping or "
        "list (allowed: a path to a field)"]
    assert problems(path, ["teams.platform.members=-3"]) == [
        f"{path}: teams.platform.members: -3 is too small "
        "(allowed: whole number >= 0 or list of mappings (keys: name, start, end, stage, "
        "calendar, allocation))"]


# --- one-line errors for each kind of mistake -----------------------------------------------------

@pytest.mark.parametrize(("change", "expected"), [
    ("teams: {platform: {members: six}}",
     "teams.platform.members: 'six' is not a head count or a list of people "
     "(allowed: whole number >= 0 or list of mappings (keys: name, start, end, stage, "
     "calendar, allocation))"),
    ("calendar: {workdays: [mon, tus]}",
     "calendar.workdays.1: 'tus' is not allowed; did you mean 'tue'? "
     "(allowed: one of mon, tue, wed, thu, fri, sat, sun)"),
    ("calendar: {holidays: {country: XY}}",
     "calendar.holidays: unknown country code 'XY' (allowed: AF, AFG, AX, ALA, AL, ALB, DZ, DZA, "
     "AS, ASM, AD, AND, ...)"),
    ("epics: {ledger: {rework: {frm: review, to: build, probability: 0.1}}}",
     "epics.ledger.rework.frm: unknown key 'frm' (did you mean 'from'?)"),
    ("epics: {ledger: {rework: {from: build, to: review, probability: 0.1}}}",
     "epics.ledger.rework.to: 'review' comes after 'build' (allowed: a stage at or before "
     "'build')"),
    ("epics: {ledger: {rework: {from: test, to: build, probability: 0.1}}}",
     "epics.ledger.rework.from: unknown stage 'test' (stages of team 'platform': build, review)"),
    ("epics: {ledger: {effort_days: {build: {triangular: [1, 3]}, review: 1}}}",
     "epics.ledger.effort_days.build: triangular takes a list of 3 numbers"),
    ("epics: {sso: {split_rate: [1.3, 1.0]}}",
     "epics.sso.split_rate: needs [low, high] with 0 < low <= high"),
    ("teams: {platform: {hires: [{date: 2027-02-01, stage: test}]}}",
     "teams.platform.hires.0.stage: unknown stage 'test' (stages of team 'platform': build, "
     "review)"),
    ("teams: {identity: {time_off: [{start: 2027-02-01, end: 2027-02-05, person: ana}]}}",
     "teams.identity.time_off.0.person: team 'identity' has a head count, not named people "
     "(allowed: list people under members to name one here)"),
    ("teams: {identity: {time_off: [{start: 2027-02-05, end: 2027-02-01}]}}",
     "teams.identity.time_off.0: end must not be before start"),
    ("teams: {identity: {members: [{name: ana}, {name: ana}]}}",
     "teams.identity.members.1.name: 'ana' appears twice (allowed: unique names within a team)"),
    ("arrivals: [{team: desk, rate_per_day: 1, effort_days: 1}]",
     "arrivals.0.team: unknown team 'desk' (known: platform, identity)"),
    ("risks: {late: {probability: 0.5, delay: {epic: ssso, days: 5}}}",
     "risks.late.delay.epic: unknown epic 'ssso' (did you mean 'sso'? known: sso, ledger)"),
    ("risks: {quits: {probability: 0.5, capacity: {team: data}}}",
     "risks.quits.capacity.team: unknown team 'data' (known: platform, identity)"),
    ("risks: {vague: {probability: 0.5}}",
     "risks.vague: a risk needs an impact: delay, add_items or capacity"),
    ("milestones: {beta: {epics: [sso, wallet]}}",
     "milestones.beta.epics: unknown epic 'wallet' (known: sso, ledger)"),
    ("milestones: {beta: {epics: []}}",
     "milestones.beta.epics: has 0 entries (allowed: list of text with at least 1 entry)"),
    ("teams: {platform: 5}",
     "teams.platform: 5 is not a mapping (allowed: a mapping of members, focus, wip_limit, "
     "cost_per_person_day, stages, interrupts, hires, leavers, time_off, handover_after_days, "
     "handover_cost_days, calendar)"),
    ("start: someday",
     "start: 'someday' is not a date: input is too short (allowed: date (YYYY-MM-DD))"),
    ("colour: blue",
     "colour: unknown key 'colour' (allowed: name, description, currency, start, "
     "horizon_days, warmup_days, calendar, teams, epics, arrivals, risks, milestones, "
     "budget, as_of, owner, asks, status, levers)"),
])
def test_each_mistake_is_one_located_line(write_file, change, expected):
    write_file("base.yaml", BASE)
    path = write_file("whatif.yaml", f"extends: base.yaml\n{change}\n")
    assert problems(path) == [f"{path}: {expected}"]


def test_every_problem_is_reported_not_only_the_first(write_file):
    path = write_file("two.yaml", BASE.replace("team: identity", "team: identiy").replace(
        "depends_on: [sso]", "depends_on: [ss0]"))
    assert problems(path) == [
        f"{path}: epics.sso.team: unknown team 'identiy' (did you mean 'identity'? "
        "known: platform, identity)",
        f"{path}: epics.ledger.depends_on: unknown epic 'ss0' (did you mean 'sso'? "
        "known: sso, ledger)",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("", "top level: the file is empty (allowed: a mapping of sections: name, description, "
         "currency, start, horizon_days, warmup_days, calendar, teams, epics, arrivals, risks, "
         "milestones, budget, as_of, owner, asks, status, levers, extends)"),
    # never quoted: a file that is not a scenario may be one that should not be shown
    ("- a\n- b\n", "top level: a list is not a mapping (allowed: a mapping of sections: "
                   "name, description, currency, start, horizon_days, warmup_days, calendar, "
                   "teams, epics, arrivals, risks, milestones, budget, as_of, owner, asks, "
                   "status, levers, extends)"),
    ("name: x\n\tstart: 2027-01-04\n",
     "line 2: found character '\\t' that cannot start any token"),
])
def test_files_that_are_not_scenarios(write_file, text, expected):
    path = write_file("odd.yaml", text)
    assert problems(path) == [f"{path}: {expected}"]


def test_a_file_that_does_not_exist(tmp_path):
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_find_cycles_names_each_loop_in_order():
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"], "e": ["a"]}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["d", "d"]]
    assert find_cycles({"a": ["b"], "b": []}) == []


# --- hash, what-if files, frozen models ---------------------------------------------------------

def test_sha256_is_of_the_resolved_scenario(write_file):
    base = write_file("base.yaml", BASE)
    same = write_file("same.yaml", "extends: base.yaml\nteams: {platform: {focus: 0.7}}\n")
    s = load_scenario(base)
    assert len(s.sha256) == 64 and s.sha256 == scenario_sha256(s)
    assert load_scenario(same).sha256 == s.sha256  # same resolved content, same hash
    assert load_scenario(base, ["teams.platform.focus=0.8"]).sha256 != s.sha256
    assert s.model_copy(update={"name": "other"}).sha256 != s.sha256
    # Order of stages changes the simulation, so it changes the hash.
    swapped = BASE.replace("{build: {people: 4}, review: {people: 2}}",
                           "{review: {people: 2}, build: {people: 4}}")
    assert load_scenario(write_file("swapped.yaml", swapped)).sha256 != s.sha256


def test_dump_overrides_yaml_round_trips(write_file, tmp_path):
    base = write_file("base.yaml", BASE)
    changes = {"teams.platform.members": 9, "teams.platform.stages.build.people": 6,
               "epics.sso.effort_days": Distribution.model_validate({"lognormal": {"p50": 2,
                                                                                  "p90": 5}}),
               "milestones.beta.target": dt.date(2027, 7, 15)}
    text = dump_overrides_yaml(base, changes, comment="More people, later beta.")
    assert text.splitlines()[:2] == ["# More people, later beta.", "extends: base.yaml"]
    whatif = write_file("whatif.yaml", text)
    assert load_scenario(whatif) == load_scenario(base, changes)
    nested = write_file("sub/whatif.yaml", dump_overrides_yaml(base, changes,
                                                               out_dir=tmp_path / "sub"))
    assert "extends: ../base.yaml" in nested.read_text()
    assert load_scenario(nested).sha256 == load_scenario(whatif).sha256


def test_load_scenario_data_is_the_merged_plain_data(write_file):
    write_file("base.yaml", BASE)
    child = write_file("child.yaml", "extends: base.yaml\nteams: {identity: {members: 4}}\n")
    data = load_scenario_data(child, ["name=Renamed"])
    assert "extends" not in data
    assert data["name"] == "Renamed" and data["teams"]["identity"] == {"members": 4}


def test_models_are_frozen(write_file):
    s = load_scenario(write_file("base.yaml", BASE))
    with pytest.raises(ValidationError, match="frozen"):
        s.name = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        s.teams["platform"].members = 12  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        s.epics["sso"].depends_on = ("ledger",)  # type: ignore[misc]
    changed = s.model_copy(update={"name": "copy"})  # the way to vary a scenario in code
    assert (s.name, changed.name) == ("Base program", "copy")
