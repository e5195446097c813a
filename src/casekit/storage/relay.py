"""The outbox relay: claim, send outside the transaction, ack. At least once.

An [`OutboxRelay`][casekit.storage.OutboxRelay] moves outbox records to a broker (a queue, a
topic, a webhook: whatever ``send`` does). Each round claims a batch in one unit of work
and commits (the records are now leased to this relay), calls ``send(records)`` outside any
transaction, then acks them in another unit of work.

Delivery is **at least once**, never exactly once: if ``send`` raises, the relay dies, or
the ack's unit of work fails, the records stay in the outbox and are claimed again once
their lease runs out (``attempts`` counts the claims), so a broker may receive a record
twice — or more, if ``send`` takes longer than the lease and another relay claims it
meanwhile. Consumers deduplicate on the record's ``id`` (with ``source``: CloudEvents'
identity of an event). Choose the lease well above the time ``send`` takes.

Any number of relays (threads or processes, each with its own ``owner``) may serve one
storage: a claim never returns a record another relay's running lease holds. Order is
oldest first per claim, not across relays, nor across redeliveries.

Example::

    from datetime import timedelta
    from casekit.storage import OutboxRelay

    relay = OutboxRelay(storage, broker.publish_batch, owner="relay-1",
                        lease=timedelta(seconds=30), batch=100)
    relay.run(stop)  # until stop (a threading.Event) is set; or relay.run_once()

Complexity: a round is two units of work (one claim, one ack) around one ``send``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta

from casekit.checks import check_callable, check_id, check_instance, check_int, check_timedelta
from casekit.clock import Clock
from casekit.errors import ValidationError
from casekit.storage.outbox import MAX_OUTBOX_BATCH
from casekit.storage.outbox_record import OutboxRecord
from casekit.storage.unit_of_work import Storage

__all__ = ["OutboxRelay", "Send"]

logger = logging.getLogger(__name__)

Send = Callable[[Sequence[OutboxRecord]], object]
"""Delivers a batch of records, oldest first, or raises (then none of them is acked)."""


class OutboxRelay:
    """Delivers a storage's outbox records through ``send``, at least once.

    Args:
        storage: The storage whose outbox it serves.
        send: Called with each claimed batch (a list of records, oldest first) outside any
            transaction; returns once the broker has them all, or raises. What it returns
            is ignored. A batch it delivered only in part before raising is delivered again
            whole.
        owner: This relay's name, unique among the relays of the storage (e.g.
            ``f"{hostname}-{pid}"``); leases are taken in it.
        lease: How long a claimed record stays this relay's before another may claim it:
            well above the time ``send`` takes.
        batch: The most records claimed (and sent) at once, from 1 to 10,000.
        clock: The clock claims and acks read (default: the storage's).

    Complexity: O(1) to make.

    Raises:
        ValidationError: An argument is not valid (named in the message).
    """

    def __init__(
        self,
        storage: Storage,
        send: Send,
        *,
        owner: str,
        lease: timedelta = timedelta(seconds=30),
        batch: int = 100,
        clock: Clock | None = None,
    ) -> None:
        self.owner = check_id(owner, what="owner of an outbox relay")
        if not isinstance(storage, Storage):
            raise ValidationError(
                f"storage of outbox relay {self.owner} must be a Storage, got {storage!r:.80}"
            )
        self.storage = storage
        self.send = check_callable(send, what=f"send of outbox relay {self.owner}")
        span = check_timedelta(lease, what=f"lease of outbox relay {self.owner}", positive=True)
        assert span is not None  # allow_none is false
        self.lease = span
        self.batch = check_int(
            batch, what=f"batch of outbox relay {self.owner}", minimum=1, maximum=MAX_OUTBOX_BATCH
        )
        if clock is not None and not callable(getattr(clock, "now", None)):
            raise ValidationError(
                f"clock of outbox relay {self.owner} must be a Clock (with now()), "
                f"got {clock!r:.80}"
            )
        self.clock: Clock = storage.clock if clock is None else clock

    def run_once(self) -> int:
        """Claim a batch, send it, ack it; return how many records were sent (0: none due).

        Records acked by another relay meanwhile, or claimed again by one because this
        relay's lease ran out before its ack, are not acked here (the count is logged at
        WARNING level: raise the lease).

        Complexity: two units of work and one ``send`` of at most ``batch`` records.

        Raises:
            Exception: Whatever ``send`` raised; the records are not acked and are claimed
                again once their lease runs out. Storage errors of the claim or the ack
                (the sent records are then sent again later).
        """
        with self.storage.unit_of_work() as uow:
            records = uow.outbox.claim(
                self.batch, owner=self.owner, lease=self.lease, now=self.clock.now()
            )
            uow.commit()
        if not records:
            return 0
        self.send(records)
        with self.storage.unit_of_work() as uow:
            acked = uow.outbox.ack([r.id for r in records], owner=self.owner, now=self.clock.now())
            uow.commit()
        if acked < len(records):
            logger.warning(
                "outbox relay %s: %d of %d records sent were not acked (another relay claimed "
                "them after this relay's lease of %s ran out; raise the lease)",
                self.owner,
                len(records) - acked,
                len(records),
                self.lease,
            )
        return len(records)

    def run(
        self,
        stop: threading.Event | None = None,
        *,
        poll: float = 1.0,
        sleep: Callable[[float], object] | None = None,
    ) -> int:
        """Run rounds until ``stop`` is set; return how many records were sent.

        A round that sends a batch is followed at once by another; when none is due, the
        relay waits ``poll`` seconds. An error (``send`` raising, the database
        unavailable) is logged with its traceback at ERROR level and the relay waits
        ``poll`` seconds before the next round: the records it held are sent again once
        their lease runs out.

        Args:
            stop: Set it to end the loop (checked after every round and wait).
            poll: Seconds to wait when nothing is due or after an error (> 0).
            sleep: How to wait (default: ``stop.wait``); tests pass a fake.

        Complexity: one round per batch sent, one per ``poll`` seconds when idle.

        Raises:
            ValidationError: ``poll`` is not a positive number of seconds, or ``stop`` is
                not a ``threading.Event``.
        """
        if isinstance(poll, bool) or not isinstance(poll, int | float) or not poll > 0:
            raise ValidationError(
                f"poll of outbox relay {self.owner} must be a positive number of seconds, "
                f"got {poll!r:.80}"
            )
        if stop is not None:
            check_instance(stop, threading.Event, what=f"stop of outbox relay {self.owner}")
        stop = threading.Event() if stop is None else stop
        wait = stop.wait if sleep is None else sleep
        sent = 0
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception:
                logger.exception(
                    "outbox relay %s: a round failed; its records are sent again once their "
                    "lease of %s runs out",
                    self.owner,
                    self.lease,
                )
                wait(poll)
                continue
            sent += done
            if done == 0:
                wait(poll)
        return sent
