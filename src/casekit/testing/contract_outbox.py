"""The transactional outbox's contract ([`Outbox`][casekit.storage.Outbox]) and its machine.

`OutboxContract`: records round-trip as CloudEvents, an append is all or none (a rollback
or a duplicate id writes nothing), claims come oldest first and lease each record to one
owner until the lease runs out, a redelivery counts one more attempt, acks are idempotent
and leave another owner's running lease alone, two claimers in two threads (each in its
own unit of work) never get the same record, and a refused call changes nothing.
`outbox_machine` builds a Hypothesis state machine that drives your adapter's outbox beside
a model of it (a list in append order) through appends, claims, acks, duplicate appends,
rollbacks and the passing of time.

The outbox is one queue per storage, so unlike the other contracts these tests need it
empty: each starts by draining it (`drain`: every record claimed and acked, at a
far-future ``now``). Run them on a storage whose outbox holds nothing you need.

Subclass `OutboxContract` as ``Test...`` in a test module and provide a ``storage``
fixture (class- or session-scoped, so Hypothesis may use it), as for
`StorageContract`, which
includes it; an adapter that brings an outbox of its own (``UnitOfWork.make_outbox``) runs
only this one::

    class TestMyOutbox(OutboxContract):
        @pytest.fixture(scope="class")
        @classmethod
        def storage(cls):
            return MyStorage()

Needs ``pip install casekit[testing]`` (pytest and Hypothesis).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from casekit.errors import AlreadyExists, ValidationError
from casekit.storage.outbox_record import OutboxRecord
from casekit.storage.unit_of_work import Storage
from casekit.testing.contract_support import T0, unique

__all__ = ["OutboxContract", "drain", "new_record", "outbox_machine"]

_FAR = datetime(9000, 1, 1, tzinfo=UTC)
_LEASE = timedelta(seconds=30)


def drain(storage: Storage) -> int:
    """Claim and ack every record in ``storage``'s outbox (at a far-future ``now``).

    Returns:
        How many records were acked.

    Complexity: O(n) for the n records in the outbox, 10,000 per unit of work.
    """
    owner = unique("drain")
    drained = 0
    while True:
        with storage.unit_of_work() as uow:
            batch = uow.outbox.claim(10_000, owner=owner, lease=timedelta(seconds=1), now=_FAR)
            drained += uow.outbox.ack([r.id for r in batch], owner=owner, now=_FAR)
            uow.commit()
        if not batch:
            return drained


def new_record(n: int = 0, *, prefix: str = "evt", subject: str | None = None) -> OutboxRecord:
    """A fresh record: a unique id, the time `T0`, ``{"n": n}`` as its data.

    Complexity: O(1).
    """
    return OutboxRecord(
        id=unique(prefix),
        source="/casekit/contract",
        type="casekit.case.status_changed",
        subject=subject,
        time=T0,
        data={"n": n},
    )


def _append(storage: Storage, records: Sequence[OutboxRecord]) -> None:
    with storage.unit_of_work() as uow:
        uow.outbox.append(records)
        uow.commit()


def _claim(
    storage: Storage, limit: int, owner: str, now: datetime, lease: timedelta = _LEASE
) -> list[OutboxRecord]:
    with storage.unit_of_work() as uow:
        claimed = uow.outbox.claim(limit, owner=owner, lease=lease, now=now)
        uow.commit()
    return claimed


def _ack(storage: Storage, ids: Sequence[str], owner: str, now: datetime | None = None) -> int:
    with storage.unit_of_work() as uow:
        acked = uow.outbox.ack(ids, owner=owner, now=now)
        uow.commit()
    return acked


def _pending(storage: Storage) -> list[OutboxRecord]:
    with storage.unit_of_work() as uow:
        return uow.outbox.pending(10_000)


def _ids(records: Sequence[OutboxRecord]) -> list[str]:
    return [r.id for r in records]


class OutboxContract:
    """The tests every [`Outbox`][casekit.storage.Outbox] must pass.

    Complexity: each test appends at most 60 records (after draining the outbox).
    """

    def test_outbox_append_claim_ack_round_trip(self, storage: Storage) -> None:
        """Appended records are pending, claimed with their lease, and gone once acked."""
        drain(storage)
        records = [new_record(n, subject=f"PDC-{n}") for n in range(3)]
        _append(storage, records)
        with storage.unit_of_work() as uow:
            assert uow.outbox.pending() == records  # attempts 0, no lease
            assert uow.outbox.count() == 3
        owner = unique("relay")
        claimed = _claim(storage, 10, owner, T0)
        leased = [
            attrs.evolve(r, attempts=1, lease_owner=owner, lease_until=T0 + _LEASE) for r in records
        ]
        assert claimed == leased
        assert _pending(storage) == leased
        assert _ack(storage, _ids(records), owner, T0) == 3
        with storage.unit_of_work() as uow:
            assert uow.outbox.pending() == []
            assert uow.outbox.count() == 0
            assert uow.outbox.claim(10, owner=owner, lease=_LEASE, now=_FAR) == []

    def test_outbox_records_read_back_as_cloudevents(self, storage: Storage) -> None:
        """A claimed record is the CloudEvent appended, in the CloudEvents JSON format."""
        drain(storage)
        data: dict[str, Any] = {
            "status": {"before": "Open", "after": "Submitted"},
            "amount": "427.42",
            "tags": ["a", "ü", "", "a\x00b", "\U0001f600", "\\u0000"],
            "n": 3,
            "ok": True,
            "none": None,
            "ratio": 0.5,
        }
        record = OutboxRecord(
            id=unique("evt"),
            source="urn:casekit:contract",
            type="casekit.case.status_changed",
            subject="PDC-17",
            time=T0 + timedelta(microseconds=250),
            data=data,
            datacontenttype="application/vnd.casekit+json; charset=utf-8",
        )
        _append(storage, [record])
        (claimed,) = _claim(storage, 10, unique("relay"), T0)
        event = claimed.to_cloudevent()
        assert event == {
            "specversion": "1.0",
            "id": record.id,
            "source": "urn:casekit:contract",
            "type": "casekit.case.status_changed",
            "subject": "PDC-17",
            "time": "2026-03-02T09:00:00.000250Z",
            "datacontenttype": "application/vnd.casekit+json; charset=utf-8",
            "data": data,
        }
        assert json.loads(claimed.to_json()) == event
        assert OutboxRecord.from_cloudevent(event) == record
        assert OutboxRecord.from_json(claimed.to_json()) == record

    def test_outbox_rollback_writes_nothing(self, storage: Storage) -> None:
        """An append, a claim or an ack rolled back leaves the outbox as it was."""
        drain(storage)
        with storage.unit_of_work() as uow:
            uow.outbox.append([new_record(), new_record()])
            assert uow.outbox.count() == 2  # visible inside its own unit of work
        assert _pending(storage) == []
        record = new_record()
        _append(storage, [record])
        with storage.unit_of_work() as uow:
            assert len(uow.outbox.claim(10, owner="a", lease=_LEASE, now=T0)) == 1
        with storage.unit_of_work() as uow:
            assert uow.outbox.ack([record.id], owner="b", now=T0) == 1
        assert _pending(storage) == [record]  # neither the lease nor the ack stayed
        assert _claim(storage, 10, "b", T0)[0].attempts == 1

    def test_outbox_refuses_a_duplicate_id_and_writes_nothing(self, storage: Storage) -> None:
        """An id in the outbox, or twice in one append, is refused; nothing is written."""
        drain(storage)
        first = new_record()
        _append(storage, [first])
        other, again = new_record(), attrs.evolve(new_record(), id=first.id)
        with storage.unit_of_work() as uow:
            with pytest.raises(AlreadyExists, match=first.id):
                uow.outbox.append([other, again])
            with pytest.raises(ValidationError, match="twice"):
                uow.outbox.append([other, other])
            uow.commit()  # the refusals left nothing to commit
        assert _pending(storage) == [first]
        owner = unique("relay")
        _claim(storage, 10, owner, T0)
        assert _ack(storage, [first.id], owner, T0) == 1
        _append(storage, [again])  # acked: the id may be appended again
        assert _ids(_pending(storage)) == [first.id]

    def test_outbox_claims_oldest_first(self, storage: Storage) -> None:
        """Claims follow the order of appends (across commits), not the ids."""
        drain(storage)
        batches = [
            [new_record(1, prefix="z"), new_record(2, prefix="a")],
            [new_record(3, prefix="m")],
            [new_record(4, prefix="b"), new_record(5, prefix="y"), new_record(6, prefix="c")],
        ]
        for batch in batches:
            _append(storage, batch)
        everything = [r.id for batch in batches for r in batch]
        assert _ids(_pending(storage)) == everything
        owner = unique("relay")
        assert _ids(_claim(storage, 2, owner, T0)) == everything[:2]
        assert _ids(_claim(storage, 3, owner, T0)) == everything[2:5]
        assert _ids(_claim(storage, 10, owner, T0)) == everything[5:]
        assert _claim(storage, 10, owner, T0) == []

    def test_outbox_lease_hides_a_record_until_it_runs_out(self, storage: Storage) -> None:
        """While its lease runs no other claim gets a record; from its end on, one does."""
        drain(storage)
        record = new_record()
        _append(storage, [record])
        a, b = unique("relay-a"), unique("relay-b")
        assert _ids(_claim(storage, 10, a, T0)) == [record.id]
        assert _claim(storage, 10, b, T0) == []
        assert _claim(storage, 10, a, T0 + _LEASE - timedelta(microseconds=1)) == []
        (again,) = _claim(storage, 10, b, T0 + _LEASE)
        assert (again.attempts, again.lease_owner, again.lease_until) == (2, b, T0 + 2 * _LEASE)

    def test_outbox_redelivery_counts_attempts(self, storage: Storage) -> None:
        """Each claim of a record not acked counts one more attempt."""
        drain(storage)
        _append(storage, [new_record()])
        owner = unique("relay")
        attempts = [_claim(storage, 1, owner, T0 + n * _LEASE)[0].attempts for n in range(4)]
        assert attempts == [1, 2, 3, 4]
        assert _pending(storage)[0].attempts == 4

    def test_outbox_ack_is_idempotent_and_spares_running_leases(self, storage: Storage) -> None:
        """Acks ignore unknown and acked ids and leave another owner's running lease alone."""
        drain(storage)
        mine, theirs, unclaimed = new_record(), new_record(), new_record()
        _append(storage, [mine, theirs, unclaimed])
        a, b = unique("relay-a"), unique("relay-b")
        _claim(storage, 1, a, T0)
        _claim(storage, 1, b, T0)
        ids = [mine.id, theirs.id, unique("unknown"), mine.id]
        assert _ack(storage, ids, a, T0 + _LEASE - timedelta(microseconds=1)) == 1
        assert _ack(storage, ids, a, T0) == 0  # mine is acked already, theirs still leased
        assert _ids(_pending(storage)) == [theirs.id, unclaimed.id]
        assert _ack(storage, [theirs.id], a, T0 + _LEASE) == 1  # b's lease ran out
        assert _ack(storage, [unclaimed.id], b) == 1  # never claimed; the storage's clock
        assert _pending(storage) == []

    def test_outbox_concurrent_claimers_never_share_a_record(self, storage: Storage) -> None:
        """A claim waiting on another's (threads, a unit of work each) gets only the rest.

        On PostgreSQL the second claim reads the records before the first commits, waits
        on their rows, and skips those the first leased; the unit of work goes on.
        """
        drain(storage)
        records = [new_record(n) for n in range(10)]
        _append(storage, records)
        a, b = unique("relay-a"), unique("relay-b")
        late = new_record(99)
        result: dict[str, list[OutboxRecord]] = {}
        errors: list[BaseException] = []

        def other() -> None:
            try:
                with storage.unit_of_work() as uow:
                    result[b] = uow.outbox.claim(10, owner=b, lease=_LEASE, now=T0)
                    uow.outbox.append([late])  # still usable after the records it lost
                    uow.commit()
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        thread = threading.Thread(target=other)
        with storage.unit_of_work() as uow:
            result[a] = uow.outbox.claim(5, owner=a, lease=_LEASE, now=T0)
            thread.start()
            time.sleep(0.3)  # let the other claim start (and wait, where it can)
            uow.commit()
        thread.join(timeout=60)
        assert not thread.is_alive()
        assert errors == []
        assert _ids(result[a]) == _ids(records[:5])
        assert _ids(result[b]) == _ids(records[5:])
        assert [r.attempts for r in result[a] + result[b]] == [1] * 10
        assert _ids(_pending(storage)) == [*_ids(records), late.id]

    def test_outbox_many_claimers_each_record_once(self, storage: Storage) -> None:
        """Four threads claiming in small batches until none is left: every record once."""
        drain(storage)
        records = [new_record(n) for n in range(60)]
        _append(storage, records)
        claimed: dict[str, list[str]] = {}
        errors: list[BaseException] = []

        def relay(owner: str) -> None:
            try:
                got: list[str] = []
                claimed[owner] = got
                while batch := _claim(storage, 4, owner, T0):
                    got.extend(_ids(batch))
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=relay, args=(unique("relay"),)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        every = [i for got in claimed.values() for i in got]
        assert sorted(every) == sorted(_ids(records))  # each once
        for got in claimed.values():  # each relay's claims in order
            assert got == sorted(got, key=_ids(records).index)
        assert _claim(storage, 10, "late", T0) == []

    def test_outbox_refused_calls_change_nothing(self, storage: Storage) -> None:
        """Every bad argument is a ValidationError, and nothing changes, commit or not."""
        drain(storage)
        first, second = new_record(), new_record()
        _append(storage, [first, second])
        _claim(storage, 1, "a", T0)
        before = _pending(storage)
        claimed = attrs.evolve(new_record(), attempts=1)
        bad: list[Callable[[Any], object]] = [
            lambda o: o.append("not a list"),
            lambda o: o.append([first.to_cloudevent()]),
            lambda o: o.append([new_record(), claimed]),
            *(
                (lambda o, limit=limit: o.claim(limit, owner="b", lease=_LEASE, now=T0))
                for limit in (0, -1, 10_001, "5", True, 2.0, None)
            ),
            *(
                (lambda o, owner=owner: o.claim(5, owner=owner, lease=_LEASE, now=T0))
                for owner in ("", "   ", 5, None, "a\x00b", "\ud800", "x" * 600)
            ),
            *(
                (lambda o, lease=lease: o.claim(5, owner="b", lease=lease, now=T0))
                for lease in (timedelta(0), -_LEASE, 30, None, timedelta.max)
            ),
            *(
                (lambda o, now=now: o.claim(5, owner="b", lease=_LEASE, now=now))
                for now in (
                    datetime(2026, 3, 2, 9),
                    "2026-03-02T09:00:00Z",
                    None,
                    datetime.max.replace(tzinfo=UTC),
                    datetime.min.replace(tzinfo=timezone(timedelta(hours=1))),
                    datetime(9999, 12, 29, 23, 59, 59, tzinfo=UTC),
                )
            ),
            lambda o: o.ack(first.id, owner="a", now=T0),
            lambda o: o.ack([first.id, 5], owner="a", now=T0),
            lambda o: o.ack([first.id, ""], owner="a", now=T0),
            lambda o: o.ack([first.id] * 10_001, owner="a", now=T0),
            lambda o: o.ack([first.id], owner="", now=T0),
            lambda o: o.ack([first.id], owner="a", now=datetime(2026, 3, 2, 9)),
            *((lambda o, n=n: o.pending(n)) for n in (0, 10_001, "3", None)),
        ]
        with storage.unit_of_work() as uow:
            for n, call in enumerate(bad):
                with pytest.raises(ValidationError):
                    call(uow.outbox)
                assert uow.outbox.pending(10_000) == before, n
            with pytest.raises(AlreadyExists):  # the first two are new, the others not
                uow.outbox.append([new_record(), new_record(), first, second])
            uow.commit()
        assert _pending(storage) == before


