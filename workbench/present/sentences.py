"""The executive summary: the forecast said in sentences a director reads in ten seconds
("ga: P85 delivery 3 June 2027; 61% chance to meet the 31 May target; most frequent last epic:
sso").

Sentences are plain text. `Html` shows them in notebooks with every scenario-supplied text
escaped, so a scenario named ``<script>...`` prints as text and never runs.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.present.formats import (
    as_date,
    calendar_days,
    days,
    money,
    percent,
    short_date,
    text_date,
)
from workbench.present.tables import headline_milestone
from workbench.sim.forecast import ProgramForecast


class Html:
    """A block of text lines for a notebook: escaped HTML for renderers, plain text for logs."""

    def __init__(self, lines: list[str], tag: str = "ul", heading: str = "",
                 note: str = "", lead: str = "") -> None:
        self.lines, self.tag, self.heading, self.note = lines, tag, heading, note
        self.lead = lead  # a paragraph between the heading and the lines

    def _repr_html_(self) -> str:
        head = f"<h2>{html.escape(self.heading)}</h2>\n" if self.heading else ""
        head += f"<p>{html.escape(self.lead)}</p>" if self.lead else ""
        tail = f"<p><small>{html.escape(self.note)}</small></p>" if self.note else ""
        if self.tag == "ul":
            items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines)
            return f"{head}<ul>{items}</ul>{tail}"
        return head + "".join(f"<{self.tag}>{html.escape(line)}</{self.tag}>"
                              for line in self.lines) + tail

    def __repr__(self) -> str:
        return "\n".join(([self.heading] if self.heading else [])
                         + ([self.lead] if self.lead else []) + self.lines
                         + ([self.note] if self.note else []))


def cost_figures(forecast: ProgramForecast) -> dict[str, str]:
    """Cost P50/P85/P95 as every face prints them, in the scenario's currency: "≥ 2.1M" where
    runs cut at the horizon make a percentile a lower bound, and a ``note`` saying so."""
    c = forecast.cost()
    currency = forecast.scenario.currency
    out = {p: ("≥ " if p in c["lower_bound"] else "") + money(c[p], currency)
           for p in ("p50", "p85", "p95")}
    cut = c["runs_cut"]
    out["note"] = (f"{cut} of {forecast.reps} runs still had work at the horizon: their cost "
                   f"counts only up to it, so figures marked ≥ are lower bounds.") if cut else ""
    return out


def budget_sentence(forecast: ProgramForecast) -> str:
    """The chance of staying within the program's budget, in one sentence ("" without one)."""
    b = forecast.budget()
    if b is None or b["total"] is None:
        return ""
    currency = forecast.scenario.currency
    amount, chance = money(b["total"], currency), b["chance_within"]
    p50 = cost_figures(forecast)["p50"]
    if chance == 0:
        return (f"Budget {amount}: no run stays within it (0%); the cost is {p50} at P50, "
                "so the budget or the plan must change.")
    return f"Budget {amount}: {percent(chance)} chance of staying within it (cost {p50} at P50)."


def milestone_sentence(m: dict[str, Any], horizon_days: int) -> str:
    """One milestone from `ProgramForecast.milestones()` in a sentence."""
    if m["p85"] is None:
        finished = 1 - m["unfinished_share"]
        head = (f"{m['name']}: P85 delivery beyond the {horizon_days}-day horizon "
                f"(only {percent(finished)} of runs finished)")
    else:
        head = f"{m['name']}: P85 delivery {text_date(m['p85'])}"
    if m["target"] is not None:
        head += f"; {percent(m['chance_of_target'])} chance to meet the " \
                f"{_day_month(m['target'], m['p85'])} target"
    else:
        head += "; no target set"
    last = m.get("most_often_last") or {}
    if last.get("epic"):
        head += f"; most frequent last epic: {last['epic']} ({percent(last['share'])} of runs)"
    return head + "."


def summary_sentences(forecast: ProgramForecast, impact: pd.DataFrame | None = None) -> list[str]:
    """The executive summary as sentences: each milestone (headline first), what is at risk of
    missing the headline target, cost, and the risk that moves the date most."""
    s = forecast.scenario
    milestones = forecast.milestones()
    headline = headline_milestone(forecast)
    milestones.sort(key=lambda m: m["name"] != headline)  # stable: headline first, then file order
    lines = [milestone_sentence(m, s.horizon_days) for m in milestones]
    lines += [_unfinished(m, s.horizon_days) for m in milestones if m["unfinished_share"] > 0
              and m["p85"] is not None]
    if headline:
        lines.append(_cut_line(forecast, headline))
    if not milestones:
        lines.append(_flow_sentence(forecast))
    cost = cost_figures(forecast)
    if forecast.cost()["p50"] > 0:
        lines.append(f"People cost: {cost['p50']} at P50, {cost['p85']} at P85. "
                     f"{cost['note']}".rstrip())
    lines.append(budget_sentence(forecast))
    if impact is not None and headline:
        lines.append(_risk_sentence(impact, headline))
    return [line for line in lines if line]


