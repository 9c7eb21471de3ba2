"""One register workbook read from its bytes: the parts a register needs, its header and its rows.

The workbook's relationships lead to the register sheet (the first worksheet, or the one named), its styles,
shared strings and tables. Cells are decoded as Excel shows them: shared and inline strings, booleans, and
numbers that are dates where the cell's format says so.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..ooxml import archive, markup
from ..ooxml.archive import Member
from .cells import EXCEL_ESCAPE, CellValue, serial_to_date, unescape
from .errors import RegisterCorruptError, RegisterError, parse_part
from .sheet import Sheet
from .styles import Styles

__all__ = ["Row", "Workbook"]

_RUN_TEXTS = etree.XPath("./m:t/text() | ./m:r/m:t/text()", namespaces={"m": markup.NS_SPREADSHEET})


@dataclass(frozen=True)
class Row:
    """One record of a register: its row number in the sheet and its values keyed by header label."""

    number: int
    values: dict[str, CellValue]

    def __getitem__(self, label: str) -> CellValue:
        return self.values[label]

def _rels(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(type, resolved target, id) of each internal relationship of ``part`` ("" for the package)."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in zf.NameToInfo:
        return []
    root = parse_part(zf.read(rels_name), rels_name)
    out = []
    for rel in root.iter(f"{{{markup.NS_PACKAGE_RELATIONSHIPS}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        resolved = (
            target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        )
        out.append((rel.get("Type", ""), resolved, rel.get("Id", "")))
    return out


_TYPE_ATTR = re.compile(rb"""(?<![\w:.-])t\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_STYLE_ATTR = re.compile(rb"""(?<![\w:.-])s\s*=\s*(?:"([^"]*)"|'([^']*)')""")
"""A cell's type and style attributes, the two a value needs (the others, its address among them, are not read)."""


