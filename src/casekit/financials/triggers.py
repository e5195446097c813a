"""What can trigger a reassessment, and which case events do.

Seed 001: a change or addition of evidence or of a certification period (a "change in
circumstance"), the closure of the PDC, and a caseworker's manual request.
"""

from __future__ import annotations

import enum

from casekit.cases.events import EvidenceChanged
from casekit.cases.parts import StatusChange

__all__ = ["ReassessmentTrigger", "trigger_for"]


class ReassessmentTrigger(enum.StrEnum):
    """What asked for a reassessment."""

    EVIDENCE_CHANGE = "Evidence Change"
    CERTIFICATION_CHANGE = "Certification Change"
    CLOSURE = "Closure"
    MANUAL = "Manual Request"


def trigger_for(event: object) -> ReassessmentTrigger | None:
    """The reassessment a case event calls for, or None. O(1).

    An evidence change (added, corrected, ended, removed) triggers one; so does a status
    change into Closed. Certification changes and manual requests have no event: pass
    :attr:`ReassessmentTrigger.CERTIFICATION_CHANGE` or :attr:`ReassessmentTrigger.MANUAL`
    yourself.
    """
    if isinstance(event, EvidenceChanged):
        return ReassessmentTrigger.EVIDENCE_CHANGE
    if isinstance(event, StatusChange) and event.to_status == "Closed":
        return ReassessmentTrigger.CLOSURE
    return None
