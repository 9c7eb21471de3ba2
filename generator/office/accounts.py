"""Accounts of the office app: a name, a role and a password hash (Werkzeug's scrypt), in the office database.

Roles nest: a clerk issues cases, keeps drafts, merges batches and prints the kit; an archivist can also decide
requests, read the registers and sync them; an admin can also read the audit trail and check the policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import UsageError
from .db import OfficeDB

__all__ = [
    "MIN_PASSWORD",
    "ROLES",
    "Account",
    "AccountError",
    "account_count",
    "add_account",
    "find_account",
    "has_role",
    "list_accounts",
    "remove_account",
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
        """name, role, password, exists or unknown: what the office app says in Arabic."""


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


def add_account(db: OfficeDB, name: str, role: str, password: str) -> Account:
    """Create an account; the password is kept only as its scrypt hash."""
    if not _NAME.match(name):
        raise AccountError(f"account name {name!r}: use 1-40 letters, digits, '.', '_' or '-'", "name")
    if role not in ROLES:
        raise AccountError(f"role {role!r}: expected one of {', '.join(ROLES)}", "role")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters", "password")
    account = Account(name, role, now_utc())
    password_hash = _hash(password)
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"an account named {name!r} already exists", "exists")
        conn.execute(
            "INSERT INTO accounts (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
            (account.name, account.role, password_hash, account.created),
        )
    return account


def remove_account(db: OfficeDB, name: str) -> None:
    with db.write() as conn:
        if conn.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount == 0:
            raise AccountError(f"no account named {name!r}", "unknown")


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
