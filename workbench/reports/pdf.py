"""A report's HTML printed to PDF by headless Chromium (Debian's `chromium`, the browser the
browser test drives), on A4 or Letter portrait. The page's print stylesheet (in the report
template) fits every chart and table to the paper and keeps headings with their charts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from workbench.files import atomic

# Where Chromium is looked for: $WORKBENCH_CHROMIUM, else Debian's, else `chromium` on PATH.
CHROMIUM_ENV = "WORKBENCH_CHROMIUM"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
PAPERS = {"a4": "A4", "letter": "letter"}  # --paper value -> CSS @page size
PRINT_SECONDS = 120  # a report prints in about a second; a hung browser is stopped


class PdfUnavailable(Exception):
    """No Chromium to print with: one line saying how to get it."""


def chromium_path() -> Path | None:
    """The Chromium binary to print (and browse) with, or None when there is none."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return Path(named) if Path(named).is_file() else None
    if DEBIAN_CHROMIUM.is_file():
        return DEBIAN_CHROMIUM
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(found) if found else None


def require_chromium() -> Path:
    """The Chromium binary, or `PdfUnavailable` with the line to print."""
    path = chromium_path()
    if path is None:
        where = os.environ.get(CHROMIUM_ENV) or str(DEBIAN_CHROMIUM)
        raise PdfUnavailable(f"--pdf needs Chromium, not found at {where} (install Debian's "
                             f"chromium: sudo apt-get install chromium, or `sudo make chromium`;"
                             f" or set {CHROMIUM_ENV})")
    return path


def write_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str],
              paper: str = "a4") -> Path:
    """Print ``html_path`` to ``pdf_path`` (atomically) on ``paper`` ("a4" or "letter")."""
    browser = require_chromium()
    html = Path(html_path).resolve()
    target = Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="workbench-pdf-") as tmp:
        page = Path(tmp) / "page.html"  # the report with the paper size set
        page.write_text(with_paper(html.read_text(encoding="utf-8"), paper), encoding="utf-8")
        out = Path(tmp) / "out.pdf"
        _print(browser, page, out, Path(tmp) / "profile")
        atomic.atomic_write_bytes(target, out.read_bytes())
    return target


def with_paper(page: str, paper: str) -> str:
    """The page with an ``@page`` rule naming the paper (Chromium reads the size from CSS)."""
    rule = f"<style>@page {{ size: {PAPERS[paper]} portrait; }}</style>"
    head_end = page.find("</head>")
    return page[:head_end] + rule + page[head_end:] if head_end >= 0 else rule + page


def _print(browser: Path, page: Path, out: Path, profile: Path) -> None:
    # A private profile: a second Chromium (another report, the browser test) never collides.
    command = [str(browser), "--headless", "--no-sandbox", "--disable-gpu",
               "--no-first-run", "--disable-background-networking", "--disable-sync",
               "--disable-component-update", f"--user-data-dir={profile}",
               "--no-pdf-header-footer", f"--print-to-pdf={out}", page.as_uri()]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_SECONDS,
                              check=False)
    except subprocess.TimeoutExpired:
        raise OSError(f"Chromium did not print within {PRINT_SECONDS} s") from None
    if not out.is_file() or out.stat().st_size == 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise OSError(f"Chromium wrote no PDF (exit {done.returncode}: {tail})")