def executive_summary(forecast: ProgramForecast, impact: pd.DataFrame | None = None) -> Html:
    """The summary sentences, ready to show in a notebook."""
    return Html(summary_sentences(forecast, impact), heading="Executive summary",
                note=GLOSSARY)  # the first place P50/P85/P95 appear: say what they mean


def title(forecast: ProgramForecast, whatif: WhatIf | None = None) -> Html:
    """The report's title block: the scenario's name and description (escaped); a what-if is
    titled "What-if: ..." and lists its changes against the plan it was made from."""
    s = forecast.scenario
    lines = [s.name] + ([s.description.strip()] if s.description.strip() else [])
    if whatif is None:
        return Html(lines, tag="p", heading="Forecast report")
    lead = " ".join(lines[1:] + [f"Changed against {whatif.base_name} ({whatif.base_file}):"])
    return Html(whatif_lines(whatif), heading=f"What-if: {s.name}", lead=lead)


@dataclass(frozen=True)
class WhatIf:
    """A scenario made from a plan of record by a few changes (``--set`` or ``extends``)."""

    base_name: str  # the plan's name
    base_file: str  # the plan's file name
    changes: tuple[tuple[str, Any, Any], ...]  # field path, the plan's value, the what-if's

    def as_dict(self) -> dict[str, Any]:
        return {"base_name": self.base_name, "base_file": self.base_file,
                "changes": [{"field": f, "plan": a, "what_if": b} for f, a, b in self.changes]}


def whatif_title(name: str) -> str:
    """The page title of a what-if's report."""
    return f"What-if: {name}"


def whatif_lines(whatif: WhatIf) -> list[str]:
    """Each change as "platform: 7 → 9 people" (the field, the plan's value, the new one)."""
    return [change_words(path, old, new) for path, old, new in whatif.changes] or \
        ["no field differs from the plan"]


# A field's last part -> how its value reads ("9 people", "focus 0.8").
_UNIT_WORDS = {"members": "{} people", "items": "{} items", "people": "{} people",
               "focus": "focus {}", "probability": "probability {}", "target": "target {}",
               "wip_limit": "WIP limit {}", "cost_per_person_day": "{} per person-day",
               "days": "{} days", "count": "{} hired"}
_SECTIONS = ("teams", "epics", "risks", "milestones", "stages")


def field_words(path: str, value: Any) -> str:
    """A field and its value in words: "teams.platform.members", 9 -> "platform 9 people";
    "teams.platform.focus", 0.8 -> "platform focus 0.8"; others "path value"."""
    parts = [p for p in path.split(".") if p not in _SECTIONS]
    where, last = " ".join(parts[:-1]), parts[-1] if parts else path
    shown = _value_words(value)
    pattern = _UNIT_WORDS.get(last)
    text = pattern.format(shown) if pattern else f"{last.replace('_', ' ')} {shown}"
    return f"{where} {text}".strip()


def values_words(values: Mapping[str, Any]) -> str:
    """A what-if's fields and values in words, a team or epic named once for all its fields:
    {"teams.platform.members": 9, "teams.platform.focus": 0.8} -> "platform 9 people, focus
    0.8" (a sweep point, in its table, summary and progress line alike)."""
    parts, last = [], ""
    for path, value in values.items():
        text, group = field_words(path, as_written(value)), path.rpartition(".")[0]
        where = " ".join(p for p in group.split(".") if p not in _SECTIONS)
        said = group == last and where and text.startswith(where + " ")
        parts.append(text[len(where) + 1:] if said else text)
        last = group
    return ", ".join(parts)


def as_written(value: Any) -> Any:
    """A number as written: 9.0 (as a table column holds it) is 9."""
    if hasattr(value, "item"):
        value = value.item()
    return int(value) if isinstance(value, float) and value.is_integer() else value


def field_title(path: str) -> str:
    """A field's name in words: "teams.platform.members" -> "platform members"."""
    return " ".join(p.replace("_", " ") for p in path.split(".") if p not in _SECTIONS)


