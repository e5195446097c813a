"""A state machine for your escalation ladders (`casekit.routing.Ladder`).

[`LadderStateMachine`][] is the router's state machine with a
[`LadderRunner`][casekit.routing.LadderRunner] attached and ticked: subclass it with your
ladders and run its ``TestCase`` (pytest collects it) to check that they keep every router
invariant and that every rung does what it says.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import hypothesis.strategies as st
from hypothesis import event
from hypothesis.stateful import invariant, precondition, rule

from casekit.routing import (
    EventKind,
    ItemState,
    Ladder,
    LadderRunner,
    RoutingEvent,
    RungApplied,
    WorkItem,
)
from casekit.testing.routing import RouterStateMachine, work_items

__all__ = ["LadderStateMachine"]


class LadderStateMachine(RouterStateMachine):
    """The router's state machine with your escalation ladders attached.

    [`RouterStateMachine`][casekit.testing.RouterStateMachine]'s every invariant, and every
    rung checked. Set ``ladders`` (and ``calendar`` for business-time delays, ``skill_names`` to the
    skills your rungs name); items are drawn at the ladders' stages and at one stage with
    no ladder. On top of the router's own checks, after every step:

    * after a tick, no waiting or offered item has an overdue rung (unless the router
      refused it, and then only because no agent could ever take the item's weight);
    * an item's rungs only accumulate until its stage changes or it leaves the router, and
      a rung is never applied while an agent holds the item;
    * its required skills are exactly what its ladder gives for the rungs applied, from
      the skills its stage started with; no rung lowers a priority;
    * the runner's subscribers get exactly the rungs each tick applied.

    Example::

        class MyLadders(LadderStateMachine):
            ladders = (Ladder("Chaser", [Rung(timedelta(minutes=5), lower={"chaser": 1})]),)

        TestMyLadders = MyLadders.TestCase

    Attributes:
        ladders: The ladders under test (one per stage).
        calendar: A ``casekit.worklists.BusinessCalendar`` for business-time delays, or
            ``None``.
        unladdered_stage: A stage with no ladder, drawn too (its items never escalate).
    """

    ladders: ClassVar[tuple[Ladder, ...]] = ()
    calendar: ClassVar[Any] = None
    unladdered_stage: ClassVar[str] = "No ladder"

    def __init__(self) -> None:
        super().__init__()
        self.runner = LadderRunner(self.router, self.ladders, calendar=self.calendar)
        self.records: list[RungApplied] = []
        self.runner.subscribe(self.records.append)
        self.seen: dict[str, tuple[RungApplied, ...]] = {}
        self.restarted: set[str] = set()  # items that changed stage or left, outside ticks
        self.ticking = False
        self.router.subscribe(self._on_event)

    def _on_event(self, event: RoutingEvent) -> None:
        if event.kind is EventKind.RELEASED and not self.ticking and event.item_id:
            self.restarted.add(event.item_id)

    def item_strategy(self) -> st.SearchStrategy[WorkItem]:
        """Items at the ladders' stages and at one stage without a ladder."""
        stages = [ladder.stage for ladder in self.ladders] + [self.unladdered_stage]
        return work_items(
            dict.fromkeys(self.skill_names, self.max_level),
            ids=st.sampled_from(self.item_ids),
            min_skills=0,
            max_weight=self.max_weight,
            stages=stages,
        )

    @rule(minutes=st.integers(0, 25))
    def tick_ladders(self, minutes: int) -> None:
        """Move the clock, act on the router's deadlines, then apply every due rung."""
        self.clock.advance(timedelta(minutes=minutes))
        self.router.tick()
        self.ticking = True
        try:
            applied = self.runner.tick()
        finally:
            self.ticking = False
        assert self.records == applied, "subscribers did not get exactly the rungs applied"
        self.records.clear()
        now = self.clock.now()
        for record in applied:
            event(f"rung {record.index + 1} of {record.stage} applied")
            assert record.due <= now
            assert record.at == now
        capacity = max((a.agent.capacity for a in self.router.agents()), default=None)
        for status in self.router.items():
            if status.state not in (ItemState.QUEUED, ItemState.OFFERED):
                continue
            due = self.runner.explain(status.item.id).next_due
            if status.item.id in self.runner.blocked:
                assert capacity is not None
                assert status.item.weight > capacity, f"{status.item.id} blocked for no reason"
            else:
                assert due is None or due > now, f"{status.item.id} has a rung overdue at {due}"

    @rule(minutes=st.integers(20, 60))
    def wait_long(self, minutes: int) -> None:
        """Let a long while pass (nobody answers), so the later rungs fall due too."""
        self.tick_ladders(minutes)

    @precondition(lambda self: bool(self._items_in(ItemState.OFFERED)))
    @rule(data=st.data(), minutes=st.integers(5, 30))
    def hold_past_a_rung(self, data: st.DataObject, minutes: int) -> None:
        """An agent accepts, holds the item past a rung's delay, then hands it back."""
        item_id = data.draw(st.sampled_from(self._items_in(ItemState.OFFERED)))
        agent_id = self.router.owner_of(item_id)
        assert agent_id is not None
        self.router.accept(item_id, agent_id)
        history = self.runner.history(item_id)
        self.tick_ladders(minutes)
        assert self.runner.history(item_id) == history, "a rung was applied to held work"
        self.router.requeue(item_id)
        self.tick_ladders(0)

    @invariant()
    def rungs_only_accumulate(self) -> None:
        """History grows by appending until the item's stage changes or it leaves."""
        current = {s.item.id: self.runner.history(s.item.id) for s in self.router.items()}
        for item_id, history in current.items():
            old = self.seen.get(item_id, ())
            if item_id not in self.restarted:
                assert history[: len(old)] == old, f"{item_id}'s rungs went back: {old} → {history}"
            assert [r.index for r in history] == list(range(len(history)))
        self.seen = current
        self.restarted.clear()

    @invariant()
    def skills_are_what_the_ladder_says(self) -> None:
        """Required skills = the ladder's fold over the rungs applied; priority never lowered."""
        for status in self.router.items():
            explanation = self.runner.explain(status.item.id)
            ladder = self.runner.ladders.get(explanation.stage)
            applied = len(explanation.rungs)
            if ladder is None:
                assert applied == 0
                expected = explanation.base_skills
            else:
                expected = ladder.skills_after(explanation.base_skills, applied)
            assert dict(status.item.skills) == dict(expected), (status.item.id, explanation)
            for record in explanation.rungs:
                assert record.priority_after >= record.priority_before
                assert ladder is not None
                assert dict(record.skills_after) == dict(
                    ladder.skills_after(explanation.base_skills, record.index + 1)
                )
