"""Make the generic DOCX templates (form, letter, declaration, survey) that docxtpl fills.

Run by ``make templates``::

    .venv/bin/python templates/docx/make_templates.py [--policy policies/policy.yml]

The committed ``*.docx`` files are what staff edit in Word: change the letterhead (the page header), the
footer or the font there and every document of that kind follows. This script is only the starting point;
rerun it after changing ``settings.body_font``/``heading_font`` or the logo in the policy (it overwrites
edits made in Word).

What the templates guarantee, and why:

* every paragraph has ``w:bidi``; every run ``w:rFonts`` (ascii, hAnsi, cs) + ``w:b``/``w:bCs`` +
  ``w:sz``/``w:szCs`` + ``w:rtl`` + ``w:cs`` + ``w:lang w:bidi="ar-SA"``; tables ``w:bidiVisual``; the
  section ``w:bidi`` (before ``w:docGrid``). Children are written in the order of the OOXML schema: Word
  rejects a file whose ``w:pPr``/``w:rPr``/``w:tblPr``/``w:sectPr`` children are out of order.
* no ``w:jc="right"``: inside a bidi paragraph ``left``/``right`` mean start/end, so right alignment is the
  default (no ``w:jc``) and only ``center`` and ``both`` are written.
* the fonts are embedded as Word does it: obfuscated ``word/fonts/*.odttf`` parts, referenced from
  ``fontTable.xml`` with ``w:embedRegular``/``w:embedBold`` and a ``w:fontKey`` (ECMA-376 Part 1, 17.8.1),
  and ``w:embedTrueTypeFonts`` in the settings so Word keeps them when staff save.
* no wording: every word comes from the policy and forms through the Jinja context (``labels.*`` …); the
  template holds only layout, punctuation and the check-box characters.
* the reference as a QR code: the header's far-left cell holds, inside ``{%p if qr %}``, a 20 mm picture whose
  ``wp:docPr`` is named ``wathiqa-qr`` and whose media part is a placeholder QR code (of ``{{ reference }}``).
  The renderer swaps in the PNG of each issued document's reference, and drops the part on a blank one; a
  picture staff move in Word keeps working as long as it keeps that name.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.shared import Emu, Mm
from fontTools.ttLib import TTFont
from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from generator.config.project import load_project  # noqa: E402
from generator.render.docx import QR_PICTURE, qr_png  # noqa: E402

KINDS = ("form", "letter", "declaration", "survey")
FONT_FILES = {
    "IBM Plex Sans Arabic": ("IBMPlexSansArabic-Regular.ttf", "IBMPlexSansArabic-Bold.ttf", "swiss"),
    "Amiri": ("Amiri-Regular.ttf", "Amiri-Bold.ttf", "roman"),
}
NS_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
FIXED_TIME = datetime(2026, 1, 1)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)

# A4 and print margins, in twentieths of a point.
PAGE_W, PAGE_H = 11906, 16838
MARGIN_SIDE, MARGIN_TOP, MARGIN_BOTTOM = 1077, 2041, 1191
TEXT_W = PAGE_W - 2 * MARGIN_SIDE
LINE = 360  # the height of one handwritten line (18 pt, 6.4 mm)
SHADE = "E7EFEA"
SHADE_OFFICE = "D9D9D9"
RULE = "1F5F4A"
CHECKBOX = "{% if o.selected %}☒{% else %}☐{% endif %}"
QR_SIZE = 1134  # twips: the QR code is 20 mm square, as on the PDF
QR_PLACEHOLDER = "{{ reference }}"
"""What the template's placeholder QR code says; every issued document gets its own reference instead."""


# --------------------------------------------------------------------------------------------- XML helpers


def el(tag: str, attrs: dict[str, str] | None = None, *children: etree._Element | None) -> etree._Element:
    """One WordprocessingML element; ``attrs`` keys are ``w:``-prefixed names."""
    node = etree.Element(qn(tag), {qn(k): v for k, v in (attrs or {}).items()})
    for child in children:
        if child is not None:
            node.append(child)
    return node


@dataclass(frozen=True)
class Look:
    """Fonts and sizes (half-points) of the templates."""

    body: str
    heading: str
    size: int = 22
    small: int = 17
    title: int = 30


