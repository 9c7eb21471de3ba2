"""Searching Arabic names (generator.content.text.search_form, words_match): the spellings clerks type for one
name compare equal; properties checked with hypothesis, spellings one by one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.content.text import search_form, search_words, words_match

ARABIC_LETTERS = st.characters(min_codepoint=0x0621, max_codepoint=0x064A)
TEXT = st.text(
    alphabet=st.one_of(ARABIC_LETTERS, st.sampled_from(" -/0123456789٠١٢٣٤٥٦٧٨٩ABCxyzـ\u200f\u2066\u2069")),
    max_size=40,
)
ANY_TEXT = st.text(max_size=40)
MARKS = st.sampled_from(["\u064b", "\u064c", "\u064d", "\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0670", "ـ"])


@given(ANY_TEXT)
def test_folding_twice_is_folding_once(text: str) -> None:
    assert search_form(search_form(text)) == search_form(text)


@given(TEXT, st.lists(st.tuples(st.integers(min_value=0), MARKS), max_size=6))
def test_vowel_marks_and_tatweel_anywhere_change_nothing(text: str, inserts: list[tuple[int, str]]) -> None:
    marked = text
    for position, mark in inserts:
        at = position % (len(marked) + 1)
        marked = marked[:at] + mark + marked[at:]
    assert search_form(marked) == search_form(text)


@given(TEXT)
def test_hamza_forms_of_alef_fold_to_bare_alef(text: str) -> None:
    for alef in "أإآ":
        assert search_form(text.replace("ا", alef)) == search_form(text)


@given(st.lists(st.text(alphabet=ARABIC_LETTERS, min_size=1, max_size=8), min_size=1, max_size=4))
def test_words_are_found_in_any_order(words: list[str]) -> None:
    name = " ".join(words)
    assert words_match(search_words(" ".join(reversed(words))), search_words(name))


@given(ANY_TEXT)
def test_a_folded_text_has_single_spaces_and_no_marks(text: str) -> None:
    folded = search_form(text)
    assert folded == folded.strip() and "  " not in folded
    assert not set(folded) & set("\u064b\u064e\u0651\u0670ـ\u200f\u2066")


@pytest.mark.parametrize(
    ("typed", "recorded"),
    [
        ("عبد الله", "عبدالله محمد"),
        ("عبدالله", "عبد الله محمد"),
        ("عبد   الرحمن", "عبدالرحمن السبيعي"),
        ("احمد", "أحمد سعيد"),
        ("ابراهيم", "إبراهيم"),
        ("امنه", "آمنة"),
        ("فاطمه", "فاطمة الزهراني"),
        ("مصطفي", "مصطفى"),
        ("محمد", "مُحَمَّد"),
        ("محمد", "محـــمد"),
        ("القحطاني عبدالله", "عبدالله محمد أحمد القحطاني"),
        ("نوره العتيبي", "نورة سعد العتيبي"),
        ("١٠٠٠٠٠٠٠٠٨", "1000000008"),
        ("501234567", "0501234567"),
        ("00012", "REQ-1448-00012"),
        ("req-1448-00012", "REQ-1448-00012"),
    ],
)
def test_spellings_of_one_name_match(typed: str, recorded: str) -> None:
    assert words_match(search_words(typed), search_words(recorded))


@pytest.mark.parametrize(
    ("typed", "recorded"),
    [
        ("خالد", "عبدالله محمد"),
        ("عبدالله القحطاني", "عبدالله محمد الشهري"),  # every word must be found
        ("12", "REQ-1448-00012"),  # two digits are too few to search inside a number
    ],
)
def test_other_names_do_not_match(typed: str, recorded: str) -> None:
    assert not words_match(search_words(typed), search_words(recorded))
