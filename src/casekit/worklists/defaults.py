"""The default SLA policy set: every rule of the caseload job aid (domain brief §4, seed 003).

Five categories, ranked as the job aid's columns: High #1 (within 72 hours), High #2 (within
1–7 days), High #3 (within 1–7 weeks), Medium (maintenance, engaged clients) and Low (active
but unengaged clients). Each policy below names its rule in ``rule``; the tests name the same
rules.

Decisions where the job aid is silent:

* "Within 1–7 days" and "1–7 weeks" are due at the upper bound: 7 calendar days, 7 weeks.
* New-client outreach and engagement continues until the client engages: each unsuccessful
  attempt restarts the 7-day clock; a successful contact satisfies it and starts maintenance.
* "Act before coverage lapses" is due at the lapse instant; "disenrol as soon as possible" is
  due at the close of the next business day.
* Clients with all goals completed (seed 003's Low column) get a well-being check-in every
  60 days (the column's cadence); a new goal stops it and opens a category 2 request.
* A client with no recorded outreach is one with none in this caseload and none flagged on the
  transfer event (``flags={"prior_outreach"}``).
"""

from __future__ import annotations

import enum

from casekit.priority import Priority
from casekit.worklists.sla import (
    PRIOR_OUTREACH_FLAG,
    Anchor,
    Category,
    Condition,
    DueWindow,
    PolicySet,
    SlaPolicy,
    Trigger,
)

__all__ = [
    "CATEGORY_1",
    "CATEGORY_2",
    "CATEGORY_3",
    "DEFAULT_CATEGORIES",
    "DEFAULT_POLICIES",
    "LOW",
    "MEDIUM",
    "PRIOR_OUTREACH_FLAG",
    "Signal",
]


class Signal(enum.StrEnum):
    """The event kinds the default policies react to."""

    HIGH_RISK_EVENT = "high_risk_event"
    INCOMING_MESSAGE = "incoming_message"
    OUTREACH_ATTEMPT = "outreach_attempt"
    SUCCESSFUL_CONTACT = "successful_contact"
    ENTERED_CASELOAD = "entered_caseload"
    TRANSFERRED_IN = "transferred_in"
    CLIENT_REQUEST = "client_request"
    REQUEST_ADDRESSED = "request_addressed"
    PROVIDER_REACHED_OUT = "provider_reached_out"
    PROVIDER_CONTACTED = "provider_contacted"
    CONSULT_NEEDED = "consult_needed"
    CONSULT_SUBMITTED = "consult_submitted"
    CONSULT_COMPLETED = "consult_completed"
    CONSULT_FOLLOWED_UP = "consult_followed_up"
    COVERAGE_LAPSE_NOTICE = "coverage_lapse_notice"
    COVERAGE_ACTION_TAKEN = "coverage_action_taken"
    DISENROLMENT_REQUESTED = "disenrolment_requested"
    DISENROLLED = "disenrolled"
    ENTERED_MAINTENANCE = "entered_maintenance"
    DISCHARGE_SCHEDULED = "discharge_scheduled"
    DISCHARGE_WORKFLOW_STARTED = "discharge_workflow_started"
    DISCHARGED = "discharged"
    MARKED_UNENGAGED = "marked_unengaged"
    NO_CONTACT_LETTER_SENT = "no_contact_letter_sent"
    CLIENT_REENGAGED = "client_reengaged"
    GOALS_COMPLETED = "goals_completed"
    NEW_GOAL = "new_goal"


S = Signal
OUTREACH = frozenset({S.OUTREACH_ATTEMPT, S.SUCCESSFUL_CONTACT})
LEAVING = frozenset({S.DISENROLLED, S.DISCHARGED})

CATEGORY_1 = Category(
    "High #1",
    1,
    Priority.HIGH,
    escalate_to=Priority.URGENT,
    description="within 72 hours: high-risk events, returning incoming calls",
)
CATEGORY_2 = Category(
    "High #2",
    2,
    Priority.HIGH,
    description="within 1–7 days: outreach & engagement, client requests, care coordination",
)
CATEGORY_3 = Category(
    "High #3",
    3,
    Priority.HIGH,
    description="within 1–7 weeks: consults & transfers, transferred clients, insurance status",
)
MEDIUM = Category(
    "Medium",
    4,
    Priority.NORMAL,
    description="maintenance phase, engaged clients: every 60 days on average",
)
LOW = Category(
    "Low",
    5,
    Priority.LOW,
    description="maintenance phase, active but unengaged clients: once every 60 days",
)
DEFAULT_CATEGORIES = (CATEGORY_1, CATEGORY_2, CATEGORY_3, MEDIUM, LOW)

