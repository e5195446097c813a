"""Calendars per team, worker and claimant: the rule names whose, resolved per case."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from casekit.errors import NotFound, ValidationError
from casekit.worklists import (
    CATEGORY_1,
    BusinessCalendar,
    CalendarOwner,
    CalendarRegistry,
    CaseParties,
    DueWindow,
    PauseRule,
    SlaClock,
    SlaPolicy,
)

LONDON = BusinessCalendar("Europe/London", name="London team")
SYDNEY = BusinessCalendar.with_shifts(
    "Australia/Sydney",
    {d: [(time(8), time(12)), (time(12, 30), time(16, 30))] for d in range(5)},
    name="Sydney worker",
)
NEW_YORK = BusinessCalendar(
    "America/New_York", holidays=[date(2026, 7, 3)], name="New York claimant"
)
REGISTRY = CalendarRegistry(
    LONDON, teams={"benefits": LONDON}, workers={"W-1": SYDNEY}, claimants={"P-9": NEW_YORK}
)
PARTIES = CaseParties(team="benefits", worker="W-1", claimant="P-9")


def policy(owner: CalendarOwner) -> SlaPolicy:
    return SlaPolicy(
        f"reply-{owner.value}",
        CATEGORY_1,
        DueWindow.business_days(1),
        starts_on="request",
        calendar_of=owner,
    )


def test_each_rule_runs_on_the_calendar_it_names() -> None:
    assert REGISTRY.for_policy(policy(CalendarOwner.TEAM), PARTIES) is LONDON
    assert REGISTRY.for_policy(policy(CalendarOwner.WORKER), PARTIES) is SYDNEY
    assert REGISTRY.for_policy(policy(CalendarOwner.CLAIMANT), PARTIES) is NEW_YORK
    # Thursday 2 July 2026, 15:00 UTC: one business day later on each party's calendar.
    start = datetime(2026, 7, 2, 15, tzinfo=UTC)
    dues = {
        owner: SlaClock("C-1", policy(owner), start, PauseRule()).due(
            REGISTRY.for_policy(policy(owner), PARTIES)
        )
        for owner in CalendarOwner
    }
    london = ZoneInfo("Europe/London")
    assert dues[CalendarOwner.TEAM] == datetime(2026, 7, 3, 17, tzinfo=london)
    # Sydney's local date is already Friday 3rd: due Monday 6th at 16:30 Sydney time.
    assert dues[CalendarOwner.WORKER] == datetime(
        2026, 7, 6, 16, 30, tzinfo=ZoneInfo("Australia/Sydney")
    )
    # Friday 3 July is a holiday for the claimant: due Monday 6th, 17:00 New York time.
    assert dues[CalendarOwner.CLAIMANT] == datetime(
        2026, 7, 6, 17, tzinfo=ZoneInfo("America/New_York")
    )


def test_a_party_without_a_calendar_uses_the_default_unless_strict() -> None:
    stranger = CaseParties(team="benefits", worker="W-2")
    assert REGISTRY.calendar_for("worker", stranger) is LONDON
    with pytest.raises(NotFound, match=r"worker 'W-2'.*workers with one: W-1"):
        REGISTRY.calendar_for("worker", stranger, strict=True)
    with pytest.raises(NotFound, match="claimant None"):
        REGISTRY.calendar_for(CalendarOwner.CLAIMANT, stranger, strict=True)


def test_with_calendar_and_escalation_waits() -> None:
    registry = REGISTRY.with_calendar("worker", "W-2", NEW_YORK)
    assert registry.calendar_for("worker", CaseParties(worker="W-2")) is NEW_YORK
    assert "W-2" not in REGISTRY.workers  # the original is unchanged
    # Four business hours from Friday 15:00 London time: Monday 11:00 London.
    since = datetime(2026, 7, 3, 15, tzinfo=ZoneInfo("Europe/London"))
    assert registry.escalate_at("team", PARTIES, since, timedelta(hours=4)) == datetime(
        2026, 7, 6, 11, tzinfo=ZoneInfo("Europe/London")
    )


def test_the_door() -> None:
    with pytest.raises(ValidationError, match="calendar owner must be one of"):
        REGISTRY.calendar_for("manager", PARTIES)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="calendar_of must be one of"):
        SlaPolicy("p", CATEGORY_1, DueWindow.hours(1), "x", calendar_of="boss")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"calendar of 'W-3' in CalendarRegistry\.workers"):
        CalendarRegistry(LONDON, workers={"W-3": "Europe/Paris"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="must be a CaseParties"):
        REGISTRY.calendar_for("team", {"team": "benefits"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"CaseParties\.worker"):
        CaseParties(worker="")


def test_a_caseload_runs_each_policy_on_the_calendar_it_names() -> None:
    from casekit.clock import ManualClock  # noqa: PLC0415  only this test needs it
    from casekit.worklists import Caseload, PolicySet, SlaEvent  # noqa: PLC0415

    policies = PolicySet([policy(owner) for owner in CalendarOwner])
    start = datetime(2026, 7, 2, 15, tzinfo=UTC)
    load = Caseload(
        calendar=LONDON, clock=ManualClock(start), policies=policies, calendars=REGISTRY
    )
    load.assign("P-9", "W-1", team="benefits")
    changes = load.record(SlaEvent("request", "P-9", start))
    dues = {item.policy.calendar_of: item.due for item in changes.started}
    for owner in CalendarOwner:
        assert dues[owner] == policy(owner).due(
            SlaEvent("request", "P-9", start),
            {
                CalendarOwner.TEAM: LONDON,
                CalendarOwner.WORKER: SYDNEY,
                CalendarOwner.CLAIMANT: NEW_YORK,
            }[owner],
        )
        assert load.calendar_for(policy(owner), "P-9") is REGISTRY.for_policy(
            policy(owner), PARTIES
        )
    assert len(set(dues.values())) == 3
    # Without a registry every policy runs on the caseload's calendar, as before.
    plain = Caseload(calendar=LONDON, clock=ManualClock(start), policies=policies)
    plain.assign("P-9", "W-1")
    assert {i.due for i in plain.record(SlaEvent("request", "P-9", start)).started} == {
        dues[CalendarOwner.TEAM]
    }
    with pytest.raises(ValidationError, match="a caseload's calendars must be a"):
        Caseload(calendar=LONDON, calendars=LONDON)  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="on no caseload"):
        load.calendar_for(policy(CalendarOwner.TEAM), "P-10")
