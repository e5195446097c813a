"""The "no leak" properties (casekit.testing.security) on the built-in and Cedar engines,
on random policies, and on deliberately leaky ones, which they must catch."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from casekit.security import (
    ANY,
    AccessDecision,
    AccessPolicy,
    CaseResource,
    Deny,
    Grant,
    LocationMode,
    Permission,
    Principal,
    ReadFilter,
    Relationship,
)
from casekit.testing.security import (
    PROGRAMS,
    ROLES,
    assert_no_leak,
    case_resources,
    no_leak_violations,
    principals,
)

from ._policy import POLICY

ACTIONS = ("approve", "close", "submit")
# Case types no lifecycle is registered for, so random rules may name any action.
CASE_TYPES = ("Alpha Case", "Beta Case")
FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The leaks must be found; the first example found is enough (no shrinking: Cedar is slow).
CAUGHT = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
)


def cedar_of(policy: AccessPolicy) -> object:
    cedar = pytest.importorskip("casekit.security.cedar", reason="cedarpy is not installed")
    return cedar.CedarPolicy.from_policy(policy)


# ----- random policies -------------------------------------------------------------------
def _scope(values: tuple[str, ...]) -> st.SearchStrategy[object]:
    return st.just(ANY) | st.frozensets(st.sampled_from(values), min_size=1)


_relationships = st.just(ANY) | st.builds(
    lambda members: Relationship(sum(m.value for m in members)),
    st.frozensets(st.sampled_from(list(Relationship)), min_size=1),
)
_permissions = st.frozensets(st.sampled_from(list(Permission)), min_size=1)


def _rule(kind: type[Grant] | type[Deny]) -> st.SearchStrategy[Grant | Deny]:
    roles = st.frozensets(st.sampled_from(ROLES), min_size=1) if kind is Grant else _scope(ROLES)
    return st.builds(
        kind,
        roles=roles,
        permissions=_permissions,
        case_types=_scope(CASE_TYPES),
        actions=_scope(ACTIONS),
        programs=_scope(PROGRAMS),
        relationship=_relationships,
    )


random_policies = st.builds(
    AccessPolicy,
    st.lists(_rule(Grant) | _rule(Grant) | _rule(Deny), max_size=8),
    location_mode=st.sampled_from(list(LocationMode)),
    known_case_types=st.just(CASE_TYPES),
)
resources = case_resources(case_types=CASE_TYPES)
requests = st.tuples(
    principals(), resources, st.sampled_from(list(Permission)), st.sampled_from(ACTIONS)
)


@given(random_policies, principals(), resources)
def test_any_declared_policy_keeps_the_no_leak_properties(
    policy: AccessPolicy, principal: Principal, resource: CaseResource
) -> None:
    # Read filter = decide(READ), default deny, clearance, determinism, check.
    assert no_leak_violations(policy, principal, resource, actions=ACTIONS) == []


@FEW
@given(random_policies, st.lists(requests, min_size=1, max_size=6))
def test_cedar_decides_as_the_built_in_engine_on_any_policy(
    policy: AccessPolicy, batch: list[tuple[Principal, CaseResource, Permission, str]]
) -> None:
    cedar = cedar_of(policy)
    for principal, resource, permission, action in batch:
        ours = policy.decide(principal, permission, resource, action=action)
        theirs = cedar.decide(principal, permission, resource, action=action)  # type: ignore[attr-defined]
        assert theirs.allowed == ours.allowed, (ours, theirs)
        if ours.allowed:
            assert theirs == ours  # the same first grant, described the same way


# ----- the shipped helper on the realistic policy ------------------------------------------
@pytest.mark.parametrize("mode", list(LocationMode))
def test_the_realistic_policy_does_not_leak(mode: LocationMode) -> None:
    assert_no_leak(attrs.evolve(POLICY, location_mode=mode))


def test_its_cedar_translation_does_not_leak() -> None:
    assert_no_leak(cedar_of(POLICY), settings=FEW)  # type: ignore[arg-type]


# ----- leaks that the helper must catch -------------------------------------------------
@attrs.frozen
class LeakyFilter:
    """Decides as the policy does, but its read filter forgets the clearance."""

    policy: AccessPolicy

    def decide(
        self,
        principal: Principal,
        permission: Permission | str,
        resource: CaseResource,
        *,
        action: str | None = None,
    ) -> AccessDecision:
        return self.policy.decide(principal, permission, resource, action=action)

    def check(
        self,
        principal: Principal,
        permission: Permission | str,
        resource: CaseResource,
        *,
        action: str | None = None,
    ) -> AccessDecision:
        return self.policy.check(principal, permission, resource, action=action)

    def read_filter(self, principal: Principal) -> ReadFilter:
        return attrs.evolve(self.policy.read_filter(principal), max_sensitivity=5)


def test_a_read_filter_that_forgets_the_clearance_is_caught() -> None:
    with pytest.raises(AssertionError, match="read filter disagrees with decide"):
        assert_no_leak(LeakyFilter(POLICY), settings=CAUGHT)


def test_a_check_that_lets_a_denial_through_is_caught() -> None:
    class Lenient(LeakyFilter):
        def check(
            self,
            principal: Principal,
            permission: Permission | str,
            resource: CaseResource,
            *,
            action: str | None = None,
        ) -> AccessDecision:
            return self.policy.decide(principal, permission, resource, action=action)

        def read_filter(self, principal: Principal) -> ReadFilter:
            return self.policy.read_filter(principal)

    with pytest.raises(AssertionError, match="check did not raise AccessDenied"):
        assert_no_leak(Lenient(POLICY), settings=CAUGHT)


def test_a_cedar_policy_granting_without_a_role_is_caught() -> None:
    cedar = pytest.importorskip("casekit.security.cedar", reason="cedarpy is not installed")
    owners_read = cedar.CedarPolicy(
        '@id("owners read")\npermit (principal, action == Action::"read", resource)\n'
        "when { resource.owner == principal.user_ref };"
    )
    with pytest.raises(AssertionError, match="default deny broken: allowed without any role"):
        assert_no_leak(owners_read, settings=CAUGHT)


def test_a_cedar_policy_without_the_clearance_rule_is_caught() -> None:
    cedar = pytest.importorskip("casekit.security.cedar", reason="cedarpy is not installed")
    text = cedar.to_cedar(POLICY)
    start = text.index('@id("sensitivity")')
    careless = cedar.CedarPolicy(text[:start] + text[text.index("@id", start + 5) :])
    with pytest.raises(AssertionError, match="allowed above the principal's clearance"):
        assert_no_leak(careless, settings=CAUGHT)
