"""How a set of levers reads: one line per lever with its cost ("add 2 platform engineers from
1 Mar 2027 (8 weeks ramp-up): +190k"), the set's chance with its 95% interval, and the
answer of `workbench levers` as a terminal table or plain JSON data."""

from __future__ import annotations

from typing import Any

from workbench.present.formats import iso_date, money, percent, short_date
from workbench.sim.lever_search import Answer, Outcome
from workbench.sim.levers import (
    Catalogue,
    Lever,
    lever_money,
    part_cut,
    planned_items,
    ramp_up,
    scope_cut,
)


def lever_lines(cat: Catalogue, outcome: Outcome) -> list[str]:
    """The set as readable lines, one per lever pulled (the plan: "as planned")."""
    lines = [lever_line(cat, lever, setting)
             for lever, setting in zip(cat.levers, outcome.candidate, strict=True) if setting]
    return lines or ["as planned (no change)"]


def lever_line(cat: Catalogue, lever: Lever, setting: int) -> str:
    """One lever at one setting, with its cost in the scenario's currency."""
    cost = lever_money(cat, lever, setting)
    paid = f": +{money(cost, cat.scenario.currency)}" if cost > 0 else ""
    return _WORDS[lever.kind](cat, lever, setting) + paid


def lever_words(cat: Catalogue, outcome: Outcome) -> str:
    """The levers of a set in one phrase, without their cost (a report gives the set's cost
    once): "add 1 platform engineer ... and protect data: ...". An added engineer from the
    first day the search may add one is said to be someone who can join then: a new hire
    takes longer."""
    words = [_WORDS[lever.kind](cat, lever, setting) + _soon(cat, lever)
             for lever, setting in zip(cat.levers, outcome.candidate, strict=True) if setting]
    return " and ".join(words) or "the plan as it is"


def _soon(cat: Catalogue, lever: Lever) -> str:
    start = cat.scenario.as_of or cat.scenario.start
    if lever.kind != "add" or lever.when is None or lever.when > start:
        return ""
    return " (someone who can join then: moved from another team, or a contractor)"


def _add(cat: Catalogue, lever: Lever, n: int) -> str:
    ramp, _ = ramp_up(cat, lever.name)
    who = "engineer" if n == 1 else "engineers"
    weeks = f" ({ramp:g} weeks ramp-up)" if ramp else ""
    return f"add {n} {lever.name} {who} from {short_date(lever.when)}{weeks}"


def _hire(cat: Catalogue, lever: Lever, n: int) -> str:
    hire = cat.scenario.teams[lever.name].hires[lever.index]
    return (f"bring {lever.name}'s hire of {hire.count} forward from {short_date(hire.date)} "
            f"to {short_date(lever.dates[n - 1])}")


def _focus(cat: Catalogue, lever: Lever, n: int) -> str:
    before = cat.scenario.teams[lever.name].focus
    after = before + n * cat.bounds.flow.focus_step
    return (f"protect {lever.name}: focus {percent(before)} to {percent(after)} "
            "(other duties moved to others)")


def _wip(cat: Catalogue, lever: Lever, n: int) -> str:
    limit = cat.scenario.teams[lever.name].wip_limit or 0
    return f"raise {lever.name}'s WIP limit from {limit} to {limit + n}"


def _mitigate(cat: Catalogue, lever: Lever, n: int) -> str:
    risk = cat.scenario.risks[lever.name]
    action = f"{risk.mitigation.action}: " if risk.mitigation and risk.mitigation.action else ""
    after = risk.mitigation.probability if risk.mitigation else risk.probability
    return (f"mitigate {lever.name} ({action}probability {percent(risk.probability)} to "
            f"{percent(after)})")


def _drop(cat: Catalogue, lever: Lever, n: int) -> str:
    """"drop sso", "cut roles: keep 10 of the 20 items left (its last 10 given up)", or
    both."""
    epics, cut = scope_cut(lever, n)
    words = ["drop " + ", ".join(epics)] if epics else []
    if cut is not None:
        epic, kept = cut
        left = planned_items(cat.scenario, epic)
        words.append(f"cut {epic}: keep {kept} of the {left} items left (its last "
                     f"{left - kept} given up)")
    return " and ".join(words)


_WORDS = {"add": _add, "hire": _hire, "focus": _focus, "wip": _wip, "mitigate": _mitigate,
          "drop": _drop}


def chance_text(answer: Answer, o: Outcome) -> str:
    """'88% (95% CI 84%-91%)', with ', borderline' when the interval includes the confidence."""
    low, high = o.interval
    tail = ", borderline" if answer.borderline(o) else ""
    return f"{percent(o.chance)} (95% CI {percent(low)}-{percent(high)}{tail})"


def headline(answer: Answer) -> str:
    """The answer in one sentence."""
    cat = answer.catalogue
    goal = (f"{cat.milestone} by {short_date(cat.by)} at {percent(answer.confidence)} "
            "confidence")
    if answer.sets and answer.sets[0].candidate == cat.plan and answer.reached:
        return f"The plan already makes {goal}: {percent(answer.plan.chance)}."
    if not answer.reached and answer.exhausted:
        return (f"A quick search ({answer.evaluated} candidates) found no set that makes {goal} "
                f"(the plan: {percent(answer.plan.chance)}); `workbench levers` searches "
                "further; the best sets found:")
    if not answer.reached:
        return (f"Nothing within the levers' bounds makes {goal} (the plan: "
                f"{percent(answer.plan.chance)}); the best sets found:")
    n = len(answer.sets)
    order = ", cheapest first" if n > 1 else ""
    return (f"{_sets(n)} {'makes' if n == 1 else 'make'} {goal} "
            f"(the plan: {percent(answer.plan.chance)}){order}:")


