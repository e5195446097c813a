"""Escalation ladders: each rung kind, the audit, explain, pauses, calendars and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casekit.clock import ManualClock
from casekit.errors import NotFound, ValidationError
from casekit.priority import Priority
from casekit.routing import (
    Agent,
    ItemState,
    Ladder,
    LadderRunner,
    Outcome,
    Presence,
    Router,
    Rung,
    RungApplied,
    WorkItem,
)
from casekit.worklists import BusinessCalendar

START = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
MIN = timedelta(minutes=1)


def make(
    *ladders: Ladder, agents: tuple[Agent, ...] = ()
) -> tuple[ManualClock, Router, LadderRunner]:
    clock = ManualClock(START)
    router = Router(clock=clock, push_timeout=None)
    for agent in agents:
        router.add_agent(agent, Presence.AVAILABLE)
    return clock, router, LadderRunner(router, ladders)


def test_drop_rung_relaxes_and_routes_at_once() -> None:
    ladder = Ladder("Triage", [Rung(10 * MIN, drop={"spanish"})])
    clock, router, runner = make(ladder, agents=(Agent("ana", {"triage": 1}),))
    router.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    assert router.state_of("C-1") is ItemState.QUEUED
    assert runner.next_due() == START + 10 * MIN
    clock.advance(9 * MIN)
    assert runner.tick() == []
    clock.advance(MIN)
    (record,) = runner.tick()
    assert router.owner_of("C-1") == "ana"  # work-conserving: routed by the rung's advance
    assert dict(record.skills_before) == {"triage": 1, "spanish": 1}
    assert dict(record.skills_after) == {"triage": 1}
    assert (record.index, record.due, record.at) == (0, START + 10 * MIN, START + 10 * MIN)
    status = router.item("C-1")
    assert status.item.stage == "Triage"
    assert status.created_at == START
    assert runner.history("C-1") == (record,)
    assert runner.next_due() is None


def test_lower_rung_lowers_only() -> None:
    ladder = Ladder("Review", [Rung(5 * MIN, lower={"review": 2, "french": 3})])
    clock, router, runner = make(ladder, agents=(Agent("bo", {"review": 2}),))
    router.submit(WorkItem("C-1", {"review": 3, "french": 1}, stage="Review"))
    clock.advance(5 * MIN)
    (record,) = runner.tick()
    assert dict(record.skills_after) == {"review": 2, "french": 1}  # french stays at 1
    assert router.state_of("C-1") is ItemState.QUEUED  # bo lacks french


def test_widen_to_another_queue_and_raise() -> None:
    ladder = Ladder(
        "Tier 1",
        [Rung(30 * MIN, skills={"tier2": 1}, raise_to=Priority.HIGH)],
    )
    clock, router, runner = make(ladder, agents=(Agent("cy", {"tier2": 1}),))
    router.submit(WorkItem("C-1", {"tier1": 1}, stage="Tier 1"))
    clock.advance(31 * MIN)
    (record,) = runner.tick()
    assert router.owner_of("C-1") == "cy"
    assert router.item("C-1").priority is Priority.HIGH
    assert (record.priority_before, record.priority_after) == (Priority.NORMAL, Priority.HIGH)


def test_raise_only_rung_keeps_the_offer() -> None:
    ladder = Ladder("S", [Rung(MIN, raise_to=Priority.URGENT)])
    clock, router, runner = make(ladder, agents=(Agent("ana", {"x": 1}),))
    offer = router.submit(WorkItem("C-1", {"x": 1}, stage="S"))
    assert offer is not None
    clock.advance(MIN)
    runner.tick()
    status = router.item("C-1")
    assert (status.state, status.offered_at, status.priority) == (
        ItemState.OFFERED,
        offer.at,
        Priority.URGENT,
    )


def test_raise_never_lowers() -> None:
    ladder = Ladder("S", [Rung(MIN, raise_to=Priority.HIGH)])
    clock, router, runner = make(ladder)
    router.submit(WorkItem("C-1", {"x": 1}, priority=Priority.URGENT, stage="S"))
    clock.advance(MIN)
    (record,) = runner.tick()
    assert record.priority_after is Priority.URGENT
    assert router.item("C-1").priority is Priority.URGENT


def test_notify_rung_reaches_subscribers_and_changes_nothing() -> None:
    ladder = Ladder("S", [Rung(MIN, drop={"a"}), Rung(2 * MIN, notify=True)])
    clock, router, runner = make(ladder)
    seen: list[RungApplied] = []
    runner.subscribe(seen.append)
    router.submit(WorkItem("C-1", {"a": 1, "b": 1}, stage="S"))
    before = router.explain("C-1")
    clock.advance(5 * MIN)
    applied = runner.tick()  # both rungs were due: applied in order
    assert [r.index for r in applied] == [0, 1]
    assert seen == applied
    assert [r.notify for r in seen] == [False, True]
    assert dict(seen[1].skills_before) == dict(seen[1].skills_after) == {"b": 1}
    assert router.explain("C-1") != before  # the drop re-routed (queued again)


def test_held_items_pause_and_resume_when_waiting_again() -> None:
    ladder = Ladder("S", [Rung(MIN, drop={"b"})])
    clock, router, runner = make(ladder, agents=(Agent("ana", {"a": 1, "b": 1}),))
    router.submit(WorkItem("C-1", {"a": 1, "b": 1}, stage="S"))
    router.accept("C-1", "ana")
    clock.advance(2 * MIN)
    assert runner.tick() == []
    assert runner.next_due() is None  # paused while held
    router.requeue("C-1")
    assert runner.next_due() == START + MIN
    (record,) = runner.tick()
    assert dict(record.skills_after) == {"a": 1}


def test_external_advance_restarts_the_ladder_and_own_advances_do_not() -> None:
    ladder = Ladder("S", [Rung(MIN, drop={"b"}), Rung(3 * MIN, drop={"c"})])
    clock, router, runner = make(ladder)
    router.submit(WorkItem("C-1", {"a": 1, "b": 1, "c": 1}, stage="S"))
    clock.advance(MIN)
    runner.tick()
    assert len(runner.history("C-1")) == 1  # its own advance did not restart it
    router.advance("C-1", stage="S", skills={"b": 2, "c": 1})  # someone moved the step
    assert runner.history("C-1") == ()
    explanation = runner.explain("C-1")
    assert (explanation.entered_at, dict(explanation.base_skills)) == (
        clock.now(),
        {"b": 2, "c": 1},
    )
    assert explanation.next_due == clock.now() + MIN


def test_stages_without_a_ladder_are_left_alone_and_release_forgets() -> None:
    clock, router, runner = make(Ladder("S", [Rung(MIN, drop={"a"})]))
    router.submit(WorkItem("C-1", {"a": 1}, stage="Other"))
    router.submit(WorkItem("C-2", {"a": 1}, stage="S"))
    clock.advance(MIN)
    assert [r.item_id for r in runner.tick()] == ["C-2"]
    assert runner.explain("C-1").next_due is None
    router.release("C-2")
    with pytest.raises(NotFound, match="C-2"):
        runner.history("C-2")


def test_explain_holds_the_decision_and_the_rungs() -> None:
    ladder = Ladder("S", [Rung(MIN, skills={"b": 1}, notify=True)])
    clock, router, runner = make(ladder, agents=(Agent("bo", {"b": 1}),))
    router.submit(WorkItem("C-1", {"a": 1}, stage="S"))
    clock.advance(MIN)
    runner.tick()
    explanation = runner.explain("C-1")
    assert explanation.decision == router.explain("C-1")
    assert explanation.decision.outcome is Outcome.OFFERED
    assert explanation.decision.agent_id == "bo"
    assert dict(explanation.skills) == {"b": 1}
    assert explanation.rungs == runner.history("C-1")
    assert "rung 1 (after 0:01:00: require b=1; notify)" in explanation.reason
    assert "offered to bo" in explanation.reason


def test_business_time_with_a_calendar() -> None:
    calendar = BusinessCalendar("UTC")  # 09:00-17:00, Monday to Friday
    clock = ManualClock(datetime(2026, 3, 6, 16, 30, tzinfo=UTC))  # Friday 16:30
    router = Router(clock=clock)
    runner = LadderRunner(
        router, [Ladder("S", [Rung(timedelta(hours=1), drop={"a"})])], calendar=calendar
    )
    router.submit(WorkItem("C-1", {"a": 1}, stage="S"))
    assert runner.next_due() == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)  # Monday 09:30
    clock.advance(timedelta(hours=2))
    assert runner.tick() == []


def test_a_refused_replay_leaves_the_runner_as_it_was() -> None:
    """A durable replica replays a recorded rung; one the router refuses changes nothing."""
    ladder = Ladder("S", [Rung(MIN, raise_to=Priority.HIGH), Rung(2 * MIN, drop={"a"})])
    _, router, runner = make(ladder, agents=(Agent("ana", {"z": 1}, capacity=3),))
    router.submit(WorkItem("C-1", {"a": 1}, weight=3, stage="S"))
    router.set_capacity("ana", 2)  # no agent can take it now: a relaxing rung is refused
    runner.history("C-1")  # the item's stage looked up (a cache, not a change)
    before = runner.state()
    with pytest.raises(ValidationError, match="refused rung 2 of C-1"):
        runner.replay("C-1", 1, START + 2 * MIN)
    assert runner.state() == before
    assert runner.blocked == frozenset()
    assert runner.history("C-1") == ()
    with pytest.raises(ValidationError, match="rung index must be an int"):
        runner.replay("C-1", "0", START + MIN)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"naive|timezone|aware"):
        runner.replay("C-1", 0, datetime(2026, 3, 2, 9, 1))
    assert runner.state() == before


def test_items_already_in_the_router_are_adopted_now() -> None:
    clock = ManualClock(START)
    router = Router(clock=clock)
    router.submit(WorkItem("C-1", {"a": 1}, stage="S"))
    clock.advance(MIN)
    runner = LadderRunner(router, [Ladder("S", [Rung(MIN, drop={"a"})])])
    assert runner.next_due() == START + 2 * MIN


def test_a_refused_advance_blocks_the_item_until_retried() -> None:
    ladder = Ladder("S", [Rung(MIN, drop={"a"})])
    clock, router, runner = make(ladder, agents=(Agent("ana", {"z": 1}, capacity=3),))
    router.submit(WorkItem("C-1", {"a": 1}, weight=3, stage="S"))
    router.set_capacity("ana", 2)
    clock.advance(MIN)
    assert runner.tick() == []
    assert runner.blocked == {"C-1"}
    assert dict(router.item("C-1").item.skills) == {"a": 1}
    router.set_capacity("ana", 3)
    (record,) = runner.tick()
    assert runner.blocked == frozenset()
    assert router.owner_of("C-1") == "ana"
    assert record.index == 0


def test_many_items_do_not_leave_the_heap_growing() -> None:
    _clock, router, runner = make(Ladder("S", [Rung(MIN, notify=True)]))
    for n in range(500):
        router.submit(WorkItem(f"C-{n}", {"a": 1}, stage="S"))
        router.release(f"C-{n}")
    assert len(runner._heap) < 200  # stale entries are compacted away
    assert runner.next_due() is None


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"after": timedelta(0), "notify": True}, "after of a rung must be positive"),
        ({"after": 5, "notify": True}, "must be a timedelta"),
        ({"after": MIN, "drop": "spanish"}, "collection of skill names"),
        ({"after": MIN, "lower": {"a": 0}}, "levels are integers"),
        ({"after": MIN, "drop": {"a"}, "lower": {"a": 1}}, "both drops and lowers"),
        ({"after": MIN, "skills": {"b": 1}, "drop": {"a"}}, "replaces the skills"),
        ({"after": MIN, "raise_to": "Urgent"}, "must be a Priority"),
        ({"after": MIN}, "does nothing"),
        ({"after": MIN, "notify": "yes"}, "notify"),
    ],
)
def test_bad_rungs_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Rung(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stage", "rungs", "message"),
    [
        ("S", [], "no rungs"),
        ("S", [Rung(2 * MIN, notify=True), Rung(MIN, notify=True)], "strictly increasing"),
        ("S", [Rung(MIN, notify=True), Rung(MIN, drop={"a"})], "strictly increasing"),
        ("S", [Rung(MIN, lower={"a": 2}), Rung(2 * MIN, lower={"a": 2})], "to at most 1"),
        ("S", [Rung(MIN, drop={"a"}), Rung(2 * MIN, lower={"a": 1})], "already dropped"),
        ("S", [Rung(MIN, skills={"b": 2}), Rung(2 * MIN, drop={"a"})], "does not hold"),
        ("S", [Rung(MIN, skills={"b": 2}), Rung(2 * MIN, lower={"b": 2})], "not below the 2"),
        (None, [Rung(MIN, drop={"a"})], "needs a stage name"),
        ("", [Rung(MIN, notify=True)], "stage of a ladder"),
        ("S", "rungs", "sequence of Rung"),
        ("S", [object()], "Rung values"),
    ],
)
def test_bad_ladders_are_refused(stage: object, rungs: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Ladder(stage, rungs)  # type: ignore[arg-type]


def test_ladder_skills_after_folds_the_rungs() -> None:
    ladder = Ladder(
        "S",
        [Rung(MIN, lower={"a": 2}), Rung(2 * MIN, drop={"b"}), Rung(3 * MIN, skills={"c": 1})],
    )
    base = {"a": 3, "b": 1}
    assert [dict(ladder.skills_after(base, n)) for n in range(4)] == [
        {"a": 3, "b": 1},
        {"a": 2, "b": 1},
        {"a": 2},
        {"c": 1},
    ]
    with pytest.raises(ValidationError, match="from 0 to 3"):
        ladder.skills_after(base, 4)


def test_bad_runner_arguments_are_refused_and_change_nothing() -> None:
    router = Router()
    ladder = Ladder("S", [Rung(MIN, notify=True)])
    with pytest.raises(ValidationError, match="router of a ladder runner"):
        LadderRunner("router", [ladder])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="two ladders for stage 'S'"):
        LadderRunner(router, [ladder, ladder])
    with pytest.raises(ValidationError, match="sequence of Ladder"):
        LadderRunner(router, ladder)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="BusinessCalendar"):
        LadderRunner(router, [ladder], calendar="UTC")  # type: ignore[arg-type]
    router.submit(WorkItem("C-1", {"a": 1}, stage="S"))  # no runner subscribed: no error
    runner = LadderRunner(router, [ladder])
    with pytest.raises(ValidationError, match="callable"):
        runner.subscribe("print")  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="C-9"):
        runner.explain("C-9")
    runner.close()
    runner.close()  # closing twice is harmless


def test_items_answered_before_any_rung_are_never_looked_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock, router, runner = make(
        Ladder("S", [Rung(5 * MIN, notify=True)]), agents=(Agent("ana", {"a": 1}),)
    )
    looked_up: list[str] = []
    item = router.item
    monkeypatch.setattr(router, "item", lambda item_id: looked_up.append(item_id) or item(item_id))
    router.submit(WorkItem("C-1", {"a": 1}, stage="S"))
    router.accept("C-1", "ana")
    clock.advance(4 * MIN)
    runner.tick()
    router.release("C-1")
    router.submit(WorkItem("C-2", {"a": 1}, stage="S"))
    clock.advance(5 * MIN)
    assert [r.item_id for r in runner.tick()] == ["C-2"]
    assert looked_up == ["C-2", "C-2"]  # its stage once due, its state when applied


def test_rungs_apply_in_due_order_across_items() -> None:
    ladder = Ladder("S", [Rung(MIN, notify=True), Rung(3 * MIN, notify=True)])
    clock, router, runner = make(ladder)
    router.submit(WorkItem("C-1", {"a": 1}, stage="S"))
    clock.advance(2 * MIN)
    router.submit(WorkItem("C-2", {"a": 1}, stage="S"))
    clock.advance(2 * MIN)
    applied = runner.tick()
    assert [(r.item_id, r.index) for r in applied] == [("C-1", 0), ("C-1", 1), ("C-2", 0)]
    assert [r.due for r in applied] == sorted(r.due for r in applied)


def test_a_skill_rung_on_an_offered_item_offers_it_afresh() -> None:
    clock = ManualClock(START)
    router = Router(clock=clock, push_timeout=timedelta(hours=1))
    router.add_agent(Agent("ana", {"a": 2}), Presence.AVAILABLE)
    runner = LadderRunner(router, [Ladder("S", [Rung(5 * MIN, lower={"a": 1})])])
    first = router.submit(WorkItem("C-1", {"a": 2}, stage="S"))
    assert first is not None
    clock.advance(5 * MIN)
    runner.tick()
    status = router.item("C-1")
    assert status.state is ItemState.OFFERED
    assert status.agent_id == "ana"  # the only eligible agent, offered again
    assert status.offered_at == clock.now()
    assert dict(status.item.skills) == {"a": 1}


def test_a_failing_subscriber_does_not_undo_the_rungs() -> None:
    clock, router, runner = make(Ladder("S", [Rung(MIN, raise_to=Priority.HIGH)]))

    def fails(record: RungApplied) -> None:
        raise RuntimeError(f"pager down for {record.item_id}")

    runner.subscribe(fails)
    router.submit(WorkItem("C-1", {"a": 1}, stage="S"))
    router.submit(WorkItem("C-2", {"a": 1}, stage="S"))
    clock.advance(MIN)
    with pytest.raises(RuntimeError, match="pager down for C-1"):
        runner.tick()
    assert [len(runner.history(i)) for i in ("C-1", "C-2")] == [1, 1]  # both applied first
    assert router.item("C-2").priority is Priority.HIGH


def test_a_bad_state_is_refused_and_changes_nothing() -> None:
    ladder = Ladder("S", [Rung(MIN, raise_to=Priority.HIGH)])
    _, router, runner = make(ladder)
    router.submit(WorkItem("C-1", {"a": 1}, stage="S"))
    before = runner.state()
    with pytest.raises(ValidationError, match=r"what LadderRunner\.state"):
        runner.restore({"C-2": ("not", "a", "track")})
    with pytest.raises(ValidationError, match=r"do not have"):
        runner.restore(
            {
                "C-2": (
                    True,
                    "S",
                    START,
                    {},
                    1,
                    [(3, START, START, {}, {}, "Normal", "High")],
                    False,
                    False,
                )
            }
        )
    assert runner.state() == before
