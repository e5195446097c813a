"""A read filter as a label query (casekit.storage.readable), checked without a database.

The label query a read filter becomes must match a case's labels exactly when the policy
lets the principal read the case; the storage contract (``ReadableCasesContract``) then
checks each adapter runs the query as ``matches`` says. Here the first half is searched
hard, in memory, where examples are cheap.
"""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casekit.cases import Case, Owner, ProductDeliveryCase
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
from casekit.storage import MemoryStorage, readable_query
from casekit.storage.label_query import AllOf, Has
from casekit.storage.readable import case_labels, resource_labels
from casekit.testing.contract_readable import read_policies, secured_cases, staff
from casekit.testing.security import case_resources, principals

STORAGE = MemoryStorage()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(read_policies(), st.lists(principals() | staff(), min_size=1, max_size=4), case_resources())
def test_the_query_of_a_read_filter_matches_what_it_matches(
    policy: AccessPolicy, people: list[Principal], resource: CaseResource
) -> None:
    """On the labels of any resource, as ``ReadFilter.matches`` and ``decide(READ)``."""
    labels = resource_labels(resource)
    for principal in people:
        read_filter = policy.read_filter(principal)
        allowed = policy.decide(principal, Permission.READ, resource).allowed
        assert read_filter.matches(resource) is allowed
        assert readable_query(read_filter).matches(labels) is allowed, (principal, resource)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), read_policies(), st.lists(staff(), min_size=1, max_size=4))
def test_the_query_of_a_read_filter_matches_what_decide_lets_read(
    data: st.DataObject, policy: AccessPolicy, people: list[Principal]
) -> None:
    cases: list[Case[Any]] = data.draw(secured_cases(STORAGE, "C-", max_size=8))
    for principal in people:
        query = readable_query(policy.read_filter(principal))
        for case in cases:
            allowed = policy.decide(principal, Permission.READ, CaseResource.of(case)).allowed
            assert query.matches(case_labels(case)) is allowed, (principal, case, query)


_REFS = (
    "User:ann",
    "User:bob",
    "Work Queue:intake",
    "Position:intake",
    "Org Unit:ou-east",
    "Work Queue:appeals",
)
_ANN = Principal(
    "ann", {"caseworker"}, teams={"intake"}, org_unit="ou-east", location="north", clearance=3
)


@pytest.mark.parametrize("kind", ["grant", "deny"])
@pytest.mark.parametrize("mode", list(LocationMode))
@pytest.mark.parametrize("relationship", list(Relationship))
@pytest.mark.parametrize("principal", [_ANN, Principal.system("sweep", roles={"caseworker"})])
def test_every_relationship_and_location_mode_on_a_grid(
    kind: str, mode: LocationMode, relationship: Relationship, principal: Principal
) -> None:
    """Every owner, supervisor and reviewer reference, location, queue, task and participant."""
    rules: list[Grant | Deny] = [
        Grant(roles="caseworker", permissions=Permission.READ, relationship=relationship)
    ]
    if kind == "deny":
        rules = [
            Grant(roles="caseworker", permissions=Permission.READ, relationship=ANY),
            Deny(permissions=Permission.READ, relationship=relationship),
        ]
    policy = AccessPolicy(rules, location_mode=mode)
    query = readable_query(policy.read_filter(principal))
    for owner, supervisor, reviewer, location, queue, people in product(
        _REFS,
        (None, *_REFS),
        (None, *_REFS),
        (None, "north", "south"),
        (None, "intake", "appeals"),
        (frozenset(), frozenset({principal.id})),
    ):
        resource = CaseResource(
            "C-1",
            "Product Delivery Case",
            "Open",
            owner,
            supervisor=supervisor,
            reviewer=reviewer,
            location=location,
            work_queue=queue,
            task_assignees=people,
            participants=people,
        )
        allowed = policy.decide(principal, Permission.READ, resource).allowed
        assert query.matches(resource_labels(resource)) is allowed, resource


def test_the_labels_are_the_resource_and_the_priority() -> None:
    case = ProductDeliveryCase.create(
        id="PDC-1",
        product="SNAP",
        primary_client="c1",
        owner=Owner.work_queue("intake"),
        supervisor=Owner.user("sue"),
        sensitivity=3,
        location="north",
        work_queue="appeals",
    )
    task = case.add_task("call", "bob", actor="ann")
    case.add_task("write", "max", actor="ann")
    case.complete_task(task.id, actor="bob")
    assert case_labels(case) == {
        "case_type": "Product Delivery Case",
        "status": "Open",
        "owner": "Work Queue:intake",
        "supervisor": "User:sue",
        "reviewer": "Work Queue:intake",
        "sensitivity": "3",
        "location": "north",
        "program": "SNAP",
        "work_queue": "appeals",
        "task_assignees": ("max",),
        "participants": ("c1",),
        "priority": "Normal",
    }
    assert case_labels(case) == {
        **resource_labels(CaseResource.of(case)),
        "priority": "Normal",
    }


def test_a_case_stored_without_a_sensitivity_label_is_readable_by_no_one() -> None:
    """Cases labelled before these labels existed fail closed until saved again."""
    policy = AccessPolicy([Grant(roles="auditor", permissions=Permission.READ)])
    query = readable_query(policy.read_filter(Principal("ann", {"auditor"}, clearance=5)))
    old = {"case_type": "Investigation Case", "status": "Open", "owner": "User:x"}
    assert not query.matches(old)
    assert query.matches({**old, "sensitivity": "4"})


def test_the_query_reads_the_relationships_first() -> None:
    """Its entry terms are the principal's relationships, not the sensitivity levels."""
    policy = AccessPolicy(
        [
            Grant(
                roles="caseworker",
                permissions=Permission.READ,
                relationship="OWNER",
            ),
            Grant(roles="caseworker", permissions=Permission.READ, relationship="MEMBER"),
        ],
        location_mode=LocationMode.ON,
    )
    ann = Principal("ann", {"caseworker"}, teams={"intake"}, location="north", org_unit="ou")
    query = readable_query(policy.read_filter(ann))
    assert isinstance(query, AllOf)
    assert query.entry_terms() == (
        ("owner", "Org Unit:ou"),
        ("owner", "Position:intake"),
        ("owner", "User:ann"),
        ("owner", "Work Queue:intake"),
        ("work_queue", "intake"),
    )
    assert query.parts[1] == Has("sensitivity", "1")  # clearance 1
