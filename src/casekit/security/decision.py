"""The outcome of an access decision, and the interface every policy engine offers."""

from __future__ import annotations

from typing import Protocol

import attrs

from casekit.checks import check_enum, check_id, check_instance
from casekit.errors import AccessDenied, ValidationError
from casekit.security.permissions import Permission
from casekit.security.principal import Principal
from casekit.security.resource import CaseResource

__all__ = ["AccessDecision", "Authorizer", "check_request", "denied"]


@attrs.frozen(slots=True)
class AccessDecision:
    """Whether access is allowed, and the rule that decided it.

    Attributes:
        allowed: True when the principal may do what it asked.
        rule: The name of the rule that decided: a grant, a deny, ``"sensitivity"``,
            ``"location security"`` or ``"default deny"``.
        reason: Why, in words a support desk can act on.
    """

    allowed: bool
    rule: str
    reason: str

    def explain(self) -> str:
        """One sentence: the verdict, the rule and the reason.

        ``denied by rule 'default deny': no rule grants 'approve' on Product Delivery Case
        to roles {caseworker}``

        Complexity: O(len(reason)).
        """
        verdict = "allowed" if self.allowed else "denied"
        return f"{verdict} by rule {self.rule!r}: {self.reason}"


class Authorizer(Protocol):
    """What the application layer asks of a policy engine (built-in or Cedar)."""

    def decide(
        self,
        principal: Principal,
        permission: Permission | str,
        resource: CaseResource,
        *,
        action: str | None = None,
    ) -> AccessDecision:
        """Decide whether ``principal`` may have ``permission`` on ``resource``."""
        ...

    def check(
        self,
        principal: Principal,
        permission: Permission | str,
        resource: CaseResource,
        *,
        action: str | None = None,
    ) -> AccessDecision:
        """Decide, and raise [`AccessDenied`][casekit.errors.AccessDenied] on a denial."""
        ...


def denied(
    decision: AccessDecision,
    principal: Principal,
    permission: Permission,
    resource: CaseResource,
    action: str | None,
) -> AccessDenied:
    """Return the [`AccessDenied`][casekit.errors.AccessDenied] error for a denial.

    The message names the principal, the permission (and action), the case and the rule.

    Complexity: O(len(reason)).
    """
    what = f"{permission.value} {action!r} on" if action is not None else permission.value
    return AccessDenied(
        f"{principal} may not {what} {resource.case_id}: {decision.reason} "
        f"(rule {decision.rule!r})",
        decision=decision,
    )


def check_request(
    principal: object, permission: object, resource: object, action: object
) -> Permission:
    """Check the arguments of a decision at the door; return the permission as a member.

    Complexity: O(len(action)).

    Raises:
        ValidationError: Not a Principal, an unknown permission (the message lists the
            valid ones), not a CaseResource, a blank action, or ``perform`` without one.
    """
    check_instance(principal, Principal, what="the principal of an access decision")
    member = check_enum(permission, Permission, what="the permission asked for")
    case = check_instance(resource, CaseResource, what="the resource of an access decision")
    if action is not None:
        check_id(action, what="the action of an access decision")
    elif member is Permission.PERFORM:
        raise ValidationError(
            f"deciding 'perform' on {case.case_id} needs action= (the lifecycle action's name)"
        )
    return member
