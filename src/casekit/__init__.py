"""casekit: an embeddable, typed Python SDK for case management.

The public names are re-exported here; implementation lives in small modules
([`casekit.errors`][], [`casekit.clock`][], [`casekit.money`][], ...).
"""

from __future__ import annotations

from casekit.cases import (
    ApplicationCase,
    AssessmentCase,
    Case,
    IntegratedCase,
    InvestigationCase,
    IssueCase,
    Owner,
    Participant,
    ParticipantRole,
    PaymentCorrectionCase,
    ProductDeliveryCase,
    ScreeningCase,
    case_type,
)
from casekit.clock import Clock, ManualClock, SystemClock
from casekit.errors import (
    AccessDenied,
    AlreadyExists,
    AuditTampered,
    CapacityExceeded,
    CasekitError,
    ConcurrencyConflict,
    CorruptRecord,
    CurrencyMismatch,
    GuardRejected,
    InvalidMoney,
    InvalidTransition,
    LifecycleDeclarationError,
    MissingExtra,
    MissingFields,
    NotFound,
    NotInTaxonomy,
    OfferNotPending,
    OutsideCalendar,
    PaymentLocked,
    ReassessmentInProgress,
    SchemaNotMigrated,
    SeparationOfDuties,
    StorageError,
    StorageUnavailable,
    ValidationError,
)
from casekit.lifecycle import Action, ActionContext, ActionResult, Guard, Lifecycle
from casekit.money import Money, allocate
from casekit.priority import Priority

# The one place the version is written: pyproject.toml reads it ([tool.hatch.version]).
__version__ = "0.1.0"

__all__ = [
    "AccessDenied",
    "Action",
    "ActionContext",
    "ActionResult",
    "AlreadyExists",
    "ApplicationCase",
    "AssessmentCase",
    "AuditTampered",
    "CapacityExceeded",
    "Case",
    "CasekitError",
    "Clock",
    "ConcurrencyConflict",
    "CorruptRecord",
    "CurrencyMismatch",
    "Guard",
    "GuardRejected",
    "IntegratedCase",
    "InvalidMoney",
    "InvalidTransition",
    "InvestigationCase",
    "IssueCase",
    "Lifecycle",
    "LifecycleDeclarationError",
    "ManualClock",
    "MissingExtra",
    "MissingFields",
    "Money",
    "NotFound",
    "NotInTaxonomy",
    "OfferNotPending",
    "OutsideCalendar",
    "Owner",
    "Participant",
    "ParticipantRole",
    "PaymentCorrectionCase",
    "PaymentLocked",
    "Priority",
    "ProductDeliveryCase",
    "ReassessmentInProgress",
    "SchemaNotMigrated",
    "ScreeningCase",
    "SeparationOfDuties",
    "StorageError",
    "StorageUnavailable",
    "SystemClock",
    "ValidationError",
    "__version__",
    "allocate",
    "case_type",
]
