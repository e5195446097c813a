"""A product delivery case's financials, kept in storage and rebuilt for each command.

Each enrolled PDC has one document in the ``financials`` collection: its product, delivery
pattern, nominees, the entitlement payments are currently made under, the number of its
last reassessment, and the day its next payment falls due (``next_due``: noted at
enrolment and by each payment, cleared when a reassessment changes the entitlement, so a
payment run opens a command only for the PDCs it may pay). Its payments and corrections
are ledger lines (`LedgerKind.PAYMENT`, `LedgerKind.CORRECTION`) of the PDC. A command
rebuilds [`CaseFinancials`][] from them, acts, and writes back in the same unit of work, so
any process can pay or reassess any case.

**Durable identity and exclusion.** A reassessment first writes the PDC's financials
document with the next reassessment number, over the version it read: the number comes
from storage (``<PDC id>/R<n>`` is unique across processes), and the write holds the row
until the unit of work ends. A second process reassessing the same PDC at the same time
waits for it (PostgreSQL's row lock; SQLite's single writer) and then fails with
`ConcurrencyConflict`; the application retries it in a new unit of work, where it nets
against the correction the first one recorded — so a change is corrected exactly once.

Complexity: rebuilding is O(l log p) for l ledger lines over p cover periods, plus the rule
set's cost; paying and reassessing as in `casekit.financials`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from casekit.cases.product_delivery import PDCStatus, ProductDeliveryCase
from casekit.errors import AlreadyExists, NotFound, ValidationError, allowed_list
from casekit.financials import (
    CaseFinancials,
    DeliveryPattern,
    FinancialProduct,
    Ledger,
    Nominees,
    Payment,
    Period,
    ReassessmentTrigger,
    entitlement_from_body,
    entitlement_to_body,
    entry_from_body,
    entry_to_body,
    nominees_from_body,
    nominees_to_body,
    pattern_from_body,
    pattern_to_body,
    payment_from_body,
    payment_to_body,
)
from casekit.financials.corrections import AppliedReassessment, ReassessmentEngine
from casekit.storage.ports import Document, LedgerKind

if TYPE_CHECKING:
    from casekit.app.session import Session

__all__ = ["FINANCIALS", "FinancialRecords"]

FINANCIALS = "financials"
"""The collection of the enrolled PDCs' financials documents (key: the PDC id)."""

_LOOKBACK = timedelta(days=400)
"""How far before a payment run's day its schedule is read (the longest cover period)."""

_LOOKAHEAD = timedelta(days=31)
"""How far after a payment run's day its schedule is read for the next due day (a PDC with
none in it is looked at again when this has passed)."""


def line_id(reference: str) -> str:
    """A ledger line id for a payment or reassessment id (ledger line ids hold no ``/``)."""
    return reference.replace("/", ":")


