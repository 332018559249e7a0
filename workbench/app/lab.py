"""`workbench lab`: JupyterLab on the project's notebooks, reachable from this machine only.

The notebooks are ``notebooks/`` of the project folder (the current folder, or the nearest one
above holding pyproject.toml); if there is none yet, the workbench's own notebooks are copied
there first, so an installed wheel is all a user needs.

Bound to 127.0.0.1 with a token (a planning laptop on café Wi-Fi must not serve its kernels),
run from this Python so the notebooks' ``python3`` kernel is the project's environment, and
with JupyterLab's calls home (news, update checks) switched off: it works offline.

The token reaches JupyterLab in its environment (``JUPYTER_TOKEN``), which only this user (and
root) can read, never on its command line, which every local user sees in ``ps``. The URL
printed is the one the server reports once it answers; a port already taken is an error, not a
silent move to another port.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from workbench.app.options import print_lines, whole_number
from workbench.files.project import project_root
from workbench.reports.paths import NOTEBOOKS_DIR

HOST = "127.0.0.1"
TOKEN_ENV = "JUPYTER_TOKEN"  # Jupyter's own variable
START_TIMEOUT_S = 120.0  # a first start on a busy machine builds caches


class LabError(Exception):
    """JupyterLab cannot be started as asked: one line; ``code`` 2 when the input (the port)
    needs changing, 1 otherwise."""

    def __init__(self, line: str, code: int = 1) -> None:
        super().__init__(line)
        self.code = code


def notebook_folder(folder: str | os.PathLike[str] | None = None) -> Path:
    """``folder`` if given, else ``notebooks/`` of the project folder."""
    return Path(folder) if folder is not None else project_root() / "notebooks"


def ensure_notebooks(folder: str | os.PathLike[str]) -> bool:
    """Create ``folder`` with copies of the workbench's notebooks if it does not exist (an
    existing folder is left alone: it holds the user's edits). True if it was created."""
    target = Path(folder)
    if target.exists():
        return False
    # filled under a hidden name, then renamed: an interrupted copy is never taken for the folder
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for notebook in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        shutil.copyfile(notebook, partial / notebook.name)
    os.replace(partial, target)
    return True


