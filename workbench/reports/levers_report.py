"""The report's "To make the date" section: for each milestone below the confidence, the
cheapest sets of levers that reach it (a quick search: few replications to screen, at most
`MOST_CANDIDATES` screened and `CONFIRM_REPS` to confirm), so the report stays quick to make."""

from __future__ import annotations

from workbench.present.levers_text import report_lines
from workbench.present.sentences import Html
from workbench.reports.paths import locate
from workbench.reports.scenario_report import ReportData
from workbench.sim.lever_search import search_levers

CONFIDENCE = 0.85
CONFIRM_REPS = 200
SCREEN_REPS = 30
MOST_CANDIDATES = 24  # a quick search: the report should not take minutes longer


def below_confidence(data: ReportData, confidence: float = CONFIDENCE) -> list[str]:
    """Milestones with a target whose chance of making it is below ``confidence``."""
    return [m["name"] for m in data.forecast.milestones()
            if m["chance_of_target"] is not None and m["chance_of_target"] < confidence]


def to_make_the_date(data: ReportData, confidence: float = CONFIDENCE, top: int = 3,
                     enabled: bool = True) -> Html | None:
    """The section, or None (nothing shown) when every milestone already makes its date (or
    ``enabled`` is False: sweeps and quick looks that skip the extra simulations)."""
    names = below_confidence(data, confidence) if enabled else []
    if not names:
        return None
    path = locate(data.parameters.get("scenario_path", ""))
    reps = min(data.forecast.reps, CONFIRM_REPS)
    lines: list[str] = []
    for name in names:
        answer = search_levers(path, data.scenario, name, confidence=confidence, reps=reps,
                               seed=data.forecast.seed, screen_reps=min(SCREEN_REPS, reps),
                               overrides=data.parameters.get("overrides") or {},
                               limit=MOST_CANDIDATES)
        lines += report_lines(answer, top)
    return Html(lines, heading="To make the date")
