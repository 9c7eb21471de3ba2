"""wathiqa: the Arabic paperwork of the association, generated from its policy in YAML.

The public API, used by the command line, the office app and scripts alike. Every function takes a loaded
:class:`Project` and an output folder, returns data (dataclasses), and raises a subclass of
:class:`generator.errors.InputError` for anything the user can fix (exit status 2 on the command line). Nothing
here prints, exits or reads ``sys.argv``. Renderers are imported only by the functions that render, so loading
a project and validating data stay fast.

    project = load_project(Path("policies/policy.yml"))
    check = check_record(project, "application", {"applicant_name": "…"})
    if not check.errors:
        result = issue(project, "application", check.record, Path("output"))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CaseStateError, DataError, InputError, OutputError, Problem, ProjectError, UsageError, WathiqaError

if TYPE_CHECKING:
    from .config.project import Project
    from .scan import ScanResult
    from .workflow.amend import AmendResult
    from .workflow.decide import DecideResult
    from .workflow.decisions import DecisionAnswered, DecisionRecorded
    from .workflow.issue import CaseRenderers, IssueResult
    from .workflow.lookup import RegisterTable
    from .workflow.merge import InvalidRow, MergeSummary
    from .workflow.printing import RegisterPrint
    from .workflow.recover import RecoverResult
    from .workflow.sync import SyncResult

__all__ = [
    "CaseStateError",
    "DataError",
    "InputError",
    "OutputError",
    "Problem",
    "ProjectError",
    "RecordCheck",
    "UsageError",
    "WathiqaError",
    "build_kit",
    "check_record",
    "correct_case",
    "decide",
    "issue",
    "load_project",
    "merge",
    "preview",
    "print_register",
    "read_register",
    "record_and_decide",
    "record_decision",
    "recover_office_db",
    "renderers",
    "scan_stack",
    "set_case_status",
    "sync_registers",
    "validate_batch",
    "void_case",
]


def load_project(policy: Path = Path("policies/policy.yml")) -> Project:
    """Read and validate ``policy.yml`` and every form and register it points to (ProjectError lists every
    problem with file:line:col)."""
    from .config.project import load_project as load

    return load(policy)


@dataclass(frozen=True)
class RecordCheck:
    """A validated record (canonical values) and the Arabic message of every invalid field, by field id."""

    record: dict[str, Any]
    errors: dict[str, str]


def check_record(project: Project, doc_id: str, values: Mapping[str, Any]) -> RecordCheck:
    """Validate one record of a document (keys are field ids or Arabic labels); nothing is written."""
    from .content.records import check_record as check

    record, issues = check(project.document(doc_id), project.policy, values)
    errors: dict[str, str] = {}
    for item in issues:
        errors.setdefault(item.field_id, item.message)
    return RecordCheck(record, errors)


def renderers(project: Project) -> CaseRenderers:
    """The PDF and DOCX renderers, loaded once: pass them to :func:`issue` and :func:`decide` when issuing many
    cases in one process (the office app), so templates and fonts are not loaded again each time."""
    from .workflow.issue import CaseRenderers

    return CaseRenderers(project)


def issue(
    project: Project,
    doc_id: str,
    data: Mapping[str, Any] | Path,
    out_dir: Path,
    *,
    today: date | None = None,
    renderers: CaseRenderers | None = None,
) -> IssueResult:
    """Issue one case from a record (raw values, validated here) or a YAML/JSON data file: the reference, the
    documents in ``cases/REFERENCE/``, and the register row (``pending`` if the register is open in Excel)."""
    from .content.records import validate_record
    from .content.text import today as current_day
    from .workflow.issue import issuable, issue_case, issue_record

    if isinstance(data, Path):
        return issue_case(project, doc_id, data, out_dir, today=today)
    document = issuable(project, doc_id)
    record = validate_record(document, project.policy, data)
    day = today or current_day(project.policy)
    return issue_record(project, document, record, out_dir, today=day, renderers=renderers)


def correct_case(
    project: Project,
    out_dir: Path,
    reference: str,
    data: Mapping[str, Any],
    *,
    by: str,
    reason: str = "",
    today: date | None = None,
    renderers: CaseRenderers | None = None,
    after_answer: bool = False,
    base_version: int | None = None,
    token: str = "",
) -> AmendResult:
    """Correct an issued case: its documents re-issued under the same reference, marked «نسخة مصححة» with the day,
    the replaced files kept in ``cases/REFERENCE/vN/``, the register row updated through the journal, who and why
    in the case's history and the audit trail. After its decision letter was sent only with ``after_answer``
    (an archivist or an admin): otherwise :class:`CaseStateError`. With ``base_version`` (the version the data
    was read from) a case corrected since raises ``CaseChangedError``; with ``token`` the same form sent twice
    makes one version."""
    from .workflow.amend import correct_case as correct

    return correct(
        project, out_dir, reference, data, by=by, reason=reason, today=today, renderers=renderers,
        after_answer=after_answer, base_version=base_version, token=token,
    )  # fmt: skip


def void_case(
    project: Project, out_dir: Path, reference: str, reason: str, *, by: str, token: str = ""
) -> AmendResult:
    """Void an issued case with a reason: its register row «ملغى», no letter, its number never given again.
    The same ``token`` (one form sent twice) voids once."""
    from .workflow.amend import void_case as void

    return void(project, out_dir, reference, reason, by=by, token=token)


def set_case_status(
    project: Project, out_dir: Path, reference: str, status: str, note: str = "", *, by: str, token: str = ""
) -> AmendResult:
    """Set a request's status (an option id the archivist may choose: under study, incomplete, referred …).
    The same ``token`` (one form sent twice) sets it once."""
    from .workflow.amend import set_status

    return set_status(project, out_dir, reference, status, note, by=by, token=token)


def preview(
    project: Project,
    doc_id: str,
    data: Mapping[str, Any],
    *,
    today: date | None = None,
    renderers: CaseRenderers | None = None,
) -> bytes:
    """The filled PDF of one document as it would be issued, marked «مسودة» on every page and without a reference;
    nothing is written."""
    from .content.context import build_view
    from .content.records import validate_record
    from .content.text import today as current_day
    from .workflow.issue import CaseRenderers

    document = project.document(doc_id)
    record = validate_record(document, project.policy, data)
    view = build_view(document, project.policy, record, reference=None, issue_date=today or current_day(project.policy))
    view.extras["draft"] = True  # «مسودة» across every page
    return (renderers or CaseRenderers(project)).pdf.render(view)


def validate_batch(
    project: Project, doc_id: str, rows: Path | Sequence[Mapping[str, Any]]
) -> tuple[int, list[InvalidRow]]:
    """Validate a batch (a .xlsx/.csv/.yml/.json file, or records) without writing: (rows, invalid rows)."""
    from .workflow.merge import validate_batch as validate

    return validate(project, doc_id, rows)


def merge(
    project: Project,
    doc_id: str,
    rows: Path | Sequence[Mapping[str, Any]],
    out_dir: Path,
    *,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
) -> MergeSummary:
    """A batch of letters: one print PDF, one DOCX each and a report in ``batches/DOC_ID-DATE-N/``;
    ``progress(done, total)`` is called as the work advances."""
    from .workflow.merge import merge_batch

    return merge_batch(project, doc_id, rows, out_dir, skip_invalid=skip_invalid, progress=progress, today=today)


def record_decision(
    project: Project,
    out_dir: Path,
    reference: str,
    decision: str,
    values: Mapping[str, Any] | None = None,
    *,
    register_id: str = "requests",
    early_reason: str = "",
    today: date | None = None,
) -> DecisionRecorded:
    """Write an archivist's decision (an option id, with e.g. the reason of an apology) into the request's row,
    dated ``today``. Before the request's earliest reply date it needs ``early_reason`` (recorded in the row), or
    is refused when the policy says ``early_decisions: refuse``: :class:`CaseStateError`."""
    from .workflow.decisions import record_decision as record

    return record(
        project, out_dir, register_id, reference, decision, values, early_reason=early_reason, today=today
    )


def record_and_decide(
    project: Project,
    out_dir: Path,
    reference: str,
    decision: str,
    values: Mapping[str, Any] | None = None,
    *,
    register_id: str = "requests",
    renderers: CaseRenderers | None = None,
    early_reason: str = "",
    today: date | None = None,
) -> DecisionAnswered:
    """Record a decision and write its letter at once, in turn with every other decision being recorded or answered:
    a request already answered raises :class:`generator.errors.AlreadyAnsweredError` and gets no second letter.
    Before the earliest reply date, ``early_reason`` as for :func:`record_decision`."""
    from .workflow.decisions import record_and_decide as run

    return run(
        project, out_dir, register_id, reference, decision, values, renderers=renderers, early_reason=early_reason,
        today=today,
    )  # fmt: skip


def decide(
    project: Project, out_dir: Path, *, today: date | None = None, renderers: CaseRenderers | None = None
) -> DecideResult:
    """The decision letters of every decided request not yet answered; never a letter twice."""
    from .workflow.decide import decide as run

    return run(project, out_dir, today=today, renderers=renderers)


def read_register(
    project: Project, register_id: str, out_dir: Path, *, status: str | None = None, query: str | None = None
) -> RegisterTable:
    """A register's rows as records, with the rows still waiting in the journal marked ``pending``."""
    from .workflow.lookup import read_register_table

    return read_register_table(project, register_id, out_dir, status=status, query=query)


