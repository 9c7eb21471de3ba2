"""The office's figures, computed from fixture registers whose every figure was worked out by hand.

The registers are written with the project's own builder and engine (tests/report_fixtures.py); the
comments there say which row is what. Period 1448-06 (Jumada II) runs 2026-11-11 .. 2026-12-09; the report
is made on 2026-12-20, so figures are taken as of 2026-12-09.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from generator.config.project import Project, load_project
from generator.errors import OutputError, UsageError
from generator.reports import PendingRow, Report, choose_period, parse_period, period_between, report_figures
from generator.reports.compute import UNSTATED
from generator.reports.pipeline import read_registers
from generator.reports.wording import load_wording
from tests.project_fixture import ROOT, copy_project, edit
from tests.report_fixtures import by_label, write_registers

TODAY = date(2026, 12, 20)
ZERO_CHANNELS = {"social_media": 0, "letters": 0, "opening_requests": 0, "volunteering": 0, "branch_supervisors": 0}


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(ROOT / "policies" / "policy.yml")


@pytest.fixture(scope="module")
def out_dir(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("office")
    write_registers(project, out)
    return out


@pytest.fixture(scope="module")
def report(project: Project, out_dir: Path) -> Report:
    return report_figures(project, out_dir, parse_period("1448-06"), today=TODAY)[0]


# ------------------------------------------------------------------------------------------ periods
@pytest.mark.parametrize(
    ("text", "start", "end", "previous"),
    [
        ("1448-06", date(2026, 11, 11), date(2026, 12, 9), "1448-05"),
        ("١٤٤٨-٠٦", date(2026, 11, 11), date(2026, 12, 9), "1448-05"),
        ("1448-01", date(2026, 6, 16), date(2026, 7, 14), "1447-12"),
        ("1448-Q2", date(2026, 9, 12), date(2026, 12, 9), "1448-Q1"),
        ("1448", date(2026, 6, 16), date(2027, 6, 5), "1447"),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-10"),
        ("2026-01", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2025-Q4"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "2025"),
    ],
)
def test_periods_in_both_calendars(text: str, start: date, end: date, previous: str) -> None:
    period = parse_period(text)
    assert (period.start, period.end, period.previous().key) == (start, end, previous)
    assert period.previous().end.toordinal() == start.toordinal() - 1


def test_a_span_and_the_span_before_it() -> None:
    span = period_between("1448-06-01", "2026-11-20", "hijri")
    assert (span.key, span.days) == ("2026-11-11_2026-11-20", 10)
    assert (span.previous().start, span.previous().end) == (date(2026, 11, 1), date(2026, 11, 10))


@pytest.mark.parametrize("text", ["1448-13", "48-06", "1448-Q5", "June", "3000"])
def test_a_period_that_is_not_one(text: str) -> None:
    with pytest.raises(UsageError, match="--period"):
        parse_period(text)


def test_choose_period(project: Project) -> None:
    assert choose_period(project, today=date(2026, 11, 24)).key == "1448-06"  # the policy's calendar is Hijri
    assert choose_period(project, start="2026-11-01", end="2026-11-30").key == "2026-11-01_2026-11-30"
    with pytest.raises(UsageError, match="not both"):
        choose_period(project, "1448-06", start="2026-11-01", end="2026-11-02")
    with pytest.raises(UsageError, match="go together"):
        choose_period(project, start="2026-11-01")
    with pytest.raises(UsageError, match="before"):
        choose_period(project, start="2026-11-02", end="2026-11-01")


# ------------------------------------------------------------------------------------------ requests
def test_requests_by_channel_type_city_and_age(report: Report) -> None:
    cur, prev = report.current.requests, report.previous.requests
    assert cur.received == 5 and prev.received == 2
    assert cur.by_channel == {"interview": 2, "phone": 2, "website": 1, **ZERO_CHANNELS}
    assert list(cur.by_channel)[:3] == ["interview", "phone", "social_media"]  # the policy's order, zeros kept
    assert prev.by_channel == {"interview": 1, "phone": 0, "website": 0, **ZERO_CHANNELS, "social_media": 1}
    assert cur.by_type == {"open_circle": 4, "open_womens_house": 1}
    assert prev.by_type == {"open_circle": 2, "open_womens_house": 0}
    assert cur.by_city == {"الرياض": 3, "جدة": 1, UNSTATED: 1}  # R4 left the city blank
    assert prev.by_city == {"الدمام": 1, "الرياض": 1}
    assert cur.by_age_group == {"children": 3, "youth": 1, "adults": 1, "all_ages": 0}
    assert prev.by_age_group == {"children": 1, "youth": 0, "adults": 1, "all_ages": 0}


def test_decisions_and_replies_as_of_the_end_of_the_period(report: Report) -> None:
    cur, prev = report.current.requests, report.previous.requests
    assert report.current.as_of == date(2026, 12, 9)
    # R5 was decided on 2026-12-15, after the period: still awaiting in this report
    assert (cur.accepted, cur.rejected, cur.awaiting) == (1, 1, 3)
    assert (prev.accepted, prev.rejected, prev.awaiting) == (1, 0, 1)
    assert cur.reply_days == (15, 16)
    assert (cur.replied, cur.reply_median, cur.reply_min, cur.reply_max) == (2, 15.5, 15, 16)
    assert cur.replies_before(14) == 0
    assert prev.reply_days == (16,)


def test_awaiting_requests_by_age_and_the_oldest(report: Report) -> None:
    cur, prev = report.current.requests, report.previous.requests
    # backlog on 2026-12-09: R4 0 days, R5 8, R3 19, R6 29, R7 69
    assert cur.awaiting_by_age == (2, 2, 0, 1)
    assert [(w.reference, w.name, w.days) for w in cur.oldest] == [
        ("REQ-1448-00007", "أحمد الغامدي", 69),
        ("REQ-1448-00006", "محمد الزهراني", 29),
        ("REQ-1448-00003", "سعد العتيبي", 19),
        ("REQ-1448-00005", "فاطمة الشهري", 8),
        ("REQ-1448-00004", "خالد السبيعي", 0),
    ]
    # on 2026-11-10: R6 0 days, R7 40
    assert prev.awaiting_by_age == (1, 0, 1, 0)


# ------------------------------------------------------------------------------------------ contacts
def test_contacts_by_channel_and_direction_follow_ups_referrals(report: Report) -> None:
    cur, prev = report.current.contacts, report.previous.contacts
    assert cur.total == 4 and prev.total == 1
    assert cur.by_channel["phone"] == {"incoming": 1, "outgoing": 1}
    assert cur.by_channel["interview"] == {"incoming": 1, "outgoing": 0}
    assert cur.by_channel["website"] == {"incoming": 1, "outgoing": 0}
    assert sum(sum(d.values()) for d in cur.by_channel.values()) == 4
    assert len(cur.by_channel) == 8
    assert prev.by_channel["letters"] == {"incoming": 1, "outgoing": 0}
    assert cur.by_direction == {"incoming": 3, "outgoing": 1}
    assert (cur.follow_ups, cur.follow_ups_due, cur.follow_ups_overdue, cur.follow_ups_undated) == (3, 1, 1, 1)
    assert cur.referred == 1
    assert (cur.referrals, cur.referrals_answered) == (2, 1)
    assert (prev.follow_ups, prev.referred, prev.referrals) == (0, 0, 0)


# ------------------------------------------------------------------------------------------ satisfaction
def test_satisfaction_per_item(report: Report) -> None:
    cur = report.current.satisfaction
    assert cur.respondents == 3 and report.previous.satisfaction.respondents == 1
    expected = {  # S1, S2, S3 of the fixture, per item
        "rate_reception": ([5, 4, 2], (0, 1, 0, 1, 1), 2),
        "rate_clarity": ([4, 4, 3], (0, 0, 1, 2, 0), 2),
        "rate_speed": ([4, 3, 3], (0, 0, 2, 1, 0), 1),
        "rate_reply_time": ([5, 5, 4], (0, 0, 0, 1, 2), 3),
        "rate_channels": ([3, 2, 3], (0, 1, 2, 0, 0), 0),
        "rate_overall": ([4, 4, 3], (0, 0, 1, 2, 0), 2),
    }
    assert list(cur.items) == list(expected)
    for item, (ratings, distribution, satisfied) in expected.items():
        stats = cur.items[item]
        assert stats.count == 3
        assert stats.mean == pytest.approx(sum(ratings) / 3)
        assert stats.distribution == distribution
        assert stats.satisfied == satisfied
        assert stats.satisfied_share == pytest.approx(satisfied / 3)


def test_satisfaction_overall_by_service_by_channel_and_comments(report: Report) -> None:
    cur, prev = report.current.satisfaction, report.previous.satisfaction
    assert cur.overall.mean == pytest.approx(65 / 18)
    assert cur.overall.satisfied_share == pytest.approx(10 / 18)
    assert prev.overall.mean == 5 and prev.overall.satisfied_share == 1
    circles = cur.by_service["circles"]
    assert (circles.respondents, circles.mean, circles.satisfied) == (2, pytest.approx(47 / 12), 9)
    houses = cur.by_service["womens_houses"]
    assert (houses.respondents, houses.mean, houses.satisfied) == (1, 3, 1)
    assert cur.by_service["volunteering"].respondents == 0 and cur.by_service["volunteering"].mean is None
    assert cur.by_channel["phone"].mean == pytest.approx(43 / 12)
    assert cur.by_channel["interview"].mean == pytest.approx(22 / 6)
    assert cur.comments == ("نقترح إتاحة متابعة حالة الطلب عبر الموقع", "الانتظار طويل")


# ------------------------------------------------------------------------------------------ the rest
def test_volunteers_and_outgoing_letters(report: Report) -> None:
    vol, out = report.current.volunteers, report.current.outgoing
    assert vol.total == 2 and report.previous.volunteers.total == 0
    assert vol.by_skill["teaching"] == 2 and vol.by_skill["events"] == 1 and vol.by_skill["media"] == 0
    assert len(vol.by_skill) == 8
    assert vol.by_availability == {
        "weekday_mornings": 0,
        "weekday_evenings": 2,
        "weekends": 1,
        "ramadan": 0,
        "summer": 0,
    }
    assert out.by_kind == {"خطاب قبول": 2, "خطاب اعتذار": 1}
    assert report.previous.outgoing.by_kind == {"خطاب قبول": 1}


def test_bad_rows_are_listed_with_their_reasons(report: Report, project: Project, out_dir: Path) -> None:
    listed = {(u.register_id, u.reference): u for u in report.uncounted}
    assert set(listed) == {
        ("requests", "REQ-1448-00009"),  # a channel no longer in the policy
        ("requests", "REQ-1448-00010"),  # text in the date column
        ("requests", "REQ-1448-00011"),  # no date: belongs to every report
        ("contacts", "CON-1448-00006"),  # an unknown direction
        ("satisfaction", "SAT-1448-00005"),  # a rating of 7
    }  # REQ-1448-00012 is bad too, but dated in 1448-05: that month's report lists it
    assert "«الفاكس» غير معروف" in listed["requests", "REQ-1448-00009"].reasons[0]
    assert listed["requests", "REQ-1448-00009"].row == 10
    assert listed["requests", "REQ-1448-00010"].reasons[0].startswith("تاريخ الاستلام: التاريخ غير مقروء")
    assert listed["requests", "REQ-1448-00011"].reasons == (
        "تاريخ الاستلام: التاريخ فارغ؛ لا يُعرف إلى أي فترة ينتمي الصف",
    )
    assert listed["satisfaction", "SAT-1448-00005"].reasons[0].startswith("سرعة إنجاز المعاملة: التقييم")
    previous = report_figures(project, out_dir, parse_period("1448-05"), today=TODAY)[0]
    assert {u.reference for u in previous.uncounted} == {"REQ-1448-00010", "REQ-1448-00011", "REQ-1448-00012"}


def test_the_hijri_month_boundary_and_the_gregorian_calendar(tmp_path: Path) -> None:
    policy = copy_project(tmp_path / "project")
    edit(policy, "calendar: hijri", "calendar: gregorian")
    project = load_project(policy)
    write_registers(project, tmp_path / "out")
    report = report_figures(project, tmp_path / "out", parse_period("2026-11"), today=TODAY)[0]
    req = report.current.requests
    # November holds R1 (11 Nov, 1 Jumada II) and R6 (10 Nov, 30 Jumada I), on both sides of the Hijri month
    assert req.received == 4
    assert req.by_channel == {"interview": 1, "phone": 2, "website": 0, **ZERO_CHANNELS, "social_media": 1}
    assert (req.accepted, req.rejected, req.awaiting) == (1, 1, 2)
    assert report.previous.requests.received == 2  # R7 (1 Oct), R8 (20 Oct)
    assert report.current.as_of == date(2026, 11, 30)
    assert report.current.contacts.total == 4  # C1, C2, C4, C5
    assert report.current.satisfaction.respondents == 3  # S1, S2, S4
    assert {u.reference for u in report.uncounted} == {
        "REQ-1448-00009",
        "REQ-1448-00010",
        "REQ-1448-00011",
        "CON-1448-00006",
        "SAT-1448-00005",
    }


def test_an_empty_period_is_a_report_of_zeros(project: Project, out_dir: Path) -> None:
    report = report_figures(project, out_dir, parse_period("1447-01"), today=TODAY)[0]
    assert report.current.empty
    assert report.current.requests.by_channel == dict.fromkeys(report.current.requests.by_channel, 0)
    assert report.current.satisfaction.overall.mean is None


def test_pending_journal_rows_are_counted_and_marked(project: Project, out_dir: Path) -> None:
    row = PendingRow(
        "requests",
        by_label(
            project,
            "requests",
            {
                "reference": "REQ-1448-00013",
                "received_on": date(2026, 12, 2),
                "applicant_name": "جواهر",
                "channel": "الخطابات",
                "request_type": "حلقة تحفيظ قرآن كريم",
            },
        ),
    )
    report = report_figures(project, out_dir, parse_period("1448-06"), today=TODAY, pending=[row])[0]
    assert report.current.requests.received == 6
    assert report.current.requests.by_channel["letters"] == 1
    assert report.current.pending == {"requests": 1}
    waiting = {w.reference: w for w in report.current.requests.oldest}
    assert waiting["REQ-1448-00013"].pending and waiting["REQ-1448-00013"].days == 7


def test_a_decision_waiting_in_the_journal_is_counted_and_marked(project: Project, tmp_path: Path) -> None:
    """A decision recorded while the requests register was open in Excel counts before it reaches the file."""
    from generator.office import journal
    from generator.office.db import OfficeDB
    from generator.registers.rows import cells_for

    write_registers(project, tmp_path)
    cells = cells_for(project, "requests", {"decision": "accepted", "decision_date": date(2026, 12, 1)})
    with OfficeDB(tmp_path).write() as conn:
        journal.add(conn, "requests", "update", "REQ-1448-00003#decision", cells, target="REQ-1448-00003",
                    state="ready")  # fmt: skip
    report = report_figures(project, tmp_path, parse_period("1448-06"), today=TODAY)[0]
    cur = report.current.requests
    assert (cur.accepted, cur.rejected, cur.awaiting) == (2, 1, 2)
    assert "REQ-1448-00003" not in {w.reference for w in cur.oldest}
    assert report.current.pending == {"requests": 1}


def test_a_missing_register_is_named(project: Project, tmp_path: Path) -> None:
    paths = write_registers(project, tmp_path, {})
    paths["satisfaction"].unlink()
    with pytest.raises(OutputError) as caught:
        read_registers(project, tmp_path, load_wording(project))
    assert "السجل «سجل استبانات قياس رضا المستفيدين» غير موجود" in str(caught.value)
    assert str(paths["satisfaction"]) in str(caught.value)


def test_registers_are_only_read(project: Project, out_dir: Path) -> None:
    before = {p.name: p.read_bytes() for p in (out_dir / "registers").glob("*.xlsx")}
    report_figures(project, out_dir, parse_period("1448-06"), today=TODAY)
    assert {p.name: p.read_bytes() for p in (out_dir / "registers").glob("*.xlsx")} == before
    assert not list((out_dir / "registers").glob("*.lock"))


def test_only_the_columns_the_report_reads_are_decoded(project: Project, out_dir: Path) -> None:
    from generator.registers import read_register
    from generator.reports.compute import wanted_labels

    path = out_dir / "registers" / "requests.xlsx"
    header, whole = read_register(path, sheet=project.registers["requests"].sheet)
    labels = wanted_labels(project, "requests")
    assert "رقم الجوال" not in labels and "القرار" in labels
    narrow_header, narrow = read_register(path, sheet=project.registers["requests"].sheet, labels=labels)
    assert narrow_header == header
    assert [r.number for r in narrow] == [r.number for r in whole]
    assert all(set(r.values) == set(labels) for r in narrow)
    assert [{k: r.values[k] for k in labels} for r in whole] == [r.values for r in narrow]


def test_every_early_decision_is_counted_and_the_latest_are_listed_with_a_note_for_the_rest(
    project: Project, tmp_path: Path
) -> None:
    from generator.reports.compute import EARLY_SHOWN
    from generator.reports.view import build_report_view
    from tests.report_fixtures import ROWS

    early = [
        dict(reference=f"REQ-1448-{n:05d}", received_on=date(2026, 11, 11), applicant_name=f"مستفيد {n}",
             channel="المقابلة", decision="قبول", decision_date=date(2026, 11, 12 + n % 10),
             early_reason=f"سبب {n}")
        for n in range(100, 100 + EARLY_SHOWN + 10)
    ]
    write_registers(project, tmp_path, {**ROWS, "requests": [*ROWS["requests"], *early]})
    report = report_figures(project, tmp_path, parse_period("1448-06"), today=TODAY)[0]
    figures = report.current.requests
    assert figures.early_count == EARLY_SHOWN + 10  # every one counted
    assert len(figures.early) == EARLY_SHOWN
    assert [e.decided_on for e in figures.early] == sorted(e.decided_on for e in figures.early)
    latest = sorted(early, key=lambda r: (r["decision_date"], r["reference"]))[-EARLY_SHOWN:]
    assert [e.reference for e in figures.early] == [r["reference"] for r in latest]  # the latest, oldest first
    view = build_report_view(project, report, load_wording(project).report)
    table = next(t for s in view.sections for t in s.tables if t.id == "requests_early")
    assert len(table.lines) == EARLY_SHOWN
    assert "٤٠" in table.note and "٣٠" in table.note and "سجل الطلبات" in table.note
