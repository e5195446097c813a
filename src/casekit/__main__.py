"""``python -m casekit``: the command line (see `casekit.cli`)."""

from __future__ import annotations

import sys

from casekit.cli import main

if __name__ == "__main__":
    sys.exit(main())
