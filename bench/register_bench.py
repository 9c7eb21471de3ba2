"""Append one row to a 10,000-row register: the engine against openpyxl load + append + save.

Run with ``python -m bench.register_bench``; :func:`run` returns the figures for ``make bench``.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.table import Table

from bench.register_baseline import naive_append
from generator.registers import CellValue, open_register

log = logging.getLogger(__name__)

ROWS = 10_000
LABELS = [
    "الرقم المرجعي", "اسم المتقدم", "رقم الهوية", "الجوال", "المدينة", "الحي",
    "نوع الطلب", "القناة", "تاريخ الاستلام", "الحالة", "عدد الطلاب", "ملاحظات",
]  # fmt: skip


def build(path: Path, rows: int = ROWS) -> Path:
    """A register of ``rows`` x 12 like the generator's: RTL, bold header, a table, a date column."""
    wb = Workbook()
    ws = wb.active
    ws.sheet_view.rightToLeft = True
    ws.append(LABELS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    start = dt.date(2025, 1, 1)
    for i in range(1, rows + 1):
        ws.append([
            f"REQ-1448-{i:05d}", f"متقدم رقم {i}", f"10{i:08d}", f"05{i:08d}", "الرياض", "حي النخيل",
            "فتح حلقة", "الموقع", start + dt.timedelta(days=i % 365), "جديد", i % 40, "",
        ])  # fmt: skip
        ws.cell(ws.max_row, 9).number_format = "yyyy-mm-dd"
    ws.add_table(Table(displayName="Requests", ref=f"A1:L{rows + 1}"))
    wb.save(path)
    return path


def _record(n: int) -> dict[str, CellValue]:
    return {
        "الرقم المرجعي": f"REQ-1448-{n:05d}", "اسم المتقدم": "عبدالله", "رقم الهوية": "1012345678",
        "الجوال": "0501234567", "تاريخ الاستلام": dt.date(2026, 9, 1), "الحالة": "جديد", "ملاحظات": "=1+1",
    }  # fmt: skip


def _ours(path: Path) -> None:
    """The real workflow: allocate the reference under the lock, then append."""
    with open_register(path, backups=3) as register:
        n = register.next_sequence("الرقم المرجعي", "REQ-1448-")
        register.append(_record(n))


def _journal_append(path: Path, n: int, *, decode_rows: bool) -> None:
    """What `register sync` does for one journaled row: find the reference in the register, then append.
    ``decode_rows`` looks it up the way sync did before (every row decoded) instead of one column scanned."""
    reference = f"REQ-1448-{n:05d}"
    with open_register(path, backups=3) as register:
        if decode_rows:
            found = any(row.values.get("الرقم المرجعي") == reference for row in register.rows())
        else:
            found = reference in register.find_rows("الرقم المرجعي", [reference])
        if not found:
            register.append(_record(n))


_ALLOWED_TO_CHANGE = {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml", "xl/styles.xml"}
"""The parts an append may rewrite; every other part must come out byte-identical."""


def _changed_members(before: Path, after: Path) -> set[str]:
    """Zip members whose uncompressed bytes differ, or that appear or disappear."""
    with zipfile.ZipFile(before) as a, zipfile.ZipFile(after) as b:
        names = set(a.namelist()) | set(b.namelist())
        return {n for n in names if n not in a.namelist() or n not in b.namelist() or a.read(n) != b.read(n)}


def run(tmpdir: Path, appends: int = 5) -> dict[str, float]:
    """Median milliseconds per append for the engine and for openpyxl, and their ratio (naive / ours)."""
    source = build(Path(tmpdir) / "source.xlsx")
    timings: dict[str, list[float]] = {"ours": [], "naive": []}
    for name in ("ours", "naive"):
        folder = Path(tmpdir) / name
        folder.mkdir(exist_ok=True)
        path = folder / "requests.xlsx"
        shutil.copy2(source, path)
        for i in range(appends):
            began = time.perf_counter()
            if name == "ours":
                _ours(path)
            else:
                naive_append(path, _record(ROWS + 1 + i))
            timings[name].append((time.perf_counter() - began) * 1000)
    journal: dict[str, list[float]] = {"lookup": [], "rows": []}
    for name in journal:
        path = Path(tmpdir) / f"journal-{name}.xlsx"
        shutil.copy2(source, path)
        for i in range(appends):
            began = time.perf_counter()
            _journal_append(path, ROWS + 1 + i, decode_rows=name == "rows")
            journal[name].append((time.perf_counter() - began) * 1000)
    ours, naive = statistics.median(timings["ours"]), statistics.median(timings["naive"])
    changed = _changed_members(source, Path(tmpdir) / "ours" / "requests.xlsx")
    result = {
        "ours_ms": round(ours, 1),
        "naive_ms": round(naive, 1),
        "ratio": round(naive / ours, 1),
        "preserved": float(changed <= _ALLOWED_TO_CHANGE),
        "journal_append_ms": round(statistics.median(journal["lookup"]), 1),
        "journal_append_decoding_rows_ms": round(statistics.median(journal["rows"]), 1),
    }
    log.info("register append at %d rows: %s", ROWS, result)
    return result


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
