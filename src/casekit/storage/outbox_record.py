"""Outbox records: committed domain events as CloudEvents 1.0, with their delivery state.

An [`OutboxRecord`][casekit.storage.OutboxRecord] is what the transactional outbox keeps
and a relay hands to a broker: the event as a CloudEvents 1.0 envelope (``id``, ``source``,
``type``, ``subject``, ``time``, ``datacontenttype``, ``data``) plus the outbox's delivery
fields (``attempts``, ``lease_owner``, ``lease_until``), which are not part of the event.

The envelope follows the CloudEvents 1.0 specification and its JSON event format
(``cloudevents/spec.md``, ``cloudevents/formats/json-format.md``), checked here without the
CloudEvents SDK:

- ``id``, ``source``, ``type`` (and ``specversion``, always ``"1.0"``) are required,
  non-empty strings without control characters (U+0000–U+001F, U+007F–U+009F), Unicode
  noncharacters or lone surrogates (the spec's ``String`` type); ``subject`` is optional,
  and non-empty when given.
- ``source`` is a URI-reference (RFC 3986): only the characters a URI may hold, every
  ``%`` followed by two hex digits, at most one ``#``, and a valid scheme when a ``:``
  comes before any ``/``, ``?`` or ``#`` (``/casekit/benefits``, ``urn:uuid:...``,
  ``https://example.org/casekit``).
- ``time`` is a timezone-aware datetime, written as RFC 3339 in UTC
  (``2026-03-02T09:00:00Z``, with microseconds when it has them).
- ``data`` is a JSON object; ``datacontenttype`` is a media type declaring JSON
  (``application/json``, the default, or any ``*/json`` or ``*/*+json``), as the JSON
  format requires for data written as a JSON value.

Extension attributes, ``dataschema`` and binary data (``data_base64``) are not kept:
[`OutboxRecord.from_cloudevent`][casekit.storage.OutboxRecord.from_cloudevent] refuses an
event carrying them rather than drop them silently.

Complexity: building, encoding and decoding a record are O(size of its data).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import attrs

from casekit.checks import check_aware, check_id, check_int
from casekit.errors import ValidationError, allowed_list
from casekit.storage._checks import check_plain_json

__all__ = [
    "JSON_CONTENT_TYPE",
    "MAX_ATTEMPTS",
    "MAX_RECORD_ID_LENGTH",
    "SPECVERSION",
    "OutboxRecord",
    "check_record_id",
    "check_time",
    "record_from_cloudevent",
    "rfc3339",
]

SPECVERSION = "1.0"
"""The CloudEvents version of every envelope."""

JSON_CONTENT_TYPE = "application/json"
"""The default ``datacontenttype``."""

MAX_RECORD_ID_LENGTH = 256
"""The longest record id (the outbox keys its documents by it, with a prefix)."""

MAX_ATTEMPTS = 2**31 - 1
"""The most deliveries a record counts (a CloudEvents ``Integer``)."""

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_ATTRIBUTES = ("specversion", "id", "source", "type", "subject", "time", "datacontenttype")
_MEMBERS = frozenset((*_ATTRIBUTES, "data"))

# The CloudEvents String type refuses control characters, noncharacters and lone surrogates
# (a Python str holds a surrogate only when it is unpaired).
_NONCHARACTERS = "".join(
    chr(plane * 0x10000 + low) for plane in range(17) for low in (0xFFFE, 0xFFFF)
)
_NOT_STRING = re.compile(
    "[\x00-\x1f\x7f-\x9f\ufdd0-\ufdef\ud800-\udfff" + re.escape(_NONCHARACTERS) + "]"
)
_URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(rf"({_TOKEN})/({_TOKEN})[ \t]*(?:;.*)?", re.S)
_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _string(value: object, *, what: str, max_length: int | None = None) -> str:
    """A CloudEvents ``String``: non-empty, no control, noncharacter or lone surrogate."""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a non-empty string, got {_short(value)}")
    if not value:
        raise ValidationError(f"{what} must be a non-empty string, got ''")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            f"{what} must be at most {max_length} characters, got {len(value)} characters"
        )
    bad = _NOT_STRING.search(value)
    if bad is not None:
        raise ValidationError(
            f"{what} must not contain control characters, noncharacters or lone surrogates "
            f"(CloudEvents String), got U+{ord(bad.group()):04X} in {_short(value)}"
        )
    return str(value)


def check_record_id(value: object, *, what: str = "outbox record id") -> str:
    """An outbox record's id: a CloudEvents ``String`` of at most 256 characters.

    Complexity: O(length).

    Raises:
        ValidationError: Not a string, empty, too long, or holding a character the
            CloudEvents String type refuses.
    """
    return _string(value, what=what, max_length=MAX_RECORD_ID_LENGTH)


def _plain_source(text: str) -> bool:
    """Whether ``text``, made of URI characters, is a URI-reference (see `_source`)."""
    if text.count("#") > 1:
        return False
    colon = text.find(":")
    scheme = text[:colon]
    return colon < 0 or any(c in scheme for c in "/?#") or _SCHEME.fullmatch(scheme) is not None


def _source(value: object, *, what: str) -> str:
    text = _string(value, what=what)
    example = "e.g. '/casekit/benefits' or 'urn:uuid:...'"
    if not _URI_REFERENCE.fullmatch(text) or text.count("#") > 1:
        raise ValidationError(
            f"{what} must be a URI-reference (RFC 3986: letters, digits, -._~:/?#[]@!$&'()*+,;= "
            f"and %XX escapes, at most one '#'; {example}), got {_short(text)}"
        )
    if not _plain_source(text):
        scheme = text[: text.find(":")]
        raise ValidationError(
            f"{what} must be a URI-reference: {scheme!r} before ':' is not a scheme "
            f"(a letter, then letters, digits, '+', '-' or '.'); {example}"
        )
    return text


def _content_type(value: object, *, what: str) -> str:
    text = _string(value, what=what)
    match = _MEDIA_TYPE.fullmatch(text)
    if match is None:
        raise ValidationError(
            f"{what} must be a media type 'type/subtype' (RFC 2046), got {_short(text)}"
        )
    subtype = match.group(2).lower()
    if subtype != "json" and not subtype.endswith("+json"):
        raise ValidationError(
            f"{what} must declare JSON data (application/json, */json or */*+json: the "
            f"outbox's data is a JSON object), got {_short(text)}"
        )
    return text


def rfc3339(moment: datetime) -> str:
    """``moment`` as an RFC 3339 timestamp in UTC: ``2026-03-02T09:00:00Z``.

    Microseconds are written only when the time has them.

    Complexity: O(1).

    Raises:
        ValidationError: ``moment`` is not a timezone-aware datetime.
    """
    return check_time(moment, what="CloudEvents time").isoformat().replace("+00:00", "Z")


def _parse_rfc3339(value: object, *, what: str) -> datetime:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be an RFC 3339 string, got {_short(value)}")
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise ValidationError(
            f"{what} must be an RFC 3339 timestamp with an offset "
            f"('2026-03-02T09:00:00Z', '2026-03-02T10:00:00.5+01:00'), got {_short(value)}"
        )
    day, hours, minutes, seconds, fraction, offset = match.groups()
    if seconds == "60":
        raise ValidationError(f"{what}: a leap second cannot be represented, got {value!r}")
    micro = "" if fraction is None else "." + (fraction + "000000")[:6]
    offset = "+00:00" if offset in "Zz" else offset
    try:
        moment = datetime.fromisoformat(f"{day}T{hours}:{minutes}:{seconds}{micro}{offset}")
    except ValueError as error:
        raise ValidationError(f"{what} is not a valid time: {value!r} ({error})") from None
    return check_time(moment, what=what)


def check_time(value: object, *, what: str) -> datetime:
    """A timezone-aware datetime, in UTC (an instant UTC cannot hold is refused too).

    Complexity: O(1).

    Raises:
        ValidationError: Not a datetime, naive, or out of UTC's range (``datetime.min``
            with a positive offset).
    """
    try:
        return check_aware(value, what=what)
    except OverflowError:
        raise ValidationError(f"{what} is out of range in UTC, got {value!r:.80}") from None


def _data(value: object, *, what: str) -> dict[str, Any]:
    """A JSON object: checked, then copied through JSON (so the record holds its own).

    The JSON text is written and read back by the C encoder; when what is read back equals
    the value (string keys only, every value JSON's own, no lone surrogate: the common
    case) the value was plain JSON. Otherwise the walk of `check_plain_json` names the
    first value that is not (or accepts, say, tuples, which read back as lists).
    """
    if not isinstance(value, Mapping):
        raise ValidationError(f"{what} must be a mapping (a JSON object), got {_short(value)}")
    try:
        text = _ENCODER.encode(value)
        copy: dict[str, Any] = json.loads(text)
        text.encode("utf-8")  # a lone surrogate cannot be stored
        if copy == value:
            return copy
    except (TypeError, ValueError, RecursionError):
        pass
    check_plain_json(value, what=what)
    return cast("dict[str, Any]", json.loads(_ENCODER.encode(value)))


@attrs.frozen(slots=True, kw_only=True)
class OutboxRecord:
    """One domain event in the outbox: a CloudEvents 1.0 envelope and its delivery state.

    Every field is checked when the record is made (see `casekit.storage.outbox_record`
    for the CloudEvents rules); ``time`` and ``lease_until`` are kept in UTC and ``data``
    as a copy.

    Attributes:
        id: Unique in the outbox, at most 256 characters; the idempotency key consumers
            deduplicate on (CloudEvents: ``source`` + ``id`` identify an event).
        source: A URI-reference naming the producer, e.g. ``"/casekit/benefits"``.
        type: The kind of event, e.g. ``"casekit.case.status_changed"``.
        time: When it happened (timezone-aware).
        data: The event's JSON-safe payload (a JSON object).
        subject: What it is about within ``source`` (a case id), or ``None``.
        datacontenttype: A JSON media type; ``"application/json"`` by default.
        attempts: Deliveries so far: 0 until claimed, then 1 on the first claim and one
            more on each redelivery.
        lease_owner: The relay holding its current (or last) lease, or ``None``.
        lease_until: When that lease runs out (the record is claimable again from then),
            or ``None``.

    Complexity: O(size of ``data``) to make.

    Raises:
        ValidationError: A field breaks the rules above (named in the message), or only
            one of ``lease_owner`` and ``lease_until`` is given.
    """

    id: str
    source: str
    type: str
    time: datetime
    data: Mapping[str, Any] = attrs.field(factory=dict)
    subject: str | None = None
    datacontenttype: str = JSON_CONTENT_TYPE
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None

    def __attrs_post_init__(self) -> None:
        if not self._plain():
            self._check()  # raises, or converts (a time in another zone, a str subclass)
        data = _data(self.data, what=f"data of outbox record {self.id}")
        object.__setattr__(self, "data", data)

    @classmethod
    def _trusted(
        cls,
        *,
        id: str,
        source: str,
        type: str,
        time: datetime,
        data: dict[str, Any],
        subject: str | None,
    ) -> OutboxRecord:
        """A new record from fields casekit built itself, not checked again.

        For the application layer, whose ids, types and sources are made by its own code
        and whose ``data`` is fresh plain JSON (`casekit.app.events`): checking and copying
        them again was a third of what its outbox cost. Anything else uses the constructor.

        Complexity: O(1).
        """
        record = object.__new__(cls)
        for name, value in (
            ("id", id),
            ("source", source),
            ("type", type),
            ("time", time),
            ("data", data),
            ("subject", subject),
            ("datacontenttype", JSON_CONTENT_TYPE),
            ("attempts", 0),
            ("lease_owner", None),
            ("lease_until", None),
        ):
            object.__setattr__(record, name, value)
        return record

    def _plain(self) -> bool:
        """Whether every field but ``data`` is already valid as it is (the common case).

        Records made by code (and every record read back from storage) pass without a
        message being formatted; anything else goes through `_check`.
        """
        record_id, kind, subject, moment = self.id, self.type, self.subject, self.time
        return (
            type(record_id) is str
            and 0 < len(record_id) <= MAX_RECORD_ID_LENGTH
            and _NOT_STRING.search(record_id) is None
            and type(kind) is str
            and kind != ""
            and _NOT_STRING.search(kind) is None
            and (subject is None or (type(subject) is str and subject != ""))
            and (subject is None or _NOT_STRING.search(subject) is None)
            and type(self.source) is str
            and _URI_REFERENCE.fullmatch(self.source) is not None
            and _plain_source(self.source)
            and type(moment) is datetime
            and moment.tzinfo is UTC
            and self.datacontenttype == JSON_CONTENT_TYPE
            and type(self.datacontenttype) is str
            and type(self.attempts) is int
            and 0 <= self.attempts <= MAX_ATTEMPTS
            and self.lease_owner is None
            and self.lease_until is None
        )

    def _check(self) -> None:
        """Check and convert every field but ``data``; raise on the first that is not valid."""
        record_id = check_record_id(self.id)
        where = f"outbox record {record_id}"
        checked: dict[str, object] = {
            "id": record_id,
            "source": _source(self.source, what=f"source of {where}"),
            "type": _string(self.type, what=f"type of {where}"),
            "time": check_time(self.time, what=f"time of {where}"),
            "subject": None
            if self.subject is None
            else _string(self.subject, what=f"subject of {where}"),
            "datacontenttype": _content_type(
                self.datacontenttype, what=f"datacontenttype of {where}"
            ),
            "attempts": check_int(
                self.attempts, what=f"attempts of {where}", minimum=0, maximum=MAX_ATTEMPTS
            ),
            "lease_owner": None
            if self.lease_owner is None
            else check_id(self.lease_owner, what=f"lease owner of {where}"),
            "lease_until": None
            if self.lease_until is None
            else check_time(self.lease_until, what=f"lease_until of {where}"),
        }
        if (checked["lease_owner"] is None) != (checked["lease_until"] is None):
            raise ValidationError(
                f"{where}: lease_owner and lease_until go together (both or neither), got "
                f"{self.lease_owner!r:.80} and {self.lease_until!r:.80}"
            )
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def _event(self) -> dict[str, Any]:
        """The CloudEvent as a dict holding the record's own ``data`` (not a copy)."""
        event: dict[str, Any] = {
            "specversion": SPECVERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
        }
        if self.subject is not None:
            event["subject"] = self.subject
        event["time"] = rfc3339(self.time)
        event["datacontenttype"] = self.datacontenttype
        event["data"] = self.data
        return event

    def to_cloudevent(self) -> dict[str, Any]:
        """The event in the CloudEvents JSON format, as a dict (the delivery fields left out).

        ``specversion``, ``id``, ``source``, ``type``, ``subject`` (when there is one),
        ``time`` (RFC 3339, UTC), ``datacontenttype`` and ``data``.

        Complexity: O(size of ``data``) (``data`` is copied).
        """
        event = self._event()
        event["data"] = json.loads(_ENCODER.encode(self.data))
        return event

    def to_json(self) -> str:
        """The event as CloudEvents JSON text (media type ``application/cloudevents+json``).

        Compact, non-ASCII characters as they are.

        Complexity: O(size of ``data``).
        """
        return _ENCODER.encode(self._event())

    @classmethod
    def from_cloudevent(cls, event: Mapping[str, Any]) -> OutboxRecord:
        """A record (never claimed: ``attempts`` 0, no lease) from a CloudEvents JSON dict.

        ``specversion`` must be ``"1.0"``; ``id``, ``source`` and ``type`` are required;
        ``time`` is required too (an outbox record has one) and read as RFC 3339;
        ``data`` must be a JSON object. A ``null`` attribute counts as absent, as the JSON
        format says (an absent ``datacontenttype`` is ``application/json``).

        Complexity: O(size of the event).

        Raises:
            ValidationError: Not a mapping, a required attribute missing or invalid, another
                specversion, binary data, or members the record cannot keep (extension
                attributes, ``dataschema``), all named in the message.
        """
        return record_from_cloudevent(event)

    @classmethod
    def from_json(cls, text: str | bytes) -> OutboxRecord:
        """A record from CloudEvents JSON text (what [`to_json`][] wrote, or a broker's).

        Complexity: O(length of ``text``).

        Raises:
            ValidationError: Not JSON text, or not an event
                [`from_cloudevent`][] accepts.
        """
        if not isinstance(text, str | bytes):
            raise ValidationError(f"CloudEvent JSON must be str or bytes, got {text!r:.80}")
        try:
            event = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise ValidationError(f"CloudEvent JSON is not readable JSON: {error}") from None
        return cls.from_cloudevent(event)


