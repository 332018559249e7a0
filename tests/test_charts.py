"""Tables, charts, narrative and risk impact, without Jupyter: the numbers a report shows are
checked against the forecast they come from, and every chart renders to SVG and PNG."""

from __future__ import annotations

import base64
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from tests.helpers import scenario as make_scenario
from workbench.present import charts, formats, sentences, tables
from workbench.scenario.models import Scenario
from workbench.sim.forecast import ProgramForecast
from workbench.sim.montecarlo import replay, simulate
from workbench.sim.whatif import risk_impact, without_risk

SMALL = {
    "name": "Small program",
    "teams": {"app": {"members": 3, "cost_per_person_day": 100,
                      "stages": {"build": {"people": 2}, "review": {"people": 1}}},
              "web": {"members": 2, "cost_per_person_day": 100}},
    "epics": {"login": {"team": "app", "items": 6, "effort_days": {"triangular": [1, 2, 4]}},
              "pay": {"team": "app", "items": 6, "effort_days": {"triangular": [1, 2, 4]},
                      "depends_on": ["login"]},
              "site": {"team": "web", "items": 5, "effort_days": {"triangular": [1, 2, 3]}}},
    "risks": {"vendor-late": {"probability": 1.0,
                              "delay": {"epic": "pay", "days": {"fixed": 30}}},
              "never": {"probability": 0.0, "delay": {"epic": "site", "days": {"fixed": 5}}}},
    "milestones": {"beta": {"epics": ["login", "site"], "target": "2027-02-05"},
                   "launch": {"epics": ["login", "pay", "site"], "target": "2027-03-31"}},
}
REPS = 40


@pytest.fixture(scope="module")
def small() -> Scenario:
    return make_scenario(**SMALL)


@pytest.fixture(scope="module")
def forecast(small: Scenario) -> ProgramForecast:
    return simulate(small, reps=REPS, seed=3)


def test_milestone_table_matches_forecast_json(forecast: ProgramForecast) -> None:
    table = tables.milestone_table(forecast)
    for row, m in zip(table.itertuples(), forecast.to_dict()["milestones"], strict=True):
        assert row.milestone == m["name"]
        assert row.p85 == pd.Timestamp(m["p85"]) and row.p85_days == m["p85_days"]
        assert row.chance_of_target == m["chance_of_target"]
        assert row.most_often_last == m["most_often_last"]["epic"]
    display = tables.milestone_display(forecast)
    assert display.loc["launch", "P85"] == formats.with_error(  # '23 Mar 2027 ± 1 working day'
        formats.short_date(table.loc[1, "p85"]), table.loc[1, "p85_error_working_days"],
        formats.WORKING_DAY)
    assert display.loc["launch", "Chance of target"].startswith(
        formats.percent(table.loc[1, "chance_of_target"]) + " ± ")


def test_finish_histogram_counts_every_finished_run(forecast: ProgramForecast) -> None:
    hist = tables.finish_histogram(forecast)
    for name in ("beta", "launch"):
        rows = hist[hist["milestone"] == name]
        finished = int(np.sum(~np.isnan(forecast.column(f"milestone:{name}"))))
        assert rows["runs"].sum() == finished
        assert math.isclose(rows["share"].sum(), finished / REPS)
        # each run's finish date falls inside its week
        days = forecast.column(f"milestone:{name}")
        first = forecast.scenario.start + dt.timedelta(days=int(math.ceil(np.nanmin(days))) - 1)
        assert rows["week_start"].min() <= pd.Timestamp(first) < rows["week_end"].min()


def test_burnup_fan_is_ordered_and_reaches_scope(forecast: ProgramForecast) -> None:
    burn = tables.burnup_table(forecast)
    assert (burn["done_p85"] <= burn["done_p50"]).all()
    assert (burn["done_p50"] <= burn["done_optimistic"]).all()
    assert burn["done_p50"].is_monotonic_increasing
    assert burn["done_p50"].iloc[-1] == burn["scope"].iloc[-1] == 17  # 6 + 6 + 5 items


