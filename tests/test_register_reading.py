"""A register read once is given again until it changes (generator.workflow.lookup): the office app reads the
requests register on every search, case page and same-person check, and a year's register takes seconds to decode.

What must hold is that no change is ever missed: an archivist's edit, a file swapped in with its old time put
back, a row waiting in the journal while the register is open elsewhere, that row written by the next sync.
"""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import generator as api
from generator.registers import open_register
from generator.workflow import lookup
from generator.workflow.find import find_cases
from tests.web_helpers import PROJECT, example_values

OTHER = "عبدالله محمد أحمد الزهراني"


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The registers decoded from their workbook, in order (a reading given again is not a decode)."""
    seen: list[str] = []
    real = lookup._decode

    def counted(project, register_id, *rest):  # type: ignore[no-untyped-def]
        seen.append(register_id)
        return real(project, register_id, *rest)

    monkeypatch.setattr(lookup, "_decode", counted)
    return seen


def names(out: Path) -> list[tuple[str, bool]]:
    return [(h.name, h.pending) for h in find_cases(PROJECT, out)]


def test_an_unchanged_register_is_decoded_once_and_every_change_is_read(tmp_path: Path, decodes: list[str]) -> None:
    out = tmp_path / "out"
    first = api.issue(PROJECT, "application", example_values(), out).reference
    before = len(decodes)
    assert [h.reference for h in find_cases(PROJECT, out, query="عبد الله القحطاني")] == [first]
    assert [h.reference for h in find_cases(PROJECT, out, query="0501234567")] == [first]
    api.read_register(PROJECT, "requests", out)
    assert decodes[before:] == ["requests"]  # three readers, one decode

    register = out / "registers" / "requests.xlsx"
    old = os.stat(register)
    with open_register(register) as tx:  # the archivist fixes the name in the workbook itself
        row = tx.rows()[0]
        tx.update(row.number, {"الاسم الرباعي": OTHER})
    os.utime(register, ns=(old.st_atime_ns, old.st_mtime_ns))  # even with its old time put back
    assert names(out) == [(OTHER, False)]

    locked = register.with_name("~$" + register.name)  # open in Excel: the next case waits in the journal
    locked.write_bytes(b"\x05Sara" + b" " * 48 + b"\x05\x00S\x00a\x00r\x00a\x00")
    second = api.issue(PROJECT, "application", example_values(applicant_name="نورة سعد خالد العتيبي"), out)
    assert second.pending
    assert sorted(names(out)) == sorted([(OTHER, False), ("نورة سعد خالد العتيبي", True)])
    locked.unlink()
    api.sync_registers(PROJECT, out)
    assert sorted(names(out)) == sorted([(OTHER, False), ("نورة سعد خالد العتيبي", False)])
    assert [h.reference for h in find_cases(PROJECT, out, query="نوره العتيبي")] == [second.reference]


def test_readers_racing_a_writer_see_a_whole_register(tmp_path: Path) -> None:
    """Threads searching while cases are issued (each issue writes its row, or leaves it in the journal for a
    moment): every search finds each case once, and every case issued before the search began."""
    out = tmp_path / "out"
    issued = [api.issue(PROJECT, "application", example_values(), out).reference]
    problems: list[str] = []
    done = threading.Event()

    def search() -> None:
        while not done.is_set():
            known = set(issued)  # issued before this search began
            found = [h.reference for h in find_cases(PROJECT, out)]
            if len(found) != len(set(found)):
                problems.append(f"a case found twice: {found}")
            if not known <= set(found):
                problems.append(f"a case issued before the search is missing: {sorted(known - set(found))}")

    readers = [threading.Thread(target=search) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for _ in range(5):
            issued.append(api.issue(PROJECT, "application", example_values(), out).reference)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert problems == []
    assert sorted(h.reference for h in find_cases(PROJECT, out)) == sorted(issued)


_CELL = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False), st.text(max_size=3),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 1, 3)),
)  # fmt: skip


@given(st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=4))
def test_two_rows_share_their_checked_values_only_when_every_cell_is_the_same(pairs: list[tuple[Any, Any]]) -> None:
    """A reading reuses the checked values of an earlier row with the same cells: 1, 1.0 and True, or a date and a
    text, are different cells even where Python calls them equal."""
    first = {f"c{i}": a for i, (a, _) in enumerate(pairs)}
    second = {f"c{i}": b for i, (_, b) in enumerate(pairs)}
    same = all(type(a) is type(b) and a == b for a, b in pairs)
    assert (lookup.row_key(first) == lookup.row_key(second)) is same
