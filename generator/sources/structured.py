"""Case data written as text: one record, or a list of records, in YAML or JSON.

YAML goes through the project's one YAML reader (:mod:`generator.config.yamlio`), with its line:col kept for
every value. JSON is read as JSON (``true`` is a boolean, ``1e3`` a number, a duplicate key an error), by the
standard library, after a quick scan that bounds its nesting and records where each top-level key's value is,
so that a field's message can point at its line as it does for YAML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..config.yamlio import Loaded, Loc, parse_yaml, refuse_unacceptable
from ..content.text import first_forbidden, is_unholdable
from ..errors import DataError, ProjectError
from .common import MAX_DEPTH, MAX_FILE_BYTES, line_col, read_bytes, refuse

MSG_FORMAT = "نوع الملف غير مدعوم؛ المتوقع .yml أو .json"
MSG_NOT_UTF8 = "الملف ليس نصًا بترميز UTF-8؛ احفظه بترميز UTF-8"
MSG_ONE_RECORD = "يجب أن يحتوي الملف على سجل واحد: حقول وقيمها"
MSG_JSON = "ملف JSON غير سليم: {what}"
MSG_DUPLICATE = "المفتاح «{key}» مكرر في الملف"
MSG_CONSTANT = "القيمة {name} غير مقبولة في ملف JSON"
MSG_DEEP = "القوائم متداخلة أكثر من {depth} مستويات؛ ملف البيانات لا يحتاج إلى ذلك"
MSG_UNHOLDABLE = "الملف يحتوي على محرف غير صالح (U+{code:04X}) لا يمكن طباعته؛ يرجى حذفه"
MAX_INT_DIGITS = 40
"""A longer integer literal in JSON stays text; the field validators refuse it with their own message."""

_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:]', re.DOTALL)
_SPACE = re.compile(r"[ \t\r\n]*")


def load_record_file(path: Path) -> Loaded:
    """One record from a YAML or JSON file (the format `wathiqa example` prints)."""
    loaded = load_structured(path)
    if not isinstance(loaded.data, dict):
        refuse(path, MSG_ONE_RECORD, 1, 1)
    return loaded


def load_structured(path: Path) -> Loaded:
    """A YAML or JSON data file as plain data with its marks; :class:`DataError` on any fault."""
    suffix = path.suffix.lower()
    if suffix not in (".yml", ".yaml", ".json"):
        refuse(path, MSG_FORMAT)
    raw = read_bytes(path, MAX_FILE_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        refuse(path, MSG_NOT_UTF8, raw[: err.start].count(b"\n") + 1)
    try:
        if suffix == ".json":
            loaded = _parse_json(text, path)
        else:
            loaded = parse_yaml(text, path, max_depth=MAX_DEPTH, strict_text=False)
    except ProjectError as err:  # the same faults as in a policy, but in case data: exit 2 as data
        raise DataError("", err.problems) from err
    _refuse_unholdable(loaded.data, (), loaded)
    return loaded


def _refuse_unholdable(value: Any, loc: Loc, loaded: Loaded) -> None:
    """A lone surrogate or U+FFFF (written as an escape) can be neither printed nor stored: refuse the file.

    Keys are field names: any control character in one is refused too (it would be printed in a message).
    """
    if isinstance(value, str):
        bad = next((c for c in value if is_unholdable(c)), None)
        if bad is not None:
            line, col = loaded.where(loc)
            refuse(loaded.path, MSG_UNHOLDABLE.format(code=ord(bad)), line, col)
    elif isinstance(value, dict):
        for key, item in value.items():
            bad = first_forbidden(key, "")
            if bad is not None:
                line, col = loaded.key_marks.get((*loc, key)) or loaded.where(loc)
                refuse(loaded.path, MSG_UNHOLDABLE.format(code=ord(bad)), line, col)
            _refuse_unholdable(item, (*loc, key), loaded)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_unholdable(item, (*loc, i), loaded)


class _JsonRefused(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JsonRefused(MSG_DUPLICATE.format(key=key))
        out[key] = value
    return out


def _integer(text: str) -> int | str:
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else text


def _constant(name: str) -> Any:
    raise _JsonRefused(MSG_CONSTANT.format(name=name))


def _parse_json(text: str, path: Path) -> Loaded:
    refuse_unacceptable(text, path)
    marks, key_marks = _scan(text, path)
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_int=_integer, parse_constant=_constant)
    except json.JSONDecodeError as err:
        refuse(path, MSG_JSON.format(what=err.msg), err.lineno, err.colno)
    except _JsonRefused as err:
        refuse(path, str(err))
    except (ValueError, RecursionError) as err:  # a float or nesting the scan let through
        refuse(path, MSG_JSON.format(what=type(err).__name__))
    return Loaded(path, data, marks, key_marks)


def _scan(text: str, path: Path) -> tuple[dict[Loc, tuple[int, int]], dict[Loc, tuple[int, int]]]:
    """Bound the nesting before the decoder recurses; note where each top-level key and its value are."""
    marks: dict[Loc, tuple[int, int]] = {}
    key_marks: dict[Loc, tuple[int, int]] = {}
    depth = 0
    key: tuple[str, int] | None = None
    for token in _JSON_TOKEN.finditer(text):
        kind = token.group()[0]
        if kind == '"':
            key = (token.group(), token.start()) if depth == 1 else None
        elif kind in "{[":
            depth += 1
            if depth > MAX_DEPTH:
                refuse(path, MSG_DEEP.format(depth=MAX_DEPTH), *line_col(text, token.start()))
            if depth == 1:
                marks[()] = line_col(text, token.start())
            key = None
        elif kind in "}]":
            depth -= 1
            key = None
        elif kind == ":" and key is not None and depth == 1:
            try:
                name = json.loads(key[0])
            except ValueError:
                name = None
            if isinstance(name, str) and (name,) not in marks:
                value_at = _SPACE.match(text, token.end()).end()  # type: ignore[union-attr]
                marks[(name,)] = line_col(text, value_at)
                key_marks[(name,)] = line_col(text, key[1])
            key = None
    return marks, key_marks
