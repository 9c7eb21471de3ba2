"""Batches saved from Excel (.xlsx): the first sheet, its first row as the header, read by its real cells.

This reader parses the package itself (zip + XML, the standard library) instead of loading a workbook, because
a data file comes from outside and everything in it must stay bounded and inside the error handling:

* every part's size is checked before it is read (from the zip directory, and again while reading, since the
  directory can lie), so a few hundred kilobytes that inflate to gigabytes of shared strings are refused at
  once; a part holding a DOCTYPE (entity tricks) is refused too;
* only the cells the sheet really holds are visited: one cell at XFD1048576 costs one cell, not a million
  empty rows of sixteen thousand columns, and a row beyond :data:`MAX_ROWS` that holds data is refused;
  columns beyond the bound the caller gives (from the document's fields) are never looked at;
* the work of reading is bounded, not only the bytes: a sheet of a few kilobytes whose every cell points at
  one 32,767-character shared string would hand the validators gigabytes of text, so the characters handed out
  (:data:`MAX_TOTAL_CHARS`) and the cells visited (:data:`MAX_CELLS`) are counted and the file is refused, in
  Arabic, as soon as either runs over — after a few hundred such cells, not after the last;
* a damaged part (truncated XML, a number cell holding ``abc``, a shared string that does not exist, the sheet
  missing) is a :class:`DataError` naming the part or the cell.

Values come out as the validators expect them: text, whole numbers as ``int``, other numbers as ``float``,
cells formatted as dates as ``date``, times as ``HH:MM``, booleans as ``bool``.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .common import MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, BatchRow, is_blank, read_bytes, refuse

MAX_PART_BYTES = 60_000_000
"""The largest part (sheet, shared strings) read, uncompressed: ten times a 5,000-letter batch."""
MAX_TOTAL_BYTES = 150_000_000
"""All parts together, uncompressed."""
MAX_MEMBERS = 10_000
MAX_TOTAL_CHARS = 10_000_000
"""Characters of text handed out for one file: a batch of 5,000 letters with 20 columns of 50 letters is 5
million; a shared string repeated in every cell reaches this after ~300 cells and stops the reading there."""
MAX_CELLS = 3_000_000
"""Cells visited in the sheet, read or not (beyond the columns asked for): 100,000 rows of 30 columns."""

MSG_NOT_XLSX = "تعذرت قراءة ملف Excel؛ تأكد أنه ملف ‎.xlsx‎ سليم"
MSG_DAMAGED = "ملف Excel تالف: الجزء {part} {what}؛ افتحه في Excel واحفظه من جديد"
MSG_BOMB = "ملف Excel يتضخم عند فك ضغطه إلى أكثر من المسموح به ({part})؛ لا يُقرأ"
MSG_CELL = "الخلية {cell}: {what}"
MSG_NOT_NUMBER = "تحتوي على {value} في موضع رقم؛ الملف تالف"
MSG_NO_STRING = "تشير إلى نص غير موجود في الملف؛ الملف تالف"
MSG_BAD_DATE = "تحتوي على تاريخ غير صالح"
MSG_TOO_MUCH_TEXT = (
    "الجدول يحتوي على نصوص أكثر مما تحتمله دفعة واحدة (أكثر من {limit} حرف حتى الخلية {cell})؛ "
    "قسّم الدفعة إلى ملفات أصغر"
)
MSG_TOO_MANY_CELLS = "الورقة تحتوي على أكثر من {limit} خلية؛ قسّم الدفعة إلى ملفات أصغر"
MSG_TOO_FAR = "الورقة تحتوي على بيانات في الصف {row}؛ الحد الأقصى {limit} صف، قسّم الدفعة إلى ملفات أصغر"

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})$")
_FORMAT_LETTER = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]')
_BUILTIN_DATES = {
    14: "date",
    15: "date",
    16: "date",
    17: "date",
    18: "time",
    19: "time",
    20: "time",
    21: "time",
    22: "datetime",
    45: "time",
    46: "time",
    47: "time",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Package:
    """The zip of an .xlsx, read part by part within the limits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        raw = read_bytes(path, MAX_FILE_BYTES)
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(raw))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            refuse(path, MSG_NOT_XLSX)
        if len(infos) > MAX_MEMBERS:
            refuse(path, MSG_NOT_XLSX)
        self.sizes = {info.filename: info.file_size for info in infos}
        if sum(self.sizes.values()) > MAX_TOTAL_BYTES:
            refuse(path, MSG_BOMB.format(part="*"))
        self.read_total = 0

    def has(self, name: str) -> bool:
        return name in self.sizes

    def read(self, name: str) -> bytes:
        if name not in self.sizes:
            refuse(self.path, MSG_DAMAGED.format(part=name, what="غير موجود"))
        if self.sizes[name] > MAX_PART_BYTES:
            refuse(self.path, MSG_BOMB.format(part=name))
        try:
            with self.zip.open(name) as member:
                data = member.read(MAX_PART_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError, NotImplementedError, RuntimeError):
            refuse(self.path, MSG_DAMAGED.format(part=name, what="لا يُقرأ"))
        self.read_total += len(data)
        if len(data) > MAX_PART_BYTES or self.read_total > MAX_TOTAL_BYTES:
            refuse(self.path, MSG_BOMB.format(part=name))
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            refuse(self.path, MSG_DAMAGED.format(part=name, what="يحتوي على تعريفات غير مسموح بها"))
        return data

    def xml(self, name: str) -> ElementTree.Element:
        data = self.read(name)
        try:
            return ElementTree.fromstring(data)
        except ElementTree.ParseError:
            refuse(self.path, MSG_DAMAGED.format(part=name, what="ليس XML سليمًا"))

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id -> (type, part name) of a part's relationships."""
        folder, name = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", name + ".rels")
        if not self.has(rels_name):
            return {}
        out: dict[str, tuple[str, str]] = {}
        for rel in self.xml(rels_name):
            if _local(rel.tag) != "Relationship":
                continue
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id", "")] = (rel.get("Type", ""), resolved)
        return out


