"""generator/render/docx.py and templates/docx: editable Arabic DOCX, right-to-left in Word and LibreOffice."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from docxtpl import DocxTemplate
from lxml import etree

from generator.config.project import Project, load_project
from generator.content.context import DocumentView, build_view
from generator.content.examples import example_fields
from generator.content.records import validate_record
from generator.content.text import LRI, PDI
from generator.content.validate import WRITTEN_DIGITS
from generator.errors import ProjectError
from generator.render.docx import (
    QR_PICTURE,
    CompiledTemplate,
    DocxRenderer,
    docx_context,
    docx_page_code,
    qr_png,
    whole_dates,
)
from generator.render.docx_templates.wml import BOX_EMPTY, TICK
from tests.needs import SOFFICE, require

ROOT = Path(__file__).resolve().parent.parent
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W, "r": R}
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
ISSUED = date(2026, 11, 24)
REFERENCE = "REQ-1448-00012"

# Children order of the OOXML schema (ECMA-376 Part 1, wml.xsd), for the elements the templates write.
SCHEMA_ORDER = {
    "pPr": [
        "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
        "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
        "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
        "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
        "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange",
    ],
    "rPr": [
        "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
        "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
        "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs",
        "em", "lang", "eastAsianLayout", "specVanish", "oMath",
    ],
    "tblPr": [
        "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW",
        "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook",
        "tblCaption", "tblDescription",
    ],
    "sectPr": [
        "headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar", "paperSrc",
        "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote", "titlePg",
        "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange",
    ],
    "tcPr": [
        "cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar", "textDirection",
        "tcFitText", "vAlign", "hideMark",
    ],
}


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(ROOT / "policies" / "policy.yml")


@pytest.fixture(scope="module")
def renderer(project: Project) -> DocxRenderer:
    return DocxRenderer(project)


def example_record(project: Project, doc_id: str, **overrides: Any) -> dict[str, Any]:
    document = project.documents[doc_id]
    record = validate_record(document, project.policy, dict(example_fields(document)))
    record.update(overrides)
    return record


def filled_view(project: Project, doc_id: str, **overrides: Any) -> DocumentView:
    record = example_record(project, doc_id, **overrides)
    return build_view(project.documents[doc_id], project.policy, record, reference=REFERENCE, issue_date=ISSUED)


@pytest.fixture(scope="module")
def rendered(project: Project, renderer: DocxRenderer) -> dict[tuple[str, str], bytes]:
    """Every document, blank and filled with its example values."""
    out: dict[tuple[str, str], bytes] = {}
    for doc_id, document in project.documents.items():
        out[doc_id, "blank"] = renderer.render(build_view(document, project.policy, None))
        out[doc_id, "filled"] = renderer.render(filled_view(project, doc_id))
    return out


def xml_parts(data: bytes) -> dict[str, etree._Element]:
    """document.xml, headers and footers, parsed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [n for n in archive.namelist() if n.startswith("word/") and n.endswith(".xml")]
        story = [n for n in names if n == "word/document.xml" or n.startswith(("word/header", "word/footer"))]
        return {n: etree.fromstring(archive.read(n)) for n in story}


def paragraph_texts(root: etree._Element) -> list[str]:
    """The text of each paragraph, a ``w:br`` as a newline (how a typed newline is written)."""
    texts = []
    for paragraph in root.iter(f"{{{W}}}p"):
        parts = []
        for node in paragraph.iter(f"{{{W}}}t", f"{{{W}}}br"):
            parts.append("\n" if node.tag == f"{{{W}}}br" else node.text or "")
        texts.append("".join(parts))
    return texts


def boxes(root: etree._Element) -> list[str]:
    """The text of every check box: a run drawn with a border (``w:bdr``)."""
    return ["".join(run.itertext()) for run in root.iter(f"{{{W}}}r") if run.find("w:rPr/w:bdr", NS) is not None]


def local(node: etree._Element) -> str:
    return etree.QName(node).localname


# --------------------------------------------------------------------------------------------- structure


def test_every_document_opens_with_python_docx(rendered: dict[tuple[str, str], bytes]) -> None:
    assert len(rendered) == 18
    for key, data in rendered.items():
        document = docx.Document(io.BytesIO(data))
        assert document.paragraphs, key
        assert document.sections[0].page_width == docx.shared.Twips(11906), key  # A4


