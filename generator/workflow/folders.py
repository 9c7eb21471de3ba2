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
