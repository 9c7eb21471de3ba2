"""The office's figures: one pure computation from register rows, for the PDF, the XLSX and the web page.

Input is what the registers hold, read as records (``registers.rows.check_row``): option ids, dates,
numbers. Nothing here reads a file. A row that cannot be counted (no date, text in a date column, a label no
longer in the policy, a rating outside the scale) is kept aside with its reasons, never silently dropped; a
blank cell in a counted column is counted as «not stated» so that every table adds up to its total.

Rows of a period are those whose date (receipt, contact, sending) falls in it. Decisions and replies are
taken "as of" the end of the period (or today, for a period not yet over), so a past period's report does
not change when later decisions are written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from ..config.project import Project, RegisterColumn
from ..content.records import is_empty
from ..content.text import add_days
from ..registers import CellValue, Row
from ..registers.rows import check_row
from .figures import (
    ContactFigures,
    EarlyDecision,
    Figures,
    OutgoingFigures,
    RatingStats,
    Report,
    RequestFigures,
    SatisfactionFigures,
    Uncounted,
    VolunteerFigures,
    Waiting,
)
from .periods import Period

__all__ = [
    "AGE_BANDS",
    "REGISTERS",
    "UNSTATED",
    "ContactFigures",
    "Entry",
    "Figures",
    "OutgoingFigures",
    "PendingRow",
    "RatingStats",
    "Report",
    "RequestFigures",
    "SatisfactionFigures",
    "Uncounted",
    "VolunteerFigures",
    "Waiting",
    "compute_report",
    "wanted_labels",
]

UNSTATED = ""
"""The key under which blank cells of a counted column are counted."""

AGE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 14), (15, 30), (31, 60), (61, None))
"""Days an awaiting request has waited: 0-14, 15-30, 31-60, over 60."""

OLDEST_SHOWN = 10
EARLY_SHOWN = 30
"""Early decisions listed by name with their reasons; all of them are counted, the rest are in the register."""
"""How many of the longest-waiting requests are listed by name."""


@dataclass(frozen=True)
class _Use:
    """What the report reads from one register: the date that places a row in a period, and the columns."""

    date_columns: tuple[str, ...]
    columns: tuple[str, ...]


REGISTERS: dict[str, _Use] = {
    "requests": _Use(
        ("received_on",),
        (
            "reference",
            "channel",
            "request_type",
            "city",
            "age_group",
            "decision",
            "decision_date",
            "answered_on",
            "applicant_name",
            "earliest_reply",
            "early_reason",
        ),
    ),
    "contacts": _Use(
        ("contact_date", "received_on"),
        ("reference", "channel", "direction", "needs_follow_up", "follow_up_date", "referred"),
    ),
    "referrals": _Use(("referred_on",), ("reference", "answered_on")),
    "satisfaction": _Use(("received_on",), ("reference", "service", "channel", "comments")),
    "volunteers": _Use(("received_on",), ("reference", "skills", "availability")),
    "outgoing": _Use(("sent_on",), ("reference", "document")),
}
"""The registers the report reads, by id; the satisfaction register's rating columns are read too."""


# --------------------------------------------------------------------------------------------- input
@dataclass(frozen=True)
class PendingRow:
    """A register row waiting in the office database's journal (the register was open in Excel).

    The office database hands these over as ``(register_id, values by column label)``; they are counted like
    written rows, and marked. A waiting *update* (a decision or a reply recorded while the register was open)
    names the row it changes by its reference in ``target``, and ``values`` holds only the cells it sets.
    """

    register_id: str
    values: Mapping[str, CellValue]
    target: str | None = None
    """The reference of the row a waiting update changes; None for a waiting new row."""
    row: int | None = None
    """The sheet row a waiting update was laid over (set by :func:`with_updates`)."""


@dataclass(frozen=True)
class Entry:
    """One counted row: its record (column id -> value), its date, and where it came from."""

    register_id: str
    row: int | None
    """Row number in the sheet; None for a pending row."""
    day: date
    record: dict[str, Any]
    pending: bool = False


# --------------------------------------------------------------------------------------------- reading rows
def wanted_labels(project: Project, register_id: str) -> list[str]:
    """The header labels of the columns the report reads from ``register_id`` (the rest is never decoded)."""
    use = REGISTERS[register_id]
    wanted = {*use.columns, *use.date_columns}
    columns = project.register_columns(register_id)
    if register_id == "satisfaction":
        wanted |= {c.id for c in columns if c.type == "rating"}
    return [c.label for c in columns if c.id in wanted]


