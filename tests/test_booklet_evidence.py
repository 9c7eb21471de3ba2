"""The policy booklet built with the kit, and the evidence zip of `wathiqa report --evidence`."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from generator.cli.main import main
from generator.config.project import Project, load_project
from generator.content.text import strip_tatweel
from generator.reports import parse_period, write_report
from generator.workflow.build import build_kit
from tests.project_fixture import ROOT, copy_project, edit, line_of
from tests.report_fixtures import write_registers

BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(ROOT / "policies" / "policy.yml")


def text_of(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return "\n".join(BIDI_MARKS.sub("", strip_tatweel(page.extract_text())) for page in pages)


def test_build_prints_the_policy_booklet(project: Project, tmp_path: Path) -> None:
    written = build_kit(project, tmp_path)
    booklet = tmp_path / "blank" / "policy.pdf"
    assert booklet in written
    reader = PdfReader(booklet)
    assert 2 <= len(reader.pages) <= 4
    text = text_of(booklet.read_bytes())
    policy = project.policy
    for phrase in (
        "سياسة تنظيم العلاقة مع المستفيدين",
        "تمهيد",
        "الهدف العام",
        "الأهداف التفصيلية",
        "قنوات التواصل مع المستفيدين",
        "خطوات التعامل مع المستفيد",
        "معيار الخدمة",
        "اعتماد مجلس الإدارة",
        "رقم قرار المجلس",
        "تاريخ الاعتماد",
        "رئيس مجلس الإدارة",
        "أمين مجلس الإدارة",
        "الختم",
        "BR-P-01",
        *(item.label for item in policy.lists["channels"].items),
        *(item.label for item in policy.lists["reference_tools"].items),
    ):
        assert phrase in text, phrase
    for goal in (policy.goals.general, *policy.goals.detailed, *(s.text for s in policy.procedure)):
        assert " ".join(goal.split()[:4]) in " ".join(text.split()), goal
    fonts = {str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert all("IBM-Plex-Sans-Arabic" in f for f in fonts)


def test_a_bad_wording_file_stops_the_build_before_anything_is_written(tmp_path: Path) -> None:
    policy = copy_project(tmp_path)
    wording = policy.parent / "reports.yml"
    edit(wording, "  approval: اعتماد مجلس الإدارة", "  aproval: اعتماد مجلس الإدارة")
    out, err = io.StringIO(), io.StringIO()
    status = main(["build", "--policy", str(policy), "--out", str(tmp_path / "out")], stdout=out, stderr=err)
    assert status == 2
    assert f"{wording}:{line_of(wording, 'aproval')}:3: booklet.aproval: unknown key 'aproval'" in err.getvalue()
    assert not (tmp_path / "out").exists()


def test_evidence_zip(project: Project, tmp_path: Path) -> None:
    registers = write_registers(project, tmp_path)
    result = write_report(project, tmp_path, parse_period("1448-06"), today=date(2026, 12, 20), evidence=True)
    pack = result.folder / "evidence-1448-06.zip"
    assert result.files[-1] == pack
    with zipfile.ZipFile(pack) as zf:
        names = zf.namelist()
        assert names == [
            "index.txt",
            "policy.pdf",
            "report.pdf",
            "report.xlsx",
            *(f"registers/{rid}.xlsx" for rid in project.registers),
        ]
        for register_id, path in registers.items():
            assert zf.read(f"registers/{register_id}.xlsx") == path.read_bytes()
        assert zf.read("report.pdf") == (result.folder / "report.pdf").read_bytes()
        assert zf.read("report.xlsx") == (result.folder / "report.xlsx").read_bytes()
        assert "سياسة تنظيم العلاقة مع المستفيدين" in text_of(zf.read("policy.pdf"))
        index = zf.read("index.txt").decode("utf-8").splitlines()
    assert index[0] == "فهرس ملف الشواهد"
    assert index[2].startswith("شواهد سياسة تنظيم العلاقة مع المستفيدين للفترة: جمادى الآخرة ١٤٤٨هـ")
    rows = dict(line.split("\t") for line in index[4:])
    assert rows["الملف"] == "ما يشهد عليه"
    assert rows["policy.pdf"].startswith("السياسة المعتمدة")
    assert rows["report.pdf"].startswith("التقرير الدوري للفترة")
    assert (
        rows["registers/satisfaction.xlsx"] == "نسخة من «سجل استبانات قياس رضا المستفيدين» كما هو في تاريخ إعداد الملف."
    )
    assert len(rows) == 1 + 3 + len(project.registers)
