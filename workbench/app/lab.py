"""`workbench lab`: JupyterLab on the project's notebooks, reachable from this machine only.

The notebooks are ``notebooks/`` of the project folder (the current folder, or the nearest one
above holding pyproject.toml); if there is none yet, the workbench's own notebooks are copied
there first, so an installed wheel is all a user needs.

Bound to 127.0.0.1 with a token (a planning laptop on café Wi-Fi must not serve its kernels),
run from this Python so the notebooks' ``python3`` kernel is the project's environment, and
with JupyterLab's calls home (news, update checks) switched off: it works offline.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench.files.project import project_root
from workbench.reports.paths import NOTEBOOKS_DIR


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
                token: str | None = None, open_browser: bool = True,
                extra: Sequence[str] = ()) -> list[str]:
    """The command line that starts JupyterLab on ``notebook_dir`` (default: the project's
    ``notebooks/``) at 127.0.0.1:``port``."""
    args = [sys.executable, "-m", "jupyterlab",
            f"--ServerApp.root_dir={notebook_folder(notebook_dir).resolve()}",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token or new_token()}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--ServerApp.allow_root=True")  # CI and containers run as root
    if not open_browser:
        args.append("--no-browser")
    return [*args, *extra]


def new_token() -> str:
    """A fresh secret for the lab URL."""
    return secrets.token_urlsafe(24)


def register(sub: Any) -> None:
    """Add `workbench lab` to the CLI's subcommands."""
    text = ("Open JupyterLab on the project's notebooks (explore.ipynb: the what-if explorer), "
            "on 127.0.0.1 with a token.")
    p: argparse.ArgumentParser = sub.add_parser("lab", help=text, description=text)
    p.add_argument("--port", type=int, default=8888, help="port (default 8888; the next free "
                                                          "one if taken)")
    p.add_argument("--token", default=None, help="the URL's token (default: a new random one)")
    p.add_argument("--dir", default=None, metavar="FOLDER",
                   help="notebook folder (default: notebooks/ of the project folder; made "
                        "with the workbench's notebooks if missing)")
    p.add_argument("--no-browser", action="store_true", help="only print the URL")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Start JupyterLab in place of this process (Ctrl-C stops it)."""
    token = args.token or new_token()
    folder = notebook_folder(args.dir)
    if ensure_notebooks(folder):
        print(f"workbench lab: copied the workbench's notebooks into {folder}", flush=True)
    print(f"workbench lab: http://127.0.0.1:{args.port}/lab/tree/explore.ipynb?token={token}",
          flush=True)
    cmd = lab_command(folder, args.port, token, not args.no_browser)
    if os.name == "posix":  # become JupyterLab: signals reach it, and no orphan is left behind
        os.execv(cmd[0], cmd)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130
