"""The sheet a clerk fills for a batch: the document's columns with their Arabic labels, right to left.

Its headers are the labels the batch reader already knows, so a filled template is read as it is; fields the
app fills itself (the reference, the day received) and those decided later (the decision) are left out.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from ..config.model import Document
from ..config.project import Project
from .fields import decided_later

__all__ = ["template_columns", "template_sheet"]


def template_columns(project: Project, document: Document) -> list[tuple[str, str]]:
    """(field id, Arabic label) of every column the clerk fills, in the form's order."""
    skip = decided_later(project, document)
    return [(f.id, f.label) for f in document.input_fields() if f.id not in skip]


def template_sheet(project: Project, document: Document) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "الطلبات" if document.register_id else "السجلات"
    sheet.sheet_view.rightToLeft = True
    columns = template_columns(project, document)
    sheet.append([label for _, label in columns])
    header = Font(bold=True)
    fill = PatternFill("solid", fgColor="E3ECE7")
    for index, (_, label) in enumerate(columns, 1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = header, fill
        cell.alignment = Alignment(horizontal="right", vertical="top", wrap_text=True)
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, min(40, len(label) + 4))
        sheet.column_dimensions[letter].number_format = "@"  # IDs and mobiles kept as typed (leading zero)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
