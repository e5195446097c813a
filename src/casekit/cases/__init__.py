"""Cases: the case model and the built-in case types."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casekit.cases.application import (
    ApplicationCase,
    ApplicationStatus,
    Disposal,
    ProgramStatus,
)
from casekit.cases.approvals import APPROVAL_CHECKS, ApprovalCheck, declare_approval_check
from casekit.cases.base import CASE_TYPES, Case, Keep, case_type, new_case_id
from casekit.cases.events import (
    EvidenceChanged,
    OwnerChanged,
    PriorityChanged,
    SecurityChanged,
    TaskChanged,
)
from casekit.cases.evidence import Evidence, EvidenceLog
from casekit.cases.issue import (
    DEFAULT_RESOLUTIONS,
    Finding,
    InvestigationCase,
    InvestigationStatus,
    IssueCase,
    IssueStatus,
)
from casekit.cases.ownership import OrgStructure, OwnershipStrategy, RegisteringUser, ReportingLines
from casekit.cases.parts import (
    CaseLink,
    CaseRoles,
    Certification,
    Communication,
    LinkKind,
    Milestone,
    MilestoneKind,
    MilestoneStatus,
    Note,
    Owner,
    OwnerKind,
    Participant,
    ParticipantRole,
    StatusChange,
    Task,
    TaskStatus,
)
from casekit.cases.payment_correction import (
    CorrectionLine,
    CorrectionOutcome,
    PaymentCorrectionCase,
    PCCStatus,
)
from casekit.cases.product_delivery import (
    ClosureReason,
    DeferredStep,
    PDCStatus,
    ProductDeliveryCase,
)
from casekit.cases.simple import (
    AssessmentCase,
    EligibilityResult,
    IntegratedCase,
    IntegratedStatus,
    OpenClosedStatus,
    ScreeningCase,
)

if TYPE_CHECKING:
    from casekit.cases.notebook import (
        case_html,
        case_summary,
        cases_to_dataframe,
        cases_to_records,
    )

# Presentation helpers, imported from casekit.cases.notebook on first use (like every
# notebook module: see casekit.notebook).
_NOTEBOOK = frozenset({"case_html", "case_summary", "cases_to_dataframe", "cases_to_records"})


def __getattr__(name: str) -> object:
    if name in _NOTEBOOK:
        from casekit.cases import notebook  # noqa: PLC0415  presentation, on use

        return getattr(notebook, name)
    raise AttributeError(f"module 'casekit.cases' has no attribute {name!r}")


__all__ = [
    "APPROVAL_CHECKS",
    "CASE_TYPES",
    "DEFAULT_RESOLUTIONS",
    "ApplicationCase",
    "ApplicationStatus",
    "ApprovalCheck",
    "AssessmentCase",
    "Case",
    "CaseLink",
    "CaseRoles",
    "Certification",
    "ClosureReason",
    "Communication",
    "CorrectionLine",
    "CorrectionOutcome",
    "DeferredStep",
    "Disposal",
    "EligibilityResult",
    "Evidence",
    "EvidenceChanged",
    "EvidenceLog",
    "Finding",
    "IntegratedCase",
    "IntegratedStatus",
    "InvestigationCase",
    "InvestigationStatus",
    "IssueCase",
    "IssueStatus",
    "Keep",
    "LinkKind",
    "Milestone",
    "MilestoneKind",
    "MilestoneStatus",
    "Note",
    "OpenClosedStatus",
    "OrgStructure",
    "Owner",
    "OwnerChanged",
    "OwnerKind",
    "OwnershipStrategy",
    "PCCStatus",
    "PDCStatus",
    "Participant",
    "ParticipantRole",
    "PaymentCorrectionCase",
    "PriorityChanged",
    "ProductDeliveryCase",
    "ProgramStatus",
    "RegisteringUser",
    "ReportingLines",
    "ScreeningCase",
    "SecurityChanged",
    "StatusChange",
    "Task",
    "TaskChanged",
    "TaskStatus",
    "case_html",
    "case_summary",
    "case_type",
    "cases_to_dataframe",
    "cases_to_records",
    "declare_approval_check",
    "new_case_id",
]
