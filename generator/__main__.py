"""python -m generator: the same as the `wathiqa` command."""

from __future__ import annotations

import sys

from .cli.main import main

sys.exit(main())
