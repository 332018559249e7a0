"""The one working-day calendar: working weekdays minus public holidays (a country's, from the
`holidays` package, with its state or region) and extra dates off. The simulation turns it into
capacity per day; the history road counts throughput per working day and dates periods with it."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CalendarError(ValueError):
    """A calendar that cannot be built (an unknown country code); the message says what to use."""


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: weekdays (0 = Monday) minus public holidays (by country code and optional
    subdivision) and extra dates."""

    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    country: str | None = None
    subdivision: str | None = None
    extra_holidays: tuple[dt.date, ...] = ()

    @classmethod
    def from_scenario(cls, calendar: Any) -> WorkCalendar:
        """From a scenario's `calendar` section (workdays by name, holidays by country/dates)."""
        names = getattr(calendar, "workdays", WEEKDAY_NAMES[:5])
        hol = getattr(calendar, "holidays", None)
        return cls(tuple(WEEKDAY_NAMES.index(n) for n in names), getattr(hol, "country", None),
                   getattr(hol, "subdivision", None), tuple(getattr(hol, "dates", ())))

    def days_off(self, first_year: int, last_year: int) -> frozenset[dt.date]:
        """Public holidays and extra dates off in the years first..last (weekends aside)."""
        public = _public_holidays(self.country, self.subdivision, first_year, last_year)
        return public | frozenset(self.extra_holidays)

    def weekdays(self, start: dt.date, days: int) -> np.ndarray:
        """1.0 for each day of the working week from ``start`` (public holidays included)."""
        weekday = (np.arange(days) + start.weekday()) % 7
        return np.isin(weekday, self.workdays).astype(float)

    def working_days(self, start: dt.date, days: int) -> np.ndarray:
        """1.0 for each working calendar day from ``start``, 0.0 for days off."""
        work = self.weekdays(start, days)
        end = start + dt.timedelta(days=days)
        for day in self.days_off(start.year, end.year):
            d = (day - start).days
            if 0 <= d < days:
                work[d] = 0.0
        return work

    def busdays(self, first: dt.date, last: dt.date) -> np.busdaycalendar:
        """A NumPy business-day calendar covering the years first..last (plus a margin)."""
        return _busdaycal(self, first.year - 1, last.year + 1)

    def describe(self) -> str:
        """E.g. ``Mon, Tue, Wed, Thu, Fri, US holidays``."""
        days = ", ".join(WEEKDAY_NAMES[d].title() for d in self.workdays)
        extra = f", {self.country} holidays" if self.country else ""
        return days + extra + (f", {len(self.extra_holidays)} extra days off"
                               if self.extra_holidays else "")


@functools.lru_cache(maxsize=64)
def regional_holidays(country: str, year: int) -> tuple[tuple[dt.date, str], ...]:
    """Holidays that most (three in four) of a country's regions keep but the country as a
    whole does not, in ``year``: what a calendar without a `subdivision` would silently miss
    (GB's Easter Monday, for one). Empty for countries without such regions (the US)."""
    import holidays

    regions = holidays.list_supported_countries().get(country, [])
    national = holidays.country_holidays(country, years=year)
    kept: dict[dt.date, int] = {}
    names: dict[dt.date, str] = {}
    for region in regions:
        for day, name in holidays.country_holidays(country, subdiv=region, years=year).items():
            if day not in national:
                kept[day] = kept.get(day, 0) + 1
                names[day] = name
    return tuple(sorted((d, names[d]) for d, n in kept.items() if n >= 0.75 * len(regions)))


@functools.lru_cache(maxsize=64)
def _public_holidays(country: str | None, subdivision: str | None, first_year: int,
                     last_year: int) -> frozenset[dt.date]:
    if not country:
        return frozenset()
    import holidays  # slow to import; only needed with a country

    try:
        table = holidays.country_holidays(country, subdiv=subdivision,
                                          years=range(first_year, last_year + 1))
    except NotImplementedError:
        raise CalendarError(f"holidays: unknown country code {country!r} (use an ISO code "
                            f"such as US, DE, GB)") from None
    return frozenset(table)


@functools.lru_cache(maxsize=32)
def _busdaycal(cal: WorkCalendar, first_year: int, last_year: int) -> np.busdaycalendar:
    days = sorted(cal.days_off(first_year, last_year))
    mask = [1 if d in cal.workdays else 0 for d in range(7)]
    return np.busdaycalendar(weekmask=mask, holidays=np.array(days, dtype="datetime64[D]"))
