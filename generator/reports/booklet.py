"""The policy booklet: «سياسة تنظيم العلاقة مع المستفيدين» printed from policy.yml, ready for the board.

The preamble, the goals, the channels and tools (the policy's lists), the steps and the service standard, then
an approval block (decision number, session, date, the board's signatures and stamp). ``wathiqa build`` writes
it as ``blank/policy.pdf``; the evidence zip carries a copy.
"""

from __future__ import annotations

from ..config.project import Project
from ..content.text import to_display_digits, to_hijri
from .wording import BookletWording, load_wording

__all__ = ["BOOKLET_FILE", "booklet_html", "booklet_pdf"]

BOOKLET_FILE = "policy.pdf"
"""Its name in blank/ and in the evidence zip."""


def booklet_html(project: Project, words: BookletWording) -> str:
    """The booklet's printable HTML."""
    from .html import print_html

    policy = project.policy
    digits = policy.settings.digits
    if policy.settings.calendar == "hijri":
        century = str(to_hijri(words.issued)[0])[:2]
        date_blank = f"……/……/……{to_display_digits(century, digits)}هـ"
    else:
        date_blank = f"……/……/……{to_display_digits(str(words.issued.year)[:2], digits)}م"
    labels = policy.labels
    footer = f"{labels.form_code}: {words.code}  ·  {labels.version}: {to_display_digits(words.version, digits)}"
    return print_html(
        project,
        "booklet.html",
        digits=digits,
        footer=footer,
        made_on=words.issued,
        b=words,
        channels=policy.lists["channels"].items if "channels" in policy.lists else [],
        tools=policy.lists["reference_tools"].items if "reference_tools" in policy.lists else [],
        number=lambda n: to_display_digits(str(n), digits),
        date_blank=date_blank,
    )


def booklet_pdf(project: Project, words: BookletWording | None = None) -> bytes:
    """The booklet as PDF bytes (the same policy gives the same bytes)."""
    from ..render.pdf import PdfRenderer

    words = words or load_wording(project).booklet
    engine = PdfRenderer(project, archival=False).engine
    return engine.pdf([engine.document(booklet_html(project, words))], None)
