"""Reading case data from files: one record (YAML, JSON) or a batch (.xlsx, .csv, .yml, .json).

Everything read from a data file goes through here, inside the error handling: a damaged or hostile file is a
:class:`~generator.errors.DataError` naming the file (and the line, row or cell), never a crash or a hang. Each
reader bounds what it reads before reading it (file and part sizes, nesting, rows, columns, field length).
Validation of the values read is :mod:`generator.content.records`.
"""

from __future__ import annotations

from .batch import BatchRow, read_batch
from .structured import load_record_file

__all__ = ["BatchRow", "load_record_file", "read_batch"]
