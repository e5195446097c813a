"""A caseload whose SLA clocks pause on declared statuses and classifications.

The regression tests are named after bugs other systems shipped; the state machine drives a
caseload with random events and checks it against a model of one `SlaClock` per item.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import event as event_
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from casekit.clock import ManualClock
from casekit.errors import NotFound, ValidationError
from casekit.worklists import (
    CATEGORY_1,
    CATEGORY_2,
    Anchor,
    BusinessCalendar,
    Caseload,
    DueWindow,
    Outcome,
    PauseRule,
    PolicySet,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    Worklists,
)

AWAITING = "Awaiting client"
DOCUMENTS = "Awaiting documents"
RULE = PauseRule(statuses={AWAITING, DOCUMENTS}, classifications={"On hold"})
LONDON = ZoneInfo("Europe/London")
SPLIT = {d: [(time(9), time(12)), (time(13), time(17))] for d in range(5)}
CAL = BusinessCalendar.with_shifts("Europe/London", SPLIT)

RESPOND = SlaPolicy(
    "respond",
    CATEGORY_1,
    DueWindow.business_days(2),
    starts_on="request",
    satisfied_by={"answered", "successful_contact"},
    outreach=False,
)
FOLLOW_UP = SlaPolicy(
    "follow_up",
    CATEGORY_2,
    DueWindow.hours(8),
    starts_on="request",
    renewed_by={"nudge", "outreach_attempt"},
)
LAPSE = SlaPolicy(
    "lapse",
    CATEGORY_1,
    DueWindow.hours(-24),
    starts_on="lapse_notice",
    anchor=Anchor.REFERENCE,
    outreach=False,
)
POLICIES = PolicySet([RESPOND, FOLLOW_UP, LAPSE])


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


MONDAY = date(2026, 6, 1)
FRIDAY = date(2026, 6, 5)


def caseload(now: datetime, *, pauses: bool = True) -> tuple[Caseload, ManualClock]:
    clock = ManualClock(now)
    load = Caseload(
        calendar=CAL, clock=clock, policies=POLICIES, pause_rule=RULE if pauses else None
    )
    load.assign("c1", "w1")
    return load, clock


def status(when: datetime, value: str, classification: str | None = None) -> SlaEvent:
    return SlaEvent("status_changed", "c1", when, status=value, classification=classification)


def held_for(hours: float) -> timedelta:
    return timedelta(hours=hours)


# -------------------------------------------------------------- regressions


def test_regression_sla_keeps_ticking_while_shown_paused() -> None:
    """frappe/helpdesk#1554: a ticket shown paused was still escalated when its SLA ran out."""
    load, clock = caseload(at(MONDAY, 10))
    load.record(SlaEvent("request", "c1", at(MONDAY, 10)))
    before = load.worklists.get(("c1", "respond"))
    assert before.due == at(date(2026, 6, 3), 17)  # the close of the 2nd business day after
    changes = load.record(status(at(MONDAY, 11), AWAITING))
    assert {i.policy.name for i in changes.paused} == {"respond", "follow_up"}
    item = load.worklists.get(("c1", "respond"))
    assert item.is_paused
    assert item.due is None
    assert item.paused_since == at(MONDAY, 11)
    clock.set(at(FRIDAY, 16))  # long past every due date the clocks would have had
    assert load.check_breaches() == ()
    view = load.worklist("w1")
    assert view.overdue() == []
    assert [i.policy.name for i in view.paused()] == ["respond", "follow_up"]
    # Held before Wednesday 17:00 (D0): Monday 11:00-12:00 and 13:00-17:00, Tuesday and
    # Wednesday, 19 business hours, owed after D0 in time not on hold: Friday 16:00-17:00,
    # Monday and Tuesday (14 h), Wednesday 9:00-12:00 and 13:00-14:00.
    new_due = at(date(2026, 6, 10), 14)
    assert load.due_if_resumed("c1", "respond") == new_due
    load.record(status(at(FRIDAY, 16), "In progress"))
    assert load.worklists.get(("c1", "respond")).due == new_due
    assert load.check_breaches() == ()


