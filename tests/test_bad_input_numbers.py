"""Bad input, numbers: seeds, replications, workers, points and other counts, each one line
and exit 2 (the corpus, and how it runs: tests/corpus.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.corpus import NUMBERS, Probe, check, generated_files, write_figures


@pytest.fixture(scope="module")
def figures() -> Iterator[dict[str, dict[str, float]]]:
    seen: dict[str, dict[str, float]] = {}
    yield seen
    write_figures("numbers", seen)


@pytest.fixture(scope="module")
def tmp() -> Iterator[Path]:
    with generated_files() as folder:
        yield folder


@pytest.mark.parametrize("probe", NUMBERS, ids=[probe.name for probe in NUMBERS])
def test_probe_gives_its_line(probe: Probe, tmp: Path,
                              figures: dict[str, dict[str, float]]) -> None:
    figures[probe.name] = check(probe, tmp)
