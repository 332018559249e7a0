"""The executive summary: the forecast said in sentences a director reads in ten seconds
("ga: P85 delivery 3 June 2027; 61% chance to meet the 31 May target; most frequent last epic:
sso").

Sentences are plain text. `Html` shows them in notebooks with every scenario-supplied text
escaped, so a scenario named ``<script>...`` prints as text and never runs.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from workbench.present.formats import days, long_date, money, percent
from workbench.present.tables import headline_milestone
from workbench.sim.forecast import ProgramForecast


class Html:
    """A block of text lines for a notebook: escaped HTML for renderers, plain text for logs."""

    def __init__(self, lines: list[str], tag: str = "ul", heading: str = "") -> None:
        self.lines, self.tag, self.heading = lines, tag, heading

    def _repr_html_(self) -> str:
        head = f"<h2>{html.escape(self.heading)}</h2>\n" if self.heading else ""
        if self.tag == "ul":
            items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines)
            return f"{head}<ul>{items}</ul>"
        return head + "".join(f"<{self.tag}>{html.escape(line)}</{self.tag}>"
                              for line in self.lines)

    def __repr__(self) -> str:
        return "\n".join(([self.heading] if self.heading else []) + self.lines)


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
        head = f"{m['name']}: P85 delivery {long_date(m['p85'])}"
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
    return Html(summary_sentences(forecast, impact), heading="Executive summary")


def title(forecast: ProgramForecast) -> Html:
    """The report's title block: the scenario's name and description (escaped)."""
    s = forecast.scenario
    lines = [s.name] + ([s.description.strip()] if s.description.strip() else [])
    return Html(lines, tag="p", heading="Forecast report")


def footer_line(forecast: ProgramForecast) -> str:
    """What reproduces this report: seed, replications, scenario SHA-256 and version."""
    d = forecast.to_dict()
    return (f"Seed {d['seed']} · {d['replications']} replications · scenario SHA-256 "
            f"{d['scenario']['sha256']} · TPM Workbench {d['version']}")


def footer(forecast: ProgramForecast) -> Html:
    """The footer line, ready to show in a notebook."""
    return Html([footer_line(forecast)], tag="p")


def _day_month(target: str, p85: str | None) -> str:
    """'31 May' when the target is in the same year as the P85 date, else '31 May 2027'."""
    text = long_date(target)
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
    return (f"At 85% confidence by the {long_date(target)} target: {len(kept)} of {len(epics)} "
            f"epics{tail}.")


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
    shift = ("at least " if top["lower_bound"] else "") + days(top["shift_days"])
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
        lines.append(f"{name}: earliest P85 {long_date(best['p85'])} ({best['point']}); latest "
                     f"{long_date(worst['p85'])} ({worst['point']}).")
    return lines


def sweep_title(results: pd.DataFrame, milestone: str = "") -> Html:
    """The sweep summary's heading and sentences, ready to show in a notebook."""
    name = str(results["sweep"].iloc[0]) if len(results) else "sweep"
    return Html(sweep_sentences(results, milestone), heading=f"Sweep: {name}")
