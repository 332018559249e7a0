"""The event log of one simulated run: what happened, when, to which item. Every metric is a
pure function of a `RunLog`, so metrics can be tested on hand-written logs without SimPy.

Events (``Record.event``):

- ``arrive``: an item entered a team's system (released from the backlog, or arrived);
- ``reject``: an arriving item was turned away because the team's WIP limit was full;
- ``queue``: an item joined a stage's queue; ``start``/``finish``: a person worked it;
- ``stop``: a person left mid-item; the rest of the effort goes back to the queue;
- ``rework``: an item was sent back to an earlier stage;
- ``done``: an item left the system finished;
- ``epic_ready``/``epic_done``: an epic may start / finished; ``risk``: a risk fired;
- ``interrupt``: unplanned work took ``effort_days`` from a team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


class Record(NamedTuple):
    """One thing that happened at ``time`` (days since the scenario start)."""

    time: float
    event: str
    item: int = -1
    epic: str = ""
    team: str = ""
    stage: str = ""
    worker: int = -1
    effort_days: float = 0.0


@dataclass(frozen=True)
class TeamCapacity:
    """A team's capacity over the run, per calendar day, split by stage."""

    team: str
    available: dict[str, np.ndarray]  # stage -> person-days of planned-work capacity per day
    paid: np.ndarray  # people on the payroll each day of the working week, holidays included


@dataclass(frozen=True)
class RunLog:
    """Everything one replication produced."""

    records: list[Record]
    end_time: float  # when the run stopped: all work done, or the horizon
    horizon_days: int
    warmup_days: float
    capacity: dict[str, TeamCapacity] = field(default_factory=dict)
    stages: dict[str, tuple[str, ...]] = field(default_factory=dict)  # team -> ordered stages
    rep: int = 0
    unreleased: int = 0  # items that never entered a team (gated, blocked, or in a backlog)

    def frame(self) -> pd.DataFrame:
        """The records as a pandas DataFrame (for charts and notebooks)."""
        import pandas as pd

        return pd.DataFrame(self.records, columns=list(Record._fields))
