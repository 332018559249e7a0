"""The what-if explorer without Jupyter: controls are set exactly as a drag sets them (the
widget's ``value`` trait), and we check what a TPM would see: one re-run per change, charts and
the delta line that moved, errors in the panel, and a saved what-if that reproduces the numbers.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import ipywidgets as W
import pytest
import yaml

from workbench.app import cli
from workbench.app.explorer import Explorer, nested, scenario_file, workday_counter
from workbench.app.lab import lab_command, lab_environment
from workbench.files import project
from workbench.present import formats
from workbench.scenario.loader import load_scenario
from workbench.sim.montecarlo import simulate

REPS, QUICK, SEED = 24, 8, 3


@pytest.fixture(scope="module")
def shared() -> Iterator[Explorer]:
    ex = Explorer("program.yaml", reps=REPS, seed=SEED, quick_reps=QUICK, workers=1,
                  offline=False)
    yield ex
    ex.close()


@pytest.fixture
def explorer(shared: Explorer) -> Iterator[Explorer]:
    """One explorer for the module (its baseline costs a second), back at the baseline for
    every test (from its cache: no simulation)."""
    shared.reps_widget.value = REPS
    shared.reset()
    yield shared


def test_a_control_change_reruns_once_and_moves_chart_and_delta(explorer: Explorer) -> None:
    spec = copy.deepcopy(explorer.charts["distribution"].spec)
    delta, runs = explorer.delta.value, explorer.runs
    assert "unchanged" in delta

    explorer.controls["teams.platform.members"].widget.value = 10

    assert explorer.runs == runs + 1
    assert explorer.charts["distribution"].spec != spec
    assert explorer.delta.value != delta
    assert "working days earlier" in explorer.delta.value
    assert explorer.whatif.reps == REPS and explorer.last_error is None
    explorer.controls["teams.platform.members"].widget.value = 10  # same value: no re-run
    assert explorer.runs == runs + 1


def test_quick_estimate_first_then_refined_in_the_background(explorer: Explorer) -> None:
    done = len(explorer.latencies), len(explorer.refine_latencies)

    async def drag() -> tuple[str, str, int, int]:
        explorer.controls["teams.platform.focus"].widget.value = 0.9
        quick = (explorer.status.value, explorer.whatif.reps)
        assert explorer._task is not None
        await explorer._task
        return quick[0], explorer.status.value, quick[1], explorer.whatif.reps

    quick_status, final_status, quick_reps, final_reps = asyncio.run(drag())
    assert f"Quick estimate from {QUICK} of {REPS} runs" in quick_status and quick_reps == QUICK
    assert "Quick estimate" not in final_status and final_reps == REPS
    assert (len(explorer.latencies), len(explorer.refine_latencies)) == (done[0] + 1, done[1] + 1)


def test_saved_what_if_extends_the_base_with_only_the_changes(
        explorer: Explorer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # saved outside the base's project, so the user allows that project (--allow-path)
    monkeypatch.setenv(project.ALLOW_ENV, str(explorer.path.parent))
    set_to = {"teams.platform.members": 9, "teams.identity.focus": 0.9,
              "teams.platform.wip_limit": 3, "risks.bank-partner-late.probability": False,
              "epics.payouts.items": 10, "milestones.ga.target": dt.date(2027, 9, 30),
              "teams.mobile.hires.0.date": dt.date(2027, 2, 1)}
    runs = explorer.runs
    explorer.apply(set_to)
    assert explorer.runs == runs + 1
    path = explorer.save(tmp_path / "whatif.yaml")

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["extends"].endswith("scenarios/program.yaml")
    assert set(data) == {"extends", "teams", "epics", "risks", "milestones"}
    assert set(data["teams"]) == {"platform", "identity", "mobile"}
    assert data["teams"]["platform"] == {"members": 9, "wip_limit": 3}
    assert data["risks"] == {"bank-partner-late": {"probability": 0.0}}
    saved = load_scenario(path)
    assert saved.sha256 == explorer.scenario().sha256

    assert cli.main(["run", str(path), "--reps", str(REPS), "--seed", str(SEED),
                     "--format", "json"]) == 0
    on_screen = explorer.whatif.to_dict()
    assert json.loads(capsys.readouterr().out)["milestones"] == on_screen["milestones"]


def test_an_invalid_change_is_shown_in_the_panel(
        explorer: Explorer, monkeypatch: pytest.MonkeyPatch) -> None:
    # The controls offer valid values only; a control that wrote an invalid field anyway (a
    # target before the start) is said in the panel, and the next valid change clears it.
    target = explorer.controls["milestones.beta.target"]
    monkeypatch.setattr(target, "fields", lambda _: {"milestones.beta.target": "2026-01-01"})
    target.widget.value = dt.date(2027, 6, 29)
    assert "milestones.beta.target" in explorer.error.value
    assert "This change makes the scenario invalid" in explorer.error.value
    with pytest.raises(Exception, match="target"):
        explorer.save()
    monkeypatch.undo()
    target.widget.value = dt.date(2027, 6, 30)
    assert explorer.error.value == "" and explorer.last_error is None


def test_dates_read_as_every_face_writes_them(explorer: Explorer) -> None:
    """Targets and hire dates are sliders over the horizon's days labelled "13 Sep 2027" (a
    browser date picker shows its locale's "09/13/2027")."""
    target = explorer.controls["milestones.ga.target"].widget
    hire = explorer.controls["teams.mobile.hires.0.date"].widget
    for widget in (target, hire):
        assert isinstance(widget, W.SelectionSlider)
        assert widget.label == formats.short_date(widget.value)
    start = explorer.base.start
    assert target.options[0] == (formats.short_date(start), start)
    assert target.options[-1][1] == start + dt.timedelta(days=explorer.base.horizon_days - 1)


