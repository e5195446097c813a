"""The storage contract suite: what every adapter must do, as reusable pytest tests.

casekit runs it against its in-memory, SQLite and PostgreSQL adapters; run it against your
own adapter by subclassing :class:`StorageContract` in a test module and providing a
``storage`` fixture (session- or class-scoped, so Hypothesis may use it)::

    import pytest
    from casekit.testing.storage_contract import StorageContract

    class TestMyStorage(StorageContract):
        @pytest.fixture(scope="class")
        def storage(self):
            return MyStorage()

The tests share one storage and never need it empty: every test uses fresh ids, collection
names and owners. :func:`repository_machine` builds a Hypothesis state machine that drives
your adapter's case repository and the in-memory adapter (the oracle) side by side.

Needs ``pip install casekit[testing]`` (pytest and Hypothesis).
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from casekit.cases import (
    Case,
    CorrectionLine,
    CorrectionOutcome,
    IssueCase,
    LinkKind,
    Owner,
    Participant,
    ParticipantRole,
    PaymentCorrectionCase,
    ProductDeliveryCase,
)
from casekit.cases.codec import case_to_record
from casekit.clock import SYSTEM_CLOCK, Clock, ManualClock
from casekit.errors import (
    AlreadyExists,
    CapacityExceeded,
    ConcurrencyConflict,
    NotFound,
    OfferNotPending,
    StorageError,
    ValidationError,
)
from casekit.money import Money
from casekit.priority import Priority
from casekit.storage.memory import MemoryStorage
from casekit.storage.ports import ItemState, JsonText, LedgerKind, Storage

__all__ = [
    "StorageContract",
    "assert_same_case",
    "open_storage",
    "repository_machine",
    "rich_case",
    "routing_machine",
    "routing_worker",
    "unique",
]

_T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
_T1 = _T0 + timedelta(hours=1)


def unique(prefix: str = "K") -> str:
    """A fresh id, so tests sharing one storage never see each other's data."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def rich_case(storage: Storage, *, owner: Owner | None = None) -> ProductDeliveryCase:
    """A PDC holding a bit of everything: participants, history, evidence, tasks, notes, links."""
    case = ProductDeliveryCase.create(
        id=unique("PDC"),
        product="Basic Allowance",
        primary_client=Participant("p1", name="Ana Lima"),
        participants=[Participant("p2", ParticipantRole.MEMBER, "Rui")],
        owner=owner or Owner.user("worker"),
        supervisor=Owner.user("boss"),
        priority=Priority.HIGH,
        clock=storage.clock,
    )
    case.add_evidence(
        "income",
        {"amount": "1234.56", "n": 3, "ok": True, "none": None},
        date(2026, 1, 1),
        actor="worker",
        verified=True,
    )
    case.correct_evidence(
        case.evidence.all_versions()[0].evidence_id,
        attributes={"amount": "1300.00"},
        actor="worker",
    )
    case.add_task("call the client", "u2", actor="worker", due=_T0 + timedelta(days=2))
    case.add_note("called, no answer — will retry", author="worker")
    case.send_communication("p1", "Your case", "Dear Ana, …")
    case.link(LinkKind.MEMBER_OF, "IC-1")
    case.perform("submit", actor="worker")
    return case


def correction_case(storage: Storage) -> PaymentCorrectionCase:
    """A payment correction case holding Money lines (exact decimals)."""
    pdc = ProductDeliveryCase.create(
        id=unique("PDC"),
        product="B",
        primary_client="p1",
        owner=Owner.user("w"),
        clock=storage.clock,
    )
    return PaymentCorrectionCase.open_for(
        pdc,
        outcome=CorrectionOutcome.OVERPAYMENT,
        net=Money(Decimal("-427.42"), "EUR"),
        lines=[
            CorrectionLine(
                date(2026, 3, 1), date(2026, 3, 31), "basic", "p1", Money("-227.42", "EUR")
            ),
            CorrectionLine(
                date(2026, 4, 1), date(2026, 4, 30), "housing", "p1", Money("-200.00", "EUR")
            ),
        ],
        actor="system",
        clock=storage.clock,
        id=unique("PCC"),
    )


def _put_then_fail(storage: Storage, key: str) -> None:
    with storage.unit_of_work() as uow:
        uow.documents.put("things", key, {}, expected_version=0, labels={}, updated_at=_T0)
        raise RuntimeError("boom")


def assert_same_case(read: Case[Any], written: Case[Any]) -> None:
    """Assert ``read`` holds exactly what ``written`` held, field by field (not via the codec)."""
    assert type(read) is type(written)
    for field in attrs.fields(type(written)):
        if field.name in ("clock", "_pending", "_evidence"):
            continue
        assert getattr(read, field.name) == getattr(written, field.name), field.name
    assert read.evidence.all_versions() == written.evidence.all_versions()
    assert read.created_at.tzinfo is not None
    assert read.updated_at.utcoffset() == timedelta(0)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