def record_from_cloudevent(
    event: Mapping[str, Any],
    *,
    attempts: int = 0,
    lease_owner: str | None = None,
    lease_until: datetime | None = None,
) -> OutboxRecord:
    """A record from a CloudEvents JSON dict, with the delivery state given.

    What [`OutboxRecord.from_cloudevent`][casekit.storage.OutboxRecord.from_cloudevent]
    does; an outbox reading its stored records passes their delivery state too.

    Complexity: O(size of the event).

    Raises:
        ValidationError: As ``from_cloudevent``, or a bad delivery field.
    """
    if not isinstance(event, Mapping):
        raise ValidationError(f"a CloudEvent must be a mapping (a JSON object), got {event!r:.80}")
    present = {name: value for name, value in event.items() if value is not None}
    unknown = sorted(map(str, set(present) - _MEMBERS))
    if unknown:
        raise ValidationError(
            f"CloudEvent {event.get('id')!r:.80} has members an outbox record cannot keep: "
            f"{', '.join(unknown)} (extension attributes, dataschema and data_base64 are "
            f"not supported); allowed: {allowed_list(sorted(_MEMBERS))}"
        )
    missing = [
        n for n in ("specversion", "id", "source", "type", "time", "data") if n not in present
    ]
    if missing:
        raise ValidationError(
            f"CloudEvent {event.get('id')!r:.80} lacks {', '.join(missing)}: an outbox "
            "record needs specversion, id, source, type, time and data (a JSON object)"
        )
    if present["specversion"] != SPECVERSION:
        raise ValidationError(
            f"CloudEvent {event.get('id')!r:.80}: specversion must be '1.0', "
            f"got {present['specversion']!r:.80}"
        )
    record_id = check_record_id(present["id"], what="id of a CloudEvent")
    if not isinstance(present["data"], Mapping):
        raise ValidationError(
            f"data of CloudEvent {record_id!r} must be a JSON object, got {present['data']!r:.80}"
        )
    return OutboxRecord(
        id=record_id,
        source=present["source"],
        type=present["type"],
        time=_parse_rfc3339(present["time"], what=f"time of CloudEvent {record_id!r}"),
        data=present["data"],
        subject=present.get("subject"),
        datacontenttype=present.get("datacontenttype", JSON_CONTENT_TYPE),
        attempts=attempts,
        lease_owner=lease_owner,
        lease_until=lease_until,
    )
