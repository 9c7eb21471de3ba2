"""The report as titled sections of tables: what the PDF, the XLSX and the office app's page all show.

One place decides which figures appear, in which order, under which Arabic title, with the previous period
beside them; the renderers only lay the tables out (HTML bars, Excel charts). Values stay numbers here;
each renderer formats them (Arabic-Indic digits in print, number formats in Excel).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from string import Formatter
from typing import Literal

from ..config.project import Project
from ..content.text import Calendar, DigitStyle, format_gregorian, format_hijri, hijri_month_name, to_display_digits
from ..content.wording import Isolated, Mixed
from .compute import AGE_BANDS, UNSTATED, RatingStats, Report
from .figures import EarlyDecision
from .periods import Period
from .wording import ReportWording

__all__ = ["Line", "ReportView", "Section", "Table", "Value", "ValueKind", "build_report_view", "period_title"]

PRINTED_COMMENTS = 60
"""Free comments listed in the printed report; a year of an active office has thousands, and report.xlsx
lists every one of them."""

ValueKind = Literal["count", "mean", "share", "days", "text", "date"]
Value = int | float | str | date | None


@dataclass(frozen=True)
class Line:
    label: str
    values: tuple[Value, ...]
    marked: bool = False
    """A line to tell apart: «not stated», or a row still waiting in the journal."""
    kind: ValueKind | None = None
    """The kind of every value of this line, when it differs from the table's column kinds."""


@dataclass(frozen=True)
class Table:
    id: str
    """ASCII id, e.g. ``requests_by_channel``: anchors in HTML, names in Excel."""
    title: str
    headers: tuple[str, ...]
    """Headers of the value columns (the label column is headed by ``label_header``)."""
    kinds: tuple[ValueKind, ...]
    lines: tuple[Line, ...]
    label_header: str = ""
    chart: int | None = None
    """The value column drawn as bars (None: no chart)."""
    chart_previous: int | None = None
    """The column of the previous period, drawn as a thin bar under each bar."""
    chart_top: float | None = None
    """The value of a full bar (the top of the rating scale, 1 for shares); None: the largest value."""
    note: str = ""

    def top(self) -> float:
        if self.chart_top is not None:
            return self.chart_top
        columns = [c for c in (self.chart, self.chart_previous) if c is not None]
        numbers = [v for line in self.lines for c in columns if isinstance(v := line.values[c], int | float)]
        return float(max(numbers, default=0)) or 1.0


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    tables: tuple[Table, ...]
    texts: tuple[str, ...] = ()
    """Paragraphs listed after the tables (the survey's free comments)."""
    note: str = ""
    printed: int | None = None
    """How many of ``texts`` the printed report lists (all of them are in report.xlsx); None: all."""
    more: str = ""
    """Said after the printed texts when some are left to report.xlsx."""
    texts_title: str = ""


@dataclass(frozen=True)
class ReportView:
    title: str
    subtitle: str
    period: Period
    period_title: str
    period_dates: Mixed
    previous_title: str
    as_of: Mixed
    generated: Mixed
    notices: tuple[str, ...]
    sections: tuple[Section, ...]
    digits: DigitStyle
    made_on: date
    made_on_text: str


def _fmt_date(day: date, calendar: Calendar, digits: DigitStyle) -> str:
    return format_hijri(day, digits) if calendar == "hijri" else format_gregorian(day, digits)


def fill(template: str, **values: str) -> Mixed:
    """``template`` with its ``{name}`` placeholders filled, each value isolated (dates, codes keep their order)."""
    parts: list[str | Isolated] = []
    for literal, name, _spec, _conv in Formatter().parse(template):
        if literal:
            parts.append(literal)
        if name is not None:
            parts.append(Isolated(values[name]))
    return Mixed(tuple(parts))


def plain(text: Mixed | str) -> str:
    """Text without isolation marks (a spreadsheet cell)."""
    return text if isinstance(text, str) else "".join(str(part) for part in text)


def period_title(period: Period, words: ReportWording, digits: DigitStyle) -> str:
    """«جمادى الآخرة ١٤٤٨هـ», «نوفمبر ٢٠٢٦م», «الربع ٢ من عام ١٤٤٨هـ», or «من … إلى …»."""
    suffix = "هـ" if period.calendar == "hijri" else "م"
    year = to_display_digits(str(period.year), digits) + suffix
    if period.kind == "month":
        month = (
            hijri_month_name(period.number) if period.calendar == "hijri" else words.gregorian_months[period.number - 1]
        )
        return words.month_year.format(month=month, year=year)
    if period.kind == "quarter":
        return words.quarter.format(number=to_display_digits(str(period.number), digits), year=year)
    if period.kind == "year":
        return words.year.format(year=year)
    return plain(_dates(period, words, digits))


