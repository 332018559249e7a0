"""Throughput-forecast benchmarks (issue: forecasting from history). Prints ratios measured in
one run, as `name: ratio (target)` lines:

- a 100,000-trial "when" forecast vs a bare vectorised NumPy loop doing the same sampling
  (draw a throughput per trial and period, cumulative sum, first period reaching the backlog,
  percentiles) with the period count set to exactly what was needed (target <= 2x);
- exact mode vs 100,000 trials (target >= 100x faster);
- a backtest over 100 origins of the shared Jira file vs 100 forecasts made at the same
  origins (target about 1x), exact and Monte Carlo.

The two sides of each ratio run alternately and each keeps its best time, so a busy machine
slows both alike.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _common import best_of  # benchmarks/ is on sys.path when run as a script

from workbench.files.exports import load_history
from workbench.history.backtest import Method, backtest
from workbench.history.flow import Period
from workbench.history.throughput import Throughput, forecast_when, throughput_from_history

ROOT = Path(__file__).resolve().parent.parent
JIRA = ROOT / "data" / "history" / "rueedlinger_agile_project_jira.csv"
CHI2FIT = [3, 3, 4, 4, 7, 5, 1, 11, 5, 6, 3, 6, 6, 5, 4, 10, 4, 5, 8, 2, 4, 12, 5]
TRIALS = 100_000


def ratio(ours: Callable[[], object], base: Callable[[], object], repeat: int = 7) -> float:
    """Best time of `ours` over best time of `base`, run alternately so that a busy machine
    slows both alike."""
    a, b = [], []
    for _ in range(repeat):
        a.append(best_of(ours, 1))
        b.append(best_of(base, 1))
    return min(a) / min(b)


def bare_when(sample: np.ndarray, items: int, periods: int, seed: int = 1) -> np.ndarray:
    """The plainest vectorised Monte Carlo: all trials x all periods in one array."""
    rng = np.random.default_rng(seed)
    draws = sample[rng.integers(0, sample.size, size=(TRIALS, periods))]
    done = np.cumsum(draws, axis=1) >= items
    needed = done.argmax(axis=1) + 1
    return np.percentile(needed, [50, 70, 85, 95], method="inverted_cdf")


def when_vs_bare(sample: Throughput, items: int) -> float:
    forecast = forecast_when(items, sample, trials=TRIALS, seed=1)
    periods = forecast.pmf.size - 1  # the bare loop is told the horizon it needs
    values = np.asarray(sample.values)
    return ratio(lambda: forecast_when(items, sample, trials=TRIALS, seed=1),
                 lambda: bare_when(values, items, periods))


def exact_speedup(sample: Throughput, items: int) -> float:
    def exact_ten_times() -> None:  # one exact run is too short to time alone
        for _ in range(10):
            forecast_when(items, sample, exact=True)

    return 10 * ratio(lambda: forecast_when(items, sample, trials=TRIALS, seed=1),
                      exact_ten_times, repeat=15)


def backtest_vs_forecasts(exact: bool) -> float:
    history = load_history(JIRA)
    period, items, method = Period("week"), 30, (Method("all history"),)
    kwargs = {"exact": exact, "trials": 10_000, "seed": 1}
    result = backtest(history, items=items, period=period, origins=100, methods=method, **kwargs)
    as_of = [d.date() for d in (result.cases["origin"] - np.timedelta64(1, "D"))]

    def forecasts() -> None:
        for day in as_of:
            sample = throughput_from_history(history, period, as_of=day)
            forecast_when(items, sample, **kwargs)  # type: ignore[arg-type]

    return ratio(lambda: backtest(history, items=items, period=period, origins=100,
                                  methods=method, **kwargs), forecasts, repeat=3)


def main() -> None:
    jira = load_history(JIRA)
    daily = throughput_from_history(jira, Period("day"))
    sprints = Throughput.from_counts(CHI2FIT, Period("week", 2))
    results = {
        "when, 100,000 trials vs bare NumPy loop (Jira daily sample, 100 items)":
            (when_vs_bare(daily, 100), "<= 2"),
        "when, 100,000 trials vs bare NumPy loop (chi2fit sprints, 100 items)":
            (when_vs_bare(sprints, 100), "<= 2"),
        "exact mode speed-up vs 100,000 trials (chi2fit sprints, 100 items)":
            (exact_speedup(sprints, 100), ">= 100"),
        "exact mode speed-up vs 100,000 trials (Jira daily sample, 100 items)":
            (exact_speedup(daily, 100), ">= 100"),
        "backtest 100 origins vs 100 forecasts (Jira weekly, exact)":
            (backtest_vs_forecasts(True), "about 1"),
        "backtest 100 origins vs 100 forecasts (Jira weekly, 10,000 trials)":
            (backtest_vs_forecasts(False), "about 1"),
    }
    for name, (ratio, target) in results.items():
        print(f"{name}: {ratio:.2f}x (target {target})", flush=True)
    if "--json" in sys.argv:
        import json

        print(json.dumps({k: v[0] for k, v in results.items()}))


if __name__ == "__main__":
    main()
