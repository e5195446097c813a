"""casekit: an embeddable, typed Python SDK for case management.

The public names are re-exported here; implementation lives in small modules
([`casekit.errors`][], [`casekit.clock`][], [`casekit.money`][], ...).

The re-exports are lazy (PEP 562): ``import casekit.routing`` or ``import casekit.storage``
does not pay for the case, lifecycle and ``transitions`` stack; ``casekit.Case`` or
``from casekit import Case`` imports its module on first use. Type checkers read the
``TYPE_CHECKING`` block below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    from casekit.clock import (
        Clock,
        ManualClock,
        SystemClock,
    )
    from casekit.errors import (
        AccessDenied,
        AlreadyExists,
        AuditTampered,
        CapacityExceeded,
        CasekitError,
        ConcurrencyConflict,
        CorruptRecord,
        CurrencyMismatch,
        DelegationCycle,
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
    from casekit.lifecycle import (
        Action,
        ActionContext,
        ActionResult,
        Guard,
        Lifecycle,
    )
    from casekit.money import (
        Money,
        allocate,
    )
    from casekit.priority import (
        Priority,
    )

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
    "DelegationCycle",
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

# Where each re-exported name lives, imported by ``__getattr__`` on first access.
_MODULES: dict[str, tuple[str, ...]] = {
    "casekit.cases": (
        "ApplicationCase",
        "AssessmentCase",
        "Case",
        "IntegratedCase",
        "InvestigationCase",
        "IssueCase",
        "Owner",
        "Participant",
        "ParticipantRole",
        "PaymentCorrectionCase",
        "ProductDeliveryCase",
        "ScreeningCase",
        "case_type",
    ),
    "casekit.clock": (
        "Clock",
        "ManualClock",
        "SystemClock",
    ),
    "casekit.errors": (
        "AccessDenied",
        "AlreadyExists",
        "AuditTampered",
        "CapacityExceeded",
        "CasekitError",
        "ConcurrencyConflict",
        "CorruptRecord",
        "CurrencyMismatch",
        "DelegationCycle",
        "GuardRejected",
        "InvalidMoney",
        "InvalidTransition",
        "LifecycleDeclarationError",
        "MissingExtra",
        "MissingFields",
        "NotFound",
        "NotInTaxonomy",
        "OfferNotPending",
        "OutsideCalendar",
        "PaymentLocked",
        "ReassessmentInProgress",
        "SchemaNotMigrated",
        "SeparationOfDuties",
        "StorageError",
        "StorageUnavailable",
        "ValidationError",
    ),
    "casekit.lifecycle": (
        "Action",
        "ActionContext",
        "ActionResult",
        "Guard",
        "Lifecycle",
    ),
    "casekit.money": (
        "Money",
        "allocate",
    ),
    "casekit.priority": ("Priority",),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'casekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