def _attribute(element: ElementTree.Element, local: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == local:
            return value
    return None


def _text_of(element: ElementTree.Element) -> str:
    """The text of a shared or inline string: every ``t`` run, leaving out phonetic guides (``rPh``)."""
    parts: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _date_kinds(package: _Package, styles_part: str | None) -> list[str | None]:
    """For each cell style (``s``), "date", "time", "datetime" or None."""
    if styles_part is None or not package.has(styles_part):
        return []
    root = package.xml(styles_part)
    custom: dict[int, str] = {}
    kinds: list[str | None] = []
    for child in root:
        if _local(child.tag) == "numFmts":
            for fmt in child:
                try:
                    custom[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "")
                except ValueError:
                    continue
        elif _local(child.tag) == "cellXfs":
            for xf in child:
                try:
                    fmt_id = int(xf.get("numFmtId", "0"))
                except ValueError:
                    fmt_id = 0
                kinds.append(_kind_of(custom[fmt_id]) if fmt_id in custom else _BUILTIN_DATES.get(fmt_id))
    return kinds


def _kind_of(code: str) -> str | None:
    """What a number format shows: a date, a time, both, or a plain number (None)."""
    plain = _QUOTED.sub("", code.split(";")[0])
    letters = {c.lower() for c in _FORMAT_LETTER.findall(plain)}
    has_date = bool(letters & {"d", "y"}) or letters == {"m"}
    has_time = bool(letters & {"h", "s"})
    if has_date and has_time:
        return "datetime"
    if has_date:
        return "date"
    return "time" if has_time else None


class _Sheet:
    """The first worksheet of a package, with what its cells refer to."""

    def __init__(self, package: _Package) -> None:
        self.package = package
        path = package.path
        workbook_part = "xl/workbook.xml"
        for rel_type, target in package.relationships("").values():
            if rel_type.endswith("/officeDocument"):
                workbook_part = target
        workbook = package.xml(workbook_part)
        self.epoch = date(1904, 1, 1) if self._date1904(workbook) else None
        rels = package.relationships(workbook_part)
        first = next((el for el in workbook.iter() if _local(el.tag) == "sheet"), None)
        if first is None:
            refuse(path, MSG_DAMAGED.format(part=workbook_part, what="لا يحتوي على أي ورقة"))
        rel = rels.get(_attribute(first, "id") or "")
        if rel is None:
            refuse(path, MSG_DAMAGED.format(part=workbook_part, what="يشير إلى ورقة غير موجودة"))
        self.part = rel[1]
        self.strings_part = next((t for k, t in rels.values() if k.endswith("/sharedStrings")), None)
        styles_part = next((t for k, t in rels.values() if k.endswith("/styles")), None)
        self.date_kinds = _date_kinds(package, styles_part)
        self._strings: list[str] | None = None
        self.chars = 0
        """Characters of text handed out so far (bounded by :data:`MAX_TOTAL_CHARS`)."""
        self.visited = 0
        """Cells visited so far (bounded by :data:`MAX_CELLS`)."""

    @staticmethod
    def _date1904(workbook: ElementTree.Element) -> bool:
        for el in workbook:
            if _local(el.tag) == "workbookPr":
                return (el.get("date1904") or "").lower() in ("1", "true")
        return False

    def strings(self) -> list[str]:
        if self._strings is None:
            if self.strings_part is None or not self.package.has(self.strings_part):
                self._strings = []
            else:
                root = self.package.xml(self.strings_part)
                self._strings = [_text_of(si) for si in root if _local(si.tag) == "si"]
        return self._strings

    def cells(self, max_columns: int) -> Iterator[tuple[int, dict[int, Any]]]:
        """(row number, {column number: value}) of every row holding a cell, in sheet order."""
        data = self.package.read(self.part)
        row_number = 0
        row: dict[int, Any] = {}
        column = 0
        holder: ElementTree.Element | None = None
        try:
            for event, element in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
                name = _local(element.tag)
                if event == "start":
                    if name == "sheetData":
                        holder = element
                    continue
                if name == "c":
                    ref = element.get("r")
                    column, at_row = self._position(ref, column + 1, row_number)
                    self._count_cell()
                    if column <= max_columns:
                        value = self._value(element, ref or f"R{at_row}C{column}")
                        if isinstance(value, str):
                            self._count_text(len(value), ref or f"R{at_row}C{column}")
                        if not is_blank(value):
                            row[column] = value
                    element.clear()
                elif name == "row":
                    given = element.get("r")
                    row_number = int(given) if given and given.isdigit() else row_number + 1
                    if row:
                        yield row_number, row
                    row = {}
                    column = 0
                    if holder is not None:
                        holder.clear()  # finished rows go, so memory stays one row whatever the sheet
        except ElementTree.ParseError:
            refuse(self.package.path, MSG_DAMAGED.format(part=self.part, what="ليس XML سليمًا أو مقطوع"))

    def _count_cell(self) -> None:
        self.visited += 1
        if self.visited > MAX_CELLS:
            refuse(self.package.path, MSG_TOO_MANY_CELLS.format(limit=MAX_CELLS))

    def _count_text(self, length: int, ref: str) -> None:
        self.chars += length
        if self.chars > MAX_TOTAL_CHARS:
            refuse(self.package.path, MSG_TOO_MUCH_TEXT.format(limit=MAX_TOTAL_CHARS, cell=ref))

    def _position(self, ref: str | None, next_column: int, row_number: int) -> tuple[int, int]:
        if ref is None:
            return next_column, row_number + 1
        match = _CELL_REF.match(ref)
        if match is None:
            return next_column, row_number + 1
        number = 0
        for letter in match.group(1):
            number = number * 26 + ord(letter) - 64
        return number, int(match.group(2))

    def _value(self, cell: ElementTree.Element, ref: str) -> Any:
        kind = cell.get("t", "n")
        raw: str | None = None
        inline: ElementTree.Element | None = None
        for child in cell:
            name = _local(child.tag)
            if name == "v":
                raw = child.text
            elif name == "is":
                inline = child
        if kind == "inlineStr":
            return _text_of(inline) if inline is not None else None
        if raw is None:
            return None
        if kind == "s":
            try:
                return self.strings()[int(raw)]
            except (ValueError, IndexError):
                self._refuse(ref, MSG_NO_STRING)
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            try:
                moment = datetime.fromisoformat(raw.strip())
            except ValueError:
                self._refuse(ref, MSG_BAD_DATE)
            return moment.date()
        return self._number(raw, cell.get("s"), ref)

    def _number(self, raw: str, style: str | None, ref: str) -> Any:
        try:
            number = float(raw)
        except ValueError:
            self._refuse(ref, MSG_NOT_NUMBER.format(value=_shown(raw)))
        if not math.isfinite(number):
            self._refuse(ref, MSG_NOT_NUMBER.format(value=_shown(raw)))
        kind = None
        if style is not None and style.isdigit() and int(style) < len(self.date_kinds):
            kind = self.date_kinds[int(style)]
        if kind is not None:
            return self._moment(number, kind, ref)
        if number.is_integer() and abs(number) < 1e15:
            return int(number)
        return number

    def _moment(self, serial: float, kind: str, ref: str) -> Any:
        from datetime import timedelta

        if kind == "time" or (kind != "date" and 0 <= serial < 1):
            seconds = round((serial % 1) * 86400)
            moment = time(seconds // 3600 % 24, seconds // 60 % 60)
            return f"{moment:%H:%M}"
        if not 0 <= serial < 2_958_466:  # up to 9999-12-31, as Excel
            self._refuse(ref, MSG_BAD_DATE)
        if self.epoch is not None:
            return self.epoch + timedelta(days=int(serial))
        days = int(serial)
        if days >= 61:  # Excel counts a 29 February 1900 that never was
            days -= 1
        return date(1899, 12, 31) + timedelta(days=days)

    def _refuse(self, ref: str, what: str) -> Any:
        refuse(self.package.path, MSG_CELL.format(cell=ref, what=what))


def _shown(raw: str) -> str:
    return "«" + (raw[:20] + "…" if len(raw) > 20 else raw) + "»"


def read_xlsx(path: Path, max_columns: int = MAX_COLUMNS) -> Iterator[BatchRow]:
    """The records of the first sheet; the header is the first row that holds anything."""
    sheet = _Sheet(_Package(path))
    keys: dict[int, str] | None = None
    for row_number, cells in sheet.cells(max_columns):
        if keys is None:
            keys = {col: str(value).strip() for col, value in cells.items()}
            continue
        if row_number > MAX_ROWS + 1:
            refuse(path, MSG_TOO_FAR.format(row=row_number, limit=MAX_ROWS))
        values = {key: cells.get(col) for col, key in keys.items() if key}
        if any(not is_blank(v) for v in values.values()):
            yield BatchRow(row_number, values)
