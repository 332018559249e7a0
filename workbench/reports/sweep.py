"""Sweeps: run the scenario report for many what-ifs (overnight) and compare them in one table.

A sweep file names a base scenario and either a ``grid`` (every combination of values of one or
more fields) or a list of ``points`` (scenario files and/or overrides)::

    base: ../scenarios/program.yaml
    parameters: {replications: 200, seed: 1}
    grid:
      teams.platform.members: [6, 7, 9]
      teams.platform.focus: [0.6, 0.7, 0.8]

Every point is checked before anything runs (notebook parameters, scenario fields and values).
Points run as papermill executions of the report notebook, in worker processes (or on any
`concurrent.futures.Executor`, e.g. a Dask client's ``get_executor()``). Each point folder
gets its executed notebook, summary and tables; ``point.json`` is written last, so a folder
without it never counts as done. Failed points keep their notebook and error; the others go on.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import itertools
import json
import math
import multiprocessing as mp
import os
import re
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workbench.files import atomic, limits, lock, yaml_strict
from workbench.files.jsonable import plain
from workbench.files.untrusted import for_terminal
from workbench.present import formats, tables
from workbench.present.sentences import values_words
from workbench.reports import paths, runner, scenario_report
from workbench.reports import workers as worker
from workbench.scenario.errors import format_loc, validation_problems
from workbench.scenario.loader import ScenarioError, load_scenario
from workbench.scenario.models import Scenario
from workbench.sim import montecarlo
from workbench.sim.forecast import ProgramForecast
from workbench.sim.montecarlo import default_workers, spans
from workbench.sim.precision import AUTO

SUMMARY_NOTEBOOK = paths.NOTEBOOKS_DIR / "sweep_summary.ipynb"
POINT_FILE = worker.POINT_FILE
# Set by the sweep for each point; a sweep file may not set them in `parameters`.
PER_POINT = ("scenario_path", "overrides", "out_dir")
RESULT_COLUMNS = [
    "sweep", "point", "point_id", "status", "error", "scenario", "milestone", "target", "p50",
    "p85", "p95", "p50_days", "p85_days", "p95_days", "chance_of_target", "unfinished_share",
    "most_often_last", "most_often_last_share", "cost_p50", "cost_p85", "currency", "seed",
    "replications", "sha256", "seconds", "simulation_seconds", "notebook",
    "p85_error_working_days", "chance_error"]

POINT_DEFAULTS: dict[str, Any] = {"replications": AUTO, "seed": 0}  # as `workbench run`'s
Reports = tuple[str, int]  # ("none" | "best" | "all", how many best)
STREAM_EVERY_S = 1.0  # the results table is rewritten at most this often while points finish


class SweepError(Exception):
    """A sweep that cannot start: ``problems`` holds one `FILE: field: what (allowed)` line
    each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- the sweep file ------------------------------------------------------------------------------

class PointSpec(BaseModel):
    """One point of a list sweep: a scenario file (default: the base) and overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    name: str | None = Field(None, description="Label in tables and charts (default: point-N).")
    scenario: str | None = Field(None, description="Scenario file, relative to the sweep file.")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="Overrides: field.path -> value.")


class SweepFile(BaseModel):
    """What a sweep file may contain."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str | None = None
    description: str = ""
    base: str = Field(description="Base scenario file, relative to the sweep file.")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Report notebook parameters for every point.")
    grid: dict[str, list[Any]] | None = Field(
        None, description="field.path -> values; every combination is a point.")
    points: list[PointSpec] | None = Field(None, description="Explicit points.")

    @model_validator(mode="after")
    def _one_kind(self) -> SweepFile:
        if (self.grid is None) == (self.points is None):
            raise ValueError("give either grid or points (not both, not neither)")
        if self.grid is not None and (not self.grid or any(not v for v in self.grid.values())):
            raise ValueError("grid needs at least one field, each with at least one value")
        if self.points is not None and not self.points:
            raise ValueError("points needs at least one point")
        return self


