"""The atomicity fuzz over routing: validate at the door, refuse cleanly, journal nothing.

The in-memory :class:`~casekit.routing.Router` (every public mutating method, and the
``Agent``, ``WorkItem``, ``Aging`` and ``Router`` constructors), then the
:class:`~casekit.storage.DurableRouter` on a MemoryStorage and on a SQLite file: its one-shot
methods, each its own unit of work. For the durable router the state compared is what a caller
sees of the router (``contract_routing.observable``) plus the journal's head, so a refused
command must also leave nothing journalled. The counts appear in pytest's terminal summary under
"casekit atomicity fuzz".
"""

from __future__ import annotations

import pathlib
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from casekit.clock import ManualClock
from casekit.priority import Priority
from casekit.routing import (
    Agent,
    Aging,
    ExplainDetail,
    ItemState,
    Presence,
    Router,
    RoutingEvent,
    RoutingModel,
    WorkItem,
)
from casekit.storage import DurableRouter, MemoryStorage, SQLiteStorage
from casekit.testing import Call, FuzzReport, FuzzTarget
from casekit.testing.contract_routing import observable
from casekit.testing.fuzz import Operation, constructor

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
SKILLS = {"benefits": 2}


def listener(event: RoutingEvent) -> None:
    """A subscriber that does nothing."""


class _Commands:
    """The calls that set up a router (or a durable one) with a little of everything."""

    @staticmethod
    def populate(router: Any) -> None:
        router.add_agent(Agent("a1", {"benefits": 3}, capacity=3), Presence.AVAILABLE)
        router.add_agent(Agent("a2", {"benefits": 2, "escalated": 1}, capacity=3))
        router.set_presence("a2", Presence.AVAILABLE)
        router.submit(WorkItem("i1", SKILLS, stage="Chaser"))  # offered
        router.submit(WorkItem("i2", SKILLS, stage="Chaser"))  # offered, then accepted
        router.accept("i2", router.item("i2").agent_id)
        router.submit(WorkItem("i3", {"sign language": 1}, Priority.HIGH))  # queued
        router.assign(WorkItem("i4", SKILLS), "a2")  # pinned
        router.subscribe(listener)


def router() -> Router:
    routed = Router(clock=ManualClock(T0), explain=ExplainDetail.FULL)
    _Commands.populate(routed)
    return routed


def offered(routed: Any) -> Call:
    status = routed.item("i1")
    assert status.state is ItemState.OFFERED
    return Call("i1", status.agent_id)


def router_args() -> dict[str, Call | Callable[[Any], Call]]:
    return {
        "add_agent": Call(Agent("a3", {"benefits": 1}, capacity=2), Presence.AVAILABLE),
        "remove_agent": Call("a1"),
        "set_presence": Call("a1", Presence.BUSY),
        "set_skills": Call("a1", {"benefits": 1, "escalated": 2}),
        "set_capacity": Call("a1", 5),
        "submit": Call(WorkItem("i9", SKILLS, Priority.URGENT, 1, "Chaser", T0)),
        "accept": offered,
        "decline": offered,
        "release": Call("i2"),
        "advance": Call(
            "i2", stage="Reviewer", skills={"benefits": 1}, priority=Priority.HIGH, weight=1
        ),
        "requeue": Call("i2"),
        "assign": Call("i3", "a1", override=True),
        "unpin": Call("i4", override=True),
        "tick": Call(),
    }


ROUTER_METHODS = [*router_args(), "subscribe", "unsubscribe"]


@attrs.define
class Durable:
    """A durable router on a storage; its state is what a caller sees plus the journal head."""

    durable: DurableRouter

    def state(self) -> object:
        with self.durable.storage.unit_of_work() as uow:
            head = uow.journal.head(self.durable.domain)
        return (self.durable.read(observable), head)


def durable_on(storage_factory: Callable[[], Any]) -> Callable[[], Durable]:
    def factory() -> Durable:
        durable = DurableRouter(
            storage_factory(), "team-1", clock=ManualClock(T0), explain=ExplainDetail.FULL
        )
        _Commands.populate(durable)
        return Durable(durable)

    return factory