class _ReadingProject(Project):
    """The project with each register's columns worked out once: ``check_row`` asks for them on every row,
    and expanding ``fields_of`` each time cost a third of reading a 50,000-row register."""

    _columns: dict[str, list[RegisterColumn]]

    def register_columns(self, register_id: str) -> list[RegisterColumn]:
        columns = self._columns.get(register_id)
        if columns is None:
            columns = self._columns[register_id] = super().register_columns(register_id)
        return columns


def _reading(project: Project) -> Project:
    if isinstance(project, _ReadingProject):
        return project
    copy = _ReadingProject(**{f.name: getattr(project, f.name) for f in fields(project)})
    object.__setattr__(copy, "_columns", {})  # a frozen dataclass: set once, here
    return copy


def _reference(values: Mapping[str, CellValue], columns: Sequence[RegisterColumn]) -> str:
    for column in columns:
        if column.type == "reference":
            value = values.get(column.label)
            return "" if is_empty(value) else str(value)
    return ""


def with_updates(
    register_id: str,
    rows: Iterable[Row | PendingRow],
    updates: Sequence[PendingRow],
    columns: Sequence[RegisterColumn],
) -> list[Row | PendingRow]:
    """``rows`` with the waiting updates laid over the rows they target, oldest first; a changed row is pending."""
    changes: dict[str, dict[str, CellValue]] = {}
    for update in updates:
        if update.target is not None:
            changes.setdefault(update.target, {}).update(update.values)
    if not changes:
        return list(rows)
    result: list[Row | PendingRow] = []
    for row in rows:
        change = changes.get(_reference(row.values, columns))
        if change is None:
            result.append(row)
            continue
        number = row.row if isinstance(row, PendingRow) else row.number
        result.append(PendingRow(register_id, {**row.values, **change}, row=number))
    return result


def entries(
    project: Project,
    register_id: str,
    rows: Iterable[Row | PendingRow],
    *,
    missing_date_ar: str,
) -> tuple[list[Entry], list[Uncounted]]:
    """The rows of one register as records; rows with a value that cannot be read are set aside.

    Only the columns the report uses are read, so a mistake in a column it ignores does not keep a row out.
    """
    use = REGISTERS[register_id]
    columns = project.register_columns(register_id)
    by_id = {c.id: c for c in columns}
    labels = wanted_labels(project, register_id)
    date_ids = [c for c in use.date_columns if c in by_id]
    good: list[Entry] = []
    bad: list[Uncounted] = []
    for row in rows:
        pending = isinstance(row, PendingRow)
        number = row.row if isinstance(row, PendingRow) else row.number
        values = {label: row.values.get(label) for label in labels}
        record, issues = check_row(project, register_id, values)
        day = next((record[c] for c in date_ids if isinstance(record.get(c), date)), None)
        reasons = [f"{i.label}: {i.message}" for i in issues]
        if day is None and not any(i.field_id in date_ids for i in issues):
            reasons.append(f"{by_id[date_ids[0]].label}: {missing_date_ar}" if date_ids else missing_date_ar)
        if reasons:
            reference = _reference(row.values, columns)
            bad.append(Uncounted(register_id, number, reference, tuple(reasons), day, pending))
            continue
        assert day is not None
        good.append(Entry(register_id, number, day, record, pending))
    return good, bad


# --------------------------------------------------------------------------------------------- the figures
def _count(values: Iterable[Any], options: Sequence[str] = ()) -> dict[str, int]:
    """Counts per value; every option listed first (zero rows shown), blank cells under :data:`UNSTATED`."""
    counter: Counter[str] = Counter()
    for value in values:
        if is_empty(value):
            counter[UNSTATED] += 1
        elif isinstance(value, list | tuple):
            counter.update(str(v) for v in value)
        else:
            counter[str(value)] += 1
    out = {option: counter.pop(option, 0) for option in options}
    for key, number in sorted(counter.items(), key=lambda kv: (kv[0] == UNSTATED, -kv[1], kv[0])):
        out[key] = number
    return out


def _options(project: Project, register_id: str, column_id: str) -> list[str]:
    for column in project.register_columns(register_id):
        if column.id == column_id and column.list:
            return list(project.policy.lists[column.list].labels())
    return []


def _as_of(day: date | None, as_of: date) -> bool:
    return day is not None and day <= as_of


