"""The office app's work through Flask's test client: issue, preview, the case page, the registers, decisions,
batches, and eight clerks issuing at once."""

from __future__ import annotations

import html
import io
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from pypdf import PdfReader

from generator import read_register
from generator.content.validate import MSG_MOBILE, MSG_NATIONAL_ID_CHECK
from generator.office.audit import audit_entries
from generator.office.db import OfficeDB
from tests.rendezvous import ThreadTurns
from tests.web_helpers import PROJECT, csrf, example_values, make_app, post_form

FORM = "/documents/application/new"


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def pdf_text(data: bytes) -> str:
    raw = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub("[\u0640\u200e\u200f\u2066-\u2069]", "", raw)


def issue(client: FlaskClient, **changes: Any) -> str:
    """Issue the example application (the same applicant each time: the open-request question is answered)."""
    response = post_form(client, FORM, example_values(**changes), _action="issue", _same_person="1")
    assert response.status_code == 302, text(response)[:2000]
    location = response.headers["Location"]
    assert re.fullmatch(r"/cases/REQ-\d{4}-\d{5}", location)
    return location.rsplit("/", 1)[1]


def test_invalid_values_come_back_with_arabic_messages_beside_their_fields(client: FlaskClient, out: Path) -> None:
    values = example_values(national_id="١٠٠٠٠٠٠٠٠٩", mobile="12345", applicant_name="")
    response = post_form(client, FORM, values, _action="issue")
    assert response.status_code == 422
    page = text(response)
    for field_id, message in (
        ("national_id", MSG_NATIONAL_ID_CHECK),
        ("mobile", MSG_MOBILE),
        ("applicant_name", "هذا الحقل مطلوب"),
    ):
        block = re.search(rf'<label class="field[^"]*has-error[^"]*" for="f-{field_id}">(.*?)</label>', page, re.S)
        assert block, field_id
        assert f'<span class="error" id="{field_id}-error" role="alert">{message}</span>' in block.group(1)
    assert 'value="١٠٠٠٠٠٠٠٠٩"' in page  # kept as typed
    assert 'value="جامع الإمام تركي بن عبدالله"' in page
    assert 'name="days" value="sunday" checked' in page
    assert "في النموذج ٣ ملاحظات" in page
    assert not (out / "cases").exists() or not any((out / "cases").iterdir())


def test_arabic_indic_and_persian_digits_are_accepted(client: FlaskClient, out: Path) -> None:
    reference = issue(client, national_id="١٠٠٠٠٠٠٠٠٨", mobile="۰۵۰۱۲۳۴۵۶۷", expected_students="٢٥")
    record = (out / "cases" / reference / "record.json").read_text(encoding="utf-8")
    assert '"national_id": "1000000008"' in record and '"mobile": "0501234567"' in record


def test_issue_lands_on_the_case_page_with_every_document(client: FlaskClient, out: Path) -> None:
    reference = issue(client)
    page = text(client.get(f"/cases/{reference}"))
    assert f'صدرت الحالة <bdi dir="ltr">{reference}</bdi> وسُجّلت في السجل.' in page
    for title in ("طلب فتح حلقة تحفيظ أو دار نسائية", "إقرار بصحة البيانات", "إشعار باستلام طلب"):
        assert title in page
    assert "عبدالله محمد أحمد القحطاني" in page and "حلقة تحفيظ قرآن كريم" in page
    for doc_id in ("application", "declaration", "acknowledgment"):
        pdf = client.get(f"/cases/{reference}/{doc_id}.pdf")
        assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
        assert reference in pdf_text(pdf.data)
        docx = client.get(f"/cases/{reference}/{doc_id}.docx")
        assert docx.status_code == 200 and docx.data[:2] == b"PK"
        assert "attachment" in docx.headers["Content-Disposition"]
    combined = client.get(f"/cases/{reference}/{reference}.pdf")
    assert combined.status_code == 200
    singles = sum(
        len(PdfReader(out / "cases" / reference / f"{d}.pdf").pages)
        for d in ("application", "declaration", "acknowledgment")
    )
    assert len(PdfReader(io.BytesIO(combined.data)).pages) == singles
    entries = audit_entries(OfficeDB(out))
    assert (entries[0].action, entries[0].target) == ("issue", reference)
    assert reference in text(client.get("/cases"))
    assert reference in text(client.get("/audit"))


def test_preview_is_a_draft_pdf_and_writes_nothing(client: FlaskClient, out: Path) -> None:
    response = post_form(client, FORM, example_values(), _action="preview")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert "inline" in response.headers["Content-Disposition"]
    assert "عبدالله محمد أحمد القحطاني".replace(" ", "") in pdf_text(response.data).replace(" ", "")
    assert not re.search(r"REQ-\d{4}-\d{5}", pdf_text(response.data))
    assert not (out / "cases").exists() or not any((out / "cases").iterdir())
    assert not (out / "registers" / "requests.xlsx").exists()
    assert audit_entries(OfficeDB(out))[0].action == "preview"


