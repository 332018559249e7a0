"""Write `checkout_export.csv`: a synthetic Jira Cloud "Export CSV (all fields)" of a checkout
relaunch program (4 teams, 15 epics, 189 items, 20 sub-tasks), written by the TPM Workbench
authors. Run it from anywhere: `python data/jira/make_sample.py`. Same script, same bytes.

Every number the tests check is in the EPICS table below, so the file can be counted by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "checkout_export.csv"
AS_OF = dt.datetime(2026, 12, 1, 16, 40)  # the newest Updated in the file
BST_END = dt.datetime(2026, 10, 25, 1, 0)  # London leaves summer time: +0100 -> +0000

HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name",
    "Project type", "Project lead", "Priority", "Resolution", "Assignee", "Reporter", "Creator",
    "Created", "Updated", "Last Viewed", "Resolved", "Fix versions", "Fix versions",
    "Components", "Components", "Due date", "Labels", "Labels", "Description", "Environment",
    "Watchers", "Watchers", "Original estimate", "Remaining Estimate", "Time Spent", "Sprint",
    "Sprint", "Inward issue link (Blocks)", "Outward issue link (Blocks)",
    "Outward issue link (Blocks)", "Inward issue link (Relates)", "Outward issue link (Relates)",
    "Custom field (Rank)", "Custom field (Story Points)", "Custom field (Team)",
    "Custom field (Started)", "Custom field (Start date)", "Status Category",
    "Status Category Changed", "Parent", "Parent summary", "Comment", "Comment",
]

# key, summary, team, epic status, items, done, in progress, closed without work, versions, rank
EPICS = [
    ("CHK-1", "Card vault", "Payments", "Done", 14, 14, 0, 0, "Checkout 0.9", 13),
    ("CHK-2", "Payment methods API", "Payments", "In Progress", 16, 6, 2, 1, "Checkout 1.0", 2),
    ("CHK-3", "Refunds", "Payments", "To Do", 12, 0, 0, 0, "Checkout 1.1", 7),
    ("CHK-4", "Fraud checks", "Payments", "Refining", 2, 0, 0, 0, "Checkout 1.1", 11),
    ("CHK-5", "Cart redesign", "Storefront", "Done", 18, 18, 0, 0, "Checkout 0.9", 14),
    ("CHK-6", "Checkout page", "Storefront", "In Progress", 20, 8, 3, 0, "Checkout 1.0", 3),
    ("CHK-7", "Address book", "Storefront", "To Do", 10, 0, 0, 0, "Checkout 1.1", 8),
    ("CHK-8", "Promotions", "Storefront", "New", 0, 0, 0, 0, "", 12),
    ("CHK-9", "Mobile checkout", "Mobile", "In Progress", 18, 5, 2, 0, "Checkout 1.0", 4),
    ("CHK-10", "Wallet payments (Apple Pay, Google Pay)", "Mobile", "To Do", 12, 0, 0, 0,
     "Checkout 1.1", 9),
    ("CHK-11", "Push receipts", "", "In Progress", 10, 2, 0, 1, "", 6),
    ("PLAT-1", "Payments gateway upgrade", "Platform", "Done", 22, 22, 0, 0, "Checkout 0.9", 15),
    ("PLAT-2", "Event bus", "Platform", "In Progress", 15, 7, 2, 0, "Checkout 1.0", 1),
    ("PLAT-3", "Observability", "Platform", "To Do", 11, 0, 0, 0, "", 10),
    ("PLAT-4", "Rate limiting", "Platform", "In Progress", 8, 3, 0, 0, "", 5),
]
COMPONENTS = {"Payments": ["API"], "Storefront": ["Web"], "Mobile": ["iOS", "Android"],
              "Platform": ["Infra"], "": ["iOS"]}
PEOPLE = ["Ada Byrne", "Bo Chen", "Chidi Okafor", "Dana Levi", "Emil Sørensen", "Fatima Khan"]


@dataclass
class Row:
    key: str
    id: int
    type: str
    summary: str
    team: str
    state: str  # todo, progress, done, dropped
    created: dt.datetime
    parent: Row | None = None
    points: float | None = None
    started: dt.datetime | None = None
    resolved: dt.datetime | None = None
    versions: list[str] = field(default_factory=list)
    rank: int = 0
    inward: list[str] = field(default_factory=list)
    outward: list[str] = field(default_factory=list)
    status: str = ""


class Sample:
    """The program, issue by issue, in creation order."""

    def __init__(self) -> None:
        self.rng = random.Random(14)
        self.rows: list[Row] = []
        self.next = {"CHK": 1, "PLAT": 1}
        self.items: dict[str, list[Row]] = {}

    def new(self, project: str, **kw: object) -> Row:
        key = f"{project}-{self.next[project]}"
        self.next[project] += 1
        row = Row(key=key, id=10_000 + len(self.rows), **kw)  # type: ignore[arg-type]
        self.rows.append(row)
        return row

    def build(self) -> None:
        epics = [self._epic(spec) for spec in EPICS]
        for epic, spec in zip(epics, EPICS, strict=True):
            self.items[epic.key] = [self._item(epic, spec, i) for i in range(spec[4])]
        self.new("CHK", type="Bug", summary="Flaky build on the release branch", team="Platform",
                 state="todo", created=dt.datetime(2026, 11, 20, 10, 5), points=2.0)
        self._subtasks()
        self._links()

    def _epic(self, spec: tuple) -> Row:
        key, summary, team, status, n, done, *_ , versions, rank = spec
        state = {"Done": "done", "In Progress": "progress"}.get(status, "todo")
        project = key.split("-")[0]
        created = dt.datetime(2026, 6, 1, 9, 0) + dt.timedelta(days=3 * len(self.rows))
        row = self.new(project, type="Epic", summary=summary, team=team, state=state,
                       created=created, versions=[versions] if versions else [], rank=rank,
                       status=status)
        assert row.key == key, (row.key, key)
        return row

    def _item(self, epic: Row, spec: tuple, i: int) -> Row:
        n, done, progress, dropped = spec[4:8]
        state = ("done" if i < done else "progress" if i < done + progress else
                 "dropped" if i < done + progress + dropped else "todo")
        team = spec[2] or "Mobile"  # CHK-11's items carry the team its epic lacks
        points = None if i % 9 == 4 else float(self.rng.choice([1, 2, 3, 3, 5, 5, 8]))
        created = epic.created + dt.timedelta(days=2 + i, hours=self.rng.randint(0, 7))
        row = self.new(epic.key.split("-")[0], type=self.rng.choice(["Story", "Story", "Task",
                                                                      "Bug"]),
                       summary=f"{epic.summary}: part {i + 1}", team=team, state=state,
                       created=created, parent=epic, points=points,
                       versions=list(epic.versions), rank=100 + len(self.rows))
        self._dates(row, points or 3.0)
        return row

    def _dates(self, row: Row, points: float) -> None:
        if row.state == "done":  # in summer: +0100 in the Started column
            row.started = row.created + dt.timedelta(days=self.rng.randint(3, 30),
                                                     hours=self.rng.randint(0, 6))
        if row.state == "progress":  # in November: +0000
            row.started = AS_OF - dt.timedelta(days=self.rng.randint(2, 20), hours=5)
        if row.state == "done":
            days = max(1, round(points * self.rng.uniform(0.8, 2.2)))
            row.resolved = row.started + dt.timedelta(days=days * 7 / 5,  # type: ignore[operator]
                                                      hours=self.rng.randint(0, 5))
        if row.state == "dropped":
            row.resolved = row.created + dt.timedelta(days=10)

    def _subtasks(self) -> None:
        """20 sub-tasks: two under each of 3 open CHK-6 items (two of them without points of
        their own: the sub-tasks carry them), three under each of 2 PLAT-2 items, two under a
        CHK-9 item, two under each of 2 done CHK-1 items, one under each of 2 CHK-2 items."""
        plan = [("CHK-6", 8, 2), ("CHK-6", 9, 2), ("CHK-6", 12, 2), ("PLAT-2", 9, 3),
                ("PLAT-2", 10, 3), ("CHK-9", 7, 2), ("CHK-1", 0, 2), ("CHK-1", 1, 2),
                ("CHK-2", 11, 1), ("CHK-2", 12, 1)]
        for epic, index, count in plan:
            parent = self.items[epic][index]
            if (epic, index) in (("CHK-6", 8), ("CHK-6", 9)):
                parent.points = None
            for k in range(count):
                sub = self.new(epic.split("-")[0], type="Sub-task",
                               summary=f"{parent.summary}, step {k + 1}", team=parent.team,
                               state=parent.state if parent.state != "progress" else "todo",
                               created=parent.created + dt.timedelta(hours=2 + k),
                               parent=parent, points=2.0 if epic == "CHK-6" else None)
                sub.resolved = parent.resolved

    def _links(self) -> None:
        items, epics = self.items, {r.key: r for r in self.rows if r.type == "Epic"}
        self._block(items["PLAT-2"][9], items["CHK-2"][11])  # cross-epic: CHK-2 waits for PLAT-2
        self._block(items["CHK-2"][9], items["CHK-6"][12])  # two outward links on one issue:
        self._block(items["CHK-2"][9], items["CHK-6"][13])  # the repeated Blocks column
        self._block(epics["CHK-2"], epics["CHK-9"])  # epic to epic
        sub = next(r for r in self.rows if r.parent is items["CHK-9"][7])
        self._block(sub, items["CHK-10"][0])  # from a sub-task: folded into its item
        self._block(items["CHK-3"][0], items["CHK-3"][1])  # inside one epic: nothing to do
        self._block(items["CHK-1"][2], items["CHK-3"][2])  # blocker done: already satisfied
        items["PLAT-3"][0].inward.append("OPS-404")  # an issue outside the export

    @staticmethod
    def _block(blocker: Row, blocked: Row) -> None:
        blocker.outward.append(blocked.key)
        blocked.inward.append(blocker.key)


def jira_time(t: dt.datetime | None) -> str:
    """Jira's default date format: 01/Dec/26 9:15 AM."""
    if t is None:
        return ""
    return f"{t:%d/%b/%y} {t:%I}".replace(" 0", " ") + f":{t:%M %p}"