class FinancialRecords:
    """Reads and writes the enrolled PDCs' financials inside one application session.

    Args:
        products: The products the application pays, by name.
        engine: The reassessment engine (its closed-case strategy and roll-up).
    """

    def __init__(
        self, products: Mapping[str, FinancialProduct], engine: ReassessmentEngine
    ) -> None:
        self.products = dict(products)
        self.engine = engine

    # ------------------------------------------------------------------ enrolment

    def product_of(self, pdc: ProductDeliveryCase) -> FinancialProduct:
        """The configured product ``pdc`` delivers.

        Raises:
            ValidationError: The application pays no such product.
        """
        product = self.products.get(pdc.product)
        if product is None:
            raise ValidationError(
                f"{pdc.id} delivers {pdc.product!r}, which this application does not pay; "
                f"configured products: {allowed_list(sorted(self.products))}"
            )
        return product

    def enrol(
        self,
        session: Session,
        pdc: ProductDeliveryCase,
        *,
        pattern: DeliveryPattern,
        nominees: Nominees | None,
        actor: str,
    ) -> CaseFinancials:
        """Start keeping ``pdc``'s financials; its entitlement is determined now.

        The day its first payment falls due is noted for the payment run (see `enrolled`).

        Raises:
            AlreadyExists: It is enrolled already.
            ValidationError: Its product is not configured, or as `CaseFinancials`.
        """
        documents = session.uow.documents
        if documents.get(FINANCIALS, pdc.id) is not None:
            raise AlreadyExists(f"{pdc.id} is already enrolled for payment")
        fin = CaseFinancials(pdc, self.product_of(pdc), pattern=pattern, nominees=nominees)
        today = session.now.date()
        first = min(
            (line.due_date for line in fin.schedule(Period(today - _LOOKBACK, today + _LOOKAHEAD))),
            default=today + _LOOKAHEAD,
        )
        documents.put(
            FINANCIALS,
            pdc.id,
            {**self._body(fin, reassessments=0), "next_due": first.isoformat()},
            expected_version=0,
            labels={"product": pdc.product},
            updated_at=session.now,
        )
        return fin

    def is_enrolled(self, session: Session, case_id: str) -> bool:
        """Whether ``case_id`` has a financials document. One read."""
        return session.uow.documents.get(FINANCIALS, case_id) is not None

    def enrolled(self, session: Session, *, due_by: date | None = None) -> list[str]:
        """Every enrolled PDC id, in id order. O(n) reads in pages of 1,000.

        Given ``due_by``, only those that may have a payment due on or before it: their
        next due day (noted at enrolment and by each payment, cleared by a reassessment)
        is unknown or not after it.
        """
        ids: list[str] = []
        after: str | None = None
        while True:
            page = session.uow.documents.find(FINANCIALS, after=after, limit=1000)
            ids.extend(
                document.key
                for document in page
                if due_by is None or _may_be_due(document.body, due_by)
            )
            if len(page) < 1000:
                return ids
            after = page[-1].key

    def _body(self, fin: CaseFinancials, *, reassessments: int) -> dict[str, Any]:
        return {
            "product": fin.product.name,
            "pattern": pattern_to_body(fin.pattern),
            "nominees": nominees_to_body(fin.nominees),
            "entitlement": entitlement_to_body(fin.entitlement),
            "reassessments": reassessments,
            "next_due": None,  # unknown until the next payment run looks
        }

    # ------------------------------------------------------------------ loading

    def load(self, session: Session, pdc: ProductDeliveryCase) -> tuple[CaseFinancials, Document]:
        """Rebuild ``pdc``'s financials from storage; return them and their document.

        Raises:
            NotFound: ``pdc`` is not enrolled.
        """
        document = session.uow.documents.get(FINANCIALS, pdc.id)
        if document is None:
            raise NotFound(f"{pdc.id} is not enrolled for payment; enrol it first")
        body = document.body
        product = self.product_of(pdc)
        ledger = Ledger(product.currency)
        corrections: dict[str, list[Any]] = {}
        for line in session.uow.ledger.lines(pdc.id):
            if line.kind is LedgerKind.PAYMENT:
                payment = payment_from_body(line.body, clock=session.clock)
                if payment.counts_as_paid and payment.lines:
                    ledger.record_paid_lines(payment.lines, reference=payment.id)
            elif line.kind is LedgerKind.CORRECTION:
                entry = entry_from_body(line.body)
                key = (entry.cover.start, entry.cover.end, entry.component, entry.nominee)
                corrections.setdefault(entry.reference, []).append((key, entry.amount))
        for reference, items in corrections.items():
            ledger.record_corrections(items, reference=reference)
        fin = CaseFinancials.restore(
            pdc,
            product,
            pattern=pattern_from_body(body["pattern"]),
            nominees=nominees_from_body(body["nominees"]),
            ledger=ledger,
            entitlement=entitlement_from_body(body["entitlement"]),
            engine=self.engine,
        )
        return fin, document

    # ------------------------------------------------------------------ payments

    def pay_due(
        self,
        session: Session,
        pdc: ProductDeliveryCase,
        on: date,
        *,
        verifier: str,
        submitter: str,
    ) -> list[Payment]:
        """Issue every line of ``pdc`` due on or before ``on`` and not issued yet.

        Each line is one payment, verified by ``verifier`` and submitted by ``submitter``,
        stored as a ledger line whose id derives from the cover period, component and
        nominee, so a second run on the same day (in any process) issues nothing twice. A
        line already paid or settled by a correction (a reassessment found it due before it
        was paid: the correction case's once-off payment settles it) is not paid again.
        The day the next line falls due is kept in the financials document, so runs before
        it leave the PDC alone (see `enrolled`).

        Complexity: O(k) for the k lines of the schedule window, plus one read per line.
        """
        if pdc.status is not PDCStatus.ACTIVE:
            return []
        fin, document = self.load(session, pdc)
        ledger = session.uow.ledger
        issued = []
        upcoming = on + _LOOKAHEAD
        for line in fin.schedule(Period(on - _LOOKBACK, on + _LOOKAHEAD)):
            if line.due_date > on:
                upcoming = min(upcoming, line.due_date)
                continue
            key = (line.cover.start, line.cover.end, line.component, line.nominee)
            if fin.ledger.paid_units(key) or fin.ledger.corrected_units(key):
                continue  # paid, or settled by a correction: never paid again
            payment_id = (
                f"{pdc.id}/PAY-{line.cover.start.isoformat()}-{line.component}-{line.nominee}"
            )
            if ledger.line(pdc.id, LedgerKind.PAYMENT, line_id(payment_id)) is not None:
                continue
            payment = Payment.create(
                case_id=pdc.id,
                payee=line.nominee,
                cover=line.cover,
                amount=line.amount,
                due_date=line.due_date,
                lines=[line],
                clock=session.clock,
                id=payment_id,
            )
            payment.verify(actor=verifier)
            payment.submit(actor=submitter)
            self._store_payment(session, payment, actor=submitter)
            issued.append(payment)
        if document.body.get("next_due") != upcoming.isoformat():
            session.uow.documents.put(
                FINANCIALS,
                pdc.id,
                {**document.body, "next_due": upcoming.isoformat()},
                expected_version=document.version,
                labels=document.labels,
                updated_at=session.now,
            )
        return issued

    def _store_payment(self, session: Session, payment: Payment, *, actor: str) -> None:
        session.uow.ledger.record(
            payment.case_id,
            LedgerKind.PAYMENT,
            line_id(payment.id),
            payment_to_body(payment),
            status=payment.status.value,
            actor=actor,
            at=session.now,
        )
        session.publish_later(
            _payment_issued(payment, actor=actor, at=session.now),
        )

    # ------------------------------------------------------------------ reassessment

    def reassess(
        self,
        session: Session,
        pdc: ProductDeliveryCase,
        trigger: ReassessmentTrigger,
        *,
        actor: str,
    ) -> AppliedReassessment:
        """Reassess ``pdc`` and store everything it did, in the session's unit of work.

        The financials document is written first with the next reassessment number (see
        the module docstring); then the correction case is opened and linked, the
        correction lines and once-off payments are stored as ledger lines, and the new
        entitlement is kept unless the reassessment was skipped.

        Raises:
            NotFound: ``pdc`` is not enrolled.
            ConcurrencyConflict: Another unit of work reassessed or paid it meanwhile.
        """
        fin, document = self.load(session, pdc)
        documents = session.uow.documents
        number = int(document.body["reassessments"]) + 1
        version = documents.put(
            FINANCIALS,
            pdc.id,
            {**document.body, "reassessments": number},
            expected_version=document.version,
            labels=document.labels,
            updated_at=session.now,
        )
        applied = fin.reassess(trigger, actor=actor, number=number)
        if applied.correction_case is not None:
            session.add(applied.correction_case, actor=actor)
        ledger = session.uow.ledger
        for index, entry in enumerate(applied.entries, start=1):
            ledger.record(
                pdc.id,
                LedgerKind.CORRECTION,
                f"{line_id(applied.reassessment_id)}:{index}",
                entry_to_body(entry),
                actor=actor,
                at=session.now,
            )
        for payment in applied.payments:
            self._store_payment(session, payment, actor=actor)
        if not applied.skipped:
            documents.put(
                FINANCIALS,
                pdc.id,
                self._body(fin, reassessments=number),
                expected_version=version,
                labels=document.labels,
                updated_at=session.now,
            )
        result = applied.result
        session.publish_later(
            _reassessed(applied, trigger=result.trigger.value, actor=actor, at=session.now)
        )
        return applied


