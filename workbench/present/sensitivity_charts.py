"""The sensitivity tornado: for one milestone, each uncertain input's two ends as bars from the
plan (left: earlier / likelier, right: later / less likely), each end labelled with what it is
("effort at P10", "switched off"), widest swing on top."""

from __future__ import annotations

import altair as alt
import pandas as pd

from workbench.present.formats import days, percent

EARLIER, LATER = "#4c956c", "#c8553d"
MEASURES = {"days": ("shift_low_days", "shift_high_days", "P85 shift (days; left is earlier)"),
            "chance": ("chance_low", "chance_high", "change in chance of target (points)")}


def tornado_table(table: pd.DataFrame, milestone: str, measure: str = "days",
                  top: int = 12) -> pd.DataFrame:
    """Two rows per input (its low and high end) for ``milestone``: the shift from the plan,
    the end's label, whether it is the better end, and a readable value; widest first."""
    low_col, high_col, _ = MEASURES[measure]
    rows = table[table["milestone"] == milestone].head(top)
    out = []
    for rank, (_, r) in enumerate(rows.iterrows()):
        for end, col, label in (("low", low_col, r["low_label"]),
                                ("high", high_col, r["high_label"])):
            out.append(_bar(r, rank, end, label, _shift(r, col, measure)))
    return pd.DataFrame(out, columns=["input", "rank", "side", "end", "shift", "better", "text"])


def _shift(row: pd.Series, column: str, measure: str) -> float:
    if measure == "days":
        return float(row[column])
    return -100 * float(row[column] - row["chance_base"])  # more chance drawn to the left


def _bar(row: pd.Series, rank: int, side: str, label: str, shift: float) -> dict:
    value = days(shift) if abs(shift) >= 0.5 else "no change"
    return {"input": row["input"], "rank": rank, "side": side, "end": label, "shift": shift,
            "better": "earlier" if shift < 0 else "later" if shift > 0 else "same",
            "text": f"{label}: {value}"}


def tornado(table: pd.DataFrame, milestone: str, measure: str = "days",
            top: int = 12) -> alt.LayerChart | alt.FacetChart:
    """The tornado chart of ``milestone``: bars for both ends of each input, labelled."""
    frame = tornado_table(table, milestone, measure, top)
    _, _, title = MEASURES[measure]
    y = alt.Y("input:N", sort=alt.EncodingSortField("rank", order="ascending"), title=None)
    bars = alt.Chart(frame).mark_bar().encode(
        y=y, x=alt.X("shift:Q", title=title), color=alt.Color(
            "better:N", title=None, scale=alt.Scale(domain=["earlier", "later", "same"],
                                                    range=[EARLIER, LATER, "#999999"])),
        tooltip=["input:N", "end:N", alt.Tooltip("shift:Q", format=".1f")])
    left = alt.Chart(frame).transform_filter("datum.shift < 0").mark_text(
        fontSize=10, align="right", dx=-3).encode(y=y, x="shift:Q", text="end:N")
    right = alt.Chart(frame).transform_filter("datum.shift >= 0").mark_text(
        fontSize=10, align="left", dx=3).encode(y=y, x="shift:Q", text="end:N")
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#333333").encode(x="x:Q")
    return alt.layer(bars, left, right, zero).properties(
        width=420, height=max(60, 22 * frame["input"].nunique()),
        title=f"What moves {milestone} most: each input at its low and high end")


def swing_text(row: pd.Series) -> str:
    """One input's effect in words, e.g. 'payouts effort: effort at P10 lands 31 days earlier,
    effort at P90 33 days later (chance 95% to 44%)'."""
    def moved(label: str, shift: float) -> str:
        word = "earlier" if shift < 0 else "later"
        return f"{label} {days(abs(shift))} {word}" if abs(shift) >= 0.5 else f"{label} no change"

    return (f"{row['input']}: {moved(row['low_label'], row['shift_low_days'])}, "
            f"{moved(row['high_label'], row['shift_high_days'])} (chance "
            f"{percent(row['chance_low'])} to {percent(row['chance_high'])})")
