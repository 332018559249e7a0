"""The bad-input corpus: what a TPM might type or be sent, each run as the installed command
from the repository root, each with the exact line it must print. Mistakes exit 2 with one
line (naming the option or file and what is allowed) and no traceback; names a terminal or a
spreadsheet would act on come out escaped or neutralised (exit 0). Every probe must finish in
under 5 s of CPU and 300 MB (its time and peak memory, from `os.wait4` of its process; the
clock time is bounded too, more loosely: the machine is shared with other tests).

test_bad_input_numbers.py and test_bad_input_files.py run half each (side by side under
xdist). The files are in tests/bad_input/; the too-big sweep file is made at test time. The
figures of the last run are written to test-artifacts/bad-input-*.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from workbench.files import limits

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
HISTORY = "data/history/chi2fit_team_resolved.csv"
B = "tests/bad_input"
MAX_CPU_SECONDS, MAX_WALL_SECONDS, MAX_MB = 5.0, 15.0, 300
SEEDS = f"(allowed: 0 to {limits.MAX_SEED})"
DASK = "(allowed: tcp://HOST:PORT, tls://HOST:PORT, HOST:PORT or local)"


@dataclass(frozen=True)
class Probe:
    """One input, the line it must give and its exit code (2: a stderr line and nothing else;
    0: a line of stdout)."""

    name: str
    argv: tuple[str, ...]
    line: str
    code: int = 2
    env: dict[str, str] = field(default_factory=dict)
    cpu_limit: float = 5.0  # seconds


def p(name: str, command: str, line: str, code: int = 2, **env: str) -> Probe:
    """A probe; a Dask one must be refused within 2 s (before Dask is even imported)."""
    return Probe(name, tuple(command.split()), line, code, env,
                 2.0 if name.startswith("dask") else MAX_CPU_SECONDS)


NUMBERS = [
    # seeds: whole numbers from 0 to 2**32 - 1, in every command
    p("seed-negative-run", "run scenarios/mm1.yaml --seed -1",
      f"workbench run: argument --seed: '-1' is out of range {SEEDS}"),
    p("seed-fraction-run", "run scenarios/mm1.yaml --seed 1.5",
      f"workbench run: argument --seed: '1.5' is not a whole number {SEEDS}"),
    p("seed-too-big-run", "run scenarios/mm1.yaml --seed 4294967296",
      f"workbench run: argument --seed: '4294967296' is out of range {SEEDS}"),
    p("seed-negative-report", "report scenarios/mm1.yaml --seed -1",
      f"workbench report: argument --seed: '-1' is out of range {SEEDS}"),
    p("seed-negative-sweep-file", f"sweep {B}/sweep_seed.yaml",
      f"{B}/sweep_seed.yaml: parameters.seed: -1 is out of range (allowed: a whole number "
      f"from 0 to {limits.MAX_SEED})"),
    p("seed-negative-forecast", f"forecast {HISTORY} --items 10 --seed -1",
      f"workbench forecast: argument --seed: '-1' is out of range {SEEDS}"),
    p("seed-text-backtest", f"backtest {HISTORY} --items 10 --seed one",
      f"workbench backtest: argument --seed: 'one' is not a whole number {SEEDS}"),
    # replications, workers and other counts: bounded, one line
    p("reps-zero", "run scenarios/mm1.yaml --reps 0",
      f"workbench run: argument --reps: '0' is out of range (allowed: 1 to {limits.MAX_REPS}, "
      "or auto)"),
    p("reps-too-many", "run scenarios/mm1.yaml --reps 1000001",
      "workbench run: argument --reps: '1000001' is out of range (allowed: 1 to "
      f"{limits.MAX_REPS}, or auto)"),
    p("reps-5000-digits", "run scenarios/mm1.yaml --reps " + "9" * 5000,
      "workbench run: argument --reps: '999999999999999999999999999...' is not a whole number "
      f"(allowed: 1 to {limits.MAX_REPS}, or auto)"),
    p("workers-too-many-run", "run scenarios/mm1.yaml --workers 100000",
      "workbench run: argument --workers: '100000' is out of range (allowed: 1 to "
      f"{limits.MAX_WORKERS})"),
    p("workers-zero-sweep", f"sweep {B}/sweep_ok.yaml --workers 0",
      f"workbench sweep: argument --workers: '0' is out of range (allowed: 1 to "
      f"{limits.MAX_WORKERS})"),
    p("reps-sweep-file", f"sweep {B}/sweep_reps.yaml",
      f"{B}/sweep_reps.yaml: parameters.replications: 100000000 is out of range (allowed: a "
      f"whole number from 1 to {limits.MAX_REPS})"),
    p("sweep-too-many-points", f"sweep {B}/sweep_too_many_points.yaml",
      f"{B}/sweep_too_many_points.yaml: grid: 1000000 points, more than the limit of 1000 "
      "(allowed: up to 1000; --max-points N raises it, up to 100000)"),
    p("max-points-too-high", f"sweep {B}/sweep_too_many_points.yaml --max-points 1000000",
      "workbench sweep: argument --max-points: '1000000' is out of range (allowed: 1 to "
      "100000)"),
    p("trials-too-many", f"forecast {HISTORY} --items 10 --trials 10000000",
      "workbench forecast: argument --trials: '10000000' is out of range (allowed: 1 to "
      f"{limits.MAX_TRIALS})"),
    p("items-too-many", f"forecast {HISTORY} --items 1000000000000",
      "workbench forecast: argument --items: '1000000000000' is out of range (allowed: 1 to "
      f"{limits.MAX_ITEMS})"),
    p("focus-nan", f"forecast {HISTORY} --items 10 --focus nan",
      "workbench forecast: argument --focus: 'nan' is not a finite number"),
    p("split-huge", f"forecast {HISTORY} --items 10 --split 1 1e300",
      "workbench forecast: argument --split: '1e300' is out of range (allowed: 0 to 100)"),
    p("risk-huge", f"forecast {HISTORY} --items 10 --risk 0.5 1 1e300",
      "workbench forecast: --risk: P LO HI with P from 0 to 1 and whole numbers of items "
      f"from 0 to {limits.MAX_ITEMS}, e.g. --risk 0.3 5 10"),
    p("half-life-inf", f"forecast {HISTORY} --items 10 --half-life-days inf",
      "workbench forecast: argument --half-life-days: 'inf' is not a finite number "
      "(allowed: 0 to 36500)"),
    p("start-year-9999", f"forecast {HISTORY} --items 10 --start 9999-12-31",
      "workbench forecast: --start: 9999-12-31 is out of range (allowed: 1900-01-01 to "
      "2199-12-31)"),
    p("by-far-future", f"forecast {HISTORY} --by 2199-01-01",
      "workbench forecast: --by: 2199-01-01 is more than 20 years after the start 2019-05-14 "
      "(allowed: up to 2039-05-14)"),
    p("periods-too-many", f"backtest {HISTORY} --periods 100000",
      "workbench backtest: argument --periods: '100000' is out of range (allowed: 1 to "
      f"{limits.MAX_PERIODS})"),
    p("lab-port", "lab --port 70000",
      "workbench lab: argument --port: '70000' is out of range (allowed: 0 to 65535)"),
]
FILES = [
    # sweep files: strict YAML, finite numbers, sizes
    p("duplicate-key", f"sweep {B}/sweep_duplicate_key.yaml",
      f"{B}/sweep_duplicate_key.yaml: line 4: duplicate key 'teams.app.members' (first on "
      "line 3; allowed: each key once)"),
    p("duplicate-section", f"sweep {B}/sweep_duplicate_section.yaml",
      f"{B}/sweep_duplicate_section.yaml: line 4: duplicate key 'grid' (first on line 2; allowed: "
      "each key once)"),
    p("alias", f"sweep {B}/sweep_alias.yaml",
      f"{B}/sweep_alias.yaml: line 4: an alias (*name) is not allowed here (write the value "
      "out)"),
    p("deep-nesting", f"sweep {B}/sweep_deep.yaml",
      f"{B}/sweep_deep.yaml: line 2: nested more than 32 levels deep (allowed: up to 32)"),
    p("not-utf8", f"sweep {B}/sweep_not_utf8.yaml",
      f"{B}/sweep_not_utf8.yaml: not UTF-8 text (byte 27 of the file; "
      "allowed: text saved as UTF-8)"),
    p("too-big-file", "sweep {tmp}/huge.yaml",
      "{tmp}/huge.yaml: larger than 1024 KiB (allowed: a sweep file of up to 1024 KiB)"),
    p("inf-grid-value", f"sweep {B}/sweep_inf_grid.yaml",
      f"{B}/sweep_inf_grid.yaml: grid.teams.app.cost_per_person_day: .inf is not a finite "
      "number (allowed: finite numbers only) [points with cost_per_person_day=.inf]"),
    p("nan-point-value", f"sweep {B}/sweep_nan_point.yaml",
      f"{B}/sweep_nan_point.yaml: points.1.set.teams.web.focus: .nan is not a finite number "
      "(allowed: finite numbers only) [point no focus]"),
    p("huge-whole-number", f"sweep {B}/sweep_huge_number.yaml",
      f"{B}/sweep_huge_number.yaml: grid.teams.app.members: 100000000000000000000000000000000"
      "000000000000000000000000... is too large (allowed: whole numbers from "
      "-9223372036854775808 to 9223372036854775807) [points with members=1000000000000000000"
      "00000000000000000000000000000000000000...]"),
    p("inf-in-a-point-scenario", f"sweep {B}/sweep_inf_scenario.yaml",
      f"{B}/sweep_inf_scenario.yaml: {REPO / B}/infinite_cost.yaml: teams.app.cost_per_person_day: "
      "inf is not a finite number (allowed: number >= 0 and <= 1000000000.0) "
      "[point infinite cost]"),
    # names with terminal escapes: escaped; names that are formulas: neutralised in CSV
    p("escape-in-validate", f"validate {B}/scenario_escape.yaml",
      f"{B}/scenario_escape.yaml: epics.login\\x1b[2J.team: unknown team 'nope' (known: app)"),
    p("escape-in-sweep-point", f"sweep {B}/sweep_escape_name.yaml",
      f"{B}/sweep_escape_name.yaml: points.0.set.teams.web.focus: 1.5 is too large (allowed: "
      "number > 0 and <= 1) [point \\x1b]0;owned\\x07\\x1b[2J]"),
    p("escape-in-run-table", f"run {B}/scenario_names.yaml --reps 3",
      "Names \\x1b]0;owned\\x07: 3 runs, seed 0, scenario sha256 ", code=0),
    p("escape-in-validate-ok", f"validate {B}/scenario_names.yaml",
      f"{B}/scenario_names.yaml: ok (1 teams, 4 epics, 1 milestones)", code=0),
    p("formula-epic-csv", f"run {B}/scenario_names.yaml --reps 3 --format csv",
      "epic,\"'=HYPERLINK(\"\"http://x.test\"\",\"\"click\"\")\",app\x1b[31m,,2027-01-05,"
      "2027-01-05,2027-01-05,,0.0", code=0),
    p("formula-at-csv", f"run {B}/scenario_names.yaml --reps 3 --format csv",
      "epic,'@SUM(A1),app\x1b[31m,,2027-01-08,2027-01-08,2027-01-08,,0.0", code=0),
    p("negative-number-stays-a-number", f"run {B}/scenario_names.yaml --reps 3 --format csv",
      "epic,-5,app\x1b[31m,,2027-01-11,2027-01-11,2027-01-11,,0.0", code=0),
    p("formula-milestone-csv", f"run {B}/scenario_names.yaml --reps 3 --format csv",
      "milestone,'+cmd\u202e,,2027-02-01,2027-01-11,2027-01-11,2027-01-11,1.0,0.0", code=0),
    # Dask: tcp:// and tls:// (and local) only, before Dask is even imported
    p("dask-inproc", "run scenarios/mm1.yaml --scheduler inproc://x",
      f"workbench run: --scheduler inproc://x: the scheme inproc:// is not allowed {DASK}"),
    p("dask-ucx", "run scenarios/mm1.yaml --scheduler ucx://10.0.0.5:8786",
      f"workbench run: --scheduler ucx://10.0.0.5:8786: the scheme ucx:// is not allowed "
      f"{DASK}"),
    p("dask-ws-sweep", f"sweep {B}/sweep_ok.yaml --out {{tmp}}/o --scheduler ws://h:1",
      f"workbench sweep: --scheduler ws://h:1: the scheme ws:// is not allowed {DASK}"),
    p("dask-http", "run scenarios/mm1.yaml --scheduler http://10.0.0.5:8787",
      "workbench run: --scheduler http://10.0.0.5:8787: the scheme http:// is not allowed "
      f"{DASK}"),
    p("dask-env-file", "run scenarios/mm1.yaml",
      "workbench run: DASK_SCHEDULER_ADDRESS=file:///etc/passwd: the scheme file:// is not "
      f"allowed {DASK}", DASK_SCHEDULER_ADDRESS="file:///etc/passwd"),
]


PROBES = NUMBERS + FILES


@contextmanager
def generated_files() -> Iterator[Path]:
    """Where the probes' generated files go: a sweep file over the size limit."""
    with tempfile.TemporaryDirectory() as folder:
        huge = Path(folder) / "huge.yaml"
        huge.write_text("base: small.yaml\n# " + "x" * limits.MAX_SWEEP_FILE_BYTES + "\n")
        yield Path(folder)


