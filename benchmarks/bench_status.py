"""Weekly status benchmark (issue 16). Prints ratios measured in one run:

- why the forecast moved, for a change of three differences (a hire moved, items added,
  progress), against one forecast at the same replications (target <= 4x: the path replays the
  previous version and two in between; the current forecast is the report's own);
- appending to a forecast log of 1,000 entries against appending to an empty one (target < 2x).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from pathlib import Path

from _common import best_of, print_ratios  # benchmarks/ is on sys.path when run as a script

from workbench.files import forecast_log
from workbench.scenario.loader import load_scenario
from workbench.scenario.models import Scenario
from workbench.scenario.progress import remaining
from workbench.sim.attribution import attribute
from workbench.sim.montecarlo import simulate

REPS, SEED = 100, 0
PROGRAM = Path(__file__).resolve().parents[1] / "scenarios" / "program.yaml"


def versions() -> tuple[Scenario, Scenario]:
    """The bundled program, and a week later: the mobile hire a month later, 4 items
    added to payouts, 3 ledger items done."""
    old = load_scenario(PROGRAM, progress=False)
    mobile = old.teams["mobile"]
    hire = mobile.hires[0]
    moved = hire.model_copy(update={"date": hire.date + dt.timedelta(days=30)})
    teams = {**old.teams, "mobile": mobile.model_copy(
        update={"hires": (moved, *mobile.hires[1:])})}
    payouts, ledger = old.epics["payouts"], old.epics["ledger"]
    epics = {**old.epics, "payouts": payouts.model_copy(update={"items": payouts.items + 4}),
             "ledger": ledger.model_copy(update={"done": 3})}
    new = old.model_copy(update={"teams": teams, "epics": epics,
                                 "as_of": old.start + dt.timedelta(days=7)})
    return old, Scenario.model_validate(new.model_dump(mode="json", by_alias=True))


def attribution_ratio() -> float:
    old, new = versions()
    current = simulate(remaining(new), REPS, SEED, progress=False)
    one = best_of(lambda: simulate(remaining(new), REPS, SEED, progress=False), 2)
    why = best_of(lambda: attribute(old, new, REPS, SEED, current=current), 2)
    assert len(attribute(old, new, REPS, SEED, current=current).parts) == 3
    return why / one


def entry(i: int) -> dict:
    scenario = load_scenario(PROGRAM, progress=False).model_dump(mode="json", by_alias=True)
    return {"as_of": "2027-01-04", "logged_at": f"t{i}", "seed": 0, "replications": REPS,
            "scenario": {"name": "program", "sha256": str(i), "resolved": scenario},
            "milestones": [], "cost": {}, "version": "bench"}


def append_ratio() -> float:
    one = entry(0)
    with tempfile.TemporaryDirectory() as tmp:
        empty, full = Path(tmp) / "empty.sqlite", Path(tmp) / "full.sqlite"
        forecast_log.append(empty, one)
        with sqlite3.connect(empty) as db:
            db.execute("DELETE FROM forecasts")
        for _ in range(1000):
            forecast_log.append(full, one)
        t_empty = best_of(lambda: forecast_log.append(empty, one), 7)
        t_full = best_of(lambda: forecast_log.append(full, one), 7)
    return t_full / t_empty


def main() -> None:
    print_ratios({
        "attribution of 3 differences / one forecast (same replications)":
            (attribution_ratio(), "<= 4"),
        "append to a 1,000-entry log / append to an empty log": (append_ratio(), "< 2")})


if __name__ == "__main__":
    main()
