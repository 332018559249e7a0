"""Run on a Dask cluster: replications and sweep points go to other machines, same numbers.

`workbench run` and `workbench sweep` take ``--scheduler ADDRESS`` (or the environment variable
``DASK_SCHEDULER_ADDRESS``). With neither, they run on local processes and nothing of Dask is
imported, so Dask stays an optional extra (``pip install 'tpm-workbench[dask]'``).
``--scheduler local`` starts a Dask cluster on this machine (one single-threaded worker process
per core; SimPy is pure Python, so more threads would only contend).

A cluster that cannot be used (nothing listening, not a Dask scheduler, no workers, workers
with another workbench version or without the files a sweep needs) is a `ClusterError` naming
the address, where it came from and what to fix, raised within a bounded time: never a hang.
See docs/cluster.md.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from workbench.files.untrusted import for_terminal

ENV_VAR = "DASK_SCHEDULER_ADDRESS"
LOCAL = "local"
DISTRIBUTION = "tpm-workbench"
DEFAULT_PORT = 8786  # Dask's, used when an address has no port
# Dask's network transports. Others are refused before Dask is imported: inproc:// is this
# process only, ucx:// and ws:// pull in other stacks, and anything else is a typo.
SCHEMES = ("tcp", "tls")
CONNECT_TIMEOUT_S = 10.0
# A Dask task costs ~1.5 ms and a replication ~10-50 ms: 10 or more per task keeps the
# overhead near 1%, and ~4 tasks per worker keeps workers busy to the end.
MIN_REPS_PER_TASK = 10
MAX_REPS_PER_TASK = 200
TASKS_PER_WORKER = 4


class ClusterError(Exception):
    """The cluster cannot be used: one line naming the address, where it came from and what
    to fix (the command exits 2)."""


@dataclass(frozen=True)
class Cluster:
    """A connected Dask cluster: where to send work, and how many tasks it runs at once."""

    address: str  # as given: "local" or the scheduler's address
    client: Any  # distributed.Client
    executor: Executor  # concurrent.futures-style: what `simulate` and `run_sweep` take
    workers: int  # worker threads in the cluster when connected

    def chunk_size(self, reps: int) -> int:
        """Replications per task for a run of ``reps``."""
        per_task = math.ceil(reps / (TASKS_PER_WORKER * max(self.workers, 1)))
        return max(MIN_REPS_PER_TASK, min(MAX_REPS_PER_TASK, per_task))


def add_option(parser: argparse.ArgumentParser) -> None:
    """The ``--scheduler`` option, the same for every command that can use a cluster."""
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", default=None,
        help=f"run on the Dask cluster at ADDRESS (e.g. tcp://10.0.0.5:8786; default: "
             f"${ENV_VAR} if set, else local processes); 'local' starts one on this machine")


def scheduler_address(option: str | None) -> tuple[str, str] | None:
    """The address to use and how to name it in errors: ``--scheduler`` first, then
    ``DASK_SCHEDULER_ADDRESS``; None means local processes."""
    if option:
        return option.strip(), f"--scheduler {option.strip()}"
    env = os.environ.get(ENV_VAR, "").strip()
    return (env, f"{ENV_VAR}={env}") if env else None


@contextmanager
def session(option: str | None, files: Iterable[str | os.PathLike[str]] = (),
            folders: Iterable[str | os.PathLike[str]] = ()) -> Iterator[Cluster | None]:
    """The cluster ``--scheduler`` (or the environment) names, closed afterwards; None when
    neither is set (then Dask is not even imported). Every worker must see ``files``, and
    share ``folders`` with this machine (created here if missing)."""
    found = scheduler_address(option)
    if found is None:
        yield None
        return
    with connect(*found) as cluster:
        check_shared(cluster, files, folders, found[1])
        yield cluster


@contextmanager
def connect(address: str, source: str | None = None,
            timeout: float = CONNECT_TIMEOUT_S) -> Iterator[Cluster]:
    """Connect to the scheduler at ``address`` (or start a local cluster for ``"local"``),
    wait for a worker and check versions, all within about ``timeout`` seconds each."""
    source = source or address
    check_scheme(address, source)
    distributed = _import_distributed(source)
    with ExitStack() as stack:
        if address == LOCAL:
            client = _local_client(distributed, stack)
        else:
            _probe(address, source, timeout)
            client = _client_within(distributed, address, source, timeout)
            stack.callback(client.close)
        _wait_for_workers(client, source, timeout)
        _check_versions(client, source)
        threads = sum(client.nthreads().values())
        yield Cluster(address, client, client.get_executor(pure=False), threads)


def check_option(option: str | None) -> None:
    """`check_scheme` of the address ``--scheduler`` (or the environment) names, if any: a
    command checks it before it writes anything."""
    found = scheduler_address(option)
    if found is not None:
        check_scheme(*found)


def check_scheme(address: str, source: str) -> None:
    """Only ``tcp://``, ``tls://``, a bare ``HOST:PORT`` (Dask reads it as tcp) and ``local``:
    anything else is a `ClusterError` naming the allowed ones, before Dask is imported."""
    scheme, found, _ = address.partition("://")
    if address == LOCAL or not found or scheme in SCHEMES:
        return
    raise ClusterError(for_terminal(f"{source}: the scheme {scheme[:20]}:// is not allowed "
                                    "(allowed: tcp://HOST:PORT, tls://HOST:PORT, HOST:PORT "
                                    "or local)"))


def check_shared(cluster: Cluster, files: Iterable[str | os.PathLike[str]],
                 folders: Iterable[str | os.PathLike[str]], source: str) -> None:
    """Every worker sees ``files`` at the same paths, and writes into the same ``folders``:
    a sweep's notebooks read scenarios and write results there. Proved with a marker file
    written here, not just a folder of the same name."""
    paths = sorted({str(Path(f).resolve()) for f in files})
    markers = []
    for folder in folders:
        marker = Path(folder).resolve() / f".workbench-shared-{uuid.uuid4().hex[:8]}"
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        markers.append(marker)
    try:
        missing = cluster.client.run(missing_paths, [*paths, *map(str, markers)])
    finally:
        for marker in markers:
            marker.unlink(missing_ok=True)
    for worker, lost in sorted(missing.items()):
        if lost:
            where = lost[0] if lost[0] in paths else f"the folder {Path(lost[0]).parent}"
            raise ClusterError(f"{source}: worker {worker} cannot see {where} (workers need "
                               "the same files at the same paths: a shared folder, see "
                               "docs/cluster.md)")


def missing_paths(paths: list[str]) -> list[str]:
    """Which of ``paths`` do not exist here (run on each worker)."""
    return [p for p in paths if not os.path.exists(p)]


# --- connecting ----------------------------------------------------------------------------------

def _import_distributed(source: str) -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"{source}: Dask is not installed here (pip install "
                           f"'{DISTRIBUTION}[dask]')") from None
    return distributed


def _local_client(distributed: Any, stack: ExitStack) -> Any:
    """A cluster of this machine's cores, reachable from this machine only. Its web server
    takes a free port (even without a dashboard the scheduler serves one, and on the usual
    :8787 two runs would clash); the dashboard link is shown only if bokeh is installed."""
    from importlib.util import find_spec

    from workbench.sim.montecarlo import default_workers

    local = stack.enter_context(distributed.LocalCluster(
        n_workers=default_workers(), threads_per_worker=1, processes=True,
        dashboard_address=":0", host="127.0.0.1"))
    client = stack.enter_context(distributed.Client(local, set_as_default=False))
    if find_spec("bokeh"):
        print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr, flush=True)
    return client


def _probe(address: str, source: str, timeout: float) -> None:
    """Fail fast, with the reason, when nothing listens at a TCP address (Dask would retry
    until its timeout and then only say it timed out)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme not in ("tcp", "tls"):
            return  # other transports: left to Dask, still bounded by `_client_within`
        host, port = parse_host_port(location, DEFAULT_PORT)
    except ValueError as exc:
        raise ClusterError(f"{source}: not a scheduler address ({exc}; expected e.g. "
                           f"tcp://HOST:{DEFAULT_PORT})") from None
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except socket.gaierror:
        raise ClusterError(f"{source}: unknown host {host!r}") from None
    except ConnectionRefusedError:
        raise ClusterError(f"{source}: nothing is listening at {host}:{port} (start "
                           "`dask scheduler` there, or fix the address)") from None
    except OSError as exc:  # includes timeouts: no answer at all
        reason = f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError) else exc
        raise ClusterError(f"{source}: cannot reach {host}:{port} ({reason})") from None


