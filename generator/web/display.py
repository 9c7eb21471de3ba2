"""How numbers and moments look in the office app: one kind of digit (the policy's), the office's clock.

Two Jinja filters, registered on the app: ``digits`` writes a number (a count, a row, an ID) in the policy's
digits (``settings.digits``: Arabic-Indic or Latin), and ``when`` shows a moment the office database stored
(UTC, ``YYYY-MM-DD HH:MM:SS``) on the office's clock (``settings.time_zone``), in those digits. References
(``REQ-1448-00001``) are codes, kept as the files and the registers write them.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from markupsafe import Markup

from ..config.model import Policy
from ..content.text import to_display_digits, to_local

__all__ = ["init_app", "shown_digits", "shown_moment"]


def shown_digits(value: object, policy: Policy) -> str:
    return to_display_digits("" if value is None else str(value), policy.settings.digits)


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


def init_app(app: Flask, policy: Policy) -> None:
    app.jinja_env.filters["digits"] = lambda value: shown_digits(value, policy)
    app.jinja_env.filters["when"] = lambda value: Markup('<bdi dir="ltr">{}</bdi>').format(shown_moment(value, policy))
