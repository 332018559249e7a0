"""Progress: a scenario that says how far its epics have come forecasts the work left, started at
`as_of`, exactly as a scenario written by hand with only that work and that start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.scenario.loader import load_scenario
from workbench.scenario.progress import remaining
from workbench.sim.capacity import build_team, team_days
from workbench.sim.montecarlo import simulate

BASE = """
name: Payments
start: 2027-01-04
horizon_days: 400
teams:
  platform:
    members: 3
    cost_per_person_day: 500
    hires: [{date: 2027-01-25, count: 1, ramp_up_weeks: 6, mentoring: 0.2}]
    time_off: [{start: 2027-02-22, end: 2027-03-05, people: 1}]
  web:
    members:
      - {name: ana}
      - {name: bo, end: 2027-02-12}
      - {name: cy, start: 2027-01-18}
    time_off: [{start: 2027-02-01, end: 2027-02-05, person: bo}]
epics:
  ledger: {team: platform, items: {items}, effort_days: {triangular: [1, 3, 6]}}
  payouts: {team: platform, items: 8, effort_days: {triangular: [1, 2, 5]}, depends_on: [ledger]}
  screens: {team: web, items: 10, effort_days: {triangular: [1, 2, 4]}}
risks:
  vendor: {probability: 0.4, at: 2027-01-11, delay: {epic: payouts, days: {fixed: 10}}}
  leave: {probability: 0.3, at: 2027-01-20, capacity: {team: platform, members: 1}}
milestones:
  beta: {epics: [ledger], target: 2027-04-01}
  ga: {epics: [ledger, payouts, screens], target: 2027-06-30}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_half_an_epic_done_forecasts_as_half_the_items_started_at_as_of(tmp_path: Path) -> None:
    done = BASE.replace("{items}", "12, done: 6").replace("horizon_days: 400",
                                                          "horizon_days: 400\nas_of: 2027-02-15")
    by_hand = BASE.replace("{items}", "6").replace("start: 2027-01-04", "start: 2027-02-15")
    # by hand: the horizon still ends on 2028-02-07 (400 days from 4 Jan), 42 days fewer
    by_hand = by_hand.replace("horizon_days: 400", "horizon_days: 358")
    # by hand: the risks dated before the new start happen at it, the lost person from then on
    by_hand = by_hand.replace("at: 2027-01-11", "at: 2027-02-15").replace(
        "at: 2027-01-20", "at: 2027-02-15")
    # and bo, who left on 12 Feb, is no longer on the team
    by_hand = by_hand.replace("      - {name: bo, end: 2027-02-12}\n", "").replace(
        "    time_off: [{start: 2027-02-01, end: 2027-02-05, person: bo}]\n", "")
    progressed = load_scenario(_write(tmp_path, "done.yaml", done))
    written = load_scenario(_write(tmp_path, "hand.yaml", by_hand))
    assert progressed.start == written.start
    a, b = simulate(progressed, 60, seed=7), simulate(written, 60, seed=7)
    assert a.columns == b.columns
    np.testing.assert_array_equal(a.values, b.values)  # every number of every run, identical
    assert a.to_dict()["milestones"] == b.to_dict()["milestones"]
    # and it is not the forecast of the whole epic from the start
    whole = simulate(load_scenario(_write(tmp_path, "whole.yaml", BASE.replace("{items}", "12"))),
                     60, seed=7)
    assert whole.to_dict()["milestones"] != a.to_dict()["milestones"]


def test_people_on_board_at_as_of_have_the_same_capacity_from_then_on(tmp_path: Path) -> None:
    """Ramp-up state, mentoring, time off straddling as_of, a person who left, one who joined:
    each capacity curve from as_of on equals the original's from that day."""
    original = load_scenario(_write(tmp_path, "a.yaml", BASE.replace("{items}", "12")))
    as_of = original.start.replace(month=2, day=8)
    left = remaining(original.model_copy(update={"as_of": as_of}))
    offset = (as_of - original.start).days
    span = original.horizon_days - offset
    for team in ("platform", "web"):
        before = build_team(original, team, team_days(original, original.teams[team]), [], [])
        after = build_team(left, team, team_days(left, left.teams[team]), [], [])
        alive = [p for p in before if p.last_day > offset]
        assert len(after) == len(alive)
        for old, new in zip(alive, after, strict=True):
            np.testing.assert_allclose(new.cap[:span], old.cap[offset:offset + span], atol=1e-12)


@pytest.mark.parametrize("items", [
    "[{name: a, done: true}, {name: b}, {name: c, remaining_days: 1.5}]"])
def test_items_marked_done_are_left_out_and_remaining_days_is_the_effort(
        tmp_path: Path, items: str) -> None:
    text = BASE.replace("{items}", items).replace("horizon_days: 400",
                                                 "horizon_days: 400\nas_of: 2027-01-18")
    left = load_scenario(_write(tmp_path, "items.yaml", text))
    ledger = left.epics["ledger"]
    assert isinstance(ledger.items, tuple)
    assert [i.name for i in ledger.items] == ["b", "c"]
    assert ledger.items[1].effort_days is not None
    assert ledger.items[1].effort_days.kind == "fixed"  # type: ignore[union-attr]
    assert ledger.items[1].effort_days.params == (1.5,)  # type: ignore[union-attr]
    assert remaining(left) == left  # applying it again changes nothing


def test_the_scenario_as_written_keeps_its_progress(tmp_path: Path) -> None:
    text = BASE.replace("{items}", "12, done: 4").replace("horizon_days: 400",
                                                          "horizon_days: 400\nas_of: 2027-02-01")
    path = _write(tmp_path, "w.yaml", text)
    as_written = load_scenario(path, progress=False)
    assert as_written.epics["ledger"].done == 4 and as_written.start.isoformat() == "2027-01-04"
    assert load_scenario(path).epics["ledger"].items == 8


def test_as_of_keeps_the_horizon_end_where_the_file_puts_it(tmp_path: Path) -> None:
    """A later report date shortens the run, never moves its end: nothing lands past the
    horizon `validate` shows."""
    text = BASE.replace("{items}", "12, done: 2").replace("horizon_days: 400",
                                                          "horizon_days: 400\nas_of: 2027-03-01")
    written = load_scenario(_write(tmp_path, "s.yaml", text), progress=False)
    left = load_scenario(_write(tmp_path, "s.yaml", text))
    assert (left.start, left.horizon_days) == (written.as_of, 400 - 56)
    assert left.date_of(left.horizon_days - 1) == written.date_of(written.horizon_days - 1)
    assert remaining(left) == left  # applying it again changes nothing
