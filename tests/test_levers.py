"""`workbench levers` finds what must change to make a date: on hand-built scenarios whose
answer is known, through the real command line, and its what-if files reproduce its numbers.

The scenarios are tiny: 2 people doing 20 one-day items take 10 working days; the target is
the 8th working day, so the plan never makes it and 3 people (6.7 days) always do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.app import cli
from workbench.scenario.loader import (
    load_scenario,
    load_scenario_data,
    merge_scenario_data,
    nested,
    scenario_from_data,
)
from workbench.sim import lever_search
from workbench.sim.lever_search import Outcome, pareto, search_levers, wilson
from workbench.sim.levers import catalogue, changes, cut_order, items_given_up, money

REPO = Path(__file__).resolve().parents[1]
HEAD = """name: {name}
start: 2027-01-04
horizon_days: 60
"""
# Only +1 person on team a can make it: the milestone has one epic (nothing to drop), team b's
# work is not in the milestone, focus and WIP levers are off.
ONE_MORE = HEAD + """teams:
  a: {members: 2, cost_per_person_day: 100}
  b: {members: 2, cost_per_person_day: 100}
epics:
  build: {team: a, items: 20, effort_days: {uniform: [0.8, 1.2]}}
  other: {team: b, items: 5, effort_days: 1}
milestones:
  m: {epics: [build], target: 2027-01-13}
levers:
  people: {join_dates: [2027-01-04], ramp_up_weeks: 0, mentoring: 0}
  flow: {wip: false, focus: false}
"""
# Dropping the lowest-priority epic (the last in the file) is cheapest: it costs no money.
DROP_ONE = HEAD + """teams:
  a: {members: 2, cost_per_person_day: 100}
epics:
  first: {team: a, items: 8, effort_days: {uniform: [0.8, 1.2]}}
  second: {team: a, items: 6, effort_days: {uniform: [0.8, 1.2]}}
  third: {team: a, items: 6, effort_days: {uniform: [0.8, 1.2]}}
milestones:
  m: {epics: [first, second, third], target: 2027-01-13}
levers:
  people: {join_dates: [2027-01-04], ramp_up_weeks: 0, mentoring: 0}
"""
# Nothing within the bounds is enough: one more person at most, and 40 items for 1 person.
HOPELESS = HEAD + """teams:
  a: {members: 1, cost_per_person_day: 100}
epics:
  build: {team: a, items: 40, effort_days: 1}
milestones:
  m: {epics: [build], target: 2027-01-13}
levers:
  people: {most_added: 1, join_dates: [2027-01-04], ramp_up_weeks: 0, mentoring: 0}
  scope: {drop: false}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text.replace("{name}", name))
    return path


def search(path: Path, **options):
    return search_levers(path, load_scenario(path), "m", reps=200, seed=3, screen_reps=50,
                         **options)


def pulled(answer, outcome):
    return {lv.key: v for lv, v in zip(answer.catalogue.levers, outcome.candidate, strict=True)
            if v}


def test_only_one_more_person_on_team_a_makes_it(tmp_path):
    answer = search(write(tmp_path, ONE_MORE))
    assert answer.plan.chance == 0.0
    assert answer.reached
    best = answer.sets[0]
    assert pulled(answer, best) == {"add:a@2027-01-04": 1}
    assert best.chance == 1.0
    assert best.money == 100 * 8  # 8 working days paid, the 4th to the 13th of January
    assert best.changes == {"teams.a.hires": [{"date": __import__("datetime").date(2027, 1, 4),
                                               "count": 1}]}


def test_dropping_the_lowest_priority_epic_is_cheapest(tmp_path):
    answer = search(write(tmp_path, DROP_ONE))
    best = answer.sets[0]
    assert (best.dropped, best.money, best.items_given_up) == (("third",), 0.0, 6)
    assert best.chance == 1.0
    # the other way to make it (one more person, all scope kept) is in the Pareto set too
    assert any(o.items_given_up == 0 and o.money == 800 for o in answer.sets[1:])


