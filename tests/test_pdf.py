"""The PDF renderer: fonts, page counts, Arabic text, references and QR codes, escaping, the fetcher, bytes.

Every document is rendered once blank and once filled (session fixtures); the tests read those PDFs.
Arabic extraction is imperfect in every extractor (PRODUCT.md), so Arabic phrases and Latin tokens are
asserted separately, after stripping tatweel and bidi marks, and content is also checked on the HTML.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from generator.config.model import Document, FieldDef
from generator.config.project import Project, load_project
from generator.content.context import DocumentView, build_view
from generator.content.text import parse_date, strip_tatweel
from generator.render.pdf import FetchRefusedError, PdfRenderer, ProjectFetcher, css_string, section_rows
from tests.project_fixture import ROOT, copy_project

REFERENCE = "REQ-1448-00012"
ISSUED = date(2026, 11, 24)
SHIPPED_FONTS = ("IBM-Plex-Sans-Arabic", "IBMPlexSansArabic", "Amiri")
BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
ONE_PAGE_KINDS = ("letter", "declaration")


def example_record(document: Document, project: Project) -> dict[str, Any]:
    """A canonical record from the fields' ``example:`` values, built by hand (no validation module)."""
    record: dict[str, Any] = {}
    for f in document.input_fields():
        if f.example is None:
            continue
        record[f.id] = canonical(f, f.example, project)
    return record


def canonical(f: FieldDef, example: str | list[str], project: Project) -> Any:
    if f.type == "multi_choice":
        assert isinstance(example, list)
        return list(example)
    assert isinstance(example, str)
    if f.type == "date":
        return parse_date(example, project.policy.settings.calendar)
    if f.type in ("number", "rating"):
        return int(example)
    if f.type == "yes_no":
        return example == project.policy.labels.yes
    return example


def page_text(page: Any) -> str:
    return BIDI_MARKS.sub("", strip_tatweel(page.extract_text()))


def pdf_text(pdf: bytes) -> list[str]:
    return [page_text(page) for page in PdfReader(io.BytesIO(pdf)).pages]


def fonts_of(resources: Any, seen: set[int] | None = None) -> set[str]:
    """Base font names used by a page, following form XObjects (SVG drawings are forms)."""
    seen = set() if seen is None else seen
    names: set[str] = set()
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject):
        return names
    for font in (resources.get("/Font", DictionaryObject()).get_object()).values():
        names.add(str(font.get_object()["/BaseFont"]))
    for xobject in (resources.get("/XObject", DictionaryObject()).get_object()).values():
        obj = xobject.get_object()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if obj.get("/Subtype") == "/Form":
            names |= fonts_of(obj.get("/Resources"), seen)
    return names


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def project() -> Project:
    return load_project(ROOT / "policies" / "policy.yml")


@pytest.fixture(scope="session")
def renderer(project: Project) -> PdfRenderer:
    return PdfRenderer(project)


@pytest.fixture(scope="session")
def filled_views(project: Project) -> dict[str, DocumentView]:
    return {
        doc_id: build_view(doc, project.policy, example_record(doc, project), reference=REFERENCE, issue_date=ISSUED)
        for doc_id, doc in project.documents.items()
    }


@pytest.fixture(scope="session")
def blank_pdfs(project: Project, renderer: PdfRenderer) -> dict[str, bytes]:
    return {doc_id: renderer.render(build_view(doc, project.policy, None)) for doc_id, doc in project.documents.items()}


@pytest.fixture(scope="session")
def filled_pdfs(renderer: PdfRenderer, filled_views: dict[str, DocumentView]) -> dict[str, bytes]:
    return {doc_id: renderer.render(view) for doc_id, view in filled_views.items()}


def every_pdf(blank: dict[str, bytes], filled: dict[str, bytes]) -> Iterator[tuple[str, bytes]]:
    for doc_id, pdf in blank.items():
        yield f"{doc_id} (blank)", pdf
    for doc_id, pdf in filled.items():
        yield f"{doc_id} (filled)", pdf


# --------------------------------------------------------------------------------------------- fonts, pages


def test_every_page_embeds_only_the_shipped_arabic_fonts(
    blank_pdfs: dict[str, bytes], filled_pdfs: dict[str, bytes]
) -> None:
    for name, pdf in every_pdf(blank_pdfs, filled_pdfs):
        for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, 1):
            fonts = fonts_of(page.get("/Resources"))
            assert fonts, f"{name} page {number}: no font"
            strays = {f for f in fonts if not any(shipped in f for shipped in SHIPPED_FONTS)}
            assert not strays, f"{name} page {number}: fallback fonts {strays}"


