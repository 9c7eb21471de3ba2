"""`wathiqa check` start-up against `python -c "import weasyprint"` (median of several runs, fresh processes)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _median_ms(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(runs: int = 7) -> dict[str, float]:
    check = _median_ms([sys.executable, "-m", "generator", "check"], runs)
    weasy = _median_ms([sys.executable, "-c", "import weasyprint"], runs)
    return {"check_ms": check, "import_weasyprint_ms": weasy, "ratio": weasy / check}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
