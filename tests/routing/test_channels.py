"""Capacity per channel and the tab-based and status-based capacity models, rule by rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from casekit.clock import ManualClock
from casekit.errors import CapacityExceeded, CasekitError, NotFound, ValidationError
from casekit.routing import (
    Agent,
    AgentActivity,
    EventKind,
    ExplainDetail,
    ItemState,
    LiveStats,
    Outcome,
    Presence,
    Router,
    RoutingEvent,
    StatusBased,
    TabBased,
    WorkItem,
)
from casekit.routing.live import snapshot_from_scratch
from casekit.testing import check_routing_invariants

STATUS_BASED = StatusBased(counted=frozenset({"In Progress", "Waiting"}), initial="In Progress")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))


def make_router(clock: ManualClock, **options: object) -> Router:
    return Router(clock=clock, push_timeout=None, explain=ExplainDetail.FULL, **options)  # type: ignore[arg-type]


def salesforce_agent(agent_id: str = "ana") -> Agent:
    """Omni-Channel's example: 100 units, chats limited to 60."""
    return Agent(agent_id, capacity=100, channels={"cases": 100, "chats": 60, "calls": 100})


def call(item_id: str) -> WorkItem:
    return WorkItem(item_id, weight=100, channel="calls")


def chat(item_id: str) -> WorkItem:
    return WorkItem(item_id, weight=30, channel="chats")


def case(item_id: str) -> WorkItem:
    return WorkItem(item_id, weight=20, channel="cases")


def record(router: Router) -> list[RoutingEvent]:
    events: list[RoutingEvent] = []
    router.subscribe(events.append)
    return events


def observable(router: Router) -> object:
    return (
        router.agents(),
        router.items(),
        router.queue(),
        tuple(router.decisions(status.item.id) for status in router.items()),
        router.next_deadline(),
    )


def refused(router: Router, call: Callable[[], object], error: type[CasekitError]) -> str:
    before = observable(router)
    events = record(router)
    with pytest.raises(error) as raised:
        call()
    assert observable(router) == before, "a refused call changed the router"
    assert not events, "a refused call emitted events"
    return str(raised.value)


def _status_setter(router: Router, item_id: str, status: str) -> Callable[[], None]:
    return lambda: router.set_work_status(item_id, status)


# ---------------------------------------------------------------------------- channels


def test_an_agent_without_channels_takes_items_of_any_channel(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", capacity=3), Presence.AVAILABLE)
    for n, channel in enumerate(("chats", "calls", None)):
        offer = router.submit(WorkItem(f"c{n}", channel=channel))
        assert offer is not None
        assert offer.agent_id == "ana"
    assert dict(router.agent("ana").channel_loads) == {"chats": 1, "calls": 1}
    assert router.load("ana") == 3


def test_an_agent_with_channels_is_offered_only_items_of_its_channels(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 5}), Presence.AVAILABLE)
    assert router.submit(WorkItem("call", channel="calls")) is None
    assert router.state_of("call") is ItemState.QUEUED
    offer = router.submit(WorkItem("chat", channel="chats"))
    assert offer is not None
    assert offer.agent_id == "ana"


