"""Writing files so that a crash never leaves half a file or half a folder behind.

Files are written to a temporary name in the same folder and swapped in with ``os.replace`` (atomic on one
file system). A folder of outputs is built under a temporary name beside its final place and renamed into
place only when every file in it is complete: :func:`move_into_place` first fsyncs every file and folder of the
stage, then renames it, then fsyncs the parent that holds the new name, so that after a power cut the folder is
either absent or whole on disk (a rename alone can reach the disk before the files it names).

A batch folder is reserved (:func:`reserve_folder`) before it is filled; the reserving process holds a kernel
lock on it, which dies with the process, so a reservation left empty by a killed run is recognised and removed
by the next one (:func:`remove_dead_reservations`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError
from ..faults import fault_point
from ..registers.lock import pid_is_dead

try:  # POSIX: a reservation's owner is known alive by the lock it holds
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "atomic_write_bytes",
    "create_if_absent",
    "ensure_writable_dir",
    "exchange",
    "fsync_dir",
    "move_into_place",
    "release_folder",
    "remove_dead_reservations",
    "remove_dead_stages",
    "reserve_folder",
    "stage_dir",
    "staged_dir",
    "sync_tree",
]


def ensure_writable_dir(path: Path) -> Path:
    """Create ``path`` if needed; raise :class:`OutputError` with a plain message if it cannot be written."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as err:
        raise OutputError(f"{path}: exists and is not a folder; choose another --out") from err
    except OSError as err:
        raise OutputError(f"{path}: the output folder cannot be created ({err.strerror})") from err
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: the output folder cannot be written (permission denied)")
    return path


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file beside it; the old file stays until the swap."""
    ensure_writable_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
    return path


def create_if_absent(path: Path, data: bytes) -> bool:
    """Write ``path`` only if it does not exist, never over a file another process created meanwhile (a hard link
    of a finished temporary file: creation and completeness at once). True if this call created it."""
    ensure_writable_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(tmp)
    fsync_dir(path.parent)
    return True


def fsync_dir(path: Path) -> None:
    """Make the names in a folder (created, renamed, removed) durable; a no-op where folders cannot be opened."""
    if os.name == "nt":  # pragma: no cover - NTFS journals its metadata; a folder cannot be opened to fsync
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(folder: Path) -> None:
    """fsync every file under ``folder``, then its folders, the deepest first and ``folder`` last."""
    folders: list[str] = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        folders.append(root)
    for root in reversed(folders):
        fsync_dir(Path(root))


def move_into_place(stage: Path, final: Path) -> None:
    """Rename the finished ``stage`` to ``final`` durably: its files and folders are fsynced, then renamed, then
    the parent is fsynced. ``final`` may be an empty folder (a reserved batch): the rename replaces it."""
    sync_tree(stage)
    os.replace(stage, final)
    fsync_dir(final.parent)


@contextlib.contextmanager
def staged_dir(final: Path, *, replace: bool = True) -> Iterator[Path]:
    """Yield a temporary folder beside ``final``; on success it becomes ``final``, on failure it vanishes.

    With ``replace`` an existing ``final`` is swapped out only after the new folder is complete; without it an
    existing ``final`` is an error (a case folder is never overwritten). Two processes writing the same
    ``final`` (two builds at once) swap one after the other, under a kernel lock on the parent: the last one's
    folder stays, and neither fails.
    """
    ensure_writable_dir(final.parent)
    if final.exists() and not replace:
        raise OutputError(f"{final}: already exists; nothing was overwritten")
    remove_dead_stages(final.parent)
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=f".stage-{os.getpid()}", dir=final.parent))
    try:
        yield stage
        sync_tree(stage)
        with _folder_lock(final.parent):
            if final.exists():
                old = exchange(stage, final)  # the old folder where the stage was: never no folder at all
                fault_point("folders.swap")
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(stage, final)
            fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(new: Path, current: Path) -> Path:
    """Put the folder ``new`` where ``current`` is, in one step where the system allows it (Linux
    ``renameat2(RENAME_EXCHANGE)``: ``current`` is never missing, even to a kill); return where the old folder
    now is, to be removed (named as a stage of this process, so a kill before it is removed leaves it to
    :func:`remove_dead_stages`)."""
    libc_name = ctypes.util.find_library("c")
    renameat2 = getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None) if libc_name else None
    if renameat2 is not None:
        result = renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(current), _RENAME_EXCHANGE)
        if result == 0:
            return new
    # No atomic exchange here (another system, a file system without it): two renames, undone on failure.
    old = current.with_name(f".{current.name}.old.stage-{os.getpid()}")
    os.replace(current, old)
    try:
        os.replace(new, current)
    except BaseException:
        os.replace(old, current)
        raise
    return old


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive kernel lock on ``folder`` for a few renames; it dies with its process, so it never sticks."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


_RESERVED: dict[Path, int] = {}
"""Folders this process has reserved and not yet filled, and the descriptor holding each one's lock."""
_RESERVED_GUARD = threading.Lock()


