"""Case data: validate a record against its document, with Arabic messages for the clerk.

A record arrives as raw values (YAML, JSON, a spreadsheet row) keyed by field id or by Arabic label. It leaves
as canonical values: option ids for choices, ``date`` objects, ASCII digits, one form of mobile number. Every
problem of a record is reported at once, each naming the field by its Arabic label. Reading the data files
themselves is :mod:`generator.sources`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..config.model import Document, FieldDef, Policy
from ..config.yamlio import Loaded
from ..errors import DataError, Problem
from .text import Calendar, clean_name
from .validate import (
    FieldError,
    check_choice,
    check_date,
    check_email,
    check_mobile,
    check_multi_choice,
    check_national_id,
    check_number,
    check_text,
    check_yes_no,
)

MSG_REQUIRED = "هذا الحقل مطلوب"
MSG_UNKNOWN_FIELD = "حقل غير معروف في هذا النموذج؛ الحقول المعروفة هي أسماء الحقول في `wathiqa example`"
MSG_URL = "الرابط يجب أن يبدأ بـ https:// أو http://"
MSG_RATING = "التقييم يجب أن يكون رقمًا من ١ إلى {top}"


@dataclass(frozen=True)
class FieldIssue:
    """One problem of one field of one record."""

    field_id: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"«{self.label}»: {self.message}"


def _check_value(field_def: FieldDef, value: Any, policy: Policy) -> Any:
    calendar: Calendar = policy.settings.calendar
    kind = field_def.type
    if kind == "text":
        text = check_text(value, max_length=field_def.max_length)
        return clean_name(text) if field_def.id.endswith("name") else text
    if kind in ("long_text", "time"):
        return check_text(value, max_length=field_def.max_length, multiline=kind == "long_text")
    if kind == "date":
        return check_date(value, calendar)
    if kind == "national_id":
        return check_national_id(value)
    if kind == "mobile":
        return check_mobile(value)
    if kind == "email":
        return check_email(value)
    if kind == "url":
        url = check_text(value, max_length=field_def.max_length)
        if not url.lower().startswith(("https://", "http://")) or " " in url:
            raise FieldError(MSG_URL)
        return url
    if kind == "number":
        return check_number(value, minimum=field_def.minimum, maximum=field_def.maximum)
    options = policy.lists[field_def.list].labels() if field_def.list else {}
    if kind == "choice":
        return check_choice(value, options)
    if kind == "multi_choice":
        return check_multi_choice(value, options)
    if kind == "rating":
        return _check_rating(value, options)
    if kind == "yes_no":
        return check_yes_no(value)
    raise FieldError(f"نوع الحقل {kind} لا يحمل قيمة")  # signature/thumbprint never reach here


def check_value(field_def: FieldDef, value: Any, policy: Policy) -> str | None:
    """The Arabic message of what is wrong with one value of one field, or None when it is valid."""
    if is_empty(value):
        return MSG_REQUIRED if field_def.required else None
    try:
        _check_value(field_def, value, policy)
    except FieldError as err:
        return err.message_ar
    return None


def _check_rating(value: Any, options: Mapping[str, str]) -> int:
    """A rating as its number (1..N), its option id or its label; stored as the number."""
    top = len(options)
    ids = list(options)
    if isinstance(value, str) and value.strip() in ids:
        return ids.index(value.strip()) + 1
    if isinstance(value, str) and value.strip() in options.values():
        return list(options.values()).index(value.strip()) + 1
    try:
        number = check_number(value, minimum=1, maximum=top)
    except FieldError as err:
        raise FieldError(MSG_RATING.format(top=_arabic(top))) from err
    return number


def _arabic(number: int) -> str:
    from .text import to_display_digits

    return to_display_digits(str(number), "arabic")


def is_empty(value: Any) -> bool:
    """No value: None, blank text or an empty list (a cell or key left empty)."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def check_record(
    document: Document, policy: Policy, raw: Mapping[str, Any], *, ignore_unknown: bool = False
) -> tuple[dict[str, Any], list[FieldIssue]]:
    """Validate one raw record; return the canonical record and every problem found.

    Keys may be field ids or Arabic labels. Fields wathiqa fills itself (``auto``) may be given, e.g. the
    reference and date of a request when its acknowledgment is printed later from the register.
    """
    by_key: dict[str, FieldDef] = {}
    for f in document.data_fields():
        by_key[f.id] = f
        by_key.setdefault(f.label, f)
    record: dict[str, Any] = {}
    issues: list[FieldIssue] = []
    given: dict[str, Any] = {}
    for key, value in raw.items():
        field_def = by_key.get(str(key).strip())
        if field_def is None:
            if not ignore_unknown:
                issues.append(FieldIssue(str(key), str(key), MSG_UNKNOWN_FIELD))
            continue
        given[field_def.id] = value
    for f in document.data_fields():
        value = given.get(f.id)
        if is_empty(value):
            if f.required and f.auto is None:
                issues.append(FieldIssue(f.id, f.label, MSG_REQUIRED))
            continue
        try:
            record[f.id] = check_text(value, max_length=60) if f.auto == "reference" else _check_value(f, value, policy)
        except FieldError as err:
            issues.append(FieldIssue(f.id, f.label, err.message_ar))
    return record, issues


def validate_record(
    document: Document, policy: Policy, raw: Mapping[str, Any], *, source: Loaded | None = None
) -> dict[str, Any]:
    """The canonical record, or :class:`DataError` listing every problem with its line in the data file."""
    record, issues = check_record(document, policy, raw)
    if issues:
        problems = [_problem(issue, source) for issue in issues]
        raise DataError("البيانات غير صالحة، ولم يُكتب أي ملف:", problems)
    return record


def _problem(issue: FieldIssue, source: Loaded | None) -> Problem:
    if source is None:
        return Problem("", None, None, issue.field_id, str(issue))
    line, col = source.where((issue.field_id,))
    return Problem(str(source.path), line, col, issue.field_id, str(issue))


def record_to_json(record: Mapping[str, Any]) -> str:
    """The validated record as it is kept in the case folder."""
    return json.dumps(
        {k: v.isoformat() if isinstance(v, date) else v for k, v in record.items()},
        ensure_ascii=False,
        indent=2,
    )
