"""Signing in and out, and the audit trail (admin)."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ...office.accounts import ROLES, AccountError, add_account, list_accounts, remove_account, verify_password
from ...office.audit import audit_entries, record_event
from .. import messages
from ..security import LoginThrottle, csrf_token, current_user, role_required
from ..state import office
from .common import audit as audit_action
from .common import safe_path

bp = Blueprint("accounts", __name__)

AUDIT_PAGE = 200


def _safe_next(target: str | None) -> str:
    return safe_path(target, url_for("home.index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user() is not None:
        return redirect(_safe_next(request.args.get("next")))
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""), name="", problem=None)
    state = office()
    throttle: LoginThrottle = current_app.extensions["wathiqa_throttle"]
    name = request.form.get("name", "").strip()[:40]
    password = request.form.get("password", "")
    keys = (f"name:{name.casefold()}", f"addr:{request.remote_addr}")
    wait = throttle.wait_for(*keys)
    if wait > 0:
        problem = messages.LOGIN_WAIT.format(math.ceil(wait))
        return render_template("login.html", next=request.form.get("next", ""), name=name, problem=problem), 429
    account = verify_password(state.db, name, password) if name and password else None
    if account is None:
        throttle.failed(*keys)
        record_event(state.db, name or "?", "login_failed", request.remote_addr or "")
        problem = messages.LOGIN_WRONG
        return render_template("login.html", next=request.form.get("next", ""), name=name, problem=problem), 401
    throttle.succeeded(*keys)
    session.clear()
    session.permanent = True
    session["user"] = account.name
    session["role"] = account.role
    csrf_token()
    record_event(state.db, account.name, "login", request.remote_addr or "")
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response:
    user = current_user()
    if user is not None and not user.open_mode:
        record_event(office().db, user.name, "logout")
    session.clear()
    return redirect(url_for("accounts.login"))


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
    problems: list[str] = []
    summary = ""
    try:
        fresh = load_project(project.policy_path)
        summary = f"{len(fresh.documents)} / {len(fresh.registers)}"
    except InputError as err:
        problems = [str(p) for p in err.problems] or [str(err)]
    page = render_template("check.html", policy_path=str(project.policy_path), problems=problems, summary=summary)
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
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "")
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        return _accounts_page(messages.PASSWORDS_DIFFER, 422)
    try:
        add_account(office().db, name, role, password)
    except AccountError as err:
        return _accounts_page(messages.ACCOUNT_NOT_ADDED.format(messages.ACCOUNT_PROBLEMS[err.kind]), 422)
    audit_action("account_add", name, role)
    flash(messages.ACCOUNT_ADDED.format(name), "ok")
    return redirect(url_for("accounts.accounts"))


@bp.post("/accounts/<name>/remove")
@role_required("admin")
def remove(name: str) -> Any:
    user = current_user()
    if user is not None and user.name == name:
        return _accounts_page(messages.ACCOUNT_SELF, 422)
    try:
        remove_account(office().db, name)
    except AccountError:
        abort(404)
    audit_action("account_remove", name)
    flash(messages.ACCOUNT_REMOVED.format(name), "ok")
    return redirect(url_for("accounts.accounts"))
