"""A forecast as text: the table `workbench run` prints for people, and CSV for sheets."""

from __future__ import annotations

import io
from typing import Any

from workbench.files.untrusted import spreadsheet_writer
from workbench.present.formats import (
    BEYOND,
    EXTERNAL,
    chance_with_error,
    iso_date,
    money,
    percent,
    with_error,
)
from workbench.present.sentences import cost_figures
from workbench.present.status import page_head, status_lines
from workbench.sim.forecast import ProgramForecast


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]
    return "\n".join(lines)


def table(forecast: ProgramForecast) -> str:
    """The forecast as a few aligned tables a TPM can paste into a status note."""
    s, out = forecast.scenario, []
    out.append(f"{s.name}: {forecast.reps} runs{_how_many(forecast)}, seed {forecast.seed}, "
               f"scenario sha256 {s.sha256[:12]}")
    out += status_section(forecast)
    if s.milestones:
        rows = [[m["name"], iso_date(m["target"]), iso_date(m["p50"], missing=BEYOND),
                 with_error(iso_date(m["p85"], missing=BEYOND), m["p85_error_working_days"]),
                 iso_date(m["p95"], missing=BEYOND),
                 chance_with_error(m["chance_of_target"], m["chance_error"]),
                 percent(m["unfinished_share"]),
                 f'{m["most_often_last"]["epic"]} ({percent(m["most_often_last"]["share"])})']
                for m in forecast.milestones()]
        out += ["", _grid(["milestone", "target", "P50", "P85", "P95", "chance", "unfinished",
                           "most often last"], rows)]
        for m in forecast.milestones():
            if m["cut_line"] is not None:
                kept = ", ".join(m["cut_line"]) or "nothing"
                out.append(f"  by {iso_date(m['target'])} at 85%: {kept}")
    if s.epics:
        rows = [[e["name"], e["team"] or EXTERNAL,
                 *(iso_date(e[p]) for p in ("p50", "p85", "p95")),
                 percent(e["unfinished_share"])] for e in forecast.epics()]
        out += ["", _grid(["epic", "team", "P50", "P85", "P95", "unfinished"], rows)]
    if forecast.cost()["p95"] > 0:
        c = cost_figures(forecast)
        out += ["", f"cost: P50 {c['p50']}, P85 {c['p85']}, P95 {c['p95']}"]
        out += [f"  {c['note']}"] if c["note"] else []
    out += _budget_lines(forecast)
    teams = ", ".join(f"{t['name']} {percent(t['utilisation'])}" for t in forecast.teams())
    out += ["", f"utilisation: {teams}"]
    if s.arrivals:
        out += ["", _flow_table(forecast.flow())]
    return "\n".join(out)


def status_section(forecast: ProgramForecast) -> list[str]:
    """The status call first: report date and owner, a line per milestone, the asks."""
    if not forecast.scenario.milestones:
        return []
    s = forecast.scenario
    return ["", page_head(s), *(f"  {line}" for line in status_lines(forecast)),
            *(f"  ask: {a}" for a in s.asks)]
def _how_many(forecast: ProgramForecast) -> str:
    """How the number of runs was chosen, when by precision."""
    p = forecast.precision
    if not p or p.get("rule") != "auto":
        return ""
    reached = "" if p["reached"] else f", cap of {p['cap']} reached before"
    return (f" (auto: P85 within ±{p['p85_working_days']:g} working day, chances within "
            f"±{p['chance_points']:g} points{reached})")


def _budget_lines(forecast: ProgramForecast) -> list[str]:
    b = forecast.budget()
    if b is None:
        return []
    currency = forecast.scenario.currency
    parts = [] if b["total"] is None else [
        f"program {money(b['total'], currency)}: {percent(b['chance_within'])}"]
    parts += [f"{t['name']} {money(t['budget'], currency)}: {percent(t['chance_within'])}"
              for t in b["teams"]]
    return ["", "chance of staying within budget: " + ", ".join(parts)]


def _flow_table(flow: dict[str, dict[str, Any]]) -> str:
    def cell(f: dict[str, Any]) -> str:
        if f["mean"] is None:
            return "-"
        lo, hi = f["ci95"]
        return f"{f['mean']:.3f}" + (f" ±{(hi - lo) / 2:.3f}" if lo is not None else "")

    fields = ["time_in_system_days", "wait_days", "throughput_per_day", "wip", "utilisation",
              "turned_away_share"]
    rows = [[key, *(cell(figs[f]) for f in fields)] for key, figs in flow.items()]
    return _grid(["flow (mean, ±95% CI)", "time in system d", "wait d", "throughput/d", "WIP",
                  "utilisation", "turned away"], rows)


def csv(forecast: ProgramForecast) -> str:
    """One row per milestone and epic: dates, chance, unfinished share."""
    buf = io.StringIO()
    w = _csv_writer(buf)
    w.writerow(["kind", "name", "team", "target", "p50", "p85", "p95", "chance_of_target",
                "unfinished_share"])
    for m in forecast.milestones():
        w.writerow(["milestone", m["name"], "", m["target"], m["p50"], m["p85"], m["p95"],
                    m["chance_of_target"], m["unfinished_share"]])
    for e in forecast.epics():
        w.writerow(["epic", e["name"], e["team"] or EXTERNAL, "", e["p50"], e["p85"], e["p95"], "",
                    e["unfinished_share"]])
    return buf.getvalue()


def _csv_writer(buf: io.StringIO) -> Any:
    return spreadsheet_writer(buf)  # formulas in names neutralised (files.untrusted)


