"""A worksheet's XML kept as bytes, its rows found and spliced with anchored regular expressions.

A 10,000-row sheet is 8 MB of XML: parsing it whole on every append would cost more than the append. Rows are
indexed once with one regular-expression pass; edited and new rows are spliced in between the untouched
bytes, and the refs that must reach the new last row (the dimension, the register's filter and table) are
rewritten in place.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..ooxml import markup
from .cells import REF, col_index, col_letters, join_range, split_range
from .errors import RegisterCorruptError

__all__ = ["RowEdit", "Sheet", "col_style", "grown_table", "without_cached_results"]

log = logging.getLogger(__name__)

_ADDRESS_ATTR = re.compile(rb"""(?<![\w:.-])r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
"""A cell's address attribute (``r="C7"``), the one attribute the split into columns reads."""


@dataclass
class _RowSpan:
    number: int
    start: int  # offsets into the sheetData content
    end: int


@dataclass
class RowEdit:
    """A row as it will be written: its start-tag attributes and its cells (column -> cell XML)."""

    attrs: bytes
    cells: dict[int, bytes]
    rest: bytes = b""  # anything after the cells (an extLst), kept as found


class Sheet:
    """A worksheet's XML kept as bytes; rows are found with anchored regular expressions, never a full parse.

    Only ``<sheetData>`` rows are edited; everything before it (views, columns, dimension) and after it
    (validations, conditional formats, drawings) stays byte-for-byte, except the dimension and autoFilter
    refs, which are rewritten in place.
    """

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        m = re.search(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData\b([^>]*?)(/?)>", data)
        if m is None:
            raise RegisterCorruptError(f"{name}: no <sheetData>")
        self.p = m.group(1) + b":" if m.group(1) else b""
        if m.group(3):
            self.head = data[: m.start()] + b"<" + self.p + b"sheetData" + m.group(2) + b">"
            self.content = b""
            self.tail = b"</" + self.p + b"sheetData>" + data[m.end() :]
        else:
            close = data.rfind(b"</" + self.p + b"sheetData>")
            if close < m.end():
                raise RegisterCorruptError(f"{name}: <sheetData> is not closed")
            self.head, self.content, self.tail = data[: m.end()], data[m.end() : close], data[close:]
        self._row_re = re.compile(rb"<" + re.escape(self.p) + rb"row\b([^>]*?)(/?)>")
        self.cell_re = re.compile(
            rb"<" + re.escape(self.p) + rb"c\b([^>]*?)(?:/>|>(.*?)</" + re.escape(self.p) + rb"c>)", re.S
        )
        self._spans: list[_RowSpan] | None = None
        self._by_number: dict[int, int] = {}
        self.edits: dict[int, RowEdit] = {}
        self._cells_r_first: bool | None = None

    # ---- row index
    def spans(self) -> list[_RowSpan]:
        """Every row's number and byte span, found once. Rows that all begin ``<row r="N"`` (Excel, openpyxl,
        LibreOffice) take one regex pass; a span then runs to the next row, whitespace included."""
        if self._spans is None:
            content, p = self.content, self.p
            starts = content.count(b"<" + p + b"row ") + content.count(b"<" + p + b"row>")
            numbered = [
                (m.start(), int(m.group(1)))
                for m in re.finditer(rb"<" + re.escape(p) + rb'row r="(\d+)"', content)
            ]
            if len(numbered) == starts:
                ends = [start for start, _ in numbered[1:]] + [len(content)]
                spans = [_RowSpan(n, start, end) for (start, n), end in zip(numbered, ends, strict=True)]
            else:
                spans = self._scan_spans()
            self._spans = spans
            self._by_number = {s.number: i for i, s in enumerate(spans)}
        return self._spans

    def _scan_spans(self) -> list[_RowSpan]:
        spans: list[_RowSpan] = []
        pos, number = 0, 0
        close = b"</" + self.p + b"row>"
        content = self.content
        while (m := self._row_re.search(content, pos)) is not None:
            r = re.search(rb"(?:^|\s)r\s*=\s*[\"'](\d+)[\"']", m.group(1))
            number = int(r.group(1)) if r else number + 1
            if m.group(2):
                end = m.end()
            else:
                end = content.find(close, m.end())
                if end < 0:
                    raise RegisterCorruptError(f"{self.name}: row {number} is not closed")
                end += len(close)
            spans.append(_RowSpan(number, m.start(), end))
            pos = end
        return spans

    def count_rows(self) -> int:
        return len(re.findall(rb"<" + re.escape(self.p) + rb"row[\s/>]", self.content))

    def row_bytes(self, number: int) -> bytes | None:
        self.spans()
        i = self._by_number.get(number)
        if i is None:
            return None
        span = self._spans[i] if self._spans else None
        return self.content[span.start : span.end].rstrip() if span else None

    def cells_of(self, row_xml: bytes) -> tuple[bytes, dict[int, bytes], bytes]:
        """Split one row's XML into its start-tag attributes, its cells by column, and what follows them."""
        m = self._row_re.match(row_xml)
        if m is None:
            raise RegisterCorruptError(f"{self.name}: unreadable row {row_xml[:60]!r}")
        cells: dict[int, bytes] = {}
        col, last_end = 0, m.end()
        if not m.group(2):
            inner_end = len(row_xml) - len(b"</" + self.p + b"row>")
            for c in self.cell_re.finditer(row_xml, m.end(), inner_end):
                address = _ADDRESS_ATTR.search(c.group(1))
                ref = (address.group(1) if address.group(1) is not None else address.group(2)) if address else None
                found = REF.match(ref.decode()) if ref else None
                col = col_index(found.group(1)) if found else col + 1
                cells[col] = c.group(0)
                last_end = c.end()
            rest = row_xml[last_end:inner_end]
        else:
            rest = b""
        return m.group(1), cells, rest

    def current_row(self, number: int) -> RowEdit | None:
        if number in self.edits:
            return self.edits[number]
        raw = self.row_bytes(number)
        if raw is None:
            return None
        attrs, cells, rest = self.cells_of(raw)
        return RowEdit(attrs, cells, rest)

    def row_numbers(self) -> list[int]:
        return sorted({s.number for s in self.spans()} | set(self.edits))

    def all_rows(self) -> Iterator[tuple[int, dict[int, bytes]]]:
        for number in self.row_numbers():
            row = self.current_row(number)
            if row is not None:
                yield number, row.cells

    def column_cells(self, col: int) -> Iterator[tuple[int, bytes]]:
        """(row, cell XML) of one column; a single regex pass when every cell names itself with r= first."""
        p = self.p
        if self._cells_r_first is None:
            starts = self.content.count(b"<" + p + b"c ") + self.content.count(b"<" + p + b"c>")
            self._cells_r_first = starts == self.content.count(b"<" + p + b'c r="')
        if not self._cells_r_first:
            for number, cells in self.all_rows():
                if col in cells:
                    yield number, cells[col]
            return
        pattern = re.compile(
            rb"<"
            + re.escape(p)
            + rb'c r="'
            + col_letters(col).encode()
            + rb'(\d+)"[^>]*?(?:/>|>.*?</'
            + re.escape(p)
            + rb"c>)",
            re.S,
        )
        for m in pattern.finditer(self.content):
            number = int(m.group(1))
            if number not in self.edits:
                yield number, m.group(0)
        for number, edit in self.edits.items():
            if col in edit.cells:
                yield number, edit.cells[col]

    # ---- writing
    def set_row(self, number: int, edit: RowEdit) -> None:
        self.edits[number] = edit

    def new_content(self) -> tuple[bytes, int]:
        """The sheetData content with every edit spliced in; and how many rows were added."""
        spans = self.spans()
        pieces: list[bytes] = []
        pos, added = 0, 0
        pending = sorted(self.edits)
        numbers = [s.number for s in spans]

        for number in pending:
            i = self._by_number.get(number)
            if i is not None:
                span = spans[i]
                pieces += [self.content[pos : span.start], self._row_xml(number, self.edits[number])]
                pos = span.end
            else:
                k = bisect.bisect_left(numbers, number)
                at = spans[k].start if k < len(spans) else len(self.content)
                if at < pos:
                    raise RegisterCorruptError(f"{self.name}: rows are not in ascending order")
                pieces += [self.content[pos:at], self._row_xml(number, self.edits[number])]
                pos = at
                added += 1
        pieces.append(self.content[pos:])
        return b"".join(pieces), added

    def _row_xml(self, number: int, edit: RowEdit) -> bytes:
        attrs = edit.attrs
        cols = sorted(edit.cells)
        if cols and re.search(rb"\sspans=", attrs):
            attrs = re.sub(
                rb'(\sspans=")[^"]*(")', rb"\g<1>" + f"{cols[0]}:{cols[-1]}".encode() + rb"\2", attrs
            )
        if not attrs:
            attrs = f' r="{number}"'.encode()
        body = b"".join(edit.cells[c] for c in cols) + edit.rest
        return b"<" + self.p + b"row" + attrs + b">" + body + b"</" + self.p + b"row>"

    def serialize(self, last_row: int, last_col: int) -> tuple[bytes, int]:
        content, added = self.new_content()
        head = _extend_ref(self.head, b"dimension", self.p, last_row, last_col, always=True)
        tail = _extend_ref(self.tail, b"autoFilter", self.p, last_row, 0, always=False)
        return head + content + tail, added


def _extend_ref(
    xml: bytes, tag: bytes, prefix: bytes, last_row: int, last_col: int, *, always: bool
) -> bytes:
    """Grow the ``ref`` of the first ``<tag>`` to reach ``last_row`` (and ``last_col``), bytes untouched else.

    A filter or table is grown only when it starts on the header row, i.e. when it is the register's own.
    """
    m = re.search(rb"<" + re.escape(prefix) + tag + rb"\b[^>]*?\sref=\"([^\"]*)\"", xml)
    if m is None:
        return xml
    corners = split_range(m.group(1).decode())
    if corners is None:
        return xml
    c1, r1, c2, r2 = corners
    if not always and r1 != 1:
        return xml
    new = join_range(c1, r1, max(c2, last_col), max(r2, last_row))
    if new == m.group(1).decode():
        return xml
    return xml[: m.start(1)] + new.encode() + xml[m.end(1) :]


def col_style(head: bytes, prefix: bytes, col: int) -> int:
    """The default style of a column from ``<cols>``, as Excel applies it to cells typed in that column."""
    for m in re.finditer(rb"<" + re.escape(prefix) + rb"col\b([^>]*?)/?>", head):
        a = markup.attributes(m.group(1))
        try:
            if int(a[b"min"]) <= col <= int(a[b"max"]):
                return int(a.get(b"style", b"0"))
        except (KeyError, ValueError):
            continue
    return 0


def grown_table(data: bytes, part: str, last_row: int) -> dict[str, bytes]:
    """The table part with its ref (and its autoFilter's) reaching ``last_row``; nothing if unchanged."""
    m = re.search(rb"<(?:[\w.-]+:)?table\b[^>]*>", data)
    if m is None:
        return {}
    start_tag = m.group(0)
    if re.search(rb"\stotalsRowCount=\"[1-9]", start_tag):
        log.warning("%s has a totals row; its range is left for Excel to extend", part)
        return {}
    prefix = re.match(rb"<([\w.-]+:)?", start_tag)
    p = (prefix.group(1) or b"") if prefix else b""
    table_tag = _extend_ref(start_tag, b"table", p, last_row, 0, always=False)
    rest = _extend_ref(data[m.end() :], b"autoFilter", p, last_row, 0, always=False)
    grown = data[: m.start()] + table_tag + rest
    return {} if grown == data else {part: grown}


def without_cached_results(xml: bytes) -> bytes:
    """A worksheet with the cached result (``<v>``) of every formula cell dropped, the formulas kept.

    After an append, an archivist's formula over the register (a COUNTIF) still holds its old result. Excel
    recomputes on open when workbook.xml asks it (``fullCalcOnLoad``); LibreOffice Calc 7.4 ignores that
    flag and shows cached results as they are, but computes every formula that has none. Same bytes when the
    sheet holds no formula with a cached result."""
    m = re.search(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData\b", xml)
    prefix = m.group(1) + b":" if m is not None and m.group(1) else b""
    if b"</" + prefix + b"f>" not in xml and b"<" + prefix + b"f " not in xml:
        return xml  # no formula at all
    p = re.escape(prefix)
    pattern = re.compile(rb"(<" + p + rb"f\b[^>]*?(?:/>|>[^<]*</" + p + rb"f>))<" + p + rb"v>[^<]*</" + p + rb"v>")
    return pattern.sub(rb"\1", xml)
