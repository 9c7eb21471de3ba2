"""The body of each kind of template: form (and survey), letter, declaration.

Every word comes from the policy and the forms through the docxtpl context (``doc``, ``labels``, ``body``,
``sections`` …); a body holds only layout, punctuation and the check-box characters, so one template serves
every document of its kind.
"""

from __future__ import annotations

from collections.abc import Callable

from .boxes import NESTED_CELLS, date_boxes, digit_boxes
from .sections import footer_note, intro, section_tables, title
from .wml import GREY, LINE, SHADE, TEXT_W, Element, Fmt, Look, Para, p, seal_run, split_grid, table, tag, tc, tr

KINDS = ("form", "letter", "declaration", "survey")
"""The templates, one per ``kind:`` of document."""


def form_body(look: Look, scale_size: int) -> list[Element]:
    """A form or a survey: the title, the introduction, the sections, the footer note."""
    return [*title(look), *intro(look), *section_tables(look, scale_size), *footer_note(look)]


def letter_body(look: Look, scale_size: int) -> list[Element]:
    """«بسم الله» when the policy says, the title, the addressee and greeting, the paragraphs, the closing, and the
    signature block on the left (title, name, signature line, stamp area). Letters have no sections."""
    del scale_size
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
                        p(look, "", Fmt(size=look.small), Para(align="center"), seal_run(look)),
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


def declaration_body(look: Look, scale_size: int) -> list[Element]:
    """The declaration's sections and text, the numbered undertakings, then the signer's table: name, ID,
    signature and date down the side of a thumbprint box (البصمة) for one who cannot sign."""
    text = Fmt(size=look.size + 1)
    label = Fmt(size=look.size, bold=True)
    widths = [2300, TEXT_W - 2300 - 2600, 2600]
    hand = Para(line=LINE)
    cut = NESTED_CELLS  # the answer column, cut for a nested row of boxes (split_grid)

    def row(label_text: str, value: list[Element], thumb: Element) -> Element:
        return tr(
            tc(widths[0], [p(look, label_text, label)], shade=SHADE, valign="center"),
            tc(widths[1], value, span=cut, valign="center"),
            thumb,
            height=LINE + 200,
        )

    def either(condition: str, boxes: list[Element], value: str) -> list[Element]:
        """The boxes when ``condition`` holds, else the value."""
        return [
            tag(look, f"{{%p if {condition} %}}"),
            *boxes,
            tag(look, "{%p else %}"),
            p(look, value, text, hand),
            tag(look, "{%p endif %}"),
        ]

    thumb_first = tc(
        widths[2],
        [
            p(look, "{{ labels.thumbprint }}", label, Para(align="center")),
            p(look, "{{ labels.thumbprint_note }}", Fmt(size=look.small, color=GREY), Para(align="center")),
        ],
        vmerge="restart",
    )

    def thumb_rest() -> Element:
        return tc(widths[2], [p(look)], vmerge="continue")

    signer = table(
        split_grid(widths, [1, cut, 1]),
        [
            row("{{ labels.name }}", [p(look, "{{ declarant.name }}", text, hand)], thumb_first),
            row(
                "{{ labels.national_id }}",
                either("declarant.digits", digit_boxes(look, "declarant.digits"), "{{ declarant.national_id }}"),
                thumb_rest(),
            ),
            row("{{ labels.signature }}", [p(look, "", text, hand)], thumb_rest()),
            row(
                "{{ labels.date }}",
                either("declarant.date_boxes", date_boxes(look, today=True), "{{ declarant.date }}"),
                thumb_rest(),
            ),
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


BODIES: dict[str, Callable[[Look, int], list[Element]]] = {
    "form": form_body,
    "survey": form_body,
    "letter": letter_body,
    "declaration": declaration_body,
}
"""The body of each kind; every builder takes the look and the widest rating scale of the policy."""