@dataclass(frozen=True)
class Fmt:
    """Run formatting."""

    size: int = 22
    bold: bool = False
    heading: bool = False
    color: str | None = None


def rpr(look: Look, fmt: Fmt) -> etree._Element:
    """``w:rPr`` in schema order: rFonts, b, bCs, color, sz, szCs, rtl, cs, lang."""
    font = look.heading if fmt.heading else look.body
    return el(
        "w:rPr",
        None,
        el("w:rFonts", {"w:ascii": font, "w:hAnsi": font, "w:cs": font}),
        el("w:b") if fmt.bold else None,
        el("w:bCs") if fmt.bold else None,
        el("w:color", {"w:val": fmt.color}) if fmt.color else None,
        el("w:sz", {"w:val": str(fmt.size)}),
        el("w:szCs", {"w:val": str(fmt.size)}),
        el("w:rtl"),
        el("w:cs"),
        el("w:lang", {"w:val": "ar-SA", "w:bidi": "ar-SA"}),
    )


def text_run(look: Look, fmt: Fmt, text: str) -> etree._Element:
    t = el("w:t")
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    t.text = text
    return el("w:r", None, rpr(look, fmt), t)


@dataclass(frozen=True)
class Para:
    """Paragraph formatting."""

    align: str | None = None  # None = start (right in RTL); "center" or "both"
    before: int = 0
    after: int = 0
    line: int | None = None  # twips, "atLeast" (or "exact")
    exact: bool = False
    first_indent: int = 0
    keep_next: bool = False
    border_bottom: bool = False
    shade: str | None = None


def ppr(look: Look, para: Para, fmt: Fmt) -> etree._Element:
    """``w:pPr`` in schema order: keepNext, pBdr, shd, bidi, spacing, ind, jc, rPr."""
    spacing = {"w:before": str(para.before), "w:after": str(para.after)}
    if para.line:
        spacing |= {"w:line": str(para.line), "w:lineRule": "exact" if para.exact else "atLeast"}
    border = None
    if para.border_bottom:
        border = el("w:pBdr", None, el("w:bottom", {"w:val": "single", "w:sz": "12", "w:space": "4", "w:color": RULE}))
    return el(
        "w:pPr",
        None,
        el("w:keepNext") if para.keep_next else None,
        border,
        el("w:shd", {"w:val": "clear", "w:color": "auto", "w:fill": para.shade}) if para.shade else None,
        el("w:bidi"),
        el("w:spacing", spacing),
        el("w:ind", {"w:firstLine": str(para.first_indent)}) if para.first_indent else None,
        el("w:jc", {"w:val": para.align}) if para.align else None,
        rpr(look, fmt),
    )


def p(look: Look, text: str = "", fmt: Fmt = Fmt(), para: Para = Para(), *runs: etree._Element) -> etree._Element:
    """A paragraph of one run of ``text`` (which may hold Jinja), then ``runs``."""
    node = el("w:p", None, ppr(look, para, fmt))
    if text:
        node.append(text_run(look, fmt, text))
    for run in runs:
        node.append(run)
    return node


def tag(look: Look, jinja: str) -> etree._Element:
    """A paragraph holding only a docxtpl tag (``{%p ... %}``): it disappears when rendered."""
    return p(look, jinja, Fmt(size=look.small))


