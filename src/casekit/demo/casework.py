"""The demo's casework: what happens to the cases as the simulated office works them.

The simulator routes each application through its three steps; this module listens to it and
does the casework each step stands for, on real casekit cases:

- **arrival**: an Application Case is registered and submitted;
- **Chaser done**: the client's income is recorded as evidence and verified;
- **Case Manager done**: the application is marked ready and the program decided;
- **Reviewer done**: the application is disposed of, which creates an Integrated Case and,
  when approved, a Product Delivery Case that the supervisor approves and the case manager
  activates; the benefit's financials start (see `casekit.demo.benefits`);
- **an offer accepted**: the case's owner becomes the person who accepted the step;
- **the case's SLA missed**: the case is escalated to Urgent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from casekit.cases import (
    ApplicationCase,
    Case,
    Owner,
    ProductDeliveryCase,
    ProgramStatus,
    ReportingLines,
)
from casekit.clock import Clock
from casekit.priority import Priority
from casekit.routing import EventKind, RoutingEvent
from casekit.sim import SimEvent, SimEventKind

__all__ = ["PROGRAM", "Casework"]

PROGRAM = "Basic Allowance"
"""The one program the demo's applicants apply for."""

_APPROVAL_RATE = 0.85


class Casework:
    """Keeps the demo's cases in step with the simulated office.

    Args:
        clock: The simulation's clock (cases read the time from it).
        staff: The ids of the office's staff (they report to two supervisors).
        seed: Seeds the casework's own random draws (incomes, decisions).
        on_benefit: Called with each Product Delivery Case once it is active, and the
            application it came from.
    """

    def __init__(
        self,
        clock: Clock,
        staff: list[str],
        *,
        seed: int,
        on_benefit: Callable[[ProductDeliveryCase, ApplicationCase], None] | None = None,
    ) -> None:
        self.clock = clock
        self.rng = random.Random(seed * 7919 + 1)
        self.org = ReportingLines(
            {
                Owner.user(person): Owner.user(f"supervisor-{n % 2 + 1}")
                for n, person in enumerate(staff)
            }
        )
        self.on_benefit = on_benefit
        self.cases: dict[str, Case[Any]] = {}
        self.new: list[Case[Any]] = []
        self.new_ids: set[str] = set()
        self.changed: set[str] = set()
        self.escalated = 0
        self.approved = 0  # applications disposed of, their program approved
        self.denied = 0  # ... or denied

    # ------------------------------------------------------------------ listeners

    def on_sim_event(self, event: SimEvent) -> None:
        """Do the casework a simulation event stands for."""
        kind = event.kind
        if kind is SimEventKind.ARRIVED:
            self._register(event.item_id)
        elif kind is SimEventKind.STEP_DONE:
            self._step_done(event)
        elif kind is SimEventKind.CASE_DONE:
            self._dispose(event)
        elif kind is SimEventKind.CASE_SLA_BREACHED:
            self._escalate(event.item_id)

    def on_routing_event(self, event: RoutingEvent) -> None:
        """Ownership follows routing: whoever accepts a step owns the application."""
        if event.kind is EventKind.ACCEPTED and event.item_id and event.agent_id:
            case = self.cases.get(event.item_id)
            if case is not None and not case.is_final:
                case.assign_owner(Owner.user(event.agent_id), actor="router", org=self.org)
                self._touch(case)

    # ------------------------------------------------------------------ steps

    def _register(self, case_id: str) -> None:
        app = ApplicationCase.create(
            id=case_id,
            registered_by="intake",
            org=self.org,
            primary_client=f"client-{case_id.removeprefix('APP-')}",
            programs=[PROGRAM],
            required_evidence={"income"},
            clock=self.clock,
        )
        app.submit(actor="intake")
        app.submission_succeeded(actor="system")
        self.cases[case_id] = app
        self._add(app)

    def _application(self, case_id: str) -> ApplicationCase | None:
        case = self.cases.get(case_id)
        return case if isinstance(case, ApplicationCase) else None

    def _step_done(self, event: SimEvent) -> None:
        app = self._application(event.item_id)
        if app is None:
            return
        actor = event.agent_id or "system"
        if event.stage == "Chaser":
            monthly = Decimal(self.rng.randrange(0, 160_000)) / 100
            today = self.clock.now().date()
            income = app.add_evidence(
                "income",
                {"monthly": str(monthly)},
                date(today.year, today.month, 1),
                actor=actor,
            )
            app.verify_evidence(income.evidence_id, actor=actor)
        elif event.stage == "Case Manager":
            app.mark_ready(actor=actor)
            if self.rng.random() < _APPROVAL_RATE:
                app.approve_program(PROGRAM, actor=actor)
            else:
                app.deny_program(PROGRAM, actor=actor)
        self._touch(app)

    def _dispose(self, event: SimEvent) -> None:
        app = self._application(event.item_id)
        if app is None:
            return
        actor = app.owner.id
        disposal = app.dispose(actor=actor)
        if app.programs[PROGRAM] is ProgramStatus.APPROVED:
            self.approved += 1
        else:
            self.denied += 1
        self._touch(app)
        created: list[Case[Any]] = [disposal.integrated_case, *disposal.product_delivery_cases]
        for case in created:
            self.cases[case.id] = case
            self._add(case)
        for pdc in disposal.product_delivery_cases:
            supervisor = pdc.roles.supervisor
            pdc.submit(actor=actor)
            pdc.approve(actor=supervisor.id if supervisor else actor)
            pdc.activate(actor=actor)
            if self.on_benefit is not None:
                self.on_benefit(pdc, app)

    def _escalate(self, case_id: str) -> None:
        case = self.cases.get(case_id)
        if case is None or case.is_final or case.priority is Priority.URGENT:
            return
        case.set_priority(Priority.URGENT, actor="sla-monitor", reason="case SLA missed")
        self.escalated += 1
        self._touch(case)

    def _add(self, case: Case[Any]) -> None:
        self.new.append(case)
        self.new_ids.add(case.id)

    def _touch(self, case: Case[Any]) -> None:
        if case.id not in self.new_ids:
            self.changed.add(case.id)

    def track(self, case: Case[Any]) -> None:
        """Save ``case`` with the next batch (a case changed outside the steps)."""
        if case.id not in self.cases:
            self.cases[case.id] = case
            self._add(case)
        else:
            self._touch(case)

    def take_changes(self) -> tuple[list[Case[Any]], list[Case[Any]]]:
        """The cases created and the cases changed since the last call, to be saved."""
        new, self.new, self.new_ids = self.new, [], set()
        changed = [self.cases[case_id] for case_id in sorted(self.changed)]
        self.changed = set()
        return new, changed