def test_regression_changing_the_sla_forgets_the_time_on_hold() -> None:
    """glpi#15605: changing a ticket's SLA recomputed its due date as if it never waited."""
    load, _ = caseload(at(MONDAY, 9))
    load.record(SlaEvent("request", "c1", at(MONDAY, 9)))
    load.record(status(at(MONDAY, 9), AWAITING))
    load.record(status(at(MONDAY, 12), "In progress"))  # 3 business hours on hold
    longer = SlaPolicy(
        "respond",
        CATEGORY_1,
        DueWindow.business_days(3),
        starts_on="request",
        satisfied_by="answered",
        outreach=False,
    )
    (moved,) = load.change_policy(longer)
    assert moved.policy is longer
    assert load.policies["respond"] is longer
    assert len(moved.pauses) == 1
    # The close of the 3rd business day after (Thursday 17:00) plus 3 hours: Friday 12:00.
    assert moved.due == at(FRIDAY, 12)
    assert moved.clock is not None
    assert moved.clock.held(CAL) == held_for(3)


def test_regression_hold_time_added_to_the_start() -> None:
    """The start never moves: holds push the end, in business time not on hold."""
    load, _ = caseload(at(MONDAY, 16))
    load.record(SlaEvent("request", "c1", at(MONDAY, 16)))
    load.record(status(at(MONDAY, 16), AWAITING))
    load.record(status(at(date(2026, 6, 2), 9), "In progress"))  # 1 business hour held
    item = load.worklists.get(("c1", "respond"))
    assert item.opened_at == at(MONDAY, 16)
    assert item.age(at(MONDAY, 17)) == held_for(1)
    # D0 is Wednesday 17:00 (2 business days after Monday); one hour more: Thursday 10:00.
    # (Moving the start by the hour held would give Wednesday 17:00 again.)
    assert item.due == at(date(2026, 6, 4), 10)


def test_regression_off_hours_holds_counted_twice() -> None:
    """A hold over a night and a weekend costs its business hours once, however it moves."""
    load, _ = caseload(at(FRIDAY, 15))
    load.record(SlaEvent("request", "c1", at(FRIDAY, 15)))
    load.record(status(at(FRIDAY, 16), AWAITING))
    # From one pausing status to another, and to a pausing classification: still one pause.
    changes = load.record(status(at(FRIDAY, 20), DOCUMENTS))
    assert not changes
    load.record(status(at(date(2026, 6, 6), 12), "Open", "On hold"))
    load.record(status(at(date(2026, 6, 8), 10), "In progress"))
    item = load.worklists.get(("c1", "respond"))
    assert len(item.pauses) == 1
    assert item.pauses[0].reason == AWAITING
    assert item.clock is not None
    assert item.clock.held(CAL) == held_for(2)
    # D0 is Tuesday 17:00; two business hours more: Wednesday 11:00.
    assert item.due == at(date(2026, 6, 10), 11)


# ---------------------------------------------------------------- behaviour


def test_a_clock_started_while_the_case_waits_starts_paused() -> None:
    load, _ = caseload(at(MONDAY, 9))
    load.record(status(at(MONDAY, 9), "Open", "On hold"))
    changes = load.record(SlaEvent("request", "c1", at(MONDAY, 10)))
    assert all(i.is_paused for i in changes.started)
    assert [p.reason for p in load.worklists.get(("c1", "respond")).pauses] == ["On hold"]
    resumed = load.record(status(at(MONDAY, 14), "Open")).resumed
    assert {i.policy.name for i in resumed} == {"respond", "follow_up"}
    # Held 10:00-12:00 and 13:00-14:00: D0 Wednesday 17:00 + 3 business hours.
    assert load.worklists.get(("c1", "respond")).due == at(date(2026, 6, 4), 12)