@attrs.define
class _Entry:
    """The model's view of one record not yet acked."""

    record: OutboxRecord
    attempts: int = 0
    owner: str | None = None
    until: datetime | None = None

    def available(self, now: datetime) -> bool:
        return self.until is None or self.until <= now

    def expected(self) -> OutboxRecord:
        return attrs.evolve(
            self.record, attempts=self.attempts, lease_owner=self.owner, lease_until=self.until
        )


def outbox_machine(storage: Storage) -> type[RuleBasedStateMachine]:
    """A Hypothesis state machine running ``storage``'s outbox beside a model of it.

    The model is a list of the records not acked, in append order, each with its attempts
    and lease. Every rule (append, append a duplicate, claim, ack, commit or roll back, let
    time pass) acts on both, and checks the storage answers as the model says; after
    every step the whole outbox (``pending`` and ``count``) matches it. The machine drains
    the outbox first. Run it with
    ``hypothesis.stateful.run_state_machine_as_test(outbox_machine(storage))``.

    Complexity: O(1) to build; each step one or two units of work.
    """
    owners = ("relay-a", "relay-b", "relay-c")

    class OutboxMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            drain(storage)
            self.now = T0
            self.model: list[_Entry] = []
            self.known: list[str] = []  # every id appended, acked or not
            self.prefix = unique("m")

        def _fresh(self) -> OutboxRecord:
            n = len(self.known)
            self.known.append(f"{self.prefix}-{n:03d}")
            return attrs.evolve(new_record(n), id=self.known[-1])

        @rule(size=st.integers(0, 3), commit=st.booleans())
        def append(self, size: int, commit: bool) -> None:
            records = [self._fresh() for _ in range(size)]
            with storage.unit_of_work() as uow:
                uow.outbox.append(records)
                if commit:
                    uow.commit()
            if commit:
                self.model.extend(_Entry(r) for r in records)

        @precondition(lambda self: self.model)
        @rule(data=st.data())
        def append_a_duplicate(self, data: st.DataObject) -> None:
            taken = data.draw(st.sampled_from([e.record for e in self.model]))
            with storage.unit_of_work() as uow:
                with pytest.raises(AlreadyExists):
                    uow.outbox.append([self._fresh(), attrs.evolve(new_record(), id=taken.id)])
                uow.commit()

        @rule(
            owner=st.sampled_from(owners),
            limit=st.integers(1, 4),
            seconds=st.integers(1, 60),
            commit=st.booleans(),
        )
        def claim(self, owner: str, limit: int, seconds: int, commit: bool) -> None:
            lease = timedelta(seconds=seconds)
            due = [e for e in self.model if e.available(self.now)][:limit]
            with storage.unit_of_work() as uow:
                claimed = uow.outbox.claim(limit, owner=owner, lease=lease, now=self.now)
                if commit:
                    uow.commit()
            expected = [
                attrs.evolve(
                    e.expected(),
                    attempts=e.attempts + 1,
                    lease_owner=owner,
                    lease_until=self.now + lease,
                )
                for e in due
            ]
            assert claimed == expected
            if commit:
                for entry in due:
                    entry.attempts, entry.owner, entry.until = (
                        entry.attempts + 1,
                        owner,
                        self.now + lease,
                    )

        @precondition(lambda self: self.known)
        @rule(owner=st.sampled_from(owners), data=st.data(), commit=st.booleans())
        def ack(self, owner: str, data: st.DataObject, commit: bool) -> None:
            ids = data.draw(
                st.lists(st.sampled_from([*self.known, f"{self.prefix}-unknown"]), max_size=4)
            )
            gone = [
                e
                for e in self.model
                if e.record.id in ids
                and not (
                    e.owner not in (None, owner) and e.until is not None and e.until > self.now
                )
            ]
            with storage.unit_of_work() as uow:
                assert uow.outbox.ack(ids, owner=owner, now=self.now) == len(gone)
                if commit:
                    uow.commit()
            if commit:
                self.model = [e for e in self.model if e not in gone]

        @rule(seconds=st.integers(0, 90))
        def wait(self, seconds: int) -> None:
            self.now += timedelta(seconds=seconds)

        @invariant()
        def outbox_matches_the_model(self) -> None:
            with storage.unit_of_work() as uow:
                assert uow.outbox.pending(10_000) == [e.expected() for e in self.model]
                assert uow.outbox.count() == len(self.model)

    return OutboxMachine
