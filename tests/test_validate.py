"""Tests of generator.content.validate: canonical values, the exact Arabic messages, and properties over inputs."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.content.text import ARABIC_INDIC_DIGITS, ASCII_DIGITS, BIDI_CONTROLS, PERSIAN_DIGITS, ZERO_WIDTH
from generator.content.validate import (
    FieldError,
    check_choice,
    check_date,
    check_email,
    check_mobile,
    check_multi_choice,
    check_national_id,
    check_number,
    check_text,
    check_yes_no,
    national_id_is_valid,
)

ID_SHAPE = "رقم الهوية يجب أن يتكون من ١٠ أرقام ويبدأ بالرقم ١ أو ٢"
ID_CHECK = "رقم الهوية غير صحيح؛ يرجى التأكد من الأرقام المدخلة"
MOBILE = "رقم الجوال يجب أن يكون رقم جوال سعوديًا من ١٠ أرقام يبدأ بـ ٠٥، مثل ٠٥٠١٢٣٤٥٦٧"
INVISIBLE = (
    "النص يحتوي على محارف خفية (علامات اتجاه أو محارف صفرية العرض) غير مسموح بها؛"
    " يرجى حذفها أو إعادة كتابة النص"
)
MARKUP = "النص يحتوي على رموز قوالب أو وسوم HTML غير مسموح بها مثل {{ أو <؛ يرجى حذفها"
DATE_NONEXISTENT = "هذا التاريخ غير موجود في التقويم؛ يرجى التأكد من اليوم والشهر"

CHANNELS = {"phone": "الهاتف", "email": "البريد الإلكتروني", "visit": "زيارة المقر"}
SAMPLE = date(2026, 11, 24)  # 14/06/1448 AH


def message_of(call: object, *args: object, **kwargs: object) -> str:
    assert callable(call)
    with pytest.raises(FieldError) as info:
        call(*args, **kwargs)
    assert str(info.value) == info.value.message_ar
    return info.value.message_ar


# --- oracles and strategies, written independently of the module under test ---------------------------------


def with_check_digit(prefix: str) -> str:
    """Complete 9 digits into a valid ID: the 10th digit (odd index) is added as is, so it closes the sum."""
    total = 0
    for index, char in enumerate(prefix):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value // 10 + value % 10
    return prefix + str(-total % 10)


valid_ids = st.builds(
    lambda first, rest: with_check_digit(first + rest),
    st.sampled_from("12"),
    st.text(alphabet=ASCII_DIGITS, min_size=8, max_size=8),
)
digit_forms = st.sampled_from([ASCII_DIGITS, ARABIC_INDIC_DIGITS, PERSIAN_DIGITS])
subscribers = st.text(alphabet=ASCII_DIGITS, min_size=8, max_size=8).map(lambda rest: "5" + rest)
invisibles = st.sampled_from(sorted(BIDI_CONTROLS | ZERO_WIDTH))


def in_digits(s: str, table: str) -> str:
    return s.translate(str.maketrans(ASCII_DIGITS, table))


@st.composite
def scattered(draw: st.DrawFn, s: str, separators: str) -> str:
    """s with separators inserted at random places, in a random digit form for each character."""
    out = []
    for char in s:
        out.append(in_digits(char, draw(digit_forms)))
        if draw(st.booleans()):
            out.append(draw(st.text(alphabet=separators, min_size=1, max_size=2)))
    return "".join(out)


# --- text ---------------------------------------------------------------------------------------------------


def test_check_text_tidies_spaces_and_keeps_tatweel() -> None:
    assert check_text("  جمعية\u00a0\u00a0تحفيظ   القرآن ") == "جمعية تحفيظ القرآن"
    assert check_text("محمــد") == "محمــد"
    assert check_text("   ") == ""
    assert check_text(None) == ""
    assert check_text(42) == "42"
    assert check_text("أ < ب") == "أ < ب"


def test_check_text_multiline() -> None:
    raw = "  السطر الأول \r\n\r\n\r\n\tالسطر الثاني  \n"
    assert check_text(raw, multiline=True) == "السطر الأول\n\nالسطر الثاني"


def test_check_text_refusals() -> None:
    assert (
        message_of(check_text, "سطر\nثان") == "النص يجب أن يكون في سطر واحد، دون أسطر جديدة أو مسافات جدولة"
    )
    assert (
        message_of(check_text, "عمود\tثان") == "النص يجب أن يكون في سطر واحد، دون أسطر جديدة أو مسافات جدولة"
    )
    assert (
        message_of(check_text, "جرس\x07")
        == "النص يحتوي على محارف تحكم غير مسموح بها؛ يرجى حذفها أو إعادة كتابة النص"
    )
    control = "النص يحتوي على محارف تحكم غير مسموح بها؛ يرجى حذفها أو إعادة كتابة النص"
    assert message_of(check_text, "C1\x85", multiline=True) == control
    assert message_of(check_text, "فاصل\u2028أسطر", multiline=True) == control
    assert (
        message_of(check_text, "فاصل\u2028أسطر")
        == "النص يجب أن يكون في سطر واحد، دون أسطر جديدة أو مسافات جدولة"
    )
    assert message_of(check_text, "اسم\u202eمعكوس") == INVISIBLE
    assert (
        message_of(check_text, "أ" * 11, max_length=10)
        == "النص أطول من المسموح به: عدد أحرفه ١١ والحد الأقصى ١٠"
    )
    assert message_of(check_text, True) == "القيمة يجب أن تكون نصًا"


@pytest.mark.parametrize(
    "text",
    [
        "{{ 7*7 }}",
        "{% for x in y %}",
        "{# hidden #}",
        "<img src=x onerror=alert(1)>",
        "<script>",
        "أ</p>",
        "< svg>",
    ],
)
def test_check_text_refuses_markup(text: str) -> None:
    assert message_of(check_text, text) == MARKUP


@given(
    st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهوي ", min_size=1, max_size=40),
    invisibles,
    st.integers(min_value=0),
    st.booleans(),
)
def test_any_hidden_character_anywhere_is_refused(text: str, char: str, where: int, multiline: bool) -> None:
    position = where % (len(text) + 1)
    check_text(text, multiline=multiline)  # valid without it
    assert message_of(check_text, text[:position] + char + text[position:], multiline=multiline) == INVISIBLE


# --- national ID --------------------------------------------------------------------------------------------


def test_national_id_exact() -> None:
    assert check_national_id("1000000008") == "1000000008"
    assert check_national_id(" ١٠٠٠-٠٠٠-٠٠٨ ") == "1000000008"
    assert check_national_id(1000000008) == "1000000008"
    assert check_national_id("\u200e2000000006\u200e") == "2000000006"  # copied from a PDF with LRMs


@pytest.mark.parametrize("raw", ["", "100000000", "10000000081", "3000000004", "10000000O8", "٠٠٠٠٠٠٠٠٠٠"])
def test_national_id_shape_message(raw: str) -> None:
    assert message_of(check_national_id, raw) == ID_SHAPE


def test_national_id_check_digit_message() -> None:
    assert message_of(check_national_id, "1000000009") == ID_CHECK


@given(valid_ids, st.data())
def test_any_digit_form_of_a_valid_id_gives_the_same_id(national_id: str, data: st.DataObject) -> None:
    written = data.draw(scattered(national_id, " -"))
    assert check_national_id(written) == national_id
    assert national_id_is_valid(national_id)


@given(valid_ids, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_invalidates_an_id(national_id: str, index: int, shift: int) -> None:
    changed = str((int(national_id[index]) + shift) % 10)
    mutated = national_id[:index] + changed + national_id[index + 1 :]
    assert message_of(check_national_id, mutated) in (ID_SHAPE, ID_CHECK)


# --- mobile -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "0501234567",
        "501234567",
        "+966501234567",
        "00966501234567",
        "966501234567",
        "+966 (50) 123-4567",
        "٠٥٠ ١٢٣ ٤٥٦٧",
        "۰۵۰۱۲۳۴۵۶۷",
        501234567,
    ],
)
def test_mobile_accepted_forms(raw: object) -> None:
    assert check_mobile(raw) == "0501234567"


@pytest.mark.parametrize(
    "raw", ["", "0401234567", "050123456", "05012345678", "+96605012345678", "+971501234567", "05O1234567"]
)
def test_mobile_refusals(raw: str) -> None:
    assert message_of(check_mobile, raw) == MOBILE


@given(subscribers, st.sampled_from(["0", "", "+966", "00966", "966"]), st.data())
def test_every_mobile_form_gives_one_canonical_value(
    subscriber: str, prefix: str, data: st.DataObject
) -> None:
    written = data.draw(scattered(prefix + subscriber, " -()"))
    canonical = check_mobile(written)
    assert canonical == "0" + subscriber
    assert check_mobile(canonical) == canonical


# --- e-mail, numbers ----------------------------------------------------------------------------------------


def test_email() -> None:
    assert check_email(" Sara.Ali+forms@Example.ORG.sa ") == "Sara.Ali+forms@example.org.sa"
    expected = "البريد الإلكتروني غير صحيح؛ المتوقع صيغة مثل name@example.com"
    for bad in [
        "",
        "sara",
        "sara@",
        "@example.com",
        "sara@example",
        "sa ra@example.com",
        "a@b@c.com",
        "سارة@example.com",
        "sara@exa_mple.com",
        "sara..ali@example.com",
        "{{x}}@example.com",
    ]:
        assert message_of(check_email, bad) == expected, bad


def test_number() -> None:
    assert check_number("١٢") == 12
    assert check_number(" ۲۵ ") == 25
    assert check_number(30) == 30
    assert check_number(30.0) == 30
    assert check_number("١٬٢٠٠") == 1200
    assert check_number("1,200") == 1200
    assert check_number("-3") == -3


@pytest.mark.parametrize("raw", ["", "3.5", "١٢أ", "1,20", True, None, 2.5])
def test_number_refusals(raw: object) -> None:
    assert message_of(check_number, raw) == "القيمة يجب أن تكون عددًا صحيحًا، مثل ١٢"


def test_number_bounds() -> None:
    assert message_of(check_number, "5", minimum=10) == "القيمة يجب ألا تقل عن ١٠"
    assert message_of(check_number, "500", maximum=100) == "القيمة يجب ألا تزيد على ١٠٠"
    assert message_of(check_number, "0", minimum=1, maximum=40) == "القيمة يجب أن تكون بين ١ و٤٠"
    assert check_number("40", minimum=1, maximum=40) == 40


@given(st.integers(min_value=0, max_value=10**12), digit_forms)
def test_number_in_any_digit_form(number: int, table: str) -> None:
    assert check_number(in_digits(str(number), table)) == number


# --- dates --------------------------------------------------------------------------------------------------


def test_date() -> None:
    assert check_date("١٤/٠٦/١٤٤٨هـ", "hijri") == SAMPLE
    assert check_date("24/11/2026", "hijri") == SAMPLE
    assert check_date(SAMPLE, "hijri") == SAMPLE
    assert check_date(datetime(2026, 11, 24, 9, 30), "gregorian") == SAMPLE
    # YAML reads an unquoted 1448-06-14 as a date of year 1448: it is a Hijri date in ISO form.
    assert check_date(date(1448, 6, 14), "hijri") == SAMPLE


def test_date_messages() -> None:
    assert message_of(check_date, "31/02/2026", "gregorian") == DATE_NONEXISTENT
    assert message_of(check_date, "31/06/1448", "hijri") == DATE_NONEXISTENT
    unreadable = "التاريخ غير مقروء؛ المتوقع يوم/شهر/سنة مثل ١٤/٠٦/١٤٤٨هـ أو ٢٤/١١/٢٠٢٦م"
    assert message_of(check_date, "الأحد", "hijri") == unreadable
    assert message_of(check_date, 20261124, "hijri") == unreadable
    out_of_range = "التاريخ خارج النطاق المدعوم؛ المتوقع سنة هجرية بين ١٣٤٣ و١٥٠٠ أو ميلادية بين ١٩٢٤ و٢٠٧٧"
    assert message_of(check_date, "01/01/1700", "gregorian") == out_of_range
    assert message_of(check_date, date(2090, 1, 1), "gregorian") == out_of_range


# --- choices ------------------------------------------------------------------------------------------------


def test_choice_by_id_or_label() -> None:
    assert check_choice("phone", CHANNELS) == "phone"
    assert check_choice("  البريد   الإلكتروني ", CHANNELS) == "email"


def test_choice_message_lists_the_labels() -> None:
    assert message_of(check_choice, "فاكس", CHANNELS) == (
        "الخيار «فاكس» غير معروف؛ الخيارات المتاحة: الهاتف، البريد الإلكتروني، زيارة المقر"
    )


def test_multi_choice() -> None:
    assert check_multi_choice("الهاتف، visit ,phone", CHANNELS) == ["phone", "visit"]
    assert check_multi_choice(["email", "الهاتف", "email"], CHANNELS) == ["email", "phone"]
    assert check_multi_choice("", CHANNELS) == []
    assert check_multi_choice(None, CHANNELS) == []
    assert check_multi_choice("أ، ب", {"ab": "أ، ب", "c": "ج"}) == ["ab"]  # a label holding a comma


def test_multi_choice_lists_every_unknown_item() -> None:
    assert message_of(check_multi_choice, "فاكس، الهاتف، برقية", CHANNELS) == (
        "الخيارات «فاكس»، «برقية» غير معروفة؛ الخيارات المتاحة: الهاتف، البريد الإلكتروني، زيارة المقر"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        ("نعم", True),
        (" لا ", False),
        ("YES", True),
        ("no", False),
        ("True", True),
        ("FALSE", False),
        (1, True),
        (0, False),
        ("١", True),
    ],
)
def test_yes_no(raw: object, expected: bool) -> None:
    assert check_yes_no(raw) is expected


@pytest.mark.parametrize("raw", ["", "ربما", 2, None])
def test_yes_no_refusals(raw: object) -> None:
    assert message_of(check_yes_no, raw) == "القيمة يجب أن تكون «نعم» أو «لا»"


def test_a_thirtieth_in_a_29_day_hijri_month_is_its_last_day() -> None:
    # Jumada al-Akhirah 1448 has 29 days: a clerk who types 30 means its last day
    assert check_date("30/06/1448", "hijri") == check_date("29/06/1448", "hijri")
    assert check_date("١٤٤٨-٠٦-٣٠", "hijri") == check_date("1448-06-29", "hijri")
    assert check_date(date(1448, 6, 30), "hijri") == check_date("29/06/1448", "hijri")


def _exists(year: int, month: int, day: int) -> bool:
    from generator.content.text import from_hijri

    try:
        from_hijri(year, month, day)
    except ValueError:
        return False
    return True


@given(year=st.integers(min_value=1343, max_value=1500), month=st.integers(min_value=1, max_value=12))
def test_any_hijri_day_30_is_that_month_or_its_last_day(year: int, month: int) -> None:
    from generator.content.text import from_hijri, to_hijri

    thirtieth = check_date(f"30/{month:02d}/{year}", "hijri")
    assert to_hijri(thirtieth)[:2] == (year, month)  # never spills into the next month
    last = next(day for day in (30, 29, 28) if _exists(year, month, day))
    assert thirtieth == from_hijri(year, month, last)
    assert message_of(check_date, f"31/{month:02d}/{year}", "hijri") == DATE_NONEXISTENT