def change_words(path: str, old: Any, new: Any) -> str:
    """One change: "platform: 7 → 9 people"; a new risk, "added risk ledger-slips:
    probability 1, delays ledger by fixed 30 days"; another new section, its fields."""
    if old is None and isinstance(new, dict):
        name = path.split(".")[-1]
        if path.startswith("risks.") and path.count(".") == 1:
            return f"added risk {name}: {_risk_words(new)}"
        return f"added {name}: {_value_words(new)}"
    parts = [p for p in path.split(".") if p not in _SECTIONS]
    where, last = " ".join(parts[:-1]), parts[-1] if parts else path
    pattern = _UNIT_WORDS.get(last, last.replace("_", " ") + " {}")
    text = pattern.format(f"{_value_words(old)} → {_value_words(new)}")
    return f"{where}: {text}" if where else text


def _risk_words(risk: dict[str, Any]) -> str:
    """A risk as dumped by the scenario model, in words."""
    parts = [f"probability {_value_words(risk.get('probability'))}"]
    if risk.get("at"):
        parts.append(f"on {_value_words(risk['at'])}")
    if risk.get("delay"):
        d = risk["delay"]
        parts.append(f"delays {d['epic']} by {_value_words(d['days'])} days")
    if risk.get("add_items"):
        a = risk["add_items"]
        parts.append(f"adds {_value_words(a['items'])} items to {a['epic']}")
    if risk.get("capacity"):
        c = risk["capacity"]
        parts.append(f"{c['team']} loses {c.get('members', 1)} people")
    return ", ".join(parts)


def _value_words(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return short_date(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict) and set(value) == {"kind", "params"}:  # a distribution
        numbers = ", ".join(f"{x:g}" for x in value["params"])
        return numbers if value["kind"] == "fixed" else f"{value['kind']} {numbers}"
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if v is not None}
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(", ", ": "), default=str)
    return str(value)


def footer_line(forecast: ProgramForecast) -> str:
    """What reproduces this report: seed, replications, scenario SHA-256 (its first 12 hex
    digits, as git shortens a commit; the whole one is in summary.json) and version."""
    d = forecast.to_dict()
    return (f"Seed {d['seed']} · {d['replications']:,} replications · scenario SHA-256 "
            f"{d['scenario']['sha256'][:SHORT_SHA]} · TPM Workbench {d['version']}")


SHORT_SHA = 12  # hex digits of the scenario's SHA-256 a page shows


def footer(forecast: ProgramForecast) -> Html:
    """The footer line, ready to show in a notebook."""
    return Html([footer_line(forecast)], tag="p")


def _day_month(target: str, p85: str | None) -> str:
    """'31 May' when the target is in the same year as the P85 date, else '31 May 2027'."""
    text = text_date(target)
    same_year = p85 is not None and p85[:4] == target[:4]
    return text.rsplit(" ", 1)[0] if same_year else text


def _unfinished(m: dict[str, Any], horizon_days: int) -> str:
    return (f"In {percent(m['unfinished_share'])} of runs {m['name']} did not finish within the "
            f"{horizon_days}-day horizon.")


def _cut_line(forecast: ProgramForecast, name: str) -> str:
    target = forecast.scenario.milestones[name].target
    if target is None:
        return ""
    epics = list(forecast.scenario.epics)
    kept = forecast.cut_line(target)
    missing = [e for e in epics if e not in kept]
    tail = f" (not: {', '.join(missing)})" if missing else ""
    return (f"At 85% confidence by the {text_date(target)} target: {len(kept)} of {len(epics)} "
            f"epics{tail}.{_all_at_once(forecast, name)}")


def _all_at_once(forecast: ProgramForecast, name: str) -> str:
    """Why every epic can make the target at 85% while the milestone does not: it needs all of
    them in the same run (the roadmap's caption says it again under the chart)."""
    m = next(x for x in forecast.milestones() if x["name"] == name)
    chance = m["chance_of_target"]
    if chance is None or chance >= 0.85:
        return ""
    return (f" Each epic on its own is on time at 85% confidence, but {name} needs all of its "
            f"epics in the same run: that happened in {percent(chance)} of runs.")


def _risk_sentence(impact: pd.DataFrame, milestone: str) -> str:
    """The risk that matters most to ``milestone``, ranked first by how much its chance of the
    target rises with the risk switched off, then by the P85 shift (a risk that moves the date
    a day but the chance from 94% to 100% is not harmless)."""
    rows = impact[impact["milestone"] == milestone].dropna(subset=["shift_days"])
    if rows.empty:
        return ""
    gain = (rows["chance_without"] - rows["chance_with"]).fillna(0).round(6)
    scores = list(zip(gain, rows["shift_days"], strict=True))
    best = max(range(len(scores)), key=lambda i: scores[i])
    if scores[best] <= (0, 0):
        return ""
    top, up = rows.iloc[best], float(gain.iloc[best])
    chance = (f"its chance of the target from {percent(top['chance_with'])} to "
              f"{percent(top['chance_without'])}") if up > 0 else ""
    if top["shift_days"] <= 0:
        return (f"Biggest risk: {top['risk']}: switched off, the same runs raise the {milestone} "
                f"{chance.removeprefix('its ')} (its P85 hardly moves).")
    shift = ("at least " if top["lower_bound"] else "") + calendar_days(top["shift_days"])
    both = f" and {chance}" if chance else ""
    return (f"Biggest risk: {top['risk']} moves the {milestone} P85 by {shift}{both} "
            f"(switched off, the same runs land that much earlier).")


