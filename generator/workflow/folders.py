"""Writing files so that a crash never leaves half a file or half a folder behind.

Files are written to a temporary name in the same folder and swapped in with ``os.replace`` (atomic on one
file system). A folder of outputs is built under a temporary name beside its final place and renamed into
place only when every file in it is complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError
from ..registers.lock import pid_is_dead


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
    return path


@contextlib.contextmanager
def staged_dir(final: Path, *, replace: bool = True) -> Iterator[Path]:
    """Yield a temporary folder beside ``final``; on success it becomes ``final``, on failure it vanishes.

    With ``replace`` an existing ``final`` is swapped out only after the new folder is complete; without it an
    existing ``final`` is an error (a case folder is never overwritten).
    """
    ensure_writable_dir(final.parent)
    if final.exists() and not replace:
        raise OutputError(f"{final}: already exists; nothing was overwritten")
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".stage", dir=final.parent))
    try:
        yield stage
        if final.exists():
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            os.replace(final, old)
            os.replace(stage, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def reserve_folder(parent: Path, stem: str) -> Path:
    """Create and return the first free ``parent/stem-N`` (N = 1, 2 …); ``mkdir`` is atomic, so two processes
    reserving at once get two folders, and a reserved folder is never replaced."""
    ensure_writable_dir(parent)
    n = 1
    while True:
        folder = parent / f"{stem}-{n}"
        try:
            folder.mkdir()
        except FileExistsError:
            n += 1
            continue
        return folder


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

