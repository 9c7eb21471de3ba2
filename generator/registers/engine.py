"""The storage engine of the registers: locked, atomic, byte-preserving appends to the archivists' workbooks.

A register is an .xlsx file that archivists keep for years and edit in Excel: they add columns, colour cells,
insert images and charts, write comments. openpyxl drops shapes and some extensions on load/save, and takes
seconds on a 10,000-row sheet, so this module never round-trips a workbook through openpyxl. It edits the one
worksheet XML as bytes (rows are spliced into ``<sheetData>``), touches ``styles.xml`` or a table part only
when it must, and copies every other zip member's compressed stream unchanged.

Safety, in the order a commit happens:

* one writer at a time: ``NAME.xlsx.lock`` created with ``O_CREAT | O_EXCL`` holding who took it; a lock left
  by a dead process on this host is taken over under a kernel lock so that two processes cannot both take it;
* a register open in Excel (``~$NAME.xlsx``) or LibreOffice (``.~lock.NAME.xlsx#``) is refused, because the
  application would later save its own copy over the new rows;
* the new workbook is written to a temporary file beside the register, checked (CRC, XML well-formed, row
  count), the previous file is kept in ``backups/``, and the new one is swapped in with ``os.replace``.

The module knows nothing of YAML or the policy: labels and values come from the caller.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import getpass
import io
import json
import logging
import math
import os
import posixpath
import re
import secrets
import shutil
import socket
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from lxml import etree

from ..errors import OutputError

try:  # POSIX only: serialises the take-over of a stale lock; the kernel drops it if the process dies.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
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

log = logging.getLogger(__name__)

CellValue: TypeAlias = str | int | float | bool | dt.date | dt.datetime | None
"""What a register cell holds once read; ``datetime`` only where the cell's format shows a time."""

MAX_CELL_TEXT = 32767
"""Excel's limit on the characters of one cell; longer text is truncated or refused by Excel."""

MAX_EXACT_INT = 10**15
"""Excel keeps 15 significant digits: a larger integer would silently lose its last digits."""

_SHEET_DEFLATE_LEVEL = 3
"""Measured on a 10,000-row sheet (8.6 MB of XML): level 3 takes 22 ms and is 9% larger than level 6, which
takes 66 ms; the sheet is recompressed on every append, so speed wins over a few kilobytes."""

_STALE_PARTIAL_LOCK_SECONDS = 30.0
"""A lock file that stays unreadable this long was left by a process that died while writing it."""


# --------------------------------------------------------------------------------------------------- errors
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

    def __init__(self, path: Path, owner_file: Path, who: str, since: str, application: str) -> None:
        self.path = path
        self.owner_file = owner_file
        self.who = who
        super().__init__(
            f"السجل {path.name} مفتوح في {application} لدى {who} منذ {since}؛ أغلقه ثم أعد المحاولة\n"
            f"the register {path} is open in {application} by {who} since {since} ({owner_file.name}); "
            "close it and retry"
        )


class RegisterCorruptError(RegisterError):
    """Raised when the register is not a readable workbook, or a new version failed its checks."""


# ----------------------------------------------------------------------------------------------------- lock
def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _this_holder() -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some service accounts and containers
        user = "unknown"
    return {
        "user": user,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "since": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "token": secrets.token_hex(8),
    }


def _pid_is_dead(pid: int) -> bool:
    """True only when we can tell for sure; on Windows ``os.kill(pid, 0)`` would signal, so we never guess."""
    if os.name == "nt" or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child not yet reaped by its parent is a zombie: it holds nothing any more
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _lock_is_stale(raw: bytes, mtime: float) -> bool:
    try:
        holder = json.loads(raw)
        pid = int(holder["pid"])
        host = str(holder["host"])
    except (ValueError, KeyError, TypeError):
        # Being written right now, or its writer died half-way: only age tells the two apart.
        return time.time() - mtime > _STALE_PARTIAL_LOCK_SECONDS
    return host == socket.gethostname() and _pid_is_dead(pid)


@contextlib.contextmanager
def _takeover_guard(folder: Path) -> Iterator[None]:
    """Serialise stale-lock take-overs in ``folder``: a kernel lock dies with its process, so never sticks."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _take_over_stale(lock: Path, seen: bytes) -> None:
    """Remove the stale lock ``seen``, unless it has changed since: then it is someone's live lock."""
    with _takeover_guard(lock.parent):
        try:
            current = lock.read_bytes()
        except FileNotFoundError:
            return
        if current != seen:
            return
        aside = lock.with_name(f"{lock.name}.stale-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.rename(lock, aside)
        except FileNotFoundError:
            return
        if aside.read_bytes() != seen and fcntl is None:  # pragma: no cover - no guard on Windows
            with contextlib.suppress(OSError):
                os.rename(aside, lock)  # fails if a new lock exists, which is what we want
            return
        log.warning("took over the stale lock %s: %s", lock, seen.decode("utf-8", "replace"))
        aside.unlink(missing_ok=True)


def _read_lock(lock: Path) -> tuple[bytes, float] | None:
    try:
        with open(lock, "rb") as f:
            return f.read(), os.fstat(f.fileno()).st_mtime
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def register_lock(path: str | os.PathLike[str], timeout: float = 10.0) -> Iterator[dict[str, Any]]:
    """Hold ``NAME.xlsx.lock`` beside the register for the duration of the block; yields the holder record.

    Waits with short sleeps up to ``timeout`` seconds, then raises :class:`RegisterLockedError` naming the
    holder. A lock left by a dead process on this host is taken over. The lock is removed on exit, but only
    if it is still ours.
    """
    register = Path(path)
    lock = _lock_path(register)
    me = _this_holder()
    payload = json.dumps(me, ensure_ascii=False).encode("utf-8")
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            seen = _read_lock(lock)
            if seen is None:
                continue  # released between our two calls
            raw, mtime = seen
            if _lock_is_stale(raw, mtime):
                _take_over_stale(lock, raw)
                continue
            if time.monotonic() >= deadline:
                try:
                    holder = json.loads(raw)
                except ValueError:
                    holder = None
                raise RegisterLockedError(register, holder) from None
            time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
            pause = min(pause * 1.5, 0.1)
            continue
        try:
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        break
    log.debug("locked %s", register)
    try:
        yield me
    finally:
        seen = _read_lock(lock)
        if seen is not None and seen[0] == payload:
            lock.unlink(missing_ok=True)
        else:
            log.error("lock %s was no longer ours on release; left as found", lock)


def _refuse_if_open_elsewhere(path: Path) -> None:
    """Excel writes ``~$NAME`` and LibreOffice ``.~lock.NAME#`` while a workbook is open in them."""
    excel = path.with_name("~$" + path.name)
    office = path.with_name(f".~lock.{path.name}#")
    for owner, application in ((excel, "Excel"), (office, "LibreOffice")):
        try:
            raw = owner.read_bytes()
            mtime = owner.stat().st_mtime
        except FileNotFoundError:
            continue
        except OSError:
            raw, mtime = b"", time.time()
        who = _owner_name(raw, application) or "?"
        since = dt.datetime.fromtimestamp(mtime).astimezone().isoformat(timespec="minutes")
        raise RegisterOpenInExcelError(path, owner, who, since, application)


def _owner_name(raw: bytes, application: str) -> str:
    """The user named in an owner file: Excel stores a length byte then the name; LibreOffice a CSV line."""
    if application == "LibreOffice":
        return raw.decode("utf-8", "replace").split(",")[0].strip()
    if raw:
        n = raw[0]
        utf16_at = 54  # after the 1-byte length and the 53-byte ANSI field comes a 2-byte length + UTF-16
        if len(raw) >= utf16_at + 2 + 2 * n:
            return raw[utf16_at + 2 : utf16_at + 2 + 2 * n].decode("utf-16-le", "replace").strip("\x00 ")
        return raw[1 : 1 + n].decode("latin-1").strip("\x00 ")
    return ""


# ------------------------------------------------------------------------------------------------- zip I/O
@dataclass(frozen=True)
class _Member:
    """One zip member as stored: its metadata and its compressed stream, copied as is when unchanged."""

    info: zipfile.ZipInfo
    raw: bytes


def _read_members(blob: bytes, where: Path) -> tuple[zipfile.ZipFile, list[_Member]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(blob))
        members = []
        for info in zf.infolist():
            if info.flag_bits & 0x1:
                raise RegisterCorruptError(f"{where}: {info.filename} is encrypted")
            off = info.header_offset
            if blob[off : off + 4] != b"PK\x03\x04":
                raise RegisterCorruptError(f"{where}: bad local header for {info.filename}")
            name_len, extra_len = struct.unpack("<HH", blob[off + 26 : off + 30])
            start = off + 30 + name_len + extra_len
            members.append(_Member(info, blob[start : start + info.compress_size]))
    except (zipfile.BadZipFile, struct.error, ValueError) as err:
        raise RegisterCorruptError(f"{where}: not a readable .xlsx workbook: {err}") from err
    return zf, members


def _dos_stamp(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return (h << 11) | (mi << 5) | (s // 2), (max(y - 1980, 0) << 9) | (mo << 5) | d


def _write_zip(out: io.BufferedWriter, members: list[_Member]) -> None:
    """Write a plain (non-zip64) archive: local headers with sizes up front, then the central directory."""
    central = bytearray()
    offset = 0
    for m in members:
        info = m.info
        name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        flags = info.flag_bits & ~0x8  # sizes are known: no data descriptor
        if max(info.compress_size, info.file_size, offset) >= 0xFFFFFFFF:
            raise RegisterError(f"{info.filename}: too large for a register workbook")
        dos_time, dos_date = _dos_stamp(info.date_time)
        head = struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            info.extract_version,
            flags,
            info.compress_type,
            dos_time,
            dos_date,
            info.CRC,
            info.compress_size,
            info.file_size,
            len(name),
            0,
        )
        out.write(head)
        out.write(name)
        out.write(m.raw)
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                (info.create_system << 8) | info.create_version,
                info.extract_version,
                flags,
                info.compress_type,
                dos_time,
                dos_date,
                info.CRC,
                info.compress_size,
                info.file_size,
                len(name),
                0,
                0,
                0,
                info.internal_attr,
                info.external_attr,
                offset,
            )
            + name
        )
        offset += len(head) + len(name) + len(m.raw)
    out.write(central)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), offset, 0))


