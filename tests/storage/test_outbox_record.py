"""OutboxRecord: a CloudEvents 1.0 envelope, checked as the spec and its JSON format say."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from casekit.errors import ValidationError
from casekit.storage import OutboxRecord
from casekit.storage.outbox_record import rfc3339

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def record(**changes: Any) -> OutboxRecord:
    fields: dict[str, Any] = {
        "id": "evt-1",
        "source": "/casekit/benefits",
        "type": "casekit.case.status_changed",
        "subject": "PDC-17",
        "time": T0,
        "data": {"before": "Open", "after": "Submitted"},
    }
    return OutboxRecord(**{**fields, **changes})


def event(**changes: Any) -> dict[str, Any]:
    return {**record().to_cloudevent(), **changes}


def test_the_cloudevent_has_the_json_format_members_in_order() -> None:
    assert list(record().to_cloudevent().items()) == [
        ("specversion", "1.0"),
        ("id", "evt-1"),
        ("source", "/casekit/benefits"),
        ("type", "casekit.case.status_changed"),
        ("subject", "PDC-17"),
        ("time", "2026-03-02T09:00:00Z"),
        ("datacontenttype", "application/json"),
        ("data", {"before": "Open", "after": "Submitted"}),
    ]
    assert "subject" not in record(subject=None).to_cloudevent()
    assert record().to_json() == json.dumps(record().to_cloudevent(), separators=(",", ":"))


def test_time_is_rfc3339_in_utc() -> None:
    plus_one = timezone(timedelta(hours=1))
    made = record(time=datetime(2026, 3, 2, 10, 0, 0, 500, tzinfo=plus_one))
    assert made.time == T0 + timedelta(microseconds=500)
    assert made.time.tzinfo is UTC
    assert made.to_cloudevent()["time"] == "2026-03-02T09:00:00.000500Z"
    assert rfc3339(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
    for text, expected in [
        ("2018-04-05T17:31:00Z", datetime(2018, 4, 5, 17, 31, tzinfo=UTC)),
        ("2018-04-05t17:31:00z", datetime(2018, 4, 5, 17, 31, tzinfo=UTC)),
        ("2018-04-05T19:31:00.5+02:00", datetime(2018, 4, 5, 17, 31, 0, 500_000, tzinfo=UTC)),
        ("2018-04-05T17:31:00.123456789-00:00", datetime(2018, 4, 5, 17, 31, 0, 123456, UTC)),
    ]:
        assert OutboxRecord.from_cloudevent(event(time=text)).time == expected, text


@pytest.mark.parametrize(
    "source",
    [
        "https://github.com/cloudevents",
        "mailto:cncf-wg-serverless@lists.cncf.io",
        "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
        "/cloudevents/spec/pull/123",
        "/sensors/tn-1234567/alerts",
        "1-555-123-4567",
        "/casekit/b%C3%A9n%C3%A9fices?x=1#part",
        "//host:8080/path",
    ],
)
def test_the_spec_s_sources_are_uri_references(source: str) -> None:
    assert record(source=source).source == source


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": ""}, "id must be a non-empty string"),
        ({"id": 17}, "id must be a non-empty string"),
        ({"id": "x" * 257}, "at most 256 characters"),
        ({"id": "a\nb"}, "control characters"),
        ({"id": "a\x85b"}, "U\\+0085"),
        ({"id": "a\ufffeb"}, "noncharacters"),
        ({"id": "a\U0010ffffb"}, "noncharacters"),
        ({"type": "a\ud800"}, "lone surrogates"),
        ({"type": ""}, "type of outbox record evt-1"),
        ({"source": ""}, "source of outbox record evt-1"),
        ({"source": "a b"}, "URI-reference"),
        ({"source": "/café"}, "URI-reference"),
        ({"source": "/x%2"}, "URI-reference"),
        ({"source": "/x#a#b"}, "at most one '#'"),
        ({"source": "1:x"}, "not a scheme"),
        ({"subject": ""}, "subject of outbox record evt-1"),
        ({"time": datetime(2026, 3, 2, 9)}, "naive"),
        ({"time": "2026-03-02T09:00:00Z"}, "must be a datetime"),
        ({"data": [1, 2]}, "must be a mapping"),
        ({"data": {"x": math.nan}}, "not finite"),
        ({"data": {"x": {1, 2}}}, "not JSON-safe"),
        ({"data": {1: "x"}}, "not a string"),
        ({"datacontenttype": "text/plain"}, "must declare JSON data"),
        ({"datacontenttype": "application/xml"}, "must declare JSON data"),
        ({"datacontenttype": "json"}, "media type"),
        ({"attempts": -1}, ">= 0"),
        ({"attempts": True}, "integer"),
        ({"lease_owner": "relay"}, "go together"),
        ({"lease_until": T0}, "go together"),
        ({"lease_owner": " ", "lease_until": T0}, "lease owner"),
    ],
)
def test_a_record_refuses_what_cloudevents_refuse(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        record(**changes)


def test_json_media_types_and_a_lease_are_accepted() -> None:
    for content_type in ("application/json", "Application/JSON", "text/json; charset=utf-8"):
        assert record(datacontenttype=content_type).datacontenttype == content_type
    assert record(datacontenttype="application/cloudevents+json").to_cloudevent()
    leased = record(attempts=2, lease_owner="relay-1", lease_until=T0)
    assert (leased.attempts, leased.lease_owner, leased.lease_until) == (2, "relay-1", T0)
    assert "attempts" not in leased.to_cloudevent()  # delivery state is not the event


def test_a_record_keeps_its_own_copy_of_the_data() -> None:
    data: dict[str, Any] = {"items": [1, 2], "nested": {"a": "b"}}
    made = record(data=data)
    data["items"].append(3)
    data["nested"]["a"] = "changed"
    assert made.data == {"items": [1, 2], "nested": {"a": "b"}}
    made.to_cloudevent()["data"]["items"].append(4)
    assert made.data["items"] == [1, 2]


def test_from_cloudevent_reads_what_to_cloudevent_wrote_and_json_nulls_as_absent() -> None:
    made = record()
    assert OutboxRecord.from_cloudevent(made.to_cloudevent()) == made
    assert OutboxRecord.from_json(made.to_json()) == made
    assert OutboxRecord.from_json(made.to_json().encode()) == made
    unset = OutboxRecord.from_cloudevent(event(subject=None, datacontenttype=None))
    assert (unset.subject, unset.datacontenttype) == (None, "application/json")
    read = OutboxRecord.from_json(json.dumps(event(id="\\ud83d\\ude00")).replace("\\\\", "\\"))
    assert read.id == "\U0001f600"  # a surrogate pair in JSON is one character


@pytest.mark.parametrize(
    ("given_event", "message"),
    [
        ({k: v for k, v in event().items() if k != "id"}, "lacks id"),
        ({k: v for k, v in event().items() if k != "time"}, "lacks time"),
        ({k: v for k, v in event().items() if k != "data"}, "lacks data"),
        (event(source=None), "lacks source"),
        (event(specversion="0.3"), "specversion must be '1.0'"),
        (event(specversion=1.0), "specversion must be '1.0'"),
        (event(comexampleextension1="value"), "comexampleextension1"),
        (event(dataschema="https://example.org/s"), "dataschema"),
        (event(data=None, data_base64="AAAA"), "data_base64"),
        (event(data="text"), "must be a JSON object"),
        (event(time="2026-03-02T09:00:00"), "RFC 3339"),
        (event(time="2026-03-02 09:00:00Z"), "RFC 3339"),
        (event(time="2026-02-30T09:00:00Z"), "not a valid time"),
        (event(time="2026-03-02T23:59:60Z"), "leap second"),
        (event(time=T0), "RFC 3339 string"),
        (event(id=""), "non-empty"),
        (event(type=5), "type of outbox record"),
    ],
)
def test_from_cloudevent_refuses_what_it_cannot_keep(
    given_event: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        OutboxRecord.from_cloudevent(given_event)


def test_from_json_refuses_non_json() -> None:
    with pytest.raises(ValidationError, match="not readable JSON"):
        OutboxRecord.from_json("{")
    with pytest.raises(ValidationError, match="must be a mapping"):
        OutboxRecord.from_json("[]")
    with pytest.raises(ValidationError, match="str or bytes"):
        OutboxRecord.from_json(None)  # type: ignore[arg-type]


_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=20,
)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(
    record_id=_text,
    kind=_text,
    subject=st.none() | _text,
    moment=st.datetimes(timezones=st.timezones()).filter(
        lambda m: (
            m.utcoffset() is not None
            and datetime(1, 1, 2) < m.replace(tzinfo=None) < datetime(9999, 12, 30)
        )
    ),
    data=st.dictionaries(st.text(max_size=5), _json, max_size=4),
)
def test_every_record_survives_its_json(
    record_id: str, kind: str, subject: str | None, moment: datetime, data: dict[str, Any]
) -> None:
    made = OutboxRecord(
        id=record_id,
        source="/casekit/property",
        type=kind,
        subject=subject,
        time=moment,
        data=data,
    )
    assert OutboxRecord.from_json(made.to_json()) == made
    assert attrs.asdict(OutboxRecord.from_cloudevent(made.to_cloudevent())) == attrs.asdict(made)
