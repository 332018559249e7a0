"""A kernel that dies before answering (its TCP ports taken by another kernel starting at the
same moment, as in a sweep) is started again; any other failure is not retried."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.reports import runner


def _flaky(failures: int, message: str = runner.KERNEL_START_FAILED):
    calls: list[int] = []

    def run(notebook, output, parameters):
        calls.append(1)
        if len(calls) <= failures:
            raise RuntimeError(message)
        return Path(output)

    return run, calls


def test_a_kernel_that_died_at_start_is_started_again(monkeypatch: pytest.MonkeyPatch) -> None:
    run, calls = _flaky(runner.KERNEL_START_TRIES - 1)
    monkeypatch.setattr(runner, "_execute_once", run)
    assert runner.execute_notebook("nb.ipynb", "out.ipynb", {}) == Path("out.ipynb")
    assert len(calls) == runner.KERNEL_START_TRIES


def test_it_gives_up_after_the_last_try(monkeypatch: pytest.MonkeyPatch) -> None:
    run, calls = _flaky(runner.KERNEL_START_TRIES)
    monkeypatch.setattr(runner, "_execute_once", run)
    with pytest.raises(RuntimeError, match="Kernel died"):
        runner.execute_notebook("nb.ipynb", "out.ipynb", {})
    assert len(calls) == runner.KERNEL_START_TRIES


def test_a_notebook_that_fails_otherwise_runs_once(monkeypatch: pytest.MonkeyPatch) -> None:
    run, calls = _flaky(1, "a cell failed")
    monkeypatch.setattr(runner, "_execute_once", run)
    with pytest.raises(RuntimeError, match="a cell failed"):
        runner.execute_notebook("nb.ipynb", "out.ipynb", {})
    assert len(calls) == 1
