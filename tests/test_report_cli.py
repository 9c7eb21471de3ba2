"""`wathiqa report` through the command line: files written, exit statuses, messages."""

from __future__ import annotations

import io
from pathlib import Path

from generator.cli.main import main
from generator.config.project import load_project
from tests.project_fixture import ROOT
from tests.report_fixtures import write_registers

POLICY = str(ROOT / "policies" / "policy.yml")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_report_for_a_period(tmp_path: Path) -> None:
    write_registers(load_project(POLICY), tmp_path)
    code, out, err = run("report", "--policy", POLICY, "--period", "1448-06", "--out", str(tmp_path))
    assert (code, err) == (0, "")
    folder = tmp_path / "reports" / "1448-06"
    assert out.splitlines() == [
        str(folder / "report.pdf"),
        str(folder / "report.xlsx"),
        "5 row(s) could not be counted; the report lists them",
    ]
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")


def test_report_from_to(tmp_path: Path) -> None:
    write_registers(load_project(POLICY), tmp_path, {})
    code, out, _ = run(
        "report", "--policy", POLICY, "--from", "1448-06-01", "--to", "1448-06-10", "--out", str(tmp_path)
    )
    assert code == 0
    assert out.splitlines()[0] == str(tmp_path / "reports" / "2026-11-11_2026-11-20" / "report.pdf")


def test_bad_usage_is_exit_2_and_nothing_written(tmp_path: Path) -> None:
    write_registers(load_project(POLICY), tmp_path, {})
    code, _, err = run("report", "--policy", POLICY, "--period", "1448-13", "--out", str(tmp_path))
    assert code == 2 and "--period '1448-13': month 13 is not 1-12" in err
    code, _, err = run(
        "report", "--policy", POLICY, "--period", "1448-06", "--from", "1448-06-01", "--out", str(tmp_path)
    )
    assert code == 2 and "either --period or --from/--to" in err
    assert not (tmp_path / "reports").exists()


def test_a_missing_register_is_exit_2_naming_it(tmp_path: Path) -> None:
    paths = write_registers(load_project(POLICY), tmp_path, {})
    paths["contacts"].unlink()
    code, _, err = run("report", "--policy", POLICY, "--period", "1448-06", "--out", str(tmp_path))
    assert code == 2
    assert "السجل «سجل التواصل مع المستفيدين» غير موجود" in err and "wathiqa build" in err
    assert not (tmp_path / "reports").exists()


def test_report_with_evidence(tmp_path: Path) -> None:
    write_registers(load_project(POLICY), tmp_path, {})
    code, out, _ = run("report", "--policy", POLICY, "--period", "2026-11", "--out", str(tmp_path), "--evidence")
    assert code == 0
    assert out.splitlines()[2] == str(tmp_path / "reports" / "2026-11" / "evidence-2026-11.zip")
