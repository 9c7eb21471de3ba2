"""The project fuzzes itself: seeded mutations of the policy, the forms, a case record and batch files.

For every case: the exit status is 0 or 2, never 1; no traceback; every message can be printed (no raw control
character, no lone surrogate); on exit 2 nothing is written under --out; and when `check` passes, `build` and
`issue` of the example pass too. The default run takes about a minute; ``WATHIQA_FUZZ_CASES=N`` runs N policy
cases, 4N record cases and 3N batch cases (``WATHIQA_FUZZ_SEED`` changes the seed). A failure names its seed
and case: rerun it with ``pytest tests/test_fuzz.py -k 'record and 17'``.
"""

from __future__ import annotations

import io
import os
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from generator.cli.main import main
from generator.config.project import load_project
from tests import fuzz_cases
from tests.project_fixture import ROOT, copy_project

POLICY = str(ROOT / "policies" / "policy.yml")
SEED = int(os.environ.get("WATHIQA_FUZZ_SEED", "14"))
CASES = int(os.environ.get("WATHIQA_FUZZ_CASES", "0"))
CONFIG_CASES = CASES or 8
RECORD_CASES = 4 * CASES or 30
BATCH_CASES = 3 * CASES or 20
ISSUABLE = ["application", "volunteer", "contact-log", "referral", "satisfaction"]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def written(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file()] if out.exists() else []


def assert_clean(what: str, status: int, printed: str, err: str, out: Path | None) -> None:
    assert status in (0, 2), f"{what}: exit {status}\n{err}"
    assert "Traceback" not in err and "unexpected error" not in err, f"{what}\n{err}"
    for text in (printed, err):
        text.encode("utf-8")  # a lone surrogate in a message fails here
        assert "\x00" not in text, f"{what}: a raw NUL was printed"
    if status == 2 and out is not None:
        assert written(out) == [], f"{what}: exit 2 but files were written: {written(out)[:3]}\n{err}"


def rng_for(kind: str, case: int) -> random.Random:
    return random.Random(f"{SEED}-{kind}-{case}")


@lru_cache(maxsize=1)
def _shipped() -> Any:
    return load_project(POLICY)


def example(doc_id: str) -> dict[str, Any]:
    document = _shipped().documents[doc_id]
    return {f.id: f.example for f in document.input_fields() if f.example is not None}


@pytest.mark.parametrize("case", range(CONFIG_CASES))
def test_fuzz_policy_and_forms(tmp_path: Path, case: int) -> None:
    rng = rng_for("config", case)
    policy = copy_project(tmp_path / "project")
    files = [policy, *sorted((policy.parent.parent / "forms").glob("*.yml")),
             *sorted((policy.parent.parent / "forms" / "registers").glob("*.yml"))]
    target = rng.choice(files)
    text = target.read_text(encoding="utf-8")
    for _ in range(rng.choice([1, 1, 2])):
        text = fuzz_cases.mutate_text(text, rng, wording=target.parent.name == "forms")
    target.write_text(text, encoding="utf-8", errors="surrogatepass")
    what = f"seed {SEED} config case {case}: {target.name}"
    out = tmp_path / "out"
    status, printed, err = run("check", "--policy", str(policy))
    assert_clean(what + " check", status, printed, err, None)
    if status == 2:
        status, printed, err = run("build", "--policy", str(policy), "--out", str(out))
        assert status == 2, f"{what}: check refused but build gave {status}\n{err}"
        assert_clean(what + " build", status, printed, err, out)
        return
    doc_id = target.stem if target.stem in ISSUABLE else "application"
    status, printed, err = run("build", "--policy", str(policy), "--out", str(out), "--only", doc_id)
    assert status == 0, f"{what}: check passed but build failed\n{err}"
    status, printed, err = run("example", doc_id, "--policy", str(policy))
    assert status == 0, f"{what}: check passed but example failed\n{err}"
    data = tmp_path / "case.yml"
    data.write_text(printed, encoding="utf-8")
    status, printed, err = run("issue", doc_id, "--data", str(data), "--policy", str(policy), "--out", str(out))
    assert status == 0, f"{what}: check passed but issue of the example failed\n{err}"


@pytest.mark.parametrize("case", range(RECORD_CASES))
def test_fuzz_case_record(tmp_path: Path, case: int) -> None:
    rng = rng_for("record", case)
    doc_id = rng.choice(ISSUABLE)
    record = fuzz_cases.mutate_record(example(doc_id), rng)
    data = fuzz_cases.record_file(tmp_path, record, rng)
    out = tmp_path / "out"
    status, printed, err = run("issue", doc_id, "--data", str(data), "--policy", POLICY, "--out", str(out))
    assert_clean(f"seed {SEED} record case {case}: {doc_id} {data.name}", status, printed, err, out)


@pytest.mark.parametrize("case", range(BATCH_CASES))
def test_fuzz_batch(tmp_path: Path, case: int) -> None:
    rng = rng_for("batch", case)
    document = _shipped().documents["acknowledgment"]
    fields = document.input_fields()
    by_label = rng.random() < 0.5
    header = [f.label if by_label else f.id for f in fields]
    base = example("acknowledgment")
    rows = []
    for _ in range(rng.randrange(1, 6)):
        record = fuzz_cases.mutate_record(base, rng) if rng.random() < 0.4 else base
        rows.append([record.get(f.id, "") for f in fields])
    data = fuzz_cases.batch_file(tmp_path, header, rows, rng)
    out = tmp_path / "out"
    argv = ["merge", "acknowledgment", "--data", str(data), "--policy", POLICY, "--out", str(out)]
    if rng.random() < 0.3:
        argv.append("--skip-invalid")
    status, printed, err = run(*argv)
    assert_clean(f"seed {SEED} batch case {case}: {data.name}", status, printed, err, out)