@dataclass(frozen=True)
class Ran:
    """What a probe's process did."""

    code: int
    out: str
    err: str
    seconds: float  # clock time
    cpu_seconds: float  # user + system
    peak_mb: float


# Runs the probe and reports its exit code, CPU seconds and peak memory (KiB) on the file
# descriptor it is given. Linux
# counts in a child's peak memory the memory of the process it was forked from, so the probe
# is forked from this small launcher, not from the test process (hundreds of MB by now).
LAUNCHER = ("import json, os, sys\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.execv(sys.argv[2], sys.argv[2:])\n"
            "_, status, use = os.wait4(pid, 0)\n"
            "os.write(int(sys.argv[1]), json.dumps([os.waitstatus_to_exitcode(status), "
            "use.ru_utime + use.ru_stime, use.ru_maxrss]).encode())\n")


def run(probe: Probe, tmp: Path) -> Ran:
    """The probe as a process of its own, measured by `os.wait4` (its own usage, not that of
    the other processes the test run started)."""
    argv = [a.replace("{tmp}", str(tmp)) for a in probe.argv]
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    read, write = os.pipe()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(write), sys.executable, "-m",
                        "workbench", *argv], cwd=REPO, stdout=out, stderr=err,
                       env={**env, **probe.env}, pass_fds=(write,), check=True)
        seconds = time.monotonic() - start
        os.close(write)
        with os.fdopen(read) as report:
            code, cpu, peak_kb = json.loads(report.read())
        out.seek(0)
        err.seek(0)
        return Ran(code, out.read().decode(), err.read().decode(), seconds, cpu, peak_kb / 1024)


