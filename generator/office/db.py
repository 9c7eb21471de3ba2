"""The office database: one SQLite file beside the registers (``OUT/office.db``), in WAL mode.

It holds what must never go backwards or be lost when an archivist edits a workbook:

* ``sequences``: for each numbering scheme and prefix (``REQ-1448-``), the highest number ever given. It only
  grows. On first use of a prefix it starts from the highest number found in the registers and the case
  folders, so a new or recovered database never gives a number twice.
* ``journal``: register changes waiting to be applied (a row to append, cells to set), keyed by
  ``(register, key)`` so that applying one twice changes nothing twice. See :mod:`generator.office.journal`.
* the office app's accounts, drafts, audit trail and submitted forms (their own modules add their tables
  through :data:`MIGRATIONS`).

The Excel registers stay the archive: the database never keeps a second copy of their rows beyond the changes
still waiting. Connections are short-lived (one per operation), so the database is safe to use from several
processes and from the threads of the office app at once.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError

__all__ = ["DB_NAME", "MIGRATIONS", "OfficeDB", "OfficeDBError"]

DB_NAME = "office.db"

BUSY_TIMEOUT_MS = 60_000
"""How long a writer waits for another one; writes last milliseconds, so this only matters under a pile-up."""

MIGRATIONS: list[str] = [
    # 1: reference sequences and the journal of pending register changes
    """
    CREATE TABLE sequences (
        scheme TEXT NOT NULL,
        prefix TEXT NOT NULL,
        last INTEGER NOT NULL CHECK (last >= 0),
        PRIMARY KEY (scheme, prefix)
    );
    CREATE TABLE journal (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        register TEXT NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('append', 'update')),
        key TEXT NOT NULL,
        target TEXT NOT NULL,
        cells TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('preparing', 'ready', 'applied', 'abandoned')),
        waits_for TEXT,
        source TEXT NOT NULL DEFAULT '',
        owner TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        applied TEXT,
        last_error TEXT,
        UNIQUE (register, op, key)
    );
    CREATE INDEX journal_open ON journal (state) WHERE state IN ('preparing', 'ready');
    """,
    # 2: the office app's accounts, drafts and audit trail (generator.office.accounts, drafts, audit)
    """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('clerk', 'archivist', 'admin')),
        password_hash TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        document TEXT NOT NULL,
        title TEXT NOT NULL,
        fields TEXT NOT NULL,
        author TEXT NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        details TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_at ON audit (at);
    """,
    # 3: the office app's sessions (revoked on sign-out, password change, removal) and sign-in attempts
    # counted per (account, client address) (generator.office.accounts)
    """
    CREATE TABLE sessions (
        digest TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        created REAL NOT NULL,
        expires REAL NOT NULL
    );
    CREATE INDEX sessions_account ON sessions (account);
    CREATE TABLE login_attempts (
        account TEXT NOT NULL,
        client TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last REAL NOT NULL,
        PRIMARY KEY (account, client)
    );
    """,
    # 4: one submitted form, one case: the form's token and the draft it came from, with the case they made
    #    (generator.office.submissions)
    """
    CREATE TABLE submissions (
        token TEXT PRIMARY KEY,
        document TEXT NOT NULL,
        draft INTEGER UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('issuing', 'issued')),
        reference TEXT,
        actor TEXT NOT NULL,
        created TEXT NOT NULL,
        finished TEXT
    );
    """,
]
"""Schema versions in order; ``PRAGMA user_version`` records how many were applied. Append, never edit."""


class OfficeDBError(OutputError):
    """Raised when the office database cannot be opened or is damaged; the message says how to recover."""


def _owner_only(path: Path) -> None:
    """The database holds password hashes, sessions and applicants' data: readable by its owner only. Created
    with mode 0600 (SQLite gives its -wal and -shm files the database's mode); an older one is narrowed."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
    except OSError:
        pass  # a read-only copy or folder (an auditor's): connecting says what is wrong, if anything


class OfficeDB:
    """The office database of one output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / DB_NAME
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self._ready:
                _owner_only(self.path)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (sqlite3.Error, OSError) as err:
            raise OfficeDBError(f"{self.path}: the office database cannot be opened ({err})") from err
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._ready:
                conn.execute("PRAGMA journal_mode = WAL")
                self._migrate(conn)
                self._ready = True
        except sqlite3.DatabaseError as err:
            conn.close()
            raise self.damaged(err) from err
        return conn

    def damaged(self, err: BaseException) -> OfficeDBError:
        return OfficeDBError(
            f"{self.path}: the office database is damaged ({err}). Nothing was written. Move it aside "
            f"(rename it to {DB_NAME}.damaged), then run `wathiqa register sync --recover`: reference numbers "
            "continue from the registers and the case folders, and cases not yet in their register are queued again."
        )

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading (each statement sees a consistent snapshot)."""
        conn = self._connect()
        try:
            yield conn
        except sqlite3.DatabaseError as err:
            if isinstance(err, sqlite3.OperationalError) and "locked" in str(err):
                raise
            raise self.damaged(err) from err
        finally:
            conn.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled back on error."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as err:
            if isinstance(err, sqlite3.OperationalError) and "locked" in str(err):
                raise OfficeDBError(f"{self.path}: the office database is busy; try again ({err})") from err
            raise self.damaged(err) from err
        finally:
            conn.close()

    def exists(self) -> bool:
        return self.path.is_file() and os.path.getsize(self.path) > 0
