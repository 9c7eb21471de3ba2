"""One submitted form, one case: the token a form carries, and the draft it came from, kept with the case made.

The office app draws every issuing form with a fresh token. Pressing «إصدار» claims the token (and the draft the
form was resumed from) in one database transaction before anything is issued; a second press of the same form —
a double click, a reload, Back then «إصدار» again, the same draft open in two tabs — finds the claim and is shown
the first case instead of making a second one. A claim whose issue failed (bad data, a register that cannot be
written) is released, so the corrected form can be sent again with the same token.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .accounts import now_utc
from .db import OfficeDB

__all__ = ["Submission", "claim", "find", "finish", "release"]


@dataclass(frozen=True)
class Submission:
    token: str
    document: str
    draft: int | None
    state: str
    """``issuing`` (the case is being made) or ``issued``."""
    reference: str | None
    actor: str
    created: str


_COLUMNS = "token, document, draft, state, reference, actor, created"


def _submission(row: tuple[object, ...]) -> Submission:
    token, document, draft, state, reference, actor, created = row
    return Submission(
        str(token),
        str(document),
        int(str(draft)) if draft is not None else None,
        str(state),
        str(reference) if reference is not None else None,
        str(actor),
        str(created),
    )


def _existing(conn: sqlite3.Connection, token: str, draft: int | None) -> Submission | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM submissions WHERE token = ? OR (draft IS NOT NULL AND draft = ?) "
        "ORDER BY state = 'issued' DESC LIMIT 1",
        (token, draft),
    ).fetchone()
    return _submission(row) if row else None


def find(db: OfficeDB, *, token: str | None = None, draft: int | None = None) -> Submission | None:
    """The submission of this form token or of this draft, if one was made."""
    with db.read() as conn:
        return _existing(conn, token or "", draft)


def claim(db: OfficeDB, token: str, document: str, draft: int | None, actor: str) -> Submission | None:
    """Claim the token (and the draft) for one issue: None when this caller may issue, else the earlier claim."""
    with db.write() as conn:
        earlier = _existing(conn, token, draft)
        if earlier is not None:
            return earlier
        conn.execute(
            "INSERT INTO submissions (token, document, draft, state, actor, created) VALUES (?, ?, ?, 'issuing', ?, ?)",
            (token, document, draft, actor, now_utc()),
        )
    return None


def finish(db: OfficeDB, token: str, reference: str) -> None:
    """The claimed issue made case ``reference``."""
    with db.write() as conn:
        conn.execute(
            "UPDATE submissions SET state = 'issued', reference = ?, finished = ? WHERE token = ?",
            (reference, now_utc(), token),
        )


def release(db: OfficeDB, token: str) -> None:
    """The claimed issue made nothing: the form may be sent again."""
    with db.write() as conn:
        conn.execute("DELETE FROM submissions WHERE token = ? AND state = 'issuing'", (token,))