class StorageContract:
    """The tests every :class:`~casekit.storage.ports.Storage` must pass.

    Subclass it as ``Test...`` and provide a ``storage`` fixture.
    """

    # ----- document store -------------------------------------------------------------
    def test_document_round_trip_and_versions(self, storage: Storage) -> None:
        """A document reads back as written; each write bumps the version."""
        key = unique()
        body = {"a": [1, "two", None, True], "b": {"nested": "é ✓"}}
        with storage.unit_of_work() as uow:
            assert (
                uow.documents.put(
                    "things", key, body, expected_version=0, labels={"x": "1"}, updated_at=_T0
                )
                == 1
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            doc = uow.documents.get("things", key)
            assert doc is not None
            assert (doc.version, dict(doc.body), dict(doc.labels), doc.updated_at) == (
                1,
                body,
                {"x": "1"},
                _T0,
            )
            assert (
                uow.documents.put(
                    "things", key, {"c": 1}, expected_version=1, labels={}, updated_at=_T0
                )
                == 2
            )
            assert uow.documents.get("things", unique()) is None
            uow.commit()

    @settings(max_examples=25)
    @given(body=st.dictionaries(st.text(max_size=6), _json, max_size=4))
    def test_any_json_document_round_trips(self, storage: Storage, body: dict[str, Any]) -> None:
        """Any JSON-safe document reads back equal."""
        key = unique()
        with storage.unit_of_work() as uow:
            uow.documents.put("json", key, body, expected_version=0, labels={}, updated_at=_T0)
            uow.commit()
        with storage.unit_of_work() as uow:
            doc = uow.documents.get("json", key)
        assert doc is not None
        assert doc.body == body

    def test_json_text_bodies_are_stored_as_they_are(self, storage: Storage) -> None:
        """A :class:`JsonText` body is written as given and reads back as the object it encodes."""
        key, other = unique(), unique()
        text = JsonText('{"b":[1,"é ✓",null],"a":{"n":2}}')
        with storage.unit_of_work() as uow:
            uow.documents.put("json", key, text, expected_version=0, labels={}, updated_at=_T0)
            uow.documents.put_new("json", [(other, text, {"k": "v"}, _T0)])
            uow.commit()
        with storage.unit_of_work() as uow:
            for stored in (uow.documents.get("json", key), uow.documents.get("json", other)):
                assert stored is not None
                assert dict(stored.body) == {"b": [1, "é ✓", None], "a": {"n": 2}}

    def test_document_conflicts_write_nothing(self, storage: Storage) -> None:
        """Writes and deletes over the wrong version fail and change nothing."""
        key = unique()
        with storage.unit_of_work() as uow:
            uow.documents.put(
                "things", key, {"v": 1}, expected_version=0, labels={}, updated_at=_T0
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            with pytest.raises(AlreadyExists, match=key):
                uow.documents.put(
                    "things", key, {"v": 9}, expected_version=0, labels={}, updated_at=_T0
                )
            with pytest.raises(ConcurrencyConflict, match="version 1, not 5"):
                uow.documents.put(
                    "things", key, {"v": 9}, expected_version=5, labels={}, updated_at=_T0
                )
            with pytest.raises(ConcurrencyConflict):
                uow.documents.delete("things", key, expected_version=2)
            with pytest.raises(NotFound):
                uow.documents.delete("things", unique(), expected_version=1)
            doc = uow.documents.get("things", key)
            assert doc is not None
            assert (doc.version, dict(doc.body)) == (1, {"v": 1})
            uow.documents.delete("things", key, expected_version=1)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.documents.get("things", key) is None

    def test_document_refuses_what_is_not_json(self, storage: Storage) -> None:
        """A body that is not JSON-safe is refused, naming the key."""
        key = unique()
        with storage.unit_of_work() as uow:
            with pytest.raises(ValidationError, match=key):
                uow.documents.put(
                    "things", key, {"x": Decimal(1)}, expected_version=0, labels={}, updated_at=_T0
                )
            assert uow.documents.get("things", key) is None

    def test_find_filters_and_pages_in_key_order(self, storage: Storage) -> None:
        """`find` filters by labels and time range, pages in key order."""
        collection = unique("coll")
        with storage.unit_of_work() as uow:
            for i in range(7):
                uow.documents.put(
                    collection,
                    f"k{i}",
                    {"i": i},
                    expected_version=0,
                    labels={"parity": str(i % 2), "kind": "x"},
                    updated_at=_T0 + timedelta(hours=i),
                )
            uow.commit()
        with storage.unit_of_work() as uow:
            find = uow.documents.find
            assert [d.key for d in find(collection, labels={"parity": "0"})] == [
                "k0",
                "k2",
                "k4",
                "k6",
            ]
            assert [
                d.key for d in find(collection, labels={"parity": "1", "kind": "x"}, limit=2)
            ] == ["k1", "k3"]
            assert [d.key for d in find(collection, after="k4")] == ["k5", "k6"]
            assert [
                d.key
                for d in find(
                    collection,
                    updated_from=_T0 + timedelta(hours=2),
                    updated_to=_T0 + timedelta(hours=4),
                )
            ] == ["k2", "k3"]
            assert find(collection, labels={"parity": "2"}) == []
            assert find(unique("empty")) == []

    # ----- unit of work -----------------------------------------------------------------
    def test_unit_of_work_rolls_back_unless_committed(self, storage: Storage) -> None:
        """Leaving a unit of work without commit (or by an exception) undoes it."""
        key, other = unique(), unique()
        with storage.unit_of_work() as uow:
            uow.documents.put("things", key, {}, expected_version=0, labels={}, updated_at=_T0)
            uow.audit.append(key, actor="a", action="x", at=_T0)
        with pytest.raises(RuntimeError, match="boom"):
            _put_then_fail(storage, other)
        with storage.unit_of_work() as uow:
            assert uow.documents.get("things", key) is None
            assert uow.documents.get("things", other) is None
            assert uow.audit.entries(key) == []
            assert uow.audit.head(key) is None

    def test_units_of_work_do_not_nest(self, storage: Storage) -> None:
        """A second unit of work in the same thread is refused, not a deadlock."""
        key = unique()
        with storage.unit_of_work() as outer:
            with pytest.raises(StorageError, match="do not nest"), storage.unit_of_work():
                pass  # pragma: no cover
            outer.documents.put("things", key, {}, expected_version=0, labels={}, updated_at=_T0)
            outer.commit()
        with storage.unit_of_work() as uow:
            assert uow.documents.get("things", key) is not None

    def test_unit_of_work_is_used_once(self, storage: Storage) -> None:
        """A unit of work refuses use before enter and after commit."""
        with storage.unit_of_work() as uow:
            uow.commit()
            with pytest.raises(StorageError, match="not active"):
                uow.commit()
            with pytest.raises(StorageError, match="not active"):
                uow.documents.get("things", "x")
        outside = storage.unit_of_work()
        with pytest.raises(StorageError, match="not active"):
            outside.cases.get("x")

    # ----- audit log --------------------------------------------------------------------
    def test_audit_is_ordered_and_chained(self, storage: Storage) -> None:
        """Entries come back in order, chained, and verify."""
        case_id = unique("CASE")
        with storage.unit_of_work() as uow:
            first = uow.audit.append(case_id, actor="u1", action="open", at=_T0, after="Open")
            uow.commit()
        with storage.unit_of_work() as uow:
            second = uow.audit.append(
                case_id,
                actor="u2",
                action="submit",
                at=_T0 + timedelta(minutes=1),
                before="Open",
                after="Submitted",
                detail={"reason": "ready", "n": 2},
            )
            uow.commit()
        assert (first.seq, second.seq, second.prev_hash) == (1, 2, first.hash)
        with storage.unit_of_work() as uow:
            assert uow.audit.entries(case_id) == [first, second]
            assert uow.audit.head(case_id) == (2, second.hash)
        assert storage.verify_audit(case_id) == 2
        assert storage.verify_audit(unique("NONE")) == 0

    def test_audit_refuses_bad_entries(self, storage: Storage) -> None:
        """An entry without actor or with a naive time is refused."""
        case_id = unique("CASE")
        with storage.unit_of_work() as uow:
            with pytest.raises(ValidationError, match="actor"):
                uow.audit.append(case_id, actor="", action="x", at=_T0)
            with pytest.raises(ValidationError, match="naive"):
                uow.audit.append(case_id, actor="u", action="x", at=datetime(2026, 1, 1))
            assert uow.audit.entries(case_id) == []

    # ----- cases ------------------------------------------------------------------------
    def test_case_round_trip_everything(self, storage: Storage) -> None:
        """Everything in a case reads back equal, Money as exact Decimal."""
        written: list[Case[Any]] = [
            rich_case(storage),
            correction_case(storage),
            IssueCase.create(id=unique("ISS"), registered_by="u", clock=storage.clock),
        ]
        with storage.unit_of_work() as uow:
            for case in written:
                uow.cases.add(case, actor="intake")
            uow.commit()
        for case in written:
            assert case.version == 1
            with storage.unit_of_work() as uow:
                read = uow.cases.get(case.id)
            assert_same_case(read, case)
            assert case_to_record(read) == case_to_record(case)
        with storage.unit_of_work() as uow:
            pcc = uow.cases.get(written[1].id)
        assert isinstance(pcc, PaymentCorrectionCase)
        assert pcc.net == Money(Decimal("-427.42"), "EUR")
        assert isinstance(pcc.lines[0].amount.amount, Decimal)

    def test_case_add_twice_and_get_unknown(self, storage: Storage) -> None:
        """Adding a stored id fails; getting an unknown id raises NotFound."""
        case = rich_case(storage)
        storage.add_all([case])
        clone = rich_case(storage)
        clone.id = case.id
        with storage.unit_of_work() as uow:
            with pytest.raises(AlreadyExists, match=case.id):
                uow.cases.add(clone)
            with pytest.raises(NotFound, match="NOPE"):
                uow.cases.get("NOPE-" + unique())
        assert clone.version == 0

    def test_add_all_is_all_or_nothing(self, storage: Storage) -> None:
        """A batch with one stored (or repeated) id writes none of its cases."""
        stored = rich_case(storage)
        storage.add_all([stored])
        fresh = [rich_case(storage) for _ in range(3)]
        clone = rich_case(storage)
        clone.id = stored.id
        for batch in ([*fresh, clone], [*fresh, fresh[0]]):
            with pytest.raises(AlreadyExists):
                storage.add_all(batch)
            with storage.unit_of_work() as uow:
                for case in fresh:
                    assert uow.documents.get("cases", case.id) is None
                    assert uow.audit.entries(case.id) == []
            assert {c.version for c in fresh} == {0}
        assert storage.add_all(fresh) == 3
        assert [storage.verify_audit(c.id) for c in fresh] == [storage.verify_audit(stored.id)] * 3

    def test_stale_save_conflicts_and_writes_nothing(self, storage: Storage) -> None:
        """Saving a stale copy raises ConcurrencyConflict and writes nothing."""
        case = rich_case(storage)
        storage.add_all([case])
        with storage.unit_of_work() as uow:
            mine, theirs = uow.cases.get(case.id), uow.cases.get(case.id)
        mine.perform("approve", actor="boss")
        with storage.unit_of_work() as uow:
            uow.cases.save(mine)
            uow.commit()
        audited = storage.verify_audit(case.id)
        theirs.perform("reject", actor="boss", reason="missing documents")
        with storage.unit_of_work() as uow:
            with pytest.raises(ConcurrencyConflict, match=case.id):
                uow.cases.save(theirs)
            uow.commit()
        assert theirs.version == 1
        with storage.unit_of_work() as uow:
            read = uow.cases.get(case.id)
        assert (read.version, read.status.value) == (2, "Approved")
        assert storage.verify_audit(case.id) == audited

    def test_save_audits_changes_in_the_same_transaction(self, storage: Storage) -> None:
        """A save audits the case's pending events, or nothing if rolled back."""
        case = rich_case(storage)
        storage.add_all([case], actor="intake")
        with storage.unit_of_work() as uow:
            entries = uow.audit.entries(case.id)
        # open, then the events collected before the first save (evidence, task, submit)
        assert entries[0].action == "open"
        assert entries[0].actor == "intake"
        assert ("submit", "Open", "Submitted") in [(e.action, e.before, e.after) for e in entries]
        case.perform("approve", actor="boss")
        case.set_priority(Priority.URGENT, actor="boss", reason="escalated")
        with storage.unit_of_work() as uow:
            uow.cases.save(case)
        # rolled back: nothing audited, version restored, events still pending
        assert case.version == 1
        assert storage.verify_audit(case.id) == len(entries)
        assert case.pending_events
        with storage.unit_of_work() as uow:
            uow.cases.save(case)
            uow.commit()
        with storage.unit_of_work() as uow:
            later = uow.audit.entries(case.id)[len(entries) :]
        assert [(e.action, e.before, e.after) for e in later] == [
            ("approve", "Submitted", "Approved"),
            ("set_priority", "High", "Urgent"),
        ]
        # the save's last entry also holds the stored record's hash
        assert later[1].detail == {
            "reason": "escalated",
            "record_hash": later[1].detail["record_hash"],
        }
        assert not case.pending_events

    def test_events_are_published_after_commit_only(self, storage: Storage) -> None:
        """Domain events reach subscribers after commit, never on rollback."""
        seen: list[object] = []
        storage.subscribe(seen.append)
        case = rich_case(storage)
        expected = list(case.pending_events)
        with storage.unit_of_work() as uow:
            uow.cases.add(case)
            assert seen == []
        assert seen == []
        with storage.unit_of_work() as uow:
            uow.cases.add(case)
            uow.commit()
        assert [e for e in seen if getattr(e, "case_id", None) == case.id] == expected

    def test_query_by_every_filter_with_paging(self, storage: Storage) -> None:
        """Cases are found by type, status, owner, priority and update time, paged."""
        owner = Owner.user(unique("owner"))
        cases: list[Case[Any]] = []
        for i in range(6):
            case = ProductDeliveryCase.create(
                id=f"{owner.id}-{i}",
                product="B",
                primary_client="p1",
                owner=owner,
                priority=Priority.URGENT if i % 3 == 0 else Priority.NORMAL,
                clock=storage.clock,
            )
            if i % 2:
                case.perform("submit", actor="w")
            case.updated_at = _T0 + timedelta(days=i)
            cases.append(case)
        issue = IssueCase.create(id=f"{owner.id}-issue", owner=owner, clock=storage.clock)
        storage.add_all([*cases, issue])
        with storage.unit_of_work() as uow:
            query = uow.cases.query
            assert [
                c.id
                for c in query(
                    owner=owner, case_type="Product Delivery Case", status="Submitted"
                ).items
            ] == [
                cases[1].id,
                cases[3].id,
                cases[5].id,
            ]
            assert [c.id for c in query(owner=owner, priority=Priority.URGENT).items] == [
                cases[0].id,
                cases[3].id,
            ]
            assert [c.id for c in query(owner=owner, case_type="Issue Case").items] == [issue.id]
            ranged = query(
                owner=owner,
                case_type="Product Delivery Case",
                updated_from=_T0 + timedelta(days=1),
                updated_to=_T0 + timedelta(days=3),
            )
            assert [c.id for c in ranged.items] == [cases[1].id, cases[2].id]
            pages: list[str] = []
            after = None
            while True:
                page = query(owner=owner, limit=3, after=after)
                pages.extend(c.id for c in page.items)
                assert len(page.items) <= 3
                if page.next_after is None:
                    break
                after = page.next_after
            assert pages == sorted(c.id for c in [*cases, issue])
            assert query(owner=Owner.user(unique("nobody"))).items == ()
            with pytest.raises(ValidationError, match="limit"):
                query(limit=0)

    # ----- ledger ---------------------------------------------------------------------
    def test_ledger_lines_are_versioned_and_audited(self, storage: Storage) -> None:
        """Ledger lines round-trip, change only over their version, and are audited."""
        case_id = unique("PDC")
        amount = {"amount": "427.42", "currency": "EUR"}
        with storage.unit_of_work() as uow:
            ledger = uow.ledger
            ledger.record(
                case_id,
                LedgerKind.DETERMINATION,
                "d1",
                {"component": "basic", "rate": amount},
                actor="rules",
                at=_T0,
            )
            paid = ledger.record(
                case_id,
                LedgerKind.PAYMENT,
                "p1",
                {"amount": amount},
                status="Not Verified",
                actor="w",
                at=_T0,
            )
            uow.commit()
        assert (paid.version, paid.status, dict(paid.body)) == (
            1,
            "Not Verified",
            {"amount": amount},
        )
        with storage.unit_of_work() as uow:
            ledger = uow.ledger
            ledger.record(
                case_id,
                LedgerKind.PAYMENT,
                "p1",
                {"amount": amount},
                status="Submitted for Payment",
                expected_version=1,
                actor="boss",
                at=_T1,
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            with pytest.raises(ConcurrencyConflict, match="p1"):
                uow.ledger.record(
                    case_id,
                    LedgerKind.PAYMENT,
                    "p1",
                    {"amount": {"amount": "1.00", "currency": "EUR"}},
                    status="Payment Voided",
                    expected_version=1,
                    actor="x",
                    at=_T1,
                )
            with pytest.raises(AlreadyExists):
                uow.ledger.record(case_id, LedgerKind.DETERMINATION, "d1", {}, actor="x", at=_T1)
            uow.commit()
        with storage.unit_of_work() as uow:
            line = uow.ledger.line(case_id, LedgerKind.PAYMENT, "p1")
            assert line is not None
            assert (line.version, line.status, dict(line.body), line.updated_at) == (
                2,
                "Submitted for Payment",
                {"amount": amount},
                _T1,
            )
            assert [ln.line_id for ln in uow.ledger.lines(case_id)] == ["d1", "p1"]
            assert [ln.line_id for ln in uow.ledger.lines(case_id, LedgerKind.PAYMENT)] == ["p1"]
            assert uow.ledger.lines(unique("NONE")) == []
            trail = [(e.action, e.before, e.after) for e in uow.audit.entries(case_id)]
        assert trail == [
            ("determination_recorded", None, None),
            ("payment_recorded", None, "Not Verified"),
            ("payment_changed", "Not Verified", "Submitted for Payment"),
        ]
        assert storage.verify_audit(case_id) == 3

    # ----- routing --------------------------------------------------------------------
    def test_routing_offers_by_priority_age_and_least_active(self, storage: Storage) -> None:
        """Urgent first, then oldest; least loaded agent with every skill; full agents wait."""
        skill = unique("skill")
        a1, a2 = f"{skill}-a1", f"{skill}-a2"
        with storage.unit_of_work() as uow:
            r = uow.routing
            r.put_agent(a1, skills={skill, "extra"}, capacity=2)
            r.put_agent(a2, skills={skill}, capacity=1)
            r.enqueue(f"{skill}-i1", priority=Priority.NORMAL, skills={skill}, at=_T0)
            r.enqueue(f"{skill}-i2", priority=Priority.URGENT, skills={skill}, at=_T1)
            r.enqueue(f"{skill}-i3", priority=Priority.NORMAL, skills={skill, "extra"}, at=_T1)
            r.enqueue(f"{skill}-i4", priority=Priority.LOW, skills={skill}, at=_T0)
            uow.commit()
        try:
            offered = []
            for _ in range(4):
                with storage.unit_of_work() as uow:
                    item = uow.routing.offer_next(now=_T1, timeout=timedelta(minutes=5))
                    uow.commit()
                offered.append(None if item is None else (item.item_id[-2:], item.agent_id))
            assert offered == [("i2", a1), ("i1", a2), ("i3", a1), None]
            with storage.unit_of_work() as uow:
                r = uow.routing
                assert [
                    (a.agent_id, a.load) for a in r.agents() if a.agent_id.startswith(skill)
                ] == [
                    (a1, 2),
                    (a2, 1),
                ]
                assert r.queue_length() >= 1
                queued = r.item(f"{skill}-i4")
                assert queued is not None
                assert queued.state is ItemState.QUEUED
                i1 = r.item(f"{skill}-i1")
                assert i1 is not None
                assert (i1.state, i1.deadline) == (ItemState.OFFERED, _T1 + timedelta(minutes=5))
                assert r.offers(f"{skill}-i1") == [(a2, _T1 + timedelta(minutes=5))]
                with pytest.raises(AlreadyExists):
                    r.enqueue(f"{skill}-i1", priority=Priority.LOW, skills={skill}, at=_T1)
        finally:
            _clear_routing(storage, skill)

    def test_routing_accept_decline_expire_presence_pin_release(self, storage: Storage) -> None:
        """Every routing change keeps loads exact and never re-offers to a decliner."""
        skill = unique("skill")
        a1, a2 = f"{skill}-a1", f"{skill}-a2"
        i1, i2, i3 = f"{skill}-i1", f"{skill}-i2", f"{skill}-i3"
        minute = timedelta(minutes=1)
        try:
            with storage.unit_of_work() as uow:
                r = uow.routing
                r.put_agent(a1, skills={skill})
                r.put_agent(a2, skills={skill}, capacity=1)
                for n, item_id in enumerate((i1, i2, i3)):
                    r.enqueue(item_id, priority=Priority.HIGH, skills={skill}, at=_T0 + n * minute)
                first = r.offer_next(now=_T1, timeout=minute)
                assert first is not None
                assert (first.item_id, first.agent_id) == (i1, a1)
                with pytest.raises(OfferNotPending, match=i1):
                    r.accept(i1, a2, at=_T1)
                r.decline(i1, a1)
                again = r.offer_next(now=_T1, timeout=minute)
                assert again is not None
                assert (again.item_id, again.agent_id, again.declined_by) == (
                    i1,
                    a2,
                    frozenset({a1}),
                )
                assert r.accept(i1, a2, at=_T1).state is ItemState.ACCEPTED
                second = r.offer_next(now=_T1, timeout=minute)  # a2 is full: a1 gets it
                assert second is not None
                assert (second.item_id, second.agent_id) == (i2, a1)
                assert r.expire(now=_T1 + 2 * minute) == [i2]
                third = r.offer_next(now=_T1 + 2 * minute, timeout=minute)
                assert third is not None
                assert (third.item_id, third.agent_id) == (i3, a1)
                # i2 expired with a1 (a decline) and a2 is full: it waits
                assert r.offer_next(now=_T1 + 2 * minute, timeout=minute) is None
                uow.commit()
            _pins_presence_and_release(storage, skill)
            with storage.unit_of_work() as uow:
                actions = [e.action for e in uow.audit.entries(i1)]
                assert actions == ["accept_offer", "release"]
                assert [e.action for e in uow.audit.entries(i3)] == ["pin", "release"]
        finally:
            _clear_routing(storage, skill)

    def test_routing_changes_roll_back(self, storage: Storage) -> None:
        """A routing decision not committed leaves nothing behind."""
        skill = unique("skill")
        try:
            with storage.unit_of_work() as uow:
                uow.routing.put_agent(f"{skill}-a", skills={skill})
                uow.routing.enqueue(f"{skill}-i", priority=Priority.LOW, skills={skill}, at=_T0)
                uow.commit()
            with storage.unit_of_work() as uow:
                assert uow.routing.offer_next(now=_T1, timeout=timedelta(minutes=1)) is not None
            with storage.unit_of_work() as uow:
                item = uow.routing.item(f"{skill}-i")
                agent = uow.routing.agent(f"{skill}-a")
                assert item is not None
                assert agent is not None
                assert (item.state, agent.load, uow.routing.offers(item.item_id)) == (
                    ItemState.QUEUED,
                    0,
                    [],
                )
        finally:
            _clear_routing(storage, skill)

    def test_offer_batch_offers_what_offer_next_would_one_by_one(self, storage: Storage) -> None:
        """A batch makes the offers repeated ``offer_next`` calls would, in the same order."""
        minute = timedelta(minutes=1)
        runs = []
        for how in ("one by one", "batch", "batches of 2"):
            skill = unique("skill")
            try:
                _batch_story(storage, skill)
                with storage.unit_of_work() as uow:
                    r = uow.routing
                    if how == "one by one":
                        made = []
                        while (item := r.offer_next(now=_T1, timeout=minute)) is not None:
                            made.append(item)
                    elif how == "batch":
                        made = r.offer_batch(now=_T1, timeout=minute, limit=100)
                    else:
                        made = []
                        while batch := r.offer_batch(now=_T1, timeout=minute, limit=2):
                            assert len(batch) <= 2
                            made.extend(batch)
                    assert all(r.item(i.item_id) == i for i in made)  # as stored
                    uow.commit()
                with storage.unit_of_work() as uow:
                    loads = [a.load for a in uow.routing.agents() if a.agent_id.startswith(skill)]
                    logged = [uow.routing.offers(i.item_id) for i in made]
                runs.append(
                    (
                        [(i.item_id[len(skill) :], (i.agent_id or "")[len(skill) :]) for i in made],
                        loads,
                        [[deadline for _, deadline in log] for log in logged],
                    )
                )
            finally:
                _clear_routing(storage, skill)
        assert runs[0] == runs[1] == runs[2]
        offers, loads, _ = runs[0]
        # 'blocked' (declined by all) and 'nobody' (skill y) stay queued; urgent first.
        assert offers == [
            ("-urgent", "-a1"),  # all hold 0, offered work at the same time: by id
            ("-high", "-a2"),  # a1 now holds 1
            ("-x", "-a1"),  # only a1 holds skill x
            ("-old", "-a3"),  # a1 and a2 are full
            ("-new", "-a3"),
        ]
        assert loads == [2, 1, 2]

    def test_offer_batch_over_many_agents_agrees_with_the_oracle(self, storage: Storage) -> None:
        """Batches over more agents than one page of candidates decide as the oracle does."""
        skill = unique("skill")
        oracle = MemoryStorage(clock=storage.clock)
        minute = timedelta(minutes=1)
        answers = []
        try:
            for target in (storage, oracle):
                with target.unit_of_work() as uow:
                    r = uow.routing
                    for n in range(70):
                        held = {skill, f"{skill}x"} if n % 3 == 0 else {skill}
                        r.put_agent(f"{skill}-a{n:02d}", skills=held, capacity=1 + n % 3)
                    for n in range(150):
                        needs = {skill, f"{skill}x"} if n % 4 == 0 else {skill}
                        priority = list(Priority)[n % 4]
                        at = _T0 + (n % 7) * minute
                        r.enqueue(f"{skill}-i{n:03d}", priority=priority, skills=needs, at=at)
                    made = r.offer_batch(now=_T1, timeout=minute, limit=40)
                    made += r.offer_batch(now=_T1 + minute, timeout=minute, limit=200)
                    uow.commit()
                answers.append([(i.item_id, i.agent_id, i.deadline) for i in made])
        finally:
            _clear_routing(storage, skill)
        assert answers[0] == answers[1]
        assert len(answers[0]) > 100  # past several pages of candidates

    def test_offer_batch_is_one_unit_of_work(self, storage: Storage) -> None:
        """Not committed, a batch leaves nothing; a bad limit is refused, nothing changed."""
        skill = unique("skill")
        minute = timedelta(minutes=1)
        try:
            _batch_story(storage, skill)
            with storage.unit_of_work() as uow:
                assert len(uow.routing.offer_batch(now=_T1, timeout=minute, limit=3)) == 3
            with storage.unit_of_work() as uow:
                for limit in (0, -1, 1.5):
                    with pytest.raises(ValidationError, match="limit"):
                        uow.routing.offer_batch(now=_T1, timeout=minute, limit=limit)  # type: ignore[arg-type]
                with pytest.raises(ValidationError, match="timeout"):
                    uow.routing.offer_batch(now=_T1, timeout=timedelta(0), limit=1)
                mine = [i for i in uow.routing.items() if i.item_id.startswith(skill)]
                assert {i.state for i in mine} == {ItemState.QUEUED}
                fresh = [i for i in mine if not i.item_id.endswith("-blocked")]
                assert all(uow.routing.offers(i.item_id) == [] for i in fresh)
                assert [a.load for a in uow.routing.agents() if a.agent_id.startswith(skill)] == [
                    0,
                    0,
                    0,
                ]
        finally:
            _clear_routing(storage, skill)


def _batch_story(storage: Storage, skill: str) -> None:
    """Three agents (a3 declined 'blocked'), five routable items and one nobody can take."""
    minute = timedelta(minutes=1)
    with storage.unit_of_work() as uow:
        r = uow.routing
        r.put_agent(f"{skill}-a1", skills={skill, f"{skill}x"}, capacity=2)
        r.put_agent(f"{skill}-a2", skills={skill}, capacity=1)
        r.put_agent(f"{skill}-a3", skills={skill}, capacity=2)
        r.enqueue(f"{skill}-blocked", priority=Priority.URGENT, skills={skill}, at=_T0)
        r.enqueue(f"{skill}-nobody", priority=Priority.URGENT, skills={f"{skill}y"}, at=_T0)
        r.enqueue(f"{skill}-urgent", priority=Priority.URGENT, skills={skill}, at=_T0 + minute)
        r.enqueue(f"{skill}-high", priority=Priority.HIGH, skills={skill}, at=_T0)
        r.enqueue(f"{skill}-x", priority=Priority.NORMAL, skills={skill, f"{skill}x"}, at=_T0)
        r.enqueue(f"{skill}-old", priority=Priority.NORMAL, skills={skill}, at=_T0 + minute)
        r.enqueue(f"{skill}-new", priority=Priority.NORMAL, skills={skill}, at=_T0 + 2 * minute)
        uow.commit()
    # 'blocked' is offered to each agent and declined, so nobody may take it again.
    for _ in range(3):
        with storage.unit_of_work() as uow:
            item = uow.routing.offer_next(now=_T0, timeout=minute)
            assert item is not None
            assert item.item_id == f"{skill}-blocked"
            assert item.agent_id is not None
            uow.routing.decline(item.item_id, item.agent_id)
            uow.commit()


def _pins_presence_and_release(storage: Storage, skill: str) -> None:
    """The second half of the routing walk-through (see the contract test)."""
    a1, a2 = f"{skill}-a1", f"{skill}-a2"
    i1, i3 = f"{skill}-i1", f"{skill}-i3"
    minute = timedelta(minutes=1)
    with storage.unit_of_work() as uow:
        r = uow.routing
        with pytest.raises(CapacityExceeded, match=a2):
            r.pin(i3, a2, actor="boss", at=_T1)
        r.release(i1, actor="boss", at=_T1)
        pinned = r.pin(i3, a2, actor="boss", at=_T1)
        assert (pinned.state, pinned.agent_id) == (ItemState.PINNED, a2)
        assert r.offer_next(now=_T1, timeout=minute) is None  # a1 declined both
        r.put_agent(a2, skills={skill}, capacity=2)
        offered = r.offer_next(now=_T1, timeout=minute)
        assert offered is not None
        assert (offered.item_id, offered.agent_id) == (i1, a2)
        assert r.set_presence(a2, False) == [i1]
        kept = r.item(i3)
        assert kept is not None
        assert kept.state is ItemState.PINNED  # pins survive their owner going offline
        released = r.release(i3, actor="boss", at=_T1)
        assert released.enqueued_at == _T0 + 2 * minute  # keeps its age
        assert [a.load for a in (r.agent(a1), r.agent(a2)) if a] == [0, 0]
        uow.commit()


def _clear_routing(storage: Storage, prefix: str) -> None:
    """Finish the items and take offline the agents a test made (they share the storage)."""
    with storage.unit_of_work() as uow:
        for item in uow.routing.items():
            if item.item_id.startswith(prefix):
                uow.routing.finish(item.item_id, actor="test", at=_T1)
        for agent in uow.routing.agents():
            if agent.agent_id.startswith(prefix):
                uow.routing.set_presence(agent.agent_id, False)
        uow.commit()


def repository_machine(storage: Storage) -> type[RuleBasedStateMachine]:
    """A Hypothesis state machine running ``storage``'s case repository beside the oracle.

    Every rule does the same thing to both (add, change and save, save a stale copy, query)
    and checks they answer alike; run it with
    ``hypothesis.stateful.run_state_machine_as_test(repository_machine(storage))``.
    """

    class RepositoryMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.oracle = MemoryStorage(clock=storage.clock)
            self.owner = Owner.user(unique("hyp"))
            self.copies: dict[str, tuple[Case[Any], Case[Any]]] = {}  # id -> (subject, oracle)
            self.stale: list[tuple[Case[Any], Case[Any]]] = []

        def _both(self, case_id: str) -> tuple[Case[Any], Case[Any]]:
            with storage.unit_of_work() as a, self.oracle.unit_of_work() as b:
                return a.cases.get(case_id), b.cases.get(case_id)

        @rule(priority=st.sampled_from(list(Priority)), n=st.integers(0, 3))
        def add(self, priority: Priority, n: int) -> None:
            case_id = f"{self.owner.id}-{len(self.copies):03d}"
            made = [
                ProductDeliveryCase.create(
                    id=case_id,
                    product="B",
                    primary_client="p1",
                    owner=self.owner,
                    supervisor=Owner.user("boss"),
                    priority=priority,
                    clock=storage.clock,
                )
                for _ in range(2)
            ]
            for case in made:
                for i in range(n):
                    case.add_note(f"note {i}", author="w")
            for target, case in zip((storage, self.oracle), made, strict=True):
                target.add_all([case])
            self.copies[case_id] = (made[0], made[1])

        @precondition(lambda self: self.copies)
        @rule(
            data=st.data(),
            action=st.sampled_from(["submit", "approve", "reject", "note", "priority"]),
            commit=st.booleans(),
        )
        def change(self, data: st.DataObject, action: str, commit: bool) -> None:
            case_id = data.draw(st.sampled_from(sorted(self.copies)))
            pair = self._both(case_id)
            self.stale.append(self._both(case_id))
            for case in pair:
                if action == "note":
                    case.add_note("more", author="w")
                elif action == "priority":
                    case.set_priority(case.priority.raised(), actor="boss")
                elif action in case.available_actions():
                    kwargs = {"reason": "no"} if action == "reject" else {}
                    case.perform(action, actor="boss", **kwargs)
            for target, case in zip((storage, self.oracle), pair, strict=True):
                with target.unit_of_work() as uow:
                    uow.cases.save(case)
                    if commit:
                        uow.commit()
            assert pair[0].version == pair[1].version

        @precondition(lambda self: self.stale)
        @rule(data=st.data())
        def save_stale(self, data: st.DataObject) -> None:
            subject, oracle = data.draw(st.sampled_from(self.stale))
            outcomes = []
            for target, case in ((storage, subject), (self.oracle, oracle)):
                with target.unit_of_work() as uow:
                    try:
                        uow.cases.save(case)
                        uow.commit()
                        outcomes.append("saved")
                    except ConcurrencyConflict:
                        outcomes.append("conflict")
            assert outcomes[0] == outcomes[1]
            self.stale.remove((subject, oracle))

        @rule(
            status=st.none() | st.sampled_from(["Open", "Submitted", "Approved"]),
            priority=st.none() | st.sampled_from(list(Priority)),
            limit=st.integers(1, 4),
        )
        def query(self, status: str | None, priority: Priority | None, limit: int) -> None:
            answers = []
            for target in (storage, self.oracle):
                ids: list[str] = []
                after = None
                with target.unit_of_work() as uow:
                    while True:
                        page = uow.cases.query(
                            owner=self.owner,
                            status=status,
                            priority=priority,
                            limit=limit,
                            after=after,
                        )
                        ids.extend(c.id for c in page.items)
                        if page.next_after is None:
                            break
                        after = page.next_after
                answers.append(ids)
            assert answers[0] == answers[1]

        @invariant()
        def same_cases_and_audit(self) -> None:
            for case_id in self.copies:
                subject, oracle = self._both(case_id)
                assert case_to_record(subject) == case_to_record(oracle)
                assert storage.verify_audit(case_id) == self.oracle.verify_audit(case_id)

    return RepositoryMachine


def routing_machine(storage: Storage) -> type[RuleBasedStateMachine]:
    """A Hypothesis state machine running ``storage``'s routing store beside the oracle.

    Every rule (add an agent, enqueue, offer, offer a batch, accept, decline, expire,
    presence, pin, release, finish) is applied to both; answers, errors, items, agents and
    offer logs must agree. Run it with ``run_state_machine_as_test(routing_machine(storage))``.
    """

    class RoutingMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.oracle = MemoryStorage(clock=storage.clock)
            self.prefix = unique("route")
            self.skill = self.prefix
            self.now = _T1
            self.agents: list[str] = []
            self.items: list[str] = []
            self.made = 0

        def _both(self, action: Any) -> Any:
            """Apply ``action(routing)`` to both stores; results (or error types) must match."""
            answers: list[object] = []
            for target in (storage, self.oracle):
                with target.unit_of_work() as uow:
                    try:
                        answers.append(action(uow.routing))
                        uow.commit()
                    except (CapacityExceeded, OfferNotPending, NotFound) as error:
                        answers.append(type(error))
            assert answers[0] == answers[1]
            return answers[0]

        @precondition(lambda self: len(self.agents) < 4)
        @rule(capacity=st.integers(1, 3))
        def add_agent(self, capacity: int) -> None:
            agent_id = f"{self.prefix}-a{len(self.agents)}"
            self._both(lambda r: r.put_agent(agent_id, skills={self.skill}, capacity=capacity))
            self.agents.append(agent_id)

        @rule(priority=st.sampled_from(list(Priority)))
        def enqueue(self, priority: Priority) -> None:
            self.made += 1
            item_id = f"{self.prefix}-i{self.made:03d}"
            self.now += timedelta(seconds=1)
            at = self.now
            self._both(lambda r: r.enqueue(item_id, priority=priority, skills={self.skill}, at=at))
            self.items.append(item_id)

        @rule(minutes=st.integers(1, 3))
        def offer(self, minutes: int) -> None:
            now = self.now
            self._both(lambda r: r.offer_next(now=now, timeout=timedelta(minutes=minutes)))

        @rule(minutes=st.integers(1, 3), limit=st.integers(1, 4))
        def offer_batch(self, minutes: int, limit: int) -> None:
            now = self.now
            timeout = timedelta(minutes=minutes)
            self._both(lambda r: r.offer_batch(now=now, timeout=timeout, limit=limit))

        def _offered(self) -> list[tuple[str, str]]:
            with self.oracle.unit_of_work() as uow:
                return [
                    (i.item_id, i.agent_id)
                    for i in uow.routing.items()
                    if i.state is ItemState.OFFERED and i.agent_id is not None
                ]

        @initialize(
            capacity=st.integers(1, 3),
            priorities=st.lists(st.sampled_from(list(Priority)), min_size=1, max_size=4),
        )
        def start(self, capacity: int, priorities: list[Priority]) -> None:
            self.add_agent(capacity)
            self.add_agent(1)
            for priority in priorities:
                self.enqueue(priority)

        @precondition(lambda self: self._offered())
        @rule(data=st.data(), accept=st.booleans())
        def answer_offer(self, data: st.DataObject, accept: bool) -> None:
            item_id, agent_id = data.draw(st.sampled_from(self._offered()))
            now = self.now
            if accept:
                self._both(lambda r: r.accept(item_id, agent_id, at=now))
            else:
                self._both(lambda r: r.decline(item_id, agent_id))

        @precondition(lambda self: self.items and self.agents)
        @rule(data=st.data(), verb=st.sampled_from(["accept", "decline", "pin"]))
        def act(self, data: st.DataObject, verb: str) -> None:
            item_id = data.draw(st.sampled_from(self.items))
            agent_id = data.draw(st.sampled_from(self.agents))
            now = self.now
            if verb == "accept":
                self._both(lambda r: r.accept(item_id, agent_id, at=now))
            elif verb == "decline":
                self._both(lambda r: r.decline(item_id, agent_id))
            else:
                self._both(lambda r: r.pin(item_id, agent_id, actor="boss", at=now))

        @precondition(lambda self: self.items)
        @rule(data=st.data(), finish=st.booleans())
        def release_or_finish(self, data: st.DataObject, finish: bool) -> None:
            item_id = data.draw(st.sampled_from(self.items))
            now = self.now
            if finish:
                self._both(lambda r: r.finish(item_id, actor="boss", at=now))
                self.items.remove(item_id)
            else:
                self._both(lambda r: r.release(item_id, actor="boss", at=now))

        @rule(minutes=st.integers(1, 4))
        def expire(self, minutes: int) -> None:
            self.now += timedelta(minutes=minutes)
            now = self.now
            self._both(lambda r: r.expire(now=now))

        @precondition(lambda self: self.agents)
        @rule(data=st.data(), available=st.booleans())
        def presence(self, data: st.DataObject, available: bool) -> None:
            agent_id = data.draw(st.sampled_from(self.agents))
            self._both(lambda r: r.set_presence(agent_id, available))

        @invariant()
        def same_state(self) -> None:
            def mine(r: Any) -> object:
                return (
                    [i for i in r.items() if i.item_id.startswith(self.prefix)],
                    [a for a in r.agents() if a.agent_id.startswith(self.prefix)],
                    [r.offers(item_id) for item_id in self.items],
                )

            state = self._both(mine)
            items, agents, _ = state
            held = {a.agent_id: 0 for a in agents}
            for item in items:
                if item.agent_id is not None:
                    held[item.agent_id] += 1
            assert {a.agent_id: a.load for a in agents} == held
            assert all(a.load <= a.capacity for a in agents)

        def teardown(self) -> None:
            _clear_routing(storage, self.prefix)

    return RoutingMachine


def open_storage(backend: str, target: str, *, clock: Clock = SYSTEM_CLOCK) -> Storage:
    """Open a storage by backend name (``sqlite`` or ``postgres``) and path or conninfo."""
    if backend == "sqlite":
        from casekit.storage.sqlite import SQLiteStorage  # noqa: PLC0415  by backend

        return SQLiteStorage(target, clock=clock)
    if backend == "postgres":
        from casekit.storage.postgres import PostgresStorage  # noqa: PLC0415  by backend

        return PostgresStorage(target, clock=clock)
    raise ValidationError(f"backend must be 'sqlite' or 'postgres', got {backend!r}")


def routing_worker(argv: Sequence[str]) -> None:
    """A router process for crash and multi-process tests: ``BACKEND TARGET MODE START [BATCH]``.

    Each routing decision is its own unit of work; after each commit the worker prints one
    line (``O item agent deadline``, ``A item agent``) and flushes, so whoever kills it knows
    exactly what was committed. ``MODE`` is ``crash`` (offer everything; accept the items
    whose number is even), ``offer`` (offer only, until nothing can be offered) or ``drain``
    (offer, then accept and finish, until the queue is empty). The last line is
    ``T seconds offers``: the routing loop's own time and number of offers. ``START`` is the
    routing clock's start, in seconds after 2026-03-02T09:00Z; it advances one millisecond
    per decision. An optional ``BATCH`` (modes ``offer`` and ``drain``) makes up to that many
    offers per unit of work with ``offer_batch``, printed after it commits.
    """
    backend, target, mode, start, *rest = argv
    batch = int(rest[0]) if rest else 1
    clock = ManualClock(_T0 + timedelta(seconds=float(start)))
    storage = open_storage(backend, target, clock=clock)
    timeout = timedelta(minutes=10)
    idle = offers = 0
    began = time.perf_counter()
    if mode in ("offer", "drain") and batch > 1:
        offers = _offer_in_batches(storage, clock, timeout, batch, drain=mode == "drain")
        sys.stdout.write(f"T {time.perf_counter() - began:.6f} {offers}\n")
        storage.close()
        return
    while True:
        clock.advance(timedelta(milliseconds=1))
        with storage.unit_of_work() as uow:
            item = uow.routing.offer_next(now=clock.now(), timeout=timeout)
            uow.commit()
        if item is None:
            if mode in ("crash", "offer") or _queue_empty(storage):
                break
            idle += 1
            time.sleep(min(0.001 * idle, 0.05))  # others hold the remaining items
            continue
        idle = 0
        offers += 1
        assert item.agent_id is not None
        assert item.deadline is not None
        sys.stdout.write(f"O {item.item_id} {item.agent_id} {item.deadline.isoformat()}\n")
        sys.stdout.flush()
        if mode == "offer" or (mode == "crash" and int(item.item_id.rsplit("-", 1)[1]) % 2):
            continue
        with storage.unit_of_work() as uow:
            uow.routing.accept(item.item_id, item.agent_id, at=clock.now())
            if mode == "drain":
                uow.routing.finish(item.item_id, actor=item.agent_id, at=clock.now())
            uow.commit()
        sys.stdout.write(f"A {item.item_id} {item.agent_id}\n")
        sys.stdout.flush()
    sys.stdout.write(f"T {time.perf_counter() - began:.6f} {offers}\n")
    storage.close()


def _offer_in_batches(
    storage: Storage, clock: ManualClock, timeout: timedelta, batch: int, *, drain: bool
) -> int:
    """Offer up to ``batch`` items per unit of work until none can be; return how many.

    Each offer is printed after its unit of work commits. With ``drain``, the offers are
    then accepted and finished (one unit of work, printed after it commits too), until the
    queue is empty.
    """
    offers = idle = 0
    while True:
        clock.advance(timedelta(milliseconds=1))
        with storage.unit_of_work() as uow:
            made = uow.routing.offer_batch(now=clock.now(), timeout=timeout, limit=batch)
            uow.commit()
        if not made:
            if not drain or _queue_empty(storage):
                return offers
            idle += 1
            time.sleep(min(0.001 * idle, 0.05))  # others hold the remaining items or agents
            continue
        idle = 0
        offers += len(made)
        sys.stdout.write(
            "".join(
                f"O {item.item_id} {item.agent_id} {item.deadline.isoformat()}\n"
                for item in made
                if item.deadline is not None
            )
        )
        sys.stdout.flush()
        if drain:
            with storage.unit_of_work() as uow:
                for item in made:
                    assert item.agent_id is not None
                    uow.routing.accept(item.item_id, item.agent_id, at=clock.now())
                    uow.routing.finish(item.item_id, actor=item.agent_id, at=clock.now())
                uow.commit()
            sys.stdout.write("".join(f"A {item.item_id} {item.agent_id}\n" for item in made))
            sys.stdout.flush()


def _queue_empty(storage: Storage) -> bool:
    with storage.unit_of_work() as uow:
        return uow.routing.queue_length() == 0


if __name__ == "__main__":
    routing_worker(sys.argv[1:])
