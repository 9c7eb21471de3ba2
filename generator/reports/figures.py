"""The figures of the report, as the computation hands them to the renderers: plain frozen values.

Counts are keyed by option id (the policy's order, every option present) or by the text of a free column;
blank cells are counted under ``compute.UNSTATED``. See :mod:`.compute` for how each figure is made.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date

from ..config.project import RegisterColumn
from .periods import Period

__all__ = [
    "ContactFigures",
    "Figures",
    "OutgoingFigures",
    "RatingStats",
    "Report",
    "RequestFigures",
    "SatisfactionFigures",
    "Uncounted",
    "VolunteerFigures",
    "Waiting",
]


@dataclass(frozen=True)
class Uncounted:
    """A row that could not be counted, and why (Arabic, one reason per cell)."""

    register_id: str
    row: int | None
    reference: str
    reasons: tuple[str, ...]
    day: date | None
    """The row's date when it is readable: the row belongs to that date's report, else to every report."""
    pending: bool = False


@dataclass(frozen=True)
class Waiting:
    """An awaiting request: who and for how long."""

    reference: str
    name: str
    received_on: date
    days: int
    pending: bool


@dataclass(frozen=True)
class EarlyDecision:
    """A request decided before its earliest reply date, and the reason recorded for it ('' when none was)."""

    reference: str
    name: str
    decided_on: date
    earliest: date
    reason: str
    pending: bool


@dataclass(frozen=True)
class RatingStats:
    """Answers on the rating scale: how many, their mean, how many of each score, the share satisfied."""

    count: int
    mean: float | None
    distribution: tuple[int, ...]
    """Answers per score, 1 first."""
    satisfied: int
    """Answers in the top two scores (4 or 5 on a 1-5 scale)."""
    respondents: int = 0

    @property
    def satisfied_share(self) -> float | None:
        return None if not self.count else self.satisfied / self.count


@dataclass(frozen=True)
class RequestFigures:
    received: int
    by_channel: dict[str, int]
    by_type: dict[str, int]
    by_city: dict[str, int]
    by_age_group: dict[str, int]
    accepted: int
    rejected: int
    awaiting: int
    reply_days: tuple[int, ...]
    """Days from receipt to reply of the period's answered requests, sorted."""
    awaiting_by_age: tuple[int, ...]
    """The whole backlog at the end of the period (whenever received), per :data:`AGE_BANDS`."""
    oldest: tuple[Waiting, ...]
    early: tuple[EarlyDecision, ...] = ()
    """The period's requests decided before their earliest reply date, with the reasons recorded: the latest
    :data:`EARLY_SHOWN` of them (``early_count`` counts them all)."""
    early_count: int = 0

    @property
    def replied(self) -> int:
        return len(self.reply_days)

    @property
    def reply_median(self) -> float | None:
        return statistics.median(self.reply_days) if self.reply_days else None

    @property
    def reply_min(self) -> int | None:
        return self.reply_days[0] if self.reply_days else None

    @property
    def reply_max(self) -> int | None:
        return self.reply_days[-1] if self.reply_days else None

    def replies_before(self, days: int) -> int:
        return sum(1 for d in self.reply_days if d < days)


@dataclass(frozen=True)
class ContactFigures:
    total: int
    by_channel: dict[str, dict[str, int]]
    """channel -> direction -> count."""
    by_direction: dict[str, int]
    follow_ups: int
    follow_ups_due: int
    follow_ups_overdue: int
    follow_ups_undated: int
    referred: int
    referrals: int
    """Rows of the referrals register dated in the period."""
    referrals_answered: int


@dataclass(frozen=True)
class SatisfactionFigures:
    respondents: int
    items: dict[str, RatingStats]
    """Rating column id -> stats."""
    by_service: dict[str, RatingStats]
    by_channel: dict[str, RatingStats]
    overall: RatingStats
    comments: tuple[str, ...]


@dataclass(frozen=True)
class VolunteerFigures:
    total: int
    by_skill: dict[str, int]
    by_availability: dict[str, int]


@dataclass(frozen=True)
class OutgoingFigures:
    total: int
    by_kind: dict[str, int]


@dataclass(frozen=True)
class Figures:
    """Every figure of one period."""

    period: Period
    as_of: date
    requests: RequestFigures
    contacts: ContactFigures
    satisfaction: SatisfactionFigures
    volunteers: VolunteerFigures
    outgoing: OutgoingFigures
    pending: dict[str, int]
    """Rows counted from the journal, by register id."""

    @property
    def empty(self) -> bool:
        return not (
            self.requests.received
            or self.contacts.total
            or self.contacts.referrals
            or self.satisfaction.respondents
            or self.volunteers.total
            or self.outgoing.total
        )


@dataclass(frozen=True)
class Report:
    """The figures of a period with the previous period beside them, and the rows that could not be counted."""

    current: Figures
    previous: Figures
    uncounted: tuple[Uncounted, ...]
    rating_columns: tuple[RegisterColumn, ...]
    today: date
    scale: int = 5
    read: dict[str, int] = field(default_factory=dict)
    """Rows read per register (written and pending)."""
