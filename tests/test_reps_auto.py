"""Replications by precision (``--reps auto``): the figures reach the precision the rule
states, the stated error is honest (checked against queueing theory and a long fixed run),
and the same seed gives the same runs whatever the workers or executor."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from tests.helpers import SEVEN_DAYS, SMALL_PROGRAM_YAML, scenario
from workbench.app import cluster
from workbench.scenario.loader import load_scenario
from workbench.scenario.models import Scenario
from workbench.sim.forecast import ProgramForecast, quantile_interval
from workbench.sim.montecarlo import simulate
from workbench.sim.precision import AUTO, Precision

ITEMS = 30  # one person works 30 items of exponential effort (mean 1 day), one after another


def erlang_cdf(x: float, k: int = ITEMS) -> float:
    """P(sum of k exponentials of mean 1 <= x)."""
    term, total = math.exp(-x), 0.0
    for i in range(k):
        total += term
        term *= x / (i + 1)
    return 1.0 - total


def erlang_quantile(p: float) -> float:
    lo, hi = 0.0, 200.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if erlang_cdf(mid) < p else (lo, mid)
    return lo


def textbook() -> Scenario:
    """A single server working a backlog: the milestone lands at an Erlang(30) time."""
    return scenario(calendar=SEVEN_DAYS, teams={"desk": {"members": 1}},
                    epics={"e": {"team": "desk", "items": ITEMS,
                                 "effort_days": {"exponential": {"mean": 1.0}}}},
                    milestones={"m": {"epics": ["e"], "target": "2027-02-06"}})


def assert_precise(f: ProgramForecast, precision: Precision) -> None:
    assert f.precision is not None and f.precision["reached"]
    for m in f.milestones():
        assert m["p85_error_working_days"] <= precision.p85_working_days
        if m["chance_error"] is not None:
            assert 100 * m["chance_error"] <= precision.chance_points


@pytest.fixture(scope="module")
def program_auto() -> ProgramForecast:
    return simulate(load_scenario("scenarios/program.yaml"), AUTO, seed=1, workers=2)


def test_the_bundled_program_reaches_the_stated_precision(program_auto: ProgramForecast
                                                          ) -> None:
    p = Precision()
    assert_precise(program_auto, p)
    assert program_auto.reps % p.step == 0 and p.first <= program_auto.reps <= p.cap
    assert program_auto.to_dict()["precision"]["replications"] == program_auto.reps


def test_auto_runs_are_the_fixed_runs_of_the_same_seed(program_auto: ProgramForecast) -> None:
    """Batches change nothing: the first 400 runs of `auto` are `--reps 400`."""
    fixed = simulate(program_auto.scenario, 400, seed=1, workers=1)
    assert np.array_equal(program_auto.head(400).values, fixed.values, equal_nan=True)


def test_auto_does_not_run_far_more_than_the_precision_needs(program_auto: ProgramForecast
                                                             ) -> None:
    """A P85's error is shown in half working days, so predicting the need from the square of
    a shown shortfall overshot (6,400 runs for seed 1, where 2,500 were enough)."""
    p = Precision()
    enough = next(n for n in range(p.first, program_auto.reps + 1, p.step)
                  if p.shortfall(program_auto.head(n)) <= 1.0)
    assert program_auto.reps <= 1.5 * enough, (program_auto.reps, enough)


def test_a_textbook_queue_agrees_with_theory_and_a_long_run() -> None:
    s = textbook()
    auto = simulate(s, AUTO, seed=5, workers=1)
    assert_precise(auto, Precision())
    m = auto.milestones()[0]
    # theory: P85 of an Erlang(30) time, and the chance it is done by the end of the target day
    exact_p85 = erlang_quantile(0.85)
    lo, hi = quantile_interval(auto.column("milestone:m"), 85)
    assert lo - 1 <= exact_p85 <= hi + 1  # + 1: a date is a whole day
    exact_chance = erlang_cdf(s.day_of(s.milestones["m"].target) + 1)
    assert abs(m["chance_of_target"] - exact_chance) <= m["chance_error"] + 0.005
    # a long fixed run of another seed agrees within the stated errors
    long = simulate(s, 20_000, seed=99, workers=2).milestones()[0]
    assert abs(long["p85_days"] - m["p85_days"]) <= 2 * m["p85_error_working_days"] + 1
    assert abs(long["chance_of_target"] - m["chance_of_target"]) <= m["chance_error"] + 0.01


def test_a_stricter_rule_runs_more_and_a_cap_is_said() -> None:
    s = textbook()
    loose = simulate(s, AUTO, seed=1, precision=Precision(p85_working_days=3, chance_points=6))
    strict = simulate(s, AUTO, seed=1, precision=Precision(p85_working_days=1, chance_points=1))
    capped = simulate(s, AUTO, seed=1, precision=Precision(chance_points=0.1, cap=1000))
    assert loose.reps < strict.reps
    assert capped.reps == 1000 and capped.precision is not None
    assert not capped.precision["reached"]


def test_same_seed_same_auto_result_with_one_or_two_workers_and_on_dask() -> None:
    s = Scenario.model_validate(yaml.safe_load(SMALL_PROGRAM_YAML))
    one = simulate(s, AUTO, seed=4, workers=1)
    two = simulate(s, AUTO, seed=4, workers=2)
    with cluster.connect("local") as on:
        dask = simulate(s, AUTO, seed=4, workers=on.workers, executor=on.executor)
    for other in (two, dask):
        assert other.reps == one.reps
        assert np.array_equal(other.values, one.values, equal_nan=True)
        assert other.milestones() == one.milestones()
