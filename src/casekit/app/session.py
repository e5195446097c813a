"""One command's unit of work: the cases it touches, its routers, its events, its outbox.

A [`Session`][] is what a command and the handlers its events call act on. It keeps an
identity map (a case is loaded once per unit of work, so the command and every handler see
and change the same object), binds routing domains on first use, and, when the command is
done, [`settle`][Session.settle]s: hands every new event — the cases' and the routers' — to
the application's handlers until none is left, saves every case it changed, and writes
every event as an outbox record, all before the one commit.

Sessions are made by [`Application`][casekit.app.Application]; nothing else needs one.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from casekit.app.access import BreakGlassGrant, live_glass, log_access
from casekit.app.events import CaseOpened, cloud_event_parts
from casekit.cases.base import Case
from casekit.cases.product_delivery import ProductDeliveryCase
from casekit.clock import Clock, as_utc
from casekit.errors import AccessDenied, StorageError
from casekit.financials.triggers import ReassessmentTrigger
from casekit.security import AccessDecision, CaseResource, Permission, Principal
from casekit.storage.durable_router import BoundRouter
from casekit.storage.outbox_record import OutboxRecord
from casekit.storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from casekit.app.application import Application

__all__ = ["Session"]

_RANK = {
    ReassessmentTrigger.MANUAL: 0,
    ReassessmentTrigger.CERTIFICATION_CHANGE: 1,
    ReassessmentTrigger.EVIDENCE_CHANGE: 2,
    ReassessmentTrigger.CLOSURE: 3,
}

_PROCESS = uuid.uuid4().hex
_serial = itertools.count(1)


def _next_id() -> str:
    """A new outbox record id: this process's random 128-bit prefix and a counter.

    Unique across processes (the prefix) and within one (the counter), without a system
    call per record as ``uuid4`` makes. O(1).
    """
    return f"{_PROCESS}-{next(_serial)}"


_MAX_ROUNDS = 100
"""Rounds of handling after which events that keep causing events are taken for a loop."""


class Session:
    """The state of one command inside its unit of work.

    Args:
        app: The application.
        uow: The unit of work (entered, not committed).
        actor: The id the command records as its actor.
        principal: Who performs it, when the application checks access.
    """

    def __init__(
        self, app: Application, uow: UnitOfWork, actor: str, principal: Principal | None = None
    ) -> None:
        self.app = app
        self.uow = uow
        self.actor = actor
        self.principal = principal
        self.denial: tuple[str, str, str | None, str, str | None] | None = None
        """The case, permission, action, rule and reason of a denial in this session."""
        self.clock: Clock = app.clock
        self.now: datetime = as_utc(app.clock.now())
        self._cases: dict[str, Case[Any]] = {}
        self._new: dict[str, Case[Any]] = {}
        self._changed: dict[str, Case[Any]] = {}
        self._seen: dict[str, int] = {}
        self._routers: dict[str, BoundRouter] = {}
        self._routing_seen: dict[str, int] = {}
        self._later: list[object] = []
        self._later_seen = 0
        self._reassess: dict[str, tuple[ReassessmentTrigger, str]] = {}
        self.events: list[object] = []
        """Every event of this session, in the order handlers saw them (set by settle)."""

    # ------------------------------------------------------------------ cases

    def read(self, case_id: str) -> Case[Any]:
        """The case, loaded once per session and bound to the application's clock.

        Changes to it are not saved unless [`change`][] is called too. The storage binds
        the cases it reads to its own clock; the session rebinds them, so a case changed by
        a command reads the time from the application's clock.

        Raises:
            NotFound: No such case.
        """
        case = self._cases.get(case_id)
        if case is None:
            case = self.uow.cases.get(case_id)
            case.clock = self.clock  # the storage binds it to its own clock
            self._cases[case_id] = case
        return case

    def change(self, case_id: str) -> Case[Any]:
        """The case, loaded once per session and saved when the session settles."""
        case = self.read(case_id)
        if case_id not in self._new:
            self._changed[case_id] = case
        return case

    def add(self, case: Case[Any], *, actor: str) -> None:
        """Store a new case when the session settles (its opening is audited by ``actor``)."""
        if case.id in self._cases:
            raise StorageError(f"{case.id} is already part of this command")
        self._cases[case.id] = case
        self._new[case.id] = case
        self._later.append(
            CaseOpened(case.id, type(case).case_type, case.status.value, actor, self.now)
        )

    def authorize(
        self,
        case: Case[Any],
        permission: Permission,
        *,
        action: str | None = None,
        reason: str | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> AccessDecision | None:
        """Check the application's policy lets the session's principal do this to ``case``.

        A denied ``read`` or ``reveal`` is allowed after all while the principal holds a
        live break-the-glass grant on the case and the policy still lets them
        ``break_glass`` on it (`casekit.app.access`). An access the access log records —
        every ``reveal``, a ``read`` of a case at or above the application's
        ``audit_reads_from``, every use of a grant — is appended to the case's trail in
        this unit of work, with ``reason`` and ``detail`` (JSON-safe facts, never a
        revealed value). No policy: nothing is checked (``via="trusted"``), but the log is
        kept the same way. A denial is remembered (the application audits it after the
        rollback) and raised.

        Returns:
            The allowing decision (through a grant: the ``break_glass`` one), or ``None``
            without a policy.

        Complexity: one policy decision (a few microseconds); a denied ``read`` or
        ``reveal`` adds a document read and a decision; a logged access, an audit append.

        Raises:
            AccessDenied: The policy denied it; the message names the rule and why.
        """
        app = self.app
        policy = app.policy
        threshold = app.audit_reads_from
        logged = permission is Permission.REVEAL or (
            permission is Permission.READ and threshold is not None
        )
        if policy is None:
            if logged:
                self._log(case, permission, via="trusted", rule=None, reason=reason, detail=detail)
            return None
        principal = self.principal
        if principal is None:
            raise AccessDenied(
                f"{app.name} checks access and this command has no principal",
                decision=AccessDecision(False, "no principal", "no principal was given"),
            )
        resource = CaseResource.of(case)
        decision = policy.decide(principal, permission, resource, action=action)
        if decision.allowed:
            if logged:
                self._log(
                    case,
                    permission,
                    via="policy",
                    rule=decision.rule,
                    reason=reason,
                    detail=detail,
                    resource=resource,
                )
            return decision
        glass = live_glass(self, permission, resource)
        if glass is not None:
            grant, allowed = glass
            self._log(
                case,
                permission,
                via="break-glass",
                rule=allowed.rule,
                reason=reason,
                detail=detail,
                resource=resource,
                grant=grant,
            )
            return allowed
        self.denial = (case.id, permission.value, action, decision.rule, reason)
        raise AccessDenied(
            f"{principal} may not {permission.value}"
            f"{'' if action is None else ' ' + repr(action)} on {case.id}: "
            f"{decision.explain()}",
            decision=decision,
        )

    def _log(
        self,
        case: Case[Any],
        permission: Permission,
        *,
        via: str,
        rule: str | None,
        reason: str | None,
        detail: Mapping[str, object] | None,
        resource: CaseResource | None = None,
        grant: BreakGlassGrant | None = None,
    ) -> None:
        """Append the access to the log if the log records it (see `authorize`)."""
        sensitivity = (resource or CaseResource.of(case)).sensitivity
        threshold = self.app.audit_reads_from
        if (
            grant is None
            and permission is Permission.READ
            and (threshold is None or sensitivity < threshold)
        ):
            return
        log_access(
            self,
            case.id,
            permission,
            via=via,
            rule=rule,
            sensitivity=sensitivity,
            reason=reason,
            detail=detail,
            grant=grant,
        )

    # ------------------------------------------------------------------ routing

    def router(self, domain: str) -> BoundRouter:
        """The routing domain's router bound to this unit of work (bound on first use)."""
        bound = self._routers.get(domain)
        if bound is None:
            bound = self.app.durable_router(domain).bind(self.uow)
            self._routers[domain] = bound
            self._routing_seen[domain] = len(bound.events)
        return bound

    # ------------------------------------------------------------------ events

    def publish_later(self, event: object) -> None:
        """Handle an application event (a payment, a reassessment) like the cases' own.

        It is handed to the handlers, written to the outbox and published after the commit.
        """
        self._later.append(event)

    def reassess_after(self, pdc_id: str, trigger: ReassessmentTrigger, *, actor: str) -> None:
        """Reassess ``pdc_id`` once this command's events are handled.

        Once per PDC per command: a closure outranks an evidence change, which outranks a
        manual request.
        """
        current = self._reassess.get(pdc_id)
        if current is None or _RANK[trigger] > _RANK[current[0]]:
            self._reassess[pdc_id] = (trigger, actor)

    def _new_events(self) -> list[object]:
        fresh: list[object] = []
        for case_id, case in list(self._cases.items()):
            pending = case.pending_events
            seen = self._seen.get(case_id, 0)
            if len(pending) > seen:
                self._seen[case_id] = len(pending)
                fresh.extend(pending[seen:])
                if case_id not in self._new:
                    self._changed[case_id] = case
        for domain, bound in list(self._routers.items()):
            events = bound.events
            seen = self._routing_seen[domain]
            if len(events) > seen:
                self._routing_seen[domain] = len(events)
                fresh.extend(events[seen:])
        if len(self._later) > self._later_seen:
            fresh.extend(self._later[self._later_seen :])
            self._later_seen = len(self._later)
        return fresh

    def settle(self, handle: Callable[[Session, object], None]) -> None:
        """Hand every new event to ``handle`` until none is left; save; write the outbox.

        Raises:
            StorageError: Events still cause new events after many rounds (a handler loop).
        """
        for _ in range(_MAX_ROUNDS):
            fresh = self._new_events()
            if fresh:
                for event in fresh:
                    self.events.append(event)
                    handle(self, event)
                continue
            if not self._reassess:
                break
            waiting, self._reassess = self._reassess, {}
            for pdc_id, (trigger, actor) in sorted(waiting.items()):
                pdc = self.change(pdc_id)
                assert isinstance(pdc, ProductDeliveryCase)
                self.app.financials.reassess(self, pdc, trigger, actor=actor)
        else:
            raise StorageError(
                f"the handlers of this command did not settle after {_MAX_ROUNDS} rounds of "
                "events (a handler keeps causing the event it handles)"
            )
        cases = self.uow.cases
        if len(self._new) == 1:
            (case,) = self._new.values()
            cases.add(case, actor=self.actor)
        elif self._new:
            cases.add_all(list(self._new.values()), actor=self.actor)
        for case in self._changed.values():
            cases.save(case)
        if self.app.outbox and self.events:
            self.uow.outbox.append([self._record(event) for event in self.events])

    def _record(self, event: object) -> OutboxRecord:
        event_type, subject, data = cloud_event_parts(event)
        at = getattr(event, "at", None)
        return OutboxRecord._trusted(
            id=_next_id(),
            source=self.app.source,
            type=event_type,
            subject=subject,
            time=as_utc(at) if isinstance(at, datetime) else self.now,
            data=data,
        )
