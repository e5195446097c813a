"""Declaring lifecycles: validation at declaration, compilation, diagrams."""

from __future__ import annotations

import enum

import attrs
import pytest

from casekit.cases import CASE_TYPES, Case, Owner, case_type
from casekit.clock import ManualClock
from casekit.errors import AlreadyExists, GuardRejected, LifecycleDeclarationError, NotFound
from casekit.lifecycle import Action, ActionKind, Deferral, Guard, Lifecycle, to_mermaid


class Light(enum.StrEnum):
    RED = "Red"
    GREEN = "Green"
    AMBER = "Amber"


def test_unknown_status_is_refused() -> None:
    class Other(enum.Enum):
        BLUE = "Blue"

    with pytest.raises(LifecycleDeclarationError, match="unknown status"):
        Lifecycle(
            name="L",
            statuses=Light,
            initial=Light.RED,
            actions=(Action("go", Light.RED, Other.BLUE),),
        )


def test_unreachable_status_is_refused() -> None:
    with pytest.raises(LifecycleDeclarationError, match="unreachable from 'Red': Amber"):
        Lifecycle(
            name="L",
            statuses=Light,
            initial=Light.RED,
            actions=(Action("go", Light.RED, Light.GREEN),),
        )


def test_two_actions_of_one_name_from_one_status_are_refused() -> None:
    with pytest.raises(LifecycleDeclarationError, match="two actions named 'go' from status 'Red'"):
        Lifecycle(
            name="L",
            statuses=Light,
            initial=Light.RED,
            actions=(
                Action("go", Light.RED, Light.GREEN),
                Action("go", Light.RED, Light.AMBER),
            ),
        )


def test_no_initial_status_is_refused() -> None:
    with pytest.raises(LifecycleDeclarationError, match="no initial status"):
        Lifecycle(name="L", statuses=Light, initial=None, actions=())


def test_action_name_must_be_an_identifier_and_have_a_target() -> None:
    with pytest.raises(LifecycleDeclarationError, match="identifier"):
        Lifecycle(
            name="L",
            statuses=Light,
            initial=Light.RED,
            actions=(Action("go now", Light.RED, Light.GREEN),),
        )
    with pytest.raises(LifecycleDeclarationError, match="needs a target"):
        Lifecycle(name="L", statuses=Light, initial=Light.RED, actions=(Action("go", Light.RED),))


LIGHT = Lifecycle(
    name="Traffic Light (test)",
    statuses=Light,
    initial=Light.RED,
    actions=(
        Action(
            "go",
            Light.RED,
            Light.GREEN,
            guards=(Guard(lambda case, ctx: ctx.actor != "pedestrian", "pedestrians wait"),),
        ),
        Action("slow", Light.GREEN, Light.AMBER),
        Action("stop", Light.AMBER, Light.RED),
    ),
)


@case_type(LIGHT, prefix="TL")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False)
class TrafficLight(Case[Light]):
    pass


def test_a_user_case_type_in_a_few_lines() -> None:
    light = TrafficLight.create(owner=Owner.user("city"), clock=ManualClock())
    assert light.status is Light.RED
    assert light.id.startswith("TL-")
    with pytest.raises(GuardRejected, match="pedestrians wait"):
        light.perform("go", actor="pedestrian")
    light.perform("go", actor="driver")
    light.perform("slow", actor="driver")
    assert light.available_actions() == ("stop",)
    assert CASE_TYPES["Traffic Light (test)"] is TrafficLight


def test_a_case_type_name_is_taken_once() -> None:
    with pytest.raises(AlreadyExists, match="already declared"):

        @case_type(LIGHT, prefix="X")
        @attrs.define(eq=False, slots=True, kw_only=True)
        class Impostor(Case[Light]):
            pass


def test_one_machine_per_case_type_not_per_case() -> None:
    a = TrafficLight.create(owner=Owner.user("c"), clock=ManualClock())
    b = TrafficLight.create(owner=Owner.user("c"), clock=ManualClock())
    machine = TrafficLight._compiled.machine
    assert machine.models == []  # model=None and no add_model: cases are not registered
    a.perform("go", actor="d")
    assert (a.status, b.status) == (Light.GREEN, Light.RED)
    assert TrafficLight._compiled.machine is machine


def test_mermaid_diagram() -> None:
    text = to_mermaid(LIGHT)
    assert "stateDiagram-v2" in text
    assert "[*] --> RED" in text
    assert "RED --> GREEN: go" in text
    assert 'state "Amber" as AMBER' in text
    assert TrafficLight.to_mermaid() == text


def test_malformed_action_parts_are_refused_at_declaration() -> None:
    """Rule: a mistake in a declaration is refused when it is declared, not when it is used."""
    bad_actions: list[object] = [
        Action(5, Light.RED, Light.GREEN),  # type: ignore[arg-type]
        Action("go", Light.RED, Light.GREEN, reason_required="yes"),  # type: ignore[arg-type]
        Action("go", Light.RED, Light.GREEN, guards=(lambda case, ctx: True,)),  # type: ignore[arg-type]
        Action("go", Light.RED, Light.GREEN, guards=(Guard(5, "r"),)),  # type: ignore[arg-type]
        Action("go", Light.RED, Light.GREEN, effects=("notify",)),  # type: ignore[arg-type]
        "go",
    ]
    for bad in bad_actions:
        with pytest.raises(LifecycleDeclarationError):
            Lifecycle(
                name="L",
                statuses=Light,
                initial=Light.RED,
                actions=(bad, Action("on", Light.GREEN, Light.AMBER)),  # type: ignore[arg-type]
            )


def test_an_unknown_action_name_is_not_found_naming_the_declared_ones() -> None:
    """Reproduction: Lifecycle.action raised a bare KeyError."""
    lifecycle: Lifecycle[object] = Lifecycle(
        name="L",
        statuses=Light,
        initial=Light.RED,
        actions=(Action("go", Light.RED, Light.GREEN), Action("slow", Light.GREEN, Light.AMBER)),
    )
    with pytest.raises(NotFound, match="L has no action 'stop'; declared: go, slow"):
        lifecycle.action("stop")
    with pytest.raises(KeyError):  # still a KeyError for callers that catch one
        lifecycle.action("stop")


def test_a_malformed_deferral_is_refused_at_declaration() -> None:
    for deferral in (
        Deferral(waiting=Light.AMBER, source=(Light.AMBER,)),  # waits where it defers from
        Deferral(waiting=Light.AMBER, source=()),
        Deferral(waiting="Blue", source=(Light.RED,)),  # type: ignore[arg-type]
    ):
        with pytest.raises(LifecycleDeclarationError, match="deferral"):
            Lifecycle(
                name="L",
                statuses=Light,
                initial=Light.RED,
                actions=(Action("go", Light.RED, Light.GREEN),),
                deferral=deferral,
            )
    with pytest.raises(LifecycleDeclarationError, match="declare deferral="):
        Lifecycle(
            name="L",
            statuses=Light,
            initial=Light.RED,
            actions=(
                Action("go", Light.RED, Light.GREEN),
                Action("defer", Light.GREEN, Light.AMBER, kind=ActionKind.DEFER),
            ),
        )
