"""What an application is configured with: which cases are routed where, and its domains.

Configuration is data, checked when it is declared:

- [`RoutedStep`][]: a status of a case type in which the case waits for someone to work
  it, and the skills, weight and priority its work item needs there;
- [`CaseRouting`][]: a case type's routed steps and the routing domain they go to;
- [`RoutingDomain`][]: a routing domain and the options its router is built with (every
  process must build it with the same ones; see `casekit.storage.DurableRouter`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from casekit.cases.base import CASE_TYPES, Case
from casekit.checks import (
    attrs_check,
    check_id,
    check_instance,
    check_int,
    check_optional_text,
    check_timedelta,
)
from casekit.errors import ValidationError, allowed_list
from casekit.priority import Priority
from casekit.routing.ladder import Ladder, check_ladders
from casekit.routing.model import CapacityModel, StatusBased, TabBased, check_skills
from casekit.routing.policy import RoutingModel, RoutingPolicy

__all__ = ["CaseRouting", "RoutedStep", "RoutingDomain", "case_class"]


def case_class(case_type: object, *, what: str) -> type[Case[Any]]:
    """The registered case class named by ``case_type`` (a class or its display name). O(1).

    Raises:
        ValidationError: Not a registered case type (the message lists them).
    """
    if isinstance(case_type, type) and issubclass(case_type, Case):
        name = getattr(case_type, "case_type", None)
        if name in CASE_TYPES and CASE_TYPES[name] is case_type:
            return case_type
    elif isinstance(case_type, str) and case_type in CASE_TYPES:
        return CASE_TYPES[case_type]
    raise ValidationError(
        f"{what} must be a registered case type, got {case_type!r}; "
        f"registered: {allowed_list(sorted(CASE_TYPES))}"
    )


def _skills(value: object) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"skills of a routed step must be a mapping, got {value!r:.80}")
    return check_skills(value, owner="a routed step")


def _priority(instance: object, attribute: Any, value: object) -> None:
    if value is not None and not isinstance(value, Priority):
        raise ValidationError(
            f"priority of a routed step must be a Priority or None (the case's own), got "
            f"{value!r}; allowed: {allowed_list(p.name for p in Priority)}"
        )


@attrs.frozen(slots=True)
class RoutedStep:
    """A status in which a case waits in routing, and what its work item needs there.

    Attributes:
        status: The status's display name (``"Open"``, ``"Submitted"`` ...).
        skills: Skill name → minimum level an agent needs to be offered the step.
        stage: The work item's stage name (default: the status).
        weight: Capacity units the step takes from its agent.
        priority: The item's priority; ``None`` (default) follows the case's priority.
    """

    status: str = attrs.field(validator=attrs_check(check_id))
    skills: Mapping[str, int] = attrs.field(factory=dict, converter=_skills)
    stage: str | None = attrs.field(default=None, validator=attrs_check(check_optional_text))
    weight: int = attrs.field(default=1, validator=attrs_check(check_int, minimum=1))
    priority: Priority | None = attrs.field(default=None, validator=_priority)

    @property
    def stage_name(self) -> str:
        """The work item's stage: ``stage``, or else the status."""
        return self.stage or self.status


