"""The generic DOCX templates (form, letter, declaration, survey) that docxtpl fills, made from the policy.

Run by ``make templates`` (``python -m generator.render.docx_templates [--policy P] [--out DIR]``). The committed
``templates/docx/*.docx`` are what staff edit in Word: change the letterhead (the page header), the footer or the
font there and every document of that kind follows. This maker is only the starting point; rerun it after
changing ``settings.body_font``/``heading_font`` or the logo in the policy (it overwrites edits made in Word).
A test checks that the committed files are exactly what it makes from the shipped policy.

What the templates guarantee, and where:

* right-to-left everywhere, with properties in the order of the OOXML schema (:mod:`.wml`);
* no wording: every word comes from the policy and forms through the Jinja context (``labels.*`` …); a
  template holds only layout, punctuation and the check-box characters (:mod:`.bodies`, :mod:`.sections`);
* A4, print margins, the letterhead with the logo and the QR placeholder, the control footer (:mod:`.page`,
  :mod:`.maker`);
* the policy's fonts embedded as Word embeds them (:mod:`.fonts`);
* the same policy gives the same bytes (:mod:`.maker`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from ...config.project import Project
from .bodies import KINDS
from .maker import TemplateInputs, make_template

__all__ = ["KINDS", "make_templates", "write_templates"]

log = logging.getLogger(__name__)


def make_templates(project: Project) -> dict[str, bytes]:
    """Every template's bytes by file name (``form.docx`` …), and the logo as ``logo.png``, made from ``project``."""
    inputs = TemplateInputs.of(project)
    made = {f"{kind}.docx": make_template(kind, inputs) for kind in KINDS}
    made["logo.png"] = inputs.logo
    return made


def write_templates(project: Project, out_dir: Path) -> list[Path]:
    """Make the templates and write them into ``out_dir`` (overwriting what is there); the paths written."""
    written = []
    for name, data in make_templates(project).items():
        path = out_dir / name
        path.write_bytes(data)
        log.info("wrote %s", path)
        written.append(path)
    return written
