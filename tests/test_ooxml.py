"""The zip reader/writer and XML helpers under the registers and the DOCX renderer, checked against zipfile and lxml."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from generator.ooxml import archive, markup


def zipfile_archive(entries: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return out.getvalue()


def entry(name: str, when: tuple[int, int, int, int, int, int], method: int, system: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, when)
    info.compress_type = method
    info.create_system = system
    info.external_attr = 0o600 << 16
    return info


MIXED = [
    (entry("[Content_Types].xml", (2019, 5, 4, 13, 37, 58), zipfile.ZIP_DEFLATED, 0), b"<Types/>" * 50),
    (entry("xl/media/image1.png", (2021, 12, 31, 23, 59, 0), zipfile.ZIP_STORED, 3), bytes(range(256)) * 3),
    (entry("xl/سجل.xml", (1980, 1, 1, 0, 0, 0), zipfile.ZIP_DEFLATED, 3), "<a>نص</a>".encode()),
]


# ---------------------------------------------------------------------------------------------------- zip
def test_an_archive_written_back_unchanged_is_byte_identical_to_what_zipfile_wrote() -> None:
    blob = zipfile_archive(MIXED)
    _, members = archive.read_members(blob)
    assert [m.name for m in members] == ["[Content_Types].xml", "xl/media/image1.png", "xl/سجل.xml"]
    assert [m.data() for m in members] == [data for _, data in MIXED]
    assert archive.zip_bytes(members) == blob


def test_a_replaced_part_is_deflated_with_the_metadata_of_the_one_it_replaces(tmp_path: Path) -> None:
    _, members = archive.read_members(zipfile_archive(MIXED))
    new_xml = b"<Types><Default/></Types>"
    members[0] = archive.deflated(members[0].info, new_xml, 3)
    path = tmp_path / "out.zip"
    with path.open("wb") as out:
        archive.write_zip(out, members)
    with zipfile.ZipFile(path) as check:
        assert check.testzip() is None  # every CRC good
        assert check.read("[Content_Types].xml") == new_xml
        assert check.read("xl/media/image1.png") == MIXED[1][1]
        info = check.getinfo("[Content_Types].xml")
        assert (info.date_time, info.create_system, info.external_attr) == ((2019, 5, 4, 13, 37, 58), 0, 0o600 << 16)
    # the untouched members' compressed streams are copied as they were
    assert path.read_bytes().count(members[1].raw) == 1


def test_stored_and_restamped_members_keep_their_bytes_under_plain_metadata() -> None:
    _, members = archive.read_members(zipfile_archive(MIXED))
    when = (2026, 1, 1, 0, 0, 0)
    png = b"\x89PNG not compressed again"
    blob = archive.zip_bytes(
        [
            archive.restamped(members[0], archive.plain_info(members[0].name, when, create_system=0)),
            archive.stored(archive.plain_info("word/media/qr.png", when, create_system=0), png),
        ]
    )
    with zipfile.ZipFile(io.BytesIO(blob)) as check:
        assert check.testzip() is None
        assert check.read("[Content_Types].xml") == MIXED[0][1]
        assert check.read("word/media/qr.png") == png
        assert check.getinfo("word/media/qr.png").compress_type == zipfile.ZIP_STORED
        assert {i.date_time for i in check.infolist()} == {when}
        assert {i.external_attr for i in check.infolist()} == {0o644 << 16}
    assert blob.count(members[0].raw) == 1


def test_normalised_gives_the_same_bytes_whatever_time_a_library_saved_at() -> None:
    def saved_at(when: tuple[int, int, int, int, int, int]) -> bytes:
        return zipfile_archive([(entry(info.filename, when, zipfile.ZIP_DEFLATED, 0), data) for info, data in MIXED])

    fixed = (2024, 1, 1, 0, 0, 0)
    first = archive.normalised(saved_at((2025, 3, 1, 9, 0, 0)), fixed, level=9)
    second = archive.normalised(saved_at((2026, 7, 9, 17, 30, 12)), fixed, level=9)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as check:
        assert [check.read(info) for info in check.infolist()] == [data for _, data in MIXED]
        assert {i.date_time for i in check.infolist()} == {fixed}
    # what zipfile itself writes for the same members at that time, at that level
    expected = io.BytesIO()
    with zipfile.ZipFile(expected, "w") as zf:
        for info, data in MIXED:
            stamped = zipfile.ZipInfo(info.filename, fixed)
            stamped.compress_type = zipfile.ZIP_DEFLATED
            stamped.create_system = 3
            stamped.external_attr = 0o644 << 16
            zf.writestr(stamped, data, compresslevel=9)
    assert first == expected.getvalue()


def test_an_encrypted_member_or_a_broken_local_header_is_refused() -> None:
    blob = bytearray(zipfile_archive(MIXED[:1]))
    broken = bytes(blob).replace(b"PK\x03\x04", b"PK\x00\x00", 1)
    with pytest.raises(archive.ArchiveError, match=r"bad local header for \[Content_Types\]\.xml"):
        archive.read_members(broken)
    central = blob.find(b"PK\x01\x02")
    blob[central + 8] |= 0x1  # the encryption flag, as the central directory records it
    with pytest.raises(archive.ArchiveError, match=r"\[Content_Types\]\.xml is encrypted"):
        archive.read_members(bytes(blob))
    with pytest.raises(zipfile.BadZipFile):
        archive.read_members(b"not a zip at all")


def test_a_member_too_large_for_a_plain_zip_is_refused_before_writing_it() -> None:
    info = archive.plain_info("huge.xml", (2026, 1, 1, 0, 0, 0), create_system=3)
    info.CRC, info.compress_size, info.file_size = zlib.crc32(b""), 0, 0xFFFFFFFF
    with pytest.raises(archive.ArchiveError, match=r"huge\.xml: too large"):
        archive.zip_bytes([archive.Member(info, b"")])


# ---------------------------------------------------------------------------------------------------- XML
XML_CHARS = st.characters(blacklist_categories=["Cs"], blacklist_characters="\ufffe\uffff").filter(
    lambda c: c in "\t\n\r" or ord(c) >= 0x20
)


@given(st.text(XML_CHARS, max_size=40))
def test_escaped_text_and_attributes_parse_back_to_what_was_escaped(text: str) -> None:
    xml = f'<a v="{markup.escape_attr(text)}">{markup.escape_text(text)}</a>'.encode()
    root = markup.parse(xml)
    assert root.get("v") == text  # attribute values keep their line breaks and tabs
    as_parsed = text.replace("\r\n", "\n").replace("\r", "\n")  # a parser normalises line ends in text
    assert (root.text or "") == as_parsed
    inner = re.search(rb"<a [^>]*>(.*)</a>", xml, re.S)
    assert inner is not None and markup.unescape(inner.group(1)) == as_parsed
    start = re.match(rb"<a ([^>]*)>", xml)
    assert start is not None
    assert markup.unescape(markup.attributes(start.group(1))[b"v"]) == text  # as a parser reads it


def test_unescape_reads_character_references_and_named_entities() -> None:
    assert markup.unescape(b"&lt;&#1575;&#x0644;&amp;&quot;&apos;&gt;") == "<\u0627\u0644&\"'>"


def test_attributes_reads_both_quote_styles_as_found() -> None:
    assert markup.attributes(b""" r="A1" s='3' t="s" x:y="&amp;" """) == {
        b"r": b"A1",
        b"s": b"3",
        b"t": b"s",
        b"x:y": b"&amp;",
    }


def test_the_safe_parser_resolves_no_external_entity(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the archive password")
    xml = f'<!DOCTYPE a [<!ENTITY x SYSTEM "{secret.as_uri()}">]><a>&x;</a>'.encode()
    root = markup.parse(xml)
    assert "password" not in etree.tostring(root).decode()


def test_well_formedness_is_checked_without_building_a_tree() -> None:
    markup.check_well_formed(b"<sheet><row r='1'/></sheet>")
    with pytest.raises(etree.XMLSyntaxError):
        markup.check_well_formed(b"<sheet><row r='1'></sheet>")
