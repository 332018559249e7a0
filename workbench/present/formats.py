"""How the workbench writes a date, an amount of money, a percentage and a number of days: one
rule for every face (terminal table, summary sentences, report and sweep tables, charts).

- **Dates.** Short, "3 Jun 2027", in tables, chart labels, on chart axes and in the scenario
  report's sentences (`text_date`: one style on a page); long, "3 June 2027", in the other
  faces' sentences; ISO, "2027-06-03", where people sort or
  paste into a sheet (the `workbench run` table and other command-line text, like CSV/JSON).
- **Money.** Compact, 3 significant figures, with k, M, B or T: "557k", "1.14M", "12.5k",
  "2M", "-1.14M" (a saving); whole units below a thousand ("900"). A cost forecast is a spread
  across runs, so "1,143,750" claims a precision nobody has; "1.14M" reads at a glance and is
  what the cost chart's axis shows. Rounding comes first, so 999,999 reads "1M", not "1000k".
  A currency code goes in front, as finance writes it: "EUR 1.14M".
- **Percentages.** Whole percent, "61%" (a digit more only where asked, "0.4%").
- **Days.** "12 days", "1 day", "3.5 days"; where a report compares dates, say which days:
  "5 working days" (of the program's calendar: the status, the Monte Carlo error of a date)
  or "8 calendar days" (the gap between two dates: a risk's shift, a P85 that moved).
- **Missing** (None, NaN, NaT, infinity, empty text): an em dash, "—"; a long date says
  "beyond the horizon" instead, because a missing forecast date means the runs did not finish
  in time. Callers may name another word for missing ("not given").

Charts are drawn by Vega-Lite, which formats in the browser; the ``VEGA_*`` strings are the
same rules in d3's format language. Nothing here imports pandas: `workbench run` prints its
table without paying pandas' second of start-up.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

MISSING = "—"
BEYOND = "beyond the horizon"
EXTERNAL = "external"  # the "team" of an external delivery (a vendor, a partner, an approval)

VEGA_DAY = "%-d %b %Y"  # short_date on a time axis: "3 Jun 2027"
VEGA_DAY_MONTH = "%-d %b"  # week ticks where the chart is narrow: "3 Jun"
VEGA_MONTH = "%b %Y"  # month ticks on a time axis: "Jun 2027"
VEGA_PERCENT = ".0%"  # percent() in labels and tooltips: "61%"
VEGA_PERCENT_AXIS = "%"  # axis ticks: Vega picks the digits the tick step needs
VEGA_MONEY = "~s"  # money() on an axis (d3 writes G, not B, for billions)

_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


# --- what counts as missing ----------------------------------------------------------------------

def as_date(value: Any) -> dt.date | None:
    """The day a date-like value names (ISO text, date, datetime, Timestamp, datetime64), or
    None when missing."""
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):  # a pandas Timestamp is one too
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # "2027-06-03", numpy's "2027-06-03T05:00"


def as_number(value: Any) -> float | None:
    """A finite number, or None when there is none."""
    return None if _missing(value) or not math.isfinite(float(value)) else float(value)


def _missing(value: Any) -> bool:
    """None, NaN, NaT, infinity and blank text: the values with nothing to show."""
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return not math.isfinite(value)
    return value is None or bool(value != value)  # NaT (pandas' or numpy's) is unequal to itself


# --- dates ---------------------------------------------------------------------------------------

def long_date(d: Any, missing: str = BEYOND) -> str:
    """'3 June 2027': a date in a sentence."""
    day = as_date(d)
    return missing if day is None else f"{day.day} {day:%B %Y}"


def short_date(d: Any, missing: str = MISSING) -> str:
    """'3 Jun 2027': a date in a table cell or chart label."""
    day = as_date(d)
    return missing if day is None else f"{day.day} {day:%b %Y}"


def text_date(d: Any, missing: str = BEYOND) -> str:
    """'3 Jun 2027': a date in a report's sentence, written as its tables write it (one style
    on a page); "beyond the horizon" when missing, as `long_date` says it."""
    return short_date(d, missing)


def iso_date(d: Any, missing: str = MISSING) -> str:
    """'2027-06-03': a date to sort by or paste into a sheet."""
    day = as_date(d)
    return missing if day is None else f"{day:%Y-%m-%d}"


# --- numbers -------------------------------------------------------------------------------------

def money(amount: Any, currency: str = "") -> str:
    """An amount as a TPM says it: '1.14M', '557k', '900'; 'EUR 1.14M' with a currency code."""
    x = as_number(amount)
    if x is None:
        return MISSING
    code = currency.strip()
    return f"{code} {_compact(x)}" if code else _compact(x)


def _compact(x: float) -> str:
    rounded = float(f"{x:.3g}")  # round before choosing the unit: 999,999 is "1M", not "1000k"
    for size, unit in _UNITS:
        if abs(rounded) >= size:
            value = rounded / size
            return (f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}") + unit
    return _fixed(rounded, 0)


def percent(share: Any, digits: int = 0) -> str:
    """A share as a percentage: 0.61 is '61%'."""
    x = as_number(share)
    return MISSING if x is None else _fixed(100 * x, digits) + "%"


def days(n: Any, digits: int = 0, unit: str = "day") -> str:
    """A duration: '12 days', '1 day', '3.5 days' (or another unit, '9 working days')."""
    x = as_number(n)
    if x is None:
        return MISSING
    text = _fixed(x, digits)
    return f"{text} {unit}" if text in ("1", "-1") else f"{text} {unit}s"


WORKING_DAY = "working day"  # a day the program's calendar works
CALENDAR_DAY = "calendar day"  # any day: the difference between two dates


def working_days(n: Any, digits: int = 0, signed: bool = False) -> str:
    """'5 working days': days of the program's calendar ('+5 working days' when signed)."""
    return _signed(n, signed) + days(abs(n) if signed and as_number(n) else n, digits,
                                     WORKING_DAY)


def calendar_days(n: Any, digits: int = 0, signed: bool = False) -> str:
    """'8 calendar days': the days between two dates ('+8 calendar days' when signed)."""
    return _signed(n, signed) + days(abs(n) if signed and as_number(n) else n, digits,
                                     CALENDAR_DAY)


def _signed(n: Any, signed: bool) -> str:
    x = as_number(n)
    if not signed or x is None or round(x) == 0:
        return ""
    return "+" if x > 0 else "-"


def error_days(half_width: Any, unit: str = "day") -> str:
    """A Monte Carlo error (working days, or another unit), rounded up: never claims more
    precision than there is: '± 1 day', '± 3 days', '± 2 points'; '± ?' when it cannot be told
    (the interval reaches beyond the horizon)."""
    x = as_number(half_width)
    return "± ?" if x is None else "± " + days(math.ceil(x - 1e-9), unit=unit)


def with_error(text: str, half_width: Any, unit: str = "day") -> str:
    """A date (or any figure) with its Monte Carlo error: '13 Sep ± 1 day', '61% ± 2 points'."""
    return text if text in (MISSING, BEYOND) else f"{text} {error_days(half_width, unit)}"


def chance_with_error(chance: Any, error: Any) -> str:
    """A chance and its Monte Carlo error, both as shares: '61% ± 2 points'."""
    x = as_number(error)
    return with_error(percent(chance), None if x is None else 100 * x, "point")


def _fixed(x: float, digits: int) -> str:
    text = f"{x:.{digits}f}"
    return text.lstrip("-") if float(text) == 0 else text  # -0.2 rounds to "0", not "-0"
