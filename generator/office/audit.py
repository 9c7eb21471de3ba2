"""The audit trail of the office: who issued, previewed, decided, merged, synced, printed a register (in the app or
with `wathiqa register print`), logged in or failed to."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from .accounts import now_utc
from .db import OfficeDB

__all__ = ["ACTIONS", "AuditEntry", "audit_entries", "command_line_actor", "entries_about", "record_event"]

ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "issue",
    "preview",
    "draft_save",
    "draft_delete",
    "record_decision",
    "decide",
    "merge",
    "sync",
    "print_register",
    "scan",
    "scan_assign",
    "scan_discard",
    "attach",
    "account_add",
    "account_remove",
    "password_change",
    "password_reset",
    "case_correct",
    "case_void",
    "case_status",
)
"""Every action the trail knows; the app shows each with its Arabic name."""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    target: str
    details: str


def command_line_actor() -> str:
    """Who acts from the command line: the computer's login name, marked as such (accounts are the app's)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some service accounts and containers
        user = "?"
    return f"{user} (سطر الأوامر)"


def record_event(db: OfficeDB, actor: str, action: str, target: str = "", details: str = "") -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    with db.write() as conn:
        conn.execute(
            "INSERT INTO audit (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
            (now_utc(), actor, action, target, details[:2000]),
        )


def audit_entries(db: OfficeDB, *, limit: int = 200, before: int | None = None) -> list[AuditEntry]:
    """The newest entries first; ``before`` pages back from an entry id."""
    query = "SELECT id, at, actor, action, target, details FROM audit"
    params: tuple[int, ...] = ()
    if before is not None:
        query += " WHERE id < ?"
        params = (before,)
    with db.read() as conn:
        rows = conn.execute(query + " ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
    return [AuditEntry(*row) for row in rows]


def entries_about(db: OfficeDB, target: str) -> list[AuditEntry]:
    """Every entry about one thing (a case's reference), oldest first: the case page's story."""
    with db.read() as conn:
        rows = conn.execute(
            "SELECT id, at, actor, action, target, details FROM audit WHERE target = ? ORDER BY id", (target,)
        ).fetchall()
    return [AuditEntry(*row) for row in rows]
