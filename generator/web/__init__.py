"""The office app: clerks and archivists work in Arabic web pages instead of YAML files and a terminal.

``create_app(project, settings)`` builds the Flask application; there is no module-level app, so tests build one
per test with a temporary output folder. Each area of the office is one blueprint under :mod:`.views`, a thin
layer that parses the request, calls the library API and renders a template. Security (sessions, CSRF, roles,
the Content-Security-Policy, login throttling) lives in :mod:`.security`; ``wathiqa serve`` runs the app with
waitress (:mod:`.serve`).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from ..config.project import Project
from ..errors import UsageError
from ..office.db import OfficeDB
from .state import Office

__all__ = ["SECRET_NAME", "WebSettings", "create_app", "is_loopback"]

log = logging.getLogger(__name__)

SECRET_NAME = "office-app.secret"
"""The session-signing key, generated on first start beside the office database, readable by its owner only."""


@dataclass(frozen=True)
class WebSettings:
    """How one office app runs."""

    out_dir: Path
    """The output folder: registers, cases, batches and the office database."""
    host: str = "127.0.0.1"
    """The address the server binds; any other than loopback needs accounts."""
    port: int | None = None
    """The port it serves (None: not known, any port of a loopback name is accepted)."""
    max_upload_bytes: int = 8 * 1024 * 1024
    max_scan_bytes: int = 512 * 1024 * 1024
    """A scanned stack is big (a 500-page stack at 200 dpi is ~150 MB); it is spooled to disk, never held whole."""
    """Largest batch sheet accepted (bigger gets the Arabic 413 page)."""
    issue_workers: int = 0
    """Processes that render issued cases (0: render in the request's own thread)."""
    render_queue: int = 0
    """Issue and preview requests in progress at once, rendering or waiting (0: no bound); one more is told
    that the office is busy, so that the server's other threads keep serving pages."""
    secret_key: bytes | None = None
    """Session key; None reads (or creates) the key file beside the office database."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Further Flask configuration (tests)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret_key(out_dir: Path) -> bytes:
    """The key in ``OUT/office-app.secret``, created with mode 0600 on first start."""
    path = out_dir / SECRET_NAME
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)  # a key file copied in with a wider mode is narrowed
        key = path.read_bytes()
        if len(key) < 32:
            raise UsageError(f"{path}: the session key is damaged; delete the file and start again") from None
        return key
    key = secrets.token_bytes(48)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def create_app(project: Project, settings: WebSettings) -> Flask:
    """The office app for one project and output folder."""
    from . import display, errors, security
    from .issuing import Issuer
    from .jobs import Jobs
    from .views import ALL_BLUEPRINTS

    out_dir = Path(settings.out_dir).resolve()
    db = OfficeDB(out_dir)
    if not is_loopback(settings.host):
        from ..office.accounts import account_count

        if account_count(db) == 0:
            raise UsageError(
                f"refusing to serve on {settings.host} without accounts: anyone on the network could issue cases. "
                "Add one first: wathiqa user add NAME --role admin"
            )
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or secret_key(out_dir),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_NAME="wathiqa_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        TEMPLATES_AUTO_RELOAD=False,
        JSON_AS_ASCII=False,
    )
    app.config.update(settings.extra)
    app.extensions["wathiqa"] = Office(
        project, settings, out_dir, db, Jobs(), Issuer(project, out_dir, settings.issue_workers, settings.render_queue)
    )
    app.jinja_env.autoescape = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        association=project.policy.association,
        has_page=lambda endpoint: endpoint in app.view_functions,
        max_upload_mb=round(settings.max_upload_bytes / 1024 / 1024, 1),
        max_scan_mb=round(settings.max_scan_bytes / 1024 / 1024),
    )
    display.init_app(app, project)
    security.init_app(app)
    errors.init_app(app)
    for blueprint in ALL_BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
