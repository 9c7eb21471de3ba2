"""A case's life in a real browser (Debian's chromium through Playwright): correct a typo, void a case, find a
case by a misspelt name, read its story, decide before the reply date only with a reason.

Every POST answers with a redirect to a page (POST-redirect-GET): the tests reload and go Back after each one
and check that nothing was done twice. With WATHIQA_SCREENSHOTS=docs the screenshots land where the README shows
them.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import generator as api
from tests.test_web_browser import (  # noqa: F401  (the browser's fixtures, used by name)
    browser_context_args,
    browser_type_launch_args,
    pdf_text,
    screenshots,
)
from tests.web_helpers import PROJECT, example_values, make_app


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The office app served by waitress on a free port, with an empty output folder."""
    from waitress.server import create_server

    out = tmp_path / "out"
    server = create_server(make_app(out), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", out
    finally:
        server.close()


FIXED = "عبدالله محمد أحمد الشهري"


def issue_case(out: Path, **changes: str) -> str:
    return api.issue(PROJECT, "application", example_values(**changes), out).reference


def history(out: Path, reference: str) -> list[dict[str, object]]:
    path = out / "cases" / reference / "history.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def test_clerk_corrects_a_typo_and_an_archivist_voids_a_case(
    page: Page, office: tuple[str, Path], tmp_path: Path
) -> None:
    base, out = office
    reference = issue_case(out)
    shots = screenshots(tmp_path)
    page.goto(f"{base}/cases/{reference}")
    expect(page.locator("th", has_text="نسخة Word")).to_be_visible()
    expect(page.locator("th", has_text="للتعديل")).to_have_count(0)  # the DOCX is not the way to fix data
    page.get_by_role("link", name="تصحيح بيانات الحالة").click()
    expect(page.locator("input[name=applicant_name]")).to_have_value("عبدالله محمد أحمد القحطاني")
    expect(page.locator("input[name=days][value=tuesday]")).to_be_checked()
    page.fill("input[name=applicant_name]", FIXED)
    page.fill("textarea[name=_reason]", "خطأ في اسم العائلة")
    page.locator("h1").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "office-app-case-correct.png"), full_page=False)
    page.get_by_role("button", name="إصدار نسخة مصححة").click()
    page.wait_for_url(re.compile(rf"/cases/{reference}$"))
    expect(page.locator(".flash.ok")).to_contain_text("نسخة مصححة")
    expect(page.locator("ol.timeline li.correct")).to_contain_text("خطأ في اسم العائلة")
    expect(page.locator("dl.data")).to_contain_text(FIXED)
    href = page.locator("a", has_text="طباعة كل مستندات الحالة").get_attribute("href")
    combined = pdf_text(page.request.get(base + (href or "")).body())
    assert "نسخة مصححة" in combined and FIXED in combined and reference in combined
    assert (out / "cases" / reference / "v1" / "application.pdf").is_file()

    page.reload()  # the redirect's page, not the POST: nothing is corrected twice
    page.go_back()
    expect(page.locator("h1")).to_contain_text("تصحيح بيانات الحالة")
    page.go_forward()
    assert [h["kind"] for h in history(out, reference)] == ["correct"]
    assert not (out / "cases" / reference / "v2").exists()
    table = api.read_register(PROJECT, "requests", out)
    assert [r.values["applicant_name"] for r in table.rows] == [FIXED]

    page.fill("form.danger textarea[name=reason]", "طلب مكرر أُصدر خطأً")
    page.get_by_role("button", name="إلغاء الحالة").click()
    page.wait_for_url(re.compile(rf"/cases/{reference}$"))
    expect(page.locator("h1 .badge")).to_have_text("ملغاة")
    expect(page.get_by_role("link", name="تصحيح بيانات الحالة")).to_have_count(0)
    page.screenshot(path=str(shots / "office-app-case-history.png"), full_page=True)
    page.reload()
    assert [h["kind"] for h in history(out, reference)] == ["correct", "void"]
    page.goto(f"{base}/registers/requests")
    expect(page.locator("tr", has_text=reference)).to_contain_text("ملغى")
    page.goto(f"{base}/decisions")
    expect(page.locator("form.decision", has_text=reference)).to_have_count(0)


