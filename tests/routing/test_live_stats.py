"""Live statistics (issue 20, part 7): counters kept from events agree with a full recount.

`LiveStats` subscribes to a router and keeps its figures from the events; after every step
of the router's own state machine (every operation, refused ones included) its snapshot
must equal `snapshot_from_scratch`, which walks every item and agent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant

from casekit.clock import ManualClock
from casekit.errors import CasekitError
from casekit.routing import Agent, Presence, Priority, Router, RoutingModel, WorkItem
from casekit.routing.live import AgentActivity, LiveStats, snapshot_from_scratch
from casekit.testing import RouterStateMachine

THRESHOLDS = {Priority.URGENT: timedelta(minutes=5), Priority.LOW: timedelta(minutes=40)}


class LiveStatsMachine(RouterStateMachine):
    """The router's state machine with live statistics watching it."""

    def make_router(self, clock: ManualClock) -> Router:
        router = Router(
            model=RoutingModel.MOST_AVAILABLE,
            clock=clock,
            cooldown=timedelta(minutes=15),
            push_timeout=timedelta(minutes=5),
            offline_grace=timedelta(minutes=10),
        )
        self.live = LiveStats(router, at_risk_after=THRESHOLDS)
        return router

    @invariant()
    def live_figures_match_a_full_recount(self) -> None:
        now = self.clock.now()
        assert self.live.snapshot(now) == snapshot_from_scratch(self.router, now, THRESHOLDS)
        assert self.live.waiting() == self.live.snapshot(now).total_waiting


LiveStatsMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLiveStats = LiveStatsMachine.TestCase

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_a_wallboard_reads_the_figures() -> None:
    clock = ManualClock(T0)
    router = Router(clock=clock)
    live = LiveStats(router, at_risk_after=timedelta(minutes=10))
    router.add_agent(Agent("ana", {"intake": 1}, capacity=1), Presence.AVAILABLE)
    router.add_agent(Agent("bob", {"intake": 1}, capacity=1), Presence.OFFLINE)
    router.submit(WorkItem("c1", {"intake": 1}, stage="Intake"))
    clock.advance(timedelta(minutes=3))
    router.submit(WorkItem("c2", {"intake": 1}, priority=Priority.HIGH, stage="Intake"))
    clock.advance(timedelta(minutes=9))
    now = clock.now()
    assert (live.offers_pending, live.waiting(), live.waiting(Priority.HIGH)) == (1, 1, 1)
    assert live.waiting_in("Intake") == 1
    assert live.longest_wait(now) == timedelta(minutes=9)
    assert live.at_risk(now) == 0
    clock.advance(timedelta(minutes=2))
    assert live.at_risk(clock.now()) == 1
    assert (live.agents(AgentActivity.BUSY), live.agents(AgentActivity.OFFLINE)) == (1, 1)
    router.accept("c1", "ana")
    router.release("c1")  # ana has room: c2 is offered to her at once
    assert (live.waiting(), live.offers_pending, live.accepted) == (0, 1, 0)
    assert live.longest_wait(clock.now()) is None
    live.close()
    router.accept("c2", "ana")
    assert live.accepted == 0  # no longer watching


def test_live_stats_start_from_what_the_router_holds() -> None:
    clock = ManualClock(T0)
    router = Router(clock=clock)
    router.submit(WorkItem("c1", {"intake": 1}))
    router.add_agent(Agent("ana", {"intake": 1}), Presence.AVAILABLE)
    live = LiveStats(router)
    assert (live.offers_pending, live.agents(AgentActivity.AVAILABLE)) == (1, 1)


@pytest.mark.parametrize(
    "at_risk_after",
    [timedelta(0), timedelta(minutes=-1), {"urgent": timedelta(minutes=1)}, {Priority.LOW: 5}, 5],
)
def test_bad_thresholds_are_refused(at_risk_after: object) -> None:
    with pytest.raises(CasekitError):
        LiveStats(Router(), at_risk_after=at_risk_after)  # type: ignore[arg-type]


def test_a_router_is_required() -> None:
    with pytest.raises(CasekitError, match="must be a Router"):
        LiveStats(object())  # type: ignore[arg-type]
