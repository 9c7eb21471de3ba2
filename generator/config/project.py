"""load_project(): read policy.yml and forms/*.yml, validate them, cross-check them, resolve their paths.

Every problem in every file is collected first and reported once, each with ``file:line:col: field.path``.
Paths in a file resolve against that file's folder, never the working directory.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem, ProjectError, UsageError
from .checks import cross_check
from .model import Column, Document, FieldDef, FieldsOf, Policy, Register
from .yamlio import Loaded, Loc, load_yaml

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegisterColumn:
    """One resolved column of a register: from a document field or declared in the register."""

    id: str
    label: str
    type: str
    list: str | None
    width: float | None
    of: str | None = None
    field: FieldDef | None = None


@dataclass(frozen=True)
class Project:
    """The validated policy, documents and registers, with the folders they live in."""

    policy_path: Path
    policy: Policy
    documents: dict[str, Document]
    registers: dict[str, Register]
    forms_dir: Path
    templates_dir: Path
    sources: dict[str, Path]
    """The YAML file of each document and register, by id."""
    _column_cache: dict[tuple[str, bool], list[RegisterColumn]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Columns worked out once per register (declared, and in workbook order): a read asks on every row."""

    @property
    def logo_path(self) -> Path:
        return (self.policy_path.parent / self.policy.association.logo).resolve()

    def document(self, doc_id: str) -> Document:
        """The document named on the command line, or :class:`UsageError` listing the ids there are."""
        if doc_id not in self.documents:
            known = ", ".join(sorted(self.documents))
            raise UsageError(f"unknown document {doc_id!r}; the documents are: {known}")
        return self.documents[doc_id]

    def register_columns(self, register_id: str) -> list[RegisterColumn]:
        """The columns of a register in workbook order: the printed columns first (``print:``, with their print
        widths), then the others as declared, with ``fields_of`` expanded to the document's data fields."""
        cached = self._column_cache.get((register_id, True))
        if cached is None:
            columns = self.declared_columns(register_id)
            layout = self.registers[register_id].print_layout
            if layout is not None:
                by_id = {c.id: c for c in columns}
                printed = [replace(by_id[i], width=layout.widths.get(i, by_id[i].width)) for i in layout.columns]
                columns = printed + [c for c in columns if c.id not in layout.columns]
            cached = self._column_cache[(register_id, True)] = columns
        return list(cached)

    def print_columns(self, register_id: str) -> list[RegisterColumn]:
        """The columns a register prints, in order (every column when it declares no ``print:``)."""
        layout = self.registers[register_id].print_layout
        columns = self.register_columns(register_id)
        return columns if layout is None else columns[: len(layout.columns)]

    def date_column(self, register_id: str) -> RegisterColumn | None:
        """The date column that selects rows by period: ``print.date_column``, else the first date declared."""
        layout = self.registers[register_id].print_layout
        wanted = layout.date_column if layout is not None else None
        dates = [c for c in self.declared_columns(register_id) if c.type == "date"]
        return next((c for c in dates if wanted in (None, c.id)), None)

    def declared_columns(self, register_id: str) -> list[RegisterColumn]:
        """The columns in the order the register's YAML declares them (the order rules like "the first date
        column" follow), without print widths."""
        cached = self._column_cache.get((register_id, False))
        if cached is None:
            cached = self._column_cache[(register_id, False)] = []
            for spec in self.registers[register_id].columns:
                if isinstance(spec, FieldsOf):
                    for f in self.documents[spec.fields_of].data_fields():
                        if f.id not in spec.exclude:
                            cached.append(RegisterColumn(f.id, f.label, f.type, f.list, None, None, f))
                else:
                    cached.append(RegisterColumn(spec.id, spec.label, spec.type, spec.list, spec.width, spec.of))
        return list(cached)


