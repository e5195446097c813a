"""The ``break_glass`` permission, decided alike by the built-in engine and its Cedar twin.

Who may ask to break the glass is the policy's to say, like any permission; location
security never refuses it (reaching across locations is what it is for), sensitivity and
deny rules still do.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from casekit.security import (
    DEFAULT_DENY,
    LOCATION_SECURITY,
    SENSITIVITY,
    AccessPolicy,
    Authorizer,
    CaseResource,
    Deny,
    Grant,
    LocationMode,
    Permission,
    Principal,
    Relationship,
)

MakeEngine = Callable[[AccessPolicy], Authorizer]
P = Permission

POLICY = AccessPolicy(
    [
        Grant(name="owners read", roles="caseworker", permissions=P.READ, relationship="OWNER"),
        Grant(name="on-call may break the glass", roles="on-call", permissions=P.BREAK_GLASS),
        Deny(
            name="not into your own case",
            permissions=P.BREAK_GLASS,
            relationship=Relationship.PARTICIPANT,
        ),
    ]
)
CASE = CaseResource(
    "PDC-1",
    "Product Delivery Case",
    "Open",
    "User:ann",
    participants={"client-1"},
    sensitivity=3,
    location="north",
)
DOC = Principal("doc", {"caseworker", "on-call"}, location="south", clearance=3)


@pytest.mark.parametrize("mode", list(LocationMode))
def test_an_outsider_may_ask_to_break_the_glass_in_every_location_mode(
    make_engine: MakeEngine, mode: LocationMode
) -> None:
    engine = make_engine(attrs.evolve(POLICY, location_mode=mode))
    decision = engine.decide(DOC, P.BREAK_GLASS, CASE)
    assert (decision.allowed, decision.rule) == (True, "on-call may break the glass")
    assert not engine.decide(DOC, P.READ, CASE).allowed  # not the owner: reading is not granted
    assert mode.outside_permissions >= {P.BREAK_GLASS}


def test_location_security_still_refuses_the_rest_and_says_the_glass_is_left(
    make_engine: MakeEngine,
) -> None:
    policy = AccessPolicy(
        [Grant(name="staff read", roles="caseworker", permissions={P.READ, P.BREAK_GLASS})],
        location_mode=LocationMode.ON,
    )
    engine = make_engine(policy)
    denial = engine.decide(DOC, P.READ, CASE)
    assert denial.rule == LOCATION_SECURITY
    if isinstance(engine, AccessPolicy):
        assert "leaves people outside the location nothing but breaking the glass" in (
            denial.reason
        )
    assert engine.decide(DOC, P.BREAK_GLASS, CASE).allowed


def test_sensitivity_deny_rules_and_default_deny_still_refuse_breaking_the_glass(
    make_engine: MakeEngine,
) -> None:
    engine = make_engine(POLICY)
    above = attrs.evolve(CASE, sensitivity=4)
    assert engine.decide(DOC, P.BREAK_GLASS, above).rule == SENSITIVITY
    client = Principal("client-1", {"on-call"}, clearance=5)
    assert engine.decide(client, P.BREAK_GLASS, CASE).rule == "not into your own case"
    plain = Principal("bob", {"caseworker"}, clearance=5)
    assert engine.decide(plain, P.BREAK_GLASS, CASE).rule == DEFAULT_DENY


def test_the_cedar_translation_names_the_permission() -> None:
    cedar = pytest.importorskip("casekit.security.cedar", reason="cedarpy is not installed")
    text = cedar.to_cedar(attrs.evolve(POLICY, location_mode=LocationMode.ON))
    assert 'Action::"break_glass"' in text
    assert '!(action in [Action::"break_glass"])' in text  # location security leaves it