def _flow_sentence(forecast: ProgramForecast) -> str:
    overall = forecast.flow().get("overall", {})
    t = (overall.get("time_in_system_days") or {}).get("mean")
    rate = (overall.get("throughput_per_day") or {}).get("mean")
    util = (overall.get("utilisation") or {}).get("mean")
    if t is None or rate is None:
        return "No milestones and no finished work to summarise."
    return (f"Flow: an item takes {days(t, digits=1)} on average; {rate:.2f} items finish per day; "
            f"people are busy {percent(util)} of their planned-work time.")


def sweep_sentences(results: pd.DataFrame, milestone: str = "") -> list[str]:
    """A sweep's results (`sweep.collect`) in sentences: how many points ran, which milestone is
    compared, and the best and worst P85."""
    points = results.drop_duplicates("point_id")
    failed = int((points["status"] == "failed").sum())
    done = results[results["status"] == "done"]
    names = list(dict.fromkeys(done["milestone"].dropna()))
    name = milestone or (names[-1] if names else "")
    lines = [f"{len(points)} points, {failed} failed."]
    rows = done[done["milestone"] == name].dropna(subset=["p85_days"])
    if not rows.empty:
        best = rows.loc[rows["p85_days"].idxmin()]
        worst = rows.loc[rows["p85_days"].idxmax()]
        lines.append(f"{name}: earliest P85 {text_date(best['p85'])} ({best['point']}); latest "
                     f"{text_date(worst['p85'])} ({worst['point']}).")
    return lines


def sweep_title(results: pd.DataFrame, milestone: str = "") -> Html:
    """The sweep summary's heading and sentences, ready to show in a notebook."""
    name = str(results["sweep"].iloc[0]) if len(results) else "sweep"
    return Html(sweep_sentences(results, milestone), heading=f"Sweep: {name}")


# --- the report's charts in words ----------------------------------------------------------------

GLOSSARY = ("P50, P85, P95: the dates by which 50%, 85% and 95% of the simulated runs had "
            "finished. P50 is a coin toss; P85 is the date to commit to; P95 is the cautious "
            "one.")


def glossary() -> Html:
    """The line that explains P50/P85/P95, shown where the report first uses them."""
    return Html([GLOSSARY], tag="p")


def roadmap_caption(forecast: ProgramForecast) -> list[str]:
    """Why a milestone's P85 lies after every one of its epics' own P85: a milestone needs all
    of its epics, and in most runs at least one of them is late."""
    ends = {e["name"]: e["p85"] for e in forecast.epics()}
    lines = []
    for m in forecast.milestones():
        epics = forecast.scenario.milestones[m["name"]].epics
        known = [ends[e] for e in epics if ends.get(e)]
        if m["p85"] is None or len(known) < len(epics) or max(known) >= m["p85"]:
            continue
        last = max(known)
        gap = (as_date(m["p85"]) - as_date(last)).days  # type: ignore[operator]
        lines.append(
            f"{m['name']}: its epics' own P85 dates all fall by {text_date(last)}, yet its P85 "
            f"is {text_date(m['p85'])} ({calendar_days(gap)} later). Not a mistake: "
            f"{m['name']} needs all {len(epics)} epics, and in most runs at least one of them "
            "is late, so the milestone's P85 lies beyond any single epic's.")
    return lines


def roadmap_note(forecast: ProgramForecast) -> Html:
    """The roadmap's caption, ready to show under it."""
    return Html(roadmap_caption(forecast), tag="p")


def utilisation_sentence(bands: pd.DataFrame) -> str:
    """The most idle and the most loaded team across runs (from
    `report_tables.utilisation_bands`)."""
    if bands.empty:
        return ""
    idle = bands.loc[bands["median"].idxmin()]
    busy = bands.loc[bands["median"].idxmax()]
    text = (f"Most loaded: {busy['team']}, busy {percent(busy['median'])} of its planned-work "
            f"time (median run).")
    if idle["team"] != busy["team"]:
        text += (f" Most idle: {idle['team']}, {percent(idle['median'])}: it waits for work "
                 "(dependencies, or too little of it), so adding people there will not help.")
    return text


def utilisation_note(bands: pd.DataFrame) -> Html:
    """`utilisation_sentence`, ready to show in a notebook."""
    return Html([utilisation_sentence(bands)], tag="p")