def test_an_item_without_a_channel_is_limited_by_total_capacity_only(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", capacity=3, channels={"chats": 1}), Presence.AVAILABLE)
    assert router.submit(WorkItem("c1", weight=3)) is not None  # no channel: total only
    assert router.load("ana") == 3
    assert dict(router.agent("ana").channel_loads) == {}
    assert router.submit(WorkItem("c2")) is None  # the total is full


def test_each_channel_stays_within_its_units_and_all_together_within_capacity(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    router.add_agent(salesforce_agent(), Presence.AVAILABLE)
    assert router.submit(chat("chat-1")) is not None
    assert router.submit(chat("chat-2")) is not None
    assert router.submit(chat("chat-3")) is None  # chats would be 90 of 60
    assert router.submit(case("case-1")) is not None
    assert router.submit(case("case-2")) is not None  # 60 + 40 = 100: the bucket is full
    assert router.submit(case("case-3")) is None
    status = router.agent("ana")
    assert status.load == 100
    assert dict(status.channel_loads) == {"chats": 60, "cases": 40}
    check_routing_invariants(router)


def test_a_call_takes_the_whole_bucket(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(salesforce_agent(), Presence.AVAILABLE)
    assert router.submit(call("call-1")) is not None
    assert router.submit(chat("chat-1")) is None
    router.release("call-1")  # the chat is offered at once
    assert router.owner_of("chat-1") == "ana"


def test_a_full_channel_passes_the_agent_over_for_another(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", capacity=10, channels={"chats": 1}), Presence.AVAILABLE)
    router.add_agent(Agent("ben", capacity=10), Presence.AVAILABLE)
    router.submit(WorkItem("chat-1", channel="chats"))  # ana: ties go by id
    router.submit(WorkItem("case-1", weight=2))  # ben (load 0 < 1)
    assert router.owner_of("chat-1") == "ana"
    offer = router.submit(WorkItem("chat-2", channel="chats"))
    assert offer is not None
    assert offer.agent_id == "ben"  # ana is less loaded, but her chats are full
    decision = router.explain("chat-2")
    assert "1 agent(s) with room passed over: channel 'chats' full or not taken" in decision.reason
    assert decision.reason.startswith("offered to ben")


def test_explain_says_a_waiting_item_passed_over_agents_for_its_channel(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 5}), Presence.AVAILABLE)
    router.add_agent(Agent("ben", channels={"cases": 5}), Presence.AVAILABLE)
    router.submit(WorkItem("call", channel="calls"))
    decision = router.explain("call")
    assert decision.outcome is Outcome.QUEUED
    assert decision.reason.startswith("no eligible agent has room for call")
    assert "2 agent(s) with room passed over: channel 'calls' full or not taken" in decision.reason


def test_explain_is_unchanged_when_no_channel_was_in_the_way(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana"), Presence.AVAILABLE)
    router.submit(WorkItem("c1", channel="chats"))
    assert "passed over" not in router.explain("c1").reason


def test_is_eligible_checks_the_channel(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 1}), Presence.AVAILABLE)
    router.add_agent(Agent("ben", channels={"cases": 1}), Presence.OFFLINE)
    router.submit(WorkItem("chat-1", channel="chats"))
    router.submit(WorkItem("chat-2", channel="chats"))
    assert router.is_eligible("chat-1", "ana")  # it holds it: its own weight is room
    assert not router.is_eligible("chat-2", "ana")  # chats full
    router.set_presence("ben", Presence.AVAILABLE)
    assert not router.is_eligible("chat-2", "ben")  # not taken


def test_set_channels_that_give_room_serve_the_queue_at_once(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 1}), Presence.AVAILABLE)
    router.submit(WorkItem("chat-1", channel="chats"))
    router.submit(WorkItem("call-1", channel="calls"))
    router.submit(WorkItem("chat-2", channel="chats"))
    assert router.queue_length() == 2
    events = record(router)
    router.set_channels("ana", {"chats": 2, "calls": 1})
    assert router.owner_of("chat-2") == "ana"
    assert router.owner_of("call-1") == "ana"
    assert events[0].kind is EventKind.CHANNELS_CHANGED
    assert events[0].detail == "calls=1, chats=2"
    assert [e.kind for e in events[1:]] == [EventKind.OFFERED, EventKind.OFFERED]
    check_routing_invariants(router)


