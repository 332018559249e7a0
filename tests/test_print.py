"""The report printed: `workbench report --pdf` through Debian's headless Chromium, on A4 and
Letter portrait, read back with poppler (`pdfinfo`, `pdftotext`, `pdftoppm`).

Every chart fits the page (its picture is no wider than the printable width, every word on
every page lies inside the page's margins, the right margin is blank on the rendered pages, and
every label a chart draws is in the PDF: nothing cut off on the right), and every heading is
on the same page as the chart under it. Needs /usr/bin/chromium and poppler-utils (`make
chromium` installs both as root); under CI (CI=true) the test never skips.
"""

from __future__ import annotations

import base64
import html
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

from workbench.app import report_commands
from workbench.reports import pdf

PAPERS = {"a4": (595.0, 842.0), "letter": (612.0, 792.0)}  # points, portrait
MARGIN_PT = 12 / 25.4 * 72  # the template's @page margin, 12 mm
PX_TO_PT = 0.75  # CSS pixels to points


def require_print_tools() -> None:
    missing = [tool for tool in ("pdfinfo", "pdftotext", "pdftoppm") if not shutil.which(tool)]
    if pdf.chromium_path() is None:
        missing.append("chromium")
    if missing:
        message = (f"print test not run: {', '.join(missing)} missing (run `make chromium` as "
                   "root: apt-get install -y chromium poppler-utils)")
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: this test must run)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bundled program's report, printed on A4 by the CLI and on Letter from its HTML."""
    require_print_tools()
    out = tmp_path_factory.mktemp("print")
    code = report_commands.main(["report", "scenarios/program.yaml", "--out", str(out),
                                 "--reps", "30", "--seed", "1", "--pdf"])
    assert code == 0
    pdfs = {"a4": out / "program.pdf",
            "letter": pdf.write_pdf(out / "program.html", out / "program-letter.pdf", "letter")}
    return {"pdfs": pdfs, "notebook": nbformat.read(out / "program.ipynb", as_version=4),
            "out": out}


def charts_after_headings(nb: Any) -> list[tuple[str, str, list[str]]]:
    """(heading, chart title, every text the chart's SVG draws) for each chart in the report
    that has a heading in the markdown cell above it."""
    found, heading = [], ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^## (.+)$", cell.source, flags=re.M)
            heading = match.group(1).strip() if match else heading
            continue
        if "remove-cell" in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            svg = output.get("data", {}).get("image/svg+xml")
            if svg and heading:
                texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
                found.append((heading, output["data"]["text/plain"][len("Chart: "):], texts))
                heading = ""  # a heading belongs to the first chart under it
    return found