DEFAULT_POLICIES = PolicySet(
    [
        SlaPolicy(
            "high-risk-event",
            CATEGORY_1,
            DueWindow.hours(72),
            starts_on=[S.HIGH_RISK_EVENT],
            satisfied_by=OUTREACH,
            stopped_by=LEAVING,
            rule="first outreach attempt within 72 hours of a high-risk event notification",
        ),
        SlaPolicy(
            "return-incoming",
            CATEGORY_1,
            DueWindow.hours(72),
            starts_on=[S.INCOMING_MESSAGE],
            satisfied_by=OUTREACH,
            stopped_by=LEAVING,
            rule="return incoming calls and messages within 72 hours",
        ),
        SlaPolicy(
            "new-client-outreach",
            CATEGORY_2,
            DueWindow.days(7),
            starts_on=[
                S.ENTERED_CASELOAD,
                Trigger(S.TRANSFERRED_IN, Condition.NO_PRIOR_OUTREACH),
                S.CLIENT_REENGAGED,
            ],
            satisfied_by=[S.SUCCESSFUL_CONTACT],
            renewed_by=[S.OUTREACH_ATTEMPT],
            stopped_by=LEAVING | {S.MARKED_UNENGAGED, S.NO_CONTACT_LETTER_SENT},
            then="maintenance",
            rule=(
                "start outreach and engagement within 7 days of a new client entering the "
                "caseload, and continue until engaged or disenrolled; a transfer with no "
                "outreach yet is treated as a new client; a client who calls back to re-engage "
                "moves to category 2"
            ),
        ),
        SlaPolicy(
            "client-request",
            CATEGORY_2,
            DueWindow.days(7),
            starts_on=[S.CLIENT_REQUEST, S.NEW_GOAL],
            satisfied_by=[S.REQUEST_ADDRESSED],
            stopped_by=LEAVING,
            outreach=False,
            rule=(
                "support a client's immediate goal, need or request within 7 days (a new goal "
                "of a client whose goals were all completed comes back to high priority)"
            ),
        ),
        SlaPolicy(
            "care-coordination",
            CATEGORY_2,
            DueWindow.days(7),
            starts_on=[S.PROVIDER_REACHED_OUT],
            satisfied_by=[S.PROVIDER_CONTACTED],
            stopped_by=LEAVING,
            outreach=False,
            rule="contact the other provider within a week of the provider reaching out",
        ),
        SlaPolicy(
            "consult-submit",
            CATEGORY_3,
            DueWindow.weeks(1),
            starts_on=[S.CONSULT_NEEDED],
            satisfied_by=[S.CONSULT_SUBMITTED],
            stopped_by=LEAVING,
            outreach=False,
            rule="submit a consult or transfer request within the first week the need is found",
        ),
        SlaPolicy(
            "consult-completion",
            CATEGORY_3,
            DueWindow.weeks(3),
            starts_on=[S.CONSULT_SUBMITTED],
            satisfied_by=[S.CONSULT_COMPLETED],
            stopped_by=LEAVING,
            outreach=False,
            rule="allow 3 weeks for the consult to be completed",
        ),
        SlaPolicy(
            "consult-follow-up",
            CATEGORY_3,
            DueWindow.weeks(2),
            starts_on=[S.CONSULT_COMPLETED],
            satisfied_by=[S.CONSULT_FOLLOWED_UP],
            stopped_by=LEAVING,
            rule="follow up on the consult no later than 2 weeks after it was completed",
        ),
        SlaPolicy(
            "transfer-in",
            CATEGORY_3,
            DueWindow.weeks(7),
            starts_on=[Trigger(S.TRANSFERRED_IN, Condition.PRIOR_OUTREACH)],
            satisfied_by=[S.SUCCESSFUL_CONTACT],
            renewed_by=[S.OUTREACH_ATTEMPT],
            stopped_by=LEAVING | {S.MARKED_UNENGAGED, S.NO_CONTACT_LETTER_SENT},
            then="maintenance",
            rule=(
                "integrate a client transferred in (with outreach already) into the outreach "
                "schedule: a next outreach date within 7 weeks"
            ),
        ),
        SlaPolicy(
            "coverage-lapse",
            CATEGORY_3,
            DueWindow.days(0),
            starts_on=[S.COVERAGE_LAPSE_NOTICE],
            satisfied_by=[S.COVERAGE_ACTION_TAKEN],
            stopped_by=LEAVING,
            anchor=Anchor.REFERENCE,
            rule="follow up on insurance status before coverage lapses",
        ),
        SlaPolicy(
            "disenrolment-request",
            CATEGORY_3,
            DueWindow.business_days(1),
            starts_on=[S.DISENROLMENT_REQUESTED],
            satisfied_by=[S.DISENROLLED],
            stopped_by=[S.DISCHARGED],
            outreach=False,
            rule="act on a disenrolment request as soon as possible (next business day)",
        ),
        SlaPolicy(
            "maintenance",
            MEDIUM,
            DueWindow.days(60),
            starts_on=[S.ENTERED_MAINTENANCE],
            renewed_by=[S.SUCCESSFUL_CONTACT],
            stopped_by=LEAVING | {S.MARKED_UNENGAGED, S.NO_CONTACT_LETTER_SENT, S.GOALS_COMPLETED},
            rule="engaged clients in maintenance: a successful contact every 60 days",
        ),
        SlaPolicy(
            "discharge-workflow",
            MEDIUM,
            DueWindow.months(-2),
            starts_on=[S.DISCHARGE_SCHEDULED],
            satisfied_by=[S.DISCHARGE_WORKFLOW_STARTED],
            stopped_by=LEAVING,
            anchor=Anchor.REFERENCE,
            outreach=False,
            rule="start the discharge workflow 2 months before the discharge date",
        ),
        SlaPolicy(
            "unengaged-check-in",
            LOW,
            DueWindow.days(60),
            starts_on=[S.MARKED_UNENGAGED, S.NO_CONTACT_LETTER_SENT],
            renewed_by=[*OUTREACH, S.NO_CONTACT_LETTER_SENT],
            stopped_by=LEAVING | {S.CLIENT_REENGAGED},
            rule=(
                "active but unengaged clients: outreach once every 60 days; after the "
                "no-contact letter, next outreach every 60 days"
            ),
        ),
        SlaPolicy(
            "goals-completed-check-in",
            LOW,
            DueWindow.days(60),
            starts_on=[S.GOALS_COMPLETED],
            renewed_by=OUTREACH,
            stopped_by=LEAVING | {S.NEW_GOAL, S.MARKED_UNENGAGED, S.NO_CONTACT_LETTER_SENT},
            rule=(
                "clients with all goals completed: general well-being check-ins, next outreach "
                "dates set further out (every 60 days); a new goal goes back to high priority"
            ),
        ),
    ]
)
