"""Security of the office app, in one place: who is signed in, roles, CSRF, response headers, login throttling.

* Every page needs a signed-in account, except the login page and the app's own files. On the loopback address
  with no account at all (one office computer), everyone is the office's admin: there is no one to sign in as.
* Roles nest (clerk < archivist < admin); views above clerk say which role they need with :func:`role_required`.
* Every POST must carry the session's token in a form field named ``csrf_token``.
* Every response says: only this app's own files (Content-Security-Policy), no framing, no MIME sniffing.
* Failed logins slow the next attempt for that name and that address, doubling up to five minutes.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Flask, Response, abort, g, redirect, request, session, url_for

from ..office.accounts import account_count, find_account, has_role
from . import is_loopback, messages
from .state import office

__all__ = ["LoginThrottle", "User", "csrf_token", "current_user", "init_app", "role_required"]

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PUBLIC_ENDPOINTS = frozenset({"accounts.login", "static", "documents.font"})

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


def _load_user() -> User | None:
    state = office()
    if account_count(state.db) == 0 and is_loopback(state.settings.host):
        return OPEN_USER
    name = session.get("user")
    if not isinstance(name, str):
        return None
    account = find_account(state.db, name)
    if account is None or session.get("role") != account.role:
        session.pop("user", None)
        return None
    return User(account.name, account.role)


def _before_request() -> Response | None:
    g.user = _load_user()
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf")
        if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
            abort(400, description="csrf")
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if g.user is None:
        return cast(Response, redirect(url_for("accounts.login", next=request.full_path.rstrip("?"))))
    return None


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


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


class LoginThrottle:
    """Failed logins per account name and per address; the next attempt waits 1, 2, 4 ... s (at most 300 s)."""

    FREE_FAILURES = 3
    MAX_WAIT = 300.0
    FORGET_AFTER = 900.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}

    def wait_for(self, *keys: str) -> float:
        """Seconds before another attempt is allowed for any of ``keys`` (0: now)."""
        now = self._clock()
        longest = 0.0
        with self._lock:
            for key in keys:
                count, last = self._failures.get(key, (0, 0.0))
                if count and now - last > self.FORGET_AFTER:
                    del self._failures[key]
                    continue
                if count >= self.FREE_FAILURES:
                    delay = min(2.0 ** (count - self.FREE_FAILURES), self.MAX_WAIT)
                    longest = max(longest, last + delay - now)
        return max(longest, 0.0)

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                count, _ = self._failures.get(key, (0, 0.0))
                self._failures[key] = (count + 1, now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def init_app(app: Flask) -> None:
    app.extensions["wathiqa_throttle"] = LoginThrottle()
    app.before_request(_before_request)
    app.after_request(_headers)
    app.jinja_env.globals.update(csrf_token=csrf_token, current_user=current_user)
