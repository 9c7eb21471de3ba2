"""The same input gives the same result from run to run, and what a run remembers is what it checked: a batch
row's reference, the check's memory of a passed project, and a command whose reader stopped reading."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli.main import main
from tests.project_fixture import ROOT, TINY, edit


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


# ------------------------------------------------------------------------------ a batch row's reference
PICK = """
import sys
from generator import load_project
from generator.sources import BatchRow
from generator.workflow.merge import _validate_rows

project = load_project(sys.argv[1])
row = {"reference": "REQ-1448-00007", "الرقم المرجعي": "REQ-1448-00009", "الاسم الرباعي": "مستفيد",
       "الجنس": "ذكر", "نوع الطلب": "حلقة تحفيظ قرآن كريم", "تاريخ الاستلام": "1448-05-20"}
items, invalid = _validate_rows(project, project.document("acknowledgment"), [BatchRow(2, row)])
print(items[0].reference)
"""


def test_a_row_with_two_reference_columns_gives_its_first_in_every_run() -> None:
    """A day's sheet with a «reference» column and a «الرقم المرجعي» column: the letter took one or the other
    depending on the run's hash seed; it takes the first in the file's column order, every time."""
    picked = set()
    for seed in range(8):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run([sys.executable, "-c", PICK, str(TINY)], capture_output=True, text=True, cwd=ROOT,
                              env=env, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        picked.add(done.stdout.strip())
    assert picked == {"REQ-1448-00007"}


# --------------------------------------------------------------------- check remembers what it checked
def test_a_project_edited_during_the_check_is_not_remembered_as_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import load_project
    from generator.render import rehearse

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    shutil.copytree(TINY.parent.parent, tmp_path / "project")
    policy = tmp_path / "project" / "policies" / "policy.yml"
    edit(policy, "templates: ../../../../templates", f"templates: {ROOT / 'templates'}")
    edit(policy, "logo: ../../../../templates/img/logo.svg", f"logo: {ROOT / 'templates' / 'img' / 'logo.svg'}")
    form = tmp_path / "project" / "forms" / "acknowledgment.yml"
    rehearsal = rehearse._rehearsal_problems

    def edited_meanwhile(*args: object, **kwargs: object) -> object:
        edit(form, "id: acknowledgment", "id: acknowledgment  # saved by the administrator during the check")
        return rehearsal(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rehearse, "_rehearsal_problems", edited_meanwhile)
    status, _, err = run("check", "--policy", str(policy))
    assert status == 0, err  # the project as loaded was fine
    monkeypatch.setattr(rehearse, "_rehearsal_problems", rehearsal)
    assert not rehearse.rehearsed_before(load_project(policy))  # the edited one was never rehearsed
    assert run("check", "--policy", str(policy))[0] == 0
    assert rehearse.rehearsed_before(load_project(policy))  # checked unchanged: now it is remembered


# ---------------------------------------------------------------------------------- `wathiqa … | head`
@pytest.mark.parametrize("argv", [["list"], ["example", "application"]], ids=["list", "example"])
def test_a_reader_that_stops_reading_ends_the_command_quietly(argv: list[str]) -> None:
    """`wathiqa … | head`: the reader is gone before the command writes (its end of the pipe is closed at once),
    so every write fails with EPIPE; exit 0 and nothing on stderr (it was exit 1 and a crash report)."""
    proc = subprocess.Popen([sys.executable, "-m", "generator", *argv, "--policy", str(TINY)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert err == ""
