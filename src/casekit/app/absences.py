"""Absences in routing: absent agents get no offers, and their work follows the rule (issue 20).

[`AbsenceBook`][casekit.worklists.AbsenceBook] says who is away and where their work goes
(delegations, resolved past delegates who are away themselves, loops refused when
declared); [`AbsenceRule`][casekit.worklists.AbsenceRule] says what happens to an absent
agent's accepted work (``tasks``) and pinned work (keep, redirect, return to queue);
[`place_work`][casekit.worklists.place_work] decides. `Application.apply_absences` makes
the routing domain agree, in one unit of work:

* an agent absent now who is not Offline is set Offline (the router withdraws their offers
  and offers them nothing more); the presence they had is remembered (the
  ``absences`` collection) and given back when the absence ends;
* each item an absent agent holds goes where ``place_work`` says: kept, pinned to the
  delegate (when the delegate is an agent of the domain; else back to the queue), or back
  to the queue with its age — each move a journalled router command, and for a stored case
  an ``absence_moved_work`` entry in its audit trail (who, from, to, why);
* each open case task assigned to an absent agent (a kickback, a review) follows the rule
  for tasks too: given to the delegate when the delegation ends at a person
  (``Case.reassign_task``, audited as ``task_reassigned`` with the reason), else left with
  them. The cases are found through the label index (``task_assignees``).

Run it whenever the book changes and on a timer (absences start and end on their own);
running it again at the same moment changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import attrs

from casekit.cases.parts import TaskStatus
from casekit.checks import check_instance
from casekit.errors import NotFound
from casekit.routing.model import Presence
from casekit.routing.router import Router
from casekit.security import CaseResource, Permission
from casekit.storage.cases import CASES
from casekit.storage.label_query import Has
from casekit.storage.readable import TASK_ASSIGNEES
from casekit.worklists.absence import (
    AbsenceBook,
    AbsenceRule,
    Delegate,
    DelegateKind,
    HeldWork,
    WorkKind,
    place_work,
)

if TYPE_CHECKING:
    from casekit.app.application import Actor
    from casekit.app.session import Session

__all__ = ["ABSENCES", "AbsenceReport"]

T = TypeVar("T")

ABSENCES = "absences"
"""The document collection of agents set Offline for an absence (key: ``domain/agent``)."""


@attrs.frozen(slots=True)
class AbsenceReport:
    """What one `apply_absences` did.

    Attributes:
        at: When (the application's clock).
        set_offline: Agents set Offline for an absence.
        back: Agents whose absence ended, with their presence given back.
        moved: ``(item id, from agent, to)`` for each item moved (``to``: an agent id, or
            ``"queue"``).
        kept: Items of absent agents left with them.
        tasks_moved: ``(task id, from, to)`` for each open case task of an absent agent
            given to their delegate.
        tasks_kept: Open case tasks of absent agents left with them (the rule keeps tasks,
            or the delegation ends at a queue or nobody: a task is a user's).
        tasks_refused: Open case tasks left because the application's policy does not let
            the actor ``assign`` their case.
    """

    at: datetime
    set_offline: tuple[str, ...] = ()
    back: tuple[str, ...] = ()
    moved: tuple[tuple[str, str, str], ...] = ()
    kept: tuple[str, ...] = ()
    tasks_moved: tuple[tuple[str, str, str], ...] = ()
    tasks_kept: tuple[str, ...] = ()
    tasks_refused: tuple[str, ...] = ()


class _AbsenceCommands:
    """The absence command of an application (see the module doc)."""

    if TYPE_CHECKING:

        def execute(
            self, actor: Actor, command: Callable[[Session], T], *, name: str = "command"
        ) -> T:
            """The application's unit of work (`Application.execute`)."""

        def _domain(self, domain: str) -> str:
            """The domain's name, checked."""

    def apply_absences(
        self,
        domain: str,
        book: AbsenceBook,
        *,
        actor: Actor,
        rule: AbsenceRule | None = None,
    ) -> AbsenceReport:
        """Make ``domain``'s routing agree with ``book`` now (see the module doc).

        Args:
            domain: The routing domain.
            book: Absences and delegations.
            actor: Who applies them (a `Principal` when the application has a policy).
            rule: What happens to absent agents' work (default: accepted work follows the
                delegation, pinned work is kept).

        Returns:
            What was done.

        Complexity: O(agents + items held by absent agents × delegation chain), one unit
        of work.

        Raises:
            ValidationError: A bad argument (nothing changes).
            NotFound: No such routing domain.
        """
        domain = self._domain(domain)
        check_instance(book, AbsenceBook, what=f"absence book applied to {domain}")
        chosen = AbsenceRule() if rule is None else rule
        check_instance(chosen, AbsenceRule, what=f"absence rule applied to {domain}")

        def command(session: Session) -> AbsenceReport:
            return _apply(session, domain, book, chosen)

        return self.execute(actor, command, name=f"apply absences to {domain}")


def _apply(session: Session, domain: str, book: AbsenceBook, rule: AbsenceRule) -> AbsenceReport:
    now = session.clock.now()
    bound = session.router(domain)
    documents = session.uow.documents
    offline: list[str] = []
    back: list[str] = []
    held: list[HeldWork] = []
    absent: list[str] = []
    for status in bound.router.agents():
        agent_id = status.agent.id
        key = f"{domain}/{agent_id}"
        away = documents.get(ABSENCES, key)
        if book.is_absent(agent_id, now):
            absent.append(agent_id)
            held.extend(HeldWork(item, agent_id, WorkKind.TASK, domain) for item in status.accepted)
            held.extend(HeldWork(item, agent_id, WorkKind.PINNED, domain) for item in status.pinned)
            if status.presence is not Presence.OFFLINE:  # set back by hand while away too
                if away is None:  # the presence to give back is the one before the absence
                    documents.put(
                        ABSENCES,
                        key,
                        {"presence": status.presence.value, "since": now.isoformat()},
                        expected_version=0,
                        labels={"domain": domain},
                        updated_at=now,
                    )
                bound.set_presence(agent_id, Presence.OFFLINE)
                offline.append(agent_id)
        elif away is not None:
            documents.delete(ABSENCES, key, expected_version=away.version)
            bound.set_presence(agent_id, Presence(away.body["presence"]))
            back.append(agent_id)
    moved: list[tuple[str, str, str]] = []
    kept: list[str] = []
    holders = {work.item_id: work.holder for work in held}
    for placement in place_work(held, book, rule, now):
        holder = holders[placement.item_id]
        if not placement.moved:
            kept.append(placement.item_id)
            continue
        to = _agent_or_queue(bound.router, placement.destination)
        if to == "queue":
            bound.requeue(placement.item_id)
        else:
            bound.assign(placement.item_id, to, override=True)
        moved.append((placement.item_id, holder, to))
        if documents.get(CASES, placement.item_id) is not None:
            session.uow.audit.append(
                placement.item_id,
                actor=session.actor,
                action="absence_moved_work",
                at=now,
                detail={"domain": domain, "from": holder, "to": to, "reason": placement.reason},
            )
    tasks_moved, tasks_kept, tasks_refused = _redirect_tasks(session, absent, book, rule, now)
    return AbsenceReport(
        at=now,
        set_offline=tuple(offline),
        back=tuple(back),
        moved=tuple(moved),
        kept=tuple(kept),
        tasks_moved=tuple(tasks_moved),
        tasks_kept=tuple(tasks_kept),
        tasks_refused=tuple(tasks_refused),
    )


_PAGE = 200


def _redirect_tasks(
    session: Session, absent: list[str], book: AbsenceBook, rule: AbsenceRule, now: datetime
) -> tuple[list[tuple[str, str, str]], list[str], list[str]]:
    """Give absent agents' open case tasks to their delegates, as ``rule`` says for tasks.

    The cases are found through the label index (``task_assignees``), a page at a time.
    A task goes only to a person: a delegation that ends at a queue, or at nobody, leaves
    it where it is (listed as kept). Each move is the case's own ``task_reassigned``
    audit entry, with the reason. O(cases with a task of an absent agent · tasks).
    With a policy, the actor needs ``assign`` on the case, as for `reassign_all`: a task of
    a case they may not assign stays and is listed as refused.
    """
    moved: list[tuple[str, str, str]] = []
    kept: list[str] = []
    refused: list[str] = []
    policy, principal = session.app.policy, session.principal
    documents = session.uow.documents
    for person in absent:
        after: str | None = None
        while True:
            page = documents.find(
                CASES, where=Has(TASK_ASSIGNEES, [person]), after=after, limit=_PAGE
            )
            for document in page:
                case = session.read(document.key)
                for task in case.tasks:
                    if task.status is not TaskStatus.OPEN or task.assignee != person:
                        continue
                    work = HeldWork(task.id, person, WorkKind.TASK, "tasks")
                    (placement,) = place_work([work], book, rule, now)
                    to = placement.destination
                    if not placement.moved or to.kind is not DelegateKind.AGENT or to.id is None:
                        kept.append(task.id)
                        continue
                    if (
                        policy is not None
                        and principal is not None
                        and not policy.decide(
                            principal, Permission.ASSIGN, CaseResource.of(case)
                        ).allowed
                    ):
                        refused.append(task.id)
                        continue
                    session.change(case.id).reassign_task(
                        task.id, to.id, actor=session.actor, reason=placement.reason
                    )
                    moved.append((task.id, person, to.id))
            if len(page) < _PAGE:
                break
            after = page[-1].key
    return moved, kept, refused


def _agent_or_queue(router: Router, destination: Delegate) -> str:
    """The delegate agent's id when they are an agent of the domain, else ``"queue"``."""
    if destination.kind is DelegateKind.AGENT and destination.id is not None:
        try:
            router.agent(destination.id)
        except NotFound:
            return "queue"
        return destination.id
    return "queue"
