"""report.pdf and the HTML the office app embeds: one body template (reports/body.html) for both.

The web page calls :func:`report_partial` (or renders ``reports/body.html`` itself with
:func:`report_context` and links ``css/report.css``); the PDF wraps the same body in ``report.html`` and lays
it out with the documents' WeasyPrint engine (shipped fonts, the templates-only fetcher).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..config.project import Project
from ..content.text import DigitStyle, format_gregorian, format_hijri, isolate_html, to_display_digits
from ..content.wording import Mixed, to_target
from .view import ReportView, Value, ValueKind
from .wording import ReportWording

__all__ = [
    "BODY_TEMPLATE",
    "STYLESHEET",
    "format_value",
    "print_html",
    "report_context",
    "report_html",
    "report_partial",
    "report_pdf",
]

BODY_TEMPLATE = "reports/body.html"
_LATIN = re.compile("[A-Za-z0-9]")

STYLESHEET = "css/report.css"
"""Relative to the templates folder; the web page serves and links it."""


def format_value(value: Value, kind: ValueKind, digits: DigitStyle, calendar: str) -> str:
    """A figure as printed: counts as digits, means with two decimals, shares as percents, dates in the
    policy's calendar; a missing figure (no answer to average) as «—»."""
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return format_hijri(value, digits) if calendar == "hijri" else format_gregorian(value, digits)
    if isinstance(value, str):
        return value
    if kind == "share":
        text = f"{round(value * 100)}" + ("٪" if digits == "arabic" else "%")
    elif kind == "mean" or (isinstance(value, float) and not value.is_integer()):
        text = f"{value:.2f}"
    else:
        text = str(int(value))
    return to_display_digits(text, digits)


def bar_width(value: Value, top: float) -> int:
    """0..100: the width class of a bar."""
    if not isinstance(value, int | float) or top <= 0:
        return 0
    return max(0, min(100, round(100 * value / top)))


def report_context(project: Project, view: ReportView, words: ReportWording) -> dict[str, Any]:
    """What reports/body.html needs: the view, the wording and the formatting helpers."""
    digits = view.digits
    calendar = project.policy.settings.calendar

    def fmt(value: Value, kind: ValueKind) -> Markup:
        """A cell: dates, references and Latin text isolated, so that their order survives in Arabic lines."""
        text = format_value(value, kind, digits, calendar)
        if isinstance(value, date) or (isinstance(value, str) and _LATIN.search(text)):
            return isolate_html(text)
        return Markup(escape(text))

    def text(value: Mixed | str) -> Markup:
        return Markup(to_target(value, "html")) if isinstance(value, Mixed) else Markup(escape(value))

    return {"r": view, "words": words, "fmt": fmt, "width": bar_width, "text": text}


def environment(templates_dir: Path) -> jinja2.Environment:
    """The environment of the report's and the booklet's templates (trusted files): autoescape, strict."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir / "html"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def report_partial(project: Project, view: ReportView, words: ReportWording) -> Markup:
    """The report's body as HTML, for the office app's page (which links css/report.css)."""
    env = environment(project.templates_dir)
    return Markup(env.get_template(BODY_TEMPLATE).render(report_context(project, view, words)))


def print_html(
    project: Project, template: str, *, digits: DigitStyle, footer: str, made_on: date, **values: Any
) -> str:
    """A print drawn on the office prints' page (reports/page.html: letterhead, footer, «صفحة X من Y»): ``template``
    rendered with what that page needs and ``values``. The report, the policy booklet and the register print."""
    from ..render.pdf import css_string

    env = environment(project.templates_dir)
    env.filters["css_string"] = css_string
    policy = project.policy
    return env.get_template(template).render(
        policy=policy,
        labels=policy.labels,
        digits=digits,
        licence=to_display_digits(policy.association.licence_number, digits),
        logo_url=project.logo_path.as_uri(),
        footer=footer,
        created=f"{made_on.isoformat()}T00:00:00+03:00",
        **values,
    )


def report_html(project: Project, view: ReportView, words: ReportWording) -> str:
    """The whole printable HTML document of report.pdf."""
    return print_html(
        project,
        "report.html",
        digits=view.digits,
        footer=f"{words.title} — {view.period_title}",
        made_on=view.made_on,
        **report_context(project, view, words),
    )


def report_pdf(project: Project, view: ReportView, words: ReportWording) -> bytes:
    """report.pdf as bytes (plain PDF; the figures are reproducible from the registers)."""
    from ..render.pdf import PdfRenderer

    engine = PdfRenderer(project, archival=False).engine
    document = engine.document(report_html(project, view, words))
    return engine.pdf([document], None)
