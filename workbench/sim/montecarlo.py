"""Monte Carlo: play a scenario many times and keep what forecasts need.

Replication ``i`` of seed ``s`` always draws the same random numbers (see `model.stream`), so
results are identical whatever the number of workers or the executor. Only one row of summary
numbers is kept per replication, so memory stays flat as replications grow; the full event log
of any replication can be rebuilt on demand with `replay`.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing as mp
import os
import sys
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import ExitStack
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from workbench.files.collector import no_cyclic_gc
from workbench.scenario.models import Scenario
from workbench.sim.forecast import ProgramForecast
from workbench.sim.metrics import check_invariants, summary
from workbench.sim.model import simulate_once
from workbench.sim.precision import AUTO, DEFAULT_PRECISION, Precision, Reps
from workbench.sim.records import RunLog

Chunk = tuple[int, int]
# The test suite sets this so that every run it simulates is checked against Little's law etc.
CHECK_ENV = "WORKBENCH_CHECK_INVARIANTS"


class ChunkResult(NamedTuple):
    """What a batch of replications sends back: summary rows and weekly burn-up counts."""

    columns: list[str]
    values: np.ndarray  # replications x columns
    burnup: np.ndarray  # replications x weeks: items done by the end of each week


def run_chunk(scenario: Scenario, seed: int, first: int, stop: int) -> ChunkResult:
    """Replications ``first``..``stop-1``: the unit of parallel work."""
    rows, burn = [], []
    check = checking_invariants()
    # A run leaves no reference cycles (`model.Run.dismantle`), so the cycle collector can
    # rest for the whole batch: its passes over each run's log were a tenth of the time.
    with no_cyclic_gc():
        for rep in range(first, stop):
            log = simulate_once(scenario, seed, rep)
            if check:
                check_invariants(scenario, log)
            row, weekly = summary(scenario, log)
            rows.append(row)
            burn.append(weekly)
    columns = list(rows[0]) if rows else []
    return ChunkResult(columns, np.array([list(r.values()) for r in rows], dtype=float),
                       np.array(burn, dtype=np.int32))


def checking_invariants() -> bool:
    """Whether every replication is checked against the model's invariants (Little's law...):
    on when the environment says so (the test suite does), read at call time."""
    return os.environ.get(CHECK_ENV) == "1"


def chunks(reps: int, workers: int, size: int | None = None) -> list[Chunk]:
    """Split replications into ordered batches: several per worker (for balance), each big
    enough that per-task overhead is noise."""
    size = size or max(1, min(200, math.ceil(reps / (4 * max(workers, 1)))))
    return spans(0, reps, size)


def spans(first: int, stop: int, size: int) -> list[Chunk]:
    """Replications ``first``..``stop-1`` in ordered batches of ``size``."""
    return [(a, min(a + size, stop)) for a in range(first, stop, size)]


def submit(executor: Executor | None, scenario: Scenario, seed: int, parts: Sequence[Chunk]
           ) -> list[Future[ChunkResult]]:
    """Start batches of replications on ``executor`` (None: run each here, now), in order."""
    if executor is None:
        return [_done(run_chunk(scenario, seed, a, b)) for a, b in parts]
    return [executor.submit(run_chunk, scenario, seed, a, b) for a, b in parts]


def assemble(scenario: Scenario, seed: int, parts: Sequence[ChunkResult]) -> ProgramForecast:
    """The forecast of consecutive batches of replications, given in replication order from
    replication 0 (what `simulate` returns for the same replications)."""
    table = _Table(sum(len(p.values) for p in parts))
    first = 0
    for part in parts:
        table.put(first, part)
        first += len(part.values)
    return table.forecast(scenario, seed)


def extend(forecast: ProgramForecast, more: Sequence[ChunkResult]) -> ProgramForecast:
    """``forecast`` with the batches of replications that follow its own."""
    own = ChunkResult(forecast.columns, forecast.values, forecast.burnup)
    return assemble(forecast.scenario, forecast.seed, [own, *more])


def default_workers() -> int:
    """One worker per core (SimPy is pure Python: more would only contend)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes forked from a server that has the model imported once (safe in
    notebooks, which have threads; quick, since workers need not import numpy again)."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["workbench.sim.montecarlo"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


def simulate(scenario: Scenario, reps: Reps = 500, seed: int = 0, workers: int | None = 1,
             executor: Executor | None = None, progress: bool | None = None,
             chunk_size: int | None = None, precision: Precision = DEFAULT_PRECISION
             ) -> ProgramForecast:
    """Forecast a scenario from ``reps`` replications (AUTO: as many as ``precision`` needs).

    ``workers=1`` runs here; more uses a process pool; ``executor`` (e.g. a Dask client's)
    overrides both. ``progress=None`` shows a bar on long runs when stderr is a terminal.
    """
    if reps == AUTO:
        return _simulate_auto(scenario, seed, workers, executor, progress, chunk_size, precision)
    if not isinstance(reps, int) or reps < 1:
        raise ValueError("replications must be at least 1 (or 'auto')")
    workers = workers or default_workers()
    parts = chunks(reps, 1 if executor is None and workers == 1 else workers, chunk_size)
    show = (reps >= 200 and sys.stderr.isatty()) if progress is None else progress
    table = _Table(reps)
    with tqdm(total=reps, disable=not show, unit="run", file=sys.stderr, leave=False) as bar:
        if executor is None and workers == 1:
            for a, b in parts:
                table.put(a, run_chunk(scenario, seed, a, b))
                bar.update(b - a)
        elif executor is not None:
            _gather(executor, scenario, seed, parts, bar, table)
        else:
            with process_pool(workers) as pool:
                _gather(pool, scenario, seed, parts, bar, table)
    return table.forecast(scenario, seed)


