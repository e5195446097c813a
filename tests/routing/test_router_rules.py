"""Example tests for every rule of the routing issue: semantics, public API and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casekit.clock import ManualClock
from casekit.errors import CapacityExceeded
from casekit.routing import (
    Agent,
    ExplainDetail,
    ItemState,
    Presence,
    Router,
    RoutingEvent,
    WorkItem,
)
from casekit.testing import check_routing_invariants

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def make_router(clock: ManualClock, **options: object) -> Router:
    return Router(clock=clock, explain=ExplainDetail.FULL, **options)  # type: ignore[arg-type]


def staff(router: Router, *agents: Agent, presence: Presence = Presence.AVAILABLE) -> None:
    for agent in agents:
        router.add_agent(agent, presence)


def record(router: Router) -> list[RoutingEvent]:
    events: list[RoutingEvent] = []
    router.subscribe(events.append)
    return events


# ---------------------------------------------------------------------------- regressions


def test_requeue_offers_the_item_by_policy_not_back_to_its_holder_first(
    clock: ManualClock,
) -> None:
    # Found by the state machine: requeue served the holder's freed room before routing the
    # item, so the holder got it back although another agent ranked first under Least Active.
    router = make_router(clock)
    staff(router, Agent("a1", capacity=1), Agent("a0", capacity=1))
    router.submit(WorkItem("c0"))
    assert router.owner_of("c0") == "a0"  # tie on load and on offers: by id
    offer = router.requeue("c0")
    assert offer is not None
    assert offer.agent_id == "a1"
    check_routing_invariants(router)


def test_requeue_still_serves_the_holders_room_in_queue_order(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a0", {"x": 1}, capacity=1), Agent("a1", {"y": 1}, capacity=1))
    router.submit(WorkItem("held", {"x": 1}))
    clock.advance(timedelta(minutes=1))
    router.submit(WorkItem("waiting", {"x": 1}))
    assert router.state_of("waiting") is ItemState.QUEUED
    router.requeue("held")  # older, so it is served first; a0 is the only one who can take it
    assert router.owner_of("held") == "a0"
    assert router.state_of("waiting") is ItemState.QUEUED
    check_routing_invariants(router)


def test_unpin_over_capacity_with_override_marks_the_item_as_an_override(
    clock: ManualClock,
) -> None:
    # Found by the state machine: with pins not counted, unpin(override=True) put the agent
    # over capacity but the item's override flag stayed False, so nothing explained the excess.
    router = make_router(clock, count_pins=False)
    staff(router, Agent("a0", capacity=1))
    router.assign(WorkItem("pinned", weight=1), "a0")
    router.submit(WorkItem("routed"))
    assert router.load("a0") == 1
    with pytest.raises(CapacityExceeded):
        router.unpin("pinned")
    router.unpin("pinned", override=True)
    assert router.load("a0") == 2
    assert router.item("pinned").override
    check_routing_invariants(router)