# --------------------------------------------------------------------------------------------- messages


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _model_problems(loaded: Loaded, model: type[BaseModel], err: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for item in err.errors():
        loc = _data_loc(loaded.data, item["loc"])
        if loc is None:
            continue  # an error of the other branch of a union: the branch that matches reports its own
        kind = item["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = _allowed_keys(model, loaded.data, loc[:-1])
            hint = difflib.get_close_matches(key, allowed, n=1)
            msg = f"unknown key {key!r}"
            if hint:
                msg += f"; did you mean {hint[0]!r}?"
            if allowed:
                msg += f" (expected one of: {', '.join(sorted(allowed))})"
        elif kind == "missing":
            msg = "required key is missing"
        elif kind == "literal_error":
            expected = item.get("ctx", {}).get("expected", "")
            msg = f"expected one of {expected}, but got {_describe(item.get('input'))}"
        elif kind == "string_pattern_mismatch":
            pattern = item.get("ctx", {}).get("pattern", "")
            msg = f"{_describe(item.get('input'))} does not have the expected form ({pattern})"
        elif kind == "value_error":
            msg = str(item["msg"]).removeprefix("Value error, ")
        else:
            msg = f"{item['msg']}, but got {_describe(item.get('input'))}"
        problems.append(loaded.problem(loc, msg, at_key=kind == "extra_forbidden"))
    return problems


def _data_loc(data: Any, raw: tuple[Any, ...]) -> Loc | None:
    """Map a pydantic error location onto the data, dropping union branch names.

    Returns None when the error belongs to a union branch other than the one the data is written as.
    """
    loc: list[str | int] = []
    node = data
    for part in raw:
        if part in ("Column", "FieldsOf"):
            is_fields_of = isinstance(node, dict) and "fields_of" in node
            if (part == "FieldsOf") != is_fields_of:
                return None
            continue
        if part in ("str", "[key]") or (isinstance(part, str) and "[" in part):
            continue  # a type tag of a union member or a dict key check: not a place in the data
        node = _child(node, part)
        loc.append(part)
    return tuple(loc)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def _allowed_keys(model: type[BaseModel], data: Any, loc: Loc) -> list[str]:
    """The keys the model accepts at ``loc``, for "did you mean"."""
    current: Any = model
    node = data
    for part in loc:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) else None
            current = _item_model(current, node)
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        node = node.get(part) if isinstance(node, dict) else None
        if info is None:
            # a dict keyed by id (lists, signatories ...): the value model is the dict's value type
            return []
        current = _inner_model(info.annotation, node)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _inner_model(annotation: Any, node: Any) -> Any:
    import typing

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if origin is dict and len(args) == 2:
        return _DictOf(args[1])
    if origin in (list, tuple) and args:
        return _ListOf(args[0])
    for arg in args:  # Optional[...] and unions: the model the data is written as
        inner = _inner_model(arg, node)
        if inner is not None and not (inner is FieldsOf and not (isinstance(node, dict) and "fields_of" in node)):
            if inner is Column and isinstance(node, dict) and "fields_of" in node:
                continue
            return inner
    return None


@dataclass(frozen=True)
class _ListOf:
    item: Any


@dataclass(frozen=True)
class _DictOf:
    value: Any


def _item_model(current: Any, node: Any) -> Any:
    if isinstance(current, _ListOf):
        return _inner_model(current.item, node)
    return current


# --------------------------------------------------------------------------------------------- loading


def load_project(policy_path: Path | str) -> Project:
    """Read and check the whole project named by ``policy_path``; raise :class:`ProjectError` listing every fault."""
    policy_path = Path(policy_path)
    policy_loaded = load_yaml(policy_path)
    problems: list[Problem] = []
    policy = _validate(policy_loaded, Policy, problems)
    if policy is None:
        raise ProjectError("the policy is not valid:", problems)

    base = policy_path.parent
    forms_dir = (base / policy.paths.forms).resolve()
    templates_dir = (base / policy.paths.templates).resolve()
    for name, folder in (("paths.forms", forms_dir), ("paths.templates", templates_dir)):
        if not folder.is_dir():
            problems.append(policy_loaded.problem(tuple(name.split(".")), f"folder {str(folder)!r} does not exist"))
    logo = (base / policy.association.logo).resolve()
    if not logo.is_file():
        problems.append(policy_loaded.problem(("association", "logo"), f"logo file {str(logo)!r} does not exist"))
    if problems:
        raise ProjectError("the policy is not valid:", problems)

    documents: dict[str, tuple[Document, Loaded]] = {}
    registers: dict[str, tuple[Register, Loaded]] = {}
    broken: set[str] = set()
    """Ids of files that failed to load: references to them are not reported again."""
    files = sorted(forms_dir.glob("*.yml")) + sorted((forms_dir / "registers").glob("*.yml"))
    if not files:
        problems.append(Problem(str(forms_dir), None, None, "", "no document files (*.yml) in this folder"))
    for path in files:
        try:
            loaded = load_yaml(path)
        except ProjectError as err:
            problems.extend(err.problems)
            broken.add(path.stem)
            continue
        is_register = isinstance(loaded.data, dict) and loaded.data.get("kind") == "register"
        model: type[Document] | type[Register] = Register if is_register else Document
        item = _validate(loaded, model, problems)
        if item is None:
            broken.add(path.stem)
            continue
        if item.id != path.stem:
            problems.append(loaded.problem(("id",), f"id {item.id!r} differs from the file name {path.name!r}"))
        table: dict[str, Any] = registers if isinstance(item, Register) else documents
        if item.id in table:
            other = table[item.id][1].path
            problems.append(loaded.problem(("id",), f"id {item.id!r} is already used by {other}"))
            continue
        table[item.id] = (item, loaded)

    problems.extend(cross_check(policy, policy_loaded, documents, registers, broken))
    if problems:
        raise ProjectError("the project is not valid:", problems)
    sources = {k: v[1].path for k, v in {**documents, **registers}.items()}
    return Project(
        policy_path=policy_path,
        policy=policy,
        documents={k: v[0] for k, v in documents.items()},
        registers={k: v[0] for k, v in registers.items()},
        forms_dir=forms_dir,
        templates_dir=templates_dir,
        sources=sources,
    )


def _validate(loaded: Loaded, model: Any, problems: list[Problem]) -> Any:
    if not isinstance(loaded.data, dict):
        problems.append(loaded.problem((), f"expected a mapping of keys, but got {type(loaded.data).__name__}"))
        return None
    try:
        return model.model_validate(loaded.data)
    except ValidationError as err:
        problems.extend(_model_problems(loaded, model, err))
        return None