def london_iso(t: dt.datetime | None) -> str:
    """What an automation rule writes into a date-time field: ISO with the site's offset."""
    if t is None:
        return ""
    offset = "+0100" if t < BST_END else "+0000"
    local = t + dt.timedelta(hours=1) if t < BST_END else t
    return f"{local:%Y-%m-%dT%H:%M:%S}.000{offset}"


def status_of(row: Row) -> tuple[str, str, str]:
    """(Status, Status Category, Resolution)."""
    if row.type == "Epic":
        category = {"Done": "Done", "In Progress": "In Progress"}.get(row.status, "To Do")
        return row.status, category, "Done" if row.status == "Done" else ""
    return {"done": ("Done", "Done", "Done"), "progress": ("In Progress", "In Progress", ""),
            "todo": ("To Do", "To Do", ""),
            "dropped": ("Done", "Done", "Won't Do" if row.parent and row.parent.key == "CHK-2"
                        else "Duplicate")}[row.state]


def csv_row(row: Row, sample: Sample) -> list[str]:
    status, category, resolution = status_of(row)
    updated = max(t for t in (row.created, row.started, row.resolved) if t) + dt.timedelta(hours=3)
    if row.key == "CHK-40":
        updated = AS_OF
    updated = min(updated, AS_OF)
    rng = sample.rng
    team = row.team if not (row.type == "Epic" and row.key == "CHK-11") else ""
    comps = (COMPONENTS[row.team] + [""])[:2]
    person = PEOPLE[row.id % len(PEOPLE)]
    sprints = ["", ""]
    if row.state in ("progress", "done") and row.type != "Epic":
        sprints = [f"{row.key.split('-')[0]} Sprint {14 + row.id % 3}",
                   f"{row.key.split('-')[0]} Sprint {15 + row.id % 3}" if row.id % 4 == 0 else ""]
    versions = (row.versions + ["", ""])[:2]
    if row.parent and row.parent.key == "CHK-6" and row.id % 5 == 0 and row.state != "done":
        versions = ["Checkout 1.0", "Checkout 1.1"]  # two fix versions: the repeated column
    if row.parent and row.parent.key == "CHK-11" and row.state == "todo" and row.id % 3 == 0:
        versions = ["Checkout 1.0", ""]
    assert len(row.inward) <= 1 and len(row.outward) <= 2, row.key  # the header's columns
    outward = (row.outward + ["", ""])[:2]
    description = (f"As a shopper I want {row.summary.lower()}, so that checkout is faster.\n\n"
                   f"Acceptance: \"done\" means tested, reviewed, released; see {row.key}.")
    return [
        row.summary, row.key, str(row.id), row.type, status, row.key.split("-")[0],
        "Checkout" if row.key.startswith("CHK") else "Platform", "software", PEOPLE[0],
        rng.choice(["Medium", "High", "Low"]), resolution, person, PEOPLE[1], PEOPLE[1],
        jira_time(row.created), jira_time(updated), jira_time(updated), jira_time(row.resolved),
        *versions, *comps, "", "checkout", "tech-debt" if row.id % 7 == 0 else "",
        description, "", person, PEOPLE[2], "", "", "", *sprints,
        (row.inward + [""])[0], *outward,
        "", "", f"0|i{row.rank:05d}:", "" if row.points is None else f"{row.points:g}", team,
        london_iso(row.started) if row.type != "Epic" else "",
        f"{row.created:%d/%b/%y}", category, jira_time(row.resolved or row.started or updated),
        str(row.parent.id) if row.parent else "", row.parent.summary if row.parent else "",
        f"{jira_time(row.created)};557058:{row.id:x};Looks fine, go ahead" if row.id % 3 == 0
        else "", "",
    ]


def main() -> None:
    sample = Sample()
    sample.build()
    rows = sorted(sample.rows, key=lambda r: r.created, reverse=True)  # Jira: newest first
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        values = csv_row(row, sample)
        assert len(values) == len(HEADER), (row.key, len(values))
        writer.writerow(values)
    OUT.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    print(f"wrote {OUT} ({len(rows)} issues)")


if __name__ == "__main__":
    main()
