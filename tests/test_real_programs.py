"""What real programs have: a budget, an offshore team with its own holidays, a vendor date
that others wait on, a designer shared between two teams. Each case is small enough to count
by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from tests.helpers import SEVEN_DAYS, scenario
from workbench.present.sentences import budget_sentence
from workbench.present.terminal import table
from workbench.sim.model import simulate_once
from workbench.sim.montecarlo import replay, simulate

START = dt.date(2027, 1, 4)


def day(iso: str) -> int:
    return (dt.date.fromisoformat(iso) - START).days


# --- budget -----------------------------------------------------------------------------------

def budgeted(budget: object) -> object:
    """Team a: 2 people at 100 a day, ten one-day items (5 working days). Team b: one person at
    200 a day, ten one-day items (10 working days, two weeks)."""
    return scenario(teams={"a": {"members": 2, "cost_per_person_day": 100},
                           "b": {"members": 1, "cost_per_person_day": 200}},
                    epics={"ea": {"team": "a", "items": 10, "effort_days": 1},
                           "eb": {"team": "b", "items": 10, "effort_days": 1}},
                    milestones={"first": {"epics": ["ea"]}, "all": {"epics": ["ea", "eb"]}},
                    budget=budget)


def test_cost_accrued_by_each_milestone_is_hand_counted() -> None:
    """By the end of week one: a paid 5 days x 2 x 100, b 5 days x 200: 2,000. At the end:
    a still 1,000, b 10 days x 200 = 2,000: 3,000."""
    f = simulate(budgeted({"total": 2500, "teams": {"a": 1000, "b": 1500}}), 4)
    by = {m["name"]: m["cost"]["p50"] for m in f.milestones()}
    assert by == {"first": 2000.0, "all": 3000.0}
    b = f.budget()
    assert b["chance_within"] == 0.0
    assert [(t["name"], t["chance_within"]) for t in b["teams"]] == [("a", 1.0), ("b", 0.0)]
    assert "chance of staying within budget: program 2.5k: 0%, a 1k: 100%, b 1.5k: 0%" in table(f)


def test_chance_within_budget_is_the_share_of_runs_within_it() -> None:
    s = scenario(teams={"t": {"members": 2, "cost_per_person_day": 100}},
                 epics={"e": {"team": "t", "items": 20, "effort_days": {"uniform": [0.5, 3]}}},
                 budget=3500)
    f = simulate(s, 200, seed=2)
    assert f.budget()["chance_within"] == np.mean(f.column("cost") <= 3500)
    assert 0.05 < f.budget()["chance_within"] < 0.95


def test_a_budget_below_any_possible_cost_gives_zero_and_says_so() -> None:
    f = simulate(budgeted(100), 4)
    assert f.budget()["chance_within"] == 0.0
    assert budget_sentence(f) == ("Budget 100: no run stays within it (0%); the cost is 3k at "
                                  "P50, so the budget or the plan must change.")


# --- team and personal calendars -----------------------------------------------------------

def test_each_team_loses_exactly_its_own_holidays() -> None:
    """Bengaluru keeps Republic Day (26 Jan), New York Independence Day (observed 5 Jul); a
    German colleague in New York keeps Ascension Day (6 May) and works 5 Jul."""
    s = scenario(
        calendar={"holidays": {"country": "US"}},
        teams={"blr": {"members": 1, "calendar": {"holidays": {"country": "IN",
                                                               "subdivision": "KA"}}},
               "nyc": {"members": [{"name": "ann"}, {"name": "jo", "calendar": {
                   "holidays": {"country": "DE", "subdivision": "BE"}}}]}})
    log = simulate_once(s)
    blr = log.capacity["blr"].available["work"]
    nyc = log.capacity["nyc"].available["work"]
    assert blr[day("2027-01-26")] == 0 and nyc[day("2027-01-26")] == 2
    assert blr[day("2027-07-05")] == 1 and nyc[day("2027-07-05")] == 1  # jo works
    assert nyc[day("2027-05-06")] == 1 and blr[day("2027-05-06")] == 1  # ann works
    assert blr[day("2027-01-27")] == 1 and nyc[day("2027-01-27")] == 2  # an ordinary Wednesday


# --- external deliveries and earliest starts -------------------------------------------------

def test_a_vendor_date_spread_lands_on_its_median_and_holds_what_depends_on_it() -> None:
    dates = [dt.date(2027, 5, 1), dt.date(2027, 5, 10), dt.date(2027, 6, 20)]
    s = scenario(teams={"t": {"members": 2}},
                 epics={"sdk": {"delivery": {"triangular": [d.isoformat() for d in dates]}},
                        "app": {"team": "t", "items": 4, "effort_days": 1,
                                "depends_on": ["sdk"]}},
                 milestones={"sdk-in": {"epics": ["sdk"], "target": "2027-05-31"}})
    f = simulate(s, 2000, seed=4)
    a, c, b = ((d - START).days for d in dates)
    median = b - math.sqrt((b - a) * (b - c) / 2)  # the mode is left of the middle
    p50 = next(e for e in f.epics() if e["name"] == "sdk")["p50_days"]
    assert abs(p50 - median) <= 1
    m = f.milestones()[0]
    assert 0 < m["chance_of_target"] < 1
    for rep in range(5):
        log = replay(s, 4, rep)
        arrived = next(r.time for r in log.records if r.event == "epic_done" and r.epic == "sdk")
        starts = [r.time for r in log.records if r.event == "start"]
        assert min(starts) >= arrived


def test_not_before_holds_an_epic_until_its_date() -> None:
    s = scenario(teams={"t": {"members": 1}},
                 epics={"e": {"team": "t", "items": 1, "effort_days": 1,
                              "not_before": "2027-02-01"}})
    first = min(r.time for r in simulate_once(s).records if r.event == "start")
    assert first == day("2027-02-01")


# --- shared people ------------------------------------------------------------------------------

def test_half_a_person_halves_the_pace_of_a_team_with_nobody_else() -> None:
    shared = {"members": [{"name": "dee", "allocation": {"web": 0.5, "design": 0.5}}]}
    s = scenario(calendar=SEVEN_DAYS, horizon_days=200,
                 teams={"web": shared, "design": {"members": 0}},
                 epics={"d": {"team": "design", "items": 10, "effort_days": 1},
                        "w": {"team": "web", "items": 10, "effort_days": 1}})
    alone = scenario(calendar=SEVEN_DAYS, horizon_days=200,
                     teams={"design": {"members": 1}},
                     epics={"d": {"team": "design", "items": 10, "effort_days": 1}})
    done = {r.epic: r.time for r in simulate_once(s).records if r.event == "epic_done"}
    full = {r.epic: r.time for r in simulate_once(alone).records if r.event == "epic_done"}
    assert done["d"] == 2 * full["d"] == 20 and done["w"] == 20
    log = simulate_once(s)
    assert np.all(log.capacity["design"].available["work"][:20] == 0.5)
    f = simulate(s, 3)
    assert {t["name"]: round(t["utilisation"], 6) for t in f.teams()} == {"web": 1, "design": 1}


def test_the_explorer_shows_cost_and_the_budget_chance() -> None:
    from workbench.app.explorer import cost_delta

    base = simulate(budgeted(3500), 4)
    cheaper = simulate(budgeted(2500), 4)
    assert cost_delta(base, cheaper) == ["cost P85 3k → 3k; budget 2.5k: 100% → 0%"]
