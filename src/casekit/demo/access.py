"""Who works in the demo office and what each may do: its principals and its access policy.

The office's people are principals (`casekit.security.Principal`):

- **caseworkers** — the simulated staff (``staff-001`` …), clearance 2 (3 for those who
  review), in one of two teams: ``benefits-east`` (location ``north``), reporting to
  ``supervisor-1``, and ``benefits-west`` (``south``), reporting to ``supervisor-2``;
  those with the reviewer skill also hold the ``reviewer`` role;
- **supervisors** — ``supervisor-1`` and ``supervisor-2``, clearance 3;
- **intake** — who registers the applications, clearance 2;
- **the investigations unit** — ``investigator-1`` and ``investigator-2``, clearance 4, in
  the org unit ``investigations``, which owns every Investigation Case;
- **duty managers** — ``duty-manager-1`` and ``duty-manager-2``, clearance 4, with no access
  of their own to any case: they may only break the glass;
- **declared automatic checks** (`Principal.system`) for what nobody does by hand: the
  submission processing, the SLA monitor, the caseload migration and the payment run.

Every Investigation Case is at sensitivity 4 (its case type's ``default_sensitivity``:
allegations of fraud), every other case at 1. The policy ([`office_policy`][]) grants each
role what its work needs and no more, and keeps investigations inside the unit twice over:
no grant outside the unit names them, a deny rule refuses them to the benefits staff, and
their sensitivity is above every benefits clearance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from casekit.cases import InvestigationCase
from casekit.security import (
    AccessPolicy,
    Deny,
    Grant,
    Permission,
    Principal,
    Relationship,
)

__all__ = [
    "CASEWORK",
    "INVESTIGATION",
    "INVESTIGATION_SENSITIVITY",
    "Directory",
    "office_policy",
]

CASEWORK = (
    "Application Case",
    "Integrated Case",
    "Product Delivery Case",
    "Payment Correction Case",
)
"""The benefits office's case types."""

INVESTIGATION = "Investigation Case"
INVESTIGATION_SENSITIVITY = InvestigationCase.default_sensitivity
"""An investigation's sensitivity, 4: above every benefits clearance (2–3)."""

_TEAMS = (("supervisor-1", "benefits-east", "north"), ("supervisor-2", "benefits-west", "south"))


def office_policy() -> AccessPolicy:
    """The office's access policy: default deny, a grant per job, investigations locked."""
    P, R = Permission, Relationship  # noqa: N806  (as the security docs write them)
    return AccessPolicy(
        [
            Grant(name="staff read casework", roles={"caseworker", "supervisor"},
                  permissions=P.READ, case_types=CASEWORK),
            Grant(name="caseworkers edit their cases", roles="caseworker", permissions=P.EDIT,
                  case_types=CASEWORK, relationship=R.OWNER | R.MEMBER | R.TASK_ASSIGNEE),
            Grant(name="whoever accepts an offer takes the application", roles="caseworker",
                  permissions=P.ASSIGN, case_types="Application Case"),
            Grant(name="reviewers dispose of their applications", roles="reviewer",
                  permissions=P.PERFORM, case_types="Application Case", actions="dispose",
                  relationship=R.OWNER),
            Grant(name="owners submit and activate their benefits", roles="caseworker",
                  permissions=P.PERFORM, case_types="Product Delivery Case",
                  actions={"submit", "activate"}, relationship=R.OWNER),
            Grant(name="supervisors approve their team's benefits", roles="supervisor",
                  permissions=P.PERFORM, case_types="Product Delivery Case",
                  actions={"approve", "reject"}, relationship=R.SUPERVISOR),
            Grant(name="supervisors assign", roles="supervisor", permissions=P.ASSIGN,
                  case_types=CASEWORK),
            Grant(name="intake registers applications", roles="intake",
                  permissions={P.CREATE, P.EDIT}, case_types="Application Case"),
            Grant(name="submission processing", roles="submission processing",
                  permissions=P.PERFORM, case_types="Application Case",
                  actions={"submit", "submission_succeeded", "submission_failed"}),
            Grant(name="the SLA monitor escalates applications", roles="sla monitor",
                  permissions=P.EDIT, case_types="Application Case"),
            Grant(name="the migration loads the caseload", roles="migration",
                  permissions={P.CREATE, P.EDIT}, case_types="Product Delivery Case"),
            Grant(name="the migration submits and activates", roles="migration",
                  permissions=P.PERFORM, case_types="Product Delivery Case",
                  actions={"submit", "activate"}),
            Grant(name="the payment run pays benefits", roles="payment run", permissions=P.EDIT,
                  case_types="Product Delivery Case"),
            Grant(name="investigators work the unit's investigations", roles="investigator",
                  permissions={P.READ, P.CREATE, P.EDIT, P.PERFORM, P.ASSIGN, P.REVEAL},
                  case_types=INVESTIGATION, relationship=R.OWNER | R.MEMBER),
            Grant(name="investigators read casework", roles="investigator", permissions=P.READ,
                  case_types=CASEWORK),
            Grant(name="duty managers may break the glass", roles="duty manager",
                  permissions=P.BREAK_GLASS),
            Deny(name="investigations stay in the unit",
                 roles={"caseworker", "reviewer", "supervisor", "intake"},
                 permissions=set(Permission) - {P.BREAK_GLASS}, case_types=INVESTIGATION),
        ]
    )  # fmt: skip


