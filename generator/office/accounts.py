"""Accounts of the office app: a name, a role and a password hash (Werkzeug's scrypt), in the office database.

Roles nest: a clerk issues cases, keeps drafts, merges batches and prints the kit; an archivist can also decide
requests, read the registers and sync them; an admin can also read the audit trail and check the policy.

Sessions live here too, not only in the browser's cookie: the cookie carries a random session id whose digest is
a row of ``sessions`` with a fixed expiry. Signing out deletes the row; a password change or reset and the
removal of the account delete every row of that account, so a copied cookie stops working and a name removed
and added again starts with no session. Failed sign-ins are counted per (account, client address) in
``login_attempts``, before the password is checked, in one write transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import UsageError
from .db import OfficeDB

__all__ = [
    "MIN_PASSWORD",
    "ROLES",
    "Account",
    "AccountError",
    "Throttle",
    "account_count",
    "add_account",
    "begin_attempt",
    "change_password",
    "clear_attempts",
    "end_session",
    "end_sessions",
    "find_account",
    "has_role",
    "list_accounts",
    "open_session",
    "remove_account",
    "session_account",
    "set_password",
    "verify_password",
]

ROLES = ("clerk", "archivist", "admin")
"""From the least to the most allowed; each role may do what the roles before it may."""

MIN_PASSWORD = 8
_NAME = re.compile(r"^[\w.-]{1,40}$")
_HASH_METHOD = "scrypt"
_DUMMY_HASH: str | None = None


class AccountError(UsageError):
    """Raised when an account cannot be added or removed (bad name, role or password; name taken or unknown)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind
        """name, role, password, exists, unknown, old_password or first_taken: what the office app says in Arabic."""


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    created: str


def has_role(role: str, needed: str) -> bool:
    """Whether an account with ``role`` may do what ``needed`` may."""
    return ROLES.index(role) >= ROLES.index(needed)


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _hash(password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method=_HASH_METHOD)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters", "password")


def add_account(db: OfficeDB, name: str, role: str, password: str, *, only_if_none: bool = False) -> Account:
    """Create an account; the password is kept only as its scrypt hash.

    ``only_if_none``: create it only while there is no account at all (the office app's first account, an
    admin); if another request made one first, :class:`AccountError` ``first_taken``.
    """
    if not _NAME.match(name):
        raise AccountError(f"account name {name!r}: use 1-40 letters, digits, '.', '_' or '-'", "name")
    if role not in ROLES:
        raise AccountError(f"role {role!r}: expected one of {', '.join(ROLES)}", "role")
    _check_password(password)
    account = Account(name, role, now_utc())
    password_hash = _hash(password)
    with db.write() as conn:
        if only_if_none and conn.execute("SELECT count(*) FROM accounts").fetchone()[0]:
            raise AccountError("an account was made meanwhile; sign in with it", "first_taken")
        if conn.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"an account named {name!r} already exists", "exists")
        conn.execute("DELETE FROM sessions WHERE account = ?", (name,))
        conn.execute(
            "INSERT INTO accounts (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
            (account.name, account.role, password_hash, account.created),
        )
    return account


def remove_account(db: OfficeDB, name: str) -> None:
    """Delete the account and end every session of it."""
    with db.write() as conn:
        if conn.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount == 0:
            raise AccountError(f"no account named {name!r}", "unknown")
        conn.execute("DELETE FROM sessions WHERE account = ?", (name,))


def set_password(db: OfficeDB, name: str, password: str) -> None:
    """Give the account a new password (an admin's reset) and end every session of it."""
    _check_password(password)
    password_hash = _hash(password)
    with db.write() as conn:
        if conn.execute("UPDATE accounts SET password_hash = ? WHERE name = ?", (password_hash, name)).rowcount == 0:
            raise AccountError(f"no account named {name!r}", "unknown")
        conn.execute("DELETE FROM sessions WHERE account = ?", (name,))


def change_password(db: OfficeDB, name: str, old: str, new: str) -> None:
    """The account's owner changes their password: the old one must be right. Every session is ended."""
    _check_password(new)
    if verify_password(db, name, old) is None:
        raise AccountError("the current password is wrong", "old_password")
    set_password(db, name, new)


def list_accounts(db: OfficeDB) -> list[Account]:
    with db.read() as conn:
        rows = conn.execute("SELECT name, role, created FROM accounts ORDER BY name").fetchall()
    return [Account(*row) for row in rows]


