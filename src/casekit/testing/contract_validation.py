"""The storage validation contract: every adapter checks its input at the door.

The rules, each a test below, on every adapter (subclass `ValidationContract` and
provide a session- or class-scoped ``storage`` fixture, as for
`StorageContract`):

- A refused call changes nothing: storage writes check all of their input (actors, times,
  kinds, keys, labels, bodies, audit entries) before their first write, so a caller who
  catches the [`ValidationError`][] and commits commits nothing of it.
- A change that fails after its first write makes the unit of work refuse to commit.
- Bad values never reach a driver: NUL characters, lone surrogates and over-long keys are
  [`ValidationError`][] on every adapter, never a driver error.
- Label filters find what the in-memory adapter (the oracle) finds, whatever the label name.
- Decoding a stored record never imports a module the record names.

Needs ``pip install casekit[testing]`` (pytest).
"""

from __future__ import annotations

import random
import reprlib
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from casekit.cases import Owner, ProductDeliveryCase
from casekit.checks import MAX_ID_LENGTH
from casekit.errors import CasekitError, CorruptRecord, StorageError, ValidationError
from casekit.priority import Priority
from casekit.storage._checks import MAX_COLLECTION_LENGTH, MAX_LABEL_LENGTH
from casekit.storage.memory import MemoryStorage
from casekit.storage.ports import JsonText, LedgerKind
from casekit.storage.unit_of_work import Storage, UnitOfWork
from casekit.testing.contract_support import unique

__all__ = ["BAD_ACTORS", "BAD_KEYS", "ValidationContract", "new_case"]

_T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)

BAD_ACTORS: tuple[object, ...] = ("", "   ", 123, None, "a\x00b", "\ud800", "x" * 600)
"""Actors every write refuses."""

BAD_KEYS: tuple[object, ...] = ("", "k\x00", "\ud800", "x" * 10_000, 7, None)
"""Document keys every adapter refuses (blank, NUL, lone surrogate, 10 KB, not text)."""

ODD_LABEL_NAMES: tuple[str, ...] = (
    "stätus",
    'we"ird',
    "back\\slash",
    "a.b",
    "x[0]",
    "$",
    "sp ace",
    "tab\tname",
    "line\u2028sep",
    "'single'",
    "名前",
)
"""Label names a JSON path must quote (or cannot): filters must still find them."""


def _nested(depth: int) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(depth):
        body = {"x": body}
    return body


def new_case(storage: Storage) -> ProductDeliveryCase:
    """A fresh, unstored PDC bound to ``storage``'s clock."""
    return ProductDeliveryCase.create(
        id=unique("PDC"),
        product="B",
        primary_client="p1",
        owner=Owner.user("w"),
        supervisor=Owner.user("boss"),
        clock=storage.clock,
    )


def _nothing_stored(storage: Storage, *case_ids: str) -> None:
    with storage.unit_of_work() as uow:
        for case_id in case_ids:
            assert uow.documents.get("cases", case_id) is None, case_id
            assert uow.audit.entries(case_id) == [], case_id
            assert uow.audit.head(case_id) is None, case_id


def _refused(call: Callable[[], object], match: str | None = None) -> ValidationError:
    """Run ``call``; it must raise ValidationError (never a bare builtin error)."""
    with pytest.raises(ValidationError, match=match) as caught:
        call()
    return caught.value


def _spoil_pending_event(case: ProductDeliveryCase, field: str, value: object) -> None:
    """Put a value no audit entry may hold into the case's last pending event.

    Domain checks would refuse it when the event is made; a test reaches past them to
    check that storage checks what it audits, too.
    """
    event = case.pending_events[-1]
    object.__setattr__(event, field, value)


