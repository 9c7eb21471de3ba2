"""The document's sections as numbered headed tables (forms, surveys, declarations), and the shared blocks.

A section of fields is a table of label/answer pairs, two pairs a row when both fields are half width; a
rating section is one grid: the items down the side, the scale across the top, a check box in every cell. Which
a section is, and every word in it, comes from the context (``sections``, ``labels``) at render time.
"""

from __future__ import annotations

from collections.abc import Sequence

from .boxes import NESTED_CELLS, date_boxes, digit_boxes
from .wml import (
    CHECKBOX,
    GREY,
    LINE,
    RULE,
    SHADE,
    TEXT_W,
    Element,
    Fmt,
    Look,
    Para,
    p,
    split_grid,
    table,
    tag,
    tag_row,
    tc,
    text_run,
    tr,
)

SCALE_CELL = 1000
"""The width of one column of a rating scale (twips)."""


def title(look: Look) -> list[Element]:
    fmt = Fmt(size=look.title, bold=True, heading=True, color=RULE)
    return [p(look, "{{ doc.title }}", fmt, Para(align="center", before=60, after=200))]


def intro(look: Look) -> list[Element]:
    return [
        tag(look, "{%p if intro %}"),
        p(look, "{{ intro }}", Fmt(size=look.size - 2), Para(align="both", after=120)),
        tag(look, "{%p endif %}"),
    ]


def footer_note(look: Look) -> list[Element]:
    return [
        tag(look, "{%p if footer_note %}"),
        p(look, "{{ footer_note }}", Fmt(size=look.small, color=GREY), Para(align="both", before=120)),
        tag(look, "{%p endif %}"),
    ]


def label_cell(look: Look, var: str, width: int) -> Element:
    """The field's label (a star when required) and its help under it, on the shaded side."""
    small = Fmt(size=look.small, color=GREY)
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


def value_cell(look: Look, var: str, width: int, span: int = 1) -> Element:
    """The answer: the value, or a bordered check box before every option, or room for handwriting: a box per
    digit (``digits``), day/month/year boxes (``date_boxes``), or dotted lines.

    The option loop opens in the first run and closes in the last, so each option repeats the box run (a
    run with a border, :data:`CHECKBOX`) and its label run; with no options the value fills the first run.
    """
    fmt = Fmt(size=look.size - 2)
    hand = Para(line=LINE, dotted=True)
    return tc(
        width,
        [
            tag(look, f"{{%p if {var}.digits %}}"),
            *digit_boxes(look, f"{var}.digits"),
            tag(look, f"{{%p elif {var}.date_boxes %}}"),
            *date_boxes(look),
            tag(look, f"{{%p elif {var}.signature_boxes %}}"),
            *date_boxes(look, today=True, signature=True),
            tag(look, "{%p else %}"),
            p(
                look,
                f"{{% if {var}.options %}}{{% for o in {var}.options %}}",
                fmt,
                hand,
                text_run(look, Fmt(size=fmt.size, boxed=True), CHECKBOX),
                text_run(
                    look,
                    fmt,
                    " {{ o.label }}{% if not loop.last %}    {% endif %}{% endfor %}"
                    f"{{% else %}}{{{{ {var}.value }}}}{{% endif %}}",
                ),
            ),
            tag(look, f"{{%p for line in {var}.extra_lines %}}"),
            p(look, "", Fmt(size=look.size), hand),
            tag(look, "{%p endfor %}"),
            tag(look, "{%p endif %}"),
        ],
        span=span,
        valign="center",
    )


def _heading_row(look: Look, widths: Sequence[int]) -> Element:
    heading = Fmt(size=look.size + 1, bold=True, heading=True, color=RULE)
    return tr(
        tc(
            sum(widths),
            [p(look, "{{ s.number }}- {{ s.title }}", heading, Para(keep_next=True))],
            span=len(widths),
            shade=SHADE,
        ),
        header=True,
    )


