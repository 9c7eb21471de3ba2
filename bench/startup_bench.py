"""`wathiqa check` start-up against `python -c "import weasyprint"` (median of several runs, fresh processes).

`check` rehearses every document (renders it in memory) the first time it sees the project as it is, and
remembers that it passed; the start-up figure is a check of an unchanged project (the everyday case: a clerk's
computer, a script). The first check after a change, which renders, is reported beside it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _median_ms(argv: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT, env=env)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(runs: int = 7) -> dict[str, float]:
    check = [sys.executable, "-m", "generator", "check"]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        first = _median_ms(check, 1, env)  # rehearses and remembers
        again = _median_ms(check, runs, env)
    weasy = _median_ms([sys.executable, "-c", "import weasyprint"], runs)
    return {"check_ms": again, "first_check_ms": first, "import_weasyprint_ms": weasy, "ratio": weasy / again}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
