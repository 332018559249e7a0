"""Text that came from a file, made safe for where it is shown: a terminal and a spreadsheet.

A scenario, sweep or export is written by someone else. A name holding a terminal escape
sequence could retitle the window, hide lines or fake output when printed; a table cell
starting with ``=`` becomes a formula when the CSV is opened in a spreadsheet. So names are
escaped on terminals (``\\x1b`` shows as the four characters ``\\x1b``), and CSV cells that a
spreadsheet would run are neutralised the way OWASP recommends (a leading single quote), while
numbers stay numbers (``-5`` is a number, not a formula).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # light on purpose: every command line imports this (pandas costs ~1 s)
    import pandas as pd

# C0 controls (tab and newline included: they could fake a line), DEL, C1 controls (some
# terminals read U+009B as the start of an escape sequence), and the invisible characters that
# reorder or hide text (bidirectional overrides, zero-width marks, line separators).
# Lone surrogates too: an argument that was not UTF-8 holds them, and no terminal can show them.
_CONTROLS = "\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff"
_ONE_LINE = re.compile(f"[{_CONTROLS}]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: object) -> str:
    """One line for a terminal: every control or invisible character escaped, newlines too."""
    return _ONE_LINE.sub(_escape, str(text))


def for_terminal_block(text: str) -> str:
    """Several lines for a terminal: as `for_terminal`, but newlines kept."""
    return "\n".join(for_terminal(line) for line in text.split("\n"))


def for_json(text: str) -> str:
    """JSON text whose strings hold no raw C1 or invisible character (``json.dumps`` escapes
    only C0): each is written as its ``\\uXXXX`` escape, the same JSON value."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting with = + - @, tab or CR gets a
    leading single quote, unless it is a plain number; anything but text is returned as is."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    return value if _NUMBER.fullmatch(value) else "'" + value


def spreadsheet_row(row: Iterable[Any]) -> list[Any]:
    """`spreadsheet_cell` of each cell."""
    return [spreadsheet_cell(v) for v in row]


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and column name made safe by `spreadsheet_cell`; numeric,
    date and boolean columns are untouched (so they stay typed in the CSV)."""
    import pandas as pd

    out = frame.rename(columns=lambda c: spreadsheet_cell(c) if isinstance(c, str) else c)
    for name in out.columns:
        column = out[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            out[name] = column.map(spreadsheet_cell, na_action="ignore")
    return out


class SpreadsheetWriter:
    """`csv.writer` whose rows go through `spreadsheet_row`."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(spreadsheet_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def spreadsheet_writer(stream: Any, **options: Any) -> SpreadsheetWriter:
    """A CSV writer (``lineterminator`` "\\n" unless given) that neutralises formulas."""
    return SpreadsheetWriter(stream, **{"lineterminator": "\n", **options})
