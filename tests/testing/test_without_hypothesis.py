"""``casekit.testing`` without Hypothesis says which extra to install, like every other extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

BLOCK_HYPOTHESIS = "import sys\nsys.modules['hypothesis'] = None  # as if not installed\n"


@pytest.mark.parametrize(
    "module", ["casekit.testing", "casekit.testing.lifecycles", "casekit.testing.fuzz"]
)
def test_importing_casekit_testing_without_hypothesis_raises_missing_extra(module: str) -> None:
    code = BLOCK_HYPOTHESIS + (
        "from casekit.errors import MissingExtra\n"
        "try:\n"
        f"    import {module}\n"
        "except MissingExtra as error:\n"
        "    assert isinstance(error, ImportError)\n"
        "    print(error)\n"
        "else:\n"
        "    raise SystemExit('imported without Hypothesis')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "casekit.testing needs Hypothesis: pip install 'casekit[testing]'"
    )


def test_casekit_itself_imports_without_hypothesis() -> None:
    code = BLOCK_HYPOTHESIS + "import casekit, casekit.cases, casekit.routing, casekit.sim\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