class ValidationContract:
    """Storage checks every argument before it writes; refused calls change nothing.

    Subclass it as ``Test...`` and provide a ``storage`` fixture.
    """

    # ----- a refused call inside a unit of work leaves nothing to commit ---------------
    @pytest.mark.parametrize("actor", BAD_ACTORS, ids=repr)
    def test_rule_add_with_a_bad_actor_writes_nothing_even_if_committed(
        self, storage: Storage, actor: object
    ) -> None:
        """Rule: ``cases.add(case, actor=bad)`` is refused before the row is written."""
        case = new_case(storage)
        with storage.unit_of_work() as uow:
            _refused(lambda: uow.cases.add(case, actor=actor))  # type: ignore[arg-type]
            uow.commit()  # the caller caught the error and commits: nothing to commit
        assert case.version == 0
        _nothing_stored(storage, case.id)
        assert storage.verify_audit(case.id) == 0

    @pytest.mark.parametrize("case_id", ["x" * 600, "PDC\x00", "PDC-\ud800"], ids=repr)
    def test_rule_a_case_whose_id_cannot_be_a_key_is_refused(
        self, storage: Storage, case_id: str
    ) -> None:
        """Rule: a case id the database cannot key is a ValidationError naming the case id."""
        case = new_case(storage)
        case.id = case_id
        with storage.unit_of_work() as uow:
            _refused(
                lambda: uow.cases.add(case, actor="intake"), match="id of the Product Delivery Case"
            )
            _refused(
                lambda: uow.cases.add_all([case], actor="intake"),
                match="id of the Product Delivery Case",
            )
            uow.commit()
        assert case.version == 0

    def test_rule_a_non_string_actor_never_reaches_the_trail(self, storage: Storage) -> None:
        """Rule: ``actor=123`` is refused, so the untouched trail verifies (no false alarm)."""
        case = new_case(storage)
        with storage.unit_of_work() as uow:
            _refused(lambda: uow.cases.add(case, actor=123), match="actor")  # type: ignore[arg-type]
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.cases.add(case, actor="intake")
            uow.commit()
        assert storage.verify_audit(case.id) == 1

    def test_rule_add_all_checks_every_case_and_the_actor_first(self, storage: Storage) -> None:
        """Rule: ``cases.add_all`` writes none of a batch with a bad actor or a bad member."""
        cases = [new_case(storage) for _ in range(3)]
        spoiled = new_case(storage)
        spoiled.set_priority(Priority.HIGH, actor="boss")
        _spoil_pending_event(spoiled, "actor", "")
        with storage.unit_of_work() as uow:
            _refused(lambda: uow.cases.add_all(cases, actor=""), match="actor")
            _refused(lambda: uow.cases.add_all([*cases, "PDC-1"], actor="intake"), match="Case")  # type: ignore[list-item]
            _refused(lambda: uow.cases.add_all([*cases, spoiled], actor="intake"), match="actor")
            _refused(lambda: uow.cases.add_all("PDC-1", actor="intake"))  # type: ignore[arg-type]
            uow.commit()
        assert {c.version for c in [*cases, spoiled]} == {0}
        _nothing_stored(storage, *(c.id for c in [*cases, spoiled]))

    @pytest.mark.parametrize(
        ("field", "value", "match"),
        [
            ("actor", "", "actor"),
            ("actor", 42, "actor"),
            ("reason", "\ud800", "surrogate"),
            ("at", datetime(2026, 3, 2, 9), "naive"),
        ],
        ids=["blank actor", "int actor", "surrogate detail", "naive time"],
    )
    def test_rule_save_with_a_bad_audit_entry_writes_nothing_even_if_committed(
        self, storage: Storage, field: str, value: object, match: str
    ) -> None:
        """Rule: ``cases.save`` checks every audit entry before it writes the row."""
        case = new_case(storage)
        storage.add_all([case], actor="intake")
        case.set_priority(Priority.URGENT, actor="boss", reason="escalated")
        _spoil_pending_event(case, field, value)
        with storage.unit_of_work() as uow:
            _refused(lambda: uow.cases.save(case), match=match)
            uow.commit()
        assert case.version == 1
        with storage.unit_of_work() as uow:
            stored = uow.cases.get(case.id)
            assert (stored.version, stored.priority) == (1, case.priority.NORMAL)
        assert storage.verify_audit(case.id) == 1

    def test_rule_save_and_get_refuse_what_is_not_a_case(self, storage: Storage) -> None:
        """Rule: a repository argument of the wrong kind is a ValidationError, not a bare error."""
        with storage.unit_of_work() as uow:
            _refused(lambda: uow.cases.save("PDC-1"), match="Case")  # type: ignore[arg-type]
            _refused(lambda: uow.cases.add(None, actor="intake"), match="Case")  # type: ignore[arg-type]
            for key in BAD_KEYS:
                _refused(lambda key=key: uow.cases.get(key))  # type: ignore[misc]

    @pytest.mark.parametrize("case_id", BAD_KEYS, ids=repr)
    def test_rule_verify_audit_refuses_what_is_not_an_id(
        self, storage: Storage, case_id: object
    ) -> None:
        """Rule: ``verify_audit`` names a bad id instead of raising a driver error."""
        _refused(lambda: storage.verify_audit(case_id), match="case id")  # type: ignore[arg-type]

    def test_rule_query_refuses_filters_of_the_wrong_kind(self, storage: Storage) -> None:
        """Rule: ``cases.query(owner="ana")`` and friends name what would be valid."""
        with storage.unit_of_work() as uow:
            query = uow.cases.query
            _refused(lambda: query(owner="ana"), match="Owner")  # type: ignore[arg-type]
            _refused(lambda: query(priority="Super"), match="Low, Normal, Urgent")  # type: ignore[arg-type]
            _refused(lambda: query(status=5), match="status")  # type: ignore[arg-type]
            _refused(lambda: query(case_type=""), match="case_type")
            _refused(lambda: query(updated_from=datetime(2026, 1, 1)), match="naive")
            _refused(lambda: query(updated_to="2026-01-01"), match="updated_to")  # type: ignore[arg-type]
            _refused(lambda: query(after=5), match="after")  # type: ignore[arg-type]
            _refused(lambda: query(limit="10"), match="limit")  # type: ignore[arg-type]
            assert query(priority=Priority.URGENT, owner=Owner.user(unique())).items == ()

    @pytest.mark.parametrize(
        ("change", "match"),
        [
            ({"actor": ""}, "actor"),
            ({"actor": 123}, "actor"),
            ({"kind": "bogus"}, "correction, determination, payment"),
            ({"at": datetime(2026, 3, 2)}, "naive"),
            ({"at": "2026-03-02"}, "time"),
            ({"body": {"x": float("nan")}}, "not finite"),
            ({"body": {"x": {1, 2}}}, "set"),
            ({"body": {1: "x"}}, "string"),
            ({"body": ["x"]}, "mapping"),
            ({"status": 5}, "status"),
            ({"status": "a\x00b"}, "NUL"),
            ({"expected_version": -1}, "expected version"),
            ({"expected_version": "0"}, "expected version"),
            ({"line_id": "a/b"}, "'/'"),
            ({"line_id": "x" * 600}, "512"),
            ({"case_id": ""}, "case id"),
        ],
        ids=repr,
    )
    def test_rule_ledger_record_checks_everything_before_writing(
        self, storage: Storage, change: dict[str, Any], match: str
    ) -> None:
        """Rule: ``ledger.record`` refuses a bad argument and writes neither line nor audit."""
        case_id = unique("PDC")
        args: dict[str, Any] = {
            "case_id": case_id,
            "kind": LedgerKind.PAYMENT,
            "line_id": "p1",
            "body": {"amount": {"amount": "1.00", "currency": "EUR"}},
            "status": "Not Verified",
            "actor": "w",
            "at": _T0,
            **change,
        }
        with storage.unit_of_work() as uow:
            _refused(lambda: uow.ledger.record(**args), match=match)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.ledger.lines(case_id) == []
            assert uow.audit.entries(case_id) == []

    def test_rule_ledger_reads_refuse_bad_kinds(self, storage: Storage) -> None:
        """Rule: ``ledger.line``/``lines`` name the valid kinds instead of a bare ValueError."""
        with storage.unit_of_work() as uow:
            _refused(lambda: uow.ledger.line("C-1", "bogus", "p1"), match="payment")  # type: ignore[arg-type]
            _refused(lambda: uow.ledger.lines("C-1", "bogus"), match="payment")  # type: ignore[arg-type]

    def test_rule_a_change_failing_after_its_first_write_cannot_be_committed(
        self, storage: Storage
    ) -> None:
        """Rule: if the audit append fails after the row is written, commit refuses."""
        case = new_case(storage)

        def broken(entries: object) -> None:
            raise StorageError("the audit log failed (simulated)")

        with storage.unit_of_work() as uow:
            uow.audit.append_many = broken  # type: ignore[method-assign]
            with pytest.raises(StorageError, match="simulated"):
                uow.cases.add(case, actor="intake")
            with pytest.raises(StorageError, match="cannot commit"):
                uow.commit()
        assert case.version == 0
        _nothing_stored(storage, case.id)

    # ----- bad values are refused at the door, the same on every adapter ---------------
    @pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
    def test_rule_bad_keys_are_validation_errors_on_every_adapter(
        self, storage: Storage, key: object
    ) -> None:
        """Rule: NUL, lone surrogates, 10 KB keys: ValidationError, never a driver error."""
        with storage.unit_of_work() as uow:
            docs = uow.documents
            _refused(
                lambda: docs.put(
                    "things",
                    key,  # type: ignore[arg-type]
                    {},
                    expected_version=0,
                    labels={},
                    updated_at=_T0,
                )
            )
            _refused(lambda: docs.get("things", key))  # type: ignore[arg-type]
            _refused(lambda: docs.delete("things", key, expected_version=1))  # type: ignore[arg-type]
            _refused(lambda: docs.put_new("things", [(key, {}, {}, _T0)]))  # type: ignore[list-item]
            uow.commit()

    @pytest.mark.parametrize(
        ("body", "labels", "updated_at", "match"),
        [
            ({"x": "\ud800"}, {}, _T0, "surrogate"),
            ({"\ud800": 1}, {}, _T0, "surrogate"),
            (JsonText('{"x":"\ud800"}'), {}, _T0, "surrogate"),
            ({"x": float("inf")}, {}, _T0, "not finite"),
            ({"x": Decimal(1)}, {}, _T0, "Decimal"),
            ({1: "x"}, {}, _T0, "not a string"),
            ("plain text", {}, _T0, "mapping"),
            ({}, {"a\x00": "x"}, _T0, "NUL"),
            ({}, {"a": "x\x00"}, _T0, "NUL"),
            ({}, {"a": "\ud800"}, _T0, "surrogate"),
            ({}, {"a": 1}, _T0, "string"),
            ({}, {"": "x"}, _T0, "label name"),
            ({}, {"a": "x" * 10_000}, _T0, "characters"),
            ({}, ["a"], _T0, "mapping"),
            ({}, {}, datetime(2026, 3, 2), "naive"),
            (_nested(5000), {}, _T0, "nested too deeply"),
        ],
        ids=reprlib.repr,
    )
    def test_rule_bad_bodies_labels_and_times_are_refused_on_every_adapter(
        self, storage: Storage, body: object, labels: object, updated_at: object, match: str
    ) -> None:
        """Rule: a document that cannot be stored exactly is refused before any write."""
        key = unique()
        with storage.unit_of_work() as uow:
            docs = uow.documents
            _refused(
                lambda: docs.put(
                    "things",
                    key,
                    body,  # type: ignore[arg-type]
                    expected_version=0,
                    labels=labels,  # type: ignore[arg-type]
                    updated_at=updated_at,  # type: ignore[arg-type]
                ),
                match=match,
            )
            good: tuple[str, dict[str, Any], dict[str, str], datetime] = (
                unique(),
                {"ok": True},
                {},
                _T0,
            )
            _refused(
                lambda: docs.put_new("things", [good, (key, body, labels, updated_at)]),  # type: ignore[list-item]
                match=match,
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.documents.get("things", key) is None
            assert uow.documents.get("things", good[0]) is None  # the batch is all or nothing

    def test_rule_document_arguments_of_the_wrong_kind_are_refused(self, storage: Storage) -> None:
        """Rule: versions, limits, collections and search bounds are checked at the door."""
        key = unique()
        with storage.unit_of_work() as uow:
            docs = uow.documents

            def put(**change: Any) -> Callable[[], object]:
                args: dict[str, Any] = {
                    "expected_version": 0,
                    "labels": {},
                    "updated_at": _T0,
                    **change,
                }
                collection = args.pop("collection", "things")
                return lambda: docs.put(collection, key, {}, **args)

            _refused(put(expected_version=-1), match="expected version")
            _refused(put(expected_version="0"), match="expected version")
            _refused(put(expected_version=2**70), match="expected version")
            _refused(put(collection=""), match="collection")
            _refused(put(collection="c" * 200), match="collection")
            _refused(lambda: docs.delete("things", key, expected_version=0), match="version")
            _refused(lambda: docs.find("things", limit=0), match="limit")
            _refused(lambda: docs.find("things", limit="5"), match="limit")  # type: ignore[arg-type]
            _refused(lambda: docs.find("things", limit=10**30), match="limit")
            _refused(lambda: docs.find("things", labels="x"), match="mapping")  # type: ignore[arg-type]
            _refused(lambda: docs.find("things", labels={"a": "\x00"}), match="NUL")
            _refused(lambda: docs.find("things", after="\ud800"), match="surrogate")
            _refused(
                lambda: docs.find("things", updated_from=datetime(2026, 1, 1)),
                match="naive",
            )
            _refused(lambda: docs.put_new("things", 5), match="sequence")  # type: ignore[arg-type]
            _refused(lambda: docs.put_new("things", [("k", {})]), match="tuple")  # type: ignore[list-item]
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.documents.get("things", key) is None

    def test_rule_the_longest_accepted_names_are_stored_on_every_adapter(
        self, storage: Storage
    ) -> None:
        """Rule: what the door accepts (512-character keys of 4-byte characters) is stored."""
        rng = random.Random(uuid.uuid4().int)

        def wide(n: int) -> str:  # n characters of four bytes each in UTF-8, in no pattern
            return "".join(chr(rng.randrange(0x10000, 0x10FFFF)) for _ in range(n))

        prefix = unique()
        key = prefix + wide(MAX_ID_LENGTH - len(prefix))
        collection = wide(MAX_COLLECTION_LENGTH)
        labels = {wide(MAX_ID_LENGTH): wide(MAX_LABEL_LENGTH)}
        with storage.unit_of_work() as uow:
            uow.documents.put(
                collection, key, {"k": key}, expected_version=0, labels=labels, updated_at=_T0
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            stored = uow.documents.get(collection, key)
            assert stored is not None
            assert (stored.body, dict(stored.labels)) == ({"k": key}, labels)
            assert [d.key for d in uow.documents.find(collection, labels=labels, after=prefix[:-1])]

    def test_rule_nul_inside_a_body_round_trips(self, storage: Storage) -> None:
        """NUL inside body text is escaped by JSON, so every adapter stores it exactly."""
        key = unique()
        body = {"note": "a\x00b", "k\x00": ["\x00"]}
        with storage.unit_of_work() as uow:
            uow.documents.put("things", key, body, expected_version=0, labels={}, updated_at=_T0)
            uow.commit()
        with storage.unit_of_work() as uow:
            stored = uow.documents.get("things", key)
        assert stored is not None
        assert stored.body == body

    # ----- label filters ------------------------------------------------------------------
    def test_rule_label_names_of_any_spelling_are_found_as_the_oracle_finds_them(
        self, storage: Storage
    ) -> None:
        """Rule: ``find(labels=...)`` with a non-ASCII or quoted label name finds its documents."""
        collection = unique("odd")
        oracle = MemoryStorage(clock=storage.clock)

        def fill(target: Storage) -> None:
            with target.unit_of_work() as uow:
                for n, name in enumerate(ODD_LABEL_NAMES):
                    uow.documents.put(
                        collection,
                        f"k{n:02}",
                        {"n": n},
                        expected_version=0,
                        labels={name: "x", "other": str(n % 2)},
                        updated_at=_T0,
                    )
                uow.commit()

        def found(target: Storage, labels: dict[str, str]) -> list[str]:
            with target.unit_of_work() as uow:
                return [d.key for d in uow.documents.find(collection, labels=labels)]

        fill(storage)
        fill(oracle)
        for n, name in enumerate(ODD_LABEL_NAMES):
            expected = found(oracle, {name: "x"})
            assert expected == [f"k{n:02}"], name
            assert found(storage, {name: "x"}) == expected, name
            assert found(storage, {name: "x", "other": str(n % 2)}) == expected, name
            assert found(storage, {name: "y"}) == found(oracle, {name: "y"}) == [], name

    # ----- decoding runs nothing a record names ----------------------------------------
    @pytest.mark.parametrize(
        "topic", ["os:system", "this:s", "casekit_never_imported_module:Thing", "subprocess:Popen"]
    )
    def test_rule_decoding_never_imports_what_a_record_names(
        self, storage: Storage, topic: str
    ) -> None:
        """Rule: a record naming ``os:system`` or an unimported module: CorruptRecord, no import."""
        module = topic.partition(":")[0]
        imported_before = module in sys.modules
        case = new_case(storage)
        storage.add_all([case], actor="intake")
        with storage.unit_of_work() as uow:
            document = uow.documents.get("cases", case.id)
            assert document is not None
            record = dict(document.body)
            record["fields"] = {**record["fields"], "product": {"$attrs": topic, "fields": {}}}
            uow.documents.put(
                "cases",
                case.id,
                record,
                expected_version=document.version,
                labels=document.labels,
                updated_at=document.updated_at,
            )
            uow.commit()
        with storage.unit_of_work() as uow, pytest.raises(CorruptRecord) as caught:
            uow.cases.get(case.id)
        assert topic in str(caught.value)
        assert case.id in str(caught.value)
        assert (module in sys.modules) == imported_before

    def test_every_refusal_is_a_casekit_error(self, storage: Storage) -> None:
        """No bare TypeError, KeyError, ValueError or UnicodeEncodeError escapes storage."""
        calls: list[Callable[[UnitOfWork], object]] = [
            lambda uow: uow.cases.query(owner="ana"),  # type: ignore[arg-type]
            lambda uow: uow.ledger.record("C-1", "bogus", "l", {}, actor="a", at=_T0),  # type: ignore[arg-type]
            lambda uow: uow.documents.put(
                "things", "\ud800", {}, expected_version=0, labels={}, updated_at=_T0
            ),
            lambda uow: uow.documents.find("things", after=timedelta(1)),  # type: ignore[arg-type]
        ]
        for call in calls:
            with storage.unit_of_work() as uow:
                with pytest.raises(CasekitError):
                    call(uow)
                uow.commit()
