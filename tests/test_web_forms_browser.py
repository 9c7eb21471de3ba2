"""The office app's forms in Chromium: a double click, Back, reload and two tabs never make a second case; Enter
in a field issues nothing; what was typed survives an expired session; the preview is marked «مسودة»."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from generator import read_register
from tests import test_web_browser as shared
from tests.web_helpers import PROJECT

# the browser tests' fixtures: Debian's chromium, an Arabic locale, a live server per test
browser_type_launch_args = shared.browser_type_launch_args
browser_context_args = shared.browser_context_args
live_server = shared.live_server
fill_application = shared.fill_application
screenshots = shared.screenshots

CASE_URL = re.compile(r"/cases/REQ-\d{4}-\d{5}$")


def cases(out: Path) -> list[str]:
    folder = out / "cases"
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def register_rows(out: Path) -> int:
    return len(read_register(PROJECT, "requests", out).rows)


def sign_in(tab: Page, name: str, password: str) -> None:
    tab.fill("input[name=name]", name)
    tab.fill("input[name=password]", password)
    tab.click("button[type=submit].primary")


def sign_out_in_another_tab(page: Page, base: str) -> None:
    """The same person signs out in a second tab: the first tab's session has ended."""
    other = page.context.new_page()
    other.goto(f"{base}/drafts")
    other.get_by_role("button", name="خروج").click()
    expect(other.locator("h1")).to_have_text("الدخول")
    other.close()


def test_double_click_back_and_reload_make_one_case(page: Page, live_server: tuple[str, Path]) -> None:
    base, out = live_server
    page.goto(f"{base}/documents/application/new")
    fill_application(page, "١٠٠٠٠٠٠٠٠٨")
    page.dblclick("button[value=issue]")
    page.wait_for_url(CASE_URL)
    first = page.url
    expect(page.locator(".flash.ok")).to_be_visible()
    page.reload()
    expect(page).to_have_url(first)
    page.go_back()  # the form drawn again (pages are not cached), with what was typed restored by the browser
    expect(page.locator("input[name=applicant_name]")).to_have_value("عبدالله محمد أحمد القحطاني")
    page.click("button[value=issue]")
    # a new drawing of the form: the applicant's open request, the first case, is named and nothing is issued
    expect(page.locator(".same-person a")).to_have_attribute("href", first.removeprefix(base))
    assert len(cases(out)) == 1 and register_rows(out) == 1


def test_two_tabs_on_one_draft_issue_one_case(page: Page, live_server: tuple[str, Path]) -> None:
    base, out = live_server
    page.goto(f"{base}/documents/application/new")
    fill_application(page, "١٠٠٠٠٠٠٠٠٨")
    page.click("button[value=draft]")
    expect(page.locator(".flash.ok")).to_contain_text("حُفظت المسودة")
    draft_url = page.url
    other = page.context.new_page()
    other.goto(draft_url)
    page.click("button[value=issue]")
    page.wait_for_url(CASE_URL)
    other.click("button[value=issue]")
    other.wait_for_url(CASE_URL)
    assert other.url == page.url
    expect(other.locator(".flash.ok")).to_contain_text("أُرسل هذا النموذج من قبل")
    other.close()
    assert len(cases(out)) == 1 and register_rows(out) == 1


def test_enter_in_a_text_field_does_not_issue(page: Page, live_server: tuple[str, Path]) -> None:
    base, out = live_server
    page.goto(f"{base}/documents/application/new")
    fill_application(page, "١٠٠٠٠٠٠٠٠٨")
    page.press("input[name=city]", "Enter")
    expect(page.locator("p.flash", has_text="زر الإدخال لا يُصدر الحالة")).to_be_visible()
    expect(page.locator("input[name=city]")).to_have_value("الرياض")
    expect(page.locator("input[name=days][value=tuesday]")).to_be_checked()
    assert cases(out) == []
    expect(page.locator("button.enter-guard")).not_to_be_in_viewport()


def test_the_register_shows_its_printed_columns_and_every_column_on_request(
    page: Page, live_server: tuple[str, Path], tmp_path: Path
) -> None:
    import generator as api
    from tests.web_helpers import example_values

    base, out = live_server
    api.issue(PROJECT, "application", example_values(), out)
    printed = [c.label for c in PROJECT.print_columns("requests")]
    every = [c.label for c in PROJECT.register_columns("requests")]
    assert len(printed) < len(every)
    page.goto(f"{base}/registers/requests")
    expect(page.locator("table.register thead th")).to_have_text(["#", *printed])
    fits = page.locator(".table-wrap").evaluate("box => box.scrollWidth <= box.clientWidth")
    assert fits, "the printed columns are cut: they should fit the page's width"
    page.screenshot(path=str(screenshots(tmp_path) / "office-app-register.png"), full_page=False)

    page.get_by_role("link", name=re.compile("عرض كل الأعمدة")).click()
    expect(page.locator("table.register thead th")).to_have_count(len(every) + 1)
    wrap = page.locator(".table-wrap")
    box = wrap.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1280  # the box stays on the page
    last = page.locator("table.register thead th").last
    last.scroll_into_view_if_needed()  # the far (left) end is reached by scrolling inside the box
    cell = last.bounding_box()
    assert cell and cell["x"] >= box["x"] - 1 and cell["x"] + cell["width"] <= box["x"] + box["width"] + 1
    expect(last).to_have_text(every[-1])
    page.get_by_role("link", name="الأعمدة المطبوعة فقط").click()
    expect(page.locator("table.register thead th")).to_have_count(len(printed) + 1)


