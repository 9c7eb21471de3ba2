"""WordprocessingML building blocks: runs, paragraphs, tables, with children in the order of the schema.

Word rejects a file whose ``w:pPr``/``w:rPr``/``w:tblPr``/``w:trPr``/``w:tcPr`` children are out of the order
of ECMA-376 Part 1 (wml.xsd), which LibreOffice tolerates; each builder here writes its children in that order
and says which. Every paragraph is ``w:bidi``; every run carries ``w:rFonts`` (ascii, hAnsi, cs), ``w:sz`` and
``w:szCs``, ``w:rtl``, ``w:cs`` and ``w:lang w:bidi="ar-SA"``; tables are ``w:bidiVisual``. Alignment is never
``right``: inside a bidi paragraph ``left``/``right`` mean start/end, so the start is the default (no ``w:jc``)
and only ``center`` and ``both`` are written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from docx.oxml.ns import qn
from lxml import etree

Element = Any
"""An lxml element (lxml ships no type information)."""

_XML_SPACE: Final = "{http://www.w3.org/XML/1998/namespace}space"

# A4 and print margins, in twentieths of a point (twips).
PAGE_W: Final = 11906
PAGE_H: Final = 16838
MARGIN_SIDE: Final = 1077
MARGIN_TOP: Final = 2041
MARGIN_BOTTOM: Final = 1191
TEXT_W: Final = PAGE_W - 2 * MARGIN_SIDE
CELL_MARGIN: Final = 85
"""A table cell's left and right margin (twips)."""
LINE: Final = 320
"""The height of one handwritten line (16 pt, 5.6 mm): a one-page PDF form stays one page in Writer."""
SHADE: Final = "E7EFEA"
RULE: Final = "1F5F4A"
GREY: Final = "404040"
BOX_EMPTY: Final = "\u200e" + "\u00a0" * 4 + "\u200e"
"""An empty check box's content: four no-break spaces, about the width of the tick (944 vs 912 units in Plex),
between left-to-right marks: neutral spaces in a right-to-left line are cut by LibreOffice Writer into pieces,
each with its own border (the box came out as «||»); held by the marks they stay one box."""
TICK: Final = "✓"
"""A ticked box's mark, as on the PDF; U+2713 is in the shipped IBM Plex Sans Arabic, so no fallback font."""
BOX_LINE: Final = 4
"""A digit box's border, in eighths of a point (0.5 pt, as the PDF's)."""
BOX_COLOR: Final = "555555"
CHECKBOX: Final = f"{{% if o.selected %}}{TICK}{{% else %}}{BOX_EMPTY}{{% endif %}}"
"""The content of a check box run (:func:`box_run`): the box is the run's border, not a character."""


def el(tag: str, attrs: dict[str, str] | None = None, *children: Element | None) -> Element:
    """One WordprocessingML element; ``attrs`` keys are prefixed names (``w:val``); ``None`` children are left out."""
    node = etree.Element(qn(tag), {qn(k): v for k, v in (attrs or {}).items()})
    for child in children:
        if child is not None:
            node.append(child)
    return node


@dataclass(frozen=True)
class Look:
    """Fonts and sizes (half-points) of the templates: the policy's body and heading fonts."""

    body: str
    heading: str
    size: int = 22
    small: int = 17
    title: int = 30


@dataclass(frozen=True)
class Fmt:
    """Run formatting: size in half-points, bold, the heading font, a colour."""

    size: int = 22
    bold: bool = False
    heading: bool = False
    color: str | None = None
    boxed: bool = False
    """A border around the run: how a check box is drawn (☐/☒ are not in the shipped fonts)."""


@dataclass(frozen=True)
class Para:
    """Paragraph formatting; lengths in twips."""

    align: str | None = None
    """``None`` is the start (the right, in a bidi paragraph); else ``center`` or ``both``."""
    before: int = 0
    after: int = 0
    line: int | None = None
    """Line height, "at least" (or "exact" with ``exact``)."""
    exact: bool = False
    first_indent: int = 0
    keep_next: bool = False
    border_bottom: bool = False
    shade: str | None = None
    dotted: bool = False
    """A dotted line under the paragraph, and between it and the next dotted one: a write-in line (the room to
    write by hand that the PDF draws), as wide as the cell in Word and in LibreOffice."""


