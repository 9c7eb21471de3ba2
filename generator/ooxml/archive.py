"""The one zip reader and writer of Office packages (.xlsx, .docx): members kept as compressed streams.

``zipfile`` cannot copy a member without decompressing and recompressing it, which costs time and changes
bytes. Here a package is read as a list of :class:`Member` (the member's metadata and its compressed stream as
stored), and written back with each stream copied as is: only the parts a caller changed are deflated again.
The writer lays out a plain archive as ``zipfile`` does (local headers with the sizes up front, then the
central directory, no zip64), so a member keeps every byte of its metadata, DOS timestamp included.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import BinaryIO

__all__ = [
    "ArchiveError",
    "DateTime",
    "Member",
    "deflated",
    "normalised",
    "plain_info",
    "read_members",
    "restamped",
    "stored",
    "write_zip",
    "zip_bytes",
]

DateTime = tuple[int, int, int, int, int, int]
"""A member's time as ``zipfile`` keeps it: year, month, day, hour, minute, second."""

_LIMIT = 0xFFFFFFFF
"""Sizes and offsets from here on need zip64, which Office packages never reach."""


class ArchiveError(ValueError):
    """Raised when a zip member cannot be copied as stored (encrypted, or a local header that is not one)."""


@dataclass(frozen=True)
class Member:
    """One zip member as stored: its metadata and its compressed stream, copied as is when unchanged."""

    info: zipfile.ZipInfo
    raw: bytes

    @property
    def name(self) -> str:
        return self.info.filename

    def data(self) -> bytes:
        """The member's uncompressed bytes (stored or deflated members only)."""
        if self.info.compress_type == zipfile.ZIP_STORED:
            return self.raw
        return zlib.decompress(self.raw, -15)

    @cached_property
    def headers(self) -> tuple[bytes, bytes, bytes]:
        """Its local header (name included), and its central directory entry up to the header's offset and
        after it; made once, since a member is written again and again (a template's parts, per document)."""
        info = self.info
        text = info.orig_filename
        # cp437 is a slow codec; an ASCII name is the same bytes in it, in ASCII and in UTF-8
        name = text.encode("ascii") if text.isascii() else text.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        if max(info.compress_size, info.file_size) >= _LIMIT:
            raise ArchiveError(f"{info.filename}: too large for a zip archive without zip64")
        flags = info.flag_bits & ~0x8  # sizes are known: no data descriptor
        dos_time, dos_date = _dos_stamp(info.date_time)
        # the fields the local header and the central directory share, in the same order
        common = (flags, info.compress_type, dos_time, dos_date, info.CRC, info.compress_size, info.file_size)
        local = struct.pack("<IH4H3I2H", 0x04034B50, info.extract_version, *common, len(name), 0) + name
        made_by = (info.create_system << 8) | info.create_version
        central = struct.pack(
            "<I2H4H3I5HI", 0x02014B50, made_by, info.extract_version, *common, len(name), 0, 0, 0,
            info.internal_attr, info.external_attr,
        )  # fmt: skip
        return local, central, name


def read_members(blob: bytes) -> tuple[zipfile.ZipFile, list[Member]]:
    """The archive (to read parts from) and its members in order, each with its compressed bytes.

    Raises ``zipfile.BadZipFile``, ``struct.error`` or ``ValueError`` (:class:`ArchiveError` among them)
    when ``blob`` is not a readable archive.
    """
    zf = zipfile.ZipFile(io.BytesIO(blob))
    members = []
    for info in zf.infolist():
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{info.filename} is encrypted")
        off = info.header_offset
        if blob[off : off + 4] != b"PK\x03\x04":
            raise ArchiveError(f"bad local header for {info.filename}")
        name_len, extra_len = struct.unpack("<HH", blob[off + 26 : off + 30])
        start = off + 30 + name_len + extra_len
        members.append(Member(info, blob[start : start + info.compress_size]))
    return zf, members