def test_only_the_clocks_of_the_case_pause() -> None:
    load, _ = caseload(at(MONDAY, 9))
    load.record(SlaEvent("request", "c1", at(MONDAY, 9), case_id="K-2"))
    load.record(SlaEvent("status_changed", "c1", at(MONDAY, 10), status=AWAITING))
    assert not load.worklists.get(("c1", "respond")).is_paused  # case K-2 is not waiting
    load.record(SlaEvent("status_changed", "c1", at(MONDAY, 10), case_id="K-2", status=AWAITING))
    assert load.worklists.get(("c1", "respond")).is_paused


def test_reference_anchored_policies_never_pause() -> None:
    load, _ = caseload(at(MONDAY, 9))
    lapse = at(FRIDAY, 12)
    load.record(SlaEvent("lapse_notice", "c1", at(MONDAY, 9), reference=lapse))
    load.record(status(at(MONDAY, 10), AWAITING))
    item = load.worklists.get(("c1", "lapse"))
    assert item.clock is None
    assert not item.is_paused
    assert item.due == lapse - timedelta(days=1)


def test_a_renewed_clock_starts_afresh_and_keeps_waiting() -> None:
    load, _ = caseload(at(MONDAY, 9))
    load.record(SlaEvent("request", "c1", at(MONDAY, 9)))
    load.record(status(at(MONDAY, 10), AWAITING))
    load.record(status(at(MONDAY, 11), "Open"))
    renewed = load.record(SlaEvent("nudge", "c1", at(MONDAY, 14))).renewed
    (item,) = renewed
    assert item.pauses == ()
    assert item.due == at(MONDAY, 22)
    load.record(status(at(MONDAY, 15), AWAITING))
    (item,) = load.record(SlaEvent("nudge", "c1", at(MONDAY, 16))).renewed
    assert item.is_paused
    assert item.opened_at == at(MONDAY, 16)


def test_pauses_off_ignores_statuses() -> None:
    load, _ = caseload(at(MONDAY, 9), pauses=False)
    load.record(SlaEvent("request", "c1", at(MONDAY, 9)))
    assert not load.record(status(at(MONDAY, 10), AWAITING))
    item = load.worklists.get(("c1", "respond"))
    assert item.clock is None
    assert item.due == at(date(2026, 6, 3), 17)
    longer = SlaPolicy("respond", CATEGORY_1, DueWindow.business_days(3), starts_on="request")
    (moved,) = load.change_policy(longer)
    assert moved.due == at(date(2026, 6, 4), 17)


def test_a_refused_status_change_changes_nothing() -> None:
    load, _ = caseload(at(MONDAY, 9))
    load.record(SlaEvent("request", "c1", at(MONDAY, 9)))
    load.record(status(at(MONDAY, 12), AWAITING))
    before = list(load.worklists)
    with pytest.raises(ValidationError, match="earlier than its ledger's last entry"):
        load.record(status(at(MONDAY, 11), "Open"))
    assert list(load.worklists) == before
    with pytest.raises(ValidationError, match="classification='On hold' without a status"):
        SlaEvent("status_changed", "c1", at(MONDAY, 13), classification="On hold")
    with pytest.raises(ValidationError, match="pause rule"):
        Caseload(calendar=CAL, pause_rule=frozenset({AWAITING}))  # type: ignore[arg-type]


def test_change_policy_is_validated_and_refusals_change_nothing() -> None:
    load, _ = caseload(at(MONDAY, 9))
    load.record(SlaEvent("request", "c1", at(MONDAY, 9)))
    before = list(load.worklists)
    with pytest.raises(NotFound, match="no SLA policy named 'other'"):
        load.change_policy(SlaPolicy("other", CATEGORY_1, DueWindow.hours(1), starts_on="x"))
    with pytest.raises(ValidationError, match="anchor"):
        load.change_policy(
            SlaPolicy(
                "respond", CATEGORY_1, DueWindow.hours(1), starts_on="x", anchor=Anchor.REFERENCE
            )
        )
    with pytest.raises(ValidationError, match="then='missing'"):
        load.change_policy(
            SlaPolicy("respond", CATEGORY_1, DueWindow.hours(1), starts_on="x", then="missing")
        )
    with pytest.raises(ValidationError, match="new policy of a caseload"):
        load.change_policy("respond")  # type: ignore[arg-type]
    assert list(load.worklists) == before
    assert load.policies is POLICIES