def field_runs(look: Look, fmt: Fmt, instruction: str) -> list[etree._Element]:
    """A complex field (PAGE, NUMPAGES): Word and LibreOffice update it when the page is laid out."""

    def run(child: etree._Element) -> etree._Element:
        return el("w:r", None, rpr(look, fmt), child)

    instr = el("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = f" {instruction} "
    placeholder = el("w:t")
    placeholder.text = "1"
    return [
        run(el("w:fldChar", {"w:fldCharType": "begin"})),
        run(instr),
        run(el("w:fldChar", {"w:fldCharType": "separate"})),
        run(placeholder),
        run(el("w:fldChar", {"w:fldCharType": "end"})),
    ]


# --- tables


def borders(tag_name: str, size: int, *, inside: bool = True, color: str = "595959") -> etree._Element:
    sides = ["top", "start", "bottom", "end"] + (["insideH", "insideV"] if inside else [])
    # ``w:left``/``w:right`` are what Word 2007 and LibreOffice read; in schema order top, left, bottom, right.
    names = {"start": "left", "end": "right"}
    value = "single" if size else "nil"
    children = [
        el(
            f"w:{names.get(s, s)}",
            {"w:val": value, "w:sz": str(size), "w:space": "0", "w:color": color} if size else {"w:val": "nil"},
        )
        for s in sides
    ]
    return el(tag_name, None, *children)


def table(widths: Sequence[int], rows: Iterable[etree._Element], *, lines: bool = True) -> etree._Element:
    """``w:tbl``: tblPr (bidiVisual, tblW, jc, tblBorders, tblLayout, tblCellMar, tblLook), tblGrid, rows."""
    tbl_pr = el(
        "w:tblPr",
        None,
        el("w:bidiVisual"),
        el("w:tblW", {"w:w": str(sum(widths)), "w:type": "dxa"}),
        el("w:jc", {"w:val": "center"}),
        borders("w:tblBorders", 6 if lines else 0),
        el("w:tblLayout", {"w:type": "fixed"}),
        el(
            "w:tblCellMar",
            None,
            el("w:top", {"w:w": "40", "w:type": "dxa"}),
            el("w:left", {"w:w": "85", "w:type": "dxa"}),
            el("w:bottom", {"w:w": "40", "w:type": "dxa"}),
            el("w:right", {"w:w": "85", "w:type": "dxa"}),
        ),
        el(
            "w:tblLook",
            {
                "w:val": "0000",
                "w:firstRow": "0",
                "w:lastRow": "0",
                "w:firstColumn": "0",
                "w:lastColumn": "0",
                "w:noHBand": "1",
                "w:noVBand": "1",
            },
        ),
    )
    grid = el("w:tblGrid", None, *(el("w:gridCol", {"w:w": str(w)}) for w in widths))
    return el("w:tbl", None, tbl_pr, grid, *rows)


def tr(*cells: etree._Element, height: int | None = None, header: bool = False) -> etree._Element:
    """``w:tr`` with ``w:trPr`` (cantSplit, trHeight, tblHeader)."""
    tr_pr = el(
        "w:trPr",
        None,
        el("w:cantSplit"),
        el("w:trHeight", {"w:val": str(height), "w:hRule": "atLeast"}) if height else None,
        el("w:tblHeader") if header else None,
    )
    return el("w:tr", None, tr_pr, *cells)


def tc(
    width: int,
    content: Sequence[etree._Element],
    *,
    span: int = 1,
    shade: str | None = None,
    vmerge: str | None = None,
    valign: str | None = None,
) -> etree._Element:
    """``w:tc``: tcPr (tcW, gridSpan, vMerge, shd, vAlign), then at least one paragraph."""
    tc_pr = el(
        "w:tcPr",
        None,
        el("w:tcW", {"w:w": str(width), "w:type": "dxa"}),
        el("w:gridSpan", {"w:val": str(span)}) if span > 1 else None,
        (el("w:vMerge", {"w:val": vmerge}) if vmerge == "restart" else el("w:vMerge")) if vmerge else None,
        el("w:shd", {"w:val": "clear", "w:color": "auto", "w:fill": shade}) if shade else None,
        el("w:vAlign", {"w:val": valign}) if valign else None,
    )
    return el("w:tc", None, tc_pr, *content)


def tag_row(look: Look, jinja: str, widths: Sequence[int]) -> etree._Element:
    """A row holding only a docxtpl ``{%tr ... %}`` tag: it disappears when rendered."""
    return tr(tc(sum(widths), [tag(look, jinja)], span=len(widths)))


# --------------------------------------------------------------------------------------------- the blocks


def title(look: Look) -> list[etree._Element]:
    fmt = Fmt(size=look.title, bold=True, heading=True, color=RULE)
    return [p(look, "{{ doc.title }}", fmt, Para(align="center", before=60, after=200))]


def label_cell(look: Look, var: str, width: int) -> etree._Element:
    small = Fmt(size=look.small, color="404040")
    return tc(
        width,
        [
            p(
                look,
                f"{{{{ {var}.label }}}}{{% if {var}.required %}} *{{% endif %}}",
                Fmt(size=look.size - 2, bold=True),
            ),
            tag(look, f"{{%p if {var}.help %}}"),
            p(look, f"{{{{ {var}.help }}}}", small),
            tag(look, "{%p endif %}"),
        ],
        shade=SHADE,
        valign="center",
    )


def value_cell(look: Look, var: str, width: int, span: int = 1) -> etree._Element:
    """The answer: the value, or check boxes before every option, or empty lines sized for handwriting."""
    options = (
        f"{{% for o in {var}.options %}}{CHECKBOX} {{{{ o.label }}}}"
        "{% if not loop.last %}    {% endif %}{% endfor %}"
    )
    first = f"{{% if {var}.options %}}{options}{{% else %}}{{{{ {var}.value }}}}{{% endif %}}"
    hand = Para(line=LINE)
    return tc(
        width,
        [
            p(look, first, Fmt(size=look.size - 2), hand),
            tag(look, f"{{%p for line in {var}.extra_lines %}}"),
            p(look, "", Fmt(size=look.size), hand),
            tag(look, "{%p endfor %}"),
        ],
        span=span,
        valign="center",
    )


def section_tables(look: Look, scale_size: int) -> list[etree._Element]:
    """The document's sections as numbered headed tables; rating sections as a grid of check boxes."""
    half = TEXT_W // 2
    label_w = 2150
    widths = [label_w, half - label_w, label_w, TEXT_W - half - label_w]
    heading = Fmt(size=look.size + 1, bold=True, heading=True, color=RULE)
    small = Fmt(size=look.small)

    def heading_row(span_widths: Sequence[int]) -> etree._Element:
        return tr(
            tc(
                sum(span_widths),
                [p(look, "{{ s.number }}- {{ s.title }}", heading, Para(keep_next=True))],
                span=len(span_widths),
                shade=SHADE,
            ),
            header=True,
        )

    def note_rows(span_widths: Sequence[int]) -> list[etree._Element]:
        return [
            tag_row(look, "{%tr if s.note %}", span_widths),
            tr(tc(sum(span_widths), [p(look, "{{ s.note }}", small)], span=len(span_widths))),
            tag_row(look, "{%tr endif %}", span_widths),
        ]

    fields_table = table(
        widths,
        [
            heading_row(widths),
            *note_rows(widths),
            tag_row(look, "{%tr for row in s.rows %}", widths),
            tag_row(look, "{%tr if row.b %}", widths),
            tr(
                label_cell(look, "row.a", widths[0]),
                value_cell(look, "row.a", widths[1]),
                label_cell(look, "row.b", widths[2]),
                value_cell(look, "row.b", widths[3]),
            ),
            tag_row(look, "{%tr else %}", widths),
            tr(label_cell(look, "row.a", widths[0]), value_cell(look, "row.a", sum(widths[1:]), span=3)),
            tag_row(look, "{%tr endif %}", widths),
            tag_row(look, "{%tr endfor %}", widths),
        ],
    )

    item_w = TEXT_W - 1000 * scale_size
    scale_widths = [item_w] + [1000] * scale_size
    centred = Para(align="center")
    rating_table = table(
        scale_widths,
        [
            heading_row(scale_widths),
            *note_rows(scale_widths),
            tr(
                tc(
                    item_w,
                    [p(look, "{{ labels.item }}", Fmt(size=look.size - 2, bold=True))],
                    shade=SHADE,
                    valign="center",
                ),
                tc(1000, [tag(look, "{%tc for o in s.scale %}")]),
                tc(1000, [p(look, "{{ o }}", Fmt(size=look.small, bold=True), centred)], shade=SHADE, valign="center"),
                tc(1000, [tag(look, "{%tc endfor %}")]),
                header=True,
            ),
            tag_row(look, "{%tr for f in s.fields %}", scale_widths),
            tr(
                tc(
                    item_w,
                    [p(look, "{{ f.label }}{% if f.required %} *{% endif %}", Fmt(size=look.size - 1))],
                    valign="center",
                ),
                tc(1000, [tag(look, "{%tc for o in f.options %}")]),
                tc(1000, [p(look, CHECKBOX, Fmt(size=look.size + 4), centred)], valign="center"),
                tc(1000, [tag(look, "{%tc endfor %}")]),
                height=LINE + 120,
            ),
            tag_row(look, "{%tr endfor %}", scale_widths),
        ],
    )
    return [
        tag(look, "{%p for s in sections %}"),
        tag(look, "{%p if s.scale %}"),
        rating_table,
        tag(look, "{%p else %}"),
        fields_table,
        tag(look, "{%p endif %}"),
        p(look, "", Fmt(size=8), Para(line=200, exact=True)),
        tag(look, "{%p endfor %}"),
    ]


def intro(look: Look) -> list[etree._Element]:
    return [
        tag(look, "{%p if intro %}"),
        p(look, "{{ intro }}", Fmt(size=look.size - 2), Para(align="both", after=120)),
        tag(look, "{%p endif %}"),
    ]


def footer_note(look: Look) -> list[etree._Element]:
    return [
        tag(look, "{%p if footer_note %}"),
        p(look, "{{ footer_note }}", Fmt(size=look.small, color="404040"), Para(align="both", before=120)),
        tag(look, "{%p endif %}"),
    ]


def letter_body(look: Look) -> list[etree._Element]:
    body = Para(align="both", after=140, first_indent=0, line=360)
    bold = Fmt(size=look.size + 1, bold=True)
    half = TEXT_W // 2
    signature = table(
        [half, TEXT_W - half],
        [
            tr(
                tc(half, [p(look)]),
                tc(
                    TEXT_W - half,
                    [
                        p(look, "{{ signatory.title }}", bold, Para(align="center", after=60)),
                        p(look, "{{ signatory.name }}", Fmt(size=look.size), Para(align="center", after=240)),
                        p(
                            look,
                            "{{ labels.signature }}: ………………………………",
                            Fmt(size=look.size),
                            Para(align="center", after=360),
                        ),
                        p(look, "{{ labels.stamp }}", Fmt(size=look.small, color="7F7F7F"), Para(align="center")),
                    ],
                ),
            )
        ],
        lines=False,
    )
    return [
        tag(look, "{%p if basmala %}"),
        p(
            look,
            "{{ labels.basmala }}",
            Fmt(size=look.size + 4, bold=True, heading=True),
            Para(align="center", after=120),
        ),
        tag(look, "{%p endif %}"),
        *title(look),
        p(look, "{{ addressee.before }} {{ addressee.name }}        {{ addressee.after }}", bold, Para(after=120)),
        p(look, "{{ labels.greeting }}", bold, Para(after=160)),
        tag(look, "{%p for para in body %}"),
        p(look, "{{ para }}", Fmt(size=look.size + 1), body),
        tag(look, "{%p endfor %}"),
        p(look, "{{ closing }}", bold, Para(before=80, after=240)),
        tag(look, "{%p if signatory %}"),
        signature,
        tag(look, "{%p endif %}"),
        *footer_note(look),
    ]


def declaration_body(look: Look, scale_size: int) -> list[etree._Element]:
    text = Fmt(size=look.size + 1)
    label = Fmt(size=look.size, bold=True)
    widths = [2300, TEXT_W - 2300 - 2600, 2600]
    hand = Para(line=LINE)

    def row(label_text: str, value: str, thumb: etree._Element) -> etree._Element:
        return tr(
            tc(widths[0], [p(look, label_text, label)], shade=SHADE, valign="center"),
            tc(widths[1], [p(look, value, text, hand)], valign="center"),
            thumb,
            height=LINE + 200,
        )

    thumb_first = tc(
        widths[2],
        [
            p(look, "{{ labels.thumbprint }}", label, Para(align="center")),
            p(look, "{{ labels.thumbprint_note }}", Fmt(size=look.small, color="404040"), Para(align="center")),
        ],
        vmerge="restart",
    )

    def thumb_rest() -> etree._Element:
        return tc(widths[2], [p(look)], vmerge="continue")

    signer = table(
        widths,
        [
            row("{{ labels.name }}", "{{ declarant.name }}", thumb_first),
            row("{{ labels.national_id }}", "{{ declarant.national_id }}", thumb_rest()),
            row("{{ labels.signature }}", "", thumb_rest()),
            row("{{ labels.date }}", "{{ declarant.date }}", thumb_rest()),
        ],
    )
    return [
        *title(look),
        *intro(look),
        *section_tables(look, scale_size),
        tag(look, "{%p for para in body %}"),
        p(look, "{{ para }}", text, Para(align="both", after=120, line=360)),
        tag(look, "{%p endfor %}"),
        tag(look, "{%p for u in undertakings %}"),
        p(look, "{{ u.number }}- {{ u.text }}", text, Para(align="both", after=100, line=340)),
        tag(look, "{%p endfor %}"),
        tag(look, "{%p if closing %}"),
        p(look, "{{ closing }}", Fmt(size=look.size + 1, bold=True), Para(before=120, after=240)),
        tag(look, "{%p endif %}"),
        signer,
        *footer_note(look),
    ]


def form_body(look: Look, scale_size: int) -> list[etree._Element]:
    return [*title(look), *intro(look), *section_tables(look, scale_size), *footer_note(look)]


# --------------------------------------------------------------------------------------------- header, footer


def letterhead(look: Look, kind: str, logo_run: etree._Element, qr_run: etree._Element) -> list[etree._Element]:
    """Name and licence on the right, the logo in the middle, number/date(/attachments) on the left, and at the
    far left, on an issued document only, the reference as a QR code with its label under it (as on the PDF)."""
    qr_w = QR_SIZE + 2 * 85  # the picture and the cell margins
    side = (TEXT_W - 1500 - qr_w) // 2
    widths = [side, TEXT_W - 2 * side - qr_w, side, qr_w]
    name = Fmt(size=look.size, bold=True, heading=True, color=RULE)
    small = Fmt(size=look.small)
    ref_lines = [
        p(look, "{{ labels.number }} {{ reference }}", small, Para(after=40)),
        p(look, "{{ labels.date }} {{ date }}", small, Para(after=40)),
    ]
    if kind == "letter":
        ref_lines.append(p(look, "{{ labels.attachments }} {{ attachments }}", small))
    else:  # a blank form is numbered by the office: the block shows only on an issued form
        ref_lines = [tag(look, "{%p if issued %}"), *ref_lines, tag(look, "{%p endif %}"), p(look, "", small)]
    head = table(
        widths,
        [
            tr(
                tc(
                    widths[0],
                    [
                        p(look, "{{ association.name }}", name, Para(after=40)),
                        p(look, "{{ labels.licence }}: {{ association.licence_number }}", small),
                        p(look, "{{ association.licence_authority }}", small),
                    ],
                    valign="center",
                ),
                tc(widths[1], [p(look, "", small, Para(align="center"), logo_run)], valign="center"),
                tc(widths[2], ref_lines, valign="center"),
                tc(
                    widths[3],
                    [
                        tag(look, "{%p if qr %}"),
                        p(look, "", small, Para(align="center"), qr_run),
                        tag(look, "{%p endif %}"),
                        p(
                            look,
                            "{% if qr %}{{ labels.reference }}{% endif %}",
                            Fmt(size=12, color="404040"),
                            Para(align="center"),
                        ),
                    ],
                    valign="center",
                ),
            )
        ],
        lines=False,
    )
    return [head, p(look, "", Fmt(size=6), Para(after=0, border_bottom=True))]


def footer(look: Look) -> list[etree._Element]:
    small = Fmt(size=look.small - 1, color="404040")
    sep = "   |   "
    control = p(
        look,
        f"{{{{ labels.form_code }}}}: {{{{ doc.code }}}}{sep}{{{{ labels.version }}}}: {{{{ doc.version }}}}{sep}"
        f"{{{{ labels.issued }}}}: {{{{ doc.issued }}}}{sep}{{{{ labels.page }}}} ",
        small,
        Para(align="center", border_bottom=False),
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


# --------------------------------------------------------------------------------------------- package


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
        subprocess.run(["pdftoppm", "-png", "-r", "300", "-singlefile", str(pdf), str(Path(tmp) / "logo")], check=True)
        return (Path(tmp) / "logo.png").read_bytes()


def obfuscate(font: bytes, key: str) -> bytes:
    """Word's font obfuscation: the first 32 bytes XOR the GUID's 16 bytes taken from the end of the GUID."""
    guid = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(b ^ guid[i % 16] for i, b in enumerate(font[:32]))
    return head + font[32:]


def embed_fonts(document: docx.document.Document, families: Sequence[str], fonts_dir: Path) -> None:
    """Replace fontTable.xml by the families used, each embedded (regular and bold) as obfuscated parts."""
    package = document.part.package
    table_part = document.part.part_related_by(RT.FONT_TABLE)
    fonts = etree.Element(qn("w:fonts"), nsmap={"w": NS_W, "r": NS_R})
    index = 0
    for family in families:
        regular, bold, kind = FONT_FILES[family]
        tt = TTFont(fonts_dir / regular)
        assert tt["name"].getDebugName(1) == family, f"{regular} is not family {family!r}"
        panose = tt["OS/2"].panose
        panose_hex = "".join(
            f"{getattr(panose, k):02X}"
            for k in (
                "bFamilyType",
                "bSerifStyle",
                "bWeight",
                "bProportion",
                "bContrast",
                "bStrokeVariation",
                "bArmStyle",
                "bLetterForm",
                "bMidline",
                "bXHeight",
            )
        )
        embeds = []
        for element, file_name in (("w:embedRegular", regular), ("w:embedBold", bold)):
            index += 1
            key = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"wathiqa:{file_name}")).upper() + "}"
            blob = obfuscate((fonts_dir / file_name).read_bytes(), key)
            part = Part(PackURI(f"/word/fonts/font{index}.odttf"), OBFUSCATED_FONT, blob, package)
            r_id = table_part.relate_to(part, RT.FONT)
            node = etree.Element(qn(element), {qn("r:id"): r_id, qn("w:fontKey"): key})
            embeds.append(node)
        fonts.append(
            el(
                "w:font",
                {"w:name": family},
                el("w:panose1", {"w:val": panose_hex}),
                el("w:charset", {"w:val": "00"}),
                el("w:family", {"w:val": kind}),
                el("w:pitch", {"w:val": "variable"}),
                *embeds,
            )
        )
    table_part._blob = etree.tostring(fonts, encoding="UTF-8", standalone=True)


