"""Completed-work exports whose dates carry offsets that change (summer and winter time) are
read in UTC: pandas refuses such a column unless told to convert, which once crashed the
history road (and would have crashed `workbench import jira`)."""

from __future__ import annotations

from pathlib import Path

from workbench.files.exports import load_history


def test_mixed_offsets_are_read_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("Issue key,Created,Resolved\n"
                    "A-1,2026-10-20T09:00:00.000+0100,2026-10-22T09:00:00.000+0100\n"
                    "A-2,2026-10-24T23:30:00.000+0100,2026-10-27T08:00:00.000+0000\n")
    history = load_history(path)
    # 22:30 UTC on the 24th to 08:00 UTC on the 27th (read as wall clock: 2.3542)
    assert history.items["cycle_time_days"].round(4).tolist() == [2.0, 2.3958]
    assert str(history.items["start"].iloc[1]) == "2026-10-24 22:30:00"
