"""Records to register rows and back: pure conversions, no I/O.

A record holds canonical values, as validation gives them: option ids, ``date`` objects, ASCII digits. A
register row holds what an archivist reads and types in Excel: Arabic labels, real dates, IDs and phones as
text, keyed by the column's Arabic header label (the engine finds columns by label, so columns the archivist
inserts or moves do not matter).

Reading back is strict: a label the archivist typed that is not in the policy list is reported with the
allowed labels, never matched to the nearest option.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ..config.model import FieldsOf
from ..config.project import Project, RegisterColumn
from ..content.records import FieldIssue, is_empty
from ..content.text import add_days, format_hijri, normalise_spaces, to_display_digits
from ..content.validate import (
    MSG_NOT_INTEGER,
    FieldError,
    check_choice,
    check_date,
    check_multi_choice,
    check_yes_no,
)
from ..errors import DataError, Problem
from .cells import CellValue

__all__ = [
    "MULTI_SEPARATOR",
    "cells_for",
    "check_row",
    "record_from_row",
    "register_column",
    "row_for",
]

MULTI_SEPARATOR = "، "
"""Between the labels of a multi-choice cell: the Arabic comma, as a clerk writes a list."""

_TEXT_TYPES = frozenset({"text", "long_text", "reference", "national_id", "mobile", "email", "url", "time"})

MSG_DATE = "القيمة يجب أن تكون تاريخًا"
MSG_RATING = "التقييم يجب أن يكون رقمًا من ١ إلى {top} أو أحد الخيارات: {labels}"
MSG_TEXT_NUMBER = "رقم مخزن كرقم لا كنص؛ قد تكون الأصفار في أوله قد ضاعت"


def register_column(project: Project, register_id: str, key: str) -> RegisterColumn:
    """The column of ``register_id`` with id or label ``key``; KeyError if there is none."""
    for column in project.register_columns(register_id):
        if key in (column.id, column.label):
            return column
    raise KeyError(key)


# ------------------------------------------------------------------------------------- record -> row
def row_for(
    project: Project,
    register_id: str,
    record: Mapping[str, Any],
    *,
    reference: str,
    issue_date: dt.date,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, CellValue]:
    """The register row of one issued record, keyed by column label; empty columns are left out.

    Values come from ``extra`` (by column id: status, notes ...), then ``record``, then what wathiqa
    computes: the reference column gets ``reference``; the register's first own date column, and columns
    of fields dated ``auto: today``, get ``issue_date``; ``auto: earliest_reply`` gets ``issue_date`` plus the
    policy's reply period; a ``hijri_text`` column shows its ``of`` column in Hijri. A value that does not
    fit its column (an option id the policy does not list) is a :class:`DataError`.
    """
    columns = project.declared_columns(register_id)  # problems in the form's order
    policy = project.policy
    values: dict[str, Any] = {}
    autos = _auto_columns(project, register_id, columns)
    # the reply standard counts from the day of receipt the record gives, else from the day of issue
    received = next(
        (record[c.id] for c in columns if autos.get(c.id) == "today" and isinstance(record.get(c.id), dt.date)),
        issue_date,
    )
    for column in columns:
        if column.type == "reference":
            values[column.id] = reference
        elif autos.get(column.id) == "today":
            values[column.id] = issue_date
        elif autos.get(column.id) == "earliest_reply":
            values[column.id] = add_days(received, policy.service_standard.reply_min_days)
    values.update({k: v for k, v in record.items() if not is_empty(v)})
    values.update({k: v for k, v in (extra or {}).items() if not is_empty(v)})
    for column in columns:
        if column.type == "reference":
            values[column.id] = reference
    return _cells(project, register_id, columns, values)


def cells_for(project: Project, register_id: str, values: Mapping[str, Any]) -> dict[str, CellValue]:
    """Cells for the columns named in ``values`` (by id) and nothing else: for updating an existing row.

    Unlike :func:`row_for`, nothing is computed: no reference, no recording or reply date, which would
    overwrite what the row already holds. A ``hijri_text`` column follows its date when that date is given.
    Empty values are kept as ``None`` (the engine clears the cell but keeps its formatting).
    """
    columns = project.declared_columns(register_id)  # problems in the form's order
    known = {c.id for c in columns}
    unknown = [key for key in values if key not in known]
    if unknown:
        raise KeyError(f"{register_id} has no column {', '.join(map(repr, unknown))}")
    cells = _cells(project, register_id, columns, {k: v for k, v in values.items() if not is_empty(v)})
    for column in columns:
        source = column.of if column.type == "hijri_text" and column.of else column.id
        if source in values and is_empty(values[source]):
            cells[column.label] = None
    return cells


def _cells(
    project: Project, register_id: str, columns: list[RegisterColumn], values: Mapping[str, Any]
) -> dict[str, CellValue]:
    row: dict[str, CellValue] = {}
    issues: list[FieldIssue] = []
    for column in columns:
        raw = values.get(column.of) if column.type == "hijri_text" and column.of else values.get(column.id)
        if is_empty(raw):
            continue
        try:
            cell = _cell_value(project, column, raw)
        except FieldError as err:
            issues.append(FieldIssue(column.id, column.label, err.message_ar))
            continue
        if cell is not None:
            row[column.label] = cell
    if issues:
        problems = [Problem(register_id, None, None, i.label, i.message) for i in issues]
        raise DataError("قيم لا تناسب أعمدة السجل، ولم يُكتب أي صف:", problems)
    return row


def _auto_columns(project: Project, register_id: str, columns: list[RegisterColumn]) -> dict[str, str]:
    """Which columns wathiqa fills itself: ``today`` or ``earliest_reply``, by column id."""
    autos: dict[str, str] = {}
    register = project.registers[register_id]
    for spec in register.columns:
        if not isinstance(spec, FieldsOf):
            continue
        # Excluded fields count too: the register re-declares them as its own columns (received_on ...).
        for f in project.documents[spec.fields_of].all_fields():
            if f.auto in ("today", "earliest_reply"):
                autos.setdefault(f.id, f.auto)
    declared = project.declared_columns(register_id)  # "first" as declared, not as printed
    first_own = next((c for c in declared if c.type == "date" and c.field is None), None)
    if first_own is not None:
        autos.setdefault(first_own.id, "today")  # the date the row is recorded: received_on, sent_on ...
    return {c.id: autos[c.id] for c in columns if c.id in autos}


def _options(project: Project, column: RegisterColumn) -> dict[str, str]:
    return project.policy.lists[column.list].labels() if column.list else {}


def _label_of(option_id: Any, options: Mapping[str, str]) -> str:
    if isinstance(option_id, str) and option_id in options:
        return options[option_id]
    # A record carries ids; a label is accepted too (check_choice reports anything else, with the labels).
    return options[check_choice(option_id, options)]


def _cell_value(project: Project, column: RegisterColumn, raw: Any) -> CellValue:
    kind = column.type
    policy = project.policy
    if kind in ("date", "hijri_text", "datetime"):
        if isinstance(raw, str):
            raw = check_date(raw, policy.settings.calendar)
        if not isinstance(raw, dt.date):
            raise FieldError(MSG_DATE)
        if kind == "hijri_text":
            day = raw.date() if isinstance(raw, dt.datetime) else raw
            return format_hijri(day, policy.settings.digits)
        if kind == "date" and isinstance(raw, dt.datetime):
            return raw.date()
        return raw
    if kind == "choice":
        return _label_of(raw, _options(project, column))
    if kind == "multi_choice":
        options = _options(project, column)
        ids = raw if isinstance(raw, list | tuple) else [raw]
        return MULTI_SEPARATOR.join(_label_of(i, options) for i in ids)
    if kind == "rating":
        return _rating(raw, _options(project, column))
    if kind == "yes_no":
        labels = policy.labels
        if isinstance(raw, str) and normalise_spaces(raw) in (labels.yes, labels.no):
            return normalise_spaces(raw)
        return labels.yes if check_yes_no(raw) else labels.no
    if kind == "number":
        return _integer(raw)
    if kind in ("national_id", "mobile"):
        if not isinstance(raw, str):
            raise FieldError(MSG_TEXT_NUMBER)  # an int has already lost a leading zero somewhere
        return raw
    if isinstance(raw, bool | dt.date) or not isinstance(raw, str | int):
        raise FieldError(f"قيمة من نوع غير متوقع: {type(raw).__name__}")
    return str(raw) if kind in _TEXT_TYPES else raw


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise FieldError(MSG_NOT_INTEGER)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    raise FieldError(MSG_NOT_INTEGER)


def _rating(raw: Any, options: Mapping[str, str]) -> int:
    """A rating as its number 1..N, its option id or its label; stored as the number."""
    ids, labels = list(options), list(options.values())
    if isinstance(raw, str):
        text = normalise_spaces(raw)
        if text in ids:
            return ids.index(text) + 1
        if text in labels:
            return labels.index(text) + 1
    try:
        number = _integer(raw)
    except FieldError:
        number = 0
    if not 1 <= number <= len(ids):
        top = to_display_digits(str(len(ids)), "arabic")
        raise FieldError(MSG_RATING.format(top=top, labels=MULTI_SEPARATOR.join(labels)))
    return number


# ------------------------------------------------------------------------------------- row -> record
def check_row(
    project: Project, register_id: str, values_by_label: Mapping[str, CellValue]
) -> tuple[dict[str, Any], list[FieldIssue]]:
    """The record of one register row (by column id) and every cell that could not be read back.

    Labels become option ids, ``نعم``/``لا`` booleans, dates ``date`` objects; empty cells and columns the
    archivist added are left out, and so are ``hijri_text`` columns (they only show another column).
    """
    by_label = {normalise_spaces(label): value for label, value in values_by_label.items()}
    record: dict[str, Any] = {}
    issues: list[FieldIssue] = []
    for column in project.declared_columns(register_id):  # problems in the form's order
        if column.type == "hijri_text":
            continue
        value = by_label.get(normalise_spaces(column.label))
        if is_empty(value):
            continue
        try:
            record[column.id] = _record_value(project, column, value)
        except FieldError as err:
            issues.append(FieldIssue(column.id, column.label, err.message_ar))
    return record, issues


def record_from_row(
    project: Project, register_id: str, values_by_label: Mapping[str, CellValue], *, where: str = ""
) -> dict[str, Any]:
    """The record of one register row, or :class:`DataError` naming each cell that is not a known value.

    ``where`` names the row in messages, e.g. ``output/registers/requests.xlsx:12``.
    """
    record, issues = check_row(project, register_id, values_by_label)
    if issues:
        problems = [Problem(where or register_id, None, None, i.label, i.message) for i in issues]
        raise DataError("قيم في السجل لا تطابق القوائم المعتمدة:", problems)
    return record


def _record_value(project: Project, column: RegisterColumn, value: CellValue) -> Any:
    kind = column.type
    if kind in ("date", "datetime"):
        if isinstance(value, dt.datetime):
            return value if kind == "datetime" else value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):  # typed into a cell formatted as text
            return check_date(value, project.policy.settings.calendar)
        raise FieldError(MSG_DATE)
    if kind in ("choice", "multi_choice", "rating") and isinstance(value, str) and column.list:
        value = _current_wording(value, project.policy.lists[column.list].former_labels())
    if kind == "choice":
        return check_choice(_as_text(value), _options(project, column))
    if kind == "multi_choice":
        return check_multi_choice(_as_text(value), _options(project, column))
    if kind == "rating":
        return _rating(value, _options(project, column))
    if kind == "yes_no":
        labels = project.policy.labels
        if isinstance(value, str) and normalise_spaces(value) in (labels.yes, labels.no):
            return normalise_spaces(value) == labels.yes
        return check_yes_no(value)
    if kind == "number":
        return _integer(value)
    return _as_text(value)


def _current_wording(text: str, former: Mapping[str, str]) -> str:
    """A cell written before an option was reworded: its former label(s) read as the option's id."""
    if not former:
        return text
    by_text = {normalise_spaces(label): option_id for label, option_id in former.items()}
    whole = by_text.get(normalise_spaces(text))
    if whole is not None:
        return whole
    items = [normalise_spaces(item) for item in re.split(r"[,،]", text)]
    return MULTI_SEPARATOR.join(by_text.get(item, item) for item in items if item)


def _as_text(value: CellValue) -> str:
    """A cell as text; a whole number typed in a General cell comes back without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return normalise_spaces(str(value)) if not isinstance(value, str) else value.strip()
