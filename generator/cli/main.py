"""The `wathiqa` command: parse arguments, call the library API, print what it returns.

Exit 0: done. Exit 2: bad input (usage, policy, data, output folder), with nothing written. Exit 1: an
unexpected fault, whose full report goes to a crash log (:mod:`generator.cli.crash`). Commands that render
nothing (list, schema, example) import no renderer, so they start fast; `check` renders every document in
memory (:mod:`generator.render.rehearse`).
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..errors import InputError, UsageError
from .crash import report_crash

if TYPE_CHECKING:
    from ..config.project import Project

DEFAULT_POLICY = Path("policies/policy.yml")
DEFAULT_OUT = Path("output")

QUOTE_HINT = 'a value with spaces goes in quotes, e.g. --status "صدر القرار"'


class ArgumentError(UsageError):
    """Raised when the command line itself is wrong; its message already names the command."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors go through the one error handler."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if "unrecognized arguments" in message:
            message += f" ({QUOTE_HINT})"
        raise ArgumentError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wathiqa", description="Arabic paperwork of the association, from its policy in YAML.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is done; show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--policy", type=Path, default=DEFAULT_POLICY, help="policy file (default: %(default)s)")
        return p

    command("check", "validate the policy and every form; list every error")
    command("list", "list documents and registers with their ids and Arabic titles")
    p = command("schema", "print the JSON Schema of policy.yml and forms/*.yml")
    p.add_argument("which", nargs="?", choices=["policy", "document", "register"], help="one schema only")
    p.add_argument("--write", type=Path, metavar="DIR", help="write the three schema files into DIR")
    p = command("example", "print a valid example data file (YAML) for one document")
    p.add_argument("doc_id", metavar="DOC_ID")
    p = command("build", "build the blank kit: every document as PDF and DOCX, every register as XLSX")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--only", nargs="+", metavar="ID", help="only these documents or registers")
    p = command("issue", "issue one case: validate, allocate the reference, render, append the register row")
    p.add_argument("doc_id", metavar="DOC_ID")
    p.add_argument("--data", type=Path, required=True, metavar="FILE", help="case data, YAML or JSON")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p = command("merge", "a batch of letters from .xlsx/.csv/.yml/.json: one print PDF and a DOCX per record")
    p.add_argument("doc_id", metavar="DOC_ID")
    p.add_argument("--data", type=Path, required=True, metavar="FILE")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--skip-invalid", action="store_true", help="generate the valid records, report the rest")
    p = command("decide", "write the decision letters the archivists decided in the requests register")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p = command("register", "read or print a register, or apply the rows waiting for it")
    p.add_argument("action", choices=["show", "print", "sync"])
    p.add_argument("register_id", metavar="REGISTER_ID", nargs="?", help="one register (sync: all if omitted)")
    p.add_argument("--status", help="show, print: only rows with this status (id or Arabic label)")
    p.add_argument("--columns", metavar="ID,ID", help="show: these columns (ids or labels), in this order")
    p.add_argument("--from", dest="start", metavar="DATE", help="print: rows dated from this day (Hijri or Gregorian)")
    p.add_argument("--to", dest="end", metavar="DATE", help="print: rows dated up to this day")
    p.add_argument("--recover", action="store_true", help="sync: rebuild what a lost office database waited for")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p = command("report", "the office's figures for a period: reports/PERIOD/report.pdf and report.xlsx")
    p.add_argument("--period", help="1448-06, 2026-11, 1448-Q2, 1448 or 2026 (default: this month)")
    p.add_argument("--from", dest="start", metavar="DATE", help="first day (with --to)")
    p.add_argument("--to", dest="end", metavar="DATE", help="last day (with --from)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--evidence", action="store_true", help="also write the evidence zip of the period")
    from .case import add_case_parser

    add_case_parser(command)
    p = command("scan", "file a scanned stack of signed paper into its cases by each page's QR code")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="PDF from the scanner, or JPEG/PNG/TIFF")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p = command("serve", "serve the office app (Arabic web pages for clerks and archivists)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p = command("user", "accounts of the office app: add NAME --role ROLE, list, remove NAME")
    p.add_argument("action", choices=["add", "list", "remove"])
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("--role", choices=["clerk", "archivist", "admin"], default="clerk")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run one command; return the exit status instead of exiting."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in arguments or "--verbose" in arguments
    try:
        args = _parser().parse_args(arguments)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
        return _run(args, out, err)
    except ArgumentError as exc:
        print(str(exc), file=err)
        return 2
    except InputError as exc:
        print(f"wathiqa: {exc}" if not exc.problems else str(exc), file=err)
        return 2
    except BrokenPipeError:  # `wathiqa register show … | head`: the reader has all it wanted
        _quiet_stdout(out)
        return 0
    except OSError as exc:  # after BrokenPipeError, which is one
        message = _disk_message(exc)
        if message is None:
            report_crash(exc, arguments, err, verbose=verbose)
            return 1
        print(message, file=err)
        return 2
    except KeyboardInterrupt:
        print("wathiqa: interrupted; nothing half-written was kept", file=err)
        return 130
    except Exception as exc:  # the one place an unexpected fault becomes a message and exit 1
        report_crash(exc, arguments, err, verbose=verbose)
        return 1


def _quiet_stdout(out: TextIO) -> None:
    """Point the standard output, whose reader has gone, at /dev/null: Python would otherwise report the
    BrokenPipeError again when it flushes the output on exit."""
    if out is sys.stdout:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _disk_message(exc: OSError) -> str | None:
    """A full or read-only disk is the office's to fix, not a crash: what happened and what to do (exit 2). What was
    being written was built aside, so nothing half-written is left."""
    from ..office.db import disk_full

    where = f" ({exc.filename})" if exc.filename else ""
    if disk_full(exc):
        return (
            f"wathiqa: القرص ممتلئ{where}: لم يُكتب شيء ناقص ولم يضع شيء. أفرغ مساحة على القرص الذي يحفظ مجلد "
            f"المخرجات ثم أعد المحاولة.\nwathiqa: the disk is full{where}: {exc.strerror}; nothing half-written was "
            "kept"
        )
    if exc.errno == errno.EROFS:
        return (
            f"wathiqa: تعذرت الكتابة{where}: القرص أو المجلد للقراءة فقط، فلم يُكتب شيء. امنح البرنامج صلاحية "
            f"الكتابة ثم أعد المحاولة.\nwathiqa: read-only file system{where}"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"wathiqa: ليس للبرنامج صلاحية الوصول{where}، فلم يُكتب شيء. اطلب من مسؤول الجهاز منحه الصلاحية ثم أعد "
            f"المحاولة.\nwathiqa: permission denied{where}"
        )
    return None


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import generator as api

    if args.command == "schema":
        return _schema(args, out)
    project = api.load_project(args.policy)
    if args.command == "check":
        from ..render.rehearse import rehearse_once

        rehearse_once(project)  # every document blank and filled with its examples, in memory
        from ..config.placeholders import find_placeholders

        for placeholder in find_placeholders(project):  # valid, but not the association's own words yet
            print(f"warning: {placeholder.where}", file=err)
        print(
            f"{args.policy}: valid — {len(project.documents)} documents, {len(project.registers)} registers",
            file=out,
        )
        return 0
    if args.command == "list":
        return _list(project, out)
    if args.command == "example":
        from ..content.examples import example_yaml

        out.write(example_yaml(project.document(args.doc_id), project.policy))
        return 0
    if args.command == "build":
        for path in api.build_kit(project, args.out, only=args.only):
            print(path, file=out)
        return 0
    if args.command == "issue":
        result = api.issue(project, args.doc_id, args.data, args.out)
        print(result.reference, file=out)
        print(result.folder, file=out)
        if result.pending:
            print(f"تنبيه: {result.waiting_reason}. صدرت المستندات، ويُضاف الصف إلى السجل تلقائيًا عند إغلاقه، "
                  "أو بالأمر: wathiqa register sync", file=err)  # fmt: skip
        return 0
    if args.command == "merge":
        from .terminal import Progress

        with Progress(err) as progress:
            summary = api.merge(project, args.doc_id, args.data, args.out, skip_invalid=args.skip_invalid,
                                progress=progress)  # fmt: skip
        print(summary.text(), file=out)
        return 0
    if args.command == "decide":
        from .messages import decide_summary

        print(decide_summary(project, api.decide(project, args.out)), file=out)
        return 0
    if args.command == "register":
        return _register(project, args, out)
    if args.command == "report":
        from ..reports import run_report

        report = run_report(
            project, args.out, period=args.period, start=args.start, end=args.end, evidence=args.evidence
        )
        for path in report.files:
            print(path, file=out)
        if report.report.uncounted:
            print(f"{len(report.report.uncounted)} row(s) could not be counted; the report lists them", file=out)
        return 0
    if args.command == "case":
        from .case import case_command

        return case_command(project, args, out, err)
    if args.command == "scan":
        from .scan import scan_command

        return scan_command(project, args, out, err)
    if args.command in ("serve", "user"):
        from .office_app import office_command

        return office_command(args, project, out)
    raise UsageError(f"unknown command {args.command!r}")  # pragma: no cover - argparse refuses it first


def _register(project: Project, args: argparse.Namespace, out: TextIO) -> int:
    import generator as api

    from .messages import sync_summary

    if args.action == "show":
        if args.register_id is None:
            raise ArgumentError("wathiqa register show: REGISTER_ID is required")
        from .terminal import show_register

        table = api.read_register(project, args.register_id, args.out, status=args.status)
        show_register(table, out, columns=args.columns.split(",") if args.columns else None)
        return 0
    if args.action == "print":
        if args.register_id is None:
            raise ArgumentError("wathiqa register print: REGISTER_ID is required")
        from .messages import print_summary

        printed = api.print_register(project, args.register_id, args.out, status=args.status, start=args.start,
                                     end=args.end)  # fmt: skip
        print(print_summary(project, printed), file=out)
        return 0
    registers = [args.register_id] if args.register_id else None
    if registers and args.register_id not in project.registers:
        raise UsageError(f"unknown register {args.register_id!r}; the registers are: {', '.join(project.registers)}")
    recovered = api.recover_office_db(project, args.out) if args.recover else None
    print(sync_summary(project, api.sync_registers(project, args.out, registers), recovered), file=out)
    return 0


def _list(project: Project, out: TextIO) -> int:
    print("documents:", file=out)
    for doc in project.documents.values():
        print(f"  {doc.id:<18} {doc.kind:<12} {doc.code:<9} {doc.title}", file=out)
    print("registers:", file=out)
    for reg in project.registers.values():
        print(f"  {reg.id:<18} {'register':<12} {'':<9} {reg.title}", file=out)
    return 0


def _schema(args: argparse.Namespace, out: TextIO) -> int:
    from ..config.schema import schemas

    all_schemas = schemas()
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for name, schema in all_schemas.items():
            path = args.write / f"{name}.schema.json"
            path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            print(path, file=out)
        return 0
    chosen = all_schemas[args.which] if args.which else all_schemas
    out.write(json.dumps(chosen, ensure_ascii=False, indent=2) + "\n")
    return 0
