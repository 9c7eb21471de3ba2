"""report.pdf, report.xlsx and the HTML body the office app embeds, from the fixture registers.

Arabic phrases and Latin tokens are asserted separately in the PDF text (pypdf reverses Arabic-Indic digit
runs); figures are asserted per cell in the HTML, and as Latin digits in the PDF of a Latin-digit policy.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook
from pypdf import PdfReader

from generator.config.project import Project, load_project
from generator.content.text import strip_tatweel
from generator.reports import ReportResult, parse_period, write_report
from generator.reports.html import report_partial
from tests.project_fixture import ROOT, copy_project, edit
from tests.report_fixtures import write_registers

TODAY = date(2026, 12, 20)
BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
SECTIONS = ("الطلبات", "التواصل مع المستفيدين", "قياس رضا المستفيدين", "المتطوعون", "الخطابات الصادرة", "صفوف لم تُحتسب")


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(ROOT / "policies" / "policy.yml")


@pytest.fixture(scope="module")
def result(project: Project, tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    out = tmp_path_factory.mktemp("office")
    write_registers(project, out)
    return write_report(project, out, parse_period("1448-06"), today=TODAY)


def pdf_text(path: Path) -> str:
    pages = PdfReader(path).pages
    return "\n".join(BIDI_MARKS.sub("", strip_tatweel(page.extract_text())) for page in pages)


def test_files_are_where_the_period_says(result: ReportResult) -> None:
    assert result.folder.name == "1448-06" and result.folder.parent.name == "reports"
    assert [p.name for p in result.files] == ["report.pdf", "report.xlsx"]
    assert all(p.is_file() for p in result.files)


def test_pdf_has_the_arabic_titles_and_references(result: ReportResult) -> None:
    reader = PdfReader(result.files[0])
    text = pdf_text(result.files[0])
    for phrase in (
        "تقرير مؤشرات علاقات المستفيدين",
        *SECTIONS,
        "الطلبات حسب قناة الوصول",
        "الطلبات حسب الفئة العمرية المستهدفة",
        "أقدم الطلبات المنتظرة",
        "التواصل حسب القناة والاتجاه",
        "متوسط الرضا لكل بند",
        "المؤشر العام للرضا",
        "حسن الاستقبال واللباقة في التعامل",
        "الانتظار طويل",
        "وصل الطلب عن طريق: الخيار",
        "غير مذكور",
        "جمادى الآخرة",
        "جمادى الأولى",
        "مشرفو المكاتب الفرعية",
        "أحمد الغامدي",
    ):
        assert phrase in text, phrase
    for token in (
        "REQ-1448-00007",
        "REQ-1448-00009",
        "REQ-1448-00010",
        "REQ-1448-00011",
        "CON-1448-00006",
        "SAT-1448-00005",
    ):
        assert token in text, token
    assert "REQ-1448-00012" not in text  # a bad row of last month
    assert "محمد علي الزهراني" not in text and "هيا" not in text  # comments never carry names
    fonts = {str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts and all("IBM-Plex-Sans-Arabic" in f for f in fonts)


def test_every_section_has_a_chart(project: Project, result: ReportResult) -> None:
    html = str(report_partial(project, result.view, load_words(project)))
    for section in ("requests", "contacts", "satisfaction", "volunteers"):
        body = html.split(f'id="section-{section}"')[1].split("<section")[0]
        assert 'class="chart"' in body, section
    # a chart's labels are printed twice in the PDF: in the table and beside the bar
    text = pdf_text(result.files[0])
    for label in (
        "مشرفو المكاتب الفرعية",
        "أكثر من",
        "سهولة التواصل عبر القنوات المتاحة",
        "تعليم القرآن الكريم وتجويده",
    ):
        assert text.count(label) >= 2, label


def load_words(project: Project):  # type: ignore[no-untyped-def]
    from generator.reports.wording import load_wording

    return load_wording(project).report


def cells_of(html: str, table_id: str) -> list[list[str]]:
    """The rows of one table of the HTML body, each as [label, value, ...], tags and isolation stripped."""
    block = html.split(f'id="table-{table_id}"')[1].split("</table>")[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block, re.S):
        rows.append(
            [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        )
    return rows


def test_html_figures_per_cell(project: Project, result: ReportResult) -> None:
    html = str(report_partial(project, result.view, load_words(project)))
    assert cells_of(html, "requests_by_channel")[1:4] == [
        ["المقابلة", "٢", "١"],
        ["الاتصالات الهاتفية", "٢", "٠"],
        ["وسائل التواصل الاجتماعي", "٠", "١"],
    ]
    reply = cells_of(html, "requests_reply")
    assert reply[2] == ["الوسيط", "١٥.٥٠", "١٦"] and reply[1] == ["عدد الطلبات التي رُدّ عليها", "٢", "١"]
    assert cells_of(html, "requests_oldest")[1] == ["REQ-1448-00007", "أحمد الغامدي", "٢٠/٠٤/١٤٤٨هـ", "٦٩"]
    items = cells_of(html, "satisfaction_items")
    assert items[1] == ["حسن الاستقبال واللباقة في التعامل", "٣", "٣.٦٧", "٦٧٪", "٥.٠٠", "١٠٠٪"]
    assert items[5] == ["سهولة التواصل عبر القنوات المتاحة", "٣", "٢.٦٧", "٠٪", "٥.٠٠", "١٠٠٪"]
    overall = cells_of(html, "satisfaction_overall")
    assert overall[1:] == [["عدد المستجيبين", "٣", "١"], ["المتوسط", "٣.٦١", "٥.٠٠"], ["نسبة الراضين", "٥٦٪", "١٠٠٪"]]
    assert cells_of(html, "contacts_by_channel")[2] == ["الاتصالات الهاتفية", "١", "١", "٢", "٠"]
    assert len(cells_of(html, "uncounted")) == 6


def test_pdf_figures_with_latin_digits(tmp_path: Path) -> None:
    policy = copy_project(tmp_path / "project")
    shutil.copytree(ROOT / "templates", tmp_path / "project" / "templates", dirs_exist_ok=True)
    edit(policy, "digits: arabic", "digits: latin")
    project = load_project(policy)
    write_registers(project, tmp_path / "out")
    result = write_report(project, tmp_path / "out", parse_period("1448-06"), today=TODAY)
    text = pdf_text(result.files[0])
    for token in ("15.50", "3.67", "2.67", "3.61", "56%", "100%", "69", "29/06/1448", "01/06/1448"):
        assert token in text, token


def test_empty_period_says_so(project: Project, result: ReportResult) -> None:
    out = result.folder.parent.parent
    empty = write_report(project, out, parse_period("1447-01"), today=TODAY)
    assert "لا توجد صفوف مسجلة في هذه الفترة" in pdf_text(empty.files[0])


# ------------------------------------------------------------------------------------------ xlsx
def chart_refs(path: Path) -> dict[str, tuple[list[str], list[str], list[str]]]:
    """Chart title -> (value ranges, category ranges, series titles), read from the chart parts."""
    charts = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/charts/chart"):
                root = etree.fromstring(zf.read(name))
                title = "".join(root.find(f"{C}chart/{C}title").itertext())
                values = [
                    f.text
                    for f in root.iter(f"{C}f")
                    if f.getparent().tag == f"{C}numRef" and f.getparent().getparent().tag == f"{C}val"
                ]
                cats = [f.text for f in root.iter(f"{C}f") if f.getparent().getparent().tag == f"{C}cat"]
                names = [f.text for f in root.iter(f"{C}f") if f.getparent().getparent().tag == f"{C}tx"]
                charts[title] = (values, cats, names)
    return charts


def row_of(ws, text: str) -> int:  # type: ignore[no-untyped-def]
    return next(c.row for c in ws["A"] if c.value == text)


def test_xlsx_sheets_are_right_to_left_with_the_figures(result: ReportResult) -> None:
    wb = load_workbook(result.files[1])
    assert wb.sheetnames == ["الملخص", "الطلبات", "التواصل", "الرضا", "المتطوعون والصادر", "صفوف لم تحتسب"]
    assert all(ws.sheet_view.rightToLeft for ws in wb.worksheets)
    ws = wb["الطلبات"]
    top = row_of(ws, "الطلبات حسب قناة الوصول")
    assert [c.value for c in ws[top + 1]][:3] == ["البند", "الفترة الحالية", "الفترة السابقة"]
    assert [[c.value for c in ws[top + i]][:3] for i in (2, 3, 9)] == [
        ["المقابلة", 2, 1],
        ["الاتصالات الهاتفية", 2, 0],
        ["مشرفو المكاتب الفرعية", 0, 0],
    ]
    sat = wb["الرضا"]
    overall = row_of(sat, "المؤشر العام للرضا")
    assert sat.cell(overall + 3, 2).value == pytest.approx(65 / 18) and sat.cell(overall + 3, 2).number_format == "0.00"
    assert sat.cell(overall + 4, 2).value == pytest.approx(10 / 18) and sat.cell(overall + 4, 2).number_format == "0%"
    bad = wb["صفوف لم تحتسب"]
    assert [c.value for c in bad[row_of(bad, "سجل التواصل مع المستفيدين")]][:3] == [
        "سجل التواصل مع المستفيدين",
        7,
        "CON-1448-00006",
    ]


def test_xlsx_charts_reference_their_tables(result: ReportResult) -> None:
    wb = load_workbook(result.files[1])
    charts = chart_refs(result.files[1])
    top = row_of(wb["الطلبات"], "الطلبات حسب قناة الوصول")
    assert charts["الطلبات حسب قناة الوصول"] == (
        [f"'الطلبات'!$B${top + 2}:$B${top + 9}", f"'الطلبات'!$C${top + 2}:$C${top + 9}"],
        [f"'الطلبات'!$A${top + 2}:$A${top + 9}"] * 2,
        [f"'الطلبات'!B{top + 1}", f"'الطلبات'!C{top + 1}"],  # «الفترة الحالية», «الفترة السابقة»
    )
    items = row_of(wb["الرضا"], "متوسط الرضا لكل بند (من ١ إلى ٥)")
    assert charts["متوسط الرضا لكل بند (من ١ إلى ٥)"][0] == [
        f"'الرضا'!$C${items + 2}:$C${items + 7}",
        f"'الرضا'!$E${items + 2}:$E${items + 7}",
    ]
    contacts = row_of(wb["التواصل"], "التواصل حسب القناة والاتجاه")
    assert charts["التواصل حسب القناة والاتجاه"][0] == [
        f"'التواصل'!$D${contacts + 2}:$D${contacts + 9}",
        f"'التواصل'!$E${contacts + 2}:$E${contacts + 9}",
    ]
    assert {"الطلبات المنتظرة في نهاية الفترة حسب مدة الانتظار", "حسب مجال التطوع", "حسب نوع الخطاب"} <= set(charts)


def test_same_registers_same_bytes(project: Project, result: ReportResult) -> None:
    before = [p.read_bytes() for p in result.files]
    again = write_report(project, result.folder.parent.parent, parse_period("1448-06"), today=TODAY)
    assert [p.read_bytes() for p in again.files] == before
    assert again.view == result.view


def test_a_year_of_comments_is_printed_in_part_and_kept_whole_in_the_xlsx(project: Project, tmp_path: Path) -> None:
    from generator.registers import Row
    from generator.reports import compute_report
    from generator.reports.view import build_report_view
    from generator.reports.xlsx import report_xlsx
    from tests.report_fixtures import by_label, survey

    words = load_words(project)
    rows = [
        Row(
            i + 2,
            by_label(
                project,
                "satisfaction",
                survey(
                    f"SAT-1448-{i:05d}",
                    date(2026, 11, 20),
                    "حلقات التحفيظ",
                    "المقابلة",
                    [4] * 6,
                    comments=f"ملاحظة رقم {i}",
                ),
            ),
        )
        for i in range(65)
    ]
    report = compute_report(
        project, {"satisfaction": rows}, parse_period("1448-06"), today=TODAY, missing_date_ar=words.missing_date
    )
    view = build_report_view(project, report, words)
    html = str(report_partial(project, view, words))
    comments = html.split('<ul class="comments">')[1].split("</ul>")[0]
    assert comments.count("<li>") == 60 and "ملاحظة رقم 59<" in comments and "ملاحظة رقم 60<" not in comments
    assert "وفي ملف report.xlsx بقية الملاحظات، وعددها ٥." in html
    sheet = load_workbook(io.BytesIO(report_xlsx(view, words, "hijri", TODAY)))["الرضا"]
    texts = {c.value for c in sheet["A"]}
    assert {f"ملاحظة رقم {i}" for i in range(65)} <= texts
