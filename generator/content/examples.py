"""`wathiqa example DOC_ID`: a valid data file for one document, every field with a realistic value.

The values come from each field's ``example:`` in forms/*.yml, so the examples change with the forms and
never live in Python. The file is YAML with every value quoted as text (IDs and phones keep their zeros) and
each field's Arabic label in a comment above it.
"""

from __future__ import annotations

import yaml

from ..config.model import Document, Policy


def example_fields(document: Document) -> list[tuple[str, str | list[str]]]:
    """(field id, example value) for every field the office types in, in form order."""
    return [(f.id, f.example) for f in document.input_fields() if f.example is not None]


def example_yaml(document: Document, policy: Policy) -> str:
    lines = [
        f"# {document.title} — {document.id} ({document.code})",
        f"# wathiqa issue {document.id} --data FILE",
        "",
    ]
    fields = {f.id: f for f in document.all_fields()}
    for field_id, value in example_fields(document):
        field_def = fields[field_id]
        note = "مطلوب" if field_def.required else "اختياري"
        if field_def.list is not None:
            note += "؛ من قائمة " + policy.lists[field_def.list].title
        lines.append(f"# {field_def.label} ({note})")
        dumped = yaml.safe_dump({field_id: value}, allow_unicode=True, default_style=None, width=1000)
        lines.append(_quote_scalars(dumped, value).rstrip("\n"))
    return "\n".join(lines) + "\n"


def _quote_scalars(dumped: str, value: str | list[str]) -> str:
    """Quote every scalar, so no reader takes «0501234567» for a number or «نعم» for anything but text."""
    key = dumped.split(":", 1)[0]
    if isinstance(value, list):
        items = ", ".join(_quoted(v) for v in value)
        return f"{key}: [{items}]\n"
    return f"{key}: {_quoted(value)}\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
