"""The pages waiting for a clerk, and the files already scanned: two tables of the office database.

A waiting page keeps two pictures under ``OUT/scans/`` (never where the office app serves files from on its
own): the page, upright, to file it once a clerk says where it belongs, and a small thumbnail for the list.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image

from ..office.accounts import now_utc
from ..office.db import OfficeDB
from ..workflow.folders import atomic_write_bytes
from .reasons import Reason

__all__ = [
    "SCANS_DIR",
    "Waiting",
    "discard",
    "mark_filed",
    "page_jpeg",
    "queue_page",
    "record_file",
    "scanned_before",
    "waiting",
    "waiting_page",
]

SCANS_DIR: Final = "scans"
THUMB_WIDTH: Final = 240
JPEG_QUALITY: Final = 80


@dataclass(frozen=True)
class Waiting:
    """One page in the queue."""

    id: int
    source: str
    page: int
    reason: str
    code: str
    image: str
    thumbnail: str
    created: str


def page_jpeg(image: Image.Image) -> bytes:
    """A page picture as JPEG bytes (grayscale; a scan is stored as a scanner stores it)."""
    from io import BytesIO

    out = BytesIO()
    image.convert("L").save(out, "JPEG", quality=JPEG_QUALITY)  # no optimize pass: 4x the time
    return out.getvalue()


def queue_page(
    db: OfficeDB, out_dir: Path, image: Image.Image, source: str, page: int, reason: Reason, code: str = ""
) -> int:
    """Keep the page and its thumbnail under ``OUT/scans/`` and put it in the queue; return its id."""
    folder = out_dir / SCANS_DIR
    name = secrets.token_hex(8)
    atomic_write_bytes(folder / f"{name}.jpg", page_jpeg(image))
    thumb = image.copy()
    thumb.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
    atomic_write_bytes(folder / f"{name}-thumb.jpg", page_jpeg(thumb))
    with db.write() as conn:
        cursor = conn.execute(
            "INSERT INTO scan_queue (source, page, reason, code, image, thumbnail, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (source, page, reason, code, f"{name}.jpg", f"{name}-thumb.jpg", now_utc()),
        )
        return int(cursor.lastrowid or 0)


def waiting(db: OfficeDB) -> list[Waiting]:
    """Every page still waiting, oldest first."""
    if not db.exists():
        return []
    with db.read() as conn:
        rows = conn.execute(
            "SELECT id, source, page, reason, code, image, thumbnail, created FROM scan_queue "
            "WHERE state = 'waiting' ORDER BY id"
        ).fetchall()
    return [Waiting(*row) for row in rows]


def waiting_page(db: OfficeDB, page_id: int) -> Waiting | None:
    with db.read() as conn:
        row = conn.execute(
            "SELECT id, source, page, reason, code, image, thumbnail, created FROM scan_queue "
            "WHERE id = ? AND state = 'waiting'",
            (page_id,),
        ).fetchone()
    return Waiting(*row) if row else None


def mark_filed(conn: sqlite3.Connection, page_id: int, actor: str, filed_as: str) -> bool:
    """Inside ``OfficeDB.write()``: the page is filed; False if it was no longer waiting (another clerk)."""
    cursor = conn.execute(
        "UPDATE scan_queue SET state = 'filed', resolved = ?, actor = ?, filed_as = ? "
        "WHERE id = ? AND state = 'waiting'",
        (now_utc(), actor, filed_as, page_id),
    )
    return bool(cursor.rowcount)


def discard(db: OfficeDB, page_id: int, actor: str) -> bool:
    """The clerk throws the page away (a blank back, another office's paper); False if it was not waiting."""
    with db.write() as conn:
        cursor = conn.execute(
            "UPDATE scan_queue SET state = 'discarded', resolved = ?, actor = ? WHERE id = ? AND state = 'waiting'",
            (now_utc(), actor, page_id),
        )
        return bool(cursor.rowcount)


def scanned_before(db: OfficeDB, sha256: str) -> bool:
    if not db.exists():
        return False
    with db.read() as conn:
        return conn.execute("SELECT 1 FROM scan_files WHERE sha256 = ?", (sha256,)).fetchone() is not None


def record_file(db: OfficeDB, sha256: str, name: str, pages: int, actor: str) -> None:
    with db.write() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO scan_files (sha256, name, pages, scanned, actor) VALUES (?, ?, ?, ?, ?)",
            (sha256, name, pages, now_utc(), actor),
        )
