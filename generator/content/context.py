"""Pure: (project, document, record) -> what a template sees. No I/O.

The same :class:`DocumentView` feeds the PDF, the DOCX and the on-screen form, so a value is formatted (digits,
dates in both calendars, choice labels, gendered words) in one place. A blank document is the same view with
no record: every value is ``None`` and wording placeholders become dotted lines for handwriting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..config.model import Document, FieldDef, Policy
from .text import add_days, format_gregorian, format_hijri, to_display_digits
from .wording import Isolated, Mixed, Target, WordingFunction, render_wording

DOTS = "…………"
"""A dotted gap in blank wording; its length is chosen per field type (see :func:`_blank`)."""

GLOBAL_NAMES: dict[str, frozenset[str] | None] = {
    "association": frozenset(
        {"name", "name_en", "licence_number", "licence_authority", "city", "address", "phone", "email", "website"}
    ),
    "signatory": frozenset({"title", "name"}),
    "document": frozenset({"title", "code", "version"}),
    "reference": None,
    "received_on": None,
    "earliest_reply": None,
    "issue_date": None,
    "reply_min_days": None,
    "g": None,
}
"""Names every piece of wording may use besides the document's own fields, with their allowed attributes."""


@dataclass(frozen=True)
class FieldView:
    """One field as a template shows it."""

    field: FieldDef
    value: Any
    """The stored value (None on a blank form)."""
    display: str | Isolated | Mixed | None
    """What prints in the answer cell (None on a blank form: draw boxes)."""
    selected: frozenset[str] = frozenset()
    """Option ids ticked, for choice, multi_choice, rating and yes_no fields."""
    options: tuple[tuple[str, str], ...] = ()
    """(id, label) of every option, printed with check boxes."""


@dataclass(frozen=True)
class DocumentView:
    """Everything a renderer needs for one document, blank or filled."""

    document: Document
    policy: Policy
    blank: bool
    fields: dict[str, FieldView]
    variables: dict[str, Any]
    """What wording placeholders see."""
    reference: str | None
    issue_date: date | None
    gender: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def wording(self, source: str | None, target: Target) -> str:
        """Render one piece of YAML wording for this document."""
        if not source:
            return ""
        return render_wording(source, self.variables, target)

    def date_text(self, value: date | None) -> Mixed | None:
        return dual_date(value, self.policy) if value else None


def dual_date(value: date, policy: Policy) -> Mixed:
    """«<primary> الموافق <secondary>», each date isolated, primary calendar and digits as the policy says."""
    digits = policy.settings.digits
    hijri = Isolated(format_hijri(value, digits))
    gregorian = Isolated(format_gregorian(value, digits))
    first, second = (hijri, gregorian) if policy.settings.calendar == "hijri" else (gregorian, hijri)
    return Mixed((first, f" {policy.labels.corresponding} ", second))


@dataclass(frozen=True)
class Gendered(WordingFunction):
    """The ``g(masculine, feminine)`` helper of the wording (a class, so that views can go to worker processes).

    With the record's gender it picks one form; on a blank form or without a gender it prints the combined
    form used on Saudi forms: «المتقدم/ـة» for g('المتقدم', 'المتقدمة'), «/ـة» for g('', 'ة').
    """

    gender: str | None

    def __call__(self, masculine: str, feminine: str) -> str:
        if self.gender == "male":
            return masculine
        if self.gender == "female":
            return feminine
        if feminine.startswith(masculine) and len(feminine) > len(masculine):
            return f"{masculine}/ـ{feminine[len(masculine):]}"
        return f"{masculine}/{feminine}"


def gendered(gender: str | None) -> Gendered:
    return Gendered(gender)


_BLANK_WIDTH = {"date": 3, "national_id": 4, "mobile": 4, "number": 2, "choice": 5, "multi_choice": 6}


def _blank(field_def: FieldDef) -> str:
    return DOTS * _BLANK_WIDTH.get(field_def.type, 6)


def _option_labels(field_def: FieldDef, policy: Policy) -> tuple[tuple[str, str], ...]:
    if field_def.list is None:
        return ()
    return tuple((item.id, item.label) for item in policy.lists[field_def.list].items)


