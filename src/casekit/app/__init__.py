"""The application layer: cases, routing, financials, worklists and storage as one system.

```python
from casekit.app import Application, CaseRouting, RoutedStep
```

- [`Application`][casekit.app.Application]: one method per command; each loads, acts,
  lets the handlers react, saves, writes the outbox and commits in one unit of work, and
  publishes its events after the commit.
- [`CaseRouting`][casekit.app.CaseRouting], [`RoutedStep`][casekit.app.RoutedStep],
  [`RoutingDomain`][casekit.app.RoutingDomain]: which statuses of which case types wait in
  which routing domain, with which skills.
- The handlers (`casekit.app.handlers`) and the application's own events
  (`casekit.app.events`).
- Access: the access log and break-the-glass grants
  ([`BreakGlassGrant`][casekit.app.BreakGlassGrant], `casekit.app.access`) and the
  application's write-only vault view ([`SealingVault`][casekit.app.SealingVault]).
- Absences: `Application.apply_absences` makes a routing domain agree with an
  `AbsenceBook` ([`AbsenceReport`][casekit.app.AbsenceReport], `casekit.app.absences`).
- Escalation ladders of routing domains (`RoutingDomain.ladders`): rungs applied when the
  application ticks, audited (``escalation_rung``) and published
  ([`EscalationApplied`][casekit.app.EscalationApplied], `casekit.app.escalation`).
- SLA worklists fed by case events: [`SlaFeed`][casekit.app.SlaFeed] (`casekit.app.sla`).
- Bulk reassignment: [`Reassignment`][casekit.app.Reassignment], the resumable record of
  `Application.reassign_all` (`casekit.app.reassignment`).
"""

from casekit.app.absences import AbsenceReport
from casekit.app.access import BreakGlassGrant
from casekit.app.application import AUTOMATIC_CLOSURE, ROUTING_TIMER, Application
from casekit.app.config import CaseRouting, RoutedStep, RoutingDomain
from casekit.app.events import (
    BreakGlassGranted,
    BreakGlassRevoked,
    CaseOpened,
    EscalationApplied,
    PaymentIssued,
    ReassessmentApplied,
    cloud_event_parts,
)
from casekit.app.reassignment import Reassignment, ReassignmentPhase
from casekit.app.session import Session
from casekit.app.sla import SlaFeed
from casekit.app.vault import SealingVault

__all__ = [
    "AUTOMATIC_CLOSURE",
    "ROUTING_TIMER",
    "AbsenceReport",
    "Application",
    "BreakGlassGrant",
    "BreakGlassGranted",
    "BreakGlassRevoked",
    "CaseOpened",
    "CaseRouting",
    "EscalationApplied",
    "PaymentIssued",
    "ReassessmentApplied",
    "Reassignment",
    "ReassignmentPhase",
    "RoutedStep",
    "RoutingDomain",
    "SealingVault",
    "Session",
    "SlaFeed",
    "cloud_event_parts",
]
