"""A workbook's ``styles.xml``: which cell styles show dates, and the styles a new cell needs.

A new cell takes the style of the cell above it (or its column's); when that style would mislead (a formula-like
text needs a quote prefix, a plain number must not inherit one, a date needs a date format), a clone of the
style with that one change is added to ``cellXfs``, or an identical one already there is reused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from ..ooxml import markup
from .errors import RegisterCorruptError, RegisterError, parse_part

__all__ = ["Styles"]

_BUILTIN_DATE_FORMATS = {14: "date", 15: "date", 16: "date", 17: "date", 22: "datetime"}
_BUILTIN_DATE_FORMATS |= {i: "date" for i in (*range(27, 37), *range(50, 59))}


def _format_kind(code: str) -> str | None:
    """'date', 'datetime' or None for a number format code; time-only formats stay numbers."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", code.split(";")[0]).lower()
    has_date = "d" in code or "y" in code or ("m" in code and "h" not in code and "s" not in code)
    if not has_date or code in ("general", "@"):
        return None
    return "datetime" if ("h" in code or "s" in code) else "date"


class Styles:
    """``styles.xml``: which ``s`` indexes are dates, and new ``xf`` entries (quote prefix, date format)."""

    def __init__(self, data: bytes | None, name: str | None) -> None:
        self.name = name
        self.data = data
        self._root: Any = None
        self._kinds: list[str | None] = []
        self._cache: dict[tuple[str, int], int] = {}
        self.changed = False
        if data is not None:
            self._root = parse_part(data, name or "styles.xml")
            self._load_kinds()

    def _q(self, tag: str) -> str:
        return f"{{{markup.NS_SPREADSHEET}}}{tag}"

    def _xfs(self) -> list[Any]:
        cell_xfs = self._root.find(self._q("cellXfs")) if self._root is not None else None
        return [] if cell_xfs is None else list(cell_xfs.iterchildren(self._q("xf")))

    def _custom_formats(self) -> dict[int, str]:
        formats = self._root.find(self._q("numFmts"))
        if formats is None:
            return {}
        return {
            int(f.get("numFmtId")): f.get("formatCode", "") for f in formats.iterchildren(self._q("numFmt"))
        }

    def _load_kinds(self) -> None:
        custom = self._custom_formats()
        kinds: list[str | None] = []
        for xf in self._xfs():
            fid = int(xf.get("numFmtId", "0"))
            kinds.append(_format_kind(custom[fid]) if fid in custom else _BUILTIN_DATE_FORMATS.get(fid))
        self._kinds = kinds

    def kind(self, s: int) -> str | None:
        return self._kinds[s] if 0 <= s < len(self._kinds) else None

    def has_quote_prefix(self, s: int) -> bool:
        xfs = self._xfs()
        return 0 <= s < len(xfs) and xfs[s].get("quotePrefix") in ("1", "true")

    def _add_xf(self, base: int, change: Callable[[Any], None]) -> int:
        if self._root is None:
            raise RegisterError("the workbook has no styles.xml; cannot add a cell style")
        cell_xfs = self._root.find(self._q("cellXfs"))
        xfs = self._xfs()
        if cell_xfs is None or not xfs:
            raise RegisterCorruptError(f"{self.name}: no cellXfs")
        clone = etree.fromstring(etree.tostring(xfs[base if 0 <= base < len(xfs) else 0]))
        change(clone)
        # Reuse an identical xf if the workbook already has one (ours from an earlier append, or Excel's).
        wanted = etree.tostring(clone)
        for i, xf in enumerate(xfs):
            if etree.tostring(xf) == wanted:
                return i
        cell_xfs.append(clone)
        cell_xfs.set("count", str(len(xfs) + 1))
        self.changed = True
        self._load_kinds()
        return len(xfs)

    def with_quote_prefix(self, base: int) -> int:
        """The style ``base`` with ``quotePrefix="1"``: Excel shows the text and never evaluates it."""
        key = ("quote", base)
        if key not in self._cache:
            if self.has_quote_prefix(base):
                self._cache[key] = base
            else:
                self._cache[key] = self._add_xf(base, lambda xf: xf.set("quotePrefix", "1"))
        return self._cache[key]

    def without_quote_prefix(self, s: int) -> int:
        """An equivalent style without the quote prefix (a plain value must not inherit it from above)."""
        if not self.has_quote_prefix(s):
            return s
        key = ("plain", s)
        if key not in self._cache:

            def drop(xf: Any) -> None:
                del xf.attrib["quotePrefix"]

            self._cache[key] = self._add_xf(s, drop)
        return self._cache[key]

    def with_date_format(self, base: int, kind: str) -> int:
        """``base`` if it already shows a date, else a clone showing ISO dates (never Excel's locale format
        14, which an Arabic-locale Excel may show in another calendar)."""
        if self.kind(base) == kind:
            return base
        key = (kind, base)
        if key not in self._cache:
            code = "yyyy-mm-dd" if kind == "date" else "yyyy-mm-dd hh:mm:ss"
            fid = self._num_fmt_id(code)

            def set_format(xf: Any) -> None:
                xf.set("numFmtId", str(fid))
                xf.set("applyNumberFormat", "1")

            self._cache[key] = self._add_xf(base, set_format)
        return self._cache[key]

    def _num_fmt_id(self, code: str) -> int:
        custom = self._custom_formats()
        for fid, existing in custom.items():
            if existing == code:
                return fid
        formats = self._root.find(self._q("numFmts"))
        if formats is None:
            formats = etree.Element(self._q("numFmts"), nsmap=None)
            self._root.insert(0, formats)
        fid = max([163, *custom]) + 1
        etree.SubElement(formats, self._q("numFmt"), numFmtId=str(fid), formatCode=code)
        formats.set("count", str(len(custom) + 1))
        self.changed = True
        return fid

    def serialize(self) -> bytes:
        out: bytes = etree.tostring(self._root, xml_declaration=True, encoding="UTF-8", standalone=True)
        return out
