"""Boxes to write in by hand, as the PDF draws them: one bordered cell per digit of a national ID or a mobile,
and day/month/year boxes for a date with the words «اليوم / الشهر / السنة» under them.

Each is a small nested table with no margins, placed at the start (the right) of its answer cell, its cells
4.4 mm wide and 5.2 mm high like the PDF's. A table of digit boxes repeats its one box cell over the field's
``digits`` (one empty string per digit, as many as the field's validator accepts); a table of date boxes is
fixed: day (2), month (2), year (4; or, for a date written on the day of signing, the century printed and 2
boxes), then the calendar's suffix. docxtpl counts the rows of a nested table as rows of the table holding it
and widens that table's grid to the longest, so the tables holding boxes get a grid of at least
:data:`NESTED_CELLS` columns (:func:`.wml.split_grid`).
"""

from __future__ import annotations

from typing import Final

from ...content.validate import WRITTEN_DIGITS
from .wml import GREY, Element, Fmt, Look, Para, p, table, tag, tc, tr

BOX_W: Final = 250
"""A digit box's width in twips (4.4 mm, as on the PDF)."""
BOX_H: Final = 260
"""A digit box's height in twips (4.6 mm; the PDF's are 5.2 mm)."""
_SEP_W: Final = 140
_SUFFIX_W: Final = 220
_CAPTION_H: Final = 110
_SIGN_W: Final = 3400
"""The signature's dotted line (6 cm, as the PDF's)."""
_DATE_LABEL_W: Final = 800
MOST_DIGITS: Final = max(WRITTEN_DIGITS.values())
"""The grid of a table of digit boxes: the longest fixed-length field's digits."""
NESTED_CELLS: Final = max(12, MOST_DIGITS)
"""The most cells a row of boxes has (a signature's: its line, «التاريخ:», 2 + 1 + 2 + 1 + 3 + 1): the grid a
table holding boxes needs."""


def _box(look: Look) -> Element:
    return tc(BOX_W, [p(look, "", Fmt(size=look.small), Para(line=BOX_H - 40, exact=True))], boxed=True)


def _end(look: Look) -> Element:
    """A table cannot end a cell: the smallest paragraph after it."""
    return p(look, "", Fmt(size=2), Para(line=20, exact=True))


def digit_boxes(look: Look, digits: str) -> list[Element]:
    """One box per item of the Jinja list ``digits``."""
    row = tr(
        tc(BOX_W, [tag(look, f"{{%tc for _ in {digits} %}}")]),
        _box(look),
        tc(BOX_W, [tag(look, "{%tc endfor %}")]),
        height=BOX_H,
        exact=True,
    )
    return [table([BOX_W] * MOST_DIGITS, [row], lines=False, centred=False, margins=(0, 0)), _end(look)]


def date_boxes(look: Look, *, today: bool = False, signature: bool = False) -> list[Element]:
    """Day, month and year boxes, «/» between them, the calendar's suffix after, their names under them.

    ``today``: a date written on the day of signing, whose century is known and printed in the year's first
    (leftmost) box, twice as wide; otherwise the year has four empty boxes. ``signature``: a dotted line to
    sign on and «التاريخ:» before the boxes (a signature field's answer, as the PDF's signature line)."""
    text = Fmt(size=look.size - 2)
    small = Fmt(size=11, color=GREY)
    centred = Para(align="center", line=BOX_H - 40, exact=True)
    year = [_box(look), _box(look)]
    if today:
        century = p(look, "{{ dates.century }}", Fmt(size=look.small, color=GREY), centred)
        year.append(tc(2 * BOX_W, [century], boxed=True, valign="center"))
    else:
        year += [_box(look), _box(look)]
    year_w = 4 * BOX_W

    def sep(content: str) -> Element:
        return tc(_SEP_W, [p(look, content, text, centred)], valign="center")

    lead: list[Element] = []
    lead_w: list[int] = []
    if signature:
        line = p(look, "", text, Para(line=BOX_H - 40, exact=True))
        label = p(look, "{{ labels.date }}", Fmt(size=look.size - 2, bold=True), centred)
        lead = [tc(_SIGN_W, [line], line_below=True), tc(_DATE_LABEL_W, [label], valign="center")]
        lead_w = [_SIGN_W, _DATE_LABEL_W]
    boxes = tr(
        *lead,
        _box(look),
        _box(look),
        sep("/"),
        _box(look),
        _box(look),
        sep("/"),
        *year,
        tc(_SUFFIX_W, [p(look, "{{ dates.suffix }}", text, centred)], valign="center"),
        height=BOX_H,
        exact=True,
    )

    def caption(width: int, span: int, label: str) -> Element:
        return tc(width, [p(look, label, small, Para(align="center", line=_CAPTION_H, exact=True))], span=span)

    names = tr(
        *(caption(width, 1, "") for width in lead_w),
        caption(2 * BOX_W, 2, "{{ labels.day }}"),
        caption(_SEP_W, 1, ""),
        caption(2 * BOX_W, 2, "{{ labels.month }}"),
        caption(_SEP_W, 1, ""),
        caption(year_w, len(year), "{{ labels.year }}"),
        caption(_SUFFIX_W, 1, ""),
    )
    widths = [*lead_w, BOX_W, BOX_W, _SEP_W, BOX_W, BOX_W, _SEP_W]
    widths += [BOX_W, BOX_W, 2 * BOX_W] if today else [BOX_W] * 4
    widths.append(_SUFFIX_W)
    return [table(widths, [boxes, names], lines=False, centred=False, margins=(0, 0)), _end(look)]
