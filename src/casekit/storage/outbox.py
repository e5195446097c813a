"""The transactional outbox over the document store: the in-memory adapter's, and the default.

`DocumentOutbox` is what [`UnitOfWork.make_outbox`][casekit.storage.UnitOfWork.make_outbox]
builds unless an adapter brings an outbox of its own: the in-memory adapter uses it; the
SQLite and PostgreSQL adapters keep the outbox in a table instead
(`casekit.storage.sql_outbox`, which says why). The checks every outbox applies at the
door (`check_new_records`, `check_claim`, `check_ack`, `check_pending`) are here too.

Each record is a JSON document in the ``outbox`` collection, together with a small marker
document that makes its id unique:

- the **record** ``at/<position>|<id>`` holds the CloudEvent, the attempts so far and the
  lease owner. Its ``updated_at`` is the time it is available from: ``0001-01-02`` once
  appended (available at once), the end of its lease once claimed. So the records a claim
  may take are exactly ``find(updated_to=now)``, in key order, which is position order;
- the **marker** ``id/<id>`` points at the record's key, so an id is found (``ack``) and
  refused a second time (``append``) through the primary key. Its ``updated_at`` is
  ``9999-12-30``, after every lease's end (claims refuse a lease ending later), so no claim
  ever returns it.

An append writes both documents of every record with one ``put_new`` (on the SQL adapters:
one existence check and one batched insert). A claim reads the available records and
writes each one's lease over the version it read; a
[`ConcurrencyConflict`][casekit.errors.ConcurrencyConflict] means another relay leased that
record first, and it is skipped. (On PostgreSQL, READ COMMITTED, the second writer's
``UPDATE ... WHERE version = v`` waits for the first's commit and then matches no row: a
conflict, and the transaction goes on.) An ack deletes both documents: the outbox holds
only what is still to deliver.

**Order.** A record's position is the storage clock's reading in microseconds when it is
appended, raised where needed so that positions in one process strictly increase: the
records of one append keep the order given, and a later append in a process (in any unit
of work, on any storage) comes after an earlier one. Across processes positions follow the
clocks: records appended at the same microsecond by two processes are ordered by id, and a
record whose transaction commits late may have a position before records claimed already
(every claim reads from the start, so it is claimed next; it is never skipped). "Oldest
first" means this position order, not commit order.

Complexity: ``append`` is one batched write of 2k documents for k records; ``claim`` one
ordered read and one conditional write per record returned; ``ack`` two reads and two
deletes per id; ``pending`` one ordered read; ``count`` O(n) in the records not acked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from casekit.checks import check_id, check_int, check_timedelta
from casekit.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    CorruptRecord,
    NotFound,
    ValidationError,
)
from casekit.storage.outbox_record import (
    OutboxRecord,
    check_record_id,
    check_time,
    record_from_cloudevent,
)
from casekit.storage.ports import JsonText, Outbox

if TYPE_CHECKING:
    from casekit.storage.ports import Document
    from casekit.storage.unit_of_work import UnitOfWork

__all__ = [
    "MAX_OUTBOX_BATCH",
    "OUTBOX",
    "DocumentOutbox",
    "check_ack",
    "check_claim",
    "check_new_records",
    "check_pending",
]

OUTBOX = "outbox"
"""The collection outbox records are stored in."""

MAX_OUTBOX_BATCH = 10_000
"""The most records one claim or pending read returns, and the most ids one ack takes."""

_RECORD = "at/"
_MARKER = "id/"
_AVAILABLE = datetime(1, 1, 2, tzinfo=UTC)
"""The ``updated_at`` of a record never claimed: available to every claim.

