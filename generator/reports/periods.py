"""Report periods: a Hijri or Gregorian month, quarter or year, or any span of days; and the one before it.

A period is written as the office says it: ``1448-06`` (a Hijri month), ``2026-11`` (a Gregorian month),
``1448`` or ``2026`` (a year), ``1448-Q2`` (a quarter: three months). The year decides the calendar, as it
does for dates (1300-1500 Hijri, 1900-2100 Gregorian). Hijri months follow Umm al-Qura, so a Hijri month
has 29 or 30 days and starts on whatever Gregorian day the tables say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from ..content.text import (
    Calendar,
    DateError,
    from_hijri,
    isolate_plain,
    parse_date,
    to_ascii_digits,
    to_display_digits,
    to_hijri,
)
from ..errors import PeriodError

__all__ = ["Period", "PeriodKind", "current_period", "parse_period", "period_between"]

PeriodKind = Literal["month", "quarter", "year", "span"]

_PERIOD = re.compile(r"(?P<y>\d{4})(?:-(?:(?P<q>[Qq][1-4])|(?P<m>\d{1,2})))?")


@dataclass(frozen=True)
class Period:
    """The days ``start`` to ``end`` inclusive, named by ``key`` (also its folder name)."""

    key: str
    kind: PeriodKind
    calendar: Calendar
    start: date
    end: date
    year: int = 0
    number: int = 0
    """The month (1-12) or quarter (1-4) within ``year``, in ``calendar``; 0 for a year or a span."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one (a span: as many days, ending the day before)."""
        if self.kind == "year":
            return _year(self.calendar, self.year - 1)
        if self.kind == "quarter":
            year, quarter = (self.year, self.number - 1) if self.number > 1 else (self.year - 1, 4)
            return _quarter(self.calendar, year, quarter)
        if self.kind == "month":
            year, month = (self.year, self.number - 1) if self.number > 1 else (self.year - 1, 12)
            return _month(self.calendar, year, month)
        end = self.start - timedelta(days=1)
        return period_between(end - timedelta(days=self.days - 1), end, self.calendar)


def _first_of_month(calendar: Calendar, year: int, month: int) -> date:
    if month > 12:
        year, month = year + 1, month - 12
    return from_hijri(year, month, 1) if calendar == "hijri" else date(year, month, 1)


def _months(calendar: Calendar, year: int, first: int, count: int) -> tuple[date, date]:
    start = _first_of_month(calendar, year, first)
    end = _first_of_month(calendar, year, first + count) - timedelta(days=1)
    return start, end


def _month(calendar: Calendar, year: int, month: int) -> Period:
    start, end = _months(calendar, year, month, 1)
    return Period(f"{year:04d}-{month:02d}", "month", calendar, start, end, year, month)


def _quarter(calendar: Calendar, year: int, quarter: int) -> Period:
    start, end = _months(calendar, year, 3 * quarter - 2, 3)
    return Period(f"{year:04d}-Q{quarter}", "quarter", calendar, start, end, year, quarter)


def _year(calendar: Calendar, year: int) -> Period:
    start, end = _months(calendar, year, 1, 12)
    return Period(f"{year:04d}", "year", calendar, start, end, year, 0)


# What the office app says when a period cannot be read (the command line keeps its own English words);
# numbers in them are Arabic-Indic like the sentences around them.
AR_SHAPE = "الفترة «{}» غير مفهومة: اكتب شهرًا مثل ١٤٤٨-٠٦ أو ربعًا مثل ١٤٤٨-Q2 أو سنة مثل ١٤٤٨."
AR_YEAR = "السنة {} ليست سنة هجرية (١٣٤٣–١٤٩٩) ولا ميلادية (١٩٢٥–٢٠٧٦)."
AR_MONTH = "الشهر {} غير صحيح: الأشهر من ١ إلى ١٢."
AR_DATE = "التاريخ «{}» غير مقروء: اكتب يومًا/شهرًا/سنة مثل ١٤/٠٦/١٤٤٨هـ أو ٢٤/١١/٢٠٢٦م."
AR_TO_BEFORE_FROM = "تاريخ «إلى» يسبق تاريخ «من»: اجعل بداية الفترة قبل نهايتها."
AR_BOTH = "اختر الفترة بطريقة واحدة: شهرًا أو ربعًا أو سنة، أو تاريخي «من» و«إلى»."
AR_PAIR = "اكتب تاريخي «من» و«إلى» معًا."


def _calendar_of(year: int) -> Calendar:
    if 1343 <= year <= 1499:
        return "hijri"
    if 1925 <= year <= 2076:
        return "gregorian"
    raise PeriodError(
        f"year {year} is neither a Hijri year (1343-1499) nor a Gregorian year (1925-2076)",
        AR_YEAR.format(to_display_digits(str(year), "arabic")),
    )


def parse_period(text: str) -> Period:
    """``1448-06``, ``2026-11``, ``1448``, ``2026``, ``1448-Q2`` as a :class:`Period`; else :class:`UsageError`."""
    match = _PERIOD.fullmatch(to_ascii_digits(text.strip()))
    if match is None:
        raise PeriodError(
            f"--period {text!r}: expected a month (1448-06, 2026-11), a quarter (1448-Q2) or a year (1448, 2026)",
            AR_SHAPE.format(isolate_plain(text.strip())),
        )
    year = int(match["y"])
    try:
        calendar = _calendar_of(year)
    except PeriodError as err:
        raise PeriodError(f"--period {text!r}: {err}", err.arabic) from err
    try:
        if match["q"]:
            return _quarter(calendar, year, int(match["q"][1]))
        if match["m"]:
            month = int(match["m"])
            if not 1 <= month <= 12:
                arabic = AR_MONTH.format(to_display_digits(str(month), "arabic"))
                raise PeriodError(f"--period {text!r}: month {month} is not 1-12", arabic)
            return _month(calendar, year, month)
        return _year(calendar, year)
    except DateError as err:
        raise PeriodError(f"--period {text!r}: {err}", AR_SHAPE.format(isolate_plain(text.strip()))) from err


def period_between(start: date | str, end: date | str, calendar: Calendar) -> Period:
    """The days from ``start`` to ``end`` (dates, or text in either calendar); named ``START_END`` (ISO)."""
    first = _as_date(start, "--from", calendar)
    last = _as_date(end, "--to", calendar)
    if last < first:
        raise PeriodError(f"--to {last.isoformat()} is before --from {first.isoformat()}", AR_TO_BEFORE_FROM)
    return Period(f"{first.isoformat()}_{last.isoformat()}", "span", calendar, first, last)


def _as_date(value: date | str, option: str, calendar: Calendar) -> date:
    if isinstance(value, date):
        return value
    try:
        return parse_date(value, calendar)
    except DateError as err:
        raise PeriodError(f"{option} {value!r}: {err}", AR_DATE.format(isolate_plain(value.strip()))) from err


def current_period(today: date, calendar: Calendar) -> Period:
    """The month of ``today`` in the policy's calendar: the report one asks for by default."""
    if calendar == "hijri":
        year, month, _ = to_hijri(today)
        return _month("hijri", year, month)
    return _month("gregorian", today.year, today.month)
