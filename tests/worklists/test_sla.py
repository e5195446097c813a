"""SLA policies and policy sets: validation, windows, categories."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from casekit.errors import NotFound, ValidationError
from casekit.priority import Priority
from casekit.worklists import (
    CATEGORY_1,
    DEFAULT_POLICIES,
    LOW,
    MEDIUM,
    Anchor,
    BusinessCalendar,
    Category,
    Condition,
    DueWindow,
    PolicySet,
    Signal,
    SlaEvent,
    SlaPolicy,
    Trigger,
    WindowUnit,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def policy(name: str = "p", **kw: object) -> SlaPolicy:
    fields: dict[str, object] = {"starts_on": ["a"], "satisfied_by": ["b"]} | kw
    return SlaPolicy(name, MEDIUM, DueWindow.days(1), **fields)  # type: ignore[arg-type]


def test_due_windows_in_hours_days_weeks_business_days_and_months() -> None:
    assert str(DueWindow.hours(72)) == "72 calendar hours"
    assert DueWindow.weeks(3) == DueWindow(21, WindowUnit.CALENDAR_DAYS)
    assert str(DueWindow.business_days(5)) == "5 business days"
    assert DueWindow.months(-2).unit is WindowUnit.CALENDAR_MONTHS


def test_category_1_breach_goes_to_urgent_others_one_rank_up() -> None:
    assert CATEGORY_1.breached_priority(Priority.HIGH) is Priority.URGENT
    assert MEDIUM.breached_priority(Priority.NORMAL) is Priority.HIGH
    assert LOW.breached_priority(Priority.LOW) is Priority.NORMAL
    assert Category("x", 9, Priority.URGENT).breached_priority(Priority.URGENT) is Priority.URGENT


def test_triggers_judge_prior_outreach() -> None:
    assert Trigger("t").applies(prior_outreach=True)
    assert Trigger("t", Condition.NO_PRIOR_OUTREACH).applies(prior_outreach=False)
    assert not Trigger("t", Condition.NO_PRIOR_OUTREACH).applies(prior_outreach=True)
    assert not Trigger("t", Condition.PRIOR_OUTREACH).applies(prior_outreach=False)


def test_an_event_kind_may_do_only_one_thing_to_a_policy() -> None:
    with pytest.raises(ValidationError, match="event kinds b appear in more than one"):
        policy(renewed_by=["b"])
    with pytest.raises(ValidationError, match="name must be a non-blank string"):
        policy(" ")


def test_policy_sets_refuse_duplicates_and_dangling_then() -> None:
    with pytest.raises(ValidationError, match="'p' is used twice"):
        PolicySet([policy(), policy()])
    with pytest.raises(ValidationError, match="then='nope', which names no policy"):
        PolicySet([policy(then="nope")])


def test_policy_sets_are_extended_and_trimmed_without_mutation() -> None:
    extended = DEFAULT_POLICIES.with_policies(policy("mine"))
    assert "mine" in extended
    assert "mine" not in DEFAULT_POLICIES
    trimmed = extended.without("mine", "care-coordination")
    assert len(trimmed) == len(DEFAULT_POLICIES) - 1
    with pytest.raises(ValidationError, match="then='maintenance'"):
        DEFAULT_POLICIES.without("maintenance")  # still named by new-client-outreach
    with pytest.raises(NotFound, match="no SLA policy named 'nope'; known: "):
        DEFAULT_POLICIES.without("nope")
    assert {p.name for p in DEFAULT_POLICIES.started_by(Signal.TRANSFERRED_IN)} == {
        "new-client-outreach",
        "transfer-in",
    }


def test_reference_anchored_policies_need_a_reference() -> None:
    p = DEFAULT_POLICIES["coverage-lapse"]
    assert p.anchor is Anchor.REFERENCE
    cal = BusinessCalendar("UTC")
    with pytest.raises(ValidationError, match="reference=None"):
        p.due(SlaEvent(Signal.COVERAGE_LAPSE_NOTICE, "c1", T0), cal)


def test_events_refuse_naive_times() -> None:
    with pytest.raises(ValidationError, match="naive"):
        SlaEvent("x", "c1", datetime(2026, 3, 2))
