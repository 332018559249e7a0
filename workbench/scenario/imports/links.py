"""Blocking links as dependencies between epics: a link between two items of different epics
makes the blocked item's epic wait for the blocker's (a note says so); a link inside one epic,
or one whose blocker is finished, changes nothing; a link to an issue outside the export is
reported."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.scenario.imports.issues import Issue, Program


@dataclass(frozen=True)
class Link:
    """`blocker` blocks `blocked`, as written in `column` of issue `on`."""

    blocker: str
    blocked: str
    column: str
    on: str

    def text(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"


@dataclass
class Dependencies:
    """Which epics wait for which, and why."""

    depends_on: dict[str, list[str]] = field(default_factory=dict)
    because: dict[tuple[str, str], list[Link]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    inside: int = 0
    satisfied: int = 0

    def add(self, waiting: str, blocker: str, link: Link) -> None:
        if blocker not in self.depends_on.setdefault(waiting, []):
            self.depends_on[waiting].append(blocker)
        self.because.setdefault((waiting, blocker), []).append(link)


def epic_dependencies(program: Program, open_epics: set[str]) -> Dependencies:
    """The dependencies between the epics still open, from every blocking link once."""
    deps = Dependencies()
    for link in _links(program):
        _use(program, link, open_epics, deps)
    return deps


def _links(program: Program) -> list[Link]:
    """Each (blocker, blocked) pair once, as first written (Jira lists a link on both issues)."""
    seen: dict[tuple[str, str], Link] = {}
    for issue in program.by_key.values():
        for column, other in issue.blocks:
            seen.setdefault((issue.key, other), Link(issue.key, other, column, issue.key))
        for column, other in issue.blocked_by:
            seen.setdefault((other, issue.key), Link(other, issue.key, column, issue.key))
    return list(seen.values())


def _use(program: Program, link: Link, open_epics: set[str], deps: Dependencies) -> None:
    other = link.blocked if link.on == link.blocker else link.blocker
    if other not in program.by_key:
        deps.unused.append(f"{link.on}: {link.column} names {other}, which is not in the export;"
                           " link not used")
        return
    ends = [program.epic_of.get(k) for k in (link.blocker, link.blocked)]
    if None in ends:
        lost = link.blocker if ends[0] is None else link.blocked
        deps.unused.append(f"{link.on}: {link.column}: {link.text()}, but {lost} is not in the "
                           "scenario (no epic); link not used")
        return
    blocker_epic, blocked_epic = str(ends[0]), str(ends[1])
    if blocker_epic == blocked_epic:
        deps.inside += 1
    elif _finished(program.by_key[link.blocker], blocker_epic, open_epics) or _finished(
            program.by_key[link.blocked], blocked_epic, open_epics):
        deps.satisfied += 1
    else:
        deps.add(blocked_epic, blocker_epic, link)
        if (link.blocker, link.blocked) != (blocker_epic, blocked_epic):
            deps.notes.append(f"{link.text()}: epic {blocked_epic} waits for epic {blocker_epic}"
                              " (a link between items of different epics)")


def _finished(issue: Issue, epic: str, open_epics: set[str]) -> bool:
    return epic not in open_epics or (issue.key != epic and issue.finished)
