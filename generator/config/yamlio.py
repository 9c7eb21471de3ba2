"""The only place YAML is read.

PyYAML's defaults are unsafe for a policy file: duplicate keys silently keep the last value, ``no`` becomes
False, ``0501234567`` an octal number and ``12:30`` the integer 750. This loader composes the node tree and
converts it itself, so that:

* only ``true``/``false`` and ``null`` are resolved; every other plain scalar stays a string, exactly as
  written (pydantic turns "14" into 14 where a field is declared an integer);
* duplicate keys, non-string keys, tags (``!!python/object`` ...) and anchors/aliases are errors (aliases are
  refused outright, so an alias bomb is never expanded);
* every value keeps its line and column, so a validation error can point into the file;
* a character YAML forbids (NUL, DEL ...) is reported at its line and column, nesting deeper than
  ``max_depth`` is refused from the event stream before anything is composed (the composer recurses), and in
  policy and form files a control character or a non-character written as an escape (``"\\0"``,
  ``"\\uffff"``) is refused too: it would end up in a register header or a document that cannot hold it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..content.text import first_forbidden
from ..errors import Problem, ProjectError

Loc = tuple[str | int, ...]

_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_NULL = {"", "~", "null", "Null", "NULL"}
_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}
MAX_BYTES = 2_000_000
MAX_DEPTH = 32
"""Nesting of mappings and lists; the deepest shipped form needs 6."""
_UNACCEPTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""What the YAML reader refuses in a stream (the same set as PyYAML's), found here to say where it is."""


@dataclass
class Loaded:
    """A YAML document as plain Python data, with the line:col (1-based) of every key and value."""

    path: Path
    data: Any
    marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: Loc) -> tuple[int | None, int | None]:
        """The line and column of the deepest part of ``loc`` that exists in the file."""
        for cut in range(len(loc), -1, -1):
            mark = self.marks.get(tuple(loc[:cut]))
            if mark is not None:
                return mark
        return None, None

    def problem(self, loc: Loc, message: str, display: str | None = None, *, at_key: bool = False) -> Problem:
        """A problem at ``loc``; ``at_key`` points at the key itself (an unknown key) rather than its value."""
        line, col = self.key_marks.get(loc) or self.where(loc) if at_key else self.where(loc)
        return Problem(str(self.path), line, col, display if display is not None else loc_text(loc), message)


def loc_text(loc: Loc) -> str:
    """``('fields', 2, 'type')`` -> ``fields[2].type``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Loader(yaml.SafeLoader):
    """SafeLoader whose resolver knows only null and booleans; the rest stays text."""


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same with libyaml's parser (about ten times faster); a file it refuses is read again by
    :class:`_Loader`, whose messages say more."""


for _cls in (_Loader, _FastLoader):
    _cls.yaml_implicit_resolvers = {}
    _cls.add_implicit_resolver(
        "tag:yaml.org,2002:bool", yaml.resolver.Resolver.yaml_implicit_resolvers["t"][0][1], list("tTfF")
    )
    for _first, _resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items():
        for _tag, _regexp in _resolvers:
            if _tag == "tag:yaml.org,2002:null":
                _cls.add_implicit_resolver(_tag, _regexp, [_first])


