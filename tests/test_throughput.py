"""Throughput forecasts against published references, exact mode against Monte Carlo, and
calendar dates per sampling period."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from workbench.files.exports import history_from_frame
from workbench.history import throughput as t
from workbench.history.flow import Period
from workbench.scenario.calendar import WorkCalendar

# chi2fit example (P. Rijken, Apache-2.0): throughput per 2-week iteration, backlog 100 items
CHI2FIT = [3, 3, 4, 4, 7, 5, 1, 11, 5, 6, 3, 6, 6, 5, 4, 10, 4, 5, 8, 2, 4, 12, 5]
CHI2FIT_LEVELS = (50, 84, 97.5, 99.85)
SPRINT = Period("week", 2)


def within_sampling_error(mc: t.ThroughputForecast, exact: t.ThroughputForecast,
                          trials: int) -> None:
    """Every point of the Monte Carlo CDF lies within 4.5 standard errors of the exact one
    (plus one trial's weight, the granularity of a sampled CDF)."""
    n = max(mc.pmf.size, exact.pmf.size)
    a = np.cumsum(np.pad(mc.pmf, (0, n - mc.pmf.size)))
    b = np.cumsum(np.pad(exact.pmf, (0, n - exact.pmf.size)))
    se = np.sqrt(np.maximum(b * (1 - b), 1e-12) / trials)
    assert np.all(np.abs(a - b) <= 4.5 * se + 1 / trials)
    assert abs(mc.mean - exact.mean) <= 4.5 * exact.sd / math.sqrt(trials)


# ---------------------------------------------------------------- published references


def test_chi2fit_exact_percentiles_mean_and_sd() -> None:
    f = t.forecast_when(100, t.Throughput.from_counts(CHI2FIT, SPRINT), exact=True,
                        levels=CHI2FIT_LEVELS)
    assert f.values == (19, 21, 24, 26)  # not the notebook's normal approximation 20/22/24/27
    assert (round(f.mean, 2), round(f.sd, 2)) == (19.23, 2.18)
    assert f.mode == "exact" and f.trials is None and f.not_done == 0.0
    assert 1 - f.pmf.sum() < t.LEFT  # what is not shown is below notice


def test_chi2fit_monte_carlo_agrees_within_sampling_error() -> None:
    tp = t.Throughput.from_counts(CHI2FIT, SPRINT)
    exact = t.forecast_when(100, tp, exact=True, levels=CHI2FIT_LEVELS)
    mc = t.forecast_when(100, tp, trials=100_000, seed=2024, levels=CHI2FIT_LEVELS)
    within_sampling_error(mc, exact, 100_000)
    assert mc.values == (19, 21, 24, 26)  # each level is > 4 standard errors from a step


def test_magennis_throughput_forecaster_default_case() -> None:
    # remaining uniform 20-25, split 1.0-1.5 (ceil), weekly throughput triangular 1/3/10
    tp = t.Throughput.triangular(1, 3, 10)
    common = {"split": (1.0, 1.5), "levels": (50, 85, 95)}
    exact = t.forecast_when((20, 25), tp, exact=True, **common)
    mc = t.forecast_when((20, 25), tp, trials=100_000, seed=7, **common)
    assert exact.values == (7, 8, 9) and mc.values == (7, 8, 9)
    within_sampling_error(mc, exact, 100_000)
    scope = t.scope_pmf((20, 25), (1.0, 1.5))
    assert round(float(scope @ np.arange(scope.size)), 1) == 28.6


def test_triangular_estimate_is_rounded_half_up_to_whole_items() -> None:
    tp = t.Throughput.triangular(1, 3, 10)
    p = tp.pmf()
    assert p.size == 11 and p[0] == 0
    assert p[1] == pytest.approx(0.5**2 / 18)       # X < 1.5, density 2(x-1)/18 up to 3
    assert p[10] == pytest.approx(0.5**2 / 63)      # X >= 9.5
    assert p.sum() == pytest.approx(1)
    assert tp.mean == pytest.approx(14 / 3, abs=0.01)


# ---------------------------------------------------------------- exact mode by hand


def test_exact_when_by_hand() -> None:
    tp = t.Throughput.from_counts([1, 2])  # one or two items a week, equally likely
    f = t.forecast_when(2, tp, exact=True, levels=(50, 75, 90))
    assert f.pmf.tolist() == [0.0, 0.5, 0.5]  # a 2 first: done in one week
    assert f.values == (1, 2, 2)


def test_exact_engine_matches_a_plain_full_convolution() -> None:
    rng = np.random.default_rng(3)
    tpmf = rng.random(7)
    tpmf[0] = 1.5  # many empty periods
    tpmf /= tpmf.sum()
    need = np.zeros(41)
    need[30:] = rng.random(11)
    need /= need.sum()
    pmf, not_done = t.when_exact(tpmf, need, 500)
    total, done = np.array([1.0]), [0.0]
    for _ in range(pmf.size - 1):  # no truncation, no skipping ahead
        total = np.convolve(total, tpmf)
        reach = np.cumsum(total[::-1])[::-1]  # reach[n] = P(total >= n)
        done.append(float(sum(need[n] * reach[n] for n in range(30, 41) if n < reach.size)))
    assert np.abs(pmf - np.diff(done, prepend=0.0)).max() < 1e-12
    assert not_done == 0.0 and 1 - pmf.sum() < t.LEFT


def test_exact_how_many_by_hand_reads_the_other_way() -> None:
    tp = t.Throughput.from_counts([0, 1])
    f = t.forecast_how_many(None, tp, periods=2, exact=True, levels=(25, 50, 85))
    assert f.pmf.tolist() == [0.25, 0.5, 0.25]
    assert f.values == (2, 1, 0)  # P(>=2) = 25%, P(>=1) = 75%: at 85% only 0 is sure


def test_how_many_monte_carlo_agrees_and_long_horizons_use_the_fft_path() -> None:
    tp = t.Throughput.from_counts(CHI2FIT, SPRINT)
    exact = t.forecast_how_many(None, tp, periods=10, exact=True)
    mc = t.forecast_how_many(None, tp, periods=10, trials=50_000, seed=3)
    within_sampling_error(mc, exact, 50_000)
    assert exact.values[0] >= exact.values[-1]
    direct = t.how_many_exact(tp.pmf(), 300)
    by_fft = t.how_many_exact(tp.pmf(), 1500)
    assert direct @ np.arange(direct.size) == pytest.approx(300 * tp.mean)
    assert by_fft @ np.arange(by_fft.size) == pytest.approx(1500 * tp.mean)
    assert by_fft.sum() == pytest.approx(1) and by_fft.min() >= 0


def test_ranges_risks_and_focus_exact_equals_monte_carlo() -> None:
    tp = t.Throughput.from_counts([0, 2, 3, 3, 5, 8])
    risks = [t.ScopeRisk(0.3, 5, 10), t.ScopeRisk(0.5, 2)]
    args = {"split": (1.0, 1.3), "risks": risks, "focus": 0.7}
    exact = t.forecast_when((30, 40), tp, exact=True, **args)
    mc = t.forecast_when((30, 40), tp, trials=50_000, seed=11, **args)
    within_sampling_error(mc, exact, 50_000)


def test_focus_stretches_time_exactly() -> None:
    steady = t.Throughput.from_counts([2])
    for exact in (True, False):
        f = t.forecast_when(10, steady, focus=0.5, exact=exact, trials=100, seed=1)
        assert set(f.values) == {10}  # 10 items at 1 a week
        g = t.forecast_how_many(None, steady, periods=5, focus=0.7, exact=exact, trials=100)
        assert set(g.values) == {7}   # floor(0.7 x 10)


def test_a_risk_that_always_fires_adds_its_items() -> None:
    scope = t.scope_pmf(10, risks=[t.ScopeRisk(1.0, 5)])
    assert scope.tolist() == [0.0] * 15 + [1.0]


# ---------------------------------------------------------------- seeds and limits


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    tp = t.Throughput.from_counts(CHI2FIT, SPRINT)
    a = t.forecast_when((80, 120), tp, trials=5_000, seed=42)
    b = t.forecast_when((80, 120), tp, trials=5_000, seed=42)
    c = t.forecast_when((80, 120), tp, trials=5_000, seed=43)
    assert np.array_equal(a.pmf, b.pmf) and a.seed == 42
    assert not np.array_equal(a.pmf, c.pmf)


def test_work_that_cannot_finish_in_the_horizon_is_reported_not_waited_for() -> None:
    tp = t.Throughput.from_counts([0] * 99 + [1])
    for exact in (True, False):
        f = t.forecast_when(50, tp, max_periods=200, exact=exact, trials=2_000, seed=1)
        assert f.not_done > 0.99 and f.values[-1] is None


def test_bad_inputs_name_the_argument() -> None:
    tp = t.Throughput.from_counts([1, 2])
    with pytest.raises(ValueError, match="remaining"):
        t.forecast_when((5, 2), tp)
    with pytest.raises(ValueError, match="focus"):
        t.forecast_when(5, tp, focus=0)
    with pytest.raises(ValueError, match="split"):
        t.forecast_when(5, tp, split=(1.5, 1.0))
    with pytest.raises(ValueError, match="never finishes anything"):
        t.Throughput.from_counts([0, 0, 0])
    with pytest.raises(ValueError, match="whole, non-negative"):
        t.Throughput.from_counts([1.5, 2])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="probability"):
        t.ScopeRisk(1.5, 3)