def test_anyone_finds_a_case_by_a_misspelt_name(page: Page, office: tuple[str, Path], tmp_path: Path) -> None:
    base, out = office
    wanted = issue_case(out, applicant_name="عبدالله محمد أحمد القحطاني")
    other = issue_case(out, applicant_name="نورة سعد العتيبي")
    page.goto(f"{base}/")
    page.get_by_role("link", name="الحالات", exact=True).click()
    expect(page.locator("table.cases tbody tr")).to_have_count(2)
    for typed in ("عبد الله القحطانى", "القحطاني عبدالله", "عَبْدُ اللّه القحْطانيّ", "اَلقحطــاني"):
        page.fill("input[name=q]", typed)
        page.get_by_role("button", name="بحث").click()
        rows = page.locator("table.cases tbody tr")
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text(wanted)
    page.screenshot(path=str(screenshots(tmp_path) / "office-app-cases-search.png"), full_page=False)
    page.fill("input[name=q]", "نوره العتيبي")
    page.get_by_role("button", name="بحث").click()
    expect(page.locator("table.cases tbody tr")).to_contain_text(other)
    page.reload()  # a search is a GET: reloading shows the same list
    expect(page.locator("table.cases tbody tr")).to_have_count(1)
    page.locator("table.cases a", has_text=other).click()
    page.wait_for_url(re.compile(rf"/cases/{other}$"))


def test_the_reply_rule_on_the_decisions_page(page: Page, office: tuple[str, Path], tmp_path: Path) -> None:
    from datetime import timedelta

    from generator.content.text import today

    base, out = office
    api.build_kit(PROJECT, out, only=list(PROJECT.registers))
    fresh = issue_case(out, applicant_name="نورة سعد العتيبي")
    late = api.issue(
        PROJECT, "application", example_values(applicant_name="مصطفى إبراهيم الزهراني"), out,
        today=today() - timedelta(days=20),
    ).reference  # fmt: skip

    page.goto(f"{base}/")
    expect(page.locator("section.overdue")).to_contain_text(late)  # due: on the home page too
    expect(page.locator("section.overdue")).not_to_contain_text(fresh)
    page.goto(f"{base}/decisions")
    cards = page.locator("form.decision")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text(late)  # the overdue request first
    expect(cards.first.locator("dd.waited")).to_have_text("٢٠")
    expect(cards.first).to_contain_text("حان موعد الرد")
    card = page.locator("form.decision", has_text=fresh)
    expect(card).to_contain_text("أقرب موعد للرد")
    expect(card.locator("dd.waited")).to_have_text("٠")
    expect(card).to_contain_text("يبقى على أقرب موعد للرد ١٤ يومًا")
    page.screenshot(path=str(screenshots(tmp_path) / "office-app-decisions.png"), full_page=True)

    card.locator("input[name=decision][value=accepted]").check()
    card.locator("textarea[name=early_reason]").evaluate("e => e.removeAttribute('required')")
    card.locator("button[type=submit]").click()  # no reason: asked for one, nothing recorded
    expect(page.locator("form.decision", has_text=fresh).locator("p.error")).to_contain_text("اكتب سبب اتخاذ القرار")
    rows = {r.values["reference"]: r.values for r in api.read_register(PROJECT, "requests", out).rows}
    assert rows[fresh].get("decision") is None

    card = page.locator("form.decision", has_text=fresh)
    card.locator("input[name=decision][value=accepted]").check()
    card.locator("textarea[name=early_reason]").fill("اكتمل ملف الطلب واعتمدته اللجنة في اجتماعها")
    card.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/decisions\?batch=decisions-\d{8}-\d+$"))
    expect(page.locator("section.result")).to_contain_text("كُتب ١ خطاب")
    page.reload()
    page.go_back()
    page.go_forward()
    expect(page.locator("section.result")).to_contain_text("كُتب ١ خطاب")
    assert len(list((out / "batches").iterdir())) == 1  # reload and Back wrote nothing again
    outgoing = api.read_register(PROJECT, "outgoing", out).rows
    assert len(outgoing) == 1

    late_card = page.locator("form.decision", has_text=late)
    expect(late_card.locator("textarea[name=early_reason]")).to_have_count(0)  # on time: no reason asked
    late_card.locator("input[name=decision][value=accepted]").check()
    late_card.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/decisions\?batch="))
    assert len(api.read_register(PROJECT, "outgoing", out).rows) == 2

    page.goto(f"{base}/reports")
    early = page.locator("#table-requests_early")
    expect(early).to_contain_text(fresh)
    expect(early).to_contain_text("اكتمل ملف الطلب واعتمدته اللجنة")
    expect(early).not_to_contain_text(late)
    expect(page.locator("div.report")).to_contain_text("قرارات قبل المدة")


