"""Arabic text helpers: digits, bidi isolation, normalisation, Hijri and Gregorian dates.

Pure functions, no I/O. Every renderer and validator goes through these, so that a digit, a date or an
isolated Latin run looks the same in the PDF, the DOCX, the register and the on-screen form.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hijridate import Gregorian, Hijri
from markupsafe import Markup, escape

from generator.errors import UsageError

if TYPE_CHECKING:
    from generator.config.model import Policy

__all__ = [
    "ARABIC_INDIC_DIGITS",
    "ASCII_DIGITS",
    "BIDI_CONTROLS",
    "DEFAULT_TIME_ZONE",
    "HIJRI_MONTHS",
    "LRI",
    "MAX_DATE",
    "MIN_DATE",
    "PDI",
    "PERSIAN_DIGITS",
    "TATWEEL",
    "TODAY_VARIABLE",
    "ZERO_WIDTH",
    "Calendar",
    "DateError",
    "DateOutOfRangeError",
    "DigitStyle",
    "NonexistentDateError",
    "UnreadableDateError",
    "add_days",
    "check_time_zone",
    "clean_name",
    "first_forbidden",
    "format_dual",
    "format_gregorian",
    "format_hijri",
    "format_hijri_long",
    "from_hijri",
    "from_hijri_last_day",
    "hijri_month_name",
    "is_unholdable",
    "isolate_html",
    "isolate_plain",
    "normalise_spaces",
    "now_local",
    "office_zone",
    "parse_date",
    "strip_tatweel",
    "to_ascii_digits",
    "to_display_digits",
    "to_hijri",
    "to_local",
    "today",
]

DigitStyle = Literal["arabic", "latin"]
Calendar = Literal["hijri", "gregorian"]

# --- digits -------------------------------------------------------------------------------------------------

ASCII_DIGITS: Final = "0123456789"
ARABIC_INDIC_DIGITS: Final = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
PERSIAN_DIGITS: Final = "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9"

ARABIC_DECIMAL_SEPARATOR: Final = "\u066b"
ARABIC_THOUSANDS_SEPARATOR: Final = "\u066c"

# The separators are folded too: a clerk typing on an Arabic keyboard writes «٣٫٥» and «١٬٠٠٠», and the
# number parsers downstream only need to know the ASCII forms.
_TO_ASCII: Final = str.maketrans(
    ARABIC_INDIC_DIGITS + PERSIAN_DIGITS + ARABIC_DECIMAL_SEPARATOR + ARABIC_THOUSANDS_SEPARATOR,
    ASCII_DIGITS + ASCII_DIGITS + ".,",
)
# Only digits go the other way: "/" and "-" in dates and "." in decimals read fine in Arabic print, and
# changing them would make display text differ from what the register stores.
_TO_ARABIC: Final = str.maketrans(ASCII_DIGITS, ARABIC_INDIC_DIGITS)


def to_ascii_digits(s: str) -> str:
    """Fold Arabic-Indic and Persian digits (and Arabic separators) to ASCII, so input can be compared."""
    return s.translate(_TO_ASCII)


def to_display_digits(s: str, style: DigitStyle) -> str:
    """Write ASCII digits the way the policy wants them printed; other characters are left alone."""
    if style == "arabic":
        return s.translate(_TO_ARABIC)
    return s


# --- bidi isolation -----------------------------------------------------------------------------------------

LRI: Final = "\u2066"
PDI: Final = "\u2069"

BIDI_CONTROLS: Final = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZERO_WIDTH: Final = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def isolate_plain(s: str) -> str:
    """Wrap a left-to-right run (reference, ID, e-mail) so it keeps its order inside an Arabic line.

    For DOCX and plain text, where the only tool is Unicode's own isolate characters.
    """
    return f"{LRI}{s}{PDI}"


FSI: Final = "\u2068"


def isolate_name(s: str) -> str:
    """Wrap a name that may be Latin or Arabic (a user, a computer) so it keeps its own direction inside an Arabic
    line: Unicode's first-strong isolate, for plain text (a message read in a terminal or shown by the app)."""
    return f"{FSI}{s}{PDI}"


