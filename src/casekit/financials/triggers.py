"""What can trigger a reassessment, and which case events do.

Seed 001: a change or addition of evidence or of a certification period (a "change in
circumstance"), the closure of the PDC, and a caseworker's manual request.
"""

from __future__ import annotations

import enum

from casekit.cases.events import EvidenceChanged
from casekit.cases.parts import StatusChange
from casekit.cases.product_delivery import PDCStatus
from casekit.checks import check_id

__all__ = ["ReassessmentTrigger", "trigger_for"]


class ReassessmentTrigger(enum.StrEnum):
    """What asked for a reassessment."""

    EVIDENCE_CHANGE = "Evidence Change"
    CERTIFICATION_CHANGE = "Certification Change"
    CLOSURE = "Closure"
    MANUAL = "Manual Request"


def trigger_for(event: object, *, case_id: str) -> ReassessmentTrigger | None:
    """The reassessment an event of the PDC ``case_id`` calls for, or None. O(1).

    An evidence change (added, corrected, ended, removed) of that PDC triggers one; so does
    that PDC's own status change into Closed. Events of any other case — a Payment
    Correction Case being closed once settled, another PDC's evidence — trigger nothing.
    Certification changes and manual requests have no event: pass
    `ReassessmentTrigger.CERTIFICATION_CHANGE` or `ReassessmentTrigger.MANUAL`
    yourself.

    Raises:
        ValidationError: A blank ``case_id``.
    """
    case_id = check_id(case_id, what="the case whose events trigger reassessment")
    if isinstance(event, EvidenceChanged):
        return ReassessmentTrigger.EVIDENCE_CHANGE if event.case_id == case_id else None
    if (
        isinstance(event, StatusChange)
        and event.case_id == case_id
        and event.to_status == PDCStatus.CLOSED.value
    ):
        return ReassessmentTrigger.CLOSURE
    return None
