"""The office app in a real browser: Debian's chromium driven by Playwright (no browser download).

The clerk's scenario of the issue: a form with a wrong national ID typed in Arabic-Indic digits, the message
beside the field, the correction, a preview, the issue, the case page, the PDF with the reference in it; a
draft saved and resumed; a batch with one bad row, named, the rest merged and its print PDF downloaded.
Screenshots of the form and of the case page are taken on every run; with WATHIQA_SCREENSHOTS=docs they are
written where the README shows them.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from generator.content.validate import MSG_NATIONAL_ID_CHECK
from tests.needs import require
from tests.project_fixture import ROOT
from tests.rendezvous import GUARD_SECONDS, ThreadTurns
from tests.web_helpers import make_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def screenshots(tmp_path: Path) -> Path:
    chosen = os.environ.get("WATHIQA_SCREENSHOTS")
    folder = (ROOT / chosen) if chosen else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    require(Path(CHROMIUM).exists(), f"Debian's chromium is not installed at {CHROMIUM} (make setup installs it)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 900},
        "locale": "ar-SA",
        "accept_downloads": True,
    }


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    from waitress.server import create_server

    out = tmp_path / "out"
    server = create_server(make_app(out), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", out
    finally:
        server.close()


def pdf_text(data: bytes) -> str:
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub("[\u0640\u200e\u200f\u2066-\u2069]", "", text)


def fill_application(page: Page, national_id: str) -> None:
    page.fill("input[name=applicant_name]", "عبدالله محمد أحمد القحطاني")
    page.check("input[name=gender][value=male]")
    page.fill("input[name=national_id]", national_id)
    page.fill("input[name=mobile]", "٠٥٠١٢٣٤٥٦٧")
    page.fill("input[name=city]", "الرياض")
    page.fill("input[name=district]", "النسيم")
    page.check("input[name=request_type][value=open_circle]")
    page.check("input[name=age_group][value=children]")
    page.fill("input[name=expected_students]", "٢٥")
    page.check("input[name=days][value=sunday]")
    page.check("input[name=days][value=tuesday]")
    page.check("input[name=period][value=after_asr]")
    page.check("input[name=site_type][value=mosque]")
    page.fill("input[name=site_name]", "جامع الإمام تركي بن عبدالله")
    page.fill("textarea[name=site_address]", "حي النسيم، شارع الأمير سعود بن عبدالله")
    page.check("input[name=channel][value=interview]")


def test_clerk_issues_a_case_in_the_browser(page: Page, live_server: tuple[str, Path], tmp_path: Path) -> None:
    base, out = live_server
    page.goto(f"{base}/documents/application/new")
    expect(page.locator("h1")).to_have_text("طلب فتح حلقة تحفيظ أو دار نسائية")
    fill_application(page, "١٠٠٠٠٠٠٠٠٩")  # the check digit is wrong
    page.click("button[value=issue]")

    error = page.locator("#national_id-error")
    expect(error).to_have_text(MSG_NATIONAL_ID_CHECK)
    field_box = page.locator("label[for=f-national_id]").bounding_box()
    error_box = error.bounding_box()
    assert field_box and error_box
    assert field_box["y"] <= error_box["y"] <= field_box["y"] + field_box["height"]  # beside its field
    expect(page.locator("input[name=applicant_name]")).to_have_value("عبدالله محمد أحمد القحطاني")
    expect(page.locator("input[name=days][value=tuesday]")).to_be_checked()
    expect(page.locator("input[name=national_id]")).to_have_value("١٠٠٠٠٠٠٠٠٩")
    assert not (out / "cases").exists()
    shots = screenshots(tmp_path)
    page.screenshot(path=str(shots / "office-app-form.png"), full_page=False)

    page.fill("input[name=national_id]", "١٠٠٠٠٠٠٠٠٨")
    preview_post = page.context.expect_event(
        "response", predicate=lambda r: r.request.method == "POST" and r.url.endswith("/documents/application/new")
    )
    with preview_post as preview_info, page.expect_popup() as popup_info:
        page.click("button[value=preview]")
    assert preview_info.value.status == 200
    assert preview_info.value.headers["content-type"] == "application/pdf"
    popup = popup_info.value
    assert not (out / "cases").exists() or not any((out / "cases").iterdir())
    popup.close()

    page.click("button[value=issue]")
    page.wait_for_url(re.compile(r"/cases/REQ-\d{4}-\d{5}$"))
    reference = page.url.rsplit("/", 1)[1]
    expect(page.locator("h1")).to_contain_text(reference)
    expect(page.locator("body")).to_contain_text("عبدالله محمد أحمد القحطاني")
    page.screenshot(path=str(shots / "office-app-case.png"), full_page=True)

    href = page.locator("a", has_text="طباعة كل مستندات الحالة").get_attribute("href")
    assert href
    combined = page.request.get(base + href)
    assert combined.headers["content-type"] == "application/pdf"
    assert reference in pdf_text(combined.body())
    pdf_link = page.locator("tr", has_text="طلب فتح حلقة").locator("a", has_text="PDF")
    single = page.request.get(base + (pdf_link.get_attribute("href") or ""))
    assert single.ok and reference in pdf_text(single.body())


def test_clerk_saves_and_resumes_a_draft(page: Page, live_server: tuple[str, Path]) -> None:
    base, _ = live_server
    page.goto(f"{base}/documents/application/new")
    page.fill("input[name=applicant_name]", "نورة سعد العتيبي")
    page.check("input[name=gender][value=female]")
    page.check("input[name=days][value=monday]")
    page.click("button[value=draft]")
    expect(page.locator(".flash.ok")).to_contain_text("حُفظت المسودة")
    page.goto(f"{base}/drafts")
    page.locator("tr", has_text="نورة سعد العتيبي").locator("a", has_text="متابعة").click()
    expect(page.locator("input[name=applicant_name]")).to_have_value("نورة سعد العتيبي")
    expect(page.locator("input[name=gender][value=female]")).to_be_checked()
    expect(page.locator("input[name=days][value=monday]")).to_be_checked()


def test_clerk_merges_a_batch_with_one_bad_row(page: Page, live_server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = live_server
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["الرقم المرجعي", "الاسم الرباعي", "الجنس", "نوع الطلب", "تاريخ الاستلام"])
    for n in range(1, 6):
        gender = "غير معروف" if n == 3 else ("ذكر" if n % 2 else "أنثى")
        sheet.append([f"REQ-1448-{n:05d}", f"مستفيد رقم {n}", gender, "حلقة تحفيظ قرآن كريم", "1448-06-04"])
    path = tmp_path / "day.xlsx"
    book.save(path)

    page.goto(f"{base}/batches/new")
    page.select_option("select[name=document]", "acknowledgment")
    page.set_input_files("input[name=sheet]", str(path))
    page.click("button[type=submit].primary")
    bad = page.locator("ul.bad-rows > li")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("الصف ٤")
    expect(bad).to_contain_text("«الجنس»")
    page.get_by_role("button", name=re.compile("دمج الصفوف الصالحة")).click()
    expect(page.locator(".flash.ok")).to_contain_text("اكتمل الدمج", timeout=120_000)
    href = page.locator("a", has_text="print.pdf").get_attribute("href")
    assert href
    response = page.request.get(base + href)
    assert response.ok
    text = pdf_text(response.body())
    for n in (1, 2, 4, 5):
        assert f"REQ-1448-{n:05d}" in text
    assert "REQ-1448-00003" not in text


def test_archivist_decides_prints_the_letter_and_reads_the_figures(
    page: Page, live_server: tuple[str, Path], tmp_path: Path
) -> None:
    import generator as api
    from tests.web_helpers import PROJECT

    base, out = live_server
    api.build_kit(PROJECT, out, only=list(PROJECT.registers))
    page.goto(f"{base}/documents/application/new")
    fill_application(page, "١٠٠٠٠٠٠٠٠٨")
    page.click("button[value=issue]")
    page.wait_for_url(re.compile(r"/cases/REQ-\d{4}-\d{5}$"))
    reference = page.url.rsplit("/", 1)[1]

    page.goto(f"{base}/decisions")
    expect(page.locator("h3", has_text="بانتظار القرار")).to_contain_text("(١)")
    card = page.locator("form.decision", has_text=reference)
    card.locator("input[name=decision][value=accepted]").check()
    card.locator("textarea[name=early_reason]").fill("اكتملت دراسة الطلب قبل المدة")  # decided the day of issue
    card.locator("button[type=submit]").click()
    expect(page.locator("section.result")).to_contain_text("كُتب ١ خطاب")
    expect(page.locator("h3", has_text="بانتظار القرار")).to_contain_text("(٠)")
    href = page.locator("a", has_text="طباعتها كلها").get_attribute("href")
    assert href
    letters = page.request.get(base + href)
    assert letters.ok and letters.headers["content-type"] == "application/pdf"
    text = pdf_text(letters.body())
    assert reference in text and "عبدالله محمد أحمد القحطاني" in text

    page.goto(f"{base}/reports")
    expect(page.locator("h1").first).to_have_text("أرقام المكتب")
    report = page.locator("div.report")
    expect(report).to_contain_text("المقابلة")  # the channel the case came by
    expect(report.locator(".bar").first).to_be_visible()
    page.screenshot(path=str(screenshots(tmp_path) / "office-app-reports.png"), full_page=False)


def test_a_double_click_on_accept_writes_one_letter(
    page: Page, live_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archivist clicks «تسجيل القرار وكتابة الخطاب» a second time while the first letter is being written: the
    browser drops the first request and sends the form again. One letter is written; the page the browser shows
    (the answer to the second click) says the request was answered already and leads to its case."""
    import generator as api
    from generator.registers import read_register
    from tests.web_helpers import PROJECT, example_values

    base, out = live_server
    reference = api.issue(PROJECT, "application", example_values(), out).reference
    turns = ThreadTurns(monkeypatch)  # the first click's request is held once it has read the requests to answer
    page.goto(f"{base}/decisions")
    box = page.locator("form.decision", has_text=reference).locator("input[name=decision][value=accepted]")
    box.check()
    page.locator("form.decision", has_text=reference).locator("textarea[name=early_reason]").fill("اكتمل الملف")
    button = page.locator("form.decision", has_text=reference).locator("button[type=submit]").bounding_box()
    assert button
    x, y = button["x"] + button["width"] / 2, button["y"] + button["height"] / 2
    page.mouse.click(x, y)
    assert turns.collected.wait(GUARD_SECONDS)  # the server is writing the first letter; the page is still there
    with page.expect_response(lambda r: r.request.method == "POST") as second:
        page.mouse.click(x, y)  # real mouse events on the same spot, as a hand would
    assert second.value.status == 409
    alert = page.locator("[role=alert]")
    expect(alert).to_contain_text("قد سبق الرد على الطلب")
    page.screenshot(path=str(screenshots(tmp_path) / "decisions-answered-already.png"), full_page=False)
    alert.locator("a", has_text=reference).click()
    page.wait_for_url(f"{base}/cases/{reference}")
    letters = [r.values["رقم الخطاب"] for r in read_register(out / "registers" / "outgoing.xlsx")[1]]
    assert len(letters) == 1 and len(list(out.glob("batches/decisions-*/docx/*.docx"))) == 1
    expect(page.locator("h1")).to_contain_text(reference)


