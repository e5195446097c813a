"""The application under random commands, checked after every step and after a rebuild.

Issue 16's acceptance: a Hypothesis state machine drives one application with random
commands — opening benefit cases, moving them through their lifecycle (refused moves
included), staff presence, offers accepted and declined, enrolment, payment runs, changes of
income, priorities, timer ticks — and checks after every step, and against a second
application rebuilt from storage alone:

- every routed case is in routing exactly once, in the step its status says, and nothing
  else is;
- the owner of every case whose step is accepted is the agent who accepted it;
- for every enrolled PDC that is being paid (not suspended or closed), paid + corrections =
  due, per cover period, component and nominee;
- every correction case is linked to its PDC both ways;
- every stored case's audit trail verifies, and every event published has its outbox
  record (nothing is published that was not committed: a refused command publishes
  nothing and writes nothing).

The stored-state checks are `casekit.testing.app.check_application`, which users run on
their own applications.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from casekit.app import Application, EscalationApplied, RoutingDomain, cloud_event_parts
from casekit.cases import Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.demo.benefits import PRODUCT
from casekit.demo.config import ROUTING, office_application
from casekit.errors import CasekitError
from casekit.financials import DeliveryPattern, Timing
from casekit.priority import Priority
from casekit.routing import Agent, ItemState, Ladder, Presence, Rung
from casekit.storage import Storage
from casekit.testing.app import check_application

STAFF = ("worker-1", "worker-2", "boss")
SKILLS = {
    "worker-1": {"intake": 1},
    "worker-2": {"intake": 1, "approval": 1},
    "boss": {"approval": 1},
}
ACTIONS = (
    ("submit", "worker-1", {}),
    ("approve", "boss", {}),
    ("activate", "worker-2", {}),
    ("suspend", "worker-1", {"reason": "client abroad"}),
    ("unsuspend", "worker-1", {}),
    ("close", "worker-2", {"closure_reason": "Manual", "reason": "client withdrew"}),
    ("reactivate", "worker-2", {"reason": "client returned"}),
)
START = datetime(2026, 3, 2, 9, tzinfo=UTC)
INCOMES = ("0.00", "400.00", "950.00", "1200.00", "1700.00")


class ApplicationMachine(RuleBasedStateMachine):
    """Random commands against one application; the checks are the invariants below."""

    storage: Storage
    backend = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.storage = self.make_storage(self.backend, self.clock)
        self.app = self.application()
        self.published: list[object] = []
        self.app.subscribe(self.published.append)
        self.cases: list[str] = []
        self.enrolled: set[str] = set()
        self.counter = 0

    @staticmethod
    def make_storage(backend: str, clock: ManualClock) -> Storage:  # replaced per backend
        raise NotImplementedError

    def application(self) -> Application:
        return office_application(self.storage, clock=self.clock)

    @initialize()
    def staff(self) -> None:
        for person in STAFF:
            self.app.add_agent("benefits", Agent(person, SKILLS[person], capacity=2), actor="admin")

    # ------------------------------------------------------------------ rules

    @precondition(lambda self: len(self.cases) < 4)  # a few cases, taken far along
    @rule(income=st.sampled_from(INCOMES))
    def open_case(self, income: str) -> None:
        self.counter += 1
        case_id = f"PDC-{self.counter}"
        today = self.clock.now().date()
        self.app.open_case(
            ProductDeliveryCase,
            actor="intake",
            id=case_id,
            product="Basic Allowance",
            primary_client=f"client-{self.counter}",
            owner=Owner.user("worker-1"),
            supervisor=Owner.user("boss"),
        )
        self.app.add_evidence(
            case_id, "income", {"monthly": income}, today.replace(day=1), actor="worker-1"
        )
        self.cases.append(case_id)

    @precondition(lambda self: self.cases)
    @rule(data=st.data(), action=st.sampled_from(ACTIONS))
    def perform(self, data: st.DataObject, action: tuple[str, str, dict[str, Any]]) -> None:
        case_id = data.draw(st.sampled_from(self.cases))
        name, actor, params = action
        with contextlib.suppress(CasekitError):  # refused: the invariants check nothing changed
            self.app.perform(case_id, name, actor=actor, **params)

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def progress(self, data: st.DataObject) -> None:
        """Take a case some steps along the usual path: submit, approve, activate, enrol."""
        case_id = data.draw(st.sampled_from(self.cases))
        for _ in range(data.draw(st.integers(1, 4))):
            status = self.app.case(case_id).status.value
            if status == "Open":
                self.app.perform(case_id, "submit", actor="worker-1")
            elif status == "Submitted":
                self.app.perform(case_id, "approve", actor="boss")
            elif status == "Approved":
                self.app.perform(case_id, "activate", actor="worker-2")
            elif status == "Active" and case_id not in self.enrolled:
                self.app.enrol(
                    case_id,
                    pattern=DeliveryPattern.monthly(1, timing=Timing.IN_ARREARS),
                    actor="worker-2",
                )
                self.enrolled.add(case_id)
            elif status == "Active":  # enrolled: a month or two of payments
                self.payment_run(data.draw(st.integers(20, 62)))

    @rule(person=st.sampled_from(STAFF), presence=st.sampled_from(list(Presence)))
    def set_presence(self, person: str, presence: Presence) -> None:
        self.app.set_presence("benefits", person, presence, actor="admin")

    @precondition(lambda self: self.cases)
    @rule(data=st.data(), answer=st.sampled_from(["accept", "decline"]))
    def answer_offer(self, data: st.DataObject, answer: str) -> None:
        offered = []
        for case_id in self.cases:
            status = self.app.routing_status(case_id)
            if status is not None and status.state is ItemState.OFFERED:
                offered.append((case_id, status.agent_id))
        if not offered:
            return
        case_id, agent_id = data.draw(st.sampled_from(offered))
        assert agent_id is not None
        if answer == "accept":
            self.app.accept(case_id, agent_id)
        else:
            self.app.decline(case_id, agent_id)

    @rule(days=st.integers(min_value=5, max_value=45))
    def payment_run(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))
        self.app.tick()
        self.app.run_payments(
            self.clock.now().date(), verifier="payments-1", submitter="payments-2"
        )

    @precondition(lambda self: self.cases)
    @rule(data=st.data(), income=st.sampled_from(INCOMES), months_back=st.integers(0, 2))
    def change_income(self, data: st.DataObject, income: str, months_back: int) -> None:
        case_id = data.draw(st.sampled_from(self.cases))
        case = self.app.case(case_id)
        (current,) = case.evidence.current("income")[-1:]
        today = self.clock.now().date()
        index = today.year * 12 + today.month - 1 - months_back
        effective = today.replace(year=index // 12, month=index % 12 + 1, day=1)
        try:
            if effective <= current.effective_from:
                self.app.correct_evidence(
                    case_id, current.evidence_id, actor="worker-1", attributes={"monthly": income}
                )
            else:

                def change(case: Any) -> None:
                    case.correct_evidence(
                        current.evidence_id,
                        actor="worker-1",
                        effective_to=effective - timedelta(days=1),
                    )
                    case.add_evidence("income", {"monthly": income}, effective, actor="worker-1")

                self.app.update(case_id, change, actor="worker-1")
        except CasekitError:
            pass

    @precondition(lambda self: self.cases)
    @rule(data=st.data(), priority=st.sampled_from(list(Priority)))
    def set_priority(self, data: st.DataObject, priority: Priority) -> None:
        case_id = data.draw(st.sampled_from(self.cases))
        self.app.set_priority(case_id, priority, actor="worker-2", reason="triage")

    def teardown(self) -> None:
        self.storage.close()  # a PostgreSQL storage holds a pool of connections

    # ------------------------------------------------------------------ invariants

    @invariant()
    def stored_state_keeps_every_promise(self) -> None:
        check_application(self.app)  # routing, owners, money, links, audit, outbox

    @invariant()
    def published_only_what_was_committed(self) -> None:
        with self.storage.unit_of_work() as uow:
            records = uow.outbox.pending(limit=10_000)
        published = Counter(cloud_event_parts(event)[:2] for event in self.published)
        stored = Counter((record.type, record.subject) for record in records)
        # This application is the only writer: every record was published after its
        # commit, and nothing refused or rolled back was published.
        assert published == stored


def _machine(backend: str, make_storage: Any) -> type[ApplicationMachine]:
    class Machine(ApplicationMachine):
        pass

    Machine.backend = backend
    Machine.make_storage = staticmethod(make_storage)  # type: ignore[method-assign]
    return Machine


INTAKE_LADDER = Ladder(
    "Intake",
    [
        Rung(timedelta(hours=1), skills={"approval": 1}),  # widen to the approvers
        Rung(timedelta(hours=4), raise_to=Priority.HIGH),
        Rung(timedelta(days=1), raise_to=Priority.URGENT, notify=True),
    ],
)


class LadderedMachine(ApplicationMachine):
    """The same commands on an office whose intake escalates, with waits between them.

    On top of the invariants above: the rungs in the cases' audit trails are the ones
    published, the priority a rung raised is the case's (check_application compares them),
    and an item's skills are what its ladder gives for the rungs in its trail.
    """

    def application(self) -> Application:
        return Application(
            self.storage,
            name="office",
            routing=ROUTING,
            domains=[RoutingDomain("benefits", ladders=[INTAKE_LADDER])],
            products=[PRODUCT],
            clock=self.clock,
        )

    @rule(minutes=st.integers(min_value=10, max_value=60 * 30))
    def wait(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        self.app.tick()

    @invariant()
    def rungs_are_audited_and_shape_the_requirement(self) -> None:
        published = [e for e in self.published if isinstance(e, EscalationApplied)]
        audited = []
        with self.storage.unit_of_work() as uow:
            for case_id in self.cases:
                audited += [
                    (case_id, e.detail["rung"])
                    for e in uow.audit.entries(case_id)
                    if e.action == "escalation_rung"
                ]
        assert sorted(audited) == sorted((e.case_id, e.rung) for e in published)
        router = self.app.durable_router("benefits")
        for status in router.items():
            if status.item.stage != "Intake":
                continue
            applied = len(router.ladder_history(status.item.id))
            assert dict(status.item.skills) == dict(
                INTAKE_LADDER.skills_after({"intake": 1}, applied)
            )


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_application_state_machine_with_ladders(backend: str, make_storage: Any) -> None:
    class Machine(LadderedMachine):
        pass

    Machine.backend = backend
    Machine.make_storage = staticmethod(make_storage)  # type: ignore[method-assign]
    Machine.TestCase.settings = settings(
        max_examples=15 if backend == "memory" else 6,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    Machine.TestCase().runTest()


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres"])
def test_application_state_machine(backend: str, make_storage: Any) -> None:
    machine = _machine(backend, make_storage)
    examples = 25 if backend == "memory" else 8
    machine.TestCase.settings = settings(
        max_examples=examples,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    machine.TestCase().runTest()
