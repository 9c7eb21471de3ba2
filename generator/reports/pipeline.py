"""`wathiqa report`: read the registers (never writing them), compute, write report.pdf and report.xlsx.

Output goes to ``OUT/reports/<period>/`` (``1448-06``, ``2026-Q2``, ``2026-11-01_2026-11-30``), built in a
staging folder and swapped in whole. The office app calls :func:`report_figures` for its page and embeds
``html.report_partial``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..config.project import Project
from ..content.text import today as default_today
from ..errors import OutputError, PeriodError
from ..registers import RegisterError, Row, read_register
from ..workflow.folders import ensure_writable_dir, staged_dir
from .compute import REGISTERS, PendingRow, Report, compute_report, wanted_labels
from .periods import AR_BOTH, AR_PAIR, Period, current_period, parse_period, period_between
from .view import ReportView, build_report_view
from .wording import Wording, load_wording

__all__ = [
    "ReportResult",
    "choose_period",
    "read_registers",
    "register_path",
    "report_figures",
    "run_report",
    "write_report",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportResult:
    folder: Path
    files: list[Path]
    report: Report
    view: ReportView


def register_path(out_dir: Path, register_id: str) -> Path:
    return out_dir / "registers" / f"{register_id}.xlsx"


def read_registers(project: Project, out_dir: Path, wording: Wording) -> dict[str, list[Row]]:
    """The rows of every register the report reads, without taking any lock; a missing one is an error."""
    rows: dict[str, list[Row]] = {}
    for register_id in REGISTERS:
        register = project.registers.get(register_id)
        if register is None:
            log.info("no register %s in this project; its figures are zero", register_id)
            continue
        path = register_path(out_dir, register_id)
        if not path.is_file():
            raise OutputError(wording.report.missing_register.format(title=register.title, path=path))
        try:
            _, rows[register_id] = read_register(path, sheet=register.sheet, labels=wanted_labels(project, register_id))
        except RegisterError as err:
            raise OutputError(f"{path}: cannot read the register: {err}") from err
        log.info("read %d rows of %s", len(rows[register_id]), path)
    return rows


def journal_rows(out_dir: Path) -> list[PendingRow]:
    """The rows and row updates the office database's journal still holds for their registers (a register open
    in Excel), oldest first."""
    from ..office import journal
    from ..office.db import OfficeDB

    return [
        PendingRow(entry.register, entry.cells, target=entry.target if entry.op == "update" else None)
        for entry in journal.open_entries(OfficeDB(out_dir))
        if entry.state == "ready"
    ]


def report_figures(
    project: Project,
    out_dir: Path,
    period: Period | None = None,
    *,
    today: date | None = None,
    pending: Sequence[PendingRow] | None = None,
) -> tuple[Report, ReportView, Wording]:
    """The figures of ``period`` (default: this month in the policy's calendar) and their view.

    ``pending`` are rows not yet written into their registers; by default, the office database's journal rows
    waiting for a register that was open in Excel, so that they are counted and marked.
    """
    if pending is None:
        pending = journal_rows(out_dir)
    today = today or default_today(project.policy)
    period = period or current_period(today, project.policy.settings.calendar)
    wording = load_wording(project)
    registers = read_registers(project, out_dir, wording)
    report = compute_report(
        project, registers, period, today=today, missing_date_ar=wording.report.missing_date, pending=pending
    )
    return report, build_report_view(project, report, wording.report), wording


def write_report(
    project: Project,
    out_dir: Path,
    period: Period | None = None,
    *,
    today: date | None = None,
    pending: Sequence[PendingRow] | None = None,
    evidence: bool = False,
) -> ReportResult:
    """Write ``reports/<period>/report.pdf`` and ``report.xlsx`` (and the evidence zip); return what was written."""
    from .html import report_pdf
    from .xlsx import report_xlsx

    report, view, wording = report_figures(project, out_dir, period, today=today, pending=pending)
    ensure_writable_dir(out_dir)
    key = view.period.key
    final = out_dir / "reports" / key
    pdf = report_pdf(project, view, wording.report)
    xlsx = report_xlsx(view, wording.report, project.policy.settings.calendar, report.today)
    names = ["report.pdf", "report.xlsx"]
    with staged_dir(final) as stage:
        (stage / "report.pdf").write_bytes(pdf)
        (stage / "report.xlsx").write_bytes(xlsx)
        if evidence:
            from .evidence import write_evidence

            names.append(write_evidence(project, out_dir, stage, view, wording, pdf, xlsx).name)
    files = [final / name for name in names]
    log.info("wrote %s", ", ".join(map(str, files)))
    return ReportResult(final, files, report, view)


def choose_period(
    project: Project,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    *,
    today: date | None = None,
) -> Period:
    """The period the command line names: ``--period``, or ``--from`` and ``--to``, or this month."""
    if period is not None and (start is not None or end is not None):
        raise PeriodError("give either --period or --from/--to, not both", AR_BOTH)
    if (start is None) != (end is None):
        raise PeriodError("--from and --to go together", AR_PAIR)
    calendar = project.policy.settings.calendar
    if period is not None:
        return parse_period(period)
    if start is not None and end is not None:
        return period_between(start, end, calendar)
    return current_period(today or default_today(project.policy), calendar)


def run_report(
    project: Project,
    out_dir: Path,
    *,
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    evidence: bool = False,
    today: date | None = None,
    pending: Sequence[PendingRow] | None = None,
) -> ReportResult:
    """`wathiqa report`: the period from the command line's words, then :func:`write_report`."""
    chosen = choose_period(project, period, start, end, today=today)
    return write_report(project, out_dir, chosen, today=today, pending=pending, evidence=evidence)