class _Refused(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


def _forbidden_message(char: str) -> str:
    return f"the character U+{ord(char):04X} (a control character or a non-character) cannot be printed; remove it"


def _convert(
    node: Node,
    loc: Loc,
    marks: dict[Loc, tuple[int, int]],
    key_marks: dict[Loc, tuple[int, int]],
    strict_text: bool = True,
) -> Any:
    marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if node.tag not in _CORE_TAGS:
        raise _Refused(node, f"the tag {node.tag!r} is not allowed: wathiqa files hold plain data only")
    if isinstance(node, ScalarNode):
        if strict_text:
            bad = first_forbidden(str(node.value))
            if bad is not None:
                raise _Refused(node, _forbidden_message(bad))
        return _scalar(node)
    if isinstance(node, SequenceNode):
        return [_convert(item, (*loc, i), marks, key_marks, strict_text) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (key_node.value == "<<" and not key_node.style):
                raise _Refused(key_node, "merge keys (<<) are not allowed here: write the values out")
            if not isinstance(key_node, ScalarNode):
                raise _Refused(key_node, "a key must be plain text")
            key = str(key_node.value)
            bad = first_forbidden(key, "")
            if bad is not None:
                raise _Refused(key_node, _forbidden_message(bad))
            if key in out:
                line = key_marks[(*loc, key)][0]
                raise _Refused(key_node, f"duplicate key {key!r} (first given on line {line})")
            key_marks[(*loc, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _convert(value_node, (*loc, key), marks, key_marks, strict_text)
        return out
    raise _Refused(node, "unsupported YAML node")  # pragma: no cover - the composer makes no other kind


def _scalar(node: ScalarNode) -> Any:
    text = str(node.value)
    if node.style in ("'", '"', "|", ">"):
        return text
    if node.tag == "tag:yaml.org,2002:null":
        return None
    if node.tag == "tag:yaml.org,2002:bool":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    if text in _NULL:
        return None
    return text


def _read_text(path: Path) -> str:
    if path.is_dir():
        raise ProjectError("", [Problem(str(path), None, None, "", "is a folder, expected a YAML file")])
    try:
        raw = path.read_bytes()
    except FileNotFoundError as err:
        raise ProjectError("", [Problem(str(path), None, None, "", "file not found")]) from err
    except OSError as err:
        raise ProjectError("", [Problem(str(path), None, None, "", f"cannot be read: {err.strerror}")]) from err
    if len(raw) > MAX_BYTES:
        raise ProjectError("", [Problem(str(path), None, None, "", f"is {len(raw)} bytes; at most {MAX_BYTES}")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        msg = f"is not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start}); save it as UTF-8"
        raise ProjectError("", [Problem(str(path), line, None, "", msg)]) from err


def load_yaml(path: Path, *, allow_empty: bool = False) -> Loaded:
    """Read one YAML file safely; raise :class:`ProjectError` with the file, line and column on any fault."""
    text = _read_text(path)
    return parse_yaml(text, path, allow_empty=allow_empty)


def refuse_unacceptable(text: str, path: Path) -> None:
    """Refuse a character no YAML or JSON reader accepts (NUL, DEL, U+FFFE ...), saying where it is."""
    found = _UNACCEPTABLE.search(text)
    if found is None:
        return
    offset = found.start()
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    msg = f"the character U+{ord(found.group()):04X} is not allowed in a text file (a control character?); remove it"
    raise ProjectError("", [Problem(str(path), line, col, "", msg)])


def _mark(mark: Any) -> tuple[int | None, int | None]:
    """1-based line and column of a PyYAML mark (which counts from 0)."""
    if mark is None:
        return None, None
    return int(mark.line) + 1, int(mark.column) + 1


def _check_events(text: str, path: Path, max_depth: int, loader: type[Any] = _Loader) -> None:
    """Refuse aliases and deep nesting from the event stream, before anything is composed: an alias bomb or a
    thousand nested brackets cost nothing (the parser keeps its own stack; the composer would recurse)."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            msg = "anchors and aliases (& and *) are not allowed in wathiqa files: write the value out"
            line, col = _mark(event.start_mark)
            raise ProjectError("", [Problem(str(path), line, col, "", msg)])
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                line, col = _mark(event.start_mark)
                msg = f"lists and mappings nest more than {max_depth} deep here; wathiqa files are flatter"
                raise ProjectError("", [Problem(str(path), line, col, "", msg)])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse_yaml(
    text: str, path: Path, *, allow_empty: bool = False, max_depth: int = MAX_DEPTH, strict_text: bool = True
) -> Loaded:
    """Parse YAML text that came from ``path`` (used for messages).

    ``strict_text`` refuses control characters and non-characters in every key and value (policy and forms);
    case data leaves control characters to the field validators, which say in Arabic which field holds one.
    """
    refuse_unacceptable(text, path)
    if "\t" in text:
        for number, text_line in enumerate(text.splitlines(), 1):
            stripped = text_line.lstrip(" ")
            if stripped.startswith("\t"):
                indent = len(text_line) - len(stripped) + 1
                msg = "a tab is used for indentation; indent with spaces"
                raise ProjectError("", [Problem(str(path), number, indent, "", msg)])
    try:
        _check_events(text, path, max_depth, _FastLoader)
        node = yaml.compose(text, Loader=_FastLoader)
    except yaml.YAMLError:
        node = _compose_slowly(text, path, max_depth)
    return _finish(node, path, allow_empty=allow_empty, strict_text=strict_text)


def _compose_slowly(text: str, path: Path, max_depth: int) -> Any:
    """Parse with the pure-Python parser, whose errors carry the context and the marks wathiqa reports."""
    try:
        _check_events(text, path, max_depth)
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = _mark(mark)
        what = err.problem or "malformed YAML"
        if err.context:
            started = err.context_mark
            at = ""
            if started is not None and started != mark:
                at = " (begun at {}:{})".format(*_mark(started))
            what = f"{err.context}{at}, {what}"
        raise ProjectError("", [Problem(str(path), line, col, "", f"malformed YAML: {what}")]) from err
    except yaml.YAMLError as err:
        raise ProjectError("", [Problem(str(path), None, None, "", f"malformed YAML: {err}")]) from err


def _finish(node: Any, path: Path, *, allow_empty: bool, strict_text: bool) -> Loaded:
    """The composed node as plain data, with the line and column of every value and key."""
    if node is None:
        if allow_empty:
            return Loaded(path, None)
        raise ProjectError("", [Problem(str(path), None, None, "", "the file is empty; expected a mapping")])
    marks: dict[Loc, tuple[int, int]] = {}
    key_marks: dict[Loc, tuple[int, int]] = {}
    try:
        data = _convert(node, (), marks, key_marks, strict_text)
    except _Refused as err:
        mark = err.node.start_mark
        problem = Problem(str(path), mark.line + 1, mark.column + 1, "", err.message)
        raise ProjectError("", [problem]) from None
    return Loaded(path, data, marks, key_marks)
