"""One template as a package: python-docx's default document emptied, then the page, the body of its kind, the
letterhead with the logo and the QR placeholder, the footer and the embedded fonts; saved reproducibly.

The QR placeholder: the header's far-left cell holds, inside ``{%p if qr %}``, a 20 mm picture whose
``wp:docPr`` is named :data:`generator.render.docx.QR_PICTURE` and whose media part is the QR code of
``{{ reference }}``. The renderer swaps in the PNG of each issued document's reference and drops the part on a
blank one; a picture staff move in Word keeps working as long as it keeps that name.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import docx
from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Mm

from ...config.project import Project
from ...ooxml import archive
from ..docx import QR_PICTURE, qr_png
from .bodies import BODIES
from .fonts import embed_fonts
from .page import QR_SIZE, footer, letterhead, set_defaults, set_section, twips
from .wml import Element, Fmt, Look, Para, el, p, rpr

FIXED_TIME: Final = datetime(2026, 1, 1)
"""The templates' creation and modification time, and their zip entries' time: same policy, same bytes."""
QR_PLACEHOLDER: Final = "{{ reference }}"
"""What the template's placeholder QR code says; every issued document gets its own reference instead."""
_LOGO_SIZE: Final = Mm(19)


@dataclass(frozen=True)
class TemplateInputs:
    """What the templates are made from: the policy's fonts, its widest rating scale, the logo, the font files."""

    look: Look
    scale_size: int
    logo: bytes
    fonts_dir: Path
    digits: str = "latin"
    """The policy's digits (``arabic`` or ``latin``): the page numbers' digits."""

    @classmethod
    def of(cls, project: Project) -> TemplateInputs:
        settings = project.policy.settings
        scale_size = max(
            (
                len(project.policy.lists[f.list].items)
                for d in project.documents.values()
                for f in d.all_fields()
                if f.type == "rating" and f.list
            ),
            default=5,
        )
        logo = project.logo_path
        return cls(
            look=Look(body=settings.body_font, heading=settings.heading_font),
            scale_size=scale_size,
            logo=logo_png(logo) if logo.suffix.lower() == ".svg" else logo.read_bytes(),
            fonts_dir=project.templates_dir / "fonts",
            digits=settings.digits,
        )


def logo_png(svg: Path) -> bytes:
    """A 300 dpi PNG rendition of the SVG logo (Word and LibreOffice both show PNG; SVG needs a fallback)."""
    import weasyprint

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "logo.pdf"
        html = (
            "<style>@page{size:30mm 30mm;margin:0}html,body{margin:0}img{width:30mm;height:30mm;display:block}</style>"
            f'<img src="{svg.as_uri()}">'
        )
        weasyprint.HTML(string=html).write_pdf(pdf)
        command = ["pdftoppm", "-png", "-r", "300", "-singlefile", str(pdf), str(Path(tmp) / "logo")]
        subprocess.run(command, check=True)
        return (Path(tmp) / "logo.png").read_bytes()


def make_template(kind: str, inputs: TemplateInputs) -> bytes:
    """The DOCX template of one kind (``form``, ``letter``, ``declaration``, ``survey``), as bytes."""
    look = inputs.look
    document = docx.Document()
    set_defaults(document, look)
    set_properties(document)
    set_section(document, inputs.digits)
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    sect_pr = body.find(qn("w:sectPr"))
    for node in BODIES[kind](look, inputs.scale_size):
        sect_pr.addprevious(node)
    # A table cannot end a document: Word wants a paragraph before sectPr.
    sect_pr.addprevious(p(look, "", Fmt(size=2), Para(line=20, exact=True)))

    section = document.sections[0]
    header = section.header
    header.is_linked_to_previous = False
    hdr = header._element
    for child in list(hdr):
        hdr.remove(child)
    logo_run, qr_run = _pictures(document, look, inputs.logo)
    for node in letterhead(look, kind, logo_run, qr_run):
        hdr.append(node)
    section.footer.is_linked_to_previous = False
    ftr = section.footer._element
    for child in list(ftr):
        ftr.remove(child)
    for node in footer(look):
        ftr.append(node)

    embed_fonts(document, list(dict.fromkeys([look.body, look.heading])), inputs.fonts_dir)
    _drop_thumbnail(document)
    _drop_styles_with_effects(document)
    return _normalise(_save(document))


def _pictures(document: DocxDocument, look: Look, logo: bytes) -> tuple[Element, Element]:
    """The header's two pictures as runs: the logo, and the QR placeholder named for the renderer."""
    header_part = document.sections[0].header.part
    with tempfile.TemporaryDirectory() as tmp:
        logo_file = Path(tmp) / "logo.png"  # a fixed name: it is written into the picture's properties
        logo_file.write_bytes(logo)
        logo_inline = header_part.new_pic_inline(str(logo_file), _LOGO_SIZE, _LOGO_SIZE)
        qr_file = Path(tmp) / "qr.png"
        qr_file.write_bytes(qr_png(QR_PLACEHOLDER))
        qr_inline = header_part.new_pic_inline(str(qr_file), twips(QR_SIZE), twips(QR_SIZE))
    qr_pr = qr_inline.find(qn("wp:docPr"))
    qr_pr.set("name", QR_PICTURE)
    # Both pictures were numbered before either was in the header: give the second the next id.
    qr_pr.set("id", str(int(logo_inline.find(qn("wp:docPr")).get("id")) + 1))
    logo_run = el("w:r", None, rpr(look, Fmt()), el("w:drawing", None, logo_inline))
    qr_run = el("w:r", None, rpr(look, Fmt()), el("w:drawing", None, qr_inline))
    return logo_run, qr_run


def set_properties(document: DocxDocument) -> None:
    """Core properties with no time of making and no English defaults: the title comes with each document."""
    props = document.core_properties
    props.author = "wathiqa"
    props.last_modified_by = "wathiqa"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.revision = 1
    props.title = ""
    props.comments = ""
    props.subject = ""
    props.identifier = ""  # docxtpl sets it on render: present here, core.xml stays as is
    props.language = "ar-SA"


def _drop_thumbnail(document: DocxDocument) -> None:
    """python-docx's default package carries an English thumbnail; file browsers would show it."""
    rels = document.part.package.rels
    for r_id, rel in list(rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            rels.pop(r_id)


def _drop_styles_with_effects(document: DocxDocument) -> None:
    """python-docx's default package carries Word 2010's ``stylesWithEffects.xml`` (438 KB, English and
    left-to-right defaults) that Word 2010 may apply instead of ``styles.xml``: the templates do without it."""
    rels = document.part.rels
    for r_id, rel in list(rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            rels.pop(r_id)


def _save(document: DocxDocument) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _normalise(data: bytes) -> bytes:
    """Load and save once more (python-docx's own serialisation is then a fixed point: a docxtpl render
    changes only the parts it renders), and give every zip entry a fixed time so the file is reproducible."""
    data = _save(docx.Document(io.BytesIO(data)))
    return archive.normalised(data, FIXED_TIME.timetuple()[:6], level=6)
