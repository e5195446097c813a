"""Worklists: order under random data, views, and incremental upkeep equal to a rebuild."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from casekit.clock import ManualClock
from casekit.errors import AlreadyExists, NotFound
from casekit.priority import Priority
from casekit.worklists import (
    DEFAULT_POLICIES,
    BusinessCalendar,
    Caseload,
    Outcome,
    Signal,
    SlaEvent,
    WorkItem,
    Worklists,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
POLICIES = list(DEFAULT_POLICIES.values())
WORKERS = ["w1", "w2", "w3"]


@st.composite
def items(draw: st.DrawFn) -> list[WorkItem]:
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from([f"c{i}" for i in range(12)]), st.sampled_from(POLICIES)),
            unique_by=lambda k: (k[0], k[1].name),
            max_size=40,
        )
    )
    result = []
    for client, policy in keys:
        opened = T0 + timedelta(hours=draw(st.integers(-2000, 0)))
        result.append(
            WorkItem(
                client_id=client,
                case_id=client,
                policy=policy,
                worker_id=draw(st.sampled_from(WORKERS)),
                opened_at=opened,
                due=T0 + timedelta(hours=draw(st.integers(-300, 300))),
                priority=policy.category.priority,
            )
        )
    return result


def expected_order(all_items: list[WorkItem], worker: str) -> list[WorkItem]:
    mine = [i for i in all_items if i.worker_id == worker]
    return sorted(
        mine, key=lambda i: (i.category.rank, i.due, i.opened_at, i.client_id, i.policy.name)
    )


@given(items())
def test_worklist_is_ordered_by_category_then_due_time_then_age(data: list[WorkItem]) -> None:
    built = Worklists.build(data)
    incremental = Worklists()
    for item in data:
        incremental.add(item)
    for worker in WORKERS:
        assert list(built.ordered(worker)) == expected_order(data, worker)
        assert list(incremental.ordered(worker)) == expected_order(data, worker)


@given(items())
def test_oldest_to_newest_view_orders_by_age(data: list[WorkItem]) -> None:
    lists = Worklists.build(data)
    for worker in WORKERS:
        got = list(lists.oldest_first(worker))
        assert [i.opened_at for i in got] == sorted(
            i.opened_at for i in data if i.worker_id == worker
        )


@given(items(), st.integers(-300, 300))
def test_overdue_view_lists_items_past_due_with_how_long(data: list[WorkItem], hours: int) -> None:
    now = T0 + timedelta(hours=hours)
    lists = Worklists.build(data)
    for worker in WORKERS:
        overdue = lists.overdue(worker, now)
        assert [o.item for o in overdue] == [i for i in expected_order(data, worker) if i.due < now]
        assert all(o.overdue_by == now - o.item.due > timedelta(0) for o in overdue)


class IncrementalWorklists(RuleBasedStateMachine):
    """Random events through a Caseload; its worklists always equal a rebuild from scratch."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(T0)
        self.load = Caseload(calendar=BusinessCalendar("UTC"), clock=self.clock)
        for i in range(6):
            self.load.assign(f"c{i}", WORKERS[i % 3])

    clients = st.sampled_from([f"c{i}" for i in range(6)])

    @rule(client=clients, kind=st.sampled_from(Signal))
    def event(self, client: str, kind: Signal) -> None:
        reference = self.clock.now() + timedelta(days=30)
        self.load.record(SlaEvent(kind, client, self.clock.now(), reference=reference))

    @rule(client=clients, outcome=st.sampled_from(Outcome))
    def call(self, client: str, outcome: Outcome) -> None:
        self.load.log_outreach(client, outcome)

    @rule(client=clients, worker=st.sampled_from(WORKERS))
    def reassign(self, client: str, worker: str) -> None:
        self.load.assign(client, worker)

    @rule(hours=st.integers(1, 24 * 20))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))

    @precondition(lambda self: len(self.load.worklists) > 0)
    @rule()
    def check_breaches(self) -> None:
        for escalation in self.load.check_breaches():
            assert escalation.due < self.clock.now()

    @invariant()
    def equals_a_rebuild(self) -> None:
        current = list(self.load.worklists)
        rebuilt = Worklists.build(current)
        for worker in WORKERS:
            assert list(self.load.worklists.ordered(worker)) == list(rebuilt.ordered(worker))
            assert list(self.load.worklists.oldest_first(worker)) == list(
                rebuilt.oldest_first(worker)
            )
        assert all(i.worker_id == self.load.worker_of(i.client_id) for i in current)

    @invariant()
    def breaches_are_only_pending_past_due(self) -> None:
        now = self.clock.now()
        assert self.load.worklists.breached(now) == sorted(
            (i for i in self.load.worklists if i.breached_at is None and i.due < now),
            key=lambda i: (i.due, i.client_id, i.policy.name),
        )


