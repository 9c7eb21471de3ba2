"""The office app through Flask's test client: every page, Arabic content, validation, security, roles."""

from __future__ import annotations

import html
import logging
import os
import re
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from generator.errors import UsageError
from generator.office.accounts import add_account
from generator.office.audit import audit_entries
from generator.office.db import OfficeDB
from generator.web import SECRET_NAME, WebSettings, create_app
from generator.web.security import THROTTLE
from tests.web_helpers import PROJECT, csrf, example_values, make_app, post_form

DOC = PROJECT.documents["application"]


def text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------ pages, form


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/", "عمل اليوم"),
        ("/documents", "النماذج"),
        ("/documents/application/new", "طلب فتح حلقة تحفيظ أو دار نسائية"),
        ("/documents/volunteer/new", "طلب تطوع"),
        ("/drafts", "المسودات"),
        ("/cases", "الحالات المصدرة"),
        ("/registers", "السجلات"),
        ("/registers/requests", "سجل طلبات فتح الحلقات والدور النسائية"),
        ("/decisions", "القرارات"),
        ("/batches/new", "دفعة من جدول"),
        ("/audit", "سجل العمليات"),
    ],
)
def test_every_page_is_arabic_right_to_left(client: FlaskClient, url: str, heading: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, url
    page = text(response)
    assert '<html lang="ar" dir="rtl">' in page
    assert f"<h1>{heading}</h1>" in page
    assert "Content-Security-Policy" in response.headers


def test_form_is_drawn_from_the_document_yaml(client: FlaskClient) -> None:
    page = text(client.get("/documents/application/new"))
    # the decision is the archivist's, on the decisions page after the waiting period, not the clerk's at intake
    assert 'name="decision"' not in page and "القرار</" not in page
    inputs = [f for f in DOC.input_fields() if f.id != "decision"]
    assert len(inputs) == len(DOC.input_fields()) - 1
    for f in inputs:
        assert f'name="{f.id}"' in page, f.id
        assert f.label in page
    assert 'name="csrf_token"' in page
    # paper-only and automatic fields are not typed in
    for f in DOC.all_fields():
        if f.type in ("signature", "thumbprint") or f.auto:
            assert f'name="{f.id}"' not in page
    # choices are radio buttons and check boxes from the policy's lists
    genders = PROJECT.policy.lists["genders"].items
    for item in genders:
        assert f'type="radio" name="gender" value="{item.id}"> {item.label}' in page
    days = PROJECT.policy.lists["weekdays"].items
    assert page.count('type="checkbox" name="days"') == len(days)
    assert 'name="received_by"' in page  # the office-use fields a clerk does fill stay
    required = [f for f in inputs if f.required]
    assert page.count('aria-required="true"') == len(required)
    # sections in the document's order
    titles = [s.title for s in DOC.sections if any(f in inputs for f in s.fields)]
    positions = [page.index(t) for t in titles]
    assert positions == sorted(positions)


def test_unknown_document_and_reference_are_arabic_404(client: FlaskClient) -> None:
    for url in (
        "/documents/nope/new",
        "/documents/declaration/new",
        "/cases/REQ-1448-99999",
        "/registers/nope",
        "/nothing-here",
        "/documents/nope/blank.pdf",
        "/batches/jobs/nope",
        "/batches/nope",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "الصفحة غير موجودة" in text(response)
        assert "Traceback" not in text(response)


def test_post_without_or_with_a_wrong_csrf_token_is_refused(client: FlaskClient, out: Path) -> None:
    values = example_values()
    for data in (values, {**values, "csrf_token": "forged"}):
        response = client.post("/documents/application/new", data=data)
        assert response.status_code == 400
        assert "انتهت صلاحية الصفحة" in text(response)
    response = client.post("/drafts/1/delete")
    assert response.status_code == 400
    assert not (out / "cases").exists()
    assert not (out / "registers").exists()


def test_security_headers_and_session_cookie(client: FlaskClient) -> None:
    response = client.get("/documents/application/new")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_no_page_loads_anything_from_elsewhere(client: FlaskClient) -> None:
    for url in ("/", "/documents/application/new", "/batches/new"):
        page = text(client.get(url))
        for link in re.findall(r'(?:href|src)="([^"]+)"', page):
            assert link.startswith("/"), (url, link)
    css = client.get("/static/app.css").get_data(as_text=True)
    fonts = re.findall(r'url\("([^"]+)"\)', css)
    assert fonts and all(f.startswith("/fonts/") for f in fonts)
    for font in fonts:
        response = client.get(font)
        assert response.status_code == 200 and response.data[:4] == b"\x00\x01\x00\x00"


def test_secret_key_is_generated_once_with_owner_only_permissions(out: Path) -> None:
    first = create_app(PROJECT, WebSettings(out_dir=out))
    path = out / SECRET_NAME
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = create_app(PROJECT, WebSettings(out_dir=out))
    assert first.secret_key == second.secret_key == path.read_bytes()
    assert len(path.read_bytes()) >= 32


# ------------------------------------------------------------------------------------------ drafts


def test_draft_save_resume_delete(client: FlaskClient, out: Path) -> None:
    values = {"applicant_name": "فاطمة علي الزهراني", "national_id": "١٢٣", "days": ["sunday", "monday"]}
    response = post_form(client, "/documents/application/new", values, _action="draft")
    assert response.status_code == 302
    resume = response.headers["Location"]
    assert re.fullmatch(r"/documents/application/new\?draft=\d+", resume)
    listing = text(client.get("/drafts"))
    assert "فاطمة علي الزهراني" in listing and DOC.title in listing
    page = text(client.get(resume))
    assert 'value="فاطمة علي الزهراني"' in page
    assert 'value="١٢٣"' in page
    assert 'name="days" value="sunday" checked' in page and 'name="days" value="monday" checked' in page
    assert 'name="days" value="tuesday">' in page
    assert not (out / "cases").exists()
    draft_id = resume.rsplit("=", 1)[1]
    # saving again keeps the same draft
    response = post_form(
        client, "/documents/application/new", {**values, "city": "جدة"}, _action="draft", _draft=draft_id
    )
    assert response.headers["Location"] == resume
    assert text(client.get("/drafts")).count("/delete") == 1
    response = client.post(f"/drafts/{draft_id}/delete", data={"csrf_token": csrf(client)})
    assert response.status_code == 302
    assert "لا توجد مسودات محفوظة" in text(client.get("/drafts"))
    assert client.get(resume).status_code == 404
    actions = [e.action for e in audit_entries(OfficeDB(out))]
    assert actions == ["draft_delete", "draft_save", "draft_save"]


# ------------------------------------------------------------------------------------------ downloads


def test_traversal_attempts_find_nothing(client: FlaskClient, out: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 secret")
    case = out / "cases" / "REQ-1448-00001"
    case.mkdir(parents=True)
    (case / "application.pdf").write_bytes(b"%PDF-1.4 case")
    (case / "leak.pdf").symlink_to(secret)
    (out / "cases" / "REQ-1448-00002").symlink_to(tmp_path)
    for url in (
        "/cases/REQ-1448-00001/leak.pdf",
        "/cases/REQ-1448-00002/secret.pdf",
        "/cases/REQ-1448-00001/..%2F..%2F..%2Fsecret.pdf",
        "/cases/REQ-1448-00001/%2e%2e%2fsecret.pdf",
        "/cases/..%2F..%2Fsecret.pdf",
        "/cases/../secret.pdf",
        f"/cases/REQ-1448-00001/{secret}",
        "/cases/REQ-1448-00001/record.json",
        "/fonts/..%2F..%2Fpyproject.toml",
        "/fonts/OFL-Amiri.txt",
        "/registers/..%2Foffice.db",
        "/batches/..%2Fcases/application.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"secret" not in response.data
    ok = client.get("/cases/REQ-1448-00001/application.pdf")
    assert ok.status_code == 200 and ok.data == b"%PDF-1.4 case"
    assert ok.headers["Content-Type"] == "application/pdf"


# ------------------------------------------------------------------------------------------ accounts, roles


def with_accounts(out: Path) -> Flask:
    db = OfficeDB(out)
    add_account(db, "clerk1", "clerk", "clerk pass 1")
    add_account(db, "arch1", "archivist", "arch pass 1")
    add_account(db, "boss", "admin", "boss pass 1")
    return make_app(out)


def login(client: FlaskClient, name: str, password: str) -> object:
    return client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": name, "password": password})


def test_a_register_printed_in_the_app_is_in_the_audit_trail(out: Path) -> None:
    """The print link hands personal data to paper: who printed which rows is on /audit (before, the app's own
    record of it was refused as an unknown action and only logged)."""
    import generator as api

    app = with_accounts(out)
    api.build_kit(PROJECT, out, only=["requests"])
    client = app.test_client()
    login(client, "arch1", "arch pass 1")
    printed = client.get("/registers/requests/print.pdf", query_string={"status": "received"})
    assert printed.status_code == 200
    entry = audit_entries(OfficeDB(out))[0]
    assert (entry.actor, entry.action, entry.target) == ("arch1", "print_register", "requests")
    assert entry.details == "status=received; rows=0 pages=1; requests-received.pdf"
    admin = app.test_client()
    login(admin, "boss", "boss pass 1")
    page = text(admin.get("/audit"))
    assert "طباعة سجل" in page and "status=received" in page


def test_accounts_are_required_once_they_exist(out: Path) -> None:
    client = with_accounts(out).test_client()
    response = client.get("/documents/application/new")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert "الدخول" in text(client.get("/login"))
    response = login(client, "clerk1", "clerk pass 1")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert client.get("/documents/application/new").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf(client)})
    assert client.get("/documents").status_code == 302
    actions = [(e.actor, e.action) for e in audit_entries(OfficeDB(out))]
    assert actions[:2] == [("clerk1", "logout"), ("clerk1", "login")]


@pytest.mark.parametrize(
    ("name", "password", "allowed", "refused"),
    [
        (
            "clerk1",
            "clerk pass 1",
            ["/documents", "/batches/new", "/drafts", "/cases"],
            [
                "/decisions",
                "/registers/requests",
                "/registers/requests.xlsx",
                "/registers/requests/print.pdf",
                "/audit",
                "/reports",
                "/accounts",
            ],
        ),
        ("arch1", "arch pass 1", ["/decisions", "/registers/requests", "/cases"], ["/audit", "/accounts", "/check"]),
        ("boss", "boss pass 1", ["/decisions", "/audit", "/registers", "/accounts", "/check"], []),
    ],
)
def test_roles(out: Path, name: str, password: str, allowed: list[str], refused: list[str]) -> None:
    client = with_accounts(out).test_client()
    login(client, name, password)
    for url in allowed:
        assert client.get(url).status_code == 200, url
    for url in refused:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "غير مسموح" in text(response)


def test_a_clerk_cannot_decide(out: Path) -> None:
    client = with_accounts(out).test_client()
    login(client, "clerk1", "clerk pass 1")
    token = csrf(client)
    response = client.post("/decisions/requests/REQ-1448-00001", data={"csrf_token": token, "decision": "accepted"})
    assert response.status_code == 403
    assert client.post("/decisions/letters", data={"csrf_token": token}).status_code == 403
    assert client.post("/registers/sync", data={"csrf_token": token}).status_code == 403


def test_wrong_password_is_refused_then_slowed(out: Path) -> None:
    client = with_accounts(out).test_client()
    for _ in range(THROTTLE.free):
        response = login(client, "clerk1", "wrong password")
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert "اسم المستخدم أو كلمة المرور غير صحيحة" in text(response)
    response = login(client, "clerk1", "clerk pass 1")
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert "انتظر" in text(response)
    assert client.get("/documents").status_code == 302  # still not signed in
    failed = [e for e in audit_entries(OfficeDB(out)) if e.action == "login_failed"]
    assert len(failed) == THROTTLE.free


def test_login_never_redirects_to_another_site(out: Path) -> None:
    client = with_accounts(out).test_client()
    token = csrf(client, "/login")
    data = {"csrf_token": token, "name": "boss", "password": "boss pass 1", "next": "//evil.example/x"}
    response = client.post("/login", data=data)
    assert response.headers["Location"] == "/"


def test_a_removed_account_loses_its_session(out: Path) -> None:
    from generator.office.accounts import remove_account

    client = with_accounts(out).test_client()
    login(client, "clerk1", "clerk pass 1")
    assert client.get("/documents").status_code == 200
    remove_account(OfficeDB(out), "clerk1")
    assert client.get("/documents").status_code == 302


def test_network_address_needs_accounts(out: Path) -> None:
    with pytest.raises(UsageError, match="without accounts"):
        create_app(PROJECT, WebSettings(out_dir=out, host="0.0.0.0", secret_key=b"k" * 48))
    add_account(OfficeDB(out), "boss", "admin", "boss pass 1")
    app = create_app(PROJECT, WebSettings(out_dir=out, host="0.0.0.0", secret_key=b"k" * 48))
    assert app.test_client().get("/documents").status_code == 302


# ------------------------------------------------------------------------------------------ errors, uploads


def test_an_unexpected_fault_is_an_arabic_500_and_logged(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> str:
        raise RuntimeError("disk on fire")

    app.view_functions["cases.index"] = broken
    with caplog.at_level(logging.ERROR, logger="generator.web"):
        response = client.get("/cases")
    assert response.status_code == 500
    page = text(response)
    assert "حدث خطأ غير متوقع" in page
    assert "disk on fire" not in page and "Traceback" not in page
    assert any("disk on fire" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_oversize_upload_is_an_arabic_413(out: Path) -> None:
    client = make_app(out, max_upload_bytes=1000).test_client()
    token = csrf(client, "/batches/new")
    data = {
        "csrf_token": token,
        "document": "acknowledgment",
        "sheet": (__import__("io").BytesIO(b"x" * 5000), "day.csv"),
    }
    response = client.post("/batches/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "الملف كبير جدًا" in text(response)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("day.exe", b"MZ", "نوع الملف غير مدعوم"),
        ("day.xlsx", b"not a zip", "لا يبدو ملف Excel صالحًا"),
        ("day.csv", "الاسم".encode("cp1256"), "ليس بترميز UTF-8"),
        ("day.csv", b"", "الملف المرفوع فارغ"),
    ],
)
def test_upload_type_is_checked(client: FlaskClient, name: str, content: bytes, message: str) -> None:
    import io

    token = csrf(client, "/batches/new")
    data = {"csrf_token": token, "document": "acknowledgment", "sheet": (io.BytesIO(content), name)}
    response = client.post("/batches/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in text(response)


def test_policy_check_page_shows_the_files_as_they_are_now(tmp_path: Path) -> None:
    from generator.config.project import load_project
    from tests.project_fixture import copy_project, edit

    policy = copy_project(tmp_path / "project")
    app = create_app(load_project(policy), WebSettings(out_dir=tmp_path / "out", secret_key=b"k" * 48))
    client = app.test_client()
    checked = text(client.get("/check"))
    assert "السياسة وكل النماذج صالحة" in checked
    assert "بين قوسين لم تُستبدل بعد بنص الجمعية" in checked and "[اسم الجمعية]" in checked
    edit(policy.parent.parent / "forms" / "application.yml", "type: national_id", "type: nationalid")
    page = text(client.get("/check"))
    assert "في ملفات السياسة 1 مشكلة" in page
    assert "application.yml:" in page and "nationalid" in page
    assert client.get("/documents/application/new").status_code == 200  # the running app keeps its project


def test_admin_manages_accounts_in_the_app(out: Path) -> None:
    client = with_accounts(out).test_client()
    login(client, "boss", "boss pass 1")
    assert "clerk1" in text(client.get("/accounts"))
    token = csrf(client, "/accounts")
    data = {"csrf_token": token, "name": "nura", "role": "archivist", "password": "nura pass 1"}
    response = client.post("/accounts", data={**data, "password_again": "other"})
    assert response.status_code == 422 and "كلمتا المرور غير متطابقتين" in text(response)
    response = client.post("/accounts", data={**data, "password": "short", "password_again": "short"})
    assert response.status_code == 422 and "كلمة المرور ٨ أحرف على الأقل" in text(response)
    response = client.post("/accounts", data={**data, "password_again": "nura pass 1"})
    assert response.status_code == 302
    assert "أُضيف الحساب nura." in text(client.get("/accounts"))
    other = with_accounts_app_client(out)
    assert login(other, "nura", "nura pass 1").status_code == 302  # type: ignore[attr-defined]
    assert other.get("/decisions").status_code == 200
    response = client.post("/accounts/boss/remove", data={"csrf_token": token})
    assert response.status_code == 422 and "لا يمكنك حذف حسابك" in text(response)
    assert client.post("/accounts/nura/remove", data={"csrf_token": token, "confirm": "yes"}).status_code == 302
    assert other.get("/decisions").status_code == 302  # signed out: the account is gone
    assert client.post("/accounts/nobody/remove", data={"csrf_token": token}).status_code == 404
    actions = [(e.actor, e.action, e.target) for e in audit_entries(OfficeDB(out)) if e.action.startswith("account")]
    assert actions == [("boss", "account_remove", "nura"), ("boss", "account_add", "nura")]


def with_accounts_app_client(out: Path) -> FlaskClient:
    return make_app(out).test_client()


def test_a_clerk_cannot_manage_accounts(out: Path) -> None:
    client = with_accounts(out).test_client()
    login(client, "clerk1", "clerk pass 1")
    assert client.get("/accounts").status_code == 403
    token = csrf(client)
    data = {"csrf_token": token, "name": "x", "role": "admin", "password": "p" * 10, "password_again": "p" * 10}
    assert client.post("/accounts", data=data).status_code == 403
    assert client.post("/accounts/boss/remove", data={"csrf_token": token}).status_code == 403


def test_reports_page_shows_the_office_figures(client: FlaskClient, out: Path) -> None:
    from generator.workflow.build import build_kit

    build_kit(PROJECT, out)  # empty registers: every figure is zero, nothing is missing
    response = client.get("/reports", query_string={"period": "1448-06"})
    assert response.status_code == 200
    page = text(response)
    assert '<link rel="stylesheet" href="/reports/report.css">' in page
    assert 'class="report-section"' in page
    assert "جمادى الآخرة" in page
    css = client.get("/reports/report.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    pdf = client.get("/reports/report.pdf", query_string={"period": "1448-06"})
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    xlsx = client.get("/reports/report.xlsx", query_string={"period": "1448-06"})
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    bad = client.get("/reports", query_string={"period": "1448-13"})
    assert bad.status_code == 422 and "الشهر ١٣ غير صحيح: الأشهر من ١ إلى ١٢." in text(bad)


@pytest.mark.parametrize(
    ("query", "arabic"),
    [
        ({"period": "الشهر الماضي"}, "غير مفهومة: اكتب شهرًا مثل ١٤٤٨-٠٦"),
        ({"period": "1600"}, "ليست سنة هجرية (١٣٤٣–١٤٩٩) ولا ميلادية"),
        ({"from": "1448-06-01"}, "اكتب تاريخي «من» و«إلى» معًا."),
        ({"period": "1448-06", "from": "1448-06-01", "to": "1448-06-09"}, "اختر الفترة بطريقة واحدة"),
        ({"from": "1448-06-09", "to": "1448-06-01"}, "تاريخ «إلى» يسبق تاريخ «من»"),
        ({"from": "أمس", "to": "1448-06-01"}, "غير مقروء: اكتب يومًا/شهرًا/سنة"),
    ],
)
def test_a_report_period_that_cannot_be_read_is_said_in_arabic(
    client: FlaskClient, out: Path, query: dict[str, str], arabic: str
) -> None:
    response = client.get("/reports", query_string=query)
    assert response.status_code == 422
    problem = re.search(r'<p class="flash error"[^>]*>(.*?)</p>', text(response), re.S)
    assert problem and arabic in problem.group(1)
    assert not re.search(r"[A-Za-z]{3,}", problem.group(1).replace("Q2", ""))  # no English sentence
    for kind in ("pdf", "xlsx"):  # the downloads go back to the page that says why
        download = client.get(f"/reports/report.{kind}", query_string=query)
        assert download.status_code == 302 and download.headers["Location"].startswith("/reports?")
