"""The status rule: hand-made forecasts at 90%, 60% and 30% chance of the target read green,
amber and red; a scenario's own thresholds are honoured; ahead/behind counts working days of
the one calendar; the mover is the largest shift of a ranked list."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.helpers import scenario
from workbench.present import status
from workbench.scenario.models import Scenario
from workbench.sim.forecast import ProgramForecast

TARGET = "2027-03-01"  # day 56 from the 4 Jan 2027 start


def _program(**fields: object) -> Scenario:
    return scenario(teams={"app": {"members": 2}},
                    epics={"a": {"team": "app", "items": 1, "effort_days": 1}},
                    milestones={"ga": {"epics": ["a"], "target": TARGET}}, **fields)


def _forecast(s: Scenario, chance: float, reps: int = 10) -> ProgramForecast:
    """A forecast by hand: ``chance`` of the runs finish on day 50, the rest on day 80."""
    on_time = round(chance * reps)
    finish = np.array([50.0] * on_time + [80.0] * (reps - on_time))
    columns = ["milestone:ga", "last:ga", "epic:a", "cost"]
    values = np.column_stack([finish, np.zeros(reps), finish, np.zeros(reps)])
    return ProgramForecast(s, 0, reps, columns, values, np.zeros((reps, 1), dtype=np.int32))


@pytest.mark.parametrize(("chance", "expected"), [(0.9, "green"), (0.6, "amber"),
                                                  (0.3, "red")])
def test_default_rule_at_90_60_30_percent(chance: float, expected: str) -> None:
    row = status.status_rows(_forecast(_program(), chance))[0]
    assert row["chance"] == pytest.approx(chance)
    assert row["status"] == expected
    assert status.status_lines(_forecast(_program(), chance))[0].startswith(
        f"ga: {expected.upper()}, {round(chance * 100)}% chance of 1 Mar 2027")


@pytest.mark.parametrize(("chance", "expected"), [(0.9, "amber"), (0.6, "red"),
                                                  (1.0, "green")])
def test_the_scenarios_thresholds_are_honoured(chance: float, expected: str) -> None:
    strict = _program(status={"green_at": 0.95, "amber_at": 0.7})
    assert status.status_rows(_forecast(strict, chance))[0]["status"] == expected


def test_threshold_edges_count_as_reached() -> None:
    assert status.status_of(0.85) == "green" and status.status_of(0.5) == "amber"
    assert status.status_of(0.4999) == "red" and status.status_of(None) is None


def test_commit_date_is_p85_and_behind_counts_working_days() -> None:
    row = status.status_rows(_forecast(_program(), 0.6))[0]
    # P85 is day 80: the end of day 79, 24 Mar 2027; from 1 Mar: 17 working days (Mon-Fri)
    assert row["commit"] == dt.date(2027, 3, 24)
    assert row["working_days_late"] == 17
    ahead = status.status_rows(_forecast(_program(), 0.9))[0]
    assert ahead["commit"] == dt.date(2027, 2, 22)  # day 50: end of day 49
    assert ahead["working_days_late"] == -5  # 23 Feb .. 1 Mar: 5 working days ahead
    holiday = _program(calendar={"holidays": {"dates": ["2027-03-10", "2027-03-11"]}})
    assert status.status_rows(_forecast(holiday, 0.6))[0]["working_days_late"] == 15


def test_the_mover_is_the_largest_shift_of_any_ranking() -> None:
    ranked = [("risk vendor", 3.0), ("platform members", -12.0), ("risk leave", 0.2)]
    assert status.top_mover(ranked) == ("platform members", -12.0)
    assert status.top_mover([("risk leave", 0.2)]) is None  # rounds to no move at all
    line = status.status_lines(_forecast(_program(), 0.3), {"ga": ranked})[0]
    assert line.endswith("most moves it: platform members (-12 calendar days)")


def test_report_date_owner_and_asks_are_on_the_page() -> None:
    s = _program(as_of="2027-01-18", owner="Dana", asks=["Approve the hire"])
    block = status.StatusBlock(_forecast(s, 0.9))
    text = repr(block)
    assert text.splitlines()[0] == "Report date 18 Jan 2027 · owner Dana"
    assert "ask: Approve the hire" in text
    assert "Asks of leadership" in block._repr_html_()


def test_a_commit_date_beyond_the_horizon_says_so() -> None:
    f = _forecast(_program(), 0.8)
    f.values[:, 0] = np.nan  # no run finished within the horizon
    row = status.status_rows(f)[0]
    assert row["status"] == "red" and row["working_days_late"] is None
    assert status.status_line(row) == ("ga: RED, 0% chance of 1 Mar 2027; the commit date "
                                       "(P85) is beyond the horizon")


def test_every_gap_says_which_days() -> None:
    """Working days (the program's calendar) in the status and a date's Monte Carlo error,
    calendar days where two dates are compared: never a bare "days"."""
    from workbench.present import formats, sentences, tables

    assert formats.working_days(5) == "5 working days"
    assert formats.calendar_days(1) == "1 calendar day"
    assert formats.calendar_days(12, signed=True) == "+12 calendar days"
    assert formats.calendar_days(-3, signed=True) == "-3 calendar days"
    f = _forecast(_program(), 0.6)
    line = status.status_lines(f, {"ga": [("risk vendor", 12.0)]})[0]
    assert "(17 working days behind)" in line and "(+12 calendar days)" in line
    shown = tables.milestone_display(f)
    assert all(c == formats.MISSING or "working day" in c for c in shown["P85"].astype(str))
    assert "days" not in " ".join(sentences.summary_sentences(f)).replace(
        "working days", "").replace("calendar days", "")


def test_the_summary_says_why_every_epic_on_time_is_not_the_milestone_on_time() -> None:
    """13 of 13 epics at 85% beside a milestone at 60%: one sentence explains it."""
    from workbench.present import sentences

    lines = sentences.summary_sentences(_forecast(_program(), 0.6))
    cut = next(x for x in lines if x.startswith("At 85% confidence by the 1 Mar 2027 target"))
    assert "ga needs all of its epics in the same run: that happened in 60% of runs" in cut
    sure = sentences.summary_sentences(_forecast(_program(), 0.9))
    assert not any("same run" in x for x in sure)  # nothing to explain at 90%


def test_the_report_date_is_as_of_else_the_page_says_it_starts_at_start() -> None:
    plain = repr(status.StatusBlock(_forecast(_program(), 0.9))).splitlines()[0]
    assert plain.startswith("Forecast from the start, 4 Jan 2027 (the scenario sets no "
                            "as_of; made ")
    assert "Report date" not in plain
    dated = repr(status.StatusBlock(_forecast(_program(as_of="2027-01-18"), 0.9)))
    assert dated.splitlines()[0] == "Report date 18 Jan 2027"


def test_the_risk_register_leaves_out_columns_empty_in_every_row() -> None:
    bare = _program(risks={"vendor": {"probability": 0.3,
                                      "delay": {"epic": "a", "days": {"fixed": 5}}}})
    assert list(status.risk_register(bare).columns) == ["probability"]
    owned = _program(risks={"vendor": {"probability": 0.3, "owner": "Dana",
                                       "delay": {"epic": "a", "days": {"fixed": 5}}},
                            "leave": {"probability": 0.1,
                                      "delay": {"epic": "a", "days": {"fixed": 5}}}})
    register = status.risk_register(owned)
    assert list(register.columns) == ["probability", "owner"]
    assert register.loc["leave", "owner"] == "—"  # a dash where one row has nothing


def test_one_date_style_in_the_reports_sentences_and_tables() -> None:
    """'1 Mar 2027' in the status and summary, as the milestone table writes it."""
    import re

    from workbench.present import sentences, tables

    f = _forecast(_program(as_of="2027-01-18"), 0.6)
    text = " ".join([repr(status.StatusBlock(f)), *sentences.summary_sentences(f)])
    assert "1 Mar 2027" in text and "18 Jan 2027" in text
    assert not re.search(r"(January|February|March|April|June|July|August|September|October|"
                         r"November|December)", text)
    assert tables.milestone_display(f).loc["ga", "Target"] == "1 Mar 2027"
