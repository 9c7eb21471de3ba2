"""The office app's forms never issue twice, never lose what was typed: the test client and real concurrent POSTs.

One form sent many times (a double click, a reload, Back, two tabs on one draft, requests racing in threads)
makes one case and one register row; an applicant with an open request is named before a second one is issued;
Enter in a field issues nothing.
"""

from __future__ import annotations

import html
import http.cookiejar
import io
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from generator import read_register
from generator.web import messages
from tests.web_helpers import PROJECT, TOKEN, example_values, make_app

FORM = "/documents/application/new"
FORM_TOKEN = re.compile(r'name="_token" value="([^"]+)"')


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def drawn_form(client: FlaskClient, url: str = FORM) -> dict[str, str]:
    """The hidden fields of the form as the browser drew it: its CSRF token and its own token."""
    page = client.get(url).get_data(as_text=True)
    csrf, token = TOKEN.search(page), FORM_TOKEN.search(page)
    assert csrf and token, page[:500]
    return {"csrf_token": csrf.group(1), "_token": token.group(1)}


def cases(out: Path) -> list[str]:
    folder = out / "cases"
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def register_references(out: Path) -> list[str]:
    return sorted(str(r.values["reference"]) for r in read_register(PROJECT, "requests", out).rows)


def test_the_same_form_sent_again_shows_the_first_case(client: FlaskClient, out: Path) -> None:
    form = drawn_form(client)
    first = client.post(FORM, data={**form, **example_values(), "_action": "issue"})
    assert first.status_code == 302
    again = client.post(FORM, data={**form, **example_values(), "_action": "issue"})
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    case = text(client.get(again.headers["Location"]))
    assert "أُرسل هذا النموذج من قبل وصدرت منه الحالة" in case
    assert len(cases(out)) == 1 and len(register_references(out)) == 1


def test_every_drawing_of_the_form_has_its_own_token(client: FlaskClient) -> None:
    assert drawn_form(client)["_token"] != drawn_form(client)["_token"]


def test_a_form_with_errors_keeps_its_token_and_can_be_sent_again(client: FlaskClient, out: Path) -> None:
    form = drawn_form(client)
    wrong = client.post(FORM, data={**form, **example_values(national_id="1000000009"), "_action": "issue"})
    assert wrong.status_code == 422 and f'value="{form["_token"]}"' in wrong.get_data(as_text=True)
    right = client.post(FORM, data={**form, **example_values(), "_action": "issue"})
    assert right.status_code == 302 and len(cases(out)) == 1


def test_one_draft_is_issued_once_even_from_two_tabs(client: FlaskClient, out: Path) -> None:
    saved = client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "draft"})
    draft_url = saved.headers["Location"]
    draft_id = int(draft_url.rsplit("=", 1)[1])
    tab1, tab2 = drawn_form(client, draft_url), drawn_form(client, draft_url)
    first = client.post(FORM, data={**tab1, **example_values(), "_action": "issue", "_draft": draft_id})
    second = client.post(FORM, data={**tab2, **example_values(), "_action": "issue", "_draft": draft_id})
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert len(cases(out)) == 1
    reopened = client.get(draft_url)  # the draft's link, from a page drawn before it was issued
    assert reopened.status_code == 302 and reopened.headers["Location"] == first.headers["Location"]


def test_an_open_request_of_the_same_applicant_is_named_before_a_second_is_issued(
    client: FlaskClient, out: Path
) -> None:
    first = client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "issue"})
    reference = first.headers["Location"].rsplit("/", 1)[1]
    same_mobile = example_values(national_id="2000000006", applicant_name="هند سالم المطيري")
    form = drawn_form(client)
    asked = client.post(FORM, data={**form, **same_mobile, "_action": "issue"})
    page = text(asked)
    assert asked.status_code == 409
    assert "لصاحب هذا الطلب طلب مفتوح لم يُبتّ فيه بعد" in page
    warning = page[page.index('class="flash pending same-person"') :].split("</div>")[0]
    assert f'href="/cases/{reference}"' in warning and "رقم الجوال" in warning and "رقم الهوية" not in warning
    assert cases(out) == [reference]
    confirmed = client.post(FORM, data={**form, **same_mobile, "_action": "issue", "_same_person": "1"})
    assert confirmed.status_code == 302 and len(cases(out)) == 2


