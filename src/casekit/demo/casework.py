"""The demo's casework: what happens to the cases as the simulated office works them.

The simulator routes each application through its three steps; this module listens to it and
has the casework each step stands for done by the demo's application (`casekit.app`), one
command at a time, on stored cases:

- **arrival**: intake registers an Application Case (`Application.open_case`), and the
  declared automatic check ``submission-processing`` submits it and records that the
  submission succeeded (one command, `Application.execute`): the online application's
  submission is processed by the system, declared as such, not by a person;
- **an offer accepted**: whoever accepted the step becomes the application's owner, and their
  supervisor its supervisor (`Application.assign_owner`);
- **Chaser done**: the client's income is recorded as evidence and verified
  (`Application.update`);
- **Case Manager done**: the application is marked ready and the program decided
  (`Application.update`);
- **Reviewer done**: the application is disposed of (`Application.perform`), which stores the
  Integrated Case and, when approved, the Product Delivery Case it creates; the reviewer
  gives the PDC the income the application verified and submits it (one command,
  `Application.execute`), their supervisor approves it and the reviewer activates it
  (`Application.perform`), and its benefit starts (see `casekit.demo.benefits`);
- **the case's SLA missed**: the application is escalated to Urgent
  (`Application.set_priority`).

Every command is performed by a principal of the office (`casekit.demo.access`): the
member of staff who did the step, their supervisor, intake, or a declared automatic check;
never a free actor name. Nothing of a case is kept here: every command loads it from
storage, acts and commits.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from casekit.app import Application, Session
from casekit.cases import ApplicationCase, Case, Owner, ProductDeliveryCase, ReportingLines
from casekit.demo.access import Directory
from casekit.priority import Priority
from casekit.routing import EventKind, RoutingEvent
from casekit.security import Permission, Principal
from casekit.sim import SimEvent, SimEventKind

__all__ = ["PROGRAM", "Casework"]

PROGRAM = "Basic Allowance"
"""The one program the demo's applicants apply for."""

_APPROVAL_RATE = 0.85

Benefit = Callable[[str, Principal], None]
"""``on_benefit(pdc_id, owner)``: a PDC is active."""


class Casework:
    """Has the demo's application do the casework the simulated office does.

    Args:
        app: The demo's application (see `casekit.demo.config.demo_application`).
        directory: The office's principals; its staff report to two supervisors.
        seed: Seeds the casework's own random draws (incomes, decisions).
        on_benefit: Called once a disposal's Product Delivery Case is active.
    """

    def __init__(
        self,
        app: Application,
        directory: Directory,
        *,
        seed: int,
        on_benefit: Benefit | None = None,
    ) -> None:
        self.app = app
        self.directory = directory
        self.escalator = directory.SLA_MONITOR
        self.rng = random.Random(seed * 7919 + 1)
        self.org = ReportingLines(
            {
                Owner.user(person): Owner.user(f"supervisor-{n % 2 + 1}")
                for n, person in enumerate(directory.staff)
            }
        )
        self.on_benefit = on_benefit
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
        elif kind is SimEventKind.CASE_SLA_BREACHED:
            self.app.set_priority(
                event.item_id, Priority.URGENT, actor=self.escalator, reason="case SLA missed"
            )

    def on_routing_event(self, event: RoutingEvent) -> None:
        """Ownership follows routing: whoever accepts a step owns the application."""
        if event.kind is EventKind.ACCEPTED and event.item_id and event.agent_id:
            self.app.assign_owner(
                event.item_id,
                Owner.user(event.agent_id),
                actor=self.directory[event.agent_id],
                org=self.org,
            )

    # ------------------------------------------------------------------ steps

    def _register(self, case_id: str) -> None:
        app, intake = self.app, self.directory.INTAKE
        app.open_case(
            ApplicationCase,
            actor=intake,
            id=case_id,
            registered_by=intake.id,
            org=self.org,
            primary_client=f"client-{case_id.removeprefix('APP-')}",
            programs=[PROGRAM],
            required_evidence={"income"},
        )
        app.execute(
            self.directory.SUBMISSIONS,
            partial(_process_submission, case_id=case_id),
            name=f"process the submission of {case_id}",
        )

    def _step_done(self, event: SimEvent) -> None:
        if event.agent_id is None:
            raise ValueError(f"step {event.stage} of {event.item_id} was done by nobody")
        principal = self.directory[event.agent_id]
        actor = principal.id
        if event.stage == "Chaser":
            monthly = Decimal(self.rng.randrange(0, 160_000)) / 100
            today = self.app.clock.now().date()
            self.app.update(
                event.item_id,
                lambda case: _record_income(
                    case, monthly, date(today.year, today.month, 1), actor=actor
                ),
                actor=principal,
            )
        elif event.stage == "Case Manager":
            approve = self.rng.random() < _APPROVAL_RATE
            self.app.update(
                event.item_id, lambda case: _decide(case, approve, actor), actor=principal
            )
        elif event.stage == "Reviewer":
            self._dispose(event.item_id, principal)

    def _dispose(self, case_id: str, actor: Principal) -> None:
        created = self.app.perform(case_id, "dispose", actor=actor).created
        pdcs = [case for case in created if isinstance(case, ProductDeliveryCase)]
        if pdcs:
            self.approved += 1
        else:
            self.denied += 1
        for pdc in pdcs:
            supervisor = pdc.roles.supervisor  # the reviewer's, from the reporting lines
            assert supervisor is not None, pdc
            self.app.execute(
                actor,
                partial(_income_and_submit, application_id=case_id, pdc_id=pdc.id),
                name=f"submit {pdc.id}",
            )
            self.app.perform(pdc.id, "approve", actor=self.directory[supervisor.id])
            self.app.perform(pdc.id, "activate", actor=actor)
            if self.on_benefit is not None:
                self.on_benefit(pdc.id, actor)


def _process_submission(session: Session, *, case_id: str) -> None:
    """Submit a registered application and record that the submission went through.

    Checked like the two actions it is: ``perform`` ``submit`` and ``submission_succeeded``.
    """
    case = session.change(case_id)
    session.authorize(case, Permission.PERFORM, action="submit")
    session.authorize(case, Permission.PERFORM, action="submission_succeeded")
    case.perform("submit", actor=session.actor)
    case.perform("submission_succeeded", actor=session.actor)


def _income_and_submit(session: Session, *, application_id: str, pdc_id: str) -> None:
    """The PDC gets the income its application verified, and is submitted for approval.

    Checked like the commands it stands for: ``read`` of the application, ``edit`` and
    ``perform`` ``submit`` on the PDC.
    """
    application = session.read(application_id)
    session.authorize(application, Permission.READ)
    (income,) = application.evidence.current("income")[-1:]
    pdc = session.change(pdc_id)
    session.authorize(pdc, Permission.EDIT)
    session.authorize(pdc, Permission.PERFORM, action="submit")
    actor = session.actor
    pdc.add_evidence(
        "income", dict(income.attributes), income.effective_from, actor=actor, verified=True
    )
    pdc.perform("submit", actor=actor)


def _record_income(case: Case[Any], monthly: Decimal, since: date, *, actor: str) -> None:
    income = case.add_evidence("income", {"monthly": str(monthly)}, since, actor=actor)
    case.verify_evidence(income.evidence_id, actor=actor)


def _decide(case: Case[Any], approve: bool, actor: str) -> None:
    assert isinstance(case, ApplicationCase)
    case.mark_ready(actor=actor)
    if approve:
        case.approve_program(PROGRAM, actor=actor)
    else:
        case.deny_program(PROGRAM, actor=actor)
