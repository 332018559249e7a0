"""Sweep worker processes that never outlive their sweep, and never leave half a point.

Each point runs in a worker process, which starts a Jupyter kernel for the notebook. A worker
ignores Ctrl-C (the sweep decides what stops), watches the sweep's process, and stops at once
when the sweep is gone (``kill -9``, a crash) or tells it to (SIGTERM, after Ctrl-C): it kills
its kernels and whatever they started, removes the folder of the point it was running unless
that point is finished (its ``point.json`` written), and exits. So a stopped sweep leaves only
finished points, and no process of it runs on.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import select
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

from workbench.files.lock import alive

POINT_FILE = "point.json"  # written last: a point folder without it is unfinished
STOP_TIMEOUT_S = 5.0
_running: list[Path] = []  # in a worker: the folder of the point being run
_finishing = threading.RLock()  # held while a point is being recorded, and while stopping


def start(sweep_pid: int) -> None:
    """Pool initializer, run in each worker as it starts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the sweep to handle
    signal.signal(signal.SIGTERM, _on_stop)
    threading.Thread(target=_watch, args=(sweep_pid,), name="workbench-watch-sweep",
                     daemon=True).start()


@contextmanager
def running(folder: Path) -> Iterator[None]:
    """Mark ``folder`` as the point in progress in this process."""
    _running.append(folder)
    try:
        yield
    finally:
        _running.remove(folder)


@contextmanager
def recording() -> Iterator[None]:
    """Hold off a stop while a point's result is written (it is then finished, or absent)."""
    with _finishing:
        yield


def _on_stop(signum: int, frame: FrameType | None) -> None:
    abort(128 + signum)


def _watch(sweep_pid: int) -> None:
    wait_for_exit(sweep_pid)
    abort(1)


def wait_for_exit(pid: int) -> None:
    """Return when process ``pid`` has ended (at once if it has already)."""
    try:
        fd = os.pidfd_open(pid)  # readable when the process ends: no polling, no PID reuse
    except ProcessLookupError:
        return
    except (AttributeError, OSError):  # not Linux, or an old kernel
        while alive(pid):
            time.sleep(0.2)
        return
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)



def abort(code: int) -> None:
    """Stop this worker now: kernels killed, the unfinished point removed, exit ``code``."""
    with _finishing:
        kill_descendants(os.getpid())
        for folder in list(_running):
            discard_unfinished(folder)
        os._exit(code)


def discard_unfinished(folder: Path) -> None:
    """Remove a point folder unless the point is finished."""
    if folder.is_dir() and not (folder / POINT_FILE).exists():
        shutil.rmtree(folder, ignore_errors=True)


def kill_descendants(pid: int) -> None:
    """SIGKILL every process below ``pid`` (kernels run in sessions of their own, so killing
    a process group would miss them), then wait briefly for them to go."""
    family = descendants(pid)
    for child in family:
        with suppress(ProcessLookupError, PermissionError):
            os.kill(child, signal.SIGKILL)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(alive(c) and not _zombie(c) for c in family) and time.monotonic() < deadline:
        time.sleep(0.05)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, read from /proc (empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _parents() -> Iterator[tuple[int, int]]:
    """(pid, parent pid) of every process."""
    with suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                stat = _stat(int(entry))
                if stat:
                    yield int(entry), int(stat[1])


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name: state, parent pid, ..."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text.rsplit(")", 1)[-1].split()


def _zombie(pid: int) -> bool:
    stat = _stat(pid)
    return not stat or stat[0] in ("Z", "X")


def stop(pool: cf.ProcessPoolExecutor) -> None:
    """Stop every worker of a local pool now, and cancel what is queued (each worker removes
    its unfinished point and kills its kernels); workers that do not go in time are killed."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public API < 3.14
    for process in processes:
        with suppress(OSError, ValueError, AttributeError):
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes:
        with suppress(OSError, ValueError, AttributeError, AssertionError):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                kill_descendants(process.pid)
                process.kill()
                process.join(1)
    pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def no_interrupts() -> Iterator[None]:
    """Ctrl-C ignored for the block (in the main thread): cleaning up is not interrupted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