def test_set_channels_below_what_is_held_keeps_the_work_and_stops_new_offers(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 3}), Presence.AVAILABLE)
    router.submit(WorkItem("chat-1", weight=2, channel="chats"))
    router.accept("chat-1", "ana")
    router.set_channels("ana", {"chats": 1, "cases": 5})
    assert router.owner_of("chat-1") == "ana"
    assert dict(router.agent("ana").channel_loads) == {"chats": 2}
    assert router.submit(WorkItem("chat-2", channel="chats")) is None
    assert router.submit(WorkItem("case-1", channel="cases")) is not None
    router.set_channels("ana", {"cases": 5})  # chats dropped: the chat stays
    assert router.owner_of("chat-1") == "ana"
    router.release("chat-1")  # cases only: chat-2 still waits
    assert router.state_of("chat-2") is ItemState.QUEUED
    check_routing_invariants(router)


def test_empty_channels_remove_every_per_channel_limit(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 1}), Presence.AVAILABLE)
    router.submit(WorkItem("call-1", channel="calls"))
    router.set_channels("ana", {})
    assert router.owner_of("call-1") == "ana"
    assert dict(router.agent("ana").agent.channels) == {}


def test_setting_the_channels_an_agent_has_changes_nothing(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 1}), Presence.AVAILABLE)
    events = record(router)
    router.set_channels("ana", {"chats": 1})
    assert events == []


def test_a_pin_over_a_channels_units_needs_override(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 1}), Presence.AVAILABLE)
    router.submit(WorkItem("chat-1", channel="chats"))
    message = refused(
        router,
        lambda: router.assign(WorkItem("chat-2", channel="chats"), "ana"),
        CapacityExceeded,
    )
    assert "'chats' load 2, above that channel's 1 units" in message
    router.assign(WorkItem("chat-2", channel="chats"), "ana", override=True)
    assert router.item("chat-2").override
    check_routing_invariants(router)


def test_a_pin_of_a_channel_the_agent_does_not_take_is_a_persons_decision(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 1}), Presence.AVAILABLE)
    router.assign(WorkItem("call-1", channel="calls"), "ana")
    assert not router.item("call-1").override
    assert dict(router.agent("ana").channel_loads) == {"calls": 1}


def test_unpinning_when_pins_are_not_counted_checks_the_channel(clock: ManualClock) -> None:
    router = make_router(clock, count_pins=False)
    router.add_agent(Agent("ana", channels={"chats": 1}), Presence.AVAILABLE)
    router.submit(WorkItem("chat-1", channel="chats"))
    router.assign(WorkItem("chat-2", channel="chats"), "ana")  # not counted: room enough
    message = refused(router, lambda: router.unpin("chat-2"), CapacityExceeded)
    assert "'chats' load" in message
    router.unpin("chat-2", override=True)
    assert dict(router.agent("ana").channel_loads) == {"chats": 2}


def test_a_released_item_leaves_its_channel(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 1}), Presence.AVAILABLE)
    router.submit(WorkItem("chat-1", channel="chats"))
    router.submit(WorkItem("chat-2", channel="chats"))
    router.release("chat-1")
    assert router.owner_of("chat-2") == "ana"
    router.release("chat-2")
    assert dict(router.agent("ana").channel_loads) == {}


# ---------------------------------------------------------------------------- capacity models


def test_the_tab_based_model_is_the_default_and_refuses_work_statuses(
    clock: ManualClock,
) -> None:
    router = make_router(clock)
    assert router.capacity_model == TabBased()
    router.add_agent(Agent("ana"), Presence.AVAILABLE)
    router.submit(WorkItem("c1"))
    router.accept("c1", "ana")
    message = refused(router, lambda: router.set_work_status("c1", "On Hold"), ValidationError)
    assert "cannot set the work status of c1" in message
    assert "tab-based" in message
    assert "status-based" in message
    assert router.item("c1").work_status is None


def test_accepting_sets_the_initial_status_and_keeps_the_load(clock: ManualClock) -> None:
    router = make_router(clock, capacity_model=STATUS_BASED)
    router.add_agent(Agent("ana", capacity=2), Presence.AVAILABLE)
    router.submit(WorkItem("c1", weight=2))
    assert router.item("c1").work_status is None  # offered: no status, counted
    router.accept("c1", "ana")
    assert router.item("c1").work_status == "In Progress"
    assert router.load("ana") == 2


