"""Jira import benchmark (issue 14). Prints ratios measured in one run: importing a generated
export of 50,000 items (`workbench import jira`: read, place, learn, write and check the
scenario) against `pandas.read_csv` of the same file, and the import's peak memory against the
file's size in memory as a DataFrame (Python-level peak by tracemalloc, and the process's peak
resident memory in a fresh child process)."""

from __future__ import annotations

import csv
import gc
import json
import random
import subprocess
import sys
import tempfile
import tracemalloc
import warnings
from pathlib import Path

import pandas as pd
from _common import best_of, print_ratios  # benchmarks/ is on sys.path when run as a script

from workbench.scenario.imports.jira import import_jira
from workbench.scenario.imports.settings import JiraMapping

ITEMS, PER_EPIC, TEAMS = 50_000, 100, 8
ROUNDS = 7  # best of 7, each import timed beside a read_csv
HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name",
    "Priority", "Resolution", "Assignee", "Reporter", "Created", "Updated", "Last Viewed",
    "Resolved", "Fix versions", "Fix versions", "Components", "Components", "Labels", "Labels",
    "Description", "Watchers", "Watchers", "Sprint", "Sprint", "Inward issue link (Blocks)",
    "Outward issue link (Blocks)", "Outward issue link (Blocks)", "Custom field (Rank)",
    "Custom field (Story Points)", "Custom field (Team)", "Status Category",
    "Status Category Changed", "Parent", "Parent summary", "Comment", "Comment",
]


def write_export(path: Path, items: int = ITEMS) -> Path:
    """An export in the sample's shape: epics of PER_EPIC items over TEAMS teams, a fifth of
    the items done, points, sprints, fix versions, links from each epic to the next."""
    rng = random.Random(14)
    epics = items // PER_EPIC
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for e in range(epics):
            out.writerow(_row(rng, e, None, e))
            for i in range(PER_EPIC):
                out.writerow(_row(rng, epics + e * PER_EPIC + i, e, i))
    return path


def _row(rng: random.Random, n: int, epic: int | None, i: int) -> list[str]:
    key, team = f"BIG-{n + 1}", f"Team {(epic if epic is not None else n) % TEAMS}"
    done = epic is not None and i < PER_EPIC // 5
    status = "Done" if done else "To Do"
    created = f"{1 + i % 28:02d}/Mar/26 9:{i % 60:02d} AM"
    resolved = f"{1 + i % 28:02d}/Jun/26 4:{i % 60:02d} PM" if done else ""
    blocks = f"BIG-{n + 1 + PER_EPIC}" if epic is not None and i == 5 and epic < 400 else ""
    parent = str(100_000 + epic) if epic is not None else ""
    return [f"Work item {n} of the big program, with a summary of some length", key,
            str(100_000 + n), "Epic" if epic is None else "Story", status, "BIG", "Big program",
            "Medium", "Done" if done else "", "Ada Byrne", "Bo Chen", created, created, created,
            resolved, f"R{(epic or 0) % 4}", "", "API", "Web" if i % 3 else "", "checkout", "",
            "As a shopper I want this, so that that.\n" + "Acceptance criteria follow. " * 4,
            "Ada Byrne", "Bo Chen", f"Sprint {i % 9}", "", "", blocks, "", f"0|i{n:07d}:",
            str(rng.choice([1, 2, 3, 5, 8])), team, "Done" if done else "To Do", created,
            parent, "the epic" if parent else "", "", ""]


def measure(path: Path, out: Path) -> tuple[float, float, float, float]:
    """(read_csv s, import s, DataFrame bytes, import's tracemalloc peak bytes)."""
    mapping = JiraMapping.model_validate({"releases": {"R0": "2027-06-30"}})
    read, ours = float("inf"), float("inf")
    for _ in range(ROUNDS):  # side by side, so a busy moment of the machine hits both alike
        read = min(read, best_of(lambda: pd.read_csv(path), 1))
        ours = min(ours, best_of(lambda: import_jira(path, out, mapping), 1))
    frame_bytes = float(pd.read_csv(path).memory_usage(deep=True).sum())
    gc.collect()
    tracemalloc.start()
    import_jira(path, out, mapping)
    peak = float(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    return read, ours, frame_bytes, peak


CHILD = """
import gc, json, re, resource, sys
from pathlib import Path
from workbench.scenario.imports.jira import import_jira
from workbench.scenario.imports.settings import JiraMapping

def rss(field):  # Linux: current (VmRSS) and peak (VmHWM) resident memory of this process
    status = Path("/proc/self/status").read_text()
    return int(re.search(field + r":\\s+(\\d+) kB", status).group(1)) * 1024

m = JiraMapping.model_validate({})
import_jira(sys.argv[3], sys.argv[2], m)  # loads every library's code first
gc.collect()
Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
base = rss("VmRSS")
import_jira(sys.argv[1], sys.argv[2], m)
print(json.dumps(rss("VmHWM") - base))
"""


def rss_peak_growth(path: Path, small: Path, out: Path) -> float | None:
    """Peak resident memory a big import adds, in a fresh process that has first imported a
    small export (so the libraries' code is loaded: that is not the import's memory). Linux
    only (its peak, VmHWM, can be reset; `ru_maxrss` would include the parent's at fork)."""
    if not Path("/proc/self/clear_refs").exists():
        return None
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(out), str(small)],
                          check=True, capture_output=True, text=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    warnings.simplefilter("ignore", pd.errors.DtypeWarning)  # read_csv guessing column types
    with tempfile.TemporaryDirectory() as tmp:
        path = write_export(Path(tmp) / "big_export.csv")
        out = Path(tmp) / "big.yaml"
        read, ours, frame_bytes, peak = measure(path, out)
        small = write_export(Path(tmp) / "small_export.csv", 1_000)
        rss = rss_peak_growth(path, small, out)
    mb = frame_bytes / 1e6
    print(f"export: {ITEMS:,} items, {mb:.0f} MB as a DataFrame; read_csv {read:.3f} s, "
          f"import {ours:.3f} s")
    ratios = {
        f"{ITEMS:,} items: import jira vs pandas.read_csv of the same file (time)":
            (ours / read, "<= 3"),
        "import's peak Python memory (tracemalloc) vs the file as a DataFrame":
            (peak / frame_bytes, "<= 4")}
    if rss is not None:
        ratios["import's peak resident memory growth (fresh process) vs the file as a "
               "DataFrame"] = (rss / frame_bytes, "<= 4")
    print_ratios(ratios)


if __name__ == "__main__":
    main()
    sys.exit(0)
