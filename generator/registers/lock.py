"""One writer at a time, and never while the register is open in Excel or LibreOffice.

``NAME.xlsx.lock`` beside the register is created with ``O_CREAT | O_EXCL`` and holds who took it; a lock left
by a dead process on this host is taken over under a kernel lock so that two processes cannot both take it. A
register open in Excel (``~$NAME.xlsx``) or LibreOffice (``.~lock.NAME.xlsx#``) is refused, because the
application would later save its own copy over the new rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import RegisterLockedError, RegisterOpenInExcelError

try:  # POSIX only: serialises the take-over of a stale lock; the kernel drops it if the process dies.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["LockTimeout", "exclusive_lock", "refuse_if_open_elsewhere", "register_lock"]

log = logging.getLogger(__name__)

_STALE_PARTIAL_LOCK_SECONDS = 30.0
"""A lock file that stays unreadable this long was left by a process that died while writing it."""


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _this_holder() -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some service accounts and containers
        user = "unknown"
    return {
        "user": user,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "since": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "token": secrets.token_hex(8),
    }


def pid_is_dead(pid: int) -> bool:
    """True only when we can tell for sure; on Windows ``os.kill(pid, 0)`` would signal, so we never guess."""
    if os.name == "nt" or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child not yet reaped by its parent is a zombie: it holds nothing any more
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _lock_is_stale(raw: bytes, mtime: float) -> bool:
    try:
        holder = json.loads(raw)
        pid = int(holder["pid"])
        host = str(holder["host"])
    except (ValueError, KeyError, TypeError):
        # Being written right now, or its writer died half-way: only age tells the two apart.
        return time.time() - mtime > _STALE_PARTIAL_LOCK_SECONDS
    return host == socket.gethostname() and pid_is_dead(pid)


@contextlib.contextmanager
def _takeover_guard(folder: Path) -> Iterator[None]:
    """Serialise stale-lock take-overs in ``folder``: a kernel lock dies with its process, so never sticks."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class LockTimeout(Exception):
    """Raised by :func:`exclusive_lock` when another holder kept the lock past the timeout."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        super().__init__(f"{path}: still held by another process after {timeout:.0f} s")


_held = threading.local()
"""The kernel locks this thread holds (by path), so that a holder can call code that takes the same lock."""


@contextlib.contextmanager
def exclusive_lock(path: Path, timeout: float, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold a kernel lock (``flock``) on ``path``, an existing file or folder, for the block: one holder at a time,
    across processes and across the threads of one process (each opens its own descriptor). Nothing is written,
    and the kernel drops the lock when its holder dies, so a crash never leaves it stuck. Re-entrant within a
    thread. ``on_wait`` is called once if the lock is busy; :class:`LockTimeout` after ``timeout`` seconds."""
    key = str(path.resolve())
    held: set[str] = _held.__dict__.setdefault("paths", set())
    if key in held or fcntl is None:  # held already by this thread; or Windows, where the callers' own checks remain
        yield
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        deadline = time.monotonic() + timeout
        pause, told = 0.005, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait is not None and not told:
                    on_wait()
                    told = True
                if time.monotonic() >= deadline:
                    raise LockTimeout(path, timeout) from None
                time.sleep(pause)  # the holder's end is not an event we can wait on across processes
                pause = min(pause * 1.5, 0.1)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _take_over_stale(lock: Path, seen: bytes) -> None:
    """Remove the stale lock ``seen``, unless it has changed since: then it is someone's live lock."""
    with _takeover_guard(lock.parent):
        try:
            current = lock.read_bytes()
        except FileNotFoundError:
            return
        if current != seen:
            return
        aside = lock.with_name(f"{lock.name}.stale-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.rename(lock, aside)
        except FileNotFoundError:
            return
        if aside.read_bytes() != seen and fcntl is None:  # pragma: no cover - no guard on Windows
            with contextlib.suppress(OSError):
                os.rename(aside, lock)  # fails if a new lock exists, which is what we want
            return
        log.warning("took over the stale lock %s: %s", lock, seen.decode("utf-8", "replace"))
        aside.unlink(missing_ok=True)


def _read_lock(lock: Path) -> tuple[bytes, float] | None:
    try:
        with open(lock, "rb") as f:
            return f.read(), os.fstat(f.fileno()).st_mtime
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def register_lock(path: str | os.PathLike[str], timeout: float = 10.0) -> Iterator[dict[str, Any]]:
    """Hold ``NAME.xlsx.lock`` beside the register for the duration of the block; yields the holder record.

    Waits with short sleeps up to ``timeout`` seconds, then raises :class:`RegisterLockedError` naming the
    holder. A lock left by a dead process on this host is taken over. The lock is removed on exit, but only
    if it is still ours.
    """
    register = Path(path)
    lock = _lock_path(register)
    me = _this_holder()
    payload = json.dumps(me, ensure_ascii=False).encode("utf-8")
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            seen = _read_lock(lock)
            if seen is None:
                continue  # released between our two calls
            raw, mtime = seen
            if _lock_is_stale(raw, mtime):
                _take_over_stale(lock, raw)
                continue
            if time.monotonic() >= deadline:
                try:
                    holder = json.loads(raw)
                except ValueError:
                    holder = None
                raise RegisterLockedError(register, holder) from None
            time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
            pause = min(pause * 1.5, 0.1)
            continue
        try:
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        break
    log.debug("locked %s", register)
    try:
        yield me
    finally:
        seen = _read_lock(lock)
        if seen is not None and seen[0] == payload:
            lock.unlink(missing_ok=True)
        else:
            log.error("lock %s was no longer ours on release; left as found", lock)


STALE_OFFICE_LOCK_SECONDS = 24 * 3600.0
"""A LibreOffice lock file this old, with no LibreOffice running on this machine, looks left by a crash."""


def refuse_if_open_elsewhere(path: Path) -> None:
    """Excel writes ``~$NAME`` and LibreOffice ``.~lock.NAME#`` while a workbook is open in them."""
    excel = path.with_name("~$" + path.name)
    office = path.with_name(f".~lock.{path.name}#")
    for owner, application in ((excel, "Excel"), (office, "LibreOffice")):
        try:
            raw = owner.read_bytes()
            mtime = owner.stat().st_mtime
        except FileNotFoundError:
            continue
        except OSError:
            raw, mtime = b"", time.time()
        if application == "LibreOffice":
            who, machine = _office_owner(raw)
            stale = time.time() - mtime > STALE_OFFICE_LOCK_SECONDS and not _office_running(machine)
        else:
            who, machine, stale = _owner_name(raw), "", False
        since = dt.datetime.fromtimestamp(mtime).astimezone().isoformat(timespec="minutes")
        raise RegisterOpenInExcelError(path, owner, who, since, application, machine=machine, stale=stale)


def _office_owner(raw: bytes) -> tuple[str, str]:
    """Who holds a LibreOffice lock, and on which machine. The file is one CSV line: the full name (often
    empty), the user name, the machine, the time, the user's profile folder; a comma inside a field is
    escaped with a backslash."""
    text = raw.decode("utf-8", "replace").strip().rstrip(";")
    fields, current, escaped = [], "", False
    for char in text:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        elif char == ",":
            fields.append(current.strip())
            current = ""
        else:
            current += char
    fields.append(current.strip())
    fields += [""] * 3
    full_name, user, machine = fields[:3]
    return full_name or user, machine


def _office_running(machine: str) -> bool:
    """Whether LibreOffice may still hold its lock: True unless it is this machine's and no soffice runs here."""
    if machine and machine != socket.gethostname():
        return True  # another computer: only its owner can tell
    return soffice_running_here()


def soffice_running_here() -> bool:
    """Whether a LibreOffice process (``soffice``, ``soffice.bin``) runs on this machine."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux: cannot look, so assume it runs
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if name.startswith("soffice"):
            return True
    return False


def _owner_name(raw: bytes) -> str:
    """The user named in Excel's owner file: a length byte, the name in a 53-byte ANSI field, then the
    name again in UTF-16 after its 2-byte length."""
    if raw:
        n = raw[0]
        utf16_at = 54
        if len(raw) >= utf16_at + 2 + 2 * n:
            return raw[utf16_at + 2 : utf16_at + 2 + 2 * n].decode("utf-16-le", "replace").strip("\x00 ")
        return raw[1 : 1 + n].decode("latin-1").strip("\x00 ")
    return ""
