"""Self-calibration benchmarks (issue: forecasts that come true as often as they say). Prints
ratios measured in one run, as `name: ratio (target)` lines, on the shared Jira file (both
projects, weekly, data to 2018-03-31, "when will the next N items be done"):

- a calibrated forecast vs a raw one (target <= 3x). Both are what `workbench forecast` gives:
  the 10,000-future forecast plus its own measured coverage (every forecast states how often
  such forecasts came true, so the raw one runs its backtest over 100 origins too). The
  calibrated one also replays the raw method at every past day and finds its levels.
- the same without the measured coverage, for the record (no target): the raw forecast alone
  against the calibrated reading alone, which is where the replay's cost shows.
- a backtest over 100 origins with the calibrated row vs a single raw backtest (the raw
  sampling alone) over the same origins (target < 10x).

The two sides of each ratio run alternately and each keeps its best time, so a busy machine
slows both alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from _common import best_of, print_ratios  # benchmarks/ is on sys.path when run as a script

from workbench.files.exports import History, load_history
from workbench.history.answer import Target, answer, calibrated
from workbench.history.backtest import backtest, own_method
from workbench.history.flow import WEEK, history_as_of
from workbench.history.throughput import forecast_when, throughput_from_history
from workbench.scenario.calendar import WorkCalendar

ROOT = Path(__file__).resolve().parent.parent
JIRA = ROOT / "data" / "history" / "rueedlinger_agile_project_jira.csv"
AS_OF = dt.date(2018, 3, 31)
CAL = WorkCalendar()


def ratio(ours: Callable[[], object], base: Callable[[], object], repeat: int = 5) -> float:
    """Best time of `ours` over best time of `base`, run alternately."""
    a, b = [], []
    for _ in range(repeat):
        a.append(best_of(ours, 1))
        b.append(best_of(base, 1))
    return min(a) / min(b)


def forecast(history: History, items: int, method: str) -> object:
    """What `workbench forecast HISTORY --items N [--method raw]` computes after reading."""
    sample = throughput_from_history(history, WEEK, window_days=90, as_of=AS_OF)
    raw = forecast_when(items, sample, trials=10_000, seed=0)
    ours = own_method(90, None, method == "calibrated")
    return answer(history, raw, target=Target(items=items), sampling=ours, as_of=AS_OF,
                  period=WEEK, calendar=CAL, method=method, origins=100)


def forecast_vs_raw(history: History, items: int) -> float:
    return ratio(lambda: forecast(history, items, "calibrated"),
                 lambda: forecast(history, items, "raw"))


def reading_vs_raw(history: History, items: int) -> float:
    sample = throughput_from_history(history, WEEK, window_days=90, as_of=AS_OF)
    ours = own_method(90, None, True)

    def read() -> object:
        raw = forecast_when(items, sample, trials=10_000, seed=0)
        return calibrated(history, raw, Target(items=items), ours, AS_OF, WEEK, CAL)

    return ratio(read, lambda: forecast_when(items, sample, trials=10_000, seed=0))


def backtest_vs_raw(history: History, items: int) -> float:
    ours = own_method(90, None, True)
    kwargs = {"items": items, "origins": 100, "methods": (ours,)}
    return ratio(lambda: backtest(history, calibrate=ours, **kwargs),
                 lambda: backtest(history, **kwargs), repeat=3)


def main() -> None:
    history = history_as_of(load_history(JIRA), AS_OF)
    results = {}
    for items in (25, 100):
        results[f"calibrated forecast vs raw forecast, each with its coverage ({items} items)"] \
            = (forecast_vs_raw(history, items), "<= 3")
    for items in (25, 100):
        results[f"calibrated reading vs raw forecast alone, no coverage ({items} items)"] = (
            reading_vs_raw(history, items), "none: for the record")
    for items in (25, 100):
        results[f"calibrated backtest 100 origins vs single raw backtest ({items} items)"] = (
            backtest_vs_raw(history, items), "< 10")
    print_ratios(results)


if __name__ == "__main__":
    main()
