"""The cross-checks of a loaded project: what no single file's schema can see.

A document's lists, numbering, register, signatory, addressee and declarant exist; its examples pass its own
validators; a decision letter's ``answers`` name a real register column and option; every wording placeholder
is a field or a name the templates give; a register's columns, ``fields_of`` documents and print layout hold
together. Each problem names its file, line and column.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from ..content.context import GLOBAL_NAMES
from ..content.records import check_value
from ..content.wording import wording_problems
from ..errors import Problem
from .model import Column, Document, FieldDef, FieldsOf, Policy, Register
from .yamlio import Loaded, Loc, loc_text

__all__ = ["cross_check"]


def cross_check(
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
    if reg.signed_column is not None and reg.signed_column not in date_columns:
        yield loaded.problem(("signed_column",), _unknown("date column", reg.signed_column, date_columns))
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