def test_another_applicant_is_issued_without_a_question(client: FlaskClient, out: Path) -> None:
    client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "issue"})
    other = example_values(national_id="2000000006", mobile="0559876543", applicant_name="هند سالم المطيري")
    response = client.post(FORM, data={**drawn_form(client), **other, "_action": "issue"})
    assert response.status_code == 302 and len(cases(out)) == 2


def test_enter_in_a_field_issues_nothing_and_keeps_the_values(client: FlaskClient, out: Path) -> None:
    page = client.get(FORM).get_data(as_text=True)
    first_button = re.search(r"<button[^>]*>", page[page.index('class="entry"') :])
    assert first_button and 'value="stay"' in first_button.group(0)  # what Enter presses
    response = client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "stay"})
    assert response.status_code == 200
    assert messages.ENTER_ISSUES_NOTHING in text(response)
    assert 'value="عبدالله محمد أحمد القحطاني"' in text(response)
    assert cases(out) == []


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    from waitress.server import create_server

    out = tmp_path / "out"
    server = create_server(make_app(out), host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", out
    finally:
        server.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_concurrent_posts_of_one_form_make_one_case_and_one_register_row(served: tuple[str, Path]) -> None:
    base, out = served
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    page = opener.open(base + FORM).read().decode()
    csrf, token = TOKEN.search(page), FORM_TOKEN.search(page)
    assert csrf and token
    body = urllib.parse.urlencode(
        {"csrf_token": csrf.group(1), "_token": token.group(1), "_action": "issue", **example_values()}, doseq=True
    ).encode()
    senders = 6
    start = threading.Barrier(senders)
    answers: list[tuple[int, str]] = []

    def send() -> None:
        start.wait()
        try:
            opener.open(urllib.request.Request(base + FORM, data=body, method="POST"))
        except urllib.error.HTTPError as answer:  # the 302 (redirects are not followed)
            answers.append((answer.code, answer.headers.get("Location", "")))

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == senders
    assert {code for code, _ in answers} == {302}
    locations = {location.rsplit("/", 1)[1] for _, location in answers}
    assert locations == set(cases(out)) and len(locations) == 1
    assert register_references(out) == sorted(locations)


def test_the_preview_says_draft_on_every_page_and_has_no_reference(client: FlaskClient, out: Path) -> None:
    from pypdf import PdfReader

    response = client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "preview"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = [
        re.sub("[\u0640\u200e\u200f\u2066-\u2069]", "", p.extract_text() or "")
        for p in PdfReader(io.BytesIO(response.data)).pages
    ]
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert "مسودة" in page, f"page {number} of the preview is not marked"
        assert not re.search(r"[A-Z]{2,5}-\d{4}-\d{3,}", page), f"a reference on page {number}"
    assert cases(out) == []


# ------------------------------------------------------------------- nothing typed is lost when a session ends

ORIGIN = {"Origin": "http://localhost"}
"""What a browser sends with a form of this app's own page (a form from another site is never kept)."""


def signed_in_clerk(out: Path) -> FlaskClient:
    from generator.office.accounts import add_account
    from generator.office.db import OfficeDB

    add_account(OfficeDB(out), "clerk1", "clerk", "clerk pass 1")
    client = make_app(out).test_client()
    sign_in(client)
    return client


def sign_in(client: FlaskClient) -> None:
    match = TOKEN.search(client.get("/login").get_data(as_text=True))
    assert match
    client.post("/login", data={"csrf_token": match.group(1), "name": "clerk1", "password": "clerk pass 1"})


def test_a_form_sent_after_signing_out_elsewhere_comes_back_after_sign_in(out: Path) -> None:
    client = signed_in_clerk(out)
    form = drawn_form(client)
    other_tab = client.post("/logout", data={"csrf_token": form["csrf_token"]})  # the same browser, another tab
    assert other_tab.status_code == 302
    sent = client.post(FORM, data={**form, **example_values(), "_action": "issue"}, headers=ORIGIN)
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/login?next=")
    login_page = client.get(sent.headers["Location"]).get_data(as_text=True)
    kept = html.unescape(re.search(r'name="next" value="([^"]*)"', login_page).group(1))  # type: ignore[union-attr]
    assert kept.startswith("/documents/application/new?draft=")
    match = TOKEN.search(login_page)
    assert match
    back = client.post(
        "/login", data={"csrf_token": match.group(1), "name": "clerk1", "password": "clerk pass 1", "next": kept}
    )
    assert back.status_code == 302 and back.headers["Location"] == kept
    page = text(client.get(kept))
    assert messages.FORM_KEPT in page
    assert 'value="عبدالله محمد أحمد القحطاني"' in page and 'value="1000000008"' in page
    assert cases(out) == []
    draft_id = int(re.search(r"draft=(\d+)", kept).group(1))  # type: ignore[union-attr]
    issued = client.post(
        FORM, data={**drawn_form(client, kept), **example_values(), "_action": "issue", "_draft": draft_id}
    )
    assert issued.status_code == 302 and len(cases(out)) == 1


def test_the_400_page_offers_the_form_back(out: Path) -> None:
    client = signed_in_clerk(out)
    form = drawn_form(client)
    stale = {**form, "csrf_token": "a token of an older session"}
    refused = client.post(FORM, data={**stale, **example_values(), "_action": "issue"}, headers=ORIGIN)
    assert refused.status_code == 400
    page = text(refused)
    link = re.search(r'href="(/documents/application/new\?draft=\d+[^"]*)"', page)
    assert link and "افتح النموذج بما كتبته" in page
    assert 'value="عبدالله محمد أحمد القحطاني"' in text(client.get(link.group(1)))


def test_a_form_from_another_site_is_not_kept(out: Path) -> None:
    from generator.office.db import OfficeDB
    from generator.office.drafts import list_drafts

    client = signed_in_clerk(out)
    form = {**drawn_form(client), "csrf_token": "forged"}
    for headers in ({"Origin": "http://evil.example"}, {}):
        refused = client.post(FORM, data={**form, **example_values(), "_action": "issue"}, headers=headers)
        assert refused.status_code == 400 and "افتح النموذج بما كتبته" not in text(refused)
    assert list_drafts(OfficeDB(out)) == []


def test_a_thirtieth_typed_in_a_29_day_hijri_month_is_accepted_by_the_form(client: FlaskClient, out: Path) -> None:
    values = example_values(start_date="٣٠/٠٦/١٤٤٨")  # Jumada al-Akhirah 1448 has 29 days
    response = client.post(FORM, data={**drawn_form(client), **values, "_action": "issue"})
    assert response.status_code == 302, text(response)[:300]
    record = (out / "cases" / cases(out)[0] / "record.json").read_text(encoding="utf-8")
    assert '"start_date": "2026-12-09"' in record  # 1448-06-29, the month's last day


# ------------------------------------------------------------------------- a sheet of applications issues cases


def application_row(**changes: Any) -> list[str]:
    """One row of the application template, as a clerk would type it (ticked options separated by «،»)."""
    from generator.web.batch_template import template_columns

    values = example_values(**changes)
    columns = template_columns(PROJECT, PROJECT.documents["application"])
    return ["، ".join(v) if isinstance(v := values.get(i, ""), list) else str(v) for i, _ in columns]


def test_the_template_sheet_has_the_documents_arabic_columns_right_to_left(client: FlaskClient) -> None:
    from openpyxl import load_workbook

    from generator.web.batch_template import template_columns

    assert "/batches/template/application.xlsx" in client.get("/batches/new").get_data(as_text=True)
    response = client.get("/batches/template/application.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None and sheet.sheet_view.rightToLeft
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert headers == [label for _, label in template_columns(PROJECT, PROJECT.documents["application"])]
    assert "القرار" not in headers and "الرقم المرجعي" not in headers  # decided later; given by the app


def test_an_excel_csv_of_applications_issues_one_case_per_good_row(app: Any, client: FlaskClient, out: Path) -> None:
    from generator.web.batch_template import template_columns

    headers = [label for _, label in template_columns(PROJECT, PROJECT.documents["application"])]
    rows = [
        application_row(),
        application_row(national_id="1000000009", applicant_name="صف خاطئ"),  # wrong check digit
        application_row(national_id="2000000006", mobile="0559876543", applicant_name="هند سالم المطيري"),
    ]
    lines = ["sep=;", ";".join(headers), *(";".join(r) for r in rows)]
    sheet = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")  # what Excel writes as «CSV UTF-8»
    page = client.get("/batches/new").get_data(as_text=True)
    match = TOKEN.search(page)
    assert match
    checked = client.post(
        "/batches/new",
        data={"csrf_token": match.group(1), "document": "application", "sheet": (io.BytesIO(sheet), "day.csv")},
        content_type="multipart/form-data",
    )
    page = text(checked)
    assert checked.status_code == 200, page[:500]
    assert "الصف ٤" in page and "صفوف غير صالحة" not in page  # the bad row, by its line in the file
    assert "إصدار الحالات الصالحة (٢)" in page
    action = re.search(r'action="(/batches/uploads/[^"]+/merge)"', page)
    assert action
    started = client.post(action.group(1), data={"csrf_token": match.group(1)})
    assert started.status_code == 302
    app.extensions["wathiqa"].jobs.shutdown()  # waits for the job to end
    done = text(client.get(started.headers["Location"]))
    assert "صدرت حالتان" in done
    assert len(cases(out)) == 2 and register_references(out) == cases(out)
    for reference in cases(out):
        assert f'href="/cases/{reference}"' in done
    assert "الصف ٤" in done and "«رقم الهوية الوطنية أو الإقامة»" in done
    assert client.post(action.group(1), data={"csrf_token": match.group(1)}).status_code == 404  # not twice


def test_numbers_in_the_policys_digits_and_times_on_the_offices_clock(client: FlaskClient, out: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from generator.office.db import OfficeDB
    from generator.office.drafts import list_drafts

    assert PROJECT.policy.settings.digits == "arabic" and PROJECT.policy.settings.time_zone == "Asia/Riyadh"
    client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "draft"})
    stored = list_drafts(OfficeDB(out))[0].updated  # UTC, as the office database keeps it
    riyadh = datetime.fromisoformat(stored).replace(tzinfo=UTC) + timedelta(hours=3)
    shown = riyadh.strftime("%Y-%m-%d %H:%M").translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert shown in text(client.get("/drafts")) and shown in text(client.get("/"))
    client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "issue"})
    page = text(client.get("/registers/requests", query_string={"columns": "all"}))
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    # references and web addresses are isolated left to right and keep the digits they are written with
    codes = re.findall(r"<bdi dir=\"ltr\">([^<]*)</bdi>", body)
    assert "https://maps.example.com/?q=24.7136,46.6753" in codes
    without_codes = re.sub(r"<bdi dir=\"ltr\">[^<]*</bdi>|href=\"[^\"]*\"", "", body)
    assert not re.search(r"[0-9]", re.sub(r"<[^>]+>", "", without_codes))


def test_the_audit_trail_names_documents_by_their_arabic_titles(client: FlaskClient) -> None:
    client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "draft"})
    client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "issue"})
    page = text(client.get("/audit"))
    rows = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "«طلب فتح حلقة تحفيظ أو دار نسائية»" in rows
    assert not re.search(r"\bapplication\b|#answer|\(pending\)", rows)
    assert "الوقت (بتوقيت المكتب)" in page and "UTC" not in page
