"""Reference numbers from the office database: once given, never given again.

The next number of a scheme and prefix (``REQ-1448-``) is one more than the highest ever given, kept in the
office database, which archivists do not edit. Deleting the last row of a register therefore changes nothing.
On first use of a prefix (a new database, a new year, a database recovered after loss) the count starts from
the highest number found in the registers and the case folders, so no number already on paper is reused.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

__all__ = ["allocate", "give_back", "highest_in_case_folders"]


def allocate(conn: sqlite3.Connection, scheme: str, prefix: str, floor: Callable[[], int], count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers; return the first. Call inside ``OfficeDB.write()``.

    ``floor`` gives the highest number already used outside the database; it is asked only when the
    database has no count for this prefix yet.
    """
    row = conn.execute("SELECT last FROM sequences WHERE scheme = ? AND prefix = ?", (scheme, prefix)).fetchone()
    last = int(row[0]) if row else max(0, floor())
    conn.execute(
        "INSERT INTO sequences (scheme, prefix, last) VALUES (?, ?, ?) "
        "ON CONFLICT (scheme, prefix) DO UPDATE SET last = excluded.last",
        (scheme, prefix, last + count),
    )
    return last + 1


def give_back(conn: sqlite3.Connection, scheme: str, prefix: str, first: int, count: int = 1) -> bool:
    """Return numbers that were reserved but never printed nor recorded (rendering failed), if no number
    was given after them; a number that reached paper or a register is never given back."""
    cur = conn.execute(
        "UPDATE sequences SET last = ? WHERE scheme = ? AND prefix = ? AND last = ?",
        (first - 1, scheme, prefix, first + count - 1),
    )
    return cur.rowcount == 1


def highest_in_case_folders(cases: Path, prefix: str) -> int:
    """The highest number of a case folder named ``prefix + digits``; 0 when there is none."""
    if not cases.is_dir():
        return 0
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    highest = 0
    for entry in cases.iterdir():
        if m := pattern.fullmatch(entry.name):
            highest = max(highest, int(m.group(1)))
    return highest