A day from the smallest datetime (and `_NEVER` a day from the largest), so that a database
reading times back in a local time zone (PostgreSQL's session ``TimeZone``) stays within
Python's years 1 to 9999."""
_NEVER = datetime(9999, 12, 30, tzinfo=UTC)
"""The ``updated_at`` of a marker: after the end of every lease a claim may grant."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)
_POSITION_WIDTH = 17  # microseconds since 1970, fixed width (enough until the year 5138)
_PAGE = 10_000
_STRING = json.encoder.encode_basestring  # one str as JSON (non-ASCII as it is)


def _body(event_json: str, attempts: int, owner: str | None) -> JsonText:
    """A record document's body as JSON text: its CloudEvent, attempts and lease owner.

    The event's text comes from a checked record (`OutboxRecord.to_json`), so the body is
    written as it is, not walked again by the document store.
    """
    lease = "null" if owner is None else _STRING(owner)
    return JsonText(f'{{"event":{event_json},"attempts":{attempts},"owner":{lease}}}')


class _Positions:
    """Positions that strictly increase in this process: the clock's microseconds, or more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def take(self, now: datetime, count: int) -> range:
        micros = (now - _EPOCH) // _TICK
        with self._lock:
            first = max(micros, self._last + 1)
            self._last = first + count - 1
        return range(first, first + count)


_POSITIONS = _Positions()


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_new_records(records: object) -> list[OutboxRecord]:
    """The records of an append: a list or tuple of new records with distinct ids.

    Complexity: O(k).

    Raises:
        ValidationError: Not a list or tuple of records, a record already claimed
            (``attempts`` above 0 or a lease), or an id given twice.
    """
    if not isinstance(records, list | tuple):
        raise ValidationError(
            f"records to append to the outbox must be a list of OutboxRecord, got {_short(records)}"
        )
    seen: set[str] = set()
    for n, record in enumerate(records):
        if not isinstance(record, OutboxRecord):
            raise ValidationError(
                f"record {n} to append to the outbox must be an OutboxRecord, got "
                f"{type(record).__name__} {_short(record)}"
            )
        if record.attempts or record.lease_owner is not None:
            raise ValidationError(
                f"outbox record {record.id} to append must be new (attempts 0, no lease), "
                f"got attempts {record.attempts} and lease owner {record.lease_owner!r}"
            )
        if record.id in seen:
            raise ValidationError(
                f"outbox record id {record.id!r} is given twice in one append; ids are "
                "unique (nothing written)"
            )
        seen.add(record.id)
    return list(records)


def _check_limit(limit: object, *, what: str) -> int:
    return check_int(limit, what=what, minimum=1, maximum=MAX_OUTBOX_BATCH)


def check_claim(
    limit: object, owner: object, lease: object, now: object
) -> tuple[int, str, datetime, datetime]:
    """The arguments of a claim, checked; returns ``(limit, owner, now, lease end)`` (UTC).

    Complexity: O(1).

    Raises:
        ValidationError: ``limit`` not an int from 1 to 10,000, ``owner`` not an id,
            ``lease`` not a positive timedelta, ``now`` not an aware datetime, or
            ``now + lease`` on or after 9999-12-30.
    """
    limit = _check_limit(limit, what="limit of an outbox claim")
    owner = check_id(owner, what="owner of an outbox claim")
    span = check_timedelta(lease, what=f"lease of an outbox claim by {owner}", positive=True)
    assert span is not None  # allow_none is false
    now = check_time(now, what=f"now of an outbox claim by {owner}")
    try:
        until = now + span
    except OverflowError:
        until = _NEVER
    if until >= _NEVER:
        raise ValidationError(
            f"lease of an outbox claim by {owner} must end before 9999-12-30, got "
            f"{now.isoformat()} + {span}"
        )
    return limit, owner, now, until


def check_ack(ids: object, owner: object, now: object) -> tuple[list[str], str, datetime | None]:
    """The arguments of an ack, checked; returns the distinct ids in order, owner and now.

    Complexity: O(k).

    Raises:
        ValidationError: ``ids`` not a list or tuple of at most 10,000 record ids,
            ``owner`` not an id, or ``now`` neither ``None`` nor an aware datetime.
    """
    if not isinstance(ids, list | tuple):
        raise ValidationError(f"ids to ack in the outbox must be a list of ids, got {_short(ids)}")
    if len(ids) > MAX_OUTBOX_BATCH:
        raise ValidationError(
            f"an outbox ack takes at most {MAX_OUTBOX_BATCH} ids, got {len(ids)}; ack in batches"
        )
    checked = list(
        dict.fromkeys(check_record_id(i, what="an id to ack in the outbox") for i in ids)
    )
    owner = check_id(owner, what="owner of an outbox ack")
    moment = None if now is None else check_time(now, what=f"now of an outbox ack by {owner}")
    return checked, owner, moment


def check_pending(limit: object) -> int:
    """The ``limit`` of a pending read: an int from 1 to 10,000.

    Complexity: O(1).

    Raises:
        ValidationError: Anything else.
    """
    return _check_limit(limit, what="limit of an outbox pending read")


class DocumentOutbox(Outbox):
    """The outbox in a unit of work's document store (collection ``outbox``).

    See `casekit.storage.outbox` for the documents it writes and the order it keeps.

    Args:
        uow: The unit of work whose documents it uses.

    Complexity: as each method says; every method runs inside ``uow``'s transaction.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def append(self, records: Sequence[OutboxRecord]) -> None:
        """See [`Outbox.append`][casekit.storage.Outbox.append].

        Complexity: O(k): one ``put_new`` of 2k documents.
        """
        self._uow._require_active()
        batch = check_new_records(records)
        if not batch:
            return
        positions = _POSITIONS.take(self._uow.storage.clock.now(), len(batch))
        documents: list[tuple[str, JsonText, Mapping[str, str], datetime]] = []
        markers: list[tuple[str, JsonText, Mapping[str, str], datetime]] = []
        for position, record in zip(positions, batch, strict=True):
            key = f"{_RECORD}{position:0{_POSITION_WIDTH}d}|{record.id}"
            documents.append((key, _body(record.to_json(), 0, None), {}, _AVAILABLE))
            markers.append((_MARKER + record.id, JsonText(f'{{"key":{_STRING(key)}}}'), {}, _NEVER))
        try:
            self._uow.documents.put_new(OUTBOX, documents + markers)
        except AlreadyExists:
            taken = next(
                (r.id for r in batch if self._uow.documents.get(OUTBOX, _MARKER + r.id)), None
            )
            raise AlreadyExists(
                f"outbox record {taken!r} is in the outbox already (appended, not yet acked); "
                "nothing written"
            ) from None

    def claim(
        self, limit: int, *, owner: str, lease: timedelta, now: datetime
    ) -> list[OutboxRecord]:
        """See [`Outbox.claim`][casekit.storage.Outbox.claim].

        Complexity: one ``find`` of at most ``limit`` documents, one ``put`` per record.
        """
        self._uow._require_active()
        limit, owner, now, until = check_claim(limit, owner, lease, now)
        documents = self._uow.documents
        claimed: list[OutboxRecord] = []
        for document in documents.find(OUTBOX, updated_to=now + _TICK, limit=limit):
            if not document.key.startswith(_RECORD):
                continue  # a marker: never available, but an adapter's find is not trusted
            stored = _record(document)
            attempts = stored.attempts + 1
            try:
                documents.put(
                    OUTBOX,
                    document.key,
                    _body(stored.to_json(), attempts, owner),
                    expected_version=document.version,
                    labels={},
                    updated_at=until,
                )
            except ConcurrencyConflict:
                continue  # another relay leased it since it was read: theirs
            except BaseException:
                if claimed:
                    self._uow.fail(f"an outbox claim by {owner} failed after leasing records")
                raise
            claimed.append(
                attrs.evolve(stored, attempts=attempts, lease_owner=owner, lease_until=until)
            )
        return claimed

    def ack(self, ids: Sequence[str], *, owner: str, now: datetime | None = None) -> int:
        """See [`Outbox.ack`][casekit.storage.Outbox.ack]: the record and its marker are deleted.

        Complexity: O(k): two reads and two deletes per id (records in key order, as
        claims take them, so concurrent claims and acks never wait for each other in a
        cycle).
        """
        self._uow._require_active()
        wanted, owner, moment = check_ack(ids, owner, now)
        if moment is None:
            moment = check_time(self._uow.storage.clock.now(), what="the storage clock's now")
        documents = self._uow.documents
        targets: list[tuple[str, str, int]] = []
        for record_id in wanted:
            marker = documents.get(OUTBOX, _MARKER + record_id)
            if marker is not None:
                targets.append((_marker_key(marker), record_id, marker.version))
        acked = 0
        for key, record_id, marker_version in sorted(targets):
            document = documents.get(OUTBOX, key)
            if document is not None:
                leased_to = document.body.get("owner")
                if leased_to not in (None, owner) and document.updated_at > moment:
                    continue  # another relay's lease still runs: it delivers and acks it
                try:
                    documents.delete(OUTBOX, key, expected_version=document.version)
                except (ConcurrencyConflict, NotFound):
                    continue  # claimed or acked by another since it was read
            try:
                documents.delete(OUTBOX, _MARKER + record_id, expected_version=marker_version)
            except BaseException:
                if document is not None:
                    self._uow.fail(f"outbox ack by {owner} deleted {key} but not its id marker")
                raise
            acked += document is not None
        return acked

    def pending(self, limit: int = 100) -> list[OutboxRecord]:
        """See [`Outbox.pending`][casekit.storage.Outbox.pending].

        Complexity: one ``find`` of at most ``limit`` documents.
        """
        self._uow._require_active()
        limit = check_pending(limit)
        found = self._uow.documents.find(OUTBOX, updated_to=_NEVER, limit=limit)
        return [_record(d) for d in found if d.key.startswith(_RECORD)]

    def count(self) -> int:
        """See [`Outbox.count`][casekit.storage.Outbox.count].

        Complexity: O(n): the records not acked, read in pages of 10,000.
        """
        self._uow._require_active()
        total = 0
        after: str | None = None
        while True:
            page = self._uow.documents.find(OUTBOX, updated_to=_NEVER, after=after, limit=_PAGE)
            total += sum(d.key.startswith(_RECORD) for d in page)
            if len(page) < _PAGE:
                return total
            after = page[-1].key


def _corrupt(document: Document, why: str) -> CorruptRecord:
    return CorruptRecord(f"table documents, key {OUTBOX}/{document.key!r}: {why}")


def _marker_key(marker: Document) -> str:
    key = marker.body.get("key")
    if not isinstance(key, str) or not key.startswith(_RECORD):
        raise _corrupt(marker, f"not an outbox id marker (its key is {key!r:.80})")
    return key


def _record(document: Document) -> OutboxRecord:
    """The record a document holds, with its delivery state.

    Raises:
        CorruptRecord: The document is not an outbox record.
    """
    body = document.body
    owner = body.get("owner")
    try:
        return record_from_cloudevent(
            body["event"],
            attempts=body["attempts"],
            lease_owner=owner,
            lease_until=None if owner is None else document.updated_at,
        )
    except (KeyError, TypeError, ValidationError) as error:
        raise _corrupt(document, f"not an outbox record ({error})") from None
