"""The what-if explorer: a control panel built from a scenario, and charts that move as a TPM
drags "platform: 7 -> 9 people" or "WIP limit 6 -> 3" in a planning meeting.

`Explorer` owns the widgets and the state; a control change only calls `Explorer.update`,
which re-runs the Monte Carlo (a quick estimate first, refined in the background), redraws
the charts in place over a grey ghost of the baseline, and writes a one-line delta per
milestone. "Save as scenario" writes a what-if file that `extends` the base with only the
changed fields, so `workbench run` reproduces the numbers on screen with the same seed.

Notebooks only create and display an `Explorer`; everything here runs without Jupyter too
(tests set ``explorer.controls[key].widget.value`` exactly as a drag would).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import math
import os
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as W
import numpy as np
import pandas as pd

from workbench.app import options
from workbench.files import atomic
from workbench.present import explorer_charts as xc
from workbench.present import formats, tables
from workbench.present.sentences import cost_figures
from workbench.reports.paths import locate
from workbench.scenario.loader import (
    ScenarioError,
    dump_overrides_yaml,
    load_scenario_data,
    merge_scenario_data,
    nested,
    scenario_from_data,
)
from workbench.scenario.models import Scenario, Team
from workbench.sim import montecarlo
from workbench.sim.capacity import working_days
from workbench.sim.forecast import ProgramForecast
from workbench.sim.montecarlo import ChunkResult, default_workers, process_pool
from workbench.sim.precision import AUTO, Reps

DEFAULT_REPS: Reps = options.DEFAULT_REPS  # auto, as every face: the same answer as `run`
QUICK_SECONDS = 0.25  # the first estimate: as many runs as fit, leaving time to draw them
MIN_QUICK_REPS = 8
REPS_CHOICES: tuple[Reps, ...] = (AUTO, 50, 100, 200, 500, 1000)
AUTO_CHUNK_REPS = 50  # refinement batches towards the precision of `auto`
LEVERS_REPS = 200  # "What would make the date?": confirmed with at most this many runs
CHUNK_REPS = 4  # refinement batches: small, so stale work ends soon after a newer change
PROJECT_SCENARIOS = Path("scenarios")  # looked up from the current folder upwards
DATE_SPAN_DAYS = 5 * 366  # the longest span a date control offers (a long horizon: 5 years)


def scenario_file(name: str | Path) -> Path:
    """A scenario path as given (relative to the current folder) if it exists, else the one of
    that name in the project's ``scenarios/``, the nearest at or above the current folder (so
    explore.ipynb, run in notebooks/, names ``program.yaml`` without ``../``)."""
    path = Path(name)
    if path.is_file():
        return path.resolve()
    folder = locate(PROJECT_SCENARIOS)
    bundled = folder / path.name
    if bundled.is_file():
        return bundled.resolve()
    known = ", ".join(sorted(p.name for p in folder.glob("*.yaml"))) or \
        f"none: no {PROJECT_SCENARIOS}/ in {Path.cwd()} or above"
    raise ScenarioError([f"{name}: file not found (bundled scenarios: {known})"])


def offline_charts(cache_dir: Path | None = None) -> None:
    """Serve the charts' JavaScript from vl-convert, not a CDN (the explorer works offline).

    Bundling it costs 3-8 s on this machine at every kernel start, so the bundle is kept on
    disk per Altair/vl-convert version and set the way `enable_offline` sets it."""
    if alt.JupyterChart._is_offline:
        return
    folder = cache_dir or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cached = folder / "tpm-workbench" / \
        f"jupyterchart-{alt.__version__}-vlc{metadata.version('vl-convert-python')}.js"
    if cached.is_file():
        alt.JupyterChart._esm = cached.read_text(encoding="utf-8")
        alt.JupyterChart._is_offline = True
        return
    alt.JupyterChart.enable_offline()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(alt.JupyterChart._esm, encoding="utf-8")
        os.replace(partial, cached)  # atomic: a second kernel never reads half a file
    except OSError:
        pass  # a read-only home only costs the next start the bundling time


# --- controls: which knobs a scenario offers, and which fields each one writes ----------------

@dataclass
class Control:
    """One knob: its widget, the value it has in the base scenario, and the scenario fields
    (dotted path -> value) that the widget's current value stands for."""

    widget: W.ValueWidget
    initial: Any
    fields: Callable[[Any], dict[str, Any]]
    section: str

    @property
    def changed(self) -> bool:
        return bool(self.widget.value != self.initial)

    def reset(self) -> None:
        self.widget.value = self.initial


