"""Shared test configuration: Hypothesis profiles, and the fuzz counts in the summary.

``dev`` (the default) keeps the suite quick on a laptop; ``ci`` (selected when ``CI=true``)
searches harder. Choose one explicitly with ``HYPOTHESIS_PROFILE=name``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from casekit.testing.fuzz import FuzzReport

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev")
)


# ----- the atomicity fuzz's counts, shown after the run (tests/testing/test_fuzz_public_api.py)
FUZZ_REPORTS = pytest.StashKey[list[FuzzReport]]()


@pytest.fixture(scope="session")
def fuzz_reports(request: pytest.FixtureRequest) -> list[FuzzReport]:
    """Where fuzz tests put their reports, for the terminal summary."""
    return request.config.stash.setdefault(FUZZ_REPORTS, [])


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    reports = config.stash.get(FUZZ_REPORTS, [])
    if reports:
        terminalreporter.section("casekit atomicity fuzz")
        for report in reports:
            terminalreporter.write_line(report.summary())
