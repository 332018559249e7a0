"""Scenario files as an attacker or a careless hand writes them: every probe gets its one
expected line and exit 2, quickly and in little memory, and no output ever quotes a file the
scenario had no business reading (a fake secret stands in for /etc/shadow)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SECRET = "s3cr3t-hash-DO-NOT-PRINT"
SCENARIO = "name: probe\nstart: 2027-01-04\nteams: {t: {members: 2}}\n"
EPIC = "epics: {e: {team: t, items: 3, effort_days: EFFORT}}\n"
BOMB = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x]",
                  *(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
                    for p, c in zip("abcdefgh", "bcdefghi", strict=True))])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder (with its marker) beside a folder holding a secret."""
    root = tmp_path / "proj"
    (root / "scenarios").mkdir(parents=True)
    (root / ".workbench").touch()
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "shadow").write_text(f"root:{SECRET}:19000:0:99999:7:::\n")
    (tmp_path / "secret" / "done.csv").write_text(f"key,{SECRET}\nA-1,2027-01-01\n")
    (root / "scenarios" / "notes.yaml").write_text(f"{SECRET} is the admin password\n")
    (root / "scenarios" / "header.csv").write_text(f"{SECRET},x\n1,2\n")
    return root / "scenarios"


# `workbench` in a process of its own that notes its own peak memory: VmHWM, the high-water
# mark of this program's memory (ru_maxrss would carry the forking test worker's over exec).
MEASURED = ("import os, re, sys\nfrom workbench.app.cli import main\ncode = main(sys.argv[1:])\n"
            "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
            "open(os.environ['PEAK_KIB'], 'w').write(hwm)\nsys.exit(code)")


def validate(folder: Path, name: str, text: str, *options: str) -> tuple[list[str], float]:
    """The lines of `workbench validate NAME` (exit 2), its seconds; its peak under 300 MB."""
    (folder / name).write_text(text)
    peak = folder.parent / "peak"
    clock = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, *options, "validate", name],
                          cwd=folder, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PEAK_KIB": str(peak)})
    seconds = time.perf_counter() - clock
    assert done.returncode == 2 and done.stdout == "", (done.stdout, done.stderr)
    assert SECRET not in done.stderr and "Traceback" not in done.stderr
    assert int(peak.read_text()) < 300 * 1024  # KiB
    return done.stderr.splitlines(), seconds


LIMIT = "(allowed: at most {n}; raise it with --limit {name}=N or WORKBENCH_LIMITS={name}=N)"
OUTSIDE = "is outside the project folder $ROOT (allowed: files under it, or under a folder " \
          "given with --allow-path DIR)"
