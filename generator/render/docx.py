"""Editable Arabic DOCX: docxtpl templates filled from a :class:`DocumentView`, compiled once.

Four generic templates (``templates/docx/{form,letter,declaration,survey}.docx``) fill any document from its
YAML: sections, fields, options and wording arrive as plain data through :func:`docx_context`, so a new form
in ``forms/`` needs no new template. Every value is turned into text here, with its codes, dates and numbers
wrapped in LRI…PDI (:func:`generator.content.wording.to_target`); the template escapes it (``autoescape=True``), so
``&``, ``<``, quotes and ``{{ }}`` print as typed and a newline becomes a line break.

The fast path: docxtpl re-reads the package, re-patches the XML and re-compiles Jinja on every render (about
20 ms of a 28 ms letter). :class:`CompiledTemplate` does that once per template, then per record it only
renders the Jinja, finishes the XML exactly as ``DocxTemplate.render`` does (docxtpl's own functions, so the
document XML is byte-for-byte the same) and writes the zip, copying the unchanged parts' compressed bytes.

The page code as a QR code: the letterhead (the page header, so Word repeats it on every page) holds, inside
``{%p if qr %}``, a picture named ``wathiqa-qr`` (:data:`QR_PICTURE`) whose media part is a placeholder. Every
document gets that part replaced by the PNG of its page code (:func:`docx_page_code`, :func:`qr_png`, stored as
is: a PNG is already compressed). Word, not wathiqa, breaks a DOCX into pages, and a field such as PAGE cannot
reach inside a picture, so the one code of every page cannot say which page it is: letters and declarations,
one page by design, say ``1/1``; other documents say ``0/0``, "a page of this document", which the scanner
never files on its own (:mod:`generator.scan`). A template without the picture loses the part and its
relationship. The XML stays a pure function of the view.
"""

from __future__ import annotations

import copy
import io
import logging
import re
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import jinja2
import segno
from docx.opc.oxml import serialize_part_xml
from docx.oxml.parser import parse_xml
from docxtpl import DocxTemplate
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree

from ..config.model import PAPER_ONLY_TYPES, FieldDef, Section
from ..config.project import Project
from ..content.context import DOTS, DocumentView, FieldView, dual_date, gendered
from ..content.page_code import PageCode
from ..content.text import GREGORIAN_SUFFIX, HIJRI_SUFFIX, to_display_digits, to_hijri
from ..content.validate import WRITTEN_DIGITS
from ..content.wording import Isolated, to_target
from ..errors import Problem, ProjectError
from ..ooxml import archive, markup
from ..ooxml.archive import Member

log = logging.getLogger(__name__)

TEMPLATE_KINDS = ("form", "letter", "declaration", "survey")
CHOICE_TYPES = frozenset({"choice", "multi_choice", "yes_no", "rating"})
ROOM_LINES = {"signature": 1, "thumbprint": 3}
"""Handwriting lines of the paper-only fields, whatever ``lines:`` says (a signature's one line holds its date)."""


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # every member's time: same input, same bytes
_DEFLATE_LEVEL = 6
QR_PICTURE = "wathiqa-qr"
"""The ``wp:docPr`` name of the template's QR picture (made by :mod:`generator.render.docx_templates`)."""
_QR_SCALE = 8  # pixels per module; the picture is drawn 20 mm wide whatever its pixels
_QR_BORDER = 4  # modules of quiet zone: the standard's, as on the PDF
_NS = {
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
_RELS = f"{{{markup.NS_PACKAGE_RELATIONSHIPS}}}Relationship"


def template_environment() -> ImmutableSandboxedEnvironment:
    """The Jinja environment of DOCX templates: sandboxed, strict, XML-escaped.

    Templates are files staff edit in Word, so they render sandboxed, and a misspelt name is an error rather
    than an empty gap. Values are already text (isolated by :func:`to_target`), so nothing else is needed.
    """
    return ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=True)


