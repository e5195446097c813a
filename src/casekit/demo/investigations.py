"""The demo's investigations unit, the attempts its policy refuses, and break-the-glass.

Every working day the investigations unit opens an Investigation Case (sensitivity 4, see
`casekit.demo.access`) into the client of a benefit, drawn from the run's seed, and an
investigator reads it; each of those reads is in the access log. Around them the office
does what offices do:

- on the first day the benefit's caseworker and their supervisor try to open the
  investigation (the client asked why the benefit is under review), and a caseworker tries
  to approve a colleague's benefit: the policy refuses all three, and each refusal is
  audited in the case's trail (``access_denied``);
- on the second day (or the first, in a one-day run) a duty manager, refused the
  investigation like anyone outside the unit, breaks the glass for 30 minutes because a
  client is threatening staff, and reads it; on the last day another does so for an hour
  for a court order. Each grant is audited, notifies the investigation's supervisor through
  the outbox (``casekit.access.break_glass_granted``) and each read through it is logged
  (``via="break-glass"``).

[`access_figures`][] counts it all back from the stored audit trails.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from casekit.app import Application
from casekit.cases import InvestigationCase, Owner
from casekit.demo.access import INVESTIGATION_SENSITIVITY, Directory
from casekit.demo.benefits import Benefits
from casekit.errors import AccessDenied
from casekit.storage import Storage

__all__ = ["Investigations", "access_figures"]

_ALLEGATIONS = (
    "income from work not declared",
    "a partner living in the household not declared",
    "living abroad while receiving the benefit",
)

_GLASS = (
    (
        0,
        30,
        "client threatening staff at the front desk; police ask if an investigation is open",
    ),
    (
        1,
        60,
        "court order: produce the file today; the investigators are in court",
    ),
)
"""(which duty manager, minutes, reason) of the run's two break-the-glass uses."""


class Investigations:
    """The investigations unit's day, and the access incidents around it.

    Args:
        app: The demo's application (it has the office's policy).
        directory: The office's principals.
        benefits: The office's benefits (the clients referred are theirs).
        seed: Seeds which benefits are referred and the allegations.
    """

    def __init__(
        self, app: Application, directory: Directory, benefits: Benefits, *, seed: int
    ) -> None:
        self.app = app
        self.directory = directory
        self.benefits = benefits
        self.rng = random.Random(seed * 6007 + 11)
        self.opened: list[str] = []
        self.referred: dict[str, str] = {}  # investigation -> the benefit referred
        self.touched: set[str] = set()  # the cases whose trails hold access entries

    def working_day(self, index: int, days: int) -> None:
        """Day ``index`` (from 0) of ``days``: an investigation, and the day's incidents."""
        if not self.benefits.enrolled:
            return
        investigation = self._open()
        if index == 0:
            self._refused_attempts(investigation)
        if index == min(1, days - 1):
            self._break_glass(self.opened[0], *_GLASS[0])
        if index == days - 1:
            self._break_glass(investigation, *_GLASS[1])

    def _open(self) -> str:
        app = self.app
        investigator = self.directory.INVESTIGATORS[len(self.opened) % 2]
        pdc_id = self.rng.choice(self.benefits.enrolled)
        pdc = app.case(pdc_id, actor=investigator, reason="fraud referral")
        investigation = f"INV-{len(self.opened) + 1:04d}"
        app.open_case(
            InvestigationCase,
            actor=investigator,
            id=investigation,
            owner=Owner.org_unit("investigations"),
            supervisor=Owner.user(self.directory.INVESTIGATORS[0].id),
            primary_client=pdc.primary_client_id,
            allegations=[self.rng.choice(_ALLEGATIONS)],
        )
        app.case(investigation, actor=investigator, reason="open the referral")
        self.opened.append(investigation)
        self.referred[investigation] = pdc_id
        self.touched.add(investigation)
        return investigation

    def _refused_attempts(self, investigation: str) -> None:
        app, directory = self.app, self.directory
        pdc_id = self.referred[investigation]
        caseworker = self.benefits.owner_of[pdc_id]
        pdc = app.case(pdc_id, actor=caseworker, reason="client asks about the review")
        supervisor = pdc.roles.supervisor
        assert supervisor is not None, pdc_id
        reason = "the client asks why the benefit is under review"
        _refused(lambda: app.case(investigation, actor=caseworker, reason=reason))
        _refused(lambda: app.case(investigation, actor=directory[supervisor.id], reason=reason))
        colleague = next(p for p in directory.staff if p != caseworker.id)
        _refused(lambda: app.perform(pdc_id, "approve", actor=directory[colleague]))
        self.touched.add(pdc_id)

    def _break_glass(self, investigation: str, manager: int, minutes: int, reason: str) -> None:
        app = self.app
        duty_manager = self.directory.DUTY_MANAGERS[manager]
        _refused(lambda: app.case(investigation, actor=duty_manager, reason=reason))
        app.break_glass(investigation, actor=duty_manager, reason=reason, minutes=minutes)
        app.case(investigation, actor=duty_manager, reason="what the emergency needs")


def _refused(attempt: Callable[[], object]) -> None:
    """Make an attempt the policy must refuse (the refusal is audited by the application)."""
    try:
        attempt()
    except AccessDenied:
        return
    raise AssertionError("the office's policy allowed an attempt it must refuse")


def access_figures(
    storage: Storage, case_ids: Iterable[str], directory: Directory
) -> dict[str, Any]:
    """The access figures, counted from the stored audit trails of ``case_ids``.

    Returns ``denied`` (permission, role, count), ``grants`` (who, case, reason,
    expiry, supervisor told), ``reads`` (logged reads and reveals by how they were
    allowed) and the log's threshold. JSON-safe, sorted.

    Complexity: one trail read per case.
    """
    denied: Counter[tuple[str, str]] = Counter()
    reads: Counter[str] = Counter()
    grants: list[dict[str, Any]] = []
    with storage.unit_of_work() as uow:
        for case_id in sorted(case_ids):
            for entry in uow.audit.entries(case_id):
                if entry.action == "access_denied":
                    denied[(str(entry.detail["permission"]), directory.role_of(entry.actor))] += 1
                elif entry.action == "break_glass":
                    grants.append(
                        {
                            "who": entry.actor,
                            "case": case_id,
                            "reason": entry.detail["reason"],
                            "minutes": entry.detail["minutes"],
                            "expires_at": entry.detail["expires_at"],
                            "supervisor": entry.detail["supervisor"],
                        }
                    )
                elif entry.action in ("read", "reveal"):
                    reads[f"{entry.action} via {entry.detail['via']}"] += 1
    return {
        "denied": [
            {"permission": permission, "role": role, "count": count}
            for (permission, role), count in sorted(denied.items())
        ],
        "grants": sorted(grants, key=lambda grant: (grant["expires_at"], grant["who"])),
        "reads": dict(sorted(reads.items())),
        "log_from_sensitivity": INVESTIGATION_SENSITIVITY,
    }