def reserve_folder(parent: Path, stem: str) -> Path:
    """Create and return the first free ``parent/stem-N`` (N = 1, 2 …), locked for this process until it is
    filled (:func:`release_folder`, or the process's end). ``mkdir`` is atomic, so two processes reserving at
    once get two folders; reservations left empty by killed runs are removed first."""
    ensure_writable_dir(parent)
    remove_dead_reservations(parent)
    n = 1
    while True:
        folder = parent / f"{stem}-{n}"
        try:
            folder.mkdir()
        except FileExistsError:
            n += 1
            continue
        if _hold(folder):
            return folder
        # a cleaner took it for a dead run's between mkdir and lock, and removed it: reserve it again


def _hold(folder: Path) -> bool:
    """Lock the folder just made; False if it is no longer the folder made (removed by a cleaner meanwhile)."""
    if fcntl is None:  # pragma: no cover - Windows: reservations are never cleaned there
        return True
    try:
        fd = os.open(folder, os.O_RDONLY)
    except FileNotFoundError:
        return False
    fcntl.flock(fd, fcntl.LOCK_EX)  # a cleaner holds it for microseconds at most
    try:
        same = os.stat(folder).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        os.close(fd)
        return False
    with _RESERVED_GUARD:
        _RESERVED[folder] = fd
    return True


def release_folder(folder: Path) -> None:
    """Drop the lock of a reserved folder once its batch is moved in (or it was removed after a failure)."""
    with _RESERVED_GUARD:
        fd = _RESERVED.pop(folder, None)
    if fd is not None:
        os.close(fd)


def _release_settled() -> None:
    """Release reservations of this process whose folder is filled or gone (a caller that never released)."""
    with _RESERVED_GUARD:
        settled = [f for f, fd in _RESERVED.items() if not _still_empty_reservation(f, fd)]
    for folder in settled:
        release_folder(folder)


def _still_empty_reservation(folder: Path, fd: int) -> bool:
    try:
        return os.stat(folder).st_ino == os.fstat(fd).st_ino and not any(folder.iterdir())
    except OSError:
        return False


def remove_dead_reservations(parent: Path) -> None:
    """Remove reserved folders left empty by runs that were killed: an empty folder whose lock nobody holds."""
    if fcntl is None or not parent.is_dir():  # pragma: no cover - Windows
        return
    _release_settled()
    for entry in parent.iterdir():
        if entry.name.startswith(".") or not entry.is_dir() or entry.is_symlink():
            continue
        try:
            if any(entry.iterdir()):
                continue  # a finished batch
            fd = os.open(entry, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # its run is at work
        try:
            with contextlib.suppress(OSError):  # only while still empty: a batch moved in meanwhile stays
                entry.rmdir()
        finally:
            os.close(fd)


def remove_dead_stages(parent: Path) -> None:
    """Remove staging folders (``.NAME.stage-PID``) left by processes that were killed on this computer."""
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        name = entry.name
        if not (name.startswith(".") and ".stage-" in name and entry.is_dir()):
            continue
        pid = name.rpartition(".stage-")[2]
        if pid.isdigit() and pid_is_dead(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def stage_dir(parent: Path, name: str) -> Path:
    """A new staging folder ``.NAME.stage-PID`` in ``parent``, removed by :func:`remove_dead_stages` if this
    process is killed before it is moved into place."""
    ensure_writable_dir(parent)
    return Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=f".stage-{os.getpid()}", dir=parent))