def test_epic_timeline_and_dependency_links(forecast: ProgramForecast) -> None:
    timeline = tables.epic_timeline(forecast).set_index("epic")
    assert (timeline["bar_start"] <= timeline["bar_end"]).all()
    assert timeline.loc["pay", "depends_on"] == "login"
    links = tables.dependency_links(forecast)
    assert links[["from_epic", "to_epic"]].values.tolist() == [["login", "pay"]]
    assert links.loc[0, "from_date"] == timeline.loc["login", "bar_end"]


def test_cost_histogram_holds_every_run(forecast: ProgramForecast) -> None:
    hist = tables.cost_histogram(forecast)
    assert hist["runs"].sum() == REPS
    assert hist["p50"].iloc[0] == forecast.cost()["p50"]


def test_utilisation_and_flow_of_one_run(small: Scenario) -> None:
    log = replay(small, 3, 0)
    util = tables.team_utilisation(log, small.start)
    assert util["utilisation"].between(0, 1).all()
    worked = sum(r.effort_days for r in log.records if r.event == "start")
    stopped = sum(r.effort_days for r in log.records if r.event == "stop")
    assert math.isclose(util["busy_days"].sum(), worked - stopped, rel_tol=1e-9)
    cfd = tables.cumulative_flow(log, small.start)
    totals = cfd.groupby("day")["items"].sum()
    assert (totals == 17).all()  # every item is in exactly one state every day
    last = cfd[cfd["day"] == cfd["day"].max()].set_index("state")["items"]
    assert last["done"] == 17


def test_risk_impact_measures_a_certain_delay(small: Scenario, forecast: ProgramForecast) -> None:
    impact = risk_impact(small, REPS, 3, baseline=forecast).set_index(["risk", "milestone"])
    # `never` cannot fire: switching it off changes nothing at all (same streams)
    assert impact.loc[("never", "launch"), "shift_days"] == 0
    # `vendor-late` always delays pay by 30 calendar days: launch moves, beta does not
    assert impact.loc[("vendor-late", "beta"), "shift_days"] == 0
    # ~30 days: more when the delayed start lands on a weekend or behind other work
    assert 28 <= impact.loc[("vendor-late", "launch"), "shift_days"] <= 40
    assert "vendor-late" not in without_risk(small, "vendor-late").risks
    assert risk_impact(small, REPS, 3, enabled=False).empty


def test_summary_sentences_quote_the_numbers(forecast: ProgramForecast) -> None:
    impact = risk_impact(forecast.scenario, REPS, 3, baseline=forecast)
    lines = sentences.summary_sentences(forecast, impact)
    launch = next(m for m in forecast.milestones() if m["name"] == "launch")
    assert lines[0] == (
        f"launch: P85 delivery {formats.text_date(launch['p85'])}; "
        f"{formats.percent(launch['chance_of_target'])} chance to meet the 31 Mar target; "
        f"most frequent last epic: {launch['most_often_last']['epic']} "
        f"({formats.percent(launch['most_often_last']['share'])} of runs).")
    assert any(line.startswith("Biggest risk: vendor-late moves the launch P85") for line in lines)
    assert formats.long_date("2027-06-03") == "3 June 2027"


def test_html_escapes_scenario_text() -> None:
    block = sentences.Html(["<script>alert(1)</script>"], heading="a & b")
    html = block._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b" in html


