"""Signing in and out, one's own password, the accounts (admin) and the audit trail (admin)."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...office.accounts import (
    ROLES,
    AccountError,
    add_account,
    change_password,
    find_account,
    list_accounts,
    remove_account,
    set_password,
    verify_password,
)
from ...office.audit import audit_entries, record_event
from .. import messages
from ..security import attempt_sign_in, current_user, role_required, same_site_path, sign_in, sign_out, signed_in
from ..state import office
from .common import audit as audit_action
from .common import safe_path

bp = Blueprint("accounts", __name__)

AUDIT_PAGE = 200


def _safe_next(target: str | None) -> str:
    return safe_path(target, url_for("home.index"))


def _login_page(name: str, problem: str | None, status: int) -> tuple[str, int]:
    nxt = request.form.get("next", "")
    page = render_template("login.html", next=nxt if same_site_path(nxt) else "", name=name, problem=problem)
    return page, status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user() is not None:
        return redirect(_safe_next(request.args.get("next")))
    if request.method == "GET":
        nxt = request.args.get("next", "")
        return render_template("login.html", next=nxt if same_site_path(nxt) else "", name="", problem=None)
    state = office()
    name = request.form.get("name", "").strip()[:40]
    password = request.form.get("password", "")
    client = request.remote_addr or ""
    wait = attempt_sign_in(name, client)
    if wait > 0:
        return _login_page(name, messages.LOGIN_WAIT.format(math.ceil(wait)), 429)
    account = verify_password(state.db, name, password) if name and password else None
    if account is None:
        record_event(state.db, name or "?", "login_failed", client)
        return _login_page(name, messages.LOGIN_WRONG, 401)
    signed_in(name, client)
    sign_in(account)
    record_event(state.db, account.name, "login", client)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response:
    user = current_user()
    if user is not None and not user.open_mode:
        record_event(office().db, user.name, "logout")
    sign_out()
    return redirect(url_for("accounts.login"))


def _password_page(target: str | None, problem: str | None = None, status: int = 200) -> tuple[str, int]:
    """The form to change one's own password (``target`` None) or to set another account's (admin)."""
    return render_template("account_password.html", target=target, problem=problem), status


@bp.route("/password", methods=["GET", "POST"])
def password() -> Any:
    """The signed-in user changes their own password: the current one is asked."""
    user = current_user()
    if user is None or user.open_mode:
        abort(404)
    if request.method == "GET":
        return _password_page(None)
    new = request.form.get("password", "")
    if new != request.form.get("password_again", ""):
        return _password_page(None, messages.PASSWORD_NOT_CHANGED.format(messages.PASSWORDS_DIFFER_SHORT), 422)
    try:
        change_password(office().db, user.name, request.form.get("old_password", ""), new)
    except AccountError as err:
        return _password_page(None, messages.PASSWORD_NOT_CHANGED.format(messages.ACCOUNT_PROBLEMS[err.kind]), 422)
    account = find_account(office().db, user.name)
    assert account is not None
    sign_in(account)  # this browser stays signed in, with a new session; every other one is signed out
    audit_action("password_change", user.name)
    flash(messages.PASSWORD_CHANGED, "ok")
    return redirect(url_for("home.index"))


@bp.get("/audit")
@role_required("admin")
def audit() -> str:
    before = request.args.get("before", type=int)
    entries = audit_entries(office().db, limit=AUDIT_PAGE, before=before)
    older = entries[-1].id if len(entries) == AUDIT_PAGE else None
    return render_template("audit.html", entries=entries, older=older)


@bp.get("/check")
@role_required("admin")
def check() -> tuple[str, int]:
    """The policy and forms as they are on disk now: valid, or every problem with its file:line:col.

    The running app keeps the project it was started with; after an edit, this page says whether a restart
    would load it.
    """
    from ... import load_project
    from ...errors import InputError

    project = office().project
    from ...config.placeholders import find_placeholders

    problems: list[str] = []
    placeholders: list[Any] = []
    summary = ""
    try:
        fresh = load_project(project.policy_path)
        summary = f"{len(fresh.documents)} / {len(fresh.registers)}"
        placeholders = find_placeholders(fresh)
    except InputError as err:
        problems = [str(p) for p in err.problems] or [str(err)]
    page = render_template(
        "check.html",
        policy_path=str(project.policy_path),
        problems=problems,
        summary=summary,
        placeholders=placeholders,
    )
    return page, 200


def _accounts_page(problem: str | None = None, status: int = 200) -> tuple[str, int]:
    page = render_template("accounts.html", accounts=list_accounts(office().db), roles=ROLES, problem=problem)
    return page, status


@bp.get("/accounts")
@role_required("admin")
def accounts() -> tuple[str, int]:
    return _accounts_page()


@bp.post("/accounts")
@role_required("admin")
def add() -> Any:
    """Add an account. With no account yet (this computer, open), the first one is an admin and its maker is
    signed in with it: from then on everyone signs in."""
    user = current_user()
    first = user is not None and user.open_mode
    name = request.form.get("name", "").strip()
    role = "admin" if first else request.form.get("role", "")
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        return _accounts_page(messages.PASSWORDS_DIFFER, 422)
    try:
        account = add_account(office().db, name, role, password, only_if_none=first)
    except AccountError as err:
        return _accounts_page(messages.ACCOUNT_NOT_ADDED.format(messages.ACCOUNT_PROBLEMS[err.kind]), 422)
    audit_action("account_add", name, role)
    if first:
        sign_in(account)
        flash(messages.FIRST_ADMIN_ADDED.format(name), "ok")
        return redirect(url_for("accounts.accounts"))
    flash(messages.ACCOUNT_ADDED.format(name), "ok")
    return redirect(url_for("accounts.accounts"))


def _existing(name: str) -> str:
    if find_account(office().db, name) is None:
        abort(404)
    return name


@bp.route("/accounts/<name>/remove", methods=["GET", "POST"])
@role_required("admin")
def remove(name: str) -> Any:
    """Removing an account asks first: a page naming it, with a box to tick (no script needed)."""
    user = current_user()
    if user is not None and user.name == name:
        return _accounts_page(messages.ACCOUNT_SELF, 422)
    name = _existing(name)
    if request.method == "GET":
        return render_template("account_remove.html", name=name, problem=None)
    if request.form.get("confirm") != "yes":
        return render_template("account_remove.html", name=name, problem=messages.REMOVE_NOT_CONFIRMED), 422
    try:
        remove_account(office().db, name)
    except AccountError:
        abort(404)
    audit_action("account_remove", name)
    flash(messages.ACCOUNT_REMOVED.format(name), "ok")
    return redirect(url_for("accounts.accounts"))


@bp.route("/accounts/<name>/password", methods=["GET", "POST"])
@role_required("admin")
def reset_password(name: str) -> Any:
    """An admin gives an account a new password (forgotten); every session of that account ends."""
    name = _existing(name)
    if request.method == "GET":
        return _password_page(name)
    new = request.form.get("password", "")
    if new != request.form.get("password_again", ""):
        return _password_page(name, messages.PASSWORD_NOT_CHANGED.format(messages.PASSWORDS_DIFFER_SHORT), 422)
    try:
        set_password(office().db, name, new)
    except AccountError as err:
        return _password_page(name, messages.PASSWORD_NOT_CHANGED.format(messages.ACCOUNT_PROBLEMS[err.kind]), 422)
    user = current_user()
    if user is not None and user.name == name:
        account = find_account(office().db, name)
        assert account is not None
        sign_in(account)
    audit_action("password_reset", name)
    flash(messages.PASSWORD_RESET.format(name), "ok")
    return redirect(url_for("accounts.accounts"))
