"""The wording written in YAML, rendered safely.

Administrators write placeholders like ``{{ applicant_name }}`` in forms/*.yml. That text is a template from
a file anyone in the office may edit, so it renders in a sandboxed Jinja environment with StrictUndefined (a
misspelt placeholder is an error, not an empty gap), and values are escaped for HTML. Codes, dates, phones and
IDs are marked :class:`Isolated` by the context; ``finalize`` wraps them in a left-to-right isolate, so a
reference like REQ-1448-00012 never prints reversed inside an Arabic line. This is the one place that happens.

The wording language is deliberately small, so that whatever `wathiqa check` accepts also prints:

* ``{{ name }}`` — a field of the document, or a value of the case (``reference``, ``received_on`` ...);
* ``{{ association.phone }}`` — one attribute of a policy namespace (association, document, and signatory
  where the document has one);
* ``{{ g('المتقدم', 'المتقدمة') }}`` — the gendered form, two texts;
* ``{% if name %} … {% elif … %} … {% else %} … {% endif %}`` on those values, optionally with ``not``.

Everything else (arithmetic, indexing, calls, filters, loops, ``include``, ``set`` ...) is refused by
:func:`wording_problems` when the project is loaded, with the place it is at; the environment also has no
globals and calls nothing but ``g``, so no wording can loop a million times or reach into Python.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Mapping
from functools import lru_cache
from typing import Any, Literal

import jinja2
import jinja2.meta
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from .text import isolate_html, isolate_plain

Target = Literal["html", "text"]
WORD_JOINER = "\u2060"
_NUMERIC_DATE = re.compile(r"[0-9\u0660-\u0669]{1,4}(?:/[0-9\u0660-\u0669]{1,4}){2}(?:هـ|م)?")


class Isolated(str):
    """A left-to-right value (reference, date, phone, ID, e-mail) that must be isolated inside Arabic text."""

    __slots__ = ()


class Mixed(tuple[str, ...]):
    """Text made of plain parts and :class:`Isolated` parts, e.g. a date in both calendars."""

    __slots__ = ()

    def __str__(self) -> str:
        return "".join(self)


def to_target(value: Any, target: Target) -> Any:
    """A value as it goes into HTML (safe markup) or plain text, with its left-to-right parts isolated."""
    if isinstance(value, Isolated):
        if target == "html":
            return isolate_html(str(value))
        text = str(value)
        if _NUMERIC_DATE.fullmatch(text):  # Word and LibreOffice may break a date after «/»: forbid it
            text = text.replace("/", "/" + WORD_JOINER)
        return isolate_plain(text)
    if isinstance(value, Mixed):
        parts = [to_target(part, target) for part in value]
        return Markup("").join(parts) if target == "html" else "".join(parts)
    return value


def _finalizer(target: Target) -> Callable[[Any], Any]:
    def finalize(value: Any) -> Any:
        return to_target(value, target)

    return finalize


class WordingFunction:
    """Base of the only things wording may call (the ``g`` helper); the sandbox refuses every other call."""

    __slots__ = ()


class WordingError(ValueError):
    """Raised when wording that was never checked uses more than the wording language allows."""


class _WordingSandbox(ImmutableSandboxedEnvironment):
    def is_safe_callable(self, obj: Any) -> bool:
        return isinstance(obj, WordingFunction)


@lru_cache(maxsize=2)
def environment(target: Target) -> ImmutableSandboxedEnvironment:
    """The one environment wording renders in, per target: HTML (escaped) or plain text (for DOCX)."""
    env = _WordingSandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=target == "html",
        finalize=_finalizer(target),
        keep_trailing_newline=False,
    )
    env.globals.clear()  # no range(), dict(), lipsum() ...: wording sees only the view's variables
    return env


@lru_cache(maxsize=4096)
def _compiled(source: str, target: Target) -> jinja2.Template:
    env = environment(target)
    shape = _shape_problems(env.parse(source))
    if shape:
        line, message = shape[0]
        raise WordingError(f"line {line} of the wording: {message}")
    return env.from_string(source)


def render_wording(source: str, variables: Mapping[str, Any], target: Target) -> str:
    """Render one piece of YAML wording; HTML output is safe markup, text output is plain."""
    out = _compiled(source, target).render(variables)
    return Markup(out) if target == "html" else out


WORDING_HELP = "wording may hold {{ field }}, {{ association.name }}, {{ g('masculine', 'feminine') }} and {% if %}"

_FORBIDDEN_KINDS = {
    "Getitem": "indexing ([…])",
    "Slice": "slicing",
    "Filter": "filters (|)",
    "Test": "tests (is …)",
    "Call": "calls",
    "For": "loops ({% for %})",
    "Include": "{% include %}",
    "Import": "{% import %}",
    "FromImport": "{% from … import %}",
    "Extends": "{% extends %}",
    "Block": "{% block %}",
    "Macro": "{% macro %}",
    "CallBlock": "{% call %}",
    "Assign": "{% set %}",
    "AssignBlock": "{% set %}",
    "With": "{% with %}",
    "FilterBlock": "{% filter %}",
    "Const": "constants",
    "TemplateData": "text",
    "Concat": "joining (~)",
    "CondExpr": "… if … else …",
    "List": "lists",
    "Tuple": "tuples",
    "Dict": "mappings",
}


def _kind(node: jinja2.nodes.Node) -> str:
    name = type(node).__name__
    if isinstance(node, jinja2.nodes.BinExpr | jinja2.nodes.UnaryExpr) and not isinstance(node, jinja2.nodes.Not):
        return "arithmetic"
    if isinstance(node, jinja2.nodes.Compare | jinja2.nodes.And | jinja2.nodes.Or):
        return "comparisons"
    return _FORBIDDEN_KINDS.get(name, name)


def _is_g_call(node: jinja2.nodes.Node) -> bool:
    return (
        isinstance(node, jinja2.nodes.Call)
        and isinstance(node.node, jinja2.nodes.Name)
        and node.node.name == "g"
        and len(node.args) == 2
        and all(isinstance(arg, jinja2.nodes.Const) and isinstance(arg.value, str) for arg in node.args)
        and not node.kwargs
        and node.dyn_args is None
        and node.dyn_kwargs is None
    )


def _value_problem(node: jinja2.nodes.Node, *, in_test: bool) -> str | None:
    """Why an expression is not a wording value, or None. Names are checked separately."""
    if isinstance(node, jinja2.nodes.Name):
        return "g is used as g('masculine', 'feminine')" if node.name == "g" else None
    if isinstance(node, jinja2.nodes.Getattr):
        if isinstance(node.node, jinja2.nodes.Name):
            return None
        if isinstance(node.node, jinja2.nodes.Getattr):
            return f"a value has no parts (.{node.attr})"
        return f"{_kind(node.node)} before .{node.attr}: not allowed in wording"
    if isinstance(node, jinja2.nodes.Call) and isinstance(node.node, jinja2.nodes.Name) and node.node.name == "g":
        return None if _is_g_call(node) else "g takes exactly two texts: g('masculine', 'feminine')"
    if in_test and isinstance(node, jinja2.nodes.Not):
        return _value_problem(node.node, in_test=True)
    return f"{_kind(node)}: not allowed in wording"


def _shape_problems(tree: jinja2.nodes.Template) -> list[tuple[int, str]]:
    """(line in the text, message) for every construct outside the wording language."""
    problems: list[tuple[int, str]] = []

    def statements(nodes: list[jinja2.nodes.Node]) -> None:
        for node in nodes:
            if isinstance(node, jinja2.nodes.Output):
                for child in node.nodes:
                    if isinstance(child, jinja2.nodes.TemplateData):
                        continue
                    problem = _value_problem(child, in_test=False)
                    if problem:
                        problems.append((child.lineno, f"{problem}; {WORDING_HELP}"))
            elif isinstance(node, jinja2.nodes.If):
                problem = _value_problem(node.test, in_test=True)
                if problem:
                    problems.append((node.lineno, f"{problem}; {WORDING_HELP}"))
                statements(node.body)
                statements(list(node.elif_))
                statements(node.else_)
            else:
                problems.append((node.lineno, f"{_kind(node)}: not allowed in wording; {WORDING_HELP}"))

    statements(tree.body)
    return problems


def wording_problems(
    source: str, names: Collection[str], namespaces: Mapping[str, Collection[str]]
) -> list[tuple[int, str]]:
    """Every reason ``source`` cannot be printed, as (line in the text, message); empty when it can.

    ``names`` are the plain values it may use (the document's fields, the case's values), ``namespaces`` the
    objects whose attributes it may use, with those attributes.
    """
    try:
        tree = environment("text").parse(source)
    except jinja2.TemplateSyntaxError as err:
        return [(err.lineno, f"placeholder syntax: {err.message}")]
    problems = _shape_problems(tree)
    if problems:
        return problems
    known = {*names, *namespaces, "g"}
    attributes = list(tree.find_all(jinja2.nodes.Getattr))
    owners = {id(attr.node) for attr in attributes}
    for node in tree.find_all(jinja2.nodes.Name):
        if node.name not in known:
            hint = difflib.get_close_matches(node.name, sorted(known - {"g"}), n=1)
            msg = f"unknown placeholder {node.name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
            problems.append((node.lineno, f"{msg} (a field id of this document or a policy value)"))
        elif node.name in namespaces and id(node) not in owners:
            problems.append((node.lineno, f"{node.name} is printed by one of its values, e.g. {node.name}.name"))
    for attr in attributes:
        assert isinstance(attr.node, jinja2.nodes.Name)  # the shape check allows no other owner
        owner = attr.node.name
        if owner not in namespaces:
            if owner in known:
                problems.append((attr.lineno, f"{owner} has no parts: write {{{{ {owner} }}}}"))
            continue
        allowed = namespaces[owner]
        if attr.attr not in allowed:
            hint = difflib.get_close_matches(attr.attr, sorted(allowed), n=1)
            msg = f"unknown placeholder {owner}.{attr.attr}" + (f"; did you mean {owner}.{hint[0]}?" if hint else "")
            problems.append((attr.lineno, f"{msg} (expected one of: {', '.join(sorted(allowed))})"))
    return problems
