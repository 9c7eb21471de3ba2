"""A year of an active office: the report (PDF + XLSX) against openpyxl just loading the registers.

The registers hold 20,000 requests, 50,000 contacts and 10,000 survey answers over Hijri year 1448 (and 600
volunteers, 16,000 outgoing letters). Both sides run in a fresh process each, on the same files:

* wathiqa: ``write_report`` for the year (read every register, compute, lay out report.pdf, write report.xlsx);
* naive: openpyxl ``load_workbook(read_only=True)`` of the same registers (all six the report reads), every
  row's values read (a load that reads nothing is not a load).

The figure is the ratio of the two times (target < 3x) and the report process's peak RSS (VmHWM, < 300 MiB).
Run with ``python -m bench.report_bench`` (``--keep DIR`` keeps the registers for a look).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "policy.yml"
YEAR_START = date(2026, 6, 16)  # 1 Muharram 1448
YEAR_DAYS = 354
TODAY = date(2027, 6, 10)
COUNTS = {"requests": 20_000, "contacts": 50_000, "satisfaction": 10_000, "volunteers": 600, "outgoing": 16_000}
CITIES = ("الرياض", "جدة", "مكة المكرمة", "المدينة المنورة", "الدمام", "الطائف", "أبها", "تبوك", "حائل", "بريدة")
FIRST = ("عبدالله", "محمد", "نورة", "فاطمة", "سعد", "خالد", "سارة", "هند", "أحمد", "ريم")
LAST = ("القحطاني", "الدوسري", "العتيبي", "الشهري", "الغامدي", "الزهراني", "المطيري", "السبيعي")

_OURS = """
import json, sys, time
from datetime import date
from pathlib import Path
started = time.perf_counter()
from generator.config.project import load_project
from generator.reports import parse_period, write_report
project = load_project(sys.argv[1])
result = write_report(project, Path(sys.argv[2]), parse_period("1448"), today=date.fromisoformat(sys.argv[3]))
seconds = time.perf_counter() - started
hwm_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
from pypdf import PdfReader
pages = len(PdfReader(result.files[0]).pages)
print(json.dumps({"seconds": seconds, "peak_mib": hwm_kib / 1024, "requests": result.report.current.requests.received,
                  "uncounted": len(result.report.uncounted), "pdf_pages": pages}))
"""

_NAIVE = """
import json, sys, time
started = time.perf_counter()
from openpyxl import load_workbook
rows = 0
for path in sys.argv[1:]:
    wb = load_workbook(path, read_only=True)
    for values in wb.worksheets[0].iter_rows(values_only=True):
        rows += 1
    wb.close()
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
"""


def _day(rng: random.Random) -> date:
    return YEAR_START + timedelta(days=rng.randrange(YEAR_DAYS))


def _rows(project: Any, register_id: str, n: int, rng: random.Random) -> list[dict[str, Any]]:
    lists = {k: [i.label for i in v.items] for k, v in project.policy.lists.items()}
    yes, no = project.policy.labels.yes, project.policy.labels.no
    prefix = {"requests": "REQ", "contacts": "CON", "satisfaction": "SAT", "volunteers": "VOL", "outgoing": "OUT"}
    out = []
    for i in range(1, n + 1):
        day = _day(rng)
        row: dict[str, Any] = {"reference": f"{prefix[register_id]}-1448-{i:05d}"}
        name = f"{rng.choice(FIRST)} {rng.choice(FIRST)} {rng.choice(LAST)}"
        if register_id == "requests":
            row |= {
                "received_on": day,
                "applicant_name": name,
                "channel": rng.choice(lists["channels"]),
                "request_type": rng.choice(lists["programme_kinds"]),
                "city": rng.choice(CITIES),
                "age_group": rng.choice(lists["age_groups"]),
                "mobile": f"05{rng.randrange(10**8):08d}",
            }
            if rng.random() < 0.8:
                decided = day + timedelta(days=rng.randrange(10, 40))
                row |= {
                    "decision": rng.choice(lists["decisions"]),
                    "decision_date": decided,
                    "answered_on": decided + timedelta(days=1),
                }
        elif register_id == "contacts":
            row |= {
                "received_on": day,
                "contact_date": day,
                "direction": rng.choice(lists["contact_directions"]),
                "channel": rng.choice(lists["channels"]),
                "beneficiary_name": name,
                "subject": "استفسار",
                "answer": "تمت الإجابة",
                "handled_by": "موظف علاقات المستفيدين",
                "needs_follow_up": yes if rng.random() < 0.3 else no,
                "referred": yes if rng.random() < 0.1 else no,
            }
            if row["needs_follow_up"] == yes:
                row["follow_up_date"] = day + timedelta(days=7)
        elif register_id == "satisfaction":
            row |= {
                "received_on": day,
                "service": rng.choice(lists["services"]),
                "channel": rng.choice(lists["channels"]),
                "beneficiary_kind": rng.choice(lists["beneficiary_kinds"]),
            }
            row |= {
                c: rng.randint(1, 5)
                for c in (
                    "rate_reception",
                    "rate_clarity",
                    "rate_speed",
                    "rate_reply_time",
                    "rate_channels",
                    "rate_overall",
                )
            }
            if rng.random() < 0.2:
                row["comments"] = f"ملاحظة للتحسين رقم {i}: نقترح تسريع الرد على الطلبات"
        elif register_id == "volunteers":
            row |= {
                "received_on": day,
                "volunteer_name": name,
                "skills": rng.choice(lists["skills"]),
                "availability": rng.choice(lists["availability"]),
            }
        else:
            row |= {"sent_on": day, "document": rng.choice(("خطاب قبول", "خطاب اعتذار")), "addressee": name}
        out.append(row)
    return out


def make_registers(out: Path, counts: dict[str, int] = COUNTS) -> list[Path]:
    """The registers of a year of an active office under ``out/registers``; returns their paths.

    Written with openpyxl's write-only mode in the layout the register builder gives (sheet name, header
    labels in column order, dates as real dates): appending 100,000 rows one by one through the engine, which
    rewrites the sheet on commit, would take longer than the measure itself.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from generator.config.project import load_project

    project = load_project(POLICY)
    rng = random.Random(1448)
    folder = out / "registers"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for register_id, register in project.registers.items():
        path = folder / f"{register_id}.xlsx"
        columns = project.register_columns(register_id)
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(register.sheet)
        ws.sheet_view.rightToLeft = True
        ws.append([c.label for c in columns])
        for row in _rows(project, register_id, counts.get(register_id, 0), rng):
            cells: list[Any] = []
            for column in columns:
                value = row.get(column.id)
                if isinstance(value, date):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = "yyyy-mm-dd"
                    value = cell
                cells.append(value)
            ws.append(cells)
        wb.save(path)
        paths.append(path)
    return paths


def _child(code: str, *args: str) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT)
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def run(keep: Path | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = keep or Path(tmp)
        paths = make_registers(out)
        naive = _child(_NAIVE, *map(str, paths))
        ours = _child(_OURS, str(POLICY), str(out), TODAY.isoformat())
    return {
        "ours_s": ours["seconds"],
        "naive_s": naive["seconds"],
        "ratio": ours["seconds"] / naive["seconds"],
        "peak_mib": ours["peak_mib"],
        "requests": ours["requests"],
        "rows_loaded": naive["rows"],
        "pdf_pages": ours["pdf_pages"],
        "uncounted": ours["uncounted"],
    }


if __name__ == "__main__":
    keep = Path(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[1] == "--keep" else None
    print(json.dumps(run(keep), indent=2))
