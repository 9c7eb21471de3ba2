"""Field-level validators for case data: each returns the canonical value or raises :class:`FieldError`.

A value comes raw from YAML, a spreadsheet cell or the on-screen form, so it may be a str, an int, a date or
a list. The message is the Arabic sentence a clerk reads; the caller prefixes the field's label and wraps it
in a :class:`~generator.errors.DataError`. Pure functions, no I/O.

Empty input is the caller's concern (it knows whether the field is required): :func:`check_text` and
:func:`check_multi_choice` return ``""`` / ``[]`` for it, the others refuse it like any other wrong value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Final

from .text import (
    BIDI_CONTROLS,
    MAX_DATE,
    MAX_HIJRI_YEAR,
    MIN_DATE,
    MIN_HIJRI_YEAR,
    ZERO_WIDTH,
    Calendar,
    DateOutOfRangeError,
    NonexistentDateError,
    UnreadableDateError,
    from_hijri_last_day,
    is_unholdable,
    normalise_spaces,
    parse_date,
    to_ascii_digits,
    to_display_digits,
)

__all__ = [
    "MOBILE_DIGITS",
    "NATIONAL_ID_DIGITS",
    "WRITTEN_DIGITS",
    "FieldError",
    "check_choice",
    "check_date",
    "check_email",
    "check_mobile",
    "check_multi_choice",
    "check_national_id",
    "check_number",
    "check_text",
    "check_yes_no",
    "national_id_is_valid",
]


class FieldError(ValueError):
    """Raised when one field's value is wrong; ``message_ar`` is the Arabic sentence shown to the clerk."""

    def __init__(self, message_ar: str) -> None:
        super().__init__(message_ar)
        self.message_ar = message_ar


NATIONAL_ID_DIGITS: Final = 10
MOBILE_DIGITS: Final = 10
WRITTEN_DIGITS: Final = {"national_id": NATIONAL_ID_DIGITS, "mobile": MOBILE_DIGITS}
"""The digits of each field type whose value has a fixed length, as the validators accept it (a mobile in its
local form 05XXXXXXXX): the boxes a blank form gives to write it in."""


def _n(number: int) -> str:
    """A number inside a message, in the Arabic-Indic digits the rest of the sentence reads with."""
    return to_display_digits(str(number), "arabic")


# --- messages: every sentence a clerk can read, in one place ------------------------------------------------

_EXAMPLE_MOBILE: Final = to_display_digits("0501234567", "arabic")

MSG_NOT_TEXT: Final = "القيمة يجب أن تكون نصًا"
MSG_INVISIBLE: Final = (
    "النص يحتوي على محارف خفية (علامات اتجاه أو محارف صفرية العرض) غير مسموح بها؛"
    " يرجى حذفها أو إعادة كتابة النص"
)
MSG_CONTROL: Final = "النص يحتوي على محارف تحكم غير مسموح بها؛ يرجى حذفها أو إعادة كتابة النص"
MSG_UNHOLDABLE: Final = "النص يحتوي على محرف غير صالح لا يمكن طباعته ولا حفظه؛ يرجى إعادة كتابة النص"
MSG_TOO_MANY_DIGITS: Final = "الرقم أطول من أي قيمة مقبولة في هذا الحقل"
MSG_ONE_LINE: Final = "النص يجب أن يكون في سطر واحد، دون أسطر جديدة أو مسافات جدولة"
MSG_MARKUP: Final = "النص يحتوي على رموز قوالب أو وسوم HTML غير مسموح بها مثل {{ أو <؛ يرجى حذفها"
MSG_TOO_LONG: Final = "النص أطول من المسموح به: عدد أحرفه {length} والحد الأقصى {maximum}"
MSG_NATIONAL_ID_SHAPE: Final = (
    f"رقم الهوية يجب أن يتكون من {_n(NATIONAL_ID_DIGITS)} أرقام ويبدأ بالرقم {_n(1)} أو {_n(2)}"
)
MSG_NATIONAL_ID_CHECK: Final = "رقم الهوية غير صحيح؛ يرجى التأكد من الأرقام المدخلة"
MSG_MOBILE: Final = (
    f"رقم الجوال يجب أن يكون رقم جوال سعوديًا من {_n(MOBILE_DIGITS)} أرقام يبدأ بـ {_n(0)}{_n(5)}، مثل {_EXAMPLE_MOBILE}"
)
MSG_EMAIL: Final = "البريد الإلكتروني غير صحيح؛ المتوقع صيغة مثل name@example.com"
MSG_NOT_INTEGER: Final = f"القيمة يجب أن تكون عددًا صحيحًا، مثل {_n(12)}"
MSG_BELOW_MINIMUM: Final = "القيمة يجب ألا تقل عن {minimum}"
MSG_ABOVE_MAXIMUM: Final = "القيمة يجب ألا تزيد على {maximum}"
MSG_OUT_OF_BOUNDS: Final = "القيمة يجب أن تكون بين {minimum} و{maximum}"
MSG_DATE_UNREADABLE: Final = "التاريخ غير مقروء؛ المتوقع يوم/شهر/سنة مثل {hijri} أو {gregorian}".format(
    hijri=to_display_digits("14/06/1448هـ", "arabic"),
    gregorian=to_display_digits("24/11/2026م", "arabic"),
)
MSG_DATE_NONEXISTENT: Final = "هذا التاريخ غير موجود في التقويم؛ يرجى التأكد من اليوم والشهر"
MSG_DATE_OUT_OF_RANGE: Final = (
    f"التاريخ خارج النطاق المدعوم؛ المتوقع سنة هجرية بين {_n(MIN_HIJRI_YEAR)} و{_n(MAX_HIJRI_YEAR)}"
    f" أو ميلادية بين {_n(MIN_DATE.year)} و{_n(MAX_DATE.year)}"
)
MSG_CHOICE: Final = "الخيار {found} غير معروف؛ الخيارات المتاحة: {labels}"
MSG_CHOICES: Final = "الخيارات {found} غير معروفة؛ الخيارات المتاحة: {labels}"
MSG_YES_NO: Final = "القيمة يجب أن تكون «نعم» أو «لا»"


