"""Bad input, files and names: strict sweep YAML, infinities, sizes, terminal escapes,
spreadsheet formulas and Dask schemes (the corpus, and how it runs: tests/corpus.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.corpus import FILES, Probe, check, generated_files, write_figures


@pytest.fixture(scope="module")
def figures() -> Iterator[dict[str, dict[str, float]]]:
    seen: dict[str, dict[str, float]] = {}
    yield seen
    write_figures("files", seen)


@pytest.fixture(scope="module")
def tmp() -> Iterator[Path]:
    with generated_files() as folder:
        yield folder


@pytest.mark.parametrize("probe", FILES, ids=[probe.name for probe in FILES])
def test_probe_gives_its_line(probe: Probe, tmp: Path,
                              figures: dict[str, dict[str, float]]) -> None:
    figures[probe.name] = check(probe, tmp)


def test_every_item_of_the_issue_has_probes() -> None:
    from tests.corpus import PROBES

    names = " ".join(probe.name for probe in PROBES)
    for item in ("seed", "reps", "workers", "points", "duplicate", "alias", "inf", "escape",
                 "formula", "dask"):
        assert item in names, item
    assert len({probe.name for probe in PROBES}) == len(PROBES)
