"""Validate at the door: what the atomicity fuzz over routing found (test_fuzz_routing.py).

Rule: every public constructor and mutating method checks all of its arguments before it
changes anything, and refuses a bad one with a CasekitError naming the object, the bad value
and what would be valid; never a bare TypeError, never an accepted value that breaks later.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from casekit.clock import ManualClock
from casekit.errors import ValidationError
from casekit.priority import Priority
from casekit.routing import Agent, Aging, Presence, Router, WorkItem
from casekit.routing.model import MAX_SKILL_LEVEL

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize("option", ["push_timeout", "cooldown", "offline_grace"])
@pytest.mark.parametrize("bad", [0, 60, "10m", 1.5])
def test_router_durations_must_be_timedeltas(option: str, bad: object) -> None:
    """Router(push_timeout=60) raised a bare TypeError comparing an int with a timedelta."""
    with pytest.raises(ValidationError, match=rf"{option} must be a timedelta"):
        Router(**{option: bad})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("option", "bad", "message"),
    [
        ("count_pins", "yes", "count_pins of a router must be True or False"),
        ("aging", 0, "aging of a router must be a Aging"),
        ("explain", "everything", "explain of a router must be one of"),
        ("clock", "now", "clock of a router must be a Clock"),
    ],
)
def test_router_options_are_checked_when_built(option: str, bad: object, message: str) -> None:
    """count_pins="false", aging=0 and explain="x" were kept and misbehaved later."""
    with pytest.raises(ValidationError, match=message):
        Router(**{option: bad})  # type: ignore[arg-type]


@pytest.mark.parametrize(("every", "cap"), [(3600, Priority.URGENT), (timedelta(hours=1), "x")])
def test_aging_checks_its_period_and_cap(every: object, cap: object) -> None:
    """Aging(every=3600) raised a bare TypeError; Aging(cap="x") was accepted."""
    with pytest.raises(ValidationError, match=r"aging period must be a timedelta|cap of priority"):
        Aging(every, cap)  # type: ignore[arg-type]


def test_agent_auto_accept_and_item_stage_are_checked() -> None:
    """Agent(auto_accept="no") auto-accepted (a truthy string); WorkItem(stage=0) was kept."""
    with pytest.raises(ValidationError, match=r"auto_accept of agent a1 must be True or False"):
        Agent("a1", auto_accept="no")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"stage of work item i1"):
        WorkItem("i1", stage=0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"stage of work item i1 must not contain a NUL"):
        WorkItem("i1", stage="a\x00b")


def test_advance_needs_a_stage_and_changes_nothing_without_one() -> None:
    """advance(stage=None) was accepted although a step must be named."""
    router = Router(clock=ManualClock(T0))
    router.submit(WorkItem("i1", {"s": 1}, stage="Chaser"))
    before = router.items()
    with pytest.raises(ValidationError, match=r"stage work item 'i1' advances to"):
        router.advance("i1", stage=None, skills={"s": 1})  # type: ignore[arg-type]
    assert router.items() == before


def test_a_subscriber_must_be_callable() -> None:
    """subscribe(42) was accepted, and the next event raised a bare TypeError mid-command."""
    router = Router(clock=ManualClock(T0))
    with pytest.raises(ValidationError, match=r"router subscriber must be callable"):
        router.subscribe(42)  # type: ignore[arg-type]


def test_skill_levels_are_bounded_so_indexing_stays_quick() -> None:
    """set_skills({"k": 10**100}) ran for ever: the index keeps one bit per level held."""
    router = Router(clock=ManualClock(T0))
    router.add_agent(Agent("a1", {"s": 1}), Presence.AVAILABLE)
    started = time.monotonic()
    with pytest.raises(
        ValidationError, match=rf"levels are integers >= 1 and <= {MAX_SKILL_LEVEL}"
    ):
        router.set_skills("a1", {"s": 10**100})
    assert time.monotonic() - started < 1
    assert router.agent("a1").agent.skills == {"s": 1}
    with pytest.raises(ValidationError, match=r"skill name of agent a2 must not contain a NUL"):
        Agent("a2", {"a\x00b": 1})
    router.set_skills("a1", {"s": MAX_SKILL_LEVEL})
