"""Property tests for access policies: strategies and the "no leak" checks.

Run them on your own policy, built-in or Cedar::

    from casekit.testing.security import assert_no_leak

    def test_my_policy_does_not_leak() -> None:
        assert_no_leak(MY_POLICY)

[`assert_no_leak`][] draws principals and cases with Hypothesis (by default from the roles,
case types, programs and actions the policy's rules name, so the search reaches every rule)
and checks, for every permission, [`no_leak_violations`][]:

* every decision is deterministic (the same request, the same decision);
* default deny holds: the same principal without roles is denied everything;
* a case above the principal's clearance is denied, whatever else holds;
* a denial names its rule and gives a reason;
* ``check`` raises [`AccessDenied`][casekit.errors.AccessDenied] with that decision on a
  denial and returns it otherwise;
* the policy's read filter, if it has one, matches exactly the cases ``decide(READ)`` allows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import attrs
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from casekit.errors import AccessDenied
from casekit.security import (
    MAX_LEVEL,
    MIN_LEVEL,
    AccessDecision,
    AccessPolicy,
    AnyValue,
    Authorizer,
    CaseResource,
    Permission,
    Principal,
    ReadFilter,
)

__all__ = [
    "CASE_TYPES",
    "LOCATIONS",
    "PEOPLE",
    "PROGRAMS",
    "ROLES",
    "TEAMS",
    "assert_no_leak",
    "case_resources",
    "no_leak_violations",
    "principals",
]

PEOPLE = ("ann", "bob", "sue", "max")
"""The default person ids: few, so owners, supervisors and assignees often coincide."""
ROLES = ("caseworker", "supervisor", "auditor")
"""The default roles."""
TEAMS = ("intake", "appeals")
"""The default teams (work queues and positions)."""
LOCATIONS = ("north", "south")
"""The default locations."""
PROGRAMS = ("SNAP", "TANF")
"""The default programs."""
CASE_TYPES = ("Product Delivery Case", "Investigation Case")
"""The default case types."""
_ORG_UNITS = ("ou-east", "ou-west")
_CLIENTS = ("client-1", "client-2")


def _optional(values: Sequence[str]) -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(values) if values else st.none()


def principals(
    *,
    people: Sequence[str] = PEOPLE,
    roles: Sequence[str] = ROLES,
    teams: Sequence[str] = TEAMS,
    locations: Sequence[str] = LOCATIONS,
    org_units: Sequence[str] = _ORG_UNITS,
    automatic: bool = True,
) -> st.SearchStrategy[Principal]:
    """Principals drawn from small vocabularies (so they meet the cases often).

    Complexity: O(1) per example drawn.

    Args:
        people: The ids of people.
        roles: The roles a principal may hold (any subset, the empty one included).
        teams: The teams a person may belong to.
        locations: The locations (or none).
        org_units: The org units (or none).
        automatic: Also draw declared automatic checks (``Principal.system``).
    """
    people_st = st.builds(
        Principal,
        st.sampled_from(people),
        st.frozensets(st.sampled_from(roles)) if roles else st.just(frozenset()),
        org_unit=_optional(org_units),
        location=_optional(locations),
        clearance=st.integers(MIN_LEVEL, MAX_LEVEL),
        teams=st.frozensets(st.sampled_from(teams)) if teams else st.just(frozenset()),
    )
    if not automatic:
        return people_st
    checks = st.builds(
        Principal.system,
        st.sampled_from(("deadline-sweep", *people)),
        roles=st.frozensets(st.sampled_from(roles)) if roles else st.just(frozenset()),
        clearance=st.integers(MIN_LEVEL, MAX_LEVEL),
    )
    return people_st | checks


def case_resources(
    *,
    case_types: Sequence[str] = CASE_TYPES,
    people: Sequence[str] = PEOPLE,
    teams: Sequence[str] = TEAMS,
    locations: Sequence[str] = LOCATIONS,
    org_units: Sequence[str] = _ORG_UNITS,
    programs: Sequence[str] = PROGRAMS,
    statuses: Sequence[str] = ("Open", "Active", "Closed"),
) -> st.SearchStrategy[CaseResource]:
    """Case resources related to the principals of [`principals`][] (same vocabularies).

    Owners, supervisors, reviewers, task assignees and participants are drawn from the same
    people and teams, so relationships hold often.

    Complexity: O(1) per example drawn.
    """
    refs = [f"User:{p}" for p in people]
    refs += [f"{kind}:{t}" for t in teams for kind in ("Work Queue", "Position")]
    refs += [f"Org Unit:{u}" for u in org_units]
    ref = st.sampled_from(refs)
    return st.builds(
        CaseResource,
        st.sampled_from(("CASE-1", "CASE-2")),
        st.sampled_from(case_types),
        st.sampled_from(statuses),
        ref,
        supervisor=st.none() | ref,
        reviewer=st.none() | ref,
        task_assignees=st.frozensets(st.sampled_from(people)) if people else st.just(frozenset()),
        participants=st.frozensets(st.sampled_from((*people, *_CLIENTS))),
        sensitivity=st.integers(MIN_LEVEL, MAX_LEVEL),
        location=_optional(locations),
        org_unit=_optional(org_units),
        program=_optional(programs),
        work_queue=_optional(teams),
    )


def no_leak_violations(
    policy: Authorizer, principal: Principal, resource: CaseResource, *, actions: Iterable[str]
) -> list[str]:
    """Every "no leak" property that ``policy`` breaks for this principal and case.

    Each permission is decided (``perform`` once per action in ``actions``, other
    permissions without an action and with each action).

    Complexity: O(p × a) decisions for p permissions and a actions.

    Returns:
        One line per broken property; empty when none is.
    """
    found: list[str] = []
    actions = tuple(actions) or ("submit",)
    roleless = attrs.evolve(principal, roles=frozenset())
    requests: list[tuple[Permission, str | None]] = [
        (permission, action)
        for permission in Permission
        for action in ((None, *actions) if permission is not Permission.PERFORM else actions)
    ]
    for permission, action in requests:
        what = f"{principal!r} {permission.value}{f' {action!r}' if action else ''} {resource!r}"
        decision = policy.decide(principal, permission, resource, action=action)
        again = policy.decide(principal, permission, resource, action=action)
        if again != decision:
            found.append(f"not deterministic: {decision} then {again} for {what}")
        if not decision.allowed and not (decision.rule.strip() and decision.reason.strip()):
            found.append(f"a denial without a rule or reason: {decision} for {what}")
        if policy.decide(roleless, permission, resource, action=action).allowed:
            found.append(f"default deny broken: allowed without any role: {what}")
        if resource.sensitivity > principal.clearance and decision.allowed:
            found.append(f"allowed above the principal's clearance ({decision}): {what}")
        found.extend(_check_agrees(policy, (principal, permission, resource, action), decision))
    read_filter: Callable[[Principal], ReadFilter] | None = getattr(policy, "read_filter", None)
    if read_filter is not None:
        allowed = policy.decide(principal, Permission.READ, resource).allowed
        if read_filter(principal).matches(resource) != allowed:
            verdict = "allows" if allowed else "denies"
            found.append(
                f"read filter disagrees with decide(READ), which {verdict}: "
                f"{principal!r} {resource!r}"
            )
    return found


def _check_agrees(
    policy: Authorizer,
    request: tuple[Principal, Permission, CaseResource, str | None],
    decision: AccessDecision,
) -> list[str]:
    principal, permission, resource, action = request
    what = f"{principal!r} {permission.value} {resource!r}"
    try:
        checked = policy.check(principal, permission, resource, action=action)
    except AccessDenied as error:
        if decision.allowed:
            return [f"check raised AccessDenied where decide allowed: {what}"]
        if error.decision != decision:
            return [f"AccessDenied carries {error.decision}, decide gave {decision}: {what}"]
        return []
    if not decision.allowed:
        return [f"check did not raise AccessDenied where decide denied: {what}"]
    if checked != decision:
        return [f"check returned {checked}, decide gave {decision}: {what}"]
    return []


def _vocabulary(policy: object) -> dict[str, tuple[str, ...]]:
    """Roles, case types, programs and actions an AccessPolicy's rules name."""
    found: dict[str, set[str]] = {"roles": set(), "case_types": set(), "programs": set()}
    found["actions"] = set()
    if isinstance(policy, AccessPolicy):
        for rule in policy.rules:
            for field in found:
                scope = getattr(rule, field)
                if not isinstance(scope, AnyValue):
                    found[field] |= scope
    return {field: tuple(sorted(values)) for field, values in found.items()}


