"""Backtests: calibrated on a stationary team, no peeking at the future, and a drift reaction
that helps when the pace changes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.files.exports import History, HistoryError, history_from_frame
from workbench.history.backtest import Method, backtest, beside, own_method
from workbench.history.flow import Period

ALL = (Method("all history"),)


def synthetic(daily_counts: np.ndarray, first: str = "1950-01-02") -> History:
    """A history finishing `daily_counts[i]` items on day i."""
    days = pd.Timestamp(first) + pd.to_timedelta(
        np.repeat(np.arange(daily_counts.size), daily_counts), unit="D")
    return history_from_frame(pd.DataFrame({"finish": days.strftime("%Y-%m-%d")}), "synthetic")


@pytest.fixture(scope="module")
def stationary() -> History:
    # 80 years of a team finishing Poisson(1) items a day: 250 origins 117 days apart are
    # nearly independent, so coverage is measured to about +-2.3 points (one SD)
    return synthetic(np.random.default_rng(0).poisson(1.0, 29_200))


def test_stationary_team_when_forecasts_are_calibrated(stationary: History) -> None:
    result = backtest(stationary, items=100, period=Period("day"), origins=250, methods=ALL,
                      min_history_days=365)
    cov = result.coverage.loc["all history"]
    assert cov["cases"] == 250
    assert abs(cov["P85"] - 0.85) <= 0.04
    assert abs(cov["P50"] - 0.50) <= 0.05
    assert abs(cov["P95"] - 0.95) <= 0.04


def test_stationary_team_how_many_forecasts_are_calibrated(stationary: History) -> None:
    result = backtest(stationary, periods=100, period=Period("day"), origins=250, methods=ALL,
                      min_history_days=365)
    cov = result.coverage.loc["all history"]
    assert abs(cov["P85"] - 0.85) <= 0.04
    assert abs(cov["P50"] - 0.50) <= 0.05


def test_a_steady_team_is_forecast_exactly_and_always_comes_true() -> None:
    hist = synthetic(np.ones(400, dtype=np.int64))
    when = backtest(hist, items=5, period=Period("day"), origins=20, methods=ALL)
    assert set(when.cases["actual"]) == {5} and set(when.cases["p85"]) == {5.0}
    assert when.coverage.loc["all history", ["P50", "P85", "P95"]].tolist() == [1.0, 1.0, 1.0]
    many = backtest(hist, periods=7, period=Period("day"), origins=20, methods=ALL)
    assert set(many.cases["actual"]) == {7} and set(many.cases["p50"]) == {7.0}


def test_no_peeking_forecasts_use_only_data_before_the_origin() -> None:
    # one a day for 300 days, then five a day: early origins must not see the faster pace
    hist = synthetic(np.r_[np.ones(300, dtype=np.int64), np.full(300, 5)])
    result = backtest(hist, items=50, period=Period("day"), origins=60, methods=ALL)
    early = result.cases[result.cases["origin_day"] <= 250]
    assert len(early) > 10
    assert set(early["p50"]) == {50.0} and set(early["actual"]) == {50}


def test_a_drift_reaction_helps_when_the_team_slows_down() -> None:
    rng = np.random.default_rng(2)
    hist = synthetic(np.r_[rng.poisson(2.0, 3650), rng.poisson(1.0, 1460)])
    result = backtest(hist, items=40, period=Period("day"), origins=100)
    cov = result.coverage
    assert cov.loc["all history", "P85"] < 0.75  # over-optimistic after the slow-down
    assert cov.loc["last 90 days", "P85"] >= 0.78
    assert result.helps() == {"last 90 days": True, "recency-weighted (half-life 60 days)": True}
    assert result.best != "all history"
    assert "<- best" in result.describe()


def test_monte_carlo_backtest_agrees_with_exact() -> None:
    hist = synthetic(np.random.default_rng(5).poisson(3.0, 2000))
    args = {"items": 30, "period": Period("week"), "origins": 40, "methods": ALL}
    exact = backtest(hist, **args)
    mc = backtest(hist, exact=False, trials=4_000, seed=1, **args)
    diff = (exact.cases[["p50", "p85", "p95"]] - mc.cases[["p50", "p85", "p95"]]).abs()
    assert diff.to_numpy().max() <= 1  # a period at most, where a level sits on a step
    assert mc.mode == "monte carlo" and exact.mode == "exact"


def test_week_and_workday_periods_and_json() -> None:
    hist = synthetic(np.random.default_rng(9).poisson(2.0, 1500))
    for period in (Period("week"), Period("week", 2), Period("workday")):
        result = backtest(hist, items=20, period=period, origins=30)
        assert result.coverage["cases"].min() >= 25
    data = json.loads(json.dumps(result.to_dict()))
    assert data["origins"] == 30 and data["period"] == "workday"
    assert [r["method"] for r in data["coverage"]][0] == "all history"


def test_too_short_a_history_is_an_error_that_says_so() -> None:
    hist = synthetic(np.ones(50, dtype=np.int64))
    with pytest.raises(HistoryError, match="too short"):
        backtest(hist, items=40, period=Period("day"))
    with pytest.raises(ValueError, match="either items"):
        backtest(hist, items=4, periods=3)


def test_the_forecasts_own_sampling_is_scored_first_beside_the_others() -> None:
    assert [m.name for m in beside(own_method(90, None))] == [
        "last 90 days (this forecast)", "all history", "recency-weighted (half-life 60 days)"]
    ours = own_method(0, 30.0)
    assert (ours.name, ours.window_days, ours.half_life_days) == (
        "all history, half-life 30 days (this forecast)", None, 30.0)
    assert len(beside(ours)) == 4
