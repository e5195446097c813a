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
from casekit.errors import GuardRejected, SeparationOfDuties
from casekit.lifecycle import Action, ActionContext, Deferral, Guard, Lifecycle
from casekit.lifecycle.engine import CompiledLifecycle
from casekit.money import Money
from casekit.testing.lifecycles import (
    check_deferred_step,
    check_guards_on_every_path,
    check_lifecycle_conformance,
)

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
Params = dict[str, st.SearchStrategy[dict[str, object]]]


def _pdc_params(clock: ManualClock) -> Params:
    # Half the closure dates are not in the future, so the guard is met saying no.
    days = st.one_of(st.integers(-2, 0), st.integers(1, 30))
    on = st.builds(lambda d: {"on": clock.now().date() + timedelta(days=d)}, days)
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


def _pdcs(clock: ManualClock) -> st.SearchStrategy[Case[Any]]:
    """New PDCs needing a certification, some certified for the next month.

    Walks cannot add a certification, so uncertified cases show the activation guard saying
    no and certified ones reach Active and what follows (suspension, scheduled closure).
    """

    def make(certified: bool) -> Case[Any]:
        pdc = _pdc(clock, requires_certification=True)()
        if certified:
            assert isinstance(pdc, ProductDeliveryCase)
            today = clock.now().date()
            pdc.certify(today, today + timedelta(days=30), actor="owner")
        return pdc

    return st.builds(make, st.booleans())


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


def _applications(clock: ManualClock) -> st.SearchStrategy[Case[Any]]:
    """New applications, some needing income evidence, which walks cannot add.

    So those show ``mark_ready``'s guard saying no, and the others reach Ready for
    Determination, where ``dispose``'s guard says no (walks decide no program).
    """
    return st.builds(
        lambda needs_income: ApplicationCase.create(
            id="APP-1",
            registered_by="owner",
            programs=["A"],
            required_evidence={"income"} if needs_income else set(),
            clock=clock,
        ),
        st.booleans(),
    )


Factory = Callable[[], Case[Any]] | st.SearchStrategy[Case[Any]]


def _builtin(name: str, clock: ManualClock) -> tuple[Factory, Params]:
    resolution: st.SearchStrategy[dict[str, object]] = st.just({"resolution": "Agree with Client"})
    findings = st.builds(
        lambda f, r: {"findings": f, "resolution": r},
        st.sampled_from([*Finding, "maybe"]),
        st.sampled_from(["Referred", ""]),
    )
    table: dict[str, tuple[Factory, Params]] = {
        "Product Delivery Case": (_pdcs(clock), _pdc_params(clock)),
        "Application Case": (_applications(clock), {}),
        "Integrated Case": (_simple(IntegratedCase, clock), {}),
        "Screening Case": (_simple(ScreeningCase, clock), {}),
        "Assessment Case": (_simple(AssessmentCase, clock), {}),
        "Issue Case": (
            _simple(IssueCase, clock, supervisor=Owner.user("supervisor")),
            {"resolve": resolution},
        ),
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
    with pytest.raises(AssertionError, match=r"requires a reason|its reason is blank"):
        check_lifecycle_conformance(
            InvestigationCase,
            _simple(InvestigationCase, ManualClock(START)),
            params={"close": st.just({"findings": Finding.FOUNDED, "resolution": "Referred"})},
            max_examples=200,
        )


# ----- every guard on every path (issue 17) ------------------------------------------------


def test_every_guard_of_the_pdc_approval_refuses_on_both_paths() -> None:
    """The submitter (maker ≠ checker) and a non-supervisor are refused directly and via resume."""
    pdc = _pdc(ManualClock(START))()
    pdc.perform("submit", actor="owner")
    sod = check_guards_on_every_path(pdc, "approve", actor="owner")
    supervisor = check_guards_on_every_path(pdc, "approve", actor="someone")
    approve = ProductDeliveryCase.lifecycle().action("approve")
    assert sod is approve.guards[0]
    assert sod.error is SeparationOfDuties
    assert supervisor is approve.guards[1]
    assert supervisor.error is GuardRejected
    assert check_guards_on_every_path(pdc, "approve", actor="supervisor") is None
    assert check_guards_on_every_path(pdc, "activate", actor="owner") is None  # not allowed
    assert pdc.status.value == "Submitted"
    assert len(pdc.history) == 1


def test_the_checker_catches_a_resume_that_skips_a_guard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(CompiledLifecycle, "_resume", _resume_without_the_steps_checks)
    pdc = _pdc(ManualClock(START))()
    pdc.perform("submit", actor="owner")
    with pytest.raises(AssertionError, match="resume skipped the guard"):
        check_guards_on_every_path(pdc, "approve", actor="owner")


def test_the_checker_catches_a_guard_refusing_with_another_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A separation-of-duties refusal must be a SeparationOfDuties on every path."""

    def admit_as_plain_refusal(case: Any, act: Action[Any], context: ActionContext) -> None:
        for guard in act.guards:
            if not guard.check(case, context):
                raise GuardRejected(case.id, act.name, guard.explain(case, context))

    monkeypatch.setattr("casekit.lifecycle.engine._admit", admit_as_plain_refusal)
    pdc = _pdc(ManualClock(START))()
    pdc.perform("submit", actor="owner")
    with pytest.raises(AssertionError, match="not the guard's SeparationOfDuties"):
        check_guards_on_every_path(pdc, "approve", actor="owner")


class Vote(enum.StrEnum):
    OPEN = "Open"
    PASSED = "Passed"


def _quorum(case: Ballot, ctx: ActionContext) -> bool:
    return case.votes >= 3


VOTE = Lifecycle(
    name="Ballot (guard never met saying no)",
    statuses=Vote,
    initial=Vote.OPEN,
    final=frozenset({Vote.PASSED}),
    actions=(Action("pass_motion", Vote.OPEN, Vote.PASSED, guards=(Guard(_quorum, "quorum"),)),),
)


@case_type(VOTE, prefix="VOTE")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False)
class Ballot(Case[Vote]):
    votes: int = 3


def test_a_guard_no_walk_meets_saying_no_is_reported() -> None:
    """Nothing proves that guard runs on every path: the check says so, naming it."""
    make = lambda: Ballot.create(owner=Owner.user("o"), clock=ManualClock(START))  # noqa: E731
    with pytest.raises(AssertionError, match=r"'pass_motion' \(from Open\) guard 1 \(quorum\)"):
        check_lifecycle_conformance(Ballot, make, max_examples=5)
    check_lifecycle_conformance(Ballot, make, max_examples=5, guards_must_refuse=False)
    check_lifecycle_conformance(
        Ballot,
        st.builds(lambda n: Ballot.create(owner=Owner.user("o"), votes=n), st.integers(0, 5)),
        max_examples=20,
    )
