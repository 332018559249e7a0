"""Sensitivity with direction: each uncertain input moved low and high with the same seed.

Two epics of one team, one after the other: `wide`'s effort spans 0.5 to 5 days per item,
`narrow`'s 0.95 to 1.05, so the milestone moves far more with `wide` and its low end is earlier;
a risk of probability 0 is the same scenario at both ends, so it moves nothing.
"""

from __future__ import annotations

import math

import pytest

from tests.helpers import scenario
from workbench.present import sensitivity_charts
from workbench.scenario.distributions import Distribution
from workbench.sim.sensitivity import inputs, quantile, sensitivity

WIDE_NARROW = dict(
    name="Wide and narrow", start="2027-01-04", horizon_days=200,
    teams={"a": {"members": 2}},
    epics={"wide": {"team": "a", "items": 10, "effort_days": {"uniform": [0.5, 5.0]}},
           "narrow": {"team": "a", "items": 10, "effort_days": {"uniform": [0.95, 1.05]}}},
    risks={"never": {"probability": 0.0, "delay": {"epic": "narrow", "days": 30}},
           "maybe": {"probability": 0.5, "delay": {"epic": "narrow", "days": 10}}},
    milestones={"done": {"epics": ["wide", "narrow"], "target": "2027-02-01"}})


@pytest.fixture(scope="module")
def table():
    return sensitivity(scenario(**WIDE_NARROW), reps=80, seed=5)


def test_the_wide_effort_range_ranks_first_and_its_low_end_is_earlier(table):
    first = table.iloc[0]
    assert first["input"] == "wide effort"
    assert first["earlier_end"] == "low"
    assert first["shift_low_days"] < 0 < first["shift_high_days"]
    assert first["chance_low"] > first["chance_base"] > first["chance_high"]
    narrow = table[table["input"] == "narrow effort"].iloc[0]
    assert first["swing_days"] > 3 * narrow["swing_days"]


def test_a_risk_of_probability_zero_has_zero_effect(table):
    never = table[table["input"] == "risk never"].iloc[0]
    assert (never["shift_low_days"], never["shift_high_days"]) == (0.0, 0.0)
    assert never["chance_low"] == never["chance_high"] == never["chance_base"]
    assert never["earlier_end"] == "same"
    maybe = table[table["input"] == "risk maybe"].iloc[0]
    assert (maybe["low_label"], maybe["high_label"]) == ("switched off", "100% likely")
    assert maybe["shift_low_days"] <= 0 <= maybe["shift_high_days"]


def test_every_input_is_listed_once_per_milestone(table):
    assert sorted(table["input"]) == ["narrow effort", "risk maybe", "risk never", "wide effort"]
    assert [i.kind for i in inputs(scenario(**WIDE_NARROW))] == ["effort", "effort", "risk",
                                                                  "risk"]


def test_effort_ends_are_the_10th_and_90th_percentiles():
    uniform = Distribution.model_validate({"uniform": [0.0, 10.0]})
    assert quantile(uniform, 0.1) == pytest.approx(1.0, abs=0.1)
    assert quantile(uniform, 0.9) == pytest.approx(9.0, abs=0.1)
    assert quantile(Distribution.model_validate(4), 0.9) == 4


def test_the_tornado_labels_both_ends(table):
    chart = sensitivity_charts.tornado(table, "done")
    spec = chart.to_dict()
    frame = sensitivity_charts.tornado_table(table, "done")
    assert set(frame["end"]) == {"effort at P10", "effort at P90", "switched off",
                                 "100% likely", "0% likely"}
    assert frame.iloc[0]["input"] == "wide effort"
    assert spec["layer"][0]["mark"]["type"] == "bar"
    assert not math.isnan(frame["shift"].sum())


def test_the_biggest_risk_sentence_weighs_the_chance_not_only_the_p85():
    import pandas as pd

    from workbench.present.sentences import _risk_sentence

    impact = pd.DataFrame([
        {"risk": "small-date-big-chance", "milestone": "m", "shift_days": 1.0,
         "lower_bound": False, "chance_with": 0.94, "chance_without": 1.0},
        {"risk": "big-date-no-chance", "milestone": "m", "shift_days": 3.0,
         "lower_bound": False, "chance_with": 0.5, "chance_without": 0.5}])
    assert _risk_sentence(impact, "m") == (
        "Biggest risk: small-date-big-chance moves the m P85 by 1 calendar day and its chance of "
        "the target from 94% to 100% (switched off, the same runs land that much earlier).")
    impact.loc[0, "shift_days"] = 0.0
    assert _risk_sentence(impact, "m") == (
        "Biggest risk: small-date-big-chance: switched off, the same runs raise the m chance of "
        "the target from 94% to 100% (its P85 hardly moves).")
    impact["chance_without"] = impact["chance_with"]
    assert _risk_sentence(impact, "m").startswith("Biggest risk: big-date-no-chance moves")


def _cli(tmp_path, *args: str):
    import subprocess
    import sys

    import yaml

    path = tmp_path / "wide.yaml"
    path.write_text(yaml.safe_dump(WIDE_NARROW, sort_keys=False))
    (tmp_path / ".workbench").write_text("")
    return subprocess.run([sys.executable, "-m", "workbench.app.cli", "sensitivity", str(path),
                           *args], capture_output=True, text=True, cwd=tmp_path, timeout=300)


def test_the_command_gives_the_same_ranking_as_the_module(tmp_path, table):
    import json

    done = _cli(tmp_path, "--reps", "80", "--seed", "5", "--format", "json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert (got["replications"], got["seed"]) == (80, 5)
    assert [r["input"] for r in got["inputs"]] == list(table["input"])
    assert [r["shift_low_days"] for r in got["inputs"]] == list(table["shift_low_days"])
    text = _cli(tmp_path, "--reps", "80", "--seed", "5").stdout
    first = text.splitlines()[3]
    assert first.startswith("  wide effort: effort at P10 ") and "earlier" in first


def test_the_command_names_an_unknown_milestone_in_one_line(tmp_path):
    done = _cli(tmp_path, "--milestone", "gaa", "--reps", "5")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"{tmp_path / 'wide.yaml'}: --milestone: unknown milestone 'gaa' (known: done)"]