def test_work_that_stops_counting_frees_room_and_waiting_work_is_offered_at_once(
    clock: ManualClock,
) -> None:
    router = make_router(clock, capacity_model=STATUS_BASED)
    router.add_agent(salesforce_agent(), Presence.AVAILABLE)
    router.submit(chat("chat-1"))
    router.submit(chat("chat-2"))
    router.accept("chat-1", "ana")
    router.submit(chat("chat-3"))
    assert router.state_of("chat-3") is ItemState.QUEUED  # chats full
    events = record(router)
    router.set_work_status("chat-1", "On Hold")
    assert router.owner_of("chat-3") == "ana"
    assert [(e.kind, e.item_id, e.detail) for e in events] == [
        (EventKind.WORK_STATUS_CHANGED, "chat-1", "On Hold"),
        (EventKind.OFFERED, "chat-3", None),
    ]
    status = router.agent("ana")
    assert status.load == 60
    assert dict(status.channel_loads) == {"chats": 60}


def test_work_that_counts_again_may_exceed_capacity_and_stops_offers(
    clock: ManualClock,
) -> None:
    router = make_router(clock, capacity_model=STATUS_BASED)
    router.add_agent(Agent("ana", capacity=2, channels={"chats": 2}), Presence.AVAILABLE)
    router.submit(WorkItem("c1", weight=2, channel="chats"))
    router.accept("c1", "ana")
    router.set_work_status("c1", "On Hold")
    router.submit(WorkItem("c2", weight=2, channel="chats"))
    router.accept("c2", "ana")
    router.set_work_status("c1", "Waiting")  # counted again: 4 of 2, allowed
    status = router.agent("ana")
    assert status.load == 4
    assert dict(status.channel_loads) == {"chats": 4}
    assert router.submit(WorkItem("c3", channel="chats")) is None
    router.set_work_status("c1", "Closed")  # 2 of 2: still no room
    assert router.state_of("c3") is ItemState.QUEUED
    router.release("c2")
    assert router.owner_of("c3") == "ana"


def test_the_work_status_ends_when_the_item_leaves_its_agent(clock: ManualClock) -> None:
    router = make_router(clock, capacity_model=STATUS_BASED)
    router.add_agent(Agent("ana", capacity=1), Presence.AVAILABLE)
    router.submit(WorkItem("c1"))
    router.accept("c1", "ana")
    router.set_work_status("c1", "On Hold")
    router.requeue("c1")  # offered again to ana, counted from the offer
    assert router.item("c1").work_status is None
    assert router.load("ana") == 1
    router.accept("c1", "ana")
    assert router.item("c1").work_status == "In Progress"


def test_setting_the_status_an_item_has_changes_nothing(clock: ManualClock) -> None:
    router = make_router(clock, capacity_model=STATUS_BASED)
    router.add_agent(Agent("ana"), Presence.AVAILABLE)
    router.submit(WorkItem("c1"))
    router.accept("c1", "ana")
    events = record(router)
    router.set_work_status("c1", "In Progress")
    assert events == []


def test_a_status_among_the_counted_keeps_the_load(clock: ManualClock) -> None:
    router = make_router(clock, capacity_model=STATUS_BASED)
    router.add_agent(Agent("ana"), Presence.AVAILABLE)
    router.submit(WorkItem("c1", weight=3))
    router.accept("c1", "ana")
    router.set_work_status("c1", "Waiting")
    assert router.load("ana") == 3


