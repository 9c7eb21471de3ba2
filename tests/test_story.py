"""The story of a case (generator.workflow.story): what happened to it, in order, read from the register row, the
case folder, the audit trail and the other registers."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import generator as api
from generator.workflow.amend import open_case
from generator.workflow.story import case_story
from tests.web_helpers import PROJECT, example_values

DAY = date(2026, 12, 3)


def kinds(out: Path, reference: str, today: date) -> list[str]:
    return [e.kind for e in case_story(PROJECT, out, open_case(PROJECT, out, reference), today)]


def test_the_story_of_a_case_from_receipt_to_the_reply(tmp_path: Path) -> None:
    out = tmp_path / "out"
    reference = api.issue(PROJECT, "application", example_values(), out, today=DAY).reference
    assert kinds(out, reference, DAY) == ["received", "issued", "acknowledged", "waiting"]
    assert kinds(out, reference, DAY + timedelta(days=14))[-1] == "due"

    api.set_case_status(PROJECT, out, reference, "under_review", "أُحيل إلى اللجنة", by="arch1")
    api.correct_case(PROJECT, out, reference, example_values(city="جدة"), by="clerk1", reason="المدينة خطأ")
    api.record_decision(PROJECT, out, reference, "accepted", early_reason="ملف مكتمل", today=DAY + timedelta(days=2))
    api.decide(PROJECT, out, today=DAY + timedelta(days=2))
    story = case_story(PROJECT, out, open_case(PROJECT, out, reference), DAY + timedelta(days=3))
    assert [e.kind for e in story] == [
        "received", "issued", "acknowledged", "status", "correct", "decided", "letter",
    ]  # fmt: skip
    by_kind = {e.kind: e for e in story}
    assert (by_kind["status"].link, by_kind["status"].detail) == ("under_review", "أُحيل إلى اللجنة")
    assert by_kind["status"].by == "arch1"
    assert by_kind["correct"].detail == "المدينة خطأ" and by_kind["correct"].link == "v1"
    assert by_kind["decided"].day == DAY + timedelta(days=2) and "ملف مكتمل" in by_kind["decided"].detail
    assert by_kind["letter"].detail.startswith("OUT-") and by_kind["letter"].link.endswith("-decision-accept.pdf")


def test_another_case_of_the_same_person_is_in_the_story(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = api.issue(PROJECT, "application", example_values(), out, today=DAY).reference
    second = api.issue(PROJECT, "application", example_values(), out, today=DAY + timedelta(days=1)).reference
    story = case_story(PROJECT, out, open_case(PROJECT, out, first), DAY + timedelta(days=1))
    assert [(e.kind, e.link) for e in story if e.kind == "related"] == [("related", second)]
    api.void_case(PROJECT, out, second, "طلب مكرر", by="arch1")
    assert "void" in kinds(out, second, DAY + timedelta(days=2))
    assert "waiting" not in kinds(out, second, DAY + timedelta(days=2))
