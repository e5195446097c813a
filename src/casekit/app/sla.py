"""SLA worklists fed by an application's case events: pauses from real status changes.

A [`Caseload`][casekit.worklists.Caseload] keeps each worker's SLA worklist, and with a
[`PauseRule`][casekit.worklists.PauseRule] pauses a case's clocks while it sits in a
declared status ("Awaiting client"). [`SlaFeed`][] joins it to an
[`Application`][casekit.app.Application]: subscribe it, and every committed

* case opened becomes an ``SlaEvent("case_opened", client, at, case_id=..., status=...)``;
* status change becomes ``SlaEvent("status_changed", ..., status=<the new status>)``, which
  pauses or resumes the case's clocks;
* change of owner to a user puts the client on that user's worklist
  (``Caseload.assign``), when ``follow_owner`` is on.

The client is the case's primary client (read once per case from storage and remembered),
or what ``client_of`` says. Events of cases with no client, or of clients on no worklist
yet, are counted in [`SlaFeed.skipped`][] and otherwise ignored. The feed runs after the
commit, in the process that committed (like any subscriber): the caseload is that
process's in-memory view. Costs: O(1) per status change, plus the caseload's own
``record``; one case read for a case opened or reassigned, or the first time a case is
seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from casekit.app.events import CaseOpened
from casekit.cases.events import OwnerChanged
from casekit.cases.parts import OwnerKind, StatusChange
from casekit.checks import check_bool, check_callable, check_instance
from casekit.errors import NotFound, ValidationError
from casekit.storage.unit_of_work import Storage
from casekit.worklists.caseload import Caseload
from casekit.worklists.sla import SlaEvent

__all__ = ["SlaFeed"]

CASE_OPENED = "case_opened"
"""The ``SlaEvent`` kind of a case opened (start policies on it)."""

STATUS_CHANGED = "status_changed"
"""The ``SlaEvent`` kind of a status change."""


class SlaFeed:
    """Turns an application's case events into SLA events for a caseload.

    Args:
        caseload: The worklists to keep.
        storage: Where the application keeps its cases (``app.storage``), read for a case's
            client and owner.
        client_of: ``case -> client id or None``; default: the case's primary client.
        follow_owner: Put a case's client on its new owner's worklist when a user becomes
            its owner (on opening too).

    Raises:
        ValidationError: A bad caseload, storage or callable.
    """

    def __init__(
        self,
        caseload: Caseload,
        *,
        storage: Storage,
        client_of: Callable[[Any], str | None] | None = None,
        follow_owner: bool = True,
    ) -> None:
        self.caseload = check_instance(caseload, Caseload, what="the caseload of an SlaFeed")
        if not isinstance(storage, Storage):
            raise ValidationError(f"the storage of an SlaFeed must be a Storage, got {storage!r}")
        self.storage = storage
        if client_of is not None:
            check_callable(client_of, what="client_of of an SlaFeed")
        self._client_of = client_of or _primary_client
        self.follow_owner = check_bool(follow_owner, what="follow_owner of an SlaFeed")
        self._clients: dict[str, str | None] = {}
        self.recorded = 0
        self.skipped = 0

    def __call__(self, event: object) -> None:
        """Handle one application event (pass the feed to ``Application.subscribe``)."""
        if isinstance(event, StatusChange):
            if event.from_status != event.to_status:
                self._record(STATUS_CHANGED, event.case_id, event, event.to_status)
        elif isinstance(event, CaseOpened):
            self._follow(event.case_id)
            self._record(CASE_OPENED, event.case_id, event, event.status)
        elif isinstance(event, OwnerChanged):
            self._follow(event.case_id)

    def _record(self, kind: str, case_id: str, event: Any, status: str) -> None:
        client = self._client(case_id)
        if client is None:
            self.skipped += 1
            return
        try:
            self.caseload.worker_of(client)
        except NotFound:
            self.skipped += 1
            return
        self.caseload.record(SlaEvent(kind, client, event.at, case_id=case_id, status=status))
        self.recorded += 1

    def _follow(self, case_id: str) -> None:
        if not self.follow_owner:
            return
        case = self._read(case_id)
        if case is None:
            return
        client = self._client(case_id, case)
        owner = case.owner
        if client is not None and owner.kind is OwnerKind.USER:
            self.caseload.assign(client, owner.id)

    def _client(self, case_id: str, case: Any = None) -> str | None:
        if case_id not in self._clients:
            case = case if case is not None else self._read(case_id)
            self._clients[case_id] = None if case is None else self._client_of(case)
        return self._clients[case_id]

    def _read(self, case_id: str) -> Any:
        with self.storage.unit_of_work() as uow:
            try:
                return uow.cases.get(case_id)
            except NotFound:
                return None

    def __repr__(self) -> str:
        return f"SlaFeed(recorded={self.recorded}, skipped={self.skipped})"


def _primary_client(case: Any) -> str | None:
    client = getattr(case, "primary_client_id", None)
    return client if isinstance(client, str) else None
