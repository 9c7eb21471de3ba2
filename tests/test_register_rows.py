"""Records to register rows and back, and `wathiqa register show`."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import generator as api
from generator.cli.main import main
from generator.cli.terminal import format_table, show_register
from generator.config.project import Project, RegisterColumn, load_project
from generator.content.text import format_hijri
from generator.errors import DataError, OutputError, UsageError
from generator.registers import open_register, read_register
from generator.registers.rows import cells_for, check_row, record_from_row, register_column, row_for
from generator.render.xlsx import build_register
from generator.workflow.lookup import status_label

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "policy.yml"
PROJECT = load_project(POLICY)  # module level: hypothesis tests cannot take function-scoped fixtures
DAY = dt.date(2026, 9, 1)


@pytest.fixture
def project() -> Project:
    return PROJECT


def row(register_id: str, record: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return row_for(PROJECT, register_id, record, reference="REQ-1448-00007", issue_date=DAY, extra=extra)


# -------------------------------------------------------------------------------------------- row_for
def test_row_of_a_request_has_labels_dates_and_computed_columns() -> None:
    record = {
        "applicant_name": "عبدالله محمد القحطاني",
        "gender": "male",
        "national_id": "1012345678",
        "mobile": "0501234567",
        "days": ["sunday", "monday", "thursday"],
        "expected_students": 20,
        "request_type": "open_womens_house",
        "applicant_notes": "",
        "email": None,
    }
    assert row("requests", record, status="received") == {
        "الرقم المرجعي": "REQ-1448-00007",
        "تاريخ الاستلام": DAY,
        "تاريخ الاستلام (هجري)": format_hijri(DAY, "arabic"),
        "الاسم الرباعي": "عبدالله محمد القحطاني",
        "الجنس": "ذكر",
        "رقم الهوية الوطنية أو الإقامة": "1012345678",
        "رقم الجوال": "0501234567",
        "نوع الطلب": "دار نسائية لتحفيظ القرآن الكريم",
        "العدد المتوقع للطلاب أو الطالبات": 20,
        "أيام الحلقة": "الأحد، الاثنين، الخميس",
        "أقرب موعد للرد": dt.date(2026, 9, 15),  # the policy's 14 days
        "حالة الطلب": "مستلم",
    }


def test_record_and_extra_override_computed_values_but_not_the_reference() -> None:
    earlier = dt.date(2026, 8, 30)
    values = row("requests", {"received_on": earlier, "reference": "FORGED"}, notes="ورقي")
    assert values["تاريخ الاستلام"] == earlier
    assert values["تاريخ الاستلام (هجري)"] == format_hijri(earlier, "arabic")
    assert values["الرقم المرجعي"] == "REQ-1448-00007"
    assert values["ملاحظات"] == "ورقي"


@pytest.mark.parametrize(
    ("register_id", "date_label"),
    [
        ("outgoing", "تاريخ الإرسال"),
        ("contacts", "تاريخ التسجيل"),
        ("satisfaction", "تاريخ الاستلام"),
        ("volunteers", "تاريخ الاستلام"),
        ("referrals", "تاريخ الإحالة"),  # a field dated `auto: today`
    ],
)
def test_the_recording_date_is_the_issue_date(register_id: str, date_label: str) -> None:
    assert row(register_id, {})[date_label] == DAY


def test_contact_date_is_not_guessed() -> None:
    assert "تاريخ التواصل" not in row("contacts", {})


def test_yes_no_rating_and_number_cells() -> None:
    contact = row("contacts", {"needs_follow_up": True, "referred": False})
    assert (contact["يحتاج إلى متابعة"], contact["أحيل إلى مسؤول الشؤون التعليمية"]) == ("نعم", "لا")
    survey = row("satisfaction", {"rate_overall": 5, "rate_speed": "r2", "rate_clarity": "محايد"})
    assert survey["الرضا العام عن خدمات الجمعية"] == 5
    assert survey["سرعة إنجاز المعاملة"] == 2
    assert survey["وضوح المعلومات والإجابة عن الاستفسارات"] == 3
    assert row("volunteers", {"hours_per_week": 6.0})["عدد الساعات الأسبوعية المتاحة"] == 6


def test_values_that_do_not_fit_their_column_are_all_reported() -> None:
    with pytest.raises(DataError) as caught:
        row("requests", {"gender": "unknown", "national_id": 1012345678, "expected_students": "كثير"})
    paths = [p.path for p in caught.value.problems]
    assert paths == ["الجنس", "رقم الهوية الوطنية أو الإقامة", "العدد المتوقع للطلاب أو الطالبات"]
    assert caught.value.problems[0].message == "الخيار «unknown» غير معروف؛ الخيارات المتاحة: ذكر، أنثى"
    assert "الأصفار" in caught.value.problems[1].message


def test_rating_out_of_scale_is_refused() -> None:
    with pytest.raises(DataError) as caught:
        row("satisfaction", {"rate_overall": 6})
    assert caught.value.problems[0].message.startswith("التقييم يجب أن يكون رقمًا من ١ إلى ٥")


def test_formula_like_text_is_passed_as_text() -> None:
    # the engine stores it with a quote prefix; here it must simply stay the same string
    assert row("requests", {"applicant_name": "=HYPERLINK(1)"})["الاسم الرباعي"] == "=HYPERLINK(1)"


# ------------------------------------------------------------------------------------------ cells_for
def test_cells_for_converts_only_what_is_given() -> None:
    answered = dt.date(2026, 9, 20)
    assert cells_for(PROJECT, "outgoing", {"sent_on": answered, "notes": ""}) == {
        "تاريخ الإرسال": answered,
        "تاريخ الإرسال (هجري)": format_hijri(answered, "arabic"),
        "ملاحظات": None,
    }
    assert cells_for(PROJECT, "requests", {"status": "answered", "letter_reference": "OUT-1448-00001"}) == {
        "حالة الطلب": "تم الرد",
        "رقم خطاب الرد": "OUT-1448-00001",
    }
    with pytest.raises(KeyError, match="'stauts'"):
        cells_for(PROJECT, "requests", {"stauts": "answered"})


def test_updating_a_row_keeps_its_recording_and_reply_dates(tmp_path: Path) -> None:
    path = tmp_path / "requests.xlsx"
    path.write_bytes(build_register(PROJECT, "requests"))
    with open_register(path) as register:
        number = register.append(row("requests", {"applicant_name": "سارة"}))
    later = dt.date(2026, 9, 30)
    with open_register(path) as register:
        register.update(number, cells_for(PROJECT, "requests", {"status": "answered", "answered_on": later}))
    (saved,) = read_register(path)[1]
    assert saved["تاريخ الاستلام"] == DAY and saved["أقرب موعد للرد"] == dt.date(2026, 9, 15)
    assert saved["حالة الطلب"] == "تم الرد" and saved["تاريخ الرد"] == later
    # row_for is for new rows: it would have stamped the update's day as the recording date
    assert row_for(PROJECT, "requests", {}, reference="R", issue_date=later)["تاريخ الاستلام"] == later


# ------------------------------------------------------------------------------------- record_from_row
def test_record_from_row_turns_labels_back_into_ids() -> None:
    values = {
        "الرقم المرجعي": "REQ-1448-00007",
        "تاريخ الاستلام": DAY,
        "تاريخ الاستلام (هجري)": "anything: derived, not read back",
        "حالة الطلب": " صدر  القرار ",
        "القرار": "اعتذار",
        "سبب الاعتذار": "سبب آخر",
        "تفاصيل السبب": "  الموقع بعيد  ",
        "تاريخ القرار": dt.datetime(2026, 9, 20, 0, 0),
        "تاريخ الرد": "2026-09-22",  # typed into a text cell
        "أيام الحلقة": "الأحد، الخميس",
        "العدد المتوقع للطلاب أو الطالبات": 15.0,
        "عمود أضافه الأرشيف": "ignored",
        "ملاحظات": None,
    }
    assert record_from_row(PROJECT, "requests", values) == {
        "reference": "REQ-1448-00007",
        "received_on": DAY,
        "status": "decided",
        "decision": "rejected",
        "rejection_reason": "other",
        "reason_details": "الموقع بعيد",
        "decision_date": dt.date(2026, 9, 20),
        "answered_on": dt.date(2026, 9, 22),
        "days": ["sunday", "thursday"],
        "expected_students": 15,
    }


def test_unknown_labels_typed_by_the_archivist_are_reported_not_guessed() -> None:
    values = {"حالة الطلب": "مقبول", "القرار": "قبول", "سبب الاعتذار": "عدم ملائمة الموقع"}
    record, issues = check_row(PROJECT, "requests", values)
    assert record == {"decision": "accepted"}
    assert [(i.field_id, i.label) for i in issues] == [
        ("status", "حالة الطلب"),
        ("rejection_reason", "سبب الاعتذار"),
    ]
    assert issues[0].message.startswith("الخيار «مقبول» غير معروف؛ الخيارات المتاحة: مستلم، قيد الدراسة")
    with pytest.raises(DataError) as caught:
        record_from_row(PROJECT, "requests", values, where="output/registers/requests.xlsx:12")
    assert str(caught.value.problems[0]).startswith("output/registers/requests.xlsx:12: حالة الطلب: الخيار «مقبول»")


def test_yes_no_and_ratings_read_back() -> None:
    assert record_from_row(
        PROJECT, "contacts", {"يحتاج إلى متابعة": "نعم", "أحيل إلى مسؤول الشؤون التعليمية": "لا"}
    ) == {
        "needs_follow_up": True,
        "referred": False,
    }
    assert record_from_row(PROJECT, "satisfaction", {"الرضا العام عن خدمات الجمعية": 4}) == {"rate_overall": 4}


LIST_COLUMNS = [
    (register_id, column)
    for register_id in sorted(PROJECT.registers)
    for column in PROJECT.register_columns(register_id)
    if column.type in ("choice", "multi_choice", "rating", "yes_no")
]


@st.composite
def list_value(draw: st.DrawFn) -> tuple[str, RegisterColumn, Any]:
    register_id, column = draw(st.sampled_from(LIST_COLUMNS))
    if column.type == "yes_no":
        return register_id, column, draw(st.booleans())
    assert column.list is not None
    ids = list(PROJECT.policy.lists[column.list].labels())
    if column.type == "rating":
        return register_id, column, draw(st.integers(1, len(ids)))
    if column.type == "multi_choice":
        return register_id, column, draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    return register_id, column, draw(st.sampled_from(ids))


@given(list_value())
def test_list_values_round_trip_through_a_row(case: tuple[str, RegisterColumn, Any]) -> None:
    register_id, column, value = case
    cells = row_for(PROJECT, register_id, {column.id: value}, reference="X-1", issue_date=DAY)
    assert isinstance(cells[column.label], str | int)
    assert record_from_row(PROJECT, register_id, cells)[column.id] == value


def test_register_column_by_id_or_label() -> None:
    assert register_column(PROJECT, "requests", "status").label == "حالة الطلب"
    assert register_column(PROJECT, "requests", "حالة الطلب").id == "status"
    with pytest.raises(KeyError):
        register_column(PROJECT, "requests", "nope")


# --------------------------------------------------------------------------------------- register show
@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "registers" / "requests.xlsx"
    path.parent.mkdir()
    path.write_bytes(build_register(PROJECT, "requests"))
    records = [
        ({"applicant_name": "سارة", "gender": "female"}, "received"),
        ({"applicant_name": "خالد", "gender": "male"}, "decided"),
        ({"applicant_name": "نورة", "gender": "female"}, "received"),
    ]
    with open_register(path) as register:
        for n, (record, status) in enumerate(records, start=1):
            register.append(
                row_for(
                    PROJECT, "requests", record, reference=f"REQ-1448-{n:05d}", issue_date=DAY, extra={"status": status}
                )
            )
    return tmp_path


def shown(out_dir: Path, status: str | None = None) -> list[str]:
    out = io.StringIO()
    show_register(api.read_register(PROJECT, "requests", out_dir, status=status), out)
    return out.getvalue().splitlines()


def test_show_lists_one_row_per_line_reference_first(out_dir: Path) -> None:
    lines = shown(out_dir)
    assert lines[0].split()[:2] == ["الرقم", "المرجعي"]
    assert set(lines[1]) <= {"-", " "}
    assert [line.split()[0] for line in lines[2:5]] == ["REQ-1448-00001", "REQ-1448-00002", "REQ-1448-00003"]
    assert "سارة" in lines[2] and "2026-09-01" in lines[2] and "مستلم" in lines[2]
    assert lines[5].startswith("3 row(s); ") and "--columns" in lines[5]
    assert "(هجري)" not in lines[0]  # Hijri copies of dates are left to Excel


@pytest.mark.parametrize("status", ["received", "مستلم", " مستلم "])
def test_show_filters_by_status_id_or_label(out_dir: Path, status: str) -> None:
    lines = shown(out_dir, status)
    assert [line.split()[0] for line in lines[2:-1]] == ["REQ-1448-00001", "REQ-1448-00003"]
    assert lines[-1].startswith("2 row(s)")


def test_show_unknown_status_lists_the_statuses(out_dir: Path) -> None:
    with pytest.raises(UsageError) as caught:
        shown(out_dir, "accepted")
    assert str(caught.value).startswith("unknown status 'accepted'; the statuses are: received (مستلم), ")


def test_show_missing_register_says_to_build(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as caught:
        shown(tmp_path)
    path = tmp_path / "registers" / "requests.xlsx"
    assert str(caught.value) == (
        f"{path}: the register does not exist yet; run `wathiqa build --out {tmp_path}` to create it"
    )


def test_show_unknown_register_and_status_of_a_register_without_one(out_dir: Path) -> None:
    with pytest.raises(UsageError, match="unknown register 'request'; the registers are: contacts, outgoing"):
        api.read_register(PROJECT, "request", out_dir)
    with pytest.raises(UsageError, match="has no status column"):
        api.read_register(PROJECT, "outgoing", out_dir, status="received")


def test_show_fits_the_width_and_keeps_the_status_and_decision(out_dir: Path) -> None:
    table = api.read_register(PROJECT, "requests", out_dir)
    for width in (80, 120):
        out = io.StringIO()
        show_register(table, out, width=width)
        lines = out.getvalue().splitlines()
        assert all(len(line) <= width for line in lines[:-1]), width  # ASCII and Arabic letters: one cell each
        assert "حالة الطلب" in lines[0] and "صدر القرار" in lines[3] and lines[2].split()[0] == "REQ-1448-00001"


def test_show_columns_chosen_by_id_or_label(out_dir: Path) -> None:
    out = io.StringIO()
    show_register(api.read_register(PROJECT, "requests", out_dir), out, columns=["status", "الرقم المرجعي"])
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["حالة", "الطلب", "الرقم", "المرجعي"]
    assert lines[3].split() == ["صدر", "القرار", "REQ-1448-00002"]
    assert lines[-1] == "3 row(s)"
    with pytest.raises(UsageError, match="register requests has no column 'nope'; its columns are: reference, "):
        show_register(api.read_register(PROJECT, "requests", out_dir), out, columns=["nope"])
    out, err = io.StringIO(), io.StringIO()
    args = ["register", "show", "requests", "--columns", "reference,status", "--out", str(out_dir), "--policy", str(POLICY)]
    assert main(args, out, err) == 0
    assert out.getvalue().splitlines()[0].split() == ["الرقم", "المرجعي", "حالة", "الطلب"]


def test_status_label(project: Project) -> None:
    assert status_label(project, "requests", "answered") == "تم الرد"
    assert status_label(project, "volunteers", "تم الرد") == "تم الرد"


def test_cli_register_show(out_dir: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    args = ["register", "show", "requests", "--status", "decided", "--out", str(out_dir), "--policy", str(POLICY)]
    assert main(args, out, err) == 0
    assert out.getvalue().splitlines()[2].split()[0] == "REQ-1448-00002"
    assert main(["register", "show", "requests", "--out", str(out_dir / "x"), "--policy", str(POLICY)], out, err) == 2
    assert "wathiqa build" in err.getvalue()


def test_format_table_aligns_arabic_with_harakat() -> None:
    text = format_table(["أ", "ب"], [["راضٍ", 1], ["محايد", None]])
    lines = text.splitlines()
    assert lines == ["أ      ب", "-----  -", "راضٍ    1", "محايد"]  # «ٍ» takes no cell
