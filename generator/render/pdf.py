"""Print-ready Arabic PDFs with WeasyPrint: one generic HTML layout per document kind, filled or blank.

WeasyPrint's quirks stay in this module:

* it fetches every ``url()`` and ``src`` itself, so it gets a fetcher that serves files from the project's
  templates folder (and the logo) and refuses everything else — no network, no ``..``, no other ``file://``;
* it falls back to any system font without a word, so fonts are shipped in templates/fonts and loaded by
  path (tests check the embedded font names);
* it stamps the current time into a PDF unless told a date, so the creation date is the document's date;
* one PDF per document is slow (start-up of every layout, font subsetting per file), so a batch lays out
  chunks of documents in worker processes, each chunk one PDF, and the chunks are streamed into one file.
"""

from __future__ import annotations

import gc
import io
import logging
import mimetypes
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import jinja2
from markupsafe import Markup, escape
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..config.model import FieldDef, Section
from ..config.project import Project
from ..content.context import DocumentView, gendered
from ..content.text import GREGORIAN_SUFFIX, HIJRI_SUFFIX, to_display_digits, to_hijri
from ..content.validate import WRITTEN_DIGITS
from ..content.wording import Mixed, to_target
from .pdf_codes import PageStamper
from .pdf_join import StreamingPdf

log = logging.getLogger(__name__)

__all__ = ["FetchRefusedError", "PdfRenderer", "ProjectFetcher"]

STYLESHEET = "css/print.css"
"""The shared print stylesheet, relative to the templates folder."""

CHUNK = 25
"""Documents laid out together in one worker task: big enough to amortise a PDF's fixed costs (fonts,
catalogue), small enough that the HTML and layout of a chunk stay a few megabytes."""


class FetchRefusedError(ValueError):
    """Raised when WeasyPrint asks for a resource outside the project's templates folder."""


class ProjectFetcher(URLFetcher):  # type: ignore[misc]
    """Serve ``file:`` URLs inside the allowed folders (and the named files); refuse every other URL."""

    def __init__(self, roots: Iterable[Path], files: Iterable[Path] = ()) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=False)
        self.roots = tuple(root.resolve() for root in roots)
        self.files = frozenset(path.resolve() for path in files)

    def path_of(self, url: str) -> Path:
        """The file a URL names, if it may be read; else :class:`FetchRefusedError`."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise FetchRefusedError(f"refused to fetch {url!r}: only files of the templates folder are served")
        raw = unquote(parts.path)
        if ".." in raw.replace("\\", "/").split("/"):
            raise FetchRefusedError(f"refused to fetch {url!r}: '..' in the path")
        path = Path(url2pathname(parts.path)).resolve()
        allowed = path in self.files or any(path.is_relative_to(root) for root in self.roots)
        if not allowed or not path.is_file():
            raise FetchRefusedError(f"refused to fetch {url!r}: not a file of the templates folder")
        return path

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        try:
            path = self.path_of(url)
        except FetchRefusedError:
            log.warning("refused to fetch %s", url)
            raise
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})


# --------------------------------------------------------------------------------------------- HTML


def css_string(value: object) -> Markup:
    """A CSS string literal (for the page footer), safe inside a ``<style>`` element."""
    out = ['"']
    for ch in str(value):
        if ch in '"\\<>&' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    out.append('"')
    return Markup("".join(out))


def page_code_head(view: DocumentView) -> tuple[str | None, str]:
    """What every page's QR code starts with: the case reference (none on a blank form) and the form code."""
    return (None if view.blank else view.reference), view.document.code


@dataclass(frozen=True)
class Row:
    """One row of a section table: one full-width field, or two half-width fields side by side."""

    cells: tuple[FieldDef, ...]
    kind: str
    """"fields", or "ratings" for a run of rating fields printed as one 1-5 grid."""


