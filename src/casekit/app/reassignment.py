"""Bulk reassignment: move every open case and routed item of a person, team or queue (issue 20).

When someone leaves, goes on long leave or a team is dissolved, their work must move as one
audited batch that a crash cannot leave half done or do twice. [`Reassignment`][] is the
batch's record, a document of the ``reassignments`` collection written in the same unit of
work as each slice of the cases it moves, so the record and the cases always agree:

1. **cases**: the open cases owned by ``source`` (not in a final status, nor in a status
   named ``Closed``, which a PDC or an investigation can be reactivated from), in id
   order, ``batch`` at a time: each becomes ``target``'s (``assign_owner``, audited in the
   case's trail as the actor); a case the policy does not let the actor ``assign`` is
   left where it is and listed in ``refused``. The record's ``after`` is the last case id
   looked at.
2. **items** (a person only): whatever routed work the person still holds in any routing
   domain — offers, accepted and pinned items of cases they do not own — is returned to
   the queue, keeping its age.
3. **done**, with the time it finished.

A case's routed work follows its new owner through the application's handler
(`casekit.app.handlers.work_follows_owner`): pinned to the new owner when they are an agent
of the case's routing domain, else back in the queue. Set a departing person's presence to
Offline first, or the router may offer them the returned work again.

Running the same batch id again resumes it where the record says (after a crash, or after
``stop_after`` slices) and does nothing once it is done; nothing is moved twice, because a
moved case is no longer ``source``'s and the cursor never goes back.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from casekit.cases.parts import Owner, OwnerKind
from casekit.checks import check_id, check_instance, check_int, check_text
from casekit.errors import NotFound, ValidationError
from casekit.security import Authorizer, CaseResource, Permission

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from casekit.app.application import Actor
    from casekit.app.session import Session
    from casekit.storage.unit_of_work import Storage

__all__ = ["REASSIGNMENTS", "Reassignment", "ReassignmentPhase"]

T = TypeVar("T")

REASSIGNMENTS = "reassignments"
"""The document collection of reassignment records (key: the batch id)."""

MAX_BATCH = 1_000

CLOSED = "Closed"
"""A status of this name is closed even where it is not final (a PDC can be reactivated):
a closed case keeps its owner."""


class ReassignmentPhase(enum.StrEnum):
    """Where a reassignment is: moving cases, returning a person's items, or done."""

    CASES = "cases"
    ITEMS = "items"
    DONE = "done"


def _owner_body(owner: Owner) -> dict[str, str]:
    return {"kind": owner.kind.value, "id": owner.id}


def _owner_from(body: Mapping[str, Any]) -> Owner:
    return Owner(OwnerKind(body["kind"]), body["id"])


