"""Peak memory of a merge: 5,000 acknowledgment letters against 1,000, each in a fresh process.

The merge runs in a child process that reports its own peak RSS (VmHWM) and the largest of its workers' (the
PDF is rendered by worker processes); the figure is the sum of the two. Run with ``python -m bench.memory_bench``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import json, resource, sys
from datetime import date
from pathlib import Path
from generator.config.project import load_project
from generator.workflow.merge import merge_batch
project = load_project(sys.argv[1])
summary = merge_batch(project, "acknowledgment", Path(sys.argv[2]), Path(sys.argv[3]), today=date(2026, 11, 24))
# VmHWM, not ru_maxrss: ru_maxrss survives exec, so it would count the benchmark process that started us.
self_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"generated": summary.generated, "self_mib": self_kib / 1024, "workers_mib": children_kib / 1024}))
"""


def write_batch(path: Path, n: int) -> Path:
    """A requests-register-like sheet of ``n`` acknowledgments (Arabic headers, as archivists export them)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["الرقم المرجعي", "الاسم الرباعي", "الجنس", "نوع الطلب", "تاريخ الاستلام"])
    for i in range(1, n + 1):
        gender = "ذكر" if i % 2 else "أنثى"
        kind = "حلقة تحفيظ قرآن كريم" if i % 3 else "دار نسائية لتحفيظ القرآن الكريم"
        ws.append([f"REQ-1448-{i:05d}", f"مستفيد رقم {i} بن عبدالله", gender, kind, "1448-06-04"])
    wb.save(path)
    return path


def measure(n: int, tmp: Path) -> dict[str, float]:
    data = write_batch(tmp / f"batch-{n}.xlsx", n)
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT / "policies" / "policy.yml"), str(data), str(tmp / f"out-{n}")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    figures["peak_mib"] = figures["self_mib"] + figures["workers_mib"]
    return figures


def run(small: int = 1000, large: int = 5000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        a = measure(small, Path(tmp))
        b = measure(large, Path(tmp))
    return {
        "small_mib": a["peak_mib"],
        "large_mib": b["peak_mib"],
        "growth_pct": 100.0 * (b["peak_mib"] - a["peak_mib"]) / a["peak_mib"],
        "generated": b["generated"],
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