def test_the_case_page_tells_the_story(page: Page, office: tuple[str, Path], tmp_path: Path) -> None:
    from pypdf import PdfReader

    base, out = office
    reference = issue_case(out)
    page.goto(f"{base}/cases/{reference}")
    story = page.locator("ol.timeline > li")
    expect(story.nth(0)).to_contain_text("استُلم الطلب")
    expect(page.locator("ol.timeline")).to_contain_text("صدر إشعار الاستلام")
    expect(page.locator("ol.timeline li.waiting")).to_contain_text("بانتظار القرار")

    page.select_option("select[name=status]", "incomplete")  # the archivist sets a status with a note
    page.fill("form.card textarea[name=note]", "ينقص خطاب موافقة إمام المسجد")
    page.get_by_role("button", name="تسجيل حالة الطلب").click()
    page.wait_for_url(re.compile(rf"/cases/{reference}$"))
    expect(page.locator("ol.timeline li.status")).to_contain_text("بانتظار استكمال البيانات")
    expect(page.locator("ol.timeline li.status")).to_contain_text("ينقص خطاب موافقة إمام المسجد")
    page.reload()
    expect(page.locator("ol.timeline li.status")).to_have_count(1)
    row = api.read_register(PROJECT, "requests", out).rows[0]
    assert row.cells["حالة الطلب"] == "بانتظار استكمال البيانات"

    api.record_decision(PROJECT, out, reference, "accepted", early_reason="اكتمل الملف")
    letter = api.decide(PROJECT, out).letters[0].letter_reference
    page.reload()
    expect(page.locator("ol.timeline li.decided")).to_contain_text("قبول")
    expect(page.locator("ol.timeline li.letter")).to_contain_text(letter)
    expect(page.locator("table.list tr", has_text=letter)).to_contain_text("PDF")  # the letter among the documents
    page.screenshot(path=str(screenshots(tmp_path) / "office-app-case-story.png"), full_page=True)
    href = page.locator("a", has_text="طباعة كل مستندات الحالة").get_attribute("href")
    combined = page.request.get(base + (href or "")).body()
    text = pdf_text(combined)
    assert letter in text and reference in text
    folder = out / "cases" / reference
    singles = sum(len(PdfReader(p).pages) for p in folder.glob("*.pdf"))
    assert len(PdfReader(io.BytesIO(combined)).pages) == singles  # every document and the letter, once


def test_a_correction_sent_twice_without_javascript_makes_one_version(page: Page, office: tuple[str, Path]) -> None:
    """Without the page's script nothing disables the button: a double click, then the very same form sent again
    (as a browser retries a request that seemed lost) make one version, and the clerk lands on the case."""
    base, out = office
    reference = issue_case(out)
    context = page.context.browser.new_context(java_script_enabled=False, locale="ar-SA")  # type: ignore[union-attr]
    bare = context.new_page()
    sent: list[tuple[str, str]] = []
    bare.on("request", lambda r: sent.append((r.url, r.post_data or "")) if r.method == "POST" else None)
    try:
        bare.goto(f"{base}/cases/{reference}/correct")
        bare.fill("input[name=applicant_name]", FIXED)
        bare.dblclick("button[value=issue]")
        bare.wait_for_url(re.compile(rf"/cases/{reference}$"))
        expect(bare.locator("dl.data")).to_contain_text(FIXED)
        url, body = sent[0]
        again = bare.request.post(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert again.ok and again.url.endswith(f"/cases/{reference}")
        assert "أُرسل نموذج التصحيح هذا من قبل" in again.text()
    finally:
        context.close()
    assert [(h["kind"], h["version"]) for h in history(out, reference)] == [("correct", 1)]
    assert not (out / "cases" / reference / "v2").exists()
    assert [r.values["applicant_name"] for r in api.read_register(PROJECT, "requests", out).rows] == [FIXED]


def test_two_tabs_correcting_one_case_lose_neither_correction(
    page: Page, office: tuple[str, Path], tmp_path: Path
) -> None:
    base, out = office
    reference = issue_case(out)
    other = page.context.new_page()
    page.goto(f"{base}/cases/{reference}/correct")
    other.goto(f"{base}/cases/{reference}/correct")
    page.fill("input[name=applicant_name]", FIXED)
    page.get_by_role("button", name="إصدار نسخة مصححة").click()
    page.wait_for_url(re.compile(rf"/cases/{reference}$"))

    other.fill("input[name=district]", "الملقا")
    other.get_by_role("button", name="إصدار نسخة مصححة").click()
    expect(other.locator("p.flash.error")).to_contain_text("هذه الحالة بعد أن فُتحت بياناتها للتصحيح")
    expect(other.locator("ul.differences li")).to_have_text(
        ["«الاسم الرباعي» في الحالة الآن: " + FIXED, "«الحي» في الحالة الآن: النسيم"]
    )
    expect(other.locator("input[name=district]")).to_have_value("الملقا")  # what was typed is still there
    other.screenshot(path=str(screenshots(tmp_path) / "office-app-case-correct-conflict.png"), full_page=False)
    assert not (out / "cases" / reference / "v2").exists()

    other.fill("input[name=applicant_name]", FIXED)  # the colleague's fix, taken after a look
    other.get_by_role("button", name="إصدار نسخة مصححة").click()
    other.wait_for_url(re.compile(rf"/cases/{reference}$"))
    row = api.read_register(PROJECT, "requests", out).rows[0].values
    assert (row["applicant_name"], row["district"]) == (FIXED, "الملقا")
    assert [h["version"] for h in history(out, reference)] == [1, 2]
    other.close()
