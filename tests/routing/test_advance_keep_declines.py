"""A change of requirement within one step keeps the item's declines (``keep_declines``).

An escalation ladder's rung widens who may take a waiting item; an agent who declined it
(a conflict of interest, say) must not be offered it again for that, within the cool-down.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from casekit.clock import ManualClock
from casekit.errors import ValidationError
from casekit.routing import (
    Agent,
    EventKind,
    ItemState,
    Ladder,
    LadderRunner,
    Presence,
    Router,
    RoutingEvent,
    Rung,
    WorkItem,
)
from casekit.storage import BoundRouter, DurableRouter, MemoryStorage
from casekit.storage.durable_router import _advance
from casekit.testing import check_routing_invariants

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
MIN = timedelta(minutes=1)


def office(cooldown: timedelta | None) -> tuple[ManualClock, Router]:
    """ana holds triage only; bea holds triage and spanish. C-1 needs both: bea declines."""
    clock = ManualClock(START)
    router = Router(clock=clock, push_timeout=None, cooldown=cooldown)
    router.add_agent(Agent("ana", {"triage": 1}, capacity=1), Presence.AVAILABLE)
    router.add_agent(Agent("bea", {"triage": 1, "spanish": 1}), Presence.AVAILABLE)
    offer = router.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    assert offer is not None
    assert offer.agent_id == "bea"
    router.decline("C-1", "bea")
    assert router.state_of("C-1") is ItemState.QUEUED
    return clock, router


def test_a_relaxed_requirement_keeping_declines_goes_past_the_decliner() -> None:
    clock, router = office(cooldown=timedelta(minutes=30))
    router.assign(WorkItem("busy", {"triage": 1}), "ana")  # ana is full for now
    clock.advance(10 * MIN)
    offer = router.advance("C-1", stage="Triage", skills={"triage": 1}, keep_declines=True)
    assert offer is None  # bea declined it; ana has no room
    assert router.item("C-1").declined_by == ("bea",)
    assert router.item("C-1").created_at == START  # its age, as any advance
    router.release("busy")
    assert router.owner_of("C-1") == "ana"  # ana's room serves it
    check_routing_invariants(router)


def test_the_kept_cool_down_still_ends_and_the_item_is_offered_then() -> None:
    clock, router = office(cooldown=timedelta(minutes=30))
    router.assign(WorkItem("busy", {"triage": 1}), "ana")
    clock.advance(10 * MIN)
    router.advance("C-1", stage="Triage", skills={"triage": 1}, keep_declines=True)
    clock.advance(19 * MIN)
    router.tick()
    assert router.state_of("C-1") is ItemState.QUEUED  # one minute of the cool-down left
    clock.advance(MIN)
    router.tick()  # the cool-down's end is a timer of the item's new state
    status = router.item("C-1")
    assert (status.state, status.agent_id) == (ItemState.OFFERED, "bea")
    assert status.declined_by == ()
    check_routing_invariants(router)


def test_an_ended_cool_down_is_not_carried() -> None:
    clock, router = office(cooldown=timedelta(minutes=30))
    router.assign(WorkItem("busy", {"triage": 1}), "ana")
    clock.advance(30 * MIN)  # ended, but no tick has run
    offer = router.advance("C-1", stage="Triage", skills={"triage": 1}, keep_declines=True)
    assert offer is not None
    assert offer.agent_id == "bea"
    assert router.item("C-1").declined_by == ()


def test_a_decline_without_a_cool_down_is_kept_while_the_item_is_here() -> None:
    clock, router = office(cooldown=None)
    clock.advance(24 * 60 * MIN)
    offer = router.advance("C-1", stage="Triage", skills={"triage": 1}, keep_declines=True)
    assert offer is not None
    assert offer.agent_id == "ana"
    router.decline("C-1", "ana")
    assert router.state_of("C-1") is ItemState.QUEUED  # both declined: it waits
    assert router.item("C-1").declined_by == ("ana", "bea")


def test_without_keep_declines_an_advance_forgets_them_as_before() -> None:
    _clock, router = office(cooldown=timedelta(minutes=30))
    router.assign(WorkItem("busy", {"triage": 1}), "ana")
    offer = router.advance("C-1", stage="Triage", skills={"triage": 1})
    assert offer is not None
    assert offer.agent_id == "bea"


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_keep_declines_must_be_a_bool_and_a_refusal_changes_nothing(bad: object) -> None:
    _clock, router = office(cooldown=timedelta(minutes=30))
    events: list[RoutingEvent] = []
    router.subscribe(events.append)
    before = router.item("C-1")
    with pytest.raises(ValidationError, match=r"keep_declines .*'C-1'.* True or False"):
        router.advance("C-1", stage="Next", skills={}, keep_declines=bad)  # type: ignore[arg-type]
    assert router.item("C-1") == before
    assert events == []


def test_a_ladder_rung_does_not_offer_the_item_back_to_its_decliner() -> None:
    clock = ManualClock(START)
    router = Router(clock=clock, push_timeout=None, cooldown=timedelta(hours=8))
    router.add_agent(Agent("ana", {"triage": 1}), Presence.AVAILABLE)
    router.add_agent(Agent("bea", {"triage": 1, "spanish": 1}, capacity=1), Presence.AVAILABLE)
    runner = LadderRunner(router, [Ladder("Triage", [Rung(10 * MIN, drop={"spanish"})])])
    router.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    router.decline("C-1", "bea")  # she knows the family
    router.assign(WorkItem("ana-busy", {"triage": 1}), "ana")
    router.set_capacity("ana", 1)
    clock.advance(10 * MIN)
    (rung,) = runner.tick()
    assert dict(rung.skills_after) == {"triage": 1}
    assert router.state_of("C-1") is ItemState.QUEUED  # not back to bea
    router.release("ana-busy")
    assert router.owner_of("C-1") == "ana"


def journal_of(storage: MemoryStorage) -> list[tuple[str, dict[str, object]]]:
    with storage.unit_of_work() as uow:
        return [(entry.command, dict(entry.args)) for entry in uow.journal.read("d")]


def declined_and_busy(bound: BoundRouter) -> None:
    """`office`'s story, durable: bea declines C-1; ana is busy with a pinned item."""
    bound.add_agent(Agent("ana", {"triage": 1}, capacity=1), Presence.AVAILABLE)
    bound.add_agent(Agent("bea", {"triage": 1, "spanish": 1}), Presence.AVAILABLE)
    bound.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    bound.decline("C-1", "bea")
    bound.assign(WorkItem("busy", {"triage": 1}), "ana")


