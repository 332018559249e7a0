"""Importing completed-work exports and the flow metrics computed from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.files import exports
from workbench.history import flow
from workbench.scenario.calendar import WorkCalendar

DATA = Path(__file__).resolve().parents[1] / "data" / "history"
JIRA = DATA / "rueedlinger_agile_project_jira.csv"
CHI2FIT = DATA / "chi2fit_team_resolved.csv"


def write(tmp_path: Path, text: str, name: str = "h.csv") -> Path:
    path = tmp_path / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def frame(finish: list[str], start: list[str] | None = None) -> exports.History:
    data = {"key": [f"K-{i}" for i in range(len(finish))], "finish": finish}
    if start is not None:
        data["start"] = start
    return exports.history_from_frame(pd.DataFrame(data))


# ---------------------------------------------------------------- the two real exports


@pytest.fixture(scope="module")
def jira() -> exports.History:
    return exports.load_history(JIRA)


def test_jira_file_rows_and_the_1662_rows_finished_before_created(jira: exports.History) -> None:
    assert jira.rows_read == 4123
    assert len(jira.items) == 4123 - 1662
    (problem,) = jira.problems
    assert (problem.kind, problem.count, problem.excluded) == ("finish_before_start", 1662, True)
    assert problem.examples[0] == ("line 2: id P0-T5052, created_date 2015-02-05, "
                                   "finished_date 2015-02-04")
    assert "1,662 left out" in jira.report() and "finish_before_start: 1,662" in jira.report()
    assert (jira.items["cycle_time_days"] >= 0).all()
    assert "P0-T5052" not in set(jira.items["key"])


def test_jira_columns_formats_and_cycle_times_match_the_files_own(jira: exports.History) -> None:
    assert dict(jira.columns) == {"key": "id", "start": "created_date",
                                  "finish": "finished_date", "project": "project"}
    assert set(jira.date_formats.values()) == {"%Y-%m-%d"}
    own = pd.read_csv(JIRA).set_index("id")["cycle_time_days"]
    ours = jira.items.set_index("key")["cycle_time_days"]
    assert (own.loc[ours.index] == ours).all()


def test_chi2fit_file_only_finish_times() -> None:
    hist = exports.load_history(CHI2FIT)
    assert (hist.rows_read, len(hist.items), hist.problems) == (879, 879, ())
    assert dict(hist.columns) == {"finish": "Resolved"}
    assert dict(hist.date_formats) == {"Resolved": "%d/%b/%y %H:%M"}
    assert hist.items["finish"].min() == pd.Timestamp("2018-06-06 12:04")
    assert hist.items["finish"].max() == pd.Timestamp("2019-05-13 13:03")
    assert hist.items["key"].iloc[0] == "line 2"
    with pytest.raises(exports.HistoryError, match="no start dates"):
        flow.cycle_time_percentiles(hist)


# ---------------------------------------------------------------- bad rows and columns


MESSY = """
Issue key,Issue Type,Created,Resolved,Story Points
A-1,Story,2024-01-01,2024-01-03,3
A-2,Bug,2024-01-02,2024-01-01,1
A-3,Story,2024-01-02,not a date,2
A-1,Story,2024-01-04,2024-01-05,5
A-5,Story,2024-01-03,,8
A-6,Story,,,
,Story,2024-01-02,2024-01-04,
A-8,Story,,2024-01-06,1
"""


def test_every_bad_row_is_counted_by_kind_and_nothing_vanishes(tmp_path: Path) -> None:
    hist = exports.load_history(write(tmp_path, MESSY))
    kinds = {p.kind: (p.count, p.excluded) for p in hist.problems}
    assert kinds == {"unparsable_date": (1, True), "missing_finish": (1, True),
                     "not_finished": (1, False), "finish_before_start": (1, True),
                     "duplicate_key": (1, True), "missing_key": (1, False),
                     "missing_start": (1, False)}
    assert list(hist.items["key"]) == ["A-1", "line 8", "A-8"]
    assert list(hist.open_items["key"]) == ["A-5"]
    assert hist.rows_read == len(hist.items) + len(hist.open_items) + hist.excluded
    dup = next(p for p in hist.problems if p.kind == "duplicate_key")
    assert dup.examples == ("line 5: Issue key A-1, Created 2024-01-04, Resolved 2024-01-05",)
    assert hist.items["points"].fillna(-1).tolist() == [3.0, -1.0, 1.0]
    assert np.isnan(hist.items.set_index("key").loc["A-8", "cycle_time_days"])


def test_a_missing_column_is_one_clear_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c\n1,2,3")
    with pytest.raises(exports.HistoryError) as err:
        exports.load_history(path, {"finish": "Resolved"})
    assert str(err.value) == (f"{path}: column 'Resolved' not found (columns found: a, b, c; "
                              f"map yours with --finish-column)")
    with pytest.raises(exports.HistoryError,
                       match=r"no finish-date column found .*columns found: a, "
                                             r"b, c; map yours with --finish-column"):
        exports.load_history(path)
    with pytest.raises(exports.HistoryError, match="unknown mapping role"):
        exports.load_history(path, {"finnish": "a"})
    with pytest.raises(exports.HistoryError, match="file not found"):
        exports.load_history(tmp_path / "nope.csv")


def test_date_formats_detected_given_or_refused_when_ambiguous(tmp_path: Path) -> None:
    jira_style = write(tmp_path, "Resolved\n13/May/19 1:03 PM\n02/Jan/19 9:15 AM")
    assert exports.load_history(jira_style).date_formats == {"Resolved": "%d/%b/%y %I:%M %p"}
    ambiguous = write(tmp_path, "Resolved\n01/02/2024\n03/04/2024", "amb.csv")
    with pytest.raises(exports.HistoryError, match="fit both '%d/%m/%Y' and '%m/%d/%Y'"):
        exports.load_history(ambiguous)
    us = exports.load_history(ambiguous, date_format="%m/%d/%Y")
    assert list(us.items["finish"].dt.month) == [1, 3]
    garbage = write(tmp_path, "Resolved\nsoon\nlater", "g.csv")
    with pytest.raises(exports.HistoryError, match="not understood .*--date-format"):
        exports.load_history(garbage)


# ---------------------------------------------------------------- throughput and calendars


def test_throughput_per_day_counts_zero_days() -> None:
    hist = frame(["2024-01-01", "2024-01-01", "2024-01-04"])
    tp = flow.throughput(hist, flow.Period("day"))
    assert list(tp) == [2, 0, 0, 1]
    assert tp.index[0] == pd.Timestamp("2024-01-01")


def test_throughput_per_week_ends_on_the_last_day_and_drops_a_partial_first_week() -> None:
    # 2024-01-01 .. 2024-01-17: 17 days = two whole weeks ending on the 17th + 3 days dropped
    hist = frame(["2024-01-01", "2024-01-04", "2024-01-05", "2024-01-11", "2024-01-17"])
    tp = flow.throughput(hist, flow.Period("week"))
    assert list(tp.index.date) == [dt.date(2024, 1, 4), dt.date(2024, 1, 11)]
    assert list(tp) == [2, 2]
    assert list(flow.throughput(hist, flow.Period("week", 2))) == [4]


def test_throughput_per_workday_moves_day_off_work_to_the_working_day_before() -> None:
    # Fri 2024-12-20, Sat 21, Sun 22, Wed 25 (US holiday), Thu 26
    hist = frame(["2024-12-20", "2024-12-21", "2024-12-22", "2024-12-25", "2024-12-26"])
    tp = flow.throughput(hist, flow.Period("workday"), WorkCalendar(country="US"))
    assert [d.isoformat() for d in tp.index.date] == [
        "2024-12-20", "2024-12-23", "2024-12-24", "2024-12-26"]
    assert list(tp) == [3, 0, 1, 1]
    assert int(tp.sum()) == 5  # nothing lost


def test_calendar_from_a_scenario_section() -> None:
    from workbench.scenario.models import Calendar

    cal = Calendar.model_validate({"workdays": ["mon", "tue"], "holidays": {"country": "DE"}})
    assert WorkCalendar.from_scenario(cal) == WorkCalendar((0, 1), "DE", None, ())


# ---------------------------------------------------------------- cycle time, CFD, WIP


def test_cycle_time_percentiles_on_a_hand_written_history() -> None:
    # cycle times 0..9 days: 50% are done within 4 days, 85% within 8, 95% within 9
    hist = frame([f"2024-01-{1 + i:02d}" for i in range(10)], ["2024-01-01"] * 10)
    assert list(flow.cycle_time_percentiles(hist, (50, 85, 95))) == [4.0, 8.0, 9.0]


STATES = """
key,todo,doing,review,done
A,2024-01-01,2024-01-02,2024-01-03,2024-01-05
B,2024-01-01,2024-01-03,,2024-01-04
C,2024-01-02,2024-01-04,,
D,2024-01-03,,,
"""


def test_cumulative_flow_with_state_columns(tmp_path: Path) -> None:
    hist = exports.load_history(write(tmp_path, STATES),
                          {"start": "todo", "finish": "done",
                           "states": ["todo", "doing", "review", "done"]})
    cfd = flow.cumulative_flow(hist)
    expected = {  # reached the state or a later one by the end of the day
        "2024-01-01": [2, 0, 0, 0],
        "2024-01-02": [3, 1, 0, 0],
        "2024-01-03": [4, 2, 1, 0],
        "2024-01-04": [4, 3, 2, 1],  # B skipped review: done counts as having passed it
        "2024-01-05": [4, 3, 2, 2],
    }
    assert {d.date().isoformat(): list(r) for d, r in cfd.iterrows()} == expected
    assert list(flow.cycle_times_between(hist, "doing", "done")) == [3.0, 1.0]


def test_cumulative_flow_without_states_uses_start_and_finish() -> None:
    hist = frame(["2024-01-03", "2024-01-03", ""], ["2024-01-01", "2024-01-02", "2024-01-02"])
    cfd = flow.cumulative_flow(hist)
    assert list(cfd.columns) == ["started", "finished"]
    assert cfd.to_numpy().tolist() == [[1, 0], [3, 0], [3, 2]]


TRANSITIONS = """
Issue key,To Status,Date
A,doing,2024-01-02 09:00
A,review,2024-01-03 10:00
A,doing,2024-01-03 15:00
A,done,2024-01-04 09:00
B,doing,2024-01-03 09:00
B,blocked,2024-01-04 09:00
Z,doing,2024-01-01 09:00
"""


def test_transition_log_gives_state_dates_cycle_times_and_ageing_state(tmp_path: Path) -> None:
    hist = exports.history_from_frame(pd.DataFrame({"key": ["A", "B"], "start": ["2024-01-01",
                                              "2024-01-02"], "finish": ["2024-01-04", ""]}))
    log = exports.load_transitions(write(tmp_path, TRANSITIONS))
    hist = exports.with_transitions(hist, log, ["doing", "review", "done"])
    assert hist.state_dates is not None
    assert hist.state_dates.loc["A", "doing"] == pd.Timestamp("2024-01-02 09:00")  # first entry
    assert list(flow.cycle_times_between(hist, "doing", "done")) == [2.0]  # 2nd 9:00 to 4th 9:00
    unused = next(p for p in hist.problems if p.kind == "unused_transition")
    assert (unused.count, unused.examples) == (2, ("B → blocked", "Z → doing"))
    wip = flow.ageing_wip(hist, as_of=dt.date(2024, 1, 5))
    assert wip.to_dict("records") == [{"key": "B", "start": pd.Timestamp("2024-01-02"),
                                       "age_days": 4.0, "older_than_pct": 100.0,
                                       "state": "doing"}]
    with pytest.raises(exports.HistoryError, match="line 2: needs a key"):
        exports.load_transitions(write(tmp_path, "key,state,at\nA,doing,never", "bad.csv"),
                           date_format="%Y-%m-%d")


def test_ageing_wip_as_of_a_past_date() -> None:
    hist = frame(["2024-01-03", "2024-01-10", "2024-01-05", ""],
                 ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-06"])
    wip = flow.ageing_wip(hist, as_of=dt.date(2024, 1, 6))
    # as of the end of Jan 6: K-1 (5 days old) and K-3 (1 day); finished: 2 and 1 days
    assert wip[["key", "age_days", "older_than_pct"]].to_numpy().tolist() == [
        ["K-1", 5.0, 100.0], ["K-3", 1.0, 0.0]]


# ---------------------------------------------------------------- stability and samples


def test_stability_flags_a_change_of_pace_but_not_a_steady_team() -> None:
    rng = np.random.default_rng(7)
    steady = flow.stability(rng.poisson(5, 60))
    changed = flow.stability(np.r_[rng.poisson(8, 30), rng.poisson(3, 30)])
    assert steady.stable and steady.time_difference < 0.25
    assert not changed.stable and changed.time_difference > 0.5
    assert changed.random_difference < 0.25  # random halves mix both paces
    assert "NOT stable" in changed.describe()


def test_cycle_time_samples_for_scenario_calibration(tmp_path: Path) -> None:
    all_days = exports.cycle_time_samples(JIRA)
    assert len(all_days) == 2461 and min(all_days) >= 0
    assert exports.cycle_time_samples(JIRA, column="cycle_time_days") == all_days
    recent = exports.cycle_time_samples(JIRA, window_days=365)
    assert 0 < len(recent) < 200
    with pytest.raises(exports.HistoryError, match="column 'nope' not found"):
        exports.cycle_time_samples(JIRA, column="nope")
    from workbench.scenario.distributions import Distribution
    from workbench.scenario.samples import read_samples

    d = Distribution.model_validate({"empirical": read_samples({"file": str(JIRA)}, DATA, [DATA])})
    assert len(d.params) == 2461


def test_ageing_wip_of_a_finish_only_export_is_empty_not_an_error() -> None:
    from workbench.files import exports
    from workbench.history import flow

    h = exports.load_history(DATA / "chi2fit_team_resolved.csv")
    assert flow.ageing_wip(h).empty
