"""The register failures, one class each; all are :class:`generator.errors.OutputError` (exit status 2)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import OutputError
from ..ooxml import markup

__all__ = [
    "RegisterCorruptError",
    "RegisterError",
    "RegisterLockedError",
    "RegisterOpenInExcelError",
    "parse_part",
]


class RegisterError(OutputError):
    """Raised when a register cannot be read or changed as asked (unknown column, bad value, bad row)."""


class RegisterLockedError(RegisterError):
    """Raised when another writer still holds the register's lock after the timeout; retrying later works."""

    def __init__(self, path: Path, holder: Mapping[str, Any] | None) -> None:
        self.path = path
        self.holder: dict[str, Any] = dict(holder or {})
        user = self.holder.get("user", "?")
        host = self.holder.get("host", "?")
        pid = self.holder.get("pid", "?")
        since = self.holder.get("since", "?")
        super().__init__(
            f"السجل {path.name} مقفل لدى {user} على الجهاز {host} (العملية {pid}) منذ {since}؛ "
            "أعد المحاولة بعد قليل\n"
            f"register {path} is locked by {user} on {host} (pid {pid}) since {since}; retry in a moment"
        )


class RegisterOpenInExcelError(RegisterError):
    """Raised when the register is open in Excel or LibreOffice, which would later save over new rows."""

    def __init__(
        self,
        path: Path,
        owner_file: Path,
        who: str,
        since: str,
        application: str,
        *,
        machine: str = "",
        stale: bool = False,
    ) -> None:
        self.path = path
        self.owner_file = owner_file
        self.who = who
        self.machine = machine
        self.stale = stale
        where_ar = f" على الجهاز {machine}" if machine else ""
        where_en = f" on {machine}" if machine else ""
        if stale:
            arabic = (
                f"السجل {path.name} يبدو مفتوحًا في {application} لدى {who}{where_ar} منذ {since}، "
                f"لكن هذا القفل يبدو متروكًا من {application} أُغلق على غير العادة (عمره أكثر من يوم ولا يعمل "
                f"{application} على هذا الجهاز). إن تأكدت أن أحدًا لا يفتح الملف فاحذف الملف {owner_file.name} "
                "من مجلد السجلات (هو علامة فقط، وحذفه لا يمس السجل) ثم أعد المحاولة"
            )
            english = (
                f"the register {path} looks open in {application} by {who}{where_en} since {since}, but the lock "
                f"file {owner_file.name} looks stale (over a day old, no {application} running on this machine): "
                f"if nobody has the register open, delete {owner_file} (a marker only; the register is not "
                "touched) and retry"
            )
        else:
            arabic = f"السجل {path.name} مفتوح في {application} لدى {who}{where_ar} منذ {since}؛ أغلقه ثم أعد المحاولة"
            english = (
                f"the register {path} is open in {application} by {who}{where_en} since {since} "
                f"({owner_file.name}); close it and retry"
            )
        super().__init__(f"{arabic}\n{english}")


class RegisterCorruptError(RegisterError):
    """Raised when the register is not a readable workbook, or a new version failed its checks."""


def parse_part(data: bytes, what: str) -> Any:
    """The root element of a workbook part read safely; XML that is not well-formed is a corrupt register."""
    try:
        return markup.parse(data)
    except etree.XMLSyntaxError as err:
        raise RegisterCorruptError(f"{what}: not well-formed XML: {err}") from err
