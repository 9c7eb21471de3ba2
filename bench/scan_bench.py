"""Scanning the signed stack back: pages per second and the share of pages filed without a clerk, at 150 and 200 dpi.

Twenty cases are issued (application, two pages, and declaration: 60 sheets). Each sheet is "scanned"
(tests/scan_sim.py): rendered in grayscale at the resolution, turned a random quarter turn (0/90/180/270) and
skewed up to ±3°, speckled, JPEG-compressed at quality 50-85, and the 60 pictures bundled in one scan PDF, as
an office scanner writes it. ``wathiqa scan`` then runs in a fresh process on a copy of the output folder, and
the figures are its wall time per page, the pages filed without a hand (the read rate), and its peak RSS.

Targets (issue 20): at 200 dpi >= 99% of pages filed without a hand, >= 5 pages/s on this machine.
Run with ``python -m bench.scan_bench [CASES]``.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "policy.yml"
DAY = date(2026, 11, 1)

_SCAN = """
import json, sys, time
from pathlib import Path
from generator import load_project, scan_stack
project = load_project(Path(sys.argv[1]))
started = time.perf_counter()
result = scan_stack(project, [Path(sys.argv[2])], Path(sys.argv[3]))
seconds = time.perf_counter() - started
filed = sum(len(f.pages) for f in result.filed)
status = Path("/proc/self/status").read_text()
peak = int(status.split("VmHWM:")[1].split()[0]) / 1024  # ru_maxrss would keep the parent's peak across exec
print(json.dumps({"pages": result.pages, "filed": filed, "seconds": seconds, "peak_mib": peak,
                  "queued": [q.reason for q in result.queued]}))
"""


def _issue_cases(out: Path, cases: int) -> list[str]:
    from generator import issue, load_project
    from generator.content.examples import example_fields

    project = load_project(POLICY)
    record = dict(example_fields(project.documents["application"]))
    return [issue(project, "application", record, out, today=DAY).reference for _ in range(cases)]


def _stack(out: Path, references: list[str], dpi: int, target: Path) -> int:
    from tests.scan_sim import printed, scanned, stack_pdf

    rng = random.Random(dpi)
    pages = []
    for reference in references:
        for doc_id in ("application", "declaration"):
            for sheet in printed(out, reference, doc_id, dpi=dpi):
                angle = rng.choice((0, 90, 180, 270)) + rng.uniform(-3, 3)
                pages.append(
                    scanned(sheet, angle=angle, noise=2000, quality=rng.randint(50, 85), seed=rng.randrange(1 << 30))
                )
    stack_pdf(target, pages, dpi=dpi)
    return len(pages)


def _scan_in_child(project_out: Path, stack: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _SCAN, str(POLICY), str(stack), str(project_out)],
        check=True, capture_output=True, text=True, cwd=ROOT,
        env={"WATHIQA_TODAY": DAY.isoformat(), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(cases: int = 20) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "issued"
        references = _issue_cases(base, cases)
        for dpi in (150, 200):
            stack = Path(tmp) / f"stack-{dpi}.pdf"
            _stack(base, references, dpi, stack)
            out = Path(tmp) / f"out-{dpi}"
            shutil.copytree(base, out)
            result = _scan_in_child(out, stack)
            figures[f"pages_{dpi}"] = result["pages"]
            figures[f"read_rate_{dpi}"] = result["filed"] / result["pages"]
            figures[f"pages_per_s_{dpi}"] = result["pages"] / result["seconds"]
            figures[f"peak_mib_{dpi}"] = result["peak_mib"]
            figures[f"queued_{dpi}"] = result["queued"]
    return figures


def main() -> int:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    figures = run(cases)
    for key, value in figures.items():
        print(f"{key:>20}: {value:.3f}" if isinstance(value, float) else f"{key:>20}: {value}")
    ok = figures["read_rate_200"] >= 0.99 and figures["pages_per_s_200"] >= 5
    print(f"{'target':>20}: {'met' if ok else 'NOT met'} (200 dpi: >= 99% filed without a hand, >= 5 pages/s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