def test_letters_and_declarations_take_exactly_one_page(
    project: Project, blank_pdfs: dict[str, bytes], filled_pdfs: dict[str, bytes]
) -> None:
    for doc_id, doc in project.documents.items():
        for state, pdf in (("blank", blank_pdfs[doc_id]), ("filled", filled_pdfs[doc_id])):
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            if doc.kind in ONE_PAGE_KINDS:
                assert pages == 1, f"{doc_id} ({state}): {pages} pages"
            assert 1 <= pages <= doc.max_pages, f"{doc_id} ({state}): {pages} pages, at most {doc.max_pages}"
    assert len(PdfReader(io.BytesIO(filled_pdfs["application"])).pages) <= 2
    assert len(PdfReader(io.BytesIO(filled_pdfs["acknowledgment"])).pages) == 1


# --------------------------------------------------------------------------------------------- text


def test_key_arabic_phrases_are_in_the_extracted_text(
    project: Project, blank_pdfs: dict[str, bytes], filled_pdfs: dict[str, bytes]
) -> None:
    labels = project.policy.labels
    for doc_id, doc in project.documents.items():
        for pdf in (blank_pdfs[doc_id], filled_pdfs[doc_id]):
            text = " ".join(pdf_text(pdf))
            assert strip_tatweel(doc.title) in text, doc_id
            assert project.policy.association.licence_authority in text
            assert doc.code in text  # the document-control footer
            assert labels.page in text
            if doc.kind == "letter":
                assert labels.basmala in text
                assert labels.greeting.rstrip(":") in text
            for section in doc.sections:
                assert strip_tatweel(section.title) in text, f"{doc_id}: section {section.title}"
    declaration = " ".join(pdf_text(filled_pdfs["declaration"]))
    assert "أقر أنا الموقع أدناه" in declaration
    assert "عبدالله محمد أحمد القحطاني" in declaration
    assert labels.thumbprint in declaration


def test_the_reference_prints_in_order_on_filled_documents(filled_pdfs: dict[str, bytes]) -> None:
    for doc_id in ("acknowledgment", "application", "declaration", "referral"):
        text = " ".join(pdf_text(filled_pdfs[doc_id]))
        assert REFERENCE in text, doc_id
        assert "00012-1448-REQ" not in text


def test_filled_letter_html_has_values_dates_and_gendered_addressee(
    project: Project, renderer: PdfRenderer, filled_views: dict[str, DocumentView]
) -> None:
    html = renderer.html(filled_views["acknowledgment"])
    assert '<html lang="ar" dir="rtl">' in html
    assert f'<bdi dir="ltr">{REFERENCE}</bdi>' in html
    assert '<bdi dir="ltr">٢٤/١١/٢٠٢٦م</bdi>' in html
    assert '<bdi dir="ltr">٠٨/١٢/٢٠٢٦م</bdi>' in html  # the earliest reply: 14 days later
    assert project.policy.labels.addressee_m in html and project.policy.labels.honorific_m in html
    doc = project.documents["acknowledgment"]
    record = {"applicant_name": "نورة سعد الدوسري", "gender": "female", "request_type": "open_womens_house"}
    female = renderer.html(build_view(doc, project.policy, record, reference=REFERENCE, issue_date=ISSUED))
    assert project.policy.labels.addressee_f in female and project.policy.labels.honorific_f in female
    blank = renderer.html(build_view(doc, project.policy, None))
    assert "المكرم/ـة/" in blank and "المحترم/ـة" in blank


def test_blank_forms_print_every_option_with_an_empty_box(project: Project, renderer: PdfRenderer) -> None:
    doc = project.documents["application"]
    html = renderer.html(build_view(doc, project.policy, None))
    for item in project.policy.lists["channels"].items:
        assert item.label in html
    assert 'class="box checked"' not in html
    # a box for each date field, and one on each signature line
    assert html.count('class="datebox"') == sum(1 for f in doc.all_fields() if f.type in ("date", "signature"))


def test_filled_forms_tick_the_chosen_options(renderer: PdfRenderer, filled_views: dict[str, DocumentView]) -> None:
    html = renderer.html(filled_views["application"])
    assert html.count('class="box checked"') == 1 + 1 + 1 + 3 + 1 + 1 + 1 + 2 + 1  # choices and days, attachments


def test_every_page_is_a4(blank_pdfs: dict[str, bytes], filled_pdfs: dict[str, bytes]) -> None:
    """A4 is 210 x 297 mm, 595.28 x 841.89 pt: the media box of every page of every document, blank and filled."""
    for name, pdf in every_pdf(blank_pdfs, filled_pdfs):
        for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, 1):
            box = page.mediabox
            assert (float(box.left), float(box.bottom)) == (0, 0), f"{name} p.{number}"
            assert float(box.width) == pytest.approx(595.28, abs=0.5), f"{name} p.{number}"
            assert float(box.height) == pytest.approx(841.89, abs=0.5), f"{name} p.{number}"


