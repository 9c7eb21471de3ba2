"""The registers: locked, atomic, byte-preserving appends to the archivists' workbooks, and reads of them.

A register is an .xlsx file that archivists keep for years and edit in Excel: they add columns, colour cells,
insert images and charts, write comments. openpyxl drops shapes and some extensions on load/save, and takes
seconds on a 10,000-row sheet, so a register is never round-tripped through openpyxl. The one worksheet XML is
edited as bytes (rows are spliced into ``<sheetData>``), ``styles.xml`` or a table part is touched only when it
must be, and every other zip member's compressed stream is copied unchanged.

Safety, in the order a commit happens:

* one writer at a time, and none while the register is open in Excel or LibreOffice (:mod:`.lock`);
* the new workbook is written to a temporary file beside the register, checked (CRC, XML well-formed, row
  count), the previous file is kept in ``backups/``, and the new one is swapped in with ``os.replace``
  (:mod:`.package`).

Where each step lives: :mod:`.transaction` (open, read, append, update, commit), :mod:`.workbook` (the parts,
shared strings, decoded cells, header, rows), :mod:`.sheet` (row splicing), :mod:`.styles` (cell styles),
:mod:`.cells` (values, references, date serials), :mod:`.lock`, :mod:`.package`, :mod:`.errors`; records to
rows in :mod:`.rows`, the dropdowns kept in step with the policy in :mod:`.lists`. The engine knows nothing of
YAML or the policy: labels and values come from the caller.
"""

from __future__ import annotations

from .cells import MAX_CELL_TEXT, MAX_EXACT_INT, CellValue
from .errors import RegisterCorruptError, RegisterError, RegisterLockedError, RegisterOpenInExcelError
from .lock import register_lock
from .transaction import ListValidation, RegisterTransaction, open_register, read_register
from .workbook import Row

__all__ = [
    "MAX_CELL_TEXT",
    "MAX_EXACT_INT",
    "CellValue",
    "ListValidation",
    "RegisterCorruptError",
    "RegisterError",
    "RegisterLockedError",
    "RegisterOpenInExcelError",
    "RegisterTransaction",
    "Row",
    "open_register",
    "read_register",
    "register_lock",
]
