"""Security of the office app, in one place: who is signed in, roles, CSRF, response headers, login throttling.

* Every page needs a signed-in account, except the login page and the app's own files. On the loopback address
  with no account at all (one office computer), everyone is the office's admin: there is no one to sign in as.
  Then only requests addressed to this computer by name (``Host: 127.0.0.1``, ``localhost`` or ``[::1]`` with
  the served port) are answered, so a web page elsewhere cannot reach the app through a rebound DNS name.
* A session is a row of the office database (:mod:`generator.office.accounts`): the signed cookie carries its
  random id. Signing out, a password change and the removal of the account end it for good; it expires 12 h
  after sign-in whatever the browser keeps.
* Roles nest (clerk < archivist < admin); views above clerk say which role they need with :func:`role_required`.
* Every POST must carry the session's token in a form field named ``csrf_token``.
* Every response says: only this app's own files (Content-Security-Policy), no framing, no MIME sniffing; every
  response but the app's own files (CSS, fonts) is ``no-store``: a case's PDF or a register is never left in a
  shared computer's browser cache.
* Failed sign-ins slow the next attempt for that account from that address, doubling up to five minutes; an
  attempt is counted before its password is checked.
* ``next`` after sign-in, and any other address to go back to, is a path of this app, never another site.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for

from ..office.accounts import (
    Account,
    Throttle,
    account_count,
    begin_attempt,
    clear_attempts,
    end_session,
    has_role,
    open_session,
    session_account,
)
from . import is_loopback, messages
from .state import office

__all__ = [
    "SESSION_HOURS",
    "THROTTLE",
    "User",
    "attempt_sign_in",
    "csrf_token",
    "current_user",
    "init_app",
    "keep_forms_with",
    "role_required",
    "same_site_path",
    "sign_in",
    "sign_out",
    "signed_in",
]

SESSION_HOURS = 12
THROTTLE = Throttle()
"""Sign-in throttling: 3 free failures, then 1, 2, 4 ... s up to 300 s, forgotten after 15 quiet minutes."""
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
FORM_LIMIT = 128 * 1024
"""The largest form (a case, a draft) accepted: a whole application is a few kilobytes; only a batch sheet is
bigger (``UPLOAD_ENDPOINTS``, bounded by ``WebSettings.max_upload_bytes``)."""
UPLOAD_ENDPOINTS = frozenset({"batches.upload", "scans.upload", "scans.attach"})
LARGE_UPLOADS = {"scans.upload": "max_scan_bytes"}
"""Uploads allowed past ``max_upload_bytes``, by endpoint: the setting that bounds them instead (a scanned stack)."""

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PUBLIC_ENDPOINTS = frozenset({"accounts.login", "static", "documents.font"})
CACHEABLE_ENDPOINTS = frozenset({"static", "documents.font"})
"""The app's own files: the same for everyone, nothing personal in them."""

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class User:
    name: str
    role: str
    open_mode: bool = False
    """Signed in by no one: the loopback office computer with no accounts."""

    def can(self, role: str) -> bool:
        return has_role(self.role, role)


OPEN_USER = User(messages.OFFICE_USER, "admin", open_mode=True)


def current_user() -> User | None:
    return cast(User | None, g.get("user"))


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _now() -> float:
    """The clock of sessions and throttling (``app.extensions["wathiqa_clock"]``: tests move it)."""
    clock = cast(Callable[[], float], current_app.extensions["wathiqa_clock"])
    return clock()


def _open_mode() -> bool:
    state = office()
    return is_loopback(state.settings.host) and account_count(state.db) == 0


def host_is_this_computer(host: str, port: int | None) -> bool:
    """Whether a ``Host`` header names this computer's loopback address (with the served port, when known)."""
    host = host.lower()
    if host.startswith("["):
        name, bracket, rest = host.partition("]")
        name += bracket
        if rest and not rest.startswith(":"):
            return False
        given = rest[1:]
    else:
        name, _, given = host.partition(":")
    if name not in LOOPBACK_NAMES or (given and not given.isdigit()):
        return False
    if port is None or port == 0:
        return True
    return given == str(port) or (not given and port == 80)


