"""A tiny .xlsx that asks for unbounded work: every cell pointing at one 32,767-character shared string. The reader
counts what it hands out and refuses the file early, in Arabic; the office app says so on the batch page."""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from generator.errors import DataError
from generator.sources import xlsxfile
from generator.sources.xlsxfile import MAX_TOTAL_CHARS, read_xlsx
from tests.web_helpers import csrf

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
LONGEST = 32_767


def crafted_xlsx(rows: int = 2_000, columns: int = 20) -> bytes:
    """A header row, then ``rows`` x ``columns`` cells that all show shared string 0 (32,767 letters)."""
    header = "".join(f'<c r="{chr(65 + c)}1" t="inlineStr"><is><t>عمود {c}</t></is></c>' for c in range(columns))
    cell = '<c t="s"><v>0</v></c>' * columns
    body = f"<row>{cell}</row>" * rows  # rows without numbers: all alike, so they compress to nothing
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{RELS}"><Relationship Id="r1" Type="{DOC_RELS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
            '<sheet name="s" sheetId="1" r:id="rS"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{RELS}">'
            f'<Relationship Id="rS" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rT" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}"><si><t>{"ا" * LONGEST}</t></si></sst>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{header}</row>{body}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        for name, text in parts.items():
            package.writestr(name, text)
    return buffer.getvalue()


def test_a_few_kilobytes_pointing_at_one_long_string_are_refused_after_a_few_hundred_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = crafted_xlsx()
    assert len(data) < 8_000  # under 8 KB that would hand 1.3 billion characters to the validators
    path = tmp_path / "small.xlsx"
    path.write_bytes(data)
    visited = [0]
    value = xlsxfile._Sheet._value

    def counted(self: xlsxfile._Sheet, cell: object, ref: str) -> object:
        visited[0] += 1
        return value(self, cell, ref)  # type: ignore[arg-type]

    monkeypatch.setattr(xlsxfile._Sheet, "_value", counted)
    with pytest.raises(DataError) as caught:
        for _ in read_xlsx(path, max_columns=20):
            pass
    message = caught.value.problems[0].message
    assert "الجدول يحتوي على نصوص أكثر مما تحتمله دفعة واحدة" in message
    assert "قسّم الدفعة إلى ملفات أصغر" in message
    assert visited[0] <= 20 + MAX_TOTAL_CHARS // LONGEST + 1  # the header, then stopped at the limit


def test_a_sheet_of_too_many_cells_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsxfile, "MAX_CELLS", 1_000)
    path = tmp_path / "wide.xlsx"
    path.write_bytes(crafted_xlsx(rows=100, columns=20))
    with pytest.raises(DataError) as caught:
        list(read_xlsx(path, max_columns=2))  # cells beyond the columns read are counted too
    assert "الورقة تحتوي على أكثر من 1000 خلية" in caught.value.problems[0].message


def test_the_batch_page_refuses_it_in_arabic(client: FlaskClient) -> None:
    token = csrf(client, "/batches/new")
    data = {"csrf_token": token, "document": "acknowledgment", "sheet": (io.BytesIO(crafted_xlsx()), "day.xlsx")}
    response = client.post("/batches/new", data=data, content_type="multipart/form-data")
    assert response.status_code in (200, 422)
    assert "الجدول يحتوي على نصوص أكثر مما تحتمله دفعة واحدة" in html.unescape(response.get_data(as_text=True))