def test_a_durable_advance_journals_keep_declines_and_replicas_agree() -> None:
    clock = ManualClock(START)
    storage = MemoryStorage(clock=clock)
    first = DurableRouter(storage, "d", clock=clock, push_timeout=None, cooldown=timedelta(hours=1))
    with storage.unit_of_work() as uow:
        bound = first.bind(uow)
        declined_and_busy(bound)
        bound.advance("C-1", stage="Triage", skills={"triage": 1}, keep_declines=True)
        bound.advance("busy", stage="Next", skills={"triage": 1})
        uow.commit()
    advances = [args for command, args in journal_of(storage) if command == "advance"]
    assert advances[0]["keep_declines"] is True
    assert "keep_declines" not in advances[1]  # the default is journalled as before it
    second = DurableRouter(
        storage, "d", clock=clock, push_timeout=None, cooldown=timedelta(hours=1)
    )
    with storage.unit_of_work() as uow:
        replica = second.bind(uow)
        assert replica.query(lambda r: r.item("C-1").declined_by) == ("bea",)
        # "busy" left ana at its advance (a pin ends with the step): C-1 went to her
        assert replica.query(lambda r: r.owner_of("C-1")) == "ana"


def test_an_advance_journalled_before_keep_declines_replays_forgetting_them() -> None:
    _clock, router = office(cooldown=timedelta(minutes=30))
    router.assign(WorkItem("busy", {"triage": 1}), "ana")
    old_entry = {
        "item_id": "C-1", "stage": "Triage", "skills": {"triage": 1}, "priority": None,
        "weight": None,
    }  # fmt: skip
    offer = _advance(router, old_entry)
    assert offer is not None
    assert getattr(offer, "agent_id", None) == "bea"