def build_controls(scenario: Scenario) -> dict[str, Control]:
    """Every knob the scenario offers, keyed by the field path it changes."""
    controls: dict[str, Control] = {}
    for name, team in scenario.teams.items():
        controls.update(_team_controls(name, team, scenario))
    for name, epic in scenario.epics.items():
        if epic.items is not None:  # an external delivery has no scope to change
            controls.update(_scope_control(name, epic.items))
    for name, risk in scenario.risks.items():
        label = f"{name} ({formats.percent(risk.probability)})"
        box = W.Checkbox(value=True, description=label, indent=False)
        controls[f"risks.{name}.probability"] = Control(
            box, True, _risk_fields(name, risk.probability), "Risks")
    for name, milestone in scenario.milestones.items():
        if milestone.target is not None:
            picker = _date_slider(scenario, milestone.target, f"{name}: target")
            controls[f"milestones.{name}.target"] = Control(
                picker, milestone.target, _set(f"milestones.{name}.target"), "Targets")
    for key, control in controls.items():
        control.widget.add_class("wb-" + key.replace(".", "-").replace("_", "-"))
    return controls


def _set(path: str, convert: Callable[[Any], Any] = lambda v: v) -> Callable[[Any], dict]:
    return lambda value: {path: convert(value)}


def _risk_fields(name: str, probability: float) -> Callable[[Any], dict[str, Any]]:
    return lambda on: {f"risks.{name}.probability": probability if on else 0.0}


def _slider(kind: type[W.ValueWidget], value: Any, low: Any, high: Any, label: str,
            step: Any = 1) -> W.ValueWidget:
    # continuous_update=False: a drag runs one simulation when released, not dozens.
    return kind(value=value, min=low, max=high, step=step, description=label,
                continuous_update=False, style={"description_width": "150px"},
                layout=W.Layout(width="98%"))


def _date_slider(scenario: Scenario, value: dt.date, label: str) -> W.SelectionSlider:
    """A date control that reads as every face writes dates ("13 Sep 2027"; a browser's date
    picker shows its own locale, "09/13/2027"): any day of the horizon (at most its first
    `DATE_SPAN_DAYS`), and the scenario's own date wherever it is."""
    last = scenario.start + dt.timedelta(days=min(scenario.horizon_days, DATE_SPAN_DAYS) - 1)
    first, last = min(scenario.start, value), max(last, value)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return W.SelectionSlider(options=[(formats.short_date(d), d) for d in days], value=value,
                             description=label, continuous_update=False,
                             style={"description_width": "150px"}, layout=W.Layout(width="98%"))


def _team_controls(name: str, team: Team, scenario: Scenario) -> dict[str, Control]:
    here = f"teams.{name}"
    n = team.head_count
    low = 1 if not team.stages else sum(1 for st in team.stages.values() if st.people)
    people = _slider(W.IntSlider, n, max(low, 1), max(2 * n, n + 4), f"{name}: people")
    out = {f"{here}.members": Control(people, n, _members_fields(name, team), "Teams")}
    focus = _slider(W.FloatSlider, team.focus, 0.1, 1.0, f"{name}: focus", step=0.05)
    out[f"{here}.focus"] = Control(focus, team.focus, _set(f"{here}.focus"), "Teams")
    wip = team.wip_limit or 0
    wip_slider = _slider(W.IntSlider, wip, 0, max(2 * wip, 10), f"{name}: WIP limit")
    wip_slider.tooltip = "0 = no limit"
    out[f"{here}.wip_limit"] = Control(wip_slider, wip, _set(f"{here}.wip_limit",
                                                            lambda v: v or None), "Teams")
    out.update(_hire_controls(name, team, scenario))
    return out


def _members_fields(name: str, team: Team) -> Callable[[Any], dict[str, Any]]:
    """Head count -> fields. Named people: keep the first n, add "new-1".. beyond the list.
    Stages with fixed people: extra people go to the first stage (the model's rule), and a
    smaller team takes people from the first stages first, so the scenario stays valid."""
    here = f"teams.{name}"

    def fields(n: int) -> dict[str, Any]:
        if isinstance(team.members, tuple):
            named = [p.model_dump(exclude_defaults=True) for p in team.members[:n]]
            extra = [{"name": f"new-{i + 1}"} for i in range(n - len(named))]
            return {f"{here}.members": named + extra}
        out: dict[str, Any] = {f"{here}.members": n}
        for stage, people in _fit_stages(team, n).items():
            out[f"{here}.stages.{stage}.people"] = people
        return out
    return fields


