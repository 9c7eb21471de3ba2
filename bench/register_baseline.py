"""The naive way to append a register row, kept as the baseline that the register engine must beat.

openpyxl parses the whole workbook, appends, and rewrites every part (dropping shapes and some extensions on
the way): that is what a register append would cost without :mod:`generator.registers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from openpyxl import load_workbook

from generator.registers import CellValue


def naive_append(path: Path, values: Mapping[str, CellValue]) -> None:
    """openpyxl load + append one row by header label + save."""
    wb = load_workbook(path)
    ws = wb.active
    header = [cell.value for cell in ws[1]]
    ws.append([values.get(str(label)) if label is not None else None for label in header])
    wb.save(path)