def test_no_text_is_justified(
    project: Project, renderer: PdfRenderer, filled_views: dict[str, DocumentView]
) -> None:
    """Justified Arabic stretches words apart: no laid-out box of any document, blank or filled, is justified."""
    views = [*filled_views.values(), *(build_view(doc, project.policy, None) for doc in project.documents.values())]
    for view in views:
        layout = renderer.engine.document(renderer.html(view))
        aligns = {
            (box.style["text_align_all"], box.style["text_align_last"])
            for page in layout.pages
            for box in page._page_box.descendants()
        }
        assert aligns, view.document.id
        assert not [pair for pair in aligns if "justify" in pair], view.document.id


def test_half_width_fields_pair_up_and_ratings_form_one_grid(project: Project) -> None:
    rows = section_rows(project.documents["application"].sections[0])
    assert [len(r.cells) for r in rows] == [1, 2, 2, 2]
    ratings = section_rows(project.documents["satisfaction"].sections[1])
    assert [(r.kind, len(r.cells)) for r in ratings] == [("ratings", 6)]


# --------------------------------------------------------------------------------------------- QR


def page_images(pdf: bytes, dpi: int = 150) -> list[Any]:
    """Each page as a grayscale PIL image, as a scanner would see the print."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in document]
    finally:
        document.close()


def page_codes(pdf: bytes, dpi: int = 150) -> list[list[str]]:
    """The QR codes zxing-cpp reads on each page."""
    import zxingcpp

    return [[code.text for code in zxingcpp.read_barcodes(image)] for image in page_images(pdf, dpi)]


def test_every_page_of_an_issued_document_carries_its_page_code(
    project: Project, filled_pdfs: dict[str, bytes]
) -> None:
    for doc_id in ("acknowledgment", "application", "declaration"):
        code = project.documents[doc_id].code
        pages = len(PdfReader(io.BytesIO(filled_pdfs[doc_id])).pages)
        assert page_codes(filled_pdfs[doc_id]) == [[f"{REFERENCE} {code} {n}/{pages}"] for n in range(1, pages + 1)]


def test_every_page_of_a_blank_form_carries_its_form_code(project: Project, blank_pdfs: dict[str, bytes]) -> None:
    for doc_id, pdf in blank_pdfs.items():
        code = project.documents[doc_id].code
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        assert page_codes(pdf) == [[f"{code} {n}/{pages}"] for n in range(1, pages + 1)], doc_id


def test_a_batch_numbers_the_pages_of_each_document_on_its_own(project: Project, renderer: PdfRenderer) -> None:
    document = project.documents["application"]
    views = [
        build_view(document, project.policy, example_record(document, project), reference=ref, issue_date=ISSUED)
        for ref in ("REQ-1448-00001", "REQ-1448-00002")
    ]
    pdf = renderer.render_batch(views, workers=1)
    per_doc = len(page_codes(renderer.render(views[0])))
    assert page_codes(pdf) == [
        [f"{ref} {document.code} {n}/{per_doc}"] for ref in ("REQ-1448-00001", "REQ-1448-00002")
        for n in range(1, per_doc + 1)
    ]


def test_the_page_code_is_small_alphanumeric_and_has_its_quiet_zone(filled_pdfs: dict[str, bytes]) -> None:
    """About 21 mm with the 4-module quiet zone: the symbol itself (25 modules of 33) is about 16 mm."""
    import segno
    import zxingcpp

    assert segno.make(f"{REFERENCE} BR-F-01 12/12", error="m").mode == "alphanumeric"
    assert segno.make(f"{REFERENCE} BR-F-01 12/12", error="m").version == 2
    image = page_images(filled_pdfs["application"], 300)[1]
    (found,) = zxingcpp.read_barcodes(image)
    corners = (found.position.top_left, found.position.top_right)
    side_mm = abs(corners[1].x - corners[0].x) / 300 * 25.4
    assert 15 <= side_mm <= 17, side_mm
    # the quiet zone: four modules (0.64 mm each) of white all round the symbol
    margin_px = round(4 * 21 / 33 / 25.4 * 300) - 2
    left, top = found.position.top_left.x, found.position.top_left.y
    right, bottom = found.position.bottom_right.x, found.position.bottom_right.y
    zone = image.crop((left - margin_px, top - margin_px, right + margin_px, bottom + margin_px))
    inner = (margin_px, margin_px, zone.width - margin_px, zone.height - margin_px)
    ring = [zone.getpixel((x, y)) for x in range(zone.width) for y in range(zone.height)
            if not (inner[0] - 2 <= x < inner[2] + 2 and inner[1] - 2 <= y < inner[3] + 2)]
    assert min(ring) > 200


def test_the_page_code_is_drawn_where_nothing_else_is(
    project: Project, renderer: PdfRenderer, filled_views: dict[str, DocumentView]
) -> None:
    """The same pages laid out without their codes are white where the codes go: the code covers no text."""
    import zxingcpp

    for doc_id in ("application", "acknowledgment"):
        view = filled_views[doc_id]
        with_codes = page_images(renderer.render(view))
        document = renderer.engine.document(renderer.html(view))
        without = page_images(renderer.engine.pdf([document], None))
        assert len(with_codes) == len(without)
        for stamped, bare in zip(with_codes, without, strict=True):
            (found,) = zxingcpp.read_barcodes(stamped)
            box = (found.position.top_left.x - 12, found.position.top_left.y - 12,
                   found.position.bottom_right.x + 12, found.position.bottom_right.y + 12)
            assert bare.crop(box).getextrema() == (255, 255), doc_id


# --------------------------------------------------------------------------------------------- safety


HOSTILE = '<img src="file:///etc/passwd">'
TEMPLATE = "{{ 7*7 }}"


@pytest.fixture(scope="module")
def hostile_view(project: Project) -> DocumentView:
    doc = project.documents["decision-reject"]
    record = {
        "applicant_name": HOSTILE,
        "gender": "male",
        "request_reference": TEMPLATE,
        "request_date": ISSUED,
        "request_type": "open_circle",
        "rejection_reason": "other",
        "reason_details": f"{TEMPLATE} & <b>bold</b>",
    }
    return build_view(doc, project.policy, record, reference="OUT-1448-00001", issue_date=ISSUED)


def test_markup_and_template_syntax_in_values_print_literally(
    renderer: PdfRenderer, hostile_view: DocumentView
) -> None:
    html = renderer.html(hostile_view)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert '<img src="file:///etc/passwd">' not in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert TEMPLATE in html and "49" not in html
    text = " ".join(pdf_text(renderer.render(hostile_view)))
    assert "7*7" in text and "49" not in text
    assert "file:///etc/passwd" in text
    assert "root:" not in text


def test_the_fetcher_serves_templates_and_refuses_everything_else(project: Project) -> None:
    fetcher = ProjectFetcher([project.templates_dir], [project.logo_path])
    font = project.templates_dir / "fonts" / "Amiri-Regular.ttf"
    assert fetcher.fetch(font.as_uri()).read()[:4] == b"\x00\x01\x00\x00"
    refused = [
        "file:///etc/passwd",
        (project.templates_dir / ".." / "policies" / "policy.yml").as_posix().join(["file://", ""]),
        project.templates_dir.as_uri() + "/%2e%2e/policies/policy.yml",
        (project.templates_dir.parent / "policies" / "policy.yml").as_uri(),
        "http://example.com/logo.png",
        "https://example.com/font.ttf",
        "ftp://example.com/x",
        "data:text/plain,hello",
        "file://otherhost" + font.as_posix(),
    ]
    for url in refused:
        with pytest.raises(FetchRefusedError):
            fetcher.fetch(url)


def test_a_resource_outside_the_templates_is_not_embedded(
    renderer: PdfRenderer, caplog: pytest.LogCaptureFixture
) -> None:
    document = renderer.engine.document('<html><body><img src="file:///etc/passwd"><p>x</p></body></html>')
    assert "refused to fetch file:///etc/passwd" in caplog.text
    assert len(document.pages) == 1


def test_css_strings_cannot_close_the_style_element() -> None:
    assert css_string('a"</style><script>') == '"a\\22 \\3c /style\\3e \\3c script\\3e "'


# --------------------------------------------------------------------------------------------- bytes, metadata


def test_the_same_input_gives_the_same_bytes(
    renderer: PdfRenderer, filled_views: dict[str, DocumentView], filled_pdfs: dict[str, bytes], project: Project
) -> None:
    assert renderer.render(filled_views["acknowledgment"]) == filled_pdfs["acknowledgment"]
    again = PdfRenderer(project).render(filled_views["acknowledgment"])
    assert again == filled_pdfs["acknowledgment"]


def test_metadata_title_language_author(project: Project, blank_pdfs: dict[str, bytes]) -> None:
    reader = PdfReader(io.BytesIO(blank_pdfs["declaration"]))
    assert reader.metadata is not None
    assert reader.metadata.title == project.documents["declaration"].title
    assert reader.metadata.author == project.policy.association.name
    assert reader.metadata.creation_date is not None and reader.metadata.creation_date.date() == date(2026, 11, 1)
    assert reader.trailer["/Root"]["/Lang"] == "ar"


def test_filled_documents_are_pdfa_when_the_policy_asks(
    project: Project, filled_pdfs: dict[str, bytes], blank_pdfs: dict[str, bytes], filled_views: dict[str, DocumentView]
) -> None:
    assert project.policy.settings.archival_pdf == "pdf/a-3b"
    filled = PdfReader(io.BytesIO(filled_pdfs["acknowledgment"]))
    root = filled.trailer["/Root"]
    assert "/OutputIntents" in root
    xmp = root["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in xmp and b"3" in xmp
    assert "/OutputIntents" not in PdfReader(io.BytesIO(blank_pdfs["acknowledgment"])).trailer["/Root"]
    plain = PdfRenderer(project, archival=False).render(filled_views["acknowledgment"])
    assert "/OutputIntents" not in PdfReader(io.BytesIO(plain)).trailer["/Root"]


# --------------------------------------------------------------------------------------------- batch


def test_a_batch_keeps_each_documents_reference_and_page_count(
    project: Project, renderer: PdfRenderer, filled_views: dict[str, DocumentView]
) -> None:
    doc = project.documents["acknowledgment"]
    letters = [
        build_view(
            doc,
            project.policy,
            {"applicant_name": f"متقدم {i}", "gender": "male", "request_type": "open_circle"},
            reference=f"REQ-1448-{i:05d}",
            issue_date=ISSUED,
        )
        for i in range(1, 6)
    ]
    views = [letters[0], letters[1], filled_views["application"], *letters[2:]]
    pdf = renderer.render_batch(views, workers=2)
    pages = pdf_text(pdf)
    expected_refs = ["REQ-1448-00001", "REQ-1448-00002", REFERENCE, REFERENCE,
                     "REQ-1448-00003", "REQ-1448-00004", "REQ-1448-00005"]  # fmt: skip
    assert len(pages) == len(expected_refs)
    for text, ref in zip(pages, expected_refs, strict=True):
        assert set(re.findall(r"REQ-\d{4}-\d{5}", text)) == {ref}
    assert "من ٢" in pages[2] and "من ٢" in pages[3]  # the application counts its own two pages
    assert "من ١" in pages[0] and "من ١" in pages[-1]
    assert "BR-F-01" in pages[2] and "BR-L-01" in pages[4]
    # the chunks are fixed, so one worker or two give the same file; PDF/A (as the policy asks) is kept
    assert renderer.render_batch(views, workers=1) == pdf
    reader = PdfReader(io.BytesIO(pdf))
    assert "/OutputIntents" in reader.trailer["/Root"]
    assert reader.metadata is not None and reader.metadata.title == doc.title


def test_a_batch_is_written_in_chunks(project: Project, renderer: PdfRenderer) -> None:
    doc = project.documents["acknowledgment"]
    views = (
        build_view(doc, project.policy, {"applicant_name": "أ", "gender": "male", "request_type": "open_circle"},
                   reference=f"REQ-1448-{i:05d}", issue_date=ISSUED)
        for i in range(1, 8)
    )  # fmt: skip
    out = io.BytesIO()
    seen: list[int] = []
    assert renderer.write_batch(views, out, workers=1, chunk=3, progress=seen.append) == 7
    assert seen == [3, 6, 7]
    assert len(PdfReader(io.BytesIO(out.getvalue())).pages) == 7


# --------------------------------------------------------------------------------------------- generic


def test_a_new_form_needs_no_new_template(tmp_path: Path) -> None:
    policy_path = copy_project(tmp_path)  # with the templates
    (tmp_path / "forms" / "transport.yml").write_text(
        "id: transport\nkind: form\ntitle: طلب نقل الطلاب\ncode: BR-F-09\nversion: '1.0'\nissued: 2026-11-01\n"
        "sections:\n  - id: main\n    title: بيانات النقل\n    fields:\n"
        "      - {id: student_name, label: اسم الطالب, example: سعد}\n"
        "      - {id: pickup_day, label: يوم النقل, type: choice, list: weekdays, example: sunday}\n",
        encoding="utf-8",
    )
    project = load_project(policy_path)
    pdf = PdfRenderer(project).render(build_view(project.documents["transport"], project.policy, None))
    text = " ".join(pdf_text(pdf))
    assert "طلب نقل الطلاب" in text and "BR-F-09" in text and "الأحد" in text
