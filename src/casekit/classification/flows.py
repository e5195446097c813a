"""Procedures as configuration: named steps that move a classified case through its taxonomy.

A [`Step`][] says which dispositions it applies to, where it puts the case (one
classification, or a ladder of attempts where each run moves one rung up), whom it gives a
task (a fixed team, or the case's supervisor) and which open task it closes. A [`Flow`][]
turns its steps into lifecycle actions, one per step, so every run is atomic and recorded in
the case's history under the step's name. The seed's QC vetting, State Monitor hand-off and
return, and two-attempt supervisor outreach are all instances (see ``docs/classification.md``).

Complexity: a run is O(T) for the case's T tasks plus the action's constant work.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from casekit.cases import Task, TaskStatus
from casekit.checks import (
    attrs_check,
    check_actor,
    check_bool,
    check_free_text,
    check_instance,
    check_optional_text,
    check_text,
)
from casekit.classification.case import ClassifiedCase
from casekit.classification.dispositions import admit, apply_rule, statuses_from
from casekit.classification.levels import Classification
from casekit.classification.taxonomy import Rule, Taxonomy
from casekit.errors import GuardRejected, NotFound, ValidationError, allowed_list
from casekit.lifecycle import Action, ActionContext, ActionResult, Guard

__all__ = ["Assignee", "Flow", "Step", "TaskSpec"]

logger = logging.getLogger(__name__)


class Assignee(enum.Enum):
    """Whom a step's task goes to, when it is a role on the case rather than a fixed id."""

    SUPERVISOR = "supervisor"
    OWNER = "owner"


def _assignee(instance: object, attribute: object, value: Any) -> None:
    if not isinstance(value, Assignee):
        check_text(value, what="a task's assignee (a user or team id, or an Assignee)")


@attrs.frozen(slots=True)
class TaskSpec:
    """The task a step gives.

    Attributes:
        title: The task's title (``"Consumer outreach"``).
        assignee: A user or team id, or a role on the case ([`Assignee`][]).
        kind: The task's kind, by which a later step finds and closes it.
    """

    title: str = attrs.field(validator=attrs_check(check_text))
    assignee: str | Assignee = attrs.field(validator=_assignee)
    kind: str = attrs.field(default="work", validator=attrs_check(check_text))


def _paths(value: Iterable[Classification | str] | str) -> tuple[Classification, ...]:
    if isinstance(value, str | Classification):
        items: tuple[object, ...] = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, Mapping):
        items = tuple(value)
    else:
        raise ValidationError(
            f"a step's classifications must be a path or a collection of paths, got {value!r:.80}"
        )
    return tuple(Classification.parse(item) for item in items)  # type: ignore[arg-type]


def _task(instance: object, attribute: object, value: Any) -> None:
    if value is not None:
        check_instance(value, TaskSpec, what="a step's task")


@attrs.frozen(slots=True)
class Step:
    """One step of a procedure.

    Attributes:
        name: The step's name; also its lifecycle action's name (a Python identifier).
        applies_to: The classifications a case must be in (full paths; trailing ``NA`` may
            be left out).
        to: Where the step puts the case: one classification, or a ladder of several where
            each run moves one rung up (outreach attempts); empty leaves it where it is.
        task: The task the step gives, if any.
        completes: The kind of open task the step needs and completes (e.g. a State
            Monitor returning the case completes its hand-off task).
        reason_required: Whether the actor must say why.
        label: A short description.
    """

    name: str = attrs.field(validator=attrs_check(check_text))
    applies_to: tuple[Classification, ...] = attrs.field(converter=_paths)
    to: tuple[Classification, ...] = attrs.field(default=(), converter=_paths)
    task: TaskSpec | None = attrs.field(default=None, validator=_task)
    completes: str | None = attrs.field(default=None, validator=attrs_check(check_optional_text))
    reason_required: bool = attrs.field(default=False, validator=attrs_check(check_bool))
    label: str = attrs.field(default="", validator=attrs_check(check_free_text))

    def next_classification(self, current: Classification) -> Classification | None:
        """Where the step puts a case now at ``current`` (None: it stays).

        Raises:
            ValidationError: The case is at the top of the ladder already.
        """
        if not self.to:
            return None
        if current not in self.to:
            return self.to[0]
        rung = self.to.index(current)
        if rung + 1 == len(self.to):
            raise ValidationError(
                f"step {self.name!r}: already at {current.disposition!r}, the last of "
                f"{len(self.to)} attempts"
            )
        return self.to[rung + 1]


