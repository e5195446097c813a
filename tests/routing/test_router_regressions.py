"""Regressions: bugs the simulator and the state machines found, kept found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casekit.clock import ManualClock
from casekit.errors import CasekitError, ValidationError
from casekit.routing import (
    Agent,
    AgentView,
    ItemState,
    Presence,
    Router,
    WorkItem,
    jain_index,
)


def test_a_previous_steps_push_timeout_does_not_expire_the_next_steps_offer() -> None:
    clock = ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    router = Router(push_timeout=timedelta(minutes=5), clock=clock)
    router.add_agent(Agent(id="chaser", skills={"chaser": 1}), Presence.AVAILABLE)
    router.add_agent(Agent(id="manager", skills={"case_manager": 1}), Presence.AVAILABLE)
    router.submit(WorkItem(id="C-1", skills={"chaser": 1}))  # deadline 09:05
    router.accept("C-1", "chaser")
    clock.advance(timedelta(minutes=3))
    router.advance("C-1", stage="Case Manager", skills={"case_manager": 1})  # deadline 09:08
    clock.advance(timedelta(minutes=3))  # 09:06: only the first step's deadline has passed
    assert router.tick() == 0
    assert router.state_of("C-1") is ItemState.OFFERED
    assert router.item("C-1").declined_by == ()


def test_a_resubmitted_items_offer_keeps_its_own_deadline() -> None:
    clock = ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    router = Router(push_timeout=timedelta(minutes=5), clock=clock)
    router.add_agent(Agent(id="a", skills={"s": 1}), Presence.AVAILABLE)
    router.submit(WorkItem(id="C-1", skills={"s": 1}))
    router.release("C-1")
    clock.advance(timedelta(minutes=2))
    router.submit(WorkItem(id="C-1", skills={"s": 1}))
    clock.advance(timedelta(minutes=4))
    router.tick()
    assert router.state_of("C-1") is ItemState.OFFERED
    clock.advance(timedelta(minutes=2))
    router.tick()
    assert router.state_of("C-1") is ItemState.QUEUED


def test_removing_an_agent_announces_it_offline_before_its_offers_move() -> None:
    clock = ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    router = Router(clock=clock)
    router.add_agent(Agent(id="a0"), Presence.AVAILABLE)
    router.add_agent(Agent(id="a1"), Presence.AVAILABLE)
    router.submit(WorkItem(id="C-1"))  # to a0 (tie on load, by id)
    events: list[tuple[str, str | None, str | None]] = []
    router.subscribe(lambda e: events.append((e.kind.value, e.item_id, e.agent_id)))
    router.remove_agent("a0")
    assert events == [
        ("presence changed", None, "a0"),
        ("withdrawn", "C-1", "a0"),
        ("offered", "C-1", "a1"),
        ("agent removed", None, "a0"),
    ]


# ---------------------------------------------------------------- validation at the door


def test_assign_and_unpin_refuse_a_truthy_string_as_override() -> None:
    """Regression: ``assign(..., override="false")`` pinned over capacity."""

    router = Router(clock=ManualClock())
    router.add_agent(Agent("ana", {"a": 1}, capacity=1), Presence.AVAILABLE)
    router.assign(WorkItem("c1", {"a": 1}), "ana")
    before = (router.agents(), router.items())
    with pytest.raises(ValidationError):
        router.assign(WorkItem("c2", {"a": 1}), "ana", override="false")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        router.unpin("c1", override="yes")  # type: ignore[arg-type]
    assert (router.agents(), router.items()) == before


def test_jain_index_refuses_what_is_not_a_non_negative_number() -> None:
    """Regression: a ValueError outside the error tree from routing/metrics.py."""

    for bad in ([-1.0], [float("nan")], ["1"], [True]):
        with pytest.raises(ValidationError):
            jain_index(bad)  # type: ignore[arg-type]
    assert jain_index([1, 1]) == 1.0


def test_a_policy_mixing_integer_and_other_scores_is_a_casekit_error() -> None:
    """Regression: a TypeError from routing/index.py for a custom policy's score."""

    class Mixed:
        name = "mixed"

        def score(self, agent: AgentView) -> object:
            return 1 if agent.id == "a" else 1.5

    router = Router(model=Mixed(), clock=ManualClock())  # type: ignore[arg-type]
    router.add_agent(Agent("a", {"s": 1}), Presence.AVAILABLE)
    with pytest.raises(CasekitError, match="one type"):
        router.add_agent(Agent("b", {"s": 1}), Presence.AVAILABLE)