def test_clerk_scans_the_signed_stack_and_files_what_waits_by_hand(
    page: Page, live_server: tuple[str, Path], tmp_path: Path
) -> None:
    """Issue 20: the stack goes up on /scans, the page follows the reading; the declaration is filed at once,
    page 2 of the application waits (page 1 is not in the stack) with its picture and the form filled from its
    code, and is filed by hand; the blank page is discarded."""
    from PIL import Image

    from generator import issue
    from generator.content.examples import example_fields
    from tests.scan_sim import printed, scanned, stack_pdf
    from tests.web_helpers import PROJECT

    base, out = live_server
    reference = issue(PROJECT, "application", dict(example_fields(PROJECT.documents["application"])), out).reference
    (declaration,) = printed(out, reference, "declaration")
    _, second = printed(out, reference, "application", dpi=150)
    stack = stack_pdf(
        tmp_path / "stack.pdf",
        [scanned(declaration, angle=180, quality=70), Image.new("L", declaration.size, 255), scanned(second, angle=2)],
    )

    page.goto(f"{base}/scans")
    page.set_input_files("input[name=stack]", str(stack))
    page.get_by_role("button", name="مسح الحزمة").click()
    expect(page.locator(".flash.ok")).to_contain_text("قُرئت ٣ صفحات، وحُفظ ١ مستند", timeout=120_000)
    signed = page.locator("a", has_text="signed-declaration.pdf")
    href = signed.get_attribute("href")
    assert href and page.request.get(base + href).ok

    page.get_by_role("link", name="صفحات بانتظار موظف").click()
    cards = page.locator("article.scan-page")
    expect(cards).to_have_count(2)
    for n in range(2):  # each thumbnail is a real picture the browser could draw
        assert page.locator("img.scan-thumb").nth(n).evaluate("img => img.complete && img.naturalWidth > 0")
    waiting_page = cards.filter(has_text="ناقصة")
    expect(waiting_page.locator("input[name=reference]")).to_have_value(reference)
    expect(waiting_page.locator("input[name=page]")).to_have_value("2")
    page.screenshot(path=str(screenshots(tmp_path) / "office-app-scans.png"), full_page=True)
    waiting_page.get_by_role("button", name="حفظ في ملف الحالة").click()
    expect(page.locator(".flash.ok")).to_contain_text(reference)
    blank = page.locator("article.scan-page")
    expect(blank).to_have_count(1)
    blank.get_by_role("button", name="استبعاد الصفحة").click()
    expect(page.locator(".flash.ok")).to_contain_text("استُبعدت")
    expect(page.locator("article.scan-page")).to_have_count(0)
    assert (out / "cases" / reference / "signed-application.pdf").is_file()
    page.goto(f"{base}/cases/{reference}#papers")  # the case page says what came back and what is missing
    papers = page.locator("#papers")
    expect(papers.locator("tr", has_text="إقرار")).to_contain_text("موقّع كاملًا")
    expect(papers.locator("tr", has_text="طلب فتح")).to_contain_text("تنقص الصفحة ١ من ٢")
    expect(papers.locator(".flash.pending")).to_contain_text("صورة الهوية الوطنية أو الإقامة")
    papers.screenshot(path=str(screenshots(tmp_path) / "office-app-case-papers.png"))
