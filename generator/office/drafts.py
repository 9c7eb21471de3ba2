"""Drafts of the office app: a half-filled case kept as the clerk typed it, to resume later.

A draft keeps the raw form values (text as typed, lists of ticked options), not validated data: a draft is
exactly what is not ready yet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from .accounts import now_utc
from .db import OfficeDB

__all__ = ["Draft", "FormValues", "delete_draft", "get_draft", "list_drafts", "save_draft"]

FormValues = dict[str, str | list[str]]


@dataclass(frozen=True)
class Draft:
    id: int
    document: str
    title: str
    fields: FormValues
    author: str
    created: str
    updated: str


CORRECTION = "correct:"
"""The ``document`` of a draft that holds a correction of an issued case: ``correct:REFERENCE`` (never an issue
form's id, so it can only be resumed on that case's correction page)."""


def save_draft(
    db: OfficeDB, document: str, title: str, fields: Mapping[str, str | list[str]], author: str, draft_id: int | None
) -> int:
    """Create a draft, or replace the values of ``draft_id`` if it still exists; return its id."""
    payload = json.dumps(dict(fields), ensure_ascii=False, sort_keys=True)
    now = now_utc()
    with db.write() as conn:
        if draft_id is not None:
            cursor = conn.execute(
                "UPDATE drafts SET title = ?, fields = ?, author = ?, updated = ? WHERE id = ? AND document = ?",
                (title, payload, author, now, draft_id, document),
            )
            if cursor.rowcount:
                return draft_id
        cursor = conn.execute(
            "INSERT INTO drafts (document, title, fields, author, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
            (document, title, payload, author, now, now),
        )
        return int(cursor.lastrowid or 0)


def _draft(row: tuple[object, ...]) -> Draft:
    fields = json.loads(str(row[3]))
    return Draft(int(str(row[0])), str(row[1]), str(row[2]), fields, str(row[4]), str(row[5]), str(row[6]))


_COLUMNS = "id, document, title, fields, author, created, updated"


def list_drafts(db: OfficeDB) -> list[Draft]:
    with db.read() as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM drafts ORDER BY updated DESC, id DESC").fetchall()
    return [_draft(row) for row in rows]


def get_draft(db: OfficeDB, draft_id: int) -> Draft | None:
    with db.read() as conn:
        row = conn.execute(f"SELECT {_COLUMNS} FROM drafts WHERE id = ?", (draft_id,)).fetchone()
    return _draft(row) if row else None


def delete_draft(db: OfficeDB, draft_id: int) -> bool:
    with db.write() as conn:
        return conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,)).rowcount > 0
