"""Placeholders left in the policy: «[اسم الجمعية]», «[المدينة]» — valid YAML, wrong paper.

The shipped policy is a template whose association name, city and signatories are bracketed Arabic
placeholders. They validate (they are text), so ``wathiqa check`` and the office app's /check page warn about each
one, with its file, line and column, without refusing the policy: an office trying the app before filling them
in can still work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import Problem
from .project import Project
from .yamlio import Loc, load_yaml

__all__ = ["PLACEHOLDER", "Placeholder", "find_placeholders"]

PLACEHOLDER = re.compile(r"\[[^\[\]\n]*[\u0621-\u064a][^\[\]\n]*\]")
"""Square brackets around Arabic words: how the shipped policy marks what the association must fill in."""

MESSAGE = "a placeholder is still here: replace {} with the association's own text"


def _strings(data: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    if isinstance(data, str):
        yield loc, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*loc, index))


@dataclass(frozen=True)
class Placeholder:
    text: str
    """The placeholder as written, brackets included."""
    where: Problem
    """Its file, line, column and key path, with the command line's warning."""


def find_placeholders(project: Project) -> list[Placeholder]:
    """Every bracketed Arabic placeholder in the policy and the forms, with where it is."""
    files = [project.policy_path, *sorted(project.forms_dir.glob("*.yml"))]
    files += sorted((project.forms_dir / "registers").glob("*.yml"))
    found: list[Placeholder] = []
    for path in files:
        loaded = load_yaml(path)
        for loc, text in _strings(loaded.data):
            for match in PLACEHOLDER.finditer(text):
                found.append(Placeholder(match.group(0), loaded.problem(loc, MESSAGE.format(match.group(0)))))
    return found
