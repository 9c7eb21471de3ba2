"""The office's figures for a period: the same computation and body as report.pdf (:mod:`generator.reports`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from ...errors import InputError, PeriodError
from .. import messages
from ..security import role_required
from ..state import office
from .common import send_entry

bp = Blueprint("reports", __name__)


def _period_args() -> dict[str, str | None]:
    return {
        "period": request.args.get("period", "").strip()[:20] or None,
        "start": request.args.get("from", "").strip()[:20] or None,
        "end": request.args.get("to", "").strip()[:20] or None,
    }


def _figures() -> Any:
    """(report, view, wording) of the period the request names (this month if none); InputError if it cannot."""
    from ...reports import choose_period, report_figures

    state = office()
    args = _period_args()
    chosen = choose_period(state.project, args["period"], args["start"], args["end"])
    return report_figures(state.project, state.out_dir, chosen)


@bp.get("/reports")
@role_required("archivist")
def index() -> tuple[str, int]:
    from ...reports.html import report_partial

    args = _period_args()
    try:
        _, view, wording = _figures()
    except PeriodError as err:  # the period typed cannot be read: said in Arabic, beside the period's fields
        return render_template("reports.html", body=None, problem=err.arabic, args=args, query=""), 422
    except InputError as err:
        found = [p.message for p in err.problems] or [str(err)]
        problem = messages.REPORT_FAILED.format(messages.JOINED.join(found))
        return render_template("reports.html", body=None, problem=problem, args=args, query=""), 422
    named = (("period", args["period"]), ("from", args["start"]), ("to", args["end"]))
    query = urlencode([(k, v) for k, v in named if v])
    body = report_partial(office().project, view, wording.report)
    return render_template("reports.html", body=body, problem=None, args=args, query=query), 200


@bp.get("/reports/report.css")
def stylesheet() -> Response:
    return send_entry(office().project.templates_dir / "css", "report.css", allowed=frozenset({".css"}))


def _back_to_page() -> Response:
    from flask import redirect, url_for

    named = [(k, request.args.get(k, "")[:20]) for k in ("period", "from", "to")]
    return redirect(url_for("reports.index") + "?" + urlencode([(k, v) for k, v in named if v]))


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    disposition = "inline" if name.endswith(".pdf") else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response


@bp.get("/reports/report.pdf")
@role_required("archivist")
def pdf() -> Response:
    from ...reports.html import report_pdf

    try:
        _, view, wording = _figures()
    except InputError:  # the page says why, in Arabic
        return _back_to_page()
    return _download(
        report_pdf(office().project, view, wording.report), "application/pdf", f"report-{view.period.key}.pdf"
    )


@bp.get("/reports/report.xlsx")
@role_required("archivist")
def xlsx() -> Response:
    from ...reports.xlsx import report_xlsx

    try:
        report, view, wording = _figures()
    except InputError:
        return _back_to_page()
    data = report_xlsx(view, wording.report, office().project.policy.settings.calendar, report.today)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(data, mimetype, f"report-{view.period.key}.xlsx")
