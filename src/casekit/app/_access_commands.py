"""The application's access commands: reveal, seal, break the glass (issue 17, parts 4–6).

A private part of [`Application`][casekit.app.Application], which is assembled from it (as
the router is from its mixins); read them as the application's own methods. The rules they
keep are in `casekit.app.access` (the access log and the grants) and
`casekit.app.vault` (the write-only vault view).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

import attrs

from casekit.app.access import (
    GLASS_PERMISSIONS,
    MAX_GLASS_MINUTES,
    BreakGlassGrant,
    holds_value,
    load_grant,
    store_grant,
)
from casekit.app.events import BreakGlassGranted, BreakGlassRevoked
from casekit.app.vault import SealingVault
from casekit.checks import check_id, check_instance, check_int, check_optional_text, check_text
from casekit.classification.sensitive import DEFAULT_VAULT, Sensitive, Vault, check_vault
from casekit.errors import NotFound, ValidationError
from casekit.security import Authorizer, CaseResource, Permission, Principal, owner_ref

if TYPE_CHECKING:
    from casekit.app.application import Actor
    from casekit.app.session import Session
    from casekit.storage.unit_of_work import Storage

__all__ = ["check_own_vault"]

T = TypeVar("T")


class _AccessCommands:
    """Reveal, seal and break-the-glass commands of an application (see the module doc)."""

    name: str
    storage: Storage
    policy: Authorizer | None
    _vault: Vault
    _sealing: SealingVault

    if TYPE_CHECKING:

        def execute(
            self, actor: Actor, command: Callable[[Session], T], *, name: str = "command"
        ) -> T:
            """The application's unit of work (`Application.execute`)."""

    @property
    def vault(self) -> SealingVault:
        """The application's vault for sealing: ``document(..., vault=app.vault)``.

        A write-only view: ``put`` keeps a value in the application's own vault, ``get``
        raises `AccessDenied`. Values come back only through
        [`reveal`][casekit.app.Application.reveal]. Complexity: O(1).
        """
        return self._sealing

    def seal(self, value: str, *, kind: str) -> Sensitive:
        """Seal ``value`` in the application's vault and return its masked handle.

        A handle given is returned as it is. Complexity: the vault's ``put``.

        Raises:
            ValidationError: A blank value or kind (the message never shows the value).
        """
        return Sensitive.seal(value, kind=kind, vault=self._vault)

    def reveal(self, case_id: str, value: Sensitive, *, actor: Actor, reason: str) -> str:
        """Return the whole of a sealed value ``case_id`` holds: the checked, audited way.

        Permission: ``reveal`` on the case (or a live break-the-glass grant). The value
        must be one the case holds (a handle read from another case is refused, so
        ``reveal`` on one case cannot open another's values), and it is read from the
        application's own vault. The reveal is recorded in the case's trail
        (``action="reveal"``: who, the kind of value and its token, why; never the value)
        in the same unit of work, and committed before the value is returned.
        ``Sensitive.reveal(vault)`` stays for domain code that holds a vault; an
        application's values are revealed here.

        Complexity: one case read, one policy decision, O(size of the case) to find the
        value, the vault's ``get``, one audit append.

        Raises:
            ValidationError: Not a Sensitive handle (a raw value is never shown), a blank
                reason or actor.
            NotFound: No such case; the case holds no such value; or it was not sealed in
                this application's vault. Nothing is logged.
            AccessDenied: The policy does not let ``actor`` reveal on the case; nothing is
                revealed and the denial is audited.
        """
        case_id = check_id(case_id, what="case whose value is revealed")
        if not isinstance(value, Sensitive):
            raise ValidationError(
                f"the value to reveal on {case_id} must be a Sensitive handle read from the "
                f"case, got a {type(value).__name__} (value not shown)"
            )
        reason = check_text(reason, what=f"reason to reveal a {value.kind} on {case_id}")

        def command(session: Session) -> str:
            case = session.read(case_id)
            session.authorize(
                case,
                Permission.REVEAL,
                reason=reason,
                detail={"kind": value.kind, "token": value.token},
            )
            if not holds_value(case, value):
                raise NotFound(
                    f"{case_id} holds no {value.kind} {value.masked} (token {value.token!r}); "
                    "reveal a value through the case that holds it"
                )
            try:
                return self._vault.get(value.token)
            except NotFound:
                raise NotFound(
                    f"{case_id}'s {value.kind} {value.masked} was not sealed in {self.name}'s "
                    "vault (another application's, or the process-wide default?); seal "
                    "values with app.vault or app.seal"
                ) from None

        return self.execute(actor, command, name=f"reveal a {value.kind} on {case_id}")

    def break_glass(
        self, case_id: str, *, actor: Principal, reason: str, minutes: int = 60
    ) -> BreakGlassGrant:
        """Grant ``actor`` time-boxed emergency access to a case the policy keeps from them.

        Allowed when the policy grants ``actor`` the ``break_glass`` permission on the case
        (sensitivity and deny rules apply; location security does not). The grant lets
        them ``read`` and ``reveal`` the case for ``minutes`` by the application's clock,
        each use audited with ``via="break-glass"``; it ends on its own (every use compares
        its expiry with the clock) or with [`revoke_glass`][casekit.app.Application.revoke_glass].
        Asking again replaces a running grant (a new reason and expiry). In one unit of
        work the grant is stored (``access_grants``, keyed by case and principal),
        recorded in the case's trail (``action="break_glass"``) and a
        [`BreakGlassGranted`][casekit.app.BreakGlassGranted] event naming the case's
        supervisor goes to the outbox; subscribers get it after the commit.

        Complexity: one case read, two or three policy decisions, one document read and
        write, one audit append, one outbox record.

        Raises:
            ValidationError: The application has no policy (nothing to break); ``actor``
                not a Principal, or an automatic check; a blank reason; ``minutes`` not an
                int from 1 to 1,440 (a day); ``actor`` may already read and reveal the
                case. Nothing is changed.
            NotFound: No such case.
            AccessDenied: The policy does not let ``actor`` break the glass on it; nothing
                is granted and the denial is audited.
        """
        case_id = check_id(case_id, what="case to break the glass on")
        policy = self.policy
        if policy is None:
            raise ValidationError(
                f"{self.name} has no policy: every caller is trusted, so there is no glass to "
                f"break on {case_id}; break-the-glass needs Application(policy=...)"
            )
        check_instance(actor, Principal, what=f"who breaks the glass on {case_id}")
        if actor.is_automatic:
            raise ValidationError(
                f"{actor} may not break the glass on {case_id}: it is for people, with a "
                "reason; grant an automatic check what it needs in the policy"
            )
        reason = check_text(reason, what=f"reason to break the glass on {case_id}")
        minutes = check_int(
            minutes,
            what=f"minutes of break-the-glass access to {case_id}",
            minimum=1,
            maximum=MAX_GLASS_MINUTES,
        )

        def command(session: Session) -> BreakGlassGrant:
            case = session.read(case_id)
            decision = session.authorize(case, Permission.BREAK_GLASS, reason=reason)
            resource = CaseResource.of(case)
            if all(policy.decide(actor, p, resource).allowed for p in GLASS_PERMISSIONS):
                raise ValidationError(
                    f"{actor} may already {' and '.join(sorted(GLASS_PERMISSIONS))} "
                    f"{case_id}; break-the-glass is for access the policy does not give"
                )
            _, version = load_grant(session.uow.documents, case_id, actor.id)
            supervisor = case.roles.supervisor
            grant = BreakGlassGrant(
                case_id,
                actor.id,
                reason,
                session.now,
                session.now + timedelta(minutes=minutes),
                None if supervisor is None else owner_ref(supervisor),
            )
            store_grant(session.uow.documents, grant, version=version)
            permissions = tuple(sorted(p.value for p in grant.permissions))
            session.uow.audit.append(
                case_id,
                actor=session.actor,
                action="break_glass",
                at=session.now,
                detail={
                    "permission": Permission.BREAK_GLASS.value,
                    "rule": None if decision is None else decision.rule,
                    "reason": reason,
                    "minutes": minutes,
                    "expires_at": grant.expires_at.isoformat(),
                    "permissions": list(permissions),
                    "supervisor": grant.supervisor,
                },
            )
            session.publish_later(
                BreakGlassGranted(
                    case_id,
                    actor.id,
                    reason,
                    grant.expires_at,
                    grant.supervisor,
                    permissions,
                    session.now,
                )
            )
            return grant

        return self.execute(actor, command, name=f"break the glass on {case_id}")

    def revoke_glass(
        self,
        case_id: str,
        principal: str | Principal,
        *,
        actor: Actor,
        reason: str | None = None,
    ) -> BreakGlassGrant:
        """End ``principal``'s running break-the-glass grant on a case before it expires.

        The holder may end their own grant; anyone else needs ``assign`` on the case. The
        revoked grant is stored, recorded in the case's trail
        (``action="break_glass_revoked"``) and a
        [`BreakGlassRevoked`][casekit.app.BreakGlassRevoked] event goes to the outbox, in
        one unit of work. Returns the revoked grant.

        Complexity: one case read, at most one policy decision, one document read and
        write, one audit append, one outbox record.

        Raises:
            ValidationError: A blank id, actor or reason.
            NotFound: No such case, or ``principal`` holds no running grant on it (none,
                expired or revoked already); nothing is changed.
            AccessDenied: ``actor`` is not the holder and may not ``assign`` the case
                (audited).
        """
        case_id = check_id(case_id, what="case whose break-the-glass grant is revoked")
        holder = (
            principal.id
            if isinstance(principal, Principal)
            else check_id(principal, what=f"holder of the grant on {case_id} to revoke")
        )
        reason = check_optional_text(reason, what=f"reason to revoke {holder}'s grant")

        def command(session: Session) -> BreakGlassGrant:
            case = session.read(case_id)
            if session.actor != holder:
                session.authorize(case, Permission.ASSIGN, reason=reason)
            grant, version = load_grant(session.uow.documents, case_id, holder)
            if grant is None or not grant.is_live(session.now):
                state = (
                    "none"
                    if grant is None
                    else f"revoked at {grant.revoked_at.isoformat()}"
                    if grant.revoked_at is not None
                    else f"expired at {grant.expires_at.isoformat()}"
                )
                raise NotFound(
                    f"{holder} holds no running break-the-glass grant on {case_id} ({state}); "
                    "nothing to revoke"
                )
            revoked = attrs.evolve(grant, revoked_at=session.now, revoked_by=session.actor)
            store_grant(session.uow.documents, revoked, version=version)
            session.uow.audit.append(
                case_id,
                actor=session.actor,
                action="break_glass_revoked",
                at=session.now,
                detail={"principal": holder, "reason": reason},
            )
            session.publish_later(
                BreakGlassRevoked(
                    case_id, holder, session.actor, reason, grant.supervisor, session.now
                )
            )
            return revoked

        return self.execute(actor, command, name=f"revoke {holder}'s grant on {case_id}")

    def glass_grant(self, case_id: str, principal: str | Principal) -> BreakGlassGrant | None:
        """``principal``'s latest break-the-glass grant on a case (running or not), or None.

        Not checked against the policy: for supervisors' tools and dashboards; keep it
        behind your own checks. Complexity: one document read.
        """
        case_id = check_id(case_id, what="case whose break-the-glass grant is read")
        holder = (
            principal.id
            if isinstance(principal, Principal)
            else check_id(principal, what=f"holder of a grant on {case_id}")
        )
        with self.storage.unit_of_work() as uow:
            grant, _ = load_grant(uow.documents, case_id, holder)
        return grant


def check_own_vault(vault: object) -> Vault:
    """``vault`` if it can be an application's own vault."""
    checked = check_vault(vault, what="vault of an Application")
    if checked is DEFAULT_VAULT:
        raise ValidationError(
            "vault of an Application must be its own, not the process-wide DEFAULT_VAULT "
            "that every application in the process shares; pass MemoryVault() for tests, "
            "a KMS- or tokenisation-backed vault (one per tenant) in production, or nothing"
        )
    if isinstance(checked, SealingVault):
        raise ValidationError(
            f"vault of an Application must be a vault, not {checked!r} (another "
            "application's sealing view, which cannot reveal); pass the vault itself"
        )
    return checked
