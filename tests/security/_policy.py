"""A realistic policy for the security tests (the benchmark declares one like it)."""

from __future__ import annotations

from casekit.security import (
    AccessPolicy,
    Deny,
    Grant,
    LocationMode,
    Permission,
    Relationship,
)

PDC = "Product Delivery Case"
INVESTIGATION = "Investigation Case"
BENEFIT_CASES = {
    PDC,
    "Application Case",
    "Integrated Case",
    "Screening Case",
    "Assessment Case",
    "Payment Correction Case",
}
R = Relationship
P = Permission

RULES = [
    Grant(
        name="staff read benefit cases",
        roles={"caseworker", "supervisor", "clerk"},
        permissions=P.READ,
        case_types=BENEFIT_CASES,
    ),
    Grant(
        name="caseworkers work their cases",
        roles="caseworker",
        permissions={P.PERFORM, P.EDIT, P.ROUTE},
        relationship=R.OWNER | R.MEMBER | R.TASK_ASSIGNEE,
    ),
    Grant(name="caseworkers open cases", roles="caseworker", permissions=P.CREATE),
    Grant(
        name="supervisors decide",
        roles="supervisor",
        permissions=P.PERFORM,
        case_types={PDC, "Payment Correction Case"},
        actions={"approve", "reject"},
        relationship=R.SUPERVISOR,
    ),
    Grant(
        name="supervisors assign",
        roles="supervisor",
        permissions={P.ASSIGN, P.ROUTE, P.APPROVE},
        relationship=R.SUPERVISOR | R.MEMBER,
    ),
    Grant(
        name="investigators investigate",
        roles="investigator",
        permissions={P.READ, P.PERFORM, P.EDIT},
        case_types={INVESTIGATION, "Issue Case"},
        relationship=R.OWNER | R.MEMBER | R.SUPERVISOR | R.REVIEWER,
    ),
    Grant(
        name="owners reveal",
        roles={"caseworker", "investigator"},
        permissions=P.REVEAL,
        relationship=R.OWNER,
    ),
    Grant(name="auditors read and export", roles="auditor", permissions={P.READ, P.EXPORT}),
    Grant(
        name="SNAP clerks edit queue cases",
        roles="clerk",
        permissions=P.EDIT,
        programs="SNAP",
        relationship=R.MEMBER,
    ),
    Deny(
        name="no work on your own case",
        permissions=set(Permission) - {P.READ},
        relationship=R.PARTICIPANT,
    ),
    Deny(
        name="investigations stay with investigators",
        roles={"caseworker", "clerk", "supervisor"},
        permissions=set(Permission),
        case_types=INVESTIGATION,
    ),
]

POLICY = AccessPolicy(RULES, location_mode=LocationMode.RESTRICTED_VIEW)
