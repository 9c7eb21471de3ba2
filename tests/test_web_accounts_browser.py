"""Accounts in a real browser (Debian's chromium, Playwright): the first account made on the web is an admin who is
signed in with it, an admin adds and resets, removing asks to confirm (a box to tick, no script), a user changes
their own password (the old one asked) and every other browser of that account is signed out."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from generator.office.accounts import list_accounts
from generator.office.audit import audit_entries
from generator.office.db import OfficeDB
from tests.test_web_browser import (  # noqa: F401  (the chromium launch settings of the browser tests)
    browser_context_args,
    browser_type_launch_args,
    screenshots,
)
from tests.web_helpers import make_app


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A new office: no account yet, the app on a free loopback port."""
    from waitress.server import create_server

    out = tmp_path / "out"
    server = create_server(make_app(out), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", out
    finally:
        server.close()


def fill_password(page: Page, password: str, again: str | None = None) -> None:
    page.fill("input[name=password]", password)
    page.fill("input[name=password_again]", password if again is None else again)


def sign_in(page: Page, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")


def test_first_account_is_an_admin_who_then_manages_the_others(
    page: Page, browser: Browser, office: tuple[str, Path], tmp_path: Path
) -> None:
    base, out = office
    shots = screenshots(tmp_path)
    page.goto(f"{base}/accounts")
    expect(page.locator("h2")).to_have_text("حساب مسؤول النظام الأول")
    expect(page.locator("select[name=role]")).to_have_count(0)  # no choice: the first account is the admin
    page.fill("input[name=name]", "boss")
    fill_password(page, "boss pass 1")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash.ok")).to_contain_text("أُنشئ حساب مسؤول النظام boss ودخلت به")
    expect(page.locator(".who")).to_contain_text("boss")
    assert [(a.name, a.role) for a in list_accounts(OfficeDB(out))] == [("boss", "admin")]

    # an admin adds a clerk, who signs in in another browser
    page.fill("input[name=name]", "sara")
    page.select_option("select[name=role]", "clerk")
    fill_password(page, "sara pass 1")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash.ok")).to_contain_text("أُضيف الحساب sara.")
    page.screenshot(path=str(shots / "office-app-accounts.png"), full_page=True)
    sara = browser.new_context(locale="ar-SA").new_page()
    sign_in(sara, base, "sara", "sara pass 1")
    expect(sara.locator(".who")).to_contain_text("sara")

    # she forgot it: the admin sets a new one, and her open browser is signed out
    page.locator("tr", has_text="sara").locator("a", has_text="كلمة مرور جديدة").click()
    expect(page.locator("h1")).to_contain_text("كلمة مرور جديدة للحساب")
    fill_password(page, "sara pass 2")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash.ok")).to_contain_text("عُيّنت كلمة مرور جديدة للحساب sara")
    sara.goto(f"{base}/documents")
    expect(sara).to_have_url(re.compile(r"/login"))
    sign_in(sara, base, "sara", "sara pass 2")
    expect(sara.locator(".who")).to_contain_text("sara")

    # removing asks first; without the box ticked nothing is removed
    page.locator("tr", has_text="sara").locator("a", has_text="حذف").click()
    expect(page.locator("h1")).to_contain_text("حذف الحساب")
    page.screenshot(path=str(shots / "office-app-account-remove.png"), full_page=True)
    page.click("button[type=submit].primary")
    expect(page.locator(".flash.error")).to_contain_text("أكّد الحذف")
    assert "sara" in [a.name for a in list_accounts(OfficeDB(out))]
    page.check("input[name=confirm]")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash.ok")).to_contain_text("حُذف الحساب sara.")
    assert [a.name for a in list_accounts(OfficeDB(out))] == ["boss"]
    sara.goto(f"{base}/documents")
    expect(sara).to_have_url(re.compile(r"/login"))
    sara.context.close()
    actions = [e.action for e in audit_entries(OfficeDB(out)) if e.action.startswith(("account", "password"))]
    assert actions == ["account_remove", "password_reset", "account_add", "account_add"]


def test_a_user_changes_their_own_password(page: Page, browser: Browser, office: tuple[str, Path]) -> None:
    base, out = office
    from generator.office.accounts import add_account

    add_account(OfficeDB(out), "nura", "archivist", "nura pass 1")
    elsewhere = browser.new_context(locale="ar-SA").new_page()
    sign_in(elsewhere, base, "nura", "nura pass 1")
    sign_in(page, base, "nura", "nura pass 1")
    page.locator(".who a", has_text="كلمة المرور").click()
    expect(page.locator("h1")).to_have_text("تغيير كلمة المرور")
    page.fill("input[name=old_password]", "not my password")
    fill_password(page, "nura pass 2")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash.error")).to_contain_text("كلمة المرور الحالية غير صحيحة")
    page.fill("input[name=old_password]", "nura pass 1")
    fill_password(page, "nura pass 2", "nura pass 3")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash.error")).to_contain_text("كلمتا المرور الجديدتان غير متطابقتين")
    page.fill("input[name=old_password]", "nura pass 1")
    fill_password(page, "nura pass 2")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash.ok")).to_contain_text("غُيّرت كلمة المرور")
    page.goto(f"{base}/decisions")
    expect(page.locator("h1")).to_have_text("القرارات")  # still signed in here
    elsewhere.goto(f"{base}/decisions")
    expect(elsewhere).to_have_url(re.compile(r"/login"))  # the other browser is signed out
    elsewhere.context.close()
    page.locator(".who button", has_text="خروج").click()
    sign_in(page, base, "nura", "nura pass 2")
    expect(page.locator(".who")).to_contain_text("nura")
