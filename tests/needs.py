"""What some tests need from the machine (LibreOffice, the seed policy), and what happens when it is missing.

On a developer's machine a missing tool or file skips the test with the reason; on CI (the environment variable
``CI`` is set) it fails it, so that a check never silently stops running where it matters.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.project_fixture import ROOT

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
"""LibreOffice, to check that the DOCX files print as the PDFs do (Debian: libreoffice-writer-nogui)."""

SEED_NAME = "beneficiary-relations-policy.ar.txt"


def seed_dir() -> Path:
    """``shared/seed`` beside the repository (CI's clone), or beside the folder holding it (a git worktree)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "seed"
        if (candidate / SEED_NAME).is_file():
            return candidate
    return ROOT.parent / "shared" / "seed"


def require(available: bool, what: str) -> None:
    """Go on when ``available``; else skip the test, or fail it when ``CI`` is set."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} (required when CI is set)", pytrace=False)
    pytest.skip(what)
