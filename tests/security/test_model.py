"""Principals, case resources and rules are validated at the door; policies when declared."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from casekit.cases import Owner, Participant, ParticipantRole, ProductDeliveryCase
from casekit.clock import ManualClock
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
    PrincipalKind,
    Relationship,
    owner_ref,
)

from ._policy import RULES


# ----- principals ------------------------------------------------------------------------
def test_a_principal_precomputes_what_the_policy_compares() -> None:
    ann = Principal("ann", ["caseworker"], org_unit="ou-1", teams={"intake"}, clearance=3)
    assert ann.roles == frozenset({"caseworker"})
    assert ann.user_ref == "User:ann"
    assert ann.group_refs == {"Position:intake", "Work Queue:intake", "Org Unit:ou-1"}
    assert ann.refs == ann.group_refs | {"User:ann"}
    assert str(ann) == "user ann"
    assert not ann.is_automatic


def test_an_automatic_check_is_its_own_kind_and_related_to_nothing() -> None:
    sweep = Principal.system("deadline-sweep", roles={"system"})
    assert sweep.kind is PrincipalKind.AUTOMATIC
    assert sweep.is_automatic
    assert sweep.clearance == 5
    assert sweep.user_ref == ""
    assert sweep.refs == frozenset()
    assert str(sweep) == "automatic check deadline-sweep"
    # A person calling themselves "system" is still a person.
    impostor = Principal("system", {"system"})
    assert impostor.kind is PrincipalKind.USER
    assert impostor != Principal.system("system", roles={"system"}, clearance=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": ""}, "Principal.id must be a non-blank string"),
        ({"id": "u", "roles": "caseworker"}, "Principal.roles must be a set of ids"),
        ({"id": "u", "roles": ["ok", " "]}, "an id in Principal.roles"),
        ({"id": "u", "clearance": 0}, "Principal.clearance must be a level from 1 to 5, got 0"),
        ({"id": "u", "clearance": 6}, "Principal.clearance must be a level from 1 to 5, got 6"),
        (
            {"id": "u", "clearance": True},
            "Principal.clearance must be a level from 1 to 5 \\(an integer\\)",
        ),
        ({"id": "u", "teams": 3}, "Principal.teams must be a set of ids"),
        ({"id": "u", "location": ""}, "Principal.location must be a non-blank string"),
        ({"id": "u", "kind": "robot"}, "Principal.kind must be one of automatic, user"),
    ],
)
def test_a_malformed_principal_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Principal(**kwargs)  # type: ignore[arg-type]


# ----- case resources --------------------------------------------------------------------
def test_owner_references_name_the_owner_kind() -> None:
    assert owner_ref(Owner.user("ann")) == "User:ann"
    assert owner_ref(Owner.work_queue("intake")) == "Work Queue:intake"
    assert owner_ref("Org Unit:east") == "Org Unit:east"
    for bad in ["ann", "Robot:r2", "User:", "User: ", 7]:
        with pytest.raises(ValidationError, match="kind one of Org Unit, Position, User"):
            owner_ref(bad)  # type: ignore[arg-type]


def test_a_case_resource_is_built_from_a_case_without_io() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    case = ProductDeliveryCase.create(
        id="PDC-1",
        product="Basic Allowance",
        primary_client="client-1",
        participants=[Participant("kid-1", ParticipantRole.MEMBER)],
        owner=Owner.user("ann"),
        supervisor=Owner.position("team-lead"),
        clock=clock,
    )
    case.add_task("check income", "bob", actor="ann")
    done = case.add_task("call client", "max", actor="ann")
    case.complete_task(done.id, actor="max")
    resource = CaseResource.of(
        case,
        sensitivity=2,
        participant_sensitivity={"kid-1": 4, "not-on-the-case": 5},
        location="north",
        program="SNAP",
    )
    assert resource == CaseResource(
        "PDC-1",
        "Product Delivery Case",
        "Open",
        "User:ann",
        supervisor="Position:team-lead",
        reviewer="User:ann",  # the reviewer defaults to the owner
        task_assignees={"bob"},  # open tasks only
        participants={"client-1", "kid-1"},
        sensitivity=4,  # the highest of the case's and its participants'
        location="north",
        program="SNAP",
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"case_id": ""}, "CaseResource.case_id must be a non-blank string"),
        ({"owner": "ann"}, "an owner reference must be an Owner or '<kind>:<id>'"),
        ({"supervisor": "Boss:x"}, "an owner reference must be"),
        ({"sensitivity": 9}, "CaseResource.sensitivity must be a level from 1 to 5, got 9"),
        ({"participants": "client-1"}, "CaseResource.participants must be a set of ids"),
        ({"task_assignees": [""]}, "an id in CaseResource.task_assignees"),
        ({"program": " "}, "CaseResource.program must be a non-blank string"),
    ],
)
def test_a_malformed_case_resource_is_refused(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "case_id": "C-1",
        "case_type": "Product Delivery Case",
        "status": "Open",
        "owner": "User:ann",
    }
    with pytest.raises(ValidationError, match=message):
        CaseResource(**{**fields, **kwargs})  # type: ignore[arg-type]


def test_case_resource_of_refuses_what_is_not_a_case_or_a_level() -> None:
    with pytest.raises(ValidationError, match="the case of a CaseResource must be a Case"):
        CaseResource.of("PDC-1")  # type: ignore[arg-type]
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    case = ProductDeliveryCase.create(
        product="Basic", primary_client="c", owner=Owner.user("ann"), clock=clock
    )
    with pytest.raises(
        ValidationError, match="the sensitivity of participant 'c' must be a level from 1 to 5"
    ):
        CaseResource.of(case, participant_sensitivity={"c": 7})
    with pytest.raises(ValidationError, match=r"participant_sensitivity for .* must be a mapping"):
        CaseResource.of(case, participant_sensitivity=[("c", 2)])  # type: ignore[arg-type]


# ----- rules and policies ----------------------------------------------------------------
def test_rules_accept_one_value_or_a_set_and_describe_themselves() -> None:
    grant = Grant(
        roles="supervisor",
        permissions="perform",
        case_types="Product Delivery Case",
        actions={"approve", "reject"},
        relationship="supervisor",
    )
    assert grant.roles == frozenset({"supervisor"})
    assert grant.permissions == frozenset({Permission.PERFORM})
    assert grant.relationship is Relationship.SUPERVISOR
    assert grant.describe() == (
        "grants perform on Product Delivery Case to supervisor for actions approve, reject "
        "as supervisor"
    )
    deny = Deny(permissions=set(Permission), relationship=Relationship.PARTICIPANT)
    assert deny.roles is ANY
    assert deny.describe() == "denies every permission on any case type for any role as participant"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Grant(roles=[], permissions="read"), "Grant.roles is empty"),
        (lambda: Grant(roles=ANY, permissions="read"), "a grant to every role is refused"),
        (
            lambda: Grant(roles="cw", permissions="reed"),
            "must be one of approve, assign, break_glass, create, edit, export, perform, read, "
            "reveal, route, secure, got 'reed'",
        ),
        (lambda: Grant(roles="cw", permissions=[]), "Grant.permissions is empty; name at least"),
        (
            lambda: Grant(roles="cw", permissions="read", relationship="boss"),
            "must be a Relationship \\(ANY, OWNER, SUPERVISOR, REVIEWER, TASK_ASSIGNEE, "
            "MEMBER, PARTICIPANT\\), got 'boss'",
        ),
        (
            lambda: Deny(permissions="read", relationship=Relationship(0)),
            "must be a Relationship",
        ),
        (lambda: Deny(permissions="read", case_types=set()), "case_types is empty"),
        (lambda: Deny(permissions="read", name=""), "a rule's name must be a non-blank"),
    ],
)
def test_a_malformed_rule_is_refused_naming_the_valid_values(make: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make()  # type: ignore[operator]


def test_a_policy_names_its_unnamed_rules_and_refuses_duplicate_or_reserved_names() -> None:
    policy = AccessPolicy(
        [
            Grant(roles="a", permissions="read"),
            Deny(permissions="read", roles="b"),
            Grant(roles="c", permissions="read"),
        ]
    )
    assert [r.name for r in policy.rules] == ["grant #1", "deny #1", "grant #2"]
    with pytest.raises(ValidationError, match="rule name 'x' is already used"):
        AccessPolicy([Grant(name="x", roles="a", permissions="read")] * 2)
    with pytest.raises(ValidationError, match="rule name 'default deny' is reserved"):
        AccessPolicy([Grant(name="default deny", roles="a", permissions="read")])


def test_a_policy_refuses_unknown_case_types_and_actions_when_declared() -> None:
    with pytest.raises(
        ValidationError, match="names case types Investigation case that are not known; known: "
    ):
        AccessPolicy([Deny(permissions="read", case_types="Investigation case")])
    with pytest.raises(ValidationError, match="names actions aprove that no lifecycle"):
        AccessPolicy(
            [
                Grant(
                    roles="s",
                    permissions="perform",
                    case_types="Product Delivery Case",
                    actions="aprove",
                )
            ]
        )
    # Case types declared elsewhere are named through known_case_types.
    policy = AccessPolicy(
        [Grant(roles="s", permissions="perform", case_types="Visit", actions="schedule")],
        known_case_types={"Visit"},
    )
    assert policy.known_case_types == {"Visit"}
    for bad_rules in ["not rules", [Grant(roles="a", permissions="read"), "x"]]:
        with pytest.raises(ValidationError, match=r"AccessPolicy\.rules must"):
            AccessPolicy(bad_rules)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"AccessPolicy\.location_mode must be one of"):
        AccessPolicy([], location_mode="sometimes")  # type: ignore[arg-type]


def test_a_policy_is_data_equal_by_its_rules_and_mode() -> None:
    one = AccessPolicy(RULES, location_mode=LocationMode.ON)
    assert one == AccessPolicy(RULES, location_mode="on")
    assert one != attrs.evolve(one, location_mode=LocationMode.OFF)
