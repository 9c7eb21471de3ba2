"""``python -m generator.render.docx_templates [--policy P] [--out DIR]``: what ``make templates`` runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ...config.project import load_project
from ...errors import InputError
from . import write_templates

ROOT = Path(__file__).resolve().parents[3]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the templates; exit 0, or 2 with the message when the policy cannot be read."""
    parser = argparse.ArgumentParser(
        prog="python -m generator.render.docx_templates",
        description="Make the DOCX templates (templates/docx/*.docx) from the policy; overwrites edits made in Word.",
    )
    parser.add_argument("--policy", type=Path, default=ROOT / "policies" / "policy.yml")
    parser.add_argument("--out", type=Path, help="default: the project's templates/docx/")
    args = parser.parse_args(argv)
    try:
        project = load_project(args.policy)
        written = write_templates(project, args.out or project.templates_dir / "docx")
    except InputError as err:
        print(err, file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