@pytest.mark.parametrize("ended_by", ["sign-out in another tab", "session cookie gone"])
def test_what_was_typed_survives_the_end_of_the_session(
    page: Page, live_server: tuple[str, Path], ended_by: str
) -> None:
    from generator.office.accounts import add_account
    from generator.office.db import OfficeDB

    base, out = live_server
    add_account(OfficeDB(out), "clerk1", "clerk", "clerk pass 1")

    page.goto(f"{base}/documents/application/new")
    sign_in(page, "clerk1", "clerk pass 1")
    expect(page.locator("h1")).to_have_text("طلب فتح حلقة تحفيظ أو دار نسائية")
    fill_application(page, "١٠٠٠٠٠٠٠٠٨")
    if ended_by == "session cookie gone":
        page.context.clear_cookies()
    else:
        sign_out_in_another_tab(page, base)

    page.click("button[value=issue]")
    expect(page.locator("h1")).to_have_text("الدخول")
    sign_in(page, "clerk1", "clerk pass 1")
    expect(page.locator("p.flash", has_text="حُفظ ما كتبته")).to_be_visible()
    expect(page.locator("input[name=applicant_name]")).to_have_value("عبدالله محمد أحمد القحطاني")
    expect(page.locator("input[name=national_id]")).to_have_value("١٠٠٠٠٠٠٠٠٨")
    expect(page.locator("input[name=days][value=tuesday]")).to_be_checked()
    assert cases(out) == []
    page.click("button[value=issue]")
    page.wait_for_url(CASE_URL)
    assert len(cases(out)) == 1 and register_rows(out) == 1


