"""The register engine, asserted the way an archivist would check a register after a busy day."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # until `make setup` installs the package (pip install -e .)
    sys.path.insert(0, str(ROOT))

from generator.registers import (  # noqa: E402
    RegisterCorruptError,
    RegisterError,
    RegisterLockedError,
    RegisterOpenInExcelError,
    Row,
    open_register,
    read_register,
    register_lock,
)
from tests.xlsx_fixtures import (  # noqa: E402
    HEADER,
    NAME,
    NATIONAL_ID,
    NOTES,
    RECEIVED,
    REFERENCE,
    STATUS,
    build_register,
    insert_archivist_column,
    members,
    sample_rows,
    save_as_excel_would,
)

SHEET = "xl/worksheets/sheet1.xml"


def new_request(n: int, **more: object) -> dict[str, object]:
    values: dict[str, object] = {
        REFERENCE: f"REQ-1448-{n:05d}",
        NAME: "عبدالله بن محمد",
        NATIONAL_ID: "1012345678",
        RECEIVED: dt.date(2026, 9, 1),
        STATUS: "جديد",
    }
    values.update(more)
    return values


@pytest.fixture
def register(tmp_path: Path) -> Path:
    return build_register(tmp_path / "requests.xlsx", sample_rows(3))


# ------------------------------------------------------------------------------------------- preservation
def test_append_keeps_every_other_part_byte_identical(tmp_path: Path) -> None:
    path = build_register(tmp_path / "requests.xlsx", sample_rows(3), extras=True)
    insert_archivist_column(path, 3, "ملاحظة الأرشيف")  # an archivist's own column, inside the table
    before = members(path)
    old_rows = read_register(path)[1]

    with open_register(path) as register:
        number = register.append(new_request(4, **{NOTES: "=SUM(A1:A9)"}))

    after = members(path)
    assert number == 5
    assert set(after) == set(before)
    changed = {name for name in before if before[name] != after[name]}
    assert SHEET in changed
    assert changed <= {SHEET, "xl/styles.xml", "xl/tables/table1.xml"}
    assert any(name.startswith("xl/media/") for name in before)  # the image is there, untouched
    assert any(name.startswith("xl/charts/") for name in before)
    assert any("comments" in name for name in before)

    header, rows = read_register(path)
    assert header == [REFERENCE, NAME, "ملاحظة الأرشيف", NATIONAL_ID, RECEIVED, STATUS, NOTES]
    assert rows[:3] == old_rows
    assert rows[3] == Row(
        5,
        {
            REFERENCE: "REQ-1448-00004",
            NAME: "عبدالله بن محمد",
            "ملاحظة الأرشيف": None,
            NATIONAL_ID: "1012345678",
            RECEIVED: dt.date(2026, 9, 1),
            STATUS: "جديد",
            NOTES: "=SUM(A1:A9)",
        },
    )

    wb = load_workbook(path)
    ws = wb["الطلبات"]
    assert ws.sheet_view.rightToLeft
    assert ws.max_row == 5
    assert ws["C5"].value is None  # the archivist's column stays empty
    assert ws["B2"].comment is not None and ws["B2"].comment.text == "راجع الأرشيف"
    assert ws["G2"].fill.fgColor.rgb == "00FFFF00"  # the coloured cell moved with its column, kept its colour
    assert wb["إحصاء"]["B3"].value == 7
    # openpyxl's insert_cols does not widen the table as Excel would; its last row must still follow the data
    assert ws.tables["Requests"].ref.endswith("5")
    assert len(ws.data_validations.dataValidation) == 1


def test_untouched_parts_are_copied_as_stored(register: Path) -> None:
    """Unchanged members keep their compressed streams: same CRC, same compressed size."""
    import zipfile

    with zipfile.ZipFile(register) as zf:
        before = {i.filename: (i.CRC, i.compress_size, i.compress_type) for i in zf.infolist()}
    with open_register(register) as reg:
        reg.append(new_request(4))
    with zipfile.ZipFile(register) as zf:
        after = {i.filename: (i.CRC, i.compress_size, i.compress_type) for i in zf.infolist()}
        assert zf.testzip() is None
    assert [k for k in before if before[k] != after[k]] == [SHEET, "xl/tables/table1.xml"]


def test_dimension_and_table_cover_the_new_row(register: Path) -> None:
    with open_register(register) as reg:
        reg.append(new_request(4))
        reg.append(new_request(5))
    sheet = members(register)[SHEET].decode()
    table = members(register)["xl/tables/table1.xml"].decode()
    assert '<dimension ref="A1:F6"/>' in sheet
    assert 'ref="A1:F6"' in table and '<autoFilter ref="A1:F6"/>' in table


# ---------------------------------------------------------------------------------------- values as stored
@pytest.mark.parametrize("text", ["=1+1", "+966501234567", "-5", "@x", '=HYPERLINK("http://x")', "\tx"])
def test_formula_like_text_stays_text(register: Path, text: str) -> None:
    with open_register(register) as reg:
        reg.append(new_request(4, **{NOTES: text}))
    ws = load_workbook(register).active
    cell = ws["F5"]
    assert cell.value == text
    assert cell.data_type == "s"
    assert cell.quotePrefix
    assert read_register(register)[1][-1][NOTES] == text
    assert b"<f>" not in members(register)[SHEET]


def test_plain_text_after_quoted_text_is_not_quoted(register: Path) -> None:
    with open_register(register) as reg:
        reg.append(new_request(4, **{NOTES: "=1+1"}))
        reg.append(new_request(5, **{NOTES: "عادي"}))
    ws = load_workbook(register).active
    assert ws["F5"].quotePrefix and not ws["F6"].quotePrefix


def test_styles_gain_one_quote_prefix_style_only(register: Path) -> None:
    with open_register(register) as reg:
        for n in range(4, 8):
            reg.append(new_request(n, **{NOTES: "-1", NAME: "=x"}))
    styles = members(register)["xl/styles.xml"].decode()
    assert styles.count('quotePrefix="1"') == 1


def test_dates_ids_numbers_and_booleans_round_trip(tmp_path: Path) -> None:
    path = build_register(tmp_path / "r.xlsx", sample_rows(2), header=[*HEADER, "العدد", "مؤكد", "وقت"])
    with open_register(path) as reg:
        reg.append(
            new_request(
                3, **{NATIONAL_ID: "0501234567", "العدد": 12, "مؤكد": True, "وقت": 2.5, NOTES: "سطر\nثان"}
            )
        )
    row = read_register(path)[1][-1]
    assert row[RECEIVED] == dt.date(2026, 9, 1)
    assert row[NATIONAL_ID] == "0501234567"
    assert (row["العدد"], row["مؤكد"], row["وقت"], row[NOTES]) == (12, True, 2.5, "سطر\nثان")
    ws = load_workbook(path).active
    assert ws["D4"].value == dt.datetime(2026, 9, 1) and ws["D4"].is_date
    assert ws["C4"].value == "0501234567"
    assert (ws["G4"].value, ws["H4"].value) == (12, True)


def test_date_in_a_column_without_date_style_gets_an_iso_date_style(register: Path) -> None:
    with open_register(register) as reg:
        reg.append(new_request(4, **{NOTES: dt.date(2026, 2, 28)}))
    ws = load_workbook(register).active
    assert ws["F5"].is_date and ws["F5"].number_format == "yyyy-mm-dd"
    assert read_register(register)[1][-1][NOTES] == dt.date(2026, 2, 28)


def test_markup_and_excel_escapes_are_stored_literally(register: Path) -> None:
    text = "<b>&amp;</b> _x0041_ ]]>"
    with open_register(register) as reg:
        reg.append(new_request(4, **{NOTES: text}))
    assert read_register(register)[1][-1][NOTES] == text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a\x00b", "control character U+0000"),
        ("a\rb", "control character U+000D"),
        ("x" * 32768, "32768 characters; an Excel cell holds at most 32767"),
        (10**16, "more digits than Excel keeps"),
        (float("nan"), "not a number Excel can store"),
        (object(), "cannot store a object"),
    ],
)
def test_bad_values_are_refused_before_writing(register: Path, value: object, message: str) -> None:
    before = register.read_bytes()
    with pytest.raises(RegisterError, match=re.escape(message)), open_register(register) as reg:
        reg.append(new_request(4, **{NOTES: value}))
    assert register.read_bytes() == before
    assert not (register.parent / "backups").exists()


def test_unknown_label_is_refused(register: Path) -> None:
    before = register.read_bytes()
    with pytest.raises(RegisterError, match="no column 'الجوال'"), open_register(register) as reg:
        reg.append({"الجوال": "0500000000"})
    assert register.read_bytes() == before


def test_exception_in_block_writes_nothing(register: Path) -> None:
    before = register.read_bytes()
    with pytest.raises(ZeroDivisionError), open_register(register) as reg:
        reg.append(new_request(4))
        _ = 1 / 0
    assert register.read_bytes() == before
    assert not register.with_name("requests.xlsx.lock").exists()


def test_register_saved_by_excel_with_shared_strings(register: Path) -> None:
    save_as_excel_would(register)
    before = members(register)
    with open_register(register) as reg:
        assert [r[REFERENCE] for r in reg.rows()] == ["REQ-1448-00001", "REQ-1448-00002", "REQ-1448-00003"]
        assert reg.header() == HEADER  # the header's first label is the rich-text shared string
        assert reg.next_sequence(REFERENCE, "REQ-1448-") == 4
        reg.append(new_request(4))
    assert members(register)["xl/sharedStrings.xml"] == before["xl/sharedStrings.xml"]
    ws = load_workbook(register).active
    assert [ws.cell(r, 1).value for r in range(2, 6)] == [f"REQ-1448-{i:05d}" for i in range(1, 5)]


def test_rows_formatted_ahead_by_an_archivist_are_filled_not_skipped(register: Path) -> None:
    wb = load_workbook(register)
    ws = wb.active
    for row in (5, 6, 9):  # coloured in advance, still empty
        ws.cell(row, 2).fill = PatternFill("solid", fgColor="FFCC00")
    wb.save(register)
    with open_register(register) as reg:
        assert reg.append(new_request(4)) == 5
        assert reg.append(new_request(5)) == 6
        assert reg.append(new_request(6)) == 7
    ws = load_workbook(register).active
    assert [ws.cell(r, 1).value for r in range(5, 10)] == [
        "REQ-1448-00004", "REQ-1448-00005", "REQ-1448-00006", None, None,
    ]  # fmt: skip
    assert ws["B5"].fill.fgColor.rgb == "00FFCC00" and ws["B9"].fill.fgColor.rgb == "00FFCC00"
    assert [r.number for r in read_register(register)[1]] == [2, 3, 4, 5, 6, 7]


# ------------------------------------------------------------------------------------------ update, read
def test_update_marks_a_request_answered(register: Path) -> None:
    with open_register(register) as reg:
        row = next(r for r in reg.rows() if r[REFERENCE] == "REQ-1448-00002")
        reg.update(row.number, {STATUS: "مقبول", NOTES: "أجيب في 2026-09-20"})
    rows = read_register(register)[1]
    assert [r[STATUS] for r in rows] == ["جديد", "مقبول", "جديد"]
    assert rows[1][NOTES] == "أجيب في 2026-09-20"
    assert rows[1][RECEIVED] == dt.date(2026, 1, 3)


def test_update_of_a_missing_row_is_refused(register: Path) -> None:
    with pytest.raises(RegisterError, match="no row 40 to update"), open_register(register) as reg:
        reg.update(40, {STATUS: "مقبول"})


def test_next_sequence_counts_rows_appended_in_the_same_transaction(register: Path) -> None:
    with open_register(register) as reg:
        assert reg.next_sequence(REFERENCE, "REQ-1448-") == 4
        reg.append(new_request(4))
        assert reg.next_sequence(REFERENCE, "REQ-1448-") == 5
        assert reg.next_sequence(REFERENCE, "REQ-1449-") == 1


def test_first_row_of_an_empty_register_does_not_take_the_header_style(tmp_path: Path) -> None:
    path = build_register(tmp_path / "empty.xlsx")
    with open_register(path) as reg:
        assert reg.next_sequence(REFERENCE, "REQ-1448-") == 1
        assert reg.append(new_request(1)) == 2
    ws = load_workbook(path).active
    assert not ws["A2"].font.b and ws["A1"].font.b
    assert ws.tables["Requests"].ref == "A1:F2"


def test_read_register_does_not_wait_for_the_lock(register: Path) -> None:
    with register_lock(register):
        header, rows = read_register(register)
    assert header == HEADER and len(rows) == 3


def test_named_sheet_and_missing_sheet(tmp_path: Path) -> None:
    path = build_register(tmp_path / "r.xlsx", sample_rows(1), extras=True)
    header, rows = read_register(path, sheet="إحصاء")
    assert header == ["الشهر", "الطلبات"] and rows[1].values == {"الشهر": "صفر", "الطلبات": 7}
    with pytest.raises(RegisterError, match="no sheet named 'x'"):
        read_register(path, sheet="x")


def test_not_a_workbook_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(RegisterCorruptError, match=r"not a readable \.xlsx workbook"):
        read_register(path)


# ----------------------------------------------------------------------------------------- locks, Excel
def test_held_lock_names_its_holder(register: Path) -> None:
    before = register.read_bytes()
    with (
        register_lock(register) as me,
        pytest.raises(RegisterLockedError) as caught,
        open_register(register, timeout=0.5) as reg,
    ):
        reg.append(new_request(4))
    message = str(caught.value)
    assert (
        f"locked by {me['user']} on {socket.gethostname()} (pid {os.getpid()}) since {me['since']}" in message
    )
    assert "retry" in message and "أعد المحاولة" in message
    assert register.read_bytes() == before
    assert not register.with_name("requests.xlsx.lock").exists()


def test_open_in_excel_is_refused(register: Path) -> None:
    before = register.read_bytes()
    owner = register.with_name("~$requests.xlsx")
    name = "Archivist"
    owner.write_bytes(
        bytes([len(name)]) + name.encode().ljust(53, b" ") + bytes([len(name), 0]) + name.encode("utf-16-le")
    )
    with pytest.raises(RegisterOpenInExcelError) as caught, open_register(register) as reg:
        reg.append(new_request(4))
    arabic, english = str(caught.value).split("\n")
    assert arabic.startswith("السجل \u2066requests.xlsx\u2069 مفتوح في Excel لدى \u2068Archivist\u2069 منذ \u2066")
    assert arabic.endswith("أغلقه ثم أعد المحاولة")
    assert "is open in Excel by Archivist since" in english and english.endswith("close it and retry")
    assert register.read_bytes() == before


def test_stale_lock_of_a_dead_process_is_taken_over(register: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    holder = {"user": "x", "host": socket.gethostname(), "pid": int(dead.stdout), "since": "2026-01-01T00:00"}
    register.with_name("requests.xlsx.lock").write_text(json.dumps(holder))
    with open_register(register, timeout=1) as reg:
        reg.append(new_request(4))
    assert len(read_register(register)[1]) == 4


def test_live_lock_on_another_host_is_not_broken(register: Path) -> None:
    holder = {"user": "amal", "host": "archive-pc", "pid": 1, "since": "2026-09-01T08:00:00+03:00"}
    register.with_name("requests.xlsx.lock").write_text(json.dumps(holder))
    with (
        pytest.raises(RegisterLockedError, match=r"locked by amal on archive-pc \(pid 1\)"),
        open_register(register, timeout=0.2),
    ):
        pass


APPENDER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from generator.registers import open_register
    with open_register(sys.argv[1], timeout=60) as reg:
        n = reg.next_sequence("الرقم المرجعي", "REQ-1448-")
        reg.append({{"الرقم المرجعي": f"REQ-1448-{{n:05d}}", "اسم المتقدم": sys.argv[2]}})
    """
)


