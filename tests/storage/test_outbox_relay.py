"""OutboxRelay: claim, send outside the transaction, ack; at least once, on every backend."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from casekit.clock import ManualClock
from casekit.errors import ValidationError
from casekit.storage import OutboxRecord, OutboxRelay, Storage
from casekit.testing.contract_outbox import drain, new_record

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
LEASE = timedelta(seconds=30)


class Broker:
    """A send that keeps what it was given and fails when told to."""

    def __init__(self) -> None:
        self.batches: list[list[OutboxRecord]] = []
        self.fail = 0

    def __call__(self, records: Sequence[OutboxRecord]) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("broker unreachable")
        self.batches.append(list(records))

    @property
    def ids(self) -> list[str]:
        return [r.id for batch in self.batches for r in batch]


def _append(storage: Storage, count: int) -> list[OutboxRecord]:
    records = [new_record(n) for n in range(count)]
    with storage.unit_of_work() as uow:
        uow.outbox.append(records)
        uow.commit()
    return records


def _pending(storage: Storage) -> list[OutboxRecord]:
    with storage.unit_of_work() as uow:
        return uow.outbox.pending(10_000)


def test_a_round_sends_the_oldest_batch_and_acks_it(storage: Storage) -> None:
    drain(storage)
    records = _append(storage, 5)
    broker = Broker()
    relay = OutboxRelay(storage, broker, owner="relay-1", batch=3, clock=ManualClock(T0))
    assert relay.run_once() == 3
    assert relay.run_once() == 2
    assert relay.run_once() == 0
    assert broker.ids == [r.id for r in records]
    assert [len(b) for b in broker.batches] == [3, 2]
    assert [r.attempts for r in broker.batches[0]] == [1, 1, 1]
    assert _pending(storage) == []


def test_a_failed_send_acks_nothing_and_the_records_come_back_after_the_lease(
    storage: Storage,
) -> None:
    drain(storage)
    records = _append(storage, 2)
    broker, clock = Broker(), ManualClock(T0)
    relay = OutboxRelay(storage, broker, owner="relay-1", lease=LEASE, clock=clock)
    broker.fail = 1
    with pytest.raises(ConnectionError):
        relay.run_once()
    assert [(r.lease_owner, r.lease_until) for r in _pending(storage)] == [
        ("relay-1", T0 + LEASE)
    ] * 2
    assert relay.run_once() == 0  # still leased
    clock.advance(LEASE)
    assert relay.run_once() == 2
    assert broker.ids == [r.id for r in records]
    assert [r.attempts for r in broker.batches[0]] == [2, 2]
    assert _pending(storage) == []


def test_a_send_slower_than_the_lease_is_delivered_twice_and_acked_once(
    storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    drain(storage)
    (record,) = _append(storage, 1)
    clock = ManualClock(T0)
    other = Broker()
    other_relay = OutboxRelay(storage, other, owner="relay-2", lease=LEASE, clock=clock)

    def slow(records: Sequence[OutboxRecord]) -> None:
        clock.advance(LEASE)  # the lease runs out while sending
        assert other_relay.run_once() == 1  # another relay claims, sends and acks it

    relay = OutboxRelay(storage, slow, owner="relay-1", lease=LEASE, clock=clock)
    with caplog.at_level(logging.WARNING, logger="casekit.storage.relay"):
        assert relay.run_once() == 1
    assert other.ids == [record.id]
    assert [r.attempts for r in other.batches[0]] == [2]
    assert "1 of 1 records sent were not acked" in caplog.text
    assert _pending(storage) == []


def test_run_delivers_until_stopped_and_survives_a_failing_send(
    storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    drain(storage)
    records = _append(storage, 7)
    broker, clock, stop = Broker(), ManualClock(T0), threading.Event()
    broker.fail = 1
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(LEASE)  # time passes while the relay waits
        if len(broker.ids) == len(records):
            stop.set()

    relay = OutboxRelay(storage, broker, owner="relay-1", batch=3, lease=LEASE, clock=clock)
    with caplog.at_level(logging.ERROR, logger="casekit.storage.relay"):
        sent = relay.run(stop, poll=0.25, sleep=sleep)
    assert sent == 7
    assert sorted(broker.ids) == sorted(r.id for r in records)
    assert waits == [0.25, 0.25]  # after the failure, then once idle
    assert "a round failed" in caplog.text
    assert "broker unreachable" in caplog.text
    assert _pending(storage) == []


def test_two_relays_in_threads_deliver_each_record_once(storage: Storage) -> None:
    drain(storage)
    records = _append(storage, 40)
    brokers = [Broker(), Broker()]
    stop = threading.Event()
    delivered = threading.Semaphore(0)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        def send(batch: Sequence[OutboxRecord]) -> None:
            brokers[n](batch)
            for _ in batch:
                delivered.release()

        relay = OutboxRelay(storage, send, owner=f"relay-{n}", batch=3, lease=timedelta(hours=1))
        try:
            relay.run(stop, poll=0.01)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for _ in records:
        assert delivered.acquire(timeout=60)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    every = brokers[0].ids + brokers[1].ids
    assert sorted(every) == sorted(r.id for r in records)
    assert _pending(storage) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"storage": "db"}, "must be a Storage"),
        ({"send": "not callable"}, "must be callable"),
        ({"owner": " "}, "owner of an outbox relay"),
        ({"lease": timedelta(0)}, "positive"),
        ({"lease": 30}, "timedelta"),
        ({"batch": 0}, ">= 1"),
        ({"batch": 10_001}, "<= 10000"),
        ({"clock": object()}, "must be a Clock"),
    ],
)
def test_a_relay_checks_its_arguments(
    storage: Storage, changes: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"storage": storage, "send": Broker(), "owner": "relay-1"}
    arguments.update(changes)
    with pytest.raises(ValidationError, match=message):
        OutboxRelay(arguments.pop("storage"), arguments.pop("send"), **arguments)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"poll": 0}, "positive number of seconds"),
        ({"poll": True}, "positive number of seconds"),
        ({"stop": "stop"}, "must be a Event"),
    ],
)
def test_run_checks_its_arguments(storage: Storage, options: dict[str, Any], message: str) -> None:
    relay = OutboxRelay(storage, Broker(), owner="relay-1")
    with pytest.raises(ValidationError, match=message):
        relay.run(**options)
