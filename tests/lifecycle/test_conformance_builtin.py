"""The lifecycle conformance check over every built-in case type, and checks of the check.

Rule (domain.md §1): every path to a status runs that action's guards, reason rule and
effects, or is refused — including a step deferred to background processing and resumed.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import hypothesis.strategies as st
import pytest

from casekit.cases import (
    CASE_TYPES,
    ApplicationCase,
    AssessmentCase,
    Case,
    ClosureReason,
    CorrectionOutcome,
    Finding,
    IntegratedCase,
    InvestigationCase,
    IssueCase,
    Owner,
    PaymentCorrectionCase,
    ProductDeliveryCase,
    ScreeningCase,
    case_type,
)
from casekit.clock import ManualClock
from casekit.lifecycle import Action, ActionContext, Deferral, Guard, Lifecycle
from casekit.lifecycle.engine import CompiledLifecycle
from casekit.money import Money
from casekit.testing.lifecycles import check_deferred_step, check_lifecycle_conformance

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
Params = dict[str, st.SearchStrategy[dict[str, object]]]


def _pdc_params(clock: ManualClock) -> Params:
    on = st.builds(lambda d: {"on": clock.now().date() + timedelta(days=d)}, st.integers(-2, 30))
    close = st.builds(lambda r: {"closure_reason": r}, st.sampled_from(ClosureReason))
    steps = ["submit", "approve", "reject", "activate", "suspend", "unsuspend", "reactivate"]
    return {
        "schedule_closure": on,
        "close": close,
        "defer": st.one_of(
            st.builds(lambda s: {"step": s}, st.sampled_from([*steps, "nope"])),
            st.builds(lambda p: {"step": "schedule_closure", **p}, on),
            st.builds(lambda p: {"step": "close", **p}, close),
        ),
        "resume": st.builds(lambda ok: {"succeeded": ok}, st.booleans()),
    }


def _pdc(clock: ManualClock, **fields: Any) -> Callable[[], Case[Any]]:
    def make() -> Case[Any]:
        pdc = ProductDeliveryCase.create(
            id="PDC-1",
            product="Basic",
            primary_client="p1",
            owner=Owner.user("owner"),
            supervisor=Owner.user("supervisor"),
            clock=clock,
            **fields,
        )
        pdc.collect_events()
        return pdc

    return make


def _pcc(clock: ManualClock) -> Case[Any]:
    return PaymentCorrectionCase.open_for(
        _pdc(clock)(),
        outcome=CorrectionOutcome.OVERPAYMENT,
        net=Money("-1.00", "EUR"),
        lines=(),
        actor="system",
        id="PCC-1",
        clock=clock,
    )


def _simple(cls: type[Case[Any]], clock: ManualClock, **fields: Any) -> Callable[[], Case[Any]]:
    return lambda: cls.create(id="X-1", owner=Owner.user("owner"), clock=clock, **fields)


def _builtin(name: str, clock: ManualClock) -> tuple[Callable[[], Case[Any]], Params]:
    resolution: st.SearchStrategy[dict[str, object]] = st.just({"resolution": "Agree with Client"})
    findings = st.builds(
        lambda f, r: {"findings": f, "resolution": r},
        st.sampled_from([*Finding, "maybe"]),
        st.sampled_from(["Referred", ""]),
    )
    table: dict[str, tuple[Callable[[], Case[Any]], Params]] = {
        "Product Delivery Case": (_pdc(clock, requires_certification=True), _pdc_params(clock)),
        "Application Case": (
            lambda: ApplicationCase.create(
                id="APP-1", registered_by="owner", programs=["A"], clock=clock
            ),
            {},
        ),
        "Integrated Case": (_simple(IntegratedCase, clock), {}),
        "Screening Case": (_simple(ScreeningCase, clock), {}),
        "Assessment Case": (_simple(AssessmentCase, clock), {}),
        "Issue Case": (_simple(IssueCase, clock), {"resolve": resolution}),
        "Investigation Case": (_simple(InvestigationCase, clock), {"close": findings}),
        "Payment Correction Case": (lambda: _pcc(clock), {}),
    }
    return table[name]


BUILTIN = sorted(
    name for name, cls in CASE_TYPES.items() if cls.__module__.startswith("casekit.cases.")
)


def test_every_builtin_case_type_is_covered() -> None:
    assert BUILTIN == [
        "Application Case",
        "Assessment Case",
        "Integrated Case",
        "Investigation Case",
        "Issue Case",
        "Payment Correction Case",
        "Product Delivery Case",
        "Screening Case",
    ]


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_case_types_conform(name: str) -> None:
    """Every path — direct, or deferred and resumed — runs guards, reason rule and effects."""
    clock = ManualClock(START)
    factory, params = _builtin(name, clock)
    check_lifecycle_conformance(CASE_TYPES[name], factory, params=params, max_examples=25)


def test_resuming_an_approval_is_checked_like_approving() -> None:
    """Reproduction 1 through the public checker: ana may not approve, even via resume."""
    clock = ManualClock(START)
    pdc = _pdc(clock)()
    pdc.perform("submit", actor="owner")
    for actor in ("owner", "supervisor", "someone"):
        check_deferred_step(pdc, "approve", actor=actor)
    for reason in (None, "  ", "client asked"):
        check_deferred_step(pdc, "reject", actor="supervisor", reason=reason)
    assert pdc.status.value == "Submitted"  # the checker works on copies


def _resume_without_the_steps_checks(
    self: CompiledLifecycle[Any], case: Any, act: Action[Any], context: ActionContext
) -> Any:
    """A broken resume: lands on the step's target without its guards, reason rule or effects."""
    deferred = case.deferred
    step = next(
        a
        for a in self.lifecycle.actions
        if a.name == deferred.action and deferred.from_status in a.source
    )
    assert step.target is not None
    return self._change(case, act, step.target, context, act.effects, deferred=None)


