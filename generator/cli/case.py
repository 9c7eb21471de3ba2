"""`wathiqa case show|correct|void|status REFERENCE`: an issued case from the command line, as the office app does it.

`show` prints the case's data as a YAML file (the same as `wathiqa example` prints, with the case's values and the
version it is at); edited and given back with `correct --data FILE --from-version N`, it re-issues the documents
under the same reference. With ``--from-version`` a case corrected by someone else since is refused (exit 2) rather
than overwritten. Who acted is the computer's login name, as in the audit of every command.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

import yaml

from ..config.project import Project
from ..content.records import validate_record
from ..content.text import to_display_digits
from ..errors import CaseStateError, UsageError
from ..office.audit import command_line_actor
from ..sources.structured import load_record_file
from ..workflow.amend import MSG_VOIDED, AmendResult, CaseChangedError, IssuedCase, decided_later, open_case

__all__ = ["add_case_parser", "case_command", "case_yaml"]


def add_case_parser(command: Any) -> None:
    p = command("case", "an issued case: show its data, correct it, void it or set its status")
    p.add_argument("action", choices=["show", "correct", "void", "status"])
    p.add_argument("reference", metavar="REFERENCE")
    p.add_argument("status", nargs="?", metavar="STATUS", help="status: the option id or its Arabic label")
    p.add_argument("--data", type=Path, metavar="FILE", help="correct: the corrected data (YAML or JSON)")
    p.add_argument("--from-version", type=int, metavar="N", help="correct: the version the data was read from")
    p.add_argument("--reason", default="", help="correct: why (optional); void: why (required)")
    p.add_argument("--note", default="", help="status: a note kept with the change")
    p.add_argument(
        "--after-answer", action="store_true", help="correct a case whose decision letter was sent (archivist's call)"
    )
    p.add_argument("--out", type=Path, default=Path("output"))


def case_yaml(project: Project, case: IssuedCase) -> str:
    """The case's data as an editable YAML file: one commented line per field, as `wathiqa example` writes."""
    document = case.document
    lines = [
        f"# {document.title} — {case.reference} (version {case.version})",
        f"# wathiqa case correct {case.reference} --data FILE --from-version {case.version}",
        "",
    ]
    hidden = decided_later(project, case.document)
    for f in document.input_fields():
        if f.id in hidden:
            continue
        value = case.record.get(f.id)
        note = "مطلوب" if f.required else "اختياري"
        lines.append(f"# {f.label} ({note})")
        if value is None or value == "" or value == []:
            lines.append(f"# {f.id}:")
            continue
        dumped = yaml.safe_dump({f.id: value}, allow_unicode=True, default_style='"', width=1000)
        lines.append(dumped.replace(f'"{f.id}":', f"{f.id}:", 1).rstrip("\n"))
    return "\n".join(lines) + "\n"


def case_command(project: Project, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import generator as api

    by = command_line_actor()
    if args.action == "show":
        out.write(case_yaml(project, open_case(project, args.out, args.reference)))
        return 0
    if args.action == "correct":
        if args.data is None:
            raise UsageError(f"wathiqa case correct: --data FILE is required (wathiqa case show {args.reference} "
                             "prints the case's data to edit)")  # fmt: skip
        case = open_case(project, args.out, args.reference)
        if case.voided:  # said before the data is read: no point fixing a file for a voided case
            raise CaseStateError(MSG_VOIDED)
        loaded = load_record_file(args.data)
        data = {k: v for k, v in loaded.data.items() if k not in decided_later(project, case.document)}
        validate_record(case.document, project.policy, data, source=loaded)  # problems named with their lines
        try:
            result = api.correct_case(
                project, args.out, args.reference, data, by=by, reason=args.reason, after_answer=args.after_answer,
                base_version=args.from_version,
            )  # fmt: skip
        except CaseChangedError as changed:
            hint = f" (الحالة الآن في النسخة {changed.later.version}: wathiqa case show {args.reference})"
            raise CaseStateError(str(changed) + hint) from changed
        _said(project, result, f"صُحّحت الحالة {args.reference}: النسخة {{}}؛ حُفظت السابقة في v{{}}", out, err)
        return 0
    if args.action == "void":
        result = api.void_case(project, args.out, args.reference, args.reason, by=by)
        _said(project, result, f"أُلغيت الحالة {args.reference} وسُجّلت «ملغى»؛ لا يُعاد استعمال رقمها.", out, err)
        return 0
    if not args.status:
        raise UsageError("wathiqa case status: STATUS is required (an option id or its Arabic label)")
    result = api.set_case_status(project, args.out, args.reference, _status_id(project, args), args.note, by=by)
    _said(project, result, f"سُجّلت حالة الطلب {args.reference}.", out, err)
    return 0


def _status_id(project: Project, args: argparse.Namespace) -> str:
    from ..workflow.amend import settable_statuses

    case = open_case(project, args.out, args.reference)
    if case.document.register_id is None:
        return str(args.status)
    for option, label in settable_statuses(project, case.document.register_id):
        if args.status in (option, label):
            return option
    return str(args.status)  # refused by the library with the list of what may be set


def _said(project: Project, result: AmendResult, message: str, out: TextIO, err: TextIO) -> None:
    digits = project.policy.settings.digits
    if result.version is not None:
        message = message.format(to_display_digits(str(result.version), digits), result.version)
    print(message, file=out)
    if result.pending:
        print(f"تنبيه: {result.waiting_reason}. يُعدَّل الصف في السجل عند إغلاقه، أو بالأمر: wathiqa register sync",
              file=err)  # fmt: skip
