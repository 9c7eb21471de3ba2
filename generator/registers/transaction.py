"""A register transaction: read the register, allocate references, append and update rows, commit once.

:func:`open_register` takes the lock, reads the workbook and yields a :class:`RegisterTransaction`; leaving the
block normally writes the new version (see :mod:`.package`), an exception writes nothing. Columns are found by
their header label, so columns archivists insert or move do not matter. :func:`read_register` reads without
the lock. Besides rows, a transaction can replace another sheet whole (a lists sheet), set workbook-level
defined names and re-point the sheet's list dropdowns, every other byte staying as it was.

(Somewhat over 500 lines: the transaction is one object whose methods share the parsed parts; the pieces that
stand alone already live beside it in lock, package, sheet, workbook, styles and cells.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..ooxml import markup
from .cells import (
    MAX_ROW,
    CellValue,
    check_value,
    col_letters,
    date_to_serial,
    escape_cell_text,
    join_range,
    split_range,
    unescape,
)
from .errors import RegisterCorruptError, RegisterError, parse_part
from .lock import refuse_if_open_elsewhere, register_lock
from .package import remove_leftovers, swap_in
from .sheet import RowEdit, col_style, grown_table, without_cached_results
from .workbook import Row, Workbook

__all__ = ["ListValidation", "RegisterTransaction", "open_register", "read_register"]

log = logging.getLogger(__name__)

_NEEDS_QUOTE = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ListValidation:
    """A ``type="list"`` data validation of the register sheet, as found in its ``<dataValidations>``."""

    index: int  # position among the sheet's dataValidation elements: what set_list_validation takes
    sqref: str
    formula1: str
    prompt_title: str | None
    prompt: str | None


def _xml_attr(text: str) -> bytes:
    return markup.escape_attr(text).encode("utf-8")


def _xml_text(text: str) -> bytes:
    return markup.escape_text(text).encode("utf-8")


def _set_attr(attrs: bytes, name: bytes, value: bytes | None) -> bytes:
    """A start tag's attribute text with ``name`` set to ``value`` (removed if None), the rest unchanged."""
    pattern = re.compile(rb"(\s)" + re.escape(name) + rb"""\s*=\s*(?:"[^"]*"|'[^']*')""")
    m = pattern.search(attrs)
    if value is None:
        return attrs if m is None else attrs[: m.start()] + attrs[m.end() :]
    new = name + b'="' + value + b'"'
    if m is None:
        trail = len(attrs) - len(attrs.rstrip(b"/ \t\r\n"))
        return attrs[: len(attrs) - trail] + b" " + new + attrs[len(attrs) - trail :]
    return attrs[: m.start()] + m.group(1) + new + attrs[m.end() :]


def _defined_name_elements(xml: bytes, p: bytes) -> Iterator[tuple[re.Match[bytes], str, bool]]:
    """Each ``<definedName>`` of workbook.xml: the match, its name and whether it is global (no sheet)."""
    q = re.escape(p)
    pattern = re.compile(rb"<" + q + rb"definedName\b([^>]*?)(?:/>|>(.*?)</" + q + rb"definedName>)", re.S)
    for m in pattern.finditer(xml):
        a = markup.attributes(m.group(1))
        yield m, unescape(a.get(b"name", b"")), b"localSheetId" not in a


