"""Small scenario builders shared by the core tests."""

from __future__ import annotations

import copy
from typing import Any

from workbench.scenario.models import Scenario

SEVEN_DAYS = {"workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}


def scenario(**fields: Any) -> Scenario:
    """A scenario from keyword sections, with a Monday start and sensible defaults."""
    data: dict[str, Any] = {"name": "test", "start": "2027-01-04", "horizon_days": 365}
    data.update(copy.deepcopy(fields))
    return Scenario.model_validate(data)


def queue(rate_per_day: float, mean_effort_days: float, members: int,
          wip_limit: int | None = None, horizon_days: int = 10000) -> Scenario:
    """A textbook M/M/c(/K) queue: Poisson arrivals, exponential effort, 7-day calendar."""
    team: dict[str, Any] = {"members": members}
    if wip_limit:
        team["wip_limit"] = wip_limit
    return scenario(
        horizon_days=horizon_days, warmup_days=200, calendar=SEVEN_DAYS, teams={"desk": team},
        arrivals=[{"team": "desk", "rate_per_day": rate_per_day,
                   "effort_days": {"exponential": {"mean": mean_effort_days}}}])


# A small two-team program used by the sweep and cluster tests.
SMALL_PROGRAM_YAML = """
name: Small program
start: 2027-01-04
horizon_days: 365
teams:
  app: {members: 3, cost_per_person_day: 100}
  web: {members: 2, cost_per_person_day: 100}
epics:
  login: {team: app, items: 6, effort_days: {triangular: [1, 2, 4]}}
  pay: {team: app, items: 6, effort_days: {triangular: [1, 2, 4]}, depends_on: [login]}
  site: {team: web, items: 5, effort_days: {triangular: [1, 2, 3]}}
risks:
  vendor-late: {probability: 0.5, delay: {epic: pay, days: {fixed: 20}}}
milestones:
  beta: {epics: [login, site], target: 2027-02-05}
  launch: {epics: [login, pay, site], target: 2027-03-31}
"""