def test_issuing_from_a_draft_removes_the_draft(client: FlaskClient) -> None:
    response = post_form(client, FORM, {"applicant_name": "عبدالله محمد أحمد القحطاني"}, _action="draft")
    draft_id = response.headers["Location"].rsplit("=", 1)[1]
    assert "/delete" in text(client.get("/drafts"))
    response = post_form(client, FORM, example_values(), _action="issue", _draft=draft_id)
    assert response.status_code == 302
    assert "لا توجد مسودات محفوظة" in text(client.get("/drafts"))


def test_register_page_searches_marks_and_downloads(client: FlaskClient) -> None:
    first = issue(client, applicant_name="سارة خالد الدوسري", gender="female", national_id="1000000008")
    second = issue(client, applicant_name="عمر فهد الشهري", mobile="0561234567")
    page = text(client.get("/registers/requests"))
    assert first in page and second in page and "سارة خالد الدوسري" in page
    assert "٢ صفوف" in page
    for query in ("الدوسري", first, "0561234567"):
        found = text(client.get("/registers/requests", query_string={"q": query}))
        assert ("سارة خالد الدوسري" in found) == (query != "0561234567"), query
        assert ("عمر فهد الشهري" in found) == (query == "0561234567"), query
    assert "سارة خالد الدوسري" in text(client.get("/registers/requests", query_string={"status": "received"}))
    assert "لا توجد صفوف مطابقة" in text(client.get("/registers/requests", query_string={"status": "answered"}))
    xlsx = client.get("/registers/requests.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert "attachment" in xlsx.headers["Content-Disposition"]


def test_a_stale_libreoffice_lock_is_explained_in_the_app(
    client: FlaskClient, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clerk who issues, the archivist on the register page and on /decisions: each is told the register looks
    open in LibreOffice (never Excel) on which machine, that the lock looks left by a crash, and which marker to
    delete (before: «مفتوح في LibreOffice لدى archivist» on issue, «كان مفتوحًا في Excel» on the register page)."""
    import os
    import socket
    import time

    from generator.registers import lock as lock_module

    monkeypatch.setattr(lock_module, "soffice_running_here", lambda: False)  # other tests may run soffice
    first = issue(client)
    register = out / "registers" / "requests.xlsx"
    lock = register.with_name(f".~lock.{register.name}#")
    lock.write_text(f",archivist,{socket.gethostname()},29.11.2026 09:00,file:///home/archivist/.config/lo;\n")
    os.utime(lock, (time.time() - 2 * 24 * 3600,) * 2)
    stale = "لكن هذا القفل يبدو متروكًا من LibreOffice أُغلق على غير العادة"
    advice = f"فاحذف الملف \u2066{lock.name}\u2069 من مجلد السجلات"
    where = f"يبدو مفتوحًا في LibreOffice لدى \u2068archivist\u2069 على الجهاز \u2068{socket.gethostname()}\u2069"
    response = post_form(client, FORM, example_values(), _action="issue", _same_person="1")
    assert response.status_code == 302
    case_page = text(client.get(response.headers["Location"]))
    assert where in case_page and stale in case_page and advice in case_page
    register_page = text(client.get("/registers/requests"))
    assert where in register_page and stale in register_page and "مفتوحًا في Excel" not in register_page
    token = csrf(client)
    data = {"csrf_token": token, "decision": "accepted", "early_reason": "اكتمل الملف"}  # decided the day of issue
    decided = client.post(f"/decisions/requests/{first}", data=data)
    assert decided.status_code == 302  # POST-redirect-GET: the page it leads to says why the row waits
    shown = text(client.get(decided.headers["Location"]))
    assert stale in shown and advice in shown


def test_register_prints_for_the_binder(client: FlaskClient, out: Path) -> None:
    first = issue(client, applicant_name="سارة خالد الدوسري")
    page = text(client.get("/registers/requests", query_string={"status": "received"}))
    assert 'href="/registers/requests/print.pdf?status=received"' in page and "طباعة السجل (PDF) بهذه الحالة" in page
    printed = client.get("/registers/requests/print.pdf", query_string={"status": "received"})
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert "attachment" not in printed.headers.get("Content-Disposition", "")
    words = pdf_text(printed.data)
    assert first in words and "الحالة: مستلم" in words
    assert (out / "registers" / "print" / "requests-received.pdf").read_bytes() == printed.data
    assert not pdf_text(client.get("/registers/requests/print.pdf", query_string={"status": "answered"}).data).count(first)
    assert client.get("/registers/requests/print.pdf", query_string={"status": "closed"}).status_code == 404
    assert client.get("/registers/nothing/print.pdf").status_code == 404


def test_decision_is_recorded_and_its_letter_written(client: FlaskClient, out: Path) -> None:
    reference = issue(client)
    page = text(client.get("/decisions"))
    assert reference in page and "بانتظار القرار (١)" in page
    token = csrf(client)
    response = client.post(f"/decisions/requests/{reference}", data={"csrf_token": token, "decision": "rejected"})
    assert response.status_code == 302  # an apology needs its reason: said on the page the browser goes back to
    assert "لم يُسجَّل شيء" in text(client.get("/decisions"))
    decided = {"csrf_token": token, "decision": "rejected", "reason": "site_unsuitable", "details": "الموقع ضيق"}
    response = client.post(f"/decisions/requests/{reference}", data=decided)
    assert response.status_code == 302  # the day of issue is before the earliest reply date: a reason is asked
    page = text(client.get("/decisions"))
    assert "اكتب سبب اتخاذ القرار قبل المدة" in page and 'value="site_unsuitable" selected' in page
    response = client.post(f"/decisions/requests/{reference}", data={**decided, "early_reason": "الموقع غير صالح"})
    assert response.status_code == 302, text(response)[:3000]  # POST-redirect-GET
    assert response.headers["Location"].startswith("/decisions?batch=decisions-")
    page = text(client.get(response.headers["Location"]))
    assert "خطاب اعتذار عن طلب" in page
    letter = re.search(r'href="(/(?:batches|cases)/[^"]+\.pdf)"', page)
    assert letter, page
    pdf = client.get(letter.group(1))
    assert pdf.status_code == 200 and reference in pdf_text(pdf.data)
    rows = read_register(PROJECT, "requests", out).rows
    assert rows[0].values["decision"] == "rejected" and rows[0].values["letter_reference"]
    assert "بانتظار القرار (٠)" in text(client.get("/decisions"))
    actions = [e.action for e in audit_entries(OfficeDB(out))]
    assert actions[:2] == ["decide", "record_decision"]


def test_two_archivists_deciding_one_request_get_one_letter(
    app: Flask, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = issue(app.test_client())
    clients = [app.test_client() for _ in range(2)]
    tokens = [csrf(c) for c in clients]
    turns = ThreadTurns(monkeypatch)
    responses: list[Any] = []

    def accept(client: FlaskClient, token: str) -> None:
        try:
            responses.append(client.post(f"/decisions/requests/{reference}",
                                         data={"csrf_token": token, "decision": "accepted",
                                               "early_reason": "اكتمل الملف"}))  # fmt: skip
        finally:
            turns.done()

    threads = [threading.Thread(target=accept, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in responses) == [302, 409]  # the letter written: redirected to it
    written, refused = sorted(responses, key=lambda r: r.status_code)
    assert PROJECT.documents["decision-accept"].title in text(clients[0].get(written.headers["Location"]))
    letters = [r.values["reference"] for r in read_register(PROJECT, "outgoing", out).rows]
    assert len(letters) == 1 and len(list(out.glob("batches/decisions-*/docx/*.docx"))) == 1
    page = text(refused)
    assert f"قد سبق الرد على الطلب {reference}" in re.sub(r"<[^>]+>", "", page)
    assert f'href="/cases/{reference}"' in page and letters[0] in page
    assert read_register(PROJECT, "requests", out).rows[0].values["letter_reference"] == letters[0]


def _sheet(tmp_path: Path, bad: set[int], n: int = 5) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["الرقم المرجعي", "الاسم الرباعي", "الجنس", "نوع الطلب", "تاريخ الاستلام"])
    for i in range(1, n + 1):
        gender = "غير معروف" if i in bad else ("ذكر" if i % 2 else "أنثى")
        sheet.append([f"REQ-1448-{i:05d}", f"مستفيد رقم {i}", gender, "حلقة تحفيظ قرآن كريم", "1448-06-04"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_batch_names_each_bad_row_then_merges_the_rest(client: FlaskClient, tmp_path: Path) -> None:
    token = csrf(client, "/batches/new")
    data = {
        "csrf_token": token,
        "document": "acknowledgment",
        "sheet": (io.BytesIO(_sheet(tmp_path, {2, 4})), "day.xlsx"),
    }
    response = client.post("/batches/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    page = text(response)
    assert "٢ صفوف غير صالحة" in page
    assert "<strong>الصف ٣</strong>" in page and "<strong>الصف ٥</strong>" in page
    assert "«الجنس»: الخيار «غير معروف» غير معروف" in page
    merge_url = re.search(r'action="(/batches/uploads/[^"]+/merge)"', page)
    assert merge_url
    response = client.post(merge_url.group(1), data={"csrf_token": token})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    deadline = time.monotonic() + 120
    while "اكتمل الدمج" not in (page := text(client.get(job_url))):
        assert "لم يكتمل الدمج" not in page, page
        assert time.monotonic() < deadline
        assert '<meta http-equiv="refresh" content="2">' in page  # the page polls without JavaScript
        time.sleep(0.2)
    assert "اكتمل الدمج: ٣ مستندات، وتُرك ٢ من الصفوف غير الصالحة" in page
    print_pdf = re.search(r'href="(/batches/[^"]+/print\.pdf)"', page)
    assert print_pdf
    pdf = client.get(print_pdf.group(1))
    assert pdf.status_code == 200
    found = pdf_text(pdf.data)
    assert [f"REQ-1448-{i:05d}" in found for i in range(1, 6)] == [True, False, True, False, True]
    zipped = client.get(print_pdf.group(1).replace("print.pdf", "docx.zip"))
    assert zipped.status_code == 200 and zipped.data[:2] == b"PK"
    assert client.post(merge_url.group(1), data={"csrf_token": token}).status_code == 404  # used once


def test_eight_clients_issuing_at_once_get_eight_references_and_rows(app: Flask, out: Path) -> None:
    clients = [app.test_client() for _ in range(8)]
    tokens = [csrf(c, FORM) for c in clients]
    references: list[str] = []
    failures: list[str] = []
    start = threading.Barrier(8)

    def work(client: FlaskClient, token: str, n: int) -> None:
        values = {"csrf_token": token, "_action": "issue", **example_values(applicant_name=f"مستفيد رقم {n}")}
        start.wait()
        response = client.post(FORM, data=values)
        if response.status_code != 302:
            failures.append(text(response)[:500])
        else:
            references.append(response.headers["Location"].rsplit("/", 1)[1])

    threads = [
        threading.Thread(target=work, args=(c, t, n)) for n, (c, t) in enumerate(zip(clients, tokens, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(references)) == 8
    rows = read_register(PROJECT, "requests", out).rows
    assert sorted(r.values["reference"] for r in rows) == sorted(references)
    assert sorted(p.name for p in (out / "cases").iterdir()) == sorted(references)


def test_cases_can_be_rendered_by_warm_worker_processes(out: Path) -> None:
    app = make_app(out, issue_workers=1)
    try:
        client = app.test_client()
        references = [issue(client), issue(client)]
        assert references[0] != references[1]
        for reference in references:
            assert client.get(f"/cases/{reference}/application.pdf").status_code == 200
        assert sorted(r.values["reference"] for r in read_register(PROJECT, "requests", out).rows) == references
    finally:
        app.extensions["wathiqa"].issuer.close()


def test_a_survey_is_issued_from_its_rating_buttons(client: FlaskClient) -> None:
    page = text(client.get("/documents/satisfaction/new"))
    assert page.count('type="radio" name="rate_overall"') == 5
    values = example_values("satisfaction", rate_overall="r5", rate_reception="r1")
    response = post_form(client, "/documents/satisfaction/new", values, _action="issue")
    assert response.status_code == 302, text(response)[:2000]
    case = text(client.get(response.headers["Location"]))
    assert "استبانة قياس رضا المستفيدين" in case
    assert "راضٍ جدًا (٥)" in case and "غير راضٍ إطلاقًا (١)" in case


def test_a_register_open_in_excel_never_blocks_the_clerk(client: FlaskClient, out: Path) -> None:
    first = issue(client)
    register = out / "registers" / "requests.xlsx"
    owner = register.with_name("~$" + register.name)
    owner.write_bytes(b"\x05Sara" + b" " * 48 + b"\x05\x00S\x00a\x00r\x00a\x00")  # what Excel leaves beside it
    values = example_values(applicant_name="هند سالم المطيري")
    response = post_form(client, FORM, values, _action="issue", _same_person="1")
    assert response.status_code == 302
    second = response.headers["Location"].rsplit("/", 1)[1]
    case = text(client.get(response.headers["Location"]))
    assert "معلّق" in case and second in case
    page = text(client.get("/registers/requests"))
    assert "١ صف معلّق" in page
    pending_row = re.search(r'<tr class="pending">(.*?)</tr>', page, re.S)
    assert pending_row and second in pending_row.group(1) and "هند سالم المطيري" in pending_row.group(1)
    assert first in page
    assert "١</strong> صفوف معلّقة" in text(client.get("/"))
    owner.unlink()
    response = client.post("/registers/sync", data={"csrf_token": csrf(client), "back": "/registers/requests"})
    assert response.status_code == 302 and response.headers["Location"] == "/registers/requests"
    page = text(client.get("/registers/requests"))
    assert "سُجّل 1 من التغييرات المعلقة، ولا شيء ينتظر" in page
    assert '<tr class="pending">' not in page
    assert sorted(r.values["reference"] for r in read_register(PROJECT, "requests", out).rows) == [first, second]
