"""`wathiqa register print`: a register's rows as an Arabic PDF for the binder, read back from the PDF."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

import generator as api
from generator.cli.main import main
from generator.config.project import load_project
from generator.content.text import format_hijri
from generator.render.register_pdf import cell_markup
from generator.workflow.printing import print_file_name
from tests.pdf_print import PrintedPage, printed_pages
from tests.project_fixture import ROOT
from tests.report_fixtures import write_registers

POLICY = ROOT / "policies" / "policy.yml"
PROJECT = load_project(POLICY)
TODAY = date(2026, 11, 24)
STATUSES = ["مستلم", "قيد الدراسة", "صدر القرار", "تم الرد"]
NAMES = ["عبدالله محمد القحطاني", "نورة سعد الدوسري", "خالد إبراهيم السبيعي", "فاطمة علي الزهراني"]
FIRST_DAY = date(2026, 10, 1)
ROWS = 60


def reference(n: int) -> str:
    return f"REQ-1447-{n:05d}"  # another year than the issued case's, whose number the office database gives


def row(n: int) -> dict[str, Any]:
    received = FIRST_DAY + timedelta(days=n)
    return {
        "reference": reference(n),
        "received_on": received,
        "received_on_hijri": format_hijri(received, "arabic"),
        "applicant_name": NAMES[n % 4],
        "national_id": "1000000008",
        "mobile": "0501234567",
        "email": "applicant@example.com",
        "city": "الرياض",
        "request_type": "دار نسائية لتحفيظ القرآن الكريم" if n % 2 else "حلقة تحفيظ قرآن كريم",
        "status": STATUSES[n % 4],
        "decision": "قبول" if n % 4 >= 2 else None,
    }


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([*argv, "--policy", str(POLICY)], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 rows in the requests register, and one issued case waiting in the journal (the register was open)."""
    folder = tmp_path_factory.mktemp("print") / "out"
    rows = [{k: v for k, v in row(n).items() if v is not None} for n in range(1, ROWS + 1)]
    write_registers(PROJECT, folder, {"requests": rows})
    status, text, _ = run("example", "application")
    assert status == 0
    record = {k: (str(v) if not isinstance(v, list) else v) for k, v in yaml.safe_load(text).items()}
    register = folder / "registers" / "requests.xlsx"
    owner = register.with_name("~$" + register.name)  # the archivist has it open in Excel
    owner.write_bytes(b"\x05Sara" + b" " * 48 + b"\x05\x00S\x00a\x00r\x00a\x00")
    issued = api.issue(PROJECT, "application", record, folder, today=TODAY)
    assert issued.pending
    (folder / "pending-reference").write_text(issued.reference, encoding="utf-8")
    return folder


def pages_of(path: Path) -> list[PrintedPage]:
    assert path.is_file(), path
    return printed_pages(path)


def text_of(pages: list[PrintedPage]) -> str:
    return "\n".join(page.text for page in pages)


def test_the_whole_register_prints_landscape_with_its_header_on_every_page(out: Path) -> None:
    status, printed, err = run("register", "print", "requests", "--out", str(out))
    assert (status, err) == (0, "")
    path = out / "registers" / "print" / "requests.pdf"
    pending = (out / "pending-reference").read_text(encoding="utf-8")
    assert printed.splitlines() == [
        "طُبع من «سجل طلبات فتح الحلقات والدور النسائية» ٦١ صفًا في ٣ صفحات.",
        f"الملف: {path}",
        "منها صف واحد بانتظار الكتابة في السجل، معلَّمة بـ «*».",
    ]
    pages = pages_of(path)
    assert len(pages) == 3
    labels = [c.label for c in PROJECT.print_columns("requests")]
    for number, page in enumerate(pages, start=1):
        assert (round(page.width), round(page.height)) == (842, 595), number  # A4 landscape
        assert page.min_size >= 8, (number, sorted(page.sizes, key=lambda s: s[1])[:3])
        assert all(page.has(label) for label in labels), number  # the header row repeats
        assert not page.has("البريد الإلكتروني"), number  # a column that is not printed
    first = pages[0]
    assert first.has("سجل طلبات فتح الحلقات والدور النسائية")
    assert first.has(PROJECT.policy.association.name)
    assert first.has("جميع صفوف السجل")
    text = text_of(pages)
    for n in range(1, ROWS + 1):
        assert reference(n) in text, n
        assert text.count(reference(n)) == 1, n
    assert pending in text  # the row waiting in the journal is printed, and said to wait
    assert pages[-1].has("الصفوف المعلَّمة بـ «*» فيها ما ينتظر الكتابة في السجل")


def test_status_and_dates_select_the_rows(out: Path) -> None:
    # Hijri dates, as the policy's calendar: Jumada I 1448 starts on 2026-10-12, its 20th is 2026-10-31
    start, end = date(2026, 10, 12), date(2026, 10, 31)
    status, printed, err = run("register", "print", "requests", "--status", "صدر القرار", "--from", "1448-05-01",
                               "--to", "1448-05-20", "--out", str(out))  # fmt: skip
    assert (status, err) == (0, ""), err
    path = out / "registers" / "print" / f"requests-decided-{start.isoformat()}_{end.isoformat()}.pdf"
    assert f"الملف: {path}" in printed
    text = text_of(pages := pages_of(path))
    expected = {n for n in range(1, ROWS + 1) if STATUSES[n % 4] == "صدر القرار" and start <= row(n)["received_on"] <= end}
    assert expected == {14, 18, 22, 26, 30}
    for n in range(1, ROWS + 1):
        assert (reference(n) in text) is (n in expected), n
    assert pages[0].has("الحالة: صدر القرار")
    assert pages[0].has("تاريخ الاستلام من") and pages[0].has("إلى")
    assert "طُبع من «سجل طلبات فتح الحلقات والدور النسائية» ٥ صفوف في صفحة واحدة." in printed

    status, printed, _ = run("register", "print", "requests", "--status", "received", "--out", str(out))
    assert status == 0
    text = text_of(pages_of(out / "registers" / "print" / "requests-received.pdf"))
    assert {n for n in range(1, ROWS + 1) if reference(n) in text} == {n for n in range(1, ROWS + 1) if n % 4 == 0}
    assert (out / "pending-reference").read_text(encoding="utf-8") in text  # the issued case is «مستلم»