def isolate_html(s: str) -> Markup:
    """The HTML counterpart of :func:`isolate_plain`; the text is escaped, the wrapper is trusted markup."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(escape(s))


# --- normalisation ------------------------------------------------------------------------------------------

TATWEEL: Final = "\u0640"
_WHITESPACE_RUN: Final = re.compile(r"\s+")  # str patterns are Unicode-aware: NBSP, U+202F, U+3000 included


def strip_tatweel(s: str) -> str:
    """Remove kashida: it only stretches letters, and would make the same name compare unequal."""
    return s.replace(TATWEEL, "")


def normalise_spaces(s: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space and trim the ends."""
    return _WHITESPACE_RUN.sub(" ", s).strip()


def clean_name(s: str) -> str:
    """The canonical form of a person's or place's name: no tatweel, single spaces."""
    return normalise_spaces(strip_tatweel(s))


# --- dates --------------------------------------------------------------------------------------------------


class DateError(ValueError):
    """Base of the date failures below, so callers can catch them as one family (or as ValueError)."""


class UnreadableDateError(DateError):
    """Raised when a date's text is not in one of the accepted shapes."""


class NonexistentDateError(DateError):
    """Raised when the numbers name a day that does not exist (31/02, or 30 in a 29-day Hijri month)."""


class DateOutOfRangeError(DateError):
    """Raised when a date lies outside what the Umm al-Qura tables cover (1343-1500 AH)."""


MIN_HIJRI_YEAR: Final = 1343
MAX_HIJRI_YEAR: Final = 1500


TODAY_VARIABLE: Final = "WATHIQA_TODAY"
"""Environment variable that fixes "today" (``YYYY-MM-DD``), for tests and for reprinting a day's papers."""


DEFAULT_TIME_ZONE: Final = "Asia/Riyadh"
"""The office's time zone when the policy names none (``settings.time_zone``)."""


_NOT_OFFICE_ZONES: Final = frozenset({"localtime", "posixrules", "Factory"})
"""Files of the zone folder that are not places: ``localtime`` would bring back the computer's own zone."""


def check_time_zone(name: str) -> str:
    """``name`` if it is a time zone of the IANA database (``Asia/Riyadh``); ValueError saying what is expected.
    Loading one zone file is fast, so `wathiqa check` pays nothing for it (listing every zone costs 0.1 s)."""
    try:
        if name in _NOT_OFFICE_ZONES or name.startswith(("posix/", "right/")):
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as err:
        raise ValueError(f"unknown time zone {name!r}; expected a time zone name such as Asia/Riyadh") from err
    return name


@functools.lru_cache(maxsize=8)
def office_zone(name: str = DEFAULT_TIME_ZONE) -> ZoneInfo:
    """The zone of that name (checked by the policy's model when it was loaded)."""
    return ZoneInfo(check_time_zone(name))


def _zone_of(policy: Policy | None) -> ZoneInfo:
    return office_zone(policy.settings.time_zone if policy is not None else DEFAULT_TIME_ZONE)


def now_local(policy: Policy | None = None) -> datetime:
    """Now, on the office's clock (the policy's ``settings.time_zone``), whatever zone the computer is set to."""
    return datetime.now(_zone_of(policy))