def _fit_stages(team: Team, n: int) -> dict[str, int]:
    """Stage head counts that changed so that they add up to at most ``n`` people."""
    fixed = {s: st.people for s, st in (team.stages or {}).items() if st.people}
    excess = sum(fixed.values()) - n
    fitted = dict(fixed)
    for floor in (1, 0):  # first keep one person per stage, then take the last ones too
        for stage in fitted:
            take = max(0, min(excess, fitted[stage] - floor))
            fitted[stage] -= take
            excess -= take
    return {s: v for s, v in fitted.items() if v != fixed[s]}


def _hire_controls(name: str, team: Team, scenario: Scenario) -> dict[str, Control]:
    here = f"teams.{name}.hires"
    pickers = [_date_slider(scenario, h.date, f"{name}: {h.count} hire(s) on")
               for h in team.hires]

    def fields(_: Any) -> dict[str, Any]:  # a list is written whole: YAML cannot patch item 2
        hires = [h.model_dump(exclude_defaults=True) | {"date": p.value}
                 for h, p in zip(team.hires, pickers, strict=True)]
        return {here: hires}
    return {f"{here}.{i}.date": Control(p, h.date, fields, "Teams")
            for i, (h, p) in enumerate(zip(team.hires, pickers, strict=True))}


def _scope_control(name: str, items: Any) -> dict[str, Control]:
    n = items if isinstance(items, int) else len(items)
    high = max(2 * n, n + 5) if isinstance(items, int) else n  # explicit items can only be cut

    def convert(v: int) -> Any:
        return v if isinstance(items, int) else [i.model_dump(exclude_defaults=True)
                                                 for i in items[:v]]
    slider = _slider(W.IntSlider, n, 0, high, f"{name}: items")
    return {f"epics.{name}.items": Control(slider, n, _set(f"epics.{name}.items", convert),
                                           "Scope")}


def changed_fields(controls: Iterable[Control]) -> dict[str, Any]:
    """The scenario fields the changed controls write (dotted path -> value)."""
    out: dict[str, Any] = {}
    for control in controls:
        if control.changed:
            out.update(control.fields(control.widget.value))
    return out


# --- running: a quick estimate now, the full replications a moment later ----------------------

class Runner:
    """Runs replications for the explorer on a warm process pool (both cores on each change)
    or here, and remembers recent forecasts so going back to a setting is instant."""

    def __init__(self, seed: int, workers: int) -> None:
        self.seed = seed
        self.workers = workers
        self._pool = process_pool(workers) if workers > 1 else None
        self._cache: dict[str, ProgramForecast] = {}

    def submit(self, scenario: Scenario, first: int, stop: int,
               size: int | None = None) -> list[Future[ChunkResult]]:
        """Replications first..stop-1 in batches (default: one per worker)."""
        size = size or max(1, math.ceil((stop - first) / self.workers))
        return montecarlo.submit(self._pool, scenario, self.seed,
                                 montecarlo.spans(first, stop, size))

    def run(self, scenario: Scenario, reps: Reps) -> ProgramForecast:
        """A forecast, now (blocking)."""
        cached = self.cached(scenario, reps)
        if cached is not None:
            return cached
        if reps == AUTO:
            return self.remember(montecarlo.simulate(
                scenario, AUTO, self.seed, workers=self.workers, executor=self._pool,
                progress=False))
        assert isinstance(reps, int)
        parts = [f.result() for f in self.submit(scenario, 0, reps)]
        forecast = montecarlo.assemble(scenario, self.seed, parts)
        return self.remember(forecast)

    def cached(self, scenario: Scenario, reps: Reps) -> ProgramForecast | None:
        hit = self._cache.get(scenario.sha256)
        if hit is None:
            return None
        if reps == AUTO:
            return montecarlo.settled(hit)  # auto's answer, if these runs decide it
        return hit.head(int(reps)) if hit.reps >= int(reps) else None

    def remember(self, forecast: ProgramForecast) -> ProgramForecast:
        old = self._cache.get(forecast.scenario.sha256)
        if old is None or old.reps < forecast.reps:
            self._cache[forecast.scenario.sha256] = forecast
        if len(self._cache) > 64:  # a meeting's worth of settings; the oldest go first
            self._cache.pop(next(iter(self._cache)))
        return forecast

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


# --- what the TPM reads: the delta line --------------------------------------------------------

def delta_lines(baseline: ProgramForecast, whatif: ProgramForecast) -> list[str]:
    """One line per milestone: how far P85 moved in working days and how the chance of
    making the target changed, e.g. "ga: P85 moves 9 working days earlier (31 Aug -> 18 Aug
    2027); chance of target 41% -> 68%"."""
    return milestone_deltas(baseline.scenario, baseline.milestones(), whatif.milestones())


