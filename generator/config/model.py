"""Typed, validated models of policies/policy.yml and forms/*.yml.

Every option is declared here once, with its type, default and meaning; the same classes give the JSON Schema
that `wathiqa schema` prints for editors. Unknown keys are errors: a typo in a policy is a silently wrong
document otherwise. Cross-references between files (a choice field naming a policy list, a register naming a
document) are checked in project.py, which sees every file.
"""

from __future__ import annotations

import builtins
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, field_validator, model_validator

from ..content.text import DEFAULT_TIME_ZONE, MAX_DATE, MIN_DATE, check_time_zone

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
"""An ASCII identifier: lower-case letters, digits and underscores, starting with a letter."""

DocId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=40)]
"""A document or register id; also its output file name, so ASCII with hyphens."""

Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]

FieldType = Literal[
    "text",
    "long_text",
    "date",
    "national_id",
    "mobile",
    "email",
    "url",
    "number",
    "time",
    "choice",
    "multi_choice",
    "yes_no",
    "rating",
    "signature",
    "thumbprint",
]
"""What a field holds; it decides the validation of case data, the printed box and the register column."""

LIST_TYPES = frozenset({"choice", "multi_choice", "rating"})
PAPER_ONLY_TYPES = frozenset({"signature", "thumbprint"})
"""Field types that exist only on paper: they have no value in case data and no register column."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------- policy.yml


class Association(_Strict):
    """Who the association is: printed on every letterhead."""

    name: Text = Field(description="Full official name, as on the licence")
    name_en: str | None = Field(None, description="English name, for the DOCX/PDF metadata")
    licence_number: Text = Field(description="Licence number (رقم الترخيص); quote it so it stays text")
    licence_authority: Text = Field(description="Authority that issued the licence")
    city: Text
    address: Text
    phone: Text = Field(description="Switchboard number, as text")
    email: Text
    website: Text
    logo: Text = Field(description="Logo file (SVG or PNG), relative to policy.yml")


class GenderRule(_Strict):
    """Which field of a record chooses the gendered wording (المكرم/المكرمة), and which of its options mean what."""

    field: Ident = Field("gender", description="Id of the choice field holding the gender, in every document")
    masculine: Ident = Field("male", description="Option id of the masculine forms")
    feminine: Ident = Field("female", description="Option id of the feminine forms")


class Settings(_Strict):
    """Calendar, digits and print options that apply to every document."""

    calendar: Literal["hijri", "gregorian"] = Field(
        "hijri", description="Primary calendar of printed dates; the other one is shown beside it"
    )
    digits: Literal["arabic", "latin"] = Field(
        "arabic", description="Digits of printed dates and numbers: Arabic-Indic (٠١٢) or Latin (012)"
    )
    basmala: StrictBool = Field(True, description="Open letters with «بسم الله الرحمن الرحيم»")
    body_font: Literal["IBM Plex Sans Arabic", "Amiri"] = Field(
        "IBM Plex Sans Arabic", description="Font of body text (both ship with wathiqa)"
    )
    heading_font: Literal["IBM Plex Sans Arabic", "Amiri"] = Field(
        "IBM Plex Sans Arabic", description="Font of titles and headings"
    )
    archival_pdf: Literal["pdf/a-3b", "pdf/a-2b", "pdf/a-1b"] | None = Field(
        None, description="Write issued (filled) PDFs in this PDF/A variant for long-term archiving"
    )
    register_backups: int = Field(10, ge=1, le=1000, description="How many previous versions of a register to keep")
    gender: GenderRule = Field(GenderRule(), description="The field and options that choose gendered wording")
    time_zone: str = Field(
        DEFAULT_TIME_ZONE,
        description="The office's time zone (a name of the IANA database): which day «today» is for references, "
        "letters and registers, and the clock of every time shown, whatever zone the computer is set to",
        examples=["Asia/Riyadh", "Asia/Dubai", "Africa/Cairo"],
    )

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, name: str) -> str:
        return check_time_zone(name)


class ListItem(_Strict):
    id: Ident = Field(description="Stable id stored in data files and registers")
    label: Text = Field(description="Arabic label printed on forms and shown in register dropdowns")
    label_female: str | None = Field(None, description="Feminine form of the label, where it differs")
    former_labels: list[Text] = Field(
        default_factory=list, description="Labels this option had before it was reworded: old register rows still read"
    )


class PolicyList(_Strict):
    """A list of options: channels, request types, statuses ..."""

    title: Text
    items: list[ListItem] = Field(min_length=1)

    @field_validator("items")
    @classmethod
    def _unique_ids(cls, items: list[ListItem]) -> list[ListItem]:
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ValueError(f"item id {item.id!r} appears twice")
            seen.add(item.id)
        return items

    def labels(self) -> dict[str, str]:
        return {item.id: item.label for item in self.items}

    def former_labels(self) -> dict[str, str]:
        """Former label -> option id, for reading rows written before an option was reworded."""
        return {former: item.id for item in self.items for former in item.former_labels}


class Goals(_Strict):
    general: Text = Field(description="The general goal (الهدف العام)")
    detailed: list[Text] = Field(min_length=1, description="The detailed goals (الأهداف التفصيلية)")
    service_means: list[Text] = Field(
        default_factory=list, description="How trust is raised in serving the beneficiary (the goal's sub-points)"
    )


class Step(_Strict):
    id: Ident
    text: Text


class ServiceStandard(_Strict):
    reply_min_days: int = Field(ge=1, le=365, description="A decision is answered no sooner than this many days")
    statement: Text = Field(description="The standard as the policy words it")
    early_decisions: Literal["reason", "refuse"] = Field(
        "reason",
        description="A decision before the reply period is over: allowed with a recorded reason (reason), or "
        "refused (refuse) when the policy forbids an earlier reply",
    )


class Signatory(_Strict):
    title: Text = Field(description="Job title printed above the signature line")
    name: Text = Field(description="Name of the person holding the role")


class NumberingScheme(_Strict):
    """How references of one kind are made: PREFIX-YEAR-SEQUENCE, e.g. REQ-1448-00012."""

    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}$")]
    year: Literal["hijri", "gregorian", "none"] = Field(
        "hijri", description="Year part; the sequence restarts each year"
    )
    width: int = Field(5, ge=3, le=8, description="Zero-padded width of the sequence")

    def prefix_for(self, hijri_year: int, gregorian_year: int) -> str:
        if self.year == "none":
            return f"{self.prefix}-"
        year = hijri_year if self.year == "hijri" else gregorian_year
        return f"{self.prefix}-{year}-"

    def format(self, prefix: str, sequence: int) -> str:
        return f"{prefix}{sequence:0{self.width}d}"


class Labels(_Strict):
    """Fixed wording of letterheads, footers and boxes; kept here so that no wording lives in Python."""

    basmala: Text
    greeting: Text = Field(description="Line after the addressee: «السلام عليكم ورحمة الله وبركاته، وبعد:»")
    closing: Text = Field(description="Default closing line of a letter")
    addressee_m: Text = Field(description="Before a man's name: «المكرم/»")
    addressee_f: Text
    honorific_m: Text = Field(description="After a man's name: «المحترم»")
    honorific_f: Text
    number: Text = Field(description="«الرقم» in the letter header")
    date: Text
    attachments: Text
    corresponding: Text = Field(description="«الموافق» between the two calendars")
    page: Text
    page_of: Text
    signature: Text
    stamp: Text
    name: Text
    national_id: Text
    thumbprint: Text
    thumbprint_note: Text = Field(description="When the thumbprint is used instead of a signature")
    office_use: Text
    form_code: Text
    version: Text
    issued: Text
    licence: Text
    yes: Text
    no: Text
    day: Text
    month: Text
    year: Text
    reference: Text = Field(description="Label of the reference printed beside the QR code")
    rating_scale: Text = Field(description="Header over the 1-5 columns of a survey")
    item: Text = Field(description="Header of the item column of a survey")
    corrected: Text = Field(description="Before the day of the correction on a re-issued document: «نسخة مصححة بتاريخ»")
    draft: Text = Field("مسودة", description="Across every page of a preview, which has no reference: «مسودة»")


class Paths(_Strict):
    """Where the rest of the project is, relative to policy.yml."""

    forms: str = Field("../forms", description="Folder of document YAML files (registers in its registers/)")
    templates: str = Field("../templates", description="Folder of HTML/CSS and DOCX templates and fonts")


class Policy(_Strict):
    """policies/policy.yml: the association's policy of relations with beneficiaries."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="wathiqa policy")

    paths: Paths = Paths()

    association: Association
    settings: Settings = Settings()
    preamble: Text = Field(description="The policy's preamble (تمهيد)")
    goals: Goals
    service_standard: ServiceStandard
    procedure: list[Step] = Field(min_length=1, description="The steps of dealing with a beneficiary, in order")
    lists: dict[Ident, PolicyList] = Field(description="Every list of options, by id")
    signatories: dict[Ident, Signatory] = Field(description="Who signs, by role id")
    numbering: dict[Ident, NumberingScheme] = Field(description="Reference schemes, by id")
    labels: Labels = Field(description="Fixed wording of letterheads, footers and boxes")


