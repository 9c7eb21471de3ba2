"""XML helpers shared by the Office packages: the safe parser, escaping and unescaping, start-tag attributes.

Parts of a workbook or a template come from files people edit, so they are parsed without resolving
entities or reaching the network. Parts that are edited as bytes (a register's sheet) use :func:`attributes`,
:func:`escape_text`, :func:`escape_attr` and :func:`unescape`, which give what a parser would.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

__all__ = [
    "NS_OFFICE_RELATIONSHIPS",
    "NS_PACKAGE_RELATIONSHIPS",
    "NS_SPREADSHEET",
    "attributes",
    "check_well_formed",
    "escape_attr",
    "escape_text",
    "parse",
    "unescape",
]

NS_SPREADSHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_OFFICE_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def parse(data: bytes) -> Any:
    """The root element of ``data``; entities are not resolved, nothing is fetched. Raises
    ``lxml.etree.XMLSyntaxError`` if the XML is not well-formed."""
    return etree.fromstring(data, _SAFE_PARSER)


class _NoTarget:
    """lxml parser target that builds nothing: checks well-formedness at C speed."""

    def close(self) -> None:
        return None


def check_well_formed(data: bytes) -> None:
    """Raise ``lxml.etree.XMLSyntaxError`` unless ``data`` is well-formed XML; builds no tree."""
    etree.fromstring(data, etree.XMLParser(target=_NoTarget(), huge_tree=True))


def attributes(start_tag: bytes) -> dict[bytes, bytes]:
    """The attributes of a start tag (or of its attribute text) as found, values still escaped."""
    return {
        m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(start_tag)
    }


def unescape(raw: bytes) -> str:
    """XML text or an attribute value to str as a parser would give it: line ends normalised, entities and
    character references replaced."""
    text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(
            lambda m: (
                _NAMED.get(m.group(1))
                or chr(int(m.group(1)[2:], 16) if m.group(1)[1] == "x" else int(m.group(1)[1:]))
            ),
            text,
        )
    return text


def escape_text(text: str) -> str:
    """``text`` as XML character data."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attr(text: str) -> str:
    """``text`` as a double-quoted attribute value; line breaks and tabs kept as character references, since
    a parser turns literal ones into spaces."""
    escaped = escape_text(text).replace('"', "&quot;")
    return escaped.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