def test_a_failure_in_a_callback_is_shown_in_the_panel(
        explorer: Explorer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("worker pool gone")

    monkeypatch.setattr(explorer.runner, "submit", broken)
    explorer.controls["teams.data.focus"].widget.value = 0.8
    assert "RuntimeError: worker pool gone" in explorer.error.value


def test_reset_is_one_rerun_back_to_the_baseline(explorer: Explorer) -> None:
    explorer.controls["teams.platform.members"].widget.value = 9
    explorer.controls["epics.sso.items"].widget.value = 7
    runs = explorer.runs
    explorer.reset()
    assert explorer.runs == runs + 1
    assert explorer.changes() == {}
    assert explorer.delta.value.count("unchanged") == len(explorer.base.milestones)


def test_more_runs_extend_the_baseline_too(explorer: Explorer) -> None:
    explorer.reps_widget.value = 50
    assert explorer.whatif.reps == explorer.baseline.reps == 50
    explorer.reps_widget.value = REPS
    assert explorer.whatif.reps == REPS and explorer.baseline.reps == 50
    assert "unchanged" in explorer.delta.value  # same scenario, same seed: the same numbers


def test_controls_come_from_the_scenario(explorer: Explorer) -> None:
    s = explorer.base
    keys = set(explorer.controls)
    for team in s.teams:
        assert {f"teams.{team}.{f}" for f in ("members", "focus", "wip_limit")} <= keys
    assert {f"epics.{e}.items" for e in s.epics} <= keys
    assert {f"risks.{r}.probability" for r in s.risks} <= keys
    assert {f"milestones.{m}.target" for m in s.milestones} <= keys
    assert "teams.mobile.hires.0.date" in keys


def test_head_counts_keep_the_scenario_valid(explorer: Explorer) -> None:
    # platform's stages fix 4+1+2 people; data names its people
    explorer.apply({"teams.platform.members": 5, "teams.data.members": 4})
    assert explorer.changes()["teams.platform.stages.build.people"] == 2
    assert [p.name for p in explorer.scenario().teams["data"].members] == \
        ["ana", "ben", "chen", "new-1"]
    assert explorer.last_error is None


def test_working_days_and_nesting() -> None:
    s = load_scenario(scenario_file("program.yaml"))
    count = workday_counter(s)
    assert count(dt.date(2027, 1, 4), dt.date(2027, 1, 11)) == 5  # Monday to Monday
    assert count(dt.date(2027, 1, 11), dt.date(2027, 1, 4)) == -5
    assert nested({"a.b": 1, "a.c": 2}) == {"a": {"b": 1, "c": 2}}


def test_lab_listens_on_loopback_with_a_token() -> None:
    cmd = lab_command(port=9999, open_browser=False)
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--ServerApp.port_retries=0" in cmd
    assert not any("token" in a.lower() for a in cmd)  # argv is public: `ps` shows it
    assert lab_environment("t0k", {})["JUPYTER_TOKEN"] == "t0k"
    assert "--no-browser" in cmd and any(a.endswith("/notebooks") for a in cmd)
    assert cli._parser().parse_args(["lab", "--no-browser"]).command == "lab"


def test_saved_forecast_matches_a_fresh_simulation(explorer: Explorer) -> None:
    explorer.controls["teams.mobile.members"].widget.value = 7
    fresh = simulate(explorer.scenario(), reps=REPS, seed=SEED)
    assert fresh.to_dict()["milestones"] == explorer.whatif.to_dict()["milestones"]