def section_rows(section: Section) -> list[Row]:
    """Pair consecutive half-width fields; group runs of rating fields into one grid."""
    rows: list[Row] = []
    pending: FieldDef | None = None
    for field_def in section.fields:
        if field_def.type == "rating":
            if pending is not None:
                rows.append(Row((pending,), "fields"))
                pending = None
            if rows and rows[-1].kind == "ratings":
                rows[-1] = Row((*rows[-1].cells, field_def), "ratings")
            else:
                rows.append(Row((field_def,), "ratings"))
        elif field_def.width == "half" and field_def.type not in ("signature", "thumbprint"):
            if pending is None:
                pending = field_def
            else:
                rows.append(Row((pending, field_def), "fields"))
                pending = None
        else:
            if pending is not None:
                rows.append(Row((pending,), "fields"))
                pending = None
            rows.append(Row((field_def,), "fields"))
    if pending is not None:
        rows.append(Row((pending,), "fields"))
    return rows


def _without_slash(label: str) -> str:
    return label.rstrip("/").rstrip()


class _Page:
    """What the templates see besides the view: formatting helpers bound to one view."""

    def __init__(self, view: DocumentView, logo_url: str) -> None:
        self.view = view
        self.policy = view.policy
        self.labels = view.policy.labels
        self.settings = view.policy.settings
        self.logo_url = logo_url
        self.written_digits = WRITTEN_DIGITS
        """The digit boxes of a blank national ID or mobile: as many as its validator accepts."""

    def digits(self, value: object) -> str:
        return to_display_digits(str(value), self.settings.digits)

    def value(self, field_id: str) -> Markup | None:
        """The printed value of a field, escaped, with its left-to-right parts isolated; None if blank."""
        field_view = self.view.fields[field_id]
        if field_view.display is None:
            return None
        return Markup(escape(to_target(field_view.display, "html")))

    def wording(self, source: str | None) -> Markup:
        return Markup(self.view.wording(source, "html"))

    def isolated(self, text: str) -> Markup:
        return Markup('<bdi dir="ltr">{}</bdi>').format(text)

    def date_of(self, value: date | None) -> Markup | None:
        text = self.view.date_text(value)
        return None if text is None else Markup(to_target(text, "html"))

    def date_lines(self, value: date) -> tuple[Markup, Markup]:
        """A date in the policy's primary calendar, and «الموافق …» in the other: two lines of a letterhead."""
        text = self.view.date_text(value)
        assert text is not None
        first, *rest = text
        return Markup(to_target(first, "html")), Markup(to_target(Mixed(tuple(rest)), "html")).strip()

    def g(self, masculine: str, feminine: str) -> str:
        return str(gendered(self.view.gender)(masculine, feminine))

    def addressee(self) -> tuple[str, str]:
        """«المكرم/» and «المحترم» by the record's gender; the combined forms on a blank letter."""
        labels = self.labels
        if self.view.gender == "female":
            return labels.addressee_f, labels.honorific_f
        if self.view.gender == "male":
            return labels.addressee_m, labels.honorific_m
        both = gendered(None)
        opening = both(_without_slash(labels.addressee_m), _without_slash(labels.addressee_f)) + "/"
        return opening, both(labels.honorific_m, labels.honorific_f)

    def rows(self, section: Section) -> list[Row]:
        return section_rows(section)

    @cached_property
    def corrected(self) -> Markup | None:
        """«نسخة مصححة» and the day of the correction, on a document re-issued after its data was corrected."""
        day = self.view.extras.get("corrected_on")
        if not isinstance(day, date) or self.view.blank:
            return None
        return Markup("{} {}").format(self.labels.corrected, self.date_of(day))

    @property
    def draft(self) -> str | None:
        """«مسودة» across every page of a preview (a filled document not issued: it has no reference)."""
        return self.labels.draft if self.view.extras.get("draft") and not self.view.blank else None

    @property
    def date_suffix(self) -> str:
        return HIJRI_SUFFIX if self.settings.calendar == "hijri" else GREGORIAN_SUFFIX

    @cached_property
    def hijri_year_prefix(self) -> str:
        """The century printed in a blank Hijri year box («١٤..»), from the document's issue date."""
        year = to_hijri(self.view.document.issued)[0]
        return self.digits(str(year)[:2])

    @cached_property
    def created(self) -> str:
        """The PDF creation date: the issue date of a filled document, the version date of a blank one."""
        when = self.view.issue_date if self.view.issue_date and not self.view.blank else self.view.document.issued
        return f"{when.isoformat()}T00:00:00+03:00"

    @cached_property
    def footer(self) -> str:
        doc = self.view.document
        issued = self.view.date_text(doc.issued)
        issued_text = str(issued).split(f" {self.labels.corresponding} ")[0] if issued else ""
        return (
            f"{self.labels.form_code}: {doc.code}  ·  {self.labels.version}: {self.digits(doc.version)}"
            f"  ·  {self.labels.issued}: {issued_text}"
        )


