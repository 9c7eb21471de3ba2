"""The failures a user can hit, one class each; the CLI maps the family to an exit status.

Exit status 2 belongs to :class:`InputError` and its subclasses (bad usage, policy, data or output folder),
with nothing written. Anything else that escapes is an unexpected fault (exit 1).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, with where it is and what was expected."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class WathiqaError(Exception):
    """Base of every error wathiqa raises on purpose."""


class InputError(WathiqaError):
    """Raised when something the user gave (arguments, files, data) is wrong; exit status 2."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return super().__str__()
        lines = [str(p) for p in self.problems]
        head = super().__str__()
        return "\n".join([head, *lines]) if head else "\n".join(lines)


class UsageError(InputError):
    """Raised when the command line names something that does not exist (a document id, a format)."""


class ProjectError(InputError):
    """Raised when policy.yml or a forms/*.yml file cannot be read or is not valid; lists every problem."""


class DataError(InputError):
    """Raised when case data (a record or a batch) is invalid; messages are in Arabic for the clerk."""


class OutputError(InputError):
    """Raised when the output folder cannot be written, or a register is locked or open in Excel."""


class PeriodError(UsageError):
    """Raised when a report period (``--period``, ``--from``/``--to``, the /reports page) cannot be read; the
    message is the command line's, ``arabic`` the sentence the office app shows the archivist."""

    def __init__(self, message: str, arabic: str) -> None:
        super().__init__(message)
        self.arabic = arabic


class CaseStateError(InputError):
    """Raised when a case cannot be corrected, voided, given a status or decided in the state it is in (voided,
    already answered, a correction after the decision needing an archivist); the message is Arabic."""


class AlreadyAnsweredError(CaseStateError):
    """Raised when a decision is recorded for a request already answered by a letter: it gets no second one."""

    def __init__(self, reference: str, letter: str) -> None:
        self.reference = reference
        self.letter = letter
        super().__init__(
            f"قد سبق الرد على الطلب {reference} بالخطاب {letter}، فلا يُكتب له خطاب آخر ولا يتغير قراره"
        )
