"""The short HTML report of `workbench compare`: the scenarios side by side in one table, a
chart of each milestone's window per scenario, each what-if's changes against its plan, and
what reproduces the numbers. One self-contained page: no scripts, nothing fetched from outside,
every text from a scenario file escaped; it prints on A4 and Letter portrait.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from pathlib import Path

from workbench.files import atomic
from workbench.present import charts, compare, sentences
from workbench.present.formats import short_date
from workbench.sim.forecast import ProgramForecast

STYLE = """body { font-family: sans-serif; max-width: 60rem; margin: 0 auto; padding: 1rem 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; } th, td { padding: 3px 8px;
border-bottom: 1px solid #ddd; text-align: right; } th:first-child, td:first-child {
text-align: left; } img { max-width: 100%; height: auto; } small { color: #555; }
@page { margin: 12mm; } @media print { body { max-width: none; padding: 0; font-size: 10pt; }
h2 { break-after: avoid; } img, tr { break-inside: avoid; } td, th { white-space: normal;
overflow-wrap: anywhere; } }"""


def compare_page(named: compare.Named, whatifs: Sequence[sentences.WhatIf | None]) -> str:
    """The report page as text."""
    labels = ", ".join(label for label, _ in named)
    table = compare.compare_table(named, date=short_date)
    chart = charts.static_bundle(compare.windows_chart(compare.windows_table(named)).to_dict())
    svg = base64.b64encode(chart[0]["image/svg+xml"].encode("utf-8")).decode("ascii")
    parts = [f"<h1>Compare: {html.escape(labels)}</h1>",
             f"<p><small>{html.escape(sentences.GLOSSARY)}</small></p>",
             "<h2>Side by side</h2>", table.to_html(escape=True, border=0),
             "<h2>When each milestone lands</h2>",
             f'<img alt="Chart: Scenarios compared" src="data:image/svg+xml;base64,{svg}">']
    changes = [(label, w) for (label, _), w in zip(named, whatifs, strict=True) if w]
    if changes:
        parts.append("<h2>What each what-if changes</h2>")
        parts += [f"<p>{html.escape(label)}: changed against {html.escape(w.base_name)} "
                  f"({html.escape(w.base_file)})</p><ul>"
                  + "".join(f"<li>{html.escape(line)}</li>" for line in sentences.whatif_lines(w))
                  + "</ul>" for label, w in changes]
    parts.append("<p><small>" + "<br>".join(html.escape(f"{label}: {_footer(f)}")
                                           for label, f in named) + "</small></p>")
    title = html.escape(f"Compare: {labels}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}'
            f"</title><style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n")


def _footer(forecast: ProgramForecast) -> str:
    return sentences.footer_line(forecast)


def write_compare_report(named: compare.Named, whatifs: Sequence[sentences.WhatIf | None],
                         path: str | os.PathLike[str]) -> Path:
    """Write the page atomically and return where."""
    return atomic.atomic_write_text(path, compare_page(named, whatifs))
