"""The office app's tables in the office database: accounts, drafts, audit trail; and `wathiqa user`."""

from __future__ import annotations

import io
import sqlite3
import sys
from pathlib import Path

import pytest

from generator.cli.main import main
from generator.office.accounts import (
    AccountError,
    account_count,
    add_account,
    find_account,
    has_role,
    list_accounts,
    remove_account,
    verify_password,
)
from generator.office.audit import audit_entries, record_event
from generator.office.db import OfficeDB
from generator.office.drafts import delete_draft, get_draft, list_drafts, save_draft
from tests.project_fixture import ROOT

POLICY = str(ROOT / "policies" / "policy.yml")


def test_password_is_kept_as_scrypt_hash_and_verified(tmp_path: Path) -> None:
    db = OfficeDB(tmp_path)
    add_account(db, "amal", "clerk", "correct horse")
    with db.read() as conn:
        stored = conn.execute("SELECT password_hash FROM accounts WHERE name = 'amal'").fetchone()[0]
    assert stored.startswith("scrypt:") and "correct horse" not in stored
    assert verify_password(db, "amal", "correct horse") == find_account(db, "amal")
    assert verify_password(db, "amal", "wrong horse!") is None
    assert verify_password(db, "nobody", "correct horse") is None


def test_account_rules(tmp_path: Path) -> None:
    db = OfficeDB(tmp_path)
    with pytest.raises(AccountError, match="at least 8"):
        add_account(db, "amal", "clerk", "short")
    with pytest.raises(AccountError, match="role"):
        add_account(db, "amal", "boss", "long enough")
    with pytest.raises(AccountError, match="account name"):
        add_account(db, "a b/..", "clerk", "long enough")
    add_account(db, "amal", "clerk", "long enough")
    with pytest.raises(AccountError, match="already exists"):
        add_account(db, "amal", "admin", "long enough")
    assert [(a.name, a.role) for a in list_accounts(db)] == [("amal", "clerk")]
    remove_account(db, "amal")
    assert account_count(db) == 0
    with pytest.raises(AccountError, match="no account"):
        remove_account(db, "amal")


def test_roles_nest() -> None:
    assert has_role("admin", "archivist") and has_role("archivist", "clerk") and has_role("clerk", "clerk")
    assert not has_role("clerk", "archivist") and not has_role("archivist", "admin")


def test_drafts_keep_values_as_typed(tmp_path: Path) -> None:
    db = OfficeDB(tmp_path)
    values = {"applicant_name": "سارة", "national_id": "١٠٠٠", "days": ["sunday", "monday"]}
    draft_id = save_draft(db, "application", "سارة", values, "amal", None)
    assert get_draft(db, draft_id).fields == values  # type: ignore[union-attr]
    assert save_draft(db, "application", "سارة أحمد", {"applicant_name": "سارة أحمد"}, "amal", draft_id) == draft_id
    (only,) = list_drafts(db)
    assert (only.id, only.title, only.fields) == (draft_id, "سارة أحمد", {"applicant_name": "سارة أحمد"})
    assert delete_draft(db, draft_id) and not delete_draft(db, draft_id)
    assert list_drafts(db) == []


def test_audit_newest_first_and_paged(tmp_path: Path) -> None:
    db = OfficeDB(tmp_path)
    for n in range(5):
        record_event(db, "amal", "issue", f"REQ-{n}")
    entries = audit_entries(db, limit=2)
    assert [e.target for e in entries] == ["REQ-4", "REQ-3"]
    assert [e.target for e in audit_entries(db, limit=2, before=entries[-1].id)] == ["REQ-2", "REQ-1"]
    with pytest.raises(ValueError):
        record_event(db, "amal", "teleport")


def test_migration_appended_after_the_first(tmp_path: Path) -> None:
    OfficeDB(tmp_path).exists()
    add_account(OfficeDB(tmp_path), "amal", "clerk", "long enough")
    conn = sqlite3.connect(tmp_path / "office.db")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sequences", "journal", "accounts", "drafts", "audit"} <= tables


def run_cli(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_user_command_add_list_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = str(tmp_path / "out")
    common = ["--out", out, "--policy", POLICY]
    status, printed, _ = run_cli(monkeypatch, ["user", "add", "huda", "--role", "archivist", *common], "s3cret pass\n")
    assert (status, printed) == (0, "account huda (archivist) added\n")
    status, printed, _ = run_cli(monkeypatch, ["user", "list", *common])
    assert status == 0 and printed.startswith("huda\tarchivist\t")
    assert verify_password(OfficeDB(Path(out)), "huda", "s3cret pass") is not None
    status, _, err = run_cli(monkeypatch, ["user", "add", "huda", *common], "another pass\n")
    assert status == 2 and "already exists" in err
    status, _, err = run_cli(monkeypatch, ["user", "add", "x", *common], "short\n")
    assert status == 2 and "at least 8" in err
    status, printed, _ = run_cli(monkeypatch, ["user", "remove", "huda", *common])
    assert (status, printed) == (0, "account huda removed\n")
    assert [e.action for e in audit_entries(OfficeDB(Path(out)))] == ["account_remove", "account_add"]


def test_serve_refuses_a_network_address_without_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    status, printed, err = run_cli(
        monkeypatch, ["serve", "--host", "0.0.0.0", "--port", "0", "--out", str(tmp_path), "--policy", POLICY]
    )
    assert status == 2
    assert "refusing to serve on 0.0.0.0 without accounts" in err and "wathiqa user add" in err
    assert printed == ""
