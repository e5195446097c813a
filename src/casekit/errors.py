"""Every error casekit raises, under one root.

Each error also inherits the builtin it is closest to, so callers that already catch
``ValueError`` or ``KeyError`` keep working. Messages name the object, the bad value and
what would have been valid.

The tree::

    CasekitError
    ├── ValidationError (ValueError)            bad input to any operation
    │   ├── InvalidMoney (TypeError)            a float or a non-number given as money
    │   ├── CurrencyMismatch                    arithmetic across two currencies
    │   ├── LifecycleDeclarationError           a malformed lifecycle, refused at declaration
    │   ├── OutsideCalendar                     a date beyond the years a calendar's holidays cover
    │   ├── DelegationCycle                     delegations that would redirect work in a loop
    │   ├── NotInTaxonomy                       a classification outside the taxonomy tree
    │   └── MissingFields                       a documentation template's required fields not given
    ├── InvalidTransition (ValueError)          an action not allowed from the current status
    ├── GuardRejected (ValueError)              an allowed action whose guard said no
    │   └── SeparationOfDuties (PermissionError) one person in two roles that must differ
    ├── NotFound (KeyError)                     an unknown id
    ├── AlreadyExists (ValueError)              a duplicate id
    ├── ConcurrencyConflict                     a stale save or a lost race (retryable)
    ├── CapacityExceeded                        more work than an agent may hold
    ├── OfferNotPending                         accept/decline of a withdrawn or expired offer
    ├── PaymentLocked                           a change to a submitted or paid payment
    ├── ReassessmentInProgress                  a second reassessment of one case at once
    ├── AuditTampered                           the audit hash chain does not verify
    ├── AccessDenied (PermissionError)          a principal's access refused by the policy
    ├── MissingExtra (ImportError)              an optional extra is not installed
    └── StorageError
        ├── StorageUnavailable                  the database cannot be reached
        ├── SchemaNotMigrated                   no casekit schema yet, or an older one: migrate
        └── CorruptRecord                       an unreadable row or an unknown schema version
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casekit.security.decision import AccessDecision

__all__ = [
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
    "allowed_list",
]


def allowed_list(values: Iterable[object]) -> str:
    """Render the valid alternatives for an error message, sorted, or ``none``.

    Args:
        values: The values that would have been valid.

    Returns:
        A comma-separated, sorted list, or ``"none"`` when there is no valid value.
    """
    rendered = sorted(str(getattr(v, "value", v)) for v in values)
    return ", ".join(rendered) if rendered else "none"


class CasekitError(Exception):
    """The root of every error casekit raises."""


class ValidationError(CasekitError, ValueError):
    """Bad input: a value outside its domain, a missing field, a malformed argument."""


class InvalidMoney(ValidationError, TypeError):
    """A float, a bool or a non-number was given where money was expected."""


class CurrencyMismatch(ValidationError):
    """Arithmetic or comparison between amounts of two different currencies."""


class LifecycleDeclarationError(ValidationError):
    """A lifecycle declaration is malformed (unknown or unreachable status, duplicate action)."""


class OutsideCalendar(ValidationError):
    """A date outside the years for which a business calendar knows its holidays."""


class DelegationCycle(ValidationError):
    """Delegations whose redirects would loop; the message names the cycle.

    Attributes:
        cycle: The agents in the loop, the first repeated at the end (``A -> B -> A``).
    """

    def __init__(self, message: str, *, cycle: Iterable[str]) -> None:
        self.cycle = tuple(cycle)
        super().__init__(message)


class NotInTaxonomy(ValidationError):
    """A classification outside the taxonomy tree; the message lists the allowed values.

    Attributes:
        level: The level that failed (``"Sub-Category"``).
        value: The value given at that level.
        allowed: The values the tree allows there.
    """

    def __init__(self, message: str, *, level: str, value: str, allowed: Iterable[str]) -> None:
        self.level = level
        self.value = value
        self.allowed = tuple(sorted(allowed))
        super().__init__(message)


class MissingFields(ValidationError):
    """Required documentation fields not given; the message names them.

    Attributes:
        missing: The names of the missing fields.
    """

    def __init__(self, message: str, *, missing: Iterable[str]) -> None:
        self.missing = tuple(missing)
        super().__init__(message)


class InvalidTransition(CasekitError, ValueError):
    """An action that the case's current status does not allow.

    Attributes:
        case_id: The case the action was tried on.
        action: The refused action.
        status: The status the case was in.
        allowed: The actions that status allows.
    """

    def __init__(self, case_id: str, action: str, status: str, allowed: Iterable[str]) -> None:
        self.case_id = case_id
        self.action = action
        self.status = status
        self.allowed = tuple(sorted(allowed))
        super().__init__(
            f"cannot {action!r} {case_id} in status {status!r}; "
            f"allowed: {allowed_list(self.allowed)}"
        )


class GuardRejected(CasekitError, ValueError):
    """An allowed action refused by one of its guards.

    Attributes:
        case_id: The case the action was tried on.
        action: The refused action.
        reason: The guard's reason, in words a caseworker can act on.
    """

    def __init__(self, case_id: str, action: str, reason: str) -> None:
        self.case_id = case_id
        self.action = action
        self.reason = reason
        super().__init__(f"cannot {action!r} {case_id}: {reason}")


class SeparationOfDuties(GuardRejected, PermissionError):
    """One person in two roles that must be held by different people (maker ≠ checker).

    Whoever submits, resolves or verifies is not who approves, submits for payment or
    confirms, and no one makes themselves supervisor of a case they act on (domain.md §7).
    Raised by a lifecycle guard (so it is also a [`GuardRejected`][]) or by
    ``Case.set_supervisor``; the message names the case, the person and who may act.

    The message is the reason alone, which names the case itself: ``"PDC-17 was
    submitted by ana; approval must come from another person: its supervisor, User bob"``.

    Attributes:
        case_id: The case (or payment) acted on.
        action: The refused action (``"approve"``, ``"set_supervisor"`` ...).
        reason: Who already holds the other role, and who may act instead.
    """

    def __init__(self, case_id: str, action: str, reason: str) -> None:
        super().__init__(case_id, action, reason)
        self.args = (reason,)

    def __str__(self) -> str:
        return self.reason


class NotFound(CasekitError, KeyError):
    """An id that names nothing known."""

    def __str__(self) -> str:
        # KeyError quotes its argument; a sentence reads better unquoted.
        return str(self.args[0]) if self.args else "not found"


class AlreadyExists(CasekitError, ValueError):
    """An id that is already taken."""


class ConcurrencyConflict(CasekitError):
    """A save based on a stale version, or a lost race with another transaction.

    Raised for a stale version, a key another transaction wrote first, a deadlock or a
    serialization failure (PostgreSQL), or SQLite still locked after its busy timeout.
    Nothing was written, so retrying the whole unit of work (reading afresh what it
    changes) is safe: [`casekit.storage.retrying`][] does that.
    """


class CapacityExceeded(CasekitError):
    """An assignment that would put an agent over capacity without an explicit override."""


class OfferNotPending(CasekitError):
    """Accepting or declining an offer that was withdrawn, expired or made to someone else."""


class PaymentLocked(CasekitError):
    """A change to a locked field of a payment (submitted for payment or paid)."""


class ReassessmentInProgress(CasekitError):
    """A reassessment requested for a case while another one is running."""


class AuditTampered(CasekitError):
    """The hash chain of a case's audit trail does not verify."""


class AccessDenied(CasekitError, PermissionError):
    """A principal may not do what it asked: the access policy's decision was a denial.

    Attributes:
        decision: The [`AccessDecision`][casekit.security.AccessDecision], naming the rule
            that denied and why.
    """

    def __init__(self, message: str, *, decision: AccessDecision) -> None:
        self.decision = decision
        super().__init__(message)


class MissingExtra(CasekitError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class StorageError(CasekitError):
    """A storage adapter failed."""


class StorageUnavailable(StorageError):
    """The database cannot be reached; nothing was written."""


class SchemaNotMigrated(StorageError):
    """The database has no casekit schema yet, or an older one: run the migration first."""


class CorruptRecord(StorageError):
    """A stored row cannot be read, or the schema version is unknown."""
