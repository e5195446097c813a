"""The case repository's contract and its state machine.

The port is [`CaseRepository`][casekit.storage.ports.CaseRepository].

`CaseRepositoryContract`: cases round-trip field by field, adds are all or
nothing, stale saves conflict and write nothing, saves are audited in their transaction,
events are published after the commit only, and queries filter and page.
`repository_machine` builds a Hypothesis state machine that drives your adapter's case
repository and the in-memory adapter (the oracle) side by side.

Subclass `CaseRepositoryContract` as ``Test...`` in a test module and provide a
``storage`` fixture (class- or session-scoped, so Hypothesis may use it), as for
`StorageContract`, which combines every port's
contract; an adapter that brings a case repository of its own
(``UnitOfWork.make_cases``) runs only this one::

    class TestMyCaseRepository(CaseRepositoryContract):
        @pytest.fixture(scope="class")
        @classmethod
        def storage(cls):
            return MyStorage()

Needs ``pip install casekit[testing]`` (pytest and Hypothesis).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from casekit.cases import Case, IssueCase, Owner, PaymentCorrectionCase, ProductDeliveryCase
from casekit.cases.codec import case_to_record
from casekit.errors import AlreadyExists, ConcurrencyConflict, NotFound, ValidationError
from casekit.money import Money
from casekit.priority import Priority
from casekit.storage.memory import MemoryStorage
from casekit.storage.unit_of_work import Storage
from casekit.testing.contract_support import (
    T0,
    assert_same_case,
    correction_case,
    rich_case,
    unique,
)

__all__ = ["CaseRepositoryContract", "repository_machine"]


class CaseRepositoryContract:
    """The tests every [`CaseRepository`][casekit.storage.ports.CaseRepository] must pass."""

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
        storage.add_all([case], actor="intake")
        clone = rich_case(storage)
        clone.id = case.id
        with storage.unit_of_work() as uow:
            with pytest.raises(AlreadyExists, match=case.id):
                uow.cases.add(clone, actor="intake")
            with pytest.raises(NotFound, match="NOPE"):
                uow.cases.get("NOPE-" + unique())
        assert clone.version == 0

    def test_add_all_is_all_or_nothing(self, storage: Storage) -> None:
        """A batch with one stored (or repeated) id writes none of its cases."""
        stored = rich_case(storage)
        storage.add_all([stored], actor="intake")
        fresh = [rich_case(storage) for _ in range(3)]
        clone = rich_case(storage)
        clone.id = stored.id
        for batch in ([*fresh, clone], [*fresh, fresh[0]]):
            with pytest.raises(AlreadyExists):
                storage.add_all(batch, actor="intake")
            with storage.unit_of_work() as uow:
                for case in fresh:
                    assert uow.documents.get("cases", case.id) is None
                    assert uow.audit.entries(case.id) == []
            assert {c.version for c in fresh} == {0}
        assert storage.add_all(fresh, actor="intake") == 3
        assert [storage.verify_audit(c.id) for c in fresh] == [storage.verify_audit(stored.id)] * 3

    def test_stale_save_conflicts_and_writes_nothing(self, storage: Storage) -> None:
        """Saving a stale copy raises ConcurrencyConflict and writes nothing."""
        case = rich_case(storage)
        storage.add_all([case], actor="intake")
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
            uow.cases.add(case, actor="intake")
            assert seen == []
        assert seen == []
        with storage.unit_of_work() as uow:
            uow.cases.add(case, actor="intake")
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
            case.updated_at = T0 + timedelta(days=i)
            cases.append(case)
        issue = IssueCase.create(id=f"{owner.id}-issue", owner=owner, clock=storage.clock)
        storage.add_all([*cases, issue], actor="intake")
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
                updated_from=T0 + timedelta(days=1),
                updated_to=T0 + timedelta(days=3),
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
                target.add_all([case], actor="intake")
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
                    # Only the supervisor decides; whoever submits is someone else (SoD).
                    actor = "boss" if action in ("approve", "reject") else "w"
                    case.perform(action, actor=actor, **kwargs)
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