def page_texts(path: Path) -> list[str]:
    pages = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(path))).group(1))  # type: ignore[union-attr]
    return [_run("pdftotext", "-layout", "-f", str(i), "-l", str(i), str(path), "-")
            for i in range(1, pages + 1)]


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("paper", list(PAPERS))
def test_pdf_pages_are_the_paper_asked_for(printed: dict[str, Any], paper: str) -> None:
    info = _run("pdfinfo", str(printed["pdfs"][paper]))
    width, height = (float(x) for x in re.search(  # type: ignore[union-attr]
        r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert (round(width), round(height)) == PAPERS[paper]
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3  # type: ignore[union-attr]


def test_every_chart_is_drawn_narrower_than_the_printable_width(printed: dict[str, Any]) -> None:
    """Charts are sized to the paper: their pictures need no shrinking on A4 (the narrower)."""
    usable_pt = PAPERS["a4"][0] - 2 * MARGIN_PT
    widths = {}
    for cell in printed["notebook"].cells:
        for output in cell.get("outputs", []):
            svg = output.get("data", {}).get("image/svg+xml")
            if svg:
                widths[output["data"]["text/plain"]] = float(
                    re.search(r'<svg[^>]* width="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    assert len(widths) >= 8
    too_wide = {name: w for name, w in widths.items() if w * PX_TO_PT > usable_pt}
    assert not too_wide, f"wider than A4's printable {usable_pt:.0f} pt: {too_wide}"


@pytest.mark.parametrize("paper", list(PAPERS))
def test_nothing_is_cut_off_on_the_right(printed: dict[str, Any], paper: str) -> None:
    """Every word lies inside the margins, every label each chart draws is in the PDF, and the
    rendered pages' right margins are blank."""
    path = printed["pdfs"][paper]
    width, _ = PAPERS[paper]
    bbox = _run("pdftotext", "-bbox", str(path), "-")
    spans = [(float(a), float(b), w) for a, b, w in re.findall(
        r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', bbox)]
    assert len(spans) > 200
    outside = [w for lo, hi, w in spans if lo < MARGIN_PT - 2 or hi > width - MARGIN_PT + 2]
    assert not outside, f"words outside the margins on {paper}: {outside[:10]}"
    text = _words(" ".join(page_texts(path)))
    for _heading, title, texts in charts_after_headings(printed["notebook"]):
        lost = [t for t in texts if _words(t) and _words(t) not in text]
        assert not lost, f"{paper}: chart {title!r} lost {lost[:8]}"
    for page in _gray_pages(path, printed["out"] / f"page-{paper}"):
        assert _right_margin_blank(page), f"{paper}: ink in the right margin of {page.name}"


def _gray_pages(path: Path, prefix: Path) -> list[Path]:
    """The PDF rendered to PNG pages (the proof a reader sees) and to grey PGM for checking."""
    subprocess.run(["pdftoppm", "-r", "36", "-png", str(path), str(prefix)], check=True)
    subprocess.run(["pdftoppm", "-r", "36", "-gray", str(path), str(prefix)], check=True)
    assert sorted(prefix.parent.glob(f"{prefix.name}-*.png"))
    return sorted(prefix.parent.glob(f"{prefix.name}-*.pgm"))


def _right_margin_blank(pgm: Path) -> bool:
    data = pgm.read_bytes()
    magic, width, height, _, pixels = data.split(maxsplit=4)
    w, h = int(width), int(height)
    assert magic == b"P5" and len(pixels) >= w * h
    strip = int(w * (MARGIN_PT - 4) / PAPERS["a4"][0])  # the margin, less a hair of slack
    return all(min(pixels[row * w + w - strip: row * w + w]) > 240 for row in range(h))


@pytest.mark.parametrize("paper", list(PAPERS))
def test_every_heading_is_on_the_page_of_its_chart(printed: dict[str, Any], paper: str) -> None:
    pages = page_texts(printed["pdfs"][paper])
    charts = charts_after_headings(printed["notebook"])
    assert {"When each milestone lands", "Roadmap", "Team utilisation"} <= \
        {h for h, _, _ in charts}
    for heading, title, texts in charts:
        heading_page = next(i for i, p in enumerate(pages)
                            if heading in [line.strip() for line in p.splitlines()])
        chart_page = max(range(len(pages)),
                         key=lambda i: sum(_words(t) in _words(pages[i]) for t in texts))
        assert heading_page == chart_page, \
            f"{paper}: heading {heading!r} on page {heading_page + 1}, its chart {title!r} " \
            f"on page {chart_page + 1}"


def test_pdf_without_chromium_is_one_line_and_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(pdf.CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    code = report_commands.main(["report", "scenarios/program.yaml", "--out", str(tmp_path),
                                 "--reps", "5", "--pdf"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "--pdf needs Chromium" in err[0] and "apt-get install chromium" in err[0]
    assert not list(tmp_path.glob("*.html"))  # refused before any work


def test_paper_size_goes_into_the_page() -> None:
    page = pdf.with_paper("<html><head><title>x</title></head><body></body></html>", "letter")
    assert "@page { size: letter portrait; }</style></head>" in page


def test_the_print_rules_are_what_keeps_a_heading_with_its_chart(printed: dict[str, Any]
                                                                  ) -> None:
    """Metamorphic: a heading that would fall at the foot of a page moves to the next page with
    its chart under the report's print rules, and is left behind without them (so the check
    above can fail)."""
    page = (printed["out"] / "program.html").read_text(encoding="utf-8")
    head = page[:page.index("<body")]
    chart = ('<svg xmlns="http://www.w3.org/2000/svg" width="600" height="420"><rect width="600"'
             ' height="420" fill="#ddd"/><text x="20" y="40">CHART LABEL</text></svg>')
    src = "data:image/svg+xml;base64," + base64.b64encode(chart.encode()).decode()
    body = ('<body class="jp-Notebook"><main>'
            '<div class="jp-Cell jp-CodeCell"><div style="height:850px">TALL</div></div>'
            '<div class="jp-Cell jp-MarkdownCell"><div class="jp-Cell-inputWrapper">'
            '<div class="jp-InputArea"><div class="jp-RenderedHTMLCommon jp-RenderedMarkdown">'
            '<h2>THE HEADING</h2><p>What the chart shows.</p></div></div></div></div>'
            '<div class="jp-Cell jp-CodeCell"><div class="jp-Cell-outputWrapper">'
            '<div class="jp-OutputArea"><div class="jp-OutputArea-child">'
            f'<div class="jp-RenderedSVG"><img alt="Chart: x" src="{src}"></div>'
            '</div></div></div></div></main></body></html>')
    rules = re.compile(r"@media print \{\n    body \{ max-width: none.*?\n  \}\n(?=</style>)", re.S)
    assert len(rules.findall(head)) == 1  # the template's print rules
    for with_rules, same_page in ((True, True), (False, False)):
        html_page = printed["out"] / f"synthetic-{with_rules}.html"
        html_page.write_text((head if with_rules else rules.sub("", head)) + body, "utf-8")
        pages = page_texts(pdf.write_pdf(html_page, html_page.with_suffix(".pdf"), "a4"))
        heading = next(i for i, p in enumerate(pages) if "THE HEADING" in p)
        label = next(i for i, p in enumerate(pages) if "CHART LABEL" in p)
        assert (heading == label) == same_page, (with_rules, heading, label)


@pytest.mark.parametrize("paper", list(PAPERS))
def test_page_one_has_the_title_and_status(printed: dict[str, Any], paper: str) -> None:
    """No blank first page: the title, the status and its first milestone open the PDF."""
    first = _words(_run("pdftotext", "-f", "1", "-l", "1", str(printed["pdfs"][paper]), "-"))
    for words in ("Forecast report", "Payments platform launch", "Status",
                  "Forecast from the start", "beta: GREEN"):
        assert words in first, (paper, words, first[:300])


@pytest.mark.parametrize("paper", list(PAPERS))
def test_the_footer_is_not_alone_on_the_last_page(printed: dict[str, Any], paper: str) -> None:
    """The footer prints with the last section, its scenario hash shortened to 12 hex digits."""
    last = _words(page_texts(printed["pdfs"][paper])[-1])
    footer = re.search(r"Seed 1 · 30 replications · scenario SHA-256 ([0-9a-f]+) · TPM", last)
    assert footer, last[-300:]
    assert len(footer.group(1)) == 12
    assert len(last) > len(footer.group(0)) + 100, last  # more than the footer on the page
    assert not re.search(r"[0-9a-f]{64}", " ".join(page_texts(printed["pdfs"][paper])))


def test_names_in_tables_are_never_broken_mid_word(printed: dict[str, Any]) -> None:
    """No epic or risk name in the milestone table or the risk register prints cut at a
    hyphen ("payments-" on one line, "api" under it): the tables lay out their columns to
    their content (prose may wrap at a hyphen, as any text does)."""
    from workbench.scenario.loader import load_scenario

    s = load_scenario("scenarios/program.yaml")
    names = [n for n in [*s.epics, *s.risks] if "-" in n]
    for paper, path in printed["pdfs"].items():
        text = "".join(page_texts(path))
        milestones = text[text.index("Most often"):text.index("When each milestone lands")]
        register = text[text.rindex("probability"):]
        register = register[:register.find("To make the date")]
        for table in (milestones, register):
            for name in names:
                for cut in (name[:i + 1] for i, c in enumerate(name) if c == "-"):
                    found = re.search(rf"(?<![\w-]){re.escape(cut)}(?=\s|$)", table)
                    assert not found, (paper, name, table[max(0, found.start() - 200):
                                                          found.end() + 100])
        assert "payout-screens" in milestones and "key-engineer-leaves" in register
