"""How numbers and moments look in the office app: one kind of digit (the policy's), the office's clock.

Two Jinja filters, registered on the app: ``digits`` writes a number (a count, a row, an ID) in the policy's
digits (``settings.digits``: Arabic-Indic or Latin), and ``when`` shows a moment the office database stored
(UTC, ``YYYY-MM-DD HH:MM:SS``) on the office's clock (``settings.time_zone``), in those digits. References
(``REQ-1448-00001``) are codes, kept as the files and the registers write them.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from markupsafe import Markup

from ..config.model import Policy
from ..config.project import Project
from ..content.text import to_display_digits, to_local

__all__ = ["init_app", "shown", "shown_digits", "shown_moment", "titled"]

_INTERNAL_WORDS = {"#answer": " (الرد على الطلب)", "(pending)": "(معلّق في السجل)"}


def shown_digits(value: object, policy: Policy) -> str:
    return to_display_digits("" if value is None else str(value), policy.settings.digits)


_CODE = r"(?<![\w.-])(?=[A-Za-z0-9._-]*[A-Za-z])(?=[A-Za-z0-9._-]*[0-9])[A-Za-z0-9._-]+(?![\w.-])"
"""A reference or a form code (``REQ-1448-00012``, ``BR-F-01``): letters and digits written as printed."""
_ADDRESS = r"(?:https?://|mailto:)\S+|[^\s@]+@[^\s@]+"
_AS_WRITTEN = re.compile(f"{_ADDRESS}|{_CODE}", re.IGNORECASE)


def shown(value: object, policy: Policy) -> Markup:
    """Stored text as a clerk reads it among Arabic words: codes, web addresses and e-mails isolated left to right
    as written (their digits are part of them); every other number in the policy's digits."""
    text = "" if value is None else str(value)
    parts: list[Markup | str] = []
    last = 0
    for match in _AS_WRITTEN.finditer(text):
        parts.append(shown_digits(text[last : match.start()], policy))
        parts.append(Markup('<bdi dir="ltr">{}</bdi>').format(match.group()))
        last = match.end()
    parts.append(shown_digits(text[last:], policy))
    return Markup("").join(parts)


def shown_moment(value: object, policy: Policy) -> str:
    """A stored UTC moment as the office's local date and time (minutes), in the policy's digits."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return shown_digits(value, policy)
    return shown_digits(to_local(moment, policy).strftime("%Y-%m-%d %H:%M"), policy)


def titled(value: object, project: Project) -> str:
    """A stored target or detail (the audit trail's) with the app's internal words in Arabic: a document or
    register id becomes its title, a journal key's «#answer» the reply to the request."""
    text = "" if value is None else str(value)
    titles = {d.id: d.title for d in project.documents.values()} | {r.id: r.title for r in project.registers.values()}
    for word, arabic in _INTERNAL_WORDS.items():
        text = text.replace(word, arabic)
    pattern = r"(?<![\w/.-])(" + "|".join(re.escape(i) for i in sorted(titles, key=len, reverse=True)) + r")(?![\w/.-])"
    return re.sub(pattern, lambda m: f"«{titles[m.group(1)]}»", text)


def init_app(app: Flask, project: Project) -> None:
    policy = project.policy
    app.jinja_env.filters["titled"] = lambda value: titled(value, project)
    app.jinja_env.filters["digits"] = lambda value: shown_digits(value, policy)
    app.jinja_env.filters["shown"] = lambda value: shown(value, policy)
    app.jinja_env.filters["when"] = lambda value: Markup('<bdi dir="ltr">{}</bdi>').format(shown_moment(value, policy))