def test_nothing_within_the_bounds_is_said_so_and_the_best_is_shown(tmp_path, capsys):
    path = write(tmp_path, HOPELESS)
    answer = search(path)
    assert not answer.reached
    assert [pulled(answer, o) for o in answer.sets][0] == {"add:a@2027-01-04": 1}
    assert cli.main(["levers", str(path), "--milestone", "m", "--reps", "50",
                     "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Nothing within the levers' bounds makes m by 13 Jan 2027 at 85%")
    assert "add 1 a engineer from 4 Jan 2027: +800" in out


def test_the_reported_sets_are_non_dominated(tmp_path):
    answer = search(write(tmp_path, DROP_ONE))
    keys = [(o.money, o.p85_days, o.items_given_up) for o in answer.sets]
    for a in keys:
        assert not any(all(x <= y for x, y in zip(b, a, strict=True)) and b != a for b in keys)


def test_pareto_keeps_exactly_the_undominated():
    def o(cost: float, p85: float, items: int) -> Outcome:
        return Outcome((int(cost), int(p85), items), {}, 10, 9, p85, None, cost, items, ())

    points = [o(0, 10, 6), o(800, 8, 0), o(800, 9, 0), o(900, 8, 0), o(0, 12, 6)]
    assert [(p.money, p.p85_days) for p in pareto(points)] == [(0, 10), (800, 8)]


def test_pareto_compares_p85_as_the_date_shown():
    """A set that gives up 10 items for the same money and a P85 a fraction of a day earlier
    (the same date on the page) is dominated: it only gives something up (probe L13)."""
    def o(cost: float, p85: float, items: int, hits: int = 10) -> Outcome:
        return Outcome((int(cost), items, hits), {}, 10, hits, p85, None, cost, items, ())

    whole, cut = o(150_000, 150.2, 0), o(150_000, 150.9 - 0.8, 10)
    assert pareto([whole, cut]) == [whole]
    assert pareto([whole, o(150_000, 149.9, 10)]) == [whole, o(150_000, 149.9, 10)]
    # when nothing reaches, a higher chance is worth keeping; the same chance is not
    assert pareto([whole, o(150_000, 150.5, 10, hits=9)], chance=True) == [whole]
    assert len(pareto([o(1, 150.5, 0, hits=8), o(1, 150.5, 10, hits=9)], chance=True)) == 2


def test_wilson_interval_matches_the_textbook():
    low, high = wilson(88, 100)
    assert (round(low, 4), round(high, 4)) == (0.8019, 0.9300)  # by hand: 0.8659 +- 0.0641
    assert wilson(100, 100)[1] == 1.0 and wilson(0, 100)[0] == pytest.approx(0.0, abs=1e-12)
    assert round(wilson(100, 100)[0], 4) == 0.963  # the rule of three's neighbour: 1 - 3.7%


def test_a_set_whose_interval_includes_the_confidence_is_borderline(tmp_path):
    answer = search(write(tmp_path, ONE_MORE))
    shaky = Outcome(answer.plan.candidate, {}, 100, 86, 1.0, None, 0.0, 0, ())
    assert answer.borderline(shaky) and not answer.borderline(answer.sets[0])


def test_cut_order_never_drops_an_epic_a_kept_epic_depends_on(tmp_path):
    text = DROP_ONE.replace("second: {team: a,", "second: {team: a, depends_on: [third],")
    s = load_scenario(write(tmp_path, text))
    assert cut_order(s, "m") == ("second", "third")  # third only once second is gone
    assert cut_order(s, "m", keep=("second",)) == ("first",)  # never the milestone's last epic


def test_levers_cost_from_the_team_rate_and_calendar(tmp_path):
    path = write(tmp_path, DROP_ONE)
    s = load_scenario(path)
    cat = catalogue(s, "m", s.milestones["m"].target, load_scenario_data(path))
    add = next(i for i, lv in enumerate(cat.levers) if lv.kind == "add")
    two = tuple(2 if i == add else 0 for i in range(len(cat.levers)))
    assert money(cat, two) == 2 * 100 * 8
    assert changes(cat, cat.plan) == {}


def test_flow_levers_raise_the_wip_limit_for_free_and_focus_at_the_time_moved(tmp_path):
    """WIP one or two up costs nothing; each focus step pays the team for the share of its
    time moved off other duties, over the working days to the date."""
    path = write(tmp_path, DROP_ONE.replace("a: {members: 2, cost_per_person_day: 100}",
                                            "a: {members: 2, cost_per_person_day: 100, "
                                            "wip_limit: 2, focus: 0.7}"))
    s = load_scenario(path)
    cat = catalogue(s, "m", s.milestones["m"].target, load_scenario_data(path))
    at = {lv.kind: i for i, lv in enumerate(cat.levers)}
    assert cat.levers[at["wip"]].most == 2 and cat.levers[at["focus"]].most == 2  # to 0.9

    def only(kind, setting):
        return tuple(setting if i == at[kind] else 0 for i in range(len(cat.levers)))

    assert changes(cat, only("wip", 2)) == {"teams.a.wip_limit": 4}
    assert money(cat, only("wip", 2)) == 0.0
    assert changes(cat, only("focus", 1)) == {"teams.a.focus": 0.8}
    assert money(cat, only("focus", 1)) == pytest.approx(0.1 * 2 * 100 * 8)


def workbench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def test_every_reported_set_reproduces_through_workbench_run(tmp_path):
    write(tmp_path, DROP_ONE)
    (tmp_path / "pyproject.toml").write_text("")  # the project folder: what-ifs may extend up
    done = workbench("levers", "s.yaml", "--milestone", "m", "--reps", "120", "--seed", "7",
                     "--out", "whatifs", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["reached"] and len(answer["sets"]) >= 2
    for reported in answer["sets"]:
        run = workbench("run", reported["whatif"], "--reps", "120", "--seed", "7",
                        "--format", "json", cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        (m,) = json.loads(run.stdout)["milestones"]
        assert m["chance_of_target"] == reported["chance"]
        assert m["p85"] == reported["p85"]
        assert sorted(m_epic for m_epic in
                      load_scenario(tmp_path / reported["whatif"]).milestones["m"].epics) == \
            sorted({"first", "second", "third"} - set(reported["dropped"]))


def test_whatif_files_extend_the_scenario_with_only_the_changes(tmp_path):
    path = write(tmp_path, ONE_MORE)
    assert cli.main(["levers", str(path), "--milestone", "m", "--reps", "60"]) == 0
    text = (tmp_path / "s_levers_m_1.yaml").read_text()
    assert "extends: s.yaml\n" in text
    assert "teams:\n  a:\n    hires:\n    - {date: 2027-01-04, count: 1}\n" in text
    assert "epics" not in text and "milestones" not in text


@pytest.mark.parametrize(("args", "line"), [
    (["--milestone", "nope"], "s.yaml: --milestone: unknown milestone 'nope' (known: m, open)"),
    (["--milestone", "open"],
     "s.yaml: --milestone: 'open' has no target (allowed: give one with --by DATE)"),
    (["--milestone", "m", "--confidence", "1.5"],
     "workbench levers: argument --confidence: '1.5' is out of range (allowed: more than 0 "
     "and less than 1, e.g. 0.85)"),
    (["--milestone", "m", "--confidence", "0"],
     "workbench levers: argument --confidence: '0' is out of range (allowed: more than 0 and "
     "less than 1, e.g. 0.85)"),
    (["--milestone", "m", "--by", "2026-01-01"],
     "s.yaml: --by: 2026-01-01 is outside the scenario's 2027-01-04 to 2027-03-04 (allowed: a "
     "date within the horizon)"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, line):
    write(tmp_path, ONE_MORE.replace("levers:", "  open: {epics: [other]}\nlevers:"))
    done = workbench("levers", "s.yaml", *args, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", [line])


def test_bounds_that_contradict_the_scenario_are_one_line_and_exit_2(tmp_path):
    write(tmp_path, ONE_MORE.replace("join_dates: [2027-01-04]", "join_dates: [2026-12-01]"))
    done = workbench("levers", "s.yaml", "--milestone", "m", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "s.yaml: levers.people.join_dates.0: 2026-12-01 is outside 2027-01-04 to 2027-03-04 "
        "(allowed: from the earliest join date to the horizon's last day)"]


def test_screening_uses_few_replications_and_confirms_with_all(tmp_path):
    answer = search(write(tmp_path, DROP_ONE))
    assert (answer.screen_reps, answer.reps) == (50, 200)
    assert all(o.reps == 200 for o in [answer.plan, *answer.sets])
    assert lever_search.default_screen_reps(500) == 100


def test_the_report_section_shows_only_when_a_milestone_is_below_the_confidence(tmp_path):
    from workbench.reports import levers_report, scenario_report

    (tmp_path / "pyproject.toml").write_text("")
    late = scenario_report.prepare(write(tmp_path, DROP_ONE), replications=60, seed=2,
                                   risk_impact_on=False)
    section = levers_report.to_make_the_date(late)
    assert section is not None and section.heading == "To make the date"
    # a director's words: no "set(s)", no backticked command, no "95% CI", the cost once
    assert section.lines[0].startswith("m has ") and section.lines[0].endswith(
        "chance of 13 Jan 2027, below 85%. 2 options reach it, cheapest first:")
    assert section.lines[1].startswith("Option 1: drop third; no extra cost; raises the "
                                       "chance of 13 Jan 2027 to 100% (")
    add = section.lines[2]
    assert add.startswith("Option 2: add 1 a engineer from 4 Jan 2027 (someone who can join "
                          "then: moved from another team, or a contractor); costs ")
    assert add.count("over the program") == 1 and "+" not in add
    page = " ".join(section.lines)
    for word in ("set(s)", "`", "95% CI", "Set 1"):
        assert word not in page
    easy = DROP_ONE.replace("target: 2027-01-13", "target: 2027-02-26")
    on_time = scenario_report.prepare(write(tmp_path, easy, "easy.yaml"), replications=60,
                                      seed=2, risk_impact_on=False)
    assert levers_report.below_confidence(on_time) == []
    assert levers_report.to_make_the_date(on_time) is None


def _find(widget, cls):
    if cls in getattr(widget, "_dom_classes", ()):
        return widget
    for child in getattr(widget, "children", ()):
        found = _find(child, cls)
        if found is not None:
            return found
    return None


def test_the_explorer_button_shows_the_best_sets_for_the_current_settings(tmp_path):
    from workbench.app.explorer import Explorer

    path = write(tmp_path, DROP_ONE)
    ex = Explorer(path, reps=50, seed=3, quick_reps=50, workers=1, offline=False,
                  background=False)
    try:
        _find(ex.widget, "wb-levers").click()
        answer = _find(ex.widget, "wb-levers-answer").value
        assert answer.startswith("m has ") and "2 options reach it, cheapest first" in answer
        assert "Option 1: drop third" in answer and "Option 2: add 1 a engineer" in answer
        ex.controls["teams.a.members"].widget.value = 4  # now the plan makes it
        _find(ex.widget, "wb-levers").click()
        assert _find(ex.widget, "wb-levers-answer").value.startswith("Every milestone")
    finally:
        ex.close()


def test_a_set_that_only_screening_says_reaches_is_not_reported_and_the_search_goes_on(
        tmp_path):
    """Screening (few runs) is optimistic by 5 points here: the plan and one added person look
    enough but are not; the search must confirm, raise its bar and find two people."""
    from workbench.sim.lever_search import Search, search

    path = write(tmp_path, ONE_MORE)
    s = load_scenario(path)
    cat = catalogue(s, "m", s.milestones["m"].target, load_scenario_data(path))
    truth = {0: 0.80, 1: 0.83, 2: 0.90, 3: 0.95}

    def evaluate(candidate, reps):
        chance = min(1.0, truth[sum(candidate)] + (0.05 if reps < 100 else 0.0))
        return Outcome(candidate, changes(cat, candidate), reps, round(chance * reps),
                       10.0 - sum(candidate), None, money(cat, candidate), 0, ())

    answer = search(Search(cat, evaluate, 0.85, 20), reps=400, seed=0)
    assert answer.plan.chance == 0.80 and answer.reached
    assert [sum(o.candidate) for o in answer.sets] == [2]  # not the 1 that screening liked
    assert answer.sets[0].reps == 400


MITIGATE = HEAD + """teams:
  a: {members: 3, cost_per_person_day: 100}
epics:
  build: {team: a, items: 18, effort_days: 1}
risks:
  vendor-late:
    probability: 1.0
    delay: {epic: build, days: 14}
    mitigation: {action: second vendor, cost: 500, probability: 0.0}
milestones:
  m: {epics: [build], target: 2027-01-15}
levers:
  people: {most_added: 0}
  flow: {wip: false, focus: false}
"""
# One person alone does 45 items by 5 March; the two hires of 1 March add 10, 50 more from
# 1 February, 90 more from 4 January: only bringing them 8 weeks forward makes 100 items.
EARLIER_HIRE = HEAD.replace("horizon_days: 60", "horizon_days: 120") + """teams:
  a:
    members: 1
    cost_per_person_day: 100
    hires: [{date: 2027-03-01, count: 2}]
epics:
  build: {team: a, items: 100, effort_days: 1}
milestones:
  m: {epics: [build], target: 2027-03-05}
levers:
  people: {most_added: 0}
  flow: {wip: false, focus: false}
"""


def test_a_named_mitigation_is_bought_when_it_makes_the_date(tmp_path, capsys):
    answer = search(write(tmp_path, MITIGATE))
    assert answer.plan.chance == 0.0 and answer.reached
    best = answer.sets[0]
    assert (pulled(answer, best), best.money) == ({"mitigate:vendor-late": 1}, 500)
    assert best.changes == {"risks.vendor-late.probability": 0.0}
    from workbench.present.levers_text import lever_lines

    assert lever_lines(answer.catalogue, best) == [
        "mitigate vendor-late (second vendor: probability 100% to 0%): +500"]


def test_a_planned_hire_is_brought_forward(tmp_path):
    import datetime as dt

    from workbench.present.levers_text import lever_lines

    answer = search(write(tmp_path, EARLIER_HIRE))
    best = answer.sets[0]
    assert answer.reached and pulled(answer, best) == {"hire:a#0": 2}  # 8 weeks earlier
    assert best.changes == {"teams.a.hires": [{"date": dt.date(2027, 1, 4), "count": 2}]}
    assert best.money == 2 * 100 * 40  # 4 Jan to 26 Feb: 40 extra working days each
    assert lever_lines(answer.catalogue, best) == [
        "bring a's hire of 2 forward from 1 Mar 2027 to 4 Jan 2027: +8k"]


def test_a_budget_too_small_for_any_set_is_said_so(tmp_path, capsys):
    path = write(tmp_path, ONE_MORE)
    assert cli.main(["levers", str(path), "--milestone", "m", "--reps", "50",
                     "--budget", "500", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert not answer["reached"]
    assert all(s["cost"] <= 500 for s in answer["sets"])
    assert cli.main(["levers", str(path), "--milestone", "m", "--reps", "50",
                     "--budget", "800", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["reached"] and answer["sets"][0]["cost"] == 800


def test_a_quick_search_stops_at_its_limit_and_says_so(tmp_path):
    from workbench.present.levers_text import headline

    answer = search(write(tmp_path, HOPELESS), limit=1)
    assert answer.exhausted and not answer.reached
    assert answer.evaluated == 2  # the plan screened, and confirmed
    assert headline(answer).startswith("A quick search (2 candidates) found no set that makes m")


def test_the_same_sets_whatever_the_workers(tmp_path):
    path = write(tmp_path, DROP_ONE)
    one, two = search(path), search(path, workers=2)

    def seen(answer):
        return [(o.candidate, o.hits, o.p85_days) for o in [answer.plan, *answer.sets]]

    assert seen(one) == seen(two)


def test_a_plan_that_already_makes_it_is_said_so(tmp_path):
    import datetime as dt

    from workbench.present.levers_text import headline

    answer = search(write(tmp_path, DROP_ONE), by=dt.date(2027, 2, 26))
    assert answer.reached and [o.candidate for o in answer.sets] == [answer.catalogue.plan]
    assert answer.evaluated == 1  # the plan, confirmed; nothing else simulated
    assert headline(answer) == "The plan already makes m by 26 Feb 2027 at 85% confidence: 100%."


# Cutting part of the lowest-priority epic is enough (16 person-days to 13 Jan, 22 items of a
# day each): with a cut line in quarters the search cuts `extras` to 3 of its 12 items rather
# than dropping it whole; people and flow levers are off.
CUT_PART = HEAD + """teams:
  a: {members: 2, cost_per_person_day: 100}
epics:
  core: {team: a, items: 10, effort_days: {uniform: [0.9, 1.1]}}
  extras: {team: a, items: 12, effort_days: {uniform: [0.9, 1.1]}}
milestones:
  m: {epics: [core, extras], target: 2027-01-13}
levers:
  people: {most_added: 0, move_hires: false}
  flow: {wip: false, focus: false}
  scope: {cut_parts: 4}
"""


def test_a_cut_line_in_steps_cuts_items_before_dropping_the_epic(tmp_path, capsys):
    path = write(tmp_path, CUT_PART)
    answer = search(path)
    best = answer.sets[0]
    assert answer.reached and best.chance >= 0.85
    assert (best.changes, best.items_given_up, best.dropped) == (
        {"epics.extras.items": 3}, 9, ())
    assert not any(o.dropped for o in answer.sets)  # dropping all 12 gives up more, no sooner
    assert cli.main(["levers", str(path), "--milestone", "m", "--reps", "200", "--seed", "3",
                     "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "- cut extras: keep 3 of the 12 items left (its last 9 given up)" in out
    assert "scope given up: 9 items" in out
    whatif = load_scenario(tmp_path / "s_levers_m_1.yaml")
    assert whatif.epics["extras"].items == 3 and whatif.milestones["m"].epics == ("core", "extras")


def test_scope_levers_keep_the_items_already_done(tmp_path):
    """With progress (6 of 20 done, and a list with one item done and one started), a what-if
    that drops or cuts an epic still says what was done, as the file writes it, and keeps the
    started work before the work not started; a dropped epic gets no
    scope risk's items; an epic with nothing left is not on the cut line."""
    text = HEAD + """as_of: 2027-01-11
teams:
  a: {members: 2}
epics:
  keep: {team: a, items: 4, effort_days: 1}
  count: {team: a, items: 20, done: 6, effort_days: 1}
  listed:
    team: a
    effort_days: 1
    items: [{name: i1, done: true}, {name: i2}, {name: i3, effort_days: 2},
            {name: i4, remaining_days: 0.5}]
  finished: {team: a, items: 3, done: 3, effort_days: 1}
risks:
  more: {probability: 1, add_items: {epic: listed, items: 2}}
  late: {probability: 1, add_items: {epic: listed, items: 1}, delay: {epic: keep, days: 1}}
milestones:
  m: {epics: [keep, count, listed, finished], target: 2027-02-01}
levers:
  scope: {cut_parts: 2}
"""
    path = write(tmp_path, text)
    s = load_scenario(path)
    cat = catalogue(s, "m", s.milestones["m"].target, load_scenario_data(path))
    (scope,) = [lv for lv in cat.levers if lv.kind == "drop"]
    assert scope.epics == ("listed", "count")  # `finished` has nothing left to give up
    assert scope.ladder == ((0, 1), (0, 0), (1, 7), (1, 0))  # halves, then whole epics
    at = cat.levers.index(scope)

    def with_scope(setting):
        return tuple(setting if i == at else 0 for i in range(len(cat.levers)))

    half = changes(cat, with_scope(1))  # listed keeps 1 of its 3 left (i4, started), and i1
    assert half == {"epics.listed.items": [{"name": "i1", "done": True},
                                           {"name": "i4", "remaining_days": 0.5}]}
    both = changes(cat, with_scope(3))  # listed dropped, count cut to 7 of its 14 left
    assert both["epics.listed.items"] == [{"name": "i1", "done": True}]
    # their items would still take the team's time: the impact goes (the risk, if it is all)
    assert both["risks.more.probability"] == 0.0 and both["risks.late.add_items"] is None
    assert both["epics.count.items"] == 6 + 7
    assert both["milestones.m.epics"] == ["keep", "count", "finished"]
    assert changes(cat, with_scope(4))["epics.count.items"] == 6  # dropped: only what is done
    assert [items_given_up(cat, with_scope(k)) for k in range(5)] == [0, 2, 3, 10, 17]
    for k in range(1, 5):  # each what-if loads, and its work left is what the lever kept
        data = merge_scenario_data(load_scenario_data(path), nested(changes(cat, with_scope(k))))
        left = scenario_from_data(data, str(path), tmp_path)
        total = sum(len(e.items) if isinstance(e.items, tuple) else e.items
                    for e in left.epics.values())
        assert total == 4 + 14 + 3 - items_given_up(cat, with_scope(k))
        assert (left.risks["more"].probability == 0.0) == (k > 1)
        assert (left.risks["late"].add_items is None) == (k > 1)
        assert left.risks["late"].delay is not None


def test_cut_parts_gives_each_count_once_and_is_a_whole_number(tmp_path):
    from workbench.sim.levers import _rungs

    assert _rungs(0, 3, 4) == [(0, 2), (0, 1), (0, 0)]  # no repeat, never all or none kept
    assert _rungs(0, 1, 4) == [(0, 0)] and _rungs(0, 12, 1) == [(0, 0)]
    assert _rungs(1, 7, 2) == [(1, 3), (1, 0)]  # half given up, rounded up: 4 of 7
    for bad in ("0", "11", "true", "0.5", "half"):
        write(tmp_path, CUT_PART.replace("cut_parts: 4", f"cut_parts: {bad}"))
        done = workbench("levers", "s.yaml", "--milestone", "m", cwd=tmp_path)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith("s.yaml: levers.scope.cut_parts: "), done.stderr