def to_local(moment: datetime, policy: Policy | None = None) -> datetime:
    """``moment`` on the office's clock, for showing it; a moment without a zone is taken as UTC (the office
    database stores UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone_of(policy))


def today(policy: Policy | None = None) -> date:
    """The issue date of what is made now: ``WATHIQA_TODAY`` when set (tests, reprints), else the day it is in
    the office's time zone (the policy's ``settings.time_zone``; Riyadh without a policy), never the computer's.

    Every "today" of the workflows comes from here, so that a test run across midnight, or a reprint of last
    Tuesday's letters, gets one fixed day for references, register dates and batch folder names.
    """
    fixed = os.environ.get(TODAY_VARIABLE)
    if not fixed:
        return now_local(policy).date()
    try:
        return date.fromisoformat(fixed)
    except ValueError as err:
        msg = f"{TODAY_VARIABLE}={fixed!r}: expected a date as YYYY-MM-DD"
        raise UsageError(msg) from err


def _plain_date(h: Hijri) -> date:
    """hijridate returns its own date subclass; hand out plain dates so nothing downstream depends on it."""
    year, month, day = h.to_gregorian().datetuple()
    return date(year, month, day)


def _last_day_of_tables() -> Hijri:
    return Hijri(MAX_HIJRI_YEAR, 12, Hijri(MAX_HIJRI_YEAR, 12, 1).month_length())


# Every document prints a date in both calendars, so a Gregorian date is only usable if it converts.
MIN_DATE: Final = _plain_date(Hijri(MIN_HIJRI_YEAR, 1, 1))
MAX_DATE: Final = _plain_date(_last_day_of_tables())

HIJRI_MONTHS: Final = (
    "محرم",
    "صفر",
    "ربيع الأول",
    "ربيع الآخر",
    "جمادى الأولى",
    "جمادى الآخرة",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "ذو القعدة",
    "ذو الحجة",
)

HIJRI_SUFFIX: Final = "هـ"
GREGORIAN_SUFFIX: Final = "م"
CORRESPONDING: Final = "الموافق"


def _check_in_range(d: date) -> None:
    if not MIN_DATE <= d <= MAX_DATE:
        msg = f"date {d.isoformat()} is outside the supported range {MIN_DATE}..{MAX_DATE}"
        raise DateOutOfRangeError(msg)


def to_hijri(d: date) -> tuple[int, int, int]:
    """The Umm al-Qura (year, month, day) of a Gregorian date."""
    _check_in_range(d)
    h = Gregorian.fromdate(d).to_hijri()
    return h.year, h.month, h.day


def from_hijri(year: int, month: int, day: int) -> date:
    """The Gregorian date of an Umm al-Qura day; a day the calendar does not have is a ValueError."""
    if not MIN_HIJRI_YEAR <= year <= MAX_HIJRI_YEAR:
        msg = f"Hijri year {year} is outside the supported range {MIN_HIJRI_YEAR}..{MAX_HIJRI_YEAR}"
        raise DateOutOfRangeError(msg)
    try:
        return _plain_date(Hijri(year, month, day))
    except ValueError as err:
        msg = f"{year:04d}-{month:02d}-{day:02d} is not a day of the Umm al-Qura calendar: {err}"
        raise NonexistentDateError(msg) from err


def hijri_month_name(month: int) -> str:
    """The Arabic name of a Hijri month (1 = محرم)."""
    if not 1 <= month <= 12:
        msg = f"Hijri month must be 1..12, got {month}"
        raise ValueError(msg)
    return HIJRI_MONTHS[month - 1]


def _numeric(day: int, month: int, year: int, suffix: str, digits: DigitStyle) -> str:
    return to_display_digits(f"{day:02d}/{month:02d}/{year:04d}", digits) + suffix


def format_hijri(d: date, digits: DigitStyle) -> str:
    """Day/month/year in Umm al-Qura followed by «هـ», e.g. «١٤/٠٦/١٤٤٨هـ»."""
    year, month, day = to_hijri(d)
    return _numeric(day, month, year, HIJRI_SUFFIX, digits)


def format_gregorian(d: date, digits: DigitStyle) -> str:
    """Day/month/year followed by «م», e.g. «٢٤/١١/٢٠٢٦م»."""
    return _numeric(d.day, d.month, d.year, GREGORIAN_SUFFIX, digits)


def format_hijri_long(d: date, digits: DigitStyle) -> str:
    """The Hijri date with the month by name, e.g. «١٤ جمادى الآخرة ١٤٤٨هـ», for letters."""
    year, month, day = to_hijri(d)
    day_text = to_display_digits(str(day), digits)
    year_text = to_display_digits(str(year), digits)
    return f"{day_text} {hijri_month_name(month)} {year_text}{HIJRI_SUFFIX}"


def format_dual(d: date, calendar: Calendar, digits: DigitStyle) -> str:
    """Both calendars, the policy's primary one first: «<primary> الموافق <secondary>»."""
    hijri = format_hijri(d, digits)
    gregorian = format_gregorian(d, digits)
    first, second = (hijri, gregorian) if calendar == "hijri" else (gregorian, hijri)
    return f"{first} {CORRESPONDING} {second}"


def add_days(d: date, n: int) -> date:
    """The date n days after d (before, if n < 0); named so deadline code reads as the policy does."""
    return d + timedelta(days=n)