def _steps(value: object) -> tuple[RoutedStep, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(
            f"steps of a case routing must be a list of RoutedStep, got {value!r}"
        )
    steps = tuple(value)
    for step in steps:
        check_instance(step, RoutedStep, what="a step of a case routing")
    return steps


def _case_type(value: object) -> type[Case[Any]]:
    return case_class(value, what="case_type of a case routing")


@attrs.frozen(slots=True)
class CaseRouting:
    """A case type's routed steps: in which statuses its cases wait in which domain.

    While a case is in one of the steps' statuses it is in routing exactly once, as a work
    item whose id is the case id; moving to another routed status advances the item to
    that step (keeping its age), moving anywhere else releases it.

    Attributes:
        case_type: The case class, or its registered display name.
        domain: The routing domain its work goes to.
        steps: The routed statuses, each at most once.

    Raises:
        ValidationError: An unregistered case type, a status the lifecycle does not have, a
            status given twice, or no steps.
    """

    case_type: type[Case[Any]] = attrs.field(converter=_case_type)
    domain: str = attrs.field(validator=attrs_check(check_id))
    steps: tuple[RoutedStep, ...] = attrs.field(converter=_steps)

    def __attrs_post_init__(self) -> None:
        lifecycle = self.case_type.lifecycle()
        statuses = {status.value for status in lifecycle.statuses}
        seen: set[str] = set()
        if not self.steps:
            raise ValidationError(f"the routing of {self.case_type.case_type} has no steps")
        for step in self.steps:
            if step.status not in statuses:
                raise ValidationError(
                    f"the routing of {self.case_type.case_type} names status {step.status!r}; "
                    f"its lifecycle has {allowed_list(sorted(statuses))}"
                )
            if step.status in seen:
                raise ValidationError(
                    f"the routing of {self.case_type.case_type} names status {step.status!r} twice"
                )
            seen.add(step.status)

    def step_for(self, status: str) -> RoutedStep | None:
        """The step routed in ``status``, or ``None``. O(s) for s steps (a handful)."""
        for step in self.steps:
            if step.status == status:
                return step
        return None


if TYPE_CHECKING:
    from casekit.worklists.calendar import BusinessCalendar


def _ladders(value: object) -> tuple[Ladder, ...]:
    return tuple(check_ladders(value).values())


def _model(instance: object, attribute: Any, value: object) -> None:
    if not isinstance(value, RoutingModel | RoutingPolicy):
        raise ValidationError(
            f"model of a routing domain must be a RoutingModel or RoutingPolicy, got {value!r}"
        )


@attrs.frozen(slots=True)
class RoutingDomain:
    """A routing domain and the options of its router.

    Attributes:
        name: The domain's name (a team, a queue, a tenant).
        model: The routing model or policy.
        push_timeout: How long an agent has to answer an offer (``None``: no timeout).
        cooldown: How long a decline keeps an item from the agent (``None``: for good).
        snapshot_every: Journal entries between snapshots taken on the request path
            (``None``: only the timer worker snapshots).
        ladders: Escalation ladders of the domain's stages (one
            [`Ladder`][casekit.routing.Ladder] per stage): applied when the application
            ticks, each rung journalled, recorded in the case's audit trail
            (``escalation_rung``) and published as an
            [`EscalationApplied`][casekit.app.EscalationApplied] event.
        calendar: The business calendar rung delays count in (a
            ``casekit.worklists.BusinessCalendar``); ``None``: elapsed time.
        capacity_model: When held work counts against capacity: ``TabBased()`` (the
            default) or ``StatusBased(counted=..., initial=...)``.
    """

    name: str = attrs.field(validator=attrs_check(check_id))
    model: RoutingModel | RoutingPolicy = attrs.field(
        default=RoutingModel.LEAST_ACTIVE, validator=_model
    )
    push_timeout: timedelta | None = attrs.field(
        default=timedelta(minutes=10),
        validator=attrs_check(check_timedelta, positive=True, allow_none=True),
    )
    cooldown: timedelta | None = attrs.field(
        default=None, validator=attrs_check(check_timedelta, positive=True, allow_none=True)
    )
    snapshot_every: int | None = attrs.field(default=None)
    ladders: tuple[Ladder, ...] = attrs.field(default=(), converter=_ladders)
    calendar: BusinessCalendar | None = attrs.field(default=None)
    capacity_model: CapacityModel = attrs.field(factory=TabBased)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.capacity_model, TabBased | StatusBased):
            raise ValidationError(
                f"capacity_model of domain {self.name} must be TabBased() or StatusBased(...), "
                f"got {self.capacity_model!r:.80}"
            )
        if self.snapshot_every is not None:
            check_int(self.snapshot_every, what=f"snapshot_every of domain {self.name}", minimum=1)
        if self.calendar is not None and not callable(
            getattr(self.calendar, "add_business_hours", None)
        ):
            raise ValidationError(
                f"calendar of routing domain {self.name} must be a BusinessCalendar (with "
                f"add_business_hours) or None, got {self.calendar!r}"
            )
