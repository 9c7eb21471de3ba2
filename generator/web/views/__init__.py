"""One blueprint per area of the office; each view parses the request, calls the library, renders a page."""

from __future__ import annotations

from .accounts import bp as accounts
from .batches import bp as batches
from .cases import bp as cases
from .decisions import bp as decisions
from .documents import bp as documents
from .home import bp as home
from .registers import bp as registers
from .reports import bp as reports
from .scans import bp as scans

ALL_BLUEPRINTS = [home, documents, cases, registers, decisions, batches, reports, accounts, scans]
