"""`wathiqa serve` and `wathiqa user add|list|remove`: the office app and its accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from ..config.project import Project
from ..errors import UsageError


def _password() -> str:
    """Asked twice on a terminal; one line from stdin for scripts."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("password again: ") != first:
        raise UsageError("the two passwords differ; nothing was saved")
    return first


def office_command(args: argparse.Namespace, project: Project, out: TextIO) -> int:
    from ..office.db import OfficeDB

    if args.command == "serve":
        from ..web.serve import serve

        serve(project, args.out, args.host, args.port, out)
        return 0
    from ..office import accounts

    db = OfficeDB(args.out)
    if args.action == "list":
        for account in accounts.list_accounts(db):
            print(f"{account.name}\t{account.role}\t{account.created}", file=out)
        return 0
    if not args.name:
        raise UsageError(f"wathiqa user {args.action}: give the account NAME")
    if args.action == "add":
        account = accounts.add_account(db, args.name, args.role, _password())
        _audit(db, "account_add", account.name, account.role)
        print(f"account {account.name} ({account.role}) added", file=out)
        return 0
    accounts.remove_account(db, args.name)
    _audit(db, "account_remove", args.name, "")
    print(f"account {args.name} removed", file=out)
    return 0


def _audit(db: object, action: str, target: str, details: str) -> None:
    from ..office.audit import record_event
    from ..office.db import OfficeDB

    assert isinstance(db, OfficeDB)
    record_event(db, "wathiqa user", action, target, details)