def cost_delta(baseline: ProgramForecast, whatif: ProgramForecast) -> list[str]:
    """The cost line under the milestones: P85 cost, and the chance of staying within the
    budget where there is one ("cost P85 2.4M → 2.2M; budget 2.5M: 64% → 71%")."""
    old, new = cost_figures(baseline), cost_figures(whatif)
    if whatif.cost()["p85"] <= 0:
        return []
    line = f"cost P85 {old['p85']} → {new['p85']}"
    b_old, b_new = baseline.budget(), whatif.budget()
    if b_old and b_new and b_new["total"] is not None:
        line += (f"; budget {formats.money(b_new['total'], whatif.scenario.currency)}: "
                 f"{formats.percent(b_old['chance_within'])} → "
                 f"{formats.percent(b_new['chance_within'])}")
    return [line]


def milestone_deltas(scenario: Scenario, baseline: Sequence[Mapping[str, Any]],
                     whatif: Sequence[Mapping[str, Any]]) -> list[str]:
    """`delta_lines` from `ProgramForecast.milestones()` rows (computed once per forecast)."""
    count = workday_counter(scenario)
    new_rows = {m["name"]: m for m in whatif}
    return [_delta(old, new_rows[old["name"]], count) for old in baseline
            if old["name"] in new_rows]


def workday_counter(scenario: Scenario) -> Callable[[dt.date, dt.date], int]:
    """Working days after ``a`` up to and including ``b`` (negative when b is before a), on
    the scenario's calendar: the unit a TPM plans in."""
    span = scenario.horizon_days + 400
    cum = np.cumsum(working_days(scenario.calendar, scenario.start, span))

    def count(a: dt.date, b: dt.date) -> int:
        ia, ib = (min(max(scenario.day_of(d), 0), span - 1) for d in (a, b))
        return int(cum[ib] - cum[ia])
    return count


def _delta(old: Mapping[str, Any], new: Mapping[str, Any],
           count: Callable[[dt.date, dt.date], int]) -> str:
    parts = [f"{old['name']}: {_p85_move(old.get('p85'), new.get('p85'), count)}"]
    if new.get("target") != old.get("target"):
        parts.append(f"target {_target(old.get('target'))} → {_target(new.get('target'))}")
    if new.get("chance_of_target") is not None or old.get("chance_of_target") is not None:
        parts.append(f"chance of target {formats.percent(old.get('chance_of_target'))} → "
                     f"{formats.percent(new.get('chance_of_target'))}")
    return "; ".join(parts)


def _p85_move(old: str | None, new: str | None, count: Callable[[dt.date, dt.date], int]) -> str:
    if old is None or new is None:
        return f"P85 {_short(old)} → {_short(new)}" if old != new else "P85 beyond the horizon"
    a, b = dt.date.fromisoformat(old), dt.date.fromisoformat(new)
    days = count(a, b)
    if days == 0:
        return f"P85 unchanged ({_short(new)})"
    way = "later" if days > 0 else "earlier"
    moved = formats.days(abs(days), unit="working day")
    return f"P85 moves {moved} {way} ({_short(old)} → {_short(new)})"


def _target(iso: str | None) -> str:
    return formats.short_date(iso, missing="none")


def _short(iso: str | None) -> str:
    return formats.short_date(iso, missing=formats.BEYOND)


# --- the charts, from two forecasts -----------------------------------------------------------

CHART_DATA = {"distribution": ("hist", "dates", "titles"), "burnup": ("burnup",),
              "timeline": ("timeline",)}


def chart_templates(baseline: ProgramForecast) -> dict[str, dict[str, Any]]:
    """The explorer's three charts without data (built and validated once): finish
    distribution per milestone, burn-up fan, epic timeline in the baseline's order."""
    order = list(tables.epic_timeline(baseline).sort_values("order")["epic"])
    charts = {"distribution": xc.finish_distribution(list(baseline.scenario.milestones)),
              "burnup": xc.burnup_fan(), "timeline": xc.epic_timeline(order)}
    return {name: chart.to_dict() for name, chart in charts.items()}


@dataclass(frozen=True)
class Picture:
    """What the explorer shows of one forecast: its milestone rows and the charts' tables
    (computed once per forecast: the baseline's are reused on every change)."""

    milestones: list[dict[str, Any]]
    hist: pd.DataFrame
    burnup: pd.DataFrame
    timeline: pd.DataFrame


def picture(forecast: ProgramForecast) -> Picture:
    return Picture(forecast.milestones(), tables.finish_histogram(forecast),
                   tables.burnup_table(forecast), tables.epic_timeline(forecast))


