"""What a case carries for security (issue 17): sensitivity, location, org unit, work queue.

Each is set at ``create`` and changed by a method that publishes a `SecurityChanged` event
(audited by storage); the codec stores them and reads a record written before them as the
type's defaults; ``CaseResource.of(case)`` reads them from the case.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from casekit.cases import (
    CorrectionOutcome,
    InvestigationCase,
    IssueCase,
    Owner,
    PaymentCorrectionCase,
    ProductDeliveryCase,
    SecurityChanged,
)
from casekit.cases.codec import case_from_record, case_to_record
from casekit.clock import ManualClock
from casekit.errors import ValidationError
from casekit.money import Money
from casekit.security import CaseResource
from casekit.storage import MemoryStorage


def test_a_case_has_sensitivity_1_and_an_investigation_4_by_default(clock: ManualClock) -> None:
    pdc = ProductDeliveryCase.create(
        id="PDC-1", product="B", primary_client="p", owner=Owner.user("w"), clock=clock
    )
    inv = InvestigationCase.create(id="INV-1", owner=Owner.user("i"), clock=clock)
    issue = IssueCase.create(id="ISS-1", owner=Owner.user("i"), clock=clock)
    assert (pdc.sensitivity, inv.sensitivity, issue.sensitivity) == (1, 4, 1)
    assert (pdc.location, pdc.org_unit, pdc.work_queue) == (None, None, None)
    assert (pdc.program, inv.program) == ("B", None)  # a PDC's program is its product
    low = InvestigationCase.create(id="INV-2", owner=Owner.user("i"), sensitivity=2, clock=clock)
    assert low.sensitivity == 2


def test_create_takes_and_checks_them(clock: ManualClock) -> None:
    case = ProductDeliveryCase.create(
        id="PDC-2",
        product="B",
        primary_client="p",
        owner=Owner.user("w"),
        sensitivity=3,
        location="north",
        org_unit="ou-east",
        work_queue="intake",
        clock=clock,
    )
    assert (case.sensitivity, case.location, case.org_unit, case.work_queue) == (
        3,
        "north",
        "ou-east",
        "intake",
    )
    for kwargs, message in [
        ({"sensitivity": 0}, "the sensitivity of PDC-3 must be a level from 1 to 5, got 0"),
        ({"sensitivity": 6}, "the sensitivity of PDC-3 must be a level from 1 to 5, got 6"),
        ({"sensitivity": "2"}, "the sensitivity of PDC-3 must be a level from 1 to 5"),
        ({"sensitivity": True}, "the sensitivity of PDC-3 must be a level from 1 to 5"),
        ({"location": " "}, "the location of PDC-3 must be a non-blank string"),
        ({"org_unit": 7}, "the org_unit of PDC-3 must be a non-blank string"),
        ({"work_queue": "q\x00"}, "the work_queue of PDC-3"),
    ]:
        with pytest.raises(ValidationError, match=message):
            ProductDeliveryCase.create(
                id="PDC-3", product="B", primary_client="p", owner=Owner.user("w"), **kwargs
            )


def test_set_sensitivity_needs_a_reason_and_publishes_an_event(
    pdc: ProductDeliveryCase, clock: ManualClock
) -> None:
    pdc.collect_events()
    pdc.set_sensitivity(4, actor="sue", reason="allegation of fraud")
    assert pdc.sensitivity == 4
    assert pdc.collect_events() == [
        SecurityChanged(
            "PDC-17", "sensitivity", "1", "4", "sue", clock.now(), "allegation of fraud"
        )
    ]
    pdc.set_sensitivity(4, actor="sue", reason="again")  # no change, no event
    assert pdc.pending_events == ()
    for args, kwargs, message in [
        ((6,), {"actor": "sue", "reason": "r"}, "must be a level from 1 to 5, got 6"),
        ((2,), {"actor": " ", "reason": "r"}, "actor"),
        ((2,), {"actor": "sue", "reason": ""}, "the reason to change the sensitivity of PDC-17"),
    ]:
        with pytest.raises(ValidationError, match=message):
            pdc.set_sensitivity(*args, **kwargs)
        assert (pdc.sensitivity, pdc.pending_events) == (4, ())


def test_location_org_unit_and_work_queue_are_set_with_an_event_each(
    pdc: ProductDeliveryCase, clock: ManualClock
) -> None:
    pdc.collect_events()
    pdc.set_location("north", actor="sue")
    pdc.set_org_unit("ou-east", actor="sue", reason="reorganisation")
    pdc.set_work_queue("intake", actor="sue")
    pdc.set_work_queue(None, actor="sue")
    pdc.set_location("north", actor="sue")  # unchanged: no event
    assert [(e.attribute, e.before, e.after, e.reason) for e in pdc.collect_events()] == [
        ("location", None, "north", None),
        ("org_unit", None, "ou-east", "reorganisation"),
        ("work_queue", None, "intake", None),
        ("work_queue", "intake", None, None),
    ]
    with pytest.raises(ValidationError, match="the location of PDC-17 must be a non-blank"):
        pdc.set_location("", actor="sue")
    with pytest.raises(ValidationError, match="the reason to change the org_unit of PDC-17"):
        pdc.set_org_unit("x", actor="sue", reason=" ")
    assert (pdc.location, pdc.org_unit, pdc.pending_events) == ("north", "ou-east", ())


def test_the_codec_stores_them_and_reads_old_records_as_the_defaults(clock: ManualClock) -> None:
    inv = InvestigationCase.create(
        id="INV-3", owner=Owner.user("i"), sensitivity=5, location="south", clock=clock
    )
    again = case_from_record(case_to_record(inv), clock=clock)
    assert (again.sensitivity, again.location) == (5, "south")
    for case, level in [
        (inv, 4),
        (
            ProductDeliveryCase.create(
                id="P", product="B", primary_client="p", owner=Owner.user("w")
            ),
            1,
        ),
    ]:
        record = case_to_record(case)
        fields = record["fields"]
        assert isinstance(fields, dict)
        for name in ("sensitivity", "location", "org_unit", "work_queue"):
            del fields[name]  # as written before cases had them
        old = case_from_record(record, clock=clock)
        assert (old.sensitivity, old.location, old.org_unit, old.work_queue) == (
            level,
            None,
            None,
            None,
        )
    record = case_to_record(inv)
    record["fields"]["sensitivity"] = 9  # type: ignore[index]
    with pytest.raises(Exception, match="the sensitivity of INV-3 must be a level from 1 to 5"):
        case_from_record(record, clock=clock)


def test_case_resource_of_reads_them_from_the_case(pdc: ProductDeliveryCase) -> None:
    pdc.set_sensitivity(3, actor="sue", reason="r")
    pdc.set_location("north", actor="sue")
    pdc.set_org_unit("ou-east", actor="sue")
    pdc.set_work_queue("intake", actor="sue")
    resource = CaseResource.of(pdc)
    assert (
        resource.sensitivity,
        resource.location,
        resource.org_unit,
        resource.program,
        resource.work_queue,
    ) == (3, "north", "ou-east", "Basic Allowance", "intake")
    # The caller may judge it elsewhere, or treat it as more sensitive; never as less.
    given = CaseResource.of(pdc, sensitivity=1, location="south", program="SNAP")
    assert (given.sensitivity, given.location, given.program) == (3, "south", "SNAP")
    assert CaseResource.of(pdc, sensitivity=5).sensitivity == 5


def test_a_correction_case_is_as_sensitive_as_its_pdc(pdc: ProductDeliveryCase) -> None:
    pdc.set_sensitivity(3, actor="sue", reason="r")
    pdc.set_location("north", actor="sue")
    pcc = PaymentCorrectionCase.open_for(
        pdc,
        outcome=CorrectionOutcome.OVERPAYMENT,
        net=Money(Decimal("-1.00"), "EUR"),
        lines=[],
        actor="sue",
    )
    assert (pcc.sensitivity, pcc.location) == (3, "north")


def test_storage_audits_the_changes(pdc: ProductDeliveryCase, clock: ManualClock) -> None:
    storage = MemoryStorage(clock=clock)
    storage.add_all([pdc], actor="intake")
    pdc.set_sensitivity(4, actor="sue", reason="allegation")
    pdc.set_location("north", actor="sue")
    with storage.unit_of_work() as uow:
        uow.cases.save(pdc)
        uow.commit()
    with storage.unit_of_work() as uow:
        entries = uow.audit.entries(pdc.id)
        read = uow.cases.get(pdc.id)
    assert [(e.actor, e.action, e.before, e.after) for e in entries[-2:]] == [
        ("sue", "set_sensitivity", "1", "4"),
        ("sue", "set_location", None, "north"),
    ]
    assert entries[-2].detail["reason"] == "allegation"
    assert (read.sensitivity, read.location) == (4, "north")


def test_placement_and_participants_given_at_create_are_kept_and_checked(
    clock: ManualClock,
) -> None:
    """``create`` passes location, org unit, work queue and participants on only when given
    (the defaults are left to the constructor); given ones are kept, bad ones refused."""
    from casekit.cases import Participant, ParticipantRole  # noqa: PLC0415

    friend = Participant("p-2", ParticipantRole.THIRD_PARTY)
    pdc = ProductDeliveryCase.create(
        id="PDC-9", product="B", primary_client="p", owner=Owner.user("w"), clock=clock,
        work_queue="intake", participants=[friend],
    )  # fmt: skip
    assert (pdc.location, pdc.org_unit, pdc.work_queue) == (None, None, "intake")
    assert friend in pdc.participants
    only_unit = ProductDeliveryCase.create(
        id="PDC-10", product="B", primary_client="p", owner=Owner.user("w"), clock=clock,
        org_unit="north",
    )  # fmt: skip
    assert (only_unit.org_unit, only_unit.work_queue) == ("north", None)
    for bad in ({"location": ""}, {"org_unit": 7}, {"work_queue": " "}):
        with pytest.raises(ValidationError):
            ProductDeliveryCase.create(
                id="PDC-11", product="B", primary_client="p", owner=Owner.user("w"),
                clock=clock, **bad,  # type: ignore[arg-type]
            )  # fmt: skip


def test_cases_share_roles_by_value_and_each_keeps_owners_equal_to_its_own(
    clock: ManualClock,
) -> None:
    """Roles are shared among cases with the same owner, supervisor and reviewer — looked up
    by the Owner objects' identity first, then by value — and are always equal to them."""
    worker, boss = Owner.user("w"), Owner.user("b")
    twin = Owner.user("w")  # equal to worker, another object

    def new(n: int, owner: Owner) -> ProductDeliveryCase:
        return ProductDeliveryCase.create(
            id=f"PDC-{n}", product="B", primary_client="p", owner=owner, supervisor=boss,
            clock=clock,
        )  # fmt: skip

    first, second, third = new(1, worker), new(2, worker), new(3, twin)
    assert first.roles is second.roles  # the same objects: one CaseRoles
    assert third.roles == first.roles  # equal objects: equal roles
    assert (third.roles.owner, third.roles.supervisor) == (twin, boss)
    other = new(4, Owner.user("x"))
    assert other.roles.owner == Owner.user("x")
    assert other.roles.reviewer == Owner.user("x")


def test_built_in_case_types_write_fields_without_a_setattr_hook() -> None:
    """Every built-in case type (and ClassifiedCase) is declared with
    ``on_setattr=attrs.setters.NO_OP``: attrs' default would route each field write, and the
    constructor, through a validating hook (creation 6 µs instead of 3.4; see
    benchmarks/lifecycles.py). Fields are checked at construction and by the audited setters."""
    from casekit.cases.base import CASE_TYPES  # noqa: PLC0415
    from casekit.classification import ClassifiedCase  # noqa: PLC0415

    hooked = [
        cls.__qualname__
        for cls in (*CASE_TYPES.values(), ClassifiedCase)
        if cls.__module__.startswith("casekit.") and cls.__setattr__ is not object.__setattr__
    ]
    assert hooked == []
