"""`read_batch`: the records of a batch file, whatever its format, each with the row it came from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from .common import MAX_COLUMNS, MAX_ROWS, BatchRow, refuse
from .csvfile import read_csv
from .structured import load_structured
from .xlsxfile import read_xlsx

MSG_FORMAT = "نوع الملف غير مدعوم؛ المتوقع .xlsx أو .csv أو .yml أو .json"
MSG_NOT_FOUND = "الملف غير موجود"
MSG_LIST = "يجب أن يحتوي الملف على قائمة سجلات"
MSG_TOO_MANY = "الملف يحتوي على أكثر من {limit} سجل؛ قسّمه إلى دفعات أصغر"

__all__ = ["BatchRow", "read_batch"]


def read_batch(path: Path, *, max_columns: int = MAX_COLUMNS) -> Iterator[BatchRow]:
    """Records of a batch file: .xlsx (first sheet, header row), .csv (UTF-8, with or without BOM), .yml/.json.

    ``max_columns`` bounds the columns of a sheet or CSV that are read at all (the caller knows how many fields
    its document has). Raises :class:`~generator.errors.DataError` for anything wrong with the file itself.
    """
    suffix = path.suffix.lower()
    readers: dict[str, Callable[[Path], Iterator[BatchRow]]] = {
        ".xlsx": lambda p: read_xlsx(p, max_columns),
        ".csv": read_csv,
        ".yml": _read_list,
        ".yaml": _read_list,
        ".json": _read_list,
    }
    reader = readers.get(suffix)
    if reader is None:
        refuse(path, MSG_FORMAT)
    if not path.is_file():
        refuse(path, MSG_NOT_FOUND)
    return reader(path)


def _read_list(path: Path) -> Iterator[BatchRow]:
    loaded = load_structured(path)
    data = loaded.data
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        refuse(path, MSG_LIST, 1, 1)
    if len(data) > MAX_ROWS:
        refuse(path, MSG_TOO_MANY.format(limit=MAX_ROWS))
    for i, item in enumerate(data, 1):
        yield BatchRow(i, item)