@pytest.mark.parametrize("build", [
    lambda f, log: charts.completion_dates(tables.finish_histogram(f)),
    lambda f, log: charts.burnup(tables.burnup_table(f)),
    lambda f, log: charts.epic_timeline(tables.epic_timeline(f), tables.dependency_links(f)),
    lambda f, log: charts.team_utilisation(tables.team_utilisation(log, f.scenario.start)),
    lambda f, log: charts.cumulative_flow(tables.cumulative_flow(log, f.scenario.start)),
    lambda f, log: charts.cost_distribution(tables.cost_histogram(f)),
    lambda f, log: charts.risk_impact(risk_impact(f.scenario, 10, 3), "launch"),
], ids=["completion", "burnup", "timeline", "utilisation", "cfd", "cost", "risk"])
def test_every_chart_renders_to_svg_and_png(forecast: ProgramForecast, build) -> None:  # noqa: ANN001
    chart = build(forecast, replay(forecast.scenario, 3, 0))
    bundle, meta = charts.static_bundle(chart.to_dict())
    assert bundle["image/svg+xml"].lstrip().startswith("<svg")
    assert "<text" in bundle["image/svg+xml"]  # axes and titles drawn, not an empty canvas
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    assert meta["image/png"]["width"] * charts.PNG_SCALE == int.from_bytes(png[16:20], "big")
    assert "http" not in bundle["image/svg+xml"].replace("http://www.w3.org", "")


def test_static_renderer_is_used_when_enabled(forecast: ProgramForecast) -> None:
    charts.use_static_charts()
    chart = charts.burnup(tables.burnup_table(forecast))
    bundle = chart._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {"image/svg+xml", "image/png", "text/plain"} <= set(data)
    assert not any("javascript" in k or "vegalite" in k or k == "text/html" for k in data)


def test_empty_inputs_give_a_message_not_an_error() -> None:
    empty = pd.DataFrame(columns=["risk", "milestone", "shift_days"])
    spec = charts.risk_impact(empty).to_dict()
    assert spec["mark"]["type"] == "text"
    assert charts.sweep_heatmap(pd.DataFrame(), "", "").to_dict()["mark"]["type"] == "text"


# --- the report's main charts: when-chart, roadmap, utilisation across runs, cost ------------

def _svg(chart: object) -> str:
    return charts.static_bundle(chart.to_dict())[0]["image/svg+xml"]  # type: ignore[attr-defined]


def _texts(svg: str) -> list[str]:
    import html
    import re

    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_when_chart_labels_p50_p85_p95_and_target_per_milestone(
        forecast: ProgramForecast) -> None:
    from workbench.present import report_tables

    when = report_tables.when_table(forecast)
    lines = when[when["kind"] == "line"]
    texts = _texts(_svg(charts.when_chart(when)))
    for m in forecast.milestones():
        assert m["name"] in texts  # one panel per milestone, its name as written
        for label in ("P50", "P85", "P95"):
            assert f"{label} {formats.short_date(m[label.lower()])}" in texts
        assert f"target {formats.short_date(m['target'])}" in texts
        mine = lines[lines["milestone"] == m["name"]]
        assert list(mine["line"]) == ["P50", "P85", "P95", "target"]
        # a staircase in date order: each label on its own row, the earliest at the top
        assert mine.sort_values(["when", "row"])["label_dy"].is_monotonic_increasing
        assert mine["label_dy"].nunique() == len(mine)
    bars = when[when["kind"] == "bar"]
    assert bars["runs"].sum() == sum(round((1 - m["unfinished_share"]) * REPS)
                                     for m in forecast.milestones())


def test_roadmap_spans_p50_start_to_p85_finish_with_lines_and_connectors(
        forecast: ProgramForecast) -> None:
    from workbench.present import report_tables

    table = report_tables.roadmap_table(forecast).set_index("epic")
    for w in forecast.epic_windows():
        assert table.at[w["name"], "start"] == pd.Timestamp(w["start_p50"])
        assert table.at[w["name"], "p85"] == pd.Timestamp(w["p85"])
        assert table.at[w["name"], "start"] <= table.at[w["name"], "p50"] \
            <= table.at[w["name"], "p85"]
    # pay waits for login: it starts (P50) no earlier than login's median finish
    assert table.at["pay", "start"] >= pd.Timestamp(
        next(e for e in forecast.epics() if e["name"] == "login")["p50"]) - pd.Timedelta(days=1)
    links = report_tables.roadmap_links(forecast)
    assert list(zip(links["from_epic"], links["to_epic"], strict=True)) == [("login", "pay")]
    assert links.loc[0, "when"] == table.at["pay", "start"]
    today = dt.date(2027, 1, 4)
    marks = report_tables.roadmap_marks(forecast, today)
    texts = _texts(_svg(charts.roadmap(report_tables.roadmap_table(forecast), links, marks)))
    assert "start 4 Jan 2027" in texts and not any(t.startswith("today") for t in texts)
    later = simulate(forecast.scenario.model_copy(update={"as_of": dt.date(2027, 1, 11)}),
                     reps=5, seed=3)
    assert report_tables.roadmap_marks(later, dt.date(2027, 1, 11))["label"].iloc[0] == \
        "report date 11 Jan 2027"
    launch = next(m for m in forecast.milestones() if m["name"] == "launch")
    assert f"launch P85 {formats.short_date(launch['p85'])}" in texts


