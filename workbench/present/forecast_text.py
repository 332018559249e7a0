"""How a forecast from history says what it is: its method, and how often such forecasts came
true on the team's past. The same words in `workbench forecast`, its JSON and the report."""

from __future__ import annotations

from workbench.history.throughput import ThroughputForecast
from workbench.present.formats import percent


def method_line(f: ThroughputForecast) -> str:
    """E.g. 'calibrated: the last 90 days sampled, each level read where it came true as often
    as stated on the team's past (P85 read at the raw P93.1); calibrated on 812 past forecasts
    with a known outcome'."""
    if f.method == "calibrated" and f.read_at:
        read = ", ".join(f"P{q:g} at the raw P{r:g}" for q, r in zip(f.levels, f.read_at,
                                                                      strict=True))
        edge = [f"P{q:g}" for q, r in zip(f.levels, f.read_at, strict=True)
                if r >= 99.9 or r <= 0.1]
        warn = (f"; {' and '.join(edge)} read at the edge of the raw futures (P0.1 or P99.9): "
                f"its sample is narrower than this team's past, so these may still be off"
                if edge else "")
        return (f"calibrated: {f.sampling or 'the sample'} sampled, each level read where it "
                f"came true as often as stated on the team's past ({read}); {f.note}{warn}")
    return f"raw: {f.sampling or 'the sample'} sampled, read straight off the futures; " + \
        f.note.removeprefix("raw: ")


def coverage_sentence(f: ThroughputForecast, level: float) -> str:
    """E.g. 'P85 from a calibrated method; on this team's past such P85s came true 84% of the
    time, 60 cases'."""
    i = list(f.levels).index(level)
    kind = "a calibrated method" if f.method == "calibrated" else \
        f"the raw method ({f.sampling or 'its sample'})"
    share, cases = f.coverage[i] if f.coverage else (None, 0)
    if share is None:
        why = f.note.split("coverage not measured: ")[-1] if "coverage not measured" in \
            f.note else "no past forecast to score"
        return f"P{level:g} from {kind}; its coverage on this team's past is not measured ({why})"
    return (f"P{level:g} from {kind}; on this team's past such P{level:g}s came true "
            f"{percent(share)} of the time, {cases} cases")


def coverage_sentences(f: ThroughputForecast) -> list[str]:
    """One `coverage_sentence` per level of the forecast."""
    return [coverage_sentence(f, q) for q in f.levels]
