"""The faster replications give exactly the numbers the model gave before they were made
faster: every figure of these runs (all summary columns and the weekly burn-up of every
replication) was recorded with the implementation of 2026-12-01 at these seeds, before the
speed-up, and must stay bit for bit the same."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import yaml

from tests.helpers import SMALL_PROGRAM_YAML, queue, scenario
from workbench.scenario.loader import load_scenario
from workbench.scenario.models import Scenario
from workbench.sim.forecast import ProgramForecast
from workbench.sim.montecarlo import simulate

HANDOVER = dict(
    teams={"t": {"members": [{"name": "ann"},
                             {"name": "bob", "allocation": {"t": 0.5, "u": 0.5}},
                             {"name": "cy", "start": "2027-02-01"}],
                 "handover_after_days": 3, "handover_cost_days": 0.5,
                 "time_off": [{"start": "2027-02-08", "end": "2027-02-26", "person": "ann"}],
                 "hires": [{"date": "2027-03-01", "count": 1, "ramp_up_weeks": 4,
                            "mentoring": 0.3}],
                 "interrupts": {"rate_per_week": 1,
                                "effort_days": {"exponential": {"mean": 0.5}}}},
           "u": {"members": 2, "stages": {"build": {"people": 1},
                                          "test": {"people": 1, "wip_limit": 2}}}},
    epics={"e": {"team": "t", "items": 30, "effort_days": {"triangular": [1, 2, 6]}},
           "f": {"team": "u", "items": 15,
                 "effort_days": {"build": {"triangular": [1, 2, 4]},
                                 "test": {"exponential": {"mean": 0.5}}},
                 "rework": {"from": "test", "to": "build", "probability": 0.2}}},
    risks={"r": {"probability": 0.5, "capacity": {"team": "t", "members": 1,
                                                  "start": "2027-03-01", "end": "2027-03-20"}}},
    milestones={"m": {"epics": ["e", "f"], "target": "2027-06-01"}})


def _cases() -> dict[str, tuple[Scenario, int, int]]:
    return {
        "program": (load_scenario("scenarios/program.yaml"), 40, 7),
        "more_people": (load_scenario("scenarios/whatif_more_people.yaml"), 20, 3),
        "dependency_slips": (load_scenario("scenarios/whatif_dependency_slips.yaml"), 20, 3),
        "small": (Scenario.model_validate(yaml.safe_load(SMALL_PROGRAM_YAML)), 50, 1),
        "mm1": (queue(3, 1 / 5, 1, horizon_days=400), 4, 11),
        "mm1k": (queue(0.9, 1.0, 1, wip_limit=5, horizon_days=400), 4, 13),
        "handover": (scenario(**HANDOVER), 30, 5),
    }


# sha256 (first 16 hex digits) of every replication's summary row, burn-up and column names
DIGESTS = {"program": "e175b01d4ffe700b", "more_people": "d233e4afc9e595a9",
           "dependency_slips": "c7076416461b9734", "small": "064b399aed9ab0ce",
           "mm1": "8ad89f23e222857a", "mm1k": "a55151c13f659778", "handover": "c2292bf6bdb2142a"}

# P50/P85/P95 (days) and chance of target of each milestone, and cost P50/P85/P95: the same
# numbers in readable form
FIGURES = {
    "program": ([("beta", 120.20399622202257, 135.21961225287654, 148.95853534267573, 0.925),
                 ("ga", 219.856207683431, 241.08549159419243, 260.6250180010783, 0.8)],
                (2158855.435179497, 2392488.634388829, 2589266.592183519)),
    "more_people": ([("beta", 109.29927877290952, 119.8167909195783, 143.30350097735626, 0.95),
                     ("ga", 200.67859288179096, 214.4999074037764, 228.59642598158922, 1.0)],
                    (2172307.492455903, 2430938.218530671, 2564242.7877575075)),
    "dependency_slips": (
        [("beta", 150.25606073018287, 162.19033710818866, 171.04400212347971, 0.4),
         ("ga", 242.73020799717554, 263.11894913681317, 273.01797021696945, 0.4)],
        (2455233.6564390636, 2662234.7501295274, 2742359.8443990177)),
    "handover": ([("m", 74.75593154436034, 79.50949799075165, 80.10825802200065, 1.0)],
                 (0.0, 0.0, 0.0)),
}


# columns added after the numbers were recorded (each epic's start, for the roadmap): new
# figures, left out so that every recorded column is still compared bit for bit
ADDED_LATER = ("start:",)


def digest(f: ProgramForecast) -> str:
    kept = [i for i, c in enumerate(f.columns) if not c.startswith(ADDED_LATER)]
    h = hashlib.sha256(np.ascontiguousarray(f.values[:, kept]).tobytes())
    h.update(f.burnup.tobytes())
    h.update("|".join(f.columns[i] for i in kept).encode())
    return h.hexdigest()[:16]


@pytest.fixture(scope="module")
def forecasts() -> dict[str, ProgramForecast]:
    return {name: simulate(s, reps=reps, seed=seed, workers=1)
            for name, (s, reps, seed) in _cases().items()}


@pytest.mark.parametrize("name", list(DIGESTS))
def test_every_number_is_as_before(forecasts: dict[str, ProgramForecast], name: str) -> None:
    assert digest(forecasts[name]) == DIGESTS[name]


@pytest.mark.parametrize("name", list(FIGURES))
def test_headline_figures_are_as_before(forecasts: dict[str, ProgramForecast], name: str
                                        ) -> None:
    f = forecasts[name]
    milestones, cost = FIGURES[name]
    got = [(m["name"], m["p50_days"], m["p85_days"], m["p95_days"], m["chance_of_target"])
           for m in f.milestones()]
    assert got == milestones
    assert tuple(f.cost()[k] for k in ("p50", "p85", "p95")) == cost
