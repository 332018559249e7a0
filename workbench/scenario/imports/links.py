"""Blocking links as dependencies between epics: a link between two items of different epics
makes the blocked item's epic wait for the blocker's (a note says so); a link inside one epic,
or one whose blocker or blocked issue is finished, changes nothing; a link to an issue outside
the export is reported."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.scenario.imports.issues import DONE, DROPPED, Program


@dataclass(frozen=True)
class Link:
    """`blocker` blocks `blocked` (keys), as written in `column` of issue `on`."""

    blocker: str
    blocked: str
    column: str
    on: str

    def text(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"


@dataclass
class Dependencies:
    """Which epics wait for which (by key), and the links that say so."""

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


def epic_dependencies(program: Program, open_epics: np.ndarray) -> Dependencies:
    """The dependencies between the epics still open (``open_epics``: a flag per issue
    position), from every blocking link once (Jira lists a link on both of its issues)."""
    links = _unique(program)
    deps = Dependencies()
    known = (links["blocker"] >= 0) & (links["blocked"] >= 0)
    for link in links[~known].itertuples():
        deps.unused.append(f"{link.on_key}: {link.column} names {link.other}, which is not in "
                           "the export; link not used")
    links = links[known]
    epic = program.table["epic"].to_numpy()
    ends = epic[links["blocker"].to_numpy()], epic[links["blocked"].to_numpy()]
    lost = (ends[0] < 0) | (ends[1] < 0)
    for link, lost_blocker in zip(links[lost].itertuples(), ends[0][lost] < 0, strict=True):
        missing = link.blocker_key if lost_blocker else link.blocked_key
        deps.unused.append(f"{link.on_key}: {link.column}: {link.blocker_key} blocks "
                           f"{link.blocked_key}, but {missing} is not in the scenario (no epic);"
                           " link not used")
    _between_epics(program, links[~lost], ends[0][~lost], ends[1][~lost], open_epics, deps)
    return deps


def _unique(program: Program) -> pd.DataFrame:
    keys = program.keys
    links = program.links.copy()
    for end in ("blocker", "blocked"):
        rows = links[end].to_numpy(dtype=int)
        links[f"{end}_key"] = np.where(rows >= 0, keys[np.maximum(rows, 0)], links["other"])
    links["on_key"] = keys[links["on"].to_numpy(dtype=int)] if len(links) else []
    return links.drop_duplicates(["blocker_key", "blocked_key"]).reset_index(drop=True)


def _between_epics(program: Program, links: pd.DataFrame, blocker_epic: np.ndarray,
                   blocked_epic: np.ndarray, open_epics: np.ndarray, deps: Dependencies) -> None:
    state = program.table["state"].to_numpy()
    finished = np.isin(state, (DONE, DROPPED))
    inside = blocker_epic == blocked_epic
    deps.inside += int(inside.sum())
    done = np.zeros(len(links), bool)
    for end, epic in (("blocker", blocker_epic), ("blocked", blocked_epic)):
        rows = links[end].to_numpy(dtype=int)
        done |= ~open_epics[epic] | (finished[rows] & (rows != epic))
    deps.satisfied += int((done & ~inside).sum())
    keys = program.keys
    use = ~inside & ~done
    for link, a, b in zip(links[use].itertuples(), blocker_epic[use], blocked_epic[use],
                          strict=True):
        item = Link(link.blocker_key, link.blocked_key, link.column, link.on_key)
        deps.add(str(keys[b]), str(keys[a]), item)
        if (link.blocker, link.blocked) != (a, b):
            deps.notes.append(f"{item.text()}: epic {keys[b]} waits for epic {keys[a]} (a link "
                              "between items of different epics)")