def _dates(period: Period, words: ReportWording, digits: DigitStyle) -> Mixed:
    return fill(
        words.from_to,
        start=_fmt_date(period.start, period.calendar, digits),
        end=_fmt_date(period.end, period.calendar, digits),
    )


def build_report_view(project: Project, report: Report, words: ReportWording) -> ReportView:
    """Every section of the report, in order, with its tables and Arabic titles."""
    policy = project.policy
    digits = policy.settings.digits
    calendar = policy.settings.calendar
    cur, prev = report.current, report.previous
    period = cur.period
    notices: list[str] = []
    if cur.empty:
        notices.append(words.empty)
    pending = sum(cur.pending.values())
    if pending:
        notices.append(words.pending.format(count=to_display_digits(str(pending), digits)))
    builder = _Builder(project, report, words)
    return ReportView(
        title=words.title,
        subtitle=words.subtitle,
        period=period,
        period_title=period_title(period, words, digits),
        period_dates=_dates(period, words, digits),
        previous_title=period_title(prev.period, words, digits),
        as_of=fill(words.as_of, date=_fmt_date(cur.as_of, calendar, digits)),
        generated=fill(words.generated, date=_fmt_date(report.today, calendar, digits)),
        notices=tuple(notices),
        sections=(
            builder.requests(),
            builder.contacts(),
            builder.satisfaction(),
            builder.volunteers(),
            builder.uncounted(),
        ),
        digits=digits,
        made_on=report.today,
        made_on_text=_fmt_date(report.today, calendar, digits),
    )


