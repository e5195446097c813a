"""Automatic work is done by declared principals, never by a free "system" (issue 17).

The payment run, the routing timer and the automatic closure are commands of their own:
with a policy they take principals (`Principal.system`), are checked like any other
command, and record the check's principal (``check:<name>``) in the audit trail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from casekit.app import AUTOMATIC_CLOSURE, ROUTING_TIMER, Application
from casekit.cases import Owner, ProductDeliveryCase
from casekit.cases.product_delivery import PDCStatus
from casekit.clock import ManualClock
from casekit.demo.benefits import PRODUCT
from casekit.demo.config import DOMAINS, ROUTING
from casekit.errors import AccessDenied, ValidationError
from casekit.financials import DeliveryPattern, Timing
from casekit.security import AccessPolicy, Grant, Permission, Principal
from casekit.storage import MemoryStorage, Storage

P = Permission
MIGRATION = Principal.system("migration", roles={"migration"})
PAYMENT_RUN = Principal.system("payment-run", roles={"payment run"})
VERIFIER = Principal.system("payment-verification")
SUE = Principal("sue", {"supervisor"})
POLICY = AccessPolicy(
    [
        Grant(name="migration", roles="migration", permissions={P.CREATE, P.EDIT, P.PERFORM}),
        Grant(name="sue approves", roles="supervisor", permissions={P.PERFORM, P.READ}),
        Grant(name="the payment run pays", roles="payment run", permissions=P.EDIT),
        Grant(
            name="automatic closure",
            roles="automatic closure",
            permissions=P.PERFORM,
            case_types="Product Delivery Case",
            actions="close",
        ),
    ]
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))


def secured(clock: ManualClock, policy: AccessPolicy = POLICY) -> Application:
    return Application(
        MemoryStorage(clock=clock),
        name="office",
        routing=ROUTING,
        domains=DOMAINS,
        products=[PRODUCT],
        clock=clock,
        policy=policy,
    )


def active_pdc(app: Application, case_id: str = "PDC-1") -> str:
    app.open_case(
        ProductDeliveryCase,
        actor=MIGRATION,
        id=case_id,
        product=PRODUCT.name,
        primary_client="client-1",
        owner=Owner.user("ana"),
        supervisor=Owner.user("sue"),
    )
    app.add_evidence(case_id, "income", {"monthly": "400.00"}, date(2026, 3, 1), actor=MIGRATION)
    app.perform(case_id, "submit", actor=MIGRATION)
    app.perform(case_id, "approve", actor=SUE)
    app.perform(case_id, "activate", actor=MIGRATION)
    return case_id


def trail(storage: Storage, case_id: str) -> list[tuple[str, str]]:
    with storage.unit_of_work() as uow:
        return [(entry.actor, entry.action) for entry in uow.audit.entries(case_id)]


def test_the_payment_run_takes_principals_and_records_the_check(clock: ManualClock) -> None:
    app = secured(clock)
    pdc = active_pdc(app)
    pattern = DeliveryPattern.monthly(1, timing=Timing.IN_ARREARS)
    app.enrol(pdc, pattern=pattern, actor=MIGRATION)
    clock.advance(timedelta(days=62))
    with pytest.raises(ValidationError, match="must be a Principal"):
        app.run_payments(clock.now().date(), verifier="pay-1", submitter="pay-2")
    assert app.run_payments(clock.now().date(), verifier=VERIFIER, submitter=PAYMENT_RUN) == 4
    lines = app.ledger_lines(pdc)
    assert lines
    with app.storage.unit_of_work() as uow:
        paid = [entry for entry in uow.audit.entries(pdc) if entry.actor.startswith("check:")]
    assert {entry.actor for entry in paid} >= {"check:payment-run"}
    assert not [entry for entry in trail(app.storage, pdc) if entry[0] == "system"]


def test_a_payment_run_the_policy_does_not_allow_pays_nothing_and_is_audited(
    clock: ManualClock,
) -> None:
    app = secured(clock)
    pdc = active_pdc(app)
    app.enrol(pdc, pattern=DeliveryPattern.monthly(1, timing=Timing.IN_ARREARS), actor=MIGRATION)
    clock.advance(timedelta(days=62))
    rogue = Principal.system("rogue-run", roles={"batch"})
    assert app.run_payments(clock.now().date(), verifier=VERIFIER, submitter=rogue) == 0
    assert trail(app.storage, pdc)[-1] == ("check:rogue-run", "access_denied")
    assert app.run_payments(clock.now().date(), verifier=VERIFIER, submitter=PAYMENT_RUN) == 4


def test_the_routing_timer_is_a_declared_check_in_an_application_with_a_policy(
    clock: ManualClock,
) -> None:
    app = secured(clock)
    assert ROUTING_TIMER.is_automatic
    assert ROUTING_TIMER.id == "routing-timer"
    assert app.tick() == 0  # a free "timer" string was refused by the policy's application
    with pytest.raises(ValidationError, match="must be a Principal"):
        app.tick(actor="timer")


def test_automatic_closure_is_a_command_of_a_declared_check(clock: ManualClock) -> None:
    app = secured(clock)
    pdc = active_pdc(app)
    closing_on = clock.now().date() + timedelta(days=3)
    app.update(
        pdc,
        lambda case: case.perform("schedule_closure", actor="ana", on=closing_on),
        actor=MIGRATION,
    )
    assert app.run_automatic_closure(pdc) is None  # not due: nothing asked, nothing done
    clock.advance(timedelta(days=3))
    nobody = Principal.system("cron")
    with pytest.raises(AccessDenied):
        app.run_automatic_closure(pdc, actor=nobody)
    assert app.case(pdc, actor=SUE).status is PDCStatus.PENDING_CLOSURE
    assert trail(app.storage, pdc)[-1] == ("check:cron", "access_denied")
    result = app.run_automatic_closure(pdc)
    assert result is not None
    closed = app.case(pdc, actor=SUE)
    assert closed.status is PDCStatus.CLOSED
    assert closed.history[-1].actor == "check:automatic-closure" == f"check:{AUTOMATIC_CLOSURE.id}"


def test_the_domain_records_an_automatic_closure_as_the_declared_check(
    clock: ManualClock,
) -> None:
    pdc = ProductDeliveryCase.create(
        id="PDC-2", product="C", owner=Owner.user("w"), supervisor=Owner.user("s"), clock=clock
    )
    pdc.submit(actor="w")
    pdc.approve(actor="s")
    pdc.activate(actor="w")
    pdc.schedule_closure(clock.now().date() + timedelta(days=1), actor="w")
    assert pdc.due_for_automatic_closure() is None
    clock.advance(timedelta(days=1))
    assert pdc.due_for_automatic_closure() == f"scheduled closure on {clock.now().date()}"
    pdc.run_automatic_closure()
    assert pdc.history[-1].actor == "check:automatic-closure"


def test_a_person_cannot_pass_for_a_declared_check(clock: ManualClock) -> None:
    app = secured(clock)
    pdc = active_pdc(app)
    impostor = Principal("check:automatic-closure", {"automatic closure"})
    with pytest.raises(ValidationError, match="a person named 'check:automatic-closure'"):
        app.run_automatic_closure(pdc, actor=impostor)
    assert trail(app.storage, pdc)[-1][1] != "access_denied"