def test_pins_start_at_the_initial_status_and_count_when_pins_count(
    clock: ManualClock,
) -> None:
    counted = make_router(clock, capacity_model=STATUS_BASED)
    uncounted = make_router(clock, capacity_model=STATUS_BASED, count_pins=False)
    for router in (counted, uncounted):
        router.add_agent(Agent("ana", channels={"cases": 5}), Presence.AVAILABLE)
        router.assign(WorkItem("c1", weight=2, channel="cases"), "ana")
        assert router.item("c1").work_status == "In Progress"
        router.set_work_status("c1", "On Hold")
    assert counted.load("ana") == 0
    assert uncounted.load("ana") == 0
    counted.set_work_status("c1", "In Progress")
    uncounted.set_work_status("c1", "In Progress")
    assert counted.load("ana") == 2
    assert uncounted.load("ana") == 0  # pins are left out whatever their status
    uncounted.set_work_status("c1", "On Hold")
    uncounted.unpin("c1")  # accepted, on hold: still not counted
    assert uncounted.load("ana") == 0
    uncounted.set_work_status("c1", "In Progress")
    assert dict(uncounted.agent("ana").channel_loads) == {"cases": 2}


def test_only_accepted_or_pinned_work_has_a_work_status(clock: ManualClock) -> None:
    router = make_router(clock, capacity_model=STATUS_BASED)
    router.add_agent(Agent("ana", capacity=1), Presence.AVAILABLE)
    router.submit(WorkItem("offered"))
    router.submit(WorkItem("queued"))
    for item_id, state in (("offered", "Offered to ana"), ("queued", "Awaiting Assignment")):
        message = refused(router, _status_setter(router, item_id, "On Hold"), ValidationError)
        assert f"it is {state}" in message
        assert "only accepted or pinned work" in message
    refused(router, lambda: router.set_work_status("nope", "On Hold"), NotFound)


def test_live_statistics_follow_a_work_status_that_frees_room(clock: ManualClock) -> None:
    router = make_router(clock, capacity_model=STATUS_BASED)
    router.add_agent(Agent("ana", capacity=1), Presence.AVAILABLE)
    live = LiveStats(router)
    router.submit(WorkItem("c1"))
    router.accept("c1", "ana")
    assert live.agents(AgentActivity.BUSY) == 1
    router.set_work_status("c1", "On Hold")
    assert live.agents(AgentActivity.AVAILABLE) == 1
    now = clock.now()
    assert live.snapshot(now) == snapshot_from_scratch(router, now)
    router.set_channels("ana", {"chats": 1})
    assert live.snapshot(now) == snapshot_from_scratch(router, now)


def test_advancing_an_item_keeps_its_channel(clock: ManualClock) -> None:
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 2}), Presence.AVAILABLE)
    router.submit(WorkItem("c1", channel="chats", stage="Chaser"))
    router.advance("c1", stage="Case Manager", skills={})
    assert router.item("c1").item.channel == "chats"
    assert dict(router.agent("ana").channel_loads) == {"chats": 1}


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        (["chats"], "channels of agent ana must be a mapping of channel name to capacity units"),
        ({"": 1}, "channel names of agent ana must be non-empty strings, got ''"),
        ({"  ": 1}, "a channel name of agent ana must be a non-blank string"),
        ({3: 1}, "channel names of agent ana must be non-empty strings, got 3"),
        ({"chats": 0}, "channel 'chats' of agent ana has 0 units; units are integers >= 1"),
        ({"chats": -2}, "channel 'chats' of agent ana has -2 units; units are integers >= 1"),
        ({"chats": True}, "channel 'chats' of agent ana has True units; units are integers >= 1"),
        ({"chats": 1.5}, "channel 'chats' of agent ana has 1.5 units; units are integers >= 1"),
        ({"chats": "60"}, "channel 'chats' of agent ana has '60' units; units are integers >= 1"),
    ],
)
def test_bad_channels_are_refused_naming_the_agent_the_value_and_what_is_valid(
    clock: ManualClock, channels: object, expected: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        Agent("ana", channels=channels)  # type: ignore[arg-type]
    assert expected in str(raised.value)
    router = make_router(clock)
    router.add_agent(Agent("ana", channels={"chats": 1}), Presence.AVAILABLE)
    router.submit(WorkItem("c1", channel="chats"))
    message = refused(
        router,
        lambda: router.set_channels("ana", channels),  # type: ignore[arg-type]
        ValidationError,
    )
    assert expected in message
    refused(router, lambda: router.set_channels("nobody", {"chats": 1}), NotFound)


@pytest.mark.parametrize("channel", ["", "   ", 3, "a\x00b"])
def test_a_bad_item_channel_is_refused_naming_the_item(channel: object) -> None:
    with pytest.raises(ValidationError, match="the channel of work item c1 must"):
        WorkItem("c1", channel=channel)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"counted": frozenset()}, "must name at least one work status"),
        ({"counted": "In Progress"}, "must be a set of work statuses, got 'In Progress'"),
        ({"counted": 3}, "must be a set of work statuses, got 3"),
        ({"counted": {"In Progress", ""}}, "a counted work status of a status-based"),
        ({"counted": {"In Progress", 3}}, "a counted work status of a status-based"),
        (
            {"counted": {"In Progress"}, "initial": "New"},
            "the initial work status 'New' of a status-based capacity model must be one of "
            "the counted ones: In Progress",
        ),
        ({"counted": {"In Progress"}, "initial": ""}, "the initial work status"),
    ],
)
def test_a_bad_status_based_model_is_refused(options: dict[str, object], expected: str) -> None:
    with pytest.raises(ValidationError) as raised:
        StatusBased(**options)  # type: ignore[arg-type]
    assert expected in str(raised.value)


