"""Decisions of the realistic policy, run on the built-in engine and on its Cedar translation."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from casekit.errors import AccessDenied, CasekitError, ValidationError
from casekit.security import (
    DEFAULT_DENY,
    LOCATION_SECURITY,
    SENSITIVITY,
    AccessPolicy,
    Authorizer,
    CaseResource,
    LocationMode,
    Permission,
    Principal,
)

from ._policy import INVESTIGATION, PDC, POLICY

MakeEngine = Callable[[AccessPolicy], Authorizer]

ANN = Principal("ann", {"caseworker"}, location="north", clearance=3, teams={"intake"})
BOB = Principal("bob", {"caseworker"}, location="north", clearance=3, teams={"intake"})
SUE = Principal("sue", {"supervisor"}, location="south", clearance=3)
MAX = Principal("max", {"caseworker"}, location="north", clearance=3)
IVY = Principal("ivy", {"investigator"}, location="north", clearance=5)
CLEO = Principal("cleo", {"clerk"}, location="north", clearance=2, teams={"snap-queue"})
AUDREY = Principal("audrey", {"auditor"}, location="north", clearance=5)
NOBODY = Principal("nobody", location="north", clearance=5)

CASE = CaseResource(
    "PDC-1",
    PDC,
    "Open",
    "User:ann",
    supervisor="User:sue",
    task_assignees={"max"},
    participants={"client-1"},
    sensitivity=2,
    location="north",
    program="SNAP",
    work_queue="snap-queue",
)
QUEUE_CASE = attrs.evolve(CASE, case_id="PDC-2", owner="Work Queue:intake")
OWN_CASE = attrs.evolve(CASE, case_id="PDC-3", participants={"client-1", "ann"})
SECRET = attrs.evolve(CASE, case_id="PDC-4", sensitivity=4)
TANF = attrs.evolve(CASE, case_id="PDC-5", program="TANF")
PROBE = CaseResource("INV-1", INVESTIGATION, "Open", "User:ivy", sensitivity=5, location="north")

P = Permission
# principal, permission, case, action, allowed, rule
TABLE = [
    (ANN, P.READ, CASE, None, True, "staff read benefit cases"),
    (ANN, P.PERFORM, CASE, "submit", True, "caseworkers work their cases"),
    (ANN, P.REVEAL, CASE, None, True, "owners reveal"),
    (ANN, P.ASSIGN, CASE, None, False, DEFAULT_DENY),
    (BOB, P.READ, CASE, None, True, "staff read benefit cases"),
    (BOB, P.PERFORM, CASE, "submit", False, DEFAULT_DENY),
    (BOB, P.REVEAL, CASE, None, False, DEFAULT_DENY),
    (BOB, P.PERFORM, QUEUE_CASE, "submit", True, "caseworkers work their cases"),
    (MAX, P.EDIT, CASE, None, True, "caseworkers work their cases"),
    (SUE, P.PERFORM, CASE, "approve", True, "supervisors decide"),
    (SUE, P.PERFORM, CASE, "submit", False, DEFAULT_DENY),
    (SUE, P.ASSIGN, CASE, None, True, "supervisors assign"),
    (ANN, P.PERFORM, OWN_CASE, "submit", False, "no work on your own case"),
    (ANN, P.READ, OWN_CASE, None, True, "staff read benefit cases"),
    (ANN, P.READ, SECRET, None, False, SENSITIVITY),
    (IVY, P.READ, PROBE, None, True, "investigators investigate"),
    (IVY, P.PERFORM, PROBE, "close", True, "investigators investigate"),
    (ANN, P.READ, PROBE, None, False, "investigations stay with investigators"),
    (CLEO, P.EDIT, CASE, None, True, "SNAP clerks edit queue cases"),
    (CLEO, P.EDIT, TANF, None, False, DEFAULT_DENY),
    (AUDREY, P.EXPORT, PROBE, None, True, "auditors read and export"),
    (AUDREY, P.REVEAL, CASE, None, False, DEFAULT_DENY),
    (NOBODY, P.READ, CASE, None, False, DEFAULT_DENY),
]


Row = tuple[Principal, Permission, CaseResource, str | None, bool, str]


@pytest.mark.parametrize(
    "row", TABLE, ids=[f"{p.id}-{perm.value}-{r.case_id}-{a}" for p, perm, r, a, _, _ in TABLE]
)
def test_the_policy_decides_and_names_the_rule(make_engine: MakeEngine, row: Row) -> None:
    principal, permission, resource, action, allowed, rule = row
    decision = make_engine(POLICY).decide(principal, permission, resource, action=action)
    assert (decision.allowed, decision.rule) == (allowed, rule), decision.reason


# Location security: CASE is in the north; SUE (its supervisor) and OUTSIDER in the south.
OUTSIDER = attrs.evolve(BOB, location="south")
LOCATION_TABLE = {
    # mode: what outsiders granted read, perform (a member of the case's queue) and export
    # (an auditor) may still do
    LocationMode.OFF: {P.READ, P.PERFORM, P.EXPORT},
    LocationMode.ON: set(),
    LocationMode.RESTRICTED_VIEW: {P.READ},
    LocationMode.READ_ONLY: {P.READ, P.EXPORT},
}


@pytest.mark.parametrize("mode", list(LocationMode))
def test_location_security_keeps_outsiders_to_what_the_mode_leaves(
    make_engine: MakeEngine, mode: LocationMode
) -> None:
    policy = attrs.evolve(POLICY, location_mode=mode)
    engine = make_engine(policy)
    outsider_owner = attrs.evolve(CASE, owner="User:someone", work_queue="intake")
    resource = attrs.evolve(outsider_owner, case_id="PDC-9")
    allowed = {
        permission
        for permission, who, action in [
            (P.READ, OUTSIDER, None),
            (P.PERFORM, OUTSIDER, "submit"),
            (P.EXPORT, attrs.evolve(AUDREY, location="south"), None),
        ]
        if engine.decide(who, permission, resource, action=action).allowed
    }
    assert allowed == LOCATION_TABLE[mode]
    # The owner and the supervisor are always in; so is a declared automatic check.
    assert engine.decide(
        attrs.evolve(ANN, location="south"), P.PERFORM, CASE, action="submit"
    ).allowed
    assert engine.decide(SUE, P.PERFORM, CASE, action="approve").allowed
    sweep = Principal.system("sweep", roles={"auditor"})
    assert engine.decide(sweep, P.EXPORT, CASE).allowed
    if mode is LocationMode.ON:
        denial = engine.decide(OUTSIDER, P.READ, resource)
        assert denial.rule == LOCATION_SECURITY


def test_without_roles_everything_is_denied(make_engine: MakeEngine) -> None:
    engine = make_engine(POLICY)
    for principal in [NOBODY, Principal.system("sweep")]:
        for permission in Permission:
            decision = engine.decide(principal, permission, CASE, action="submit")
            assert not decision.allowed
            assert decision.rule == DEFAULT_DENY


def test_check_raises_access_denied_with_the_decision(make_engine: MakeEngine) -> None:
    engine = make_engine(POLICY)
    assert engine.check(ANN, P.READ, CASE).allowed
    with pytest.raises(AccessDenied) as caught:
        engine.check(BOB, "perform", CASE, action="submit")
    error = caught.value
    assert isinstance(error, PermissionError)
    assert isinstance(error, CasekitError)
    assert error.decision == engine.decide(BOB, P.PERFORM, CASE, action="submit")
    assert str(error).startswith("user bob may not perform 'submit' on PDC-1: ")
    assert str(error).endswith("(rule 'default deny')")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ann", P.READ, CASE, None), "the principal of an access decision must be a Principal"),
        ((ANN, "peek", CASE, None), "the permission asked for must be one of approve, assign"),
        ((ANN, P.READ, "PDC-1", None), "the resource of an access decision must be a CaseResource"),
        ((ANN, P.PERFORM, CASE, None), "deciding 'perform' on PDC-1 needs action="),
        ((ANN, P.PERFORM, CASE, " "), "the action of an access decision must be a non-blank"),
        ((ANN, P.PERFORM, CASE, 3), "the action of an access decision must be a non-blank"),
    ],
)
def test_a_malformed_request_is_refused(
    make_engine: MakeEngine, args: tuple[object, object, object, object], message: str
) -> None:
    engine = make_engine(POLICY)
    principal, permission, resource, action = args
    for call in (engine.decide, engine.check):
        with pytest.raises(ValidationError, match=message):
            call(principal, permission, resource, action=action)  # type: ignore[arg-type]


def test_explain_names_the_rule_that_allowed_or_denied() -> None:
    denial = POLICY.decide(BOB, P.APPROVE, CASE)
    assert POLICY.explain(denial) == (
        "denied by rule 'default deny': no rule grants 'approve' on Product Delivery Case to "
        "roles {caseworker} in program 'SNAP' (relationships to PDC-1: none)"
    )
    allowed = POLICY.decide(SUE, P.PERFORM, CASE, action="approve")
    assert allowed.explain() == (
        "allowed by rule 'supervisors decide': grants perform on Payment Correction Case, "
        "Product Delivery Case to supervisor for actions approve, reject as supervisor"
    )
    assert POLICY.decide(ANN, P.READ, SECRET).explain() == (
        "denied by rule 'sensitivity': PDC-4 has sensitivity 4, above the clearance 3 of user ann"
    )
    with pytest.raises(ValidationError, match="the decision to explain must be a"):
        POLICY.explain("allowed")  # type: ignore[arg-type]


def test_a_permission_may_be_given_by_its_value() -> None:
    assert POLICY.decide(ANN, "read", CASE) == POLICY.decide(ANN, P.READ, CASE)


def test_the_read_filter_describes_the_readable_cases() -> None:
    read = POLICY.read_filter(ANN)
    assert read.max_sensitivity == 3
    assert not read.location_restricted  # restricted view lets outsiders read
    assert [c.rule for c in read.grants] == ["staff read benefit cases"]
    assert [c.rule for c in read.denies] == ["investigations stay with investigators"]
    assert read.readable_case_types == {
        "Application Case",
        "Assessment Case",
        "Integrated Case",
        "Payment Correction Case",
        PDC,
        "Screening Case",
    }
    assert read.matches(CASE)
    assert not read.matches(SECRET)
    assert not read.matches(PROBE)
    assert read.describe().startswith("sensitivity <= 3 and (case_type in [")
    on = attrs.evolve(POLICY, location_mode=LocationMode.ON).read_filter(OUTSIDER)
    assert on.location_restricted
    assert not on.matches(CASE)
    assert POLICY.read_filter(AUDREY).readable_case_types is None  # every case type
