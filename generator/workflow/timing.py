"""The reply standard: a request is answered no sooner than ``service_standard.reply_min_days`` after receipt.

The acknowledgment promises the applicant a reply «خلال مدة لا تقل عن أسبوعين». The seed policy states that
period without saying what happens when the office is ready earlier, so by default an earlier decision is allowed
only with an explicit reason, recorded in the request's row (``service_standard.early_decisions: reason``) and
counted in the office's figures; a policy that forbids it says ``early_decisions: refuse``. These functions are
pure: they read a register row's values and the policy, and say what the rule allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..config.project import Project
from ..content.text import add_days
from ..errors import CaseStateError

__all__ = [
    "EARLY_REASON",
    "MSG_EARLY_REASON",
    "MSG_EARLY_REFUSED",
    "ReplyTiming",
    "check_early_decision",
    "reply_timing",
]

EARLY_REASON = "early_reason"
"""The requests register's column that keeps why a request was decided before its earliest reply date."""

MSG_EARLY_REASON = (
    "لم يحن أقرب موعد للرد على هذا الطلب ({}): اكتب سبب اتخاذ القرار قبل المدة، أو انتظر حتى ذلك اليوم."
)
MSG_EARLY_REFUSED = "لم يحن أقرب موعد للرد على هذا الطلب ({})، والسياسة لا تجيز القرار قبل مضي المدة."


@dataclass(frozen=True)
class ReplyTiming:
    """Where one request stands against the reply standard on a given day."""

    received: date | None
    earliest: date | None
    """The earliest day a decision may be sent (the row's «أقرب موعد للرد», else receipt + the policy's days)."""
    waited: int | None
    """Days since receipt."""
    today: date

    @property
    def early(self) -> bool:
        """Deciding today would come before the earliest reply date."""
        return self.earliest is not None and self.today < self.earliest

    @property
    def overdue(self) -> bool:
        """The earliest reply date has come and the request still waits: it is due, first in the list."""
        return self.earliest is not None and self.today >= self.earliest

    @property
    def days_left(self) -> int:
        return (self.earliest - self.today).days if self.earliest is not None else 0


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def reply_timing(project: Project, register_id: str, values: Mapping[str, Any], today: date) -> ReplyTiming:
    """The timing of the request whose register row holds ``values`` (by column id)."""
    dated = project.date_column(register_id)
    received = _day(values.get(dated.id)) if dated is not None else None
    earliest = _day(values.get("earliest_reply"))
    if earliest is None and received is not None:
        earliest = add_days(received, project.policy.service_standard.reply_min_days)
    waited = (today - received).days if received is not None else None
    return ReplyTiming(received, earliest, waited, today)


def check_early_decision(project: Project, timing: ReplyTiming, reason: str, shown_earliest: str) -> str:
    """The reason to record for a decision taken on ``timing.today`` ('' when it is not early); a
    :class:`CaseStateError` when the policy refuses early decisions or no reason was given.
    ``shown_earliest`` is the earliest reply date as the clerk reads it, for the message."""
    if not timing.early:
        return ""
    if project.policy.service_standard.early_decisions == "refuse":
        raise CaseStateError(MSG_EARLY_REFUSED.format(shown_earliest))
    if not reason.strip():
        raise CaseStateError(MSG_EARLY_REASON.format(shown_earliest))
    return reason.strip()
