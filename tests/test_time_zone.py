"""The office's clock is the policy's time zone (``settings.time_zone``), never the computer's."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.cli.main import main
from generator.content.text import check_time_zone, now_local, to_local, today
from generator.registers import read_register
from tests.project_fixture import ROOT, TINY, edit, line_of

ZONES = sorted(available_timezones() - {"localtime", "Factory"})


def tiny_copy(dest: Path, settings_line: str | None = None) -> Path:
    """The tiny project in ``dest``, with a line added to its settings."""
    shutil.copytree(TINY.parent.parent, dest)
    policy = dest / "policies" / "policy.yml"
    edit(policy, "templates: ../../../../templates", f"templates: {ROOT / 'templates'}")
    edit(policy, "logo: ../../../../templates/img/logo.svg", f"logo: {ROOT / 'templates' / 'img' / 'logo.svg'}")
    if settings_line:
        edit(policy, "settings:\n", f"settings:\n  {settings_line}\n")
    return policy


def test_the_day_of_issue_is_the_policys_not_the_computers(tmp_path: Path) -> None:
    """The computer's clock says Kiritimati (UTC+14), the office is in Pago Pago (UTC-11): 25 hours apart, so
    their days always differ, and the register and the reference must carry Pago Pago's."""
    policy = tiny_copy(tmp_path / "project", "time_zone: Pacific/Pago_Pago")
    status, text, _ = run("example", "application", "--policy", str(policy))
    assert status == 0
    data = tmp_path / "case.yml"
    data.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "WATHIQA_TODAY"} | {"TZ": "Pacific/Kiritimati"}
    office = ZoneInfo("Pacific/Pago_Pago")
    before = datetime.now(office).date()
    issued = subprocess.run(
        [sys.executable, "-m", "generator", "issue", "application", "--data", str(data), "--out",
         str(tmp_path / "out"), "--policy", str(policy)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )  # fmt: skip
    after = datetime.now(office).date()
    assert issued.returncode == 0, issued.stderr
    [row] = read_register(tmp_path / "out" / "registers" / "requests.xlsx")[1]
    received = row.values["تاريخ الاستلام"]
    assert received in {before, after}  # the one day of the office, even if its midnight passed meanwhile
    assert received != datetime.now(ZoneInfo("Pacific/Kiritimati")).date()


def test_an_unknown_time_zone_is_a_check_error_with_its_line(tmp_path: Path) -> None:
    policy = tiny_copy(tmp_path / "project", "time_zone: Asia/Riyad")
    status, _, err = run("check", "--policy", str(policy))
    assert status == 2
    assert f"{policy}:{line_of(policy, 'time_zone')}:" in err
    assert "settings.time_zone" in err and "unknown time zone 'Asia/Riyad'" in err and "Asia/Riyadh" in err


def test_without_a_setting_the_office_is_in_riyadh() -> None:
    from generator.config.model import Settings

    assert Settings().time_zone == "Asia/Riyadh"
    assert now_local().utcoffset() == ZoneInfo("Asia/Riyadh").utcoffset(datetime(2026, 12, 1))
    assert to_local(datetime(2026, 12, 1, 21, 30)).isoformat() == "2026-12-02T00:30:00+03:00"  # UTC, as stored


def test_today_follows_the_policy_zone_unless_a_day_is_fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import load_project

    monkeypatch.delenv("WATHIQA_TODAY", raising=False)
    policy = load_project(TINY).policy
    assert today(policy) in {datetime.now(ZoneInfo(policy.settings.time_zone)).date(), now_local(policy).date()}
    monkeypatch.setenv("WATHIQA_TODAY", "2026-11-30")
    assert today(policy).isoformat() == "2026-11-30"


@given(st.sampled_from(ZONES))
def test_every_zone_of_the_database_is_accepted(name: str) -> None:
    assert check_time_zone(name) == name


@given(st.text(max_size=40))
def test_any_other_text_is_refused_with_what_is_expected(name: str) -> None:
    if name in ZONES:
        assert check_time_zone(name) == name
        return
    with pytest.raises(ValueError, match="expected a time zone name such as Asia/Riyadh"):
        check_time_zone(name)


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "posix/Asia/Riyadh", "/etc/localtime",
                                  "../../etc/passwd", "zone.tab", "Asia", " Asia/Riyadh", ""])  # fmt: skip
def test_files_of_the_zone_folder_that_are_not_places_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        check_time_zone(name)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()