PROBES = {
    "extends-dotdot": ("extends: ../../secret/shadow\n",
                       "probe.yaml: extends: '../../secret/shadow' " + OUTSIDE),
    "extends-absolute": ("extends: $TMP/secret/shadow\n",
                         "probe.yaml: extends: '$TMP/secret/shadow' " + OUTSIDE),
    "empirical-outside": (SCENARIO + EPIC.replace("EFFORT", "{empirical: {file: "
                                                  "../../secret/done.csv}}"),
                          "probe.yaml: epics.e.effort_days: history file "
                          "'../../secret/done.csv' " + OUTSIDE),
    "empirical-header": (SCENARIO + EPIC.replace("EFFORT", "{empirical: {file: header.csv}}"),
                         "probe.yaml: epics.e.effort_days: $FOLDER/header.csv: no "
                         "finish-date column found (looked for Resolved, finished_date, finish, "
                         "finished, done)"),
    "extends-not-a-scenario": ("extends: notes.yaml\n",
                               "notes.yaml: top level: a text is not a mapping (allowed: a "
                               "mapping of sections: name, description, currency, start, "
                               "horizon_days, warmup_days, calendar, teams, epics, arrivals, "
                               "risks, milestones, budget, as_of, owner, asks, status, levers, "
                               "extends)"),
    "alias-bomb": (SCENARIO + BOMB + "\n",
                   "probe.yaml: line 4: an alias (*name) repeats a value written elsewhere "
                   "(allowed: no anchors or aliases in scenario files; write the value out, "
                   "or use extends)"),
    "deep-nesting": (SCENARIO + "x: " + "[" * 500 + "]" * 500 + "\n",
                     "probe.yaml: top level: the nesting depth is 41, over the limit of 40 "
                     + LIMIT.format(n=40, name="nesting_depth")),
    "infinite-cost": ("name: probe\nstart: 2027-01-04\nteams: {t: {members: 2, "
                      "cost_per_person_day: .inf}}\n",
                      "probe.yaml: teams.t.cost_per_person_day: inf is not a finite number "
                      "(allowed: number >= 0 and <= 1000000000.0)"),
    "infinite-interrupts": ("name: probe\nstart: 2027-01-04\nteams: {t: {members: 2, "
                            "interrupts: {rate_per_week: .inf, effort_days: 1}}}\n",
                            "probe.yaml: teams.t.interrupts.rate_per_week: inf is not a finite "
                            "number (allowed: number >= 0 and <= 10000)"),
    "nan-warmup": (SCENARIO + "warmup_days: .nan\n",
                   "probe.yaml: warmup_days: nan is not a finite number (allowed: number >= 0 "
                   "and <= 36500)"),
    "start-9999": ("name: probe\nstart: 9999-12-01\nteams: {t: {members: 2}}\n",
                   "probe.yaml: start: must be in the years 1900 to 2999 (got 9999-12-01)"),
    "trillion-items": (SCENARIO + "epics: {e: {team: t, items: 1000000000000, effort_days: 1}}\n",
                       "probe.yaml: epics.e.items: the number of items is 1,000,000,000,000, "
                       "over the limit of 100,000 " + LIMIT.format(n="100,000",
                                                                   name="items_per_epic")),
    "billion-day-horizon": (SCENARIO + "horizon_days: 1000000000\n",
                            "probe.yaml: horizon_days: horizon_days is 1,000,000,000, over the "
                            "limit of 36,500 " + LIMIT.format(n="36,500", name="horizon_days")),
}


@pytest.mark.parametrize("probe", PROBES, ids=list(PROBES))
def test_each_probe_gets_its_line_quickly_and_small(project: Path, probe: str) -> None:
    text, line = PROBES[probe]
    places = {"$TMP": project.parent.parent, "$ROOT": project.parent, "$FOLDER": project}

    def fill(s: str) -> str:
        for key, value in places.items():
            s = s.replace(key, str(value))
        return s

    lines, seconds = validate(project, "probe.yaml", fill(text))
    assert lines == [fill(line)]
    assert seconds < 5


def test_a_long_extends_chain_stops_at_its_limit(project: Path) -> None:
    for i in range(1000):
        (project / f"c{i}.yaml").write_text(f"extends: c{i + 1}.yaml\n")
    (project / "c1000.yaml").write_text(SCENARIO)
    lines, seconds = validate(project, "start.yaml", "extends: c0.yaml\n")
    assert lines == ["c18.yaml: extends: the extends chain is 21, over the limit of 20 "
                     + LIMIT.format(n=20, name="extends_depth")]
    assert seconds < 5


def test_a_huge_file_is_refused_before_it_is_read(project: Path) -> None:
    big = "# " + "x" * 1022 + "\n"
    lines, seconds = validate(project, "huge.yaml", SCENARIO + big * 21_000)
    assert lines == ["huge.yaml: top level: the file's size in MB is 21.5, over the limit of 20 "
                     + LIMIT.format(n=20, name="file_mb")]
    assert seconds < 5


def test_allow_path_lets_a_scenario_read_a_folder_the_user_names(project: Path) -> None:
    (project.parent.parent / "shared").mkdir()
    (project.parent.parent / "shared" / "base.yaml").write_text(SCENARIO)
    (project / "child.yaml").write_text("extends: ../../shared/base.yaml\n")
    done = subprocess.run([sys.executable, "-m", "workbench", "--allow-path", "../../shared",
                           "validate", "child.yaml"], cwd=project, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
