"""Scanned stacks of signed paper, filed back into their cases by each page's QR code.

``pages`` reads the input files page by page, ``decode`` reads a page's code with zxing-cpp and turns the page
upright, ``run`` judges the pages and files the complete documents (``filing``) or queues the rest for a clerk
(``queue``, with the Arabic ``reasons``). The command is ``wathiqa scan FILE...``; the office app's page is
``/scans``.
"""

from __future__ import annotations

from .queue import Waiting, discard, waiting, waiting_page
from .reasons import REASONS
from .run import FiledDocument, QueuedPage, ScanResult, assign_page, scan

__all__ = [
    "REASONS",
    "FiledDocument",
    "QueuedPage",
    "ScanResult",
    "Waiting",
    "assign_page",
    "discard",
    "scan",
    "waiting",
    "waiting_page",
]
