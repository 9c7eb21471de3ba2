"""The projects tests use: a copy of the shipped project to break on purpose, and the tiny fixture project."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny" / "policies" / "policy.yml"
"""A tiny project (one form, one letter, one register) for tests of mechanisms; the shipped policy keeps its own."""


def copy_project(dest: Path) -> Path:
    """Copy policies/, forms/ and templates/ under ``dest``; return the policy path.

    The templates come too because `wathiqa check` renders every document (in memory) with them.
    """
    shutil.copytree(ROOT / "policies", dest / "policies")
    shutil.copytree(ROOT / "forms", dest / "forms")
    shutil.copytree(ROOT / "templates", dest / "templates", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dest / "policies" / "policy.yml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