TRIAGE_LADDERS = [Ladder("Triage", [Rung(10 * MIN, drop={"spanish"})])]


def durable_office(
    storage: MemoryStorage, clock: ManualClock, ladders: list[Ladder]
) -> DurableRouter:
    """A durable router for `office`'s people, with or without the Triage ladder."""
    return DurableRouter(
        storage, "d", clock=clock, ladders=ladders, push_timeout=None, cooldown=timedelta(hours=8)
    )


def ticked_office() -> tuple[ManualClock, MemoryStorage, DurableRouter]:
    """bea declines C-1 and ana is busy; ten minutes on, the ladder's rung drops spanish."""
    clock = ManualClock(START)
    storage = MemoryStorage(clock=clock)
    first = durable_office(storage, clock, TRIAGE_LADDERS)
    with storage.unit_of_work() as uow:
        bound = first.bind(uow)
        declined_and_busy(bound)
        uow.commit()
    clock.advance(10 * MIN)
    with storage.unit_of_work() as uow:
        bound = first.bind(uow)
        bound.tick()
        assert bound.state_of("C-1") is ItemState.QUEUED  # not back to bea
        uow.commit()
    return clock, storage, first


def test_durable_ladder_ticks_journal_that_rungs_keep_declines() -> None:
    clock, storage, _first = ticked_office()
    (ladder,) = [args for command, args in journal_of(storage) if command == "ladder"]
    assert ladder["keeps_declines"] is True
    for ladders in (TRIAGE_LADDERS, []):  # a replica replays the same effect, either way
        with storage.unit_of_work() as uow:
            replica = durable_office(storage, clock, ladders).bind(uow)
            assert replica.query(lambda r: r.item("C-1").declined_by) == ("bea",)
            assert replica.state_of("C-1") is ItemState.QUEUED


def test_a_ladder_entry_journalled_before_rungs_kept_declines_replays_forgetting_them() -> None:
    """Journals written by a casekit whose rungs forgot the declines still replay as they
    ran: the entry without ``keeps_declines`` offers the item back to its decliner, in a
    replica with the ladders and in one without."""
    clock, storage, _first = ticked_office()
    journal = storage._journals["d"]
    (at,) = [n for n, entry in enumerate(journal) if entry.command == "ladder"]
    old_args = {k: v for k, v in journal[at].args.items() if k != "keeps_declines"}
    journal[at] = attrs.evolve(journal[at], args=old_args)
    for ladders in (TRIAGE_LADDERS, []):
        with storage.unit_of_work() as uow:
            replica = durable_office(storage, clock, ladders).bind(uow)
            assert replica.query(lambda r: r.owner_of("C-1")) == "bea"  # as it ran then
            assert replica.query(lambda r: r.item("C-1").declined_by) == ()


def test_the_release_of_an_advance_keeping_declines_says_so() -> None:
    _clock, router = office(cooldown=timedelta(minutes=30))
    events: list[RoutingEvent] = []
    router.subscribe(events.append)
    router.advance("C-1", stage="Triage", skills={"triage": 1}, keep_declines=True)
    router.advance("C-1", stage="Next", skills={"triage": 1})
    released = [e.detail for e in events if e.kind is EventKind.RELEASED]
    assert released == ["to Triage; declines kept", "to Next"]
