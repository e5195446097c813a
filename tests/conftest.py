"""Shared test configuration: Hypothesis profiles, and the fuzz counts in the summary.

``dev`` (the default) keeps the suite quick on a laptop; ``ci`` (selected when ``CI=true``)
searches harder. Choose one explicitly with ``HYPOTHESIS_PROFILE=name``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from casekit.testing.fuzz import FuzzReport
from casekit.testing.postgres_server import PostgresServer, find_postgres_bindir

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


# ----- one throw-away PostgreSQL server for the whole run (storage, app and security tests)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session: skipped without binaries, unless CI=true."""
    if find_postgres_bindir() is None:
        message = "PostgreSQL binaries (initdb, pg_ctl) not found in PATH or /usr/lib/postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true requires them (.ci/run installs them)")
        pytest.skip(message)
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


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
        terminalreporter.write_line(fuzz_totals(reports))


def fuzz_totals(reports: list[FuzzReport]) -> str:
    """One line over every report: the calls and what broke the rule, by kind.

    A half-changed refusal of a storage port (targets named ``uow.<port> (<adapter>)``, see
    tests/storage/test_fuzz_ports.py) is a half-written store; of anything else, a
    half-changed object.
    """
    failures = [f for r in reports for f in r.failures]
    stores = sum(f.kind == "half-changed" and f.target.startswith("uow.") for f in failures)
    objects = sum(f.kind == "half-changed" for f in failures) - stores
    bare = sum(f.kind == "bare error" for f in failures)
    other = len(failures) - stores - objects - bare
    return (
        f"TOTAL over {len(reports)} targets: {sum(r.tried for r in reports)} calls tried, "
        f"{sum(r.refused for r in reports)} refused cleanly, "
        f"{sum(r.accepted for r in reports)} accepted; {bare} non-CasekitError exceptions, "
        f"{objects} half-changed objects, {stores} half-written stores, {other} other failures "
        f"(timeouts, unreadable state, setup), {sum(len(r.suspect) for r in reports)} suspect"
    )
