"""The tidy tables behind the scenario report's main charts: the when-chart (P50/P85/P95 and
the target per milestone), the roadmap (each epic from its P50 start to its P85 finish, with
its prerequisites) and utilisation per team across runs. Dates as `pd.Timestamp`, labels
written with `present.formats`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from workbench.present.formats import percent, short_date
from workbench.present.tables import finish_histogram, tidy
from workbench.sim.forecast import ProgramForecast

LINES = ("P50", "P85", "P95", "target")  # the when-chart's lines, in label order


LABEL_ROW_PX = 15  # a when-chart label's row: 11 px text and room between rows


def when_table(forecast: ProgramForecast) -> pd.DataFrame:
    """The when-chart's data, one table: ``kind`` "bar" rows (share of runs finishing each
    week, from `tables.finish_histogram`) and "line" rows (P50, P85, P95 and the target per
    milestone, each with its date label, "P85 26 May 2027", and ``label_dy``: how far below
    the panel's top it is drawn)."""
    bars = finish_histogram(forecast).assign(kind="bar")
    rows = []
    for m in forecast.milestones():
        for i, label in enumerate(LINES):
            when = m["target"] if label == "target" else m[label.lower()]
            if when is not None:
                rows.append({"milestone": m["name"], "kind": "line", "line": label,
                             "when": pd.Timestamp(when), "row": i,
                             "text": f"{label} {short_date(when)}"})
    lines = tidy(rows, ["milestone", "kind", "line", "when", "row", "text"])
    # Labels stacked down from the top of each panel in date order (a staircase), so no two
    # labels share a row, however close their dates (a P85 two days before the target).
    lines["row"] = lines.sort_values(["when", "row"], kind="stable").groupby(
        "milestone").cumcount() if len(lines) else lines["row"]
    # In pixels from the panel's top: a row is a line of text whatever the bars' scale.
    lines["label_dy"] = lines["row"] * LABEL_ROW_PX
    return pd.concat([bars, lines], ignore_index=True) if len(bars) else lines


def roadmap_table(forecast: ProgramForecast) -> pd.DataFrame:
    """One bar per epic from its P50 start to its P85 finish, with the P50 finish marked;
    ``order`` sorts by start (then finish), so prerequisites sit above what waits for them.
    An epic whose P85 is beyond the horizon is drawn to the horizon and flagged."""
    s = forecast.scenario
    horizon = pd.Timestamp(s.date_of(s.horizon_days))
    rows = [{"epic": w["name"], "team": w["team"],
             "start": pd.Timestamp(w["start_p50"] or s.start),
             "p50": pd.Timestamp(w["p50"]) if w["p50"] else horizon,
             "p85": pd.Timestamp(w["p85"]) if w["p85"] else horizon,
             "beyond_horizon": w["p85"] is None,
             "window": f"{short_date(w['start_p50'] or s.start)} to {short_date(w['p85'])}"}
            for w in forecast.epic_windows()]
    t = tidy(rows, ["epic", "team", "start", "p50", "p85", "beyond_horizon", "window"])
    t = t.sort_values(["start", "p85"], kind="stable").reset_index(drop=True)
    t["order"] = range(len(t))
    return t


def roadmap_links(forecast: ProgramForecast) -> pd.DataFrame:
    """One row per dependency for the roadmap's connectors: a vertical line at the moment the
    dependent epic starts (P50), from the prerequisite's row down to the dependent's."""
    roadmap = roadmap_table(forecast).set_index("epic")
    rows = []
    for name, epic in forecast.scenario.epics.items():
        for dep in epic.depends_on:
            if dep in roadmap.index:
                rows.append({"from_epic": dep, "to_epic": name,
                             "team": roadmap.at[dep, "team"],
                             "when": roadmap.at[name, "start"]})
    return tidy(rows, ["from_epic", "to_epic", "team", "when"])


def roadmap_marks(forecast: ProgramForecast, today: dt.date) -> pd.DataFrame:
    """The roadmap's vertical lines: each milestone's P85, and the day the forecast starts from
    (``today``), labelled "report date" when the scenario sets `as_of`, else "start"."""
    word = "report date" if forecast.scenario.as_of else "start"
    rows: list[dict[str, Any]] = [{"label": f"{word} {short_date(today)}",
                                   "when": pd.Timestamp(today), "kind": "today"}]
    rows += [{"label": f"{m['name']} P85 {short_date(m['p85'])}",
              "when": pd.Timestamp(m["p85"]), "kind": "milestone"}
             for m in forecast.milestones() if m["p85"] is not None]
    return tidy(rows, ["label", "when", "kind"])


def utilisation_bands(forecast: ProgramForecast) -> pd.DataFrame:
    """Per team across runs: median utilisation and the P10 to P90 band, with a label."""
    rows = [{"team": b["name"], "median": b["median"], "low": b["low"], "high": b["high"],
             "label": percent(b["median"])}
            for b in forecast.utilisation_bands() if b["median"] is not None]
    return tidy(rows, ["team", "median", "low", "high", "label"])
