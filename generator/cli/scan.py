"""`wathiqa scan FILE...`: file a scanned stack, say what was filed and list every page left for a clerk.

Exit 0 when every page was filed; 1 when pages wait in the queue (in this scan or from before), so a script
notices that a clerk has work on /scans; 2 on bad input (nothing filed).
"""

from __future__ import annotations

import argparse
from typing import TextIO

from ..config.project import Project
from ..content.text import count_ar, to_display_digits
from ..scan import REASONS, ScanResult

__all__ = ["scan_command", "scan_summary"]

from .messages import PAGES

DOCUMENTS = ("مستند", "مستندان", "مستندات", "مستندًا")


def scan_summary(project: Project, result: ScanResult) -> str:
    digits = project.policy.settings.digits

    def n(value: int) -> str:
        return to_display_digits(str(value), digits)

    read = count_ar(result.pages, PAGES, digits, feminine=True)
    lines = [f"قُرئت {read}، وحُفظ {count_ar(len(result.filed), DOCUMENTS, digits)}."]
    for filed in result.filed:
        pages = "، ".join(n(p) for p in filed.pages)
        lines.append(f"حُفظ: {filed.path} ({'الصفحتان' if len(filed.pages) == 2 else 'الصفحات'} {pages})"
                     if len(filed.pages) > 1 else f"حُفظ: {filed.path} (الصفحة {pages})")
    for page in result.queued:
        code = f" [{page.code}]" if page.code else ""
        where = f"{page.source} صفحة {n(page.page)}{code}"
        lines.append(f"بانتظار موظف: {where}: {REASONS[page.reason]} (رقم {n(page.id)})")
    if result.registers_waiting:
        lines.append(
            "السجل مفتوح في برنامج آخر (" + "، ".join(result.registers_waiting) + "): يُضاف تاريخ التوقيع عند إغلاقه."
        )
    if result.waiting:
        lines.append(
            f"في قائمة الانتظار {count_ar(result.waiting, PAGES, digits, feminine=True)}: "
            "أسندها إلى حالاتها أو استبعدها من صفحة المسح الضوئي في تطبيق المكتب (/scans)."
        )
    return "\n".join(lines)


def scan_command(project: Project, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import generator as api

    from .terminal import Progress

    with Progress(err) as progress:
        result = api.scan_stack(project, args.files, args.out, progress=progress)
    print(scan_summary(project, result), file=out)
    return 1 if result.waiting else 0
