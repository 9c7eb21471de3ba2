"""`wathiqa report --evidence`: one zip an auditor can take away for a period.

It holds the policy booklet, the period's report (PDF and XLSX), a copy of every register as it stands (read,
never written: the bytes of the file, whatever an archivist added), and ``index.txt``, an Arabic index of what
each file evidences. Members are dated the day the pack is made, so the same files give the same zip.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..config.project import Project
from .booklet import BOOKLET_FILE, booklet_pdf
from .view import ReportView, plain
from .wording import Wording

__all__ = ["INDEX_FILE", "evidence_name", "write_evidence"]

INDEX_FILE = "index.txt"


def evidence_name(period_key: str) -> str:
    return f"evidence-{period_key}.zip"


def write_evidence(
    project: Project, out_dir: Path, folder: Path, view: ReportView, wording: Wording, pdf: bytes, xlsx: bytes
) -> Path:
    """Write the evidence zip of ``view``'s period into ``folder``; return its path."""
    from .pipeline import register_path

    words = wording.evidence
    made = view.made_on
    members: list[tuple[str, bytes, str]] = [
        (BOOKLET_FILE, booklet_pdf(project, wording.booklet), words.booklet),
        ("report.pdf", pdf, words.report_pdf),
        ("report.xlsx", xlsx, words.report_xlsx),
    ]
    for register_id, register in project.registers.items():
        path = register_path(out_dir, register_id)
        if path.is_file():
            members.append(
                (f"registers/{path.name}", path.read_bytes(), words.register_copy.format(title=register.title))
            )
    intro = words.intro.format(period=f"{view.period_title} ({plain(view.period_dates)})", date=view.made_on_text)
    lines = [words.title, "", intro, "", f"{words.file}\t{words.evidences}"]
    lines += [f"{name}\t{what}" for name, _, what in members]
    index = ("\n".join(lines) + "\n").encode("utf-8")
    target = folder / evidence_name(view.period.key)
    stamp = (made.year, made.month, made.day, 0, 0, 0)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [(INDEX_FILE, index), *((n, d) for n, d, _ in members)]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return target
