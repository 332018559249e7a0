"""The flow engine configured as a textbook queue reproduces queueing theory
(reference-cases.md Q1-Q3): the exact value must lie in the 99% confidence interval of the mean
across replications, or within 3%, whichever is wider. 6 replications of 10,000 days each,
warm-up 200 days."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import queue
from workbench.sim.forecast import mean_ci
from workbench.sim.montecarlo import simulate

REPS = 6


def erlang_c(lam: float, mu: float, c: int) -> float:
    a, rho = lam / mu, lam / (c * mu)
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def assert_matches(values: np.ndarray, exact: float) -> None:
    mean, lo, hi = mean_ci(values, 0.99)
    assert lo <= exact <= hi or math.isclose(mean, exact, rel_tol=0.03), (
        f"exact {exact} outside 99% CI [{lo:.4f}, {hi:.4f}] (mean {mean:.4f}) and not within 3%")


def overall(forecast, figure: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    return forecast.column(f"flow:overall:{figure}")


@pytest.fixture(scope="module")
def mm1():  # type: ignore[no-untyped-def]
    return simulate(queue(3, 1 / 5, 1), reps=REPS, seed=11, workers=2)


@pytest.fixture(scope="module")
def mm2():  # type: ignore[no-untyped-def]
    return simulate(queue(1.5, 1.0, 2), reps=REPS, seed=12, workers=2)


@pytest.fixture(scope="module")
def mm1k():  # type: ignore[no-untyped-def]
    return simulate(queue(0.9, 1.0, 1, wip_limit=5), reps=REPS, seed=13, workers=2)


def test_q1_mm1(mm1) -> None:  # type: ignore[no-untyped-def]
    assert_matches(overall(mm1, "wait_days"), 3 / 10)
    assert_matches(overall(mm1, "time_in_system_days"), 1 / 2)
    assert_matches(overall(mm1, "wip"), 3 / 2)
    assert_matches(overall(mm1, "utilisation"), 3 / 5)
    # Lq = L - rho
    assert_matches(overall(mm1, "wip") - overall(mm1, "utilisation"), 9 / 10)


def test_q2_mm2(mm2) -> None:  # type: ignore[no-untyped-def]
    assert erlang_c(1.5, 1.0, 2) == pytest.approx(9 / 14)
    assert_matches(overall(mm2, "wait_days"), 9 / 7)
    assert_matches(overall(mm2, "time_in_system_days"), 16 / 7)
    assert_matches(overall(mm2, "wip"), 24 / 7)


def test_q3_mm1k(mm1k) -> None:  # type: ignore[no-untyped-def]
    assert_matches(overall(mm1k, "turned_away_share"), 0.126023)
    assert_matches(overall(mm1k, "throughput_per_day"), 0.786580)
    assert_matches(overall(mm1k, "wait_days"), 1.790286)


def test_a_wrong_reference_fails(mm1) -> None:  # type: ignore[no-untyped-def]
    """The check above can fail: M/M/1 with the wrong service rate is rejected."""
    with pytest.raises(AssertionError):
        assert_matches(overall(mm1, "time_in_system_days"), 1 / (5 - 2.5))
