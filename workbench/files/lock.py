"""One writer per output folder: a sweep or a report owns its ``--out`` while it runs.

Two sweeps writing into one folder would mix their points (one sweep's labels beside the
other's numbers, both reporting success). So a writer takes ``OUT/.workbench.lock``: an
exclusive lock on the file (``flock``, which the system releases when the process ends, however
it ends) holding the owner's PID, host, command and start time. A second writer is refused
with a `FolderInUse` naming the folder and the owner. A lock file left by a process that died
(``kill -9``, a power cut) is not held by anyone: it is taken over, with a notice.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from workbench.files.untrusted import for_terminal

LOCK_FILE = ".workbench.lock"
_held: set[Path] = set()  # lock files this process holds (a nested `exclusive` is a no-op)


@dataclass(frozen=True)
class Owner:
    """Who holds (or held) a folder."""

    pid: int
    host: str
    command: str
    since: str

    def describe(self) -> str:
        """E.g. 'workbench sweep (PID 4242 on build-7, since 2027-01-04T09:00:00+00:00)'."""
        return for_terminal(f"{self.command} (PID {self.pid} on {self.host}, since "
                            f"{self.since})")


class FolderInUse(Exception):
    """Another run owns the folder: one line naming the folder and the owner."""

    def __init__(self, folder: Path, owner: Owner | None) -> None:
        who = owner.describe() if owner else "another run (its lock file does not say which)"
        super().__init__(f"{for_terminal(folder)} is in use by {who}; wait for it to finish "
                         "or choose another --out")
        self.folder, self.owner = folder, owner


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def exclusive(folder: str | os.PathLike[str], command: str,
              notice: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Own ``folder`` (made if missing) for the ``with`` block; `FolderInUse` if another run
    does. ``notice`` (default: stderr) hears of a stale lock taken over. Nested use in the
    process that owns the folder is allowed (and does nothing)."""
    path = Path(folder).resolve() / LOCK_FILE
    if path in _held:  # this process owns it already (the command, then the library call)
        yield path.parent
        return
    fd, stale = _acquire(path)
    _held.add(path)
    try:
        _write_owner(fd, Owner(os.getpid(), socket.gethostname(), command,
                               dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))
        if stale is not None:
            (notice or _stderr)(f"{for_terminal(path.parent)}: taking over the lock of "
                                f"{stale.describe()}, {_why_free(stale)}")
        yield path.parent
    finally:
        _held.discard(path)
        _release(path, fd)


def _why_free(owner: Owner) -> str:
    """A lock nobody holds: its process ended (said so only when this machine can tell)."""
    if owner.host == socket.gethostname() and not alive(owner.pid):
        return "which is no longer running"
    return "which no longer holds it (that run ended)"


def alive(pid: int) -> bool:
    """Whether process ``pid`` is running (someone else's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _acquire(path: Path) -> tuple[int, Owner | None]:
    """The locked file's descriptor, and the owner a dead run left in it (if any)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FolderInUse(path.parent, read_owner(path)) from None
        if _same_file(fd, path):  # not a file its owner removed while we were opening it
            return fd, _owner_of(os.pread(fd, 4096, 0))
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _write_owner(fd: int, owner: Owner) -> None:
    """Say who holds the lock. On a full disk the file stays empty: the lock holds all the
    same (it is the ``flock``), others are only told less about who has it."""
    data = json.dumps(asdict(owner)).encode()
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        os.fsync(fd)
    except OSError:
        os.ftruncate(fd, 0)  # never half a record


def _release(path: Path, fd: int) -> None:
    """Remove the lock file (while still holding it, so no one can take a file about to go),
    then let go."""
    try:
        if _same_file(fd, path):
            path.unlink()
    finally:
        os.close(fd)


def read_owner(path: str | os.PathLike[str]) -> Owner | None:
    """The owner a lock file names; None if it names none (empty, or not a lock file)."""
    try:
        return _owner_of(Path(path).read_bytes()[:4096])
    except OSError:
        return None


def _owner_of(data: bytes) -> Owner | None:
    try:
        fields = json.loads(data)
        return Owner(int(fields["pid"]), str(fields["host"]), str(fields["command"]),
                     str(fields["since"]))
    except (ValueError, KeyError, TypeError):
        return None