# ---------------------------------------------------------------- periods and dates


def test_dates_per_period_kind_skip_weekends_and_holidays() -> None:
    monday = dt.date(2024, 12, 23)
    us = WorkCalendar(country="US")
    days = t.period_end_dates(monday, np.array([1, 3, 7]), Period("day"), us)
    assert days.astype(str).tolist() == ["2024-12-23", "2024-12-25", "2024-12-29"]
    work = t.period_end_dates(monday, np.array([1, 2, 3, 7]), Period("workday"), us)
    assert work.astype(str).tolist() == ["2024-12-23", "2024-12-24", "2024-12-26",
                                         "2025-01-02"]  # Christmas and New Year off
    weeks = t.period_end_dates(monday, np.array([1, 2]), Period("week"), us)
    assert weeks.astype(str).tolist() == ["2024-12-27", "2025-01-03"]  # last working day
    assert t.periods_until(monday, dt.date(2025, 1, 3), Period("workday"), us) == 8
    assert t.periods_until(monday, dt.date(2025, 1, 5), Period("week"), us) == 2
    assert t.periods_until(monday, dt.date(2025, 1, 5), Period("day"), us) == 14


def history_of(daily: list[int], first: str = "2024-01-01") -> pd.DataFrame:
    days = pd.Timestamp(first) + pd.to_timedelta(np.repeat(np.arange(len(daily)), daily), "D")
    return pd.DataFrame({"finish": days.strftime("%Y-%m-%d")})