def _requests(project: Project, rows: list[Entry], period: Period, as_of: date) -> RequestFigures:
    mine = [e for e in rows if e.day in period]

    def opts(column: str) -> list[str]:
        return _options(project, "requests", column)

    decided = [e for e in mine if _decided(e, as_of)]
    reply_days = sorted(
        (e.record["answered_on"] - e.day).days for e in mine if _as_of(e.record.get("answered_on"), as_of)
    )
    backlog = [e for e in rows if e.day <= as_of and not _decided(e, as_of)]
    waits = sorted(
        (
            Waiting(
                str(e.record.get("reference", "")),
                str(e.record.get("applicant_name", "")),
                e.day,
                (as_of - e.day).days,
                e.pending,
            )
            for e in backlog
        ),
        key=lambda w: (-w.days, w.reference),
    )
    bands = tuple(
        sum(1 for w in waits if low <= w.days and (high is None or w.days <= high)) for low, high in AGE_BANDS
    )
    early = _early_decisions(project, mine, as_of)
    return RequestFigures(
        received=len(mine),
        by_channel=_count((e.record.get("channel") for e in mine), opts("channel")),
        by_type=_count((e.record.get("request_type") for e in mine), opts("request_type")),
        by_city=_count(e.record.get("city") for e in mine),
        by_age_group=_count((e.record.get("age_group") for e in mine), opts("age_group")),
        accepted=sum(1 for e in decided if e.record["decision"] == "accepted"),
        rejected=sum(1 for e in decided if e.record["decision"] != "accepted"),
        awaiting=len(mine) - len(decided),
        reply_days=tuple(reply_days),
        awaiting_by_age=bands,
        oldest=tuple(waits[:OLDEST_SHOWN]),
        early=early[-EARLY_SHOWN:],
        early_count=len(early),
    )


def _early_decisions(project: Project, mine: list[Entry], as_of: date) -> tuple[EarlyDecision, ...]:
    """The period's requests decided before their earliest reply date (the row's, else receipt plus the
    policy's days), each with the reason recorded — or none, for a decision typed into the register by hand."""
    days = project.policy.service_standard.reply_min_days
    early: list[EarlyDecision] = []
    for e in mine:
        decided = e.record.get("decision_date") or e.record.get("answered_on")
        if not _decided(e, as_of) or not isinstance(decided, date):
            continue
        earliest = e.record.get("earliest_reply")
        earliest = earliest if isinstance(earliest, date) else add_days(e.day, days)
        if decided < earliest:
            reference, name = str(e.record.get("reference", "")), str(e.record.get("applicant_name", ""))
            reason = str(e.record.get("early_reason") or "")
            early.append(EarlyDecision(reference, name, decided, earliest, reason, e.pending))
    return tuple(sorted(early, key=lambda x: (x.decided_on, x.reference)))


def _decided(entry: Entry, as_of: date) -> bool:
    """A decision counts once written and dated no later than ``as_of`` (an undated decision counts)."""
    if is_empty(entry.record.get("decision")):
        return False
    when = entry.record.get("decision_date")
    return when is None or when <= as_of


def _contacts(
    project: Project, rows: list[Entry], referrals: list[Entry], period: Period, as_of: date
) -> ContactFigures:
    mine = [e for e in rows if e.day in period]
    channels = _options(project, "contacts", "channel")
    directions = _options(project, "contacts", "direction")
    by_channel: dict[str, dict[str, int]] = {}
    for channel, number in _count((e.record.get("channel") for e in mine), channels).items():
        of_channel = [e for e in mine if (e.record.get("channel") or UNSTATED) == channel]
        by_channel[channel] = _count((e.record.get("direction") for e in of_channel), directions)
        assert sum(by_channel[channel].values()) == number
    follow = [e for e in mine if e.record.get("needs_follow_up") is True]
    dated = [e.record["follow_up_date"] for e in follow if isinstance(e.record.get("follow_up_date"), date)]
    mine_referrals = [e for e in referrals if e.day in period]
    return ContactFigures(
        total=len(mine),
        by_channel=by_channel,
        by_direction=_count((e.record.get("direction") for e in mine), directions),
        follow_ups=len(follow),
        follow_ups_due=sum(1 for d in dated if d >= as_of),
        follow_ups_overdue=sum(1 for d in dated if d < as_of),
        follow_ups_undated=len(follow) - len(dated),
        referred=sum(1 for e in mine if e.record.get("referred") is True),
        referrals=len(mine_referrals),
        referrals_answered=sum(1 for e in mine_referrals if _as_of(e.record.get("answered_on"), as_of)),
    )


