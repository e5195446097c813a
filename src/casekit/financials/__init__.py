"""Benefit financials: determinations, schedules, payments, deductions and reassessment.

The pieces, each in its own module:

- `periods` — inclusive date periods.
- `determinations` — decisions per component over periods, and
  the product's rule set that makes them from evidence.
- `certifications`, `nominees`,
  `delivery` — certified periods, who is paid, how and how often.
- `proration` and `schedule` — the
  instruction lines, prorated by day and rounded once, half-even.
- `deductions` and `simulation` —
  deductions under the product's limits; what is due on a date.
- `payments` — the ten payment statuses; locked fields.
- `ledger` — what was paid and corrected.
- `reassessment` (the pure computation) and
  `corrections` (applying it: the Payment Correction Case).
- `codec` — JSON-safe bodies for storage: determinations, entitlements, payments,
  ledger entries, nominees and delivery patterns.
- `case_financials` — one PDC's financials in one place: its
  product, current entitlement, ledger, and reassessment on the case's events; rebuilt
  from stored parts with `CaseFinancials.restore`.
"""

from __future__ import annotations

from casekit.financials.case_financials import CaseFinancials, FinancialProduct
from casekit.financials.certifications import Certified, certified_periods
from casekit.financials.codec import (
    determinations_from_body,
    determinations_to_body,
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
from casekit.financials.corrections import (
    AppliedReassessment,
    ClosedCaseStrategy,
    ReassessmentEngine,
)
from casekit.financials.deductions import (
    Deduction,
    DeductionKind,
    DeductionPolicy,
    DeductionRecord,
    DeductionResult,
    DeductionStatus,
    WhenInsufficient,
    apply_deductions,
)
from casekit.financials.delivery import DeliveryMethod, DeliveryPattern, Frequency, Timing
from casekit.financials.determinations import (
    Decision,
    DeterminationSet,
    RuleSet,
    determine,
    evidence_segments,
)
from casekit.financials.entitlement import Entitlement
from casekit.financials.ledger import EntryKind, Ledger, LedgerEntry
from casekit.financials.nominees import NomineeAssignment, Nominees
from casekit.financials.payments import PAYMENT_LIFECYCLE, Payment, PaymentStatus
from casekit.financials.periods import Period, merge_periods, month_of
from casekit.financials.proration import prorate_minor
from casekit.financials.reassessment import (
    ALL_COMPONENTS,
    Reassessment,
    ReassessmentLine,
    ReassessmentRequest,
    reassess,
    reassess_many,
)
from casekit.financials.schedule import InstructionLine, LineKey, build_schedule
from casekit.financials.simulation import SimulatedPayment, Simulation, simulate
from casekit.financials.triggers import ReassessmentTrigger, trigger_for

__all__ = [
    "ALL_COMPONENTS",
    "PAYMENT_LIFECYCLE",
    "AppliedReassessment",
    "CaseFinancials",
    "Certified",
    "ClosedCaseStrategy",
    "Decision",
    "Deduction",
    "DeductionKind",
    "DeductionPolicy",
    "DeductionRecord",
    "DeductionResult",
    "DeductionStatus",
    "DeliveryMethod",
    "DeliveryPattern",
    "DeterminationSet",
    "Entitlement",
    "EntryKind",
    "FinancialProduct",
    "Frequency",
    "InstructionLine",
    "Ledger",
    "LedgerEntry",
    "LineKey",
    "NomineeAssignment",
    "Nominees",
    "Payment",
    "PaymentStatus",
    "Period",
    "Reassessment",
    "ReassessmentEngine",
    "ReassessmentLine",
    "ReassessmentRequest",
    "ReassessmentTrigger",
    "RuleSet",
    "SimulatedPayment",
    "Simulation",
    "Timing",
    "WhenInsufficient",
    "apply_deductions",
    "build_schedule",
    "certified_periods",
    "determinations_from_body",
    "determinations_to_body",
    "determine",
    "entitlement_from_body",
    "entitlement_to_body",
    "entry_from_body",
    "entry_to_body",
    "evidence_segments",
    "merge_periods",
    "month_of",
    "nominees_from_body",
    "nominees_to_body",
    "pattern_from_body",
    "pattern_to_body",
    "payment_from_body",
    "payment_to_body",
    "prorate_minor",
    "reassess",
    "reassess_many",
    "simulate",
    "trigger_for",
]