def account_count(db: OfficeDB) -> int:
    with db.read() as conn:
        return int(conn.execute("SELECT count(*) FROM accounts").fetchone()[0])


def find_account(db: OfficeDB, name: str) -> Account | None:
    with db.read() as conn:
        row = conn.execute("SELECT name, role, created FROM accounts WHERE name = ?", (name,)).fetchone()
    return Account(*row) if row else None


def verify_password(db: OfficeDB, name: str, password: str) -> Account | None:
    """The account if the password is right. An unknown name costs the same hashing time as a wrong password."""
    from werkzeug.security import check_password_hash

    global _DUMMY_HASH
    with db.read() as conn:
        row = conn.execute("SELECT name, role, created, password_hash FROM accounts WHERE name = ?", (name,)).fetchone()
    if row is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _hash("not a password of anyone")
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(row[3], password):
        return None
    return Account(row[0], row[1], row[2])


# ------------------------------------------------------------------------------------------------- sessions


def _digest(token: str) -> str:
    """What the database keeps of a session id: reading the database gives no cookie that works."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: OfficeDB, name: str, now: float, lifetime: float) -> str:
    """A new session id for ``name``, valid until ``now + lifetime`` whatever the browser does with its cookie."""
    token = secrets.token_urlsafe(32)
    with db.write() as conn:
        conn.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
        conn.execute(
            "INSERT INTO sessions (digest, account, created, expires) VALUES (?, ?, ?, ?)",
            (_digest(token), name, now, now + lifetime),
        )
    return token


def session_account(db: OfficeDB, token: str, now: float) -> Account | None:
    """The account of a live session, or None (signed out, expired, password changed, account removed)."""
    with db.read() as conn:
        row = conn.execute(
            "SELECT a.name, a.role, a.created FROM sessions s JOIN accounts a ON a.name = s.account "
            "WHERE s.digest = ? AND s.expires > ?",
            (_digest(token), now),
        ).fetchone()
    return Account(*row) if row else None


def end_session(db: OfficeDB, token: str) -> None:
    with db.write() as conn:
        conn.execute("DELETE FROM sessions WHERE digest = ?", (_digest(token),))


def end_sessions(db: OfficeDB, name: str) -> int:
    """End every session of an account; the number ended."""
    with db.write() as conn:
        return int(conn.execute("DELETE FROM sessions WHERE account = ?", (name,)).rowcount)


# ------------------------------------------------------------------------------------------------- sign-in


@dataclass(frozen=True)
class Throttle:
    """How failed sign-ins slow the next ones: a few free, then 1, 2, 4 ... s, forgotten after a quiet while."""

    free: int = 3
    max_wait: float = 300.0
    forget_after: float = 900.0

    def wait(self, failures: int, last: float, now: float) -> float:
        if failures < self.free:
            return 0.0
        delay = min(2.0 ** (failures - self.free), self.max_wait)
        return max(last + delay - now, 0.0)


def begin_attempt(db: OfficeDB, account: str, client: str, now: float, throttle: Throttle = Throttle()) -> float:
    """Count a sign-in attempt for (account, client) before its password is checked; 0 means check it, else
    the seconds to wait (the attempt is refused and not counted).

    Counting comes first and in one write transaction, so that many attempts at once are all counted: none can
    be checked while the count that should have stopped it is still being written.
    """
    with db.write() as conn:
        row = conn.execute(
            "SELECT failures, last FROM login_attempts WHERE account = ? AND client = ?", (account, client)
        ).fetchone()
        failures, last = (int(row[0]), float(row[1])) if row else (0, 0.0)
        if failures and now - last > throttle.forget_after:
            failures = 0
        wait = throttle.wait(failures, last, now)
        if wait > 0:
            return wait
        conn.execute(
            "INSERT INTO login_attempts (account, client, failures, last) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account, client) DO UPDATE SET failures = excluded.failures, last = excluded.last",
            (account, client, failures + 1, now),
        )
        conn.execute("DELETE FROM login_attempts WHERE last < ?", (now - throttle.forget_after,))
    return 0.0


def clear_attempts(db: OfficeDB, account: str, client: str) -> None:
    """A right password from this client: its count starts again."""
    with db.write() as conn:
        conn.execute("DELETE FROM login_attempts WHERE account = ? AND client = ?", (account, client))
