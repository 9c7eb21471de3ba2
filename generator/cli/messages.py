"""What the terminal says after decide and sync, in proper Arabic (numbers agree with their nouns)."""

from __future__ import annotations

from ..config.project import Project
from ..content.text import count_ar, to_display_digits
from ..workflow.decide import DecideResult
from ..workflow.printing import RegisterPrint
from ..workflow.recover import RecoverResult
from ..workflow.sync import SyncResult, Waiting

__all__ = ["decide_summary", "print_summary", "sync_summary"]

LETTERS = ("خطاب", "خطابان", "خطابات", "خطابًا")
REQUESTS = ("طلب", "طلبان", "طلبات", "طلبًا")
ROWS = ("صف", "صفان", "صفوف", "صفًا")
CHANGES = ("تغيير", "تغييران", "تغييرات", "تغييرًا")
PAGES = ("صفحة", "صفحتان", "صفحات", "صفحةً")
KEPT = {"accounts": "الحسابات", "drafts": "المسودات", "audit": "قيود سجل العمليات"}
NOTHING_NEW = "لا توجد قرارات جديدة تحتاج إلى خطابات"


def decide_summary(project: Project, result: DecideResult) -> str:
    digits = project.policy.settings.digits
    lines: list[str] = []
    if not result.letters and not result.marked and not result.in_progress:
        lines.append(NOTHING_NEW)
    if result.letters:
        lines.append(f"كُتب {count_ar(len(result.letters), LETTERS, digits)} للرد على الطلبات المقرَّرة.")
        for folder in result.folders:
            lines.append(f"المجلد: {folder}")
        lines.append("الخطوة التالية: اطبع الملف print.pdf من المجلد، ووقّع الخطابات واختمها، ثم أرسلها إلى أصحابها.")
    if result.marked:
        lines.append(
            f"عُلّم {count_ar(len(result.marked), REQUESTS, digits)} بأنه تم الرد عليه بخطاب صدر من قبل "
            "(توقف تشغيل سابق قبل تعليمه)؛ لم يُكتب له خطاب جديد."
        )
    if result.in_progress:
        lines.append(f"{count_ar(len(result.in_progress), REQUESTS, digits)} صدر له الخطاب وينتظر التسجيل في السجل.")
    lines += _waiting_lines(project, result.waiting)
    return "\n".join(lines)


def print_summary(project: Project, result: RegisterPrint) -> str:
    """Where the printed register is, and what it holds."""
    digits = project.policy.settings.digits
    pages = "صفحة واحدة" if result.pages == 1 else count_ar(result.pages, PAGES, digits)  # a feminine noun
    if result.rows:
        lines = [f"طُبع من «{result.title}» {count_ar(result.rows, ROWS, digits)} في {pages}."]
    else:
        lines = [f"لا يطابق هذا الاختيار أي صف في «{result.title}»؛ طُبعت صفحة تذكر ذلك."]
    lines.append(f"الملف: {result.path}")
    if result.pending:
        lines.append(f"منها {count_ar(result.pending, ROWS, digits)} بانتظار الكتابة في السجل، معلَّمة بـ «*».")
    return "\n".join(lines)


def sync_summary(project: Project, result: SyncResult, recovered: RecoverResult | None) -> str:
    digits = project.policy.settings.digits
    lines: list[str] = []
    if recovered is not None:
        lines.append(
            f"أُعيد إلى قائمة الانتظار {count_ar(len(recovered.cases_queued), ROWS, digits)} لحالات ليست في سجلاتها، "
            f"و{count_ar(len(recovered.letters_queued), LETTERS, digits)} غير مسجلة في سجل الصادر."
        )
        if recovered.kept:
            parts = [f"{KEPT[table]}: {to_display_digits(str(n), digits)}" for table, n in recovered.kept.items()]
            lines.append("نُقل من قاعدة البيانات التالفة (office.db.damaged) — " + "، ".join(parts) + ".")
    if result.applied:
        lines.append(f"أُضيف إلى السجلات {count_ar(len(result.applied), CHANGES, digits)} كانت تنتظر.")
    if not result.waiting:
        lines.append("لا يوجد ما ينتظر الإضافة إلى السجلات.")
    lines += _waiting_lines(project, result.waiting)
    return "\n".join(lines)


def _waiting_lines(project: Project, waiting: list[Waiting]) -> list[str]:
    if not waiting:
        return []
    digits = project.policy.settings.digits
    lines = [f"ما زال في الانتظار {count_ar(len(waiting), CHANGES, digits)}:"]  # the number agrees whatever it is
    for item in waiting:
        register = project.registers.get(item.register_id)
        title = register.title if register else item.register_id
        lines.append(f"  {title} — {item.key}: {item.reason}")
    lines.append("أغلق السجل في Excel أو LibreOffice، ثم شغّل: wathiqa register sync")
    return lines
