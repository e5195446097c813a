"""Example tests for every rule of the routing issue: semantics, public API and bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from casekit.clock import ManualClock
from casekit.errors import (
    AlreadyExists,
    CapacityExceeded,
    CasekitError,
    NotFound,
    OfferNotPending,
    ValidationError,
)
from casekit.routing import (
    DEFAULT_CAPACITY,
    Agent,
    AgentView,
    Aging,
    EventKind,
    ExplainDetail,
    ItemState,
    Offer,
    Outcome,
    Presence,
    Priority,
    QueueStats,
    Router,
    RoutingEvent,
    RoutingModel,
    StatusBased,
    TieBreak,
    WorkItem,
    jain_index,
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


def snapshot(router: Router) -> object:
    return (
        router.agents(),
        router.items(),
        router.queue(),
        tuple(router.decisions(status.item.id) for status in router.items()),
        router.next_deadline(),
    )


# ---------------------------------------------------------------------------- agents and items


def test_agents_default_to_capacity_100_offline_and_no_auto_accept(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("a1", {"case_manager": 1}))
    status = router.agent("a1")
    assert status.agent.capacity == DEFAULT_CAPACITY == 100
    assert status.presence is Presence.OFFLINE
    assert not status.agent.auto_accept
    assert router.load("a1") == 0


def test_only_available_agents_receive_offers(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("busy"), Presence.BUSY)
    router.add_agent(Agent("offline"), Presence.OFFLINE)
    assert router.submit(WorkItem("c1")) is None
    router.set_presence("offline", Presence.AVAILABLE)
    assert router.owner_of("c1") == "offline"
    assert router.state_of("c1") is ItemState.OFFERED


def test_auto_accept_agents_own_the_item_at_once(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", auto_accept=True))
    events = record(router)
    offer = router.submit(WorkItem("c1"))
    assert offer is not None
    assert offer.accepted
    assert router.state_of("c1") is ItemState.ACCEPTED
    assert [e.kind for e in events] == [EventKind.OFFERED, EventKind.ACCEPTED]
    clock.advance(timedelta(hours=1))
    assert router.tick() == 0  # no push timeout on accepted work
    assert router.owner_of("c1") == "a1"


def test_work_items_default_to_normal_priority_and_weight_one() -> None:
    item = WorkItem("c1", {"chaser": 1}, stage="Chaser")
    assert (item.priority, item.weight, item.stage, item.created_at) == (
        Priority.NORMAL,
        1,
        "Chaser",
        None,
    )


def test_an_item_keeps_its_original_age_across_reroutes(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"), Agent("a2"))
    router.submit(WorkItem("c1"))
    clock.advance(timedelta(minutes=3))
    router.decline("c1", "a1")
    clock.advance(timedelta(minutes=3))
    router.requeue("c1")
    assert router.item("c1").created_at == START
    submitted = WorkItem("c2", created_at=START - timedelta(days=2))
    router.submit(submitted)
    assert router.item("c2").created_at == START - timedelta(days=2)


# ---------------------------------------------------------------------------- eligibility


def test_eligible_requires_every_skill_at_its_minimum_level(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(
        router,
        Agent("junior", {"case_manager": 1, "spanish": 2}),
        Agent("monolingual", {"case_manager": 3}),
        Agent("senior", {"case_manager": 2, "spanish": 1}),
    )
    offer = router.submit(WorkItem("c1", {"case_manager": 2, "spanish": 1}))
    assert offer is not None
    assert offer.agent_id == "senior"
    assert not router.is_eligible("c1", "junior")
    assert not router.is_eligible("c1", "monolingual")
    assert router.is_eligible("c1", "senior")


def test_eligible_requires_room_for_the_items_weight(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a-small", capacity=2), Agent("b-large", capacity=5))
    offer = router.submit(WorkItem("heavy", weight=3))
    assert offer is not None
    assert offer.agent_id == "b-large"  # a-small would win the tie on id, but has no room
    assert not router.is_eligible("heavy", "a-small")
    router.submit(WorkItem("light", weight=2))
    assert router.owner_of("light") == "a-small"
    assert router.submit(WorkItem("more", weight=3)) is None  # b-large has 2 left, a-small 0


def test_eligible_excludes_agents_who_are_not_available(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    router.submit(WorkItem("c1"))
    router.set_presence("a1", Presence.BUSY)
    assert not router.is_eligible("c1", "a1")
    router.set_presence("a1", Presence.AVAILABLE)
    assert router.is_eligible("c1", "a1")  # its own offer aside, it has room for it


# ---------------------------------------------------------------------------- routing models


def test_least_active_offers_to_the_lowest_load(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"), Agent("a2"), Agent("a3"))
    router.submit(WorkItem("c1", weight=3))
    router.submit(WorkItem("c2", weight=2))
    offer = router.submit(WorkItem("c3"))
    assert offer is not None
    assert offer.agent_id == "a3"
    offer = router.submit(WorkItem("c4"))
    assert offer is not None
    assert offer.agent_id == "a3"  # load 1 < 2 < 3
    offer = router.submit(WorkItem("c5"))
    assert offer is not None
    assert offer.agent_id == "a2"  # a3 at 2 ties a2 at 2; a2 was offered work longer ago


def test_most_available_offers_to_the_largest_spare_capacity(clock: ManualClock) -> None:
    router = make_router(clock, model=RoutingModel.MOST_AVAILABLE)
    staff(router, Agent("big", capacity=10), Agent("small", capacity=4))
    router.submit(WorkItem("c0", weight=3))
    assert router.owner_of("c0") == "big"  # spare 10 > 4
    offer = router.submit(WorkItem("c1"))
    assert offer is not None
    assert offer.agent_id == "big"  # spare 7 > 4, although its load is higher
    least_active = make_router(clock)
    staff(least_active, Agent("big", capacity=10), Agent("small", capacity=4))
    least_active.submit(WorkItem("c0", weight=3))
    assert least_active.owner_of("c0") == "big"  # load tie, then id
    offer = least_active.submit(WorkItem("c1"))
    assert offer is not None
    assert offer.agent_id == "small"


def test_ties_go_to_the_agent_offered_work_longest_ago_then_by_id(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("b"), Agent("a"), Agent("c"))
    first = router.submit(WorkItem("c1"))
    assert first is not None
    assert first.agent_id == "a"  # nobody offered anything yet: by id
    assert router.explain("c1").tie_break is TieBreak.AGENT_ID
    router.release("c1")
    second = router.submit(WorkItem("c2"))
    assert second is not None
    assert second.agent_id == "b"  # a was offered work; b and c never: by id among them
    router.release("c2")
    third = router.submit(WorkItem("c3"))
    assert third is not None
    assert third.agent_id == "c"
    router.release("c3")
    fourth = router.submit(WorkItem("c4"))
    assert fourth is not None
    assert fourth.agent_id == "a"  # all loads 0; a was offered work longest ago
    assert router.explain("c4").tie_break is TieBreak.LONGEST_SINCE_OFFER


def test_a_custom_policy_is_pluggable(clock: ManualClock) -> None:
    @attrs.frozen
    class FewestSkills:
        name: str = "fewest skills"

        def score(self, agent: AgentView) -> tuple[int, int]:
            return (len(agent.skills), agent.load)

    router = make_router(clock, model=FewestSkills())
    staff(router, Agent("generalist", {"x": 1, "y": 1, "z": 1}), Agent("specialist", {"x": 1}))
    router.submit(WorkItem("c1", {"x": 1}))
    router.submit(WorkItem("c2", {"x": 1}))
    assert router.agent("specialist").offered == ("c1", "c2")
    assert router.explain("c2").policy == "fewest skills"
    assert router.explain("c2").score == (1, 1)
    with pytest.raises(ValidationError, match="model must be"):
        Router(model=object(), clock=clock)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- the queue


def test_item_waits_in_awaiting_assignment_when_nobody_eligible_has_room(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", {"chaser": 1}, capacity=1))
    router.submit(WorkItem("c1", {"chaser": 1}))
    assert router.submit(WorkItem("c2", {"chaser": 1})) is None
    assert router.state_of("c2") is ItemState.QUEUED
    assert router.owner_of("c2") is None
    assert [entry.item_id for entry in router.queue()] == ["c2"]
    assert router.queue_length() == 1


def test_queue_is_served_by_priority_then_original_age(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=1))
    router.submit(WorkItem("busy"))
    for item_id, priority, minutes in (
        ("normal-new", Priority.NORMAL, 5),
        ("low-old", Priority.LOW, -60),
        ("normal-old", Priority.NORMAL, -5),
        ("urgent", Priority.URGENT, 10),
        ("high", Priority.HIGH, 0),
    ):
        router.submit(
            WorkItem(item_id, priority=priority, created_at=START + timedelta(minutes=minutes))
        )
    order = ["urgent", "high", "normal-old", "normal-new", "low-old"]
    assert [entry.item_id for entry in router.queue()] == order
    served = []
    current = "busy"
    for _ in order:
        router.release(current)
        (current,) = router.agent("a1").offered
        served.append(current)
    assert served == order


def test_urgent_items_are_served_first(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=1))
    router.submit(WorkItem("busy"))
    router.submit(WorkItem("old", created_at=START - timedelta(days=30)))
    clock.advance(timedelta(minutes=1))
    router.submit(WorkItem("escalated", priority=Priority.URGENT))
    router.release("busy")
    assert router.owner_of("escalated") == "a1"
    assert router.state_of("old") is ItemState.QUEUED


def test_freed_capacity_is_offered_to_waiting_items_at_once(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=2))
    router.submit(WorkItem("c1", weight=2))
    router.submit(WorkItem("c2"))
    router.submit(WorkItem("c3"))
    assert router.queue_length() == 2
    router.accept("c1", "a1")
    router.release("c1")
    assert router.agent("a1").offered == ("c2", "c3")
    assert router.queue_length() == 0


def test_an_agent_becoming_available_takes_waiting_items(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("a1", {"spanish": 1}, capacity=2))
    router.submit(WorkItem("c1", {"spanish": 1}))
    router.submit(WorkItem("c2", {"spanish": 1}))
    router.submit(WorkItem("c3", {"spanish": 1}))
    router.set_presence("a1", Presence.AVAILABLE)
    assert router.agent("a1").offered == ("c1", "c2")
    assert [entry.item_id for entry in router.queue()] == ["c3"]
    check_routing_invariants(router)


def test_a_skill_change_places_waiting_items(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", {"chaser": 1}))
    router.submit(WorkItem("c1", {"reviewer": 2}))
    assert router.state_of("c1") is ItemState.QUEUED
    router.set_skills("a1", {"reviewer": 1})
    assert router.state_of("c1") is ItemState.QUEUED  # level 1 < 2
    router.set_skills("a1", {"reviewer": 2})
    assert router.owner_of("c1") == "a1"


def test_a_capacity_increase_places_waiting_items(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=2))
    router.submit(WorkItem("c1"))
    router.submit(WorkItem("c2", weight=2))
    assert router.state_of("c2") is ItemState.QUEUED
    router.set_capacity("a1", 3)
    assert router.owner_of("c2") == "a1"
    assert router.load("a1") == 3


# ---------------------------------------------------------------------------- offers


def test_accept_makes_the_agent_the_owner(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    offer = router.submit(WorkItem("c1"))
    assert offer == Offer("c1", "a1", START, START + timedelta(minutes=10))
    assert router.state_of("c1") is ItemState.OFFERED  # a1 is the Potential Case Owner
    router.accept("c1", "a1")
    assert router.state_of("c1") is ItemState.ACCEPTED
    assert router.agent("a1").accepted == ("c1",)
    assert router.item("c1").deadline is None


def test_repeating_an_accept_is_idempotent(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    router.submit(WorkItem("c1"))
    router.accept("c1", "a1")
    before = snapshot(router)
    events = record(router)
    router.accept("c1", "a1")
    assert snapshot(router) == before
    assert events == []


def test_decline_offers_the_item_to_another_eligible_agent(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"), Agent("a2"))
    router.submit(WorkItem("c1"))
    offer = router.decline("c1", "a1")
    assert offer is not None
    assert offer.agent_id == "a2"
    assert router.load("a1") == 0
    assert router.item("c1").declined_by == ("a1",)


def test_decline_never_reoffers_to_the_decliner_within_cooldown(clock: ManualClock) -> None:
    router = make_router(clock, cooldown=timedelta(minutes=30))
    staff(router, Agent("a1"))
    router.submit(WorkItem("c1"))
    assert router.decline("c1", "a1") is None  # the only agent declined: it waits
    assert not router.is_eligible("c1", "a1")
    clock.advance(timedelta(minutes=29))
    router.tick()
    assert router.state_of("c1") is ItemState.QUEUED
    router.set_presence("a1", Presence.BUSY)
    router.set_presence("a1", Presence.AVAILABLE)  # serving a1 again still skips c1
    assert router.state_of("c1") is ItemState.QUEUED
    clock.advance(timedelta(minutes=1))
    router.tick()
    assert router.owner_of("c1") == "a1"  # the cool-down is over


def test_without_a_cooldown_a_decline_lasts_while_the_item_is_in_the_router(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    router.submit(WorkItem("c1"))
    router.decline("c1", "a1")
    clock.advance(timedelta(days=30))
    router.tick()
    router.set_presence("a1", Presence.BUSY)
    router.set_presence("a1", Presence.AVAILABLE)
    assert router.state_of("c1") is ItemState.QUEUED
    router.advance("c1", stage="Reviewer", skills={})  # a new step forgets old declines
    assert router.owner_of("c1") == "a1"


def test_unanswered_offer_times_out_on_tick_and_is_rerouted_keeping_its_age(
    clock: ManualClock,
) -> None:
    router = make_router(clock, push_timeout=timedelta(minutes=10))
    staff(router, Agent("a1"), Agent("a2"))
    events = record(router)
    router.submit(WorkItem("c1"))
    clock.advance(timedelta(minutes=9))
    assert router.tick() == 0
    assert router.owner_of("c1") == "a1"
    clock.advance(timedelta(minutes=1))
    assert router.next_deadline() == START + timedelta(minutes=10)
    assert router.tick() == 1
    assert router.owner_of("c1") == "a2"
    assert router.item("c1").created_at == START
    assert router.item("c1").deadline == START + timedelta(minutes=20)
    assert router.item("c1").declined_by == ("a1",)
    kinds = [(e.kind, e.agent_id) for e in events]
    assert kinds[-2:] == [(EventKind.OFFER_TIMED_OUT, "a1"), (EventKind.OFFERED, "a2")]


def test_accepting_an_expired_offer_raises_offer_not_pending_and_changes_nothing(
    clock: ManualClock,
) -> None:
    router = make_router(clock, push_timeout=timedelta(minutes=5))
    staff(router, Agent("a1"), Agent("a2"))
    router.submit(WorkItem("c1"))
    clock.advance(timedelta(minutes=5))
    router.tick()
    before = snapshot(router)
    events = record(router)
    with pytest.raises(OfferNotPending, match="not offered to a1"):
        router.accept("c1", "a1")
    with pytest.raises(OfferNotPending):
        router.decline("c1", "a1")
    assert snapshot(router) == before
    assert events == []


def test_accepting_a_withdrawn_offer_raises_offer_not_pending_and_changes_nothing(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    router.submit(WorkItem("c1"))
    router.set_presence("a1", Presence.OFFLINE)  # withdrawn; nobody else: it waits
    assert router.state_of("c1") is ItemState.QUEUED
    before = snapshot(router)
    with pytest.raises(OfferNotPending):
        router.accept("c1", "a1")
    with pytest.raises(OfferNotPending):
        router.decline("c1", "a1")
    assert snapshot(router) == before


def test_answering_an_offer_made_to_someone_else_is_refused(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"), Agent("a2"))
    router.submit(WorkItem("c1"))
    before = snapshot(router)
    with pytest.raises(OfferNotPending):
        router.accept("c1", "a2")
    assert snapshot(router) == before


# ---------------------------------------------------------------------------- load and pins


def test_load_counts_offered_accepted_and_pinned_weights(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=10))
    router.submit(WorkItem("offered", weight=1))
    router.submit(WorkItem("accepted", weight=2))
    router.accept("accepted", "a1")
    router.assign(WorkItem("pinned", weight=4), "a1")
    assert router.load("a1") == 7
    assert router.metrics().load_ratios["a1"] == pytest.approx(0.7)


def test_pins_can_be_left_out_of_load(clock: ManualClock) -> None:
    router = make_router(clock, count_pins=False)
    staff(router, Agent("a1", capacity=2), Agent("a2", capacity=2))
    router.assign(WorkItem("pinned", weight=2), "a1")
    assert router.load("a1") == 0
    offer = router.submit(WorkItem("c1"))
    assert offer is not None
    assert offer.agent_id == "a1"  # the pin is out of the balance


def test_manual_assignment_pins_the_item_outside_dynamic_routing(clock: ManualClock) -> None:
    router = make_router(clock, push_timeout=timedelta(minutes=5))
    staff(router, Agent("a1"), Agent("a2"))
    router.submit(WorkItem("c1"))
    assert router.owner_of("c1") == "a1"
    router.assign("c1", "a2")  # replaces the pending offer
    assert router.state_of("c1") is ItemState.PINNED
    assert router.load("a1") == 0
    assert router.explain("c1").tie_break is TieBreak.MANUAL
    clock.advance(timedelta(hours=1))
    router.tick()
    with pytest.raises(OfferNotPending):
        router.decline("c1", "a2")
    assert router.owner_of("c1") == "a2"


def test_pins_are_kept_when_owner_goes_offline(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"), Agent("a2"))
    router.assign(WorkItem("pinned"), "a1")
    router.set_presence("a1", Presence.OFFLINE)
    clock.advance(timedelta(days=1))
    router.tick()
    assert router.state_of("pinned") is ItemState.PINNED
    assert router.owner_of("pinned") == "a1"
    assert router.load("a1") == 1


def test_a_pin_ends_when_the_stage_changes(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", {"cm": 1}), Agent("a2", {"review": 1}))
    router.assign(WorkItem("c1", {"cm": 1}), "a1")
    router.advance("c1", stage="Reviewer", skills={"review": 1})
    assert router.state_of("c1") is ItemState.OFFERED
    assert router.owner_of("c1") == "a2"
    assert router.load("a1") == 0


def test_a_pin_ends_when_requeued(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"), Agent("a2"))
    router.submit(WorkItem("other"))
    router.assign(WorkItem("c1"), "a2")
    offer = router.requeue("c1")
    assert offer is not None
    assert router.state_of("c1") is ItemState.OFFERED


def test_unpin_keeps_the_item_with_its_agent_as_accepted_work(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    router.assign(WorkItem("c1"), "a1")
    events = record(router)
    router.unpin("c1")
    assert router.state_of("c1") is ItemState.ACCEPTED
    assert router.owner_of("c1") == "a1"
    assert [e.kind for e in events] == [EventKind.UNPINNED]
    with pytest.raises(ValidationError, match="not pinned"):
        router.unpin("c1")


def test_pinning_over_capacity_needs_an_explicit_override(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=2))
    router.submit(WorkItem("c1", weight=2))
    before = snapshot(router)
    with pytest.raises(CapacityExceeded, match="override=True"):
        router.assign(WorkItem("c2"), "a1")
    assert snapshot(router) == before
    router.assign(WorkItem("c2"), "a1", override=True)
    assert router.load("a1") == 3
    assert router.item("c2").override
    assert "override" in router.explain("c2").reason
    check_routing_invariants(router)


# ---------------------------------------------------------------------------- presence


def test_going_offline_withdraws_pending_offers_and_reroutes_them(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"), Agent("a2"))
    router.submit(WorkItem("offered"))
    router.assign(WorkItem("pinned"), "a1")
    router.submit(WorkItem("accepted"))
    router.accept("accepted", "a2")
    router.requeue("offered")
    assert router.owner_of("offered") == "a1"
    events = record(router)
    router.set_presence("a1", Presence.OFFLINE)
    assert router.owner_of("offered") == "a2"
    assert router.owner_of("pinned") == "a1"
    assert [(e.kind, e.item_id) for e in events] == [
        (EventKind.PRESENCE_CHANGED, None),
        (EventKind.WITHDRAWN, "offered"),
        (EventKind.OFFERED, "offered"),
    ]


def test_going_offline_keeps_accepted_work(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    router.submit(WorkItem("c1"))
    router.accept("c1", "a1")
    router.set_presence("a1", Presence.OFFLINE)
    assert router.state_of("c1") is ItemState.ACCEPTED
    assert router.load("a1") == 1


def test_offline_grace_period_delays_the_withdrawal(clock: ManualClock) -> None:
    router = make_router(clock, offline_grace=timedelta(minutes=5), push_timeout=None)
    staff(router, Agent("a1"), Agent("a2", capacity=1))
    router.submit(WorkItem("c0"))
    router.submit(WorkItem("c1"))
    assert router.owner_of("c0") == "a1"
    router.set_presence("a1", Presence.OFFLINE)
    clock.advance(timedelta(minutes=4))
    router.tick()
    assert router.owner_of("c0") == "a1"
    router.accept("c0", "a1")  # an answer within the grace counts
    router.submit(WorkItem("c2"))
    router.release("c1")
    assert router.owner_of("c2") == "a2"


def test_offers_are_withdrawn_when_the_grace_ends(clock: ManualClock) -> None:
    router = make_router(clock, offline_grace=timedelta(minutes=5), push_timeout=None)
    staff(router, Agent("a1"), Agent("a2"))
    router.submit(WorkItem("c1"))
    router.set_presence("a1", Presence.OFFLINE)
    clock.advance(timedelta(minutes=5))
    router.tick()
    assert router.owner_of("c1") == "a2"
    assert router.item("c1").declined_by == ()  # a withdrawal is not a decline


def test_coming_back_within_the_grace_keeps_the_offers(clock: ManualClock) -> None:
    router = make_router(clock, offline_grace=timedelta(minutes=5), push_timeout=None)
    staff(router, Agent("a1"), Agent("a2"))
    router.submit(WorkItem("c1"))
    router.set_presence("a1", Presence.OFFLINE)
    clock.advance(timedelta(minutes=2))
    router.set_presence("a1", Presence.AVAILABLE)
    clock.advance(timedelta(minutes=10))
    router.tick()
    assert router.owner_of("c1") == "a1"


def test_busy_keeps_pending_offers_but_gets_no_new_ones(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    router.submit(WorkItem("c1"))
    router.set_presence("a1", Presence.BUSY)
    assert router.owner_of("c1") == "a1"
    assert router.submit(WorkItem("c2")) is None
    router.accept("c1", "a1")
    assert router.state_of("c1") is ItemState.ACCEPTED


# ---------------------------------------------------------------------------- stages and aging


def test_advance_releases_the_step_and_submits_the_next_with_its_skills_keeping_age(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    staff(router, Agent("chaser", {"chaser": 1}), Agent("cm", {"case_manager": 1}))
    router.submit(WorkItem("c1", {"chaser": 1}, stage="Chaser", weight=2))
    router.accept("c1", "chaser")
    clock.advance(timedelta(hours=1))
    events = record(router)
    offer = router.advance("c1", stage="Case Manager", skills={"case_manager": 1})
    assert offer is not None
    assert offer.agent_id == "cm"
    status = router.item("c1")
    assert (status.item.stage, status.created_at, status.item.weight) == ("Case Manager", START, 2)
    assert router.load("chaser") == 0
    assert (events[0].kind, events[0].detail) == (EventKind.RELEASED, "to Case Manager")


def test_release_takes_the_item_out_of_routing(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    router.submit(WorkItem("c1", weight=3))
    assert router.release("c1") == WorkItem("c1", weight=3)
    assert router.load("a1") == 0
    with pytest.raises(NotFound):
        router.state_of("c1")


def test_aging_raises_a_waiting_items_priority_up_to_the_cap(clock: ManualClock) -> None:
    router = make_router(
        clock, aging=Aging(every=timedelta(minutes=10), cap=Priority.HIGH), push_timeout=None
    )
    staff(router, Agent("a1", capacity=1))
    router.submit(WorkItem("busy"))
    router.submit(WorkItem("low", priority=Priority.LOW))
    clock.advance(timedelta(minutes=1))
    router.submit(WorkItem("normal", priority=Priority.NORMAL))
    events = record(router)
    clock.advance(timedelta(minutes=10))
    router.tick()
    assert router.item("low").priority is Priority.NORMAL
    clock.advance(timedelta(minutes=30))
    router.tick()
    assert router.item("low").priority is Priority.HIGH  # capped
    assert router.item("normal").priority is Priority.HIGH
    assert [e.detail for e in events if e.item_id == "low"] == ["Normal", "High"]
    assert {e.kind for e in events} == {EventKind.PRIORITY_RAISED}
    router.release("busy")
    assert router.owner_of("low") == "a1"  # older at the same (aged) priority


def test_aging_is_off_by_default(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=1))
    router.submit(WorkItem("busy"))
    router.submit(WorkItem("low", priority=Priority.LOW))
    clock.advance(timedelta(days=3))
    router.tick()
    assert router.item("low").priority is Priority.LOW
    with pytest.raises(ValidationError):
        Aging(every=timedelta(0))


# ---------------------------------------------------------------------------- explain


def test_explain_records_eligible_count_choice_score_and_tie_break(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", {"x": 1}), Agent("a2", {"x": 1}), Agent("a3", {"y": 1}))
    router.submit(WorkItem("c0", {"x": 1}))
    router.submit(WorkItem("c1", {"x": 1}, weight=2))
    decision = router.explain("c1")
    assert decision.outcome is Outcome.OFFERED
    assert (decision.agent_id, decision.score) == ("a2", 0)
    assert (decision.runner_up, decision.runner_up_score) == ("a1", 1)
    assert decision.tie_break is TieBreak.SCORE
    assert decision.eligible == 2
    assert decision.policy == "least active"
    assert decision.at == START
    assert "a2" in decision.reason
    assert len(router.decisions("c1")) == 1


def test_explain_of_a_queued_item_says_nobody_had_room(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=1))
    router.submit(WorkItem("c0"))
    router.submit(WorkItem("c1"))
    decision = router.explain("c1")
    assert decision.outcome is Outcome.QUEUED
    assert decision.agent_id is None
    assert decision.eligible == 0
    assert decision.tie_break is TieBreak.NONE
    assert "Awaiting Assignment" in decision.reason


def test_summary_explain_bounds_the_eligible_count_by_the_pool(clock: ManualClock) -> None:
    router = Router(clock=clock)
    staff(router, Agent("a1"), Agent("a2"), Agent("a3"))
    router.submit(WorkItem("c1"))
    decision = router.explain("c1")
    assert decision.eligible is None
    assert decision.pool == 3
    assert decision.examined <= decision.pool


# ---------------------------------------------------------------------------- events


def test_every_change_emits_an_event_of_its_kind(clock: ManualClock) -> None:
    router = make_router(
        clock,
        push_timeout=timedelta(minutes=5),
        aging=Aging(every=timedelta(minutes=30)),
        capacity_model=StatusBased(counted={"In Progress"}),
    )
    events = record(router)
    router.add_agent(Agent("a1", capacity=2))  # agent added
    router.set_presence("a1", Presence.AVAILABLE)  # presence changed
    router.set_channels("a1", {"chats": 2})  # channels changed
    router.set_channels("a1", {})
    router.submit(WorkItem("c1"))  # offered
    router.accept("c1", "a1")  # accepted
    router.set_work_status("c1", "On Hold")  # work status changed
    router.set_work_status("c1", "In Progress")
    router.submit(WorkItem("c2"))
    router.decline("c2", "a1")  # declined, queued
    router.submit(WorkItem("c3"))
    clock.advance(timedelta(minutes=5))
    router.tick()  # offer timed out
    router.submit(WorkItem("c4"))
    router.set_presence("a1", Presence.OFFLINE)  # withdrawn
    router.assign("c4", "a1")  # pinned
    router.unpin("c4")  # unpinned
    router.requeue("c4")  # requeued
    router.release("c1")  # released
    router.set_skills("a1", {"x": 1})  # skills changed
    router.set_capacity("a1", 5)  # capacity changed
    clock.advance(timedelta(minutes=30))
    router.tick()  # priority raised
    router.set_priority("c4", Priority.URGENT)  # priority changed
    router.release("c4")
    router.remove_agent("a1")  # agent removed
    assert {e.kind for e in events} == set(EventKind)
    assert all(e.at.tzinfo is not None for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_events_carry_the_item_the_agent_and_the_time(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    events = record(router)
    router.submit(WorkItem("c1"))
    assert events == [RoutingEvent(EventKind.OFFERED, "c1", "a1", START)]
    router.unsubscribe(events.append)
    router.accept("c1", "a1")
    assert len(events) == 1
    with pytest.raises(NotFound):
        router.unsubscribe(events.append)


# ---------------------------------------------------------------------------- metrics


def test_metrics_report_load_ratios_spread_and_jain(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=4), Agent("a2", capacity=4), Agent("a3", capacity=2))
    router.assign(WorkItem("c1", weight=2), "a1")
    router.assign(WorkItem("c2", weight=1), "a3")
    metrics = router.metrics()
    assert dict(metrics.loads) == {"a1": 2, "a2": 0, "a3": 1}
    assert dict(metrics.load_ratios) == {"a1": 0.5, "a2": 0.0, "a3": 0.5}
    assert metrics.spread == 0.5
    assert metrics.jain == pytest.approx(1.0**2 / (3 * 0.5))
    comparable = router.metrics(["a1", "a3"])
    assert comparable.spread == 0.0
    assert comparable.jain == 1.0
    router.set_presence("a2", Presence.OFFLINE)
    assert set(router.metrics().loads) == {"a1", "a3"}  # default: Available agents


def test_jain_index_ranges_from_one_over_n_to_one() -> None:
    assert jain_index([]) == 1.0
    assert jain_index([0, 0]) == 1.0
    assert jain_index([0.5, 0.5, 0.5]) == 1.0
    assert jain_index([1, 0, 0, 0]) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="non-negative"):
        jain_index([-1])


def test_metrics_report_queue_length_and_oldest_age_per_priority(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=1))
    router.submit(WorkItem("busy"))
    router.submit(WorkItem("u1", priority=Priority.URGENT))
    clock.advance(timedelta(minutes=10))
    router.submit(WorkItem("u2", priority=Priority.URGENT))
    router.submit(WorkItem("n1", created_at=START - timedelta(hours=1)))
    clock.advance(timedelta(minutes=5))
    metrics = router.metrics()
    assert metrics.queue_length == 3
    assert metrics.queue[Priority.URGENT] == QueueStats(2, timedelta(minutes=15))
    assert metrics.queue[Priority.NORMAL] == QueueStats(1, timedelta(hours=1, minutes=15))
    assert metrics.queue[Priority.LOW] == QueueStats(0, None)


# ---------------------------------------------------------------------------- public API


def test_the_public_api_calls_work_as_shown(clock: ManualClock) -> None:
    router = Router(
        model=RoutingModel.LEAST_ACTIVE, push_timeout=timedelta(minutes=10), clock=clock
    )
    seen: list[RoutingEvent] = []
    router.subscribe(seen.append)
    router.add_agent(Agent(id="a1", skills={"case_manager": 1, "spanish": 1}, capacity=100))
    router.set_presence("a1", Presence.AVAILABLE)
    offer = router.submit(WorkItem(id="c1", skills={"case_manager": 1}, priority=Priority.URGENT))
    assert offer is not None
    router.accept("c1", "a1")
    router.submit(WorkItem(id="c2", skills={"spanish": 1}))
    router.decline("c2", "a1")
    router.release("c1")
    assert router.tick() == 0
    router.assign("c2", "a1")
    assert router.load("a1") == 1
    assert router.queue() == []
    assert router.state_of("c2") is ItemState.PINNED
    assert router.explain("c2").outcome is Outcome.PINNED
    assert {e.kind for e in seen} >= {EventKind.OFFERED, EventKind.PINNED}
    assert [(e.kind, e.item_id, e.agent_id) for e in seen][-1] == (EventKind.PINNED, "c2", "a1")
    assert "Router(policy='least active'" in repr(router)
    assert len(router) == 1


# ---------------------------------------------------------------------------- bad input


def test_unknown_ids_raise_not_found(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    router.submit(WorkItem("c1"))
    for call in (
        lambda: router.accept("nope", "a1"),
        lambda: router.accept("c1", "nobody"),
        lambda: router.decline("c1", "nobody"),
        lambda: router.release("nope"),
        lambda: router.assign("nope", "a1"),
        lambda: router.assign("c1", "nobody"),
        lambda: router.set_presence("nobody", Presence.BUSY),
        lambda: router.load("nobody"),
        lambda: router.explain("nope"),
        lambda: router.requeue("nope"),
        lambda: router.unpin("nope"),
    ):
        with pytest.raises(NotFound) as raised:
            call()
        assert isinstance(raised.value, CasekitError)
        assert isinstance(raised.value, KeyError)


def test_duplicate_ids_raise_already_exists(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1"))
    router.submit(WorkItem("c1"))
    with pytest.raises(AlreadyExists, match="a1"):
        router.add_agent(Agent("a1"))
    with pytest.raises(AlreadyExists, match="c1"):
        router.submit(WorkItem("c1"))
    with pytest.raises(AlreadyExists):
        router.assign(WorkItem("c1"), "a1")


@pytest.mark.parametrize("capacity", [0, -1, True, 1.5, "3"])
def test_zero_negative_or_non_integer_capacity_is_refused(
    clock: ManualClock, capacity: object
) -> None:
    with pytest.raises(ValidationError, match="capacity"):
        Agent("a1", capacity=capacity)  # type: ignore[arg-type]
    router = make_router(clock)
    staff(router, Agent("a1"))
    with pytest.raises(ValidationError, match="capacity"):
        router.set_capacity("a1", capacity)  # type: ignore[arg-type]


def test_a_weight_above_every_capacity_is_refused(clock: ManualClock) -> None:
    router = make_router(clock)
    staff(router, Agent("a1", capacity=3), Agent("a2", capacity=5))
    with pytest.raises(ValidationError, match="largest 5"):
        router.submit(WorkItem("c1", weight=6))
    router.submit(WorkItem("c2", weight=5))
    for weight in (0, -2):
        with pytest.raises(ValidationError, match="weight"):
            WorkItem("c3", weight=weight)


@pytest.mark.parametrize(
    "skills",
    [{"x": 0}, {"x": -1}, {"x": 1.5}, {"x": True}, {"": 1}, {3: 1}, ["x"], "x"],
)
def test_skills_must_map_names_to_positive_integers(clock: ManualClock, skills: object) -> None:
    with pytest.raises(ValidationError, match="skill"):
        Agent("a1", skills=skills)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="skill"):
        WorkItem("c1", skills=skills)  # type: ignore[arg-type]
    router = make_router(clock)
    staff(router, Agent("a1", {"x": 1}))
    with pytest.raises(ValidationError, match="skill"):
        router.set_skills("a1", skills)  # type: ignore[arg-type]


def test_bad_input_leaves_router_unchanged(clock: ManualClock) -> None:
    router = make_router(clock, cooldown=timedelta(minutes=5))
    staff(router, Agent("a1", {"x": 1}, capacity=2), Agent("a2", {"x": 1}, capacity=2))
    router.submit(WorkItem("offered", {"x": 1}))
    router.submit(WorkItem("accepted", {"x": 1}))
    router.accept("accepted", "a2")
    router.assign(WorkItem("pinned", {"x": 1}), "a1")
    router.submit(WorkItem("queued", {"x": 1}, weight=2))
    before = snapshot(router)
    events = record(router)
    bad_calls: list[Callable[[], object]] = [
        lambda: router.add_agent(Agent("a1")),
        lambda: router.add_agent("a3"),  # type: ignore[arg-type]
        lambda: router.add_agent(Agent("a3"), "Available"),  # type: ignore[arg-type]
        lambda: router.set_presence("a1", "Busy"),  # type: ignore[arg-type]
        lambda: router.set_skills("a1", {"x": 0}),
        lambda: router.set_capacity("a1", 0),
        lambda: router.set_capacity("a1", 1),  # below its load
        lambda: router.submit(WorkItem("offered")),
        lambda: router.submit(WorkItem("huge", weight=3)),
        lambda: router.submit("c9"),  # type: ignore[arg-type]
        lambda: router.accept("queued", "a1"),
        lambda: router.accept("accepted", "a1"),
        lambda: router.decline("pinned", "a1"),
        lambda: router.assign("queued", "a2"),  # over capacity without override
        lambda: router.assign(WorkItem("pinned"), "a2"),
        lambda: router.unpin("accepted"),
        lambda: router.advance("accepted", stage="Reviewer", skills={"x": -1}),
        lambda: router.advance("accepted", stage="Reviewer", skills={}, weight=3),
        lambda: router.remove_agent("a1"),  # still holds work
        lambda: router.release("missing"),
    ]
    for call in bad_calls:
        with pytest.raises(CasekitError):
            call()
        assert snapshot(router) == before
    assert events == []
    with pytest.raises(ValidationError):
        Router(push_timeout=timedelta(0), clock=clock)
    with pytest.raises(ValidationError):
        Router(cooldown=timedelta(seconds=-1), clock=clock)
    with pytest.raises(ValidationError):
        Router(offline_grace=timedelta(seconds=-1), clock=clock)


def test_cooldowns_ending_in_one_tick_serve_the_queue_in_priority_then_age_order(
    clock: ManualClock,
) -> None:
    # Found by the state machine: when several cool-downs ended before one tick, the item
    # whose cool-down ended first was placed, passing over an older item the agent could
    # equally take by then.
    router = make_router(clock, cooldown=timedelta(minutes=10), push_timeout=None)
    staff(router, Agent("a1", capacity=1))
    router.submit(WorkItem("newer"))
    router.submit(WorkItem("older", created_at=START - timedelta(hours=1)))
    router.decline("newer", "a1")  # cool-down until 09:10; "older" goes to a1
    clock.advance(timedelta(minutes=1))
    router.decline("older", "a1")  # cool-down until 09:11
    assert [entry.item_id for entry in router.queue()] == ["older", "newer"]
    clock.advance(timedelta(minutes=20))
    router.tick()
    assert router.owner_of("older") == "a1"
    assert router.state_of("newer") is ItemState.QUEUED
    check_routing_invariants(router)


def test_a_requeued_item_going_back_to_its_holder_is_explained_like_any_decision(
    clock: ManualClock,
) -> None:
    # Found by the state machine's explain check: the holder was served the item as "the only
    # eligible agent with room" although another agent was eligible too.
    router = make_router(clock, model=RoutingModel.MOST_AVAILABLE)
    staff(router, Agent("a0", capacity=2), Agent("a1", capacity=1))
    router.submit(WorkItem("c0"))
    router.requeue("c0")
    decision = router.explain("c0")
    assert decision.agent_id == "a0"  # spare 2 > 1
    assert (decision.eligible, decision.runner_up) == (2, "a1")
    assert decision.tie_break is TieBreak.SCORE
    check_routing_invariants(router)


def test_a_requeued_item_yields_its_holders_room_to_an_older_waiting_item(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    staff(router, Agent("a0", {"x": 1, "y": 1}, capacity=2), Agent("a1", {"x": 1}, capacity=5))
    router.submit(WorkItem("held", {"x": 1}, weight=2))
    router.submit(WorkItem("busy", {"x": 1}, weight=2))  # a1 at 2
    router.submit(WorkItem("older", {"y": 1}, created_at=START - timedelta(hours=1)))
    assert router.state_of("older") is ItemState.QUEUED
    router.requeue("held")
    assert router.owner_of("older") == "a0"
    assert router.owner_of("held") == "a1"
    check_routing_invariants(router)


def test_cooldowns_ending_in_one_tick_are_explained_with_every_agent_eligible_by_then(
    clock: ManualClock,
) -> None:
    # Found by the state machine's explain check: the first cool-down's end served that agent
    # as "the only eligible agent", although the other decliner's cool-down had ended too.
    router = make_router(clock, cooldown=timedelta(minutes=3), push_timeout=None)
    staff(router, Agent("a0", capacity=1), Agent("a1", capacity=1))
    router.submit(WorkItem("c0"))
    router.decline("c0", "a0")
    router.decline("c0", "a1")
    assert router.state_of("c0") is ItemState.QUEUED
    clock.advance(timedelta(minutes=3))
    router.tick()
    decision = router.explain("c0")
    assert decision.agent_id == "a0"  # a1 was offered work more recently
    assert (decision.eligible, decision.runner_up) == (2, "a1")
    assert decision.tie_break is TieBreak.LONGEST_SINCE_OFFER
    check_routing_invariants(router)


def test_a_tick_settles_the_queue_before_rerouting_expired_offers(clock: ManualClock) -> None:
    # Everything due by a tick has happened by then: an older item whose cool-down ended is
    # served before a newer item whose offer expired is re-routed to the same agent.
    router = make_router(clock, cooldown=timedelta(minutes=5), push_timeout=timedelta(minutes=2))
    staff(router, Agent("a", capacity=1), Agent("b", {"s": 1}, capacity=1))
    router.submit(WorkItem("older", {"s": 1}))
    router.decline("older", "b")  # only b can take it: it waits until b's cool-down ends
    router.submit(WorkItem("newer"))
    assert router.owner_of("newer") == "a"
    clock.advance(timedelta(minutes=10))
    router.tick()
    assert router.owner_of("older") == "b"
    assert router.state_of("newer") is ItemState.QUEUED  # a timed out on it, b is full
    check_routing_invariants(router)
