"""What the fault-injection tests share: a small disk that really fills up (a tmpfs, as root)
or, without root, a simulated one; the processes a command started; and the checks that no
file is left truncated and that every path an error names exists."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import psutil

DISK_KB = 1024
SIMULATED_ENV = "WORKBENCH_TEST_SIMULATED_DISK_KB"  # read by the light notebooks


@dataclass
class Disk:
    """A folder on a disk of ``kb`` KiB; ``real``: a tmpfs (else writes over the size are
    refused by the light notebooks and by patched writers)."""

    path: Path
    kb: int
    real: bool

    def fill(self) -> None:
        """Take every free byte (as another program filling the disk would)."""
        if not self.real:
            return
        with open(self.path / "filler.bin", "ab") as f, suppress(OSError):
            while True:
                f.write(bytes(64 * 1024))
                f.flush()


@contextmanager
def small_disk(folder: Path, kb: int = DISK_KB) -> Iterator[Disk]:
    """A tmpfs of ``kb`` KiB at ``folder`` when root may mount one; otherwise (or when
    WORKBENCH_TEST_SIMULATED_DISK_KB is set) a plain folder, and the variable set so the light
    notebooks refuse writes over the size as a full disk would."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and os.environ.get(SIMULATED_ENV) is None and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={kb}k", "tmpfs", str(folder)],
        capture_output=True, check=False).returncode == 0
    forced = os.environ.get(SIMULATED_ENV)
    if not mounted:
        os.environ[SIMULATED_ENV] = str(kb)  # inherited by the workers and their kernels
    try:
        yield Disk(folder, kb, mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)
        elif forced is None:
            os.environ.pop(SIMULATED_ENV, None)


def enospc(path: object = None) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path) if path else None)


def family(pid: int) -> list[psutil.Process]:
    """A process and everything below it."""
    try:
        top = psutil.Process(pid)
        return [top, *top.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in processes:
        with suppress(psutil.NoSuchProcess):
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
    return out


def wait_gone(processes: list[psutil.Process], timeout: float) -> float:
    """Seconds until none of ``processes`` runs; AssertionError naming them after ``timeout``
    (and they are killed, so a failing test leaves nothing behind)."""
    start = time.monotonic()
    while alive(processes) and time.monotonic() - start < timeout:
        time.sleep(0.1)
    left = alive(processes)
    for p in left:
        with suppress(psutil.NoSuchProcess):
            p.kill()
    assert not left, f"still running {timeout} s later: {[p.cmdline()[:4] for p in left]}"
    return time.monotonic() - start


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def read_whole(file: Path) -> None:
    """Raise if an output file is truncated."""
    if file.suffix == ".json":
        json.loads(file.read_text(encoding="utf-8"))
    elif file.suffix == ".parquet":
        pd.read_parquet(file)
    elif file.suffix == ".csv":
        pd.read_csv(file)
    elif file.suffix == ".ipynb":
        nbformat.read(file, as_version=4)
    elif file.suffix == ".html":
        assert file.read_text(encoding="utf-8").rstrip().endswith("</html>"), file


def all_whole(folder: Path) -> None:
    """Every output file under ``folder`` reads back whole, and no temp file is left."""
    for file in folder.rglob("*"):
        if file.is_file() and file.name not in ("filler.bin", "ballast.bin"):
            assert not file.name.endswith((".tmp", ".partial.ipynb")), file
            read_whole(file)


PATH = re.compile(r"(/[^\s'\"()]+)")


def named_paths_exist(text: str) -> None:
    """Every absolute path written in ``text`` exists."""
    for found in PATH.findall(text):
        assert Path(found.rstrip(".,;:")).exists(), f"names a path that does not exist: {found}"


def live_cmdline(process: psutil.Process) -> list[str]:
    """The command line of a live child; none for one that has exited or is a zombie.

    The server starts short-lived helpers of its own; one that ends between listing the
    children and reading its command line must not fail the test.
    """
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):  # ZombieProcess is a NoSuchProcess
        return []
