"""The wording written in YAML, rendered safely.

Administrators write placeholders like ``{{ applicant_name }}`` in forms/*.yml. That text is a template from
a file anyone in the office may edit, so it renders in a sandboxed Jinja environment with StrictUndefined (a
misspelt placeholder is an error, not an empty gap), and values are escaped for HTML. Codes, dates, phones and
IDs are marked :class:`Isolated` by the context; ``finalize`` wraps them in a left-to-right isolate, so a
reference like REQ-1448-00012 never prints reversed inside an Arabic line. This is the one place that happens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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


@lru_cache(maxsize=2)
def environment(target: Target) -> ImmutableSandboxedEnvironment:
    """The one environment wording renders in, per target: HTML (escaped) or plain text (for DOCX)."""
    return ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=target == "html",
        finalize=_finalizer(target),
        keep_trailing_newline=False,
    )


@lru_cache(maxsize=4096)
def _compiled(source: str, target: Target) -> jinja2.Template:
    return environment(target).from_string(source)


def render_wording(source: str, variables: Mapping[str, Any], target: Target) -> str:
    """Render one piece of YAML wording; HTML output is safe markup, text output is plain."""
    out = _compiled(source, target).render(variables)
    return Markup(out) if target == "html" else out


def placeholders(source: str) -> tuple[set[str], set[tuple[str, str]]]:
    """The top-level names a piece of wording uses, and the ``name.attribute`` pairs.

    Raises :class:`jinja2.TemplateSyntaxError` when the wording is not a valid template.
    """
    env = environment("text")
    tree = env.parse(source)
    names = set(jinja2.meta.find_undeclared_variables(tree))
    attributes = {
        (node.node.name, node.attr)
        for node in tree.find_all(jinja2.nodes.Getattr)
        if isinstance(node.node, jinja2.nodes.Name)
    }
    return names, attributes
