"""The sweep summary a TPM can choose from: points in words, ranked on one milestone or all
with the change against the plan, cost against date, a tornado with direction, and no empty
sections (a section with nothing to show is one sentence)."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pandas as pd
import pytest

from workbench.present import charts, sweep_charts, tables
from workbench.reports import runner, sweep, sweep_summary
from workbench.reports.paths import NOTEBOOKS_DIR

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "sweeps" / "example-results.csv"


def grid_results() -> pd.DataFrame:
    """Two fields, two milestones; P85 = 100 - 10 a - 20 b days (ga), beta 30 days earlier; the
    plan (a=2, b=0.5) has the base scenario's SHA-256."""
    rows = []
    for i, (a, b) in enumerate([(2, 0.5), (2, 1.0), (3, 0.5), (3, 1.0)]):
        for m, less in (("beta", 30), ("ga", 0)):
            p85 = 100 - 10 * a - 20 * b - less
            rows.append({"sweep": "s", "kind": "grid", "point": f"a={a},b={b}",
                         "point_id": f"{i:03d}", "status": "done", "teams.app.members": a,
                         "teams.app.focus": b, "milestone": m,
                         "p85": pd.Timestamp("2027-01-04") + pd.Timedelta(days=p85),
                         "p50_days": p85 - 10.0, "p85_days": float(p85),
                         "chance_of_target": (a / 4) if m == "ga" else (1 - b / 2),
                         "cost_p85": 1000.0 * a, "sha256": "plan" if i == 0 else f"x{i}",
                         "error": "", "notebook": f"{i:03d}/report.ipynb"})
    return tables.tidy(rows, list(rows[0]))


def test_points_are_named_in_words() -> None:
    words = sweep_summary.point_words(grid_results())
    assert words["a=3,b=1.0"] == "app 3 people, focus 1"
    assert words["a=2,b=0.5"] == "app 2 people, focus 0.5"


def test_plan_is_the_base_scenario_point() -> None:
    r = grid_results()
    assert sweep_summary.plan_point(r, "plan") == "a=2,b=0.5"
    assert sweep_summary.plan_point(r.iloc[::-1], "") == "a=3,b=1.0"  # else the first point


def test_ranking_on_all_milestones_with_change_against_plan() -> None:
    r = grid_results()
    ranked = sweep_summary.ranking(r, plan="a=2,b=0.5")
    assert list(ranked.columns) == ["Point", "beta P85", "beta vs plan", "beta chance",
                                    "ga P85", "ga vs plan", "ga chance", "Cost P85"]
    assert ranked["Point"].tolist()[0] == "app 3 people, focus 1"  # earliest ga, then beta
    by = ranked.set_index("Point")
    assert by.loc["app 2 people, focus 0.5", "ga vs plan"] == "plan"
    assert by.loc["app 3 people, focus 1", "ga vs plan"] == "-20 days"  # 10 + 10 days earlier
    assert by.loc["app 2 people, focus 1", "beta vs plan"] == "-10 days"
    # on chance: each point by its weakest milestone (beta falls as focus rises here)
    safest = sweep_summary.ranking(r, metric="chance_of_target", plan="a=2,b=0.5")
    assert safest["Point"].iloc[0] == "app 3 people, focus 0.5"  # min(0.75, 0.75)
    one = sweep_summary.ranking(r, "beta", plan="a=2,b=0.5")
    assert list(one.columns) == ["Point", "beta P85", "beta vs plan", "beta chance", "Cost P85"]


def test_tornado_has_direction_and_both_ends_labelled() -> None:
    swings = sweep_summary.tornado_table(grid_results(), plan="a=2,b=0.5").set_index(
        ["change", "end"])
    # focus 0.5 -> 1.0 at the plan's 2 people: 10 days earlier; people 2 -> 3 at focus 0.5: 10
    assert swings.loc[("app focus", "low"), "shift_days"] == 0
    assert swings.loc[("app focus", "high"), "shift_days"] == -10
    assert swings.loc[("app members", "high"), "label"] == "app 3 people: 10 days earlier"
    assert swings.loc[("app members", "low"), "label"] == "app 2 people: same as plan"
    svg = charts.static_bundle(sweep_charts.tornado(swings.reset_index()).to_dict())[0]
    assert "app 3 people: 10 days earlier" in html.unescape(svg["image/svg+xml"])


def test_tornado_of_a_list_is_each_what_if_against_the_plan() -> None:
    r = grid_results().assign(kind="points")
    swings = sweep_summary.tornado_table(r, "ga", plan="a=2,b=0.5").set_index("change")
    assert swings.loc["a=3,b=1.0", "shift_days"] == -20 and "a=2,b=0.5" not in swings.index
    r.loc[r["point"] == "a=2,b=1.0", "p85_days"] += 40  # a what-if that lands later
    later = sweep_summary.tornado_table(r, "ga", plan="a=2,b=0.5").set_index("change")
    assert later.loc["a=2,b=1.0", "label"] == "a=2,b=1.0: 30 days later"


