"""Small helpers the views share: who acts, the audit trail, files found in a folder's own listing."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from flask import abort, send_file
from werkzeug.wrappers import Response

from ...office.audit import record_event
from ..security import current_user, same_site_path
from ..state import office

log = logging.getLogger(__name__)

MIMETYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
    ".ttf": "font/ttf",
    ".css": "text/css",
}
INLINE = frozenset({".pdf", ".ttf", ".css"})


def actor() -> str:
    user = current_user()
    return user.name if user else "?"


def audit(action: str, target: str = "", details: str = "") -> None:
    """Record an action; a failure to record is logged, it does not undo what was done."""
    try:
        record_event(office().db, actor(), action, target, details)
    except Exception:
        log.exception("could not record %s %s in the audit trail", action, target)


def entry_of(folder: Path, name: str, *, want_dir: bool = False) -> Path:
    """The entry called ``name`` in ``folder``'s own listing (never a path built from the request), or 404.

    Symbolic links are refused, so nothing outside the output folder can be reached through one.
    """
    try:
        listing = os.listdir(folder)
    except OSError:
        abort(404)
    if name not in listing:
        abort(404)
    path = folder / name
    mode = os.lstat(path).st_mode
    if stat.S_ISLNK(mode) or not (stat.S_ISDIR(mode) if want_dir else stat.S_ISREG(mode)):
        abort(404)
    return path


def send_entry(folder: Path, name: str, *, allowed: frozenset[str] = frozenset(MIMETYPES)) -> Response:
    path = entry_of(folder, name)
    suffix = path.suffix.lower()
    if suffix not in allowed:
        abort(404)
    return send_file(
        path,
        mimetype=MIMETYPES[suffix],
        as_attachment=suffix not in INLINE,
        download_name=path.name,
        max_age=0,
    )


def link_for(path: Path) -> str | None:
    """The app's address of a file the library wrote under the output folder (a case's or a batch's), if any."""
    from flask import url_for

    out_dir = office().out_dir
    try:
        parts = Path(path).resolve().relative_to(out_dir).parts
    except ValueError:
        return None
    if len(parts) == 3 and parts[0] == "cases":
        return url_for("cases.file", reference=parts[1], name=parts[2])
    if len(parts) == 3 and parts[0] == "batches":
        return url_for("batches.file", batch=parts[1], name=parts[2])
    if len(parts) == 4 and parts[0] == "batches" and parts[2] == "docx":
        return url_for("batches.docx", batch=parts[1], name=parts[3])
    return None


def safe_path(target: str | None, default: str) -> str:
    """A path of this app to go back to, never another site (``//host``, ``http://...``, ``/\t/host``)."""
    return target if target is not None and same_site_path(target) else default
