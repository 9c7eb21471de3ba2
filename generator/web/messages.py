"""Every sentence the office app's views say to a clerk, in one place (pages hold the rest in their templates).

Like the validation messages of :mod:`generator.content.validate`, these are the app's own words, not the
association's wording (which lives in the policy's YAML).
"""

from __future__ import annotations

from typing import Final

OFFICE_USER: Final = "المكتب"
"""Who acts on the loopback computer with no accounts."""

ISSUED: Final = "صدرت الحالة {} وسُجّلت في السجل."
ISSUED_PENDING: Final = "صدرت الحالة {} ومستنداتها، وصفّها في السجل معلّق: {} سيُكتب في السجل حين يُغلق الملف."
ALREADY_ISSUED: Final = "أُرسل هذا النموذج من قبل وصدرت منه الحالة {}؛ لم تُصدر حالة ثانية."
ENTER_ISSUES_NOTHING: Final = "لم يُصدر شيء: زر الإدخال لا يُصدر الحالة. أكمل الحقول ثم اضغط «إصدار»."
ENTER_CORRECTS_NOTHING: Final = (
    "لم يُصحَّح شيء: زر الإدخال لا يُصدر النسخة المصححة. أكمل التصحيح ثم اضغط «إصدار نسخة مصححة»."
)
CORRECTION_KEPT: Final = (
    "انتهت الجلسة قبل الإرسال، فحُفظ تصحيحك في مسودة ولم يُصحَّح شيء: راجعه ثم اضغط «إصدار نسخة مصححة»."
)
DECISION_KEPT: Final = (
    "انتهت الجلسة قبل الإرسال، فلم يُسجَّل القرار، وبقي ما اخترته وكتبته: "
    "راجعه ثم اضغط «تسجيل القرار وكتابة الخطاب» من جديد."
)
FORM_KEPT: Final = "انتهت الجلسة قبل الإرسال، فحُفظ ما كتبته في مسودة ولم يُصدر شيء: راجعه ثم اضغط «إصدار»."
OFFICE_BUSY: Final = (
    "المكتب مشغول الآن بإصدار حالات أخرى، ولم يُصدر شيء من هذه الصفحة. "
    "ما كتبته باقٍ هنا: انتظر لحظة ثم اضغط الزر مرة أخرى."
)
ISSUE_INTERRUPTED: Final = (
    "توقّف إصدار هذه الحالة قبل كتابة مستنداتها (كانت ستأخذ الرقم {})، فلم يُصدر شيء ولم يُسجَّل في السجل، "
    "ولن يُعطى هذا الرقم لحالة أخرى. ما كتبته باقٍ هنا: اضغط «إصدار» مرة أخرى."
)
ISSUE_INTERRUPTED_UNKNOWN: Final = (
    "توقّف إصدار هذه الحالة ولم يتبيّن بعدُ هل صدرت. لا تُصدرها مرة أخرى الآن: ابحث عنها في صفحة الحالات بعد دقيقة، "
    "وأبلغ مسؤول النظام إن لم تجدها."
)
ISSUE_WORKERS_DYING: Final = (
    "تعذّر الإصدار: عمليات الإصدار تتوقف مرة بعد مرة، ولم يُصدر شيء. أبلغ مسؤول النظام؛ سُجّل الخطأ في سجل التطبيق."
)
DRAFT_SAVED: Final = "حُفظت المسودة؛ يمكنك متابعتها من صفحة المسودات."
DRAFT_DELETED: Final = "حُذفت المسودة."

SYNCED: Final = "سُجّل {applied} من التغييرات المعلقة، ولا شيء ينتظر."
SYNCED_WAITING: Final = "سُجّل {applied} من التغييرات المعلقة، وما زال {waiting} ينتظر: {reasons}"

CHOOSE_DECISION: Final = "اختر القرار: قبول أو اعتذار."
DECISION_PENDING: Final = "سُجّل القرار وينتظر السجل: {}"
NOTHING_RECORDED: Final = "لم يُسجَّل شيء: {}"

UPLOAD_TYPE: Final = "نوع الملف غير مدعوم: ارفع جدولًا بصيغة \u200e.xlsx\u200e أو \u200e.csv\u200e."
UPLOAD_EMPTY: Final = "الملف المرفوع فارغ."
UPLOAD_NOT_XLSX: Final = (
    "الملف لا يبدو ملف Excel صالحًا (\u200e.xlsx\u200e)؛ احفظه من Excel بصيغة «مصنف Excel» ثم ارفعه."
)
UPLOAD_NOT_UTF8: Final = "ملف CSV ليس بترميز UTF-8؛ احفظه من Excel بصيغة «CSV UTF-8» ثم ارفعه."
UPLOAD_NO_DOCUMENT: Final = "اختر النموذج الذي تُكتب منه المستندات."
UPLOAD_NO_FILE: Final = "اختر ملف الجدول."
UPLOAD_UNREADABLE: Final = "تعذّرت قراءة الجدول: {}"
MERGE_FAULT: Final = "حدث خطأ غير متوقع أثناء الدمج، ولم يُحفظ شيء ناقص. سُجّل الخطأ في سجل التطبيق."

