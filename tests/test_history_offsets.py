"""Dates whose offsets change (summer and winter time) are read in UTC. pandas refuses a plain
column of mixed offsets unless told to convert them (`utc=True`), so the one date parser says
so for every caller, whatever kind of column it is handed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.files.exports import _parse, load_history

SUMMER_AND_WINTER = ["2026-10-24T23:30:00.000+0100", "2026-10-27T08:00:00.000+0000"]


def test_mixed_offsets_are_read_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("Issue key,Created,Resolved\n"
                    "A-1,2026-10-20T09:00:00.000+0100,2026-10-22T09:00:00.000+0100\n"
                    f"A-2,{SUMMER_AND_WINTER[0]},{SUMMER_AND_WINTER[1]}\n")
    history = load_history(path)
    # 22:30 UTC on the 24th to 08:00 UTC on the 27th (read as wall clock: 2.3542)
    assert history.items["cycle_time_days"].round(4).tolist() == [2.0, 2.3958]
    assert str(history.items["start"].iloc[1]) == "2026-10-24 22:30:00"


def test_a_plain_column_of_mixed_offsets_parses() -> None:
    parsed = _parse(pd.Series(SUMMER_AND_WINTER, dtype=object), "ISO8601")
    assert [str(t) for t in parsed] == ["2026-10-24 22:30:00", "2026-10-27 08:00:00"]