def qr_png(text: str) -> bytes:
    """``text`` as a black-on-white QR code PNG; segno writes no time, so one text gives one PNG."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=_QR_SCALE, border=_QR_BORDER)
    return out.getvalue()


ONE_PAGE_KINDS: Final = frozenset({"letter", "declaration"})
"""Kinds printed on one page by design (checked in Word and Writer by the tests): their DOCX code says 1/1."""


def docx_page_code(view: DocumentView) -> PageCode:
    """The code every page of the DOCX carries: the case (none on a blank form), the form, and the page only
    where the document is one page by design (see the module's docstring)."""
    pages = 1 if view.document.kind in ONE_PAGE_KINDS else 0
    return PageCode(None if view.blank else view.reference, view.document.code, pages, pages)


# --------------------------------------------------------------------------------------------- context


_LRM = "\u200e"
_WORD_JOINER = "\u2060"
_ISOLATED_DATE = re.compile(
    "\u2066([0-9\u0660-\u0669]{1,4}(?:/\u2060?[0-9\u0660-\u0669]{1,4}){2}(?:هـ|م)?)\u2069"
)


def whole_dates(text: str, corresponding: str) -> str:
    """Dates as one unbreakable unit in a word processor: LibreOffice Writer breaks a date isolated in LRI…PDI
    after its «/» despite word joiners, and shrinks the space after PDI to nothing («١٤٤٨هـالموافق»). A
    numeric date needs no isolate (digits and «/» keep their order in a right-to-left line), so it is marked
    with LRM on both sides instead, and «الموافق» between two dates is held to them by no-break spaces."""
    if "\u2066" not in text:
        return text
    text = _ISOLATED_DATE.sub(lambda m: _LRM + m.group(1).replace(_WORD_JOINER, "") + _LRM, text)
    return text.replace(f"{_LRM} {corresponding} {_LRM}", f"{_LRM}\u00a0{corresponding}\u00a0{_LRM}")


def _corrected_note(view: DocumentView) -> str:
    """On a document re-issued after a correction: «نسخة مصححة» and its day, after the control line's date (the
    committed templates print ``doc.issued`` in every footer, so no template has to change)."""
    day = view.extras.get("corrected_on")
    if not isinstance(day, date) or view.blank:
        return ""
    labels = view.policy.labels
    return f"   |   {labels.corrected} {_text(dual_date(day, view.policy))}"


def _whole_dates_in(value: Any, corresponding: str) -> Any:
    """:func:`whole_dates` over every string of the context."""
    if isinstance(value, str):
        return whole_dates(value, corresponding)
    if isinstance(value, dict):
        return {key: _whole_dates_in(item, corresponding) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_dates_in(item, corresponding) for item in value]
    return value


def _text(value: Any) -> str:
    """A display value (str, Isolated, Mixed or None) as plain text with its left-to-right parts isolated."""
    if value is None:
        return ""
    return str(to_target(value, "text"))


def _gendered_label(masculine: str, feminine: str, gender: str | None) -> str:
    """«المكرم/» and «المكرمة/» by the record's gender; the combined «المكرم/ـة/» on a blank letter."""
    slash = "/" if masculine.endswith("/") and feminine.endswith("/") else ""
    word: str = gendered(gender)(masculine.removesuffix(slash), feminine.removesuffix(slash))
    return word + slash


def signature_text(view: DocumentView) -> str:
    """What a signature field's answer cell holds, as on the PDF: a dotted line to sign on, then the date to
    write by hand, «التاريخ: ……/……/١٤……هـ» (the Hijri century taken from the document's issue date)."""
    policy = view.policy
    digits = policy.settings.digits
    if policy.settings.calendar == "hijri":
        year, suffix = to_display_digits(str(to_hijri(view.document.issued)[0])[:2], digits) + DOTS, HIJRI_SUFFIX
    else:
        year, suffix = DOTS, GREGORIAN_SUFFIX
    return f"{DOTS * 3}    {policy.labels.date}: {DOTS}/{DOTS}/{year}{suffix}"


def date_box_parts(view: DocumentView) -> dict[str, str]:
    """What the date boxes print: the calendar's suffix, and the century of a date written on the day of
    signing (the Hijri century of the document's issue date; none in the Gregorian calendar, as on the PDF)."""
    policy = view.policy
    if policy.settings.calendar == "hijri":
        century = to_display_digits(str(to_hijri(view.document.issued)[0])[:2], policy.settings.digits)
        return {"suffix": HIJRI_SUFFIX, "century": century}
    return {"suffix": GREGORIAN_SUFFIX, "century": ""}


def _field(view: FieldView, document: DocumentView) -> dict[str, Any]:
    field_def = view.field
    blank = document.blank
    options: list[dict[str, Any]] = []
    if field_def.type in CHOICE_TYPES:
        options = [{"label": label, "selected": option_id in view.selected} for option_id, label in view.options]
    room = ROOM_LINES.get(field_def.type, field_def.lines)
    paper_only = field_def.type in PAPER_ONLY_TYPES
    extra_lines = [""] * (room - 1) if (blank or paper_only) and not options else []
    value = _text(view.display)
    if field_def.type == "signature":
        value = signature_text(document)
    # room to write by hand where there is no value, as on the PDF: a box per digit, day/month/year boxes
    digits = [""] * WRITTEN_DIGITS[field_def.type] if field_def.type in WRITTEN_DIGITS and not value else []
    return {
        "id": field_def.id,
        "label": field_def.label,
        "required": field_def.required,
        "help": field_def.help or "",
        "value": value,
        "options": options,
        "extra_lines": extra_lines,
        "digits": digits,
        "date_boxes": field_def.type == "date" and not value,
        # the line to sign on and the date's boxes need the full width; a half-width signature gets the text
        "signature_boxes": field_def.type == "signature" and field_def.width != "half",
    }


def _scale(section: Section, view: DocumentView) -> list[str]:
    """The column heads of a rating section («١» over «غير راضٍ إطلاقًا» …); empty for other sections."""
    lists = {f.list for f in section.fields}
    if any(f.type != "rating" for f in section.fields) or len(lists) != 1:
        return []
    digits = view.policy.settings.digits
    items = view.policy.lists[next(iter(lists)) or ""].items
    return [f"{to_display_digits(str(i), digits)}\n{item.label}" for i, item in enumerate(items, 1)]


def _rows(fields: Sequence[dict[str, Any]], defs: Sequence[FieldDef]) -> list[dict[str, Any]]:
    """Half-width fields pair up on one row; a full-width field, or a half one left alone, takes a row."""
    rows: list[dict[str, Any]] = []
    pending: dict[str, Any] | None = None
    for field, field_def in zip(fields, defs, strict=True):
        if field_def.width == "half":
            if pending is None:
                pending = field
                continue
            rows.append({"a": pending, "b": field})
            pending = None
            continue
        if pending is not None:
            rows.append({"a": pending, "b": None})
            pending = None
        rows.append({"a": field, "b": None})
    if pending is not None:
        rows.append({"a": pending, "b": None})
    return rows


def _sections(view: DocumentView) -> list[dict[str, Any]]:
    digits = view.policy.settings.digits
    out = []
    for number, section in enumerate(view.document.sections, 1):
        fields = [_field(view.fields[f.id], view) for f in section.fields]
        out.append(
            {
                "number": to_display_digits(str(number), digits),
                "title": section.title,
                "note": view.wording(section.note, "text"),
                "office_use": section.office_use,
                "scale": _scale(section, view),
                "fields": fields,
                "rows": _rows(fields, section.fields),
            }
        )
    return out


def docx_context(view: DocumentView) -> dict[str, Any]:
    """What a DOCX template sees: plain strings, lists and dicts, every value already text.

    Being plain data, the same context renders identically through :class:`CompiledTemplate` and through
    ``DocxTemplate(path).render(context, autoescape=True)``.
    """
    document, policy = view.document, view.policy
    association = view.variables["association"]
    digits = policy.settings.digits
    signatory = policy.signatories.get(document.signatory or "")
    declarant: dict[str, Any] = {}
    if document.declarant is not None:
        national_id = _text(view.fields[document.declarant.national_id].display)
        signed = _text(view.date_text(view.issue_date)) if not view.blank else ""
        declarant = {
            "name": _text(view.fields[document.declarant.name].display) or DOTS * 4,
            "national_id": national_id,
            "digits": [] if national_id else [""] * WRITTEN_DIGITS["national_id"],
            "date": signed,
            "date_boxes": not signed,
        }
    addressee: dict[str, str] = {}
    if document.addressee is not None:
        labels = policy.labels
        name = view.fields[document.addressee].display
        addressee = {
            "before": _gendered_label(labels.addressee_m, labels.addressee_f, view.gender),
            "name": _text(name) or DOTS * 5,
            "after": _gendered_label(labels.honorific_m, labels.honorific_f, view.gender),
        }
    body = [view.wording(text, "text") for text in document.body]
    context = {
        "blank": view.blank,
        "labels": policy.labels.model_dump(),
        "association": {key: _text(value) for key, value in association.items()},
        "doc": {
            "title": document.title,
            "kind": document.kind,
            "code": _text(Isolated(document.code)),
            "version": _text(Isolated(to_display_digits(document.version, digits))),
            "issued": _text(dual_date(document.issued, policy)) + _corrected_note(view),
        },
        "issued": view.reference is not None,
        "qr": docx_page_code(view).text,
        "reference": _text(view.variables["reference"]),
        "date": _text(view.variables["issue_date"]),
        "attachments": view.wording(document.attachments, "text"),
        "basmala": policy.settings.basmala,
        "addressee": addressee,
        "intro": view.wording(document.intro, "text"),
        "body": [text for text in body if text.strip()] if not view.blank else body,
        "undertakings": [
            {"number": to_display_digits(str(i), digits), "text": view.wording(text, "text")}
            for i, text in enumerate(document.undertakings, 1)
        ],
        "closing": view.wording(document.closing, "text") if document.closing else policy.labels.closing,
        "signatory": {"title": signatory.title, "name": signatory.name} if signatory else {},
        "declarant": declarant,
        "dates": date_box_parts(view),
        "sections": _sections(view),
        "footer_note": view.wording(document.footer_note, "text"),
    }
    return dict(_whole_dates_in(context, policy.labels.corresponding))


# --------------------------------------------------------------------------------------------- the fast path


def _info(name: str) -> zipfile.ZipInfo:
    """The metadata of every member of a rendered DOCX: fixed time, made on MS-DOS, mode 0644."""
    return archive.plain_info(name, _ZIP_TIME, create_system=0)


def _deflate(name: str, data: bytes) -> Member:
    return archive.deflated(_info(name), data, _DEFLATE_LEVEL)


def _read_entries(path: Path) -> tuple[list[str], dict[str, Member]]:
    """The template's members in order, each with its compressed bytes as stored (deflated if it was
    compressed another way), under the fixed metadata of :func:`_info`."""
    archive_file, members = archive.read_members(path.read_bytes())
    entries: dict[str, Member] = {}
    for member in members:
        name = member.name
        if member.info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            entries[name] = _deflate(name, archive_file.read(member.info))
        else:
            entries[name] = archive.restamped(member, _info(name))
    return [m.name for m in members], entries


@dataclass(frozen=True)
class _QrSlot:
    """Where the template's QR picture lives: the part showing it, its media part, and the relationships."""

    story: str
    """The zip member of the document, header or footer that holds the picture."""
    media: str
    """The placeholder PNG's member: replaced by the reference's PNG on an issued document."""
    rels: str
    without: Member
    """The story's relationships without the picture's: a blank document drops the part and its relationship."""


@dataclass(frozen=True)
class _Part:
    """A header or footer: its zip member, Jinja template and encoding."""

    member: str
    template: jinja2.Template
    encoding: str


class CompiledTemplate:
    """One DOCX template, read, patched and Jinja-compiled once; :meth:`render` fills it for one record.

    The result equals ``DocxTemplate(path).render(context, autoescape=True)`` then ``save()``: the same
    docxtpl steps run on the same strings (``patch_xml`` once here; ``resolve_listing``, ``fix_tables`` and
    the docPr renumbering per record), and the parts are serialised as python-docx serialises them. The QR
    part then differs as docxtpl's ``replace_zipname`` would make it (issued), or is dropped (blank).
    """

    def __init__(self, path: Path, environment: jinja2.Environment | None = None) -> None:
        self.path = path
        env = environment or template_environment()
        self._tpl = DocxTemplate(str(path))
        self._tpl.render_init()
        docx = self._tpl.docx
        try:
            self._body = env.from_string(self._prepare(self._tpl.patch_xml(self._tpl.get_xml())))
            self._parts = [self._compile_part(part, env) for part in self._header_footer_parts()]
        except jinja2.TemplateSyntaxError as err:
            problem = Problem(str(path), err.lineno, None, "", f"template syntax: {err.message}")
            raise ProjectError("a DOCX template cannot be read:", [problem]) from err
        root = docx.element
        body = root.find(f"{_W}body")
        self._body_index = list(root).index(body)
        self._skeleton = copy.deepcopy(root)
        self._skeleton.remove(self._skeleton[self._body_index])
        self._document_member = docx.part.partname.membername
        self._names, self._entries = _read_entries(path)
        self.fonts = self._font_names()
        self._qr = self._find_qr([docx.part, *self._header_footer_parts()])

    # --- compile

    @staticmethod
    def _prepare(xml: str) -> str:
        # what docxtpl's render_xml_part does before compiling, so that line numbers and output match
        return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)

    def _header_footer_parts(self) -> list[Any]:
        tpl = self._tpl
        return [part for uri in (tpl.HEADER_URI, tpl.FOOTER_URI) for _key, part in tpl.get_headers_footers(uri)]

    def _compile_part(self, part: Any, env: jinja2.Environment) -> _Part:
        xml = self._tpl.get_part_xml(part)
        encoding = self._tpl.get_headers_footers_encoding(xml)
        source = self._prepare(self._tpl.patch_xml(xml))
        return _Part(part.partname.membername, env.from_string(source), encoding)

    def _member(self, name: str) -> bytes:
        return self._entries[name].data()

    def _find_qr(self, parts: Sequence[Any]) -> _QrSlot | None:
        """The picture named :data:`QR_PICTURE`, followed to its media part through the part's relationships."""
        for part in parts:
            for doc_pr in markup.parse(part.blob).iterfind(f".//wp:docPr[@name='{QR_PICTURE}']", _NS):
                blip = doc_pr.getparent().find(".//a:blip", _NS)
                r_id = blip.get(f"{{{_NS['r']}}}embed") if blip is not None else None
                if r_id is None or r_id not in part.rels:
                    continue
                rels = part.partname.rels_uri.membername
                root = markup.parse(self._member(rels))
                for rel in root.findall(_RELS):
                    if rel.get("Id") == r_id:
                        root.remove(rel)
                without = etree.tostring(root, encoding="UTF-8", standalone=True)
                media = part.rels[r_id].target_part.partname.membername
                return _QrSlot(part.partname.membername, media, rels, _deflate(rels, without))
        return None

    @property
    def has_qr(self) -> bool:
        """Whether the template holds the QR picture (:data:`QR_PICTURE`) that issued documents fill."""
        return self._qr is not None

    def _font_names(self) -> list[str]:
        if "word/fontTable.xml" not in self._entries:
            return []
        table = markup.parse(self._member("word/fontTable.xml"))
        return [str(node.get(f"{_W}name")) for node in table.iter(f"{_W}font")]

    # --- render

    def _finish(self, xml: str) -> str:
        """docxtpl's steps after Jinja (render_xml_part), on the rendered string."""
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return str(self._tpl.resolve_listing(xml))

    def render_parts(self, context: dict[str, Any]) -> dict[str, bytes]:
        """The rendered XML parts (document, headers, footers) by zip member name."""
        tree = self._tpl.fix_tables(self._finish(self._body.render(context)))
        for number, node in enumerate(tree.iter("{*}docPr"), 1001):
            node.set("id", str(number))
        root = copy.deepcopy(self._skeleton)
        root.insert(self._body_index, tree)
        parts = {self._document_member: serialize_part_xml(root)}
        for part in self._parts:
            xml = self._finish(part.template.render(context))
            parts[part.member] = serialize_part_xml(parse_xml(xml.encode(part.encoding)))
        return parts

    def render(self, context: dict[str, Any]) -> bytes:
        """The filled .docx for one record, with the QR code of its page code (``context["qr"]``)."""
        parts = self.render_parts(context)
        rendered = {name: _deflate(name, data) for name, data in parts.items()}
        names = self._names
        slot = self._qr
        if slot is not None:
            if f'name="{QR_PICTURE}"'.encode() in parts[slot.story]:
                if context.get("qr"):  # else a template showing the picture unconditionally keeps its placeholder
                    rendered[slot.media] = archive.stored(_info(slot.media), qr_png(str(context["qr"])))
            else:
                rendered[slot.rels] = slot.without
                names = [name for name in names if name != slot.media]
        return archive.zip_bytes(rendered.get(name) or self._entries[name] for name in names)


