"""Keep the dropdowns of existing registers in step with policy.yml.

A register's dropdowns read the policy lists from its hidden lists sheet «القوائم» through workbook-level
defined names (``List_<id>``, ``ListNumbers_<id>``; see ``generator.render.xlsx``). ``wathiqa build`` never
rebuilds an existing register (it holds the archivists' rows), so when a list changes in the policy,
:func:`refresh_lists` swaps the new lists sheet and names into the register through the storage engine:
under the register's lock, atomically, with a backup, every other part of the workbook copied byte for byte.

A column the definition gained is added to the register (:mod:`.columns`), its old rows blank. The register
sheet is otherwise touched only when one of its list dropdowns must change: a register made before the
dropdowns referred to names (their source was a cell range on the lists sheet), or a rating scale whose
prompt names the scale's labels. Dropdowns are matched to the register's columns by their header label, so a
column an archivist inserted, and the archivist's own validations, stay as they are.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ..config.project import Project
from ..render.xlsx import (
    LIST_NAME_PREFIX,
    LIST_NUMBERS_NAME_PREFIX,
    LISTS_SHEET,
    column_width,
    list_names,
    list_validation,
    lists_sheet_xml,
)
from .cells import col_index
from .columns import NewColumn, add_column
from .errors import RegisterError
from .transaction import ListValidation, RegisterTransaction, open_register

__all__ = ["refresh_lists"]

log = logging.getLogger(__name__)

_FIRST_COLUMN = re.compile(r"\$?([A-Za-z]{1,3})\$?\d")


def refresh_lists(
    project: Project, register_id: str, path: Path, *, timeout: float = 10.0, backups: int | None = None
) -> bool:
    """Bring the lists sheet, the list names and the list dropdowns of the register at ``path`` up to date
    with the policy. Returns True if the register was changed (the previous file kept in ``backups/``), False
    if it already matched, in which case not a byte was written."""
    register = project.registers[register_id]
    keep = project.policy.settings.register_backups if backups is None else backups
    fresh_sheet = lists_sheet_xml(project)
    fresh_names = list_names(project)
    with open_register(path, sheet=register.sheet, timeout=timeout, backups=keep) as tx:
        if LISTS_SHEET not in tx.sheet_names():
            raise RegisterError(
                f"السجل {path.name} بلا ورقة «{LISTS_SHEET}» التي تقرأ منها القوائم المنسدلة؛ "
                "أعد إنشاءه أو أعد الورقة من نسخة احتياطية\n"
                f"{path}: no sheet {LISTS_SHEET!r}, which the dropdowns read; restore it from a backup"
            )
        tx.replace_sheet_xml(LISTS_SHEET, fresh_sheet)
        names: dict[str, str | None] = {name: None for name in tx.defined_names() if _owned(name)}
        names.update(fresh_names)  # our names no longer in the policy are removed, the others set
        tx.set_defined_names(names)
        _add_new_columns(project, register_id, tx)
        _retarget_dropdowns(project, register_id, tx)
        tx.restore_validation_ranges()  # LibreOffice Calc shrinks them when it saves
        changed = tx.has_changes
    log.debug("lists of %s: %s", path, "updated" if changed else "already current")
    return changed


def _add_new_columns(project: Project, register_id: str, tx: RegisterTransaction) -> None:
    """Columns of the definition that the register lacks (by header label) are added after its last column."""
    present = {label.strip() for label in tx.header()}
    columns = project.register_columns(register_id)
    for column in columns:
        if column.label.strip() in present:
            continue
        like = next((c.label for c in columns if c.type == column.type and c.label.strip() in present), None)
        spec = list_validation(project, column)
        number = add_column(
            tx,
            NewColumn(
                column.label.strip(),
                column_width(column, project.policy),
                style_like=like,
                dropdown=None if spec is None else spec.formula1,
                strict_dropdown=column.type != "multi_choice",
            ),
        )
        present.add(column.label.strip())
        log.info("%s: column %r added as column %d", tx.path, column.label, number)


def _owned(name: str) -> bool:
    """A defined name wathiqa writes (Excel compares names without case)."""
    low = name.lower()
    return low.startswith(LIST_NAME_PREFIX.lower()) or low.startswith(LIST_NUMBERS_NAME_PREFIX.lower())


def _reads_the_lists(validation: ListValidation) -> bool:
    """A dropdown whose source is one of our names, or (an older register) a range on the lists sheet."""
    source = validation.formula1.lstrip("=").strip()
    if _owned(source):
        return True
    sheet = source.rpartition("!")[0].strip("'")
    return sheet == LISTS_SHEET


def _retarget_dropdowns(project: Project, register_id: str, tx: RegisterTransaction) -> None:
    """Point each list column's dropdown at its name, with the scale's prompt for a rating."""
    by_label = {c.label.strip(): c for c in project.register_columns(register_id)}
    header = tx.header_columns()
    for validation in tx.list_validations():
        if not _reads_the_lists(validation):
            continue  # an archivist's own dropdown
        first = _FIRST_COLUMN.match(validation.sqref.split()[0]) if validation.sqref.split() else None
        if first is None:
            continue
        column = by_label.get(header.get(col_index(first.group(1)), "").strip())
        spec = list_validation(project, column) if column is not None else None
        if spec is None:
            continue  # a column the register no longer defines: its dropdown is left as found
        title, prompt = (
            (spec.prompt_title, spec.prompt)
            if spec.prompt is not None
            else (validation.prompt_title, validation.prompt)
        )
        if (validation.formula1, validation.prompt_title, validation.prompt) != (spec.formula1, title, prompt):
            tx.set_list_validation(validation.index, formula1=spec.formula1, prompt_title=title, prompt=prompt)
