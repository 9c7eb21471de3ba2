"""Arabic error pages: 400 (a stale or missing form token), 403, 404, 405, 413 and 500, never a traceback.

An unexpected fault is logged with its traceback (``serve`` sends the log to ``OUT/logs/office-app.log``);
the clerk sees an Arabic page saying nothing was lost and what to do.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException, InternalServerError

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


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(Exception, _server_error)
