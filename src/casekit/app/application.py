"""The application: one object through which cases, routing, financials and storage act as one.

[`Application`][] is built once per process from a [`Storage`][casekit.storage.Storage] and
configuration, and offers one method per command. Every command:

1. checks its arguments (a refused call opens no transaction);
2. opens one unit of work and loads what it acts on;
3. acts on the domain objects;
4. hands every event it caused to the handlers (`casekit.app.handlers`) — routing follows
   status, owners follow accepted offers, enrolled PDCs are reassessed — in the same unit of
   work, until no new event is left;
5. saves every case it changed (audited), writes every event to the outbox
   (`casekit.storage.Outbox`, CloudEvents 1.0) and commits once;
6. only then publishes the events to [`Application.subscribe`][] subscribers.

A command that meets a concurrent change (`ConcurrencyConflict`) is run again from step 2
in a new unit of work, up to ``attempts`` times, so callers see it fail only when the
conflict persists. Any other error rolls everything back: nothing is stored, journalled,
written to the outbox or published.

Many processes may run the same application on one database: routing is the durable router
(`casekit.storage.DurableRouter`), reassessment numbers and exclusion come from storage
(`casekit.app.money`), and nothing is kept in process memory between commands except
routers' replicas, which catch up with the journal at every use.

With a policy, every command is checked before it acts (`Session.authorize`); reads of
sensitive cases and every reveal of a sealed value are logged in the case's audit trail
(`casekit.app.access`); break-the-glass gives time-boxed, audited emergency access
([`Application.break_glass`][]); sealed values live in the application's own vault and
come back only through [`Application.reveal`][].
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from casekit.app._access_commands import _AccessCommands, check_own_vault
from casekit.app.absences import _AbsenceCommands
from casekit.app.config import CaseRouting, RoutingDomain, case_class
from casekit.app.escalation import record_escalation
from casekit.app.handlers import handle
from casekit.app.money import FinancialRecords
from casekit.app.reassignment import _ReassignCommands
from casekit.app.session import Session
from casekit.app.vault import SealingVault
from casekit.cases.approvals import CHECK_ACTOR_PREFIX
from casekit.cases.base import Case
from casekit.cases.evidence import Evidence
from casekit.cases.ownership import OrgStructure
from casekit.cases.parts import Owner
from casekit.cases.product_delivery import ProductDeliveryCase
from casekit.checks import (
    check_actor,
    check_bool,
    check_callable,
    check_date,
    check_enum,
    check_id,
    check_instance,
    check_int,
    check_optional_text,
    check_text,
)
from casekit.classification.sensitive import (
    MemoryVault,
    Vault,
)
from casekit.clock import Clock
from casekit.errors import AccessDenied, CasekitError, NotFound, ValidationError, allowed_list
from casekit.financials import DeliveryPattern, FinancialProduct, Nominees, ReassessmentTrigger
from casekit.financials.corrections import AppliedReassessment, ReassessmentEngine
from casekit.lifecycle.engine import ActionResult
from casekit.priority import Priority
from casekit.routing.ladder_runner import LadderExplanation
from casekit.routing.model import Agent, Presence
from casekit.routing.router import ItemStatus, QueueEntry
from casekit.security import (
    AccessPolicy,
    Authorizer,
    CaseResource,
    Permission,
    Principal,
    PrincipalKind,
)
from casekit.security.principal import check_level
from casekit.storage.durable_router import BoundRouter, DurableRouter
from casekit.storage.ports import LedgerLine, Page
from casekit.storage.retry import retrying
from casekit.storage.unit_of_work import Storage, UnitOfWork

__all__ = ["AUTOMATIC_CLOSURE", "ROUTING_TIMER", "Application"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
EventSubscriber = Callable[[object], None]
Actor = str | Principal
"""Who performs a command: a `Principal` (required when the application has a policy), or
an actor id (only in an application without one: trusted callers, tests, batch jobs)."""

ROUTING_TIMER = Principal.system("routing-timer", roles={"routing timer"})
"""The declared automatic check [`Application.tick`][] acts as (recorded as
``"check:routing-timer"``)."""

AUTOMATIC_CLOSURE = Principal.system("automatic-closure", roles={"automatic closure"})
"""The declared automatic check [`Application.run_automatic_closure`][] acts as by default
(recorded as ``"check:automatic-closure"``); a policy grants its role ``perform`` ``close``."""


def _tuple_of(value: object, kind: type[T], *, what: str) -> tuple[T, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(f"{what} must be a list of {kind.__name__}, got {value!r:.80}")
    items = tuple(value)
    for item in items:
        check_instance(item, kind, what=f"an item of {what}")
    return items


def _check_raises(routing: CaseRouting, domain: RoutingDomain) -> None:
    """Refuse a ladder that raises the priority of a step that fixes its priority.

    A raising rung raises the case's priority too, so routing and case agree; a step with a
    priority of its own ignores the case's, and the next reconciliation would undo the rung.
    """
    ladders = {ladder.stage: ladder for ladder in domain.ladders}
    for step in routing.steps:
        ladder = ladders.get(step.stage_name)
        if step.priority is None or ladder is None:
            continue
        for n, rung in enumerate(ladder.rungs, start=1):
            if rung.raise_to is not None:
                raise ValidationError(
                    f"rung {n} of the ladder of stage {step.stage_name!r} in domain "
                    f"{domain.name} raises the priority to {rung.raise_to.value}, but the "
                    f"step {step.status!r} of {routing.case_type.case_type} fixes its priority "
                    f"at {step.priority.value}; drop raise_to, or let the step follow the "
                    "case's priority (priority=None)"
                )


class Application(_AccessCommands, _ReassignCommands, _AbsenceCommands):
    """Cases, routing, financials and storage as one system, one method per command.

    Args:
        storage: Where everything is kept (memory, SQLite, PostgreSQL).
        name: The application's name; the outbox records' CloudEvents ``source`` is
            ``/casekit/<name>``.
        routing: Which case types are routed, in which statuses, to which domain.
        domains: Options of the routing domains (a domain named by ``routing`` and not
            listed here gets the router's defaults).
        products: The products paid by the application (a PDC is enrolled under its
            ``product``).
        engine: The reassessment engine (closed-case strategy, roll-up).
        outbox: Whether every committed event is also written to the outbox.
        attempts: How many times a command is tried when it meets a concurrent change.
        clock: The clock (default: the storage's).
        policy: Who may do what (`casekit.security.AccessPolicy`, or a `CedarPolicy`).
            With a policy every command takes a `Principal` and is checked before it acts
            (denied by default; a denial raises `AccessDenied`, changes nothing and is
            audited in the case's trail). Without one, commands take actor ids and check
            nothing: for trusted callers only.
        audit_reads_from: The access log's threshold, a sensitivity level 1–5: every read
            of a case at or above it ([`case`][Application.case],
            [`routing_status`][Application.routing_status]) is recorded in the case's
            audit trail (who, when, why, the case's sensitivity), in the read's own unit of
            work. ``None`` (the default): reads are not logged. Reveals and break-the-glass
            accesses are logged whatever it is.
        vault: Where the application's sealed values live: one vault per application, so
            per storage or tenant. Production passes a vault backed by a KMS or a
            tokenisation service, one per tenant. The default is a fresh in-memory vault of
            the application's own (for tests and notebooks: it forgets on exit). The
            process-wide ``DEFAULT_VAULT`` is refused: every application in the process
            would share it. Domain code seals through [`vault`][Application.vault]; values
            come back only through [`reveal`][Application.reveal].

    Raises:
        ValidationError: A malformed argument; a case type routed twice; a domain listed
            twice; a threshold outside 1–5; a vault that is not one, or is the
            process-wide ``DEFAULT_VAULT`` or another application's sealing view.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        name: str = "casekit",
        routing: Iterable[CaseRouting] = (),
        domains: Iterable[RoutingDomain] = (),
        products: Iterable[FinancialProduct] = (),
        engine: ReassessmentEngine | None = None,
        outbox: bool = True,
        attempts: int = 5,
        clock: Clock | None = None,
        policy: Authorizer | None = None,
        audit_reads_from: int | None = None,
        vault: Vault | None = None,
    ) -> None:
        if not isinstance(storage, Storage):
            raise ValidationError(
                f"storage of an Application must be a Storage, got {storage!r:.80}"
            )
        name = check_id(name, what="name of an Application")
        routings = _tuple_of(routing, CaseRouting, what="routing of an Application")
        declared = _tuple_of(domains, RoutingDomain, what="domains of an Application")
        paid = _tuple_of(products, FinancialProduct, what="products of an Application")
        if engine is not None:
            check_instance(engine, ReassessmentEngine, what="engine of an Application")
        outbox = check_bool(outbox, what="outbox of an Application")
        attempts = check_int(attempts, what="attempts of an Application", minimum=1)
        if policy is not None and not callable(getattr(policy, "decide", None)):
            raise ValidationError(
                f"policy of an Application must be an AccessPolicy (with decide()), got "
                f"{policy!r:.80}"
            )
        if clock is not None and not callable(getattr(clock, "now", None)):
            raise ValidationError(f"clock of an Application must be a Clock, got {clock!r}")
        if audit_reads_from is not None:
            audit_reads_from = check_level(
                audit_reads_from, what="audit_reads_from of an Application (a sensitivity level)"
            )
        own_vault = MemoryVault() if vault is None else check_own_vault(vault)
        by_type: dict[type[Case[Any]], CaseRouting] = {}
        for case_routing in routings:
            if case_routing.case_type in by_type:
                raise ValidationError(
                    f"routing of an Application names {case_routing.case_type.case_type} twice"
                )
            by_type[case_routing.case_type] = case_routing
        by_name: dict[str, RoutingDomain] = {}
        for domain in declared:
            if domain.name in by_name:
                raise ValidationError(f"domains of an Application names {domain.name!r} twice")
            by_name[domain.name] = domain
        for case_routing in routings:
            by_name.setdefault(case_routing.domain, RoutingDomain(case_routing.domain))
            _check_raises(case_routing, by_name[case_routing.domain])
        products_by_name: dict[str, FinancialProduct] = {}
        for product in paid:
            if product.name in products_by_name:
                raise ValidationError(f"products of an Application names {product.name!r} twice")
            products_by_name[product.name] = product
        self.storage = storage
        self.name = name
        self.source = f"/casekit/{name}"
        self.clock: Clock = clock if clock is not None else storage.clock
        self.outbox = outbox
        self.attempts = attempts
        self.financials = FinancialRecords(products_by_name, engine or ReassessmentEngine())
        self._routing = by_type
        self._domains = by_name
        self._routers: dict[str, DurableRouter] = {}
        self._subscribers: list[EventSubscriber] = []
        self.policy = policy
        self.audit_reads_from = audit_reads_from
        self._vault: Vault = own_vault
        self._sealing = SealingVault(own_vault, name)

    # ------------------------------------------------------------------ plumbing

    def routing_for(self, case_type: type[Case[Any]]) -> CaseRouting | None:
        """The routing of ``case_type``, or ``None`` when it is not routed. O(1)."""
        return self._routing.get(case_type)

    @property
    def domains(self) -> tuple[str, ...]:
        """The routing domains, sorted."""
        return tuple(sorted(self._domains))

    def durable_router(self, domain: str) -> DurableRouter:
        """The process's durable router of ``domain`` (built on first use).

        Raises:
            NotFound: The application has no such domain.
        """
        router = self._routers.get(domain)
        if router is None:
            options = self._domains.get(domain)
            if options is None:
                raise NotFound(
                    f"{self.name} has no routing domain {domain!r}; "
                    f"domains: {allowed_list(self.domains)}"
                )
            router = DurableRouter(
                self.storage,
                domain,
                model=options.model,
                push_timeout=options.push_timeout,
                cooldown=options.cooldown,
                capacity_model=options.capacity_model,
                clock=self.clock,
                snapshot_every=options.snapshot_every,
                ladders=options.ladders,
                ladder_calendar=options.calendar,
            )
            router.subscribe(_keep)  # events are recorded only while someone listens
            self._routers[domain] = router
        return router

    def subscribe(self, subscriber: EventSubscriber) -> None:
        """Call ``subscriber(event)`` for every event of every command, after its commit.

        Events come in the order the command's handlers saw them: case events, routing
        events and the application's own (`casekit.app.events`). A subscriber that raises
        is logged; the others are still called, and the command still succeeded. O(1).
        """
        self._subscribers.append(check_callable(subscriber, what="an Application subscriber"))

    def _publish(self, events: list[object]) -> None:
        for event in events:
            for subscriber in tuple(self._subscribers):
                try:
                    subscriber(event)
                except Exception:
                    logger.exception("%s: subscriber %r failed on %s", self.name, subscriber, event)

    def _who(self, actor: object, *, what: str) -> tuple[str, Principal | None]:
        """The actor id a command records, and its principal (checked at the door)."""
        if isinstance(actor, Principal):
            if actor.kind is PrincipalKind.AUTOMATIC:
                return f"{CHECK_ACTOR_PREFIX}{actor.id}", actor
            if actor.id.startswith(CHECK_ACTOR_PREFIX):
                raise ValidationError(
                    f"the {what} is a person named {actor.id!r}, which the trail would record "
                    f"as the automatic check {actor.id.removeprefix(CHECK_ACTOR_PREFIX)!r}; "
                    "a declared check is Principal.system(...), and a person's id does not "
                    f"start with {CHECK_ACTOR_PREFIX!r}"
                )
            return actor.id, actor
        if self.policy is not None:
            raise ValidationError(
                f"{self.name} checks access: the {what} must be a Principal, got {actor!r:.80}"
            )
        return check_actor(actor, what=what), None

    def execute(self, actor: Actor, command: Callable[[Session], T], *, name: str = "command") -> T:
        """Run ``command(session)`` as one command: handlers, save, outbox, commit, publish.

        The building block of every command method, and the way to run your own: load
        cases with ``session.change(case_id)``, act on them, and return. Retried whole on
        `ConcurrencyConflict`, so ``command`` must act only through the session.

        Raises:
            ValidationError: A blank actor (a string where the policy needs a Principal),
                or ``command`` not callable.
            AccessDenied: The policy denied what ``command`` asked (`Session.authorize`);
                nothing is changed and the denial is audited in the case's trail.
            ConcurrencyConflict: Every try met a concurrent change.
        """
        actor_id, principal = self._who(actor, what=f"actor of {name}")
        check_callable(command, what=f"the {name} to execute")
        sessions: list[Session] = []

        def attempt(uow: UnitOfWork) -> T:
            session = Session(self, uow, actor_id, principal)
            sessions.append(session)
            result = command(session)
            session.settle(handle)
            if self._subscribers and session.events:
                events = session.events
                uow.on_end(lambda committed: self._publish(events) if committed else None)
            return result

        try:
            return retrying(self.storage, attempt, attempts=self.attempts)
        except AccessDenied:
            if sessions and sessions[-1].denial is not None:
                self._audit_denial(actor_id, sessions[-1].denial)
            raise

    def _audit_denial(
        self, actor_id: str, denial: tuple[str, str, str | None, str, str | None]
    ) -> None:
        """Record a refused command in the case's trail (its own unit of work).

        ``denial``: the case, permission, action, rule and reason (`Session.denial`).
        """
        case_id, permission, action, rule, reason = denial
        detail: dict[str, object] = {"permission": permission, "action": action, "rule": rule}
        if reason is not None:
            detail["reason"] = reason
        with self.storage.unit_of_work() as uow:
            uow.audit.append(
                case_id, actor=actor_id, action="access_denied", at=self.clock.now(), detail=detail
            )
            uow.commit()

    def _reader(self, actor: Actor | None, *, what: str) -> Actor:
        """Who reads: ``actor``, or ``"reader"`` for a trusted read no log needs to name."""
        if actor is not None:
            return actor
        if self.audit_reads_from is not None:
            raise ValidationError(
                f"{self.name} logs reads of cases at sensitivity {self.audit_reads_from} or "
                f"above: say who reads {what} (actor=)"
            )
        return "reader"

    # ------------------------------------------------------------------ cases

    def open_case(self, case_type: type[Case[Any]] | str, *, actor: Actor, **fields: Any) -> str:
        """Open a case of ``case_type`` (its class or display name); return its id.

        ``fields`` are those of the type's ``create`` (``id``, ``owner``, ``primary_client``,
        ``product`` ...); the clock is the application's. A routed case in a routed status
        goes into routing at once. Permission: ``create`` on the new case.

        Raises:
            ValidationError: An unregistered type, a ``clock`` given, or a field refused by
                ``create``.
            AlreadyExists: A case with the given id is stored.
            AccessDenied: The policy does not let ``actor`` create it.
        """
        cls = case_class(case_type, what="case type to open")
        self._who(actor, what=f"actor opening a {cls.case_type}")
        if "clock" in fields:
            raise ValidationError(
                f"open_case takes no clock for a {cls.case_type}: cases use the application's"
            )
        first = cls.create(clock=self.clock, **fields)  # refused here: no transaction opened
        fields = {**fields, "id": first.id}

        def command(session: Session) -> str:
            case = cls.create(clock=self.clock, **fields)  # a fresh one for every try
            session.authorize(case, Permission.CREATE)
            session.add(case, actor=session.actor)
            return case.id

        return self.execute(actor, command, name=f"open a {cls.case_type}")

    def perform(
        self, case_id: str, action: str, *, actor: Actor, reason: str | None = None, **params: Any
    ) -> ActionResult:
        """Perform a lifecycle ``action`` on a case (cases its effects create are stored too).

        Permission: ``perform`` with the action's name.

        Raises:
            NotFound: No such case.
            InvalidTransition, GuardRejected, ValidationError: As `Case.perform`; nothing
                is stored.
            AccessDenied: The policy does not let ``actor`` perform it.
        """
        case_id = check_id(case_id, what="case to perform an action on")
        action = check_text(action, what=f"action to perform on {case_id}")

        def command(session: Session) -> ActionResult:
            case = session.change(case_id)
            session.authorize(case, Permission.PERFORM, action=action)
            result = case.perform(action, actor=session.actor, reason=reason, **params)
            for created in result.created:
                if isinstance(created, Case):
                    session.add(created, actor=session.actor)
            return result

        return self.execute(actor, command, name=f"{action!r} on {case_id}")

    def update(
        self,
        case_id: str,
        change: Callable[[Case[Any]], T],
        *,
        actor: Actor,
        permission: Permission = Permission.EDIT,
    ) -> T:
        """Apply ``change(case)`` to a case as one command (several edits, one commit).

        ``change`` must act only on the case it is given (it may run more than once when
        the command is retried). Use it for what has no command of its own, or to make
        several evidence changes that are one change of circumstance (reassessed once).
        Permission: ``permission`` (default ``edit``) on the case.

        Raises:
            NotFound: No such case.
            ValidationError: A blank actor or ``change`` not callable; whatever ``change``
                raises rolls everything back.
            AccessDenied: The policy does not grant ``actor`` the permission.
        """
        case_id = check_id(case_id, what="case to update")
        check_callable(change, what=f"the change to {case_id}")
        permission = check_enum(permission, Permission, what=f"permission to update {case_id}")

        def command(session: Session) -> T:
            case = session.change(case_id)
            session.authorize(case, permission)
            return change(case)

        return self.execute(actor, command, name=f"update {case_id}")

    def add_evidence(
        self,
        case_id: str,
        evidence_type: str,
        attributes: Mapping[str, object],
        effective_from: date,
        effective_to: date | None = None,
        *,
        actor: Actor,
        verified: bool = False,
    ) -> Evidence:
        """Record new evidence on a case (an enrolled PDC is reassessed in the same commit).

        Permission: ``edit``.
        """
        case_id = check_id(case_id, what="case to add evidence to")

        def command(session: Session) -> Evidence:
            case = session.change(case_id)
            session.authorize(case, Permission.EDIT)
            return case.add_evidence(
                evidence_type,
                attributes,
                effective_from,
                effective_to,
                actor=session.actor,
                verified=verified,
            )

        return self.execute(actor, command, name=f"add evidence to {case_id}")

    def correct_evidence(
        self, case_id: str, evidence_id: str, *, actor: Actor, **changes: Any
    ) -> Evidence:
        """Record a new version of evidence; an enrolled PDC is reassessed in the same commit.

        ``changes`` are those of `Case.correct_evidence`: ``attributes=``,
        ``effective_from=``, ``effective_to=``, ``verified=``. Permission: ``edit``.
        """
        case_id = check_id(case_id, what="case to correct evidence of")

        def command(session: Session) -> Evidence:
            case = session.change(case_id)
            session.authorize(case, Permission.EDIT)
            return case.correct_evidence(evidence_id, actor=session.actor, **changes)

        return self.execute(actor, command, name=f"correct evidence of {case_id}")

    def assign_owner(
        self, case_id: str, owner: Owner, *, actor: Actor, org: OrgStructure | None = None
    ) -> None:
        """Make ``owner`` the case's owner. Permission: ``assign``.

        Given ``org`` (reporting lines), the owner's supervisor becomes the case's
        supervisor too; without it the supervisor stays (see `Case.assign_owner`).
        """
        case_id = check_id(case_id, what="case to assign")
        check_instance(owner, Owner, what=f"new owner of {case_id}")

        def command(session: Session) -> None:
            case = session.change(case_id)
            session.authorize(case, Permission.ASSIGN)
            case.assign_owner(owner, actor=session.actor, org=org)

        self.execute(actor, command, name=f"assign {case_id}")

    def set_priority(
        self, case_id: str, priority: Priority, *, actor: Actor, reason: str | None = None
    ) -> None:
        """Change a case's priority; its routed work follows in the same commit.

        Permission: ``edit``.
        """
        case_id = check_id(case_id, what="case to reprioritise")
        check_enum(priority, Priority, what=f"priority of {case_id}")

        def command(session: Session) -> None:
            case = session.change(case_id)
            session.authorize(case, Permission.EDIT)
            case.set_priority(priority, actor=session.actor, reason=reason)

        self.execute(actor, command, name=f"set the priority of {case_id}")

    def case(
        self, case_id: str, *, actor: Actor | None = None, reason: str | None = None
    ) -> Case[Any]:
        """The stored case (changes to the object returned are not saved).

        With a policy, ``actor`` is required and needs ``read`` (or a live break-the-glass
        grant). Without one it may be omitted (a trusted read), unless reads are logged.
        A read of a case at or above ``audit_reads_from``, and every read through a
        break-the-glass grant, is recorded in the case's trail (``action="read"``, with
        ``reason``) in the read's unit of work.

        Complexity: one case read, one policy decision, an audit append when logged.

        Raises:
            NotFound: No such case.
            ValidationError: No principal given to an application with a policy; no actor
                given to an application that logs reads; a blank reason.
            AccessDenied: The policy does not let ``actor`` read it (audited).
        """
        case_id = check_id(case_id, what="case to read")
        reason = check_optional_text(reason, what=f"reason to read {case_id}")
        if actor is None and self.policy is None and self.audit_reads_from is None:
            with self.storage.unit_of_work() as uow:
                case = uow.cases.get(case_id)
            case.clock = self.clock  # the application's clock, as a session's read binds it
            return case
        reader = self._reader(actor, what=case_id)

        def command(session: Session) -> Case[Any]:
            case = session.read(case_id)
            session.authorize(case, Permission.READ, reason=reason)
            return _cleared(case, session.principal)

        return self.execute(reader, command, name=f"read {case_id}")

    def find_cases(
        self,
        *,
        actor: Actor | None = None,
        case_type: type[Case[Any]] | str | None = None,
        status: str | None = None,
        owner: Owner | None = None,
        priority: Priority | None = None,
        after: str | None = None,
        limit: int = 100,
        reason: str | None = None,
    ) -> Page[Case[Any]]:
        """One page, in id order, of the stored cases ``actor`` may read that match every filter.

        With an `AccessPolicy`, the storage filters by ``policy.read_filter(actor)`` in its
        query (SQL on SQLite and PostgreSQL, before any case is loaded), so a page holds only
        readable cases and paging with ``after`` works as without a policy. A policy engine
        without a read filter (Cedar) is asked case by case over unfiltered pages. Each case
        on the page at or above ``audit_reads_from`` is recorded in its trail as a read
        (``reason``; ``detail`` says it was listed). A break-the-glass grant opens one case
        to `case`, not to listings. Without a policy the query is unfiltered, and ``actor``
        may be omitted unless reads are logged.

        Complexity: the storage's filtered query (an index walk per entry term of the
        principal's filter, see docs/security.md), one audit append per logged case.

        Raises:
            ValidationError: An unregistered case type, a bad filter, ``limit`` not 1 to
                10,000, no principal given to an application with a policy, no actor given
                to an application that logs reads, a blank reason.
        """
        type_name = None
        if case_type is not None:
            type_name = case_class(case_type, what="case type to list").case_type
        reason = check_optional_text(reason, what="reason to list cases")
        if owner is not None:
            check_instance(owner, Owner, what="owner of the cases to list")
        if priority is not None:
            check_enum(priority, Priority, what="priority of the cases to list")
        if after is not None:
            after = check_id(after, what="case to list after")
        check_int(limit, what="limit of cases to list", minimum=1, maximum=10_000)
        if self.policy is not None and not isinstance(actor, Principal):
            raise ValidationError(
                f"{self.name} checks access: say who lists cases with a Principal "
                f"(actor=), got {actor!r:.80}"
            )
        reader = self._reader(actor, what="the cases listed")

        def command(session: Session) -> Page[Case[Any]]:
            policy = self.policy
            principal = session.principal
            filters: dict[str, Any] = {
                "case_type": type_name,
                "status": status,
                "owner": owner,
                "priority": priority,
            }
            if policy is None or principal is None:
                page = session.uow.cases.query(**filters, after=after, limit=limit)
            elif isinstance(policy, AccessPolicy):
                page = session.uow.cases.query(
                    **filters,
                    after=after,
                    limit=limit,
                    readable_by=policy.read_filter(principal),
                )
            else:  # a policy engine without a read filter (Cedar): decide case by case
                page = _decided_page(session, policy, principal, filters, after=after, limit=limit)
            for case in page.items:
                case.clock = self.clock
                _cleared(case, principal)
                if self.audit_reads_from is not None:
                    session.authorize(case, Permission.READ, reason=reason, detail={"listed": True})
            return page

        return self.execute(reader, command, name="list cases")

    # ------------------------------------------------------------------ routing

    def _domain(self, domain: str) -> str:
        domain = check_id(domain, what="routing domain")
        if domain not in self._domains:
            raise NotFound(
                f"{self.name} has no routing domain {domain!r}; "
                f"domains: {allowed_list(self.domains)}"
            )
        return domain

    def add_agent(
        self, domain: str, agent: Agent, presence: Presence = Presence.OFFLINE, *, actor: Actor
    ) -> None:
        """Register a member of staff in a routing domain."""
        domain = self._domain(domain)
        check_instance(agent, Agent, what=f"agent to add to {domain}")
        self.execute(
            actor,
            lambda session: session.router(domain).add_agent(agent, presence),
            name=f"add agent {agent.id}",
        )

    def set_presence(self, domain: str, agent_id: str, presence: Presence, *, actor: Actor) -> None:
        """Set an agent's presence (work is offered to Available agents at once)."""
        domain = self._domain(domain)
        check_enum(presence, Presence, what=f"presence of {agent_id}")
        self.execute(
            actor,
            lambda session: session.router(domain).set_presence(agent_id, presence),
            name=f"set the presence of {agent_id}",
        )

    def _routed_domain(self, session: Session, case_id: str) -> str:
        case = session.read(case_id)
        routing = self.routing_for(type(case))
        if routing is None:
            raise ValidationError(f"{case_id} is a {type(case).case_type}, which is not routed")
        return routing.domain

    def accept(self, case_id: str, agent: Actor) -> None:
        """``agent`` accepts the offer of ``case_id``'s step and becomes its owner.

        Permission: ``route`` on the case.

        Raises:
            NotFound: No such case, or it is not in routing.
            OfferNotPending: The step is not offered to this agent; nothing changes.
            AccessDenied: The policy does not let ``agent`` take routed work on it.
        """
        case_id = check_id(case_id, what="case whose offer is accepted")

        def command(session: Session) -> None:
            case = session.read(case_id)
            session.authorize(case, Permission.ROUTE)
            session.router(self._routed_domain(session, case_id)).accept(case_id, session.actor)

        self.execute(agent, command, name=f"accept {case_id}")

    def decline(self, case_id: str, agent: Actor) -> None:
        """``agent`` declines the offer of ``case_id``'s step; it is routed again.

        Permission: ``route`` on the case.
        """
        case_id = check_id(case_id, what="case whose offer is declined")

        def command(session: Session) -> None:
            case = session.read(case_id)
            session.authorize(case, Permission.ROUTE)
            session.router(self._routed_domain(session, case_id)).decline(case_id, session.actor)

        self.execute(agent, command, name=f"decline {case_id}")

    def routing_status(
        self, case_id: str, *, actor: Actor | None = None, reason: str | None = None
    ) -> ItemStatus | None:
        """Where ``case_id``'s routed step stands, or ``None`` when it is not in routing.

        With a policy, ``actor`` is required and needs ``read`` on the case; the read is
        logged as [`case`][Application.case]'s is.
        """
        return self._read_routed(
            case_id, actor, reason, "routing", lambda bound: bound.router.item(case_id)
        )

    def escalation(
        self, case_id: str, *, actor: Actor | None = None, reason: str | None = None
    ) -> LadderExplanation | None:
        """Why ``case_id``'s routed step is where it is, with the escalation rungs applied.

        The router's latest decision and the rungs applied at its stage
        (`LadderExplanation`); ``None`` when the case is not in routing or its domain has
        no ladders. O(h) for ``h`` rungs applied.

        With a policy, ``actor`` is required and needs ``read`` on the case; the read is
        logged as [`case`][Application.case]'s is.
        """

        def explain(bound: BoundRouter) -> LadderExplanation | None:
            return None if bound.ladders is None else bound.ladders.explain(case_id)

        return self._read_routed(case_id, actor, reason, "escalation", explain)

    def _read_routed(
        self,
        case_id: str,
        actor: Actor | None,
        reason: str | None,
        what: str,
        pick: Callable[[BoundRouter], T | None],
    ) -> T | None:
        """``pick`` of the case's routing domain, after ``read`` on the case is allowed.

        ``None`` when the case type is not routed or the router does not hold the case.
        """
        case_id = check_id(case_id, what=f"case whose {what} is read")
        reason = check_optional_text(reason, what=f"reason to read the {what} of {case_id}")

        def read(session: Session) -> T | None:
            case = session.read(case_id)
            session.authorize(case, Permission.READ, reason=reason)
            routing = self.routing_for(type(case))
            if routing is None:
                return None
            try:
                return pick(session.router(routing.domain))
            except NotFound:
                return None

        if actor is None and self.policy is None and self.audit_reads_from is None:
            with self.storage.unit_of_work() as uow:
                return read(Session(self, uow, "reader"))
        reader = self._reader(actor, what=f"the {what} of {case_id}")
        return self.execute(reader, read, name=f"read the {what} of {case_id}")

    def queue(
        self, domain: str, *, actor: Actor | None = None, reason: str | None = None
    ) -> list[QueueEntry]:
        """Awaiting Assignment in ``domain``, in service order: the entries ``actor`` may read.

        With a policy, ``actor`` is required, and an entry is listed only when the policy
        lets the principal ``read`` its case (an item that is not a stored case is left out:
        there is nothing to decide on); listed cases at or above ``audit_reads_from`` are
        logged as reads (``detail["listed"]`` is ``"queue"``). Without a policy, every entry.

        Complexity: O(q log g) for the router's queue order plus, with a policy, one case
        read and one decision per waiting item (q): a queue of thousands costs as many reads.

        Raises:
            NotFound: No such routing domain.
            ValidationError: No principal given to an application with a policy; no actor
                given to an application that logs reads; a blank reason.
        """
        domain = self._domain(domain)
        reason = check_optional_text(reason, what=f"reason to read the queue of {domain}")
        if self.policy is not None and not isinstance(actor, Principal):
            raise ValidationError(
                f"{self.name} checks access: say who reads the queue of {domain} with a "
                f"Principal (actor=), got {actor!r:.80}"
            )

        def read(session: Session) -> list[QueueEntry]:
            entries = session.router(domain).router.queue()
            policy, principal = self.policy, session.principal
            if policy is None or principal is None:
                return entries
            shown = []
            for entry in entries:
                try:
                    case = session.read(entry.item_id)
                except NotFound:
                    continue  # not a case: nothing to decide on, so not shown
                if policy.decide(principal, Permission.READ, CaseResource.of(case)).allowed:
                    if self.audit_reads_from is not None:
                        session.authorize(
                            case, Permission.READ, reason=reason, detail={"listed": "queue"}
                        )
                    shown.append(entry)
            return shown

        reader = self._reader(actor, what=f"the queue of {domain}")
        return self.execute(reader, read, name=f"read the queue of {domain}")

    def tick(self, *, actor: Actor = ROUTING_TIMER) -> int:
        """Act on every routing deadline that has passed, in every domain; return how many.

        Run it from a timer worker (see `casekit.storage.serve_timers` for a loop). Each
        domain is its own command, performed by ``actor``: by default the declared
        automatic check `ROUTING_TIMER` (recorded as ``"check:routing-timer"``), never a
        free actor name.

        A domain with escalation ladders also applies every rung that has fallen due (each
        counts as one): journalled with the domain, recorded in the case's audit trail as
        ``escalation_rung`` (stage, rung, what it did, when it fell due) and published as
        an [`EscalationApplied`][casekit.app.EscalationApplied] event, in the same unit of
        work.
        """
        acted = 0
        for domain in self.domains:

            def tick(session: Session, domain: str = domain) -> int:
                bound = session.router(domain)
                seen = len(bound.rungs)
                count = bound.tick()
                for record in bound.rungs[seen:]:
                    record_escalation(session, domain, record)
                return count

            acted += self.execute(actor, tick, name=f"tick {domain}")
        return acted

    # ------------------------------------------------------------------ financials

    def enrol(
        self,
        pdc_id: str,
        *,
        pattern: DeliveryPattern,
        nominees: Nominees | None = None,
        actor: Actor,
    ) -> None:
        """Start paying a product delivery case under its product, with this pattern.

        Raises:
            NotFound: No such case.
            ValidationError: Not a PDC, or a product the application does not pay.
            AlreadyExists: It is enrolled already.
        """
        pdc_id = check_id(pdc_id, what="case to enrol")
        check_instance(pattern, DeliveryPattern, what=f"delivery pattern of {pdc_id}")
        if nominees is not None:
            check_instance(nominees, Nominees, what=f"nominees of {pdc_id}")

        def command(session: Session) -> None:
            pdc = session.read(pdc_id)  # enrolment writes the financials, not the case
            if not isinstance(pdc, ProductDeliveryCase):
                raise ValidationError(
                    f"{pdc_id} is a {type(pdc).case_type}; only product delivery cases are paid"
                )
            session.authorize(pdc, Permission.EDIT)
            self.financials.enrol(
                session, pdc, pattern=pattern, nominees=nominees, actor=session.actor
            )

        self.execute(actor, command, name=f"enrol {pdc_id}")

    def run_payments(self, on: date, *, verifier: Actor, submitter: Actor) -> int:
        """Issue every payment due on or before ``on`` on every active enrolled PDC.

        Each PDC with a payment due is its own command, performed by ``submitter``, so one
        case's failure does not hold up the others' payments (it is logged and the run
        goes on); running it again issues nothing twice. A PDC whose next payment falls due
        after ``on`` (its financials document says when; see `casekit.app.money`) is not
        loaded, and no PDC is saved: paying changes its ledger, not the case. Returns the
        number of payments issued.

        With a policy, ``verifier`` and ``submitter`` are principals (declared automatic
        checks, ``Principal.system(...)``, or people) and the submitter needs ``edit`` on
        each PDC it pays: a denial is audited and that PDC is not paid.

        Raises:
            ValidationError: ``on`` not a date, a blank verifier or submitter, or actor ids
                given to an application with a policy.
        """
        on = check_date(on, what="day of the payment run")
        verifier_id, _ = self._who(verifier, what="verifier of the payment run")
        submitter_id, _ = self._who(submitter, what="submitter of the payment run")
        with self.storage.unit_of_work() as uow:
            ids = self.financials.enrolled(Session(self, uow, submitter_id), due_by=on)
        issued = 0
        for pdc_id in ids:

            def command(session: Session, pdc_id: str = pdc_id) -> int:
                pdc = session.read(pdc_id)
                assert isinstance(pdc, ProductDeliveryCase)
                session.authorize(pdc, Permission.EDIT)
                return len(
                    self.financials.pay_due(
                        session, pdc, on, verifier=verifier_id, submitter=submitter_id
                    )
                )

            try:
                issued += self.execute(submitter, command, name=f"pay {pdc_id}")
            except CasekitError:  # refused (nothing of it stored): the others are still paid
                logger.exception("%s: the payment run could not pay %s", self.name, pdc_id)
        return issued

    def run_automatic_closure(
        self, pdc_id: str, *, actor: Actor = AUTOMATIC_CLOSURE
    ) -> ActionResult | None:
        """Close a PDC that is due to close automatically today, else do nothing.

        ``ProductDeliveryCase.run_automatic_closure`` as a command: a Pending Closure case
        whose scheduled day has come, or a certified product's case whose certification
        expired, is closed (and reassessed, when enrolled, in the same commit). Performed
        by ``actor``, by default the declared automatic check `AUTOMATIC_CLOSURE`
        (recorded as ``"check:automatic-closure"``), never a free ``"system"``.
        Permission: ``perform`` ``close``, asked only when the case is due to close.

        Raises:
            NotFound: No such case.
            ValidationError: Not a PDC.
            AccessDenied: The policy does not let ``actor`` close it (audited).
        """
        pdc_id = check_id(pdc_id, what="case to close automatically")

        def command(session: Session) -> ActionResult | None:
            pdc = session.read(pdc_id)
            if not isinstance(pdc, ProductDeliveryCase):
                raise ValidationError(
                    f"{pdc_id} is a {type(pdc).case_type}; only product delivery cases close "
                    "automatically"
                )
            if not pdc.due_for_automatic_closure():
                return None
            session.change(pdc_id)
            session.authorize(pdc, Permission.PERFORM, action="close")
            return pdc.run_automatic_closure(actor=session.actor)

        return self.execute(actor, command, name=f"close {pdc_id} automatically")

    def reassess(
        self,
        pdc_id: str,
        *,
        actor: Actor,
        trigger: ReassessmentTrigger = ReassessmentTrigger.MANUAL,
    ) -> AppliedReassessment:
        """Reassess an enrolled PDC now (a caseworker's request, a certification change).

        Raises:
            NotFound: No such case, or not enrolled.
        """
        pdc_id = check_id(pdc_id, what="case to reassess")
        trigger = check_enum(trigger, ReassessmentTrigger, what=f"trigger of {pdc_id}")

        def command(session: Session) -> AppliedReassessment:
            pdc = session.change(pdc_id)
            if not isinstance(pdc, ProductDeliveryCase):
                raise ValidationError(
                    f"{pdc_id} is a {type(pdc).case_type}; only product delivery cases are "
                    "reassessed"
                )
            session.authorize(pdc, Permission.EDIT)
            return self.financials.reassess(session, pdc, trigger, actor=session.actor)

        return self.execute(actor, command, name=f"reassess {pdc_id}")

    def ledger_lines(self, case_id: str) -> list[LedgerLine]:
        """A case's stored ledger lines (payments and corrections), by kind and id."""
        case_id = check_id(case_id, what="case whose ledger is read")
        with self.storage.unit_of_work() as uow:
            return uow.ledger.lines(case_id)


def _keep(event: object) -> None:
    """A durable router's subscriber that only makes it record its events."""


def _decided_page(
    session: Session,
    policy: Authorizer,
    principal: Principal,
    filters: Mapping[str, Any],
    *,
    after: str | None,
    limit: int,
) -> Page[Case[Any]]:
    """A page of readable cases for a policy engine that cannot filter in the query.

    Reads unfiltered pages of ``limit`` cases and keeps those ``policy.decide`` lets
    ``principal`` read, until ``limit`` are kept or the cases run out. O(n) decisions for the
    n cases read to fill the page: a policy that hides most cases reads many pages.
    """
    kept: list[Case[Any]] = []
    cursor = after
    while True:
        page = session.uow.cases.query(**filters, after=cursor, limit=limit)
        for case in page.items:
            if policy.decide(principal, Permission.READ, CaseResource.of(case)).allowed:
                kept.append(case)
                if len(kept) == limit:
                    return Page(tuple(kept), case.id)
        if page.next_after is None:
            return Page(tuple(kept), None)
        cursor = page.next_after


def _cleared(case: Case[Any], principal: Principal | None) -> Case[Any]:
    """``case`` without the notes more sensitive than ``principal``'s clearance.

    Applied to what a read returns (a copy loaded for the read, never saved): a note's
    sensitivity restricts that note, not the case (domain.md §7). A break-the-glass grant
    opens the case, not the notes above the reader's clearance. O(notes).
    """
    if principal is None or not case.notes:
        return case
    clearance = principal.clearance
    hidden = [note for note in case.notes if note.sensitivity > clearance]
    if hidden:
        case.withhold_notes({note.id for note in hidden})
    return case