def test_every_paragraph_and_run_carries_the_rtl_properties(
    project: Project, rendered: dict[tuple[str, str], bytes]
) -> None:
    fonts = {project.policy.settings.body_font, project.policy.settings.heading_font}
    for key, data in rendered.items():
        for name, root in xml_parts(data).items():
            where = f"{key} {name}"
            for paragraph in root.iter(f"{{{W}}}p"):
                assert paragraph.find("w:pPr/w:bidi", NS) is not None, where
                jc = paragraph.find("w:pPr/w:jc", NS)
                assert jc is None or jc.get(f"{{{W}}}val") in ("center", "both"), where  # never left/right
            for run in root.iter(f"{{{W}}}r"):
                rpr = run.find("w:rPr", NS)
                assert rpr is not None, where
                for child in ("rtl", "cs", "szCs"):
                    assert rpr.find(f"w:{child}", NS) is not None, (where, child)
                rfonts = rpr.find("w:rFonts", NS)
                assert rfonts is not None, where
                assert {rfonts.get(f"{{{W}}}{a}") for a in ("ascii", "hAnsi", "cs")} <= fonts, where
                assert rpr.find("w:lang", NS).get(f"{{{W}}}bidi") == "ar-SA", where
                assert (rpr.find("w:b", NS) is None) == (rpr.find("w:bCs", NS) is None), where
            for tbl in root.iter(f"{{{W}}}tbl"):
                assert tbl.find("w:tblPr/w:bidiVisual", NS) is not None, where
        body = xml_parts(data)["word/document.xml"].find("w:body", NS)
        assert body.find("w:sectPr/w:bidi", NS) is not None, key


def order_problems(root: etree._Element) -> list[str]:
    """Children of pPr, rPr, tblPr, sectPr and tcPr that are out of the schema's order."""
    problems = []
    for parent_name, order in SCHEMA_ORDER.items():
        for parent in root.iter(f"{{{W}}}{parent_name}"):
            names = [local(child) for child in parent]
            unknown = [n for n in names if n not in order]
            positions = [order.index(n) for n in names if n in order]
            if unknown or positions != sorted(positions):
                problems.append(f"{parent_name}: {names}")
    return problems


def test_properties_are_in_schema_order(rendered: dict[tuple[str, str], bytes]) -> None:
    for key, data in rendered.items():
        for name, root in xml_parts(data).items():
            assert order_problems(root) == [], (key, name)


def test_the_order_check_catches_a_wrong_order() -> None:
    wrong = etree.fromstring(
        f'<w:document xmlns:w="{W}"><w:p><w:pPr><w:jc w:val="center"/><w:bidi/></w:pPr><w:r><w:rPr>'
        '<w:rtl/><w:szCs w:val="22"/></w:rPr></w:r></w:p><w:sectPr><w:docGrid/><w:bidi/></w:sectPr></w:document>'
    )
    assert order_problems(wrong) == [
        "pPr: ['jc', 'bidi']",
        "rPr: ['rtl', 'szCs']",
        "sectPr: ['docGrid', 'bidi']",
    ]


def test_settings_and_styles_default_to_right_to_left(project: Project, renderer: DocxRenderer) -> None:
    with zipfile.ZipFile(renderer.template_path("form")) as archive:
        styles = etree.fromstring(archive.read("word/styles.xml"))
        settings = etree.fromstring(archive.read("word/settings.xml"))
    assert styles.find("w:docDefaults/w:pPrDefault/w:pPr/w:bidi", NS) is not None
    fonts = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", NS)
    assert fonts.get(f"{{{W}}}cs") == project.policy.settings.body_font
    assert settings.find("w:embedTrueTypeFonts", NS) is not None
    assert order_problems(styles) == []


# --------------------------------------------------------------------------------------------- fonts


def deobfuscate(data: bytes, key: str) -> bytes:
    guid = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    return bytes(b ^ guid[i % 16] for i, b in enumerate(data[:32])) + data[32:]


