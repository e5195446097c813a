"""Checks of an application's stored state, for your tests, crash drills and audits.

[`check_application`][] reads everything an [`Application`][casekit.app.Application] has
stored and checks the promises the application layer makes, from storage alone (it builds a
second application on the same storage, as a restarted process would):

- **routing**: every case of a routed type is in routing exactly once, in the step its
  status says (with the step's or the case's priority), and the router holds nothing else;
  the owner of a case whose step is accepted is the agent who accepted it;
- **money**: for every enrolled product delivery case being paid (not suspended, closed or
  deferred), paid + corrections = due for every cover period, component and nominee paid;
- **links**: every Payment Correction Case is linked to its PDC both ways;
- **audit**: every stored case's trail verifies;
- **outbox** (when the application writes one and nothing has been acked): exactly one
  ``casekit.case.opened`` record per stored case, one ``casekit.financials.reassessed``
  record per correction case, one ``casekit.financials.payment_issued`` per payment
  ledger line, and as many ``casekit.case.status_changed`` records per case as status
  changes in its history — nothing lost, nothing written twice.

Run it after a crash and a restart, or in a Hypothesis state machine after every step.

Complexity: O(cases + ledger lines + outbox records), plus one reassessment computation
per enrolled PDC.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from casekit.cases import LinkKind, Owner, PaymentCorrectionCase, ProductDeliveryCase
from casekit.cases.product_delivery import PDCStatus
from casekit.financials.reassessment import reassess
from casekit.routing import ItemState
from casekit.storage import LedgerKind

if TYPE_CHECKING:
    from casekit.app import Application

__all__ = ["check_application", "stored_cases"]

_OUTBOX_READ = 10_000
"""The most outbox records one read returns (the outbox port's limit)."""

_PAID_STATUSES = frozenset(
    {
        PDCStatus.OPEN,
        PDCStatus.SUBMITTED,
        PDCStatus.APPROVED,
        PDCStatus.ACTIVE,
        PDCStatus.PENDING_CLOSURE,
    }
)
"""Statuses in which an enrolled PDC's corrections are kept up to date (not suspended,
closed or waiting for a deferred step)."""


def stored_cases(app: Application) -> list[Any]:
    """Every stored case, in id order (pages of 1,000)."""
    cases: list[Any] = []
    after: str | None = None
    with app.storage.unit_of_work() as uow:
        while True:
            page = uow.cases.query(after=after, limit=1000)
            cases.extend(page.items)
            if page.next_after is None:
                return cases
            after = page.next_after


def check_application(app: Application, *, outbox: bool = True) -> None:
    """Check everything `app` stored (see the module docstring); raise on the first breach.

    Args:
        app: The application (a second one is built on its storage for the checks).
        outbox: Check the outbox's records against the stored state (only meaningful while
            no record has been acked).

    Raises:
        AssertionError: A promise is broken; the message names the case and what differs.
    """
    from casekit.app import Application  # noqa: PLC0415  the app imports casekit.testing lazily
    from casekit.app.session import Session  # noqa: PLC0415

    rebuilt = Application(
        app.storage,
        name=app.name,
        routing=[r for r in (app.routing_for(t) for t in _routed_types(app)) if r is not None],
        domains=[app._domains[name] for name in app.domains],
        products=app.financials.products.values(),
        engine=app.financials.engine,
        outbox=app.outbox,
        clock=app.clock,
    )
    cases = stored_cases(rebuilt)
    by_id = {case.id: case for case in cases}
    _check_routing(rebuilt, cases)
    _check_links(by_id)
    for case in cases:
        rebuilt.storage.verify_audit(case.id)
    with rebuilt.storage.unit_of_work() as uow:
        session = Session(rebuilt, uow, "checker")
        enrolled = rebuilt.financials.enrolled(session)
        for case_id in enrolled:
            _check_money(rebuilt, session, by_id[case_id])
        if outbox and rebuilt.outbox:
            _check_outbox(uow, cases)


def _routed_types(app: Application) -> list[type[Any]]:
    return list(app._routing)


def _check_routing(app: Application, cases: list[Any]) -> None:
    held: dict[str, Any] = {}
    for domain in app.domains:
        for status in app.durable_router(domain).read(lambda router: router.items()):
            assert status.item.id not in held, f"{status.item.id} is routed in two domains"
            held[status.item.id] = (domain, status)
    for case in cases:
        routing = app.routing_for(type(case))
        entry = held.pop(case.id, None)
        step = None if routing is None or case.is_final else routing.step_for(case.status.value)
        if step is None:
            assert entry is None, f"{case.id} is {case.status.value} but still routed: {entry}"
            continue
        assert routing is not None
        assert entry is not None, f"{case.id} is {case.status.value} but not in routing"
        domain, status = entry
        assert domain == routing.domain, f"{case.id} is routed in {domain}, not {routing.domain}"
        assert status.item.stage == step.stage_name, (
            f"{case.id} is {case.status.value} but routed at {status.item.stage}"
        )
        expected = step.priority or case.priority
        assert status.priority is expected, (
            f"{case.id} is {expected.value} but routed at {status.priority.value}"
        )
        if status.state is ItemState.ACCEPTED:
            assert case.owner == Owner.user(status.agent_id), (
                f"{case.id} was accepted by {status.agent_id} but is owned by {case.owner}"
            )
    assert not held, f"routed items with no case in a routed status: {sorted(held)}"


def _check_links(by_id: dict[str, Any]) -> None:
    for case in by_id.values():
        if isinstance(case, PaymentCorrectionCase):
            pdcs = case.related(LinkKind.CORRECTS)
            assert len(pdcs) == 1, f"{case.id} corrects {pdcs}, not one PDC"
            assert case.id in by_id[pdcs[0]].related(LinkKind.CORRECTED_BY), (
                f"{pdcs[0]} is not linked back to its correction case {case.id}"
            )
        for correction_id in case.related(LinkKind.CORRECTED_BY):
            assert correction_id in by_id, f"{case.id} links to a missing {correction_id}"
            assert case.id in by_id[correction_id].related(LinkKind.CORRECTS)


def _check_money(app: Application, session: Any, pdc: Any) -> None:
    assert isinstance(pdc, ProductDeliveryCase), f"{pdc.id} is enrolled but not a PDC"
    if pdc.status not in _PAID_STATUSES:
        return
    fin, _ = app.financials.load(session, pdc)
    start = fin.ledger.earliest_cover_start
    if start is None:
        return
    current = fin.determine()
    result = reassess(
        pdc.id,
        old=current,
        new=current,
        ledger=fin.ledger,
        pattern=fin.pattern,
        nominees=fin.nominees,
        since=start,
    )
    assert not result.corrections, f"{pdc.id}: paid + corrections != due on " + ", ".join(
        f"{line.key}: {line.correction}" for line in result.corrections[:5]
    )


def _every_record(uow: Any) -> list[Any]:
    """Every record not yet acked.

    A pending read stops at `_OUTBOX_READ`; beyond that they are claimed a page at a time
    in ``uow``, which the check never commits, so the claims are rolled back with it.
    """
    total = uow.outbox.count()
    if total <= _OUTBOX_READ:
        return list(uow.outbox.pending(limit=_OUTBOX_READ))
    now = uow.storage.clock.now()
    records: list[Any] = []
    while page := uow.outbox.claim(
        _OUTBOX_READ, owner="check-application", lease=timedelta(days=1), now=now
    ):
        records.extend(page)
    assert len(records) == total, (
        f"the outbox holds {total} records but {len(records)} could be read (some are "
        "leased: check_application compares the outbox only while nothing is being relayed)"
    )
    return records


def _check_outbox(uow: Any, cases: list[Any]) -> None:
    records = _every_record(uow)
    ids = Counter(record.id for record in records)
    assert all(n == 1 for n in ids.values()), "an outbox record id is used twice"
    opened = Counter(record.subject for record in records if record.type == "casekit.case.opened")
    changes = Counter(
        record.subject for record in records if record.type == "casekit.case.status_changed"
    )
    corrections = Counter(
        record.data.get("correction_case_id")
        for record in records
        if record.type == "casekit.financials.reassessed"
    )
    payments = Counter(
        record.data.get("payment_id")
        for record in records
        if record.type == "casekit.financials.payment_issued"
    )
    for case in cases:
        assert opened[case.id] == 1, f"{case.id} has {opened[case.id]} opened records, not 1"
        assert changes[case.id] == len(case.history), (
            f"{case.id} changed status {len(case.history)} times; "
            f"the outbox has {changes[case.id]} records of it"
        )
        if isinstance(case, PaymentCorrectionCase):
            assert corrections[case.id] == 1, (
                f"{case.id} has {corrections[case.id]} reassessed records, not 1"
            )
        for line in uow.ledger.lines(case.id, LedgerKind.PAYMENT):
            payment_id = line.body.get("id")
            assert payments[payment_id] == 1, (
                f"payment {payment_id} has {payments[payment_id]} issued records, not 1"
            )
