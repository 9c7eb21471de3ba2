"""The registers as tables: search by reference, name, national ID or mobile; pending rows marked; the .xlsx, and
the register printed for the binder (PDF)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...config.model import Policy
from ...config.project import RegisterColumn
from .. import messages
from ..fields import display_value
from ..security import role_required
from ..state import office
from .common import actor, audit, safe_path, send_entry

bp = Blueprint("registers", __name__)

SHOWN_ROWS = 500
"""Rows shown on one page, newest first; a search narrows them, the .xlsx has them all."""


@bp.get("/registers")
@role_required("archivist")
def index() -> str:
    return render_template("registers.html", registers=list(office().project.registers.values()))


def _register_id(register_id: str) -> str:
    if register_id not in office().project.registers:
        abort(404)
    return register_id


@bp.get("/registers/<register_id>")
@role_required("archivist")
def show(register_id: str) -> str:
    state = office()
    register = state.project.registers[_register_id(register_id)]
    query = request.args.get("q", "").strip()[:100]
    status_id = register.answered.status_column if register.answered else None
    column = next((c for c in state.project.register_columns(register.id) if c.id == status_id and c.list), None)
    statuses = (
        [(i.id, i.label) for i in state.project.policy.lists[column.list].items] if column and column.list else []
    )
    status = request.args.get("status", "")
    if status not in {i for i, _ in statuses}:
        status = ""
    exists = (state.out_dir / "registers" / f"{register.id}.xlsx").is_file()
    table = None
    if exists:
        from ... import read_register

        table = read_register(state.project, register.id, state.out_dir, status=status or None, query=query or None)
    rows = list(reversed(table.rows)) if table else []
    policy = state.project.policy
    every_column = request.args.get("columns") == "all"
    all_columns = table.columns if table else state.project.register_columns(register.id)
    # the columns the binder prints (the register's `print:` block) unless every column is asked for
    columns = all_columns if every_column else state.project.print_columns(register.id)
    shown = [
        (
            row,
            [_cell(row, c, policy) for c in columns],
        )
        for row in rows[:SHOWN_ROWS]
    ]
    reference_column = next((i for i, c in enumerate(columns) if c.type == "reference"), None)
    return render_template(
        "register.html",
        register=register,
        columns=columns,
        rows=shown,
        total=len(rows),
        query=query,
        statuses=statuses,
        status=status,
        exists=exists,
        pending=sum(1 for row in rows if row.pending),
        waiting_reasons=_waiting_reasons(register.id),
        reference_column=reference_column,
        cases=_case_names(),
        every_column=every_column,
        hidden_columns=len(all_columns) - len(columns) if not every_column else 0,
        column_count=len(all_columns),
    )


def _cell(row: Any, column: RegisterColumn, policy: Policy) -> str:
    """A cell as the office reads it; a column with no value of its own (the Hijri text of a date) as written."""
    value = row.values.get(column.id)
    if value is None or value == "":
        value = row.cells.get(column.label)
    return display_value(value, policy, list_id=column.list, kind=column.type)


def _waiting_reasons(register_id: str) -> list[str]:
    """Why the register's rows wait, as the last try said (which application holds it, by whom, a stale lock)."""
    from ...office import journal

    reasons = [e.last_error for e in journal.open_entries(office().db, register_id) if e.last_error]
    return list(dict.fromkeys(reasons))


def _case_names() -> set[str]:
    folder = office().out_dir / "cases"
    try:
        return {p.name for p in folder.iterdir()}
    except OSError:
        return set()


@bp.get("/registers/<register_id>.xlsx")
@role_required("archivist")
def download(register_id: str) -> Response:
    return send_entry(office().out_dir / "registers", f"{_register_id(register_id)}.xlsx")


@bp.get("/registers/<register_id>/print.pdf")
@role_required("archivist")
def print_pdf(register_id: str) -> Response:
    """The register printed for the binder, as `wathiqa register print` makes it: the rows of the status shown."""
    from ... import print_register
    from ...errors import InputError

    state = office()
    status = request.args.get("status", "") or None
    try:
        printed = print_register(state.project, _register_id(register_id), state.out_dir, status=status, actor=actor())
    except InputError:
        abort(404)  # an unknown status or a register not made yet: the page offers neither
    return send_entry(printed.path.parent, printed.path.name)


@bp.post("/registers/sync")
@role_required("archivist")
def sync() -> Response:
    from ... import sync_registers

    state = office()
    result = sync_registers(state.project, state.out_dir)
    applied = len(result.applied)
    audit("sync", "", f"applied {applied}, waiting {len(result.waiting)}")
    if result.waiting:
        reasons = messages.JOINED.join(dict.fromkeys(w.reason for w in result.waiting))
        message = messages.SYNCED_WAITING.format(applied=applied, waiting=len(result.waiting), reasons=reasons)
        flash(message, "pending")
    else:
        flash(messages.SYNCED.format(applied=applied), "ok")
    return redirect(safe_path(request.form.get("back"), url_for("registers.index")))