def test_a_selection_without_rows_says_so(out: Path) -> None:
    status, printed, _ = run("register", "print", "requests", "--from", "2026-01-01", "--to", "2026-01-31",
                             "--out", str(out))  # fmt: skip
    assert status == 0
    assert printed.startswith("لا يطابق هذا الاختيار أي صف")
    (page,) = pages_of(out / "registers" / "print" / "requests-2026-01-01_2026-01-31.pdf")
    assert page.has("لا توجد صفوف تطابق هذا الاختيار")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["registers"], "wathiqa: unknown register 'registers'; the registers are: contacts, outgoing"),
        (["requests", "--status", "closed"], "wathiqa: unknown status 'closed'; the statuses are: received (مستلم)"),
        (["requests", "--from", "1448-13-01"], "wathiqa: --from '1448-13-01': "),
        (["requests", "--to", "yesterday"], "wathiqa: --to 'yesterday': "),
        (["requests", "--from", "2026-11-02", "--to", "2026-11-01"], "wathiqa: --to 2026-11-01 is before --from"),
        ([], "wathiqa register print: REGISTER_ID is required"),
    ],
)
def test_bad_input_is_one_message_and_nothing_written(tmp_path: Path, argv: list[str], message: str) -> None:
    out = tmp_path / "out"
    write_registers(PROJECT, out, {})
    status, printed, err = run("register", "print", *argv, "--out", str(out))
    assert (status, printed) == (2, "")
    assert err.startswith(message), err
    assert len(err.splitlines()) == 1
    assert not (out / "registers" / "print").exists()


def test_a_register_not_built_yet_is_exit_2(tmp_path: Path) -> None:
    status, _, err = run("register", "print", "requests", "--out", str(tmp_path / "none"))
    assert status == 2
    assert "the register does not exist yet; run `wathiqa build" in err


def test_cells_keep_their_order_inside_arabic_lines() -> None:
    columns = {c.id: c for c in PROJECT.register_columns("requests")}
    assert cell_markup(PROJECT, columns["reference"], "REQ-1448-00012") == '<bdi dir="ltr">REQ-1448-00012</bdi>'
    assert cell_markup(PROJECT, columns["received_on"], date(2026, 11, 24)) == '<bdi dir="ltr">١٤/٠٦/١٤٤٨هـ</bdi>'
    assert cell_markup(PROJECT, columns["mobile"], "0501234567") == '<bdi dir="ltr">٠٥٠١٢٣٤٥٦٧</bdi>'
    assert cell_markup(PROJECT, columns["applicant_name"], "نورة <b>") == "نورة &lt;b&gt;"
    assert cell_markup(PROJECT, columns["city"], None) == ""


def test_file_names_are_ascii_and_name_the_selection() -> None:
    day = date(2026, 11, 11)
    assert print_file_name("requests", None, None, None) == "requests.pdf"
    assert print_file_name("requests", "received", day, None) == "requests-received-from-2026-11-11.pdf"
    assert print_file_name("requests", None, None, day) == "requests-to-2026-11-11.pdf"


def test_a_row_is_never_split_across_two_pages() -> None:
    from generator.render.register_pdf import PrintedRow, RegisterSheet, register_pdf

    columns = [c for c in PROJECT.register_columns("requests") if c.id in ("reference", "applicant_name", "notes")]
    notes = next(c for c in columns if c.id == "notes")
    words = " ".join(["ملاحظة طويلة عن الموقع والمعلم وأوقات الحلقة"] * 12)
    rows = [
        PrintedRow({columns[0].label: reference(n), notes.label: f"START{n:03d} {words} END{n:03d}"})
        for n in range(1, 41)
    ]
    sheet = RegisterSheet("requests", "سجل", columns, rows, [], "٤٠", None, "", "م", TODAY, "")
    pdf, count = register_pdf(PROJECT, sheet)
    pages = printed_pages(pdf)
    assert count == len(pages) > 3
    for n in range(1, 41):
        holding = [i for i, page in enumerate(pages) if f"START{n:03d}" in page.text or f"END{n:03d}" in page.text]
        assert len(holding) == 1, (n, holding)  # the row's first and last line on one page


def test_a_print_from_the_command_line_is_in_the_audit_trail(out: Path) -> None:
    from generator.office.audit import audit_entries
    from generator.office.db import OfficeDB

    status, _, err = run("register", "print", "requests", "--status", "صدر القرار", "--from", "1448-05-01",
                         "--to", "1448-05-20", "--out", str(out))  # fmt: skip
    assert status == 0, err
    entry = audit_entries(OfficeDB(out))[0]
    assert (entry.action, entry.target) == ("print_register", "requests")
    assert entry.actor.endswith(" (سطر الأوامر)") and entry.actor != " (سطر الأوامر)"
    assert entry.details == (
        "status=decided from=2026-10-12 to=2026-10-31; rows=5 pages=1; requests-decided-2026-10-12_2026-10-31.pdf"
    )
