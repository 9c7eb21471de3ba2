"""wathiqa scan: issued documents printed, "scanned" (rasterised at 150 and 200 dpi, turned, skewed, noisy,
JPEG-compressed), bundled with a blank page and another office's page, and filed back into their cases.

Every page of a real issued case is rendered by PDFium from the PDF wathiqa wrote, as a scanner would see
the printed sheet; the assertions are what a clerk checks: each case folder holds its signed documents with
the pages in order, the register says «موقّع», and everything else waits in the queue with its picture.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader, PdfWriter

from generator import issue, load_project, read_register, scan_stack
from generator.cli import main
from generator.config.project import Project
from generator.content.examples import example_fields
from generator.errors import DataError
from generator.office.db import OfficeDB
from generator.scan import assign_page, discard, waiting
from tests.project_fixture import ROOT
from tests.scan_sim import code_page, printed, scanned, stack_pdf

DAY = date(2026, 11, 1)


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(ROOT / "policies" / "policy.yml")


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATHIQA_TODAY", DAY.isoformat())


def issue_case(project: Project, out: Path) -> str:
    record = dict(example_fields(project.documents["application"]))
    return issue(project, "application", record, out, today=DAY).reference


def codes_of(pdf: Path) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            " ".join(b.text for b in zxingcpp.read_barcodes(page.render(scale=150 / 72, grayscale=True).to_pil()))
            for page in document
        ]
    finally:
        document.close()


def signed_on(project: Project, out: Path, reference: str) -> object:
    """The register's «موقّع» cell of the case."""
    (row,) = [r for r in read_register(project, "requests", out).rows if r.values.get("reference") == reference]
    return row.values.get("signed_on")


# --------------------------------------------------------------------------------------------- the stack


def test_a_mixed_stack_files_every_page_in_its_case_in_order_and_queues_the_rest(
    tmp_path: Path, project: Project
) -> None:
    out = tmp_path / "out"
    first, second = issue_case(project, out), issue_case(project, out)
    app1, app2 = printed(out, first, "application"), printed(out, second, "application", dpi=150)
    (decl1,) = printed(out, first, "declaration", dpi=150)
    (decl2,) = printed(out, second, "declaration")
    assert len(app1) == len(app2) == 2
    pages = [
        scanned(app1[1], angle=180, noise=3000, quality=60),  # page 2 before page 1, upside down
        scanned(app1[0], angle=3, quality=70, seed=1),
        Image.new("L", (1654, 2339), 255),  # the blank back of a sheet
        scanned(decl1, angle=90, noise=2000, seed=2),
        scanned(app2[0], angle=-3, noise=2000, quality=60, seed=3),
        code_page("REQ-1448-09999 BR-F-02 1/1"),  # another office's declaration: no such case here
        scanned(app2[1], angle=270, quality=50),
        scanned(decl2, angle=0, noise=4000, quality=40, seed=4),
        code_page("https://example.org/another-office"),
    ]
    stack = stack_pdf(tmp_path / "stack.pdf", pages)

    result = scan_stack(project, [stack], out, actor="clerk")

    assert result.pages == 9
    for reference in (first, second):
        folder = out / "cases" / reference
        assert codes_of(folder / "signed-application.pdf") == [
            f"{reference} BR-F-01 1/2",
            f"{reference} BR-F-01 2/2",
        ]  # upright (zxing reads the code where it is printed) and in order
        assert codes_of(folder / "signed-declaration.pdf") == [f"{reference} BR-F-02 1/1"]
        assert signed_on(project, out, reference) == DAY
    assert sorted((q.page, q.reason) for q in result.queued) == [(3, "unreadable"), (6, "unknown_case"), (9, "foreign")]
    queued = waiting(OfficeDB(out))
    assert len(queued) == result.waiting == 3
    for page in queued:
        thumb = Image.open(out / "scans" / page.thumbnail)
        assert thumb.width <= 240 and (out / "scans" / page.image).is_file()
    assert not list((out / "scans").glob(".scan.*"))  # the staging folder is gone


