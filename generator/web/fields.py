"""The data-entry form of a document, drawn from its YAML: sections, fields, labels, help, options.

The form adds no second definition of anything: labels, help, required marks and options are the document's
and the policy's; validation is the library's (:func:`generator.check_record`), whose Arabic messages are shown
beside their fields. Form field names are the field ids. What the browser sent is kept as typed (text, or the
ticked options of a check-box list), so a form with errors comes back exactly as the clerk left it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from ..config.model import Document, FieldDef, Policy
from ..content.text import format_dual
from ..workflow.amend import decided_later

__all__ = [
    "FormField",
    "FormSection",
    "FormValues",
    "decided_later",
    "display_value",
    "form_sections",
    "read_form",
    "record_input",
]

FormValues = dict[str, str | list[str]]

MULTI = frozenset({"multi_choice"})


@dataclass(frozen=True)
class FormField:
    """One input of the form, with what the clerk typed and the message about it, if any."""

    id: str
    label: str
    type: str
    required: bool
    help: str | None
    half: bool
    lines: int
    options: list[tuple[str, str]]
    value: str | list[str]
    error: str | None

    def checked(self, option_id: str) -> bool:
        return option_id in self.value if isinstance(self.value, list) else self.value == option_id


@dataclass(frozen=True)
class FormSection:
    id: str
    title: str
    fields: list[FormField] = field(default_factory=list)


def _options(field_def: FieldDef, policy: Policy) -> list[tuple[str, str]]:
    if field_def.type == "yes_no":
        return [("yes", policy.labels.yes), ("no", policy.labels.no)]
    if field_def.list is None:
        return []
    return [(item.id, item.label) for item in policy.lists[field_def.list].items]


def _input_sections(document: Document, skip: frozenset[str]) -> list[tuple[str, str, list[FieldDef]]]:
    inputs = {f.id for f in document.input_fields() if f.id not in skip}
    sections: list[tuple[str, str, list[FieldDef]]] = []
    loose = [f for f in document.fields if f.id in inputs]
    if loose:
        sections.append(("main", document.title, loose))
    for section in document.sections:
        fields = [f for f in section.fields if f.id in inputs]
        if fields:
            sections.append((section.id, section.title, fields))
    return sections


def form_sections(
    document: Document,
    policy: Policy,
    values: Mapping[str, str | list[str]],
    errors: Mapping[str, str],
    *,
    skip: frozenset[str] = frozenset(),
) -> list[FormSection]:
    """The form's sections in the document's order, each with its input fields (less ``skip``), values and
    messages."""
    result: list[FormSection] = []
    for section_id, title, field_defs in _input_sections(document, skip):
        fields = [
            FormField(
                id=f.id,
                label=f.label,
                type=f.type,
                required=f.required,
                help=f.help,
                half=f.width == "half",
                lines=max(f.lines, 3) if f.type == "long_text" else f.lines,
                options=_options(f, policy),
                value=values.get(f.id, [] if f.type in MULTI else ""),
                error=errors.get(f.id),
            )
            for f in field_defs
        ]
        result.append(FormSection(section_id, title, fields))
    return result


def read_form(document: Document, form: MultiDict[str, str], *, skip: frozenset[str] = frozenset()) -> FormValues:
    """The document's input fields (less ``skip``) as the browser sent them; other names (csrf_token, buttons)
    are left out."""
    values: FormValues = {}
    for f in document.input_fields():
        if f.id in skip:
            continue
        if f.type in MULTI:
            ticked = [v for v in form.getlist(f.id) if v.strip()]
            if ticked:
                values[f.id] = ticked
        else:
            text = form.get(f.id, "")
            if text.strip():
                values[f.id] = text.strip() if f.type != "long_text" else text.strip("\r\n ")
    return values


def record_input(document: Document, values: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """What the library validates: the non-empty values, yes/no answers as the validator reads them."""
    raw: dict[str, Any] = {}
    types = {f.id: f.type for f in document.input_fields()}
    for key, value in values.items():
        if key in types:
            raw[key] = value
    return raw


def display_value(value: Any, policy: Policy, *, list_id: str | None = None, kind: str | None = None) -> str:
    """A stored value as the office reads it: option labels, dates in both calendars, yes/no in Arabic."""
    if value is None or value == "" or value == []:
        return ""
    labels = policy.lists[list_id].labels() if list_id and list_id in policy.lists else {}
    if isinstance(value, list):
        return "، ".join(labels.get(str(v), str(v)) for v in value)
    if isinstance(value, bool):
        return policy.labels.yes if value else policy.labels.no
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return format_dual(value, policy.settings.calendar, policy.settings.digits)
    if kind == "date" and isinstance(value, str):
        try:
            return format_dual(date.fromisoformat(value), policy.settings.calendar, policy.settings.digits)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if kind == "rating" and isinstance(value, int) and 1 <= value <= len(labels):
        return f"{list(labels.values())[value - 1]} ({value})"
    return labels.get(str(value), str(value))
