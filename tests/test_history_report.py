"""The history report: chart tables on small histories with known answers, every chart of the
whole Jira file rendered (and kept small), the report's numbers checked against the library, a
real `workbench report --history` run checked the way a director reads it (charts as images,
nothing from outside hosts, no code, the file's text escaped), one-line errors, and a
`workbench` start-up that does not pay for pandas."""

from __future__ import annotations

import ast
import base64
import datetime as dt
import inspect
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from workbench.app import cli
from workbench.files import exports
from workbench.files.exports import history_from_frame, load_history
from workbench.history import flow, settings
from workbench.history.answer import Target, answer
from workbench.history.backtest import backtest, beside, own_method
from workbench.history.flow import Period
from workbench.history.throughput import Throughput, forecast_how_many, forecast_when
from workbench.present import charts
from workbench.present import history_charts as hc
from workbench.reports import history_report
from workbench.reports.runner import notebook_parameters
from workbench.scenario.calendar import WEEKDAY_NAMES

ROOT = Path(__file__).resolve().parents[1]
JIRA = ROOT / "data" / "history" / "rueedlinger_agile_project_jira.csv"
CHI2FIT = ROOT / "data" / "history" / "chi2fit_team_resolved.csv"
NOTEBOOK = ROOT / "notebooks" / "history_report.ipynb"
EVIL = "<script>alert(1)</script>"
OUTSIDE = re.compile(r"""(?:\b(?:src|href|action|data)\s*=\s*["']?\s*(?:https?:)?//)"""
                     r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|@import""", re.I)


def small(rows: list[tuple[str, str, str]]) -> exports.History:
    """A history from (key, start, finish) rows; '' for a missing date."""
    frame = pd.DataFrame(rows, columns=["key", "start", "finish"])
    return history_from_frame(frame, "small.csv")


# --- chart tables on hand-written histories -------------------------------------------------------

def test_throughput_table_bins_long_runs_into_averages() -> None:
    counts = pd.Series([1, 0, 3, 0, 2, 2, 4, 0, 0, 1],
                       index=pd.date_range("2024-01-01", periods=10, name="period_start"))
    day = Period("day")
    whole = hc.throughput_table(counts, day)
    assert whole["items"].tolist() == counts.tolist() and (whole["periods"] == 1).all()
    assert (whole["period_end"] - whole["period_start"]).eq(pd.Timedelta(days=1)).all()
    binned = hc.throughput_table(counts, day, max_bars=4)  # bins of 3 days, the last of 1
    assert binned["items"].tolist() == [4 / 3, 4 / 3, 4 / 3, 1.0]
    assert binned["periods"].tolist() == [3, 3, 3, 1]
    assert binned["period_end"].iloc[-1] == pd.Timestamp("2024-01-11")


def test_cumulative_flow_bands_add_up_to_everything_started() -> None:
    h = small([("A", "2024-01-01", "2024-01-03"), ("B", "2024-01-02", "2024-01-02"),
               ("C", "2024-01-02", ""), ("D", "2024-01-04", "2024-01-05")])
    cfd = hc.cumulative_flow_table(h).pivot(index="day", columns="state", values="items")
    assert cfd["finished"].tolist() == [0, 1, 2, 2, 3]
    assert cfd["in progress"].tolist() == [1, 2, 1, 2, 1]  # C never finishes
    order = hc.cumulative_flow_table(h).drop_duplicates("state").set_index("state")["order"]
    assert order["finished"] < order["in progress"]  # finished stacks at the bottom


def test_long_cumulative_flow_keeps_week_ends_exactly() -> None:
    h = small([(f"K{i}", "2023-01-01", str(dt.date(2023, 1, 1) + dt.timedelta(days=3 * i)))
               for i in range(200)])
    daily = flow.cumulative_flow(h)
    table = hc.cumulative_flow_table(h)
    finished = table[table["state"] == "finished"].set_index("day")["items"]
    assert len(finished) == math.ceil(len(daily) / 7) and finished.index[-1] == daily.index[-1]
    assert (finished == daily.loc[finished.index, "finished"]).all()


def test_cycle_time_points_histogram_and_percentiles() -> None:
    rows = [("A", "2024-01-01", "2024-01-02"), ("B", "2024-01-01", "2024-01-02"),
            ("C", "2024-01-01", "2024-01-05"), ("D", "2024-01-01", "2025-01-01"),
            ("E", "2024-01-03", "2024-01-04")]
    h = small(rows)
    points = hc.cycle_time_points(h)
    assert points["items"].sum() == 5
    two = points[(points["finish"] == pd.Timestamp("2024-01-02"))]
    assert two[["cycle_time_days", "items"]].values.tolist() == [[1.0, 2]]  # A and B: one dot
    hist = hc.cycle_time_histogram(h, bins=4)
    assert hist["items"].sum() == 5
    assert hist.iloc[-1]["low"] <= 366 <= hist.iloc[-1]["high"]  # the year-long item
    pct = hc.percentile_table(h, (50, 80))
    assert pct["days"].tolist() == [1.0, 4.0] and pct["label"].tolist() == [
        "50%: 1 day", "80%: 4 days"]  # rounded, in the words of present/formats


def test_ageing_table_bands_ages_against_finished_items() -> None:
    h = small([("A", "2024-01-01", "2024-01-03"), ("B", "2024-01-01", "2024-01-06"),
               ("C", "2024-01-03", ""), ("D", "2023-12-01", "")])
    wip = hc.ageing_table(h, dt.date(2024, 1, 6)).set_index("key")
    # finished items took 2 and 5 days: C (4 days old) is older than half of them
    assert wip.loc["C", "age_days"] == 4 and wip.loc["D", "age_days"] == 37
    assert wip.loc["C", "band"] == "P50-P85" and wip.loc["D", "band"] == "older than P95"
    assert (wip["state"] == "in progress").all()


def test_history_as_of_turns_later_finishes_into_work_in_progress() -> None:
    h = small([("A", "2024-01-01", "2024-01-03"), ("B", "2024-01-02", "2024-01-09"),
               ("C", "2024-01-08", "2024-01-10"), ("D", "2024-01-04", "")])
    cut = history_report.history_as_of(h, dt.date(2024, 1, 5))
    assert cut.items["key"].tolist() == ["A"]
    assert sorted(cut.open_items["key"]) == ["B", "D"]  # C did not exist yet
    assert cut.open_items["finish"].isna().all()


def test_forecast_distribution_and_levels() -> None:
    sample = Throughput.from_counts([0, 1, 2, 3, 5])
    when = forecast_when(20, sample, start=dt.date(2024, 1, 1), exact=True)
    dist = hc.forecast_distribution(when)
    assert math.isclose(dist["probability"].sum(), 1, abs_tol=0.002)
    assert np.allclose(dist["done_by"], np.cumsum(when.pmf)[dist["periods"]])
    assert dist["date"].iloc[0] == pd.Timestamp(when.start) + pd.Timedelta(
        days=7 * int(dist["periods"].iloc[0]) - 3)  # the Friday closing that week
    levels = hc.forecast_levels(when).set_index("level")
    assert levels.loc["P85", "value"] == when.values[2]
    assert levels.loc["P85", "date"] == pd.Timestamp(when.dates[2])
    many = forecast_how_many(None, sample, periods=10, exact=True)
    dist = hc.forecast_distribution(many)
    assert dist["at_least"].is_monotonic_decreasing and dist["at_least"].iloc[0] > 0.999
    binned = hc.forecast_distribution(many, max_bars=5)
    assert len(binned) <= 5 and math.isclose(binned["probability"].sum(),
                                             dist["probability"].sum())


def test_coverage_and_cases_tables_from_a_backtest() -> None:
    rng = np.random.default_rng(5)
    days = pd.date_range("2022-01-03", periods=400)
    finish = np.repeat(days, rng.poisson(1.5, len(days)))
    h = history_from_frame(pd.DataFrame({"finish": finish.strftime("%Y-%m-%d")}), "s.csv")
    result = backtest(h, items=20, origins=30)
    cov = hc.coverage_table(result)
    assert len(cov) == 3 * len(result.coverage)
    first = result.coverage.index[0]
    row = cov[(cov["method"] == first) & (cov["level"] == "P85")].iloc[0]
    assert row["coverage"] == result.coverage.loc[first, "P85"] and row["nominal"] == 0.85
    cases = hc.backtest_cases_table(result)
    assert ((cases["p85_came_true"] == "came true") == (cases["actual"] <= cases["p85"])).all()
    share = (cases["p85_came_true"] == "came true").mean()
    assert math.isclose(share, result.coverage.loc[first, "P85"])


# --- the whole Jira file --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def jira() -> history_report.HistoryReport:
    return history_report.prepare(JIRA, items=100, as_of="2018-03-31", trials=2000, seed=4,
                                  origins=30)


def test_every_chart_of_the_whole_file_renders_small(jira: history_report.HistoryReport) -> None:
    made = history_report.all_charts(jira)
    assert len(made) == 8
    for name, chart in made.items():
        spec = chart.to_dict()
        rows = sum(len(d) for d in spec.get("datasets", {}).values())
        assert rows <= hc.MAX_POINTS + 100, (name, rows)  # aggregated, not one row per day
        bundle, _ = charts.static_bundle(spec)
        assert bundle["image/svg+xml"].lstrip().startswith("<svg"), name
        assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG", name
        assert "No " not in bundle["text/plain"], name  # a real chart, not a message


def test_report_numbers_are_the_librarys(jira: history_report.HistoryReport, tmp_path) -> None:  # noqa: ANN001
    h = jira.history
    assert jira.window == (dt.date(2018, 1, 7), dt.date(2018, 3, 31))  # 12 whole weeks
    finish = h.items["finish"]
    assert int(np.sum(jira.sample.values)) == int(((finish >= "2018-01-07")).sum())
    again = forecast_when(100, jira.sample, trials=2000, seed=4, calendar=jira.calendar)
    assert jira.raw is not None  # the forecast shown is calibrated; its raw method is the library's
    assert again.values == jira.raw.values and again.dates == jira.raw.dates
    said = answer(jira.history, again, target=Target(items=100),
                  sampling=own_method(90, None, calibrated=True), as_of=jira.as_of,
                  period=jira.period, calendar=jira.calendar, origins=30,
                  others=beside(own_method(90, None, calibrated=True))[1:])
    assert said.forecast.values == jira.forecast.values and said.forecast.method == "calibrated"
    assert jira.backtest is not None and jira.backtest.coverage.index[0] == jira.method
    assert jira.method == "calibrated last 90 days (this forecast)"
    history_report.write_outputs(jira, tmp_path)
    assert history_report.consistency_problems(jira, tmp_path) == []
    summary = history_report.read_summary(tmp_path)
    assert summary["history"]["problems"][0]["count"] == 1662
    p85 = jira.forecast.dates[2]
    assert f"85% chance the 100 items are done by {p85.day} {p85:%B %Y}" in summary["summary"][0]
    assert "Backtests: our P85 came true" in summary["summary"][1]
    stored = pd.read_parquet(tmp_path / "forecast.parquet")
    assert stored["periods"].tolist() == list(jira.forecast.values)


def test_report_without_start_dates_says_what_it_cannot_show(tmp_path) -> None:  # noqa: ANN001
    r = history_report.prepare(CHI2FIT, by_date="2019-06-30", window_days=0, period="day",
                               trials=2000, seed=1, origins=10)
    assert r.forecast.question == "how_many" and r.forecast.periods == 48
    made = history_report.all_charts(r)  # charts the export cannot feed are left out
    assert set(made) == {"forecast", "coverage", "backtest_cases", "throughput"}
    for name in ("cycle_time", "cumulative_flow", "ageing_wip"):
        assert repr(history_report.flow_note(r, name)) == history_report.FLOW_NOTES[name][1]
    sentence = history_report.summary_sentences(r)[0]
    assert sentence.startswith(f"85% chance at least {r.forecast.values[2]} items are done by "
                               f"30 June 2019 (48 whole days at the daily throughput of all "
                               f"history)")
    history_report.write_outputs(r, tmp_path)
    assert history_report.consistency_problems(r, tmp_path) == []


def test_a_quiet_sample_is_flagged() -> None:
    r = history_report.prepare(JIRA, items=20, trials=500, origins=0)  # last 90 days: 1 item
    lines = history_report.summary_sentences(r)
    assert any(line.startswith("Warning: the sample's pace (0.08 a week)") for line in lines)
    assert "No backtest: skipped (origins = 0)." in lines


@pytest.mark.parametrize(("params", "message"), [
    ({"items": 5, "by_date": "2020-01-01"}, "give either items"),
    ({"items": 0}, "give either items"),
    ({"items": 5, "period": "month"}, "period 'month' unknown (allowed: day, workday, week)"),
    ({"by_date": "2020-02-30"}, "by_date: '2020-02-30' is not a date (use YYYY-MM-DD)"),
    ({"items": 5, "mapping": {"start": "Begun"}}, "column 'Begun' not found"),
])
def test_parameter_mistakes_are_named(params: dict, message: str) -> None:
    with pytest.raises((ValueError, exports.HistoryError), match=re.escape(message)):
        history_report.check_inputs({"history_path": str(CHI2FIT), **params})


# --- the notebook ---------------------------------------------------------------------------------

def test_notebook_is_thin_and_its_parameters_are_the_kernels() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        banned = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.Lambda, ast.ListComp)
        assert not any(isinstance(n, banned) for n in ast.walk(tree)), cell.source
    declared = notebook_parameters(NOTEBOOK)
    code = history_report.prepare.__code__
    kernel = set(code.co_varnames[:code.co_argcount])
    assert set(declared) == kernel | {"out_dir"}
    assert all(p["help"] and p["inferred_type_name"] != "None" for p in declared.values())
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert all(isinstance(n.value, ast.Constant | ast.Dict)
               for n in ast.parse(params.source).body if isinstance(n, ast.AnnAssign))


# The notebook's example question and where it writes; every other parameter is a setting.
EXAMPLE = {"history_path", "mapping", "items", "by_date", "as_of", "out_dir"}


def test_notebook_and_kernel_defaults_are_the_options() -> None:
    declared = notebook_parameters(NOTEBOOK)
    options = {s.name: s.default for s in settings.ALL}
    notebook = {n: ast.literal_eval(declared[n]["default"]) for n in set(declared) - EXAMPLE}
    assert notebook == {n: options.get(n, "no setting") for n in notebook}
    kernel = inspect.signature(history_report.prepare).parameters
    assert {n: kernel[n].default for n in [*notebook, "as_of"]} == {
        **notebook, "as_of": settings.AS_OF.default}


def test_every_history_command_parses_the_same_defaults() -> None:
    parsed = [vars(cli._parser().parse_args(argv)) for argv in (
        ["forecast", str(CHI2FIT), "--items", "5"], ["backtest", str(CHI2FIT), "--items", "5"],
        ["report", "--history", str(CHI2FIT), "--items", "5"])]
    for s in settings.ALL:
        dest = s.flag.removeprefix("--").replace("-", "_")
        seen = {args[dest] for args in parsed if dest in args}
        wanted = {s.default} if s.default is not None else {None, 5}  # a question: given or not
        assert seen and seen <= wanted, (s.name, seen)


# --- a real `workbench report --history` ----------------------------------------------------------

def evil_history(folder: Path) -> Path:
    """A small Jira-like export: 120 items over 30 weeks, one key that is a script (finished
    before it started, so it is quoted as an example), and a duplicate."""
    rng = np.random.default_rng(3)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 200, 120), unit="D")
    finish = start + pd.to_timedelta(rng.integers(0, 20, 120), unit="D")
    frame = pd.DataFrame({"Issue key": [f"WB-{i}" for i in range(120)], "Issue Type": "Story",
                          "Created": start.strftime("%Y-%m-%d %H:%M"),
                          "Resolved": finish.strftime("%Y-%m-%d %H:%M")})
    frame.loc[7] = [EVIL, "<b>Bug</b>", "2024-03-05 10:00", "2024-03-01 10:00"]
    frame.loc[8, "Issue key"] = "WB-9"
    path = folder / "team.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("history-report")
    path = evil_history(folder)
    code = cli.main(["report", "--history", str(path), "--items", "30", "--out",
                     str(folder / "out"), "--trials", "1000", "--origins", "15", "--seed", "2",
                     "--window-days", "60"])
    out = folder / "out"
    return {"code": code, "path": path, "out": out,
            "html": (out / "team.html").read_text(encoding="utf-8") if code == 0 else ""}


def test_report_writes_notebook_html_and_tables(made: dict) -> None:
    assert made["code"] == 0
    out: Path = made["out"]
    for name in ("team.ipynb", "team.html", "team/summary.json", "team/forecast.parquet",
                 "team/backtest_coverage.csv", "team/throughput.csv", "team/problems.csv"):
        assert (out / name).is_file(), name
    assert not list(out.rglob(".*"))  # no temp file left behind


def test_report_summary_is_the_kernels(made: dict) -> None:
    summary = json.loads((made["out"] / "team" / "summary.json").read_text(encoding="utf-8"))
    r = history_report.prepare(made["path"], items=30, window_days=60, trials=1000, seed=2,
                               origins=15)
    assert summary["forecast"]["percentiles"] == json.loads(json.dumps(
        r.forecast.to_dict()["percentiles"]))
    assert summary["summary"] == history_report.summary_sentences(r)
    kinds = {p["kind"]: p["count"] for p in summary["history"]["problems"]}
    assert kinds == {"finish_before_start": 1, "duplicate_key": 1}


def test_html_shows_charts_as_images_without_outside_references(made: dict) -> None:
    html = made["html"]
    svgs = re.findall(r'<img alt="Chart: [^"]+" src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(svgs) == 8
    assert "When will it be done?" in base64.b64decode(svgs[0]).decode("utf-8")
    assert OUTSIDE.findall(html) == [] and "<script src" not in html.lower()


def test_html_hides_code_and_checks_and_escapes_the_files_text(made: dict) -> None:
    html = made["html"]
    code_cells = re.findall(r'<div class="jp-Cell jp-CodeCell[^"]*"', html)
    assert code_cells and all("jp-mod-noInput" in c for c in code_cells)
    assert "history_report.prepare(" not in html and "consistency_problems" not in html
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Bug</b>" not in html
    assert html.index("Executive summary") < html.index("85% chance the 30 items") < html.index(
        '<img alt="Chart:') < html.index("What went in")


def test_report_mistakes_are_one_line_exit_2(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    cases = [
        (["report"], "workbench report: give a SCENARIO file, or --history"),
        (["report", "x.yaml", "--items", "3"], "workbench report: --items and --by need --history"),
        (["report", "--history", str(tmp_path / "no.csv"), "--items", "3"],
         f"workbench report: {tmp_path / 'no.csv'}: file not found"),
        (["report", "--history", str(CHI2FIT)], "workbench report: --history: give --items N"),
        (["report", "--history", str(CHI2FIT), "--by", "2019-13-01"],
         "workbench report: --by: '2019-13-01' is not a date"),
    ]
    for argv, first in cases:
        assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(first), (argv, err)
    assert not (tmp_path / "out").exists()


# --- start-up -------------------------------------------------------------------------------------

def test_forecast_cli_starts_without_pandas() -> None:
    code = ("import sys, workbench.app.history_commands as f; "
            "print(sorted(m for m in ('pandas', 'workbench.files.exports') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
    from workbench.app import history_commands

    assert history_commands.ROLES == exports.ROLES
    assert history_commands.WEEKDAY_NAMES == WEEKDAY_NAMES


def test_jira_import_matches_the_readme() -> None:
    h = load_history(JIRA)
    assert (h.rows_read, len(h.items), h.excluded) == (4123, 2461, 1662)