def test_the_command_lists_what_waits_and_exits_1_until_the_queue_is_empty(
    tmp_path: Path, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    reference = issue_case(project, out)
    (decl,) = printed(out, reference, "declaration")
    stack = stack_pdf(tmp_path / "stack.pdf", [decl, Image.new("L", decl.size, 255)])
    policy = str(ROOT / "policies" / "policy.yml")
    assert main(["scan", str(stack), "--out", str(out), "--policy", policy]) == 1
    said = capsys.readouterr().out
    assert f"{out / 'cases' / reference / 'signed-declaration.pdf'}" in said
    assert "لم يُقرأ رمز الصفحة" in said and "صفحة واحدة" in said
    (page,) = waiting(OfficeDB(out))
    assert discard(OfficeDB(out), page.id, "clerk")
    again = stack_pdf(tmp_path / "again.pdf", [printed(out, reference, "application")[0]])
    assert main(["scan", str(again), "--out", str(out), "--policy", policy]) == 1  # page 2 is missing
    (page,) = waiting(OfficeDB(out))
    assert page.reason == "incomplete"
    assert discard(OfficeDB(out), page.id, "clerk")
    done = stack_pdf(tmp_path / "done.pdf", printed(out, reference, "application"))
    assert main(["scan", str(done), "--out", str(out), "--policy", policy]) == 0


# --------------------------------------------------------------------------------------------- never guess


def test_a_file_scanned_twice_and_a_page_filed_before_wait_for_a_clerk(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "out"
    reference = issue_case(project, out)
    (decl,) = printed(out, reference, "declaration")
    stack = stack_pdf(tmp_path / "stack.pdf", [decl])
    assert [f.doc_id for f in scan_stack(project, [stack], out).filed] == ["declaration"]
    signed = (out / "cases" / reference / "signed-declaration.pdf").read_bytes()

    again = scan_stack(project, [stack], out)  # the very same file
    assert again.filed == [] and [q.reason for q in again.queued] == ["file_scanned"]
    rescanned = stack_pdf(tmp_path / "rescanned.pdf", [scanned(decl, angle=2, quality=70)])
    third = scan_stack(project, [rescanned], out)  # another scan of the same sheet
    assert third.filed == [] and [q.reason for q in third.queued] == ["already_filed"]
    assert (out / "cases" / reference / "signed-declaration.pdf").read_bytes() == signed


def test_a_missing_page_files_nothing_until_a_clerk_puts_it_in(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "out"
    reference = issue_case(project, out)
    page1, page2 = printed(out, reference, "application")
    only_two = scan_stack(project, [stack_pdf(tmp_path / "two.pdf", [page2])], out)
    assert only_two.filed == [] and [q.reason for q in only_two.queued] == ["incomplete"]
    assert not (out / "cases" / reference / "signed-application.pdf").exists()
    assert signed_on(project, out, reference) is None

    filed = assign_page(project, out, only_two.queued[0].id, reference, "application", 2, actor="clerk")
    assert filed.path.is_file() and codes_of(filed.path) == [f"{reference} BR-F-01 2/2"]
    assert signed_on(project, out, reference) is None  # page 1 still missing
    with pytest.raises(DataError, match="محفوظة من قبل"):
        late = scan_stack(project, [stack_pdf(tmp_path / "late.pdf", [page2.rotate(1)])], out)
        assign_page(project, out, late.queued[0].id, reference, "application", 2)
    rest = scan_stack(project, [stack_pdf(tmp_path / "one.pdf", [page1])], out)
    assert [(f.doc_id, f.pages) for f in rest.filed] == [("application", (1,))]
    assert codes_of(filed.path) == [f"{reference} BR-F-01 1/2", f"{reference} BR-F-01 2/2"]
    assert signed_on(project, out, reference) == DAY


def test_pages_whose_code_cannot_say_where_they_go_are_queued(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "out"
    reference = issue_case(project, out)
    pages = [
        code_page(f"{reference} BR-F-01 0/0"),  # printed from the DOCX: which page is not known
        code_page("BR-F-02 1/1"),  # a blank declaration filled by hand
        code_page(f"{reference} BR-F-05 1/1"),  # a contact-log code: not issued for this case
        code_page(f"{reference} XX-Z-99 1/1"),  # no such form
    ]
    result = scan_stack(project, [stack_pdf(tmp_path / "odd.pdf", pages)], out)
    assert [q.reason for q in result.queued] == ["page_unknown", "blank_form", "not_in_case", "unknown_form"]
    assert result.filed == []


# --------------------------------------------------------------------------------------------- inputs


def test_photos_and_tiff_are_read_as_pages(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "out"
    reference = issue_case(project, out)
    page1, page2 = printed(out, reference, "application")
    tiff = tmp_path / "stack.tiff"
    page1.save(tiff, save_all=True, append_images=[scanned(page2, angle=90)], compression="tiff_deflate")
    photo = tmp_path / "photo.jpg"
    scanned(printed(out, reference, "declaration")[0], angle=-2, quality=85).convert("RGB").save(photo)
    result = scan_stack(project, [tiff, photo], out)
    assert sorted((f.doc_id, f.pages) for f in result.filed) == [("application", (1, 2)), ("declaration", (1,))]


def encrypted(path: Path, source: Path) -> Path:
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt("secret")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


@pytest.mark.parametrize("bad", ["encrypted", "empty", "text", "truncated"])
def test_bad_input_is_refused_in_arabic_and_nothing_is_filed(
    tmp_path: Path, project: Project, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    out = tmp_path / "out"
    reference = issue_case(project, out)
    good = stack_pdf(tmp_path / "good.pdf", printed(out, reference, "declaration"))
    path = tmp_path / f"{bad}.pdf"
    if bad == "encrypted":
        encrypted(path, good)
    elif bad == "empty":
        path.write_bytes(b"")
    elif bad == "text":
        path = tmp_path / "notes.txt"
        path.write_text("ليست صورة", encoding="utf-8")
    else:
        path.write_bytes(good.read_bytes()[:400])
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    code = main(["scan", str(good), str(path), "--out", str(out), "--policy", str(ROOT / "policies" / "policy.yml")])
    said = capsys.readouterr().err
    assert code == 2
    assert str(path) in said
    assert {"encrypted": "كلمة مرور", "empty": "فارغ", "text": "ليس PDF", "truncated": "تالف"}[bad] in said
    assert sorted(p.relative_to(out) for p in out.rglob("*") if "office.db" not in p.name) == [
        p for p in before if "office.db" not in p.name
    ]  # the good file was not filed either


def test_progress_is_reported_page_by_page(tmp_path: Path, project: Project) -> None:
    out = tmp_path / "out"
    reference = issue_case(project, out)
    stack = stack_pdf(tmp_path / "stack.pdf", printed(out, reference, "application", dpi=150) * 2)
    seen: list[tuple[int, int]] = []
    scan_stack(project, [stack], out, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_a_register_open_in_excel_never_blocks_the_scan(tmp_path: Path, project: Project) -> None:
    """The «موقّع» date waits in the journal while the register is open, and reaches it once, when it is free."""
    from generator import sync_registers

    out = tmp_path / "out"
    reference = issue_case(project, out)
    register = out / "registers" / "requests.xlsx"
    owner = register.with_name("~$" + register.name)  # what Excel leaves beside a workbook it has open
    owner.write_bytes(b"\x05Sara" + b" " * 48 + b"\x05\x00S\x00a\x00r\x00a\x00")
    result = scan_stack(project, [stack_pdf(tmp_path / "s.pdf", printed(out, reference, "declaration"))], out)
    assert [f.doc_id for f in result.filed] == ["declaration"] and result.registers_waiting == ["requests"]
    row = next(r for r in read_register(project, "requests", out).rows if r.values.get("reference") == reference)
    assert row.pending and "Excel" in row.waiting_reason  # shown as waiting, laid over the row
    owner.unlink()
    sync_registers(project, out)
    assert signed_on(project, out, reference) == DAY
    audit = OfficeDB(out)
    with audit.read() as conn:
        actions = [row[0] for row in conn.execute("SELECT action FROM audit WHERE target = ?", (reference,))]
    assert "scan" in actions


def _scan_in_process(args: tuple[str, str, str]) -> list[str]:
    policy, stack, out = args
    project = load_project(Path(policy))
    result = scan_stack(project, [Path(stack)], Path(out))
    return [f.doc_id for f in result.filed]


def test_two_scans_of_the_same_sheets_at_once_file_each_page_once(tmp_path: Path, project: Project) -> None:
    """Two clerks feed two scans of the same signed sheets at the same moment: real processes, one filing wins,
    the other's pages wait as already filed; the signed PDF holds each page once."""
    import multiprocessing

    out = tmp_path / "out"
    reference = issue_case(project, out)
    sheets = [*printed(out, reference, "application"), *printed(out, reference, "declaration")]
    first = stack_pdf(tmp_path / "first.pdf", sheets)
    second = stack_pdf(tmp_path / "second.pdf", [scanned(s, angle=1, quality=80) for s in sheets])
    policy = str(ROOT / "policies" / "policy.yml")
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(_scan_in_process, [(policy, str(first), str(out)), (policy, str(second), str(out))])
    assert sorted(doc for filed in results for doc in filed) == ["application", "declaration"]
    folder = out / "cases" / reference
    assert codes_of(folder / "signed-application.pdf") == [f"{reference} BR-F-01 1/2", f"{reference} BR-F-01 2/2"]
    assert sorted(p.reason for p in waiting(OfficeDB(out))) == ["already_filed"] * 3


def test_a_scan_killed_after_reading_leaves_no_pictures_and_the_next_scan_files_the_stack(
    tmp_path: Path, project: Project
) -> None:
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    reference = issue_case(project, out)
    stack = stack_pdf(tmp_path / "stack.pdf", printed(out, reference, "declaration"))
    argv = [sys.executable, "-m", "generator", "scan", str(stack), "--out", str(out),
            "--policy", str(ROOT / "policies" / "policy.yml")]  # fmt: skip
    env = {**os.environ, "WATHIQA_FAULT": "scan.read", "WATHIQA_TODAY": DAY.isoformat()}
    killed = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert killed.returncode == -9
    assert list((out / "scans").glob(".scan.*"))  # the killed run's page pictures
    assert not (out / "cases" / reference / "signed-declaration.pdf").exists()
    env.pop("WATHIQA_FAULT")
    again = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert codes_of(out / "cases" / reference / "signed-declaration.pdf") == [f"{reference} BR-F-02 1/1"]
    assert not list((out / "scans").glob(".scan.*"))  # the next run removed the dead run's pictures
