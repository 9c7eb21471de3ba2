"""A column added to a register's definition reaches the registers that already exist.

``wathiqa build`` never rebuilds a register that holds rows. When the policy gains a column, the column is
added after the last used column of the register sheet: its header cell (styled as the register's first
header cell), its ``<col>`` entry (width and the default style new cells take), the register's table when it
ends just before, and its dropdown for a list column. Old rows stay blank in it. Nothing moves: columns the
archivists inserted, their formats and charts keep their places, and every other part of the workbook is
copied byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..ooxml import markup
from .cells import MAX_ROW, col_letters, split_range
from .errors import RegisterCorruptError
from .sheet import RowEdit, col_style
from .transaction import RegisterTransaction, _xml_attr, _xml_text

__all__ = ["NewColumn", "add_column"]


@dataclass(frozen=True)
class NewColumn:
    """A column to add: its header label, width in characters, the label of an existing column whose default
    style it takes (one of the same type), and the dropdown's source for a list column."""

    label: str
    width: float
    style_like: str | None = None
    dropdown: str | None = None
    strict_dropdown: bool = True


def add_column(tx: RegisterTransaction, column: NewColumn) -> int:
    """Add ``column`` after the register sheet's last used column; returns its number (1 = A)."""
    book = tx._book
    sheet = book.sheet
    header = book.header_map()
    last = max(header)
    dimension = re.search(rb"<" + re.escape(sheet.p) + rb'dimension\b[^>]*?\sref="([^"]*)"', sheet.head)
    if dimension is not None and (corners := split_range(dimension.group(1).decode())) is not None:
        last = max(last, corners[2])
    col = last + 1
    ref = f"{col_letters(col)}1"

    first_header = sheet.current_row(1)
    assert first_header is not None  # header_map found the header row
    first_cell = first_header.cells[min(header)]
    s = markup.attributes(sheet.cell_re.match(first_cell).group(1)).get(b"s", b"0")  # type: ignore[union-attr]
    p = sheet.p
    cell = (
        b"<" + p + b'c r="' + ref.encode() + b'" s="' + s + b'" t="inlineStr"><' + p + b"is><" + p
        + b't xml:space="preserve">' + _xml_text(column.label) + b"</" + p + b"t></" + p + b"is></" + p + b"c>"
    )  # fmt: skip
    cells = dict(first_header.cells)
    cells[col] = cell
    sheet.set_row(1, RowEdit(first_header.attrs, cells, first_header.rest))
    book._header = None

    style = 0
    if column.style_like is not None and column.style_like in book.columns():
        style = col_style(sheet.head, p, book.columns()[column.style_like])
    sheet.head = _with_col(sheet.head, p, col, column.width, style)
    if column.dropdown is not None:
        sheet.tail = _with_dropdown(sheet.tail, p, col, column.dropdown, strict=column.strict_dropdown)
    for part in book.table_parts:
        grown = _table_with_column(book.part(part), col, column.label)
        if grown is not None:
            book.replaced[part] = grown
    book.changed = True
    return col


def _with_col(head: bytes, p: bytes, col: int, width: float, style: int) -> bytes:
    """``<cols>`` with an entry for ``col``; a range entry covering it (LibreOffice writes them) is split."""
    new = (
        b"<" + p + b'col min="' + str(col).encode() + b'" max="' + str(col).encode() + b'" width="'
        + f"{width:g}".encode() + b'" customWidth="1"' + (f' style="{style}"'.encode() if style else b"") + b"/>"
    )  # fmt: skip
    q = re.escape(p)
    block = re.search(rb"<" + q + rb"cols>(.*?)</" + q + rb"cols>", head, re.S)
    if block is None:
        at = re.search(rb"<" + q + rb"sheetData\b", head)
        if at is None:
            raise RegisterCorruptError("the register sheet has no <sheetData>")
        return head[: at.start()] + b"<" + p + b"cols>" + new + b"</" + p + b"cols>" + head[at.start() :]
    entry_re = re.compile(rb"<" + q + rb"col\b[^>]*?/>|<" + q + rb"col\b[^>]*>.*?</" + q + rb"col>", re.S)
    entries = entry_re.findall(block.group(1))
    out: list[bytes] = []
    placed = False
    for entry in entries:
        a = markup.attributes(entry[: entry.find(b">")].rstrip(b"/"))
        low, high = int(a.get(b"min", b"0")), int(a.get(b"max", b"0"))
        if low <= col <= high:
            if low < col:
                out.append(_set(entry, low, col - 1))
            out.append(new)
            placed = True
            if col < high:
                out.append(_set(entry, col + 1, high))
            continue
        if not placed and low > col:
            out.append(new)
            placed = True
        out.append(entry)
    if not placed:
        out.append(new)
    return head[: block.start(1)] + b"".join(out) + head[block.end(1) :]