def test_the_policy_font_is_embedded_and_referenced_from_the_font_table(
    project: Project, rendered: dict[tuple[str, str], bytes]
) -> None:
    family = project.policy.settings.body_font
    expected = {
        "embedRegular": (ROOT / "templates/fonts/IBMPlexSansArabic-Regular.ttf").read_bytes(),
        "embedBold": (ROOT / "templates/fonts/IBMPlexSansArabic-Bold.ttf").read_bytes(),
    }
    assert family == "IBM Plex Sans Arabic"
    with zipfile.ZipFile(io.BytesIO(rendered["acknowledgment", "filled"])) as archive:
        table = etree.fromstring(archive.read("word/fontTable.xml"))
        rels = etree.fromstring(archive.read("word/_rels/fontTable.xml.rels"))
        types = etree.fromstring(archive.read("[Content_Types].xml"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        font = table.find(f"w:font[@w:name='{family}']", NS)
        assert font is not None
        for element, ttf in expected.items():
            embed = font.find(f"w:{element}", NS)
            assert embed is not None, element
            part = "word/" + targets[embed.get(f"{{{R}}}id")]
            assert part.endswith(".odttf")
            stored = archive.read(part)
            assert stored != ttf  # obfuscated, as Word expects
            assert deobfuscate(stored, embed.get(f"{{{W}}}fontKey")) == ttf
            declared = {t.get("PartName") or t.get("Extension"): t.get("ContentType") for t in types}
            content_type = declared.get("/" + part) or declared.get("odttf")
            assert content_type == "application/vnd.openxmlformats-officedocument.obfuscatedFont"


# --------------------------------------------------------------------------------------------- content


def test_letter_wording_and_values_are_in_the_document_exactly(project: Project, renderer: DocxRenderer) -> None:
    view = filled_view(project, "acknowledgment")
    data = renderer.render(view)
    parts = xml_parts(data)
    texts = paragraph_texts(parts["word/document.xml"])
    corresponding = project.policy.labels.corresponding
    for paragraph in view.document.body:
        assert whole_dates(view.wording(paragraph, "text"), corresponding) in texts
    first = whole_dates(view.wording(view.document.body[0], "text"), corresponding)
    assert f"{LRI}{REFERENCE}{PDI}" in first
    lrm = "\u200e"  # dates marked, not isolated: Writer breaks an isolated date after «/» (issue 13)
    assert f"{lrm}١٤/٠٦/١٤٤٨هـ{lrm}\u00a0الموافق\u00a0{lrm}٢٤/١١/٢٠٢٦م{lrm}" in first
    labels = project.policy.labels
    assert f"{labels.addressee_m} عبدالله محمد أحمد القحطاني        {labels.honorific_m}" in texts
    assert labels.basmala in texts and labels.greeting in texts and labels.closing in texts
    header = "\n".join(paragraph_texts(parts["word/header1.xml"]))
    assert f"{labels.number} {LRI}{REFERENCE}{PDI}" in header
    assert project.policy.association.name in header
    footer = "\n".join(paragraph_texts(parts["word/footer1.xml"]))
    assert f"{labels.form_code}: {LRI}BR-L-01{PDI}" in footer
    assert f"{labels.page} 1 {labels.page_of} 1" in footer  # PAGE and NUMPAGES fields


def test_blank_letter_uses_the_combined_gender_forms(project: Project, rendered: dict[tuple[str, str], bytes]) -> None:
    texts = paragraph_texts(xml_parts(rendered["acknowledgment", "blank"])["word/document.xml"])
    assert "المكرم/ـة/ ……………………………………………………        المحترم/ـة" in texts
    female = filled_view(project, "acknowledgment", gender="female", applicant_name="نورة سعد الدوسري")
    texts = paragraph_texts(xml_parts(DocxRenderer(project).render(female))["word/document.xml"])
    assert "المكرمة/ نورة سعد الدوسري        المحترمة" in texts


def test_form_fields_labels_and_check_boxes(project: Project, rendered: dict[tuple[str, str], bytes]) -> None:
    document = project.documents["application"]
    choice_fields = [f for f in document.all_fields() if f.type in ("choice", "multi_choice")]
    options = sum(len(project.policy.lists[f.list or ""].items) for f in choice_fields)
    blank_root = xml_parts(rendered["application", "blank"])["word/document.xml"]
    blank = "\n".join(paragraph_texts(blank_root))
    assert boxes(blank_root) == [BOX_EMPTY] * options
    for section in document.sections:
        assert section.title in blank
        for field in section.fields:
            assert field.label in blank
    view = filled_view(project, "application")
    filled_root = xml_parts(rendered["application", "filled"])["word/document.xml"]
    filled = "\n".join(paragraph_texts(filled_root))
    ticked = sum(len(view.fields[f.id].selected) for f in choice_fields)
    marks = boxes(filled_root)
    assert marks.count(TICK) == ticked and marks.count(BOX_EMPTY) == options - ticked and len(marks) == options
    assert f"{TICK} ذكر" in filled
    assert "☐" not in filled and "☒" not in filled  # not in the shipped font: Writer would fall back to another
    assert f"{LRI}١٠٠٠٠٠٠٠٠٨{PDI}" in filled  # national ID, isolated, Arabic-Indic digits
    assert f"{LRI}abdullah@example.com{PDI}" in filled
    assert "جامع الإمام تركي بن عبدالله" in filled


def test_survey_prints_a_grid_of_check_boxes_per_rating(rendered: dict[tuple[str, str], bytes]) -> None:
    root = xml_parts(rendered["satisfaction", "filled"])["word/document.xml"]
    rows = [row for row in root.iter(f"{{{W}}}tr") if "الرضا العام عن خدمات الجمعية" in "".join(row.itertext())]
    assert len(rows) == 1
    cells = ["".join(cell.itertext()) for cell in rows[0].findall("w:tc", NS)]
    empty = BOX_EMPTY
    assert cells == ["الرضا العام عن خدمات الجمعية *", empty, empty, empty, TICK, empty]  # example: 4
    assert len(boxes(rows[0])) == 5


def test_declaration_names_the_declarant(project: Project, rendered: dict[tuple[str, str], bytes]) -> None:
    texts = paragraph_texts(xml_parts(rendered["declaration", "filled"])["word/document.xml"])
    assert "عبدالله محمد أحمد القحطاني" in texts
    assert f"{LRI}١٠٠٠٠٠٠٠٠٨{PDI}" in texts
    assert project.policy.labels.thumbprint in texts
    assert any(t.startswith("١- أنني مسؤول ") for t in texts)


def test_values_come_out_exactly_as_typed(project: Project, renderer: DocxRenderer) -> None:
    tricky = "Ali & <Sons> \"quoted\" 'single' {{ applicant_name }} {% if x %} a</w:t>"
    notes = "السطر الأول & <b>\nالسطر الثاني {{ x }}"
    view = filled_view(project, "application", applicant_name=tricky, applicant_notes=notes)
    data = renderer.render(view)
    docx.Document(io.BytesIO(data))  # still a valid package
    texts = paragraph_texts(xml_parts(data)["word/document.xml"])
    assert f"{LRI}{tricky}{PDI}" in texts  # a Latin-only value is isolated like a code
    assert notes in texts  # the newline is a line break, nothing lost
    letter = filled_view(project, "acknowledgment", applicant_name=tricky)
    texts = paragraph_texts(xml_parts(renderer.render(letter))["word/document.xml"])
    assert any(f"{LRI}{tricky}{PDI}" in t for t in texts)


def test_nothing_is_left_unrendered(rendered: dict[tuple[str, str], bytes]) -> None:
    for key, data in rendered.items():
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if name.endswith(".xml"):
                    text = archive.read(name).decode()
                    for mark in ("{{", "}}", "{%", "%}", "{#"):
                        assert mark not in text, (key, name, mark)


# --------------------------------------------------------------------------------------------- fast path


@pytest.mark.parametrize(("doc_id", "blank"), [("acknowledgment", False), ("application", True), ("satisfaction", False)])
def test_same_xml_as_docxtpl(
    tmp_path: Path, project: Project, renderer: DocxRenderer, doc_id: str, blank: bool
) -> None:
    """docxtpl's render, with the QR part replaced (``replace_zipname``) by the document's page code (the form
    code alone on a blank one): every other part is byte-for-byte the same."""
    document = project.documents[doc_id]
    view = build_view(document, project.policy, None) if blank else filled_view(project, doc_id)
    context = docx_context(view)
    naive = DocxTemplate(renderer.template_path(document.kind))
    naive.render(context, autoescape=True)
    media, _, _ = qr_slot(renderer.template_path(document.kind))
    png = tmp_path / "qr.png"
    png.write_bytes(qr_png(docx_page_code(view).text))
    naive.replace_zipname(media, str(png))
    out = io.BytesIO()
    naive.save(out)
    ours = renderer.render(view)
    with zipfile.ZipFile(out) as theirs, zipfile.ZipFile(io.BytesIO(ours)) as mine:
        expected = theirs.namelist()
        assert mine.namelist() == expected
        for name in expected:
            if name == "docProps/core.xml":  # docxtpl re-renders the core properties; the template's are kept
                continue
            assert theirs.read(name) == mine.read(name), name


def test_same_input_same_bytes(project: Project, renderer: DocxRenderer) -> None:
    for view in (filled_view(project, "decision-reject"), filled_view(project, "application")):
        assert renderer.render(view) == renderer.render(view) == DocxRenderer(project).render(view)


def test_a_broken_template_is_reported_with_its_path(tmp_path: Path, renderer: DocxRenderer) -> None:
    broken = tmp_path / "letter.docx"
    with zipfile.ZipFile(renderer.template_path("letter")) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ doc.title }}", b"{{ doc.title ", 1)
            zout.writestr(item, data)
    with pytest.raises(ProjectError) as err:
        CompiledTemplate(broken)
    assert str(broken) in str(err.value)
    assert "template syntax" in str(err.value)


def test_a_missing_template_is_reported(tmp_path: Path, project: Project) -> None:
    renderer = DocxRenderer(project)
    renderer.template_dir = tmp_path
    with pytest.raises(ProjectError) as err:
        renderer.render(build_view(project.documents["acknowledgment"], project.policy, None))
    assert str(tmp_path / "letter.docx") in str(err.value)


# --------------------------------------------------------------------------------------------- QR code


def relationships(xml: bytes) -> dict[str, tuple[str, str]]:
    return {rel.get("Id"): (rel.get("Type"), rel.get("Target")) for rel in etree.fromstring(xml)}


def qr_slot(data: Path | bytes) -> tuple[str, str, str]:
    """The QR picture of a package: its media member, the relationships member naming it, and the rId."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    with zipfile.ZipFile(source) as archive:
        for name in archive.namelist():
            if not (name.startswith("word/") and name.endswith(".xml")) or "/" in name[5:]:
                continue
            root = etree.fromstring(archive.read(name))
            for doc_pr in root.iterfind(f".//{{{WP}}}docPr[@name='{QR_PICTURE}']"):
                blip = doc_pr.getparent().find(f".//{{{A}}}blip")
                r_id = blip.get(f"{{{R}}}embed")
                rels = f"word/_rels/{name[5:]}.rels"
                target = relationships(archive.read(rels))[r_id]
                assert target[0] == f"{R}/image"
                return "word/" + target[1], rels, r_id
    raise AssertionError("no QR picture")


def decode_qr(png: bytes) -> list[bytes]:
    from PIL import Image
    from pyzbar.pyzbar import decode

    return [symbol.data for symbol in decode(Image.open(io.BytesIO(png)))]


def page_code(project: Project, doc_id: str, reference: str | None = REFERENCE) -> bytes:
    """What the DOCX's one code says: letters and declarations are one page (1/1); a form's page is unknown (0/0)."""
    document = project.documents[doc_id]
    pages = 1 if document.kind in ("letter", "declaration") else 0
    head = f"{reference} {document.code}" if reference else document.code
    return f"{head} {pages}/{pages}".encode()


@pytest.mark.parametrize("doc_id", ["acknowledgment", "application"])
def test_an_issued_document_carries_its_reference_as_a_qr_code(
    project: Project, rendered: dict[tuple[str, str], bytes], doc_id: str
) -> None:
    data = rendered[doc_id, "filled"]
    media, rels, r_id = qr_slot(data)
    assert rels == "word/_rels/header1.xml.rels"  # in the letterhead, beside «الرقم/التاريخ»
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        png = archive.read(media)
        types = etree.fromstring(archive.read("[Content_Types].xml"))
    assert png.startswith(b"\x89PNG") and decode_qr(png) == [page_code(project, doc_id)]
    declared = {t.get("PartName") or t.get("Extension"): t.get("ContentType") for t in types}
    assert (declared.get("/" + media) or declared.get(media.rsplit(".", 1)[1])) == "image/png"
    header = xml_parts(data)["word/header1.xml"]
    pictures = header.findall(f".//{{{WP}}}docPr[@name='{QR_PICTURE}']")
    assert len(pictures) == 1
    inline = pictures[0].getparent()
    extent = inline.find(f"{{{WP}}}extent")
    assert int(extent.get("cx")) == int(extent.get("cy")) == 683895  # 19 mm, the logo's height
    assert inline.find(f".//{{{A}}}blip").get(f"{{{R}}}embed") == r_id
    cell = next(a for a in inline.iterancestors(f"{{{W}}}tc"))
    row = cell.getparent()
    assert row.findall("w:tc", NS)[-1] is cell  # the last cell of a bidiVisual row: the far left
    assert project.policy.labels.reference in paragraph_texts(cell)  # the label under it
    ids = [node.get("id") for node in header.iter(f"{{{WP}}}docPr")]
    assert len(ids) == len(set(ids)) == 2  # logo and QR, each its own id


def test_the_qr_code_is_the_references_own(project: Project, renderer: DocxRenderer) -> None:
    other = "REQ-1448-00999"
    view = build_view(
        project.documents["acknowledgment"], project.policy, example_record(project, "acknowledgment"),
        reference=other, issue_date=ISSUED,
    )
    data = renderer.render(view)
    media, _, _ = qr_slot(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert decode_qr(archive.read(media)) == [page_code(project, "acknowledgment", other)]
    assert qr_png(other) == qr_png(other) != qr_png(REFERENCE)


@pytest.mark.parametrize("doc_id", ["acknowledgment", "application", "declaration", "satisfaction"])
def test_a_blank_document_carries_its_form_code(
    project: Project, rendered: dict[tuple[str, str], bytes], doc_id: str
) -> None:
    data = rendered[doc_id, "blank"]
    media, _, _ = qr_slot(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert decode_qr(archive.read(media)) == [page_code(project, doc_id, None)]
    texts = "\n".join(paragraph_texts(xml_parts(data)["word/header1.xml"]))
    assert project.policy.labels.reference not in texts  # no case yet: no «المرجع» under the code


def boxed_cells(root: etree._Element) -> list[etree._Element]:
    """The cells drawn as a box to write one digit in (a cell border of its own, 0.5 pt)."""
    return [tc for tc in root.iter(f"{{{W}}}tc") if tc.find("w:tcPr/w:tcBorders/w:top[@w:sz='4']", NS) is not None]


def answer_cell(root: etree._Element, label: str) -> etree._Element:
    """The answer cell of a field: the cell after its shaded label cell."""
    for cell in root.iter(f"{{{W}}}tc"):
        if cell.find("w:tcPr/w:shd", NS) is not None and "".join(cell.itertext()).startswith(label):
            answer = cell.getnext()
            assert answer is not None and answer.tag == f"{{{W}}}tc"
            return answer
    raise AssertionError(label)


def test_signature_has_its_date_beside_it_as_on_the_pdf(project: Project, rendered: dict[tuple[str, str], bytes]) -> None:
    labels = project.policy.labels
    signed = {
        doc_id: [f.label for f in d.all_fields() if f.type == "signature"]
        for doc_id, d in project.documents.items()
        if d.kind == "form"
    }
    assert {"application", "volunteer", "referral"} <= {doc_id for doc_id, names in signed.items() if names}
    for doc_id, names in signed.items():
        for label in names:
            for state in ("blank", "filled"):  # paper only: the filled form is signed by hand too
                row = answer_cell(xml_parts(rendered[doc_id, state])["word/document.xml"], label)
                # a dotted line to sign on, «التاريخ:», then day/month/year boxes with the century printed
                line = row.findall(".//w:tcPr/w:tcBorders/w:bottom[@w:val='dotted']", NS)
                assert len(line) == 1, (doc_id, state)
                cells = ["".join(tc.itertext()) for tc in row.iter(f"{{{W}}}tc")]
                assert labels.date in cells and "١٤" in cells and "هـ" in cells, (doc_id, state, cells)
                assert {labels.day, labels.month, labels.year} <= set(cells)
                assert len(boxed_cells(row)) == 7  # 2 + 2 + «١٤» + 2, as the PDF's signature line


def test_blank_answers_get_the_boxes_and_lines_of_the_pdf(
    project: Project, rendered: dict[tuple[str, str], bytes]
) -> None:
    from generator.render.pdf import PdfRenderer

    pdf = PdfRenderer(project)
    for doc_id, document in project.documents.items():
        for state in ("blank", "filled"):
            view = build_view(document, project.policy, None) if state == "blank" else filled_view(project, doc_id)
            pdf_cells = len(re.findall(r'class="cell\b', pdf.html(view)))
            docx_cells = len(boxed_cells(xml_parts(rendered[doc_id, state])["word/document.xml"]))
            # one box in the DOCX for every digit cell of the PDF: ID, mobile, dates, the signature's date
            assert docx_cells == pdf_cells, (doc_id, state)
    application = project.documents["application"]
    blank = xml_parts(rendered["application", "blank"])["word/document.xml"]
    filled = xml_parts(rendered["application", "filled"])["word/document.xml"]
    values = filled_view(project, "application").fields
    boxed_types = {"date", "signature", *WRITTEN_DIGITS}
    for field in application.all_fields():
        if field.type in WRITTEN_DIGITS:
            # as many boxes as the validator's digits (national ID 10, mobile 10), none once filled in
            assert len(boxed_cells(answer_cell(blank, field.label))) == WRITTEN_DIGITS[field.type], field.id
            assert not boxed_cells(answer_cell(filled, field.label))
            assert str(values[field.id].display) in "".join(answer_cell(filled, field.label).itertext())
        elif field.type == "date":
            row = answer_cell(blank, field.label)
            cells = ["".join(tc.itertext()) for tc in row.iter(f"{{{W}}}tc")]
            assert len(boxed_cells(row)) == 8 and cells.count("/") == 2 and "هـ" in cells  # day 2, month 2, year 4
            assert {project.policy.labels.day, project.policy.labels.month, project.policy.labels.year} <= set(cells)
    dotted = blank.findall(".//w:pPr/w:pBdr/w:bottom[@w:val='dotted']", NS)
    fields = [f for f in application.all_fields() if f.type not in boxed_types]
    long_lines = sum(f.lines - 1 for f in fields if f.type == "long_text")
    # a dotted line under every other answer, and one for every further line of a long answer
    assert long_lines > 0 and len(dotted) == len(fields) + long_lines


def test_no_stylesWithEffects_and_the_templates_stay_small() -> None:
    for template in sorted((ROOT / "templates" / "docx").glob("*.docx")):
        with zipfile.ZipFile(template) as archive:
            names = archive.namelist()
            assert "word/stylesWithEffects.xml" not in names, template.name
            assert b"stylesWithEffects" not in archive.read("[Content_Types].xml")
            assert b"stylesWithEffects" not in archive.read("word/_rels/document.xml.rels")
            fonts = sum(archive.getinfo(n).compress_size for n in names if n.startswith("word/fonts/"))
            rest = sum(archive.getinfo(n).compress_size for n in names) - fonts
        assert rest < 100_000, (template.name, rest)  # the embedded fonts aside


def test_a_date_is_one_unit_held_to_its_corresponding_date(project: Project, renderer: DocxRenderer) -> None:
    texts = paragraph_texts(xml_parts(renderer.render(filled_view(project, "acknowledgment")))["word/document.xml"])
    body = next(text for text in texts if REFERENCE in text and "الموافق" in text)
    lrm = "\u200e"
    assert f"{lrm}١٤/٠٦/١٤٤٨هـ{lrm}\u00a0الموافق\u00a0{lrm}٢٤/١١/٢٠٢٦م{lrm}" in body
    assert LRI not in body.split(REFERENCE)[1]  # the reference stays isolated, the dates need no isolate


def test_page_numbers_count_in_the_policys_digits(project: Project, rendered: dict[tuple[str, str], bytes]) -> None:
    assert project.policy.settings.digits == "arabic"
    with zipfile.ZipFile(io.BytesIO(rendered["application", "filled"])) as archive:
        document = etree.fromstring(archive.read("word/document.xml"))
    fmt = document.find(".//w:sectPr/w:pgNumType", NS)
    assert fmt is not None and fmt.get(f"{{{W}}}fmt") == "hindiNumbers"


# --------------------------------------------------------------------------------------------- LibreOffice


SHIPPED_FONTS = {"IBMPlexSansArabic-Regular", "IBMPlexSansArabic-Bold", "Amiri-Regular", "Amiri-Bold"}


def writer_pdfs(tmp_path: Path, files: list[Path]) -> None:
    """Every DOCX converted to PDF by LibreOffice Writer, headless, in a profile of its own."""
    require(SOFFICE is not None, "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    command = [
        str(SOFFICE), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
        "--outdir", str(tmp_path), *map(str, files),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)


def pdf_fonts(path: Path) -> set[str]:
    """The fonts of a PDF as ``pdffonts`` lists them, subset prefix dropped."""
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()
    return {line.split()[0].split("+")[-1] for line in lines[2:]}


def test_writer_prints_every_document_on_the_pages_of_its_pdf_with_the_shipped_fonts_only(
    tmp_path: Path, rendered: dict[tuple[str, str], bytes], project: Project
) -> None:
    from pypdf import PdfReader

    from generator.render.pdf import PdfRenderer

    pdf = PdfRenderer(project)
    files, expected = [], {}
    for (doc_id, state), data in rendered.items():
        path = tmp_path / f"{doc_id}-{state}.docx"
        path.write_bytes(data)
        files.append(path)
        document = project.documents[doc_id]
        view = build_view(document, project.policy, None) if state == "blank" else filled_view(project, doc_id)
        expected[path.stem] = len(PdfReader(io.BytesIO(pdf.render(view))).pages)
    assert len(files) == 2 * len(project.documents)
    writer_pdfs(tmp_path, files)
    pages = {path.stem: len(PdfReader(path.with_suffix(".pdf")).pages) for path in files}
    assert pages == expected
    for path in files:
        fonts = pdf_fonts(path.with_suffix(".pdf"))
        # IBM Plex Sans Arabic is not a system font here: Writer took it from the DOCX; no fallback for ☐/☒
        assert fonts and fonts <= SHIPPED_FONTS, (path.name, fonts)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "application-filled.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert TICK in text and REFERENCE in text
    reader = PdfReader(tmp_path / "acknowledgment-filled.pdf")
    assert REFERENCE in reader.pages[0].extract_text()
    # every date whole on one line, and a space between «هـ» and «الموافق» (none at all before: «١٤٤٨هـالموافق»)
    lines = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "acknowledgment-filled.pdf"), "-"],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()
    corresponding = project.policy.labels.corresponding
    for hijri in ("١٤/٠٦/١٤٤٨", "٢٨/٠٦/١٤٤٨"):  # issue date, earliest reply
        assert any(hijri in line for line in lines), hijri
    assert sum(f"هـ {corresponding} " in line for line in lines) >= 3
    assert not any(f"هـ{corresponding}" in line for line in lines)


def test_letters_draw_the_seal_circle(project: Project, rendered: dict[tuple[str, str], bytes]) -> None:
    vml = "urn:schemas-microsoft-com:vml"
    for doc_id, document in project.documents.items():
        if document.kind != "letter" or not document.signatory:
            continue
        root = xml_parts(rendered[doc_id, "filled"])["word/document.xml"]
        ovals = list(root.iter(f"{{{vml}}}oval"))
        assert len(ovals) == 1, doc_id
        assert "width:30mm;height:30mm" in ovals[0].get("style", "")  # as the PDF's dashed 30 mm circle
        assert project.policy.labels.stamp in paragraph_texts(root)


def squeezed_text(pdf: Path) -> str:
    """The text of a PDF as pdftotext reads it, without bidi controls and spaces (pdftotext places them
    unreliably around numbers in a right-to-left line)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub("[\\s\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="LibreOffice Writer 7.4 maps no DOCX page-number format to Arabic-Indic digits: w:pgNumType "
    "hindiNumbers (which Word honours), every other ST_NumberFormat value and every PAGE \\* switch it reads give "
    "Latin or other digits (what was tried: docx_templates/page.py, set_section); strict, so a Writer that "
    "learns it is noticed",
)
def test_writer_counts_pages_in_the_policys_arabic_indic_digits(
    tmp_path: Path, rendered: dict[tuple[str, str], bytes], project: Project
) -> None:
    labels = project.policy.labels
    path = tmp_path / "acknowledgment-filled.docx"
    path.write_bytes(rendered["acknowledgment", "filled"])
    writer_pdfs(tmp_path, [path])
    text = squeezed_text(path.with_suffix(".pdf"))
    assert project.policy.settings.digits == "arabic"
    # the footer's «صفحة X من Y» (pdftotext may move Y away, so X is what is read)
    page = re.search(f"{labels.page}([0-9\u0660-\u0669]){labels.page_of}", text)
    assert page is not None
    assert page.group(1) == "١"  # «صفحة ١ من ١», in the policy's Arabic-Indic digits (Writer 7.4 prints «1»)
