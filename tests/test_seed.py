"""The whole seed policy is in policy.yml: every channel, tool, step and goal, and the 14-day standard.

The seed is a text extracted from the association's PDF, so its words are sometimes split or out of order.
Each check therefore counts the seed's own markers (numbers, bullets, dashes) for how many items a list has,
and compares words (letters normalised) for what each item says.
"""

from __future__ import annotations

import re

import pytest

from generator.config.project import load_project
from tests.needs import SEED_NAME, require, seed_dir
from tests.project_fixture import ROOT

SEED = seed_dir() / SEED_NAME


@pytest.fixture(autouse=True)
def seed_present() -> None:
    require(SEED.is_file(), f"the seed policy is not beside the repository ({SEED})")

_DIACRITICS = re.compile(r"[\u064b-\u0652\u0640]")
_STOP = {"في", "من", "على", "الى", "عن", "او", "مع", "ما", "لا", "التي", "الذي", "ذلك", "خلال", "بما", "وذلك"}


def _norm(text: str) -> str:
    text = _DIACRITICS.sub("", text)
    text = re.sub("[أإآ]", "ا", text).replace("ى", "ي").replace("ة", "ه").replace("ؤ", "و").replace("ئ", "ي")
    return text


def _words(text: str) -> set[str]:
    words = set()
    for word in re.findall(r"[\u0621-\u064a]+", _norm(text)):
        word = re.sub(r"^(و|ب|ل|ف)?(ال)", "", word) if len(word) > 4 else word
        if len(word) >= 3 and word not in _STOP:
            words.add(word)
    return words


def _section(start: str, end: str | None) -> str:
    text = SEED.read_text(encoding="utf-8")
    i = text.index(start)
    return text[i : text.index(end, i)] if end else text[i:]


def _covered(label: str, section: str, share: float = 0.75) -> bool:
    mine = _words(label)
    return bool(mine) and len(mine & _words(section)) / len(mine) >= share


@pytest.fixture(scope="module")
def policy():  # type: ignore[no-untyped-def]
    return load_project(ROOT / "policies" / "policy.yml").policy


def test_eight_channels(policy) -> None:  # type: ignore[no-untyped-def]
    section = _section("القنوات المستخدمة", "الأدوات المتاحة")
    numbers = sorted({int(n) for n in re.findall(r"-\s*(\d)", section)})
    items = policy.lists["channels"].items
    assert numbers == list(range(1, 9))
    assert len(items) == len(numbers) == 8
    for item in items:  # «مشرفو» in the list stands for the seed's «مشرفي» in its sentence: 2 of 3 words
        assert _covered(item.label, section, 0.66), item.label


def test_three_reference_tools(policy) -> None:  # type: ignore[no-untyped-def]
    section = _section("الأدوات المتاحة", "ويتم التعامل")
    items = policy.lists["reference_tools"].items
    assert len(items) == section.count("•") == 3
    for item in items:
        assert _covered(item.label, section), item.label


def test_seven_steps_in_order(policy) -> None:  # type: ignore[no-untyped-def]
    section = _section("بالشكل التالي", None)
    dashes = re.findall(r"(?m)(?:^|\s)-(?=\s|$)", section)
    assert len(policy.procedure) == len(dashes) == 7
    for step in policy.procedure:
        assert _covered(step.text, section, 0.7), step.text
    assert "أسبوعين" in policy.procedure[4].text


def test_detailed_goals_and_the_means(policy) -> None:  # type: ignore[no-untyped-def]
    section = _section("الأهداف التفصيلية", "القنوات المستخدمة")
    assert len(policy.goals.detailed) == section.count("•") == 6
    for goal in [*policy.goals.detailed, *policy.goals.service_means]:
        assert _covered(goal, section, 0.7), goal
    assert len(policy.goals.service_means) == 5
    assert any("لا للعقاب والتشهير" in means for means in policy.goals.service_means)


def test_general_goal_and_preamble(policy) -> None:  # type: ignore[no-untyped-def]
    assert _covered(policy.goals.general, _section("الهدف العام", "الأهداف التفصيلية"), 0.8)
    assert _covered(policy.preamble, _section("تمهيد", "الهدف العام"), 0.8)


def test_fourteen_day_standard(policy) -> None:  # type: ignore[no-untyped-def]
    seed = SEED.read_text(encoding="utf-8")
    assert "لا تقل عن أسبوعين" in re.sub(r"\s+", " ", seed)
    assert policy.service_standard.reply_min_days == 14
    assert "لا تقل عن أسبوعين" in policy.service_standard.statement


def test_signatory_roles_of_the_seed(policy) -> None:  # type: ignore[no-untyped-def]
    titles = {s.title for s in policy.signatories.values()}
    assert {"موظف علاقات المستفيدين", "مسؤول الشؤون التعليمية"} <= titles


def test_placeholders_are_obvious(policy) -> None:  # type: ignore[no-untyped-def]
    a = policy.association
    assert "[" in a.name and "]" in a.name
    assert a.licence_number == "0000"
    assert a.email.endswith("example.org")
    assert all(s.name.startswith("[") for s in policy.signatories.values())