LOGIN_WAIT: Final = "محاولات دخول خاطئة متكررة: انتظر {} ثانية ثم حاول مرة أخرى."
LOGIN_WRONG: Final = "اسم المستخدم أو كلمة المرور غير صحيحة."
PASSWORDS_DIFFER: Final = "كلمتا المرور غير متطابقتين، ولم يُضف الحساب."
ACCOUNT_NOT_ADDED: Final = "لم يُضف الحساب: {}"
ACCOUNT_ADDED: Final = "أُضيف الحساب {}."
ACCOUNT_REMOVED: Final = "حُذف الحساب {}."
ACCOUNT_SELF: Final = "لا يمكنك حذف حسابك وأنت داخل به."
ACCOUNT_PROBLEMS: Final = {
    "name": "اسم الحساب من ١ إلى ٤٠ حرفًا أو رقمًا، أو «.» أو «_» أو «-»",
    "role": "اختر الصلاحية",
    "password": "كلمة المرور ٨ أحرف على الأقل",
    "exists": "يوجد حساب بهذا الاسم",
    "unknown": "لا يوجد حساب بهذا الاسم",
    "old_password": "كلمة المرور الحالية غير صحيحة",
    "first_taken": "أُنشئ حساب قبل قليل من جهاز آخر؛ ادخل به",
}
FIRST_ADMIN_ADDED: Final = "أُنشئ حساب مسؤول النظام {} ودخلت به؛ من الآن يلزم الدخول في هذا التطبيق."
REMOVE_NOT_CONFIRMED: Final = "لم يُحذف الحساب: أكّد الحذف بوضع علامة في المربع."
PASSWORD_CHANGED: Final = "غُيّرت كلمة المرور، وخرجت كل الجلسات الأخرى لهذا الحساب."
PASSWORD_NOT_CHANGED: Final = "لم تُغيَّر كلمة المرور: {}"
PASSWORD_RESET: Final = "عُيّنت كلمة مرور جديدة للحساب {}، وخرجت كل جلساته."
PASSWORDS_DIFFER_SHORT: Final = "كلمتا المرور الجديدتان غير متطابقتين"

JOINED: Final = "؛ "

REPORT_FAILED: Final = "تعذّر حساب الأرقام: {}"

CORRECTED: Final = "صُحّحت بيانات الحالة {} وأُعيد إصدار مستنداتها «نسخة مصححة»؛ حُفظت النسخة السابقة (الإصدار {})."
CORRECTED_PENDING: Final = (
    "صُحّحت بيانات الحالة {} وأُعيد إصدار مستنداتها؛ حُفظت النسخة السابقة (الإصدار {})، وتعديل صفّها في السجل معلّق: {}"
)
CORRECTED_BEFORE: Final = "أُرسل نموذج التصحيح هذا من قبل، فلم يُصدر مرة أخرى: هذه الحالة {} بعد تصحيحها (الإصدار {})."
VOIDED: Final = "أُلغيت الحالة وسُجّلت «ملغى» في السجل؛ لا يُعاد استعمال رقمها."
VOIDED_PENDING: Final = "أُلغيت الحالة، وتسجيل الإلغاء في السجل معلّق: {}"
STATUS_SET: Final = "سُجّلت حالة الطلب في السجل."
STATUS_SET_PENDING: Final = "سُجّلت حالة الطلب وتنتظر السجل: {}"

EARLY_AUDIT: Final = "قبل أقرب موعد للرد: {}"
LETTERS_MARKED: Final = "عُلّم {} من الطلبات بأنه تم الرد عليها بخطاب صدر من قبل."
LETTERS_IN_PROGRESS: Final = "{} من الردود مسجلة وتنتظر السجل."
NO_NEW_LETTER: Final = "لم يُكتب خطاب جديد."
DAYS: Final = ("يوم", "يومان", "أيام", "يومًا")
"""A number of days, in the agreement of Arabic grammar (content.text.count_ar)."""
STORY: Final = {
    "received": "استُلم الطلب",
    "issued": "صدرت الحالة ومستنداتها",
    "acknowledged": "صدر إشعار الاستلام",
    "waiting": "بانتظار القرار حتى أقرب موعد للرد",
    "due": "حان موعد الرد ولم يصدر القرار بعد",
    "status": "تغيّرت حالة الطلب",
    "decided": "صدر القرار",
    "letter": "صدر خطاب الرد",
    "correct": "صُحّحت بيانات الحالة وأُعيد إصدار مستنداتها",
    "void": "أُلغيت الحالة",
    "related": "حالة أخرى بالهوية أو الجوال نفسه:",
    "pending": "تغييرات تنتظر السجل حتى يُغلق ملفه",
}
"""The steps of a case's story, as its page lists them (generator.workflow.story)."""
STORY_WAITED: Final = "مضى على الاستلام {}"
STORY_KEPT: Final = "حُفظت النسخة السابقة في {}"

HISTORY_CORRECTED: Final = "تصحيح البيانات: النسخة {} (حُفظت السابقة في v{})"
HISTORY_VOIDED: Final = "إلغاء الحالة"
HISTORY_STATUS: Final = "حالة الطلب: {}"

SCAN_NO_FILE: Final = "اختر ملف المسح الضوئي (PDF من الماسح، أو صور JPEG أو PNG أو TIFF)."
SCAN_FILED: Final = "حُفظت الصفحة في ملف الحالة: {}"
SCAN_DISCARDED: Final = "استُبعدت الصفحة."
SCAN_GONE: Final = "هذه الصفحة لم تعد في قائمة الانتظار."
ATTACHED: Final = "أُرفق الملف بالحالة."
ATTACH_FAILED: Final = "لم يُرفق الملف: {}"
SCAN_PAGE_NUMBER: Final = "اكتب رقم الصفحة في المستند (١ فأكثر)."
