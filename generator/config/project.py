"""load_project(): read policy.yml and forms/*.yml, validate them, cross-check them, resolve their paths.

Every problem in every file is collected first and reported once, each with ``file:line:col: field.path``.
Paths in a file resolve against that file's folder, never the working directory.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..content.context import GLOBAL_NAMES
from ..content.records import check_value
from ..content.wording import wording_problems
from ..errors import Problem, ProjectError, UsageError
from .model import Column, Document, FieldDef, FieldsOf, Policy, Register
from .yamlio import Loaded, Loc, load_yaml, loc_text

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

    problems.extend(_cross_check(policy, policy_loaded, documents, registers, broken))
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


# --------------------------------------------------------------------------------------------- cross-checks


def _cross_check(
    policy: Policy,
    policy_loaded: Loaded,
    documents: dict[str, tuple[Document, Loaded]],
    registers: dict[str, tuple[Register, Loaded]],
    broken: set[str],
) -> Iterator[Problem]:
    lists = policy.lists
    for doc, loaded in documents.values():
        yield from _check_document(doc, loaded, policy, documents, registers, broken)
    for reg, loaded in registers.values():
        yield from _check_register(reg, loaded, policy, documents, broken)
    if not lists:
        yield policy_loaded.problem(("lists",), "no lists defined")


def _field_locs(doc: Document) -> Iterator[tuple[FieldDef, Loc]]:
    for i, f in enumerate(doc.fields):
        yield f, ("fields", i)
    for s, section in enumerate(doc.sections):
        for i, f in enumerate(section.fields):
            yield f, ("sections", s, "fields", i)


def _check_document(
    doc: Document,
    loaded: Loaded,
    policy: Policy,
    documents: dict[str, tuple[Document, Loaded]],
    registers: dict[str, tuple[Register, Loaded]],
    broken: set[str],
) -> Iterator[Problem]:
    field_ids = {f.id for f in doc.all_fields()}
    for f, loc in _field_locs(doc):
        if f.list is not None and f.list not in policy.lists:
            yield loaded.problem((*loc, "list"), _unknown("policy list", f.list, policy.lists))
        if f.list is not None and f.type == "rating" and f.list in policy.lists and len(policy.lists[f.list].items) < 2:
                yield loaded.problem((*loc, "list"), "a rating scale needs at least two items")
        rule = policy.settings.gender
        if f.id == rule.field and f.list in policy.lists:
            options = policy.lists[f.list].labels()
            for key in ("masculine", "feminine"):
                if getattr(rule, key) not in options:
                    yield loaded.problem(
                        (*loc, "list"),
                        f"the gender field's list {f.list!r} has no option {getattr(rule, key)!r} "
                        f"(settings.gender.{key} in the policy); gendered wording would never follow the record",
                    )
    if doc.numbering is not None and doc.numbering not in policy.numbering:
        yield loaded.problem(("numbering",), _unknown("numbering scheme", doc.numbering, policy.numbering))
    if doc.register_id is not None and doc.register_id not in registers and doc.register_id not in broken:
        yield loaded.problem(("register",), _unknown("register", doc.register_id, registers))
    if doc.signatory is not None and doc.signatory not in policy.signatories:
        yield loaded.problem(("signatory",), _unknown("signatory", doc.signatory, policy.signatories))
    if doc.addressee is not None and doc.addressee not in field_ids:
        yield loaded.problem(("addressee",), _unknown("field", doc.addressee, field_ids))
    if doc.declarant is not None:
        for key in ("name", "national_id"):
            value = getattr(doc.declarant, key)
            if value not in field_ids:
                yield loaded.problem(("declarant", key), _unknown("field", value, field_ids))
    office_ids = {f.id for s in doc.sections if s.office_use for f in s.fields}
    for f, loc in _field_locs(doc):
        if f in doc.input_fields() and f.id not in office_ids and f.example is None:
            yield loaded.problem(loc, f"field {f.id!r} needs `example:` (a realistic value for `wathiqa example`)")
    parent_fields = {f.id: f for f in doc.data_fields()}
    for i, child_id in enumerate(doc.issue_with):
        if child_id in broken:
            continue
        if child_id not in documents:
            yield loaded.problem(("issue_with", i), _unknown("document", child_id, documents))
            continue
        child = documents[child_id][0]
        for f in child.input_fields():
            mine = parent_fields.get(f.id)
            if mine is None:
                msg = f"{child_id} needs field {f.id!r}, which this document does not have"
                yield loaded.problem(("issue_with", i), msg)
            elif (mine.type, mine.list) != (f.type, f.list):
                msg = (
                    f"field {f.id!r} is {mine.type}{'/' + mine.list if mine.list else ''} here "
                    f"but {f.type}{'/' + f.list if f.list else ''} in {child_id}"
                )
                yield loaded.problem(("issue_with", i), msg)
    if doc.answers is not None:
        yield from _check_answers(doc, loaded, policy, registers, broken)
    yield from _check_wording(doc, loaded, field_ids)
    yield from _check_examples(doc, loaded, policy)


def _check_examples(doc: Document, loaded: Loaded, policy: Policy) -> Iterator[Problem]:
    """Every `example:` passes the validators a case passes, so `wathiqa example` never prints what `issue`
    refuses. Only fields whose list exists are checked (an unknown list is reported on its own)."""
    for f, loc in _field_locs(doc):
        if f.example is None or f.auto is not None or (f.list is not None and f.list not in policy.lists):
            continue
        message = check_value(f, f.example, policy)
        if message is not None:
            yield loaded.problem((*loc, "example"), f"the example does not pass the field's own check: {message}")


def _check_answers(
    doc: Document,
    loaded: Loaded,
    policy: Policy,
    registers: dict[str, tuple[Register, Loaded]],
    broken: set[str],
) -> Iterator[Problem]:
    answers = doc.answers
    assert answers is not None
    if answers.register_id in broken:
        return
    if answers.register_id not in registers:
        yield loaded.problem(("answers", "register"), _unknown("register", answers.register_id, registers))
        return
    register = registers[answers.register_id][0]
    own = {c.id: c for c in register.columns if isinstance(c, Column)}
    if register.answered is None:
        yield loaded.problem(("answers", "register"), f"register {register.id!r} has no `answered:` settings")
    outgoing = registers.get(doc.register_id or "")
    if outgoing is not None and outgoing[0].letters is None:
        where = outgoing[1].problem(("id",), f"register {outgoing[0].id!r} receives the decision letter "
                                    f"{doc.id!r} but declares no `letters:` columns")
        yield where
    column = own.get(answers.column)
    if column is None:
        yield loaded.problem(("answers", "column"), _unknown("column", answers.column, own))
    elif column.list in policy.lists and answers.value not in policy.lists[column.list].labels():
        options = policy.lists[column.list].labels()
        yield loaded.problem(("answers", "value"), _unknown(f"item of list {column.list}", answers.value, options))
    field_ids = {f.id for f in doc.all_fields()}
    for letter_field in answers.fields:
        if letter_field not in field_ids:
            yield loaded.problem(("answers", "fields", letter_field), _unknown("field", letter_field, field_ids))


def _wording_items(doc: Document) -> Iterator[tuple[Loc, str]]:
    for key in ("intro", "closing", "attachments", "footer_note"):
        value = getattr(doc, key)
        if value:
            yield (key,), value
    for key in ("body", "undertakings"):
        for i, text in enumerate(getattr(doc, key)):
            yield (key, i), text
    for s, section in enumerate(doc.sections):
        if section.note:
            yield ("sections", s, "note"), section.note


def _check_wording(doc: Document, loaded: Loaded, field_ids: set[str]) -> Iterator[Problem]:
    """Every piece of wording uses only the wording language (see :mod:`generator.content.wording`), with the
    fields of this document and the namespaces it has: a form has no signatory."""
    namespaces = {name: allowed for name, allowed in GLOBAL_NAMES.items() if allowed is not None}
    if doc.signatory is None:
        del namespaces["signatory"]
    names = {name for name, allowed in GLOBAL_NAMES.items() if allowed is None and name != "g"} | field_ids
    for loc, text in _wording_items(doc):
        for line, message in wording_problems(text, names, namespaces):
            where = f" (line {line} of the text)" if line > 1 else ""
            yield loaded.problem(loc, message + where)


def _check_register(
    reg: Register,
    loaded: Loaded,
    policy: Policy,
    documents: dict[str, tuple[Document, Loaded]],
    broken: set[str],
) -> Iterator[Problem]:
    if reg.numbering is not None and reg.numbering not in policy.numbering:
        yield loaded.problem(("numbering",), _unknown("numbering scheme", reg.numbering, policy.numbering))
    ids: dict[str, Loc] = {}
    labels: dict[str, Loc] = {}
    date_columns: set[str] = set()
    pending_of: list[tuple[str, Loc]] = []

    def add(col_id: str, label: str, loc: Loc) -> Iterator[Problem]:
        if col_id in ids:
            yield loaded.problem(loc, f"column id {col_id!r} appears twice (also at {loc_text(ids[col_id])})")
        if label in labels:
            yield loaded.problem(loc, f"column label {label!r} appears twice: archivists find columns by label")
        ids[col_id] = loc
        labels[label] = loc

    complete = True
    """False when a document the columns come from could not be read: its column ids are unknown."""
    for i, spec in enumerate(reg.columns):
        loc: Loc = ("columns", i)
        if isinstance(spec, FieldsOf):
            if spec.fields_of in broken:
                complete = False
                continue
            if spec.fields_of not in documents:
                yield loaded.problem((*loc, "fields_of"), _unknown("document", spec.fields_of, documents))
                complete = False
                continue
            doc = documents[spec.fields_of][0]
            data_ids = {f.id for f in doc.data_fields()}
            for j, excluded in enumerate(spec.exclude):
                if excluded not in data_ids:
                    yield loaded.problem((*loc, "exclude", j), _unknown(f"field of {doc.id}", excluded, data_ids))
            for f in doc.data_fields():
                if f.id not in spec.exclude:
                    yield from add(f.id, f.label, loc)
                    if f.type == "date":
                        date_columns.add(f.id)
        else:
            yield from add(spec.id, spec.label, loc)
            if spec.type == "date":
                date_columns.add(spec.id)
            if spec.list is not None and spec.list not in policy.lists:
                yield loaded.problem((*loc, "list"), _unknown("policy list", spec.list, policy.lists))
            if spec.type in ("choice", "multi_choice", "rating") and spec.list is None:
                yield loaded.problem(loc, f"a {spec.type} column needs `list:`")
            if spec.type == "hijri_text":
                if spec.of is None:
                    yield loaded.problem(loc, "a hijri_text column needs `of:` naming a date column")
                else:
                    pending_of.append((spec.of, (*loc, "of")))
    if reg.answered is not None:
        answered = reg.answered
        for key in ("letter_column", "date_column", "status_column"):
            value = getattr(answered, key)
            if value is not None and value not in ids:
                yield loaded.problem(("answered", key), _unknown("column", value, ids))
    if reg.letters is not None:
        for key in ("request_column", "document_column", "addressee_column", "signatory_column"):
            value = getattr(reg.letters, key)
            if value is not None and value not in ids:
                yield loaded.problem(("letters", key), _unknown("column", value, ids))
    for key, value in reg.initial.items():
        if key not in ids:
            yield loaded.problem(("initial", key), _unknown("column", key, ids), at_key=True)
            continue
        spec_list = next((c.list for c in reg.columns if isinstance(c, Column) and c.id == key), None)
        options = policy.lists[spec_list].labels() if spec_list in policy.lists else None
        if options is not None and value not in options:
            yield loaded.problem(("initial", key), _unknown(f"item of list {spec_list}", value, options))
    for of, loc in pending_of:
        if of not in date_columns:
            yield loaded.problem(loc, _unknown("date column", of, date_columns))
    if not any(isinstance(c, Column) and c.type == "reference" for c in reg.columns):
        yield loaded.problem(("columns",), "a register needs one column of type reference")
    if reg.print_layout is not None and complete:
        yield from _check_print(reg, loaded, ids, date_columns)


def _check_print(reg: Register, loaded: Loaded, ids: dict[str, Loc], date_columns: set[str]) -> Iterator[Problem]:
    layout = reg.print_layout
    assert layout is not None
    for i, column_id in enumerate(layout.columns):
        if column_id not in ids:
            yield loaded.problem(("print", "columns", i), _unknown("column", column_id, ids))
    for column_id in layout.widths:
        if column_id not in layout.columns:
            msg = f"column {column_id!r} is not printed: list it in print.columns or remove its width"
            yield loaded.problem(("print", "widths", column_id), msg, at_key=True)
    if layout.date_column is not None and layout.date_column not in date_columns:
        yield loaded.problem(("print", "date_column"), _unknown("date column", layout.date_column, date_columns))


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    msg = f"unknown {what} {name!r}"
    hint = difflib.get_close_matches(name, known, n=1)
    if hint:
        msg += f"; did you mean {hint[0]!r}?"
    elif known and len(known) <= 12:
        msg += f" (expected one of: {', '.join(known)})"
    return msg
