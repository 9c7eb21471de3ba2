"""What every view of the office app needs, kept on the app (``app.extensions["wathiqa"]``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from ..config.project import Project
from ..office.db import OfficeDB

if TYPE_CHECKING:
    from . import WebSettings
    from .issuing import Issuer
    from .jobs import Jobs


@dataclass
class Office:
    """The project, where output goes, the office database and the background jobs of one app."""

    project: Project
    settings: WebSettings
    out_dir: Path
    db: OfficeDB
    jobs: Jobs
    issuer: Issuer


def office() -> Office:
    state = current_app.extensions["wathiqa"]
    assert isinstance(state, Office)
    return state