def check(probe: Probe, tmp: Path) -> dict[str, float]:
    """Run the probe and assert its line, exit code, time and memory; its figures."""
    ran = run(probe, tmp)
    expected = probe.line.replace("{tmp}", str(tmp))
    assert "Traceback" not in ran.err
    if probe.code == 2:
        assert (ran.code, ran.out, ran.err.splitlines()) == (2, "", [expected])
    else:
        assert ran.code == 0, ran.err
        assert any(line.startswith(expected) for line in ran.out.splitlines()), ran.out
    assert not (tmp / "o").exists()  # a refused command writes nothing
    assert ran.cpu_seconds < probe.cpu_limit, f"{ran.cpu_seconds:.1f} s of CPU"
    assert ran.seconds < MAX_WALL_SECONDS, f"{ran.seconds:.1f} s"
    assert ran.peak_mb < MAX_MB, f"{ran.peak_mb:.0f} MB"
    return {"seconds": round(ran.seconds, 2), "cpu_seconds": round(ran.cpu_seconds, 2),
            "peak_mb": round(ran.peak_mb, 1)}


def write_figures(name: str, seen: dict[str, dict[str, float]]) -> None:
    """The probes' seconds and peak MB, with the slowest and the largest, in test-artifacts/."""
    if not seen:
        return
    slowest = max(seen, key=lambda k: seen[k]["seconds"])
    largest = max(seen, key=lambda k: seen[k]["peak_mb"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"bad-input-{name}.json").write_text(json.dumps(
        {"probes": len(seen), "slowest": slowest, "largest": largest, "each": seen}, indent=2))
