"""The routing state machine of casekit.testing run against the built-in configurations."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import settings

from casekit.clock import ManualClock
from casekit.routing import Aging, ExplainDetail, Priority, Router, RoutingModel
from casekit.testing import RouterStateMachine

STEPS = settings(stateful_step_count=30, deadline=None)


class LeastActiveMachine(RouterStateMachine):
    pass


class MostAvailableMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(model=RoutingModel.MOST_AVAILABLE, clock=clock, explain=ExplainDetail.FULL)


class PinsNotCountedMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(clock=clock, count_pins=False, explain=ExplainDetail.FULL)


class CooldownMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(
            model=RoutingModel.MOST_AVAILABLE,
            clock=clock,
            cooldown=timedelta(minutes=15),
            push_timeout=timedelta(minutes=5),
        )


class OfflineGraceMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(clock=clock, offline_grace=timedelta(minutes=10), explain=ExplainDetail.FULL)


class AgingMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(
            clock=clock,
            aging=Aging(every=timedelta(minutes=10), cap=Priority.HIGH),
            cooldown=timedelta(minutes=30),
            push_timeout=None,
        )


TestLeastActive = LeastActiveMachine.TestCase
TestLeastActive.settings = STEPS
TestMostAvailable = MostAvailableMachine.TestCase
TestMostAvailable.settings = STEPS
TestPinsNotCounted = PinsNotCountedMachine.TestCase
TestPinsNotCounted.settings = STEPS
TestCooldown = CooldownMachine.TestCase
TestCooldown.settings = STEPS
TestOfflineGrace = OfflineGraceMachine.TestCase
TestOfflineGrace.settings = STEPS
TestAging = AgingMachine.TestCase
TestAging.settings = STEPS
