"""Test registers built with openpyxl as the register generator builds them, plus archivists' additions."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.styles import Font, NamedStyle, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

REFERENCE = "الرقم المرجعي"
NAME = "اسم المتقدم"
NATIONAL_ID = "رقم الهوية"
RECEIVED = "تاريخ الاستلام"
STATUS = "الحالة"
NOTES = "ملاحظات"
HEADER = [REFERENCE, NAME, NATIONAL_ID, RECEIVED, STATUS, NOTES]
STATUSES = ["جديد", "قيد الدراسة", "مقبول", "معتذر عنه"]


def png_bytes() -> bytes:
    """A tiny real PNG (4x4, green) made with Pillow."""
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4), (0, 128, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def build_register(
    path: Path,
    rows: Sequence[Sequence[object]] = (),
    *,
    header: Sequence[str] = HEADER,
    extras: bool = False,
    extra_columns: int = 0,
) -> Path:
    """A requests register: RTL, styled frozen header, a table, whole-column validations, a date column.

    ``extras`` adds what an archivist adds: an image, a bar chart, a comment, a second sheet with data, a
    column of their own inside the table and a coloured cell.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "الطلبات"
    ws.sheet_view.rightToLeft = True
    date_style = NamedStyle(name="iso_date", number_format="yyyy-mm-dd")
    wb.add_named_style(date_style)
    labels = list(header) + [f"عمود {i}" for i in range(extra_columns)]
    ws.append(labels)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    ws.freeze_panes = "A2"
    date_col = labels.index(RECEIVED) + 1 if RECEIVED in labels else None
    for values in rows:
        ws.append(list(values))
        if date_col is not None:
            ws.cell(ws.max_row, date_col).style = "iso_date"
        id_col = labels.index(NATIONAL_ID) + 1 if NATIONAL_ID in labels else None
        if id_col is not None:
            ws.cell(ws.max_row, id_col).number_format = "@"
    if date_col is not None:
        letter = ws.cell(1, date_col).column_letter
        ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
    status_letter = ws.cell(1, labels.index(STATUS) + 1).column_letter if STATUS in labels else "E"
    validation = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True)
    validation.add(f"{status_letter}2:{status_letter}1048576")
    ws.add_data_validation(validation)
    last_letter = ws.cell(1, len(labels)).column_letter
    table = Table(displayName="Requests", ref=f"A1:{last_letter}{max(ws.max_row, 2)}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    if extras:
        ws["B2"].comment = Comment("راجع الأرشيف", "أمين الأرشيف")
        ws["F2"].fill = PatternFill("solid", fgColor="FFFF00")
        image = Image(io.BytesIO(png_bytes()))
        ws.add_image(image, "J2")
        stats = wb.create_sheet("إحصاء")
        stats.append(["الشهر", "الطلبات"])
        for month, count in (("محرم", 4), ("صفر", 7), ("ربيع الأول", 3)):
            stats.append([month, count])
        chart = BarChart()
        chart.add_data(Reference(stats, min_col=2, min_row=1, max_row=4), titles_from_data=True)
        chart.set_categories(Reference(stats, min_col=1, min_row=2, max_row=4))
        stats.add_chart(chart, "D2")
    wb.save(path)
    return path


def insert_archivist_column(path: Path, at: int, label: str) -> None:
    """What an archivist does in Excel: insert a labelled column of their own (openpyxl stands in)."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    ws.insert_cols(at)
    ws.cell(1, at).value = label
    wb.save(path)


def members(path: Path) -> dict[str, bytes]:
    """Every zip member's uncompressed bytes."""
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def sample_rows(n: int, start: int = 1) -> list[list[object]]:
    return [
        [
            f"REQ-1448-{i:05d}",
            f"متقدم {i}",
            f"1{i:09d}",
            dt.date(2026, 1, 1) + dt.timedelta(days=i),
            "جديد",
            "",
        ]
        for i in range(start, start + n)
    ]


def save_as_excel_would(path: Path) -> None:
    """Move every sheet's inline strings into sharedStrings.xml (with a rich-text entry), as Excel saves."""
    from lxml import etree

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    q = f"{{{main}}}"
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    strings: list[str] = []
    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        root = etree.fromstring(parts[name])
        for cell in root.iter(q + "c"):
            if cell.get("t") != "inlineStr":
                continue
            inline = cell.find(q + "is")
            if inline is None:  # openpyxl writes "" as an empty inline string; Excel writes no value
                del cell.attrib["t"]
                continue
            text = "".join(inline.itertext())
            cell.remove(inline)
            cell.set("t", "s")
            etree.SubElement(cell, q + "v").text = str(len(strings))
            strings.append(text)
        parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    sst = etree.Element(q + "sst", nsmap={None: main}, count=str(len(strings)), uniqueCount=str(len(strings)))
    for i, text in enumerate(strings):
        si = etree.SubElement(sst, q + "si")
        if i == 0:  # a rich-text entry: two runs, plus a phonetic run that is not part of the value
            half = len(text) // 2
            for piece in (text[:half], text[half:]):
                etree.SubElement(etree.SubElement(si, q + "r"), q + "t").text = piece
            etree.SubElement(etree.SubElement(si, q + "rPh", sb="0", eb="1"), q + "t").text = "x"
        else:
            etree.SubElement(si, q + "t").text = text
    parts["xl/sharedStrings.xml"] = etree.tostring(
        sst, xml_declaration=True, encoding="UTF-8", standalone=True
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