def test_due_if_resumed_of_a_running_item_is_its_due_date() -> None:
    load, _ = caseload(at(MONDAY, 9))
    load.record(SlaEvent("request", "c1", at(MONDAY, 9)))
    assert load.due_if_resumed("c1", "respond") == at(date(2026, 6, 3), 17)
    with pytest.raises(NotFound, match="no open 'lapse' item"):
        load.due_if_resumed("c1", "lapse")


def test_a_work_item_checks_its_clock() -> None:
    load, _ = caseload(at(MONDAY, 9))
    load.record(SlaEvent("request", "c1", at(MONDAY, 9)))
    item = load.worklists.get(("c1", "respond"))
    with pytest.raises(ValidationError, match="no clock"):
        item.changed(clock=None, due=None)
    with pytest.raises(ValidationError, match="clock is running"):
        item.changed(due=None)
    other = SlaClock("c1", RESPOND, at(MONDAY, 10), RULE)
    with pytest.raises(ValidationError, match="the two must be the same instant"):
        item.changed(clock=other)


# ------------------------------------------------------------ state machine

DST_WEEK = date(2026, 3, 26)  # a Thursday; London's clocks go forward on Sunday the 29th
CLIENTS = {"c1": "w1", "c2": "w2"}
CASES = st.sampled_from([None, None, None, "K"])  # mostly the client's own case
STATUSES = [AWAITING, DOCUMENTS, "Open", "In progress"]
WINDOWS = {
    "respond": [DueWindow.business_days(1), DueWindow.business_days(2), DueWindow.hours(30)],
    "follow_up": [DueWindow.hours(4), DueWindow.hours(8), DueWindow.business_days(1)],
}


@attrs.define
class Expected:
    """The model of one open item: its clock (or, reference-anchored, a fixed due date)."""

    case: str
    worker: str
    clock: SlaClock | None
    fixed_due: datetime | None = None
    breached: bool = False

    @property
    def paused(self) -> bool:
        return self.clock is not None and self.clock.is_paused

    def due(self) -> datetime | None:
        return self.fixed_due if self.clock is None else self.clock.due(CAL)


