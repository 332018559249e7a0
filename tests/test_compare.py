"""`workbench compare`: the plan and two what-ifs side by side, every number equal to what
`workbench run` prints for each (same seed, same replications), and one short HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.app import cli

FILES = ["scenarios/program.yaml", "scenarios/whatif_more_people.yaml",
         "scenarios/whatif_dependency_slips.yaml"]
OPTIONS = ["--reps", "60", "--seed", "7"]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert cli.main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_compare_equals_run_on_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "cmp.html"
    data = _json(capsys, ["compare", *FILES, *OPTIONS, "--format", "json", "--html", str(page)])
    assert [s["label"] for s in data["scenarios"]] == [
        "program", "whatif_more_people", "whatif_dependency_slips"]
    for path, shown in zip(FILES, data["scenarios"], strict=True):
        run = _json(capsys, ["run", path, *OPTIONS, "--format", "json"])
        got = shown["forecast"]
        for key in ("milestones", "epics", "cost", "budget", "teams", "seed", "replications"):
            assert got[key] == run[key], (path, key)
        assert got["scenario"]["sha256"] == run["scenario"]["sha256"]
    # the what-ifs differ from the plan where they should
    ga = {s["label"]: {m["name"]: m for m in s["forecast"]["milestones"]}["ga"]
          for s in data["scenarios"]}
    assert ga["whatif_dependency_slips"]["p85"] > ga["program"]["p85"]
    assert not list(tmp_path.glob("*.parquet")) and not list(tmp_path.glob("results*"))


def test_compare_table_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "cmp.html"
    assert cli.main(["compare", *FILES[:2], *OPTIONS, "--html", str(page)]) == 0
    shown = capsys.readouterr()
    run = _json(capsys, ["run", FILES[1], *OPTIONS, "--format", "json"])
    ga = {m["name"]: m for m in run["milestones"]}["ga"]
    line = next(x for x in shown.out.splitlines() if x.startswith("ga P85"))
    assert line.split()[-1] == ga["p85"]  # the what-if's column, ISO like `run`
    assert f"Report: {page}" in shown.err
    text = page.read_text()
    assert "<title>Compare: program, whatif_more_people</title>" in text
    assert "platform: 7 → 9 people" in text  # the what-if's changes against its plan
    assert "P50, P85, P95: the dates by which" in text
    assert "http" not in text.replace("http://www.w3.org", "")  # no outside references
    assert "<script" not in text


def test_compare_bad_file_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["compare", "scenarios/program.yaml", "no-such.yaml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no-such.yaml" in err[0]
