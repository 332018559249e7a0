"""The explorer's baseline is the full-replication forecast, computed once when it opens, and
every delta (the quick estimate too) compares with it: its figures equal `workbench run` with
the explorer's seed and replications."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from workbench.app import cli
from workbench.app.explorer import Explorer
from workbench.present import formats

REPS, QUICK, SEED = 40, 8, 5


@pytest.fixture(scope="module")
def explorer() -> Iterator[Explorer]:
    ex = Explorer("program.yaml", reps=REPS, seed=SEED, quick_reps=QUICK, workers=1,
                  offline=False)
    yield ex
    ex.close()


def _run(capsys: pytest.CaptureFixture[str]) -> dict:
    assert cli.main(["run", "scenarios/program.yaml", "--reps", str(REPS), "--seed", str(SEED),
                     "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_baseline_equals_workbench_run(explorer: Explorer,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    run = _run(capsys)
    base = explorer.baseline.to_dict()
    assert base["milestones"] == run["milestones"] and base["cost"] == run["cost"]
    assert explorer.baseline.reps == REPS


def test_quick_estimate_compares_with_the_full_baseline(
        explorer: Explorer, capsys: pytest.CaptureFixture[str]) -> None:
    run = {m["name"]: m for m in _run(capsys)["milestones"]}
    explorer.compared.clear()
    explorer.controls["teams.platform.members"].widget.value = 9
    quick, full = explorer.compared[0], explorer.compared[-1]
    assert quick[0] == QUICK and full[0] == REPS  # an estimate first, then the refined one
    assert all(baseline == REPS for _, baseline, _ in explorer.compared)
    for _, _, lines in explorer.compared:
        ga = next(line for line in lines if line.startswith("ga:"))
        old_p85 = formats.short_date(run["ga"]["p85"])
        assert f"({old_p85} → " in ga or f"unchanged ({old_p85})" in ga
        assert f"chance of target {formats.percent(run['ga']['chance_of_target'])} → " in ga
        assert any(line.startswith("cost P85 ") for line in lines)  # cost shown
    explorer.reset()


def test_dates_read_as_in_reports(explorer: Explorer) -> None:
    """Dates on the explorer read "13 Sep 2027" (present/formats), never "09/13/2027"."""
    text = explorer.delta.value
    assert "/20" not in text
    p85 = explorer.baseline.milestones()[-1]["p85"]
    assert formats.short_date(p85) in text