def _stats(ratings: Sequence[int], scale: int, respondents: int = 0) -> RatingStats:
    distribution = tuple(sum(1 for r in ratings if r == score) for score in range(1, scale + 1))
    mean = sum(ratings) / len(ratings) if ratings else None
    satisfied = sum(1 for r in ratings if r >= scale - 1)
    return RatingStats(len(ratings), mean, distribution, satisfied, respondents)


def _satisfaction(
    project: Project, rows: list[Entry], period: Period, items: Sequence[RegisterColumn], scale: int
) -> SatisfactionFigures:
    mine = [e for e in rows if e.day in period]
    ids = [c.id for c in items]

    def ratings_of(group: Sequence[Entry]) -> list[int]:
        return [e.record[i] for e in group for i in ids if isinstance(e.record.get(i), int)]

    def grouped(column: str) -> dict[str, RatingStats]:
        keys = _count((e.record.get(column) for e in mine), _options(project, "satisfaction", column))
        out = {}
        for key in keys:
            group = [e for e in mine if (e.record.get(column) or UNSTATED) == key]
            out[key] = _stats(ratings_of(group), scale, len(group))
        return out

    return SatisfactionFigures(
        respondents=len(mine),
        items={i: _stats([e.record[i] for e in mine if isinstance(e.record.get(i), int)], scale) for i in ids},
        by_service=grouped("service"),
        by_channel=grouped("channel"),
        overall=_stats(ratings_of(mine), scale, len(mine)),
        comments=tuple(str(e.record["comments"]).strip() for e in mine if not is_empty(e.record.get("comments"))),
    )


def _figures(
    project: Project,
    rows: Mapping[str, list[Entry]],
    period: Period,
    today: date,
    items: Sequence[RegisterColumn],
    scale: int,
) -> Figures:
    as_of = min(period.end, today)
    volunteers = [e for e in rows["volunteers"] if e.day in period]
    outgoing = [e for e in rows["outgoing"] if e.day in period]
    return Figures(
        period=period,
        as_of=as_of,
        requests=_requests(project, rows["requests"], period, as_of),
        contacts=_contacts(project, rows["contacts"], rows["referrals"], period, as_of),
        satisfaction=_satisfaction(project, rows["satisfaction"], period, items, scale),
        volunteers=VolunteerFigures(
            total=len(volunteers),
            by_skill=_count((e.record.get("skills") for e in volunteers), _options(project, "volunteers", "skills")),
            by_availability=_count(
                (e.record.get("availability") for e in volunteers), _options(project, "volunteers", "availability")
            ),
        ),
        outgoing=OutgoingFigures(len(outgoing), _count(e.record.get("document") for e in outgoing)),
        pending=dict(Counter(e.register_id for group in rows.values() for e in group if e.day in period and e.pending)),
    )


def compute_report(
    project: Project,
    registers: Mapping[str, Sequence[Row]],
    period: Period,
    *,
    today: date,
    missing_date_ar: str,
    pending: Sequence[PendingRow] = (),
) -> Report:
    """The figures of ``period`` and of the period before it, from the rows of every register in :data:`REGISTERS`.

    ``registers`` maps a register id to its rows (as ``read_register`` gives them). ``pending`` are rows and
    updates the office database holds for registers that were open in Excel; they are counted and marked.
    ``missing_date_ar`` is the reason given for a row without a date (wording comes from YAML).
    """
    project = _reading(project)
    previous = period.previous()
    counted: dict[str, list[Entry]] = {}
    uncounted: list[Uncounted] = []
    read: dict[str, int] = {}
    for register_id in REGISTERS:
        waiting = [p for p in pending if p.register_id == register_id and p.target is None]
        updates = [p for p in pending if p.register_id == register_id and p.target is not None]
        columns = project.register_columns(register_id)
        rows = with_updates(register_id, [*registers.get(register_id, ()), *waiting], updates, columns)
        read[register_id] = len(rows)
        good, bad = entries(project, register_id, rows, missing_date_ar=missing_date_ar)
        counted[register_id] = good
        uncounted += [item for item in bad if item.day is None or item.day in period]
    items = tuple(c for c in project.declared_columns("satisfaction") if c.type == "rating")
    scale = len(project.policy.lists[items[0].list].items) if items and items[0].list else 5
    return Report(
        current=_figures(project, counted, period, today, items, scale),
        previous=_figures(project, counted, previous, today, items, scale),
        uncounted=tuple(uncounted),
        rating_columns=items,
        today=today,
        scale=scale,
        read=read,
    )
