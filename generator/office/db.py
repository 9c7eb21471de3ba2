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
import errno
import logging
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ..content.text import isolate_plain
from ..errors import OutputError

log = logging.getLogger(__name__)

__all__ = ["CAUSES", "DAMAGED_NAME", "DB_NAME", "KEPT_TABLES", "MIGRATIONS", "OfficeDB", "OfficeDBError", "disk_full"]

DB_NAME = "office.db"

RECOVER_COMMAND = "wathiqa register sync --recover"

DAMAGED_NAME = DB_NAME + ".damaged"
"""What a damaged database is renamed to; ``register sync --recover`` takes what it can still read from it."""

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
    # 5: scanned stacks: the files already read, and the pages waiting for a clerk (generator.scan.queue)
    """
    CREATE TABLE scan_files (
        sha256 TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        pages INTEGER NOT NULL,
        scanned TEXT NOT NULL,
        actor TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE scan_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        page INTEGER NOT NULL,
        reason TEXT NOT NULL,
        code TEXT NOT NULL DEFAULT '',
        image TEXT NOT NULL,
        thumbnail TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'filed', 'discarded')),
        created TEXT NOT NULL,
        resolved TEXT,
        actor TEXT NOT NULL DEFAULT '',
        filed_as TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX scan_queue_waiting ON scan_queue (state) WHERE state = 'waiting';
    """,
]
"""Schema versions in order; ``PRAGMA user_version`` records how many were applied. Append, never edit."""


class OfficeDBError(OutputError):
    """Raised when the office database cannot be opened or written; the message names the cause (a full disk, a
    read-only file or folder, a busy database, a disk error, or damage confirmed by SQLite's own check) and what to
    do. Nothing was written."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause
        """One of :data:`CAUSES`."""


CAUSES = ("full", "read_only", "busy", "disk_error", "cannot_open", "damaged", "unexpected")

_FREE_BYTES_FULL = 1 << 20
"""Less free space than this beside the database, after a disk I/O error, is a full disk."""


def disk_full(err: BaseException) -> bool:
    """Whether ``err`` (an OSError or a sqlite3 error) is a full disk or quota."""
    if isinstance(err, OSError):
        return err.errno in (errno.ENOSPC, errno.EDQUOT)
    return _primary(err) == sqlite3.SQLITE_FULL


def _primary(err: BaseException) -> int | None:
    code = getattr(err, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _read_only(path: Path) -> bool:
    """Whether the database file, or the folder that must hold its -wal and -shm, cannot be written."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK))


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