def _dos_stamp(date_time: DateTime) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return (h << 11) | (mi << 5) | (s // 2), (max(y - 1980, 0) << 9) | (mo << 5) | d


def write_zip(out: BinaryIO, members: Iterable[Member]) -> None:
    """Write a plain (non-zip64) archive: local headers with sizes up front, then the central directory.

    Raises :class:`ArchiveError` if a member or the archive reaches 4 GiB, which needs zip64.
    """
    central: list[bytes] = []
    offset = 0
    for m in members:
        local, entry, name = m.headers
        if offset >= _LIMIT:
            raise ArchiveError(f"{m.name}: too large for a zip archive without zip64")
        out.write(local)
        out.write(m.raw)
        central.append(entry + struct.pack("<I", offset) + name)
        offset += len(local) + len(m.raw)
    directory = b"".join(central)
    count = len(central)
    out.write(directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), offset, 0))


def zip_bytes(members: Iterable[Member]) -> bytes:
    """The archive of ``members`` as bytes (see :func:`write_zip`)."""
    out = io.BytesIO()
    write_zip(out, members)
    return out.getvalue()


def plain_info(name: str, date_time: DateTime, *, create_system: int) -> zipfile.ZipInfo:
    """Metadata that depends on the name and the given time only, so that the same parts give the same bytes:
    version 2.0, no flags but UTF-8 for a non-ASCII name, permissions 0644, made on ``create_system`` (0 DOS,
    3 Unix)."""
    info = zipfile.ZipInfo(name, date_time)
    info.create_system = create_system
    info.create_version = info.extract_version = 20
    info.flag_bits = 0 if name.isascii() else 0x800
    info.internal_attr = 0
    info.external_attr = 0o644 << 16
    return info


def _member(like: zipfile.ZipInfo, raw: bytes, *, method: int, crc: int, size: int, version: int) -> Member:
    """A member of compressed stream ``raw`` under the name, time, system and attributes of ``like``."""
    new = zipfile.ZipInfo(like.orig_filename, like.date_time)
    new.flag_bits = like.flag_bits & 0x800
    new.compress_type = method
    new.create_system, new.create_version = like.create_system, like.create_version
    new.extract_version = version
    new.internal_attr, new.external_attr = like.internal_attr, like.external_attr
    new.CRC, new.compress_size, new.file_size = crc, len(raw), size
    return Member(new, raw)


def deflated(info: zipfile.ZipInfo, data: bytes, level: int) -> Member:
    """``data`` deflated at ``level`` as a member with the name, time, system and attributes of ``info``."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    raw = comp.compress(data) + comp.flush()
    version = max(info.extract_version, 20)
    return _member(info, raw, method=zipfile.ZIP_DEFLATED, crc=zlib.crc32(data), size=len(data), version=version)


def stored(info: zipfile.ZipInfo, data: bytes) -> Member:
    """``data`` stored uncompressed (a PNG is compressed already) with the metadata of ``info``."""
    crc, version = zlib.crc32(data), info.extract_version
    return _member(info, data, method=zipfile.ZIP_STORED, crc=crc, size=len(data), version=version)


def restamped(member: Member, like: zipfile.ZipInfo) -> Member:
    """``member``'s compressed stream, copied as is, under the name, time, system and attributes of ``like``."""
    old = member.info
    return _member(
        like, member.raw, method=old.compress_type, crc=old.CRC, size=old.file_size, version=like.extract_version
    )


def normalised(
    blob: bytes, date_time: DateTime, *, level: int, edit: Callable[[str, bytes], bytes] | None = None
) -> bytes:
    """The archive ``blob`` with every member deflated at ``level`` under :func:`plain_info` metadata (Unix,
    stamped ``date_time``): what a library saved with the time of the save becomes a function of its parts.
    ``edit(name, data)``, if given, returns each part as it is to be written (e.g. a fixed date in it)."""
    zf, members = read_members(blob)
    return zip_bytes(
        deflated(
            plain_info(m.name, date_time, create_system=3),
            zf.read(m.info) if edit is None else edit(m.name, zf.read(m.info)),
            level,
        )
        for m in members
    )
