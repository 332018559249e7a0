"""Calibrating the simulation from history: the SimPy road and the throughput road on the same
work, from the same file (data/history/rueedlinger_agile_project_jira.csv).

The simulated team (scenarios/calibrated_from_history.yaml) works each item for a cycle time
drawn from the file, on a 7-day calendar at full focus, with one "member" per item in progress;
it has as many members as the file's average work in progress (Little's law: L = lambda * W).
What should agree, and is asserted below:

- the long-run pace: once the team is in flow, the simulation finishes items at the file's
  average weekly throughput, which is what the throughput road resamples. Little's law makes
  this hold in expectation; the tolerance is the sampling error of the replications.

What should not, and why (asserted as well, so the explanation stays true):

- the start: a team that starts on an empty board finishes its short items first (the long ones
  have not built up yet), so the simulation is well ahead of the throughput road in the first
  months. The throughput road samples weeks of a team that already carries old, long items.
- "all N done": the simulation waits for every one of the N items, so one of the file's
  year-long items decides the date; the throughput road counts any N finished items. See
  docs/howto-history.md.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from workbench.files.exports import cycle_time_samples, load_history
from workbench.history.throughput import forecast_how_many, throughput_from_history
from workbench.scenario.loader import load_scenario
from workbench.sim.forecast import ProgramForecast
from workbench.sim.montecarlo import simulate

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "calibrated_from_history.yaml"
JIRA = ROOT / "data" / "history" / "rueedlinger_agile_project_jira.csv"
REPS, SEED = 30, 11
WEEK_A, WEEK_B = 52, 104  # the pace is compared over the second year (weeks 53..104)


@pytest.fixture(scope="module")
def long_run() -> ProgramForecast:
    """The bundled scenario with enough items that the team is still busy in week 104."""
    scenario = load_scenario(SCENARIO, ["epics.backlog.items=1200", "horizon_days=760"])
    return simulate(scenario, reps=REPS, seed=SEED, workers=1)


def test_scenario_validates_with_the_file_relative_to_itself(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)  # the path in the scenario is relative to the scenario's folder
    scenario = load_scenario(SCENARIO)
    effort = scenario.epics["backlog"].effort_days
    assert effort.kind == "empirical"
    samples = cycle_time_samples(JIRA)
    assert len(effort.params) == len(samples) == 2461  # the 1,662 bad rows stay out
    assert sorted(effort.params) == sorted(samples)
    assert math.isclose(effort.mean, 16.888663, rel_tol=1e-6)


def test_team_size_is_the_files_average_work_in_progress() -> None:
    history = load_history(JIRA)
    finish = history.items["finish"]
    days = (finish.max() - finish.min()).days + 1
    wip = len(history.items) / days * history.items["cycle_time_days"].mean()  # L = lambda W
    assert round(wip) == load_scenario(SCENARIO).teams["delivery"].members == 18


def test_scenario_runs_and_finishes_within_its_horizon() -> None:
    forecast = simulate(load_scenario(SCENARIO), reps=12, seed=SEED, workers=1)
    (done,) = forecast.milestones()
    assert done["name"] == "backlog-done" and done["p50"] is not None
    assert done["unfinished_share"] <= 0.25
    assert np.asarray(forecast.burnup)[:, -1].max() == 400


def test_long_run_pace_matches_the_throughput_road(long_run: ProgramForecast) -> None:
    burn = np.asarray(long_run.burnup, dtype=float)
    assert burn.shape[1] >= WEEK_B
    per_week = (burn[:, WEEK_B - 1] - burn[:, WEEK_A - 1]) / (WEEK_B - WEEK_A)
    error = per_week.std(ddof=1) / math.sqrt(REPS)  # standard error of the mean pace
    sample = throughput_from_history(load_history(JIRA))  # all history, weekly: what it resamples
    assert error < 0.06 * sample.mean  # the comparison is sharp enough to mean something
    assert abs(per_week.mean() - sample.mean) <= 3.5 * error, (per_week.mean(), sample.mean)
    # the same in the throughput road's own terms: items done in 52 weeks, exact convolution
    road = forecast_how_many(None, sample, periods=WEEK_B - WEEK_A, start=sample.last_day,
                             exact=True, levels=(50,))
    simulated = burn[:, WEEK_B - 1] - burn[:, WEEK_A - 1]
    lo, hi = np.percentile(simulated, [15, 85])
    assert lo <= road.values[0] <= hi


def test_a_fresh_start_is_ahead_of_the_throughput_road_at_first(long_run: ProgramForecast) -> None:
    sample = throughput_from_history(load_history(JIRA))
    weeks = 13
    road = forecast_how_many(None, sample, periods=weeks, start=sample.last_day, exact=True,
                             levels=(50, 95))
    first_quarter = np.asarray(long_run.burnup)[:, weeks - 1]
    # short items first: even the slowest simulated start beats the road's median
    assert first_quarter.min() > road.values[0]
    assert np.median(first_quarter) > 1.3 * road.values[0]
