"""Caseload worklists and SLAs: business calendars, SLA policies, outreach, productivity.

See ``docs/worklists.md``. The entry point is [`Caseload`][]; the job aid's rules ship as
`DEFAULT_POLICIES`.
"""

from __future__ import annotations

from casekit.worklists.absence import (
    Absence,
    AbsenceBook,
    AbsenceKind,
    AbsenceRule,
    Delegate,
    DelegateKind,
    Disposition,
    HeldWork,
    Placement,
    WorkKind,
    place_work,
)
from casekit.worklists.calendar import MONDAY_TO_FRIDAY, BusinessCalendar, Shift
from casekit.worklists.calendars import CalendarRegistry, CaseParties
from casekit.worklists.caseload import Caseload, Changes, WorklistView
from casekit.worklists.defaults import (
    CATEGORY_1,
    CATEGORY_2,
    CATEGORY_3,
    DEFAULT_CATEGORIES,
    DEFAULT_POLICIES,
    LOW,
    MEDIUM,
    Signal,
)
from casekit.worklists.escalation import (
    Escalation,
    EscalationBus,
    Escalator,
    Subscriber,
    router_escalation,
)
from casekit.worklists.outreach import ContactRecord, Outcome, OutreachLog, Tally
from casekit.worklists.pauses import Pause, PauseRule, SlaClock
from casekit.worklists.productivity import (
    DEFAULT_GOALS,
    ContactPlan,
    DayProgress,
    Goals,
    WeekProgress,
    day_progress,
    plan_daily_contacts,
    week_progress,
)
from casekit.worklists.sla import (
    PRIOR_OUTREACH_FLAG,
    Anchor,
    CalendarOwner,
    CaseLike,
    Category,
    Condition,
    DueWindow,
    PolicySet,
    SlaEvent,
    SlaPolicy,
    Trigger,
    WindowUnit,
)
from casekit.worklists.worklist import OverdueItem, WorkItem, Worklists

__all__ = [
    "CATEGORY_1",
    "CATEGORY_2",
    "CATEGORY_3",
    "DEFAULT_CATEGORIES",
    "DEFAULT_GOALS",
    "DEFAULT_POLICIES",
    "LOW",
    "MEDIUM",
    "MONDAY_TO_FRIDAY",
    "PRIOR_OUTREACH_FLAG",
    "Absence",
    "AbsenceBook",
    "AbsenceKind",
    "AbsenceRule",
    "Anchor",
    "BusinessCalendar",
    "CalendarOwner",
    "CalendarRegistry",
    "CaseLike",
    "CaseParties",
    "Caseload",
    "Category",
    "Changes",
    "Condition",
    "ContactPlan",
    "ContactRecord",
    "DayProgress",
    "Delegate",
    "DelegateKind",
    "Disposition",
    "DueWindow",
    "Escalation",
    "EscalationBus",
    "Escalator",
    "Goals",
    "HeldWork",
    "Outcome",
    "OutreachLog",
    "OverdueItem",
    "Pause",
    "PauseRule",
    "Placement",
    "PolicySet",
    "Shift",
    "Signal",
    "SlaClock",
    "SlaEvent",
    "SlaPolicy",
    "Subscriber",
    "Tally",
    "Trigger",
    "WeekProgress",
    "WindowUnit",
    "WorkItem",
    "WorkKind",
    "WorklistView",
    "Worklists",
    "day_progress",
    "place_work",
    "plan_daily_contacts",
    "router_escalation",
    "week_progress",
]
