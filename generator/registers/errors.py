"""The register failures, one class each; all are :class:`generator.errors.OutputError` (exit status 2)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from ..content.text import isolate_name, isolate_plain
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
        user, host = self.holder.get("user"), self.holder.get("host")
        pid, since = self.holder.get("pid"), self.holder.get("since")
        name = isolate_plain(path.name)
        if user and host:
            who, machine, when = isolate_name(str(user)), isolate_name(str(host)), isolate_plain(str(since))
            self.situation = f"السجل {name} مقفل لدى {who} على الجهاز {machine} (العملية {pid}) منذ {when}"
            english = f"register {path} is locked by {user} on {host} (pid {pid}) since {since}"
        else:  # its lock file is being written, or unreadable: whose it is cannot be said
            self.situation = f"السجل {name} مقفل لدى عملية أخرى لم يُعرف صاحبها"
            english = f"register {path} is locked by another process (its lock file names no holder)"
        self.arabic = f"{self.situation}؛ أعد المحاولة بعد قليل"
        super().__init__(f"{self.arabic}\n{english}; retry in a moment")


class RegisterOpenInExcelError(RegisterError):
    """Raised when the register is open in Excel or LibreOffice, which would later save over new rows.

    ``situation`` says in Arabic where and by whom it is open; ``advice`` what to do (close it, or, for a lock that
    looks left by a crash, delete the marker); ``arabic``, the first line of the message, is both and «retry»."""

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
        self.application = application
        self.stale = stale
        # an owner file that names nobody (written half, or by another program) is said so, never «لدى ?»; names,
        # file names and times are isolated so that «.~lock.requests.xlsx#» keeps its order in an Arabic line
        name, marker, when = isolate_plain(path.name), isolate_plain(owner_file.name), isolate_plain(since)
        by_ar = f" لدى {isolate_name(who)}" if who else ""
        unknown_ar = "" if who else " (لا يذكر ملف القفل اسم من فتحه)"
        by_en = f" by {who}" if who else " (the lock file names no user)"
        where_ar = f" على الجهاز {isolate_name(machine)}" if machine else ""
        where_en = f" on {machine}" if machine else ""
        if stale:
            self.situation = f"السجل {name} يبدو مفتوحًا في {application}{by_ar}{where_ar} منذ {when}{unknown_ar}"
            self.advice = (
                f"لكن هذا القفل يبدو متروكًا من {application} أُغلق على غير العادة (عمره أكثر من يوم ولا يعمل "
                f"{application} على هذا الجهاز). إن تأكدت أن أحدًا لا يفتح الملف فاحذف الملف {marker} "
                "من مجلد السجلات (هو علامة فقط، وحذفه لا يمس السجل)"
            )
            self.arabic = f"{self.situation}، {self.advice} ثم أعد المحاولة"
            english = (
                f"the register {path} looks open in {application}{by_en}{where_en} since {since}, but the lock "
                f"file {owner_file.name} looks stale (over a day old, no {application} running on this machine): "
                f"if nobody has the register open, delete {owner_file} (a marker only; the register is not "
                "touched) and retry"
            )
        else:
            self.situation = f"السجل {name} مفتوح في {application}{by_ar}{where_ar} منذ {when}{unknown_ar}"
            self.advice = "أغلقه ثم أعد المحاولة"
            self.arabic = f"{self.situation}؛ {self.advice}"
            english = (
                f"the register {path} is open in {application}{by_en}{where_en} since {since} "
                f"({owner_file.name}); close it and retry"
            )
        super().__init__(f"{self.arabic}\n{english}")


class RegisterCorruptError(RegisterError):
    """Raised when the register is not a readable workbook, or a new version failed its checks."""


def parse_part(data: bytes, what: str) -> Any:
    """The root element of a workbook part read safely; XML that is not well-formed is a corrupt register."""
    try:
        return markup.parse(data)
    except etree.XMLSyntaxError as err:
        raise RegisterCorruptError(f"{what}: not well-formed XML: {err}") from err
