"""The simulation core on small cases whose answers are known by hand, plus the laws every
forecast must obey (monotonicity, dependencies, determinism, never a hang)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.helpers import SEVEN_DAYS, scenario
from workbench.sim import metrics
from workbench.sim.forecast import day_to_date
from workbench.sim.model import simulate_once
from workbench.sim.montecarlo import simulate

ONE_PERSON = {"t": {"members": 1}}
TWO_ITEMS = {"e": {"team": "t", "items": [{"name": "a", "effort_days": 3},
                                          {"name": "b", "effort_days": 4}]}}


def trace(log):  # type: ignore[no-untyped-def]
    return [(float(r.time), r.event, r.item, r.stage) for r in log.records]


def test_two_items_one_worker_exact_trace() -> None:
    """Mon 4 Jan start, weekdays only: 3 days (Mon-Wed), then 4 days Thu, Fri, Mon, Tue."""
    log = simulate_once(scenario(teams=ONE_PERSON, epics=TWO_ITEMS))
    assert trace(log) == [
        (0.0, "epic_ready", -1, ""),
        (0.0, "arrive", 1, ""), (0.0, "queue", 1, "work"),
        (0.0, "arrive", 2, ""), (0.0, "queue", 2, "work"),
        (0.0, "start", 1, "work"), (3.0, "finish", 1, "work"), (3.0, "done", 1, ""),
        (3.0, "start", 2, "work"), (9.0, "finish", 2, "work"), (9.0, "done", 2, ""),
        (9.0, "epic_done", -1, ""),
    ]
    assert day_to_date(log_start(), 9.0).isoformat() == "2027-01-12"  # a Tuesday


def log_start():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.date(2027, 1, 4)


def test_focus_and_holidays_stretch_calendar_time() -> None:
    """Focus 0.5 doubles calendar time; a US holiday (Mon 18 Jan 2027, MLK day) is skipped."""
    s = scenario(teams={"t": {"members": 1, "focus": 0.5}},
                 calendar={"holidays": {"country": "US"}},
                 epics={"e": {"team": "t", "items": 1, "effort_days": 5}})
    # 10 working days from Mon 4 Jan: 4-8, 11-15 -> done end of Fri 15 Jan = day 12.
    assert metrics.epic_finish_days(simulate_once(s)) == {"e": 12.0}
    s = scenario(teams={"t": {"members": 1, "focus": 0.5}},
                 calendar={"holidays": {"country": "US"}},
                 epics={"e": {"team": "t", "items": 1, "effort_days": 6}})
    # 12 working days: 4-8, 11-15, (18 holiday), 19, 20 -> end of Wed 20 Jan = day 17.
    assert metrics.epic_finish_days(simulate_once(s)) == {"e": 17.0}


def test_stages_pass_items_along_in_order() -> None:
    s = scenario(calendar=SEVEN_DAYS,
                 teams={"t": {"members": 2, "stages": {"build": {"people": 1},
                                                       "review": {"people": 1}}}},
                 epics={"e": {"team": "t", "items": 2,
                              "effort_days": {"build": 2, "review": 1}}})
    log = simulate_once(s)
    starts = [(float(r.time), r.item, r.stage) for r in log.records if r.event == "start"]
    # At day 2 the builder goes straight on to item 2 (no wait), then the reviewer wakes up.
    assert starts == [(0.0, 1, "build"), (2.0, 2, "build"), (2.0, 1, "review"),
                      (4.0, 2, "review")]
    assert metrics.epic_finish_days(log) == {"e": 5.0}


def test_dependency_gates_start() -> None:
    s = scenario(calendar=SEVEN_DAYS, teams={"a": {"members": 1}, "b": {"members": 3}},
                 epics={"first": {"team": "a", "items": 2, "effort_days": 5},
                        "second": {"team": "b", "items": 3, "effort_days": 1,
                                   "depends_on": ["first"]}})
    log = simulate_once(s)
    first_start = min(r.time for r in log.records if r.event == "start" and r.epic == "second")
    assert first_start == 10.0
    assert metrics.epic_finish_days(log) == {"first": 10.0, "second": 11.0}


def test_team_wip_limit_holds_backlog_back() -> None:
    s = scenario(calendar=SEVEN_DAYS, teams={"t": {"members": 3, "wip_limit": 2}},
                 epics={"e": {"team": "t", "items": 6, "effort_days": 1}})
    log = simulate_once(s)
    level, peak = 0, 0
    for r in log.records:
        level += {"arrive": 1, "done": -1}.get(r.event, 0)
        peak = max(peak, level)
    assert peak == 2
    assert metrics.epic_finish_days(log) == {"e": 3.0}  # 2 at a time, 6 items of 1 day


def test_capacity_share_splits_effort_70_30() -> None:
    s = scenario(calendar=SEVEN_DAYS, teams={"t": {"members": 1}},
                 epics={"big": {"team": "t", "items": 100, "effort_days": 1,
                                "capacity_share": 0.7},
                        "small": {"team": "t", "items": 100, "effort_days": 1}})
    log = simulate_once(s)
    done_by_50 = [r.epic for r in log.records if r.event == "done" and r.time <= 50]
    assert done_by_50.count("big") == 35 and done_by_50.count("small") == 15


def test_hire_ramps_up_and_leaver_stops() -> None:
    """A hire on day 7 with a 2-week ramp works k/14 of a day on their k-th day: 55/14 days of
    work after 10 days (day 17), and the 11th day (11/14) finishes the last 1/14: 17 + 1/11.
    A person leaving puts their item back for the others."""
    s = scenario(calendar=SEVEN_DAYS,
                 teams={"t": {"members": 0, "hires": [{"date": "2027-01-11", "ramp_up_weeks": 2}]}},
                 epics={"e": {"team": "t", "items": 1, "effort_days": 4}})
    assert metrics.epic_finish_days(simulate_once(s)) == {"e": pytest.approx(17 + 1 / 11)}
    s = scenario(calendar=SEVEN_DAYS,
                 teams={"t": {"members": 2, "leavers": [{"date": "2027-01-07"}]}},
                 epics={"e": {"team": "t", "items": 2, "effort_days": 10}})
    log = simulate_once(s)
    assert [r.event for r in log.records].count("stop") == 1
    # one person works item 1 (done day 10); item 2 got 3 days before its owner left on day 3,
    # then waits for the remaining person: 7 more days from day 10.
    assert metrics.epic_finish_days(log) == {"e": pytest.approx(17.0)}


def test_time_off_and_interrupts_remove_capacity() -> None:
    base = {"members": 1}
    off = {"members": 1, "time_off": [{"start": "2027-01-05", "end": "2027-01-06"}]}
    epics = {"e": {"team": "t", "items": 1, "effort_days": 5}}
    plain = simulate_once(scenario(calendar=SEVEN_DAYS, teams={"t": base}, epics=epics))
    away = simulate_once(scenario(calendar=SEVEN_DAYS, teams={"t": off}, epics=epics))
    assert metrics.epic_finish_days(plain)["e"] == 5.0
    assert metrics.epic_finish_days(away)["e"] == 7.0
    busy = scenario(calendar=SEVEN_DAYS, epics={"e": {"team": "t", "items": 1, "effort_days": 50}},
                    teams={"t": {"members": 1, "interrupts": {"rate_per_week": 7,
                                                               "effort_days": 0.5}}})
    log = simulate_once(busy, seed=3)
    lost = sum(r.effort_days for r in log.records if r.event == "interrupt")
    assert lost > 0
    assert metrics.epic_finish_days(log)["e"] == pytest.approx(50 + lost, abs=0.51)


def test_rework_sends_items_back() -> None:
    s = scenario(calendar=SEVEN_DAYS, horizon_days=5000,
                 teams={"t": {"members": 2, "stages": {"build": {}, "review": {}}}},
                 epics={"e": {"team": "t", "items": 400, "effort_days": 0.1,
                              "rework": {"from": "review", "to": "build", "probability": 0.5}}})
    log = simulate_once(s, seed=5)
    reworks = sum(1 for r in log.records if r.event == "rework")
    assert 320 <= reworks <= 480  # mean 400 (geometric: one rework per item on average)


def test_no_capacity_or_endless_work_ends_at_horizon() -> None:
    # Nobody there all run long (no members at all is a validation error now).
    away = {"members": 1, "time_off": [{"start": "2027-01-04", "end": "2027-12-31"}]}
    s = scenario(horizon_days=100, teams={"t": away},
                 epics={"e": {"team": "t", "items": 3, "effort_days": 1}},
                 milestones={"m": {"epics": ["e"], "target": "2027-02-01"}})
    f = simulate(s, reps=5, seed=1)
    m = f.milestones()[0]
    assert m["unfinished_share"] == 1.0 and m["p85"] is None and m["chance_of_target"] == 0.0
    s = scenario(horizon_days=100, teams={"t": {"members": 1}},
                 epics={"e": {"team": "t", "items": 1, "effort_days": 1000}})
    assert math.isnan(simulate(s, reps=2).column("epic:e")[0])


def test_delay_risk_and_scope_risk() -> None:
    epics = {"e": {"team": "t", "items": 2, "effort_days": 1}}
    risks = {"late": {"probability": 1, "delay": {"epic": "e", "days": 10}},
             "more": {"probability": 1, "add_items": {"epic": "e", "items": 3}}}
    s = scenario(calendar=SEVEN_DAYS, teams=ONE_PERSON, epics=epics, risks=risks)
    assert metrics.epic_finish_days(simulate_once(s)) == {"e": 15.0}


PROGRAM = dict(
    calendar={"holidays": {"country": "US"}},
    teams={"core": {"members": 4, "focus": 0.8, "cost_per_person_day": 800},
           "web": {"members": 3, "wip_limit": 3, "cost_per_person_day": 700,
                   "stages": {"build": {"people": 2}, "review": {"people": 1}}}},
    epics={"api": {"team": "core", "items": 12, "effort_days": {"triangular": [1, 2, 6]},
                   "split_rate": [1.0, 1.3]},
           "ui": {"team": "web", "items": 10, "depends_on": ["api"],
                  "effort_days": {"build": {"lognormal": {"p50": 2, "p90": 5}},
                                  "review": {"uniform": [0.2, 1]}}}},
    milestones={"launch": {"epics": ["api", "ui"], "target": "2027-04-30"}},
)


def p50(s) -> float:  # type: ignore[no-untyped-def]
    return float(np.median(simulate(s, reps=60, seed=4).column("milestone:launch")))


def test_more_people_or_fewer_items_never_later() -> None:
    base = p50(scenario(**PROGRAM))
    more = json.loads(json.dumps(PROGRAM))
    more["teams"]["core"]["members"] = 6
    fewer = json.loads(json.dumps(PROGRAM))
    fewer["epics"]["api"]["items"] = 8
    assert p50(scenario(**more)) < base
    assert p50(scenario(**fewer)) < base


def test_risk_with_probability_zero_changes_nothing() -> None:
    with_risk = json.loads(json.dumps(PROGRAM))
    with_risk["risks"] = {"r": {"probability": 0, "delay": {"epic": "ui", "days": 30}}}
    a = simulate(scenario(**PROGRAM), reps=20, seed=9)
    b = simulate(scenario(**with_risk), reps=20, seed=9)
    assert np.array_equal(a.values, b.values, equal_nan=True)


def test_same_seed_same_json_whatever_the_workers() -> None:
    s = scenario(**PROGRAM)
    one = simulate(s, reps=24, seed=2, workers=1).to_dict()
    two = simulate(s, reps=24, seed=2, workers=2).to_dict()
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)
    other = simulate(s, reps=24, seed=3, workers=1).to_dict()
    assert json.dumps(one, sort_keys=True) != json.dumps(other, sort_keys=True)


def test_littles_law_check_can_fail() -> None:
    from workbench.sim.records import Record, RunLog

    good = [Record(0.0, "arrive", 1), Record(2.0, "done", 1), Record(1.0, "arrive", 2),
            Record(4.0, "done", 2)]
    log = RunLog(sorted(good), 4.0, 10, 0.0)
    L, lam, W = metrics.littles_law(log)
    assert (L, lam, W) == pytest.approx((1.25, 0.5, 2.5))
    broken = RunLog(sorted(good + [Record(3.0, "done", 2)]), 4.0, 10, 0.0)  # a duplicate
    L, lam, W = metrics.littles_law(broken)
    assert not math.isclose(L, lam * W)


def test_someone_away_does_not_hold_work_others_could_do() -> None:
    """Ann is away the first week: Bob does both one-day items (done day 2), rather than one
    item waiting for Ann's return."""
    s = scenario(calendar=SEVEN_DAYS,
                 teams={"t": {"members": [{"name": "ann"}, {"name": "bob"}],
                              "time_off": [{"start": "2027-01-04", "end": "2027-01-10",
                                            "person": "ann"}]}},
                 epics={"e": {"team": "t", "items": 2, "effort_days": 1}})
    log = simulate_once(s)
    assert {r.worker for r in log.records if r.event == "start"} == {1}
    assert metrics.epic_finish_days(log) == {"e": 2.0}


def test_batches_assembled_or_extended_equal_one_run() -> None:
    """The explorer's way (batches, a head, an extension) gives exactly `simulate`'s numbers."""
    from workbench.sim import montecarlo

    s = scenario(teams={"t": {"members": 2}},
                 epics={"e": {"team": "t", "items": 8, "effort_days": {"triangular": [1, 2, 6]}}},
                 milestones={"m": {"epics": ["e"]}})
    whole = montecarlo.simulate(s, 12, seed=5)
    parts = [f.result() for f in montecarlo.submit(None, s, 5, montecarlo.spans(0, 12, 5))]
    assembled = montecarlo.assemble(s, 5, parts)
    extended = montecarlo.extend(whole.head(7), [montecarlo.run_chunk(s, 5, 7, 12)])
    for f in (assembled, extended):
        assert f.reps == 12 and f.columns == whole.columns
        assert np.array_equal(f.values, whole.values, equal_nan=True)
        assert np.array_equal(f.burnup, whole.burnup)
    assert np.array_equal(whole.head(4).values, whole.values[:4], equal_nan=True)