def _set(entry: bytes, low: int, high: int) -> bytes:
    entry = re.sub(rb'(\smin=")\d+(")', rb"\g<1>" + str(low).encode() + rb"\2", entry, count=1)
    return re.sub(rb'(\smax=")\d+(")', rb"\g<1>" + str(high).encode() + rb"\2", entry, count=1)


def _with_dropdown(tail: bytes, p: bytes, col: int, source: str, *, strict: bool) -> bytes:
    letter = col_letters(col)
    element = (
        b"<" + p + b'dataValidation type="list" allowBlank="1" showErrorMessage="' + (b"1" if strict else b"0")
        + b'" sqref="' + f"{letter}2:{letter}{MAX_ROW}".encode() + b'"><' + p + b"formula1>" + _xml_text(source)
        + b"</" + p + b"formula1></" + p + b"dataValidation>"
    )  # fmt: skip
    q = re.escape(p)
    block = re.search(rb"<" + q + rb"dataValidations\b([^>]*)>", tail)
    if block is not None:
        close = tail.index(b"</" + p + b"dataValidations>", block.end())
        attrs = block.group(1)
        count = re.search(rb'\scount="(\d+)"', attrs)
        if count is not None:
            attrs = attrs[: count.start(1)] + str(int(count.group(1)) + 1).encode() + attrs[count.end(1) :]
        opening = b"<" + p + b"dataValidations" + attrs + b">"
        return tail[: block.start()] + opening + tail[block.end() : close] + element + tail[close:]
    # dataValidations follows conditionalFormatting and precedes hyperlinks, print settings, drawings, tables
    following = [
        m.start()
        for tag in (b"hyperlinks", b"printOptions", b"pageMargins", b"pageSetup", b"headerFooter", b"drawing",
                    b"legacyDrawing", b"tableParts", b"extLst")
        for m in [re.search(rb"<" + q + tag + rb"\b", tail)]
        if m is not None
    ]  # fmt: skip
    at = min(following, default=tail.rfind(b"</"))
    return tail[:at] + b"<" + p + b'dataValidations count="1">' + element + b"</" + p + b"dataValidations>" + tail[at:]


def _table_with_column(data: bytes, col: int, label: str) -> bytes | None:
    """The table part grown by one column when it ends just before ``col`` on the header row; else None."""
    m = re.search(rb"<(?:([\w.-]+):)?table\b[^>]*?\sref=\"([^\"]*)\"", data)
    if m is None:
        return None
    corners = split_range(m.group(2).decode())
    if corners is None or corners[1] != 1 or corners[2] != col - 1:
        return None
    p = m.group(1) + b":" if m.group(1) else b""
    q = re.escape(p)
    old_ref = m.group(2)
    new_ref = f"{col_letters(corners[0])}1:{col_letters(col)}{corners[3]}".encode()
    data = data.replace(b'ref="' + old_ref + b'"', b'ref="' + new_ref + b'"')  # the table's and its autoFilter's
    columns = re.search(rb"<" + q + rb"tableColumns\b([^>]*)>", data)
    if columns is None:
        return None
    ids = [int(i) for i in re.findall(rb"<" + q + rb'tableColumn\b[^>]*?\sid="(\d+)"', data)]
    close = data.index(b"</" + p + b"tableColumns>", columns.end())
    new_id = str(max(ids, default=0) + 1).encode()
    entry = b"<" + p + b'tableColumn id="' + new_id + b'" name="' + _xml_attr(label) + b'"/>'
    attrs = re.sub(rb'(\scount=")\d+(")', rb"\g<1>" + str(len(ids) + 1).encode() + rb"\2", columns.group(1))
    return (
        data[: columns.start()] + b"<" + p + b"tableColumns" + attrs + b">" + data[columns.end() : close] + entry
        + data[close:]
    )  # fmt: skip
