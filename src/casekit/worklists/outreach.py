"""The outreach log: every call to a client, successful or not, with its outcome.

A *successful contact* is actually speaking with the client; an *attempt* is a call that did
not reach them (left a message, asked to call back later, number out of service...). The log
is append-only and indexed per client and per worker, so productivity counts over any period
are two binary searches.

Complexity (``m`` records of one worker or client):

==========================  ==========
operation                   cost
==========================  ==========
``record``                  O(log m)
``count``                   O(log m)
``for_client``              O(1)
``has_outreach``            O(1)
==========================  ==========
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs
from sortedcontainers import SortedList  # type: ignore[import-untyped]  # ships no stubs

from casekit.checks import (
    attrs_check,
    check_aware,
    check_enum,
    check_free_text,
    check_id,
    check_instance,
    check_int,
    check_optional_id,
)

__all__ = ["ATTEMPT", "CONTACT", "ContactRecord", "Outcome", "OutreachLog", "Tally"]


def _utc(value: datetime) -> datetime:
    return check_aware(value, what="contact time")


def _outcome(value: Outcome | str) -> Outcome:
    return check_enum(value, Outcome, what="outreach outcome")


CONTACT = "successful_contact"
"""The SLA event kind a successful contact produces."""
ATTEMPT = "outreach_attempt"
"""The SLA event kind an unsuccessful attempt produces."""


class Outcome(enum.StrEnum):
    """How an outreach call ended."""

    SUCCESSFUL_CONTACT = "successful contact"
    LEFT_MESSAGE = "left message"
    CALL_BACK_LATER = "call back later"
    OUT_OF_SERVICE = "number out of service"
    NO_ANSWER = "no answer"
    WRONG_NUMBER = "wrong number"

    @property
    def successful(self) -> bool:
        """Whether the worker actually spoke with the client."""
        return self is Outcome.SUCCESSFUL_CONTACT

    @property
    def event_kind(self) -> str:
        """`CONTACT` for a successful contact, else `ATTEMPT`."""
        return CONTACT if self.successful else ATTEMPT


@attrs.frozen
class ContactRecord:
    """One outreach call.

    Args:
        client_id: Who was called.
        worker_id: Who called.
        at: When; timezone-aware (stored in UTC).
        outcome: The [`Outcome`][].
        case_id: The case it was about, if any.
        note: Free text.
    """

    client_id: str = attrs.field(validator=attrs_check(check_id))
    worker_id: str = attrs.field(validator=attrs_check(check_id))
    at: datetime = attrs.field(converter=_utc)
    outcome: Outcome = attrs.field(converter=_outcome)
    case_id: str | None = attrs.field(default=None, validator=attrs_check(check_optional_id))
    note: str = attrs.field(default="", validator=attrs_check(check_free_text))

    @property
    def successful(self) -> bool:
        """Whether it was a successful contact."""
        return self.outcome.successful


@attrs.frozen
class Tally:
    """Successful contacts and unsuccessful attempts over a period."""

    contacts: int = attrs.field(validator=attrs_check(check_int, minimum=0))
    attempts: int = attrs.field(validator=attrs_check(check_int, minimum=0))

    @property
    def calls(self) -> int:
        """Every outreach call: contacts plus attempts."""
        return self.contacts + self.attempts


class OutreachLog:
    """Append-only log of outreach calls, indexed per client and per worker."""

    __slots__ = ("_attempts", "_by_client", "_contacts", "_seq")

    def __init__(self) -> None:
        self._by_client: dict[str, list[ContactRecord]] = {}
        self._contacts: dict[str, SortedList] = {}
        self._attempts: dict[str, SortedList] = {}
        self._seq = 0

    def record(self, record: ContactRecord) -> None:
        """Append a call. O(log m).

        Raises:
            ValidationError: If ``record`` is not a [`ContactRecord`][].
        """
        check_instance(record, ContactRecord, what="an outreach log record")
        index = self._contacts if record.successful else self._attempts
        self._seq += 1
        index.setdefault(record.worker_id, SortedList()).add((record.at, self._seq))
        self._by_client.setdefault(record.client_id, []).append(record)

    def for_client(self, client_id: str) -> tuple[ContactRecord, ...]:
        """Return the client's calls in the order they were recorded.

        Raises:
            ValidationError: If ``client_id`` is not an id.
        """
        check_id(client_id, what="client id")
        return tuple(self._by_client.get(client_id, ()))

    def has_outreach(self, client_id: str) -> bool:
        """Whether any call to the client was logged.

        Raises:
            ValidationError: If ``client_id`` is not an id.
        """
        check_id(client_id, what="client id")
        return client_id in self._by_client

    def last_contact(self, client_id: str) -> ContactRecord | None:
        """Return the client's latest successful contact, or ``None``.

        Raises:
            ValidationError: If ``client_id`` is not an id.
        """
        check_id(client_id, what="client id")
        contacts = [r for r in self._by_client.get(client_id, ()) if r.successful]
        return max(contacts, key=lambda r: r.at, default=None)

    def count(self, worker_id: str, start: datetime, end: datetime) -> Tally:
        """Count the worker's contacts and attempts in ``[start, end)``. O(log m).

        Raises:
            ValidationError: If the worker id is not an id, or either bound is not an aware
                datetime.
        """
        check_id(worker_id, what="worker id")
        lo = (check_aware(start, what="period start"), 0)
        hi = (check_aware(end, what="period end"), 0)

        def between(index: dict[str, SortedList]) -> int:
            found = index.get(worker_id)
            if found is None:
                return 0
            return int(found.bisect_left(hi)) - int(found.bisect_left(lo))

        return Tally(between(self._contacts), between(self._attempts))

    def __len__(self) -> int:
        return self._seq