def print_register(
    project: Project,
    register_id: str,
    out_dir: Path,
    *,
    status: str | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
    actor: str | None = None,
) -> RegisterPrint:
    """A register's printed columns as an Arabic PDF (A4 landscape) under ``registers/print/``: every row, or those
    of one status and dated between ``start`` and ``end`` (either calendar); rows waiting in the journal marked. The
    print is recorded in the audit trail under ``actor`` (by default the command line's login name)."""
    from .workflow.printing import print_register as run

    return run(project, register_id, out_dir, status=status, start=start, end=end, actor=actor)


def sync_registers(project: Project, out_dir: Path, registers: Sequence[str] | None = None) -> SyncResult:
    """Apply the register changes waiting in the journal; say what still waits, and why."""
    from .workflow.sync import apply_pending

    return apply_pending(project, out_dir, registers=registers)


def recover_office_db(project: Project, out_dir: Path) -> RecoverResult:
    """After the office database was lost: queue again the cases and letters not yet in their registers."""
    from .workflow.recover import recover

    return recover(project, out_dir)


def build_kit(project: Project, out_dir: Path, only: Sequence[str] | None = None) -> list[Path]:
    """The blank kit: every document as PDF and DOCX, every register as XLSX (existing registers keep their rows)."""
    from .workflow.build import build_kit as build

    return build(project, out_dir, only=only)


def scan_stack(
    project: Project,
    paths: Sequence[Path],
    out_dir: Path,
    *,
    actor: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ScanResult:
    """File a scanned stack (PDFs, JPEG/PNG/TIFF pictures) into its cases by each page's QR code: complete
    documents become ``cases/REF/signed-DOC.pdf`` and mark their register; every page it cannot file without
    guessing waits in the queue (``generator.scan.waiting``). Bad input: Arabic :class:`DataError`, nothing filed."""
    from .scan import scan as run

    return run(project, list(paths), out_dir, actor=actor, progress=progress)
