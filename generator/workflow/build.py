"""`wathiqa build`: the blank kit — every document as PDF and DOCX, every register as XLSX, and the policy
booklet (blank/policy.pdf) for the board to approve.

Everything is rendered into a staging folder first; ``blank/`` is swapped in only when complete, so a failure
leaves the previous kit as it was, and two builds at once swap their kits one after the other. Registers under
``registers/`` hold the archivists' rows: build creates a missing register from the definition, only if it is
still missing at that instant (a case issued meanwhile may have created it, with its row); of an existing one it
only brings the dropdown lists up to date with the policy (``generator.registers.lists``), under the register's
lock, leaving the archivists' rows and everything else as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from ..config.project import Project
from ..content.context import build_view
from ..errors import UsageError
from ..faults import fault_point
from .folders import create_if_absent, ensure_writable_dir, staged_dir

log = logging.getLogger(__name__)


def build_kit(project: Project, out_dir: Path, only: Sequence[str] | None = None) -> list[Path]:
    """Write the blank kit under ``out_dir``; return the files written."""
    wanted = _select(project, only)
    from ..reports.booklet import BOOKLET_FILE, booklet_pdf
    from ..reports.wording import load_wording

    booklet = None if only else load_wording(project).booklet  # the whole kit has the policy booklet too
    from ..render.docx import DocxRenderer
    from ..render.pdf import PdfRenderer
    from ..render.xlsx import build_register

    ensure_writable_dir(out_dir)
    pdf = PdfRenderer(project)
    docx = DocxRenderer(project)
    written: list[Path] = []
    blank = out_dir / "blank"
    with staged_dir(blank) as stage:
        if only and blank.exists():  # a partial build keeps the other documents of the kit
            for old in blank.iterdir():
                if old.is_file():
                    (stage / old.name).write_bytes(old.read_bytes())
        for doc_id in wanted["documents"]:
            view = build_view(project.documents[doc_id], project.policy, None)
            (stage / f"{doc_id}.pdf").write_bytes(pdf.render(view))
            (stage / f"{doc_id}.docx").write_bytes(docx.render(view))
            written += [blank / f"{doc_id}.pdf", blank / f"{doc_id}.docx"]
            log.info("built %s", doc_id)
        for reg_id in wanted["registers"]:
            (stage / f"{reg_id}.xlsx").write_bytes(build_register(project, reg_id))
            written.append(blank / f"{reg_id}.xlsx")
        if booklet is not None:
            (stage / BOOKLET_FILE).write_bytes(booklet_pdf(project, booklet))
            written.append(blank / BOOKLET_FILE)
    for reg_id in wanted["registers"]:
        target = out_dir / "registers" / f"{reg_id}.xlsx"
        if not target.exists():
            fault_point("build.register-absent")
            if create_if_absent(target, (blank / f"{reg_id}.xlsx").read_bytes()):  # never over a register
                written.append(target)  # a case issued meanwhile created, with its row
                continue
        if _refresh_lists(project, reg_id, target):  # under the register's lock, rows kept
            written.append(target)
    return written


def _refresh_lists(project: Project, reg_id: str, target: Path) -> bool:
    """An existing register keeps its rows; only its dropdown lists follow the policy. A register that is
    locked or open in Excel is left for the next build, with a warning, rather than failing the kit."""
    from ..registers import RegisterError
    from ..registers.lists import refresh_lists

    try:
        updated = refresh_lists(project, reg_id, target)
    except RegisterError as err:
        log.warning("could not update the lists of %s; run build again later: %s", target, err)
        return False
    if updated:
        log.info("updated the lists of %s", target)
    else:
        log.info("kept existing register %s", target)
    return updated


def _select(project: Project, only: Sequence[str] | None) -> dict[str, list[str]]:
    if not only:
        return {"documents": list(project.documents), "registers": list(project.registers)}
    unknown = [i for i in only if i not in project.documents and i not in project.registers]
    if unknown:
        known = ", ".join([*project.documents, *project.registers])
        raise UsageError(f"unknown id {', '.join(map(repr, unknown))}; the ids are: {known}")
    return {
        "documents": [i for i in only if i in project.documents],
        "registers": [i for i in only if i in project.registers],
    }