def lab_command(notebook_dir: str | os.PathLike[str] | None = None, port: int = 8888,
                open_browser: bool = True, extra: Sequence[str] = ()) -> list[str]:
    """The command line that starts JupyterLab on ``notebook_dir`` (default: the project's
    ``notebooks/``) at 127.0.0.1:``port`` (0: any free port). It holds no token: give the
    server `lab_environment`."""
    args = [sys.executable, "-m", "jupyterlab",
            f"--ServerApp.root_dir={notebook_folder(notebook_dir).resolve()}",
            f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",  # a taken port fails: the URL we print stays right
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--ServerApp.allow_root=True")  # CI and containers run as root
    if not open_browser:
        args.append("--no-browser")
    return [*args, *extra]


def lab_environment(token: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment JupyterLab starts in: ``base`` (default: ours) with the token."""
    env = dict(os.environ if base is None else base)
    env.pop("JUPYTER_TOKEN_FILE", None)  # would win over the variable in some versions
    env[TOKEN_ENV] = token
    return env


def new_token() -> str:
    """A fresh secret for the lab URL."""
    return secrets.token_urlsafe(24)


def register(sub: Any) -> None:
    """Add `workbench lab` to the CLI's subcommands."""
    text = ("Open JupyterLab on the project's notebooks (explore.ipynb: the what-if explorer), "
            "on 127.0.0.1 with a token (JUPYTER_TOKEN if set, else a new random one).")
    p: argparse.ArgumentParser = sub.add_parser("lab", help=text, description=text)
    p.add_argument("--port", type=whole_number(0, 65535, "port"), default=8888,
                   help="port, 1 to 65535 (default 8888; a taken port is an error); 0: any "
                        "free port")
    p.add_argument("--dir", default=None, metavar="FOLDER",
                   help="notebook folder (default: notebooks/ of the project folder; made "
                        "with the workbench's notebooks if missing)")
    p.add_argument("--no-browser", action="store_true", help="only print the URL")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Start JupyterLab, print its URL once it answers, and wait for it (Ctrl-C stops it, as
    JupyterLab itself handles Ctrl-C)."""
    token = os.environ.get(TOKEN_ENV) or new_token()
    folder = notebook_folder(args.dir)
    if ensure_notebooks(folder):
        print_lines([f"workbench lab: copied the workbench's notebooks into {folder}"],
                    sys.stdout)
    try:
        check_port(args.port)
        server = start(folder, args.port, token, not args.no_browser)
    except LabError as exc:
        print_lines([f"workbench lab: {exc}"])
        return exc.code
    return supervise(server)


def check_port(port: int) -> None:
    """Fail now, in words, if nothing can listen at 127.0.0.1:``port`` (0: any port)."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise LabError(_port_problem(port, exc), 2) from None


def _port_problem(port: int, exc: OSError) -> str:
    why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
    return (f"port {port} on {HOST} {why} (choose another with --port N, or --port 0 for any "
            "free port)")


def start(folder: Path, port: int, token: str, open_browser: bool,
          extra: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    """JupyterLab started and answering; raises `LabError` (after stopping it) if it does not
    answer within `START_TIMEOUT_S`."""
    server = subprocess.Popen(lab_command(folder, port, open_browser, extra),
                              env=lab_environment(token), preexec_fn=_die_with_parent)
    try:
        url = wait_until_serving(server, token, port)
    except BaseException:
        stop(server)
        raise
    print_lines([f"workbench lab: {url}lab/tree/explore.ipynb?token={token}"], sys.stdout)
    return server


def wait_until_serving(server: subprocess.Popen[bytes], token: str, port: int,
                       timeout: float = START_TIMEOUT_S) -> str:
    """The server's URL (``http://127.0.0.1:PORT/``) as it reports it, once it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise _exited(server.returncode, port)
        # Its info file says where it listens; without one (a read-only runtime folder) the
        # port asked for is the only one it can be on (it does not move: port_retries=0).
        url = _reported_url(server.pid) or (f"http://{HOST}:{port}/" if port else "")
        if url and _answers(url, token):
            return url
        time.sleep(0.2)
    raise LabError(f"JupyterLab did not answer within {timeout:g} s (its messages are above)")


def _exited(code: int, port: int) -> LabError:
    try:
        check_port(port)
    except LabError as taken:  # taken between our check and its start
        return taken
    return LabError(f"JupyterLab stopped before it answered (exit code {code}; its messages "
                    "are above)")


def _reported_url(pid: int) -> str:
    """The URL in the server's own info file (``jpserver-PID.json``, written once it listens;
    readable by this user only)."""
    from jupyter_core.paths import jupyter_runtime_dir

    try:
        info = json.loads((Path(jupyter_runtime_dir()) / f"jpserver-{pid}.json").read_text())
        return str(info["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _answers(url: str, token: str) -> bool:
    request = urllib.request.Request(f"{url}api/status",
                                     headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def supervise(server: subprocess.Popen[bytes]) -> int:
    """Wait for the server; a SIGTERM or SIGHUP to us is passed on to it. Ctrl-C reaches it
    directly (same terminal): we only wait, so we never leave it running without us."""
    def pass_on(signum: int, frame: FrameType | None) -> None:
        server.send_signal(signum)

    previous = {sig: signal.signal(sig, pass_on) for sig in _passed_on()}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = server.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def _passed_on() -> list[signal.Signals]:
    return [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])


def stop(server: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Terminate the server (kill it if it lingers)."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def _die_with_parent() -> None:
    """In the server, before it starts (Linux): SIGTERM when `workbench lab` dies, however it
    dies, so the server is never left running on its own."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
