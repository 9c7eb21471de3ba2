"""Registers for the report tests, written with the project's own register builder and engine.

Rows are given by column id with the values an archivist sees (Arabic labels, real dates, «نعم»); a value
can be anything a hand-edited cell can hold, so bad rows are written as they would be found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from generator.config.project import Project
from generator.registers import open_register
from generator.render.xlsx import build_register

D = date

# Period 1448-06 is 2026-11-11 .. 2026-12-09; 1448-05 is 2026-10-12 .. 2026-11-10.
REQUESTS: list[dict[str, Any]] = [
    # R1 on the first day of Jumada II: accepted, answered after 16 days
    dict(
        reference="REQ-1448-00001",
        received_on=D(2026, 11, 11),
        applicant_name="عبدالله القحطاني",
        channel="المقابلة",
        request_type="حلقة تحفيظ قرآن كريم",
        city="الرياض",
        age_group="الأطفال (٦–١٢ سنة)",
        decision="قبول",
        decision_date=D(2026, 11, 26),
        answered_on=D(2026, 11, 27),
    ),
    dict(
        reference="REQ-1448-00002",
        received_on=D(2026, 11, 15),
        applicant_name="نورة الدوسري",
        channel="الاتصالات الهاتفية",
        request_type="دار نسائية لتحفيظ القرآن الكريم",
        city="جدة",
        age_group="الكبار (فوق ١٨ سنة)",
        decision="اعتذار",
        decision_date=D(2026, 11, 29),
        answered_on=D(2026, 11, 30),
    ),
    dict(
        reference="REQ-1448-00003",
        received_on=D(2026, 11, 20),
        applicant_name="سعد العتيبي",
        channel="الاتصالات الهاتفية",
        request_type="حلقة تحفيظ قرآن كريم",
        city="الرياض",
        age_group="الناشئة (١٣–١٨ سنة)",
    ),
    # R4 on the last day of Jumada II, city left blank
    dict(
        reference="REQ-1448-00004",
        received_on=D(2026, 12, 9),
        applicant_name="خالد السبيعي",
        channel="الموقع الإلكتروني للجمعية",
        request_type="حلقة تحفيظ قرآن كريم",
        age_group="الأطفال (٦–١٢ سنة)",
    ),
    # R5: decided after the period ended, so still awaiting in this report
    dict(
        reference="REQ-1448-00005",
        received_on=D(2026, 12, 1),
        applicant_name="فاطمة الشهري",
        channel="المقابلة",
        request_type="حلقة تحفيظ قرآن كريم",
        city="الرياض",
        age_group="الأطفال (٦–١٢ سنة)",
        decision="قبول",
        decision_date=D(2026, 12, 15),
        answered_on=D(2026, 12, 16),
    ),
    # R6 on the last day of Jumada I: the previous period
    dict(
        reference="REQ-1448-00006",
        received_on=D(2026, 11, 10),
        applicant_name="محمد الزهراني",
        channel="وسائل التواصل الاجتماعي",
        request_type="حلقة تحفيظ قرآن كريم",
        city="الدمام",
        age_group="الكبار (فوق ١٨ سنة)",
    ),
    # R7 long before: still awaiting
    dict(
        reference="REQ-1448-00007",
        received_on=D(2026, 10, 1),
        applicant_name="أحمد الغامدي",
        channel="الخطابات",
        request_type="حلقة تحفيظ قرآن كريم",
        city="الرياض",
        age_group="جميع الأعمار",
    ),
    dict(
        reference="REQ-1448-00008",
        received_on=D(2026, 10, 20),
        applicant_name="سارة المطيري",
        channel="المقابلة",
        request_type="حلقة تحفيظ قرآن كريم",
        city="الرياض",
        age_group="الأطفال (٦–١٢ سنة)",
        decision="قبول",
        decision_date=D(2026, 11, 5),
        answered_on=D(2026, 11, 5),
    ),
    # bad rows: a channel no longer in the policy; text in the date column; no date; a bad row of last month
    dict(
        reference="REQ-1448-00009",
        received_on=D(2026, 11, 25),
        applicant_name="علي",
        channel="الفاكس",
        request_type="حلقة تحفيظ قرآن كريم",
    ),
    dict(reference="REQ-1448-00010", received_on="أمس", applicant_name="منى", channel="المقابلة"),
    dict(reference="REQ-1448-00011", applicant_name="هند", channel="المقابلة"),
    dict(reference="REQ-1448-00012", received_on=D(2026, 10, 25), applicant_name="ريم", channel="البريد"),
]

CONTACTS: list[dict[str, Any]] = [
    dict(
        reference="CON-1448-00001",
        contact_date=D(2026, 11, 12),
        direction="وارد من المستفيد",
        channel="الاتصالات الهاتفية",
        needs_follow_up="نعم",
        follow_up_date=D(2026, 12, 20),
        referred="لا",
    ),
    dict(
        reference="CON-1448-00002",
        contact_date=D(2026, 11, 13),
        direction="صادر من الجمعية",
        channel="الاتصالات الهاتفية",
        needs_follow_up="نعم",
        follow_up_date=D(2026, 12, 1),
        referred="نعم",
    ),
    dict(
        reference="CON-1448-00003",
        contact_date=D(2026, 12, 5),
        direction="وارد من المستفيد",
        channel="المقابلة",
        needs_follow_up="نعم",
    ),
    dict(
        reference="CON-1448-00004",
        contact_date=D(2026, 11, 30),
        direction="وارد من المستفيد",
        channel="الموقع الإلكتروني للجمعية",
        needs_follow_up="لا",
    ),
    dict(reference="CON-1448-00005", contact_date=D(2026, 11, 1), direction="وارد من المستفيد", channel="الخطابات"),
    dict(reference="CON-1448-00006", contact_date=D(2026, 11, 20), direction="هاتفي", channel="الاتصالات الهاتفية"),
]

REFERRALS: list[dict[str, Any]] = [
    dict(reference="REF-1448-00001", referred_on=D(2026, 11, 14), answered_on=D(2026, 11, 20)),
    dict(reference="REF-1448-00002", referred_on=D(2026, 12, 2)),
]

RATING_IDS = ("rate_reception", "rate_clarity", "rate_speed", "rate_reply_time", "rate_channels", "rate_overall")


def survey(
    reference: str, day: date, service: str, channel: str, ratings: Sequence[object], **more: Any
) -> dict[str, Any]:
    return dict(
        reference=reference,
        received_on=day,
        service=service,
        channel=channel,
        beneficiary_kind="ولي أمر",
        **dict(zip(RATING_IDS, ratings, strict=True)),
        **more,
    )


SATISFACTION: list[dict[str, Any]] = [
    survey(
        "SAT-1448-00001",
        D(2026, 11, 15),
        "حلقات التحفيظ",
        "الاتصالات الهاتفية",
        [5, 4, 4, 5, 3, 4],
        comments="نقترح إتاحة متابعة حالة الطلب عبر الموقع",
        respondent_name="محمد علي الزهراني",
    ),
    survey("SAT-1448-00002", D(2026, 11, 20), "حلقات التحفيظ", "المقابلة", [4, 4, 3, 5, 2, 4]),
    survey(
        "SAT-1448-00003",
        D(2026, 12, 1),
        "الدور النسائية",
        "الاتصالات الهاتفية",
        [2, 3, 3, 4, 3, 3],
        comments="الانتظار طويل",
        respondent_name="هيا",
    ),
    survey("SAT-1448-00004", D(2026, 11, 5), "حلقات التحفيظ", "الاتصالات الهاتفية", [5, 5, 5, 5, 5, 5]),
    survey("SAT-1448-00005", D(2026, 11, 25), "حلقات التحفيظ", "المقابلة", [5, 5, 7, 5, 5, 5]),
]

VOLUNTEERS: list[dict[str, Any]] = [
    dict(
        reference="VOL-1448-00001",
        received_on=D(2026, 11, 20),
        skills="تعليم القرآن الكريم وتجويده، تنظيم الفعاليات والمسابقات",
        availability="مساء أيام الأسبوع",
    ),
    dict(
        reference="VOL-1448-00002",
        received_on=D(2026, 12, 3),
        skills="تعليم القرآن الكريم وتجويده",
        availability="نهاية الأسبوع، مساء أيام الأسبوع",
    ),
]

OUTGOING: list[dict[str, Any]] = [
    dict(reference="OUT-1448-00001", sent_on=D(2026, 11, 27), document="خطاب قبول"),
    dict(reference="OUT-1448-00002", sent_on=D(2026, 11, 30), document="خطاب اعتذار"),
    dict(reference="OUT-1448-00003", sent_on=D(2026, 12, 5), document="خطاب قبول"),
    dict(reference="OUT-1448-00004", sent_on=D(2026, 11, 5), document="خطاب قبول"),
]

ROWS: dict[str, list[dict[str, Any]]] = {
    "requests": REQUESTS,
    "contacts": CONTACTS,
    "referrals": REFERRALS,
    "satisfaction": SATISFACTION,
    "volunteers": VOLUNTEERS,
    "outgoing": OUTGOING,
}


def by_label(project: Project, register_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    labels = {c.id: c.label for c in project.register_columns(register_id)}
    return {labels[k]: v for k, v in values.items()}


def write_registers(
    project: Project, out_dir: Path, rows: Mapping[str, Sequence[Mapping[str, Any]]] = ROWS
) -> dict[str, Path]:
    """Every register of the project under ``out_dir/registers``, holding ``rows`` (by column id)."""
    paths: dict[str, Path] = {}
    folder = out_dir / "registers"
    folder.mkdir(parents=True, exist_ok=True)
    for register_id, register in project.registers.items():
        path = folder / f"{register_id}.xlsx"
        path.write_bytes(build_register(project, register_id))
        if rows.get(register_id):
            with open_register(path, sheet=register.sheet) as tx:
                for values in rows[register_id]:
                    tx.append(by_label(project, register_id, values))
        paths[register_id] = path
    return paths
