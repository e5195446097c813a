"""Hypothesis state machines over every built-in lifecycle.

Random action sequences (allowed or not, with random actors, reasons and parameters, mixed
with the type's own operations and clock moves) must never leave the declared statuses; the
history must replay to the current status; a refused action must change nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from casekit.cases import (
    ApplicationCase,
    AssessmentCase,
    Case,
    ClosureReason,
    CorrectionOutcome,
    Finding,
    IntegratedCase,
    InvestigationCase,
    IssueCase,
    Owner,
    PaymentCorrectionCase,
    ProductDeliveryCase,
    ScreeningCase,
)
from casekit.cases.codec import case_to_record
from casekit.clock import ManualClock
from casekit.errors import CasekitError
from casekit.money import Money

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
ACTORS = st.sampled_from(["owner", "supervisor", "system", "someone"])
REASONS = st.sampled_from([None, "", "client asked", "found ineligible"])


def _param_strategy(action: str) -> st.SearchStrategy[dict[str, object]]:
    if action == "schedule_closure":
        return st.builds(lambda d: {"on": START.date() + timedelta(days=d)}, st.integers(-5, 60))
    if action == "close":
        return st.one_of(
            st.builds(lambda r: {"closure_reason": r}, st.sampled_from(ClosureReason)),
            st.builds(
                lambda f, r: {"findings": f, "resolution": r},
                st.sampled_from([*Finding, "maybe"]),
                st.sampled_from(["Substantiated", ""]),
            ),
            st.just({}),
        )
    if action == "defer":
        return st.builds(
            lambda s: {"step": s},
            st.sampled_from(["submit", "approve", "activate", "suspend", "close", "nope"]),
        )
    if action == "resume":
        return st.builds(lambda ok: {"succeeded": ok}, st.booleans())
    if action == "resolve":
        return st.builds(
            lambda r: {"resolution": r}, st.sampled_from(["Agree with Client", "Whatever"])
        )
    return st.just({})


def _make_pdc(clock: ManualClock) -> Case[Any]:
    return ProductDeliveryCase.create(
        id="PDC-1",
        product="Basic",
        primary_client="p1",
        owner=Owner.user("owner"),
        supervisor=Owner.user("supervisor"),
        clock=clock,
        requires_certification=True,
    )


def _make_application(clock: ManualClock) -> Case[Any]:
    return ApplicationCase.create(
        id="APP-1",
        registered_by="owner",
        primary_client="p1",
        programs=["A", "B"],
        required_evidence={"income"},
        clock=clock,
    )


def _make_pcc(clock: ManualClock) -> Case[Any]:
    pdc = _make_pdc(clock)
    return PaymentCorrectionCase.open_for(
        pdc,
        outcome=CorrectionOutcome.OVERPAYMENT,
        net=Money("-1.00", "EUR"),
        lines=(),
        actor="system",
        id="PCC-1",
    )


FACTORIES: dict[str, Callable[[ManualClock], Case[Any]]] = {
    "product delivery": _make_pdc,
    "application": _make_application,
    "integrated": lambda c: IntegratedCase.create(id="IC-1", owner=Owner.user("owner"), clock=c),
    "screening": lambda c: ScreeningCase.create(id="SCR-1", owner=Owner.user("owner"), clock=c),
    "assessment": lambda c: AssessmentCase.create(id="ASM-1", owner=Owner.user("owner"), clock=c),
    "issue manual": lambda c: IssueCase.create(id="ISS-1", owner=Owner.user("owner"), clock=c),
    "issue automatic": lambda c: IssueCase.create(
        id="ISS-2", owner=Owner.user("owner"), clock=c, automatic_approval=True
    ),
    "investigation": lambda c: InvestigationCase.create(
        id="INV-1", owner=Owner.user("owner"), clock=c
    ),
    "payment correction": _make_pcc,
}


def _snapshot(case: Case[Any]) -> object:
    return (case_to_record(case), case.pending_events)


def machine_for(kind: str) -> type[RuleBasedStateMachine]:
    factory = FACTORIES[kind]

    class LifecycleMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.clock = ManualClock(START)
            self.case = factory(self.clock)
            self.statuses = set(type(self.case).lifecycle().statuses)
            self.action_names = sorted({a.name for a in type(self.case).lifecycle().actions})

        @rule(data=st.data(), actor=ACTORS, reason=REASONS)
        def perform(self, data: st.DataObject, actor: str, reason: str | None) -> None:
            action = data.draw(st.sampled_from([*self.action_names, "teleport"]))
            params = data.draw(_param_strategy(action))
            before = _snapshot(self.case)
            status = self.case.status
            try:
                result = self.case.perform(action, actor=actor, reason=reason, **params)
            except CasekitError:
                assert _snapshot(self.case) == before, "a refused action changed the case"
                return
            assert action in type(self.case)._compiled.allowed_actions(status)
            assert result.from_status is status
            assert result.to_status is self.case.status

        @rule(days=st.integers(0, 40))
        def advance_clock(self, days: int) -> None:
            self.clock.advance(timedelta(days=days))

        @rule(start=st.integers(-30, 10), length=st.integers(0, 90))
        def certify(self, start: int, length: int) -> None:
            if isinstance(self.case, ProductDeliveryCase):
                first = self.clock.now().date() + timedelta(days=start)
                self.case.certify(first, first + timedelta(days=length), actor="owner")

        @rule(data=st.data())
        def decide_program(self, data: st.DataObject) -> None:
            if not isinstance(self.case, ApplicationCase):
                return
            program = data.draw(st.sampled_from(["A", "B"]))
            op = data.draw(st.sampled_from(["approve", "deny", "withdraw", "reopen"]))
            before = _snapshot(self.case)
            try:
                getattr(self.case, f"{op}_program")(program, actor="owner")
            except CasekitError:
                assert _snapshot(self.case) == before

        @rule(verified=st.booleans())
        def add_income(self, verified: bool) -> None:
            if isinstance(self.case, ApplicationCase):
                self.case.add_evidence(
                    "income", {"amount": "10"}, date(2026, 1, 1), actor="owner", verified=verified
                )

        @invariant()
        def status_is_declared(self) -> None:
            assert self.case.status in self.statuses

        @invariant()
        def history_replays_to_current_status(self) -> None:
            status: enum.Enum = type(self.case).lifecycle().initial  # type: ignore[assignment]
            for change in self.case.history:
                assert change.from_status == status.value
                status = type(status)(change.to_status)
            assert status is self.case.status

        @invariant()
        def history_times_are_ordered_and_aware(self) -> None:
            times = [c.at for c in self.case.history]
            assert times == sorted(times)
            assert all(t.tzinfo is not None for t in times)

    LifecycleMachine.__name__ = f"{kind.title().replace(' ', '')}Machine"
    return LifecycleMachine


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_random_action_sequences_respect_the_lifecycle(kind: str) -> None:
    machine = machine_for(kind)
    machine.TestCase.settings = settings(
        settings(), stateful_step_count=30, max_examples=settings().max_examples // 2 or 1
    )
    machine.TestCase().runTest()
