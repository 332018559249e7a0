"""The sweep summary a TPM can choose from (what `sweep_summary.ipynb` calls): points named in
words ("platform 9 people, focus 0.8"), ranked on one milestone or all of them with each
point's change against the plan, the cost of each point against its date, a tornado with
direction (each swept field's low and high end against the plan), and no empty sections: a
section with nothing to show is one sentence.

Reads only the results table a sweep writes (`sweep.read_results`); the plan is the point whose
resolved scenario is the base scenario itself (same SHA-256), else the first point.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from workbench.files import yaml_strict
from workbench.present import formats
from workbench.present.sentences import Html, as_written, field_title, field_words, values_words
from workbench.reports import sensitivity_report, sweep
from workbench.scenario.loader import ScenarioError, load_scenario
from workbench.scenario.models import Scenario
from workbench.sim import montecarlo
from workbench.sim.sensitivity import sensitivity

SWEEP_FILE = "sweep.json"  # what the engine writes beside the results: the sweep's own file


def finished(results: pd.DataFrame, milestone: str = "") -> pd.DataFrame:
    """Finished rows, of one milestone or (``milestone`` empty) of all."""
    done = results[results["status"] == "done"]
    return done[done["milestone"] == milestone] if milestone else done


def milestones(results: pd.DataFrame, milestone: str = "") -> list[str]:
    """The milestones compared: the one asked for, or every one, in file order."""
    names = list(dict.fromkeys(finished(results)["milestone"].dropna()))
    return [milestone] if milestone else names


def point_words(results: pd.DataFrame) -> dict[str, str]:
    """Each point in words: a grid's swept values ("platform 9 people, focus 0.8"); a list's
    point names as written."""
    fields = [f for f in sweep.swept_fields(results) if f != "scenario"]
    rows = results.drop_duplicates("point")
    if (results["kind"] == "points").any() or not fields:
        return {p: p for p in rows["point"]}
    return {row["point"]: _words(row, fields) for _, row in rows.iterrows()}


def _words(row: pd.Series, fields: list[str]) -> str:
    """Values of one point, each said once (`sentences.values_words`)."""
    shown = {f: row[f] for f in fields if not pd.isna(row[f])}
    return values_words(shown) or str(row["point"])


def plan_point(results: pd.DataFrame, plan_sha256: str = "") -> str:
    """The plan's point: the one whose scenario is the base scenario itself (``plan_sha256``,
    or read from the sweep file beside the results), else the first point."""
    done = finished(results)
    if plan_sha256 and "sha256" in done and (done["sha256"] == plan_sha256).any():
        return str(done.loc[done["sha256"] == plan_sha256, "point"].iloc[0])
    return str(done["point"].iloc[0]) if len(done) else ""


def base_sha256(results_path: str | os.PathLike[str]) -> str:
    """The SHA-256 of the sweep's base scenario ("" when it cannot be read: the plan is then
    the first point)."""
    base = base_scenario(results_path)
    return base.sha256 if base is not None else ""


def base_scenario(results_path: str | os.PathLike[str]) -> Scenario | None:
    """The sweep's base scenario, via the sweep file the engine names beside the results (None
    when it cannot be read: a results table on its own)."""
    try:
        record = json.loads((Path(results_path).parent / SWEEP_FILE).read_text("utf-8"))
        sweep_file = Path(record["file"])
        base = yaml_strict.load(sweep_file.read_text("utf-8"))["base"]  # as the engine read it
        return load_scenario(sweep_file.parent / str(base))
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError, yaml_strict.StrictYAMLError,
            ScenarioError):
        return None


def plan_moves(results_path: str | os.PathLike[str], results: pd.DataFrame,
               milestone: str = "", enabled: bool = True,
               reps: int = sensitivity_report.SENSITIVITY_REPS) -> sensitivity_report.Moves | None:
    """What moves the plan's date most: each uncertain input of the base scenario at its low
    and high end (`sim.sensitivity`, the plan's seed, ``reps`` runs per end), for the
    milestone compared (default: the last). None when switched off or the base is not at hand
    (`moves_note` says which)."""
    from workbench.reports.paths import locate

    base = base_scenario(locate(results_path)) if enabled else None
    name = milestone or (milestones(results) or [""])[-1]
    if base is None or name not in base.milestones:
        return None
    seeds = finished(results)["seed"].dropna()
    seed = int(seeds.iloc[0]) if len(seeds) else 0
    with montecarlo.process_pool(montecarlo.default_workers()) as pool:
        table = sensitivity(base, reps, seed, executor=pool)
    return sensitivity_report.Moves(table, name, reps)


def moves_note(moves: sensitivity_report.Moves | None, enabled: bool = True) -> Html:
    """The plan's swings in words, or the one sentence saying why there are none."""
    if moves is None and enabled:
        return Html(["Left out: the sweep's base scenario is not beside these results (its "
                     "sweep.json names it), so the plan cannot be re-run here."], tag="p")
    return sensitivity_report.sentences(moves)


def ranking(results: pd.DataFrame, milestone: str = "", metric: str = "p85_days",
            plan: str = "") -> pd.DataFrame:
    """Points best first, on one milestone or all: each milestone's P85, its change against
    the plan and its chance of target, then the P85 cost. On all milestones a point ranks by
    its weakest chance of target (``metric="chance_of_target"``) or by its latest milestone's
    date, then the earlier ones (days metrics)."""
    names = milestones(results, milestone)
    if not names:  # no point finished: nothing to rank (the failures section says why)
        return pd.DataFrame({"Point": []}, index=pd.RangeIndex(1, 1, name="Rank"))
    wide = _wide(results, names)
    plan = plan or plan_point(results)
    words = point_words(results)
    order = _order(wide, names, metric)
    shown = pd.DataFrame({"Point": [words[p] for p in order]})
    for m in names:
        rows = wide.loc[order, m]
        ref = wide.loc[plan, m] if plan in wide.index else None
        shown[f"{m} P85"] = rows["p85"].map(formats.short_date).to_numpy()
        shown[f"{m} vs plan"] = [change_vs_plan(d, ref["p85_days"] if ref is not None else None,
                                                p == plan) for p, d in
                                 zip(order, rows["p85_days"], strict=True)]
        shown[f"{m} chance"] = rows["chance_of_target"].map(formats.percent).to_numpy()
    shown["Cost P85"] = sweep.p85_costs(_cost(results).loc[order])
    shown.index = pd.RangeIndex(1, len(shown) + 1, name="Rank")
    return shown


def _wide(results: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    rows = finished(results)
    rows = rows[rows["milestone"].isin(names)]
    return rows.pivot_table(index="point", columns="milestone", aggfunc="first",
                            values=["p85", "p85_days", "p50_days", "chance_of_target"]
                            ).swaplevel(axis=1).sort_index(axis=1)


def _order(wide: pd.DataFrame, names: list[str], metric: str) -> list[str]:
    if metric == "chance_of_target":
        key = wide.xs("chance_of_target", axis=1, level=1)[names].min(axis=1)
        return list(key.sort_values(ascending=False, kind="stable").index)
    keys = wide.xs(metric, axis=1, level=1)[list(reversed(names))]
    return list(keys.sort_values(list(keys.columns), na_position="last", kind="stable").index)


def _cost(results: pd.DataFrame) -> pd.DataFrame:
    """One row per finished point, by point (its cost and currency are the same for every
    milestone)."""
    return finished(results).drop_duplicates("point").set_index("point")


def change_vs_plan(days: Any, plan_days: Any, is_plan: bool = False) -> str:
    """A point's P85 against the plan's, in days: "+12 days", "-5 days", "same", "plan"."""
    if is_plan:
        return "plan"
    a, b = formats.as_number(days), formats.as_number(plan_days)
    if a is None or b is None:
        return formats.MISSING
    shift = round(a - b)
    return "same" if shift == 0 else ("+" if shift > 0 else "") + formats.days(shift)


def cost_date_table(results: pd.DataFrame, milestone: str = "", plan: str = "") -> pd.DataFrame:
    """Per point: the P85 date of one milestone (default: the last), its P85 cost, chance of
    target, its words and whether it is the plan: the cost-vs-date chart's points."""
    name = milestone or (milestones(results) or [""])[-1]
    rows = finished(results, name).drop_duplicates("point")
    plan = plan or plan_point(results)
    words = point_words(results)
    return pd.DataFrame({"point": [words[p] for p in rows["point"]], "p85": rows["p85"].values,
                         "cost_p85": rows["cost_p85"].values,
                         "currency": rows["currency"].fillna("").values if "currency" in rows
                         else "",
                         "chance_of_target": rows["chance_of_target"].values,
                         "plan": (rows["point"] == plan).values, "milestone": name})


def tornado_table(results: pd.DataFrame, milestone: str = "", plan: str = "") -> pd.DataFrame:
    """What moves the date, with direction: for each swept field, the P85 shift (days, against
    the plan) at its low end and at its high end, the other fields held at the plan's values
    where the grid has them; for a list of what-ifs, each point against the plan."""
    name = milestone or (milestones(results) or [""])[-1]
    rows = finished(results, name).set_index("point")
    plan = plan or plan_point(results)
    if rows.empty or plan not in rows.index:
        return pd.DataFrame(columns=["change", "end", "label", "shift_days", "swing_days"])
    ref = rows.at[plan, "p85_days"]
    fields = [f for f in sweep.swept_fields(results) if f != "scenario"]
    parts = _points_ends(rows, plan, ref) if (results["kind"] == "points").any() or not fields \
        else [p for f in fields for p in _field_ends(rows, f, fields, plan, ref)]
    out = pd.DataFrame(parts, columns=["change", "end", "label", "shift_days"])
    out["swing_days"] = out.groupby("change")["shift_days"].transform(lambda s: s.abs().max())
    out["milestone"] = name
    out["end_order"] = out["end"].map({"low": 0, "high": 1, "what-if": 2})
    return out.sort_values(["swing_days", "change", "end_order"], ascending=[False, True, True]
                           ).drop(columns="end_order").reset_index(drop=True)


def _points_ends(rows: pd.DataFrame, plan: str, ref: float) -> list[dict[str, Any]]:
    return [{"change": p, "end": "what-if", "label": f"{p}: {_shift_words(d - ref)}",
             "shift_days": d - ref} for p, d in rows["p85_days"].items() if p != plan]


def _field_ends(rows: pd.DataFrame, field: str, fields: list[str], plan: str,
                ref: float) -> list[dict[str, Any]]:
    others = [f for f in fields if f != field]
    held = rows
    for f in others:  # the other fields at the plan's values, where the grid has such points
        same = held[held[f] == rows.at[plan, f]]
        held = same if len(same) else held
    by = held.groupby(field)["p85_days"].mean()
    if len(by) < 2:
        return []
    title = field_title(field)
    ends = (("low", by.index.min()), ("high", by.index.max()))
    return [{"change": title, "end": end,
             "label": f"{field_words(field, as_written(v))}: {_shift_words(by[v] - ref)}",
             "shift_days": float(by[v] - ref)} for end, v in ends]


def _shift_words(shift: float) -> str:
    n = round(shift)
    return "same as plan" if n == 0 else f"{formats.days(abs(n))} {'later' if n > 0 else 'earlier'}"


# --- sections: a heading and its content, or one sentence -----------------------------------

def plan_of(results_path: str | os.PathLike[str], results: pd.DataFrame) -> str:
    """The plan's point for a results file (see `plan_point`)."""
    from workbench.reports.paths import locate

    return plan_point(results, base_sha256(locate(results_path)))


def headline(results: pd.DataFrame, plan: str = "") -> Html:
    """The sweep in sentences: how many points ran, which is the plan, and per milestone the
    earliest and latest P85 and the lowest chance of target, each point named in words."""
    points = results.drop_duplicates("point")
    failed = int((points["status"] == "failed").sum())
    words = point_words(results)
    plan = plan or plan_point(results)
    lines = [f"{len(points)} points, {failed} failed. The plan: {words.get(plan, plan)}."
             if plan else f"{len(points)} points, {failed} failed."]
    for m in milestones(results):
        rows = finished(results, m).dropna(subset=["p85_days"])
        if rows.empty:
            continue
        best, worst = rows.loc[rows["p85_days"].idxmin()], rows.loc[rows["p85_days"].idxmax()]
        line = (f"{m}: earliest P85 {formats.long_date(best['p85'])} ({words[best['point']]}); "
                f"latest {formats.long_date(worst['p85'])} ({words[worst['point']]})")
        chances = rows.dropna(subset=["chance_of_target"])
        if len(chances):
            low = chances.loc[chances["chance_of_target"].idxmin()]
            line += (f"; lowest chance of target {formats.percent(low['chance_of_target'])} "
                     f"({words[low['point']]})")
        lines.append(line + ".")
    name = str(results["sweep"].iloc[0]) if len(results) else "sweep"
    return Html(lines, heading=f"Sweep: {name}")


def tornado_note(results: pd.DataFrame, milestone: str = "", plan: str = "") -> Html:
    """The tornado's heading, or the one sentence saying why there is none."""
    if len(tornado_table(results, milestone, plan)):
        return Html(["Each swept field at its low and at its high end (or each what-if), "
                     "against the plan: green bars land earlier, red ones later."],
                    tag="p", heading="What moves the date most")
    return Html(["No tornado: a single finished point has nothing to be compared with."],
                tag="p")

def heatmap_note(results: pd.DataFrame, milestone: str = "") -> Html:
    """The heatmap's heading, or the one sentence saying why there is none."""
    if heatmap_drawable(results, milestone):
        return Html([], heading="Heatmap over two swept fields")
    return Html(["No heatmap: it needs a grid over two fields, and this sweep varies "
                 f"{_varied_words(results)}."], tag="p")


def heatmap_drawable(results: pd.DataFrame, milestone: str = "") -> bool:
    rows = finished(results, milestone or (milestones(results) or [""])[-1])
    varied = [f for f in sweep.swept_fields(results) if f != "scenario"
              and rows[f].nunique() > 1]
    return len(varied) >= 2


def _varied_words(results: pd.DataFrame) -> str:
    fields = [f for f in sweep.swept_fields(results) if f != "scenario"]
    if (results["kind"] == "points").any():
        return "a list of what-ifs"
    return "one field" if len(fields) == 1 else "no field"


def failures_note(results: pd.DataFrame) -> Html:
    """"All N points finished.", or the heading of the failed points' table."""
    points = results.drop_duplicates("point")
    failed = int((points["status"] == "failed").sum())
    if not failed:
        return Html([f"All {len(points)} points finished."], tag="p")
    return Html([f"{failed} of {len(points)} points failed: what went wrong and where the "
                 "executed notebook is."], tag="p", heading="Failed points")


def failures(results: pd.DataFrame) -> pd.DataFrame | None:
    """The failed points' table, or None (nothing shown) when every point finished."""
    table = sweep.failures(results)
    return table if len(table) else None