def rpr(look: Look, fmt: Fmt) -> Element:
    """``w:rPr`` in schema order: rFonts, b, bCs, color, sz, szCs, bdr, rtl, cs, lang."""
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
        el("w:bdr", {"w:val": "single", "w:sz": "6", "w:space": "0", "w:color": "404040"}) if fmt.boxed else None,
        el("w:rtl"),
        el("w:cs"),
        el("w:lang", {"w:val": "ar-SA", "w:bidi": "ar-SA"}),
    )


def text_run(look: Look, fmt: Fmt, text: str) -> Element:
    """A run of ``text`` (which may hold Jinja), spaces kept."""
    t = el("w:t")
    t.set(_XML_SPACE, "preserve")
    t.text = text
    return el("w:r", None, rpr(look, fmt), t)


def ppr(look: Look, para: Para, fmt: Fmt) -> Element:
    """``w:pPr`` in schema order: keepNext, pBdr, shd, bidi, spacing, ind, jc, rPr."""
    spacing = {"w:before": str(para.before), "w:after": str(para.after)}
    if para.line:
        spacing |= {"w:line": str(para.line), "w:lineRule": "exact" if para.exact else "atLeast"}
    border = None
    if para.border_bottom:
        border = el("w:pBdr", None, el("w:bottom", {"w:val": "single", "w:sz": "12", "w:space": "4", "w:color": RULE}))
    elif para.dotted:
        dots = {"w:val": "dotted", "w:sz": "6", "w:space": "1", "w:color": "808080"}
        border = el("w:pBdr", None, el("w:bottom", dots), el("w:between", dots))
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


def p(look: Look, text: str = "", fmt: Fmt = Fmt(), para: Para = Para(), *runs: Element) -> Element:
    """A paragraph of one run of ``text`` (which may hold Jinja), then ``runs``."""
    node = el("w:p", None, ppr(look, para, fmt))
    if text:
        node.append(text_run(look, fmt, text))
    for run in runs:
        node.append(run)
    return node


def tag(look: Look, jinja: str) -> Element:
    """A paragraph holding only a docxtpl tag (``{%p ... %}``): it disappears when rendered."""
    return p(look, jinja, Fmt(size=look.small))


def field_runs(look: Look, fmt: Fmt, instruction: str) -> list[Element]:
    """A complex field (PAGE, NUMPAGES): Word and LibreOffice update it when the page is laid out."""

    def run(child: Element) -> Element:
        return el("w:r", None, rpr(look, fmt), child)

    instr = el("w:instrText")
    instr.set(_XML_SPACE, "preserve")
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


# --------------------------------------------------------------------------------------------- tables


def borders(tag_name: str, size: int, *, inside: bool = True, color: str = "595959") -> Element:
    """Table borders; ``size`` 0 is none. ``w:left``/``w:right`` (not start/end) are what Word 2007 and
    LibreOffice read; in schema order top, left, bottom, right, insideH, insideV."""
    sides = ["top", "left", "bottom", "right"] + (["insideH", "insideV"] if inside else [])
    attrs = {"w:val": "single", "w:sz": str(size), "w:space": "0", "w:color": color} if size else {"w:val": "nil"}
    return el(tag_name, None, *(el(f"w:{side}", attrs) for side in sides))


