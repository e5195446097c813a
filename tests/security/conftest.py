"""The engines that run the shared decision tests: the built-in policy and its Cedar twin."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from casekit.security import AccessPolicy, Authorizer


def _cedar(policy: AccessPolicy) -> Authorizer:
    cedar = pytest.importorskip("casekit.security.cedar", reason="cedarpy is not installed")
    engine: Authorizer = cedar.CedarPolicy.from_policy(policy)
    return engine


@pytest.fixture(scope="session", params=["builtin", "cedar"])
def engine_kind(request: pytest.FixtureRequest) -> str:
    """Which engine runs the shared decision tests."""
    kind: str = request.param
    return kind


@pytest.fixture(scope="session")
def make_engine(engine_kind: str) -> Callable[[AccessPolicy], Authorizer]:
    """Build the engine of ``engine_kind`` for a policy: the policy itself, or its Cedar text."""

    def make(policy: AccessPolicy) -> Authorizer:
        return policy if engine_kind == "builtin" else _cedar(policy)

    return make
