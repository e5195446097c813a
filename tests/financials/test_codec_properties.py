"""Every financials body round-trips exactly, and a body the encoder did not write is refused.

Round trip: ``x_from_body(json(x_to_body(x))) == x`` for values drawn from the constructors'
valid ranges, and the body is plain JSON. Strictness: any one change to a valid body (a field
replaced by another JSON value, removed or added, a list item dropped) is either refused
with ``CorruptRecord`` or is itself exactly what the encoder writes for the value read.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casekit.clock import ManualClock
from casekit.errors import CorruptRecord, InvalidMoney, ValidationError
from casekit.financials import (
    DeliveryPattern,
    Entitlement,
    LedgerEntry,
    Nominees,
    Payment,
    Period,
    determinations_from_body,
    determinations_to_body,
    entitlement_from_body,
    entitlement_to_body,
    entry_from_body,
    entry_to_body,
    nominees_from_body,
    nominees_to_body,
    pattern_from_body,
    pattern_to_body,
    payment_from_body,
    payment_to_body,
)
from casekit.money import Money

from .conftest import WorkedExample, eur
from .strategies import (
    determination_sets,
    entitlements,
    json_values,
    ledger_entries,
    nominees,
    patterns,
    plain_json,
)

T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)


def _through_json(body: dict[str, object]) -> dict[str, object]:
    assert plain_json(body), body
    loaded = json.loads(json.dumps(body))
    assert loaded == body
    assert isinstance(loaded, dict)
    return loaded


# ----- round trips ----------------------------------------------------------------------
@given(nominees())
def test_nominees_round_trip_with_their_whole_history(value: Nominees) -> None:
    back = nominees_from_body(_through_json(nominees_to_body(value)))
    assert back == value
    for component in value.first_assignments():
        assert back.history(component) == value.history(component)


@given(patterns())
def test_delivery_patterns_round_trip(value: DeliveryPattern) -> None:
    assert pattern_from_body(_through_json(pattern_to_body(value))) == value


@given(entitlements())
def test_entitlements_round_trip(value: Entitlement) -> None:
    back = entitlement_from_body(_through_json(entitlement_to_body(value)))
    assert back == value
    assert back.certified == value.certified  # None (no certification) stays None, () stays ()


@given(determination_sets())
def test_determinations_round_trip(value: Any) -> None:
    back = determinations_from_body(_through_json(determinations_to_body(value)))
    assert back == value
    # Exactly: the same amounts digit for digit, not only equal in value.
    assert [[(n, str(r.amount)) for n, r in d.rates] for d in back.decisions] == [
        [(n, str(r.amount)) for n, r in d.rates] for d in value.decisions
    ]


@given(ledger_entries(currency="EUR") | ledger_entries(currency="JPY"))
def test_ledger_entries_round_trip_exactly(value: LedgerEntry) -> None:
    back = entry_from_body(_through_json(entry_to_body(value)))
    assert back == value
    assert str(back.amount.amount) == str(value.amount.amount)


def test_a_ledger_entry_of_fractions_of_a_cent_is_refused_at_the_door() -> None:
    """A ledger holds whole minor units; an entry that could not be read back is not built."""
    with pytest.raises(InvalidMoney, match="whole number of minor units"):
        LedgerEntry(
            "Paid",  # type: ignore[arg-type]
            Period(date(2026, 1, 1), date(2026, 1, 31)),
            "basic",
            "client-1",
            Money.unrounded("0.005", "EUR"),
            "PAY-1",
        )


# ----- strictness -----------------------------------------------------------------------
def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found += _paths(item, (*path, n))
    return found


def _at(body: object, path: tuple[object, ...]) -> Any:
    for step in path:
        body = body[step]  # type: ignore[index]
    return body


def _mutate(data: st.DataObject, body: dict[str, object]) -> dict[str, object]:
    """One change: a value replaced, a field removed or added, a list item dropped."""
    changed = copy.deepcopy(body)
    path = data.draw(st.sampled_from(_paths(changed)[1:] or [()]))
    parent, last = _at(changed, path[:-1]), path[-1] if path else None
    kind = data.draw(st.sampled_from(["replace", "remove", "add"]))
    if kind == "add" or last is None:
        container = _at(changed, path)
        if not isinstance(container, dict):
            container = parent
        container[data.draw(st.text(max_size=8))] = data.draw(json_values)
    elif kind == "remove":
        del parent[last]
    else:
        parent[last] = data.draw(json_values.filter(lambda v: v != parent[last]))
    return changed


Codec = tuple[Callable[[Any], dict[str, object]], Callable[[Any], Any]]


def _payment() -> Payment:
    line_cover = Period(date(2026, 3, 1), date(2026, 3, 31))
    payment = Payment.create(
        case_id="PDC-7",
        payee="client-1",
        cover=line_cover,
        amount=eur("800.00"),
        due_date=date(2026, 3, 1),
        clock=ManualClock(T0),
        id="PAY-1",
    )
    payment.verify(actor="worker")
    payment.reject(actor="worker", reason="duplicate")
    return payment


CODECS: dict[str, tuple[Codec, st.SearchStrategy[Any]]] = {
    "nominees": ((nominees_to_body, nominees_from_body), nominees()),
    "pattern": ((pattern_to_body, pattern_from_body), patterns()),
    "entitlement": ((entitlement_to_body, entitlement_from_body), entitlements()),
    "determinations": ((determinations_to_body, determinations_from_body), determination_sets()),
    "entry": ((entry_to_body, entry_from_body), ledger_entries()),
    "payment": ((payment_to_body, payment_from_body), st.builds(_payment)),
}


@pytest.mark.parametrize("name", sorted(CODECS))
@given(data=st.data())
def test_a_body_the_encoder_did_not_write_is_refused(name: str, data: st.DataObject) -> None:
    """Rule: a reader returns a value only for exactly the body the encoder writes for it."""
    (encode, decode), values = CODECS[name]
    body = encode(data.draw(values))
    changed = _mutate(data, body)
    try:
        value = decode(changed)
    except CorruptRecord:
        return
    assert encode(value) == changed, f"{name} read a body its encoder never writes: {changed}"


@pytest.mark.parametrize(
    ("decode", "body", "message"),
    [
        (nominees_from_body, [], "nominees body should be an object"),
        (nominees_from_body, {"primary_client": "c1"}, "lacks the field.*'assignments'"),
        (
            nominees_from_body,
            {"primary_client": "c1", "assignments": [], "extra": 1},
            "never writes: 'extra'",
        ),
        (
            nominees_from_body,
            {
                "primary_client": "c1",
                "assignments": [
                    {
                        "component": "housing",
                        "nominee": "landlord",
                        "effective_from": "2026-02-01",
                        "assigned_by": "w",
                        "at": "2026-05-04T09:00:00",
                    }
                ],
            },
            r"assignments\[0\] field 'at' should be an ISO-8601 time with an offset",
        ),
        (
            nominees_from_body,
            {
                "primary_client": "c1",
                "assignments": [
                    {
                        "component": "housing",
                        "nominee": n,
                        "effective_from": "2026-02-01",
                        "assigned_by": "w",
                        "at": "2026-05-04T09:00:00+00:00",
                    }
                    for n in ("a", "b")
                ],
            },
            r"assignments\[1\]: cannot assign 'b' to 'housing' from 2026-02-01",
        ),
        (
            pattern_from_body,
            {
                "method": "EFT",
                "frequency": "Monthly",
                "timing": "In Advance",
                "weekday": None,
                "day_of_month": 31,
                "anchor": None,
            },
            "day_of_month 1..28",
        ),
        (
            pattern_from_body,
            {
                "method": "EFT",
                "frequency": "Daily",
                "timing": "In Advance",
                "weekday": 0,
                "day_of_month": None,
                "anchor": None,
            },
            "field 'frequency' should be one of 'Weekly', 'Fortnightly', 'Monthly'",
        ),
        (
            pattern_from_body,
            {
                "method": "EFT",
                "frequency": "Weekly",
                "timing": "In Advance",
                "weekday": True,
                "day_of_month": None,
                "anchor": None,
            },
            "field 'weekday' should be an int",
        ),
        (
            entitlement_from_body,
            {"determinations": {"currency": "EUR", "decisions": []}, "certified": "all"},
            "field 'certified' should be a list",
        ),
        (
            entitlement_from_body,
            {
                "determinations": {"currency": "EUR", "decisions": []},
                "certified": [
                    {"start": "2026-02-01", "end": "2026-02-28"},
                    {"start": "2026-01-01", "end": "2026-01-31"},
                ],
            },
            "not sorted and merged",
        ),
        (
            entitlement_from_body,
            {"determinations": {"currency": "EUR"}, "certified": None},
            "field 'determinations' lacks the field.*'decisions'",
        ),
        (
            entry_from_body,
            {
                "kind": "Paid",
                "cover": {"start": "20260101", "end": "2026-01-31"},
                "component": "basic",
                "nominee": "client-1",
                "amount": {"amount": "600.00", "currency": "EUR"},
                "reference": "PAY-1",
            },
            "field 'start' should be a date written YYYY-MM-DD",
        ),
        (
            entry_from_body,
            {
                "kind": "Paid",
                "cover": {"start": "2026-01-01", "end": "2026-01-31"},
                "component": "basic",
                "nominee": "client-1",
                "amount": {"amount": "6e2", "currency": "EUR"},
                "reference": "PAY-1",
            },
            "should be a decimal written as the encoder writes it",
        ),
    ],
)
def test_corrupt_bodies_are_refused_naming_the_field(
    decode: Callable[[Any], object], body: object, message: str
) -> None:
    with pytest.raises(CorruptRecord, match=message):
        decode(body)


def test_a_reordered_body_is_refused_though_it_reads_as_a_value() -> None:
    nominees = Nominees("client-1")
    nominees.assign("housing", "landlord", date(2026, 2, 1), actor="w", at=T0)
    nominees.assign("basic", "guardian", date(2026, 3, 1), actor="w", at=T0)
    body = nominees_to_body(nominees)
    assignments = body["assignments"]
    assert isinstance(assignments, list)
    assert [a["component"] for a in assignments] == ["basic", "housing"]
    body["assignments"] = assignments[::-1]
    with pytest.raises(CorruptRecord, match=r"field assignments\[0\].component holds 'housing'"):
        nominees_from_body(body)
    body["assignments"] = assignments
    assignments[0]["at"] = "2026-05-04T11:00:00+02:00"  # the same instant, at another offset
    with pytest.raises(CorruptRecord, match=r"assignments\[0\].at holds .*\+02:00.*\+00:00"):
        nominees_from_body(body)


def test_worked_example_bodies_are_readable_documents(worked: WorkedExample) -> None:
    assert entitlement_to_body(worked.step1)["certified"] is None
    assert pattern_to_body(worked.pattern) == {
        "method": "EFT",
        "frequency": "Monthly",
        "timing": "In Advance",
        "weekday": None,
        "day_of_month": 1,
        "anchor": None,
    }
    nominees = Nominees("client-1")
    nominees.assign("housing", "landlord-1", date(2026, 2, 1), actor="worker", at=T0)
    assert nominees_to_body(nominees) == {
        "primary_client": "client-1",
        "assignments": [
            {
                "component": "housing",
                "nominee": "landlord-1",
                "effective_from": "2026-02-01",
                "assigned_by": "worker",
                "at": "2026-05-04T09:00:00+00:00",
            }
        ],
    }


@pytest.mark.parametrize(
    "encode",
    [nominees_to_body, pattern_to_body, entitlement_to_body, entry_to_body, payment_to_body],
)
def test_encoders_refuse_what_they_do_not_encode(encode: Callable[[Any], object]) -> None:
    with pytest.raises(ValidationError, match="to encode must be"):
        encode(object())
