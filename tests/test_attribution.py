"""Why the forecast moved: the differences between two versions named in a TPM's words, and
their parts (replayed one at a time, same seed) adding up to the whole move."""

from __future__ import annotations

import datetime as dt

from tests.helpers import scenario
from workbench.present.trend_charts import moved_sentences, trend, trend_table
from workbench.scenario.diff import PROGRESS, changes, steps
from workbench.scenario.models import Scenario
from workbench.scenario.progress import remaining
from workbench.sim.attribution import attribute, p85_dates
from workbench.sim.montecarlo import simulate

REPS, SEED = 40, 3


def _version(hire: str = "2027-02-01", payouts: int = 8, done: int = 0,
             as_of: str = "2027-01-04", owner: str = "Dana") -> Scenario:
    return scenario(
        as_of=as_of, owner=owner,
        teams={"platform": {"members": 2, "hires": [{"date": hire, "ramp_up_weeks": 2}]},
               "web": {"members": 2}},
        epics={"ledger": {"team": "platform", "items": 10, "done": done,
                          "effort_days": {"triangular": [1, 2, 4]}},
               "payouts": {"team": "platform", "items": payouts,
                           "effort_days": {"triangular": [1, 2, 4]}, "depends_on": ["ledger"]},
               "screens": {"team": "web", "items": 6, "effort_days": {"triangular": [1, 2, 3]}}},
        risks={"vendor": {"probability": 0.3, "delay": {"epic": "payouts", "days": {"fixed": 9}}}},
        milestones={"beta": {"epics": ["ledger"], "target": "2027-03-01"},
                    "ga": {"epics": ["ledger", "payouts", "screens"], "target": "2027-05-03"}})


OLD = _version()
NEW = _version(hire="2027-04-05", payouts=12, done=3, as_of="2027-01-11", owner="Sam")


def test_differences_are_named_in_a_tpms_words() -> None:
    found = changes(OLD, NEW)
    labels = [c.label() for c in found]
    assert labels == ["the platform hire moving to 2027-04-05", "4 items added to payouts",
                      PROGRESS]  # the owner moves no date: not a difference
    assert changes(OLD, OLD) == []


def test_parts_add_up_to_the_whole_move() -> None:
    result = attribute(OLD, NEW, REPS, SEED)
    assert [len(p.changes) for p in result.parts] == [1, 1, 1]
    old_p85 = p85_dates(simulate(remaining(OLD), REPS, SEED))
    new_p85 = p85_dates(simulate(remaining(NEW), REPS, SEED))
    for m in ("beta", "ga"):
        assert result.before[m] == old_p85[m] and result.after[m] == new_p85[m]
        total = result.total(m)
        assert total == (new_p85[m] - old_p85[m]).days  # type: ignore[operator]
        assert abs(sum(p.days[m] for p in result.parts) - total) <= 1  # type: ignore[misc]
    assert result.total("ga") != 0  # the test can fail: the changes do move GA


def test_the_current_forecast_is_reused_and_gives_the_same_parts() -> None:
    current = simulate(remaining(NEW), REPS, SEED)
    a = attribute(OLD, NEW, REPS, SEED, current=current)
    b = attribute(OLD, NEW, REPS, SEED)
    assert [p.days for p in a.parts] == [p.days for p in b.parts]


def test_a_change_that_touches_nothing_else_is_worth_nothing_else() -> None:
    """Common random numbers: items added to payouts cannot move beta (ledger only)."""
    result = attribute(OLD, _version(payouts=14), REPS, SEED)
    assert result.parts[0].days["beta"] == 0
    assert result.parts[0].days["ga"] > 0  # type: ignore[operator]


def test_an_invalid_step_goes_with_the_next_change() -> None:
    """Removing an epic leaves GA naming it until GA's own change: one step of two."""
    cut = OLD.model_copy(update={
        "epics": {k: v for k, v in OLD.epics.items() if k != "screens"},
        "milestones": {**OLD.milestones, "ga": OLD.milestones["ga"].model_copy(
            update={"epics": ("ledger", "payouts")})}})
    found = steps(OLD, cut)
    assert [[c.label() for c in made] for made, _ in found] == [
        ["epic screens removed",
         "the ga epics from ledger, payouts, screens to ledger, payouts"]]
    assert found[-1][1] is cut


def test_the_sentence_and_the_trend() -> None:
    result = attribute(OLD, NEW, REPS, SEED)
    lines = moved_sentences(result, "2027-01-04")
    ga = next(line for line in lines if ": ga P85" in line)
    assert ga.startswith("Since the last report (4 Jan 2027): ga P85 moved ")
    assert "from the platform hire moving to 5 Apr 2027" in ga
    assert "from 4 items added to payouts" in ga and ga.endswith("from progress")
    entries = [{"as_of": f"2027-01-{d:02d}", "milestones": [
        {"name": "ga", "target": "2027-05-03", "p50": "2027-04-01", "p85": "2027-04-20"}]}
        for d in (4, 11, 18)]
    table = trend_table(entries)
    assert len(table[table["measure"] == "P85"]) == 3
    assert table["report_date"].dt.date.tolist()[-1] == dt.date(2027, 1, 18)
    spec = trend(table).to_dict()
    assert sum(len(rows) for rows in spec["datasets"].values()) == 6  # 3 reports x P50, P85


def test_the_trend_keeps_its_points_inside_the_panels_and_dates_carry_the_year() -> None:
    entries = [{"as_of": f"2027-01-{d:02d}", "milestones": [
        {"name": "ga", "target": "2027-05-03", "p50": "2027-04-01", "p85": f"2027-04-{d:02d}"}]}
        for d in (4, 11, 18)]
    layers = trend(trend_table(entries)).to_dict()["spec"]["layer"]
    line = next(layer for layer in layers if layer["mark"]["type"] == "line")
    y = line["encoding"]["y"]
    assert y["scale"]["padding"] >= 10  # the earliest and latest points stand clear of the edge
    assert y["axis"]["format"] == line["encoding"]["x"]["axis"]["format"] == "%-d %b %Y"


def test_the_move_and_the_trend_agree_when_the_last_report_used_other_runs() -> None:
    """The same scenario replayed on this report's runs 'did not move', yet the chart's two
    P85 points differ (30 runs then, 4,000 now): a sentence says why."""
    from workbench.present.trend_charts import noise_sentence

    last = {"seed": 1, "replications": 30, "milestones": [
        {"name": "ga", "p85": "2027-09-03"}, {"name": "beta", "p85": "2027-05-26"}]}
    now = {"ga": "2027-09-08", "beta": "2027-05-26"}
    text = noise_sentence(last, 1, 4000, now)
    assert text.startswith("The last report used 30 runs (seed 1), this one 4,000 runs (seed "
                           "1): ")
    assert "part of the move between the chart's points is Monte Carlo noise" in text
    assert "(the chart's last two P85 points differ: ga 5 calendar days)" in text
    assert noise_sentence({**last, "replications": 4000}, 1, 4000, now) == ""
    result = attribute(OLD, OLD, REPS, SEED)
    assert all("did not move on the same runs (nothing in the scenario changed)" in line
               for line in moved_sentences(result, "2027-01-04"))