def chart_frames(baseline: Picture, whatif: Picture) -> dict[str, pd.DataFrame]:
    """The tidy tables the charts draw, what-if stacked over baseline."""
    return {"hist": xc.with_run(whatif.hist, baseline.hist),
            "burnup": xc.with_run(whatif.burnup, baseline.burnup),
            "timeline": xc.with_run(whatif.timeline, baseline.timeline),
            **milestone_marks(baseline.milestones, whatif.milestones)}


def chart_specs(templates: Mapping[str, Mapping[str, Any]], baseline: Picture,
                whatif: Picture) -> dict[str, dict[str, Any]]:
    """Ready-to-draw Vega-Lite specs: the templates with this comparison's data."""
    frames = chart_frames(baseline, whatif)
    return {name: xc.live_spec(templates[name], {d: frames[d] for d in CHART_DATA[name]})
            for name in templates}


def milestone_marks(baseline: Sequence[Mapping[str, Any]],
                    whatif: Sequence[Mapping[str, Any]]) -> dict[str, pd.DataFrame]:
    """Per milestone: the title line (chance of target and P85, what-if vs baseline), and the
    dates drawn as rules (target, both P85s)."""
    old = {m["name"]: m for m in baseline}
    titles, dates = [], []
    for m in whatif:
        b = old.get(m["name"], {})
        text = (f"{m['name']}: chance of target {formats.percent(m['chance_of_target'])} "
                f"(baseline {formats.percent(b.get('chance_of_target'))}) · P85 "
                f"{_short(m['p85'])} (baseline {_short(b.get('p85'))})")
        titles.append({"milestone": m["name"], "text": text})
        for label, iso in zip(xc.DATE_LABELS, (m["target"], b.get("p85"), m["p85"]),
                              strict=True):
            if iso is not None:
                dates.append({"milestone": m["name"], "label": label,
                              "when": pd.Timestamp(iso)})
    return {"titles": pd.DataFrame(titles, columns=["milestone", "text"]),
            "dates": pd.DataFrame(dates, columns=["milestone", "label", "when"])}


# --- the explorer -----------------------------------------------------------------------------

