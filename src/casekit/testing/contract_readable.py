"""The contract of filtered case queries: ``query(readable_by=...)`` returns what the policy allows.

`ReadableCasesContract` stores random cases (case types, owners, supervisors, reviewers,
open and closed tasks, participants, sensitivity, location, org unit, work queue, program),
draws random policies ([`read_policies`][]) and principals, and checks that
``uow.cases.query(readable_by=policy.read_filter(principal), ...)`` returns exactly the
cases ``policy.decide(principal, READ, CaseResource.of(case)).allowed`` holds for, in id
order, page by page (``after``, ``limit``), alone and with the repository's other filters.
The in-memory adapter evaluates the filter in memory; SQLite and PostgreSQL in the
database: the same test holds all three to the policy.

Subclass it as ``Test...`` with a ``storage`` fixture (class- or session-scoped, so
Hypothesis may use it), as for the other contracts; `StorageContract`
(`casekit.testing.storage_contract`) includes it.

Needs ``pip install casekit[testing]`` (pytest and Hypothesis).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casekit.cases import (
    Case,
    InvestigationCase,
    Owner,
    Participant,
    ParticipantRole,
    ProductDeliveryCase,
)
from casekit.errors import ValidationError
from casekit.security import (
    ANY,
    AccessPolicy,
    CaseResource,
    Deny,
    Grant,
    LocationMode,
    Permission,
    Principal,
    Relationship,
)
from casekit.storage.unit_of_work import Storage
from casekit.testing.contract_support import unique
from casekit.testing.security import LOCATIONS, PEOPLE, PROGRAMS, ROLES, TEAMS

__all__ = ["ReadableCasesContract", "read_policies", "secured_cases", "staff"]

_CASE_TYPES = ("Product Delivery Case", "Investigation Case")
_ORG_UNITS = ("ou-east", "ou-west")  # as casekit.testing.security's principals
_CLIENTS = ("client-1", "client-2")
_PERMISSIONS = (Permission.READ, Permission.EDIT, Permission.EXPORT, Permission.PERFORM)


def _scope(values: tuple[str, ...]) -> st.SearchStrategy[Any]:
    return st.just(ANY) | st.frozensets(st.sampled_from(values), min_size=1)


_relationships = st.just(ANY) | st.builds(
    lambda members: Relationship(sum(m.value for m in members)),
    st.frozensets(st.sampled_from(list(Relationship)), min_size=1),
)
_permissions = st.one_of(
    st.just(frozenset({Permission.READ})),
    st.builds(
        frozenset.union,
        st.just(frozenset({Permission.READ})),
        st.frozensets(st.sampled_from(_PERMISSIONS)),
    ),
    st.frozensets(st.sampled_from(_PERMISSIONS), min_size=1),
)


def _rule(kind: type[Grant] | type[Deny]) -> st.SearchStrategy[Grant | Deny]:
    roles = st.frozensets(st.sampled_from(ROLES), min_size=1) if kind is Grant else _scope(ROLES)
    return st.builds(
        kind,
        roles=roles,
        permissions=_permissions,
        case_types=_scope(_CASE_TYPES),
        actions=st.just(ANY) | st.just(frozenset({"close"})),
        programs=_scope(PROGRAMS),
        relationship=_relationships,
    )


def read_policies(*, max_rules: int = 6) -> st.SearchStrategy[AccessPolicy]:
    """Random access policies over the vocabulary of `casekit.testing.security`.

    Grants and denies (mostly about ``read``) on Product Delivery and Investigation Cases,
    with random roles, case types, programs, relationships, some naming actions (which a
    read filter leaves out), under a random location mode.

    Complexity: O(max_rules) per example drawn.
    """
    return st.builds(
        AccessPolicy,
        st.lists(
            _rule(Grant) | _rule(Grant) | _rule(Grant) | _rule(Deny), min_size=1, max_size=max_rules
        ),
        location_mode=st.sampled_from(list(LocationMode)),
    )


_refs = st.one_of(
    st.builds(Owner.user, st.sampled_from(PEOPLE)),
    st.builds(Owner.work_queue, st.sampled_from(TEAMS)),
    st.builds(Owner.position, st.sampled_from(TEAMS)),
    st.builds(Owner.org_unit, st.sampled_from(_ORG_UNITS)),
)


def _optional(values: tuple[str, ...]) -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(values)


def staff() -> st.SearchStrategy[Principal]:
    """Principals holding at least one role (now and then a declared automatic check).

    Drawn from the vocabulary of `casekit.testing.security`, so they meet the cases of
    [`secured_cases`][] often.

    Complexity: O(1) per example drawn.
    """
    roles = st.frozensets(st.sampled_from(ROLES), min_size=1)
    people = st.builds(
        Principal,
        st.sampled_from(PEOPLE),
        roles,
        org_unit=_optional(_ORG_UNITS),
        location=_optional(LOCATIONS),
        clearance=st.integers(1, 5),
        teams=st.frozensets(st.sampled_from(TEAMS)),
    )
    checks = st.builds(Principal.system, st.just("sweep"), roles=roles)
    return st.one_of(people, people, people, checks)


@st.composite
def _case(draw: st.DrawFn, case_id: str, storage: Storage) -> Case[Any]:
    kind = draw(st.sampled_from([ProductDeliveryCase, InvestigationCase]))
    people = (*PEOPLE, *_CLIENTS)
    primary = draw(_optional(people))
    others = draw(st.frozensets(st.sampled_from(people), max_size=2))
    common: dict[str, Any] = {
        "id": case_id,
        "owner": draw(_refs),
        "supervisor": draw(st.none() | _refs),
        "reviewer": draw(st.none() | _refs),
        "primary_client": primary,
        "participants": [Participant(p, ParticipantRole.MEMBER) for p in sorted(others)],
        "sensitivity": draw(st.none() | st.integers(1, 5)),
        "location": draw(_optional(LOCATIONS)),
        "org_unit": draw(_optional(_ORG_UNITS)),
        "work_queue": draw(_optional(TEAMS)),
        "clock": storage.clock,
    }
    if kind is ProductDeliveryCase:
        case: Case[Any] = ProductDeliveryCase.create(
            product=draw(st.sampled_from((*PROGRAMS, "Basic Allowance"))), **common
        )
    else:
        case = InvestigationCase.create(**common)
    for person, done in draw(
        st.lists(st.tuples(st.sampled_from(PEOPLE), st.booleans()), max_size=3)
    ):
        task = case.add_task("look into it", person, actor="intake")
        if done:
            case.complete_task(task.id, actor=person)
    return case


@st.composite
def secured_cases(
    draw: st.DrawFn, storage: Storage, prefix: str, *, max_size: int = 12
) -> list[Case[Any]]:
    """Random cases with ids ``<prefix>000``, ``<prefix>001`` ..., bound to ``storage``'s clock.

    Owners, supervisors and reviewers are people, queues, positions and org units of the
    vocabulary of `casekit.testing.security`'s principals, so relationships hold often.

    Complexity: O(max_size) per example drawn.
    """
    count = draw(st.integers(0, max_size))
    return [draw(_case(f"{prefix}{n:03d}", storage)) for n in range(count)]


def _ids(storage: Storage, prefix: str, limit: int, **filters: Any) -> list[str]:
    """Every id under ``prefix`` a query returns, read page by page from ``prefix`` on."""
    found: list[str] = []
    after: str | None = prefix
    with storage.unit_of_work() as uow:
        while after is not None:
            page = uow.cases.query(after=after, limit=limit, **filters)
            assert len(page.items) <= limit
            mine = [case.id for case in page.items if case.id.startswith(prefix)]
            found.extend(mine)
            if len(mine) < len(page.items):
                break  # past this example's cases
            after = page.next_after
    return found


_EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class ReadableCasesContract:
    """The tests every case repository's ``query(readable_by=...)`` must pass."""

    def test_a_filtered_query_returns_exactly_what_the_policy_lets_read(
        self, storage: Storage
    ) -> None:
        """For random cases, policies and principals: exactly what decide(READ) allows.

        In id order, page by page; and with the owner and status filters as well.
        """

        @_EXAMPLES
        @given(
            data=st.data(),
            policy=read_policies(),
            people=st.lists(staff(), min_size=1, max_size=3),
            limit=st.integers(1, 5),
        )
        def check(
            data: st.DataObject, policy: AccessPolicy, people: list[Principal], limit: int
        ) -> None:
            prefix = unique("RF") + "-"
            cases = data.draw(secured_cases(storage, prefix))
            if cases:
                storage.add_all(cases, actor="intake")
            for principal in people:
                readable = policy.read_filter(principal)
                allowed = [
                    case
                    for case in cases
                    if policy.decide(principal, Permission.READ, CaseResource.of(case)).allowed
                ]
                assert _ids(storage, prefix, limit, readable_by=readable) == [
                    case.id for case in allowed
                ]
                if cases:
                    some = data.draw(st.sampled_from(cases))
                    owner, status = some.roles.owner, some.status.value
                    assert _ids(storage, prefix, limit, readable_by=readable, owner=owner) == [
                        case.id for case in allowed if case.roles.owner == owner
                    ]
                    assert _ids(storage, prefix, limit, readable_by=readable, status=status) == [
                        case.id for case in allowed if case.status.value == status
                    ]

        check()

    def test_a_case_changed_after_it_was_stored_is_filtered_as_it_is_now(
        self, storage: Storage
    ) -> None:
        """Saving a case updates what the filter sees: its owner, sensitivity, tasks."""
        prefix = unique("RF") + "-"
        case = ProductDeliveryCase.create(
            id=f"{prefix}000",
            product="SNAP",
            primary_client="client-1",
            owner=Owner.user("ann"),
            clock=storage.clock,
        )
        storage.add_all([case], actor="intake")
        policy = AccessPolicy(
            [
                Grant(
                    roles="caseworker",
                    permissions=Permission.READ,
                    relationship=Relationship.OWNER | Relationship.TASK_ASSIGNEE,
                )
            ]
        )
        ann = policy.read_filter(Principal("ann", {"caseworker"}, clearance=3))
        bob = policy.read_filter(Principal("bob", {"caseworker"}, clearance=3))
        assert _ids(storage, prefix, 10, readable_by=ann) == [case.id]
        assert _ids(storage, prefix, 10, readable_by=bob) == []
        task = case.add_task("call the client", "bob", actor="ann")
        case.set_sensitivity(3, actor="ann", reason="a new allegation")
        with storage.unit_of_work() as uow:
            uow.cases.save(case)
            uow.commit()
        assert _ids(storage, prefix, 10, readable_by=bob) == [case.id]
        case.complete_task(task.id, actor="bob")
        case.set_sensitivity(4, actor="ann", reason="a court order")
        with storage.unit_of_work() as uow:
            uow.cases.save(case)
            uow.commit()
        assert _ids(storage, prefix, 10, readable_by=bob) == []
        assert _ids(storage, prefix, 10, readable_by=ann) == []  # above her clearance

    def test_readable_by_must_be_a_read_filter(self, storage: Storage) -> None:
        """A wrong ``readable_by`` is refused at the door, naming what is valid."""
        policy = AccessPolicy([Grant(roles="caseworker", permissions=Permission.READ)])
        with storage.unit_of_work() as uow:
            for wrong in (policy, Principal("ann", {"caseworker"}), "ann", 1):
                with pytest.raises(ValidationError, match="readable_by of a case query must be a"):
                    uow.cases.query(readable_by=wrong)  # type: ignore[arg-type]
