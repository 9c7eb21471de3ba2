"""Why a scanned page waits for a clerk instead of being filed: one id per case the scanner refuses to guess.

The ids are stored in the office database (the queue); the Arabic sentences are what the clerk reads, on the
command line and on the office app's /scans page alike.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["REASONS", "Reason"]

Reason = Literal[
    "unreadable",
    "foreign",
    "unknown_case",
    "unknown_form",
    "not_in_case",
    "blank_form",
    "page_unknown",
    "duplicate",
    "already_filed",
    "file_scanned",
    "incomplete",
]

REASONS: Final[dict[str, str]] = {
    "unreadable": "لم يُقرأ رمز الصفحة (صفحة فارغة، أو رمز غير واضح أو مقطوع)",
    "foreign": "رمز الصفحة ليس من رموز هذا المكتب",
    "unknown_case": "الرقم المرجعي في رمز الصفحة غير موجود في قاعدة بيانات المكتب",
    "unknown_form": "رمز النموذج في رمز الصفحة غير معروف في هذه السياسة",
    "not_in_case": "هذا المستند لم يصدر لهذه الحالة",
    "blank_form": "نموذج فارغ عُبّئ باليد: لا يحمل رقمًا مرجعيًا، فيُسند إلى حالته يدويًا",
    "page_unknown": "صفحة مطبوعة من ملف Word: رمزها لا يذكر رقم الصفحة",
    "duplicate": "الصفحة نفسها وردت مرتين في هذه الحزمة",
    "already_filed": "الصفحة محفوظة من قبل في ملف الحالة",
    "file_scanned": "هذا الملف مُسح من قبل",
    "incomplete": "صفحات المستند ناقصة في هذه الحزمة، فلم يُحفظ شيء منه",
}
"""What the clerk reads beside each waiting page."""
