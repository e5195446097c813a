"""Cases: the case model and the built-in case types."""

from __future__ import annotations

from casekit.cases.base import CASE_TYPES, Case, case_type, new_case_id
from casekit.cases.events import EvidenceChanged, OwnerChanged, PriorityChanged, TaskChanged
from casekit.cases.evidence import Evidence, EvidenceLog
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
from casekit.cases.product_delivery import (
    ClosureReason,
    DeferredStep,
    PDCStatus,
    ProductDeliveryCase,
)

__all__ = [
    "CASE_TYPES",
    "Case",
    "CaseLink",
    "CaseRoles",
    "Certification",
    "ClosureReason",
    "Communication",
    "DeferredStep",
    "Evidence",
    "EvidenceChanged",
    "EvidenceLog",
    "LinkKind",
    "Milestone",
    "MilestoneKind",
    "MilestoneStatus",
    "Note",
    "OrgStructure",
    "Owner",
    "OwnerChanged",
    "OwnerKind",
    "OwnershipStrategy",
    "PDCStatus",
    "Participant",
    "ParticipantRole",
    "PriorityChanged",
    "ProductDeliveryCase",
    "RegisteringUser",
    "ReportingLines",
    "StatusChange",
    "Task",
    "TaskChanged",
    "TaskStatus",
    "case_type",
    "new_case_id",
]
