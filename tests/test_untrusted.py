"""Text from other people's files, shown safely: escapes on terminals, formulas in the CSVs a
report or sweep writes, and the one strict YAML reader (scenario and sweep files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from workbench.files import atomic, untrusted, yaml_strict
from workbench.reports import sweep


@pytest.mark.parametrize(("text", "shown"), [
    ("plain name", "plain name"),
    ("\x1b]0;owned\x07title", "\\x1b]0;owned\\x07title"),
    ("two\nlines\r\t", "two\\nlines\\r\\t"),
    ("c1 \x9b31m csi", "c1 \\x9b31m csi"),
    ("bidi \u202egnp.exe", "bidi \\u202egnp.exe"),
    ("café ✓", "café ✓"),
    ("not utf-8 \udcff", "not utf-8 \\udcff"),  # an argument's undecodable byte
])
def test_terminal_escapes(text: str, shown: str) -> None:
    assert untrusted.for_terminal(text) == shown
    shown.encode("utf-8")  # printable on any UTF-8 terminal


def test_a_set_value_that_is_not_utf8_or_is_huge_is_one_short_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.app import cli

    program = str(Path(__file__).resolve().parents[1] / "scenarios" / "program.yaml")
    assert cli.main(["run", program, "--set", "teams.platform.members=\udcff"]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "teams.platform.members: override value '\\udcff' is not UTF-8 text")
    assert cli.main(["run", program, "--set", "teams.platform.members=[" + "1," * 5000]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "… (10001 characters) is not valid YAML" in line and len(line) < 300


@pytest.mark.parametrize(("cell", "safe"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+cmd", "'+cmd"),
    ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\r=1", "'\r=1"),
    ("-5", "-5"), ("+1.5e3", "+1.5e3"), ("-", "'-"), ("login", "login"), (-5, -5),
    (2.5, 2.5), (None, None),
])
def test_spreadsheet_cells(cell: object, safe: object) -> None:
    assert untrusted.spreadsheet_cell(cell) == safe


def test_csv_tables_are_neutralised_and_parquet_keeps_the_data(tmp_path: Path) -> None:
    frame = pd.DataFrame({"epic": ["=1+1", "login", None], "p85_days": [-3.0, 4.0, 5.0],
                          "=cmd": [1, 2, 3]})
    atomic.write_table(frame, tmp_path / "epics")
    csv = (tmp_path / "epics.csv").read_text().splitlines()
    assert csv == ["epic,p85_days,'=cmd", "'=1+1,-3.0,1", "login,4.0,2", ",5.0,3"]
    assert pd.read_parquet(tmp_path / "epics.parquet").equals(frame)


def test_sweep_results_csv_is_neutralised(tmp_path: Path) -> None:
    frame = pd.DataFrame({"point": ["@evil", "-1"], "p85_days": [-1.0, 2.0]})
    assert sweep.write_results(frame, tmp_path) == []
    assert (tmp_path / "results.csv").read_text().splitlines() == [
        "point,p85_days", "'@evil,-1.0", "-1,2.0"]


def test_a_results_file_that_cannot_hold_a_value_is_named_and_the_other_written(
        tmp_path: Path) -> None:
    (tmp_path / "results.parquet").write_text("an earlier run's")
    frame = pd.DataFrame({"point": ["a"], "members": [10**400]})
    assert sweep.write_results(frame, tmp_path) == [
        f"results.parquet could not be written in {tmp_path} (a value does not fit the table: "
        "OverflowError)"]
    assert not (tmp_path / "results.parquet").exists()  # not left stale
    assert (tmp_path / "results.csv").read_text().splitlines()[1] == "a," + "1" + "0" * 400


def test_the_strict_reader_reads_what_safe_load_reads() -> None:
    text = "a: 1\nb: [x, {c: 2.5}]\nd: 2027-01-04\n<<: {e: true}\n"
    import yaml

    assert yaml_strict.load(text) == yaml.safe_load(text)


@pytest.mark.parametrize(("text", "message"), [
    ("a: 1\nb: 2\na: 3\n", "line 3: duplicate key 'a' (first on line 1; allowed: each key "
                           "once)"),
    ("{a: 1, a: 2}", "line 1: duplicate key 'a' (first on line 1; allowed: each key once)"),
    ("x: &v [1]\ny: *v\n", "line 2: an alias (*name) is not allowed here (write the value "
                           "out)"),
    ("[" * 33 + "]" * 33, "line 1: nested more than 32 levels deep (allowed: up to 32)"),
    ("? [1]\n: 2\n", "line 1: '[1]' cannot be a key (allowed: a name or a number, not a list "
                     "or mapping)"),
    ("\"\\e[2J\": 1\n\"\\e[2J\": 2\n", "line 2: duplicate key '\\x1b[2J' (first on line 1; "
                                       "allowed: each key once)"),
])
def test_the_strict_reader_refuses(text: str, message: str) -> None:
    with pytest.raises(yaml_strict.StrictYAMLError) as refused:
        yaml_strict.load(text)
    assert str(refused.value) == message


def test_the_strict_reader_keeps_an_impossible_date_as_text_for_validation_to_name() -> None:
    assert yaml_strict.load("start: 2027-02-30\nend: 2027-03-01\n") == {
        "start": "2027-02-30", "end": dt.date(2027, 3, 1)}


@pytest.mark.parametrize("depth", [33, 5_000])  # 5,000: past libyaml's own limit of 1,000
def test_the_strict_reader_names_deep_nesting_however_deep(depth: int) -> None:
    with pytest.raises(yaml_strict.TooDeep) as refused:
        yaml_strict.load("x: " + "[" * depth + "]" * depth)
    assert str(refused.value) == "line 1: nested more than 32 levels deep (allowed: up to 32)"


def test_the_strict_reader_counts_levels_of_mappings_and_lists_against_its_bound() -> None:
    assert yaml_strict.load("a: [[1]]", max_depth=3) == {"a": [[1]]}
    with pytest.raises(yaml_strict.TooDeep):
        yaml_strict.load("a: [[1]]", max_depth=2)


def test_an_alias_refusal_knows_both_lines() -> None:
    with pytest.raises(yaml_strict.AliasRefused) as refused:
        yaml_strict.load("a: 1\nx: &v [1]\ny: *v\n")
    assert (refused.value.line, refused.value.value_line) == (3, 2)


def test_every_yaml_file_that_is_not_utf8_is_told_the_same(tmp_path: Path) -> None:
    from workbench.scenario.loader import ScenarioError, load_scenario

    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: Caf\u00e9\n".encode("latin-1"))
    told = "not UTF-8 text (byte 10 of the file; allowed: text saved as UTF-8)"
    with pytest.raises(ScenarioError) as scenario_refused:
        load_scenario(bad)
    assert scenario_refused.value.problems == [f"{bad}: {told}"]
    with pytest.raises(sweep.SweepError) as sweep_refused:
        sweep.load_sweep(bad)
    assert sweep_refused.value.problems == [f"{bad}: {told}"]