# --------------------------------------------------------------------------------------------- forms/*.yml


class FieldDef(_Strict):
    """One piece of information: the same definition feeds the PDF, the DOCX, the register and validation."""

    id: Ident
    label: Text = Field(description="Arabic label, printed before the box")
    type: FieldType = "text"
    required: StrictBool = False
    list: Ident | None = Field(None, description="Policy list of the options (choice, multi_choice, rating)")
    help: str | None = Field(None, description="One line of guidance printed under the label")
    lines: int = Field(1, ge=1, le=12, description="Room on paper: handwritten lines")
    width: Literal["full", "half"] = Field("full", description="Half-width fields pair up on one row")
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = Field(200, ge=1, le=5000, description="Longest accepted text")
    example: str | builtins.list[str] | None = Field(None, description="A realistic value, used by `wathiqa example`")
    auto: Literal["reference", "today", "earliest_reply"] | None = Field(
        None, description="Filled by wathiqa when a case is issued, not by the applicant"
    )

    @model_validator(mode="after")
    def _list_only_for_choices(self) -> FieldDef:
        if self.type in LIST_TYPES and self.list is None:
            raise ValueError(f"a {self.type} field needs `list:` naming a policy list")
        if self.type not in LIST_TYPES and self.list is not None:
            raise ValueError(f"`list:` is only for choice, multi_choice and rating fields, not {self.type}")
        return self


