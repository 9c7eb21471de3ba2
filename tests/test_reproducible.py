"""Same input, same bytes, whatever the clock says; the dates inside a document follow its day of issue.

Each run is a separate process (``python -m generator``) that builds the tiny project's blank kit and issues one
case, with the clock moved two ways: ``SOURCE_DATE_EPOCH`` (the build time that reproducible-build tools, and
fontTools when it subsets a font, take for "now") and ``WATHIQA_TODAY`` (the day of issue).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.project_fixture import ROOT, TINY

EPOCH_2001 = 1_000_000_000
EPOCH_2033 = 2_000_000_000


def generator(*argv: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "generator", *argv, "--policy", str(TINY)],
        capture_output=True, text=True, cwd=ROOT, env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def make(folder: Path, *, epoch: int, day: str) -> dict[str, bytes]:
    """Every document and register a build and one issue write; register backups (named by the time of the save)
    and the office database (the office's state, not a document) aside."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch), "WATHIQA_TODAY": day}
    data = folder / "case.yml"
    folder.mkdir()
    data.write_text(generator("example", "application", env=env), encoding="utf-8")
    out = folder / "out"
    generator("build", "--out", str(out), env=env)
    generator("issue", "application", "--data", str(data), "--out", str(out), env=env)
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and "backups" not in p.parts and not p.name.startswith("office.db")
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    base = tmp_path_factory.mktemp("runs")
    return {
        "first": make(base / "first", epoch=EPOCH_2001, day="2026-11-30"),
        "again": make(base / "again", epoch=EPOCH_2001, day="2026-11-30"),
        "later clock": make(base / "later", epoch=EPOCH_2033, day="2026-11-30"),
        "next year": make(base / "next", epoch=EPOCH_2033, day="2027-06-20"),
    }


def pdf_dates(pdf: bytes) -> tuple[date, date]:
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None and metadata.creation_date and metadata.modification_date
    return metadata.creation_date.date(), metadata.modification_date.date()


def test_the_same_clock_gives_the_same_bytes(runs: dict[str, dict[str, bytes]]) -> None:
    first = runs["first"]
    assert sorted(first) == sorted([
        "blank/acknowledgment.docx", "blank/acknowledgment.pdf", "blank/application.docx", "blank/application.pdf",
        "blank/policy.pdf", "blank/requests.xlsx",
        "cases/REQ-1448-00001/acknowledgment.docx", "cases/REQ-1448-00001/acknowledgment.pdf",
        "cases/REQ-1448-00001/application.docx", "cases/REQ-1448-00001/application.pdf",
        "cases/REQ-1448-00001/case.json", "cases/REQ-1448-00001/record.json", "registers/requests.xlsx",
    ])
    assert runs["again"] == first


def test_another_build_clock_changes_no_byte(runs: dict[str, dict[str, bytes]]) -> None:
    later = runs["later clock"]
    assert sorted(later) == sorted(runs["first"])
    for name, data in runs["first"].items():
        assert later[name] == data, name


def test_another_day_changes_the_case_and_not_the_blank_kit(runs: dict[str, dict[str, bytes]]) -> None:
    first, nxt = runs["first"], runs["next year"]
    for name in [n for n in first if n.startswith("blank/")]:
        assert nxt[name] == first[name], name
    assert sorted(n.split("/")[1] for n in nxt if n.startswith("cases/")) == ["REQ-1449-00001"] * 6


def test_pdf_dates_follow_the_day_of_issue_not_the_clock(runs: dict[str, dict[str, bytes]]) -> None:
    for run, day, reference in (
        ("first", date(2026, 11, 30), "REQ-1448-00001"),
        ("later clock", date(2026, 11, 30), "REQ-1448-00001"),
        ("next year", date(2027, 6, 20), "REQ-1449-00001"),
    ):
        files = runs[run]
        for doc_id in ("application", "acknowledgment"):
            assert pdf_dates(files[f"cases/{reference}/{doc_id}.pdf"]) == (day, day), (run, doc_id)
            # A blank document is dated by its version (issued: 2026-11-01 in its YAML), whatever the day.
            assert pdf_dates(files[f"blank/{doc_id}.pdf"]) == (date(2026, 11, 1), date(2026, 11, 1)), (run, doc_id)


def test_zip_entries_carry_no_clock(runs: dict[str, dict[str, bytes]]) -> None:
    """DOCX and XLSX are zip files, whose entries each hold a time: never the time of the run."""
    for run in ("first", "next year"):
        for name, data in runs[run].items():
            if name.endswith((".docx", ".xlsx")):
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    years = {info.date_time[0] for info in archive.infolist()}
                assert years <= {2024, 2026}, (run, name, years)