MSG_FULL = (
    "القرص ممتلئ: لم يبقَ في القرص الذي يحفظ مجلد المخرجات {folder} مكان لكتابة قاعدة بيانات المكتب، فلم يُكتب شيء "
    "ولم يضع شيء. أفرغ مساحة على هذا القرص (انقل النسخ الاحتياطية القديمة أو الملفات غير اللازمة إلى قرص آخر) ثم أعد "
    "المحاولة. لا تنقل قاعدة البيانات ولا تحذفها: هي سليمة"
)
MSG_READ_ONLY = (
    "لا يمكن الكتابة في قاعدة بيانات المكتب {path}: الملف أو مجلده للقراءة فقط (صلاحيات الملف، أو قرص أو مجلد مشترك "
    "مُتاح للقراءة فقط). لم يُكتب شيء. اطلب من مسؤول الجهاز منح حساب البرنامج صلاحية الكتابة فيهما، ثم أعد "
    "المحاولة. لا تنقل قاعدة البيانات ولا تحذفها: هي سليمة"
)
MSG_BUSY = (
    "قاعدة بيانات المكتب {path} مشغولة الآن بعملية أخرى لم تنتهِ؛ لم يُكتب شيء. أعد المحاولة بعد قليل"
)
MSG_DISK_ERROR = (
    "تعذرت القراءة أو الكتابة في القرص الذي يحفظ قاعدة بيانات المكتب {path} (خطأ في القرص أو انقطاع الاتصال بالمجلد "
    "المشترك). لم يُكتب شيء. تحقق من القرص أو الاتصال ثم أعد المحاولة؛ لا تنقل قاعدة البيانات ولا تحذفها"
)
MSG_CANNOT_OPEN = (
    "تعذر فتح قاعدة بيانات المكتب {path}: المجلد غير موجود أو لا يمكن إنشاء الملف فيه. تحقق من مجلد المخرجات "
    "وصلاحياته ثم أعد المحاولة"
)
MSG_DAMAGED = (
    "قاعدة بيانات المكتب {path} تالفة (وجد فحص سلامتها: {finding}). لم يُكتب شيء. أعد تسميتها إلى {damaged} ثم شغّل: "
    "{command}؛ تستمر الأرقام المرجعية بعد أعلى رقم في السجلات ومجلدات الحالات، وتعود إلى "
    "قائمة الانتظار الحالات التي لم تصل إلى سجلاتها، وتُنقل من الملف التالف الحسابات والمسودات وسجل العمليات "
    "ما أمكنت قراءتها"
)
MSG_UNEXPECTED = (
    "خطأ غير متوقع في قاعدة بيانات المكتب {path}، وقد وجد فحص سلامتها أنها سليمة؛ لم يُكتب شيء. أعد المحاولة، "
    "وإن تكرر الخطأ فأرسل نصه إلى مسؤول النظام. لا تنقل قاعدة البيانات ولا تحذفها"
)


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
            raise self.explain(err) from err
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._ready:
                # Both steps are skipped when already done: asking for WAL, or a write transaction, while a clerk's
                # issue holds the write lock fails at once ("database is locked") instead of waiting.
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                if conn.execute("PRAGMA user_version").fetchone()[0] != len(MIGRATIONS):
                    self._migrate(conn)
                self._ready = True
        except sqlite3.DatabaseError as err:
            conn.close()
            raise self.explain(err) from err
        return conn

    def explain(self, err: BaseException) -> OfficeDBError:
        """The error a failed operation on the database becomes: its real cause, in Arabic first, and what to do.
        «Damaged», with the advice to move the file aside, only once SQLite's own check has found damage: a full
        disk or a read-only file taken for damage would have the office rename a sound database."""
        primary = _primary(err)
        reason = getattr(err, "sqlite_errorname", None) or type(err).__name__
        english = f"{self.path}: {reason}: {err}"
        folder, shown = self.path.parent, isolate_plain(str(self.path))  # a path keeps its order in Arabic
        if disk_full(err) or (primary == sqlite3.SQLITE_IOERR and (_free_bytes(folder) or 0) < _FREE_BYTES_FULL):
            return self._error("full", MSG_FULL.format(folder=isolate_plain(str(folder))), english)
        if (
            primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM)
            or (isinstance(err, OSError) and err.errno in (errno.EROFS, errno.EACCES, errno.EPERM))
            or (primary == sqlite3.SQLITE_CANTOPEN and _read_only(self.path))  # its -wal cannot be made
        ):
            return self._error("read_only", MSG_READ_ONLY.format(path=shown), english)
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return self._error("busy", MSG_BUSY.format(path=shown), english)
        if primary == sqlite3.SQLITE_IOERR or isinstance(err, OSError):
            return self._error("disk_error", MSG_DISK_ERROR.format(path=shown), english)
        if primary == sqlite3.SQLITE_CANTOPEN:
            return self._error("cannot_open", MSG_CANNOT_OPEN.format(path=shown), english)
        finding = self.integrity_problem()
        if finding is None:
            return self._error("unexpected", MSG_UNEXPECTED.format(path=shown), english)
        damaged = self.path.with_name(DAMAGED_NAME)
        message = MSG_DAMAGED.format(
            path=shown, finding=finding, damaged=isolate_plain(damaged.name), command=isolate_plain(RECOVER_COMMAND)
        )
        return self._error("damaged", message, f"{english}; the office database is damaged")

    @staticmethod
    def _error(cause: str, arabic: str, english: str) -> OfficeDBError:
        return OfficeDBError(f"{arabic}\n{english}", cause)

    def integrity_problem(self) -> str | None:
        """SQLite's own check of the file (``PRAGMA quick_check``, read-only): what it found wrong, or None when
        the file is sound or could not be checked (then nothing can be said of damage)."""
        try:
            conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as err:
            return str(err) if _primary(err) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) else None
        try:
            rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as err:
            return str(err) if _primary(err) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) else None
        finally:
            conn.close()
        return None if rows == ["ok"] else "؛ ".join(rows[:3])

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
            raise self.explain(err) from err
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
                if conn.in_transaction:  # SQLite rolls back by itself after some errors (a full disk)
                    with contextlib.suppress(sqlite3.Error):  # the first error is the one to tell
                        conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as err:
            raise self.explain(err) from err
        finally:
            conn.close()

    def exists(self) -> bool:
        return self.path.is_file() and os.path.getsize(self.path) > 0

    def keep_from(self, damaged: Path) -> dict[str, int]:
        """Copy into this (new) database what can still be read of :data:`KEPT_TABLES` in the ``damaged`` file:
        the accounts, drafts and audit trail, which nothing on paper holds. Rows already here are kept as they are.
        Returns the rows copied per table; a table that cannot be read at all is skipped (logged)."""
        if not damaged.is_file():
            return {}
        found = _readable_rows(damaged)
        kept: dict[str, int] = {}
        with self.write() as conn:
            for table, (columns, rows) in found.items():
                # a row id of the old file may be taken here already (the app was used before the recovery): rows
                # get new ids, and a row already here with the same values is not copied twice
                wanted = [c for c in columns if c in _columns(conn, table) and c != "id"]
                if not wanted or not rows:
                    continue
                positions = [columns.index(c) for c in wanted]
                names, marks = ", ".join(wanted), ", ".join("?" * len(wanted))
                same = " AND ".join(f"{c} IS ?" for c in wanted)
                before = conn.total_changes
                for row in rows:
                    values = [row[i] for i in positions]
                    conn.execute(
                        f"INSERT OR IGNORE INTO {table} ({names}) SELECT {marks} "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {same})",
                        values + values,
                    )
                kept[table] = conn.total_changes - before
        return kept


KEPT_TABLES = ("accounts", "drafts", "audit")
"""What a recovery copies from a damaged database: what exists nowhere else (sequences and the journal are found
again from the registers and the folders; sessions and throttles are better forgotten)."""


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")]


def _readable_rows(damaged: Path) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    """Every row of :data:`KEPT_TABLES` that can be read from ``damaged``, table by table and row by row: a read
    stops at the first damaged page of a table, and what was read before it is kept. Read-only and immutable, so
    the damaged file (and any -wal beside it) is never changed."""
    out: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
    try:
        conn = sqlite3.connect(f"{damaged.as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as err:
        log.warning("%s cannot be opened to keep its accounts, drafts and audit trail: %s", damaged, err)
        return out
    try:
        for table in KEPT_TABLES:
            rows: list[tuple[object, ...]] = []
            try:
                columns = _columns(conn, table)
                cursor = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")
                for row in cursor:
                    rows.append(tuple(row))
            except sqlite3.DatabaseError as err:
                log.warning("%s: table %s read up to a damaged page (%d rows): %s", damaged, table, len(rows), err)
                if not rows:
                    continue
            out[table] = (columns, rows)
    finally:
        conn.close()
    return out
