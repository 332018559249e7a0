"""Self-calibrated forecasts on synthetic teams with known behaviour: a stationary team (raw and
calibrated both near 85% at P85), a team whose throughput halves midway (raw far below, the
calibrated within 10 points), and no peeking (a change planted in the future leaves every
earlier forecast as it was). Plus: the vectorised replay equals the per-origin one, levels stay
in order, too little history stays raw and says so, and every forecast states its method and
its measured coverage, the backtest's figure, in the CLI text, JSON and the report."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from workbench.app import history_commands
from workbench.files.exports import History, history_from_frame
from workbench.history import calibration as cal
from workbench.history.answer import Target, answer, calibrated
from workbench.history.backtest import Method, backtest, own_method
from workbench.history.flow import Period
from workbench.history.throughput import (
    forecast_how_many,
    forecast_when,
    how_many_exact,
    throughput_from_history,
    when_exact,
)
from workbench.history.timeline import Timeline
from workbench.reports import history_report
from workbench.scenario.calendar import WorkCalendar

ALL = Method("all history")
WEEK, DAY = Period("week"), Period("day")


def synthetic(daily: np.ndarray, first: str = "2010-01-04") -> History:
    """A history finishing `daily[i]` items on day i."""
    days = pd.Timestamp(first) + pd.to_timedelta(np.repeat(np.arange(daily.size), daily),
                                                 unit="D")
    return history_from_frame(pd.DataFrame({"finish": days.strftime("%Y-%m-%d")}), "synthetic")


def later_half(h: History, period: Period, origins: int, **question: int) -> pd.DataFrame:
    """Raw (all history) and calibrated coverage over the later half of `h`."""
    span = int((h.items["finish"].max() - h.items["finish"].min()).days)
    result = backtest(h, period=period, origins=origins, methods=(ALL,), calibrate=ALL,
                      min_history_days=span // 2, **question)
    assert result.calibrated is not None and result.coverage["cases"].min() == origins
    return result.coverage.rename(index={result.calibrated: "calibrated"})


@pytest.fixture(scope="module")
def stationary() -> History:
    # 16 years of Poisson(2) a day: 200 origins over the later 8 years score P85 to ~3 points
    return synthetic(np.random.default_rng(0).poisson(2.0, 16 * 365))


@pytest.fixture(scope="module")
def halving() -> History:
    rng = np.random.default_rng(0)
    return synthetic(np.r_[rng.poisson(3.0, 4 * 365), rng.poisson(1.5, 4 * 365)])


def test_a_stationary_team_is_near_85_both_ways(stationary: History) -> None:
    many = later_half(stationary, WEEK, 200, periods=4)
    assert abs(many.loc["all history", "P85"] - 0.85) <= 0.05
    assert abs(many.loc["calibrated", "P85"] - 0.85) <= 0.05
    when = later_half(stationary, DAY, 200, items=25)
    assert abs(when.loc["calibrated", "P85"] - 0.85) <= 0.05
    # a raw P85 in whole days is the first day with 85% done: it rounds up, so it comes true
    # a little more often than 85% (a day is about 10 points of chance here)
    assert 0.85 <= when.loc["all history", "P85"] <= 0.97
    assert when.loc["calibrated", "calibration_error"] <= 3


def test_when_throughput_halves_raw_falls_far_and_calibrated_stays_close(halving: History
                                                                         ) -> None:
    for question in ({"items": 25}, {"periods": 4}):
        cov = later_half(halving, WEEK, 100, **question)
        assert cov.loc["all history", "P85"] < 0.6, question  # over-optimistic after the drop
        assert abs(cov.loc["calibrated", "P85"] - 0.85) <= 0.10, question


def test_a_planted_future_change_leaves_earlier_forecasts_unchanged(halving: History) -> None:
    # the same history, except that from day 2000 on the team finishes three times as much
    daily = np.bincount((halving.items["finish"].dt.normalize() - pd.Timestamp("2010-01-04"))
                        .dt.days.to_numpy())
    planted = synthetic(np.r_[daily[:2000], daily[2000:] * 3])
    # "how many in 4 weeks" has the same origins in both (they depend on the span only)
    args = {"periods": 4, "period": WEEK, "origins": 60, "methods": (ALL,), "calibrate": ALL}
    before, after = backtest(halving, **args), backtest(planted, **args)
    early = before.cases["origin_day"] < 2000
    forecast = ["origin", "method", "p50", "p85", "p95", "read_p50", "read_p85", "read_p95"]
    assert early.sum() > 60  # both methods, most origins
    pd.testing.assert_frame_equal(before.cases.loc[early, forecast],
                                  after.cases.loc[early, forecast])
    assert not before.cases.loc[~early, forecast].equals(after.cases.loc[~early, forecast])
    # "when": the replayed past whose outcome was known before day 2000 is the same, and so is
    # a forecast made before then from the whole file
    lines = [Timeline.of(h, WEEK, WorkCalendar()) for h in (halving, planted)]
    past = [cal.past_cases(line, ALL, 25, True) for line in lines]
    known = [c.known < 2000 for c in past]
    assert np.array_equal(past[0].u[known[0]], past[1].u[known[1]]) and known[0].sum() > 1500
    for offset in (900, 1500, 1999):
        day = dt.date(2010, 1, 3) + dt.timedelta(days=offset)  # data up to day offset - 1
        made = [calibrated(h, forecast_when(25, throughput_from_history(h, WEEK, as_of=day),
                                            exact=True), Target(items=25), ALL, day, WEEK,
                           WorkCalendar()) for h in (halving, planted)]
        assert made[0].method == "calibrated" and made[0].values == made[1].values
        assert made[0].dates == made[1].dates and made[0].read_at == made[1].read_at


@pytest.mark.parametrize("period", [WEEK, Period("week", 2), DAY])
@pytest.mark.parametrize("method", [Method("w", window_days=90), Method("h", half_life_days=60),
                                    ALL])
def test_the_vectorised_replay_is_the_per_origin_forecast(period: Period, method: Method,
                                                          halving: History) -> None:
    line = Timeline.of(halving, period, WorkCalendar())
    when = cal.past_cases(line, method, 20, True)
    many = cal.past_cases(line, method, 3, False)
    for cases in (when, many):
        for i in range(0, len(cases), 97):
            day = int(cases.origin[i])
            pmf = line.train(day, method).pmf()
            if cases.when:
                need = np.zeros(21)
                need[20] = 1.0
                cdf = np.r_[np.cumsum(when_exact(pmf, need, 400)[0]), np.ones(400)]
                k = line.actual(day, 20, True)  # u is read to the day inside period k
                assert cdf[k - 1] - 1e-9 <= cases.u[i] <= cdf[k] + 1e-9
            else:
                dist = how_many_exact(pmf, 3)
                assert abs(dist[line.actual(day, 3, False) + 1:].sum() - cases.u[i]) < 1e-9


def test_calibrated_levels_stay_in_order_and_in_range(halving: History) -> None:
    line = Timeline.of(halving, WEEK, WorkCalendar())
    cases = cal.past_cases(line, ALL, 25, True)
    levels = cal.calibrated_levels(cases, np.arange(200, line.last + 2),
                                   [0.95, 0.5, 0.85])  # any order of levels
    known = levels[~np.isnan(levels).any(axis=1)]
    assert len(known) > 2000
    assert (known[:, 1] <= known[:, 2]).all() and (known[:, 2] <= known[:, 0]).all()
    assert known.min() >= cal.LEVEL_FLOOR and known.max() <= cal.LEVEL_CAP


def test_too_little_history_stays_raw_and_says_so() -> None:
    h = synthetic(np.random.default_rng(3).poisson(2.0, 150))
    sample = throughput_from_history(h, WEEK)
    raw = forecast_when(20, sample, trials=500, seed=1)
    said = answer(h, raw, target=Target(items=20), sampling=own_method(90, None, True),
                  as_of=sample.last_day or dt.date.today(), period=WEEK,
                  calendar=WorkCalendar(), origins=20)
    f = said.forecast
    assert f.method == "raw" and f.values == raw.values
    assert re.search(r"raw: too little history to calibrate \(\d+ past forecasts with a known "
                     r"outcome, 60 needed\)", f.note)


def test_working_days_are_the_only_unsupported_period() -> None:
    h = synthetic(np.random.default_rng(3).poisson(2.0, 800))
    workday = Period("workday")
    raw = forecast_how_many(None, throughput_from_history(h, workday), periods=10,
                            trials=500, seed=1)
    f = calibrated(h, raw, Target(periods=10), ALL, h.items["finish"].max().date(), workday,
                   WorkCalendar())
    assert f.method == "raw" and "use --period week or day" in f.note
    assert backtest(h, periods=10, period=workday, origins=5, calibrate=ALL).calibrated is None


# --- one answer everywhere -----------------------------------------------------------------------

def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="workbench")
    history_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.run(args))


@pytest.fixture(scope="module")
def team_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    rng = np.random.default_rng(11)
    daily = np.r_[rng.poisson(3.0, 500), rng.poisson(1.5, 400)]
    days = pd.Timestamp("2022-01-03") + pd.to_timedelta(np.repeat(np.arange(900), daily), "D")
    path = tmp_path_factory.mktemp("team") / "team.csv"
    pd.DataFrame({"Resolved": days.strftime("%Y-%m-%d")}).to_csv(path, index=False)
    return str(path)


def test_every_forecast_states_its_method_and_measured_coverage(
        team_file: str, capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    assert run("backtest", team_file, "--items", "30", "--format", "json") == 0
    bt = json.loads(capsys.readouterr().out)["backtest"]
    row = next(r for r in bt["coverage"] if r["method"] == bt["calibrated"])
    assert run("forecast", team_file, "--items", "30", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    fc = data["forecast"]
    assert fc["method"] == "calibrated" and fc["sampling"] == "last 90 days"
    p85 = next(p for p in fc["percentiles"] if p["confidence"] == 85)
    assert (p85["came_true"], p85["cases"]) == (row["P85"], row["cases"])  # one answer
    assert p85["read_at"] != 85
    said = f"came true {round(100 * row['P85'])}% of the time, {row['cases']} cases"
    assert data["statements"]["coverage"][2] == ("P85 from a calibrated method; on this "
                                                 "team's past such P85s " + said)
    assert run("forecast", team_file, "--items", "30") == 0
    text = capsys.readouterr().out
    assert "Percentiles: calibrated: last 90 days sampled" in text and said in text
    r = history_report.prepare(team_file, items=30, trials=10_000, seed=0)
    assert r.forecast.values == tuple(p["periods"] for p in fc["percentiles"])
    assert said in history_report.summary_sentences(r)[0]
    assert "Raw, before calibration" in history_report.backtest_sentence(r)
    shown = history_report.backtest_display(r)
    assert list(shown.index[:2]) == [bt["calibrated"], own_method(90, None, True).name]


def test_a_raw_forecast_states_its_own_coverage_too(team_file: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run("forecast", team_file, "--by", "2024-08-31", "--method", "raw", "--format",
               "json") == 0
    data = json.loads(capsys.readouterr().out)
    fc = data["forecast"]
    assert fc["method"] == "raw" and fc["note"] == "raw: asked for (--method raw)"
    assert all(p["cases"] > 0 and p["read_at"] == p["confidence"] for p in fc["percentiles"])
    assert data["statements"]["coverage"][2].startswith("P85 from the raw method (last 90 "
                                                        "days); on this team's past such P85s")
    assert run("forecast", team_file, "--items-range", "20", "30", "--format", "json") == 0
    fc = json.loads(capsys.readouterr().out)["forecast"]
    assert fc["method"] == "raw" and "fixed number of items" in fc["note"]


def test_the_forecast_dataclass_keeps_its_old_defaults() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(forecast_when(
        3, throughput_from_history(synthetic(np.ones(100, dtype=np.int64)), DAY), exact=True))}
    assert (fields["method"], fields["read_at"], fields["coverage"]) == ("raw", None, None)


def test_the_raw_method_is_chosen_when_it_was_better_calibrated_on_the_past(
        capsys: pytest.CaptureFixture[str]) -> None:
    # Jira project 1, "the next 100 items" as of its last busy day: a 15-week question on a
    # team whose pace turned; the calibration's outcomes come due too late to follow
    jira = str(__import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "history"
               / "rueedlinger_agile_project_jira.csv")
    argv = ("--items", "100", "--where", "project=1", "--as-of", "2018-03-31")
    assert run("forecast", jira, *argv, "--format", "json", "--trials", "2000") == 0
    fc = json.loads(capsys.readouterr().out)["forecast"]
    assert fc["method"] == "raw"
    assert fc["note"].startswith("raw: on this team's past the raw method was better "
                                 "calibrated for this question")
    assert run("backtest", jira, *argv) == 0
    out = capsys.readouterr().out
    assert "last 90 days (this forecast)" in out and "calibrated last 90 days  " in out
    assert "so this forecast is raw: on this team's past the raw method" in out


def test_the_calibration_error_is_over_p50_p85_p95_whatever_the_table_shows(
        halving: History) -> None:
    args = {"items": 25, "origins": 30, "methods": (ALL,), "calibrate": ALL}
    three = backtest(halving, **args).coverage
    four = backtest(halving, levels=(50, 70, 85, 95), **args).coverage
    assert four["calibration_error"].tolist() == three["calibration_error"].tolist()
    assert four["P85"].tolist() == three["P85"].tolist() and "P70" in four
