"""Capacity per channel through the durable router: the journal codec, old entries, and the
channels state machine run through a DurableRouter with the in-memory router as the oracle."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import rule, run_state_machine_as_test

from casekit.clock import ManualClock
from casekit.errors import ValidationError
from casekit.routing import (
    Agent,
    CapacityModel,
    ExplainDetail,
    LiveStats,
    Presence,
    Router,
    StatusBased,
    TabBased,
    WorkItem,
)
from casekit.storage import DurableRouter, MemoryStorage, SQLiteStorage, Storage
from casekit.storage.durable_router import _agent, _agent_args, _item, _item_args
from casekit.storage.ports import JournalEntry
from casekit.testing.contract_routing import _DurableFacade, observable


def _channels_machine_module() -> ModuleType:
    """The channels state machine of tests/routing, loaded by path (tests is no package)."""
    name = "_channels_state_machine"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "routing" / "test_channels_state_machine.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_machines = _channels_machine_module()
STATUS_BASED: StatusBased = _machines.STATUS_BASED
ChannelsMachine: type[Any] = _machines.ChannelsMachine
CheckedRouter: type[Router] = _machines.CheckedRouter

RUNS = settings(
    max_examples=10,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


class _ChannelsFacade(_DurableFacade):
    """The durable facade, with the channel commands going through both routers too."""

    _MUTATING: ClassVar[frozenset[str]] = _DurableFacade._MUTATING | {
        "set_channels",
        "set_work_status",
    }


def durable_channels_machine(storage: Storage, capacity_model: CapacityModel) -> type[Any]:
    """The channels machine against a DurableRouter on ``storage``, an in-memory oracle."""
    domains = iter(range(1_000_000))

    class DurableChannelsMachine(ChannelsMachine):  # type: ignore[misc]
        def make_router(self, clock: ManualClock) -> Router:
            self.domain = f"channels-{id(self)}-{next(domains)}"
            self.options: dict[str, Any] = {
                "push_timeout": timedelta(minutes=5),
                "capacity_model": capacity_model,
                "explain": ExplainDetail.FULL,
            }
            self.durable = DurableRouter(storage, self.domain, clock=clock, **self.options)
            oracle = CheckedRouter(clock=clock, **self.options)
            return _ChannelsFacade(self.durable, oracle)  # type: ignore[return-value]

        def watch(self, router: Router) -> LiveStats | None:
            return None  # LiveStats watches an in-memory router only

        @rule(how=st.sampled_from(["snapshot", "second replica"]))
        def rebuild_replica(self, how: str) -> None:
            """A replica rebuilt from a snapshot or the journal equals the live one."""
            live = self.durable.read(observable)
            if how == "snapshot":
                self.durable.take_snapshot()
                self.durable.rebuild()
                assert self.durable.read(observable) == live
            else:
                other = DurableRouter(storage, self.domain, clock=self.clock, **self.options)
                assert other.read(observable) == live
                assert other.read(lambda r: r.capacity_model) == capacity_model

    return DurableChannelsMachine


@pytest.mark.parametrize("model", ["tab-based", "status-based"])
def test_the_durable_router_agrees_with_the_in_memory_router_on_channels(
    storage: Storage, model: str
) -> None:
    capacity_model = TabBased() if model == "tab-based" else STATUS_BASED
    run_state_machine_as_test(  # type: ignore[no-untyped-call]
        durable_channels_machine(storage, capacity_model), settings=RUNS
    )


def test_channels_and_item_channels_survive_the_journal_codec() -> None:
    agent = Agent("ana", {"x": 1}, capacity=100, channels={"chats": 60, "calls": 100})
    item = WorkItem("c1", {"x": 1}, weight=30, channel="chats")
    assert _agent(_agent_args(agent)) == agent
    assert _item(_item_args(item)) == item
    assert _item(_item_args(WorkItem("c2"))).channel is None


def test_entries_journalled_before_channels_still_replay(tmp_path: Any) -> None:
    storage = SQLiteStorage(tmp_path / "old.db", clock=ManualClock(T0))
    old_agent = {"id": "ana", "skills": {}, "capacity": 2, "auto_accept": False}
    old_item = {
        "id": "c1",
        "skills": {},
        "priority": "Normal",
        "weight": 1,
        "stage": None,
        "created_at": None,
    }
    with storage.unit_of_work() as uow:
        uow.journal.append(
            [
                JournalEntry(
                    "old", 1, T0, "add_agent", {"agent": old_agent, "presence": "Available"}
                ),
                JournalEntry("old", 2, T0, "submit", {"item": old_item}),
            ]
        )
        uow.commit()
    router = DurableRouter(storage, "old")
    assert dict(router.agent("ana").agent.channels) == {}
    assert router.item("c1").item.channel is None
    assert router.item("c1").agent_id == "ana"


def test_the_channel_commands_are_journalled_and_replayed(tmp_path: Any) -> None:
    clock = ManualClock(T0)
    storage = SQLiteStorage(tmp_path / "channels.db", clock=clock)
    web = DurableRouter(storage, "desk", capacity_model=STATUS_BASED)
    web.add_agent(
        Agent("ana", capacity=100, channels={"cases": 100, "chats": 60, "calls": 100}),
        Presence.AVAILABLE,
    )
    for n in (1, 2, 3):
        web.submit(WorkItem(f"chat-{n}", weight=30, channel="chats"))
    web.accept("chat-1", "ana")
    web.set_work_status("chat-1", "On Hold")  # chat-3 is offered at once
    web.set_channels("ana", {"chats": 90})
    with pytest.raises(ValidationError):
        web.set_work_status("chat-3", "On Hold")  # offered: refused, not journalled
    with storage.unit_of_work() as uow:
        commands = [entry.command for entry in uow.journal.read("desk", after=0)]
    assert commands[-2:] == ["set_work_status", "set_channels"]
    worker = DurableRouter(storage, "desk", capacity_model=STATUS_BASED)
    assert worker.read(observable) == web.read(observable)
    ana = worker.agent("ana")
    assert dict(ana.channel_loads) == {"chats": 60}
    assert dict(ana.agent.channels) == {"chats": 90}
    assert worker.item("chat-1").work_status == "On Hold"
    memory = MemoryStorage(clock=clock)
    tab = DurableRouter(memory, "desk")
    tab.add_agent(Agent("ben"), Presence.AVAILABLE)
    tab.submit(WorkItem("c1"))
    tab.accept("c1", "ben")
    with pytest.raises(ValidationError, match="tab-based"):
        tab.set_work_status("c1", "On Hold")