def _note_rows(look: Look, widths: Sequence[int]) -> list[Element]:
    return [
        tag_row(look, "{%tr if s.note %}", widths),
        tr(tc(sum(widths), [p(look, "{{ s.note }}", Fmt(size=look.small))], span=len(widths))),
        tag_row(look, "{%tr endif %}", widths),
    ]


def fields_table(look: Look) -> Element:
    """A section of fields: a row of two label/answer pairs (``row.a``, ``row.b``), or one pair full width.

    Each answer column is cut into grid columns enough for a nested row of boxes (:func:`.wml.split_grid`)."""
    half = TEXT_W // 2
    label_w = 2150
    widths = [label_w, half - label_w, label_w, TEXT_W - half - label_w]
    cut = (NESTED_CELLS + 1) // 2
    grid = split_grid(widths, [1, cut, 1, cut])
    return table(
        grid,
        [
            _heading_row(look, grid),
            *_note_rows(look, grid),
            tag_row(look, "{%tr for row in s.rows %}", grid),
            tag_row(look, "{%tr if row.b %}", grid),
            tr(
                label_cell(look, "row.a", widths[0]),
                value_cell(look, "row.a", widths[1], cut),
                label_cell(look, "row.b", widths[2]),
                value_cell(look, "row.b", widths[3], cut),
            ),
            tag_row(look, "{%tr else %}", grid),
            tr(
                label_cell(look, "row.a", widths[0]),
                value_cell(look, "row.a", sum(widths[1:]), 2 * cut + 1),
            ),
            tag_row(look, "{%tr endif %}", grid),
            tag_row(look, "{%tr endfor %}", grid),
        ],
    )


def rating_table(look: Look, scale_size: int) -> Element:
    """A rating section: one row per item, one check box per point of the scale (``scale_size`` columns wide)."""
    item_w = TEXT_W - SCALE_CELL * scale_size
    widths = [item_w] + [SCALE_CELL] * scale_size
    centred = Para(align="center")
    return table(
        widths,
        [
            _heading_row(look, widths),
            *_note_rows(look, widths),
            tr(
                tc(
                    item_w,
                    [p(look, "{{ labels.item }}", Fmt(size=look.size - 2, bold=True))],
                    shade=SHADE,
                    valign="center",
                ),
                tc(SCALE_CELL, [tag(look, "{%tc for o in s.scale %}")]),
                tc(
                    SCALE_CELL,
                    [p(look, "{{ o }}", Fmt(size=look.small, bold=True), centred)],
                    shade=SHADE,
                    valign="center",
                ),
                tc(SCALE_CELL, [tag(look, "{%tc endfor %}")]),
                header=True,
            ),
            tag_row(look, "{%tr for f in s.fields %}", widths),
            tr(
                tc(
                    item_w,
                    [p(look, "{{ f.label }}{% if f.required %} *{% endif %}", Fmt(size=look.size - 1))],
                    valign="center",
                ),
                tc(SCALE_CELL, [tag(look, "{%tc for o in f.options %}")]),
                tc(SCALE_CELL, [p(look, CHECKBOX, Fmt(size=look.size + 2, boxed=True), centred)], valign="center"),
                tc(SCALE_CELL, [tag(look, "{%tc endfor %}")]),
                height=LINE + 120,
            ),
            tag_row(look, "{%tr endfor %}", widths),
        ],
    )


def section_tables(look: Look, scale_size: int) -> list[Element]:
    """Every section of the document, each a table of fields or a rating grid, with a small gap after it."""
    return [
        tag(look, "{%p for s in sections %}"),
        tag(look, "{%p if s.scale %}"),
        rating_table(look, scale_size),
        tag(look, "{%p else %}"),
        fields_table(look),
        tag(look, "{%p endif %}"),
        p(look, "", Fmt(size=6), Para(line=140, exact=True)),
        tag(look, "{%p endfor %}"),
    ]