@attrs.frozen(slots=True)
class Reassignment:
    """The record of one bulk reassignment, as stored.

    Attributes:
        id: The batch id (the caller's; the same id resumes the batch).
        source: Whose work moves.
        target: Who gets the cases.
        actor: Who asked for it (an actor id).
        reason: Why (kept with the record).
        started_at: When its first slice committed.
        phase: Where it is.
        after: The last case id looked at (the cursor), or ``None`` before the first.
        moved: Cases moved so far.
        refused: Cases left with ``source`` because the actor may not assign them.
        returned: Routed items of the person returned to the queue.
        slices: Units of work committed so far.
        finished_at: When it finished, or ``None``.
    """

    id: str
    source: Owner
    target: Owner
    actor: str
    reason: str
    started_at: datetime
    phase: ReassignmentPhase = ReassignmentPhase.CASES
    after: str | None = None
    moved: int = 0
    refused: tuple[str, ...] = ()
    returned: int = 0
    slices: int = 0
    finished_at: datetime | None = None

    @property
    def done(self) -> bool:
        """Whether every slice has run."""
        return self.phase is ReassignmentPhase.DONE

    def to_body(self) -> dict[str, Any]:
        """The JSON-safe document body. O(refused)."""
        return {
            "id": self.id,
            "source": _owner_body(self.source),
            "target": _owner_body(self.target),
            "actor": self.actor,
            "reason": self.reason,
            "started_at": self.started_at.isoformat(),
            "phase": self.phase.value,
            "after": self.after,
            "moved": self.moved,
            "refused": list(self.refused),
            "returned": self.returned,
            "slices": self.slices,
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Reassignment:
        """Read a stored record back. O(refused)."""
        finished = body["finished_at"]
        return cls(
            id=body["id"],
            source=_owner_from(body["source"]),
            target=_owner_from(body["target"]),
            actor=body["actor"],
            reason=body["reason"],
            started_at=datetime.fromisoformat(body["started_at"]),
            phase=ReassignmentPhase(body["phase"]),
            after=body["after"],
            moved=body["moved"],
            refused=tuple(body["refused"]),
            returned=body["returned"],
            slices=body["slices"],
            finished_at=None if finished is None else datetime.fromisoformat(finished),
        )


def _slice(
    session: Session,
    record: Reassignment,
    *,
    batch: int,
    policy: Authorizer | None,
    domains: tuple[str, ...],
) -> Reassignment:
    """Run one slice of ``record`` in ``session``; the record as it stands after it.

    Complexity: one page query of ``batch`` cases and, per open case, an ownership change
    and its handlers; the items phase reads the person's agent status in every domain.
    """
    now = session.clock.now()
    if record.phase is ReassignmentPhase.CASES:
        page = session.uow.cases.query(owner=record.source, after=record.after, limit=batch)
        moved, refused = record.moved, list(record.refused)
        principal = session.principal
        for stored in page.items:
            if stored.is_final or stored.status.value == CLOSED:
                continue
            case = session.read(stored.id)
            if (
                policy is not None
                and principal is not None
                and not policy.decide(principal, Permission.ASSIGN, CaseResource.of(case)).allowed
            ):
                refused.append(case.id)
                continue
            session.change(case.id).assign_owner(record.target, actor=session.actor)
            moved += 1
        last = page.items[-1].id if page.items else record.after
        finished = page.next_after is None
        phase = ReassignmentPhase.CASES
        if finished:
            phase = (
                ReassignmentPhase.ITEMS
                if record.source.kind is OwnerKind.USER
                else ReassignmentPhase.DONE
            )
        return attrs.evolve(
            record,
            after=last,
            moved=moved,
            refused=tuple(refused),
            phase=phase,
            slices=record.slices + 1,
            finished_at=now if phase is ReassignmentPhase.DONE else None,
        )
    returned = record.returned
    for domain in domains:
        bound = session.router(domain)
        try:
            status = bound.router.agent(record.source.id)
        except NotFound:
            continue
        for item_id in (*status.offered, *status.accepted, *status.pinned):
            bound.requeue(item_id)
            returned += 1
    return attrs.evolve(
        record,
        phase=ReassignmentPhase.DONE,
        returned=returned,
        slices=record.slices + 1,
        finished_at=now,
    )


class _ReassignCommands:
    """The bulk reassignment commands of an application (see the module doc)."""

    name: str
    storage: Storage
    policy: Authorizer | None

    if TYPE_CHECKING:

        @property
        def domains(self) -> tuple[str, ...]:
            """The application's routing domains."""

        def execute(
            self, actor: Actor, command: Callable[[Session], T], *, name: str = "command"
        ) -> T:
            """The application's unit of work (`Application.execute`)."""

    def reassign_all(
        self,
        batch_id: str,
        *,
        source: Owner,
        target: Owner,
        actor: Actor,
        reason: str,
        batch: int = 100,
        stop_after: int | None = None,
    ) -> Reassignment:
        """Move every open case and routed item of ``source`` to ``target`` as one batch.

        See the module doc for the phases. Each slice of ``batch`` cases is one unit of work
        (its cases, their handlers and the record commit together), so a crash loses at
        most the slice in flight and running the same ``batch_id`` again carries on from the
        record. Permission: ``assign`` on each case (a case the actor may not assign is
        left and listed in ``refused``; the batch goes on).

        Args:
            batch_id: The batch's id: a new one starts a batch, a stored one resumes it
                (with the same source, target and reason) or returns it when done.
            source: Whose work moves (a user, work queue, position or org unit).
            target: Who gets the cases (not ``source``).
            actor: Who asks (a `Principal` when the application has a policy).
            reason: Why: kept with the record.
            batch: Cases per unit of work, 1 to 1,000.
            stop_after: Stop after this many slices (``None``: run to the end); run the
                same ``batch_id`` again to go on.

        Returns:
            The record as it stands after the last slice run.

        Complexity: O(c / batch) units of work for the c cases ``source`` owns (final ones
        are read and skipped), each O(batch) changes and their handlers.

        Raises:
            ValidationError: A bad argument; ``target`` equal to ``source``; ``batch_id``
                stored for a different source, target or reason. Nothing is written.
        """
        batch_id = check_id(batch_id, what="id of a reassignment")
        check_instance(source, Owner, what=f"source of reassignment {batch_id}")
        check_instance(target, Owner, what=f"target of reassignment {batch_id}")
        if source == target:
            raise ValidationError(
                f"reassignment {batch_id} moves work from {source} to itself; name another target"
            )
        reason = check_text(reason, what=f"reason of reassignment {batch_id}")
        batch = check_int(batch, what=f"batch of reassignment {batch_id}", minimum=1)
        if batch > MAX_BATCH:
            raise ValidationError(
                f"batch of reassignment {batch_id} must be 1 to {MAX_BATCH:,}, got {batch:,}"
            )
        if stop_after is not None:
            stop_after = check_int(
                stop_after, what=f"stop_after of reassignment {batch_id}", minimum=1
            )
        policy = self.policy
        domains = self.domains
        slices = 0

        def step(session: Session) -> Reassignment:
            documents = session.uow.documents
            stored = documents.get(REASSIGNMENTS, batch_id)
            if stored is None:
                record = Reassignment(
                    id=batch_id,
                    source=source,
                    target=target,
                    actor=session.actor,
                    reason=reason,
                    started_at=session.clock.now(),
                )
                version = 0
            else:
                record = Reassignment.from_body(stored.body)
                version = stored.version
                if (record.source, record.target, record.reason) != (source, target, reason):
                    raise ValidationError(
                        f"reassignment {batch_id} is stored as {record.source} → "
                        f"{record.target} ({record.reason!r}); resume it with those, or "
                        f"choose a new batch id"
                    )
                if record.done:
                    return record
            after = _slice(session, record, batch=batch, policy=policy, domains=domains)
            documents.put(
                REASSIGNMENTS,
                batch_id,
                after.to_body(),
                expected_version=version,
                labels={"source": str(source), "phase": after.phase.value},
                updated_at=session.clock.now(),
            )
            return after

        while True:
            record = self.execute(actor, step, name=f"reassignment {batch_id}")
            slices += 1
            if record.done or (stop_after is not None and slices >= stop_after):
                return record

    def reassignment(self, batch_id: str) -> Reassignment | None:
        """The stored record of a reassignment, or ``None``. One document read.

        Raises:
            ValidationError: ``batch_id`` is not an id.
        """
        batch_id = check_id(batch_id, what="id of a reassignment")
        with self.storage.unit_of_work() as uow:
            stored = uow.documents.get(REASSIGNMENTS, batch_id)
        return None if stored is None else Reassignment.from_body(stored.body)
