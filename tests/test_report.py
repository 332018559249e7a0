"""`workbench report`: the notebook really runs (papermill), and the HTML a director opens is
checked the way it will be read: charts as images, nothing fetched from outside hosts, no code,
and scenario text escaped (a scenario named `<script>...` shows as text and never runs)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from workbench.app import cli
from workbench.reports import paths, runner
from workbench.scenario.loader import load_scenario
from workbench.sim.montecarlo import simulate

EVIL = "<script>alert(1)</script>"
SCENARIO = f"""
name: "{EVIL}"
description: "Q3 launch & <b>bold</b> claims"
start: 2027-01-04
horizon_days: 365
teams:
  app: {{members: 3, cost_per_person_day: 100, stages: {{build: {{people: 2}}, review: {{}}}}}}
  web: {{members: 2, cost_per_person_day: 100}}
epics:
  login: {{team: app, items: 6, effort_days: {{triangular: [1, 2, 4]}}}}
  "<i>pay</i>": {{team: app, items: 6, effort_days: {{triangular: [1, 2, 4]}}, depends_on: [login]}}
  site: {{team: web, items: 5, effort_days: {{triangular: [1, 2, 3]}}}}
risks:
  vendor-late: {{probability: 0.5, delay: {{epic: "<i>pay</i>", days: {{fixed: 20}}}}}}
milestones:
  launch: {{epics: [login, "<i>pay</i>", site], target: 2027-03-31}}
"""
REPS, SEED = 30, 7
# Attributes and CSS that would load something from another host.
OUTSIDE = re.compile(r"""(?:\b(?:src|href|action|data)\s*=\s*["']?\s*(?:https?:)?//)"""
                     r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|@import""", re.I)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One real `workbench report` run, shared by the checks below."""
    folder = tmp_path_factory.mktemp("report")
    scenario = folder / "evil.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    code = cli.main(["report", str(scenario), "--out", str(folder / "out"), "--reps", str(REPS),
                     "--seed", str(SEED), "--workers", "1"])
    out = folder / "out"
    return {"code": code, "scenario": scenario, "out": out,
            "html": (out / "evil.html").read_text(encoding="utf-8") if code == 0 else ""}


def test_report_writes_notebook_html_and_tables(made: dict) -> None:
    assert made["code"] == 0
    out: Path = made["out"]
    assert (out / "evil.ipynb").is_file() and (out / "evil.html").is_file()
    for name in ("summary.json", "milestones.parquet", "milestones.csv", "epics.parquet",
                 "risk_impact.parquet", "burnup.csv"):
        assert (out / "evil" / name).is_file(), name
    assert not list(out.rglob(".*"))  # no temp file left behind


def test_summary_numbers_are_the_forecast(made: dict) -> None:
    scenario = load_scenario(made["scenario"])
    expected = simulate(scenario, reps=REPS, seed=SEED).to_dict()
    summary = json.loads((made["out"] / "evil" / "summary.json").read_text(encoding="utf-8"))
    assert summary["milestones"] == expected["milestones"]
    assert summary["cost"] == expected["cost"]
    assert summary["scenario"]["sha256"] == scenario.sha256
    table = pd.read_parquet(made["out"] / "evil" / "milestones.parquet")
    assert table.loc[0, "p85_days"] == expected["milestones"][0]["p85_days"]
    assert [r["risk"] for r in summary["risk_impact"]] == ["vendor-late"]


def test_html_shows_charts_as_images(made: dict) -> None:
    html = made["html"]
    svgs = re.findall(r'<img alt="Chart: [^"]+" src="data:image/svg\+xml;base64,([^"]+)"', html)
    # completion, burn-up, timeline, utilisation, flow, cost, cost against budget, risks, trend,
    # the sensitivity tornado
    assert len(svgs) == 10
    first = base64.b64decode(svgs[0]).decode("utf-8")
    assert first.lstrip().startswith("<svg") and "When each milestone lands" in first