def test_forecast_from_history_says_what_it_sampled_and_starts_the_next_day() -> None:
    hist = history_from_frame(history_of([1, 0, 2, 0, 0, 3, 1] * 4), "team.csv")
    sample = t.throughput_from_history(hist, Period("day"), window_days=14)
    assert sample.values.tolist() == [1, 0, 2, 0, 0, 3, 1] * 2
    assert sample.last_day == dt.date(2024, 1, 28)
    assert "team.csv: 14 days 2024-01-15 to 2024-01-28, 14 items" in sample.source
    f = t.forecast_when(5, sample, exact=True, levels=(50,))
    assert f.start == dt.date(2024, 1, 29)
    # 5 items take 5..7 days; P50 is 5 days -> the 5th calendar day
    assert f.values == (5,) and f.dates == (dt.date(2024, 2, 2),)
    weekly = t.throughput_from_history(hist, Period("week"))
    assert weekly.values.tolist() == [7, 7, 7, 7]


def test_recency_weights_halve_with_age() -> None:
    hist = history_from_frame(history_of([1, 2, 3, 4]))
    sample = t.throughput_from_history(hist, Period("day"), half_life_days=1)
    assert sample.weights is not None
    assert (sample.weights / sample.weights[-1]).tolist() == [0.125, 0.25, 0.5, 1.0]


def test_how_many_by_a_date_counts_whole_periods() -> None:
    hist = history_from_frame(history_of([1, 1, 1, 1, 1, 0, 0] * 4))  # one a working day
    weekly = t.throughput_from_history(hist, Period("week"))
    assert weekly.last_day == dt.date(2024, 1, 26)  # data ends on the last finish, a Friday
    f = t.forecast_how_many(dt.date(2024, 2, 15), weekly, exact=True)  # 20 days: 2 weeks
    assert f.start == dt.date(2024, 1, 27) and f.periods == 2 and set(f.values) == {10}
    daily = t.throughput_from_history(hist, Period("workday"))
    g = t.forecast_how_many(dt.date(2024, 2, 2), daily, exact=True)  # Sat 27th .. Fri 2nd
    assert daily.values.tolist() == [1] * 20
    assert g.periods == 5 and set(g.values) == {5}