def _steps(value: Iterable[Step]) -> tuple[Step, ...]:
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(f"a flow's steps must be a collection of Step, got {value!r:.80}")
    return tuple(check_instance(step, Step, what="a flow step") for step in value)


@attrs.frozen(slots=True)
class Flow:
    """A procedure: steps over one taxonomy, compiled to lifecycle actions.

    Attributes:
        name: The procedure's name.
        taxonomy: The taxonomy its steps move cases through.
        steps: The steps.

    Raises:
        ValidationError: Two steps of one name, a name that is not an identifier, or a step
            naming a classification outside the taxonomy (``NotInTaxonomy``).
    """

    name: str = attrs.field(validator=attrs_check(check_text))
    taxonomy: Taxonomy = attrs.field(validator=attrs_check(check_instance, kind=Taxonomy))
    steps: tuple[Step, ...] = attrs.field(converter=_steps)

    def __attrs_post_init__(self) -> None:
        names = [step.name for step in self.steps]
        for step in self.steps:
            if not step.name.isidentifier():
                raise ValidationError(f"flow {self.name!r}: step name {step.name!r} is not valid")
            if names.count(step.name) > 1:
                raise ValidationError(f"flow {self.name!r} has two steps named {step.name!r}")
            if not step.applies_to:
                raise ValidationError(f"flow {self.name!r}: step {step.name!r} applies to nothing")
            for path in (*step.applies_to, *step.to):
                self.taxonomy.rule(path)

    def step(self, name: str) -> Step:
        """The step called ``name``.

        Raises:
            NotFound: No such step; the message lists the steps.
        """
        for step in self.steps:
            if step.name == name:
                return step
        steps = allowed_list(s.name for s in self.steps)
        raise NotFound(f"flow {self.name!r} has no step {name!r}; steps: {steps}")

    def available(self, case: ClassifiedCase[Any]) -> tuple[str, ...]:
        """The steps that apply to ``case`` now, in declaration order.

        A step applies when the case is in one of its classifications, has the open task the
        step completes (if any), has no open task of the kind the step gives (if any), and is
        not at the top of the step's attempts ladder.

        Raises:
            ValidationError: ``case`` is not a classified case.
        """
        check_instance(case, ClassifiedCase, what=f"a case for flow {self.name!r}")
        return tuple(s.name for s in self.steps if _ready(s, case))

    def actions(self, *, source: Sequence[enum.Enum]) -> tuple[Action[Any], ...]:
        """One lifecycle action per step, performable from ``source``.

        Typed ``Action[Any]`` for the reason [`classify_action`][] is.

        Raises:
            ValidationError: ``source`` is not a collection of status enum members.
        """
        statuses = statuses_from(source, what=f"the statuses flow {self.name!r} runs from")
        return tuple(self._action(step, statuses) for step in self.steps)

    def run(
        self, case: ClassifiedCase[Any], step: str, *, actor: str, reason: str | None = None
    ) -> ActionResult:
        """Run ``step`` on ``case``, atomically; the history entry names the step.

        Raises:
            NotFound: No such step.
            GuardRejected: The case's classification is not one the step applies to, it has
                no open task of the kind the step completes, it already has an open task of
                the kind the step gives, or the target rule's guard refused it.
            ValidationError: No supervisor for a supervisor task, the end of an attempts
                ladder, or a missing reason.
            MissingFields: The target rule needs documentation the case does not carry.
            InvalidTransition: The case's status does not allow the step.
            ValidationError: ``case`` is not a classified case, or the step name, actor or
                reason is not valid (checked before anything changes).
        """
        check_instance(case, ClassifiedCase, what=f"the case of a {self.name!r} step")
        chosen = self.step(check_text(step, what=f"a step of flow {self.name!r}"))
        actor = check_actor(actor, what=f"actor of {step!r} on {case.id}")
        reason = check_optional_text(reason, what=f"reason for {step!r} on {case.id}")
        if chosen.reason_required and reason is None:
            raise ValidationError(f"cannot {step!r} {case.id}: a reason is required")
        current = case.classification
        target = chosen.next_classification(current) if current is not None else None
        where = str(target) if target is not None else (str(current) if current else "")
        note = f"{where}: {reason}" if reason and where else (reason or where or None)
        return case.perform(step, actor=actor, reason=note)

    def _action(self, step: Step, source: tuple[enum.Enum, ...]) -> Action[Any]:
        taxonomy = self.taxonomy

        def applies(case: object, context: ActionContext) -> bool:
            return isinstance(case, ClassifiedCase) and case.classification in step.applies_to

        def refusal(case: object, context: ActionContext) -> str:
            now = getattr(case, "classification", None)
            wanted = allowed_list(p.disposition for p in step.applies_to)
            return (
                f"step {step.name!r} applies to {wanted}, "
                f"not {now.disposition if now else 'an unclassified case'!r}"
            )

        def plan(
            case: ClassifiedCase[Any], context: ActionContext
        ) -> tuple[Rule | None, str | None]:
            assert case.classification is not None  # guarded
            target = step.next_classification(case.classification)
            rule = taxonomy.rule(target) if target is not None else None
            if rule is not None:
                admit(case, rule, context, step.name)
            return rule, self._assignee(step, case)

        def resolve(case: object, context: ActionContext) -> enum.Enum:
            assert isinstance(case, ClassifiedCase)
            self._open_task(step, case)
            if step.task is not None and _open_task_of(case, step.task.kind) is not None:
                raise GuardRejected(
                    case.id, step.name, f"it already has an open {step.task.kind!r} task"
                )
            rule, _ = plan(case, context)
            status: enum.Enum = rule.status if rule is not None else case.status
            return status

        def effect(case: object, context: ActionContext) -> None:
            assert isinstance(case, ClassifiedCase)
            rule, assignee = plan(case, context)
            done = self._open_task(step, case)
            if done is not None:
                case.complete_task(done.id, actor=context.actor)
            if rule is not None:
                apply_rule(case, rule, context)
            if step.task is not None and assignee is not None:
                case.add_task(step.task.title, assignee, actor=context.actor, kind=step.task.kind)
            logger.info("%s: step %s on %s by %s", self.name, step.name, case.id, context.actor)

        targets = tuple(dict.fromkeys([*(taxonomy.rule(p).status for p in step.to)] or source))
        return Action(
            step.name,
            source,
            guards=(Guard(applies, refusal),),
            resolve=resolve,
            targets=targets,
            effects=(effect,),
            reason_required=step.reason_required,
            label=step.label or step.name.replace("_", " "),
        )

    @staticmethod
    def _assignee(step: Step, case: ClassifiedCase[Any]) -> str | None:
        if step.task is None:
            return None
        who = step.task.assignee
        if who is Assignee.SUPERVISOR:
            if case.roles.supervisor is None:
                raise ValidationError(
                    f"cannot {step.name!r} {case.id}: it has no supervisor to give "
                    f"{step.task.title!r} to; set one with set_supervisor"
                )
            return case.roles.supervisor.id
        if who is Assignee.OWNER:
            return case.roles.owner.id
        assert isinstance(who, str)
        return who

    @staticmethod
    def _open_task(step: Step, case: ClassifiedCase[Any]) -> Task | None:
        if step.completes is None:
            return None
        task = _open_task_of(case, step.completes)
        if task is not None:
            return task
        raise GuardRejected(
            case.id, step.name, f"it has no open {step.completes!r} task to complete"
        )


def _open_task_of(case: ClassifiedCase[Any], kind: str) -> Task | None:
    for task in case.tasks:
        if task.kind == kind and task.status is TaskStatus.OPEN:
            return task
    return None


def _ready(step: Step, case: ClassifiedCase[Any]) -> bool:
    current = case.classification
    if current is None or current not in step.applies_to:
        return False
    if step.completes is not None and _open_task_of(case, step.completes) is None:
        return False
    if step.task is not None and _open_task_of(case, step.task.kind) is not None:
        return False
    return not (step.to and current == step.to[-1])