# --- parsing ------------------------------------------------------------------------------------------------

_YEAR_FIRST: Final = re.compile(r"(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})")
_DAY_FIRST: Final = re.compile(r"(?P<d>\d{1,2})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<y>\d{4})")
# «هـ» is often typed as a bare «ه», with or without a space before it.
_SUFFIX: Final = re.compile(r"\s*(?P<suffix>ه|م)\s*$")

_HIJRI_YEARS: Final = range(1300, 1501)
_GREGORIAN_YEARS: Final = range(1900, 2101)


def _split_suffix(text: str) -> tuple[str, Calendar | None]:
    match = _SUFFIX.search(text)
    if match is None:
        return text, None
    marked: Calendar = "hijri" if match["suffix"] == "ه" else "gregorian"
    return text[: match.start()], marked


def _match_numbers(text: str) -> tuple[int, int, int]:
    for pattern in (_YEAR_FIRST, _DAY_FIRST):
        match = pattern.fullmatch(text)
        if match is not None:
            return int(match["y"]), int(match["m"]), int(match["d"])
    msg = f"expected YYYY-MM-DD, DD/MM/YYYY or YYYY/MM/DD, got {text!r}"
    raise UnreadableDateError(msg)


def _calendar_of_year(year: int, marked: Calendar | None, expected: Calendar) -> Calendar:
    """A year settles the calendar by itself; the «هـ»/«م» mark only has to agree with it."""
    if year in _HIJRI_YEARS:
        by_year: Calendar = "hijri"
    elif year in _GREGORIAN_YEARS:
        by_year = "gregorian"
    else:
        bounds = "1300-1500" if expected == "hijri" else "1900-2100"
        msg = f"year {year} is outside the accepted years; expected a {expected} year ({bounds})"
        raise DateOutOfRangeError(msg)
    if marked is not None and marked != by_year:
        msg = f"year {year} is a {by_year} year but the date is marked {marked}"
        raise UnreadableDateError(msg)
    return by_year


def _gregorian(year: int, month: int, day: int) -> date:
    try:
        result = date(year, month, day)
    except ValueError as err:
        msg = f"{year:04d}-{month:02d}-{day:02d} is not a Gregorian day: {err}"
        raise NonexistentDateError(msg) from err
    _check_in_range(result)
    return result


def parse_date(text: str, calendar: Calendar, *, thirtieth_is_last: bool = False) -> date:
    """Read a date typed by a clerk or found in a spreadsheet, in either calendar and any digit form.

    Accepted shapes: ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``YYYY/MM/DD`` ("-", "/" and "." interchangeable), with
    an optional trailing «هـ» or «م». The year decides the calendar (1300-1500 Hijri, 1900-2100 Gregorian),
    because a year cannot be both and clerks mix calendars whatever the policy prefers; so ``calendar`` (the
    policy's primary calendar) only shapes the error for a year in neither range. Two-digit years are
    refused: «٤٨» could be 1448 or 2048. The result is always the Gregorian :class:`date`.

    ``thirtieth_is_last``: a Hijri day 30 in a month of 29 days is read as that month's last day (a clerk
    cannot know in advance whether an Umm al-Qura month has 29 or 30 days); otherwise it is refused.
    """
    cleaned = normalise_spaces(strip_tatweel(to_ascii_digits(text)))
    body, marked = _split_suffix(cleaned)
    year, month, day = _match_numbers(body)
    if _calendar_of_year(year, marked, calendar) == "hijri":
        return from_hijri_last_day(year, month, day) if thirtieth_is_last else from_hijri(year, month, day)
    return _gregorian(year, month, day)


def from_hijri_last_day(year: int, month: int, day: int) -> date:
    """As :func:`from_hijri`, but day 30 of a shorter month is its last day (29, or 28 in a few months of the
    oldest tables); any other missing day is refused."""
    try:
        return from_hijri(year, month, day)
    except NonexistentDateError:
        if day != 30 or not 1 <= month <= 12:
            raise
        try:
            return from_hijri(year, month, 29)
        except NonexistentDateError:
            return from_hijri(year, month, 28)