def template_environment(templates_dir: Path) -> jinja2.Environment:
    """The environment of the HTML templates (trusted files): autoescape on, a missing name is an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir / "html"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = css_string
    return env


# --------------------------------------------------------------------------------------------- PDF


class _Engine:
    """WeasyPrint with its font configuration, fetcher and stylesheet made once and reused."""

    def __init__(self, templates_dir: Path, logo_path: Path) -> None:
        self.templates_dir = templates_dir
        self.base_url = (templates_dir / "html").as_uri() + "/"
        self.fetcher = ProjectFetcher([templates_dir], [logo_path])
        self.font_config = FontConfiguration()
        stylesheet = templates_dir / STYLESHEET
        self.css = CSS(
            string=stylesheet.read_text(encoding="utf-8"),
            base_url=stylesheet.as_uri(),
            url_fetcher=self.fetcher,
            font_config=self.font_config,
        )
        self.image_cache: dict[str, Any] = {}

    def document(self, markup: str) -> Any:
        html = HTML(string=markup, base_url=self.base_url, url_fetcher=self.fetcher)
        return html.render(font_config=self.font_config, stylesheets=[self.css], cache=self.image_cache)

    def pdf(
        self, documents: list[Any], variant: str | None, codes: Sequence[tuple[str | None, str]] | None = None
    ) -> bytes:
        """The documents as one PDF; with ``codes`` (each document's reference and form code), every page
        carries its own QR code (:mod:`.pdf_codes`)."""
        pages = [page for document in documents for page in document.pages]
        combined = documents[0].copy(pages)
        options: dict[str, Any] = {"pdf_identifier": b"wathiqa", "uncompressed_pdf": False}
        if variant:
            options["pdf_variant"] = variant
        finisher = None
        if codes is not None:
            heads = [(ref, form, len(d.pages)) for (ref, form), d in zip(codes, documents, strict=True)]
            finisher = PageStamper(heads)
        out: bytes = combined.write_pdf(finisher=finisher, **options)
        return out


_WORKER: PdfRenderer | None = None
"""The renderer of a worker process, made by :func:`_init_worker`."""


def _init_worker(project: Project, archival: bool | None, owner: int) -> None:
    global _WORKER
    from ..processes import exit_with

    # A renderer ends with the process that started the batch, however that one ends: a merge killed in its
    # PDF phase left its renderers, the fork server and the resource tracker running (~300 MB) before.
    exit_with(owner)
    _WORKER = PdfRenderer(project, archival=archival)
    gc.freeze()  # what the worker keeps for its lifetime is never scanned again


def _render_chunk(views: list[DocumentView], variant: str | None) -> tuple[bytes, list[int]]:
    """Worker task: make the HTML of a chunk of documents and lay it out into one PDF.

    The HTML (and its QR codes) is made here rather than in the parent, so that all the work of a batch is
    spread over the workers and the parent only streams finished chunks into the output.
    """
    assert _WORKER is not None, "worker not initialised"
    # Layout makes hundreds of thousands of short-lived objects; the cyclic collector scanning them while a
    # chunk is laid out costs ~15% and frees little. Collect once per chunk instead.
    gc.disable()
    try:
        return _WORKER._render_here(views, variant)
    finally:
        gc.enable()
        gc.collect()


class PdfRenderer:
    """Render document views to PDF: one document, or a batch as one print-ready file."""

    def __init__(self, project: Project, *, archival: bool | None = None) -> None:
        self.project = project
        self.archival = archival
        self.templates_dir = project.templates_dir
        self._env = template_environment(self.templates_dir)
        self._template = self._env.get_template("document.html")
        self._engine: _Engine | None = None

    # ----------------------------------------------------------------------------------------- HTML

    def _logo_url(self) -> str:
        return self.project.logo_path.as_uri()

    def _markup(self, view: DocumentView, *, standalone: bool) -> str:
        page = _Page(view, self._logo_url())
        css_url = (self.templates_dir / STYLESHEET).as_uri() if standalone else None
        return self._template.render(
            view=view,
            doc=view.document,
            policy=view.policy,
            labels=view.policy.labels,
            p=page,
            stylesheet=css_url,
        )

    def html(self, view: DocumentView) -> str:
        """The complete HTML of one document (stylesheet linked), for tests and debugging."""
        return self._markup(view, standalone=True)

    # ----------------------------------------------------------------------------------------- PDF

    def variant_for(self, view: DocumentView) -> str | None:
        """PDF/A for filled documents when the policy (or the caller) asks for it; blank forms stay plain."""
        setting = self.project.policy.settings.archival_pdf
        if self.archival is False or view.blank:
            return None
        if self.archival is True:
            return setting or "pdf/a-3b"
        return setting

    @property
    def engine(self) -> _Engine:
        if self._engine is None:
            self._engine = _Engine(self.templates_dir, self.project.logo_path)
        return self._engine

    def render(self, view: DocumentView) -> bytes:
        """One document as PDF bytes."""
        document = self.engine.document(self._markup(view, standalone=False))
        return self.engine.pdf([document], self.variant_for(view), [page_code_head(view)])

    def render_batch(self, views: Iterable[DocumentView], *, workers: int = 2) -> bytes:
        """Every view in order as one print-ready PDF; each document keeps its own reference and page count."""
        out = io.BytesIO()
        self.write_batch(views, out, workers=workers)
        return out.getvalue()

    def write_batch(
        self,
        views: Iterable[DocumentView],
        target: IO[bytes],
        *,
        workers: int = 2,
        chunk: int = CHUNK,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Stream a batch into ``target``; return the number of documents written.

        The views of at most ``2 * workers`` chunks exist at any time, and each finished chunk is copied into
        ``target`` as it arrives, so memory does not grow with the batch. The chunks are fixed by ``chunk``,
        not by ``workers``, so the bytes are the same whatever the number of workers.
        """
        writer = StreamingPdf(target)
        chunks = self._chunks(views, chunk)
        count = 0
        first = True

        def take(result: tuple[bytes, list[int]]) -> None:
            nonlocal count, first
            pdf_bytes, page_counts = result
            writer.add(pdf_bytes, catalogue=first)
            first = False
            count += len(page_counts)
            if progress is not None:
                progress(count)

        if workers <= 1:
            for batch, variant in chunks:
                take(self._render_here(batch, variant))
        else:
            with self._pool(workers) as pool:
                pending: list[Future[tuple[bytes, list[int]]]] = []
                for batch, variant in chunks:
                    pending.append(pool.submit(_render_chunk, batch, variant))
                    if len(pending) >= 2 * workers:
                        take(pending.pop(0).result())
                for future in pending:
                    take(future.result())
        writer.close()
        return count

    def _chunks(self, views: Iterable[DocumentView], size: int) -> Iterator[tuple[list[DocumentView], str | None]]:
        """Chunks of views, taken lazily; a chunk holds documents of one PDF variant."""
        iterator = iter(views)
        held: DocumentView | None = None
        while True:
            batch = [held] if held is not None else []
            held = None
            batch += list(islice(iterator, size - len(batch)))
            if not batch:
                return
            variant = self.variant_for(batch[0])
            same = [v for v in batch if self.variant_for(v) == variant]
            if len(same) < len(batch):  # split at the first view of another variant
                cut = next(i for i, v in enumerate(batch) if self.variant_for(v) != variant)
                rest = batch[cut:]
                batch = batch[:cut]
                iterator = chain(rest, iterator)
            yield batch, variant

    def _render_here(self, views: list[DocumentView], variant: str | None) -> tuple[bytes, list[int]]:
        documents = [self.engine.document(self._markup(view, standalone=False)) for view in views]
        codes = [page_code_head(view) for view in views]
        return self.engine.pdf(documents, variant, codes), [len(d.pages) for d in documents]

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_worker_context(),
            initializer=_init_worker,
            initargs=(self.project, self.archival, os.getpid()),
        )


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers come from a fork server, never from a fork of this process: forking a threaded process (the
    office app's server) can copy a lock held by another thread and hang the child. The fork server is a fresh,
    single-threaded process that has imported this module (and WeasyPrint) once, so each worker starts in
    milliseconds; where there is no fork server (Windows) workers are spawned."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context
