"""Case data: read a data file, validate a record against its document, with Arabic messages for the clerk.

A record arrives as raw values (YAML, JSON, a spreadsheet row) keyed by field id or by Arabic label. It leaves
as canonical values: option ids for choices, ``date`` objects, ASCII digits, one form of mobile number. Every
problem of a record is reported at once, each naming the field by its Arabic label.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..config.model import Document, FieldDef, Policy
from ..config.yamlio import Loaded
from ..errors import DataError, Problem, ProjectError
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


# --------------------------------------------------------------------------------------------- data files


def load_record_file(path: Path) -> Loaded:
    """One record from a YAML or JSON file (the format `wathiqa example` prints)."""
    loaded = _load_structured(path)
    if not isinstance(loaded.data, dict):
        raise DataError("", [Problem(str(path), 1, 1, "", "يجب أن يحتوي الملف على سجل واحد: حقول وقيمها")])
    return loaded


def _load_structured(path: Path) -> Loaded:
    if path.suffix.lower() not in (".yml", ".yaml", ".json"):
        raise DataError("", [Problem(str(path), None, None, "", "نوع الملف غير مدعوم؛ المتوقع .yml أو .json")])
    try:
        from ..config.yamlio import load_yaml

        return load_yaml(path)
    except ProjectError as err:  # the same faults, but in case data: exit 2 as data, not as policy
        raise DataError("", err.problems) from err


@dataclass(frozen=True)
class BatchRow:
    """One record of a batch, with where it came from (row number in the sheet, item number in a list)."""

    number: int
    values: dict[str, Any]


def read_batch(path: Path) -> Iterator[BatchRow]:
    """Records of a batch file: .xlsx (first sheet, header row), .csv (UTF-8, with or without BOM), .yml/.json."""
    suffix = path.suffix.lower()
    readers: dict[str, Callable[[Path], Iterator[BatchRow]]] = {
        ".xlsx": _read_xlsx,
        ".csv": _read_csv,
        ".yml": _read_list,
        ".yaml": _read_list,
        ".json": _read_list,
    }
    reader = readers.get(suffix)
    if reader is None:
        msg = "نوع الملف غير مدعوم؛ المتوقع .xlsx أو .csv أو .yml أو .json"
        raise DataError("", [Problem(str(path), None, None, "", msg)])
    if not path.is_file():
        raise DataError("", [Problem(str(path), None, None, "", "الملف غير موجود")])
    return reader(path)


def _read_list(path: Path) -> Iterator[BatchRow]:
    loaded = _load_structured(path)
    data = loaded.data
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise DataError("", [Problem(str(path), 1, 1, "", "يجب أن يحتوي الملف على قائمة سجلات")])
    for i, item in enumerate(data, 1):
        yield BatchRow(i, item)


def _read_csv(path: Path) -> Iterator[BatchRow]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        msg = "الملف ليس بترميز UTF-8؛ احفظه من Excel بصيغة «CSV UTF-8»"
        raise DataError("", [Problem(str(path), None, None, "", msg)]) from err
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for number, row in enumerate(reader, 2):
        values = {k.strip(): v for k, v in row.items() if k is not None}
        if any(not is_empty(v) for v in values.values()):
            yield BatchRow(number, values)


def _read_xlsx(path: Path) -> Iterator[BatchRow]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        msg = "تعذرت قراءة ملف Excel؛ تأكد أنه ملف ‎.xlsx‎ سليم"
        raise DataError("", [Problem(str(path), None, None, "", msg)]) from err
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        keys = [str(h).strip() if h is not None else "" for h in header]
        for number, row in enumerate(rows, 2):
            values = {k: _cell(v) for k, v in zip(keys, row, strict=False) if k}
            if any(not is_empty(v) for v in values.values()):
                yield BatchRow(number, values)
    finally:
        workbook.close()


def _cell(value: Any) -> Any:
    """Spreadsheet cells as the validators expect them: dates as dates, whole floats as ints."""
    from datetime import datetime

    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, date | int | str | bool) or value is None:
        return value
    return str(value)


def record_to_json(record: Mapping[str, Any]) -> str:
    """The validated record as it is kept in the case folder."""
    return json.dumps(
        {k: v.isoformat() if isinstance(v, date) else v for k, v in record.items()},
        ensure_ascii=False,
        indent=2,
    )
