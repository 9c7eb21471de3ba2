"""`wathiqa check` renders everything once, in memory, so that nothing it accepts can fail at print time.

Every document is rendered blank and filled with its own examples (as `wathiqa example` prints them, with a
sample reference and today's date), together with the documents issued with it, through the same renderers
`build` and `issue` use: the HTML of the PDF (the templates, the wording, the values), the whole DOCX, and
every register as XLSX with the row its example would append. Nothing is written.

Not rehearsed: WeasyPrint's page layout of that HTML (seconds per document; it lays out any HTML the
templates produce) and the register engine's byte-level append (its input, the row, is rehearsed).
A fault found here is reported as a problem of the document's YAML file: it is a combination the loader's
checks did not foresee, and the message says what the renderer refused.

A rehearsal that passed is remembered (:func:`rehearsed_before`, :func:`remember_rehearsal`) under a
fingerprint of everything it depends on: the policy and forms, the templates and fonts, wathiqa's own code, the
renderers' versions and the day. `wathiqa check` of a project that has not changed since then renders nothing
and imports no renderer, so it answers at once.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

from ..config.model import Document
from ..config.project import Project
from ..content.context import build_view
from ..content.examples import example_fields
from ..content.records import check_record
from ..content.text import to_hijri
from ..content.text import today as issue_day
from ..errors import InputError, Problem, ProjectError

log = logging.getLogger(__name__)


def rehearse(project: Project, *, today: date | None = None) -> None:
    """Render every document and register in memory; :class:`ProjectError` listing what could not be."""
    problems = list(_rehearsal_problems(project, today or issue_day(project.policy)))
    if problems:
        raise ProjectError("the project does not render:", problems)


RENDERERS = ("wathiqa", "weasyprint", "docxtpl", "python-docx", "openpyxl", "jinja2", "pydyf", "fonttools")
"""Distributions whose version is part of a rehearsal's fingerprint."""

KEEP = 64
"""Fingerprints remembered at most (the oldest are forgotten)."""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wathiqa" / "rehearsed"


def fingerprint(project: Project, today: date) -> str:
    """A digest of everything a rehearsal's outcome depends on."""
    digest = hashlib.sha256(today.isoformat().encode())
    for name in RENDERERS:
        try:
            digest.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=-;".encode())
    code = Path(__file__).resolve().parent.parent
    files = [project.policy_path, *project.sources.values(), project.logo_path]
    files += sorted(project.templates_dir.rglob("*")) + sorted(code.rglob("*.py")) + sorted(code.rglob("*.html"))
    for path in files:
        if path.is_file():
            data = path.read_bytes()
            digest.update(f"{path.resolve()}:{len(data)}:".encode())
            digest.update(data)
    return digest.hexdigest()


def rehearse_once(project: Project, *, today: date | None = None) -> None:
    """Rehearse the project unless it passed exactly as it is now; remember a pass only if no file changed while
    it ran (an edit saved during the check was not what was rehearsed)."""
    day = today or issue_day(project.policy)
    if rehearsed_before(project, today=day):
        return
    before = fingerprint(project, day)
    rehearse(project, today=day)
    if fingerprint(project, day) == before:
        remember_rehearsal(project, today=day, known=before)
    else:
        log.info("the project changed during the check: its rehearsal is not remembered")


def rehearsed_before(project: Project, *, today: date | None = None) -> bool:
    """Whether the project, exactly as it is now, passed a rehearsal today."""
    if os.environ.get("WATHIQA_FAULT"):
        return False
    return (_cache_dir() / fingerprint(project, today or issue_day(project.policy))).is_file()


def remember_rehearsal(project: Project, *, today: date | None = None, known: str | None = None) -> None:
    """Note that the project passed its rehearsal (``known``: its fingerprint taken before the rehearsal); a
    cache that cannot be written is only logged."""
    folder = _cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / (known or fingerprint(project, today or issue_day(project.policy)))).touch()
        kept = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
        for old in kept[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError as err:
        log.info("the rehearsal is not remembered (%s): %s", folder, err)


def example_record(project: Project, document: Document) -> dict[str, Any]:
    """The document's examples as a validated record (the values `wathiqa example` prints)."""
    record, _issues = check_record(document, project.policy, dict(example_fields(document)), ignore_unknown=True)
    return record


def sample_reference(project: Project, document: Document, today: date) -> str:
    """A reference of the document's scheme (sequence 1), or a neutral one for documents without a scheme."""
    if document.numbering is None or document.numbering not in project.policy.numbering:
        return "REF-1"
    scheme = project.policy.numbering[document.numbering]
    return scheme.format(scheme.prefix_for(to_hijri(today)[0], today.year), 1)


def _rehearsal_problems(project: Project, today: date) -> Iterator[Problem]:
    from ..registers.rows import row_for
    from .docx import DocxRenderer
    from .pdf import PdfRenderer
    from .xlsx import build_register

    pdf = PdfRenderer(project)
    docx = DocxRenderer(project)
    policy = project.policy
    for document in project.documents.values():
        record = example_record(project, document)
        reference = sample_reference(project, document, today)
        views = [("blank", build_view(document, policy, None))]
        for doc in [document, *(project.documents[i] for i in document.issue_with)]:
            filled = build_view(doc, policy, record, reference=reference, issue_date=today)
            views.append((f"example of {document.id}", filled))
        for what, view in views:
            yield from _attempt(project, view.document.id, f"PDF of the {what}", pdf.html, view)
            yield from _attempt(project, view.document.id, f"DOCX of the {what}", docx.render, view)
        register_id = document.register_id
        if register_id is not None and register_id in project.registers:
            extra = dict(project.registers[register_id].initial)
            row = functools.partial(row_for, reference=reference, issue_date=today, extra=extra)
            what = f"row of its example in register {register_id}"
            yield from _attempt(project, document.id, what, row, project, register_id, record)
    for register_id in project.registers:
        yield from _attempt(project, register_id, "XLSX", build_register, project, register_id)


def _attempt(project: Project, item_id: str, what: str, render: Callable[..., object], *args: Any) -> list[Problem]:
    """Run one render; any fault becomes a problem of the item's YAML file (the point of the rehearsal)."""
    try:
        render(*args)
    except InputError as err:
        return err.problems or [_problem(project, item_id, what, err)]
    except Exception as err:
        log.debug("rehearsal of %s (%s) failed", item_id, what, exc_info=err)
        return [_problem(project, item_id, what, err)]
    return []


def _problem(project: Project, item_id: str, what: str, err: Exception) -> Problem:
    source = str(project.sources.get(item_id) or item_id)
    detail = (str(err).splitlines() or [""])[0]
    return Problem(source, None, None, "", f"cannot be rendered ({what}): {type(err).__name__}: {detail}")