def set_defaults(document: docx.document.Document, look: Look) -> None:
    """Document defaults and settings: RTL paragraphs, the Arabic font, fonts embedded when Word saves."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    defaults.find(qn("w:rPrDefault")).remove(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")))
    defaults.find(qn("w:rPrDefault")).append(rpr(look, Fmt(size=look.size)))
    ppr_default = defaults.find(qn("w:pPrDefault"))
    ppr_default.remove(ppr_default.find(qn("w:pPr")))
    ppr_default.append(
        el("w:pPr", None, el("w:bidi"), el("w:spacing", {"w:after": "0", "w:line": "264", "w:lineRule": "auto"}))
    )
    settings = document.settings.element
    zoom = settings.find(qn("w:zoom"))
    zoom.addnext(el("w:embedTrueTypeFonts"))
    document.core_properties.author = "wathiqa"
    document.core_properties.last_modified_by = "wathiqa"
    document.core_properties.created = FIXED_TIME
    document.core_properties.modified = FIXED_TIME
    document.core_properties.revision = 1
    document.core_properties.title = ""
    document.core_properties.comments = ""
    document.core_properties.subject = ""
    document.core_properties.identifier = ""  # docxtpl sets it on render: present here, core.xml stays as is
    document.core_properties.language = "ar-SA"


def set_section(document: docx.document.Document) -> None:
    """A4, print margins, ``w:bidi`` before ``w:docGrid`` (sectPr schema order)."""
    section = document.sections[0]
    section.page_width, section.page_height = Emu(PAGE_W * 635), Emu(PAGE_H * 635)
    section.left_margin = section.right_margin = Emu(MARGIN_SIDE * 635)
    section.top_margin, section.bottom_margin = Emu(MARGIN_TOP * 635), Emu(MARGIN_BOTTOM * 635)
    section.header_distance = section.footer_distance = Mm(9)
    sect_pr = section._sectPr
    sect_pr.find(qn("w:docGrid")).addprevious(el("w:bidi"))


def make_template(kind: str, look: Look, scale_size: int, logo: bytes, fonts_dir: Path) -> bytes:
    document = docx.Document()
    set_defaults(document, look)
    set_section(document)
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    sect_pr = body.find(qn("w:sectPr"))
    builders = {
        "form": lambda: form_body(look, scale_size),
        "survey": lambda: form_body(look, scale_size),
        "letter": lambda: letter_body(look),
        "declaration": lambda: declaration_body(look, scale_size),
    }
    for node in builders[kind]():
        sect_pr.addprevious(node)
    # A table cannot end a document: Word wants a paragraph before sectPr.
    sect_pr.addprevious(p(look, "", Fmt(size=2), Para(line=20, exact=True)))

    section = document.sections[0]
    header = section.header
    header.is_linked_to_previous = False
    hdr = header._element
    for child in list(hdr):
        hdr.remove(child)
    with tempfile.TemporaryDirectory() as tmp:
        logo_file = Path(tmp) / "logo.png"  # a fixed name: it is written into the picture's properties
        logo_file.write_bytes(logo)
        inline = header.part.new_pic_inline(str(logo_file), Mm(19), Mm(19))
        qr_file = Path(tmp) / "qr.png"
        qr_file.write_bytes(qr_png(QR_PLACEHOLDER))
        qr_inline = header.part.new_pic_inline(str(qr_file), Emu(QR_SIZE * 635), Emu(QR_SIZE * 635))
    qr_pr = qr_inline.find(qn("wp:docPr"))
    qr_pr.set("name", QR_PICTURE)  # how the renderer finds it
    qr_pr.set("id", str(int(inline.find(qn("wp:docPr")).get("id")) + 1))  # both were numbered before either was in
    logo_run = el("w:r", None, rpr(look, Fmt()), el("w:drawing", None, inline))
    qr_run = el("w:r", None, rpr(look, Fmt()), el("w:drawing", None, qr_inline))
    for node in letterhead(look, kind, logo_run, qr_run):
        hdr.append(node)
    ftr = section.footer._element
    section.footer.is_linked_to_previous = False
    for child in list(ftr):
        ftr.remove(child)
    for node in footer(look):
        ftr.append(node)

    families = list(dict.fromkeys([look.body, look.heading]))
    embed_fonts(document, families, fonts_dir)
    drop_thumbnail(document)
    return normalise(save(document))


def drop_thumbnail(document: docx.document.Document) -> None:
    """python-docx's default package carries an English thumbnail; file browsers would show it."""
    rels = document.part.package.rels
    for r_id, rel in list(rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            rels.pop(r_id)


def save(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def normalise(data: bytes) -> bytes:
    """Load and save once more (python-docx's own serialisation is then a fixed point: a docxtpl render
    changes only the parts it renders), and give every zip entry a fixed time so the file is reproducible."""
    data = save(docx.Document(io.BytesIO(data)))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            info = zipfile.ZipInfo(item.filename, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, zin.read(item.filename))
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default=str(ROOT / "policies" / "policy.yml"))
    parser.add_argument("--out", default=str(HERE))
    args = parser.parse_args(argv)
    project = load_project(Path(args.policy))
    settings = project.policy.settings
    look = Look(body=settings.body_font, heading=settings.heading_font)
    scale_size = max(
        (
            len(project.policy.lists[f.list].items)
            for d in project.documents.values()
            for f in d.all_fields()
            if f.type == "rating" and f.list
        ),
        default=5,
    )
    logo = logo_png(project.logo_path) if project.logo_path.suffix.lower() == ".svg" else project.logo_path.read_bytes()
    out = Path(args.out)
    (out / "logo.png").write_bytes(logo)
    fonts_dir = project.templates_dir / "fonts"
    for kind in KINDS:
        (out / f"{kind}.docx").write_bytes(make_template(kind, look, scale_size, logo, fonts_dir))
        print(f"wrote {out / (kind + '.docx')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