@dataclass
class Workbook:
    """The parts of one workbook that a register needs, read once from the file's bytes."""

    path: Path
    members: list[Member]
    zf: zipfile.ZipFile
    sheet_part: str
    sheet_name: str
    sheet: Sheet
    styles: Styles
    styles_part: str | None
    shared_part: str | None
    table_parts: list[str]
    date1904: bool
    _shared: list[str] | None = None
    _header: dict[int, str] | None = None
    stat: os.stat_result | None = None
    changed: bool = field(default=False)
    book_part: str = "xl/workbook.xml"
    sheet_parts: dict[str, str] = field(default_factory=dict)
    replaced: dict[str, bytes] = field(default_factory=dict)
    _patterns: tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]] | None = None
    """Other parts than the sheet replaced whole by this transaction (a lists sheet, workbook.xml)."""

    def part(self, name: str) -> bytes:
        """A part's bytes as this transaction will write them."""
        return self.replaced[name] if name in self.replaced else self.zf.read(name)

    @classmethod
    def load(cls, path: Path, sheet: str | None) -> Workbook:
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                blob = f.read()
        except FileNotFoundError as err:
            raise RegisterError(f"{path}: no such register") from err
        try:
            zf, members = archive.read_members(blob)
        except archive.ArchiveError as err:
            raise RegisterCorruptError(f"{path}: {err}") from err
        except (zipfile.BadZipFile, struct.error, ValueError) as err:
            raise RegisterCorruptError(f"{path}: not a readable .xlsx workbook: {err}") from err
        try:
            book_part = next(
                (t for kind, t, _ in _rels(zf, "") if kind.endswith("/officeDocument")), "xl/workbook.xml"
            )
            book = parse_part(zf.read(book_part), book_part)
            rels = _rels(zf, book_part)
            targets = {rid: (kind, t) for kind, t, rid in rels}
            pr = book.find(f"{{{markup.NS_SPREADSHEET}}}workbookPr")
            date1904 = pr is not None and pr.get("date1904") in ("1", "true")
            sheets = []
            for el in book.iter(f"{{{markup.NS_SPREADSHEET}}}sheet"):
                kind, target = targets.get(el.get(f"{{{markup.NS_OFFICE_RELATIONSHIPS}}}id", ""), ("", ""))
                if kind.endswith("/worksheet"):
                    sheets.append((el.get("name", ""), target))
            if not sheets:
                raise RegisterCorruptError(f"{path}: no worksheet")
            if sheet is None:
                sheet_name, sheet_part = sheets[0]
            else:
                found = [s for s in sheets if s[0] == sheet]
                if not found:
                    names = ", ".join(s[0] for s in sheets)
                    raise RegisterError(f"{path}: no sheet named {sheet!r} (sheets: {names})")
                sheet_name, sheet_part = found[0]
            by_kind = {kind.rsplit("/", 1)[-1]: t for kind, t, _ in rels}
            styles_part = by_kind.get("styles")
            shared_part = by_kind.get("sharedStrings")
            tables = [t for kind, t, _ in _rels(zf, sheet_part) if kind.endswith("/table")]
            styles = (
                Styles(zf.read(styles_part), styles_part)
                if styles_part in zf.NameToInfo
                else Styles(None, None)
            )
            sheet_xml = Sheet(zf.read(sheet_part), sheet_part)
        except KeyError as err:
            raise RegisterCorruptError(f"{path}: missing part {err}") from err
        except (zipfile.BadZipFile, zlib.error) as err:
            raise RegisterCorruptError(f"{path}: {err}") from err
        return cls(
            path,
            members,
            zf,
            sheet_part,
            sheet_name,
            sheet_xml,
            styles,
            styles_part if styles_part in zf.NameToInfo else None,
            shared_part if shared_part in zf.NameToInfo else None,
            tables,
            date1904,
            stat=st,
            book_part=book_part,
            sheet_parts=dict(sheets),
        )

    # ---- reading
    def shared(self) -> list[str]:
        if self._shared is None:
            shared: list[str] = []
            if self.shared_part:
                root = parse_part(self.zf.read(self.shared_part), self.shared_part)
                t_tag = f"{{{markup.NS_SPREADSHEET}}}t"
                for si in root.iterchildren(f"{{{markup.NS_SPREADSHEET}}}si"):
                    if len(si) == 1 and si[0].tag == t_tag:
                        text = si[0].text or ""
                    else:  # rich text: runs joined; phonetic runs (rPh) are not part of the value
                        text = "".join(_RUN_TEXTS(si))
                    if "_x" in text:
                        text = EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
                    shared.append(text)
            self._shared = shared
        return self._shared

    def _cell_patterns(self) -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
        """The patterns of a cell's phonetic runs, text runs and value, in the sheet's namespace prefix (made once:
        a year's register has a quarter of a million cells)."""
        if self._patterns is None:
            p = re.escape(self.sheet.p)
            self._patterns = (
                re.compile(rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh>", re.S),
                re.compile(rb"<" + p + rb"t\b[^>]*?(?:/>|>(.*?)</" + p + rb"t>)", re.S),
                re.compile(rb"<" + p + rb"v>(.*?)</" + p + rb"v>", re.S),
            )
        return self._patterns

    def decode(self, cell: bytes) -> CellValue:
        m = self.sheet.cell_re.match(cell)
        if m is None or m.group(2) is None:
            return None
        head, inner = m.group(1), m.group(2)
        found = _TYPE_ATTR.search(head)
        kind = (found.group(1) if found.group(1) is not None else found.group(2)) if found else b"n"
        phonetic, texts, value = self._cell_patterns()
        if kind == b"inlineStr":
            inner = phonetic.sub(b"", inner)
            return unescape(b"".join(texts.findall(inner))) or None  # an empty inline string is a blank cell
        v = value.search(inner)
        if v is None:
            return None
        text = v.group(1)
        if kind == b"s":
            try:
                return self.shared()[int(text)]
            except (ValueError, IndexError) as err:
                raise RegisterCorruptError(f"{self.sheet_part}: bad shared string {text!r}") from err
        if kind in (b"str", b"e"):
            return unescape(text)
        if kind == b"b":
            return text.strip() in (b"1", b"true")
        if kind == b"d":
            stamp = dt.datetime.fromisoformat(unescape(text))
            return (
                stamp
                if (stamp.hour, stamp.minute, stamp.second, stamp.microsecond) != (0, 0, 0, 0)
                else stamp.date()
            )
        raw = text.strip().decode()
        number: int | float = int(raw) if re.fullmatch(r"-?\d+", raw) else float(raw)
        style = _STYLE_ATTR.search(head)
        index = (style.group(1) if style.group(1) is not None else style.group(2)) if style else b"0"
        fmt = self.styles.kind(int(index))
        if fmt is not None:
            return serial_to_date(float(number), self.date1904, fmt == "datetime")
        return number

    def header_map(self) -> dict[int, str]:
        if self._header is None:
            row = self.sheet.current_row(1)
            header: dict[int, str] = {}
            for col, cell in (row.cells if row else {}).items():
                value = self.decode(cell)
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                label = "" if value is None else str(value).strip()
                if label:
                    header[col] = label
            if not header:
                raise RegisterError(f"{self.path}: sheet {self.sheet_name!r} has no header row")
            self._header = header
        return self._header

    def columns(self) -> dict[str, int]:
        cols: dict[str, int] = {}
        for col, label in sorted(self.header_map().items()):
            cols.setdefault(label, col)  # a repeated label means the first column with it
        return cols

    def rows(self, labels: Collection[str] | None = None) -> list[Row]:
        """Every non-empty row; with ``labels``, only those columns are decoded (a reader that needs a few
        columns of a wide register skips the rest)."""
        header = self.header_map()
        if labels is not None:
            wanted = set(labels)
            header = {col: label for col, label in header.items() if label in wanted}
        out = []
        for number, cells in self.sheet.all_rows():
            if number < 2:
                continue
            values: dict[str, CellValue] = {}
            for col, label in sorted(header.items()):
                if label not in values or values[label] is None:
                    values[label] = self.decode(cells[col]) if col in cells else None
            if any(v is not None for v in values.values()):
                out.append(Row(number, values))
        return out