def count_ar(n: int, forms: tuple[str, str, str, str], digits: DigitStyle, *, feminine: bool = False) -> str:
    """A number with its noun in the agreement of Arabic grammar; ``forms`` = (singular, dual, plural,
    accusative singular), e.g. ("خطاب", "خطابان", "خطابات", "خطابًا"): خطاب واحد، خطابان، ٣ خطابات،
    ١١ خطابًا، ١٠٠ خطاب، ١٠٣ خطابات. A feminine noun takes «واحدة»: صفحة واحدة."""
    one, two, few, many = forms
    if n == 1:
        return f"{one} {'واحدة' if feminine else 'واحد'}"
    if n == 2:
        return two
    number = to_display_digits(str(n), digits)
    rest = n % 100
    if 3 <= rest <= 10:
        return f"{number} {few}"
    if 11 <= rest <= 99:
        return f"{number} {many}"
    return f"{number} {one}"


# --- characters no output can hold --------------------------------------------------------------------------


def is_unholdable(char: str) -> bool:
    """A character that no output file can hold: a lone surrogate, U+FFFE/U+FFFF or another non-character.

    XML (DOCX, XLSX) has no way to write them and UTF-8 cannot encode a surrogate, so they are refused where
    they come in rather than failing half-way through writing.
    """
    code = ord(char)
    return 0xD800 <= code <= 0xDFFF or 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def first_forbidden(s: str, allowed: str = "\t\n") -> str | None:
    """The first control character (other than ``allowed``) or unholdable character in ``s``, or None."""
    for char in s:
        code = ord(char)
        if (code < 0x20 or 0x7F <= code <= 0x9F) and char not in allowed:
            return char
        if code >= 0xD800 and is_unholdable(char):
            return char
    return None


# --- searching Arabic names ---------------------------------------------------------------------------------

# After decomposition (NFKD) the hamza and madda of أ إ آ ؤ ئ are combining marks, removed with the vowel marks:
# what is left are the letters a clerk might type for them. These fold the letters people swap when they write.
_SEARCH_LETTERS: Final = str.maketrans(
    {
        "\u0629": "\u0647",  # ة -> ه
        "\u0649": "\u064a",  # ى -> ي
        "\u06cc": "\u064a",  # Persian ی -> ي
        "\u06a9": "\u0643",  # Persian ک -> ك
        "\u06d5": "\u0647",  # ە -> ه
        "\u0671": "\u0627",  # ٱ (alef wasla) -> ا
    }
)
_COMPOUND_FIRST: Final = "\u0639\u0628\u062f"  # «عبد»: «عبد الله» and «عبدالله» are one name


def _fold_once(s: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", s).casefold())
    kept = [
        char
        for char in text
        if char != TATWEEL and unicodedata.category(char) not in ("Mn", "Me", "Cf") and char not in ZERO_WIDTH
    ]
    folded = to_ascii_digits("".join(kept).translate(_SEARCH_LETTERS))
    words = "".join(char if char.isalnum() else " " for char in folded).split()
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] == _COMPOUND_FIRST:
            joined[-1] += word
        else:
            joined.append(word)
    return " ".join(joined)


def search_form(s: str) -> str:
    """The form names, references and numbers are compared in when searching: vowel marks, tatweel and bidi
    marks gone; أ إ آ → ا, ة → ه, ى → ي; digits ASCII; Latin case folded; punctuation a space between words;
    «عبد الله» written as one word. Idempotent: ``search_form(search_form(s)) == search_form(s)``."""
    current = s
    for _ in range(4):  # one pass is enough for Arabic; a few exotic compatibility characters need a second
        folded = _fold_once(current)
        if folded == current:
            break
        current = folded
    return current


def search_words(s: str) -> list[str]:
    """The words of :func:`search_form`, for matching in any order."""
    return search_form(s).split()


def words_match(query: Sequence[str], words: Sequence[str]) -> bool:
    """Every word of the query is found among ``words``, in any order (first name and surname either way): a
    word matches one that begins with it, and a number of three digits or more matches inside a longer one (the
    end of a reference, a mobile without its leading 0)."""
    for wanted in query:
        if not any(
            word.startswith(wanted) or (len(wanted) >= 3 and wanted.isdigit() and wanted in word) for word in words
        ):
            return False
    return True