class Explorer:
    """What-if explorer for one scenario: controls on the left, charts on the right.

    ``reps`` replications per forecast (with ``seed``); after each change the first
    ``quick_reps`` (default: as many as the workers simulate in `QUICK_SECONDS`) are shown at
    once as an estimate, said so on screen, and refined to ``reps`` in the background.
    ``workers`` processes simulate (default: one per core).
    """

    def __init__(self, scenario: str | Path = "program.yaml", reps: Reps = DEFAULT_REPS,
                 seed: int = options.DEFAULT_SEED, quick_reps: int | None = None,
                 workers: int | None = None,
                 offline: bool = True, background: bool = True) -> None:
        self.path = scenario_file(scenario)
        self.base_data = load_scenario_data(self.path)
        self.base = self._validated(self.base_data)
        self.seed, self.quick_reps, self.background = seed, quick_reps, background
        self.runs = 0  # updates done (one per change), for tests and for the status line
        self.latencies: list[float] = []  # seconds from a change to its first updated chart
        self.refine_latencies: list[float] = []  # ... and to the chart at full replications
        self.split: list[tuple[float, float]] = []  # first chart: (simulating, drawing) seconds
        self.last_error: str | None = None
        # Each delta shown: (what-if runs, baseline runs it was compared with, its lines).
        self.compared: list[tuple[int, int, list[str]]] = []
        self._gen, self._muted = 0, False
        self._pictures: dict[int, Picture] = {}  # the baseline's, by number of runs
        self._pending: list[Future[ChunkResult]] = []
        self._task: asyncio.Task[None] | None = None
        self.runner = Runner(seed, workers or default_workers())
        if offline:
            offline_charts()
        self.controls = build_controls(self.base)
        self.reps_widget = W.Dropdown(options=[*REPS_CHOICES, *([reps] if reps not in
                                                                REPS_CHOICES else [])],
                                      value=reps,
                                      description="runs", layout=W.Layout(width="200px"))
        started = time.perf_counter()
        self.baseline = self.runner.run(self.base, reps)
        # Seconds per replication per worker, measured here (the machine may be busy).
        self.rep_seconds = ((time.perf_counter() - started) * self.runner.workers
                            / self.baseline.reps)
        self.whatif: ProgramForecast = self.baseline
        self._build_view()
        self._show(self.baseline, final=True)
        for control in [*self.controls.values()]:
            control.widget.observe(self._changed, "value")
        self.reps_widget.observe(self._changed, "value")

    # -- the model side --------------------------------------------------------------------

    @property
    def reps(self) -> int:
        """Runs per forecast: as chosen, or (auto) as many as the baseline's precision took."""
        value = self.reps_widget.value
        return self.baseline.reps if value == AUTO else int(value)

    @property
    def auto(self) -> bool:
        """Whether forecasts are refined to `auto`'s precision (the default)."""
        return bool(self.reps_widget.value == AUTO)

    def changes(self) -> dict[str, Any]:
        """The scenario fields that differ from the base (dotted path -> value)."""
        return changed_fields(self.controls.values())

    def scenario(self) -> Scenario:
        """The what-if scenario the controls describe (raises `ScenarioError` if invalid)."""
        changes = self.changes()
        if not changes:
            return self.base
        return self._validated(merge_scenario_data(self.base_data, nested(changes)))

    def _validated(self, data: dict[str, Any]) -> Scenario:
        # The same merge and validation `load_scenario` does for a saved what-if, minus
        # re-reading the YAML (50 ms) on every change.
        return scenario_from_data(data, f"what-if on {self.path.name}", self.path.parent)

    def update(self) -> None:
        """Re-run the forecast for the current controls and redraw (one run per change)."""
        started = time.perf_counter()
        self.runs += 1
        self._gen += 1
        self._cancel()
        if self.auto:
            self._extend_baseline(AUTO)
        scenario, reps = self.scenario(), self.reps
        if self.auto:  # refined in rounds until precise: the first round is the goal for now
            reps = montecarlo.first_round(AUTO)
        cached = self.runner.cached(scenario, AUTO if self.auto else reps)
        if cached is not None:
            self._extend_baseline(AUTO if self.auto else reps)
            self._show(cached, final=True)
            self.latencies.append(time.perf_counter() - started)
            return
        quick_n = min(self._quick_reps(), reps)
        parts = [f.result() for f in self.runner.submit(scenario, 0, quick_n)]
        simulated = time.perf_counter()
        first = montecarlo.assemble(scenario, self.seed, parts)
        # Drawn before the refinement starts: on 2 cores the workers would slow the drawing.
        self._show(self.runner.remember(first) if quick_n == reps else first,
                   final=quick_n == reps)
        self.latencies.append(time.perf_counter() - started)
        self.split.append((simulated - started, time.perf_counter() - simulated))
        if quick_n < reps or self.auto:
            rest = self.runner.submit(scenario, quick_n, reps, CHUNK_REPS)
            # The base scenario itself (no change, more runs) extends the baseline by itself.
            same = scenario.sha256 == self.base.sha256
            base_rest = [] if same or self.auto else self.runner.submit(
                self.base, self.baseline.reps, reps, CHUNK_REPS)
            self._pending = [*rest, *base_rest]
            self._refine(self._gen, scenario, parts, rest, base_rest, started)

    async def settled(self) -> None:
        """Wait until the forecast on screen is the refined one (for scripts and benchmarks
        running in a kernel: ``await explorer.settled()``)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    def _quick_reps(self) -> int:
        if self.quick_reps:
            return self.quick_reps
        fits = int(QUICK_SECONDS * self.runner.workers / self.rep_seconds)
        return max(MIN_QUICK_REPS, fits - fits % self.runner.workers)

    def _refine(self, gen: int, scenario: Scenario, parts: list[ChunkResult],
                rest: list[Future], base_rest: list[Future], started: float) -> None:
        loop = _running_loop() if self.background else None
        if loop is None:  # no event loop (tests, scripts): finish now
            self._finish(gen, scenario, parts, [f.result() for f in rest],
                         [f.result() for f in base_rest], started)
            return
        self._task = loop.create_task(
            self._refine_later(gen, scenario, parts, rest, base_rest, started))

    async def _refine_later(self, gen: int, scenario: Scenario, parts: list[ChunkResult],
                            rest: list[Future], base_rest: list[Future], started: float) -> None:
        # Awaiting the pool keeps the kernel free to take the next slider move meanwhile.
        try:
            more = [await asyncio.wrap_future(f) for f in rest]
            base_more = [await asyncio.wrap_future(f) for f in base_rest]
        except asyncio.CancelledError:
            return
        if gen == self._gen:
            self._guarded(lambda: self._finish(gen, scenario, parts, more, base_more, started))

    def _finish(self, gen: int, scenario: Scenario, parts: list[ChunkResult],
                more: list[ChunkResult], base_more: list[ChunkResult], started: float) -> None:
        if base_more:
            self.baseline = self.runner.remember(
                montecarlo.extend(self.baseline, base_more))
        whatif = self.runner.remember(montecarlo.assemble(scenario, self.seed, [*parts, *more]))
        if self.auto:  # another round until the figures are precise enough (the rule of `run`)
            target = montecarlo.next_round(whatif, AUTO)
            if target is not None:
                rounds = self.runner.submit(scenario, whatif.reps, target, AUTO_CHUNK_REPS)
                self._pending = rounds
                self._refine(gen, scenario, [*parts, *more], rounds, [], started)
                return
            whatif = self.runner.remember(montecarlo.finished(whatif, AUTO))
        if scenario.sha256 == self.base.sha256 and whatif.reps > self.baseline.reps:
            self.baseline = whatif
        self._show(whatif, final=True)
        elapsed = time.perf_counter() - started
        self.refine_latencies.append(elapsed)
        # Keep the quick estimate's size in step with how fast the machine is right now.
        simulated = sum(len(p.values) for p in [*parts, *more, *base_more])
        self.rep_seconds = 0.5 * self.rep_seconds + 0.5 * elapsed * self.runner.workers / simulated

    def _extend_baseline(self, reps: Reps) -> None:
        if reps == AUTO and self.baseline.precision is None or \
                isinstance(reps, int) and reps > self.baseline.reps:
            self.baseline = self.runner.run(self.base, reps)

    def _cancel(self) -> None:
        for future in self._pending:
            future.cancel()
        if self._task is not None:
            self._task.cancel()
        self._pending, self._task = [], None

    def save(self, path: str | Path | None = None) -> Path:
        """Write the what-if as a scenario file that extends the base with only the changed
        fields; a relative name is saved beside the base. Returns the path written."""
        target = Path(path or self.save_name.value or f"{self.path.stem}_whatif.yaml")
        target = (target if target.is_absolute() else self.path.parent / target).resolve()
        if target == self.path:
            raise ValueError(f"{target.name} is the base scenario: choose another name")
        self.scenario()  # refuse to save a what-if that does not validate
        note = (f"What-if on {self.path.name} saved by the explorer; reproduce the numbers "
                f"with: workbench run {target.name} --reps {self.reps} --seed {self.seed}")
        text = dump_overrides_yaml(self.path, self.changes(), out_dir=target.parent,
                                   comment=note)
        return atomic.atomic_write_text(target, text)  # never half a scenario file

    def apply(self, values: Mapping[str, Any]) -> None:
        """Set several controls at once (control key -> widget value), with one re-run."""
        self._muted = True
        try:
            for key, new in values.items():
                self.controls[key].widget.value = new
        finally:
            self._muted = False
        self._guarded(self.update)

    def reset(self) -> None:
        """Every control back to the base scenario (one re-run, not one per control)."""
        self.apply({key: c.initial for key, c in self.controls.items()})

    def close(self) -> None:
        """Stop background work and the worker processes."""
        self._cancel()
        self.runner.close()

    # -- the view ----------------------------------------------------------------------------

    def _build_view(self) -> None:
        self.title = W.HTML(self._title_html())
        self.delta = W.HTML().add_class("wb-delta")
        self.status = W.HTML().add_class("wb-status")
        self.error = W.HTML().add_class("wb-error")
        self.templates = chart_templates(self.baseline)
        # svg renderer: chart text is in the DOM, so a browser test can read it
        self.charts = {name: alt.JupyterChart(
            alt.Chart(pd.DataFrame({"x": [0]})).mark_point(),
            embed_options={"renderer": "svg", "actions": False}).add_class(f"wb-chart-{name}")
            for name in self.templates}
        self.save_name = W.Text(value=f"{self.path.stem}_whatif.yaml", description="file",
                                layout=W.Layout(width="260px"))
        wide = W.Layout(width="190px")
        save = W.Button(description="Save as scenario", icon="save", layout=wide)
        reset = W.Button(description="Reset to baseline", icon="undo", layout=wide)
        save.add_class("wb-save")
        reset.add_class("wb-reset")
        save.on_click(lambda _: self._guarded(self._save_clicked))
        reset.on_click(lambda _: self.reset())
        levers = W.Button(description="What would make the date?", icon="search",
                          layout=W.Layout(width="384px"))
        levers.add_class("wb-levers")
        levers.on_click(lambda _: self._guarded(self._levers_clicked))
        self.levers_box = W.HTML().add_class("wb-levers-answer")
        panel = W.VBox([self._accordion(), self.reps_widget, self.save_name,
                        W.HBox([save, reset]), levers, self.levers_box],
                       layout=W.Layout(width="430px"))
        right = W.VBox([self.delta, self.status, self.error, *self.charts.values()],
                       layout=W.Layout(width="640px"))
        self.widget = W.VBox([self.title, W.HBox([panel, right])]).add_class("wb-explorer")

    def _accordion(self) -> W.Accordion:
        sections: dict[str, list[W.Widget]] = {}
        for control in self.controls.values():
            sections.setdefault(control.section, []).append(control.widget)
        acc = W.Accordion(children=[W.VBox(ws) for ws in sections.values()], selected_index=0)
        for i, name in enumerate(sections):
            acc.set_title(i, name)
        return acc

    def _title_html(self) -> str:
        return (f"<b>{html.escape(self.base.name)}</b> · what-if explorer on "
                f"<code>{html.escape(self.path.name)}</code> · seed {self.seed} · grey: baseline")

    def _show(self, whatif: ProgramForecast, final: bool) -> None:
        self.whatif = whatif
        now = picture(whatif)
        ghost = self._baseline_picture(self.reps)  # all the runs chosen, not the estimate's
        for name, spec in chart_specs(self.templates, ghost, now).items():
            self.charts[name].spec = spec  # data only: the structure was validated once
        # The delta always compares with the full baseline (computed when the explorer
        # opened): a quick estimate against the baseline's first 8 runs read "62% -> 100%"
        # when the real baseline was 86%, and switching a risk off briefly showed GA later.
        lines = milestone_deltas(self.base, ghost.milestones, now.milestones)
        lines += cost_delta(self.baseline.head(self.reps), whatif)
        self.delta.value = "<br>".join(html.escape(line) for line in lines) or \
            "No milestones in this scenario: the burn-up shows the work done."
        compared_with = min(self.reps, self.baseline.reps)
        self.compared = [*self.compared[-19:], (whatif.reps, compared_with, lines)]
        self.status.value = self._status_text(whatif, final)
        self.error.value = ""
        self.last_error = None

    def _baseline_picture(self, reps: int) -> Picture:
        reps = min(reps, self.baseline.reps)
        if reps not in self._pictures:
            if len(self._pictures) > 8:
                self._pictures.clear()
            self._pictures[reps] = picture(self.baseline.head(reps))
        return self._pictures[reps]

    def _status_text(self, whatif: ProgramForecast, final: bool) -> str:
        n = len(self.changes())
        what = f"{n} field(s) changed" if n else "baseline (no change)"
        if final:
            return f"<small>{what} · {whatif.reps} runs, seed {self.seed}</small>"
        return (f"<small><b>Quick estimate from {whatif.reps} of {self.reps} runs</b> against "
                f"the full baseline ({self.baseline.reps} runs); refining… · {what}</small>")

    # -- events ------------------------------------------------------------------------------

    def _changed(self, change: Mapping[str, Any]) -> None:
        if not self._muted:
            self._guarded(self.update)

    def _save_clicked(self) -> None:
        path = self.save()
        self.status.value = (f"<small>Saved <code>{html.escape(str(path))}</code>; "
                             f"reproduce with <code>workbench run {html.escape(path.name)} "
                             f"--reps {self.reps} --seed {self.seed}</code></small>")

    def _levers_clicked(self) -> None:
        """Search the levers on the current settings and show the best three sets."""
        from workbench.app.levers_commands import explorer_lines

        self.levers_box.value = "<small>Searching…</small>"
        chances = {m["name"]: m["chance_of_target"] for m in self.whatif.milestones()}
        lines = explorer_lines(self.path, self.changes(), self.scenario(), chances, self.seed,
                               min(self.reps, LEVERS_REPS))
        self.levers_box.value = "<br>".join(html.escape(line) for line in lines)

    def _guarded(self, action: Callable[[], None]) -> None:
        """Run a callback and show any failure in the panel: in JupyterLab an exception in a
        widget callback would otherwise vanish into the log console."""
        try:
            action()
        except ScenarioError as exc:
            self._error("This change makes the scenario invalid:", exc.problems)
        except Exception as exc:  # a bug: say so where the TPM is looking
            tail = traceback.format_exc().strip().splitlines()[-6:]
            self._error(f"The explorer failed: {type(exc).__name__}: {exc}", tail)

    def _error(self, headline: str, lines: Sequence[str]) -> None:
        self.last_error = "\n".join([headline, *lines])
        items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in lines)
        self.error.value = (f"<div style='color:#b00020;border:1px solid #b00020;padding:4px'>"
                            f"<b>{html.escape(headline)}</b><ul>{items}</ul></div>")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