def test_epic_start_is_the_first_item_started() -> None:
    from workbench.sim.metrics import epic_start_days
    from workbench.sim.records import Record, RunLog

    log = RunLog([Record(0.0, "arrive", 1, "a"), Record(2.5, "start", 1, "a"),
                  Record(1.5, "start", 2, "a"), Record(4.0, "start", 3, "b"),
                  Record(5.0, "finish", 3, "b")], end_time=6.0, horizon_days=10,
                 warmup_days=0.0)
    assert epic_start_days(log) == {"a": 1.5, "b": 4.0}


def test_roadmap_caption_explains_the_tail() -> None:
    """A milestone of two independent epics: its P85 (the later of two in each run) lies after
    either epic's own P85, and the caption says so with both dates."""
    twin = make_scenario(**{
        "name": "Twins", "teams": {"a": {"members": 1}, "b": {"members": 1}},
        "epics": {"x": {"team": "a", "items": 4, "effort_days": {"uniform": [1, 8]}},
                  "y": {"team": "b", "items": 4, "effort_days": {"uniform": [1, 8]}}},
        "milestones": {"done": {"epics": ["x", "y"]}}})
    f = simulate(twin, reps=200, seed=1)
    m = f.milestones()[0]
    last = max(e["p85"] for e in f.epics())
    assert m["p85"] > last  # the theory: max of two draws has a later 85th percentile
    caption = sentences.roadmap_caption(f)
    assert len(caption) == 1 and formats.text_date(last) in caption[0]
    assert formats.text_date(m["p85"]) in caption[0]


def test_utilisation_bands_summarise_every_run(forecast: ProgramForecast) -> None:
    from workbench.present import report_tables

    bands = report_tables.utilisation_bands(forecast).set_index("team")
    for team in forecast.scenario.teams:
        u = forecast.column(f"util:{team}")
        assert bands.at[team, "median"] == pytest.approx(float(np.median(u)))
        assert bands.at[team, "low"] <= bands.at[team, "median"] <= bands.at[team, "high"]
        # the band holds about 80% of runs (P10 to P90)
        inside = np.mean((u >= bands.at[team, "low"]) & (u <= bands.at[team, "high"]))
        assert 0.75 <= inside <= 0.9
    sentence = sentences.utilisation_sentence(bands.reset_index())
    idle = bands["median"].idxmin()
    assert f"Most idle: {idle}, {formats.percent(bands.at[idle, 'median'])}" in sentence
    assert f"Most loaded: {bands['median'].idxmax()}" in sentence
    assert "Team utilisation across runs" in _texts(_svg(charts.utilisation_summary(
        bands.reset_index())))


def test_cost_chart_shows_currency_and_budget(small: Scenario) -> None:
    priced = make_scenario(**{**SMALL, "currency": "EUR", "budget": 20000})
    f = simulate(priced, reps=20, seed=3)
    texts = _texts(_svg(charts.cost_against_budget(tables.cost_histogram(f), priced.budget)))
    cost = f.cost()
    assert "people cost (EUR)" in texts
    assert f"P50 {formats.money(cost['p50'], 'EUR')}" in texts
    assert "budget EUR 20k" in texts
    plain = _texts(_svg(charts.cost_against_budget(tables.cost_histogram(
        simulate(small, reps=10, seed=3)))))
    assert not any(t.startswith("budget") for t in plain)


