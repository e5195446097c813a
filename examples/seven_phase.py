"""The generic seven-phase case management process (domain.md §6), as a user case type.

Screening → Assessment → Risk determination → Planning → Implementation → Follow-up →
Evaluation, not linear: follow-up that finds the plan failed goes back to Planning. The risk
measure taken at risk determination sets the case's priority (which routing honours).

Run it: ``python examples/seven_phase.py``.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

import attrs

from casekit import ManualClock, Priority
from casekit.cases import Case, Owner, case_type
from casekit.errors import ValidationError
from casekit.lifecycle import Action, ActionContext, ActionResult, Guard, Lifecycle


class Phase(enum.StrEnum):
    """The seven phases, plus the two ways out."""

    SCREENING = "Screening"
    SCREENED_OUT = "Screened Out"
    ASSESSMENT = "Assessment"
    RISK_DETERMINATION = "Risk Determination"
    PLANNING = "Planning"
    IMPLEMENTATION = "Implementation"
    FOLLOW_UP = "Follow-up"
    EVALUATION = "Evaluation"
    CLOSED = "Closed"


def risk_priority(score: int) -> Priority:
    """Triage: a risk score from 0 to 100 sets the priority."""
    if not 0 <= score <= 100:
        raise ValidationError(f"risk score must be 0..100, got {score}")
    if score >= 80:
        return Priority.URGENT
    if score >= 60:
        return Priority.HIGH
    if score >= 30:
        return Priority.NORMAL
    return Priority.LOW


def _has_goals(case: SevenPhaseCase, ctx: ActionContext) -> bool:
    return bool(case.goals)


def _apply_risk(case: SevenPhaseCase, ctx: ActionContext) -> None:
    score = ctx.params.get("score")
    if not isinstance(score, int):
        raise ValidationError(f"determine_risk needs score=<int 0..100>, got {score!r}")
    case.risk_score = score
    case.set_priority(risk_priority(score), actor=ctx.actor, reason=f"risk score {score}")


SEVEN_PHASES: Lifecycle[SevenPhaseCase] = Lifecycle(
    name="Seven-Phase Case",
    statuses=Phase,
    initial=Phase.SCREENING,
    final=frozenset({Phase.SCREENED_OUT, Phase.CLOSED}),
    actions=(
        Action("screen_in", Phase.SCREENING, Phase.ASSESSMENT),
        Action("screen_out", Phase.SCREENING, Phase.SCREENED_OUT, reason_required=True),
        Action("assess", Phase.ASSESSMENT, Phase.RISK_DETERMINATION),
        Action("determine_risk", Phase.RISK_DETERMINATION, Phase.PLANNING, effects=(_apply_risk,)),
        Action(
            "implement",
            Phase.PLANNING,
            Phase.IMPLEMENTATION,
            guards=(Guard(_has_goals, "the plan has no goals yet"),),
        ),
        Action("follow_up", Phase.IMPLEMENTATION, Phase.FOLLOW_UP),
        Action("replan", Phase.FOLLOW_UP, Phase.PLANNING, reason_required=True),
        Action("evaluate", Phase.FOLLOW_UP, Phase.EVALUATION),
        Action("close", Phase.EVALUATION, Phase.CLOSED),
    ),
)


@case_type(SEVEN_PHASES, prefix="CM")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class SevenPhaseCase(Case[Phase]):
    """A case that follows the generic seven-phase process."""

    risk_score: int | None = None
    goals: list[str] = attrs.field(factory=list)

    def screen_in(self, *, actor: str) -> ActionResult:
        """Screening found a need: open the assessment."""
        return self.perform("screen_in", actor=actor)

    def determine_risk(self, score: int, *, actor: str) -> ActionResult:
        """Record the risk measure; it sets the priority."""
        return self.perform("determine_risk", actor=actor, score=score)

    def replan(self, *, actor: str, reason: str) -> ActionResult:
        """Follow-up found the plan failed: back to planning."""
        return self.perform("replan", actor=actor, reason=reason)


def main() -> None:
    """Run one case through the process, including the way back from follow-up."""
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    case = SevenPhaseCase.create(
        id="CM-1", owner=Owner.user("caseworker"), primary_client="client-7", clock=clock
    )
    case.screen_in(actor="caseworker")
    case.perform("assess", actor="caseworker")
    case.determine_risk(85, actor="caseworker")
    case.goals.extend(["stable housing", "income support"])
    for step in ("implement", "follow_up"):
        clock.advance(timedelta(days=14))
        case.perform(step, actor="caseworker")
    case.replan(actor="caseworker", reason="housing plan fell through")
    for step in ("implement", "follow_up", "evaluate", "close"):
        clock.advance(timedelta(days=14))
        case.perform(step, actor="caseworker")
    print(
        f"{case.id}: {case.status.value}, priority {case.priority.value} (risk {case.risk_score})"
    )
    for change in case.history:
        print(
            f"  {change.at:%Y-%m-%d}  {change.from_status:>18} → {change.to_status:<18}"
            f" {change.action}{'  (' + change.reason + ')' if change.reason else ''}"
        )
    print()
    print(SevenPhaseCase.to_mermaid())


if __name__ == "__main__":
    main()
