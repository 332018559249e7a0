"""`workbench.present.formats`: one way to write a date, money, a percentage and days, and every
face (terminal table, summary sentences, sweep ranking) writing the same cost the same way."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.present import formats, sentences, terminal
from workbench.reports import sweep
from workbench.scenario.loader import load_scenario
from workbench.sim.montecarlo import simulate

MISSING = [None, math.nan, math.inf, -math.inf, pd.NaT]


@pytest.mark.parametrize("amount, text", [
    (0, "0"), (0.4, "0"), (-0.4, "0"), (12.345, "12"), (556.75, "557"), (999.4, "999"),
    (999.6, "1k"), (1000, "1k"), (12_500, "12.5k"), (556_750, "557k"), (999_499, "999k"),
    (999_999, "1M"), (1_140_375, "1.14M"), (2_000_000, "2M"), (2_600_000, "2.6M"),
    (1.5e9, "1.5B"), (2.5e12, "2.5T"), (3e15, "3,000T"), (-1_140_375, "-1.14M"),
    (np.float64(557_000), "557k"),
])
def test_money_is_compact_with_three_significant_figures(amount: float, text: str) -> None:
    assert formats.money(amount) == text


def test_money_puts_the_currency_code_in_front_and_dashes_the_unknown() -> None:
    assert formats.money(1_140_375, "EUR") == "EUR 1.14M"
    assert formats.money(-500, " USD ") == "USD -500"
    assert formats.money(0, "CHF") == "CHF 0"
    assert formats.money(1_140_375, "") == "1.14M"
    assert [formats.money(x, "EUR") for x in MISSING] == ["—"] * len(MISSING)


@pytest.mark.parametrize("value", [
    "2027-06-03", "2027-06-03T10:30:00", dt.date(2027, 6, 3), dt.datetime(2027, 6, 3, 23, 59),
    pd.Timestamp("2027-06-03"), np.datetime64("2027-06-03"), np.datetime64("2027-06-03T05:00"),
])
def test_dates_long_short_and_iso(value: object) -> None:
    assert formats.long_date(value) == "3 June 2027"
    assert formats.short_date(value) == "3 Jun 2027"
    assert formats.iso_date(value) == "2027-06-03"
    assert formats.short_date("2027-09-13") == "13 Sep 2027"


@pytest.mark.parametrize("value", [*MISSING[:3], np.datetime64("NaT"), "", "  "])
def test_a_missing_date_is_beyond_the_horizon_or_a_dash(value: object) -> None:
    assert formats.long_date(value) == "beyond the horizon"
    assert (formats.short_date(value), formats.iso_date(value)) == ("—", "—")
    assert formats.iso_date(value, missing="not given") == "not given"


@pytest.mark.parametrize("share, text", [
    (0, "0%"), (0.61, "61%"), (0.615, "62%"), (1, "100%"), (-0.05, "-5%"), (-0.001, "0%"),
    (1.234, "123%"), (0.9999, "100%"),
])
def test_percent_is_whole_percent(share: float, text: str) -> None:
    assert formats.percent(share) == text


def test_percent_digits_and_missing() -> None:
    assert formats.percent(0.004, digits=1) == "0.4%"
    assert formats.percent(0.12345, digits=2) == "12.35%"
    assert [formats.percent(x) for x in MISSING] == ["—"] * len(MISSING)


@pytest.mark.parametrize("n, digits, text", [
    (0, 0, "0 days"), (1, 0, "1 day"), (1.4, 0, "1 day"), (12, 0, "12 days"), (-1, 0, "-1 day"),
    (-0.2, 0, "0 days"), (3.46, 1, "3.5 days"), (1.0, 1, "1.0 days"), (np.float64(5), 0, "5 days"),
])
def test_days(n: float, digits: int, text: str) -> None:
    assert formats.days(n, digits=digits) == text


def test_days_in_another_unit_and_missing() -> None:
    assert formats.days(9, unit="working day") == "9 working days"
    assert formats.days(1, unit="working day") == "1 working day"
    assert [formats.days(x) for x in MISSING] == ["—"] * len(MISSING)


def test_missing_is_read_one_way() -> None:
    assert [formats.as_number(x) for x in MISSING] == [None] * len(MISSING)
    assert formats.as_number(np.int64(3)) == 3.0
    assert formats.as_date(pd.NaT) is None and formats.as_date("2027-06-03") == dt.date(2027, 6, 3)


# --- every face writes the same cost -------------------------------------------------------------

SCENARIO = """
name: Cost check
start: 2027-01-04
horizon_days: 365
teams:
  app: {members: 3, cost_per_person_day: 1250}
  web: {members: 2, cost_per_person_day: 900}
epics:
  login: {team: app, items: 6, effort_days: {triangular: [1, 2, 4]}}
  site: {team: web, items: 5, effort_days: {triangular: [1, 2, 3]}}
milestones:
  launch: {epics: [login, site], target: 2027-02-26}
"""


def test_terminal_table_and_summary_sentences_print_the_same_cost(tmp_path: Path) -> None:
    path = tmp_path / "cost.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    forecast = simulate(load_scenario(path), reps=20, seed=3)
    cost = forecast.cost()
    assert cost["p50"] > 1000  # so the compact form ("123k") is what is compared
    table = re.search(r"^cost: P50 (\S+), P85 (\S+), P95 (\S+)$", terminal.table(forecast),
                      re.M)
    said = next(s for s in sentences.summary_sentences(forecast) if s.startswith("People cost"))
    spoken = re.fullmatch(r"People cost: (\S+) at P50, (\S+) at P85\.", said)
    assert table and spoken
    assert table.group(1, 2) == spoken.group(1, 2) == (formats.money(cost["p50"]),
                                                       formats.money(cost["p85"]))
    assert table.group(1).endswith("k")


def test_the_sweep_ranking_writes_cost_the_same_way() -> None:
    results = pd.DataFrame({
        "point": ["a", "b", "c"], "status": "done", "milestone": "ga",
        "p50": pd.to_datetime(["2027-03-01"] * 3), "p85": pd.to_datetime(["2027-04-01"] * 3),
        "p85_days": [90.0, 80.0, 70.0], "chance_of_target": [0.5, 0.6, math.nan],
        "cost_p85": [1_140_375.0, 556_750.0, math.nan]})
    shown = sweep.ranking(results).set_index("Point")
    assert shown["Cost P85"].to_dict() == {"a": "1.14M", "b": "557k", "c": "—"}
    assert shown.loc["c", "Chance of target"] == "—" and shown.loc["a", "P85"] == "1 Apr 2027"