def _sets(n: int) -> str:
    return "1 set of levers" if n == 1 else f"{n} sets of levers"


def answer_text(answer: Answer, files: list[str] | None = None) -> str:
    """The terminal answer: the headline, then each set with its numbers and lines."""
    out = [headline(answer), ""]
    for i, o in enumerate(answer.sets, 1):
        out.append(f"{i}. chance {chance_text(answer, o)} · P85 {short_date(o.p85)} · cost "
                   f"+{money(o.money, answer.catalogue.scenario.currency)} · scope given up: "
                   f"{o.items_given_up} item{'' if o.items_given_up == 1 else 's'}")
        out += [f"   - {line}" for line in lever_lines(answer.catalogue, o)]
        if files:
            out.append(f"   what-if: {files[i - 1]}")
    out += ["", f"{_simulated(answer)} ({answer.screen_reps} replications "
                f"to screen, {answer.reps} to confirm; seed {answer.seed})."]
    return "\n".join(out) + "\n"


def answer_dict(answer: Answer, files: list[str] | None = None) -> dict[str, Any]:
    """The answer as plain data (the `--format json` shape in docs/forecast-json.md)."""
    cat = answer.catalogue
    return {"milestone": cat.milestone, "by": iso_date(cat.by), "confidence": answer.confidence,
            "reached": answer.reached, "seed": answer.seed, "replications": answer.reps,
            "screen_replications": answer.screen_reps,
            "candidates_evaluated": answer.evaluated, "stopped_at_limit": answer.exhausted,
            "currency": cat.scenario.currency,
            "plan": _outcome_dict(answer, answer.plan, None),
            "sets": [_outcome_dict(answer, o, files[i] if files else None)
                     for i, o in enumerate(answer.sets)]}


def _cut_dict(cat: Catalogue, o: Outcome) -> dict[str, Any] | None:
    """The epic a set cuts part-way: its name, the items it keeps and the items it had left."""
    cut = part_cut(cat, o.candidate)
    if cut is None:
        return None
    return {"epic": cut[0], "kept_items": cut[1], "items_left": planned_items(cat.scenario,
                                                                             cut[0])}


def _outcome_dict(answer: Answer, o: Outcome, file: str | None) -> dict[str, Any]:
    low, high = o.interval
    return {"chance": o.chance, "chance_ci95": [low, high], "borderline": answer.borderline(o),
            "p85": iso_date(o.p85, missing=None) if o.p85 else None,  # type: ignore[arg-type]
            "cost": o.money, "items_given_up": o.items_given_up, "dropped": list(o.dropped),
            "cut": _cut_dict(answer.catalogue, o),
            "levers": lever_lines(answer.catalogue, o), "changes": o.changes,
            "whatif": file}


def report_lines(answer: Answer, top: int = 3) -> list[str]:
    """The report's lines for one milestone, as a director reads them: what the plan gives,
    then each of the best ``top`` options in one sentence ("One option: add 1 platform engineer
    from 25 Jan 2027; costs USD 105k over the program; raises the chance of 31 Aug 2027 to
    96% (92–98%)"), then how they were found."""
    cat = answer.catalogue
    if not answer.reached or (answer.sets and answer.sets[0].candidate == cat.plan):
        out = [headline(answer).rstrip(":") + "."]
    else:
        out = [f"{cat.milestone} has {percent(answer.plan.chance)} chance of "
               f"{short_date(cat.by)}, below {percent(answer.confidence)}. "
               + ("One option reaches it:" if len(answer.sets[:top]) == 1 else
                  f"{len(answer.sets[:top])} options reach it, cheapest first:")]
    for i, o in enumerate(answer.sets[:top], 1):
        lead = "One option" if len(answer.sets[:top]) == 1 else f"Option {i}"
        out.append(f"{lead}: {lever_words(cat, o)}; {_costs(answer, o)}; "
                   f"{_raises(answer, o)}, P85 {short_date(o.p85)}.")
    out.append(f"(Found by a quick search: {_simulated(answer)}, seed {answer.seed}, "
               f"{answer.screen_reps:,} runs each to screen and {answer.reps:,} to confirm. "
               "The levers command searches further and writes each option as a what-if "
               "scenario.)")
    return out


def _costs(answer: Answer, o: Outcome) -> str:
    if o.money <= 0:
        return "no extra cost"
    return f"costs {money(o.money, answer.catalogue.scenario.currency)} over the program"


def _raises(answer: Answer, o: Outcome) -> str:
    """'raises the chance of 31 Aug 2027 to 96% (92–98%)': the set's chance, its 95% interval."""
    low, high = o.interval
    verb = "raises" if o.chance > answer.plan.chance else "keeps"
    caution = "; borderline" if answer.borderline(o) else ""
    return (f"{verb} the chance of {short_date(answer.catalogue.by)} to {percent(o.chance)} "
            f"({percent(low).rstrip('%')}–{percent(high)}{caution})")


def _simulated(answer: Answer) -> str:
    n = answer.evaluated
    return f"{n} candidate{'' if n == 1 else 's'} simulated"
