"""A history report from an export without start dates: the charts it cannot draw are left
out with one sentence each (no empty placeholders), axes read one label per period, durations
are rounded, and "What went in" names the file, not where it lives on this machine."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.app import cli
from workbench.files.exports import history_from_frame
from workbench.present import charts
from workbench.present import history_charts as hc
from workbench.reports import history_report
from workbench.reports.pdf import chromium_path

ROOT = Path(__file__).resolve().parents[1]
CHI2FIT = ROOT / "data" / "history" / "chi2fit_team_resolved.csv"  # finish dates only


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("no-starts")
    pdf = ["--pdf", "--paper", "letter"] if chromium_path() else []
    code = cli.main(["report", "--history", str(CHI2FIT), "--by", "2019-06-30", "--out",
                     str(out), "--trials", "500", "--origins", "5", "--seed", "1",
                     "--window-days", "0", *pdf])
    assert code == 0
    assert (out / "chi2fit_team_resolved.pdf").is_file() == bool(pdf)
    return (out / "chi2fit_team_resolved.html").read_text(encoding="utf-8")


def _chart_titles(text: str) -> list[str]:
    return re.findall(r'<img alt="Chart: ([^"]+)"', text)


def test_charts_without_data_are_left_out_with_one_sentence(page: str) -> None:
    titles = _chart_titles(page)
    assert not {"Cycle time scatter", "Cycle time histogram", "Cumulative flow",
                "Ageing work in progress", "Cycle time"} & set(titles)
    assert len(titles) == 4  # forecast, coverage, backtest over time, throughput
    text = html.unescape(page)
    for name in ("cycle_time", "cumulative_flow", "ageing_wip"):
        shows, left_out = history_report.FLOW_NOTES[name]
        assert text.count(left_out) == 1 and shows not in text
    for svg in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page):
        drawn = base64.b64decode(svg).decode("utf-8")
        assert "No cycle times" not in drawn and "no start" not in drawn.lower()


def test_what_went_in_names_the_file_not_its_folder(page: str) -> None:
    text = html.unescape(page)
    assert "File: chi2fit_team_resolved.csv (SHA-256" in text
    assert str(CHI2FIT.parent) not in text and "/tmp/" not in text


def test_percentile_labels_are_rounded_durations() -> None:
    rng = np.random.default_rng(4)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 100, 60), unit="D")
    finish = start + pd.to_timedelta(rng.uniform(0.3, 30, 60), unit="D")
    history = history_from_frame(pd.DataFrame({"key": range(60), "start": start,
                                               "finish": finish}))
    labels = hc.percentile_table(history)["label"]
    assert all(re.fullmatch(r"\d+%: \d+(\.\d)? days?", label) for label in labels), list(labels)


def test_date_axes_have_one_label_per_month() -> None:
    """A run chart over 20 weeks: every month label once (weekly ticks wrote "Jan 2018" four
    times)."""
    counts = pd.Series(np.arange(20) % 4, index=pd.date_range("2018-01-01", periods=20,
                                                               freq="W-MON", name="period_start"))
    from workbench.history.flow import Period

    chart = hc.throughput_run(hc.throughput_table(counts, Period("week")), "week")
    svg = charts.static_bundle(chart.to_dict())[0]["image/svg+xml"]
    months = re.findall(r">((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4})<", svg)
    assert len(months) >= 4 and len(months) == len(set(months))