def test_twenty_concurrent_appenders_get_distinct_consecutive_references(tmp_path: Path) -> None:
    path = build_register(tmp_path / "requests.xlsx")
    script = APPENDER.format(root=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), f"p{i}"]) for i in range(20)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 20
    rows = read_register(path)[1]
    assert sorted(r[REFERENCE] for r in rows) == [f"REQ-1448-{i:05d}" for i in range(1, 21)]  # type: ignore[type-var]
    assert sorted(r[NAME] for r in rows) == sorted(f"p{i}" for i in range(20))  # type: ignore[type-var]
    assert [r.number for r in rows] == list(range(2, 22))
    assert load_workbook(path).active.max_row == 21


KILLED_APPENDER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {root!r})
    from generator.registers import open_register, package

    def stuck(src, dst):
        open(sys.argv[2], "w").close()
        time.sleep(60)

    package.os.replace = stuck  # the swap: the writer is killed when it is about to replace the register
    with open_register(sys.argv[1]) as reg:
        reg.append({{"الرقم المرجعي": "REQ-1448-99999"}})
    """
)


def test_writer_killed_before_the_swap_leaves_the_register_intact(register: Path, tmp_path: Path) -> None:
    before = register.read_bytes()
    marker = tmp_path / "about-to-swap"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_APPENDER.format(root=str(ROOT)), str(register), str(marker)]
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert register.read_bytes() == before
    assert register.with_name("requests.xlsx.lock").exists()  # left behind by the dead writer
    assert list(register.parent.glob(".requests.*.tmp"))

    with open_register(register, timeout=2) as reg:
        reg.append(new_request(4))
    assert [r[REFERENCE] for r in read_register(register)[1]][-1] == "REQ-1448-00004"
    assert not list(register.parent.glob(".requests.*.tmp"))


# --------------------------------------------------------------------------------------------- backups
def test_previous_version_is_kept_and_old_backups_pruned(register: Path) -> None:
    versions = [register.read_bytes()]
    for n in range(4, 8):
        with open_register(register, backups=3) as reg:
            reg.append(new_request(n))
        versions.append(register.read_bytes())
    kept = sorted((register.parent / "backups").iterdir())
    assert len(kept) == 3
    assert all(p.name.startswith("requests-") and p.suffix == ".xlsx" for p in kept)
    assert [p.read_bytes() for p in kept] == versions[-4:-1]


def test_a_transaction_without_changes_writes_nothing(register: Path) -> None:
    before = register.stat()
    with open_register(register) as reg:
        reg.rows()
    assert register.stat().st_mtime_ns == before.st_mtime_ns
    assert not (register.parent / "backups").exists()