class _Builder:
    def __init__(self, project: Project, report: Report, words: ReportWording) -> None:
        self.project = project
        self.report = report
        self.words = words
        self.pair = (words.current, words.previous)
        self.calendar = project.policy.settings.calendar
        self.digits = project.policy.settings.digits

    def _label(self, register_id: str, column_id: str, key: str) -> str:
        if key == UNSTATED:
            return self.words.unstated
        for column in self.project.register_columns(register_id):
            if column.id == column_id and column.list:
                return self.project.policy.lists[column.list].labels().get(key, key)
        return key

    def _counts(
        self,
        table_id: str,
        title: str,
        register_id: str,
        column_id: str,
        current: dict[str, int],
        previous: dict[str, int],
        *,
        chart: bool = True,
    ) -> Table:
        keys = list(current) + [k for k in previous if k not in current]
        lines = tuple(
            Line(self._label(register_id, column_id, k), (current.get(k, 0), previous.get(k, 0)), k == UNSTATED)
            for k in keys
        )
        return Table(
            table_id,
            title,
            self.pair,
            ("count", "count"),
            lines,
            self.words.figure,
            chart=0 if chart else None,
            chart_previous=1 if chart else None,
        )

    def _figures(
        self, table_id: str, title: str, lines: list[tuple[str, Value, Value]], kind: ValueKind = "count"
    ) -> Table:
        return Table(
            table_id, title, self.pair, (kind, kind), tuple(Line(a, (b, c)) for a, b, c in lines), self.words.figure
        )

    # ------------------------------------------------------------------------------------------ sections
    def requests(self) -> Section:
        w = self.words.requests
        c, p = self.report.current.requests, self.report.previous.requests
        days = self.project.policy.service_standard.reply_min_days
        shown_days = to_display_digits(str(days), self.digits)
        bands = [Line(label, (c.awaiting_by_age[i], p.awaiting_by_age[i])) for i, label in enumerate(w.age_bands)]
        assert len(bands) == len(AGE_BANDS)
        oldest = tuple(
            Line(f"{x.reference}{' *' if x.pending else ''}", (x.name, x.received_on, x.days), x.pending)
            for x in c.oldest
        )
        return Section(
            "requests",
            w.title,
            (
                self._figures("requests_received", w.received, [(w.received, c.received, p.received)]),
                self._counts("requests_by_channel", w.by_channel, "requests", "channel", c.by_channel, p.by_channel),
                self._counts("requests_by_type", w.by_type, "requests", "request_type", c.by_type, p.by_type),
                self._counts("requests_by_city", w.by_city, "requests", "city", c.by_city, p.by_city, chart=False),
                self._counts(
                    "requests_by_age_group", w.by_age_group, "requests", "age_group", c.by_age_group, p.by_age_group
                ),
                self._figures(
                    "requests_decisions",
                    w.decisions,
                    [
                        (w.accepted, c.accepted, p.accepted),
                        (w.rejected, c.rejected, p.rejected),
                        (w.awaiting, c.awaiting, p.awaiting),
                    ],
                ),
                Table(
                    "requests_reply",
                    w.reply,
                    self.pair,
                    ("days", "days"),
                    (
                        Line(w.replied, (c.replied, p.replied)),
                        Line(w.median, (c.reply_median, p.reply_median)),
                        Line(w.minimum, (c.reply_min, p.reply_min)),
                        Line(w.maximum, (c.reply_max, p.reply_max)),
                        Line(
                            w.before_standard.format(days=shown_days), (c.replies_before(days), p.replies_before(days))
                        ),
                        Line(
                            w.after_standard.format(days=shown_days),
                            (c.replied - c.replies_before(days), p.replied - p.replies_before(days)),
                        ),
                        Line(w.early_decisions, (c.early_count, p.early_count), kind="count"),
                    ),
                    self.words.figure,
                ),
                self._early_decisions(c.early, c.early_count),
                Table(
                    "requests_backlog",
                    w.backlog,
                    self.pair,
                    ("count", "count"),
                    tuple(bands),
                    self.words.figure,
                    chart=0,
                    chart_previous=1,
                ),
                Table(
                    "requests_oldest",
                    w.oldest,
                    (w.name, w.received_on, w.days_waiting),
                    ("text", "date", "count"),
                    oldest,
                    w.reference,
                    note="" if oldest else w.none_waiting,
                ),
            ),
        )

    def _digits(self, n: int) -> str:
        return to_display_digits(str(n), self.digits)

    def _early_decisions(self, early: tuple[EarlyDecision, ...], count: int) -> Table:
        """Every decision taken before the earliest reply date, with its reason: the honest side of the count."""
        w = self.words.requests
        lines = tuple(
            Line(
                f"{x.reference}{' *' if x.pending else ''}",
                (x.name, x.decided_on, x.earliest, x.reason or w.no_reason),
                x.pending,
            )
            for x in early
        )
        return Table(
            "requests_early",
            w.early_list,
            (w.name, w.decided_on, w.earliest_reply, w.early_reason),
            ("text", "date", "date", "text"),
            lines,
            w.reference,
            note=w.more_early.format(shown=self._digits(len(lines)), count=self._digits(count)) if count > len(lines)
            else "" if lines else w.none_early,
        )

    def contacts(self) -> Section:
        w = self.words.contacts
        c, p = self.report.current.contacts, self.report.previous.contacts
        directions = [k for k in c.by_direction if k != UNSTATED]
        has_unstated = UNSTATED in c.by_direction and c.by_direction[UNSTATED] > 0
        keys = directions + ([UNSTATED] if has_unstated else [])
        headers = tuple(self._label("contacts", "direction", k) for k in keys)
        lines = []
        for channel, by_direction in c.by_channel.items():
            total = sum(by_direction.values())
            before = sum(p.by_channel.get(channel, {}).values())
            values: tuple[Value, ...] = (*(by_direction.get(k, 0) for k in keys), total, before)
            lines.append(Line(self._label("contacts", "channel", channel), values, channel == UNSTATED))
        width = len(keys)
        by_channel = Table(
            "contacts_by_channel",
            w.by_channel,
            (*headers, self.words.total, self.words.previous),
            _counts_kind(width + 2),
            tuple(lines),
            self.words.figure,
            chart=width,
            chart_previous=width + 1,
        )
        return Section(
            "contacts",
            w.title,
            (
                self._figures("contacts_total", w.total, [(w.total, c.total, p.total)]),
                by_channel,
                self._figures(
                    "contacts_follow_ups",
                    w.follow_ups,
                    [
                        (w.follow_ups_total, c.follow_ups, p.follow_ups),
                        (w.due, c.follow_ups_due, p.follow_ups_due),
                        (w.overdue, c.follow_ups_overdue, p.follow_ups_overdue),
                        (w.undated, c.follow_ups_undated, p.follow_ups_undated),
                        (w.referred, c.referred, p.referred),
                        (w.referrals, c.referrals, p.referrals),
                        (w.referrals_answered, c.referrals_answered, p.referrals_answered),
                    ],
                ),
            ),
        )

    def _rating_table(
        self,
        table_id: str,
        title: str,
        first: str,
        lines: list[tuple[str, RatingStats, RatingStats, bool]],
        note: str = "",
    ) -> Table:
        w = self.words.satisfaction
        previous = self.words.previous
        headers = (first, w.mean, w.share, f"{w.mean} ({previous})", f"{w.share} ({previous})")
        rows = tuple(
            Line(label, (cs.respondents or cs.count, cs.mean, cs.satisfied_share, ps.mean, ps.satisfied_share), marked)
            for label, cs, ps, marked in lines
        )
        return Table(
            table_id,
            title,
            headers,
            ("count", "mean", "share", "mean", "share"),
            rows,
            self.words.figure,
            chart=1,
            chart_previous=3,
            chart_top=float(self.report.scale),
            note=note,
        )

    def _grouped(
        self, column: str, current: dict[str, RatingStats], previous: dict[str, RatingStats]
    ) -> list[tuple[str, RatingStats, RatingStats, bool]]:
        empty = RatingStats(0, None, (0,) * self.report.scale, 0, 0)
        keys = list(current) + [k for k in previous if k not in current]
        return [
            (self._label("satisfaction", column, k), current.get(k, empty), previous.get(k, empty), k == UNSTATED)
            for k in keys
        ]

    def satisfaction(self) -> Section:
        w = self.words.satisfaction
        c, p = self.report.current.satisfaction, self.report.previous.satisfaction
        scale = self.report.scale

        def shown(n: int) -> str:
            return to_display_digits(str(n), self.digits)

        overall = Table(
            "satisfaction_overall",
            w.overall,
            self.pair,
            ("count", "count"),
            (
                Line(w.respondents, (c.respondents, p.respondents)),
                Line(w.mean, (c.overall.mean, p.overall.mean), kind="mean"),
                Line(w.share, (c.overall.satisfied_share, p.overall.satisfied_share), kind="share"),
            ),
            self.words.figure,
            note=w.overall_note,
        )
        columns = self.report.rating_columns
        items = [(col.label, c.items[col.id], p.items[col.id], False) for col in columns]
        share_note = w.share_note.format(top=shown(scale - 1), scale=shown(scale))
        distribution = Table(
            "satisfaction_distribution",
            w.distribution,
            tuple(shown(n) for n in range(1, scale + 1)),
            _counts_kind(scale),
            tuple(Line(col.label, tuple(c.items[col.id].distribution)) for col in columns),
            self.words.figure,
        )
        comments = c.comments
        return Section(
            "satisfaction",
            w.title,
            (
                overall,
                self._rating_table(
                    "satisfaction_items", w.items.format(scale=shown(scale)), self.words.count, items, share_note
                ),
                distribution,
                self._rating_table(
                    "satisfaction_by_service",
                    w.by_service,
                    w.respondents,
                    self._grouped("service", c.by_service, p.by_service),
                ),
                self._rating_table(
                    "satisfaction_by_channel",
                    w.by_channel,
                    w.respondents,
                    self._grouped("channel", c.by_channel, p.by_channel),
                ),
            ),
            texts=comments,
            texts_title=w.comments,
            note=w.comments_note if comments else w.no_comments,
            printed=min(len(comments), PRINTED_COMMENTS),
            more=w.more_comments.format(count=shown(len(comments) - PRINTED_COMMENTS))
            if len(comments) > PRINTED_COMMENTS
            else "",
        )

    def volunteers(self) -> Section:
        wv, wo = self.words.volunteers, self.words.outgoing
        cv, pv = self.report.current.volunteers, self.report.previous.volunteers
        co, po = self.report.current.outgoing, self.report.previous.outgoing
        return Section(
            "volunteers",
            f"{wv.title} · {wo.title}",
            (
                self._figures(
                    "volunteers_total", wv.total, [(wv.total, cv.total, pv.total), (wo.total, co.total, po.total)]
                ),
                self._counts("volunteers_by_skill", wv.by_skill, "volunteers", "skills", cv.by_skill, pv.by_skill),
                self._counts(
                    "volunteers_by_availability",
                    wv.by_availability,
                    "volunteers",
                    "availability",
                    cv.by_availability,
                    pv.by_availability,
                ),
                self._counts("outgoing_by_kind", wo.by_kind, "outgoing", "document", co.by_kind, po.by_kind),
            ),
        )

    def uncounted(self) -> Section:
        w = self.words.uncounted
        titles = {rid: reg.title for rid, reg in self.project.registers.items()}
        lines = tuple(
            Line(
                titles.get(u.register_id, u.register_id),
                (u.row if u.row is not None else w.pending_row, u.reference, "؛ ".join(u.reasons)),
                u.pending,
            )
            for u in self.report.uncounted
        )
        table = Table(
            "uncounted",
            w.title,
            (w.row, w.reference, w.reason),
            ("count", "text", "text"),
            lines,
            w.register_title,
            note=w.note if lines else w.none,
        )
        return Section("uncounted", w.title, (table,))


def _counts_kind(n: int) -> tuple[ValueKind, ...]:
    kind: ValueKind = "count"
    return (kind,) * n
