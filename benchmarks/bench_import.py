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
from pathlib import Path

import pandas as pd
from _common import best_of, print_ratios  # benchmarks/ is on sys.path when run as a script

from workbench.scenario.imports.jira import import_jira
from workbench.scenario.imports.settings import JiraMapping

ITEMS, PER_EPIC, TEAMS = 50_000, 100, 8
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
    read = best_of(lambda: pd.read_csv(path), 3)
    ours = best_of(lambda: import_jira(path, out, mapping), 3)
    frame_bytes = float(pd.read_csv(path).memory_usage(deep=True).sum())
    gc.collect()
    tracemalloc.start()
    import_jira(path, out, mapping)
    peak = float(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    return read, ours, frame_bytes, peak


def rss_peak_growth(path: Path, out: Path) -> float:
    """Peak resident memory the import adds, in a fresh process (after its imports)."""
    code = (
        "import gc, json, resource, sys, psutil\n"
        "from workbench.scenario.imports.jira import import_jira\n"
        "from workbench.scenario.imports.settings import JiraMapping\n"
        "m = JiraMapping.model_validate({})\n"
        "gc.collect(); base = psutil.Process().memory_info().rss\n"
        "import_jira(sys.argv[1], sys.argv[2], m)\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
        "print(json.dumps(max(0, peak - base)))\n")
    done = subprocess.run([sys.executable, "-c", code, str(path), str(out)], check=True,
                          capture_output=True, text=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_export(Path(tmp) / "big_export.csv")
        out = Path(tmp) / "big.yaml"
        read, ours, frame_bytes, peak = measure(path, out)
        rss = rss_peak_growth(path, out)
    mb = frame_bytes / 1e6
    print(f"export: {ITEMS:,} items, {mb:.0f} MB as a DataFrame; read_csv {read:.3f} s, "
          f"import {ours:.3f} s")
    print_ratios({
        f"{ITEMS:,} items: import jira vs pandas.read_csv of the same file (time)":
            (ours / read, "<= 3"),
        "import's peak memory (tracemalloc) vs the file as a DataFrame":
            (peak / frame_bytes, "<= 4"),
        "import's peak resident memory growth (fresh process) vs the file as a DataFrame":
            (rss / frame_bytes, "<= 4"),
    })


if __name__ == "__main__":
    main()
    sys.exit(0)
