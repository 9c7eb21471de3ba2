"""tests.needs: a missing tool or file skips a test on a developer's machine and fails it on CI."""

from __future__ import annotations

import pytest

from tests.needs import require


def test_a_missing_requirement_skips_without_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="LibreOffice"):
        require(False, "LibreOffice")


def test_a_missing_requirement_fails_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"^LibreOffice \(required when CI is set\)$"):
        require(False, "LibreOffice")


def test_a_present_requirement_runs_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    require(True, "LibreOffice")
