"""The case pages through Flask's test client: who may correct, void and set a status, and what each is told."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

import generator as api
from generator.content.text import to_hijri, today
from generator.office.accounts import add_account, find_account
from generator.office.db import OfficeDB
from tests.web_helpers import PROJECT, csrf, example_values, make_app

FIXED = "عبدالله محمد أحمد الشهري"


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def signed_in(out: Path, name: str) -> FlaskClient:
    db = OfficeDB(out)
    for account, role in (("clerk1", "clerk"), ("arch1", "archivist")):
        if find_account(db, account) is None:
            add_account(db, account, role, f"{account} password")
    client = make_app(out).test_client()
    client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": name, "password": f"{name} password"})
    return client


def correction(client: FlaskClient, reference: str, **changes: str) -> Any:
    data = {"csrf_token": csrf(client, f"/cases/{reference}"), **example_values(**changes)}
    return client.post(f"/cases/{reference}/correct", data=data)


def test_a_clerk_corrects_before_the_decision_and_is_refused_after_it(out: Path) -> None:
    reference = api.issue(PROJECT, "application", example_values(), out).reference
    clerk = signed_in(out, "clerk1")
    response = correction(clerk, reference, national_id="1000000009")
    assert response.status_code == 422 and 'id="national_id-error"' in text(response)
    response = correction(clerk, reference, applicant_name=FIXED)
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{reference}"
    assert "v1" in text(clerk.get(f"/cases/{reference}"))

    api.record_decision(PROJECT, out, reference, "accepted", early_reason="اكتملت الدراسة")
    api.decide(PROJECT, out)
    page = text(clerk.get(f"/cases/{reference}"))
    assert "تصحيح بيانات الحالة</a>" not in page and "لأمين الأرشيف أو المدير" in page
    response = clerk.get(f"/cases/{reference}/correct")
    assert response.status_code == 302
    assert "لا يصحح بياناتها بعد ذلك إلا أمين الأرشيف أو المدير" in text(clerk.get(f"/cases/{reference}"))
    response = correction(clerk, reference, applicant_name="اسم آخر تماما")
    assert response.status_code == 409 and "أمين الأرشيف أو المدير" in text(response)
    assert not (out / "cases" / reference / "v2").exists()

    archivist = signed_in(out, "arch1")
    response = correction(archivist, reference, applicant_name="اسم آخر تماما")
    assert response.status_code == 302 and (out / "cases" / reference / "v2").is_dir()


def test_only_an_archivist_voids_or_sets_a_status(out: Path) -> None:
    reference = api.issue(PROJECT, "application", example_values(), out).reference
    clerk = signed_in(out, "clerk1")
    token = csrf(clerk, f"/cases/{reference}")
    assert clerk.post(f"/cases/{reference}/void", data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert "إلغاء الحالة</button>" not in text(clerk.get(f"/cases/{reference}"))
    archivist = signed_in(out, "arch1")
    token = csrf(archivist, f"/cases/{reference}")
    response = archivist.post(f"/cases/{reference}/void", data={"csrf_token": token, "reason": ""})
    assert response.status_code == 302 and "اكتب سبب الإلغاء" in text(archivist.get(f"/cases/{reference}"))
    data = {"csrf_token": token, "status": "under_review", "note": "أُحيل للجنة"}
    assert archivist.post(f"/cases/{reference}/status", data=data).status_code == 302
    row = api.read_register(PROJECT, "requests", out).rows[0]
    assert row.cells["حالة الطلب"] == "قيد الدراسة"


NAMES = ("عبدالله محمد أحمد القحطاني", "نورة سعد العتيبي", "مصطفى إبراهيم الزهراني")


def issue_named(out: Path) -> list[str]:
    return [
        api.issue(PROJECT, "application", example_values(applicant_name=name), out).reference for name in NAMES
    ]


def found(client: FlaskClient, **search: Any) -> list[str]:
    page = text(client.get("/cases", query_string=search))
    return re.findall(r'href="/cases/(REQ-\d{4}-\d{5})"', page)


def test_cases_are_found_by_any_spelling_status_and_dates_a_page_at_a_time(out: Path) -> None:
    first, second, third = issue_named(out)
    api.set_case_status(PROJECT, out, second, "under_review", by="arch1")
    client = make_app(out, extra={"WATHIQA_CASES_PAGE": 2}).test_client()
    assert found(client, q="عبد الله القحطانى") == [first]
    assert found(client, q="العتيبي نوره") == [second]
    assert found(client, q="مصطفي ابراهيم") == [third]
    assert found(client, q="مُصْطَفَـــى") == [third]
    assert found(client, q=first.lower()) == [first]
    assert found(client, q="١٠٠٠٠٠٠٠٠٨", status="under_review") == [second]  # the national ID, Arabic digits
    assert found(client, status="under_review") == [second]
    assert found(client, q="فيصل") == []
    assert "لا توجد حالة تطابق البحث" in text(client.get("/cases", query_string={"q": "فيصل"}))

    assert found(client) == [third, second] and found(client, page=2) == [first]  # the newest first, two a page
    assert "الصفحة ١ من ٢" in text(client.get("/cases"))
    client = make_app(out).test_client()  # 25 a page
    year, month, day = to_hijri(today())
    assert set(found(client, **{"from": f"{year}-{month:02d}-{day:02d}"})) == {first, second, third}  # Hijri
    assert set(found(client, to=today().isoformat())) == {first, second, third}  # Gregorian
    assert found(client, **{"from": f"{year + 1}-01-01"}) == []
    assert 'id="from-error"' in text(client.get("/cases", query_string={"from": "١٤٤٨-١٣-٠١"}))


def test_a_clerk_never_meets_a_403_following_the_links_of_the_pages(out: Path) -> None:
    reference = issue_named(out)[0]
    clerk = signed_in(out, "clerk1")
    seen: set[str] = set()
    waiting = ["/", f"/cases/{reference}", "/cases"]
    refused: list[tuple[str, str]] = []
    while waiting and len(seen) < 120:
        url = waiting.pop()
        if url in seen:
            continue
        seen.add(url)
        response = clerk.get(url)
        if response.status_code == 403:
            refused.append((url, ""))
            continue
        if response.mimetype != "text/html":
            continue
        for link in re.findall(r'href="(/[^"#]*)"', response.get_data(as_text=True)):
            link = html.unescape(link)
            if not re.search(r"\.(pdf|docx|xlsx|css|ttf|zip)$", link) and "/fonts/" not in link:
                waiting.append(link)
    assert len(seen) > 10
    assert refused == []


def _drawn(client: FlaskClient, reference: str) -> dict[str, str]:
    """The hidden fields of the correction form as the browser received it (token, version)."""
    page = client.get(f"/cases/{reference}/correct").get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="(_token|_version|csrf_token)" value="([^"]*)"', page))
    assert set(hidden) == {"_token", "_version", "csrf_token"}
    return hidden


def test_the_same_correction_form_sent_twice_makes_one_version(out: Path) -> None:
    """Reload after «إصدار نسخة مصححة», or Back and press again: the case is shown as the first press left it."""
    reference = api.issue(PROJECT, "application", example_values(), out).reference
    clerk = signed_in(out, "clerk1")
    form = {**_drawn(clerk, reference), "_action": "issue", **example_values(applicant_name=FIXED)}
    assert form["_version"] == "0"
    first = clerk.post(f"/cases/{reference}/correct", data=form)
    assert first.status_code == 302 and first.headers["Location"] == f"/cases/{reference}"
    clerk.get(first.headers["Location"])  # the flash of the first press is read
    second = clerk.post(f"/cases/{reference}/correct", data=form)
    assert second.status_code == 302
    page = text(clerk.get(second.headers["Location"]))
    assert "أُرسل نموذج التصحيح هذا من قبل" in page and "(الإصدار ١)" in page
    folder = out / "cases" / reference
    assert (folder / "v1").is_dir() and not (folder / "v2").exists()

    enter = clerk.post(f"/cases/{reference}/correct", data={**_drawn(clerk, reference), "_action": "stay",
                                                            **example_values(applicant_name="اسم بضغطة إدخال")})
    assert enter.status_code == 200 and "زر الإدخال لا يُصدر النسخة المصححة" in text(enter)
    assert 'value="اسم بضغطة إدخال"' in text(enter) and not (folder / "v2").exists()


def test_a_form_drawn_before_a_colleagues_correction_shows_what_differs_and_keeps_what_was_typed(out: Path) -> None:
    reference = api.issue(PROJECT, "application", example_values(), out).reference
    clerk, archivist = signed_in(out, "clerk1"), signed_in(out, "arch1")
    mine = {**_drawn(clerk, reference), "_action": "issue", **example_values(district="الملقا")}
    theirs = {**_drawn(archivist, reference), "_action": "issue", **example_values(applicant_name=FIXED)}
    assert archivist.post(f"/cases/{reference}/correct", data=theirs).status_code == 302

    refused = clerk.post(f"/cases/{reference}/correct", data=mine)
    page = text(refused)
    assert refused.status_code == 409 and "صحّح arch1 هذه الحالة" in page
    differences = re.search(r'<ul class="differences">(.*?)</ul>', page, re.S)
    assert differences is not None
    listed = re.findall(r"<li>«([^»]+)» في الحالة الآن: <span[^>]*>([^<]*)</span></li>", differences.group(1))
    assert listed == [("الاسم الرباعي", FIXED), ("الحي", "النسيم")]
    assert 'value="الملقا"' in page  # what the clerk typed is still in the form
    folder = out / "cases" / reference
    assert (folder / "v1").is_dir() and not (folder / "v2").exists()
    assert api.read_register(PROJECT, "requests", out).rows[0].values["applicant_name"] == FIXED

    again = dict(re.findall(r'<input type="hidden" name="(_token|_version|csrf_token)" value="([^"]*)"', page))
    assert again["_version"] == "1"  # the form now stands on the colleague's version
    looked = {**again, "_action": "issue", **example_values(applicant_name=FIXED, district="الملقا")}
    assert clerk.post(f"/cases/{reference}/correct", data=looked).status_code == 302
    row = api.read_register(PROJECT, "requests", out).rows[0].values
    assert (row["applicant_name"], row["district"]) == (FIXED, "الملقا") and (folder / "v2").is_dir()


def test_a_status_or_a_void_sent_twice_is_recorded_once(out: Path) -> None:
    """The archivist's forms on the case page each carry their own token: a double press (or a reload that sends
    them again) gives one status change and one void in the history, the audit and the register's journal."""
    import json

    from generator.office.audit import audit_entries

    reference = api.issue(PROJECT, "application", example_values(), out).reference
    archivist = signed_in(out, "arch1")
    page = archivist.get(f"/cases/{reference}").get_data(as_text=True)
    tokens = re.findall(r'<input type="hidden" name="_token" value="([^"]+)">', page)
    assert len(tokens) == 2 and tokens[0] != tokens[1]  # one for the status form, one for the void form
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf_token
    status = {"csrf_token": csrf_token.group(1), "_token": tokens[0], "status": "under_review", "note": "للجنة"}
    void = {"csrf_token": csrf_token.group(1), "_token": tokens[1], "reason": "طلب مكرر"}
    for form, url in ((status, "status"), (status, "status"), (void, "void"), (void, "void")):
        response = archivist.post(f"/cases/{reference}/{url}", data=form)
        assert response.status_code == 302
        shown = text(archivist.get(response.headers["Location"]))
        told = re.findall(r'<p class="flash (\w+)" role="status">', shown)
        assert told == ["ok"]  # the second press is told what the first did, not an error
    history = json.loads((out / "cases" / reference / "history.json").read_text(encoding="utf-8"))
    assert [h["kind"] for h in history] == ["status", "void"]
    actions = [e.action for e in audit_entries(OfficeDB(out))]
    assert actions.count("case_status") == 1 and actions.count("case_void") == 1
    assert api.read_register(PROJECT, "requests", out).rows[0].values["status"] == "void"