def first_round(reps: Reps, precision: Precision = DEFAULT_PRECISION) -> int:
    """How many replications a forecast of ``reps`` starts with (all of them when fixed)."""
    return min(precision.first, precision.cap) if reps == AUTO else int(reps)


def next_round(forecast: ProgramForecast, reps: Reps,
               precision: Precision = DEFAULT_PRECISION) -> int | None:
    """How many replications the forecast should have next (None: it is done). A pure
    function of the results so far: the same seed gives the same rounds anywhere."""
    return precision.next_reps(forecast) if reps == AUTO else None


def finished(forecast: ProgramForecast, reps: Reps,
             precision: Precision = DEFAULT_PRECISION) -> ProgramForecast:
    """The forecast as handed out: with how its number of runs was chosen, when by precision."""
    if reps != AUTO:
        return forecast
    return dataclasses.replace(forecast, precision=precision.describe(forecast))


def settled(forecast: ProgramForecast, precision: Precision = DEFAULT_PRECISION
            ) -> ProgramForecast | None:
    """What ``auto`` gives for this scenario and seed, if ``forecast``'s runs are enough to
    tell (the rule replayed on its first runs); None if more are needed."""
    if forecast.precision is not None and forecast.precision.get("rule") == AUTO:
        return forecast
    n: int | None = first_round(AUTO, precision)
    while n is not None and n <= forecast.reps:
        head = forecast.head(n)
        n = next_round(head, AUTO, precision)
        if n is None:
            return finished(head, AUTO, precision)
    return None


def _simulate_auto(scenario: Scenario, seed: int, workers: int | None,
                   executor: Executor | None, progress: bool | None, chunk_size: int | None,
                   precision: Precision) -> ProgramForecast:
    """Rounds of replications until `next_round` says enough; each round's batches run in
    parallel, and rounds meet only where the rule is read (a pure function of the results),
    so workers and executors change the speed, never the numbers."""
    workers = workers or default_workers()
    show = sys.stderr.isatty() if progress is None else progress
    with ExitStack() as stack:
        pool = executor if executor is not None or workers == 1 else \
            stack.enter_context(process_pool(workers))
        bar = stack.enter_context(tqdm(total=None, disable=not show, unit="run",
                                       file=sys.stderr, leave=False))
        forecast: ProgramForecast | None = None
        target: int | None = first_round(AUTO, precision)
        while target is not None:
            done = forecast.reps if forecast is not None else 0
            size = chunk_size or max(1, min(200, math.ceil((target - done) / (4 * workers))))
            more = [f.result() for f in submit(pool, scenario, seed, spans(done, target, size))]
            bar.update(target - done)
            forecast = extend(forecast, more) if forecast is not None else \
                assemble(scenario, seed, more)
            target = next_round(forecast, AUTO, precision)
    assert forecast is not None
    return finished(forecast, AUTO, precision)


class _Table:
    """Rows of all replications, filled batch by batch into arrays sized once: peak memory is
    one copy of the results (plus a batch), not the batches and their concatenation."""

    def __init__(self, reps: int) -> None:
        self.reps = reps
        self.columns: list[str] = []
        self.values = np.empty((reps, 0))
        self.burnup = np.empty((reps, 0), dtype=np.int32)

    def put(self, first: int, part: ChunkResult) -> None:
        if not len(part.values):
            return
        if not self.columns:
            self.columns = part.columns
            self.values = np.empty((self.reps, len(part.columns)))
            self.burnup = np.empty((self.reps, part.burnup.shape[1]), dtype=np.int32)
        stop = first + len(part.values)
        self.values[first:stop] = part.values
        self.burnup[first:stop] = part.burnup

    def forecast(self, scenario: Scenario, seed: int) -> ProgramForecast:
        return ProgramForecast(scenario, seed, self.reps, self.columns, self.values, self.burnup)


def _gather(executor: Executor, scenario: Scenario, seed: int, parts: Sequence[Chunk],
            bar: tqdm, table: _Table) -> None:
    futures: deque[Future] = deque(executor.submit(run_chunk, scenario, seed, a, b)
                                   for a, b in parts)
    for a, b in parts:
        # In submission order, each batch's rows at its replications' place; popped so that a
        # batch's result is freed as soon as it is copied.
        table.put(a, futures.popleft().result())
        bar.update(b - a)


def _done(result: ChunkResult) -> Future[ChunkResult]:
    future: Future[ChunkResult] = Future()
    future.set_result(result)
    return future


def replay(scenario: Scenario, seed: int, rep: int) -> RunLog:
    """The full event log of one replication, rebuilt exactly."""
    log = simulate_once(scenario, seed, rep)
    if checking_invariants():
        check_invariants(scenario, log)
    return log
