"""The reply standard (generator.workflow.timing): the earliest reply date, days waited, early decisions (a reason,
or a refusal when the policy says so), and the report's honest count of early decisions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import generator as api
from generator.config.project import load_project
from generator.workflow.timing import check_early_decision, reply_timing
from tests.project_fixture import copy_project, edit
from tests.web_helpers import PROJECT, example_values

RECEIVED = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("today", "waited", "early", "overdue"),
    [
        (RECEIVED, 0, True, False),
        (date(2026, 12, 16), 13, True, False),  # the 13th day: still early
        (date(2026, 12, 17), 14, False, True),  # the 14th day: the earliest reply date
        (date(2027, 1, 30), 58, False, True),
    ],
)
def test_the_earliest_reply_date_is_the_policys_days_after_receipt(
    today: date, waited: int, early: bool, overdue: bool
) -> None:
    timing = reply_timing(PROJECT, "requests", {"received_on": RECEIVED}, today)
    assert timing.earliest == date(2026, 12, 17)
    assert (timing.waited, timing.early, timing.overdue) == (waited, early, overdue)


def test_the_rows_own_earliest_reply_date_wins() -> None:
    row = {"received_on": RECEIVED, "earliest_reply": date(2026, 12, 20)}
    assert reply_timing(PROJECT, "requests", row, date(2026, 12, 18)).early


def test_an_early_decision_needs_a_reason_or_is_refused_when_the_policy_forbids_it(tmp_path: Path) -> None:
    timing = reply_timing(PROJECT, "requests", {"received_on": RECEIVED}, RECEIVED)
    with pytest.raises(api.CaseStateError, match="اكتب سبب اتخاذ القرار قبل المدة"):
        check_early_decision(PROJECT, timing, "  ", "١٧/١٢/٢٠٢٦")
    assert check_early_decision(PROJECT, timing, " طلب عاجل ", "x") == "طلب عاجل"
    on_time = reply_timing(PROJECT, "requests", {"received_on": RECEIVED}, date(2026, 12, 17))
    assert check_early_decision(PROJECT, on_time, "", "x") == ""

    policy = copy_project(tmp_path)
    edit(policy, "early_decisions: reason", "early_decisions: refuse")
    strict = load_project(policy)
    with pytest.raises(api.CaseStateError, match="السياسة لا تجيز القرار قبل مضي المدة"):
        check_early_decision(strict, timing, "طلب عاجل", "x")


def test_an_early_decision_is_recorded_with_its_reason_and_counted_in_the_report(tmp_path: Path) -> None:
    from generator.reports.periods import period_between
    from generator.reports.pipeline import report_figures

    out = tmp_path / "out"
    api.build_kit(PROJECT, out, only=list(PROJECT.registers))
    early = api.issue(PROJECT, "application", example_values(), out, today=RECEIVED).reference
    on_time = api.issue(PROJECT, "application", example_values(), out, today=RECEIVED).reference
    with pytest.raises(api.CaseStateError):
        api.record_decision(PROJECT, out, early, "accepted", today=date(2026, 12, 10))
    assert api.read_register(PROJECT, "requests", out).rows[0].values.get("decision") is None  # nothing written
    recorded = api.record_decision(
        PROJECT, out, early, "accepted", early_reason="الموقع معتمد من قبل", today=date(2026, 12, 10)
    )
    assert recorded.early
    api.record_decision(PROJECT, out, on_time, "accepted", today=date(2026, 12, 20))
    rows = {r.values["reference"]: r.values for r in api.read_register(PROJECT, "requests", out).rows}
    assert rows[early]["early_reason"] == "الموقع معتمد من قبل"
    assert rows[early]["decision_date"] == date(2026, 12, 10)
    assert "early_reason" not in rows[on_time] and rows[on_time]["decision_date"] == date(2026, 12, 20)

    period = period_between(date(2026, 12, 1), date(2026, 12, 31), "gregorian")
    figures = report_figures(PROJECT, out, period, today=date(2026, 12, 31))[0].current.requests
    assert [(e.reference, e.reason) for e in figures.early] == [(early, "الموقع معتمد من قبل")]
