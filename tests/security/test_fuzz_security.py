"""The atomicity fuzz over casekit.security: every bad argument refused with a CasekitError."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from casekit.cases import CASE_TYPES, Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.security import (
    AccessPolicy,
    CaseResource,
    Deny,
    Grant,
    Permission,
    Principal,
    Relationship,
    owner_ref,
)
from casekit.testing.fuzz import Call, FuzzReport, FuzzTarget, Operation, constructor

from ._policy import POLICY, RULES

ANN = Principal("ann", {"caseworker"}, location="north", clearance=3, teams={"intake"})
CASE = CaseResource(
    "PDC-1",
    "Product Delivery Case",
    "Open",
    "User:ann",
    supervisor="User:sue",
    sensitivity=2,
    location="north",
    program="SNAP",
)


def pdc() -> ProductDeliveryCase:
    return ProductDeliveryCase.create(
        id="PDC-1",
        product="Basic Allowance",
        primary_client="client-1",
        owner=Owner.user("ann"),
        clock=ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC)),
    )


@attrs.define
class Nothing:
    """The subject of stateless operations (constructors, functions of their arguments)."""


TARGETS: list[FuzzTarget[Any]] = [
    FuzzTarget(
        "security constructors and functions",
        Nothing,
        methods={
            "Principal": constructor(Principal),
            "Principal.system": Operation(Principal.system),
            "CaseResource": constructor(CaseResource),
            "CaseResource.of": Operation(CaseResource.of),
            "Grant": constructor(Grant),
            "Deny": constructor(Deny),
            "AccessPolicy": constructor(AccessPolicy),
            "owner_ref": Operation(owner_ref),
        },
        good_args={
            "Principal": Call(
                "ann",
                {"caseworker"},
                org_unit="ou",
                location="north",
                clearance=3,
                teams={"intake"},
            ),
            "Principal.system": Call("sweep", roles={"auditor"}, clearance=4),
            "CaseResource": Call(
                "PDC-1",
                "Product Delivery Case",
                "Open",
                "User:ann",
                supervisor="User:sue",
                reviewer=Owner.user("ann"),
                task_assignees={"max"},
                participants={"client-1"},
                sensitivity=2,
                location="north",
                org_unit="ou",
                program="SNAP",
                work_queue="intake",
            ),
            "CaseResource.of": lambda _: Call(
                pdc(),
                sensitivity=2,
                participant_sensitivity={"client-1": 3},
                location="north",
                org_unit="ou",
                program="SNAP",
                work_queue="intake",
            ),
            "Grant": Call(
                roles={"caseworker"},
                permissions={Permission.READ},
                case_types={"Product Delivery Case"},
                actions={"submit"},
                programs={"SNAP"},
                relationship=Relationship.OWNER,
                name="g",
            ),
            "Deny": Call(
                permissions={Permission.READ},
                roles={"clerk"},
                case_types={"Product Delivery Case"},
                actions={"submit"},
                programs={"SNAP"},
                relationship=Relationship.PARTICIPANT,
                name="d",
            ),
            "AccessPolicy": Call(RULES, location_mode="on", known_case_types=frozenset(CASE_TYPES)),
            "owner_ref": Call(Owner.user("ann")),
        },
    ),
    FuzzTarget(
        "AccessPolicy",
        lambda: POLICY,
        methods=["decide", "check", "explain", "read_filter"],
        good_args={
            "decide": Call(ANN, Permission.PERFORM, CASE, action="submit"),
            "check": Call(ANN, Permission.PERFORM, CASE, action="submit"),
            "explain": Call(POLICY.decide(ANN, Permission.READ, CASE)),
            "read_filter": Call(ANN),
        },
    ),
    FuzzTarget(
        "ReadFilter",
        lambda: POLICY.read_filter(ANN),
        methods=["matches", "describe"],
        good_args={"matches": Call(CASE)},
    ),
]


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_security_validates_at_the_door(
    target: FuzzTarget[Any], fuzz_reports: list[FuzzReport]
) -> None:
    report = target.run(seed=0, max_calls=200)
    fuzz_reports.append(report)
    assert report.tried > 0, report
    report.assert_clean(allow_suspect=False)
