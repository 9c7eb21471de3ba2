"""The policy and the forms as data: the shipped project is valid, and every kind of bad input is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config.project import load_project
from generator.errors import ProjectError
from tests.project_fixture import ROOT, copy_project, edit, line_of


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


def _problems(policy: Path) -> list[str]:
    with pytest.raises(ProjectError) as info:
        load_project(policy)
    return [str(p) for p in info.value.problems]


def test_shipped_project_is_valid() -> None:
    project = load_project(ROOT / "policies" / "policy.yml")
    assert set(project.documents) == {
        "application", "declaration", "acknowledgment", "referral", "decision-accept",
        "decision-reject", "volunteer", "satisfaction", "contact-log",
    }
    assert set(project.registers) == {"requests", "contacts", "volunteers", "satisfaction", "outgoing", "referrals"}


def test_every_document_field_list_exists_and_choices_resolve() -> None:
    project = load_project(ROOT / "policies" / "policy.yml")
    for doc in project.documents.values():
        for f in doc.all_fields():
            if f.list:
                assert f.list in project.policy.lists, (doc.id, f.id)


def test_unknown_key_with_did_you_mean(policy: Path) -> None:
    edit(policy, "  calendar: hijri", "  calender: hijri")
    line = line_of(policy, "calender:")
    [problem] = _problems(policy)
    expected = f"{policy}:{line}:3: settings.calender: unknown key 'calender'; did you mean 'calendar'?"
    assert problem.startswith(expected)


def test_unknown_key_in_a_form_field(policy: Path) -> None:
    form = policy.parent.parent / "forms" / "declaration.yml"
    edit(form, "{id: gender, label: الجنس,", "{id: gender, lable: الجنس,")
    problems = _problems(policy)
    line = line_of(form, "lable:")
    assert any(
        p.startswith(f"{form}:{line}:") and "fields[1].lable: unknown key 'lable'; did you mean 'label'?" in p
        for p in problems
    ), problems


def test_wrong_type_names_allowed_values(policy: Path) -> None:
    form = policy.parent.parent / "forms" / "declaration.yml"
    edit(form, "type: national_id, required", "type: nationalid, required")
    [problem] = _problems(policy)
    line = line_of(form, "nationalid")
    assert problem.startswith(f"{form}:{line}:")
    assert "fields[2].type: expected one of 'text', 'long_text', 'date', 'national_id'" in problem
    assert problem.endswith("but got 'nationalid'")


def test_wrong_scalar_type(policy: Path) -> None:
    edit(policy, "  reply_min_days: 14", "  reply_min_days: two weeks")
    [problem] = _problems(policy)
    assert f"{policy}:{line_of(policy, 'two weeks')}:19: service_standard.reply_min_days:" in problem
    assert "but got 'two weeks'" in problem


def test_missing_required_key(policy: Path) -> None:
    edit(policy, '  licence_number: "0000"\n', "")
    [problem] = _problems(policy)
    line = line_of(policy, "association:") + 1
    assert problem == f"{policy}:{line}:3: association.licence_number: required key is missing"


def test_choice_field_naming_a_missing_list(policy: Path) -> None:
    form = policy.parent.parent / "forms" / "application.yml"
    edit(form, "list: periods", "list: period")
    [problem] = _problems(policy)
    line = line_of(form, "list: period,")
    assert problem.startswith(f"{form}:{line}:")
    assert "sections[1].fields[5].list: unknown policy list 'period'; did you mean 'periods'?" in problem


def test_placeholder_naming_no_field(policy: Path) -> None:
    form = policy.parent.parent / "forms" / "acknowledgment.yml"
    edit(form, "{{ reply_min_days }}", "{{ reply_days }}")
    [problem] = _problems(policy)
    assert f"{form}:" in problem
    assert "body[1]: unknown placeholder 'reply_days'; did you mean 'reply_min_days'?" in problem


def test_placeholder_attribute_of_the_association(policy: Path) -> None:
    form = policy.parent.parent / "forms" / "acknowledgment.yml"
    edit(form, "{{ association.phone }}", "{{ association.fone }}")
    [problem] = _problems(policy)
    assert "body[2]: unknown placeholder association.fone; did you mean association.phone?" in problem


def test_placeholder_syntax_error(policy: Path) -> None:
    form = policy.parent.parent / "forms" / "acknowledgment.yml"
    edit(form, "{{ reply_min_days }}", "{{ reply_min_days }")
    [problem] = _problems(policy)
    assert "body[1]: placeholder syntax:" in problem


def test_duplicate_key_in_policy(policy: Path) -> None:
    edit(policy, "  digits: arabic", "  digits: arabic\n  digits: latin")
    [problem] = _problems(policy)
    first, second = line_of(policy, "digits: arabic"), line_of(policy, "digits: latin")
    assert problem == f"{policy}:{second}:3: duplicate key 'digits' (first given on line {first})"


def test_every_error_of_every_form_in_one_run(policy: Path) -> None:
    forms = policy.parent.parent / "forms"
    edit(forms / "application.yml", "list: periods", "list: period")
    edit(forms / "volunteer.yml", "list: skills,", "list: skill,")
    edit(forms / "satisfaction.yml", "code: BR-S-01", "code: br s 01")
    problems = _problems(policy)
    assert len(problems) == 3
    assert sum(str(forms / "application.yml") in p for p in problems) == 1
    assert sum(str(forms / "volunteer.yml") in p for p in problems) == 1


def test_file_name_must_match_id(policy: Path) -> None:
    forms = policy.parent.parent / "forms"
    (forms / "declaration.yml").rename(forms / "declaration2.yml")
    problems = _problems(policy)
    assert any("id 'declaration' differs from the file name 'declaration2.yml'" in p for p in problems)


def test_issue_with_needs_the_same_fields(policy: Path) -> None:
    forms = policy.parent.parent / "forms"
    edit(forms / "acknowledgment.yml", "list: programme_kinds", "list: request_types")
    problems = _problems(policy)
    expected = "field 'request_type' is choice/programme_kinds here but choice/request_types in acknowledgment"
    assert any(expected in p for p in problems), problems


def test_register_column_labels_must_be_unique(policy: Path) -> None:
    reg = policy.parent.parent / "forms" / "registers" / "outgoing.yml"
    edit(reg, "label: المرسل إليه", "label: نوع الخطاب")
    [problem] = _problems(policy)
    assert "column label 'نوع الخطاب' appears twice" in problem


def test_field_without_example_is_reported(policy: Path) -> None:
    form = policy.parent.parent / "forms" / "declaration.yml"
    edit(form, ", required: true, example: open_circle}", ", required: true}")
    [problem] = _problems(policy)
    assert "needs `example:`" in problem


def test_empty_form_file(policy: Path) -> None:
    (policy.parent.parent / "forms" / "extra.yml").write_text("", encoding="utf-8")
    [problem] = _problems(policy)
    assert problem.endswith("extra.yml: the file is empty; expected a mapping")


def test_policy_given_as_directory(policy: Path) -> None:
    [problem] = _problems(policy.parent)
    assert problem == f"{policy.parent}: is a folder, expected a YAML file"


def test_logo_must_exist(policy: Path) -> None:
    edit(policy, "logo: ../templates/img/logo.svg", "logo: ../templates/img/missing.svg")
    [problem] = _problems(policy)
    assert problem.startswith(f"{policy}:{line_of(policy, 'missing.svg')}:9: association.logo: logo file")


def test_a_printed_column_that_does_not_exist_is_named_with_its_place(policy: Path) -> None:
    register = policy.parent.parent / "forms" / "registers" / "requests.yml"
    edit(register, "  columns: [reference, received_on_hijri, applicant_name,",
         "  columns: [reference, received_on_hijri, aplicant_name,")  # fmt: skip
    edit(register, "  date_column: received_on", "  date_column: received_on_hijri")
    edit(register, "answered_on: 11}", "answered_on: 11, notes: 30}")
    problems = _problems(policy)
    line = line_of(register, "aplicant_name")
    assert problems[0] == (
        f"{register}:{line}:43: print.columns[2]: unknown column 'aplicant_name'; did you mean 'applicant_name'?"
    )
    not_printed = "column {0!r} is not printed: list it in print.columns or remove its width"
    assert problems[1].endswith("print.widths.applicant_name: " + not_printed.format("applicant_name"))
    assert problems[2].startswith(f"{register}:{line_of(register, 'notes: 30')}:")
    assert problems[2].endswith("print.widths.notes: " + not_printed.format("notes"))
    assert problems[3].startswith(f"{register}:{line_of(register, 'date_column: received_on_hijri')}:16: ")
    assert "print.date_column: unknown date column 'received_on_hijri'" in problems[3]
    assert len(problems) == 4


def test_registers_print_their_declared_columns_first() -> None:
    project = load_project(ROOT / "policies" / "policy.yml")
    for register_id, register in project.registers.items():
        layout = register.print_layout
        assert layout is not None, register_id
        columns = project.register_columns(register_id)
        assert [c.id for c in columns[: len(layout.columns)]] == layout.columns
        assert sorted(c.id for c in columns) == sorted(c.id for c in project.declared_columns(register_id))
    requests = {c.id: c for c in project.register_columns("requests")}
    assert requests["request_type"].width == 25  # the print width is the column's width
    date_column = project.date_column("requests")
    assert date_column is not None and date_column.id == "received_on"
