"""casekit: an embeddable, typed Python SDK for case management.

The public names are re-exported here; implementation lives in small modules
(:mod:`casekit.errors`, :mod:`casekit.clock`, :mod:`casekit.money`, ...).
"""

from __future__ import annotations

from casekit.clock import Clock, ManualClock, SystemClock
from casekit.errors import (
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
    NotFound,
    OfferNotPending,
    PaymentLocked,
    ReassessmentInProgress,
    StorageError,
    StorageUnavailable,
    ValidationError,
)
from casekit.money import Money, allocate
from casekit.priority import Priority

__version__ = "0.1.0"

__all__ = [
    "AlreadyExists",
    "AuditTampered",
    "CapacityExceeded",
    "CasekitError",
    "Clock",
    "ConcurrencyConflict",
    "CorruptRecord",
    "CurrencyMismatch",
    "GuardRejected",
    "InvalidMoney",
    "InvalidTransition",
    "LifecycleDeclarationError",
    "ManualClock",
    "Money",
    "NotFound",
    "OfferNotPending",
    "PaymentLocked",
    "Priority",
    "ReassessmentInProgress",
    "StorageError",
    "StorageUnavailable",
    "SystemClock",
    "ValidationError",
    "__version__",
    "allocate",
]