class Section(_Strict):
    id: Ident
    title: Text
    note: str | None = Field(None, description="A line printed under the section title (may hold placeholders)")
    office_use: StrictBool = Field(False, description="Filled by the office, not the applicant")
    fields: list[FieldDef] = Field(min_length=1)


class Declarant(_Strict):
    """Which fields of a declaration name the person who signs it."""

    name: Ident
    national_id: Ident


class Answers(_Strict):
    """For a decision letter: which register rows it answers, and where its fields come from."""

    register_id: DocId = Field(alias="register", description="Register whose rows this letter answers")
    column: Ident = Field(description="Column holding the decision")
    value: Ident = Field(description="Option id of the decision this letter announces")
    fields: dict[Ident, Ident] = Field(
        default_factory=dict, description="Letter field id -> register column id, where the ids differ"
    )


class Document(_Strict):
    """A printable document: form, declaration, letter or survey."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="wathiqa document")

    id: DocId = Field(description="Also the output file name: blank/ID.pdf")
    kind: Literal["form", "declaration", "letter", "survey"]
    title: Text = Field(description="Arabic title, centred on the page")
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{1,20}$")] = Field(
        description="Form code printed in the document-control footer"
    )
    version: Annotated[str, StringConstraints(pattern=r"^\d+(\.\d+)*$")]
    issued: date = Field(description="Date this version was issued (YYYY-MM-DD), printed in the footer")
    max_pages: int = Field(1, ge=1, le=10, description="Pages the printed document may take")
    numbering: Ident | None = Field(None, description="Numbering scheme of references issued for this document")
    register_id: DocId | None = Field(None, alias="register", description="Register that records each issued case")
    issue_with: list[DocId] = Field(
        default_factory=list, description="Documents rendered from the same record when a case is issued"
    )
    addressee: Ident | None = Field(None, description="Field holding the name a letter is addressed to")
    signatory: Ident | None = Field(None, description="Signatory role that signs a letter")
    declarant: Declarant | None = Field(None, description="For a declaration: the signer's name and ID fields")
    answers: Answers | None = Field(None, description="For a decision letter: the register rows it answers")
    attachments: str | None = Field(None, description="«المرفقات» line of a letter's header")
    intro: str | None = Field(None, description="Paragraph before the sections (placeholders allowed)")
    body: list[Text] = Field(default_factory=list, description="Paragraphs of a letter or declaration")
    undertakings: list[Text] = Field(default_factory=list, description="Numbered points a declarant accepts")
    closing: str | None = Field(None, description="Closing line of a letter")
    fields: list[FieldDef] = Field(default_factory=list, description="Data the wording uses, not printed as a table")
    sections: list[Section] = Field(default_factory=list, description="Headed tables of fields, in order")
    footer_note: str | None = Field(None, description="Small print above the footer")

    @field_validator("issued")
    @classmethod
    def _issued_in_calendar(cls, value: date) -> date:
        if not MIN_DATE <= value <= MAX_DATE:
            raise ValueError(
                f"{value.isoformat()} is outside the Hijri calendar's table ({MIN_DATE.isoformat()} .. "
                f"{MAX_DATE.isoformat()}): it could not be printed in Hijri"
            )
        return value

    @model_validator(mode="after")
    def _shape(self) -> Document:
        if self.kind == "letter" and not self.body:
            raise ValueError("a letter needs `body:` paragraphs")
        if self.kind in ("form", "survey") and not self.sections:
            raise ValueError(f"a {self.kind} needs `sections:`")
        if self.kind == "declaration" and self.declarant is None:
            raise ValueError("a declaration needs `declarant:` naming its name and national_id fields")
        seen: set[str] = set()
        for field_def in self.all_fields():
            if field_def.id in seen:
                raise ValueError(f"field id {field_def.id!r} is defined twice")
            seen.add(field_def.id)
        return self

    def all_fields(self) -> list[FieldDef]:
        return [*self.fields, *(f for s in self.sections for f in s.fields)]

    def data_fields(self) -> list[FieldDef]:
        """Fields that carry a value in case data (signatures and thumbprints live on paper only)."""
        return [f for f in self.all_fields() if f.type not in PAPER_ONLY_TYPES]

    def input_fields(self) -> list[FieldDef]:
        """Fields the office types in for a case: data fields that wathiqa does not fill itself."""
        return [f for f in self.data_fields() if f.auto is None]


class Column(_Strict):
    """A register column that is not a document field: reference, status, decision ..."""

    id: Ident
    label: Text
    type: FieldType | Literal["reference", "hijri_text", "datetime"] = "text"
    list: Ident | None = None
    of: Ident | None = Field(None, description="For hijri_text: the date column it shows in Hijri")
    width: float | None = Field(None, ge=4, le=120, description="Column width in characters (fitted if absent)")


class FieldsOf(_Strict):
    fields_of: DocId = Field(description="Insert a column for each data field of this document")
    exclude: list[Ident] = Field(default_factory=list, description="Fields of that document left out")


class Answered(_Strict):
    """How a register row is marked once its decision letter is sent (so `wathiqa decide` never sends twice)."""

    letter_column: Ident = Field(description="Column that receives the letter's reference")
    date_column: Ident = Field(description="Column that receives the date the letter was sent")
    status_column: Ident | None = Field(None, description="Status column to update")
    status: Ident | None = Field(None, description="Option id written into the status column")


class LetterColumns(_Strict):
    """Where an outgoing register records each decision letter (what `wathiqa decide` writes and reads back)."""

    request_column: Ident = Field(description="Column holding the reference of the request the letter answers")
    document_column: Ident | None = Field(None, description="Column receiving the letter's title")
    addressee_column: Ident | None = Field(None, description="Column receiving the addressee's name")
    signatory_column: Ident | None = Field(None, description="Column receiving the signatory's title")


class PrintLayout(_Strict):
    """What a register looks like on paper: the workbook's print area and `wathiqa register print`."""

    columns: list[Ident] = Field(
        min_length=1,
        description="Column ids printed, in this order; they also come first in a new workbook, so the print "
        "area is one block of columns",
    )
    widths: dict[Ident, Annotated[float, Field(ge=4, le=120)]] = Field(
        default_factory=dict, description="Width in characters of some printed columns (default: the column's own)"
    )
    date_column: Ident | None = Field(
        None, description="Date column that --from/--to select rows by (default: the register's first date column)"
    )

    @field_validator("columns")
    @classmethod
    def _unique_columns(cls, columns: list[str]) -> list[str]:
        seen: set[str] = set()
        for column in columns:
            if column in seen:
                raise ValueError(f"column {column!r} is printed twice")
            seen.add(column)
        return columns


class Register(_Strict):
    """An Excel register: one row per record, kept by the archivists."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="wathiqa register")

    id: DocId
    kind: Literal["register"]
    title: Text
    sheet: Annotated[str, StringConstraints(min_length=1, max_length=31)] = Field(description="Worksheet name")
    numbering: Ident | None = Field(None, description="Numbering scheme of the references this register issues")
    columns: list[Column | FieldsOf] = Field(min_length=1)
    answered: Answered | None = Field(None, description="For registers whose rows get decision letters")
    letters: LetterColumns | None = Field(None, description="For the register of outgoing decision letters")
    signed_column: Ident | None = Field(
        None,
        description="Date column set by `wathiqa scan` when a case's signed paper comes back and is filed (موقّع)",
    )
    initial: dict[Ident, str] = Field(
        default_factory=dict, description="Values of a new row, by column id (e.g. status: received)"
    )
    print_layout: PrintLayout | None = Field(
        None, alias="print", description="The columns that matter on paper (default: every column)"
    )

    @field_validator("sheet")
    @classmethod
    def _sheet_name(cls, value: str) -> str:
        if re.search(r"[\[\]:*?/\\]", value):
            raise ValueError("a sheet name cannot contain [ ] : * ? / \\")
        return value