def test_html_has_no_outside_references(made: dict) -> None:
    html = made["html"]
    assert OUTSIDE.findall(html) == []
    assert "http://" not in html and "https://" not in html  # not even in a comment
    assert "<script src" not in html.lower()
    assert "cdn." not in html.lower() and "jsdelivr" not in html.lower()


def test_html_hides_code_and_checks(made: dict) -> None:
    html = made["html"]
    code_cells = re.findall(r'<div class="jp-Cell jp-CodeCell[^"]*"', html)
    assert code_cells and all("jp-mod-noInput" in c for c in code_cells)
    assert 'class="jp-InputPrompt' not in html and 'class="highlight' not in html
    assert "scenario_report.prepare(" not in html and "charts.burnup(" not in html
    assert "consistency_problems" not in html  # the `remove-cell` checks are left out
    assert "RendererRegistry" not in html


def test_html_escapes_scenario_text(made: dict) -> None:
    html = made["html"]
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "<i>pay</i>" not in html
    # the epic that lands last, named in the summary sentence and the milestone table
    assert html.count("&lt;i&gt;pay&lt;/i&gt;") >= 2
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and "&lt;script&gt;" in title.group(1)


def test_html_reads_in_the_required_order(made: dict) -> None:
    html = made["html"]
    summary = html.index("Executive summary")
    sentence = html.index("launch: P85 delivery")
    table = html.index("Chance of target")
    first_chart = html.index('<img alt="Chart:')
    assert summary < sentence < table < first_chart
    sha = load_scenario(made["scenario"]).sha256
    footer = html.index(f"scenario SHA-256 {sha[:12]} ")  # shortened, as git shortens
    assert footer > html.rindex('<img alt="Chart:')
    assert f"Seed {SEED} · {REPS} replications" in html


def test_notebook_keeps_png_for_untrusted_viewers(made: dict) -> None:
    nb = nbformat.read(made["out"] / "evil.ipynb", as_version=4)
    images = [o["data"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/svg+xml" in o.get("data", {})]
    assert len(images) == 10  # 8 charts, the trend (issue 16) and the tornado (issue 15)
    assert all("image/png" in d for d in images)
    mimes = {k for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
             for k in o.get("data", {})}
    assert not any("javascript" in m or "vegalite" in m or "widget" in m for m in mimes)
    assert nb.metadata["papermill"]["parameters"]["replications"] == REPS


def test_report_of_a_bad_scenario_is_one_line_exit_2(write_file, capsys) -> None:  # noqa: ANN001
    path = write_file("bad.yaml", """
        name: bad
        start: 2027-01-04
        teams: {app: {membrs: 3}}
    """)
    assert cli.main(["report", str(path), "--out", str(path.parent / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{path}: teams.app.membrs: unknown key 'membrs' (did you mean 'members'?)"]
    assert not (path.parent / "out").exists()


def test_report_of_a_missing_file_is_one_line_exit_2(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    missing = tmp_path / "nope.yaml"
    assert cli.main(["report", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"{missing}: file not found"


def test_report_parameters_are_checked_against_the_notebook() -> None:
    problems = runner.parameter_problems(paths.REPORT_NOTEBOOK,
                                         {"replicatons": 5, "seed": "one"}, "x.yaml")
    assert problems[0].startswith("x.yaml: parameters.replicatons: unknown parameter of "
                                  "scenario_report.ipynb (allowed: scenario_path, overrides,")
    assert problems[1].startswith("x.yaml: parameters.seed: 'one' is not a whole number "
                                  "(allowed: int;")


def test_html_says_what_moves_the_date_most_with_both_ends(made: dict) -> None:
    html = made["html"]
    section = html[html.index("What moves the date most"):]
    assert "effort at P10" in section and "effort at P90" in section  # both ends, in words
    assert "switched off" in section  # the risk's low end
    assert 'alt="Chart: What moves' in section