def test_a_wrong_report_period_is_said_in_arabic(page: Page, live_server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = live_server
    page.goto(f"{base}/reports?period=1448-13")
    problem = page.locator("p.flash.error")
    expect(problem).to_have_text("الشهر ١٣ غير صحيح: الأشهر من ١ إلى ١٢.")
    box = problem.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1280
    page.screenshot(path=str(tmp_path / "report-period-error.png"))


def test_the_check_page_warns_about_placeholders(page: Page, live_server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = live_server
    page.goto(f"{base}/check")
    warning = page.locator(".placeholders")
    expect(warning).to_contain_text("بين قوسين لم تُستبدل بعد")
    expect(warning.locator("li").first).to_contain_text("[اسم الجمعية]")
    expect(warning.locator("li").first).to_contain_text(":11:9")
    page.screenshot(path=str(tmp_path / "check.png"))


def test_a_sheet_of_applications_from_the_template_issues_cases(
    page: Page, live_server: tuple[str, Path], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from tests.test_web_forms import application_row

    base, out = live_server
    page.goto(f"{base}/batches/new")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="طلب فتح حلقة تحفيظ أو دار نسائية (xlsx)").click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    book = load_workbook(template)
    sheet = book.active
    assert sheet is not None and sheet.sheet_view.rightToLeft
    sheet.append(application_row())
    sheet.append(application_row(national_id="1000000009", applicant_name="صف خاطئ"))
    sheet.append(application_row(national_id="2000000006", mobile="0559876543", applicant_name="هند سالم المطيري"))
    book.save(template)

    page.select_option("select[name=document]", "application")
    page.set_input_files("input[name=sheet]", str(template))
    page.click("button[type=submit].primary")
    expect(page.locator("ul.bad-rows > li")).to_have_count(1)
    page.get_by_role("button", name=re.compile("إصدار الحالات الصالحة")).click()
    expect(page.locator(".flash.ok")).to_contain_text("صدرت حالتان", timeout=120_000)
    expect(page.locator("table.issued-cases tbody tr")).to_have_count(2)
    expect(page.locator("ul.bad-rows > li")).to_contain_text("الصف ٣")
    page.screenshot(path=str(screenshots(tmp_path) / "office-app-batch-issued.png"), full_page=False)
    assert len(cases(out)) == 2 and register_rows(out) == 2


def test_a_correction_typed_when_the_session_ended_is_kept_for_that_case(
    page: Page, live_server: tuple[str, Path], tmp_path: Path
) -> None:
    """The clerk corrects a case, is signed out in another tab, presses «إصدار نسخة مصححة»: after signing in the
    correction form is back with what was typed (and the reason), on that case, and nothing was corrected until
    pressed again; the kept correction is on /drafts until then, and never opens as a new application."""
    import generator as api
    from generator.office.accounts import add_account
    from generator.office.db import OfficeDB
    from tests.web_helpers import example_values

    base, out = live_server
    add_account(OfficeDB(out), "clerk1", "clerk", "clerk pass 1")
    reference = api.issue(PROJECT, "application", example_values(), out).reference

    page.goto(f"{base}/cases/{reference}/correct")
    sign_in(page, "clerk1", "clerk pass 1")
    expect(page.locator("h1")).to_contain_text("تصحيح بيانات الحالة")
    page.fill("input[name=district]", "الملقا")
    page.fill("textarea[name=_reason]", "الحي خطأ")
    sign_out_in_another_tab(page, base)

    page.get_by_role("button", name="إصدار نسخة مصححة").click()
    expect(page.locator("h1")).to_have_text("الدخول")
    sign_in(page, "clerk1", "clerk pass 1")
    expect(page.locator("p.flash", has_text="حُفظ تصحيحك في مسودة")).to_be_visible()
    expect(page.locator("h1")).to_contain_text(reference)
    expect(page.locator("input[name=district]")).to_have_value("الملقا")
    expect(page.locator("textarea[name=_reason]")).to_have_value("الحي خطأ")
    assert not (out / "cases" / reference / "v1").exists()

    drafts = page.context.new_page()
    drafts.goto(f"{base}/drafts")
    expect(drafts.locator("table.list tbody tr")).to_contain_text("تصحيح الحالة " + reference)
    drafts.screenshot(path=str(screenshots(tmp_path) / "office-app-drafts-kept.png"))
    drafts.get_by_role("link", name="متابعة").click()
    expect(drafts.locator("input[name=district]")).to_have_value("الملقا")
    expect(drafts).to_have_url(re.compile(rf"/cases/{reference}/correct\?draft=\d+$"))
    draft = drafts.url.rsplit("=", 1)[1]
    assert drafts.goto(f"{base}/documents/application/new?draft={draft}").status == 404  # never a new case
    drafts.close()

    page.get_by_role("button", name="إصدار نسخة مصححة").click()
    page.wait_for_url(re.compile(rf"/cases/{reference}$"))
    assert api.read_register(PROJECT, "requests", out).rows[0].values["district"] == "الملقا"
    history = (out / "cases" / reference / "history.json").read_text(encoding="utf-8")
    assert '"reason": "الحي خطأ"' in history and '"by": "clerk1"' in history
    page.goto(f"{base}/drafts")
    expect(page.locator("p", has_text="لا توجد مسودات محفوظة")).to_be_visible()


def test_a_decision_chosen_when_the_session_ended_is_kept_beside_its_request(
    page: Page, live_server: tuple[str, Path], tmp_path: Path
) -> None:
    """The archivist chooses «قبول» and writes why it is decided early, is signed out in another tab, presses: after
    signing in the decisions page has the choice and the reason back beside that request, nothing was recorded;
    pressed again, one letter is written and the kept decision is gone from /drafts."""
    import generator as api
    from generator.office.accounts import add_account
    from generator.office.db import OfficeDB
    from tests.web_helpers import example_values

    base, out = live_server
    add_account(OfficeDB(out), "arch1", "archivist", "arch pass 1")
    reference = api.issue(PROJECT, "application", example_values(), out).reference

    page.goto(f"{base}/decisions")
    sign_in(page, "arch1", "arch pass 1")
    card = page.locator("form.decision", has_text=reference)
    card.locator("input[name=decision][value=accepted]").check()
    card.locator("textarea[name=early_reason]").fill("اكتملت الدراسة مبكرًا")
    sign_out_in_another_tab(page, base)

    card.get_by_role("button", name="تسجيل القرار وكتابة الخطاب").click()
    expect(page.locator("h1")).to_have_text("الدخول")
    sign_in(page, "arch1", "arch pass 1")
    card = page.locator("form.decision", has_text=reference)
    expect(card.locator("p.error")).to_contain_text("بقي ما اخترته وكتبته")
    expect(card.locator("input[name=decision][value=accepted]")).to_be_checked()
    expect(card.locator("textarea[name=early_reason]")).to_have_value("اكتملت الدراسة مبكرًا")
    card.screenshot(path=str(screenshots(tmp_path) / "office-app-decision-kept.png"))
    assert not list((out / "cases" / reference).glob("OUT-*"))  # nothing recorded, no letter
    drafts = page.context.new_page()
    drafts.goto(f"{base}/drafts")
    expect(drafts.locator("table.list tbody tr")).to_contain_text("قرار الطلب " + reference)
    drafts.close()

    card.get_by_role("button", name="تسجيل القرار وكتابة الخطاب").click()
    expect(page.locator("section.result")).to_contain_text("كُتب ١ خطاب")
    assert len(list((out / "cases" / reference).glob("OUT-*decision-accept.pdf"))) == 1
    page.goto(f"{base}/drafts")
    expect(page.locator("p", has_text="لا توجد مسودات محفوظة")).to_be_visible()