def _too_long(length: int | None) -> bool:
    return length is not None and length > FORM_LIMIT


def _load_user() -> User | None:
    if _open_mode():
        return OPEN_USER
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    account = session_account(office().db, token, _now())
    if account is None:
        session.pop("sid", None)
        return None
    return User(account.name, account.role)


def _before_request() -> Response | None:
    if _open_mode() and not host_is_this_computer(request.headers.get("Host", ""), office().settings.port):
        abort(400, description="host")
    if request.method == "POST" and request.endpoint not in UPLOAD_ENDPOINTS and _too_long(request.content_length):
        abort(413, description="form")
    if request.endpoint in LARGE_UPLOADS:  # before the CSRF check below parses the body
        request.max_content_length = getattr(office().settings, LARGE_UPLOADS[request.endpoint])
    g.user = _load_user()
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf")
        if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
            g.kept_form = _keep_form()
            if g.kept_form and g.user is None:  # signed out meanwhile: sign in, then the form as it was sent
                return cast(Response, redirect(url_for("accounts.login", next=g.kept_form)))
            abort(400, description="csrf")
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if g.user is None:
        kept = _keep_form() if request.method == "POST" else None
        return cast(Response, redirect(url_for("accounts.login", next=kept or request.full_path.rstrip("?"))))
    return None


FormKeeper = Callable[[], str | None]
"""Keeps a refused form's fields (a draft) and returns the app's path that shows them again, or None."""


def keep_forms_with(app: Flask, keeper: FormKeeper) -> None:
    """What typed data a POST refused for its session (expired, signed out, a stale token) is kept by."""
    app.extensions["wathiqa_form_keeper"] = keeper


def _keep_form() -> str | None:
    """A refused POST's fields, kept if they come from this app's own page (never from another site's)."""
    keeper = current_app.extensions.get("wathiqa_form_keeper")
    origin = request.headers.get("Origin")
    if keeper is None or origin is None or origin.rstrip("/") != request.host_url.rstrip("/"):
        return None
    kept = keeper()
    return kept if same_site_path(kept) else None


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.headers.pop("ETag", None)
        response.headers.pop("Last-Modified", None)
    return response


def same_site_path(target: object) -> bool:
    """Whether ``target`` is a path of this app (where to go after sign-in), never another site.

    A browser ignores tabs and line breaks in an address and reads ``\\`` as ``/``, so ``/\t/evil.example``
    and ``/\\evil.example`` lead away like ``//evil.example``: any control character or backslash is refused,
    and what is left must have neither scheme nor host.
    """
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//") or len(target) > 2000:
        return False
    if "\\" in target or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and parts.path.startswith("/") and not parts.path.startswith("//")


def sign_in(account: Account) -> None:
    """Start a new session for ``account`` (a new id: one set before sign-in is never kept)."""
    token = open_session(office().db, account.name, _now(), SESSION_HOURS * 3600.0)
    session.clear()
    session.permanent = True
    session["sid"] = token
    csrf_token()


def sign_out() -> None:
    token = session.get("sid")
    if isinstance(token, str):
        end_session(office().db, token)
    session.clear()


def attempt_sign_in(name: str, client: str) -> float:
    """Count an attempt to sign in as ``name`` from ``client``: 0 to go on and check the password, or the
    seconds to wait."""
    return begin_attempt(office().db, name.casefold(), client, _now(), THROTTLE)


def signed_in(name: str, client: str) -> None:
    clear_attempts(office().db, name.casefold(), client)


def role_required(role: str) -> Callable[[F], F]:
    """Refuse the view (403, in Arabic) to accounts below ``role``."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None or not user.can(role):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def init_app(app: Flask) -> None:
    app.extensions.setdefault("wathiqa_clock", time.time)
    app.config["MAX_FORM_MEMORY_SIZE"] = FORM_LIMIT  # a form sent without its length is bounded too
    app.before_request(_before_request)
    app.after_request(_headers)
    app.jinja_env.globals.update(csrf_token=csrf_token, current_user=current_user)
