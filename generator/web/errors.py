"""Arabic error pages: 400 (a stale or missing form token), 403, 404, 405, 413, 500, and 507/503 for a full or
read-only disk or an office database that cannot be written, never a traceback.

An unexpected fault is logged with its traceback (``serve`` sends the log to ``OUT/logs/office-app.log``);
the clerk sees an Arabic page saying nothing was lost and what to do.
"""

from __future__ import annotations

import errno
import logging

from flask import Flask, current_app, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException, InternalServerError

from ..office.db import OfficeDBError, disk_full

log = logging.getLogger(__name__)

PAGES = {400: "400", 403: "403", 404: "404", 405: "405", 413: "413"}


def _with_url_adapter() -> None:
    """A request whose Host header Werkzeug cannot read has no URL adapter, and the error page's links
    (``url_for``) would fail on it, turning a 400 into a bare 500: its links are made for this computer."""
    ctx = request_ctx._get_current_object()  # type: ignore[attr-defined]
    if ctx.url_adapter is None:
        ctx.url_adapter = current_app.url_map.bind("127.0.0.1", script_name=request.script_root or "/")


def _http_error(err: HTTPException) -> tuple[str, int]:
    _with_url_adapter()
    code = err.code or 500
    page = PAGES.get(code, "500")
    if code >= 500:
        return _server_error(err)
    reason = err.description if code in (400, 413) else None
    return render_template("error.html", code=code, page=page, reason=reason), code


def _server_error(err: BaseException) -> tuple[str, int]:
    _with_url_adapter()
    original = getattr(err, "original_exception", None) or err
    if not isinstance(original, HTTPException):
        log.error("unexpected fault in the office app", exc_info=original)
    return render_template("error.html", code=500, page="500", reason=None), 500


def _disk_error(err: OSError) -> tuple[str, int]:
    """A full disk (or a read-only one) while writing a case: say so in Arabic, not «unexpected fault»; what was
    being written was built aside and is not half there."""
    if disk_full(err):
        _with_url_adapter()
        log.error("the disk is full: %s", err)
        return render_template("error.html", code=507, page="507", reason=None), 507
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        _with_url_adapter()
        log.error("the output folder cannot be written: %s", err)
        return render_template("error.html", code=503, page="503", reason=str(err.filename or "")), 503
    return _server_error(err)


def _office_db_error(err: OfficeDBError) -> tuple[str, int]:
    """The office database failed where no view expected it: its own Arabic explanation (full, read-only …)."""
    _with_url_adapter()
    log.error("office database: %s", err)
    code = 507 if err.cause == "full" else 503
    return render_template("error.html", code=code, page="db", reason=str(err).split("\n")[0]), code


def _busy(err: Exception) -> tuple[str, int, dict[str, str]]:
    """The render queue is full (a preview; an issue keeps its form and says so beside it)."""
    _with_url_adapter()
    return render_template("error.html", code=503, page="busy", reason=None), 503, {"Retry-After": "5"}


def init_app(app: Flask) -> None:
    from .issuing import OfficeBusy

    app.register_error_handler(OfficeBusy, _busy)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(OfficeDBError, _office_db_error)
    app.register_error_handler(OSError, _disk_error)
    app.register_error_handler(Exception, _server_error)
