"""The simple case types: Integrated, Screening and Assessment cases.

An Integrated Case is a container for the cases of one or more household members (each
member case keeps its own lifecycle); Screening and Assessment cases hold evidence and
(potential) eligibility results for one or several programs. An Assessment never creates a
product delivery case.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from casekit.cases.base import Case, case_type
from casekit.cases.parts import LinkKind
from casekit.checks import check_bool, check_free_text, check_instance, check_text
from casekit.errors import ValidationError
from casekit.lifecycle import Action, ActionResult, Lifecycle

__all__ = [
    "AssessmentCase",
    "EligibilityResult",
    "IntegratedCase",
    "IntegratedStatus",
    "OpenClosedStatus",
    "ScreeningCase",
]


class IntegratedStatus(enum.StrEnum):
    """Statuses of an integrated case."""

    OPEN = "Open"
    CLOSED = "Closed"


class OpenClosedStatus(enum.StrEnum):
    """Statuses of screening and assessment cases."""

    OPEN = "Open"
    CLOSED = "Closed"


INTEGRATED_LIFECYCLE: Lifecycle[IntegratedCase] = Lifecycle(
    name="Integrated Case",
    statuses=IntegratedStatus,
    initial=IntegratedStatus.OPEN,
    actions=(
        Action("close", IntegratedStatus.OPEN, IntegratedStatus.CLOSED, params=()),
        Action("reopen", IntegratedStatus.CLOSED, IntegratedStatus.OPEN, params=()),
    ),
)


@case_type(INTEGRATED_LIFECYCLE, prefix="IC")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class IntegratedCase(Case[IntegratedStatus]):
    """A container for the cases of one or more household members."""

    @property
    def member_case_ids(self) -> tuple[str, ...]:
        """The ids of the member cases (PDCs and others), in the order they were added."""
        return self.related(LinkKind.HAS_MEMBER)

    def add_member_case(self, member: Case[Any]) -> None:
        """Make ``member`` a member case of this integrated case (both sides linked)."""
        check_instance(member, Case, what=f"a member case of {self.id}")
        if member is self:
            raise ValidationError(f"{self.id} cannot be a member of itself")
        self.link(LinkKind.HAS_MEMBER, member.id)
        member.link(LinkKind.MEMBER_OF, self.id)

    def close(self, *, actor: str, reason: str | None = None) -> ActionResult:
        """Close (Open → Closed)."""
        return self.perform("close", actor=actor, reason=reason)

    def reopen(self, *, actor: str, reason: str | None = None) -> ActionResult:
        """Reopen (Closed → Open)."""
        return self.perform("reopen", actor=actor, reason=reason)


@attrs.frozen(slots=True)
class EligibilityResult:
    """A (potential) eligibility result for one program."""

    program: str
    eligible: bool
    detail: str = ""


def _open_closed(name: str) -> Lifecycle[Case[OpenClosedStatus]]:
    return Lifecycle(
        name=name,
        statuses=OpenClosedStatus,
        initial=OpenClosedStatus.OPEN,
        final=frozenset({OpenClosedStatus.CLOSED}),
        actions=(Action("close", OpenClosedStatus.OPEN, OpenClosedStatus.CLOSED, params=()),),
    )


@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class _EligibilityCase(Case[OpenClosedStatus]):
    """Shared by screening and assessment: evidence plus eligibility results per program."""

    _results: dict[str, EligibilityResult] = attrs.field(factory=dict, alias="results")

    @property
    def results(self) -> tuple[EligibilityResult, ...]:
        """The eligibility results, one per program."""
        return tuple(self._results.values())

    def record_result(self, program: str, *, eligible: bool, detail: str = "") -> EligibilityResult:
        """Record (or replace) the eligibility result for ``program`` while Open."""
        check_text(program, what=f"the program of an eligibility result on {self.id}")
        check_bool(eligible, what=f"eligible ({program} on {self.id})")
        check_free_text(detail, what=f"detail ({program} on {self.id})")
        if self.status is not OpenClosedStatus.OPEN:
            raise ValidationError(
                f"{self.id} is {self.status.value}; results change only while Open"
            )
        result = EligibilityResult(program, eligible, detail)
        self._results[program] = result
        self._now()
        return result

    def close(self, *, actor: str, reason: str | None = None) -> ActionResult:
        """Close (Open → Closed)."""
        return self.perform("close", actor=actor, reason=reason)


@case_type(_open_closed("Screening Case"), prefix="SCR")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class ScreeningCase(_EligibilityCase):
    """Screens a client for one or several programs (potential eligibility)."""


@case_type(_open_closed("Assessment Case"), prefix="ASM")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class AssessmentCase(_EligibilityCase):
    """Assesses a client's needs and eligibility; never creates a product delivery case."""