def _deflated(info: zipfile.ZipInfo, data: bytes, level: int) -> _Member:
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    raw = comp.compress(data) + comp.flush()
    new = zipfile.ZipInfo(info.orig_filename, info.date_time)
    new.flag_bits = info.flag_bits & 0x800
    new.compress_type = zipfile.ZIP_DEFLATED
    new.create_system, new.create_version = info.create_system, info.create_version
    new.extract_version = max(info.extract_version, 20)
    new.internal_attr, new.external_attr = info.internal_attr, info.external_attr
    new.CRC, new.compress_size, new.file_size = zlib.crc32(data), len(raw), len(data)
    return _Member(new, raw)


# --------------------------------------------------------------------------------------------- XML helpers
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_RUN_TEXTS = etree.XPath("./m:t/text() | ./m:r/m:t/text()", namespaces={"m": _NS_MAIN})
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def _parse_xml(data: bytes, what: str) -> Any:
    try:
        return etree.fromstring(data, _SAFE_PARSER)
    except etree.XMLSyntaxError as err:
        raise RegisterCorruptError(f"{what}: not well-formed XML: {err}") from err


def _attrs(start_tag: bytes) -> dict[bytes, bytes]:
    return {
        m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(start_tag)
    }


def _unescape(raw: bytes) -> str:
    """XML text to str as a parser would give it (line ends normalised), then Excel's ``_xHHHH_`` escapes."""
    text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(
            lambda m: (
                _NAMED.get(m.group(1))
                or chr(int(m.group(1)[2:], 16) if m.group(1)[1] == "x" else int(m.group(1)[1:]))
            ),
            text,
        )
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def _escape_text(text: str) -> str:
    text = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", text)  # keep a literal "_x0041_" literal in Excel
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _col_letters(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def _split_range(ref: str) -> tuple[int, int, int, int] | None:
    parts = ref.split(":")
    corners = [_REF.match(p) for p in (parts[0], parts[-1])]
    if len(parts) > 2 or corners[0] is None or corners[1] is None:
        return None
    a, b = corners[0], corners[1]
    return _col_index(a.group(1)), int(a.group(2)), _col_index(b.group(1)), int(b.group(2))


def _join_range(c1: int, r1: int, c2: int, r2: int) -> str:
    return f"{_col_letters(c1)}{r1}:{_col_letters(c2)}{r2}"


def _rels(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(type, resolved target, id) of each internal relationship of ``part`` ("" for the package)."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in zf.NameToInfo:
        return []
    root = _parse_xml(zf.read(rels_name), rels_name)
    out = []
    for rel in root.iter(f"{{{_NS_PKG_REL}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        resolved = (
            target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        )
        out.append((rel.get("Type", ""), resolved, rel.get("Id", "")))
    return out


# ----------------------------------------------------------------------------------------------- date serials
_EPOCH_1900 = dt.date(1899, 12, 30)
_EPOCH_1904 = dt.date(1904, 1, 1)


def _serial_to_date(serial: float, date1904: bool, with_time: bool) -> dt.date | dt.datetime:
    if date1904:
        epoch = dt.datetime.combine(_EPOCH_1904, dt.time())
    else:
        # Excel counts a 29 February 1900 that never was: serials before it are one day off.
        epoch = dt.datetime.combine(_EPOCH_1900 if serial >= 61 else dt.date(1899, 12, 31), dt.time())
    days = math.floor(serial)
    ms = round((serial - days) * 86_400_000)
    moment = epoch + dt.timedelta(days=days, milliseconds=ms)
    return moment if with_time else moment.date()


def _date_to_serial(value: dt.date, date1904: bool) -> float | int:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    if moment.tzinfo is not None:
        raise RegisterError(f"{value!r}: Excel has no time zones; give a naive local date-time")
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    delta = moment - dt.datetime.combine(epoch, dt.time())
    days = delta.days
    if not date1904 and days < 61:
        days -= 1
    if days < 0 or (days == 0 and not date1904):
        raise RegisterError(f"{value!r}: Excel cannot hold dates before 1900-03-01")
    if not isinstance(value, dt.datetime):
        return days
    return days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000


_BUILTIN_DATE_FORMATS = {14: "date", 15: "date", 16: "date", 17: "date", 22: "datetime"}
_BUILTIN_DATE_FORMATS |= {i: "date" for i in (*range(27, 37), *range(50, 59))}


def _format_kind(code: str) -> str | None:
    """'date', 'datetime' or None for a number format code; time-only formats stay numbers."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", code.split(";")[0]).lower()
    has_date = "d" in code or "y" in code or ("m" in code and "h" not in code and "s" not in code)
    if not has_date or code in ("general", "@"):
        return None
    return "datetime" if ("h" in code or "s" in code) else "date"


# ------------------------------------------------------------------------------------------------- styles
class _Styles:
    """``styles.xml``: which ``s`` indexes are dates, and new ``xf`` entries (quote prefix, date format)."""

    def __init__(self, data: bytes | None, name: str | None) -> None:
        self.name = name
        self.data = data
        self._root: Any = None
        self._kinds: list[str | None] = []
        self._cache: dict[tuple[str, int], int] = {}
        self.changed = False
        if data is not None:
            self._root = _parse_xml(data, name or "styles.xml")
            self._load_kinds()

    def _q(self, tag: str) -> str:
        return f"{{{_NS_MAIN}}}{tag}"

    def _xfs(self) -> list[Any]:
        cell_xfs = self._root.find(self._q("cellXfs")) if self._root is not None else None
        return [] if cell_xfs is None else list(cell_xfs.iterchildren(self._q("xf")))

    def _custom_formats(self) -> dict[int, str]:
        formats = self._root.find(self._q("numFmts"))
        if formats is None:
            return {}
        return {
            int(f.get("numFmtId")): f.get("formatCode", "") for f in formats.iterchildren(self._q("numFmt"))
        }

    def _load_kinds(self) -> None:
        custom = self._custom_formats()
        kinds: list[str | None] = []
        for xf in self._xfs():
            fid = int(xf.get("numFmtId", "0"))
            kinds.append(_format_kind(custom[fid]) if fid in custom else _BUILTIN_DATE_FORMATS.get(fid))
        self._kinds = kinds

    def kind(self, s: int) -> str | None:
        return self._kinds[s] if 0 <= s < len(self._kinds) else None

    def has_quote_prefix(self, s: int) -> bool:
        xfs = self._xfs()
        return 0 <= s < len(xfs) and xfs[s].get("quotePrefix") in ("1", "true")

    def _add_xf(self, base: int, change: Callable[[Any], None]) -> int:
        if self._root is None:
            raise RegisterError("the workbook has no styles.xml; cannot add a cell style")
        cell_xfs = self._root.find(self._q("cellXfs"))
        xfs = self._xfs()
        if cell_xfs is None or not xfs:
            raise RegisterCorruptError(f"{self.name}: no cellXfs")
        clone = etree.fromstring(etree.tostring(xfs[base if 0 <= base < len(xfs) else 0]))
        change(clone)
        # Reuse an identical xf if the workbook already has one (ours from an earlier append, or Excel's).
        wanted = etree.tostring(clone)
        for i, xf in enumerate(xfs):
            if etree.tostring(xf) == wanted:
                return i
        cell_xfs.append(clone)
        cell_xfs.set("count", str(len(xfs) + 1))
        self.changed = True
        self._load_kinds()
        return len(xfs)

    def with_quote_prefix(self, base: int) -> int:
        """The style ``base`` with ``quotePrefix="1"``: Excel shows the text and never evaluates it."""
        key = ("quote", base)
        if key not in self._cache:
            if self.has_quote_prefix(base):
                self._cache[key] = base
            else:
                self._cache[key] = self._add_xf(base, lambda xf: xf.set("quotePrefix", "1"))
        return self._cache[key]

    def without_quote_prefix(self, s: int) -> int:
        """An equivalent style without the quote prefix (a plain value must not inherit it from above)."""
        if not self.has_quote_prefix(s):
            return s
        key = ("plain", s)
        if key not in self._cache:

            def drop(xf: Any) -> None:
                del xf.attrib["quotePrefix"]

            self._cache[key] = self._add_xf(s, drop)
        return self._cache[key]

    def with_date_format(self, base: int, kind: str) -> int:
        """``base`` if it already shows a date, else a clone showing ISO dates (never Excel's locale format
        14, which an Arabic-locale Excel may show in another calendar)."""
        if self.kind(base) == kind:
            return base
        key = (kind, base)
        if key not in self._cache:
            code = "yyyy-mm-dd" if kind == "date" else "yyyy-mm-dd hh:mm:ss"
            fid = self._num_fmt_id(code)

            def set_format(xf: Any) -> None:
                xf.set("numFmtId", str(fid))
                xf.set("applyNumberFormat", "1")

            self._cache[key] = self._add_xf(base, set_format)
        return self._cache[key]

    def _num_fmt_id(self, code: str) -> int:
        custom = self._custom_formats()
        for fid, existing in custom.items():
            if existing == code:
                return fid
        formats = self._root.find(self._q("numFmts"))
        if formats is None:
            formats = etree.Element(self._q("numFmts"), nsmap=None)
            self._root.insert(0, formats)
        fid = max([163, *custom]) + 1
        etree.SubElement(formats, self._q("numFmt"), numFmtId=str(fid), formatCode=code)
        formats.set("count", str(len(custom) + 1))
        self.changed = True
        return fid

    def serialize(self) -> bytes:
        out: bytes = etree.tostring(self._root, xml_declaration=True, encoding="UTF-8", standalone=True)
        return out


# -------------------------------------------------------------------------------------------------- sheet
@dataclass
class _RowSpan:
    number: int
    start: int  # offsets into the sheetData content
    end: int


@dataclass
class _RowEdit:
    """A row as it will be written: its start-tag attributes and its cells (column -> cell XML)."""

    attrs: bytes
    cells: dict[int, bytes]
    rest: bytes = b""  # anything after the cells (an extLst), kept as found


@dataclass(frozen=True)
class Row:
    """One record of a register: its row number in the sheet and its values keyed by header label."""

    number: int
    values: dict[str, CellValue]

    def __getitem__(self, label: str) -> CellValue:
        return self.values[label]


class _Sheet:
    """A worksheet's XML kept as bytes; rows are found with anchored regular expressions, never a full parse.

    Only ``<sheetData>`` rows are edited; everything before it (views, columns, dimension) and after it
    (validations, conditional formats, drawings) stays byte-for-byte, except the dimension and autoFilter
    refs, which are rewritten in place.
    """

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        m = re.search(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData\b([^>]*?)(/?)>", data)
        if m is None:
            raise RegisterCorruptError(f"{name}: no <sheetData>")
        self.p = m.group(1) + b":" if m.group(1) else b""
        if m.group(3):
            self.head = data[: m.start()] + b"<" + self.p + b"sheetData" + m.group(2) + b">"
            self.content = b""
            self.tail = b"</" + self.p + b"sheetData>" + data[m.end() :]
        else:
            close = data.rfind(b"</" + self.p + b"sheetData>")
            if close < m.end():
                raise RegisterCorruptError(f"{name}: <sheetData> is not closed")
            self.head, self.content, self.tail = data[: m.end()], data[m.end() : close], data[close:]
        self._row_re = re.compile(rb"<" + re.escape(self.p) + rb"row\b([^>]*?)(/?)>")
        self._cell_re = re.compile(
            rb"<" + re.escape(self.p) + rb"c\b([^>]*?)(?:/>|>(.*?)</" + re.escape(self.p) + rb"c>)", re.S
        )
        self._spans: list[_RowSpan] | None = None
        self._by_number: dict[int, int] = {}
        self.edits: dict[int, _RowEdit] = {}
        self._cells_r_first: bool | None = None

    # ---- row index
    def spans(self) -> list[_RowSpan]:
        """Every row's number and byte span, found once. Rows that all begin ``<row r="N"`` (Excel, openpyxl,
        LibreOffice) take one regex pass; a span then runs to the next row, whitespace included."""
        if self._spans is None:
            content, p = self.content, self.p
            starts = content.count(b"<" + p + b"row ") + content.count(b"<" + p + b"row>")
            numbered = [
                (m.start(), int(m.group(1)))
                for m in re.finditer(rb"<" + re.escape(p) + rb'row r="(\d+)"', content)
            ]
            if len(numbered) == starts:
                ends = [start for start, _ in numbered[1:]] + [len(content)]
                spans = [_RowSpan(n, start, end) for (start, n), end in zip(numbered, ends, strict=True)]
            else:
                spans = self._scan_spans()
            self._spans = spans
            self._by_number = {s.number: i for i, s in enumerate(spans)}
        return self._spans

    def _scan_spans(self) -> list[_RowSpan]:
        spans: list[_RowSpan] = []
        pos, number = 0, 0
        close = b"</" + self.p + b"row>"
        content = self.content
        while (m := self._row_re.search(content, pos)) is not None:
            r = re.search(rb"(?:^|\s)r\s*=\s*[\"'](\d+)[\"']", m.group(1))
            number = int(r.group(1)) if r else number + 1
            if m.group(2):
                end = m.end()
            else:
                end = content.find(close, m.end())
                if end < 0:
                    raise RegisterCorruptError(f"{self.name}: row {number} is not closed")
                end += len(close)
            spans.append(_RowSpan(number, m.start(), end))
            pos = end
        return spans

    def count_rows(self) -> int:
        return len(re.findall(rb"<" + re.escape(self.p) + rb"row[\s/>]", self.content))

    def row_bytes(self, number: int) -> bytes | None:
        self.spans()
        i = self._by_number.get(number)
        if i is None:
            return None
        span = self._spans[i] if self._spans else None
        return self.content[span.start : span.end].rstrip() if span else None

    def cells_of(self, row_xml: bytes) -> tuple[bytes, dict[int, bytes], bytes]:
        """Split one row's XML into its start-tag attributes, its cells by column, and what follows them."""
        m = self._row_re.match(row_xml)
        if m is None:
            raise RegisterCorruptError(f"{self.name}: unreadable row {row_xml[:60]!r}")
        cells: dict[int, bytes] = {}
        col, last_end = 0, m.end()
        if not m.group(2):
            inner_end = len(row_xml) - len(b"</" + self.p + b"row>")
            for c in self._cell_re.finditer(row_xml, m.end(), inner_end):
                ref = _attrs(c.group(1)).get(b"r")
                found = _REF.match(ref.decode()) if ref else None
                col = _col_index(found.group(1)) if found else col + 1
                cells[col] = c.group(0)
                last_end = c.end()
            rest = row_xml[last_end:inner_end]
        else:
            rest = b""
        return m.group(1), cells, rest

    def current_row(self, number: int) -> _RowEdit | None:
        if number in self.edits:
            return self.edits[number]
        raw = self.row_bytes(number)
        if raw is None:
            return None
        attrs, cells, rest = self.cells_of(raw)
        return _RowEdit(attrs, cells, rest)

    def row_numbers(self) -> list[int]:
        return sorted({s.number for s in self.spans()} | set(self.edits))

    def all_rows(self) -> Iterator[tuple[int, dict[int, bytes]]]:
        for number in self.row_numbers():
            row = self.current_row(number)
            if row is not None:
                yield number, row.cells

    def column_cells(self, col: int) -> Iterator[tuple[int, bytes]]:
        """(row, cell XML) of one column; a single regex pass when every cell names itself with r= first."""
        p = self.p
        if self._cells_r_first is None:
            starts = self.content.count(b"<" + p + b"c ") + self.content.count(b"<" + p + b"c>")
            self._cells_r_first = starts == self.content.count(b"<" + p + b'c r="')
        if not self._cells_r_first:
            for number, cells in self.all_rows():
                if col in cells:
                    yield number, cells[col]
            return
        pattern = re.compile(
            rb"<"
            + re.escape(p)
            + rb'c r="'
            + _col_letters(col).encode()
            + rb'(\d+)"[^>]*?(?:/>|>.*?</'
            + re.escape(p)
            + rb"c>)",
            re.S,
        )
        for m in pattern.finditer(self.content):
            number = int(m.group(1))
            if number not in self.edits:
                yield number, m.group(0)
        for number, edit in self.edits.items():
            if col in edit.cells:
                yield number, edit.cells[col]

    # ---- writing
    def set_row(self, number: int, edit: _RowEdit) -> None:
        self.edits[number] = edit

    def new_content(self) -> tuple[bytes, int]:
        """The sheetData content with every edit spliced in; and how many rows were added."""
        spans = self.spans()
        pieces: list[bytes] = []
        pos, added = 0, 0
        pending = sorted(self.edits)
        numbers = [s.number for s in spans]

        for number in pending:
            i = self._by_number.get(number)
            if i is not None:
                span = spans[i]
                pieces += [self.content[pos : span.start], self._row_xml(number, self.edits[number])]
                pos = span.end
            else:
                k = bisect.bisect_left(numbers, number)
                at = spans[k].start if k < len(spans) else len(self.content)
                if at < pos:
                    raise RegisterCorruptError(f"{self.name}: rows are not in ascending order")
                pieces += [self.content[pos:at], self._row_xml(number, self.edits[number])]
                pos = at
                added += 1
        pieces.append(self.content[pos:])
        return b"".join(pieces), added

    def _row_xml(self, number: int, edit: _RowEdit) -> bytes:
        attrs = edit.attrs
        cols = sorted(edit.cells)
        if cols and re.search(rb"\sspans=", attrs):
            attrs = re.sub(
                rb'(\sspans=")[^"]*(")', rb"\g<1>" + f"{cols[0]}:{cols[-1]}".encode() + rb"\2", attrs
            )
        if not attrs:
            attrs = f' r="{number}"'.encode()
        body = b"".join(edit.cells[c] for c in cols) + edit.rest
        return b"<" + self.p + b"row" + attrs + b">" + body + b"</" + self.p + b"row>"

    def serialize(self, last_row: int, last_col: int) -> tuple[bytes, int]:
        content, added = self.new_content()
        head = _extend_ref(self.head, b"dimension", self.p, last_row, last_col, always=True)
        tail = _extend_ref(self.tail, b"autoFilter", self.p, last_row, 0, always=False)
        return head + content + tail, added


def _extend_ref(
    xml: bytes, tag: bytes, prefix: bytes, last_row: int, last_col: int, *, always: bool
) -> bytes:
    """Grow the ``ref`` of the first ``<tag>`` to reach ``last_row`` (and ``last_col``), bytes untouched else.

    A filter or table is grown only when it starts on the header row, i.e. when it is the register's own.
    """
    m = re.search(rb"<" + re.escape(prefix) + tag + rb"\b[^>]*?\sref=\"([^\"]*)\"", xml)
    if m is None:
        return xml
    corners = _split_range(m.group(1).decode())
    if corners is None:
        return xml
    c1, r1, c2, r2 = corners
    if not always and r1 != 1:
        return xml
    new = _join_range(c1, r1, max(c2, last_col), max(r2, last_row))
    if new == m.group(1).decode():
        return xml
    return xml[: m.start(1)] + new.encode() + xml[m.end(1) :]


# ---------------------------------------------------------------------------------------------- workbook
@dataclass
class _Workbook:
    """The parts of one workbook that a register needs, read once from the file's bytes."""

    path: Path
    members: list[_Member]
    zf: zipfile.ZipFile
    sheet_part: str
    sheet_name: str
    sheet: _Sheet
    styles: _Styles
    styles_part: str | None
    shared_part: str | None
    table_parts: list[str]
    date1904: bool
    _shared: list[str] | None = None
    _header: dict[int, str] | None = None
    stat: os.stat_result | None = None
    changed: bool = field(default=False)
    book_part: str = "xl/workbook.xml"
    sheet_parts: dict[str, str] = field(default_factory=dict)
    replaced: dict[str, bytes] = field(default_factory=dict)
    """Other parts than the sheet replaced whole by this transaction (a lists sheet, workbook.xml)."""

    def part(self, name: str) -> bytes:
        """A part's bytes as this transaction will write them."""
        return self.replaced[name] if name in self.replaced else self.zf.read(name)

    @classmethod
    def load(cls, path: Path, sheet: str | None) -> _Workbook:
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                blob = f.read()
        except FileNotFoundError as err:
            raise RegisterError(f"{path}: no such register") from err
        zf, members = _read_members(blob, path)
        try:
            book_part = next(
                (t for kind, t, _ in _rels(zf, "") if kind.endswith("/officeDocument")), "xl/workbook.xml"
            )
            book = _parse_xml(zf.read(book_part), book_part)
            rels = _rels(zf, book_part)
            targets = {rid: (kind, t) for kind, t, rid in rels}
            pr = book.find(f"{{{_NS_MAIN}}}workbookPr")
            date1904 = pr is not None and pr.get("date1904") in ("1", "true")
            sheets = []
            for el in book.iter(f"{{{_NS_MAIN}}}sheet"):
                kind, target = targets.get(el.get(f"{{{_NS_REL}}}id", ""), ("", ""))
                if kind.endswith("/worksheet"):
                    sheets.append((el.get("name", ""), target))
            if not sheets:
                raise RegisterCorruptError(f"{path}: no worksheet")
            if sheet is None:
                sheet_name, sheet_part = sheets[0]
            else:
                found = [s for s in sheets if s[0] == sheet]
                if not found:
                    names = ", ".join(s[0] for s in sheets)
                    raise RegisterError(f"{path}: no sheet named {sheet!r} (sheets: {names})")
                sheet_name, sheet_part = found[0]
            by_kind = {kind.rsplit("/", 1)[-1]: t for kind, t, _ in rels}
            styles_part = by_kind.get("styles")
            shared_part = by_kind.get("sharedStrings")
            tables = [t for kind, t, _ in _rels(zf, sheet_part) if kind.endswith("/table")]
            styles = (
                _Styles(zf.read(styles_part), styles_part)
                if styles_part in zf.NameToInfo
                else _Styles(None, None)
            )
            sheet_xml = _Sheet(zf.read(sheet_part), sheet_part)
        except KeyError as err:
            raise RegisterCorruptError(f"{path}: missing part {err}") from err
        except (zipfile.BadZipFile, zlib.error) as err:
            raise RegisterCorruptError(f"{path}: {err}") from err
        return cls(
            path,
            members,
            zf,
            sheet_part,
            sheet_name,
            sheet_xml,
            styles,
            styles_part if styles_part in zf.NameToInfo else None,
            shared_part if shared_part in zf.NameToInfo else None,
            tables,
            date1904,
            stat=st,
            book_part=book_part,
            sheet_parts=dict(sheets),
        )

    # ---- reading
    def shared(self) -> list[str]:
        if self._shared is None:
            shared: list[str] = []
            if self.shared_part:
                root = _parse_xml(self.zf.read(self.shared_part), self.shared_part)
                t_tag = f"{{{_NS_MAIN}}}t"
                for si in root.iterchildren(f"{{{_NS_MAIN}}}si"):
                    if len(si) == 1 and si[0].tag == t_tag:
                        text = si[0].text or ""
                    else:  # rich text: runs joined; phonetic runs (rPh) are not part of the value
                        text = "".join(_RUN_TEXTS(si))
                    if "_x" in text:
                        text = _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
                    shared.append(text)
            self._shared = shared
        return self._shared

    def decode(self, cell: bytes) -> CellValue:
        m = self.sheet._cell_re.match(cell)
        if m is None or m.group(2) is None:
            return None
        attrs, inner = _attrs(m.group(1)), m.group(2)
        kind = attrs.get(b"t", b"n")
        p = re.escape(self.sheet.p)
        if kind == b"inlineStr":
            inner = re.sub(rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh>", b"", inner, flags=re.S)
            parts = re.findall(rb"<" + p + rb"t\b[^>]*?(?:/>|>(.*?)</" + p + rb"t>)", inner, re.S)
            return _unescape(b"".join(parts)) or None  # an empty inline string is a blank cell, as in Excel
        v = re.search(rb"<" + p + rb"v>(.*?)</" + p + rb"v>", inner, re.S)
        if v is None:
            return None
        text = v.group(1)
        if kind == b"s":
            try:
                return self.shared()[int(text)]
            except (ValueError, IndexError) as err:
                raise RegisterCorruptError(f"{self.sheet_part}: bad shared string {text!r}") from err
        if kind in (b"str", b"e"):
            return _unescape(text)
        if kind == b"b":
            return text.strip() in (b"1", b"true")
        if kind == b"d":
            stamp = dt.datetime.fromisoformat(_unescape(text))
            return (
                stamp
                if (stamp.hour, stamp.minute, stamp.second, stamp.microsecond) != (0, 0, 0, 0)
                else stamp.date()
            )
        raw = text.strip().decode()
        number: int | float = int(raw) if re.fullmatch(r"-?\d+", raw) else float(raw)
        fmt = self.styles.kind(int(attrs.get(b"s", b"0")))
        if fmt is not None:
            return _serial_to_date(float(number), self.date1904, fmt == "datetime")
        return number

    def header_map(self) -> dict[int, str]:
        if self._header is None:
            row = self.sheet.current_row(1)
            header: dict[int, str] = {}
            for col, cell in (row.cells if row else {}).items():
                value = self.decode(cell)
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                label = "" if value is None else str(value).strip()
                if label:
                    header[col] = label
            if not header:
                raise RegisterError(f"{self.path}: sheet {self.sheet_name!r} has no header row")
            self._header = header
        return self._header

    def columns(self) -> dict[str, int]:
        cols: dict[str, int] = {}
        for col, label in sorted(self.header_map().items()):
            cols.setdefault(label, col)  # a repeated label means the first column with it
        return cols

    def rows(self) -> list[Row]:
        header = self.header_map()
        out = []
        for number, cells in self.sheet.all_rows():
            if number < 2:
                continue
            values: dict[str, CellValue] = {}
            for col, label in sorted(header.items()):
                if label not in values or values[label] is None:
                    values[label] = self.decode(cells[col]) if col in cells else None
            if any(v is not None for v in values.values()):
                out.append(Row(number, values))
        return out


# ------------------------------------------------------------------------------------------- transaction
_NEEDS_QUOTE = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ListValidation:
    """A ``type="list"`` data validation of the register sheet, as found in its ``<dataValidations>``."""

    index: int  # position among the sheet's dataValidation elements: what set_list_validation takes
    sqref: str
    formula1: str
    prompt_title: str | None
    prompt: str | None


def _xml_attr(text: str) -> bytes:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return escaped.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;").encode("utf-8")


def _xml_text(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")


def _set_attr(attrs: bytes, name: bytes, value: bytes | None) -> bytes:
    """A start tag's attribute text with ``name`` set to ``value`` (removed if None), the rest unchanged."""
    pattern = re.compile(rb"(\s)" + re.escape(name) + rb"""\s*=\s*(?:"[^"]*"|'[^']*')""")
    m = pattern.search(attrs)
    if value is None:
        return attrs if m is None else attrs[: m.start()] + attrs[m.end() :]
    new = name + b'="' + value + b'"'
    if m is None:
        trail = len(attrs) - len(attrs.rstrip(b"/ \t\r\n"))
        return attrs[: len(attrs) - trail] + b" " + new + attrs[len(attrs) - trail :]
    return attrs[: m.start()] + m.group(1) + new + attrs[m.end() :]


def _defined_name_elements(xml: bytes, p: bytes) -> Iterator[tuple[re.Match[bytes], str, bool]]:
    """Each ``<definedName>`` of workbook.xml: the match, its name and whether it is global (no sheet)."""
    q = re.escape(p)
    pattern = re.compile(rb"<" + q + rb"definedName\b([^>]*?)(?:/>|>(.*?)</" + q + rb"definedName>)", re.S)
    for m in pattern.finditer(xml):
        a = _attrs(m.group(1))
        yield m, _unescape(a.get(b"name", b"")), b"localSheetId" not in a


def _check_value(label: str, value: object) -> CellValue:
    if value is None or isinstance(value, (bool, dt.date)):
        return value
    if isinstance(value, str):
        if len(value) > MAX_CELL_TEXT:
            raise RegisterError(
                f"{label}: {len(value)} characters; an Excel cell holds at most {MAX_CELL_TEXT}"
            )
        bad = _FORBIDDEN.search(value)
        if bad:
            raise RegisterError(
                f"{label}: control character U+{ord(bad.group()):04X} cannot be stored in a cell"
            )
        return value
    if isinstance(value, int):
        if abs(value) >= MAX_EXACT_INT:
            raise RegisterError(f"{label}: {value} has more digits than Excel keeps; store it as text")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RegisterError(f"{label}: {value} is not a number Excel can store")
        return value
    raise RegisterError(f"{label}: cannot store a {type(value).__name__} in a register cell")


class RegisterTransaction:
    """One locked session on a register: read it, allocate references, append and update rows.

    Obtained from :func:`open_register`; changes are written when the ``with`` block ends normally.
    """

    def __init__(self, book: _Workbook) -> None:
        self._book = book
        self.path = book.path
        self.sheet_name = book.sheet_name

    # ---- reading
    def header(self) -> list[str]:
        """Row-1 labels in column order (unlabelled columns skipped)."""
        return [label for _, label in sorted(self._book.header_map().items())]

    def rows(self) -> list[Row]:
        """Every non-empty row under the header, with pending changes of this transaction included."""
        return self._book.rows()

    def next_sequence(self, column_label: str, prefix: str) -> int:
        """1 + the largest N among the column's values ``prefix + digits`` (1 for none); call it under the
        same lock as the append that uses it, so that concurrent issuers never get the same number."""
        col = self._column(column_label)
        pattern = re.compile(re.escape(prefix) + r"(\d+)")
        book = self._book
        p = book.sheet.p
        # Shared strings are matched once; a cell then costs a dictionary look-up of its index.
        numbered = {
            i: int(m.group(1))
            for i, text in enumerate(book.shared())
            if (m := pattern.fullmatch(text.strip()))
        }
        needle = prefix.encode("utf-8")
        q = re.escape(p)
        plain_inline = re.compile(
            rb"<" + q + rb"is><" + q + rb"t\b[^>]*>([^<&_\r]*)</" + q + rb"t></" + q + rb"is>"
        )
        v_open, v_close = b"<" + p + b"v>", b"</" + p + b"v>"
        highest = 0
        for number, cell in book.sheet.column_cells(col):
            if number < 2:
                continue
            start_tag = cell[: cell.find(b">")]
            if b't="s"' in start_tag and v_open in cell:
                index = cell[cell.index(v_open) + len(v_open) : cell.index(v_close)]
                highest = max(highest, numbered.get(int(index), 0))
                continue
            if needle not in cell and (needle.isascii() or b"&#" not in cell):
                continue  # cannot hold the prefix
            simple = plain_inline.search(cell)
            value = simple.group(1).decode("utf-8") if simple else book.decode(cell)
            if isinstance(value, str) and (m := pattern.fullmatch(value.strip())):
                highest = max(highest, int(m.group(1)))
        return highest + 1

    # ---- writing
    def append(self, values: Mapping[str, CellValue]) -> int:
        """Write a new row after the last row holding a value; returns its number.

        Columns are found by header label, so columns that archivists inserted stay empty. A row that exists
        only for its formatting (an archivist coloured a range) is filled rather than duplicated.
        """
        checked = self._checked(values)
        number = self._last_data_row() + 1
        row = self._book.sheet.current_row(number) or _RowEdit(b"", {})
        self._write(number, row, checked)
        return number

    def update(self, row_number: int, values: Mapping[str, CellValue]) -> None:
        """Set cells of an existing record (e.g. mark a request answered); ``None`` clears a value but keeps
        the cell's formatting. Cells holding an archivist's formula are refused, not overwritten."""
        checked = self._checked(values)
        row = self._book.sheet.current_row(row_number) if row_number >= 2 else None
        if row is None:
            raise RegisterError(f"{self.path}: no row {row_number} to update")
        self._write(row_number, row, checked)

    def header_columns(self) -> dict[int, str]:
        """Row-1 labels by column number (1 = A), unlabelled columns skipped."""
        return dict(self._book.header_map())

    @property
    def has_changes(self) -> bool:
        """Whether leaving the block will write a new version of the register."""
        return self._book.changed or bool(self._book.replaced)

    # ---- other parts: the lists sheet, defined names, the sheet's dropdowns
    def sheet_names(self) -> list[str]:
        """The workbook's worksheets in tab order."""
        return list(self._book.sheet_parts)

    def sheet_xml(self, name: str) -> bytes:
        """The XML of another worksheet of the workbook, as this transaction would write it."""
        return self._book.part(self._other_sheet_part(name))

    def replace_sheet_xml(self, name: str, xml: bytes) -> None:
        """Replace another worksheet's XML whole (e.g. a hidden lists sheet regenerated from the policy).

        ``xml`` must stand on its own: inline strings, no ``s=`` styles or ``r:id`` references of another
        workbook. The register sheet itself cannot be replaced: its rows are edited, never rewritten."""
        part = self._other_sheet_part(name)
        _parse_xml(xml, f"new XML for sheet {name!r}")
        if xml != self._book.part(part):
            self._book.replaced[part] = xml

    def defined_names(self) -> dict[str, str]:
        """Workbook-level defined names (not those local to a sheet, e.g. print titles) and what they refer to."""
        book = self._book
        xml = book.part(book.book_part)
        found: dict[str, str] = {}
        for m, name, is_global in _defined_name_elements(xml, self._book_prefix(xml)):
            if is_global:
                found[name] = _unescape(m.group(2) or b"")
        return found

    def set_defined_names(self, names: Mapping[str, str | None]) -> None:
        """Set workbook-level names to the given references (``None`` removes one); every other byte of
        workbook.xml, other names included, stays as it was. Names compare without case, as in Excel."""
        book = self._book
        xml = book.part(book.book_part)
        p = self._book_prefix(xml)
        wanted = {k.lower() for k in names}
        current = {
            name.lower(): (name, m.group(2) or b"")
            for m, name, is_global in _defined_name_elements(xml, p)
            if is_global
        }
        if all(
            current.get(k.lower()) == (None if v is None else (k, _xml_text(v))) for k, v in names.items()
        ):
            return  # already as asked
        pieces, pos = [], 0
        for m, name, is_global in _defined_name_elements(xml, p):
            if is_global and name.lower() in wanted:
                pieces.append(xml[pos : m.start()])
                pos = m.end()
        xml = b"".join(pieces) + xml[pos:]
        new = b"".join(
            b"<" + p + b'definedName name="' + _xml_attr(k) + b'">' + _xml_text(v) + b"</" + p + b"definedName>"
            for k, v in names.items()
            if v is not None
        )
        q = re.escape(p)
        block = b"<" + p + b"definedNames>" + new + b"</" + p + b"definedNames>"
        if (empty := re.search(rb"<" + q + rb"definedNames\b[^>]*?/>", xml)) is not None:
            xml = xml[: empty.start()] + block + xml[empty.end() :]
        elif (opening := re.search(rb"<" + q + rb"definedNames\b[^>]*>", xml)) is not None:
            xml = xml[: opening.end()] + new + xml[opening.end() :]
        elif new:
            # definedNames follows sheets, functionGroups and externalReferences in the schema's order
            ends = [
                found.end()
                for tag in (b"sheets", b"functionGroups", b"externalReferences")
                for found in [re.search(rb"</" + q + tag + rb">|<" + q + tag + rb"\b[^>]*/>", xml)]
                if found is not None
            ]
            if not ends:
                raise RegisterCorruptError(f"{self.path}: {book.book_part} has no <sheets>")
            at = max(ends)
            xml = xml[:at] + block + xml[at:]
        _parse_xml(xml, book.book_part)
        if xml != book.zf.read(book.book_part):
            book.replaced[book.book_part] = xml
        else:
            book.replaced.pop(book.book_part, None)

    def list_validations(self) -> list[ListValidation]:
        """The register sheet's list dropdowns, from its ``<dataValidations>`` (extLst ones not included)."""
        found = []
        for index, m in enumerate(self._validation_elements()):
            a = _attrs(m.group(1))
            if a.get(b"type") != b"list":
                continue
            f1 = re.search(rb"<" + re.escape(self._book.sheet.p) + rb"formula1>(.*?)</", m.group(2) or b"", re.S)
            title, prompt = a.get(b"promptTitle"), a.get(b"prompt")
            found.append(
                ListValidation(
                    index,
                    _unescape(a.get(b"sqref", b"")),
                    _unescape(f1.group(1)) if f1 else "",
                    None if title is None else _unescape(title),
                    None if prompt is None else _unescape(prompt),
                )
            )
        return found

    def set_list_validation(
        self, index: int, *, formula1: str, prompt_title: str | None, prompt: str | None
    ) -> None:
        """Point dropdown ``index`` at ``formula1`` and set its input prompt (None: no prompt); the rest of
        the element (its cells, error message, flags) and of the sheet stays as it was."""
        sheet = self._book.sheet
        p = sheet.p
        m = self._validation_elements()[index]
        attrs = m.group(1)
        attrs = _set_attr(attrs, b"promptTitle", None if prompt_title is None else _xml_attr(prompt_title))
        attrs = _set_attr(attrs, b"prompt", None if prompt is None else _xml_attr(prompt))
        if prompt is not None:
            attrs = _set_attr(attrs, b"showInputMessage", b"1")
        inner = m.group(2) or b""
        f1 = b"<" + p + b"formula1>" + _xml_text(formula1) + b"</" + p + b"formula1>"
        old = re.search(rb"<" + re.escape(p) + rb"formula1>.*?</" + re.escape(p) + rb"formula1>", inner, re.S)
        inner = inner[: old.start()] + f1 + inner[old.end() :] if old else f1 + inner
        element = b"<" + p + b"dataValidation" + attrs + b">" + inner + b"</" + p + b"dataValidation>"
        if element != m.group(0):
            sheet.tail = sheet.tail[: m.start()] + element + sheet.tail[m.end() :]
            self._book.changed = True

    def _validation_elements(self) -> list[re.Match[bytes]]:
        sheet = self._book.sheet
        q = re.escape(sheet.p)
        block = re.search(rb"<" + q + rb"dataValidations\b.*?</" + q + rb"dataValidations>", sheet.tail, re.S)
        if block is None:
            return []
        pattern = re.compile(rb"<" + q + rb"dataValidation\b([^>]*?)(?:/>|>(.*?)</" + q + rb"dataValidation>)", re.S)
        return list(pattern.finditer(sheet.tail, block.start(), block.end()))

    def _book_prefix(self, xml: bytes) -> bytes:
        m = re.search(rb"<(?:([A-Za-z_][\w.-]*):)?sheets\b", xml)
        return m.group(1) + b":" if m is not None and m.group(1) else b""

    def _other_sheet_part(self, name: str) -> str:
        book = self._book
        if name not in book.sheet_parts:
            raise RegisterError(f"{self.path}: no sheet named {name!r} (sheets: {', '.join(book.sheet_parts)})")
        part = book.sheet_parts[name]
        if part == book.sheet_part:
            raise RegisterError(f"{self.path}: sheet {name!r} is the register sheet; its rows are never replaced")
        return part

    # ---- internals
    def _column(self, label: str) -> int:
        cols = self._book.columns()
        key = label.strip()
        if key not in cols:
            raise RegisterError(
                f"{self.path}: no column {label!r} in sheet {self.sheet_name!r}; columns: {', '.join(cols)}"
            )
        return cols[key]

    def _checked(self, values: Mapping[str, CellValue]) -> dict[int, CellValue]:
        return {self._column(label): _check_value(label, value) for label, value in values.items()}

    def _last_data_row(self) -> int:
        sheet = self._book.sheet
        for number in reversed(sheet.row_numbers()):
            row = sheet.current_row(number)
            if number == 1 or (row and any(self._book.decode(c) is not None for c in row.cells.values())):
                return number
        return 1

    def _inherited_style(self, number: int, col: int) -> int:
        above = self._book.sheet.current_row(number - 1) if number > 2 else None
        if above is not None and col in above.cells:
            s = _attrs(self._book.sheet._cell_re.match(above.cells[col]).group(1)).get(b"s")  # type: ignore[union-attr]
            if s is not None:
                return int(s)
        return _col_style(self._book.sheet.head, self._book.sheet.p, col)

    def _write(self, number: int, row: _RowEdit, values: dict[int, CellValue]) -> None:
        cells = dict(row.cells)
        for col, value in values.items():
            ref = f"{_col_letters(col)}{number}"
            old = cells.get(col)
            if old is not None:
                if re.search(rb"<" + re.escape(self._book.sheet.p) + rb"f\b", old):
                    raise RegisterError(f"{self.path}: cell {ref} holds a formula; refusing to overwrite it")
                s_attr = _attrs(self._book.sheet._cell_re.match(old).group(1)).get(b"s")  # type: ignore[union-attr]
                base = int(s_attr) if s_attr is not None else 0
            else:
                base = self._inherited_style(number, col)
            cell = self._cell_xml(ref, base, value, keep_empty=old is not None)
            if cell is None:
                cells.pop(col, None)
            else:
                cells[col] = cell
        self._book.sheet.set_row(number, _RowEdit(row.attrs, cells, row.rest))
        self._book.changed = True

    def _cell_xml(self, ref: str, base: int, value: CellValue, *, keep_empty: bool) -> bytes | None:
        styles = self._book.styles
        if value is None or value == "":
            if not keep_empty or not base:
                return None
            return f'<c r="{ref}" s="{base}"/>'.encode()
        if isinstance(value, str):
            s = (
                styles.with_quote_prefix(base)
                if value.startswith(_NEEDS_QUOTE)
                else styles.without_quote_prefix(base)
            )
            body = f'<is><t xml:space="preserve">{_escape_text(value)}</t></is>'
            return self._cell(ref, s, ' t="inlineStr"', body)
        s = styles.without_quote_prefix(base)
        if isinstance(value, bool):
            return self._cell(ref, s, ' t="b"', f"<v>{int(value)}</v>")
        if isinstance(value, dt.date):
            s = styles.with_date_format(s, "datetime" if isinstance(value, dt.datetime) else "date")
            return self._cell(ref, s, "", f"<v>{_date_to_serial(value, self._book.date1904)!r}</v>")
        if styles.kind(s) is not None:
            s = 0  # a plain number must not be shown as a date because the row above was one
        return self._cell(ref, s, "", f"<v>{value!r}</v>")

    def _cell(self, ref: str, s: int, t: str, body: str) -> bytes:
        p = self._book.sheet.p.decode()
        style = f' s="{s}"' if s else ""
        body = body.replace("<is>", f"<{p}is>").replace("</is>", f"</{p}is>").replace("<t ", f"<{p}t ")
        body = body.replace("</t>", f"</{p}t>").replace("<v>", f"<{p}v>").replace("</v>", f"</{p}v>")
        return f'<{p}c r="{ref}"{style}{t}>{body}</{p}c>'.encode()

    # ---- commit
    def _commit(self, backups: int) -> None:
        book = self._book
        replaced: dict[str, bytes] = dict(book.replaced)
        added, expected_rows = 0, 0
        if book.changed:
            sheet = book.sheet
            last_row = max(sheet.row_numbers())
            last_col = max([max(book.header_map()), *(max(e.cells, default=0) for e in sheet.edits.values())])
            sheet_xml, added = sheet.serialize(last_row, last_col)
            expected_rows = len(sheet.spans()) + added
            replaced[book.sheet_part] = sheet_xml
            if book.styles.changed and book.styles_part:
                replaced[book.styles_part] = book.styles.serialize()
            for part in book.table_parts:
                replaced.update(_grown_table(book.zf.read(part), part, last_row))
        if not replaced:
            return
        members = []
        for m in book.members:
            name = m.info.filename
            if name in replaced:
                level = _SHEET_DEFLATE_LEVEL if name == book.sheet_part else 9
                members.append(_deflated(m.info, replaced[name], level))
            else:
                members.append(m)
        _swap_in(book, members, replaced, expected_rows, backups)
        log.info("register %s: %d row(s) added, %d changed part(s)", book.path, added, len(replaced))


def _col_style(head: bytes, prefix: bytes, col: int) -> int:
    """The default style of a column from ``<cols>``, as Excel applies it to cells typed in that column."""
    for m in re.finditer(rb"<" + re.escape(prefix) + rb"col\b([^>]*?)/?>", head):
        a = _attrs(m.group(1))
        try:
            if int(a[b"min"]) <= col <= int(a[b"max"]):
                return int(a.get(b"style", b"0"))
        except (KeyError, ValueError):
            continue
    return 0


def _grown_table(data: bytes, part: str, last_row: int) -> dict[str, bytes]:
    """The table part with its ref (and its autoFilter's) reaching ``last_row``; nothing if unchanged."""
    m = re.search(rb"<(?:[\w.-]+:)?table\b[^>]*>", data)
    if m is None:
        return {}
    start_tag = m.group(0)
    if re.search(rb"\stotalsRowCount=\"[1-9]", start_tag):
        log.warning("%s has a totals row; its range is left for Excel to extend", part)
        return {}
    prefix = re.match(rb"<([\w.-]+:)?", start_tag)
    p = (prefix.group(1) or b"") if prefix else b""
    table_tag = _extend_ref(start_tag, b"table", p, last_row, 0, always=False)
    rest = _extend_ref(data[m.end() :], b"autoFilter", p, last_row, 0, always=False)
    grown = data[: m.start()] + table_tag + rest
    return {} if grown == data else {part: grown}


class _NoTarget:
    """lxml parser target that builds nothing: checks well-formedness at C speed."""

    def close(self) -> None:
        return None


def _verify(tmp: Path, book: _Workbook, replaced: Mapping[str, bytes], expected_rows: int) -> None:
    """Read the new file back from disk: every member decompresses with a good CRC, the changed parts are
    what we meant to write and are well-formed XML, and the sheet has the rows it should."""
    try:
        with zipfile.ZipFile(tmp) as zf:
            if zf.namelist() != [m.info.filename for m in book.members]:
                raise RegisterCorruptError(f"{tmp}: zip members differ from the original")
            for info in zf.infolist():
                data = zf.read(info)  # zipfile checks the CRC of what it reads
                if info.filename not in replaced:
                    continue
                if data != replaced[info.filename]:
                    raise RegisterCorruptError(f"{tmp}: {info.filename} differs from what was written")
                etree.fromstring(data, etree.XMLParser(target=_NoTarget(), huge_tree=True))
                if info.filename == book.sheet_part:
                    found = _Sheet(data, book.sheet_part).count_rows()
                    if found != expected_rows:
                        raise RegisterCorruptError(f"{tmp}: {found} rows, expected {expected_rows}")
    except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, zlib.error) as err:
        raise RegisterCorruptError(f"{tmp}: the new workbook failed its check: {err}") from err


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_in(
    book: _Workbook, members: list[_Member], replaced: Mapping[str, bytes], rows: int, keep: int
) -> None:
    """Write beside, check, keep the old file in backups/, then swap atomically; on failure touch nothing."""
    path = book.path
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".xlsx.tmp", dir=folder)
    tmp = Path(tmp_name)
    backup: Path | None = None
    try:
        with os.fdopen(fd, "wb") as out:
            _write_zip(out, members)
            out.flush()
            os.fsync(out.fileno())
        if book.stat is not None:
            os.chmod(tmp, book.stat.st_mode & 0o7777)
        _verify(tmp, book, replaced, rows)
        _refuse_if_open_elsewhere(path)  # Excel may have opened it while we worked
        now = os.stat(path)
        if book.stat is not None and (now.st_mtime_ns, now.st_size, now.st_ino) != (
            book.stat.st_mtime_ns,
            book.stat.st_size,
            book.stat.st_ino,
        ):
            raise RegisterError(f"{path} was changed by someone not using the lock while we worked; retry")
        if keep > 0:
            backup = _keep_backup(path)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if backup is not None:
            backup.unlink(missing_ok=True)
        raise
    _fsync_dir(folder)
    if keep > 0:
        _prune_backups(path, keep)


def _temp_prefix(path: Path) -> str:
    return f".{path.stem}."


def _remove_leftovers(path: Path) -> None:
    """Delete temp files of a writer that died before its swap; safe because only the lock holder writes."""
    for leftover in path.parent.glob(_temp_prefix(path) + "*.xlsx.tmp"):
        log.warning("removing %s, left by a writer that did not finish", leftover)
        leftover.unlink(missing_ok=True)


def _backup_dir(path: Path) -> Path:
    return path.parent / "backups"


def _keep_backup(path: Path) -> Path:
    """Keep the current file as backups/NAME-<timestamp>.xlsx: a hard link costs nothing, a copy if not."""
    folder = _backup_dir(path)
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    try:
        os.link(path, target)
    except OSError:
        shutil.copy2(path, target)
    _fsync_dir(folder)
    return target


def _prune_backups(path: Path, keep: int) -> None:
    pattern = re.compile(re.escape(path.stem) + r"-\d{8}T\d{12}" + re.escape(path.suffix))
    found = sorted(p for p in _backup_dir(path).iterdir() if pattern.fullmatch(p.name))
    for old in found[: max(len(found) - keep, 0)]:
        old.unlink(missing_ok=True)
        log.debug("removed old backup %s", old)


# ------------------------------------------------------------------------------------------------- API
@contextlib.contextmanager
def open_register(
    path: str | os.PathLike[str], *, sheet: str | None = None, timeout: float = 10.0, backups: int = 10
) -> Iterator[RegisterTransaction]:
    """Lock the register, read it, and yield a :class:`RegisterTransaction`.

    On normal exit of the block the changes are committed atomically (the previous file kept in
    ``backups/``, at most ``backups`` of them); on an exception nothing is written.
    """
    register = Path(path)
    with register_lock(register, timeout=timeout):
        _refuse_if_open_elsewhere(register)
        _remove_leftovers(register)
        transaction = RegisterTransaction(_Workbook.load(register, sheet))
        yield transaction
        transaction._commit(backups)


def read_register(path: str | os.PathLike[str], *, sheet: str | None = None) -> tuple[list[str], list[Row]]:
    """Header and rows without taking the lock: readers never wait, and ``os.replace`` gives them a whole
    file, the old or the new."""
    transaction = RegisterTransaction(_Workbook.load(Path(path), sheet))
    return transaction.header(), transaction.rows()
