"""Tests of generator.content.text: exact values for digits, isolation and dates, and properties over their ranges."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from generator.content.text import (
    ARABIC_INDIC_DIGITS,
    ASCII_DIGITS,
    BIDI_CONTROLS,
    LRI,
    MAX_DATE,
    MIN_DATE,
    PDI,
    PERSIAN_DIGITS,
    ZERO_WIDTH,
    Calendar,
    DateError,
    DateOutOfRangeError,
    DigitStyle,
    NonexistentDateError,
    UnreadableDateError,
    add_days,
    clean_name,
    format_dual,
    format_gregorian,
    format_hijri,
    format_hijri_long,
    from_hijri,
    hijri_month_name,
    isolate_html,
    isolate_plain,
    normalise_spaces,
    parse_date,
    strip_tatweel,
    to_ascii_digits,
    to_display_digits,
    to_hijri,
    today,
)
from generator.errors import UsageError

# Checked against the Umm al-Qura calendar: 1 Muharram 1446 and 1 Ramadan 1445 as announced in the Kingdom.
NEW_YEAR_1446 = date(2024, 7, 7)
RAMADAN_1445 = date(2024, 3, 11)
# 14 Jumada al-Akhirah 1448 (the brief said 04; hijridate and the month table both give 14).
SAMPLE = date(2026, 11, 24)
# 12 Jumada al-Ula 1448.
JUMADA_I_12 = date(2026, 10, 23)

supported_dates = st.dates(min_value=MIN_DATE, max_value=MAX_DATE)
digit_styles: st.SearchStrategy[DigitStyle] = st.sampled_from(("arabic", "latin"))
calendars: st.SearchStrategy[Calendar] = st.sampled_from(("hijri", "gregorian"))


# --- digits -------------------------------------------------------------------------------------------------


def test_digit_tables_are_ten_each() -> None:
    assert ASCII_DIGITS == "0123456789"
    assert len(ARABIC_INDIC_DIGITS) == len(PERSIAN_DIGITS) == 10


def test_to_ascii_digits_folds_both_eastern_forms() -> None:
    assert to_ascii_digits("١٢٣٤٥٦٧٨٩٠") == "1234567890"
    assert to_ascii_digits("۱۲۳۴۵۶۷۸۹۰") == "1234567890"
    assert to_ascii_digits("رقم ٠٥٠ و۵۵") == "رقم 050 و55"


def test_to_ascii_digits_folds_arabic_separators() -> None:
    assert to_ascii_digits("٣٫٥") == "3.5"
    assert to_ascii_digits("١٬٠٠٠") == "1,000"


def test_to_display_digits() -> None:
    assert to_display_digits("24/11/2026م", "arabic") == "٢٤/١١/٢٠٢٦م"
    assert to_display_digits("24/11/2026م", "latin") == "24/11/2026م"


@given(st.text(alphabet=st.characters(blacklist_characters=ARABIC_INDIC_DIGITS + PERSIAN_DIGITS + "٫٬")))
def test_display_then_ascii_round_trips(s: str) -> None:
    assert to_ascii_digits(to_display_digits(s, "arabic")) == s
    assert to_display_digits(s, "latin") == s


@given(st.text(alphabet=ARABIC_INDIC_DIGITS + "/- هـ"))
def test_ascii_then_display_round_trips(s: str) -> None:
    assert to_display_digits(to_ascii_digits(s), "arabic") == s


# --- isolation and normalisation ----------------------------------------------------------------------------


def test_isolate_plain() -> None:
    assert isolate_plain("REQ-1448-0007") == "\u2066REQ-1448-0007\u2069"
    assert (LRI, PDI) == ("\u2066", "\u2069")


def test_isolate_html_escapes_and_is_markup() -> None:
    result = isolate_html('<a href="x">&</a>')
    assert isinstance(result, Markup)
    assert result == '<bdi dir="ltr">&lt;a href=&#34;x&#34;&gt;&amp;&lt;/a&gt;</bdi>'


def test_control_sets() -> None:
    assert "\u200f" in BIDI_CONTROLS and "\u061c" in BIDI_CONTROLS and "\u202e" in BIDI_CONTROLS
    assert len(BIDI_CONTROLS) == 12
    assert frozenset("\u200b\u200c\u200d\u2060\ufeff") == ZERO_WIDTH


def test_strip_tatweel_and_clean_name() -> None:
    assert strip_tatweel("محمــــد") == "محمد"
    assert normalise_spaces("  عبد\u00a0 الله \t بن  ") == "عبد الله بن"
    assert clean_name(" عبـــد\u00a0\u00a0الرحمن  ") == "عبد الرحمن"


# --- dates --------------------------------------------------------------------------------------------------


def test_known_hijri_dates() -> None:
    assert to_hijri(NEW_YEAR_1446) == (1446, 1, 1)
    assert to_hijri(RAMADAN_1445) == (1445, 9, 1)
    assert to_hijri(SAMPLE) == (1448, 6, 14)
    assert from_hijri(1448, 6, 14) == SAMPLE
    assert type(from_hijri(1448, 6, 14)) is date


def test_supported_range() -> None:
    assert date(1924, 8, 1) == MIN_DATE
    assert date(2077, 11, 16) == MAX_DATE
    assert to_hijri(MIN_DATE) == (1343, 1, 1)


def test_from_hijri_refuses_missing_day() -> None:
    with pytest.raises(NonexistentDateError):
        from_hijri(1448, 6, 30)  # Jumada al-Akhirah 1448 has 29 days
    with pytest.raises(ValueError):
        from_hijri(1448, 13, 1)


def test_out_of_range_is_a_value_error() -> None:
    with pytest.raises(DateOutOfRangeError):
        from_hijri(1342, 12, 29)
    with pytest.raises(ValueError):
        to_hijri(date(1900, 1, 1))


def test_format_hijri_and_gregorian() -> None:
    assert format_hijri(JUMADA_I_12, "arabic") == "١٢/٠٥/١٤٤٨هـ"
    assert format_hijri(JUMADA_I_12, "latin") == "12/05/1448هـ"
    assert format_gregorian(SAMPLE, "arabic") == "٢٤/١١/٢٠٢٦م"
    assert format_gregorian(SAMPLE, "latin") == "24/11/2026م"


def test_format_dual_puts_the_policy_calendar_first() -> None:
    assert format_dual(SAMPLE, "hijri", "arabic") == "١٤/٠٦/١٤٤٨هـ الموافق ٢٤/١١/٢٠٢٦م"
    assert format_dual(SAMPLE, "gregorian", "latin") == "24/11/2026م الموافق 14/06/1448هـ"


def test_month_names_and_long_form() -> None:
    assert hijri_month_name(1) == "محرم"
    assert hijri_month_name(5) == "جمادى الأولى"
    assert hijri_month_name(12) == "ذو الحجة"
    assert format_hijri_long(JUMADA_I_12, "arabic") == "١٢ جمادى الأولى ١٤٤٨هـ"
    assert format_hijri_long(NEW_YEAR_1446, "latin") == "1 محرم 1446هـ"
    with pytest.raises(ValueError):
        hijri_month_name(0)


def test_add_days() -> None:
    assert add_days(SAMPLE, 14) == date(2026, 12, 8)
    assert add_days(SAMPLE, -24) == date(2026, 10, 31)


@pytest.mark.parametrize(
    ("text", "calendar"),
    [
        ("2026-11-24", "gregorian"),
        ("24/11/2026", "gregorian"),
        ("2026/11/24", "gregorian"),
        ("٢٤/١١/٢٠٢٦م", "hijri"),  # a Gregorian year wins over the calendar asked for
        (" ۲۴ / ۱۱ / ۲۰۲۶ م ", "gregorian"),
        ("1448-06-14", "hijri"),
        ("14/06/1448هـ", "gregorian"),  # a Hijri year wins too
        ("١٤/٦/١٤٤٨ هـ", "hijri"),
        ("١٤٤٨/٠٦/١٤ه", "hijri"),
        ("14-6-1448", "hijri"),
    ],
)
def test_parse_date_accepted_forms(text: str, calendar: Calendar) -> None:
    assert parse_date(text, calendar) == SAMPLE


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("31/02/2026", NonexistentDateError),
        ("30/06/1448", NonexistentDateError),
        ("2026-13-01", NonexistentDateError),
        ("1600-01-01", DateOutOfRangeError),
        ("01/01/1342", DateOutOfRangeError),
        ("01/01/1901", DateOutOfRangeError),  # Gregorian, but before the Umm al-Qura tables
        ("24/11/26", UnreadableDateError),  # two-digit year: 1426? 2026?
        ("tomorrow", UnreadableDateError),
        ("", UnreadableDateError),
        ("24/11/2026هـ", UnreadableDateError),  # marked Hijri, but a Gregorian year
    ],
)
def test_parse_date_refusals(text: str, error: type[DateError]) -> None:
    with pytest.raises(error):
        parse_date(text, "hijri")
    assert issubclass(error, ValueError)


@given(supported_dates)
def test_hijri_gregorian_round_trip(d: date) -> None:
    assert from_hijri(*to_hijri(d)) == d


@given(supported_dates, digit_styles, calendars)
def test_parse_of_formatted_gregorian(d: date, digits: DigitStyle, calendar: Calendar) -> None:
    assert parse_date(format_gregorian(d, digits), calendar) == d


@given(supported_dates, digit_styles, calendars)
def test_parse_of_formatted_hijri(d: date, digits: DigitStyle, calendar: Calendar) -> None:
    assert parse_date(format_hijri(d, digits), calendar) == d


@given(supported_dates)
def test_iso_text_parses_back(d: date) -> None:
    assert parse_date(d.isoformat(), "gregorian") == d


# --- today --------------------------------------------------------------------------------------------------


def test_today_is_the_system_day_unless_fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATHIQA_TODAY", raising=False)
    before = date.today()
    assert today() in (before, date.today())  # the system clock may cross midnight between the two reads
    monkeypatch.setenv("WATHIQA_TODAY", "2026-11-30")
    assert today() == date(2026, 11, 30)
    assert to_hijri(today()) == (1448, 6, 20)


@pytest.mark.parametrize("value", ["30/11/2026", "2026-02-30", "tomorrow"])
def test_a_bad_fixed_day_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("WATHIQA_TODAY", value)
    with pytest.raises(UsageError) as caught:
        today()
    assert str(caught.value) == f"WATHIQA_TODAY={value!r}: expected a date as YYYY-MM-DD"


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "خطاب واحد"), (2, "خطابان"), (3, "٣ خطابات"), (10, "١٠ خطابات"), (11, "١١ خطابًا"), (99, "٩٩ خطابًا"),
     (100, "١٠٠ خطاب"), (102, "١٠٢ خطاب"), (103, "١٠٣ خطابات"), (111, "١١١ خطابًا")],
)  # fmt: skip
def test_count_ar_agrees_number_and_noun(n: int, expected: str) -> None:
    from generator.content.text import count_ar

    assert count_ar(n, ("خطاب", "خطابان", "خطابات", "خطابًا"), "arabic") == expected


@given(st.integers(min_value=3, max_value=10_000))
def test_count_ar_prints_the_number_in_the_policy_digits(n: int) -> None:
    from generator.content.text import count_ar

    text = count_ar(n, ("طلب", "طلبان", "طلبات", "طلبًا"), "latin")
    assert text.split()[0] == str(n) and text.split()[1] in ("طلب", "طلبات", "طلبًا")