class CaseloadPauseMachine(RuleBasedStateMachine):
    """Random events against a model of one `SlaClock` per item, built without the caseload."""

    def __init__(self) -> None:
        super().__init__()
        self.now = at(DST_WEEK, 8)
        self.clock = ManualClock(self.now)
        self.load = Caseload(calendar=CAL, clock=self.clock, policies=POLICIES, pause_rule=RULE)
        for client, worker in CLIENTS.items():
            self.load.assign(client, worker)
        self.policies = {p.name: p for p in POLICIES.values()}
        self.items: dict[tuple[str, str], Expected] = {}
        self.states: dict[tuple[str, str], tuple[str, str | None]] = {}
        self.escalated_paused: list[object] = []

    def _clock(self, policy: SlaPolicy, client: str, case: str) -> SlaClock:
        clock = SlaClock(case, policy, self.now, RULE)
        state = self.states.get((client, case))
        return clock if state is None else clock.observe(self.now, *state)

    # ------------------------------------------------------------------ rules

    @initialize(client=st.sampled_from(sorted(CLIENTS)), case=CASES)
    def first_request(self, client: str, case: str | None) -> None:
        self.request(client, case)

    @precondition(lambda self: any(i.paused for i in self.items.values()))
    @rule(data=st.data(), status=st.sampled_from(["Open", "In progress"]))
    def case_stops_waiting(self, data: st.DataObject, status: str) -> None:
        paused = sorted((k[0], i.case) for k, i in self.items.items() if i.paused)
        client, case = data.draw(st.sampled_from(paused))
        self.status_changes(client, None if case == client else case, status, None)

    @precondition(lambda self: any(i.clock and not i.paused for i in self.items.values()))
    @rule(data=st.data(), status=st.sampled_from([AWAITING, DOCUMENTS]))
    def case_waits(self, data: st.DataObject, status: str) -> None:
        running = sorted((k[0], i.case) for k, i in self.items.items() if i.clock and not i.paused)
        client, case = data.draw(st.sampled_from(running))
        self.status_changes(client, None if case == client else case, status, None)

    @rule(minutes=st.integers(1, 4 * 24 * 4).map(lambda n: 15 * n))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.clock.set(self.now)

    @rule(client=st.sampled_from(sorted(CLIENTS)), case=CASES)
    def request(self, client: str, case: str | None) -> None:
        self.load.record(SlaEvent("request", client, self.now, case_id=case))
        for name in ("respond", "follow_up"):
            if (client, name) not in self.items:
                kase = case or client
                clock = self._clock(self.policies[name], client, kase)
                self.items[client, name] = Expected(kase, CLIENTS[client], clock)

    @rule(client=st.sampled_from(sorted(CLIENTS)), hours=st.integers(24, 24 * 10))
    def lapse_notice(self, client: str, hours: int) -> None:
        reference = self.now + timedelta(hours=hours)
        self.load.record(SlaEvent("lapse_notice", client, self.now, reference=reference))
        if (client, "lapse") not in self.items:
            due = reference - timedelta(hours=24)
            self.items[client, "lapse"] = Expected(client, CLIENTS[client], None, due)

    @rule(client=st.sampled_from(sorted(CLIENTS)))
    def answered(self, client: str) -> None:
        self.load.record(SlaEvent("answered", client, self.now))
        self.items.pop((client, "respond"), None)

    @rule(client=st.sampled_from(sorted(CLIENTS)))
    def nudge(self, client: str) -> None:
        self.load.record(SlaEvent("nudge", client, self.now))
        item = self.items.get((client, "follow_up"))
        if item is not None:
            clock = self._clock(self.policies["follow_up"], client, item.case)
            self.items[client, "follow_up"] = Expected(item.case, item.worker, clock)

    @rule(client=st.sampled_from(sorted(CLIENTS)), outcome=st.sampled_from(list(Outcome)))
    def call(self, client: str, outcome: Outcome) -> None:
        """An outreach call: a contact satisfies ``respond``, an attempt renews ``follow_up``."""
        self.load.log_outreach(client, outcome, at=self.now)
        if outcome.successful:
            self.items.pop((client, "respond"), None)
        elif (item := self.items.get((client, "follow_up"))) is not None:
            clock = self._clock(self.policies["follow_up"], client, item.case)
            self.items[client, "follow_up"] = Expected(item.case, item.worker, clock)

    @rule(
        client=st.sampled_from(sorted(CLIENTS)),
        case=CASES,
        status=st.sampled_from(STATUSES),
        classification=st.sampled_from([None, "On hold", "Benefits"]),
    )
    def status_changes(
        self, client: str, case: str | None, status: str, classification: str | None
    ) -> None:
        event = SlaEvent(
            "status_changed",
            client,
            self.now,
            case_id=case,
            status=status,
            classification=classification,
        )
        kase = case or client
        try:
            observed = {
                key: item.clock.observe(self.now, status, classification)
                for key, item in self.items.items()
                if key[0] == client and item.case == kase and item.clock is not None
            }
        except ValidationError:  # e.g. a pause that would end the instant it began
            event_("a status change refused")
            before = list(self.load.worklists)
            with pytest.raises(ValidationError):
                self.load.record(event)
            assert list(self.load.worklists) == before  # refused: nothing changed
            return
        changes = self.load.record(event)
        for key, clock in observed.items():
            was = self.items[key].paused
            if was != clock.is_paused:
                event_("a clock resumed" if was else "a clock paused")
        self.states[client, kase] = (status, classification)
        for key, clock in observed.items():
            self.items[key].clock = clock
        assert {i.key for i in changes.paused} | {i.key for i in changes.resumed} <= set(observed)

    @rule(name=st.sampled_from(sorted(WINDOWS)), choice=st.integers(0, 2))
    def policy_changes(self, name: str, choice: int) -> None:
        policy = attrs.evolve(self.policies[name], window=WINDOWS[name][choice])
        self.load.change_policy(policy)
        self.policies[name] = policy
        for (_, policy_name), item in self.items.items():
            if policy_name == name and item.clock is not None:
                item.clock = item.clock.with_policy(policy)

    @rule()
    def check_breaches(self) -> None:
        escalations = self.load.check_breaches()
        expected = set()
        for key, item in self.items.items():
            due = item.due()
            if not item.breached and due is not None and due < self.now:
                expected.add(key)
                item.breached = True
        assert {(e.client_id, e.policy) for e in escalations} == expected
        for escalation in escalations:
            assert not self.items[escalation.client_id, escalation.policy].paused

    # ------------------------------------------------------------- invariants

    @invariant()
    def items_match_the_model(self) -> None:
        actual = {i.key: i for i in self.load.worklists}
        assert set(actual) == set(self.items)
        for key, expected in self.items.items():
            item = actual[key]
            assert item.is_paused == expected.paused, key
            assert item.due == expected.due(), key
            assert item.pauses == (expected.clock.pauses if expected.clock else ()), key
            assert (item.breached_at is not None) == expected.breached, key
            if expected.clock is not None:
                assert self.load.due_if_resumed(*key) == expected.clock.due_if_resumed(
                    CAL, self.now
                )

    @invariant()
    def views_show_paused_and_overdue_items(self) -> None:
        for worker in sorted(set(CLIENTS.values())):
            view = self.load.worklist(worker)
            mine = {k: i for k, i in self.items.items() if i.worker == worker}
            overdue = {
                k for k, i in mine.items() if (due := i.due()) is not None and due < self.now
            }
            assert {o.item.key for o in view.overdue()} == overdue
            assert {i.key for i in view.paused()} == {k for k, i in mine.items() if i.paused}
            assert len(view) == len(mine)
            listed = view.ordered()
            dated = [i for i in listed if i.due is not None]
            assert all(i.key not in overdue for i in view.due_today() + view.upcoming(30))
            assert len(dated) + len(view.paused()) == len(listed)


# The profile's example count (60 dev, 200 CI); 40 steps, time for a clock to pause and resume.
CaseloadPauseMachine.TestCase.settings = settings(stateful_step_count=40, deadline=None)
TestCaseloadPauses = CaseloadPauseMachine.TestCase


def test_paused_items_survive_a_move_and_a_rebuild() -> None:
    load, _ = caseload(at(MONDAY, 9))
    load.record(SlaEvent("request", "c1", at(MONDAY, 9)))
    load.record(status(at(MONDAY, 10), AWAITING))
    load.assign("c1", "w2")  # the client moves; the items keep their clocks
    moved = load.worklist("w2").paused()
    assert [i.policy.name for i in moved] == ["respond", "follow_up"]
    assert all(i.pauses[0].started == at(MONDAY, 10) for i in moved)
    rebuilt = Worklists.build(list(load.worklists))
    assert list(rebuilt.ordered("w2")) == list(load.worklists.ordered("w2"))
    assert rebuilt.breached(at(FRIDAY, 9)) == []
    assert load.next_outreach("c1") is None  # a paused outreach clock has no next date
    assert [i.is_paused for i in load.worklists.for_client("c1")] == [True, True]