def test_glossary_comes_with_the_first_use_of_p85(forecast: ProgramForecast) -> None:
    summary = sentences.executive_summary(forecast)
    page = summary._repr_html_()
    assert "P85" in page and page.index(sentences.GLOSSARY[:20]) > page.index("P85")
    assert sentences.GLOSSARY in repr(summary)


def test_risk_impact_pairs_a_long_baseline_with_its_first_runs(
        small: Scenario, forecast: ProgramForecast, monkeypatch: pytest.MonkeyPatch) -> None:
    """With more runs than PAIRED_REPS, each risk is switched off over the baseline's first
    runs: the shift is the paired one, the "with" figures are the headline's own."""
    from workbench.sim import whatif

    monkeypatch.setattr(whatif, "PAIRED_REPS", REPS // 2)
    head = forecast.head(REPS // 2)
    paired = risk_impact(small, REPS // 2, 3, baseline=head).set_index(["risk", "milestone"])
    long = risk_impact(small, REPS, 3, baseline=forecast).set_index(["risk", "milestone"])
    assert long["shift_days"].equals(paired["shift_days"])
    launch = small.milestones["launch"]
    row = long.loc[("vendor-late", "launch")]
    assert row["chance_with"] == forecast.chance_by("milestone:launch", launch.target)
    assert row["p85_days_with"] == forecast.milestones()[-1]["p85_days"] or \
        math.isnan(row["p85_days_with"])
    assert math.isclose(row["chance_without"] - row["chance_with"],
                        paired.loc[("vendor-late", "launch"), "chance_without"]
                        - paired.loc[("vendor-late", "launch"), "chance_with"])
    assert math.isclose(row["p85_days_with"] - row["p85_days_without"], row["shift_days"])
def test_cost_over_time_names_a_budget_only_when_there_is_one(small: Scenario) -> None:
    """No budget: no "budget" in the title or subtitle; a zero tick reads "0", not "0M"; each
    month is named once on the time axis."""
    import re

    run = replay(small, 3, 0)
    texts = _texts(_svg(charts.cost_burn(tables.cost_burn(run, small))))
    assert "Cost over time" in texts and not any("budget" in t for t in texts)
    assert "0" in texts and not any(re.fullmatch(r"0[kMB]", t) for t in texts)
    months = [t for t in texts if re.fullmatch(r"[A-Z][a-z]{2} \d{4}", t)]
    assert months and len(months) == len(set(months))
    budgeted = make_scenario(**{**SMALL, "currency": "EUR", "budget": 20000})
    texts = _texts(_svg(charts.cost_burn(tables.cost_burn(replay(budgeted, 3, 0), budgeted),
                                         "EUR")))
    assert "Cost against budget" in texts and "cost so far (EUR)" in texts


def test_when_chart_labels_of_close_dates_sit_on_different_rows(
        forecast: ProgramForecast) -> None:
    """A P85 a few days from the target (or any two lines within a week) gets its own row,
    and each line starts at its label's row, so it never runs through the labels above."""
    from workbench.present import report_tables

    when = report_tables.when_table(forecast)
    lines = when[when["kind"] == "line"]
    close = 0
    for _, mine in lines.groupby("milestone"):
        rows = mine.to_dict("records")
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if abs((a["when"] - b["when"]).days) <= 7:
                    close += 1
                    # a row apart at least: the text (11 px) never overlaps
                    assert abs(a["label_dy"] - b["label_dy"]) >= 13, (a["text"], b["text"])
    assert close > 0  # the small program has lines within a week of each other
    layers = charts.when_chart(when).to_dict()["spec"]["layer"]
    rule = next(layer for layer in layers if layer["mark"]["type"] == "rule")
    text = next(layer for layer in layers if layer["mark"]["type"] == "text")
    assert rule["encoding"]["yOffset"] == text["encoding"]["yOffset"] == {
        "field": "label_dy", "type": "quantitative", "scale": None}