TestIncrementalWorklists = IncrementalWorklists.TestCase


def test_views_due_today_upcoming_overdue() -> None:
    clock = ManualClock(datetime(2026, 3, 4, 15, tzinfo=UTC))  # Wednesday 10:00 in New York
    load = Caseload(calendar=BusinessCalendar("America/New_York"), clock=clock)
    for c in ("late", "today", "soon", "later"):
        load.assign(c, "w1")
    now = clock.now()
    load.record(SlaEvent(Signal.HIGH_RISK_EVENT, "late", now - timedelta(hours=80)))
    load.record(SlaEvent(Signal.INCOMING_MESSAGE, "today", now - timedelta(hours=68)))
    load.record(SlaEvent(Signal.CLIENT_REQUEST, "soon", now - timedelta(days=4)))
    load.record(SlaEvent(Signal.ENTERED_MAINTENANCE, "later", now))
    view = load.worklist("w1")
    assert [(o.item.client_id, o.overdue_by) for o in view.overdue()] == [
        ("late", timedelta(hours=8))
    ]
    assert [i.client_id for i in view.due_today()] == ["today"]
    assert [i.client_id for i in view.upcoming(7)] == ["soon"]
    assert [i.client_id for i in view.ordered()] == ["late", "today", "soon", "later"]
    assert [i.client_id for i in view.oldest_first()] == ["soon", "late", "today", "later"]
    assert len(view) == 4


def test_reassigning_a_client_moves_their_items() -> None:
    load = Caseload(calendar=BusinessCalendar("UTC"), clock=ManualClock(T0))
    load.assign("c1", "w1")
    load.record(SlaEvent(Signal.HIGH_RISK_EVENT, "c1", T0))
    load.assign("c1", "w2")
    assert list(load.worklist("w1")) == []
    assert [i.worker_id for i in load.worklist("w2")] == ["w2"]


def test_duplicate_and_missing_items_are_refused() -> None:
    policy = DEFAULT_POLICIES["maintenance"]
    item = WorkItem("c1", "c1", policy, "w1", T0, T0, policy.category.priority)
    lists = Worklists()
    lists.add(item)
    with pytest.raises(AlreadyExists, match="client c1 already has an open 'maintenance'"):
        lists.add(item)
    with pytest.raises(NotFound, match="client c1 has no open 'high-risk-event' item"):
        lists.remove(("c1", "high-risk-event"))
    assert list(lists.ordered("w1")) == [item]


def test_a_second_start_keeps_the_earlier_due_date() -> None:
    load = Caseload(calendar=BusinessCalendar("UTC"), clock=ManualClock(T0))
    load.assign("c1", "w1")
    load.record(SlaEvent(Signal.HIGH_RISK_EVENT, "c1", T0))
    changes = load.record(SlaEvent(Signal.HIGH_RISK_EVENT, "c1", T0 + timedelta(hours=10)))
    assert not changes
    assert load.worklists.get(("c1", "high-risk-event")).due == T0 + timedelta(hours=72)


def test_items_of_an_urgent_case_keep_the_case_priority() -> None:
    class Case:
        id = "CASE-1"
        priority = Priority.URGENT

    load = Caseload(calendar=BusinessCalendar("UTC"), clock=ManualClock(T0))
    load.assign("c1", "w1")
    event = SlaEvent.for_case(Signal.ENTERED_MAINTENANCE, Case(), client_id="c1", at=T0)
    (item,) = load.record(event).started
    assert (item.case_id, item.priority) == ("CASE-1", Priority.URGENT)
    low = SlaEvent(Signal.HIGH_RISK_EVENT, "c1", T0, priority=Priority.LOW)
    (item,) = load.record(low).started
    assert item.priority is Priority.HIGH  # never below the category's