def test_a_router_refuses_a_capacity_model_that_is_neither(clock: ManualClock) -> None:
    with pytest.raises(ValidationError, match="capacity_model of a router must be TabBased"):
        Router(clock=clock, capacity_model="status-based")  # type: ignore[arg-type]


@pytest.mark.parametrize("status", ["", "   ", 3, None])
def test_a_bad_work_status_is_refused_and_changes_nothing(
    clock: ManualClock, status: object
) -> None:
    router = make_router(clock, capacity_model=STATUS_BASED)
    router.add_agent(Agent("ana"), Presence.AVAILABLE)
    router.submit(WorkItem("c1"))
    router.accept("c1", "ana")
    message = refused(
        router,
        lambda: router.set_work_status("c1", status),  # type: ignore[arg-type]
        ValidationError,
    )
    assert "the work status of work item c1 must be a non-blank string" in message
    assert router.item("c1").work_status == "In Progress"


def test_the_routing_domain_carries_the_capacity_model() -> None:
    from casekit.app.config import RoutingDomain  # noqa: PLC0415  the app layer, only here

    assert RoutingDomain("benefits").capacity_model == TabBased()
    assert RoutingDomain("benefits", capacity_model=STATUS_BASED).capacity_model is STATUS_BASED
    with pytest.raises(ValidationError, match="capacity_model of domain benefits must be"):
        RoutingDomain("benefits", capacity_model="tab")  # type: ignore[arg-type]


def test_timeouts_and_offline_withdrawals_free_the_channel(clock: ManualClock) -> None:
    router = Router(clock=clock, push_timeout=timedelta(minutes=5))
    router.add_agent(Agent("ana", channels={"chats": 1}), Presence.AVAILABLE)
    router.add_agent(Agent("ben", channels={"chats": 1}), Presence.AVAILABLE)
    router.submit(WorkItem("chat-1", channel="chats"))
    clock.advance(timedelta(minutes=5))
    router.tick()  # ana timed out: ben
    assert router.owner_of("chat-1") == "ben"
    assert dict(router.agent("ana").channel_loads) == {}
    router.set_presence("ben", Presence.OFFLINE)  # withdrawn: nobody else may take it
    assert dict(router.agent("ben").channel_loads) == {}
    assert router.state_of("chat-1") is ItemState.QUEUED
    check_routing_invariants(router)
