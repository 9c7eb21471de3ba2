"""Giving references: the office database's sequence, seeded from what is already on paper."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

from ..config.project import Project
from ..content.text import to_hijri
from ..office.sequences import allocate, highest_in_case_folders
from .sync import reference_label, register_path

__all__ = ["allocate_references", "highest_on_paper", "prefix_of"]


def prefix_of(project: Project, scheme_id: str, day: date) -> str:
    return project.policy.numbering[scheme_id].prefix_for(to_hijri(day)[0], day.year)


def highest_on_paper(project: Project, out_dir: Path, scheme_id: str, prefix: str) -> int:
    """The highest number with ``prefix`` in the registers numbered by the scheme and in the case folders."""
    from ..registers import read_register

    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    highest = highest_in_case_folders(out_dir / "cases", prefix)
    for manifest in (out_dir / "batches").glob("*/letters.json"):  # decision letters, recorded or not
        text = manifest.read_text(encoding="utf-8", errors="replace")
        highest = max([highest, *(int(found) for found in pattern.findall(text))])
    register_ids = {r.id for r in project.registers.values() if r.numbering == scheme_id}
    register_ids |= {d.register_id for d in project.documents.values() if d.numbering == scheme_id and d.register_id}
    for register_id in sorted(register_ids):
        path = register_path(out_dir, register_id)
        if not path.is_file():
            continue
        label = reference_label(project, register_id)
        _, rows = read_register(path, sheet=project.registers[register_id].sheet)
        for row in rows:
            value = row.values.get(label)
            if isinstance(value, str) and (m := pattern.fullmatch(value.strip())):
                highest = max(highest, int(m.group(1)))
    return highest


def allocate_references(
    conn: sqlite3.Connection, project: Project, out_dir: Path, scheme_id: str, day: date, count: int = 1
) -> list[str]:
    """Reserve ``count`` consecutive references of the scheme (inside ``OfficeDB.write()``)."""
    scheme = project.policy.numbering[scheme_id]
    prefix = prefix_of(project, scheme_id, day)
    first = allocate(conn, scheme_id, prefix, lambda: highest_on_paper(project, out_dir, scheme_id, prefix), count)
    return [scheme.format(prefix, first + i) for i in range(count)]