def _may_be_due(body: Mapping[str, Any], on: date) -> bool:
    """Whether a financials document's PDC may have a payment due on or before ``on``."""
    next_due = body.get("next_due")
    return not isinstance(next_due, str) or date.fromisoformat(next_due) <= on


def _payment_issued(payment: Payment, *, actor: str, at: datetime) -> object:
    from casekit.app.events import PaymentIssued  # noqa: PLC0415  avoids an import cycle

    return PaymentIssued(
        case_id=payment.case_id,
        payment_id=payment.id,
        payee=payment.payee,
        amount=str(payment.amount.amount),
        currency=payment.amount.currency,
        status=payment.status.value,
        actor=actor,
        at=at,
    )


def _reassessed(applied: AppliedReassessment, *, trigger: str, actor: str, at: datetime) -> object:
    from casekit.app.events import ReassessmentApplied  # noqa: PLC0415  avoids an import cycle

    result = applied.result
    return ReassessmentApplied(
        case_id=result.case_id,
        reassessment_id=applied.reassessment_id,
        trigger=trigger,
        outcome=result.outcome.value,
        net=str(result.net.amount),
        correction_case_id=None if applied.correction_case is None else applied.correction_case.id,
        skipped=applied.skipped,
        actor=actor,
        at=at,
        period_start=None if result.period is None else result.period.start,
        period_end=None if result.period is None else result.period.end,
    )