def test_cost_against_date_marks_the_plan() -> None:
    t = sweep_summary.cost_date_table(grid_results(), plan="a=2,b=0.5")
    assert t["plan"].tolist() == [True, False, False, False] and (t["milestone"] == "ga").all()
    texts = html.unescape(charts.static_bundle(sweep_charts.cost_vs_date(t).to_dict())[0][
        "image/svg+xml"])
    assert "app 3 people, focus 1" in texts and "ga P85" in texts


def test_sweep_costs_are_in_the_scenarios_currency() -> None:
    """The ranking, the leader's summary table and the cost axis say EUR where the scenario
    does (a table written before the results kept a currency still reads, without one)."""
    r = grid_results().assign(currency="EUR", p50=lambda d: d["p85"])
    by = sweep_summary.ranking(r, plan="a=2,b=0.5").set_index("Point")["Cost P85"]
    assert by["app 3 people, focus 1"] == "EUR 3k" and by["app 2 people, focus 0.5"] == "EUR 2k"
    assert sweep.ranking(r, "ga")["Cost P85"].tolist() == ["EUR 3k", "EUR 2k", "EUR 3k", "EUR 2k"]
    t = sweep_summary.cost_date_table(r, plan="a=2,b=0.5")
    texts = html.unescape(charts.static_bundle(sweep_charts.cost_vs_date(t).to_dict())[0][
        "image/svg+xml"])
    assert "people cost P85 (EUR)" in texts
    mixed = t.assign(currency=["EUR", "USD", "EUR", "USD"])
    texts = html.unescape(charts.static_bundle(sweep_charts.cost_vs_date(mixed).to_dict())[0][
        "image/svg+xml"])
    assert "people cost P85 (mixed: EUR, USD)" in texts
    assert sweep.ranking(r.drop(columns="currency"), "ga")["Cost P85"].iloc[0] == "3k"


def test_sections_with_nothing_to_show_are_one_sentence() -> None:
    one_field = grid_results().drop(columns="teams.app.focus").drop_duplicates(
        ["point", "milestone"])
    note = sweep_summary.heatmap_note(one_field)
    assert not note.heading and repr(note).startswith("No heatmap: it needs a grid over two")
    assert sweep_charts.heatmap(*sweep.heatmap_table(one_field)) is None
    assert sweep_summary.failures(grid_results()) is None
    assert repr(sweep_summary.failures_note(grid_results())) == "All 4 points finished."
    failed = pd.concat([grid_results(), pd.DataFrame([{
        "sweep": "s", "kind": "grid", "point": "a=4,b=1", "status": "failed",
        "error": "boom", "notebook": "004/report.failed.ipynb"}])], ignore_index=True)
    assert sweep_summary.failures_note(failed).heading == "Failed points"
    assert len(sweep_summary.failures(failed)) == 1


@pytest.fixture(scope="module")
def summary_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("sweep-summary")
    nb = runner.execute_notebook(NOTEBOOKS_DIR / "sweep_summary.ipynb", out / "summary.ipynb",
                                 {"results_path": str(EXAMPLE)})
    return runner.export_html(nb, out / "summary.html", title="Sweep summary").read_text()


def test_summary_page_reads_in_words_and_dates(summary_page: str) -> None:
    text = html.unescape(summary_page)
    assert "teams.platform.members" not in re.sub(r'src="[^"]+"', "", text)
    assert "platform 9 people, focus 0.8" in text and "The plan: platform 7 people, focus 0.7" \
        in text
    assert "beta vs plan" in text and "ga vs plan" in text  # ranked on every milestone
    assert "Failed points" not in text and "All 4 points finished." in text
    titles = re.findall(r'<img alt="Chart: ([^"]+)"', summary_page)
    assert titles == ["Cost against date", "Sweep heatmap", "What moves the date most"]
    # a results table on its own: the plan cannot be re-run, and the page says so
    assert "Left out: the sweep's base scenario is not beside these results" in text
    heat = base64.b64decode(re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"',
                                       summary_page)[1]).decode()
    assert "Sep 2027" in heat and "p85_days" not in heat


def test_a_sweep_whose_points_all_failed_still_summarises() -> None:
    r = grid_results().assign(status="failed", error="boom")
    assert sweep_summary.ranking(r).empty
    assert sweep_summary.tornado_table(r).empty
    assert sweep_summary.cost_date_table(r).empty
    assert repr(sweep_summary.headline(r)).splitlines()[1] == "4 points, 4 failed."
    assert sweep_summary.failures_note(r).heading == "Failed points"
    assert repr(sweep_summary.heatmap_note(r)).startswith("No heatmap")
