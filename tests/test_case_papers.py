"""Issue 20 item 4: the case page shows what came back signed, what is attached and what is still missing, and
takes the attachments the application's checklist names (the ID copy, the site approval …)."""

from __future__ import annotations

import io
from pathlib import Path

from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader

from generator import issue, scan_stack
from generator.content.examples import example_fields
from tests.scan_sim import printed, stack_pdf
from tests.web_helpers import PROJECT, csrf


def issue_case(out: Path) -> str:
    return issue(PROJECT, "application", dict(example_fields(PROJECT.documents["application"])), out).reference


def attach(client: FlaskClient, reference: str, item: str, data: bytes, name: str) -> str:
    token = csrf(client, f"/cases/{reference}")
    response = client.post(
        f"/cases/{reference}/attachments",
        data={"csrf_token": token, "item": item, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 500), (200, 210, 220)).save(out, "JPEG")
    return out.getvalue()


def test_the_case_page_says_what_is_signed_attached_and_missing(tmp_path: Path, out: Path, client: FlaskClient) -> None:
    reference = issue_case(out)
    page = client.get(f"/cases/{reference}").get_data(as_text=True)
    assert "ما زال ناقصًا" in page
    for missing in ("طلب فتح حلقة", "إقرار", "صورة الهوية الوطنية أو الإقامة", "موافقة إمام المسجد أو مالك الموقع"):
        assert missing in page.split("ما زال ناقصًا")[1].split("</p>")[0], missing
    assert "غير مطلوب في هذا الطلب" in page  # the items the applicant did not tick

    said = attach(client, reference, "id_copy", jpeg(), "id.jpg")
    assert "أُرفق الملف بالحالة" in said
    kept = out / "cases" / reference / "attachment-id_copy.pdf"
    assert len(PdfReader(kept).pages) == 1
    assert f"/cases/{reference}/attachment-id_copy.pdf" in said
    assert client.get(f"/cases/{reference}/attachment-id_copy.pdf").status_code == 200

    refused = attach(client, reference, "site_approval", "ليست صورة".encode(), "note.txt")
    assert "لم يُرفق الملف: نوع الملف غير مقبول" in refused
    assert not (out / "cases" / reference / "attachment-site_approval.pdf").exists()
    attach(client, reference, "site_approval", (out / "cases" / reference / "declaration.pdf").read_bytes(), "a.pdf")

    stack = [*printed(out, reference, "application"), *printed(out, reference, "declaration")]
    scan_stack(PROJECT, [stack_pdf(tmp_path / "signed.pdf", stack)], out)
    page = client.get(f"/cases/{reference}").get_data(as_text=True)
    assert "اكتملت أوراق الحالة" in page and "ما زال ناقصًا" not in page
    assert f"/cases/{reference}/signed-application.pdf" in page and f"/cases/{reference}/signed-declaration.pdf" in page