# --- shared helpers -----------------------------------------------------------------------------------------

_INVISIBLE: Final = BIDI_CONTROLS | ZERO_WIDTH
_LINE_BREAKS: Final = frozenset("\n\r\u2028\u2029\x0b\x0c\x85")
_MULTILINE_ALLOWED: Final = frozenset("\n\r\t")
# Jinja openers, and anything that starts an HTML tag, comment or processing instruction. A bare "<" between
# words (أ < ب) is not markup and stays allowed.
_MARKUP: Final = re.compile(r"\{[{%#]|<\s*[A-Za-z/!?]")
_QUOTE_LIMIT: Final = 40
_LONGEST_NUMBER: Final = 30
"""Digits of the longest number read as a number; beyond it a value is not a number a clerk typed (and Python
refuses to convert a string of more than 4,300 digits at all)."""


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in _LINE_BREAKS


def _without_invisibles(s: str) -> str:
    """Drop bidi marks and zero-width characters; only for values whose canonical form is plain ASCII.

    IDs and numbers copied from a PDF or a web page often carry an LRM around them; they cannot survive
    into the canonical value, so removing them costs nothing and spares the clerk a puzzle.
    """
    return "".join(char for char in s if char not in _INVISIBLE)


def _as_text(value: object) -> str:
    """A scalar as text; booleans and containers are refused because YAML turns «yes» into True.

    A lone surrogate or a non-character (U+FFFE, U+FFFF) is refused here, for every field type: no output
    (UTF-8, the XML of DOCX and XLSX) can hold one, so it must never get past validation.
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(MSG_NOT_TEXT)
    if isinstance(value, int):
        if abs(value) >= 10**_LONGEST_NUMBER:
            raise FieldError(MSG_TOO_MANY_DIGITS)
        return str(value)
    if any(is_unholdable(char) for char in value):
        raise FieldError(MSG_UNHOLDABLE)
    return value


def _quote(raw: str) -> str:
    """A value as quoted inside a message: visible characters only, and short."""
    shown = (c for c in raw if c not in _INVISIBLE and not _is_control(c) and not is_unholdable(c))
    visible = normalise_spaces("".join(shown))
    if len(visible) > _QUOTE_LIMIT:
        visible = visible[: _QUOTE_LIMIT - 1] + "…"
    return f"«{visible}»"


# --- free text ----------------------------------------------------------------------------------------------


def _refuse_hidden_characters(s: str, multiline: bool) -> None:
    if any(char in _INVISIBLE for char in s):
        raise FieldError(MSG_INVISIBLE)
    for char in s:
        if multiline and char in _MULTILINE_ALLOWED:
            continue
        if not multiline and (char in _LINE_BREAKS or char == "\t"):
            raise FieldError(MSG_ONE_LINE)
        if _is_control(char):
            raise FieldError(MSG_CONTROL)


def _tidy_lines(s: str) -> str:
    """Normalise each line, drop blank lines at the ends, keep at most one blank line between paragraphs."""
    lines = [normalise_spaces(line) for line in s.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip("\n")


def check_text(value: object, *, max_length: int = 200, multiline: bool = False) -> str:
    """Free text a clerk typed: refuse what could hide, reorder or inject, then tidy the spaces.

    Hidden bidi and zero-width characters are refused rather than removed: they can reverse what a printed
    line says, and silently dropping them could change a name. Template and tag syntax is refused because
    the value is printed through templates. Tatweel is kept (it is the writer's choice outside names).
    """
    text = unicodedata.normalize("NFC", _as_text(value))
    _refuse_hidden_characters(text, multiline)
    if _MARKUP.search(text):
        raise FieldError(MSG_MARKUP)
    cleaned = _tidy_lines(text) if multiline else normalise_spaces(text)
    if len(cleaned) > max_length:
        raise FieldError(MSG_TOO_LONG.format(length=_n(len(cleaned)), maximum=_n(max_length)))
    return cleaned


# --- identifiers --------------------------------------------------------------------------------------------

_ID_SEPARATORS: Final = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2212]+")
_NATIONAL_ID: Final = re.compile(rf"[12][0-9]{{{NATIONAL_ID_DIGITS - 1}}}")


def national_id_is_valid(digits: str) -> bool:
    """The Saudi ID check digit (a Luhn variant): digits at even positions doubled, digit sums added."""
    total = 0
    for index, char in enumerate(digits):
        digit = int(char)
        if index % 2 == 0:
            doubled = digit * 2
            total += doubled // 10 + doubled % 10
        else:
            total += digit
    return total % 10 == 0


def check_national_id(value: object) -> str:
    """A Saudi national ID (starts with 1) or iqama (starts with 2), returned as 10 ASCII digits."""
    digits = _ID_SEPARATORS.sub("", _without_invisibles(to_ascii_digits(_as_text(value))))
    if not _NATIONAL_ID.fullmatch(digits):
        raise FieldError(MSG_NATIONAL_ID_SHAPE)
    if not national_id_is_valid(digits):
        raise FieldError(MSG_NATIONAL_ID_CHECK)
    return digits


_PHONE_SEPARATORS: Final = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2212().]+")
_SAUDI_MOBILE: Final = re.compile(rf"(?:\+966|00966|966|0)?(?P<subscriber>5[0-9]{{{MOBILE_DIGITS - 2}}})")


def check_mobile(value: object) -> str:
    """A Saudi mobile in any usual writing (local, international, +966, 00966), returned as 05XXXXXXXX."""
    compact = _PHONE_SEPARATORS.sub("", _without_invisibles(to_ascii_digits(_as_text(value))))
    match = _SAUDI_MOBILE.fullmatch(compact)
    if match is None:
        raise FieldError(MSG_MOBILE)
    return "0" + match["subscriber"]


_EMAIL_LOCAL: Final = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_~-]+)*")
_EMAIL_DOMAIN: Final = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
)


def check_email(value: object) -> str:
    """A pragmatic e-mail check: one @, a dotted ASCII domain, no spaces; the domain is lower-cased.

    Full RFC 5322 would accept addresses no clerk types and every mail client rejects; braces and quotes
    are left out on purpose since the value is printed through templates.
    """
    text = normalise_spaces(_without_invisibles(_as_text(value)))
    local, at, domain = text.partition("@")
    if not at or not _EMAIL_LOCAL.fullmatch(local) or not _EMAIL_DOMAIN.fullmatch(domain):
        raise FieldError(MSG_EMAIL)
    return f"{local}@{domain.lower()}"


# --- numbers, dates, choices --------------------------------------------------------------------------------

_INTEGER: Final = re.compile(r"[+-]?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)")


def _integer_of(value: object) -> int:
    if isinstance(value, bool):
        raise FieldError(MSG_NOT_INTEGER)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if abs(value) >= 10**_LONGEST_NUMBER:
            raise FieldError(MSG_TOO_MANY_DIGITS)
        return value
    if not isinstance(value, str):
        raise FieldError(MSG_NOT_INTEGER)
    text = re.sub(r"\s+", "", _without_invisibles(to_ascii_digits(value)))
    if not _INTEGER.fullmatch(text):
        raise FieldError(MSG_NOT_INTEGER)
    if len(text.replace(",", "").lstrip("+-")) > _LONGEST_NUMBER:
        raise FieldError(MSG_TOO_MANY_DIGITS)
    return int(text.replace(",", ""))


def _check_bounds(number: int, minimum: int | None, maximum: int | None) -> None:
    too_low = minimum is not None and number < minimum
    too_high = maximum is not None and number > maximum
    if not (too_low or too_high):
        return
    if minimum is not None and maximum is not None:
        raise FieldError(MSG_OUT_OF_BOUNDS.format(minimum=_n(minimum), maximum=_n(maximum)))
    if minimum is not None:
        raise FieldError(MSG_BELOW_MINIMUM.format(minimum=_n(minimum)))
    raise FieldError(MSG_ABOVE_MAXIMUM.format(maximum=_n(maximum or 0)))


def check_number(value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number in any digit form («١٢», "12", "1,200"), within the bounds when given."""
    number = _integer_of(value)
    _check_bounds(number, minimum, maximum)
    return number


def _date_of_object(value: date) -> date:
    """A date YAML already parsed. YAML reads ``1448-06-14`` as a Gregorian date of year 1448; that is a Hijri
    date written in ISO form, so it is converted rather than refused."""
    plain = value.date() if isinstance(value, datetime) else value
    if MIN_HIJRI_YEAR <= plain.year <= MAX_HIJRI_YEAR:
        return from_hijri_last_day(plain.year, plain.month, plain.day)
    if not MIN_DATE <= plain <= MAX_DATE:
        raise DateOutOfRangeError(plain.isoformat())
    return plain


def check_date(value: object, calendar: Calendar) -> date:
    """A date in either calendar and any digit form (see :func:`generator.text.parse_date`), as Gregorian; a Hijri
    day 30 in a month of 29 days is that month's last day."""
    try:
        if isinstance(value, date):
            return _date_of_object(value)
        if isinstance(value, str):
            return parse_date(value, calendar, thirtieth_is_last=True)
    except NonexistentDateError as err:
        raise FieldError(MSG_DATE_NONEXISTENT) from err
    except DateOutOfRangeError as err:
        raise FieldError(MSG_DATE_OUT_OF_RANGE) from err
    except UnreadableDateError as err:
        raise FieldError(MSG_DATE_UNREADABLE) from err
    raise FieldError(MSG_DATE_UNREADABLE)


def _labels(allowed: Mapping[str, str]) -> str:
    return "، ".join(allowed.values())


def option_id(text: str, allowed: Mapping[str, str]) -> str | None:
    """The id an option is known by, whether the clerk typed the id or the Arabic label."""
    wanted = normalise_spaces(text)
    if wanted in allowed:
        return wanted
    for option_id, label in allowed.items():
        if normalise_spaces(label) == wanted:
            return option_id
    return None


def check_choice(value: object, allowed: Mapping[str, str]) -> str:
    """One option of a policy list, by id or by its exact label; the id is what gets stored."""
    text = _as_text(value)
    found = option_id(text, allowed)
    if found is None:
        raise FieldError(MSG_CHOICE.format(found=_quote(text), labels=_labels(allowed)))
    return found


_LIST_SEPARATORS: Final = re.compile(r"[,،]")


def _items_of(value: object, allowed: Mapping[str, str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        # A label may itself hold a comma; the whole text naming one option wins over splitting it.
        if option_id(value, allowed) is not None:
            return [value]
        return [part for part in _LIST_SEPARATORS.split(value) if normalise_spaces(part)]
    if isinstance(value, list | tuple):
        return [_as_text(item) for item in value if normalise_spaces(_as_text(item))]
    raise FieldError(MSG_CHOICE.format(found=_quote(str(value)), labels=_labels(allowed)))


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def check_multi_choice(value: object, allowed: Mapping[str, str]) -> list[str]:
    """Several options, as a list or a text split on «،» or ","; ids in first-seen order, no duplicates."""
    items = _items_of(value, allowed)
    found = [(item, option_id(item, allowed)) for item in items]
    unknown = [item for item, option_id in found if option_id is None]
    if len(unknown) == 1:
        raise FieldError(MSG_CHOICE.format(found=_quote(unknown[0]), labels=_labels(allowed)))
    if unknown:
        quoted = "، ".join(_quote(item) for item in unknown)
        raise FieldError(MSG_CHOICES.format(found=quoted, labels=_labels(allowed)))
    return _unique(option_id for _, option_id in found if option_id is not None)


_YES: Final = frozenset({"true", "yes", "نعم", "1"})
_NO: Final = frozenset({"false", "no", "لا", "0"})


def check_yes_no(value: object) -> bool:
    """A yes/no answer as YAML, a spreadsheet (TRUE, 1) or a clerk («نعم») writes it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        word = normalise_spaces(to_ascii_digits(_without_invisibles(value))).casefold()
        if word in _YES:
            return True
        if word in _NO:
            return False
    raise FieldError(MSG_YES_NO)