class DocxRenderer:
    """Renders any document of the project as an editable DOCX; each template is compiled once, on first use."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.template_dir = project.templates_dir / "docx"
        self._compiled: dict[str, CompiledTemplate] = {}
        self._lock = threading.Lock()

    def template_path(self, kind: str) -> Path:
        return self.template_dir / f"{kind}.docx"

    def template(self, kind: str) -> CompiledTemplate:
        with self._lock:
            compiled = self._compiled.get(kind)
            if compiled is None:
                path = self.template_path(kind)
                if not path.is_file():
                    problem = Problem(str(path), None, None, "", "the DOCX template is missing (run `make templates`)")
                    raise ProjectError("a DOCX template is missing:", [problem])
                compiled = CompiledTemplate(path)
                self._check_fonts(compiled)
                if not compiled.has_qr:
                    log.warning("%s has no picture named %r: no QR code (run `make templates`)", path, QR_PICTURE)
                self._compiled[kind] = compiled
            return compiled

    def _check_fonts(self, compiled: CompiledTemplate) -> None:
        settings = self.project.policy.settings
        for font in {settings.body_font, settings.heading_font}:
            if font not in compiled.fonts:
                log.warning("%s does not use the policy's font %r (run `make templates`)", compiled.path, font)

    def render(self, view: DocumentView) -> bytes:
        """One document, blank or filled, as .docx bytes."""
        return self.template(view.document.kind).render(docx_context(view))
