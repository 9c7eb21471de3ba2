"""Finding a case at the front desk in a year's register: `/cases` searches against decoding the register each time.

The requests register holds 20,000 rows (as in the report bench). In one fresh process, through the office app's
own page (Flask's test client, no network):

* wathiqa: ``GET /cases?q=…`` for a name spelt another way, a mobile and a reference, once the register was read
  (the app reads it when it starts, and again only when the workbook or its waiting rows change);
* naive: the same search as a reader that decodes the register on every request would make it, the time of one
  ``read_register_table`` with nothing kept, which is what every search, case page and same-person check cost before.

Also measured: the first search (the register read cold) and the time to see an edit (after the workbook changes,
the next search decodes it again). Run with ``python -m bench.search_bench``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.report_bench import make_registers

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ("عبد الله القحطاني", "0501234567", "REQ-1448-00042", "نوره العتيبي")

_CHILD = """
import json, os, sys, time
from pathlib import Path
from generator.config.project import load_project
from generator.web import WebSettings, create_app
from generator.workflow import lookup
out = Path(sys.argv[1])
queries = json.loads(sys.argv[2])
project = load_project(Path(sys.argv[3]))
app = create_app(project, WebSettings(out_dir=out))
client = app.test_client()

def timed(query):
    started = time.perf_counter()
    response = client.get("/cases", query_string={"q": query})
    assert response.status_code == 200, response.status_code
    return (time.perf_counter() - started) * 1000

first = timed(queries[0])
warm = [timed(q) for _ in range(5) for q in queries]
started = time.perf_counter()
lookup._READ.clear()
lookup.read_register_table(project, "requests", out)
naive = (time.perf_counter() - started) * 1000
path = out / "registers" / "requests.xlsx"
os.utime(path)  # the archivist saved the workbook: it is read again
after_edit = timed(queries[1])
print(json.dumps({"first_ms": first, "warm_ms": warm, "naive_ms": naive, "after_edit_ms": after_edit}))
"""


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        make_registers(out, {"requests": 20_000})
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(out), json.dumps(QUERIES), str(ROOT / "policies" / "policy.yml")],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    warm = sorted(figures["warm_ms"])
    p50 = statistics.median(warm)
    return {
        "rows": 20_000,
        "p50_ms": p50,
        "p95_ms": warm[int(0.95 * (len(warm) - 1))],
        "naive_ms": figures["naive_ms"],
        "ratio": figures["naive_ms"] / p50,
        "first_ms": figures["first_ms"],
        "after_edit_ms": figures["after_edit_ms"],
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
