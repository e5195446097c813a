"""The application's access log and break-the-glass grants (issue 17, parts 4 and 5).

**Access log.** [`Session.authorize`][casekit.app.Session.authorize] appends an entry to
the case's audit trail — in the command's unit of work, so in the same hash chain and the
same commit as what it allowed — when the access it grants is one the log records:

* every ``reveal`` (``action="reveal"``);
* a ``read`` of a case whose sensitivity is at least the application's
  ``audit_reads_from`` (``action="read"``);
* every access a break-the-glass grant gives (``via="break-glass"``), whatever the case's
  sensitivity.

An entry's ``detail`` names the permission, how it was allowed (``via``: ``"policy"``,
``"break-glass"`` or ``"trusted"`` for an application without a policy), the rule, the
case's sensitivity and the reason the caller gave; a reveal adds the kind of value and its
vault token, never the value.

**Break-the-glass.** A [`BreakGlassGrant`][] is kept in the ``access_grants`` document
collection, one document per case and principal (a new grant replaces the last one; the
trail keeps every one). While it runs — until ``expires_at`` by the application's clock,
or until it is revoked — its holder may ``read`` and ``reveal`` the case even where the
policy denies it, provided the policy still lets them ``break_glass`` on it (so a holder
who lost the role, or a case whose sensitivity rose above their clearance, is shut out at
once). No job expires a grant: every use compares ``expires_at`` with the clock.

Complexity: one document read per denied ``read`` or ``reveal`` (never on an allowed
one), one audit append per logged access.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from casekit.cases.codec import case_to_record, type_topic
from casekit.classification.sensitive import Sensitive
from casekit.clock import as_utc
from casekit.errors import AlreadyExists, ConcurrencyConflict, CorruptRecord
from casekit.security import AccessDecision, CaseResource, Permission

if TYPE_CHECKING:
    from casekit.app.session import Session
    from casekit.cases.base import Case
    from casekit.storage.ports import DocumentStore

__all__ = [
    "ACCESS_GRANTS",
    "GLASS_PERMISSIONS",
    "MAX_GLASS_MINUTES",
    "BreakGlassGrant",
    "grant_key",
    "holds_value",
    "live_glass",
    "load_grant",
    "log_access",
    "store_grant",
]

ACCESS_GRANTS = "access_grants"
"""The document collection of break-the-glass grants (one per case and principal)."""

GLASS_PERMISSIONS = frozenset({Permission.READ, Permission.REVEAL})
"""What a running break-the-glass grant lets its holder do: see the case, and reveal its
masked values. Nothing that changes the case: emergency access is for looking."""

MAX_GLASS_MINUTES = 24 * 60
"""The longest a break-the-glass grant may run (a day); ask again for more."""


def _permissions(value: Iterable[Permission | str]) -> frozenset[Permission]:
    return frozenset(Permission(item) for item in value)


@attrs.frozen(slots=True)
class BreakGlassGrant:
    """Time-boxed emergency access of one principal to one case.

    Attributes:
        case_id: The case.
        principal: The id of the person it was granted to.
        reason: Why they asked (required; in the audit trail and the event).
        granted_at: When it was granted (UTC, the application's clock).
        expires_at: When it stops on its own (UTC).
        supervisor: The case's supervisor when it was granted, as an owner reference
            (``"User:sam"``), or ``None`` when the case has none.
        permissions: What it lets its holder do (`GLASS_PERMISSIONS`).
        revoked_at: When it was revoked early, if it was.
        revoked_by: Who revoked it, if anyone.
    """

    case_id: str
    principal: str
    reason: str
    granted_at: datetime
    expires_at: datetime
    supervisor: str | None
    permissions: frozenset[Permission] = attrs.field(
        default=GLASS_PERMISSIONS, converter=_permissions
    )
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def is_live(self, now: datetime) -> bool:
        """Whether it still gives access at ``now``: not expired, not revoked. O(1)."""
        return self.revoked_at is None and as_utc(now) < self.expires_at

    def covers(self, permission: Permission) -> bool:
        """Whether it lets its holder have ``permission``. O(1)."""
        return permission in self.permissions

    def to_body(self) -> dict[str, Any]:
        """The grant as a JSON-safe document body. O(1)."""
        return {
            "case_id": self.case_id,
            "principal": self.principal,
            "reason": self.reason,
            "granted_at": self.granted_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "supervisor": self.supervisor,
            "permissions": sorted(p.value for p in self.permissions),
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
            "revoked_by": self.revoked_by,
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> BreakGlassGrant:
        """The grant a document body holds. O(1).

        Raises:
            CorruptRecord: The body is not a grant's.
        """
        try:
            revoked = body["revoked_at"]
            return cls(
                case_id=str(body["case_id"]),
                principal=str(body["principal"]),
                reason=str(body["reason"]),
                granted_at=datetime.fromisoformat(body["granted_at"]),
                expires_at=datetime.fromisoformat(body["expires_at"]),
                supervisor=body["supervisor"],
                permissions=body["permissions"],
                revoked_at=None if revoked is None else datetime.fromisoformat(revoked),
                revoked_by=body["revoked_by"],
            )
        except (KeyError, TypeError, ValueError) as error:
            raise CorruptRecord(
                f"{ACCESS_GRANTS} document is not a break-the-glass grant: {error!r:.200}"
            ) from None


def grant_key(case_id: str, principal_id: str) -> str:
    """The document key of ``principal_id``'s grant on ``case_id``. O(len of the ids).

    ``["PDC-1","ana"]`` (JSON, so no two pairs of ids share a key); a pair too long for a
    key is ``sha256:<hex>`` of that text.
    """
    text = json.dumps([case_id, principal_id], ensure_ascii=False, separators=(",", ":"))
    if len(text) <= 512:
        return text
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def load_grant(
    documents: DocumentStore, case_id: str, principal_id: str
) -> tuple[BreakGlassGrant | None, int]:
    """The stored grant of ``principal_id`` on ``case_id`` (live or not) and its version.

    ``(None, 0)`` when there is none. One read.
    """
    document = documents.get(ACCESS_GRANTS, grant_key(case_id, principal_id))
    if document is None:
        return None, 0
    return BreakGlassGrant.from_body(document.body), document.version


def store_grant(documents: DocumentStore, grant: BreakGlassGrant, *, version: int) -> None:
    """Write ``grant`` over ``version`` of its document (0: the first). One write.

    Raises:
        ConcurrencyConflict: Someone else wrote it since it was read, the first one
            included (the command is retried, and then finds theirs).
    """
    key = grant_key(grant.case_id, grant.principal)
    try:
        documents.put(
            ACCESS_GRANTS,
            key,
            grant.to_body(),
            expected_version=version,
            labels={"case_id": grant.case_id, "principal": grant.principal},
            updated_at=grant.revoked_at or grant.granted_at,
        )
    except AlreadyExists:
        raise ConcurrencyConflict(
            f"{ACCESS_GRANTS}/{key} was written by another command since it was read"
        ) from None


def live_glass(
    session: Session, permission: Permission, resource: CaseResource
) -> tuple[BreakGlassGrant, AccessDecision] | None:
    """The running grant that lets the session's principal have ``permission`` on the case.

    ``None`` unless the permission is one grants cover, the principal is a person holding
    a grant on the case that is live at the session's time, and the policy lets them
    ``break_glass`` on the case now. Returns the grant and that decision.

    Complexity: one document read and one policy decision.
    """
    principal, policy = session.principal, session.app.policy
    if permission not in GLASS_PERMISSIONS or principal is None or policy is None:
        return None
    if principal.is_automatic:
        return None
    grant, _ = load_grant(session.uow.documents, resource.case_id, principal.id)
    if grant is None or not grant.is_live(session.now) or not grant.covers(permission):
        return None
    decision = policy.decide(principal, Permission.BREAK_GLASS, resource)
    return (grant, decision) if decision.allowed else None


def log_access(
    session: Session,
    case_id: str,
    permission: Permission,
    *,
    via: str,
    rule: str | None,
    sensitivity: int,
    reason: str | None,
    detail: Mapping[str, object] | None = None,
    grant: BreakGlassGrant | None = None,
) -> None:
    """Append an access log entry to ``case_id``'s trail in the session's unit of work.

    ``detail`` adds facts (a reveal's kind and token); it cannot replace the permission,
    ``via``, rule, sensitivity or reason.

    Complexity: one audit append.
    """
    facts: dict[str, object] = dict(detail or {})
    facts.update(  # after the caller's facts: they never stand in for these
        permission=permission.value, via=via, rule=rule, sensitivity=sensitivity, reason=reason
    )
    if grant is not None:
        facts["grant_reason"] = grant.reason
        facts["grant_expires_at"] = grant.expires_at.isoformat()
    session.uow.audit.append(
        case_id, actor=session.actor, action=permission.value, at=session.now, detail=facts
    )


_SENSITIVE = type_topic(Sensitive)


def holds_value(case: Case[Any], value: Sensitive) -> bool:
    """Whether ``case`` holds the sealed ``value`` (same kind and token) anywhere.

    Looked for in the case's stored record, so wherever a case type keeps sealed values
    (documentation, type-specific fields) they are found.

    Complexity: O(size of the case).
    """
    stack: list[object] = [case_to_record(case)]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            fields = item.get("fields")
            if (
                item.get("$attrs") == _SENSITIVE
                and isinstance(fields, Mapping)
                and fields.get("token") == value.token
                and fields.get("kind") == value.kind
            ):
                return True
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False
