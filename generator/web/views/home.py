"""The home page: what to do today (requests awaiting a decision, pending register rows, drafts)."""

from __future__ import annotations

import logging

from flask import Blueprint, render_template

from ...content.text import to_display_digits
from ...office.drafts import list_drafts
from ..security import current_user
from ..state import office
from .documents import fillable

log = logging.getLogger(__name__)

bp = Blueprint("home", __name__)

OVERDUE_SHOWN = 10
"""Requests past their earliest reply date listed on the home page (the decisions page lists them all)."""


def pending_rows() -> int:
    """Register changes waiting in the office database's journal for their workbook to be closed."""
    try:
        with office().db.read() as conn:
            row = conn.execute("SELECT count(*) FROM journal WHERE state IN ('preparing', 'ready')").fetchone()
    except Exception:  # the home page must open even if the journal cannot be read; the registers page says why
        log.exception("could not count pending register rows")
        return 0
    return int(row[0])


@bp.get("/")
def index() -> str:
    state = office()
    user = current_user()
    awaiting: list[tuple[str, int]] = []
    overdue: list[tuple[str, str, str]] = []
    if user is not None and user.can("archivist"):
        from .decisions import _rows, decision_registers, overdue_requests

        for entry in decision_registers():
            waiting, _ = _rows(entry)
            awaiting.append((entry.register.title, len(waiting)))
        digits = state.project.policy.settings.digits
        overdue = [(r, n, to_display_digits(str(d), digits)) for r, n, d in overdue_requests()]
    forms = [d for d in state.project.documents.values() if fillable(d)]
    return render_template(
        "home.html",
        forms=forms,
        drafts=list_drafts(state.db)[:10],
        pending=pending_rows(),
        awaiting=awaiting,
        overdue=overdue[:OVERDUE_SHOWN],
        overdue_total=len(overdue),
    )
