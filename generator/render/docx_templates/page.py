"""The page every template shares: A4 and its margins, the document defaults, the letterhead and the footer.

The letterhead is the page header, so staff who change it in Word change it for every document of that kind:
the association's name and licence on the right, the logo in the middle, number/date(/attachments) on the left
and, at the far left, the page code as a QR code (the reference and form code; the form code on a blank form)
with its label under it. The
footer holds the contact line and the document control line (form code, version, date of issue, page X of Y).
"""

from __future__ import annotations

from typing import Final

from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Emu, Mm

from .wml import (
    GREY,
    MARGIN_BOTTOM,
    MARGIN_SIDE,
    MARGIN_TOP,
    PAGE_H,
    PAGE_W,
    RULE,
    TEXT_W,
    Element,
    Fmt,
    Look,
    Para,
    el,
    field_runs,
    p,
    rpr,
    table,
    tag,
    tc,
    text_run,
    tr,
)

QR_SIZE: Final = 1077
"""The QR code's side in twips: 19 mm, the logo's height, so that the code (which a blank form carries too)
makes the header no taller than the logo does and every form keeps its pages in Word and Writer."""
_TWIP: Final = 635
"""EMUs in a twip."""
_CELL_MARGINS: Final = 2 * 85
_LOGO_CELL: Final = 1500


def letterhead(look: Look, kind: str, logo_run: Element, qr_run: Element) -> list[Element]:
    """The header table and the rule under it. A letter always shows number, date and attachments; a blank
    form is numbered by the office, so its number and date show only on an issued one."""
    qr_w = QR_SIZE + _CELL_MARGINS
    side = (TEXT_W - _LOGO_CELL - qr_w) // 2
    widths = [side, TEXT_W - 2 * side - qr_w, side, qr_w]
    name = Fmt(size=look.size, bold=True, heading=True, color=RULE)
    small = Fmt(size=look.small)
    ref_lines = [
        p(look, "{{ labels.number }} {{ reference }}", small, Para(after=40)),
        p(look, "{{ labels.date }} {{ date }}", small, Para(after=40)),
    ]
    if kind == "letter":
        ref_lines.append(p(look, "{{ labels.attachments }} {{ attachments }}", small))
    else:
        ref_lines = [tag(look, "{%p if issued %}"), *ref_lines, tag(look, "{%p endif %}"), p(look, "", small)]
    identity = [
        p(look, "{{ association.name }}", name, Para(after=40)),
        p(look, "{{ labels.licence }}: {{ association.licence_number }}", small),
        p(look, "{{ association.licence_authority }}", small),
    ]
    qr_cell = [
        tag(look, "{%p if qr %}"),
        p(look, "", small, Para(align="center"), qr_run),
        tag(look, "{%p endif %}"),
        tag(look, "{%p if not blank %}"),
        p(look, "{{ labels.reference }}", Fmt(size=12, color=GREY), Para(align="center")),
        tag(look, "{%p endif %}"),
    ]
    head = table(
        widths,
        [
            tr(
                tc(widths[0], identity, valign="center"),
                tc(widths[1], [p(look, "", small, Para(align="center"), logo_run)], valign="center"),
                tc(widths[2], ref_lines, valign="center"),
                tc(widths[3], qr_cell, valign="center"),
            )
        ],
        lines=False,
    )
    return [head, p(look, "", Fmt(size=6), Para(after=0, border_bottom=True))]


def footer(look: Look) -> list[Element]:
    """The contact line, then the control line with Word's PAGE and NUMPAGES fields."""
    small = Fmt(size=look.small - 1, color=GREY)
    sep = "   |   "
    control = p(
        look,
        f"{{{{ labels.form_code }}}}: {{{{ doc.code }}}}{sep}{{{{ labels.version }}}}: {{{{ doc.version }}}}{sep}"
        f"{{{{ labels.issued }}}}: {{{{ doc.issued }}}}{sep}{{{{ labels.page }}}} ",
        small,
        Para(align="center"),
        *field_runs(look, small, "PAGE"),
        text_run(look, small, " {{ labels.page_of }} "),
        *field_runs(look, small, "NUMPAGES"),
    )
    contact = p(
        look,
        f"{{{{ association.address }}}}{sep}{{{{ association.phone }}}}{sep}"
        f"{{{{ association.email }}}}{sep}{{{{ association.website }}}}",
        small,
        Para(align="center"),
    )
    return [contact, control]


def set_defaults(document: DocxDocument, look: Look) -> None:
    """Document defaults: right-to-left paragraphs in the body font; fonts embedded when Word saves."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault"))
    rpr_default.remove(rpr_default.find(qn("w:rPr")))
    rpr_default.append(rpr(look, Fmt(size=look.size)))
    ppr_default = defaults.find(qn("w:pPrDefault"))
    ppr_default.remove(ppr_default.find(qn("w:pPr")))
    ppr_default.append(
        el("w:pPr", None, el("w:bidi"), el("w:spacing", {"w:after": "0", "w:line": "264", "w:lineRule": "auto"}))
    )
    document.settings.element.find(qn("w:zoom")).addnext(el("w:embedTrueTypeFonts"))


def set_section(document: DocxDocument, digits: str = "latin") -> None:
    """A4, print margins, the page numbers' digits, ``w:bidi`` before ``w:docGrid`` (sectPr schema order).

    With the policy's ``digits: arabic`` the PAGE and NUMPAGES fields count in Arabic-Indic digits in Word
    (``w:pgNumType w:fmt="hindiNumbers"``). LibreOffice Writer 7.4 reads that value as plain decimal and shows
    Latin digits: its DOCX import maps no ``w:fmt`` value (all 63 of ST_NumberFormat tried) and no
    ``PAGE \\*`` switch (Arabic, ArabicAbjad, ArabicAlpha, HINDIARABIC, ArabicDash …) to Arabic-Indic digits,
    it exports its own Arabic-Indic page numbers to DOCX as ``PAGE \\* ARABIC``, and its CTL "context"
    numerals (an application option, not a document one) leave fields alone. The tests keep a strict
    expected failure for it, so a Writer that learns it is noticed.
    """
    section = document.sections[0]
    section.page_width, section.page_height = Emu(PAGE_W * _TWIP), Emu(PAGE_H * _TWIP)
    section.left_margin = section.right_margin = Emu(MARGIN_SIDE * _TWIP)
    section.top_margin, section.bottom_margin = Emu(MARGIN_TOP * _TWIP), Emu(MARGIN_BOTTOM * _TWIP)
    section.header_distance = section.footer_distance = Mm(9)
    sect_pr = section._sectPr
    if digits == "arabic":
        sect_pr.find(qn("w:pgMar")).addnext(el("w:pgNumType", {"w:fmt": "hindiNumbers"}))
    sect_pr.find(qn("w:docGrid")).addprevious(el("w:bidi"))


def twips(value: int) -> Emu:
    """A length in twips as python-docx's EMU."""
    return Emu(value * _TWIP)
