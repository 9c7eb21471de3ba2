"""The command line: check, list, schema, example; exit statuses; no renderer imported where none is needed."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli.main import main
from generator.config.project import load_project
from generator.config.schema import schemas
from generator.config.yamlio import parse_yaml
from generator.content.records import validate_record
from tests.project_fixture import ROOT, copy_project, edit, line_of

POLICY = str(ROOT / "policies" / "policy.yml")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_check_passes_on_the_shipped_policy() -> None:
    status, out, err = run("check", "--policy", POLICY)
    assert status == 0
    assert out == f"{POLICY}: valid — 9 documents, 6 registers\n"
    # the shipped policy is a template: its bracketed placeholders are warned about, not refused
    warnings = err.splitlines()
    assert len(warnings) == 6 and all(line.startswith("warning: ") for line in warnings)
    assert warnings[0] == (
        f"warning: {POLICY}:11:9: association.name: a placeholder is still here: replace [اسم الجمعية] with the "
        "association's own text"
    )


def test_check_says_nothing_more_once_the_placeholders_are_filled_in(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    text = policy.read_text(encoding="utf-8")
    for placeholder in re.findall(r"\[[^\]\n]*\]", text):
        if re.search("[\u0621-\u064a]", placeholder):
            text = text.replace(placeholder, placeholder.strip("[]"))
    policy.write_text(text, encoding="utf-8")
    status, _, err = run("check", "--policy", str(policy))
    assert (status, err) == (0, "")


def test_check_lists_every_error_and_exits_2(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    edit(policy, "  calendar: hijri", "  calender: hijri")
    edit(policy, "  digits: arabic", "  digits: roman")
    status, out, err = run("check", "--policy", str(policy))
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == "the policy is not valid:"
    assert len(lines) == 3, err
    calendar_line, digits_line = line_of(policy, "calender:"), line_of(policy, "digits: roman")
    assert any(
        line.startswith(f"{policy}:{calendar_line}:3: settings.calender: unknown key 'calender'; did you mean 'calendar'?")
        for line in lines[1:]
    ), err
    assert f"{policy}:{digits_line}:11: settings.digits: expected one of 'arabic' or 'latin', but got 'roman'" in lines[1:]


def test_check_lists_the_errors_of_every_form_file(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    forms = tmp_path / "forms"
    edit(forms / "application.yml", "list: periods", "list: period")
    edit(forms / "declaration.yml", "closing:", "closeing:")
    status, out, err = run("check", "--policy", str(policy))
    assert (status, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == "the project is not valid:"
    assert len(lines) == 3, err
    period = line_of(forms / "application.yml", "list: period")
    assert any(
        line.startswith(f"{forms / 'application.yml'}:{period}:")
        and line.endswith(".list: unknown policy list 'period'; did you mean 'periods'?")
        for line in lines[1:]
    ), err
    closing = line_of(forms / "declaration.yml", "closeing:")
    assert any(
        line.startswith(f"{forms / 'declaration.yml'}:{closing}:1: closeing: unknown key 'closeing'; did you mean 'closing'?")
        for line in lines[1:]
    ), err


def test_missing_policy_exits_2(tmp_path: Path) -> None:
    status, _, err = run("check", "--policy", str(tmp_path / "none.yml"))
    assert status == 2
    assert err.strip() == f"{tmp_path / 'none.yml'}: file not found"


def test_bad_policy_writes_nothing_on_build(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    edit(policy, "  digits: arabic", "  digits: roman")
    out_dir = tmp_path / "out"
    status, _, err = run("build", "--policy", str(policy), "--out", str(out_dir))
    assert status == 2
    assert "settings.digits: expected one of 'arabic' or 'latin', but got 'roman'" in err
    assert not out_dir.exists()


def test_usage_error_exits_2() -> None:
    status, _, err = run("frobnicate")
    assert status == 2
    assert "invalid choice: 'frobnicate'" in err


def test_unknown_document_exits_2() -> None:
    status, _, err = run("example", "aplication", "--policy", POLICY)
    assert status == 2
    assert err.startswith("wathiqa: unknown document 'aplication'; the documents are: acknowledgment, application")


def test_list_shows_ids_and_arabic_titles() -> None:
    status, out, _ = run("list", "--policy", POLICY)
    assert status == 0
    assert "  application        form         BR-F-01   طلب فتح حلقة تحفيظ أو دار نسائية" in out.splitlines()
    assert any(line.startswith("  requests ") and "سجل طلبات" in line for line in out.splitlines())


@pytest.mark.parametrize("doc_id", sorted(load_project(POLICY).documents))
def test_example_is_valid_data_for_its_document(doc_id: str) -> None:
    status, out, _ = run("example", doc_id, "--policy", POLICY)
    assert status == 0
    project = load_project(POLICY)
    loaded = parse_yaml(out, Path(f"{doc_id}.yml"))
    document = project.documents[doc_id]
    record = validate_record(document, project.policy, loaded.data, source=loaded)
    wanted = {f.id for f in document.input_fields() if f.example is not None}
    assert set(loaded.data) == wanted
    assert wanted <= set(record)


def test_example_keeps_ids_and_phones_as_text() -> None:
    _, out, _ = run("example", "application", "--policy", POLICY)
    assert 'national_id: "1000000008"' in out
    assert 'mobile: "0501234567"' in out
    assert "# رقم الجوال (مطلوب)" in out


def test_schema_prints_the_three_schemas() -> None:
    status, out, _ = run("schema")
    assert status == 0
    data = json.loads(out)
    assert set(data) == {"policy", "document", "register"}
    assert "calendar" in json.dumps(data["policy"])
    field_types = data["document"]["$defs"]["FieldDef"]["properties"]["type"]["enum"]
    assert "national_id" in field_types


def test_committed_schema_files_are_current() -> None:
    """The files editors load (forms/schema/*.json) must match the model, or completion lies."""
    for name, schema in schemas().items():
        committed = json.loads((ROOT / "forms" / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert committed == schema, f"run: wathiqa schema --write forms/schema ({name} is stale)"


def test_yaml_files_point_editors_at_the_schemas() -> None:
    first = (ROOT / "policies" / "policy.yml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../forms/schema/policy.schema.json"
    for path in (ROOT / "forms").glob("*.yml"):
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        assert first_line == "# yaml-language-server: $schema=schema/document.schema.json"


# `check` renders every document in memory (generator.render.rehearse) so that nothing it accepts can fail at print
# time; a check of a project unchanged since its last passed rehearsal renders nothing.
@pytest.mark.parametrize("command", ["list", "schema", "example application", "check"])
def test_commands_that_render_nothing_import_no_renderer(command: str, tmp_path: Path) -> None:
    argv = command.split() + (["--policy", POLICY] if command != "schema" else [])
    code = (
        "import sys, io; from generator.cli.main import main; "
        f"main({argv!r}, stdout=io.StringIO()); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('weasyprint', 'docxtpl', 'docx', 'openpyxl')))"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    if command == "check":  # the first check of the day rehearses (renders), the next one need not
        first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        assert "weasyprint" in first.stdout and "docxtpl" in first.stdout
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert result.stdout.strip() == "[]"


def test_python_m_generator_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generator", "check", "--policy", POLICY], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "valid" in result.stdout


BAD_INPUTS = {
    "tab indentation": ("policies/policy.yml", "  calendar: hijri", "\tcalendar: hijri", "a tab is used for indentation"),
    "unclosed quote": ("policies/policy.yml", 'licence_number: "0000"', 'licence_number: "0000', "malformed YAML"),
    "python tag": ("policies/policy.yml", "  basmala: true", "  basmala: !!python/object/apply:os.system ['true']",
                   "is not allowed: wathiqa files hold plain data only"),
    "duplicate key": ("forms/declaration.yml", "version: \"1.0\"", "version: \"1.0\"\nversion: \"2.0\"", "duplicate key 'version'"),
    "unknown key": ("forms/declaration.yml", "closing:", "closeing:", "did you mean 'closing'?"),
    "wrong type": ("policies/policy.yml", "  basmala: true", "  basmala: [1]", "settings.basmala"),
    "missing required key": ("forms/declaration.yml", "code: BR-F-02\n", "", "code: required key is missing"),
    "missing list": ("forms/declaration.yml", "list: programme_kinds", "list: programme_kind", "unknown policy list"),
    "missing placeholder": ("forms/declaration.yml", "{{ national_id }}،", "{{ nationalid }}،", "unknown placeholder 'nationalid'"),
    "alias": ("forms/declaration.yml", "issued: 2026-11-01", "issued: &d 2026-11-01\nfooter_note: *d", "aliases"),
    "empty file": ("forms/declaration.yml", None, "", "the file is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_every_bad_input_exits_2_with_file_and_line(tmp_path: Path, case: str) -> None:
    policy = copy_project(tmp_path)
    relative, old, new, expected = BAD_INPUTS[case]
    target = tmp_path / relative
    if old is None:
        target.write_text(new, encoding="utf-8")
    else:
        edit(target, old, new)
    out_dir = tmp_path / "out"
    status, out, err = run("build", "--policy", str(policy), "--out", str(out_dir))
    assert status == 2, err
    assert out == ""
    assert expected in err
    assert str(target) in err
    assert not out_dir.exists()


def test_not_utf8_policy_exits_2(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    policy.write_bytes(policy.read_bytes().replace("[المدينة]".encode(), "caf\xe9".encode("latin-1")))
    status, _, err = run("check", "--policy", str(policy))
    assert status == 2
    assert "is not UTF-8 text" in err


def test_policy_given_as_a_directory_exits_2(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    status, _, err = run("check", "--policy", str(policy.parent))
    assert status == 2
    assert err.strip() == f"{policy.parent}: is a folder, expected a YAML file"


def test_output_folder_that_is_a_file_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder", encoding="utf-8")
    status, _, err = run("build", "--policy", POLICY, "--out", str(blocker), "--only", "requests")
    assert status == 2
    assert "cannot be created" in err or "not a folder" in err
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_an_unquoted_arabic_value_names_the_command_once_and_says_to_quote() -> None:
    status, _, err = run("register", "show", "requests", "--status", "صدر", "القرار")
    assert status == 2
    assert err.count("wathiqa") == 1  # never «wathiqa: wathiqa: …»
    assert err.startswith("wathiqa: unrecognized arguments: القرار")
    assert '--status "صدر القرار"' in err
