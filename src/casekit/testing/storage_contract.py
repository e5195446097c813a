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

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
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
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    NotFound,
    StorageError,
    ValidationError,
)
from casekit.money import Money
from casekit.priority import Priority
from casekit.storage.memory import MemoryStorage
from casekit.storage.ports import JsonText, LedgerKind
from casekit.storage.unit_of_work import Storage

__all__ = [
    "StorageContract",
    "assert_same_case",
    "open_storage",
    "repository_machine",
    "rich_case",
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


def open_storage(backend: str, target: str, *, clock: Clock = SYSTEM_CLOCK) -> Storage:
    """Open a storage by backend name (``sqlite`` or ``postgres``) and path or conninfo."""
    if backend == "sqlite":
        from casekit.storage.sqlite import SQLiteStorage  # noqa: PLC0415  by backend

        return SQLiteStorage(target, clock=clock)
    if backend == "postgres":
        from casekit.storage.postgres import PostgresStorage  # noqa: PLC0415  by backend

        return PostgresStorage(target, clock=clock)
    raise ValidationError(f"backend must be 'sqlite' or 'postgres', got {backend!r}")
