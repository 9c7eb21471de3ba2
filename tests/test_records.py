"""Case data validation: every problem of a record at once, in Arabic, by field label; data files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config.project import load_project
from generator.content.records import check_record, validate_record
from generator.content.text import BIDI_CONTROLS
from generator.errors import DataError
from generator.sources import load_record_file, read_batch
from tests.project_fixture import ROOT

PROJECT = load_project(ROOT / "policies" / "policy.yml")
POLICY = PROJECT.policy
APPLICATION = PROJECT.documents["application"]


def example(doc_id: str = "application") -> dict[str, object]:
    return {f.id: f.example for f in PROJECT.documents[doc_id].input_fields() if f.example is not None}


def test_example_record_becomes_canonical() -> None:
    raw = example() | {"mobile": "+966 50 123 4567", "national_id": "١٠٠٠٠٠٠٠٠٨", "applicant_name": "عبـــدالله  محمد"}
    record = validate_record(APPLICATION, POLICY, raw)
    assert record["mobile"] == "0501234567"
    assert record["national_id"] == "1000000008"
    assert record["applicant_name"] == "عبدالله محمد"
    assert record["gender"] == "male"
    assert record["days"] == ["sunday", "tuesday", "thursday"]
    assert record["expected_students"] == 25
    assert record["start_date"] == date(2026, 12, 10)  # 1 Rajab 1448, Umm al-Qura


def test_choices_accept_the_arabic_label() -> None:
    record = validate_record(APPLICATION, POLICY, example() | {"gender": "أنثى", "channel": "الموقع الإلكتروني للجمعية"})
    assert (record["gender"], record["channel"]) == ("female", "website")


def test_every_problem_at_once_in_arabic() -> None:
    raw = example() | {"national_id": "1234567890", "mobile": "12345", "gender": "رجل", "expected_students": "0"}
    del raw["applicant_name"]
    _, issues = check_record(APPLICATION, POLICY, raw)
    messages = {i.field_id: str(i) for i in issues}
    assert set(messages) == {"applicant_name", "national_id", "mobile", "gender", "expected_students"}
    assert messages["applicant_name"] == "«الاسم الرباعي»: هذا الحقل مطلوب"
    assert messages["national_id"] == "«رقم الهوية الوطنية أو الإقامة»: رقم الهوية غير صحيح؛ يرجى التأكد من الأرقام المدخلة"
    assert messages["gender"].startswith("«الجنس»: الخيار «رجل» غير معروف؛ الخيارات المتاحة: ذكر، أنثى")


def test_unknown_field_is_reported() -> None:
    _, issues = check_record(APPLICATION, POLICY, example() | {"nationl_id": "1"})
    assert [i.field_id for i in issues] == ["nationl_id"]


def test_markup_and_template_syntax_are_refused() -> None:
    for value in ("{{ 7*7 }}", '<img src="file:///etc/passwd">'):
        _, issues = check_record(APPLICATION, POLICY, example() | {"applicant_notes": value})
        assert [i.field_id for i in issues] == ["applicant_notes"]


def test_a_date_that_does_not_exist() -> None:
    _, issues = check_record(APPLICATION, POLICY, example() | {"start_date": "1448-03-31"})
    assert [i.field_id for i in issues] == ["start_date"]
    assert "غير موجود" in issues[0].message


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0, max_value=20), control=st.sampled_from(sorted(BIDI_CONTROLS)))
def test_any_inserted_bidi_control_is_refused(position: int, control: str) -> None:
    name = "عبدالله محمد أحمد القحطاني"
    position = min(position, len(name))
    _, issues = check_record(APPLICATION, POLICY, example() | {"applicant_name": name[:position] + control + name[position:]})
    assert [i.field_id for i in issues] == ["applicant_name"]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([item.label for item in POLICY.lists["channels"].items]))
def test_label_and_id_give_the_same_record(label: str) -> None:
    item_id = next(i.id for i in POLICY.lists["channels"].items if i.label == label)
    by_label = validate_record(APPLICATION, POLICY, example() | {"channel": label})
    by_id = validate_record(APPLICATION, POLICY, example() | {"channel": item_id})
    assert by_label == by_id


def test_data_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "case.yml"
    lines = [f'{k}: {json.dumps(v, ensure_ascii=False)}' for k, v in example().items()]
    lines[2] = 'national_id: "1000000009"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load_record_file(path)
    with pytest.raises(DataError) as info:
        validate_record(APPLICATION, POLICY, loaded.data, source=loaded)
    [problem] = info.value.problems
    assert str(problem).startswith(f"{path}:3:14: national_id: «رقم الهوية الوطنية أو الإقامة»")


def test_data_file_in_the_wrong_format(tmp_path: Path) -> None:
    path = tmp_path / "case.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_record_file(path)
    assert "نوع الملف غير مدعوم" in str(info.value)


def test_malformed_data_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "case.yml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_record_file(path)
    assert "duplicate key 'a'" in str(info.value)


def test_csv_with_bom_and_arabic_headers(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_bytes("\ufeffالاسم الرباعي,الجنس\nنورة,أنثى\n,\nسعد,ذكر\n".encode())
    rows = list(read_batch(path))
    assert [(r.number, r.values["الاسم الرباعي"]) for r in rows] == [(2, "نورة"), (4, "سعد")]


def test_csv_whose_first_line_names_its_separator_as_excel_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_bytes("\ufeffsep=;\r\nالاسم الرباعي;الجنس\r\nنورة, سعد;أنثى\r\n".encode())
    rows = list(read_batch(path))
    assert [(r.number, r.values) for r in rows] == [(3, {"الاسم الرباعي": "نورة, سعد", "الجنس": "أنثى"})]


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_bytes("الاسم\n".encode("cp1256"))
    with pytest.raises(DataError) as info:
        list(read_batch(path))
    assert "UTF-8" in str(info.value)