def assert_no_leak(
    policy: Authorizer,
    *,
    principals: st.SearchStrategy[Principal] | None = None,
    resources: st.SearchStrategy[CaseResource] | None = None,
    actions: Iterable[str] | None = None,
    settings: hypothesis_settings | None = None,
) -> None:
    """Search for a request on which ``policy`` breaks a "no leak" property; fail if found.

    Complexity: O(examples × permissions × actions) decisions.

    Args:
        policy: The policy ([`AccessPolicy`][casekit.security.AccessPolicy],
            [`CedarPolicy`][casekit.security.CedarPolicy] or your own
            [`Authorizer`][casekit.security.Authorizer]).
        principals: The principals to try (default: [`principals`][] over the roles the
            policy names and the default vocabulary).
        resources: The cases to try (default: [`case_resources`][] over the case types and
            programs the policy names and the default vocabulary).
        actions: The lifecycle actions to try (default: those the policy names, or
            ``submit``).
        settings: Hypothesis settings (default: the active profile).

    Raises:
        AssertionError: A broken property, with the smallest example Hypothesis found.
    """
    vocabulary = _vocabulary(policy)
    principal_strategy = principals or _principals(
        roles=tuple(sorted({*vocabulary["roles"], *ROLES}))
    )
    resource_strategy = resources or case_resources(
        case_types=vocabulary["case_types"] or CASE_TYPES,
        programs=tuple(sorted({*vocabulary["programs"], *PROGRAMS})),
    )
    tried = tuple(actions) if actions is not None else vocabulary["actions"]

    @given(principal_strategy, resource_strategy)
    def search(principal: Principal, resource: CaseResource) -> None:
        problems = no_leak_violations(policy, principal, resource, actions=tried)
        assert not problems, "\n".join(problems)

    (settings(search) if settings is not None else search)()


_principals = principals