def _client_within(distributed: Any, address: str, source: str, timeout: float) -> Any:
    """A client, or a `ClusterError` after ``timeout``: Dask bounds the TCP connect but not
    the handshake after it, so a port that accepts and never answers would hang forever."""
    box: dict[str, Any] = {}

    def make() -> None:
        try:
            box["client"] = distributed.Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc

    thread = threading.Thread(target=make, name="workbench-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 1)
    if "client" in box:
        return box["client"]
    reason = box.get("error") or f"no Dask scheduler answered within {timeout:g} s"
    raise ClusterError(f"{source}: cannot connect ({str(reason).splitlines()[0]}; is it a "
                       "Dask scheduler, of the same Dask version?)")


def _wait_for_workers(client: Any, source: str, timeout: float) -> None:
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise ClusterError(f"{source}: the scheduler has no workers after {timeout:g} s "
                           f"(start some with `dask worker {client.scheduler.address}`)"
                           ) from None


def _check_versions(client: Any, source: str) -> None:
    """Every worker runs this workbench version: same code, same numbers. (Dask itself
    warns when its own versions differ.)"""
    ours = _our_version()
    theirs = client.run(metadata.version, DISTRIBUTION, on_error="return")
    for worker, version in sorted(theirs.items()):
        if isinstance(version, BaseException):
            raise ClusterError(f"{source}: worker {worker} does not have {DISTRIBUTION} "
                               f"installed (install {DISTRIBUTION}=={ours} on every worker)")
        if version != ours:
            raise ClusterError(f"{source}: worker {worker} has {DISTRIBUTION} {version}, "
                               f"this machine {ours} (install the same version everywhere)")


def _our_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"

