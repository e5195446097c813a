"""The demo's figures, counted from the events its application publishes after each commit.

A [`Tally`][] is an `Application.subscribe` subscriber. It keeps no case: it counts what the
application reports it did — cases opened (`CaseOpened`) and their status changes, escalations
(`PriorityChanged`), payments issued (`PaymentIssued`), reassessments applied
(`ReassessmentApplied`, with the correction case each opened) and break-the-glass grants
whose supervisor was told (`BreakGlassGranted`) — so the dashboard shows the
stored run and nothing else. The run's money is counted once it starts
([`start_run`][Tally.start_run]): the existing caseload's payments before the first day are
its history, counted apart.

Complexity: O(1) per event; it holds one entry per case opened (its type).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from casekit.app import BreakGlassGranted, CaseOpened, PaymentIssued, ReassessmentApplied
from casekit.cases.events import PriorityChanged
from casekit.cases.parts import StatusChange
from casekit.priority import Priority

__all__ = ["Tally"]

_OVER = "Overpayment"
_UNDER = "Underpayment"


class Tally:
    """Counts a demo run's figures from its application's events.

    Args:
        currency: The currency every payment and correction is in.
        escalator: The actor whose raising a case to Urgent is an escalation.
    """

    def __init__(self, currency: str, *, escalator: str) -> None:
        self.currency = currency
        self.escalator = escalator
        self.running = False
        self.case_types: dict[str, str] = {}
        self.by_status: Counter[str] = Counter()
        self.escalated = 0
        self.payments = 0
        self.paid = Decimal("0.00")
        self.payments_before = 0
        self.paid_before = Decimal("0.00")
        self.reassessments = 0
        self.overpayments = 0
        self.overpaid = Decimal("0.00")
        self.underpayments = 0
        self.underpaid = Decimal("0.00")
        self.correction_cases = 0
        self.corrections_by_month: Counter[str] = Counter()
        self.daily: dict[str, Counter[str]] = {}
        self.glass_notices = 0

    def start_run(self) -> None:
        """Count money from now on (what came before is the caseload's history)."""
        self.running = True

    def __call__(self, event: object) -> None:
        """Count one committed event."""
        if isinstance(event, CaseOpened):
            self.case_types[event.case_id] = event.case_type
            self.by_status[f"{event.case_type}|{event.status}"] += 1
        elif isinstance(event, StatusChange):
            case_type = self.case_types[event.case_id]
            self.by_status[f"{case_type}|{event.from_status}"] -= 1
            self.by_status[f"{case_type}|{event.to_status}"] += 1
        elif isinstance(event, PriorityChanged):
            if event.actor == self.escalator and event.after is Priority.URGENT:
                self.escalated += 1
        elif isinstance(event, PaymentIssued):
            self._payment(event)
        elif self.running and isinstance(event, ReassessmentApplied):
            self._reassessment(event)
        elif isinstance(event, BreakGlassGranted):
            self.glass_notices += 1

    def _day(self, event: PaymentIssued | ReassessmentApplied) -> Counter[str]:
        return self.daily.setdefault(event.at.date().isoformat(), Counter())

    def _payment(self, event: PaymentIssued) -> None:
        assert event.currency == self.currency, event
        if not self.running:
            self.payments_before += 1
            self.paid_before += Decimal(event.amount)
            return
        self.payments += 1
        self.paid += Decimal(event.amount)
        self._day(event)["payments"] += 1

    def _reassessment(self, event: ReassessmentApplied) -> None:
        self.reassessments += 1
        net = Decimal(event.net)
        if event.outcome == _OVER:
            self.overpayments += 1
            self.overpaid -= net
        elif event.outcome == _UNDER:
            self.underpayments += 1
            self.underpaid += net
        if event.correction_case_id is not None:
            self.correction_cases += 1
            if event.period_start is not None:
                self.corrections_by_month[f"{event.period_start:%Y-%m}"] += 1
        day = self._day(event)
        day["reassessments"] += 1
        day[f"outcome:{event.outcome}"] += 1

    @property
    def cases(self) -> int:
        """How many cases have been opened."""
        return len(self.case_types)

    def cases_by_status(self) -> dict[str, int]:
        """``"<case type>|<status>"`` → how many cases are in it now, sorted."""
        return {key: n for key, n in sorted(self.by_status.items()) if n}

    def money(self) -> dict[str, Any]:
        """The run's money figures, JSON-safe (amounts as decimal strings)."""
        return {
            "currency": self.currency,
            "payments": self.payments,
            "paid_total": str(self.paid),
            "reassessments": self.reassessments,
            "overpayments": self.overpayments,
            "overpaid_total": str(self.overpaid),
            "underpayments": self.underpayments,
            "underpaid_total": str(self.underpaid),
            "correction_cases": self.correction_cases,
            "corrections_by_month": dict(sorted(self.corrections_by_month.items())),
            "payments_before": self.payments_before,
            "paid_before_total": str(self.paid_before),
        }