def test_the_checker_catches_a_resume_that_skips_the_steps_guards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Break the rule on purpose: the conformance check must fail."""
    monkeypatch.setattr(CompiledLifecycle, "_resume", _resume_without_the_steps_checks)
    clock = ManualClock(START)
    pdc = _pdc(clock)()
    pdc.perform("submit", actor="owner")
    with pytest.raises(AssertionError, match="refused when performed directly"):
        check_deferred_step(pdc, "approve", actor="someone")
    with pytest.raises(AssertionError):
        check_lifecycle_conformance(
            ProductDeliveryCase, _pdc(clock), params=_pdc_params(clock), max_examples=200
        )


class Leave(enum.StrEnum):
    REQUESTED = "Requested"
    APPROVED = "Approved"
    TAKEN = "Taken"
    WAITING = "Waiting"


def _manager(case: LeaveCase, ctx: ActionContext) -> bool:
    return ctx.actor == "manager"


def _count(case: LeaveCase, ctx: ActionContext) -> None:
    case.approvals += 1


LEAVE = Lifecycle(
    name="Leave request (conformance)",
    statuses=Leave,
    initial=Leave.REQUESTED,
    final=frozenset({Leave.TAKEN}),
    actions=(
        Action(
            "approve",
            Leave.REQUESTED,
            Leave.APPROVED,
            guards=(Guard(_manager, "only the manager approves"),),
            effects=(_count,),
        ),
        Action("refuse", Leave.REQUESTED, Leave.TAKEN, reason_required=True),
        Action("take", Leave.APPROVED, Leave.TAKEN),
    ),
    deferral=Deferral(waiting=Leave.WAITING, source=(Leave.REQUESTED, Leave.APPROVED)),
)


@case_type(LEAVE, prefix="LV")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False)
class LeaveCase(Case[Leave]):
    approvals: int = 0


def test_a_users_own_case_type_with_a_deferral_conforms() -> None:
    check_lifecycle_conformance(
        LeaveCase,
        lambda: LeaveCase.create(owner=Owner.user("o"), clock=ManualClock(START)),
        params={
            "defer": st.builds(lambda s: {"step": s}, st.sampled_from(["approve", "refuse", "x"])),
            "resume": st.builds(lambda ok: {"succeeded": ok}, st.booleans()),
        },
        actors=("manager", "someone"),
        max_examples=40,
    )


def test_the_checker_catches_an_engine_that_skips_the_reason_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Break the rule on purpose: an action allowed without its required reason is reported."""
    monkeypatch.setattr("casekit.lifecycle.engine._check_reason", lambda *args: None)
    with pytest.raises(AssertionError, match="requires a reason"):
        check_lifecycle_conformance(
            InvestigationCase,
            _simple(InvestigationCase, ManualClock(START)),
            params={"close": st.just({"findings": Finding.FOUNDED, "resolution": "Referred"})},
            max_examples=200,
        )
