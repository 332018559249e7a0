"""Project files come from the user's folder, package files from the package; reports run in
a kernel on this interpreter."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from workbench.reports.kernel import ThisPythonKernelManager


def test_reports_use_a_kernel_on_this_interpreter(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``python3`` kernelspec Jupyter would find first (here through JUPYTER_PATH, as a stray
    one in ~/.local/share/jupyter would be) does not change the report's Python."""
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": ["/elsewhere/python", "-f", "{connection_file}"], "display_name": "other",
         "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    kernel = ThisPythonKernelManager(kernel_name="python3")
    assert kernel.kernel_spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