_FOLDER = tempfile.TemporaryDirectory(prefix="casekit-fuzz-routing-")
"""One temporary folder for every SQLite file the fuzz makes, removed at exit."""


def sqlite_storage() -> SQLiteStorage:
    return SQLiteStorage(pathlib.Path(_FOLDER.name) / f"{uuid.uuid4().hex}.db")


def subscribed(scene: Durable) -> Call:
    """Subscribe ``listener``; a valid unsubscribe is then this call."""
    scene.durable.subscribe(listener)
    return Call(listener)


def one_shot(name: str) -> Operation[Durable]:
    return Operation(getattr(DurableRouter, name), prefix=lambda d: (d.durable,))


def durable_target(name: str, storage_factory: Callable[[], Any]) -> FuzzTarget[Any]:
    return FuzzTarget(
        name,
        durable_on(storage_factory),
        methods={method: one_shot(method) for method in router_args()},
        good_args={
            method: (
                (lambda d, _good=good: _good(d.durable)) if callable(good) else good  # type: ignore[misc]
            )
            for method, good in router_args().items()
        },
        state=Durable.state,
    )


ROUTING: list[FuzzTarget[Any]] = [
    FuzzTarget(
        "Router",
        router,
        methods=ROUTER_METHODS,
        good_args={
            **router_args(),
            "subscribe": Call(lambda event: None),
            "unsubscribe": Call(listener),
        },
    ),
    FuzzTarget(
        "routing constructors",
        router,
        methods={
            "Router": constructor(Router),
            "Agent": constructor(Agent),
            "WorkItem": constructor(WorkItem),
            "Aging": constructor(Aging),
        },
        good_args={
            "Router": Call(
                model=RoutingModel.MOST_AVAILABLE,
                push_timeout=timedelta(minutes=5),
                clock=ManualClock(T0),
                cooldown=timedelta(hours=1),
                offline_grace=timedelta(minutes=1),
                count_pins=False,
                aging=Aging(timedelta(hours=1), Priority.HIGH),
                explain=ExplainDetail.FULL,
            ),
            "Agent": Call("a7", {"benefits": 2}, capacity=4, auto_accept=True),
            "WorkItem": Call("i7", {"benefits": 1}, Priority.HIGH, 2, "Reviewer", T0),
            "Aging": Call(timedelta(hours=2), Priority.HIGH),
        },
    ),
    FuzzTarget(
        "DurableRouter constructor and subscribers",
        durable_on(MemoryStorage),
        methods={
            "DurableRouter": constructor(DurableRouter),
            "subscribe": Operation(DurableRouter.subscribe, prefix=lambda d: (d.durable,)),
            "unsubscribe": Operation(DurableRouter.unsubscribe, prefix=lambda d: (d.durable,)),
        },
        good_args={
            "DurableRouter": Call(
                MemoryStorage(clock=ManualClock(T0)),
                "team-2",
                model=RoutingModel.MOST_AVAILABLE,
                push_timeout=timedelta(minutes=5),
                cooldown=timedelta(hours=1),
                offline_grace=timedelta(minutes=1),
                count_pins=False,
                aging=Aging(timedelta(hours=1), Priority.HIGH),
                explain=ExplainDetail.FULL,
                clock=ManualClock(T0),
                snapshot_every=50,
                attempts=3,
            ),
            "subscribe": Call(listener),
            "unsubscribe": subscribed,
        },
    ),
    durable_target("DurableRouter (memory)", MemoryStorage),
    durable_target("DurableRouter (SQLite file)", sqlite_storage),
]


@pytest.mark.parametrize("target", ROUTING, ids=lambda t: t.name)
def test_routing_validates_at_the_door(
    target: FuzzTarget[Any], fuzz_reports: list[FuzzReport], request: pytest.FixtureRequest
) -> None:
    """Rule: every routing call succeeds or raises a CasekitError with nothing changed (and,
    for the durable router, nothing journalled)."""
    report = target.run(seed=0, max_calls=200, timeout=10.0)
    fuzz_reports.append(report)
    assert report.tried > 0, report
    report.assert_clean(allow_suspect=False)