def table(
    widths: Sequence[int],
    rows: Iterable[Element],
    *,
    lines: bool = True,
    centred: bool = True,
    margins: tuple[int, int] = (40, CELL_MARGIN),
) -> Element:
    """``w:tbl``: tblPr (bidiVisual, tblW, jc, tblBorders, tblLayout, tblCellMar, tblLook), tblGrid, rows.

    ``centred`` False leaves the table at the start of its line (the right: a nested table of boxes sits where
    the answer starts); ``margins`` are the cells' (top and bottom, left and right) margins in twips."""
    vertical, side = (str(margin) for margin in margins)
    tbl_pr = el(
        "w:tblPr",
        None,
        el("w:bidiVisual"),
        el("w:tblW", {"w:w": str(sum(widths)), "w:type": "dxa"}),
        el("w:jc", {"w:val": "center"}) if centred else None,
        borders("w:tblBorders", 6 if lines else 0),
        el("w:tblLayout", {"w:type": "fixed"}),
        el(
            "w:tblCellMar",
            None,
            el("w:top", {"w:w": vertical, "w:type": "dxa"}),
            el("w:left", {"w:w": side, "w:type": "dxa"}),
            el("w:bottom", {"w:w": vertical, "w:type": "dxa"}),
            el("w:right", {"w:w": side, "w:type": "dxa"}),
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


def tr(*cells: Element, height: int | None = None, header: bool = False, exact: bool = False) -> Element:
    """``w:tr`` with ``w:trPr`` (cantSplit, trHeight, tblHeader); ``height`` at least, or exactly."""
    tr_pr = el(
        "w:trPr",
        None,
        el("w:cantSplit"),
        el("w:trHeight", {"w:val": str(height), "w:hRule": "exact" if exact else "atLeast"}) if height else None,
        el("w:tblHeader") if header else None,
    )
    return el("w:tr", None, tr_pr, *cells)


def tc(
    width: int,
    content: Sequence[Element],
    *,
    span: int = 1,
    shade: str | None = None,
    vmerge: str | None = None,
    valign: str | None = None,
    boxed: bool = False,
    line_below: bool = False,
) -> Element:
    """``w:tc``: tcPr (tcW, gridSpan, vMerge, tcBorders, shd, vAlign), then at least one paragraph; ``boxed``
    draws the cell's own border (a box to write one digit in), ``line_below`` a dotted line under it (to sign
    on)."""
    cell_borders = None
    if boxed:
        cell_borders = borders("w:tcBorders", BOX_LINE, inside=False, color=BOX_COLOR)
    elif line_below:
        dots = {"w:val": "dotted", "w:sz": "6", "w:space": "0", "w:color": "808080"}
        cell_borders = el("w:tcBorders", None, el("w:bottom", dots))
    merge = None
    if vmerge:
        merge = el("w:vMerge", {"w:val": vmerge}) if vmerge == "restart" else el("w:vMerge")
    tc_pr = el(
        "w:tcPr",
        None,
        el("w:tcW", {"w:w": str(width), "w:type": "dxa"}),
        el("w:gridSpan", {"w:val": str(span)}) if span > 1 else None,
        merge,
        cell_borders,
        el("w:shd", {"w:val": "clear", "w:color": "auto", "w:fill": shade}) if shade else None,
        el("w:vAlign", {"w:val": valign}) if valign else None,
    )
    return el("w:tc", None, tc_pr, *content)


def tag_row(look: Look, jinja: str, widths: Sequence[int]) -> Element:
    """A row holding only a docxtpl ``{%tr ... %}`` tag: it disappears when rendered."""
    return tr(tc(sum(widths), [tag(look, jinja)], span=len(widths)))


_VML: Final = "urn:schemas-microsoft-com:vml"
SEAL_SIZE: Final = "30mm"
"""The seal circle's diameter, as on the PDF's letters."""


def seal_run(look: Look) -> Element:
    """A run holding the seal circle: an inline VML oval, dashed grey, unfilled (Word and LibreOffice draw it)."""
    oval = etree.Element(
        f"{{{_VML}}}oval",
        {
            "style": f"width:{SEAL_SIZE};height:{SEAL_SIZE}",
            "filled": "f",
            "strokecolor": "#7F7F7F",
            "strokeweight": "0.75pt",
        },
        nsmap={"v": _VML},
    )
    etree.SubElement(oval, f"{{{_VML}}}stroke", {"dashstyle": "dash"})
    return el("w:r", None, rpr(look, Fmt(size=look.small)), el("w:pict", None, oval))


def split_grid(widths: Sequence[int], parts: Sequence[int]) -> list[int]:
    """The grid of a table whose columns (``widths``) are each cut into ``parts`` equal grid columns; a cell of
    column ``i`` then spans ``parts[i]``. Room for nested tables: docxtpl counts a nested table's cells as the
    holding table's own and would otherwise widen its grid to them (:mod:`.boxes`)."""
    grid: list[int] = []
    for width, count in zip(widths, parts, strict=True):
        share = width // count
        grid += [share] * (count - 1) + [width - share * (count - 1)]
    return grid