class RegisterTransaction:
    """One locked session on a register: read it, allocate references, append and update rows.

    Obtained from :func:`open_register`; changes are written when the ``with`` block ends normally.
    """

    def __init__(self, book: Workbook) -> None:
        self._book = book
        self._rows_before: int | None = None  # the last data row before this transaction's first append
        self.path = book.path
        self.sheet_name = book.sheet_name

    # ---- reading
    def header(self) -> list[str]:
        """Row-1 labels in column order (unlabelled columns skipped)."""
        return [label for _, label in sorted(self._book.header_map().items())]

    def rows(self) -> list[Row]:
        """Every non-empty row under the header, with pending changes of this transaction included."""
        return self._book.rows()

    def next_sequence(self, column_label: str, prefix: str) -> int:
        """1 + the largest N among the column's values ``prefix + digits`` (1 for none); call it under the
        same lock as the append that uses it, so that concurrent issuers never get the same number."""
        col = self._column(column_label)
        pattern = re.compile(re.escape(prefix) + r"(\d+)")
        book = self._book
        p = book.sheet.p
        # Shared strings are matched once; a cell then costs a dictionary look-up of its index.
        numbered = {
            i: int(m.group(1)) for i, text in enumerate(book.shared()) if (m := pattern.fullmatch(text.strip()))
        }
        needle = prefix.encode("utf-8")
        q = re.escape(p)
        plain_inline = re.compile(rb"<" + q + rb"is><" + q + rb"t\b[^>]*>([^<&_\r]*)</" + q + rb"t></" + q + rb"is>")
        v_open, v_close = b"<" + p + b"v>", b"</" + p + b"v>"
        highest = 0
        for number, cell in book.sheet.column_cells(col):
            if number < 2:
                continue
            start_tag = cell[: cell.find(b">")]
            if b't="s"' in start_tag and v_open in cell:
                index = cell[cell.index(v_open) + len(v_open) : cell.index(v_close)]
                highest = max(highest, numbered.get(int(index), 0))
                continue
            if needle not in cell and (needle.isascii() or b"&#" not in cell):
                continue  # cannot hold the prefix
            simple = plain_inline.search(cell)
            value = simple.group(1).decode("utf-8") if simple else book.decode(cell)
            if isinstance(value, str) and (m := pattern.fullmatch(value.strip())):
                highest = max(highest, int(m.group(1)))
        return highest + 1

    def find_rows(self, column_label: str, values: Iterable[str]) -> dict[str, int]:
        """The first row number holding each of ``values`` (compared stripped) in one column; values not in
        the register are absent. Scans that one column's cells, never decoding whole rows."""
        wanted = {v.strip() for v in values if v.strip()}
        found: dict[str, int] = {}
        if not wanted:
            return found
        col = self._column(column_label)
        book = self._book
        shared = {i: text.strip() for i, text in enumerate(book.shared()) if text.strip() in wanted}
        v_open, v_close = b"<" + book.sheet.p + b"v>", b"</" + book.sheet.p + b"v>"
        needles = [(v, v.encode("utf-8")) for v in wanted]
        for number, cell in sorted(book.sheet.column_cells(col)):
            if number < 2:
                continue
            start_tag = cell[: cell.find(b">")]
            if b't="s"' in start_tag and v_open in cell:
                index = cell[cell.index(v_open) + len(v_open) : cell.index(v_close)]
                text = shared.get(int(index))
                if text is not None:
                    found.setdefault(text, number)
                continue
            if b"&" not in cell and not any(n in cell for _, n in needles):
                continue  # holds none of the values
            value = book.decode(cell)
            if isinstance(value, str) and value.strip() in wanted:
                found.setdefault(value.strip(), number)
        return found

    # ---- writing
    def append(self, values: Mapping[str, CellValue]) -> int:
        """Write a new row after the last row holding a value; returns its number.

        Columns are found by header label, so columns that archivists inserted stay empty. A row that exists
        only for its formatting (an archivist coloured a range) is filled rather than duplicated.
        """
        checked = self._checked(values)
        number = self._last_data_row() + 1
        if self._rows_before is None:
            self._rows_before = number - 1
        row = self._book.sheet.current_row(number) or RowEdit(b"", {})
        self._write(number, row, checked)
        return number

    def update(self, row_number: int, values: Mapping[str, CellValue]) -> None:
        """Set cells of an existing record (e.g. mark a request answered); ``None`` clears a value but keeps
        the cell's formatting. Cells holding an archivist's formula are refused, not overwritten."""
        checked = self._checked(values)
        row = self._book.sheet.current_row(row_number) if row_number >= 2 else None
        if row is None:
            raise RegisterError(f"{self.path}: no row {row_number} to update")
        self._write(row_number, row, checked)

    def header_columns(self) -> dict[int, str]:
        """Row-1 labels by column number (1 = A), unlabelled columns skipped."""
        return dict(self._book.header_map())

    @property
    def has_changes(self) -> bool:
        """Whether leaving the block will write a new version of the register."""
        return self._book.changed or bool(self._book.replaced)

    # ---- other parts: the lists sheet, defined names, the sheet's dropdowns
    def sheet_names(self) -> list[str]:
        """The workbook's worksheets in tab order."""
        return list(self._book.sheet_parts)

    def sheet_xml(self, name: str) -> bytes:
        """The XML of another worksheet of the workbook, as this transaction would write it."""
        return self._book.part(self._other_sheet_part(name))

    def replace_sheet_xml(self, name: str, xml: bytes) -> None:
        """Replace another worksheet's XML whole (e.g. a hidden lists sheet regenerated from the policy).

        ``xml`` must stand on its own: inline strings, no ``s=`` styles or ``r:id`` references of another
        workbook. The register sheet itself cannot be replaced: its rows are edited, never rewritten."""
        part = self._other_sheet_part(name)
        parse_part(xml, f"new XML for sheet {name!r}")
        if xml != self._book.part(part):
            self._book.replaced[part] = xml

    def defined_names(self) -> dict[str, str]:
        """Workbook-level defined names (not those local to a sheet, e.g. print titles) and what they refer to."""
        book = self._book
        xml = book.part(book.book_part)
        found: dict[str, str] = {}
        for m, name, is_global in _defined_name_elements(xml, self._book_prefix(xml)):
            if is_global:
                found[name] = unescape(m.group(2) or b"")
        return found

    def set_defined_names(self, names: Mapping[str, str | None]) -> None:
        """Set workbook-level names to the given references (``None`` removes one); every other byte of
        workbook.xml, other names included, stays as it was. Names compare without case, as in Excel."""
        book = self._book
        xml = book.part(book.book_part)
        p = self._book_prefix(xml)
        wanted = {k.lower() for k in names}
        current = {
            name.lower(): (name, m.group(2) or b"")
            for m, name, is_global in _defined_name_elements(xml, p)
            if is_global
        }
        if all(current.get(k.lower()) == (None if v is None else (k, _xml_text(v))) for k, v in names.items()):
            return  # already as asked
        pieces, pos = [], 0
        for m, name, is_global in _defined_name_elements(xml, p):
            if is_global and name.lower() in wanted:
                pieces.append(xml[pos : m.start()])
                pos = m.end()
        xml = b"".join(pieces) + xml[pos:]
        new = b"".join(
            b"<" + p + b'definedName name="' + _xml_attr(k) + b'">' + _xml_text(v) + b"</" + p + b"definedName>"
            for k, v in names.items()
            if v is not None
        )
        q = re.escape(p)
        block = b"<" + p + b"definedNames>" + new + b"</" + p + b"definedNames>"
        if (empty := re.search(rb"<" + q + rb"definedNames\b[^>]*?/>", xml)) is not None:
            xml = xml[: empty.start()] + block + xml[empty.end() :]
        elif (opening := re.search(rb"<" + q + rb"definedNames\b[^>]*>", xml)) is not None:
            xml = xml[: opening.end()] + new + xml[opening.end() :]
        elif new:
            # definedNames follows sheets, functionGroups and externalReferences in the schema's order
            ends = [
                found.end()
                for tag in (b"sheets", b"functionGroups", b"externalReferences")
                for found in [re.search(rb"</" + q + tag + rb">|<" + q + tag + rb"\b[^>]*/>", xml)]
                if found is not None
            ]
            if not ends:
                raise RegisterCorruptError(f"{self.path}: {book.book_part} has no <sheets>")
            at = max(ends)
            xml = xml[:at] + block + xml[at:]
        parse_part(xml, book.book_part)
        if xml != book.zf.read(book.book_part):
            book.replaced[book.book_part] = xml
        else:
            book.replaced.pop(book.book_part, None)

    def list_validations(self) -> list[ListValidation]:
        """The register sheet's list dropdowns, from its ``<dataValidations>`` (extLst ones not included)."""
        found = []
        for index, m in enumerate(self._validation_elements()):
            a = markup.attributes(m.group(1))
            if a.get(b"type") != b"list":
                continue
            f1 = re.search(rb"<" + re.escape(self._book.sheet.p) + rb"formula1>(.*?)</", m.group(2) or b"", re.S)
            title, prompt = a.get(b"promptTitle"), a.get(b"prompt")
            found.append(
                ListValidation(
                    index,
                    unescape(a.get(b"sqref", b"")),
                    unescape(f1.group(1)) if f1 else "",
                    None if title is None else unescape(title),
                    None if prompt is None else unescape(prompt),
                )
            )
        return found

    def set_list_validation(self, index: int, *, formula1: str, prompt_title: str | None, prompt: str | None) -> None:
        """Point dropdown ``index`` at ``formula1`` and set its input prompt (None: no prompt); the rest of
        the element (its cells, error message, flags) and of the sheet stays as it was."""
        sheet = self._book.sheet
        p = sheet.p
        m = self._validation_elements()[index]
        attrs = m.group(1)
        attrs = _set_attr(attrs, b"promptTitle", None if prompt_title is None else _xml_attr(prompt_title))
        attrs = _set_attr(attrs, b"prompt", None if prompt is None else _xml_attr(prompt))
        if prompt is not None:
            attrs = _set_attr(attrs, b"showInputMessage", b"1")
        inner = m.group(2) or b""
        f1 = b"<" + p + b"formula1>" + _xml_text(formula1) + b"</" + p + b"formula1>"
        old = re.search(rb"<" + re.escape(p) + rb"formula1>.*?</" + re.escape(p) + rb"formula1>", inner, re.S)
        inner = inner[: old.start()] + f1 + inner[old.end() :] if old else f1 + inner
        element = b"<" + p + b"dataValidation" + attrs + b">" + inner + b"</" + p + b"dataValidation>"
        if element != m.group(0):
            sheet.tail = sheet.tail[: m.start()] + element + sheet.tail[m.end() :]
            self._book.changed = True

    def restore_validation_ranges(self) -> list[str]:
        """Make the dropdowns that covered every data row reach Excel's last row again; returns their new refs.

        LibreOffice Calc shrinks a validation's range to the rows it thinks used when it saves (``E2:E1048576``
        becomes ``E2:E1004``), so rows added later would have no dropdown. A range that starts on the first
        data row and reaches the last data row (before this transaction's appends) was meant to cover the
        register; one that stops short of the data is an archivist's own choice and stays."""
        last = self._rows_before if self._rows_before is not None else self._last_data_row()
        sheet = self._book.sheet
        restored: list[str] = []
        for m in reversed(self._validation_elements()):
            attrs = m.group(1)
            a = markup.attributes(attrs)
            refs = unescape(a.get(b"sqref", b"")).split()
            grown = []
            for ref in refs:
                corners = split_range(ref)
                if corners is not None and corners[1] == 2 and last <= corners[3] < MAX_ROW:
                    ref = join_range(corners[0], 2, corners[2], MAX_ROW)
                grown.append(ref)
            if grown == refs:
                continue
            new = " ".join(grown)
            element = b"<" + sheet.p + b"dataValidation" + _set_attr(attrs, b"sqref", _xml_attr(new))
            element += m.group(0)[len(b"<" + sheet.p + b"dataValidation") + len(attrs) :]
            sheet.tail = sheet.tail[: m.start()] + element + sheet.tail[m.end() :]
            self._book.changed = True
            restored.append(new)
        return restored

    def _validation_elements(self) -> list[re.Match[bytes]]:
        sheet = self._book.sheet
        q = re.escape(sheet.p)
        block = re.search(rb"<" + q + rb"dataValidations\b.*?</" + q + rb"dataValidations>", sheet.tail, re.S)
        if block is None:
            return []
        pattern = re.compile(rb"<" + q + rb"dataValidation\b([^>]*?)(?:/>|>(.*?)</" + q + rb"dataValidation>)", re.S)
        return list(pattern.finditer(sheet.tail, block.start(), block.end()))

    def _ask_full_recalculation(self) -> None:
        """Set ``fullCalcOnLoad`` in workbook.xml: Excel and Calc recompute every formula on open, so that an
        archivist's COUNTIF over the register counts the new rows instead of showing its cached value."""
        book = self._book
        xml = book.part(book.book_part)
        p = self._book_prefix(xml)
        q = re.escape(p)
        m = re.search(rb"<" + q + rb"calcPr\b([^>]*?)(/?)>", xml)
        if m is not None:
            attrs = _set_attr(m.group(1), b"fullCalcOnLoad", b"1")
            new = xml[: m.start()] + b"<" + p + b"calcPr" + attrs + m.group(2) + b">" + xml[m.end() :]
        else:
            # calcPr follows sheets, functionGroups, externalReferences and definedNames in the schema's order
            ends = [
                found.end()
                for tag in (b"sheets", b"functionGroups", b"externalReferences", b"definedNames")
                for found in [re.search(rb"</" + q + tag + rb">|<" + q + tag + rb"\b[^>]*/>", xml)]
                if found is not None
            ]
            if not ends:
                raise RegisterCorruptError(f"{self.path}: {book.book_part} has no <sheets>")
            at = max(ends)
            new = xml[:at] + b"<" + p + b'calcPr fullCalcOnLoad="1"/>' + xml[at:]
        if new != xml:
            parse_part(new, book.book_part)
            book.replaced[book.book_part] = new

    def _book_prefix(self, xml: bytes) -> bytes:
        m = re.search(rb"<(?:([A-Za-z_][\w.-]*):)?sheets\b", xml)
        return m.group(1) + b":" if m is not None and m.group(1) else b""

    def _other_sheet_part(self, name: str) -> str:
        book = self._book
        if name not in book.sheet_parts:
            raise RegisterError(f"{self.path}: no sheet named {name!r} (sheets: {', '.join(book.sheet_parts)})")
        part = book.sheet_parts[name]
        if part == book.sheet_part:
            raise RegisterError(f"{self.path}: sheet {name!r} is the register sheet; its rows are never replaced")
        return part

    # ---- internals
    def _column(self, label: str) -> int:
        cols = self._book.columns()
        key = label.strip()
        if key not in cols:
            raise RegisterError(
                f"{self.path}: no column {label!r} in sheet {self.sheet_name!r}; columns: {', '.join(cols)}"
            )
        return cols[key]

    def _checked(self, values: Mapping[str, CellValue]) -> dict[int, CellValue]:
        return {self._column(label): check_value(label, value) for label, value in values.items()}

    def _last_data_row(self) -> int:
        sheet = self._book.sheet
        for number in reversed(sheet.row_numbers()):
            row = sheet.current_row(number)
            if number == 1 or (row and any(self._book.decode(c) is not None for c in row.cells.values())):
                return number
        return 1

    def _inherited_style(self, col: int) -> int:
        """A new cell's style: its column's own (``<cols>``), never the cell above, which may carry an
        archivist's highlight of that one row."""
        return col_style(self._book.sheet.head, self._book.sheet.p, col)

    def _write(self, number: int, row: RowEdit, values: dict[int, CellValue]) -> None:
        cells = dict(row.cells)
        for col, value in values.items():
            ref = f"{col_letters(col)}{number}"
            old = cells.get(col)
            if old is not None:
                if re.search(rb"<" + re.escape(self._book.sheet.p) + rb"f\b", old):
                    raise RegisterError(f"{self.path}: cell {ref} holds a formula; refusing to overwrite it")
                s_attr = markup.attributes(self._book.sheet.cell_re.match(old).group(1)).get(b"s")  # type: ignore[union-attr]
                base = int(s_attr) if s_attr is not None else 0
            else:
                base = self._inherited_style(col)
            cell = self._cell_xml(ref, base, value, keep_empty=old is not None)
            if cell is None:
                cells.pop(col, None)
            else:
                cells[col] = cell
        self._book.sheet.set_row(number, RowEdit(row.attrs, cells, row.rest))
        self._book.changed = True

    def _cell_xml(self, ref: str, base: int, value: CellValue, *, keep_empty: bool) -> bytes | None:
        styles = self._book.styles
        if value is None or value == "":
            if not keep_empty or not base:
                return None
            return f'<c r="{ref}" s="{base}"/>'.encode()
        if isinstance(value, str):
            s = styles.with_quote_prefix(base) if value.startswith(_NEEDS_QUOTE) else styles.without_quote_prefix(base)
            body = f'<is><t xml:space="preserve">{escape_cell_text(value)}</t></is>'
            return self._cell(ref, s, ' t="inlineStr"', body)
        s = styles.without_quote_prefix(base)
        if isinstance(value, bool):
            return self._cell(ref, s, ' t="b"', f"<v>{int(value)}</v>")
        if isinstance(value, dt.date):
            s = styles.with_date_format(s, "datetime" if isinstance(value, dt.datetime) else "date")
            return self._cell(ref, s, "", f"<v>{date_to_serial(value, self._book.date1904)!r}</v>")
        if styles.kind(s) is not None:
            s = 0  # a plain number must not be shown as a date because the row above was one
        return self._cell(ref, s, "", f"<v>{value!r}</v>")

    def _cell(self, ref: str, s: int, t: str, body: str) -> bytes:
        p = self._book.sheet.p.decode()
        style = f' s="{s}"' if s else ""
        body = body.replace("<is>", f"<{p}is>").replace("</is>", f"</{p}is>").replace("<t ", f"<{p}t ")
        body = body.replace("</t>", f"</{p}t>").replace("<v>", f"<{p}v>").replace("</v>", f"</{p}v>")
        return f'<{p}c r="{ref}"{style}{t}>{body}</{p}c>'.encode()

    # ---- commit
    def _commit(self, backups: int) -> None:
        book = self._book
        replaced: dict[str, bytes] = dict(book.replaced)
        added, expected_rows = 0, 0
        if book.changed:
            if any(number >= 2 for number in book.sheet.edits):  # rows, not only the header
                self.restore_validation_ranges()
                self._ask_full_recalculation()
            replaced = dict(book.replaced)
            sheet = book.sheet
            last_row = max(sheet.row_numbers())
            last_col = max([max(book.header_map()), *(max(e.cells, default=0) for e in sheet.edits.values())])
            sheet_xml, added = sheet.serialize(last_row, last_col)
            expected_rows = len(sheet.spans()) + added
            replaced[book.sheet_part] = sheet_xml
            if any(number >= 2 for number in sheet.edits):  # formulas over the rows: recomputed on open
                for part in book.sheet_parts.values():
                    data = replaced.get(part) or book.part(part)
                    if (fresh := without_cached_results(data)) != data:
                        replaced[part] = fresh
            if book.styles.changed and book.styles_part:
                replaced[book.styles_part] = book.styles.serialize()
            for part in book.table_parts:
                replaced.update(grown_table(book.part(part), part, last_row))
        if not replaced:
            return
        swap_in(book, replaced, expected_rows, backups)
        log.info("register %s: %d row(s) added, %d changed part(s)", book.path, added, len(replaced))


@contextlib.contextmanager
def open_register(
    path: str | os.PathLike[str], *, sheet: str | None = None, timeout: float = 10.0, backups: int = 10
) -> Iterator[RegisterTransaction]:
    """Lock the register, read it, and yield a :class:`RegisterTransaction`.

    On normal exit of the block the changes are committed atomically (the previous file kept in
    ``backups/``, at most ``backups`` of them); on an exception nothing is written.
    """
    register = Path(path)
    with register_lock(register, timeout=timeout):
        refuse_if_open_elsewhere(register)
        remove_leftovers(register)
        transaction = RegisterTransaction(Workbook.load(register, sheet))
        yield transaction
        transaction._commit(backups)


def read_register(
    path: str | os.PathLike[str], *, sheet: str | None = None, labels: Collection[str] | None = None
) -> tuple[list[str], list[Row]]:
    """Header and rows without taking the lock: readers never wait, and ``os.replace`` gives them a whole
    file, the old or the new. With ``labels``, rows hold only those columns (the header is still whole)."""
    book = Workbook.load(Path(path), sheet)
    transaction = RegisterTransaction(book)
    return transaction.header(), book.rows(labels)
