"""The office's figures (`wathiqa report`), the policy booklet and the evidence pack.

One computation (:mod:`.compute`, pure), one view of it as titled tables (:mod:`.view`), three renderings:
report.pdf and the office app's page (:mod:`.html`, one Jinja body), report.xlsx (:mod:`.xlsx`).
"""

from __future__ import annotations

from .compute import PendingRow, Report, compute_report
from .periods import Period, current_period, parse_period, period_between
from .pipeline import ReportResult, choose_period, report_figures, run_report, write_report

__all__ = [
    "PendingRow",
    "Period",
    "Report",
    "ReportResult",
    "choose_period",
    "compute_report",
    "current_period",
    "parse_period",
    "period_between",
    "report_figures",
    "run_report",
    "write_report",
]
