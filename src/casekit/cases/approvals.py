"""Who may approve a case: its supervisor as a user, or a declared automatic approval check.

Domain.md §7: a principal performs every action, and actions by "the system" come from
declared automatic checks, never from a caller saying ``actor="system"``. So an approval
comes from

* the case's supervisor **as a user**: an [`Owner`][casekit.cases.Owner] of kind User whose
  id is the actor (a work queue, position or org unit supervisor with the same id string
  does not let a user of that name approve); or
* for a product delivery case open to automatic approval, an [`ApprovalCheck`][] its product
  declares, run at the moment of approval and recorded as the actor ``"check:<name>"``.

Maker ≠ checker (the approver is not who submitted or resolved) is a separate guard,
`casekit.lifecycle.duties.separated_from`, declared before these on each approval.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from casekit.cases.parts import OwnerKind
from casekit.checks import check_text
from casekit.errors import AlreadyExists, ValidationError
from casekit.lifecycle import ActionContext, Guard
from casekit.lifecycle.duties import acting

if TYPE_CHECKING:
    from casekit.cases.base import Case
    from casekit.cases.product_delivery import ProductDeliveryCase

__all__ = [
    "APPROVAL_CHECKS",
    "CHECK_ACTOR_PREFIX",
    "ApprovalCheck",
    "declare_approval_check",
    "supervisor_approves",
]

CHECK_ACTOR_PREFIX = "check:"
"""An approval by a declared check is recorded with the actor ``"check:<name>"``."""

CaseT = TypeVar("CaseT", bound="Case[Any]")


def is_supervisor_user(case: Case[Any], actor: str) -> bool:
    """True when the case's supervisor is the user ``actor`` (not a queue, position or unit)."""
    supervisor = case.roles.supervisor
    return supervisor is not None and supervisor.kind is OwnerKind.USER and supervisor.id == actor


def not_the_supervisor(case: Case[Any], actor: str, *, doing: str = "approve") -> str:
    """Why ``actor`` may not ``doing`` ``case`` as its supervisor, and who may."""
    supervisor = case.roles.supervisor
    if supervisor is None:
        return (
            f"{case.id} has no supervisor, and only its supervisor (a user) may {doing} it: "
            f"set one with set_supervisor(Owner.user(...)); {actor} may not"
        )
    if supervisor.kind is not OwnerKind.USER:
        return (
            f"the supervisor of {case.id} is {supervisor}, not a user, and only a supervisor "
            f"who is a user may {doing} it (set one with set_supervisor(Owner.user(...))); "
            f"{actor} may not"
        )
    return f"{actor} is not the supervisor of {case.id}; only its supervisor, {supervisor}, may"


def supervisor_instead(case: Case[Any], context: ActionContext) -> str:
    """Who may approve instead of the people a separation-of-duties guard refused."""
    supervisor = case.roles.supervisor
    if supervisor is None:
        return "its supervisor, once one is set with set_supervisor(Owner.user(...))"
    if supervisor.kind is not OwnerKind.USER:
        return f"a supervisor who is a user (its supervisor is {supervisor}; set one)"
    if supervisor.id in acting(context):
        return f"a supervisor other than {supervisor.id}, set with set_supervisor"
    return f"its supervisor, {supervisor}"


def supervisor_approves(*, doing: str = "approve") -> Guard[CaseT]:
    """A guard: only the case's supervisor, as a user, may perform the action.

    Args:
        doing: The action in words for the refusal (``"approve"``).
    """

    def check(case: CaseT, context: ActionContext) -> bool:
        return is_supervisor_user(case, context.actor)

    def explain(case: CaseT, context: ActionContext) -> str:
        return not_the_supervisor(case, context.actor, doing=doing)

    return Guard(check, explain)


@attrs.frozen
class ApprovalCheck:
    """An automatic approval check that a product declares.

    Declare it once (at import, like a case type) with [`declare_approval_check`][]; a
    product delivery case of that product that is open to automatic approval
    (``automatic_approval=True``) is then approved by
    ``pdc.approve_automatically(name)``, which runs ``check`` at that moment and records
    the approval with the actor ``"check:<name>"``.

    Attributes:
        name: The check's name, unique among declared checks (``"low-income-renewal"``).
        product: The product whose cases it may approve (``"Basic Allowance"``).
        check: ``check(case) -> bool``; True approves. It reads the case, and changes
            nothing.
        requires: What it requires, in words, for the refusal when it says no
            (``"a verified income below 1,000.00 a month"``).
    """

    name: str
    product: str
    check: Callable[[ProductDeliveryCase], bool]
    requires: str

    def __attrs_post_init__(self) -> None:
        check_text(self.name, what="the name of an approval check")
        if self.name.startswith(CHECK_ACTOR_PREFIX) or ":" in self.name:
            raise ValidationError(
                f"the name of an approval check may not contain ':', got {self.name!r}; "
                "approvals by it are recorded as 'check:<name>'"
            )
        check_text(self.product, what=f"the product of approval check {self.name!r}")
        if not callable(self.check):
            raise ValidationError(
                f"approval check {self.name!r} needs check= a function of the case "
                f"returning True to approve, got {self.check!r}"
            )
        check_text(self.requires, what=f"what approval check {self.name!r} requires")

    @property
    def actor(self) -> str:
        """The actor an approval by this check is recorded with: ``"check:<name>"``."""
        return f"{CHECK_ACTOR_PREFIX}{self.name}"


APPROVAL_CHECKS: dict[str, ApprovalCheck] = {}
"""Every declared approval check, by name."""

_LOCK = threading.Lock()


def declare_approval_check(check: ApprovalCheck) -> ApprovalCheck:
    """Declare an automatic approval check for its product (idempotent for the same check).

    Returns:
        ``check``, so a module can write ``LOW_INCOME = declare_approval_check(...)``.

    Raises:
        ValidationError: ``check`` is not an [`ApprovalCheck`][].
        AlreadyExists: Another check is already declared under that name.
    """
    if not isinstance(check, ApprovalCheck):
        raise ValidationError(f"declare_approval_check takes an ApprovalCheck, got {check!r}")
    with _LOCK:
        known = APPROVAL_CHECKS.get(check.name)
        if known is not None and known != check:
            raise AlreadyExists(
                f"approval check {check.name!r} is already declared (for {known.product}); "
                "give this one another name"
            )
        APPROVAL_CHECKS[check.name] = check
    return check


def check_approval(case: ProductDeliveryCase, actor: str) -> str | None:
    """Why the approval check ``actor`` names does not approve ``case``; None when it does.

    ``actor`` is ``"check:<name>"``. The check runs now, on the case as it is.
    """
    name = actor.removeprefix(CHECK_ACTOR_PREFIX)
    declared = APPROVAL_CHECKS.get(name)
    product_checks = sorted(c.name for c in APPROVAL_CHECKS.values() if c.product == case.product)
    if declared is None:
        return (
            f"no approval check {name!r} is declared; the checks declared for "
            f"{case.product} are: {', '.join(product_checks) or 'none'}"
        )
    if declared.product != case.product:
        return (
            f"approval check {name!r} approves {declared.product} cases, not {case.id} "
            f"({case.product}); its checks are: {', '.join(product_checks) or 'none'}"
        )
    if not case.automatic_approval:
        return (
            f"{case.id} is not open to automatic approval (automatic_approval=False); "
            "its supervisor approves it"
        )
    if not declared.check(case):
        return f"approval check {name!r} did not approve {case.id}: it requires {declared.requires}"
    return None