def _field_view(field_def: FieldDef, value: Any, policy: Policy) -> FieldView:
    options = _option_labels(field_def, policy)
    if field_def.type == "yes_no":
        options = (("yes", policy.labels.yes), ("no", policy.labels.no))
    if value is None or value == "" or value == []:
        return FieldView(field_def, None, None, frozenset(), options)
    digits = policy.settings.digits
    labels = dict(options)
    kind = field_def.type
    display: str | Isolated | Mixed
    selected: frozenset[str] = frozenset()
    if kind == "choice":
        selected = frozenset({value})
        display = labels[value]
    elif kind == "multi_choice":
        selected = frozenset(value)
        display = "، ".join(labels[v] for v in value)
    elif kind == "rating":
        option_id = options[int(value) - 1][0]
        selected = frozenset({option_id})
        display = Isolated(to_display_digits(str(value), digits))
    elif kind == "yes_no":
        selected = frozenset({"yes" if value else "no"})
        display = labels["yes" if value else "no"]
    elif kind == "date":
        display = dual_date(value, policy)
    elif kind in ("national_id", "mobile", "number", "time"):
        display = Isolated(to_display_digits(str(value), digits))
    elif kind in ("email", "url") or field_def.auto == "reference" or _looks_latin(str(value)):
        display = Isolated(str(value))
    else:
        display = str(value)
    return FieldView(field_def, value, display, selected, options)


def _looks_latin(text: str) -> bool:
    """A code typed into a text field (a reference, a plate number) is isolated like any code."""
    return bool(text) and all(ord(ch) < 0x0590 for ch in text) and any(ch.isascii() and ch.isalnum() for ch in text)


def receipt_date(document: Document, record: Mapping[str, Any], issue_date: date | None) -> date | None:
    """The day the request was received: the record's own date of receipt (a field ``auto: today`` the data
    fills, e.g. a letter reprinted or merged days later), else the day of issue. The policy's reply standard
    counts from this day."""
    for field_def in document.all_fields():
        if field_def.auto == "today" and isinstance(record.get(field_def.id), date):
            return record[field_def.id]  # type: ignore[no-any-return]
    return issue_date


def build_view(
    document: Document,
    policy: Policy,
    record: Mapping[str, Any] | None,
    *,
    reference: str | None = None,
    issue_date: date | None = None,
    extra_fields: Sequence[FieldDef] = (),
) -> DocumentView:
    """The view of ``document``: blank when ``record`` is None, else filled with the validated record.

    ``record`` holds canonical values (ids for choices, ``date`` objects, ASCII digits), as validation gives
    them; fields wathiqa computes (``auto``) are filled here from ``reference`` and ``issue_date``.
    """
    blank = record is None
    data: dict[str, Any] = dict(record or {})
    reply_days = policy.service_standard.reply_min_days
    received = receipt_date(document, data, issue_date)
    earliest = add_days(received, reply_days) if received else None
    if not blank:
        for field_def in document.all_fields():
            if field_def.auto == "reference":
                data[field_def.id] = reference
            elif field_def.auto == "today":
                data.setdefault(field_def.id, issue_date)
            elif field_def.auto == "earliest_reply":
                data[field_def.id] = earliest
    rule = policy.settings.gender
    gender = {rule.masculine: "male", rule.feminine: "female"}.get(str(data.get(rule.field)))

    fields = {f.id: _field_view(f, data.get(f.id), policy) for f in (*document.all_fields(), *extra_fields)}
    variables: dict[str, Any] = {}
    for field_id, view in fields.items():
        if blank or view.display is None:
            variables[field_id] = _blank(view.field) if blank else ""
        else:
            variables[field_id] = view.display
    association = policy.association
    variables["association"] = {
        "name": association.name,
        "name_en": association.name_en or "",
        "licence_number": Isolated(to_display_digits(association.licence_number, policy.settings.digits)),
        "licence_authority": association.licence_authority,
        "city": association.city,
        "address": association.address,
        "phone": Isolated(association.phone),
        "email": Isolated(association.email),
        "website": Isolated(association.website),
    }
    signatory = policy.signatories.get(document.signatory or "")
    variables["signatory"] = {"title": signatory.title, "name": signatory.name} if signatory else {}
    variables["document"] = {"title": document.title, "code": document.code, "version": document.version}
    variables["reply_min_days"] = to_display_digits(str(reply_days), policy.settings.digits)
    variables["g"] = gendered(gender)
    blank_date = DOTS * 3
    variables["reference"] = Isolated(reference) if reference else DOTS * 4
    variables["issue_date"] = dual_date(issue_date, policy) if issue_date else blank_date
    variables["received_on"] = dual_date(received, policy) if received else blank_date
    variables["earliest_reply"] = dual_date(earliest, policy) if earliest else blank_date
    return DocumentView(document, policy, blank, fields, variables, reference, issue_date, gender)

