"""Case classification, dispositions and QC (domain.md §5).

A taxonomy tree (Record Type → Category → Sub-Category → Disposition → Child Disposition)
whose disposition rules generate the status and owner queue; subject and documentation
templates whose sensitive fields are only ever shown masked; procedures (QC vetting, hand-off
and return, outreach attempts) declared as steps; saved reports with CSV and DataFrame export.
"""

from __future__ import annotations

from casekit.classification.case import ClassifiedCase
from casekit.classification.dispositions import (
    admit,
    apply_rule,
    check_documentation,
    classify,
    classify_action,
    document,
)
from casekit.classification.flows import Assignee, Flow, Step, TaskSpec
from casekit.classification.levels import LEVELS, NA, Classification
from casekit.classification.reports import COLUMNS, Report, SavedReport, neutralise
from casekit.classification.sensitive import (
    DEFAULT_VAULT,
    MASK,
    MemoryVault,
    Sensitive,
    Vault,
    mask,
)
from casekit.classification.taxonomy import Rule, Taxonomy
from casekit.classification.templates import DocTemplate, Documentation, Field

__all__ = [
    "COLUMNS",
    "DEFAULT_VAULT",
    "LEVELS",
    "MASK",
    "NA",
    "Assignee",
    "Classification",
    "ClassifiedCase",
    "DocTemplate",
    "Documentation",
    "Field",
    "Flow",
    "MemoryVault",
    "Report",
    "Rule",
    "SavedReport",
    "Sensitive",
    "Step",
    "TaskSpec",
    "Taxonomy",
    "Vault",
    "admit",
    "apply_rule",
    "check_documentation",
    "classify",
    "classify_action",
    "document",
    "mask",
    "neutralise",
]
