"""`workbench lab` as a user starts it, with a real JupyterLab on 127.0.0.1: the token is
never on a command line (any local user reads those in `ps`), the URL printed is the server's
own once it answers, and a port already taken is one line and exit 2, not a quiet move to
another port (which would leave the printed URL pointing at someone else's server)."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psutil
import pytest

from tests.faults import live_cmdline, wait_gone
from workbench.app import lab

URL_PREFIX = "workbench lab: http://127.0.0.1:"


def environment(tmp_path: Path) -> dict[str, str]:
    """Jupyter's folders in the test's own, and no token from the outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_TOKEN")}
    return {**env, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
            "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}


def workbench_lab(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "workbench", "lab", "--no-browser",
                             "--port", str(port), "--dir", str(tmp_path / "notebooks")],
                            cwd=tmp_path, env=environment(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def line_starting(proc: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            if line.startswith(prefix):
                return line.strip()
            if not line and proc.poll() is not None:
                break
    raise AssertionError(f"no line starting {prefix!r}; exit {proc.poll()}")


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = workbench_lab(tmp_path, 0)  # any free port: parallel tests never clash
    processes = [psutil.Process(proc.pid)]
    try:
        url = line_starting(proc, URL_PREFIX, timeout=120)
        processes += psutil.Process(proc.pid).children(recursive=True)
        yield proc, url
    finally:
        proc.send_signal(signal.SIGTERM)  # passed on to the server
        proc.wait(timeout=30)
        wait_gone(processes, timeout=15)


def test_the_token_is_not_on_any_command_line_and_the_url_works(
        running: tuple[subprocess.Popen[str], str]) -> None:
    proc, line = running
    url = urlparse(line.removeprefix("workbench lab: "))
    token = parse_qs(url.query)["token"][0]
    assert url.path == "/lab/tree/explore.ipynb" and len(token) >= 32
    request = urllib.request.Request(f"http://127.0.0.1:{url.port}/api/status",
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
        assert answer.status == 200
    (server,) = [p for p in psutil.Process(proc.pid).children(recursive=True)
                 if "jupyterlab" in live_cmdline(p)]
    assert token not in cmdline(server.pid) and token not in cmdline(proc.pid)
    assert "--ServerApp.port=0" in cmdline(server.pid)  # the printed port is the server's own
    stale = urllib.request.Request(f"http://127.0.0.1:{url.port}/api/status",
                                   headers={"Authorization": "token wrong"})
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(stale, timeout=10)  # noqa: S310 - the token is needed


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        yield int(held.getsockname()[1])


def test_a_taken_port_is_one_line_and_exit_2(tmp_path: Path, taken_port: int) -> None:
    start = time.monotonic()
    proc = workbench_lab(tmp_path, taken_port)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.splitlines() == [
        f"workbench lab: port {taken_port} on 127.0.0.1 is in use (choose another with "
        "--port N, or --port 0 for any free port)"]
    assert URL_PREFIX not in out
    assert time.monotonic() - start < 5


def test_a_port_taken_as_the_server_starts_is_the_same_error(
        tmp_path: Path, taken_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Taken between the check and the server's own bind: JupyterLab must not move on."""
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    with pytest.raises(lab.LabError) as refused:
        lab.start(folder, taken_port, lab.new_token(), open_browser=False)
    assert refused.value.code == 2
    assert str(refused.value).startswith(f"port {taken_port} on 127.0.0.1 is in use")