class Directory:
    """The office's principals, by id: the staff given, and everyone else the office has.

    Args:
        staff: The simulated staff's ids and skills (``staff-001`` → ``{"reviewer": 1}``).
            The n-th (from 0) works in team ``n % 2``, as `casekit.demo.casework` draws the
            reporting lines.
    """

    INTAKE = Principal("intake", {"intake"}, org_unit="benefits-intake", location="north",
                       clearance=2)  # fmt: skip
    SUBMISSIONS = Principal.system("submission-processing", roles={"submission processing"})
    SLA_MONITOR = Principal.system("sla-monitor", roles={"sla monitor"})
    MIGRATION = Principal.system("caseload-migration", roles={"migration"})
    PAYMENT_RUN = Principal.system("payment-run", roles={"payment run"})
    PAYMENT_CHECK = Principal.system("payment-verification", roles={"payment run"})
    INVESTIGATORS = tuple(
        Principal(f"investigator-{n}", {"investigator"}, org_unit="investigations",
                  location="north", clearance=4)
        for n in (1, 2)
    )  # fmt: skip
    DUTY_MANAGERS = tuple(
        Principal(f"duty-manager-{n}", {"duty manager"}, org_unit="office-management",
                  location=location, clearance=4)
        for n, location in ((1, "north"), (2, "south"))
    )  # fmt: skip

    def __init__(self, staff: Sequence[tuple[str, Mapping[str, int]]]) -> None:
        people: dict[str, Principal] = {}
        for n, (person, skills) in enumerate(staff):
            _, unit, location = _TEAMS[n % 2]
            reviews = "reviewer" in skills
            people[person] = Principal(
                person,
                {"caseworker", "reviewer"} if reviews else {"caseworker"},
                org_unit=unit,
                location=location,
                clearance=3 if reviews else 2,
            )
        for supervisor, unit, location in _TEAMS:
            people[supervisor] = Principal(
                supervisor, {"supervisor"}, org_unit=unit, location=location, clearance=3
            )
        for principal in (self.INTAKE, *self.INVESTIGATORS, *self.DUTY_MANAGERS):
            people[principal.id] = principal
        self._people = people
        self.staff = tuple(person for person, _ in staff)
        self._teams = {person: n % 2 for n, person in enumerate(self.staff)}
        automatic = (
            self.SUBMISSIONS,
            self.SLA_MONITOR,
            self.MIGRATION,
            self.PAYMENT_RUN,
            self.PAYMENT_CHECK,
        )
        self._recorded = {f"check:{p.id}": p for p in automatic} | people

    def __getitem__(self, person: str) -> Principal:
        """The principal of a person (``staff-001``, ``supervisor-1`` …).

        Raises:
            KeyError: No such person in the office.
        """
        return self._people[person]

    def supervisor_of(self, person: str) -> Principal:
        """The supervisor of a member of staff: of their team (``n % 2``, see above).

        Raises:
            KeyError: No such member of staff.
        """
        if person not in self._teams:
            raise KeyError(person)
        return self._people[_TEAMS[self._teams[person]][0]]

    def recorded(self, actor: str) -> Principal | None:
        """The principal an audit entry's actor stands for (``check:payment-run`` too)."""
        return self._recorded.get(actor)

    def role_of(self, actor: str) -> str:
        """The roles of the principal an audit entry names, as one label (``"caseworker"``)."""
        principal = self.recorded(actor)
        return "unknown" if principal is None else ", ".join(sorted(principal.roles))

    def people(self) -> Iterable[Principal]:
        """Every person of the office, by id."""
        return (self._people[person] for person in sorted(self._people))