@dataclass(frozen=True)
class Point:
    """One run of the report notebook within a sweep."""

    index: int
    name: str
    scenario: str  # absolute path
    overrides: dict[str, Any]
    values: dict[str, Any]  # what this point varies, as result columns
    sha256: str = ""  # of the resolved scenario: an edited file means the point runs again

    @property
    def id(self) -> str:
        """Folder name: order, then a readable slug."""
        return f"{self.index:03d}-{_slug(self.name)}"


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: its points and the notebook parameters they share."""

    path: Path
    name: str
    kind: str  # "grid" or "points"
    parameters: dict[str, Any]
    points: list[Point]
    notebook: Path = paths.REPORT_NOTEBOOK

    def point_parameters(self, point: Point, out_dir: Path) -> dict[str, Any]:
        """Papermill parameters for one point."""
        return {**self.parameters, "scenario_path": point.scenario,
                "overrides": point.overrides, "out_dir": str(out_dir / point.id)}

    def key(self, point: Point) -> str:
        """What a point's results depend on (resolved scenario, parameters, the notebook's
        content): a finished point is reused only if this matches."""
        notebook = hashlib.sha256(self.notebook.read_bytes()).hexdigest()
        text = json.dumps([point.sha256, self.parameters, notebook], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_sweep(path: str | os.PathLike[str],
               notebook: str | os.PathLike[str] | None = None,
               max_points: int = limits.MAX_POINTS) -> Sweep:
    """Read and check a sweep file: its shape, the notebook parameters, and every point's
    scenario (fields that exist, values allowed). Raises `SweepError` listing every problem.
    ``notebook``: what each point runs (default: the scenario report notebook); a sweep of
    more than ``max_points`` points is refused before any is made."""
    notebook = notebook or paths.REPORT_NOTEBOOK
    shown = for_terminal(path)
    spec = _read_spec(Path(path), shown)
    _check_size(spec, shown, max_points)
    folder = Path(path).resolve().parent
    points = _expand(spec, folder)
    problems = runner.parameter_problems(notebook, spec.parameters, shown)
    problems += [f"{shown}: parameters.{k}: set by the sweep for each point (allowed: "
                 f"use base, grid or points instead)" for k in spec.parameters if k in PER_POINT]
    numbers = _number_problems(spec, shown)
    problems += numbers
    if not numbers:  # an infinity would be read as "no value" by the scenario
        found, points = _point_problems(spec, points, shown, folder)
        problems += found
    if problems:
        raise SweepError([for_terminal(p) for p in problems])
    name = spec.name or Path(path).stem
    kind = "grid" if spec.grid is not None else "points"
    return Sweep(Path(path), name, kind, dict(spec.parameters), points, Path(notebook))


def _read_spec(path: Path, shown: str) -> SweepFile:
    data = _read_yaml(path, shown)
    if not isinstance(data, dict):
        raise SweepError([f"{shown}: top level: not a mapping (allowed: base, parameters, "
                          "grid or points, name, description)"])
    try:
        return SweepFile.model_validate(data)
    except ValidationError as exc:
        raise SweepError([for_terminal(f"{shown}: {format_loc(loc)}: {msg}")
                          for loc, msg in validation_problems(exc, SweepFile)]) from None


def _read_yaml(path: Path, shown: str) -> Any:
    """The sweep file's YAML, read strictly (duplicate keys, aliases and deep nesting are
    refused) and only if it is of a sweep file's size."""
    most = limits.MAX_SWEEP_FILE_BYTES
    try:
        with path.open("rb") as f:
            raw = f.read(most + 1)
    except FileNotFoundError:
        raise SweepError([f"{shown}: file not found"]) from None
    except OSError as exc:
        raise SweepError([f"{shown}: cannot read the file ({exc.strerror or exc})"]) from None
    if len(raw) > most:
        raise SweepError([f"{shown}: larger than {most // 1024} KiB (allowed: a sweep file "
                          f"of up to {most // 1024} KiB)"])
    try:
        return yaml_strict.load(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SweepError([f"{shown}: {yaml_strict.not_utf8(exc)}"]) from None
    except yaml_strict.StrictYAMLError as exc:
        raise SweepError([f"{shown}: {exc}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = for_terminal(getattr(exc, "problem", None) or "cannot be read")
        raise SweepError([f"{shown}: {where}not valid YAML ({problem})"]) from None


def point_count(spec: SweepFile) -> int:
    """How many points a sweep file makes (counted, not made: a grid can be astronomical)."""
    if spec.grid is not None:
        return math.prod(len(v) for v in spec.grid.values())
    return len(spec.points or [])


def _check_size(spec: SweepFile, shown: str, max_points: int) -> None:
    count = point_count(spec)
    if count > max_points:
        where = "grid" if spec.grid is not None else "points"
        raise SweepError([f"{shown}: {where}: {count} points, more than the limit of "
                          f"{max_points} (allowed: up to {max_points}; --max-points N raises "
                          f"it, up to {limits.MAX_POINTS_CEILING})"])


def _number_problems(spec: SweepFile, shown: str) -> list[str]:
    """Infinite or NaN values (scenario rules are not written for them; the tables would show
    them as blanks), whole numbers no table column holds, and a seed or counts outside what
    the command line allows."""
    problems = [f"{shown}: parameters.{k}: {why}" for k, v in spec.parameters.items()
                if (why := _number_problem(v))]
    if spec.grid is not None:
        problems += [f"{shown}: grid.{k}: {why} [points with {k.rsplit('.', 1)[-1]}="
                     f"{_yaml_text(v)}]" for k, values in spec.grid.items() for v in values
                     if (why := _number_problem(v))]
    for i, point in enumerate(spec.points or []):
        problems += [f"{shown}: points.{i}.set.{k}: {why} [point "
                     f"{point.name or f'point-{i + 1}'}]" for k, v in point.set.items()
                     if (why := _number_problem(v))]
    return problems + _parameter_bounds(spec.parameters, shown)


def _parameter_bounds(parameters: dict[str, Any], shown: str) -> list[str]:
    checks = {"seed": (0, limits.MAX_SEED), "replications": (1, limits.MAX_REPS),
              "workers": (0, limits.MAX_WORKERS)}
    problems = []
    for name, (least, most) in checks.items():
        value = parameters.get(name)
        if isinstance(value, int) and not isinstance(value, bool) \
                and not least <= value <= most:
            problems.append(f"{shown}: parameters.{name}: {value} is out of range (allowed: "
                            f"a whole number from {least} to {most})")
    reps = parameters.get("replications")
    if "replications" in parameters and reps != AUTO and (
            not isinstance(reps, int) or isinstance(reps, bool)):
        problems.append(f"{shown}: parameters.replications: {_yaml_text(reps)} is not a "
                        f"number of replications (allowed: auto, or a whole number from 1 to "
                        f"{limits.MAX_REPS})")
    return problems


INT64 = 2**63 - 1  # the largest whole number a results table's column holds


def _number_problem(value: Any) -> str | None:
    """Why a number in a sweep file cannot be used (looking inside lists and mappings)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{_yaml_text(value)} is not a finite number (allowed: finite numbers only)"
    if isinstance(value, int) and not -INT64 - 1 <= value <= INT64:
        return (f"{_yaml_text(value)} is too large (allowed: whole numbers from {-INT64 - 1} "
                f"to {INT64})")
    inner = value.values() if isinstance(value, dict) else \
        value if isinstance(value, list | tuple) else ()
    return next((why for v in inner if (why := _number_problem(v))), None)


def _yaml_text(value: Any) -> str:
    """A value as YAML spells it (``.inf``, ``-.inf``, ``.nan`` for the special floats)."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    text = json.dumps(value, separators=(",", ":"), default=str) \
        if isinstance(value, dict | list) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expand(spec: SweepFile, folder: Path) -> list[Point]:
    base = str((folder / spec.base).resolve())
    if spec.grid is not None:
        fields = list(spec.grid)
        combos = itertools.product(*(spec.grid[f] for f in fields))
        out = []
        for i, combo in enumerate(combos):
            values = {f: plain(v) for f, v in zip(fields, combo, strict=True)}
            label = ",".join(f"{f.rsplit('.', 1)[-1]}={_short(v)}" for f, v in values.items())
            out.append(Point(i, label, base, values, values))
        return out
    keys = list(dict.fromkeys(k for p in spec.points or [] for k in p.set))
    return [Point(i, p.name or f"point-{i + 1}",
                  str((folder / p.scenario).resolve()) if p.scenario else base,
                  {k: plain(v) for k, v in p.set.items()},
                  {"scenario": p.scenario or spec.base,
                   **{k: _cell(p.set.get(k)) for k in keys}})
            for i, p in enumerate(spec.points or [])]


def _point_problems(spec: SweepFile, points: list[Point], shown: str, folder: Path
                    ) -> tuple[list[str], list[Point]]:
    """Every point's scenario loaded as the notebook will load it: problems said once each,
    against the sweep field that causes them, and the points with their scenario's hash."""
    base = (folder / spec.base).resolve()
    if not base.is_file():
        return [f"{shown}: base: file {spec.base!r} not found (looked for {base})"], points
    problems: list[str] = []
    known = _known_paths(base)
    for where, dotted in _swept_paths(spec):
        if known is not None and not _path_exists(known, dotted):
            problems.append(f"{shown}: {where}: no field {dotted!r} in {spec.base} "
                            f"({_nearest(known, dotted)})")
    if problems:
        return problems, points
    found: dict[str, list[str]] = {}  # problem -> the points that have it
    hashed = []
    for point in points:
        try:
            sha = load_scenario(point.scenario, point.overrides).sha256
            hashed.append(dataclasses.replace(point, sha256=sha))
        except ScenarioError as exc:
            for line in exc.problems:
                found.setdefault(_blame(spec, point, line), []).append(point.name)
        except Exception as exc:  # noqa: BLE001 - a value the scenario rules did not foresee
            found.setdefault(f"the point's scenario cannot be loaded ({_error_text(exc)[:200]})",
                             []).append(point.name)
    lines = [f"{shown}: {msg} [{'point' if len(names) == 1 else 'points'} {'; '.join(names)}]"
             for msg, names in found.items()]
    return lines, hashed


def _swept_paths(spec: SweepFile) -> list[tuple[str, str]]:
    if spec.grid is not None:
        return [(f"grid.{k}", k) for k in spec.grid]
    return [(f"points.{i}.set.{k}", k) for i, p in enumerate(spec.points or []) for k in p.set]


def _known_paths(base: Path) -> dict[str, Any] | None:
    """The base scenario with every default filled in: a swept path must exist in it (else a
    typo such as `teams.platfrom.members` would quietly add a new team)."""
    try:
        return load_scenario(base).model_dump(mode="json", by_alias=True)
    except Exception:  # noqa: BLE001 - reported with its own lines when the points are loaded
        return None


def _path_exists(data: Any, dotted: str) -> bool:
    for key in dotted.split("."):
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return False
    return True


def _nearest(data: Any, dotted: str) -> str:
    """'allowed here: a, b, c' at the first part of the path that does not exist."""
    done: list[str] = []
    for key in dotted.split("."):
        if isinstance(data, dict) and key in data:
            data, done = data[key], [*done, key]
            continue
        where = ".".join(done) or "top level"
        options = list(data) if isinstance(data, dict) else \
            [str(i) for i in range(len(data))] if isinstance(data, list) else []
        return f"allowed at {where}: {', '.join(map(str, options)) or 'no sub-fields'}"
    return "allowed: an existing field"


def _blame(spec: SweepFile, point: Point, line: str) -> str:
    """A scenario problem line restated against the sweep field that set the bad value."""
    parts = line.split(": ", 2)
    if len(parts) == 3:
        _, loc, msg = parts
        for where, dotted in _swept_paths(spec):
            if (loc == dotted or loc.startswith(dotted + ".")) and dotted in point.overrides:
                return f"{where}: {msg}" if loc == dotted else f"{where}: {loc}: {msg}"
    return line


# --- running -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PointResult:
    """How one point went (also the content of its ``point.json``). ``rows``: its numbers, one
    per milestone, read by the worker right after the point's notebook wrote them."""

    point: str
    point_id: str
    status: str  # "done", "failed" or "skipped" (done by an earlier run)
    key: str
    seconds: float = 0.0
    error: str = ""
    notebook: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Progress:
    """Where a sweep is: reported after each point; ``words``, the last point as the summary
    names it (a grid's values in words, a list's point name)."""

    done: int
    total: int
    failed: int
    last: PointResult
    words: str = ""


@dataclass(frozen=True)
class SweepOutcome:
    """What `run_sweep` produced. ``unwritten``: files that could not be written, one line each
    (a full disk): the command must say so."""

    out_dir: Path
    results: pd.DataFrame
    points: list[PointResult]
    summary_html: Path | None
    summary_error: str = ""
    unwritten: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[PointResult]:
        return [p for p in self.points if p.status == "failed"]

    @property
    def skipped(self) -> list[PointResult]:
        return [p for p in self.points if p.status == "skipped"]


class PointTask(NamedTuple):
    """Everything a worker needs to run one point (picklable)."""

    notebook: str
    parameters: dict[str, Any]
    point_dir: str
    record: dict[str, Any]


def run_point(task: PointTask) -> PointResult:
    """Run one point's report notebook; never raises for a failing notebook (the failure is the
    result). Writes ``point.json`` last, atomically: a point without it is unfinished."""
    folder = Path(task.point_dir)
    with worker.running(folder):
        _clean_partials(folder)
        start = time.perf_counter()
        status, error, rows = "done", "", []
        try:
            runner.execute_notebook(task.notebook, folder / "report.ipynb", task.parameters)
            rows = summary_rows(scenario_report.read_summary(folder))
        except Exception as exc:  # noqa: BLE001 - any failure of the point is recorded, not raised
            status, error = "failed", _error_text(exc)
        result = PointResult(status=status, error=error, rows=rows,
                             seconds=round(time.perf_counter() - start, 3),
                             notebook=_notebook_kept(folder), **task.record)
        with worker.recording():
            return _record(folder, result)


def _notebook_kept(folder: Path) -> str:
    """The executed notebook beside a point's results (the failed one, if it failed)."""
    for name in ("report.ipynb", runner.failed_notebook_path("report.ipynb").name):
        if (folder / name).is_file():
            return name
    return ""


def _record(folder: Path, result: PointResult) -> PointResult:
    """Write ``point.json``; if the disk refuses, the point is failed (and runs again next
    time) and says why."""
    try:
        atomic.write_json(folder / POINT_FILE, asdict(result))
        return result
    except OSError as exc:
        return dataclasses.replace(result, status="failed", rows=[], error=(
            f"{POINT_FILE} could not be written ({_os_reason(exc)}): the point runs again "
            f"next time"))


def summary_rows(s: dict[str, Any]) -> list[dict[str, Any]]:
    """A point's rows of the results table from its summary, one per milestone."""
    common = {"seed": s["seed"], "replications": s["replications"],
              "sha256": s["scenario"]["sha256"], "cost_p50": s["cost"]["p50"],
              "cost_p85": s["cost"]["p85"], "currency": s["scenario"].get("currency", ""),
              "simulation_seconds": s.get("report", {}).get("simulation_seconds")}
    return [{**common, **row} for row in tables.milestone_rows(s["milestones"])] or [common]


def run_sweep(sweep: Sweep, out_dir: str | os.PathLike[str], workers: int | None = None,
              force: bool = False, executor: cf.Executor | None = None,
              progress: Callable[[Progress], None] | None = None,
              summary: bool = True, notice: Callable[[str], None] | None = None,
              reports: str = "none", defaults: Mapping[str, Any] | None = None
              ) -> SweepOutcome:
    """Run every point not already finished (all with ``force``), collect the results table,
    and render the summary report. Points of the scenario report are simulations: points x
    batches of replications run ``workers`` at a time in separate processes (default: one per
    core) or on ``executor``, and the table is rewritten as points finish; per-point report
    notebooks follow the table, for the points ``reports`` asks for ("none", "best:N",
    "all"). A sweep of another notebook runs that notebook for each point. ``defaults``: the
    replications and seed of points whose sweep file does not set them (the command line's).
    The folder is this sweep's while it runs (`lock.FolderInUse` if another run has it;
    ``notice`` hears of a stale lock taken over)."""
    out = Path(out_dir).resolve()
    wanted = parse_reports(reports)
    with lock.exclusive(out, "workbench sweep", notice):
        return _run_owned(sweep, out, workers, force, executor, progress, summary, wanted,
                          {**POINT_DEFAULTS, **(defaults or {})})


def _run_owned(sweep: Sweep, out: Path, n_workers: int | None, force: bool,
               executor: cf.Executor | None, progress: Callable[[Progress], None] | None,
               summary: bool, reports: Reports = ("best", 3),
               defaults: Mapping[str, Any] = POINT_DEFAULTS) -> SweepOutcome:
    atomic.write_json(out / "sweep.json", _plan(sweep))
    finished, todo = _split_finished(sweep, out, force)
    results: list[PointResult] = list(finished)
    counter = _Counter(len(sweep.points), progress, sweep.kind == "grid")
    for r in finished:
        counter.add(r)
    simulated = simulates(sweep)
    stream = _Streaming(sweep, out) if simulated else None
    executed = _simulate_points(sweep, out, todo, n_workers, executor, defaults) if simulated \
        else _execute([_task(sweep, p, out) for p in todo], n_workers, executor)
    with closing(executed):
        for r in executed:
            results.append(r)
            counter.add(r)
            if stream is not None:
                stream.add(results)
    order = {p.id: p.index for p in sweep.points}
    results.sort(key=lambda r: order[r.point_id])
    frame = results_table(sweep, results)
    unwritten = write_results(frame, out)
    if simulated and not unwritten:
        _render_reports(sweep, out, frame, results, reports, n_workers, executor, defaults)
    html, error = _summary(out, summary, unwritten)
    return SweepOutcome(out, frame, results, html, error, unwritten)


class _Counter:
    def __init__(self, total: int, callback: Callable[[Progress], None] | None, grid: bool
                 ) -> None:
        self.total, self.callback, self.done, self.failed = total, callback, 0, 0
        self.grid = grid

    def add(self, result: PointResult) -> None:
        self.done += 1
        self.failed += result.status == "failed"
        if self.callback:
            words = values_words(result.values) if self.grid else result.point
            self.callback(Progress(self.done, self.total, self.failed, result,
                                   words or result.point))


def _task(sweep: Sweep, point: Point, out: Path) -> PointTask:
    record = {"point": point.name, "point_id": point.id, "key": sweep.key(point),
              "values": point.values}
    return PointTask(str(sweep.notebook), sweep.point_parameters(point, out),
                     str(out / point.id), record)


def _execute(tasks: list[PointTask], n_workers: int | None,
             executor: cf.Executor | None,
             run: Callable[[PointTask], PointResult] | None = None
             ) -> Generator[PointResult, None, None]:
    """Run tasks (`run_point`, or ``run``), yielding results as they finish."""
    if not tasks:
        return
    if executor is not None:
        yield from _gather(executor, tasks, run)
        return
    n = min(n_workers or default_workers(), len(tasks))
    # Separate processes, not threads: papermill's working-directory handling is not thread-safe,
    # and a crashing point must not take the sweep down. forkserver: safe with threads around.
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["workbench.reports.sweep"])
    done: set[str] = set()
    with cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=worker.start,
                                initargs=(os.getpid(),)) as pool:
        try:
            for result in _gather(pool, tasks, run):
                done.add(result.point_id)
                yield result
        except BaseException:  # Ctrl-C, or the caller stopped early: queued points never run
            with worker.no_interrupts():
                worker.stop(pool)
                for t in tasks:
                    if t.record["point_id"] not in done:
                        worker.discard_unfinished(Path(t.point_dir))
            raise


def _gather(executor: cf.Executor, tasks: list[PointTask],
            run: Callable[[PointTask], PointResult] | None = None) -> Iterator[PointResult]:
    futures = {executor.submit(run or run_point, t): t for t in tasks}
    try:
        for future in cf.as_completed(futures):
            yield _result_of(future, futures[future])
    finally:
        for f in futures:
            f.cancel()


def _result_of(future: cf.Future, task: PointTask) -> PointResult:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - the worker itself died (e.g. killed): record it
        result = PointResult(status="failed", error=f"worker failed: {_error_text(exc)}",
                             **task.record)
        return _record(Path(task.point_dir), result)


def _split_finished(sweep: Sweep, out: Path, force: bool
                    ) -> tuple[list[PointResult], list[Point]]:
    """Points finished by an earlier run with the same inputs, and the rest."""
    finished, todo = [], []
    for p in sweep.points:
        record = _read_point(out / p.id)
        ok = (not force and record is not None and record.get("status") == "done"
              and record.get("key") == sweep.key(p) and bool(record.get("rows"))
              and (out / p.id / paths.SUMMARY_FILE).is_file())
        if ok and record is not None:
            finished.append(PointResult(**{**record, "status": "skipped"}))
        else:
            todo.append(p)
    return finished, todo


def _read_point(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / POINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    known = {f.name for f in dataclasses.fields(PointResult)}
    return record if isinstance(record, dict) and set(record) <= known else None


def _clean_partials(folder: Path) -> None:
    """Leftovers of a run that was killed: temp files never renamed into place."""
    if folder.is_dir():
        for leftover in [*folder.glob(".*.tmp"), *folder.glob(".*.partial.ipynb")]:
            leftover.unlink(missing_ok=True)
    (folder / POINT_FILE).unlink(missing_ok=True)  # not done until written again


def _plan(sweep: Sweep) -> dict[str, Any]:
    return {"sweep": sweep.name, "file": str(sweep.path.resolve()), "kind": sweep.kind,
            "parameters": sweep.parameters, "notebook": str(sweep.notebook),
            "points": [{"id": p.id, "name": p.name, "scenario": p.scenario,
                        "overrides": p.overrides} for p in sweep.points]}


# --- points as simulations -----------------------------------------------------------------------

def parse_reports(text: str) -> Reports:
    """``none``, ``all`` or ``best:N`` as what to render; ValueError in the user's words."""
    kind, _, count = text.strip().lower().partition(":")
    if kind in ("none", "all") and not count:
        return kind, 0
    if kind == "best" and count.isdigit() and int(count) >= 1:
        return "best", int(count)
    raise ValueError(f"{text[:30]!r} is not a choice (allowed: none, all, best:N with N a whole "
                     "number of 1 or more)")


def simulates(sweep: Sweep) -> bool:
    """Whether a sweep's points are simulations (the scenario report's numbers), or runs of
    another notebook (a sweep file's own analysis)."""
    return Path(sweep.notebook).resolve() == _SCENARIO_REPORT.resolve()


_SCENARIO_REPORT = paths.NOTEBOOKS_DIR / "scenario_report.ipynb"  # as installed, whatever a
# caller sets `paths.REPORT_NOTEBOOK` to


class _PointRun:
    """One point's replications in flight: batches come back in any order and are put in
    replication order; a round ends when all its batches are back, and the next round (with
    ``--reps auto``) is decided from the results alone."""

    def __init__(self, sweep: Sweep, point: Point, out: Path, defaults: Mapping[str, Any]
                 ) -> None:
        params = {**defaults, **sweep.parameters}
        self.point, self.folder = point, out / point.id
        self.record = _task(sweep, point, out).record
        self.reps, self.seed = params["replications"], int(params["seed"])
        self.parameters = {"scenario_path": point.scenario, "overrides": point.overrides,
                           "replications": self.reps, "seed": self.seed}
        self.parts: dict[int, montecarlo.ChunkResult] = {}
        self.forecast: ProgramForecast | None = None
        self.error, self.waiting, self.started = "", 0, time.perf_counter()
        try:
            self.scenario: Scenario | None = load_scenario(point.scenario, point.overrides)
        except Exception as exc:  # noqa: BLE001 - the point fails, the others go on
            self.scenario, self.error = None, _error_text(exc)

    def batches(self, target: int, size: int) -> list[montecarlo.Chunk]:
        done = self.forecast.reps if self.forecast is not None else 0
        parts = spans(done, target, size)
        self.waiting = len(parts)
        return parts

    def take(self, first: int, future: cf.Future) -> bool:
        """A batch is back; True when its round is complete."""
        try:
            self.parts[first] = future.result()
        except Exception as exc:  # noqa: BLE001 - a failing point is recorded, not raised
            self.error = self.error or _error_text(exc)
        self.waiting -= 1
        return self.waiting == 0

    def next_target(self) -> int | None:
        """Fold the round into the forecast; how many replications to have next, if any
        (None also when the forecast cannot be read: the point then fails with why)."""
        assert self.scenario is not None
        more = [self.parts[k] for k in sorted(self.parts)]
        self.parts = {}
        try:
            self.forecast = montecarlo.extend(self.forecast, more) \
                if self.forecast is not None else \
                montecarlo.assemble(self.scenario, self.seed, more)
            return montecarlo.next_round(self.forecast, self.reps)
        except Exception as exc:  # noqa: BLE001 - this point fails, the others go on
            self.error = _error_text(exc)
            return None

    def finish(self) -> PointResult:
        """Write the point's summary and ``point.json`` (last): the point is then done."""
        seconds = round(time.perf_counter() - self.started, 3)
        with worker.recording():
            _clean_partials(self.folder)
            rows: list[dict[str, Any]] = []
            if not self.error and self.forecast is not None:
                forecast = montecarlo.finished(self.forecast, self.reps)
                summary = {**forecast.to_dict(), "report": {
                    "parameters": self.parameters, "simulation_seconds": seconds}}
                try:
                    atomic.write_json(self.folder / paths.SUMMARY_FILE, summary)
                    rows = summary_rows(summary)
                except OSError as exc:
                    self.error = f"{paths.SUMMARY_FILE} could not be written ({_os_reason(exc)})"
            result = PointResult(status="failed" if self.error else "done", error=self.error,
                                 rows=rows, seconds=seconds, **self.record)
            return _record(self.folder, result)


def _simulate_points(sweep: Sweep, out: Path, todo: list[Point], n_workers: int | None,
                     executor: cf.Executor | None, defaults: Mapping[str, Any]
                     ) -> Generator[PointResult, None, None]:
    """Every point's replications as batches on one pool (or ``executor``), all points at
    once: a few points still use every worker. Yields each point as it finishes."""
    runs = [_PointRun(sweep, p, out, defaults) for p in todo]
    for run in [r for r in runs if r.scenario is None]:
        yield run.finish()
    runs = [r for r in runs if r.scenario is not None]
    if not runs:
        return
    workers = n_workers or default_workers()
    with _simulation_pool(workers, executor) as pool:
        pending: dict[cf.Future, tuple[_PointRun, int]] = {}
        first = {id(r): montecarlo.first_round(r.reps) for r in runs}
        size = _batch_size(sum(first.values()), workers)
        for run in runs:
            _submit(pool, run, first[id(run)], size, pending)
        while pending:
            done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
            for future in done:
                run, start = pending.pop(future)
                if not run.take(start, future):
                    continue
                target = None if run.error else run.next_target()
                if target is None:
                    yield run.finish()
                else:
                    _submit(pool, run, target, _batch_size(target, workers), pending)


def _submit(pool: cf.Executor, run: _PointRun, target: int, size: int,
            pending: dict[cf.Future, tuple[_PointRun, int]]) -> None:
    assert run.scenario is not None
    for a, b in run.batches(target, size):
        pending[pool.submit(montecarlo.run_chunk, run.scenario, run.seed, a, b)] = (run, a)


def _batch_size(reps: int, workers: int) -> int:
    """Replications per task: about four tasks per worker, 10-200 each (task overhead noise,
    and a few points still spread over every worker)."""
    return max(10, min(200, math.ceil(reps / (4 * max(workers, 1)))))


@contextmanager
def _simulation_pool(workers: int, executor: cf.Executor | None) -> Iterator[cf.Executor]:
    """``executor`` as given, else worker processes that stop with the sweep (Ctrl-C, kill)."""
    if executor is not None:
        yield executor
        return
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["workbench.sim.montecarlo", "workbench.reports.workers"])
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                  initializer=worker.start, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:  # Ctrl-C, or the caller stopped early: queued batches never run
        with worker.no_interrupts():
            worker.stop(pool)
        raise
    pool.shutdown(wait=True)


class _Streaming:
    """The results table rewritten as points finish (at most every `STREAM_EVERY_S`), so a
    long sweep can be read while it runs; the final table is written at the end."""

    def __init__(self, sweep: Sweep, out: Path) -> None:
        self.sweep, self.out, self.last = sweep, out, time.monotonic()

    def add(self, results: list[PointResult]) -> None:
        if time.monotonic() - self.last < STREAM_EVERY_S or len(results) >= len(
                self.sweep.points):
            return
        order = {p.id: p.index for p in self.sweep.points}
        so_far = sorted(results, key=lambda r: order[r.point_id])
        write_results(results_table(self.sweep, so_far), self.out)
        self.last = time.monotonic()


def chosen_for_reports(frame: pd.DataFrame, results: list[PointResult], reports: Reports
                       ) -> list[str]:
    """Point ids whose report notebook is rendered: none, all finished, or the best N by
    the sweep's ranking (earliest P85 of the headline milestone)."""
    kind, count = reports
    done = [r.point_id for r in results if r.status != "failed"]
    if kind == "none" or not done:
        return []
    if kind == "all":
        return done
    ranked = ranking(frame) if "milestone" in frame and frame["milestone"].notna().any() \
        else pd.DataFrame({"Point": []})
    by_name = {r.point: r.point_id for r in results if r.point_id in done}
    best = [by_name[n] for n in ranked["Point"] if n in by_name]
    return (best or done)[:count]


def _render_reports(sweep: Sweep, out: Path, frame: pd.DataFrame, results: list[PointResult],
                    reports: Reports, n_workers: int | None, executor: cf.Executor | None,
                    defaults: Mapping[str, Any]) -> None:
    """The chosen points' report notebooks and HTML, after the table (same seed and
    replications: the same numbers as the table)."""
    chosen = set(chosen_for_reports(frame, results, reports))
    tasks = [_report_task(sweep, p, out, defaults) for p in sweep.points if p.id in chosen]
    for _ in _execute(tasks, n_workers, executor, run=render_point_report):
        pass


def _report_task(sweep: Sweep, point: Point, out: Path, defaults: Mapping[str, Any]
                 ) -> PointTask:
    task = _task(sweep, point, out)
    params = {**task.parameters, **{k: v for k, v in defaults.items()
                                    if k not in sweep.parameters}}
    return task._replace(parameters=params)


def render_point_report(task: PointTask) -> PointResult:
    """One finished point's report notebook (``report.ipynb``) and its HTML (``report.html``);
    a failure is said in the result, and the point's numbers stand."""
    folder, start = Path(task.point_dir), time.perf_counter()
    status, error = "done", ""
    try:
        nb = runner.execute_notebook(task.notebook, folder / "report.ipynb", task.parameters)
        runner.export_html(nb, folder / "report.html", title=f"{task.record['point']}: report")
    except Exception as exc:  # noqa: BLE001 - the table is written; the report is extra
        status, error = "failed", _error_text(exc)
    return PointResult(status=status, error=error, seconds=round(time.perf_counter() - start,
                                                                 3), **task.record)


# --- results -------------------------------------------------------------------------------------

def results_table(sweep: Sweep, results: list[PointResult]) -> pd.DataFrame:
    """One row per point and milestone (failed points: one row with the error), swept values
    as columns, from the results themselves (never re-read from the folder)."""
    rows: list[dict[str, Any]] = []
    for r in results:
        base = {"sweep": sweep.name, "kind": sweep.kind, "point": r.point, "point_id": r.point_id,
                "status": "done" if r.status == "skipped" else r.status, "error": r.error,
                "seconds": r.seconds,
                "notebook": f"{r.point_id}/{r.notebook}" if r.notebook else "",
                "scenario": Path(sweep.points[0].scenario).name, **r.values}
        ok = r.status != "failed" and r.rows
        rows.extend([{**base, **row} for row in r.rows] if ok else [base])
    swept = list(dict.fromkeys(k for r in results for k in r.values))
    columns = ["sweep", "kind", "point", "point_id", "status", *swept,
               *[c for c in RESULT_COLUMNS if c not in ("sweep", "point", "point_id", "status",
                                                        *swept)]]
    return tables.tidy(rows, columns)


def collect(sweep: Sweep, out: Path, results: list[PointResult]) -> pd.DataFrame:
    """`results_table`, written to ``results.parquet`` and ``results.csv``."""
    frame = results_table(sweep, results)
    atomic.write_table(frame, out / "results")
    return frame


def write_results(frame: pd.DataFrame, out: Path) -> list[str]:
    """``results.parquet`` and ``results.csv``, each written if the disk allows; one line per
    file that could not be (an earlier run's copy of it is removed: it would be stale)."""
    unwritten = []
    for name, encode in (("results.parquet", atomic.parquet_bytes),
                         ("results.csv", atomic.csv_bytes)):
        try:
            atomic.atomic_write_bytes(out / name, encode(frame))
        except OSError as exc:
            unwritten.append(f"{name} could not be written in {out} ({_os_reason(exc)})")
        except (ValueError, TypeError, ArithmeticError) as exc:  # pyarrow's errors are these
            unwritten.append(f"{name} could not be written in {out} (a value does not fit "
                             f"the table: {type(exc).__name__})")
        else:
            continue
        (out / name).unlink(missing_ok=True)
    return unwritten


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A sweep's results table from Parquet or CSV (dates parsed either way)."""
    p = paths.locate(path)
    if p.suffix == ".csv":
        frame = pd.read_csv(p)
        for c in ("target", "p50", "p85", "p95"):
            frame[c] = pd.to_datetime(frame[c])
        return frame
    return pd.read_parquet(p)


def swept_fields(results: pd.DataFrame) -> list[str]:
    """The columns a sweep varied, in file order."""
    fixed = {*RESULT_COLUMNS, "kind"}
    return [c for c in results.columns if c not in fixed]


def focus(results: pd.DataFrame, milestone: str = "") -> tuple[pd.DataFrame, str]:
    """Finished rows of one milestone (default: the last one listed), and its name."""
    done = results[results["status"] == "done"]
    names = list(dict.fromkeys(done["milestone"].dropna()))
    name = milestone or (names[-1] if names else "")
    return done[done["milestone"] == name], name


def ranking(results: pd.DataFrame, milestone: str = "", metric: str = "p85_days"
            ) -> pd.DataFrame:
    """Points best first (earliest P85, or highest chance of target), as a leader reads it."""
    rows, name = focus(results, milestone)
    best_first = metric != "chance_of_target"
    rows = rows.sort_values(metric, ascending=best_first, na_position="last")
    shown = pd.DataFrame({"Point": rows["point"]})
    for f in swept_fields(results):  # blank: the point leaves that field as its scenario has it
        shown[f] = rows[f].astype(object).where(rows[f].notna(), "")
    shown["P50"] = rows["p50"].map(formats.short_date)
    shown["P85"] = rows["p85"].map(formats.short_date)
    shown["Chance of target"] = rows["chance_of_target"].map(formats.percent)
    shown["Cost P85"] = p85_costs(rows)
    shown.index = pd.RangeIndex(1, len(shown) + 1, name=f"Rank ({name})")
    return shown


def p85_costs(rows: pd.DataFrame) -> list[str]:
    """Each row's P85 cost as every face writes it, in its scenario's currency ("EUR 1.14M";
    none in a table from before the results kept it)."""
    currency = rows["currency"].fillna("") if "currency" in rows else [""] * len(rows)
    return [formats.money(c, k) for c, k in zip(rows["cost_p85"], currency, strict=True)]


class HeatmapData(NamedTuple):
    """Cells for `charts.sweep_heatmap`: columns ``x``, ``y``, ``value``, ``label``, and the
    names of the swept fields and metric they stand for."""

    cells: pd.DataFrame
    x: str
    y: str
    value: str


def heatmap_table(results: pd.DataFrame, milestone: str = "", metric: str = "p85_days"
                  ) -> HeatmapData:
    """The metric averaged over the first two swept fields that vary; empty if fewer."""
    rows, _ = focus(results, milestone)
    varied = [f for f in swept_fields(results) if f != "scenario" and rows[f].nunique() > 1]
    if len(varied) < 2:
        return HeatmapData(pd.DataFrame(columns=["x", "y", "value", "label"]), "", "", metric)
    x, y = varied[:2]
    # Plain column names: Vega-Lite would read the dots of `teams.platform.members` as nesting.
    cells = rows.groupby([x, y], as_index=False).agg(value=(metric, "mean"), p85=("p85", "max"))
    cells = cells.rename(columns={x: "x", y: "y"})
    cells["label"] = cells["value"].map(formats.percent) if metric == "chance_of_target" \
        else cells["p85"].map(formats.short_date)
    return HeatmapData(cells[["x", "y", "value", "label"]], x, y, metric)


def tornado_table(results: pd.DataFrame, milestone: str = "") -> pd.DataFrame:
    """How far each change moves P85 (days). Grid: per field, the range of its values' mean P85
    around the sweep's mean. Points: each point against the first (the reference)."""
    rows, _ = focus(results, milestone)
    if rows.empty:
        return pd.DataFrame(columns=["change", "low_days", "high_days", "swing_days",
                                     "reference"])
    if (results["kind"] == "points").any():
        ref = rows["p85_days"].iloc[0]
        shift = rows["p85_days"] - ref
        out = pd.DataFrame({"change": rows["point"], "low_days": shift.clip(upper=0),
                            "high_days": shift.clip(lower=0)}).iloc[1:]
    else:
        mean = rows["p85_days"].mean()
        parts = []
        for f in swept_fields(results):
            by = rows.groupby(f)["p85_days"].mean() - mean
            parts.append({"change": f"{f} ({_short(by.index.min())}…{_short(by.index.max())})",
                          "low_days": by.min(), "high_days": by.max()})
        out = pd.DataFrame(parts)
    out["swing_days"] = out["high_days"] - out["low_days"]
    out["reference"] = f"'{rows['point'].iloc[0]}'" if (results["kind"] == "points").any() \
        else "the sweep's average"
    return out.sort_values("swing_days", ascending=False).reset_index(drop=True)


def failures(results: pd.DataFrame) -> pd.DataFrame:
    """Failed points: what went wrong and where the executed notebook is."""
    failed = results[results["status"] == "failed"]
    return failed[["point", "error", "notebook"]].reset_index(drop=True)


# --- the summary report --------------------------------------------------------------------------

def _summary(out: Path, wanted: bool, unwritten: list[str]) -> tuple[Path | None, str]:
    """The summary report, unless not wanted or the results table it reads is missing."""
    if not wanted:
        return None, ""
    if unwritten:
        _remove_summary(out)
        return None, "not rendered: the results table could not be written"
    return _render_summary(out)


def _render_summary(out: Path) -> tuple[Path | None, str]:
    """summary.ipynb and summary.html from the results table; the error text if it failed
    (an earlier run's summary is then removed: it would describe other results)."""
    try:
        nb = runner.execute_notebook(SUMMARY_NOTEBOOK, out / "summary.ipynb",
                                     {"results_path": str(out / "results.parquet")})
        return runner.export_html(nb, out / "summary.html", title="Sweep summary"), ""
    except Exception as exc:  # noqa: BLE001 - the points' results stand on their own
        _remove_summary(out, keep_failed=True)
        return None, _error_text(exc)


def _remove_summary(out: Path, keep_failed: bool = False) -> None:
    names = ["summary.html", "summary.ipynb"] + ([] if keep_failed else ["summary.failed.ipynb"])
    for name in names:
        (out / name).unlink(missing_ok=True)


# --- small helpers -------------------------------------------------------------------------------

def _error_text(exc: BaseException) -> str:
    """One line (`runner.error_line`), at most 500 characters."""
    return runner.error_line(exc)[:500]


def _os_reason(exc: OSError) -> str:
    """What the system said, without the file name (a temp file that no longer exists)."""
    return f"[Errno {exc.errno}] {exc.strerror}" if exc.strerror else str(exc)


def _cell(value: Any) -> Any:
    """A swept value as a table cell: scalars as they are, structures as JSON text."""
    value = plain(value)
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _short(value: Any) -> str:
    return json.dumps(value, separators=(",", ":")) if isinstance(value, dict | list) \
        else str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=,-]+", "_", text).strip("_")[:60] or "point"
