"""The wording of the report, the policy booklet and the evidence index: ``reports.yml`` beside policy.yml.

Declared here once, like the policy's labels: an unknown or missing key is an error naming file, line and
column. ``{placeholders}`` in the texts are filled with :meth:`str.format` by the renderers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..config.model import Text
from ..config.project import Project, _validate
from ..config.yamlio import load_yaml
from ..errors import Problem, ProjectError

__all__ = [
    "WORDING_FILE",
    "BookletWording",
    "EvidenceWording",
    "RegisterPrintWording",
    "ReportWording",
    "Wording",
    "load_wording",
]

WORDING_FILE = "reports.yml"
"""The file name, in the folder of policy.yml."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RequestWords(_Strict):
    title: Text
    received: Text
    by_channel: Text
    by_type: Text
    by_city: Text
    by_age_group: Text
    decisions: Text
    accepted: Text
    rejected: Text
    awaiting: Text
    reply: Text
    replied: Text
    median: Text
    minimum: Text
    maximum: Text
    before_standard: Text = Field(description="{days}: the policy's reply period")
    after_standard: Text
    backlog: Text
    age_bands: list[Text] = Field(min_length=4, max_length=4, description="0-14, 15-30, 31-60, over 60 days")
    oldest: Text
    reference: Text
    name: Text
    received_on: Text
    days_waiting: Text
    none_waiting: Text
    early_decisions: Text = Field(description="The count of decisions taken before the earliest reply date")
    early_list: Text = Field(description="Title of the list of early decisions and their reasons")
    decided_on: Text
    earliest_reply: Text
    early_reason: Text
    no_reason: Text = Field(description="An early decision with no reason recorded (typed into the register)")
    none_early: Text
    more_early: Text = Field(description="Under a list cut short: {shown} of the {count} early decisions are listed")


class ContactWords(_Strict):
    title: Text
    total: Text
    by_channel: Text
    by_channel_chart: Text
    follow_ups: Text
    follow_ups_total: Text
    due: Text
    overdue: Text
    undated: Text
    referred: Text
    referrals: Text
    referrals_answered: Text


class SatisfactionWords(_Strict):
    title: Text
    respondents: Text
    items: Text = Field(description="{scale}: the top of the rating scale")
    item_chart: Text
    mean: Text
    share: Text
    share_note: Text = Field(description="{top}, {scale}: the two scores counted as satisfied")
    distribution: Text
    by_service: Text
    by_channel: Text
    overall: Text
    overall_note: Text
    comments: Text
    comments_note: Text
    no_comments: Text
    more_comments: Text = Field(description="{count}: comments not printed, listed in report.xlsx")


class VolunteerWords(_Strict):
    title: Text
    total: Text
    by_skill: Text
    by_availability: Text


class OutgoingWords(_Strict):
    title: Text
    total: Text
    by_kind: Text


class UncountedWords(_Strict):
    title: Text
    note: Text
    register_title: Text
    row: Text
    reference: Text
    reason: Text
    pending_row: Text
    none: Text


class SheetNames(_Strict):
    """Worksheet names of report.xlsx (at most 31 characters, none of []:*?/\\)."""

    summary: Text
    requests: Text
    contacts: Text
    satisfaction: Text
    volunteers: Text
    uncounted: Text


class ReportWording(_Strict):
    """report.pdf, report.xlsx and the office app's figures page."""

    title: Text
    subtitle: Text
    period: Text
    previous_period: Text
    from_to: Text = Field(description="{start}, {end}: the first and last day")
    as_of: Text = Field(description="{date}: the day the figures are taken at")
    current: Text
    previous: Text
    figure: Text
    total: Text
    count: Text
    unstated: Text = Field(description="Shown for blank cells of a counted column")
    month_year: Text = Field(description="{month}, {year}")
    quarter: Text = Field(description="{number}, {year}")
    year: Text = Field(description="{year}")
    gregorian_months: list[Text] = Field(min_length=12, max_length=12)
    empty: Text
    pending: Text = Field(description="{count}: rows counted from the office database's journal")
    generated: Text = Field(description="{date}: the day the report was made")
    missing_date: Text
    missing_register: Text = Field(description="{title}, {path}")
    requests: RequestWords
    contacts: ContactWords
    satisfaction: SatisfactionWords
    volunteers: VolunteerWords
    outgoing: OutgoingWords
    uncounted: UncountedWords
    sheets: SheetNames


class BookletWording(_Strict):
    """The policy booklet printed by ``wathiqa build`` (blank/policy.pdf)."""

    title: Text
    code: Text
    version: Text
    issued: date
    preamble: Text
    general_goal: Text
    detailed_goals: Text
    service_means: Text
    channels: Text
    tools: Text
    procedure: Text
    service_standard: Text
    approval: Text
    approval_text: Text
    decision_number: Text
    decision_date: Text
    meeting: Text
    signers: list[Text] = Field(min_length=1, max_length=6, description="Board roles that sign the approval")
    name: Text
    signature: Text


class EvidenceWording(_Strict):
    """index.txt of the evidence zip."""

    title: Text
    intro: Text = Field(description="{period}, {date}")
    file: Text
    evidences: Text
    booklet: Text
    report_pdf: Text
    report_xlsx: Text
    register_copy: Text = Field(description="{title}: the register's Arabic title")


class RegisterPrintWording(_Strict):
    """A register printed as a PDF (``wathiqa register print``)."""

    all_rows: Text = Field(description="The selection when no status and no dates are given")
    status: Text = Field(description="{status}: the status label")
    between: Text = Field(description="{column}, {start}, {end}: the date column's label and the first/last day")
    since: Text = Field(description="{column}, {start}")
    until: Text = Field(description="{column}, {end}")
    count: Text = Field(description="{count}: the number of rows printed")
    number: Text = Field(description="Header of the column numbering the printed rows")
    pending: Text = Field(description="Note under the table: rows marked «*» wait in the office database")
    printed: Text = Field(description="{date}: the day the register was printed")
    empty: Text = Field(description="Printed instead of the table when no row is selected")


class Wording(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, title="wathiqa reports wording")

    report: ReportWording
    booklet: BookletWording
    evidence: EvidenceWording
    register_print: RegisterPrintWording


def wording_path(project: Project) -> Path:
    return project.policy_path.parent / WORDING_FILE


def load_wording(project: Project) -> Wording:
    """Read and check ``reports.yml``; :class:`ProjectError` naming each problem."""
    path = wording_path(project)
    if not path.is_file():
        problem = Problem(str(path), None, None, "", "the wording of reports and of the policy booklet is missing")
        raise ProjectError("the project is not valid:", [problem])
    loaded = load_yaml(path)
    problems: list[Problem] = []
    wording = _validate(loaded, Wording, problems)
    if wording is None:
        raise ProjectError(f"{path.name} is not valid:", problems)
    assert isinstance(wording, Wording)
    return wording
