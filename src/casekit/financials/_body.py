"""Reading the JSON bodies of `casekit.financials.codec`, strictly, one field at a time.

Each reader takes the body, the field's key and ``where`` (what the body is, for the
message: ``nominees body assignments[2]``) and returns the field's value, or raises
[`CorruptRecord`][] naming the field, what it should be and what it holds.

Complexity: O(1) per field (``fields`` is O(k) for k keys).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from typing import TypeVar

from casekit.errors import CorruptRecord

__all__ = [
    "LEDGER",
    "check_as_written",
    "fields",
    "read",
    "read_bool",
    "read_date",
    "read_enum",
    "read_int",
    "read_list",
    "read_map",
    "read_moment",
    "read_optional_date",
    "read_optional_int",
    "read_optional_str",
    "read_str",
    "short",
]

E = TypeVar("E", bound=enum.Enum)

LEDGER = "ledger body"
"""What a body is called when the caller does not say."""


def short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fields(body: object, keys: tuple[str, ...], where: str) -> Mapping[str, object]:
    """``body`` if it is an object holding exactly ``keys``, the fields its encoder writes."""
    if not isinstance(body, Mapping):
        raise CorruptRecord(f"{where} should be an object, got {short(body)}")
    missing = [key for key in keys if key not in body]
    if missing:
        raise CorruptRecord(f"{where} lacks the field(s) {', '.join(map(repr, missing))}")
    stray = sorted(short(key) for key in body if key not in keys)
    if stray:
        raise CorruptRecord(
            f"{where} holds field(s) its encoder never writes: {', '.join(stray)}; it writes "
            f"{', '.join(map(repr, keys))}"
        )
    return body


def read(
    body: Mapping[str, object], key: str, kind: type[object] = str, *, where: str = LEDGER
) -> object:
    value = body.get(key)
    if not isinstance(value, kind):
        raise CorruptRecord(
            f"{where} field {key!r} should be a {kind.__name__}, got {short(value)}"
        )
    return value


def read_str(body: Mapping[str, object], key: str, *, where: str = LEDGER) -> str:
    value = read(body, key, str, where=where)
    assert isinstance(value, str)
    return value


def read_optional_str(body: Mapping[str, object], key: str, *, where: str = LEDGER) -> str | None:
    value = body.get(key)
    return None if value is None else read_str(body, key, where=where)


def read_int(body: Mapping[str, object], key: str, *, where: str = LEDGER) -> int:
    value = body.get(key)
    if type(value) is not int:
        raise CorruptRecord(f"{where} field {key!r} should be an int, got {short(value)}")
    return value


def read_optional_int(body: Mapping[str, object], key: str, *, where: str) -> int | None:
    return None if body.get(key) is None else read_int(body, key, where=where)


def read_bool(body: Mapping[str, object], key: str, *, where: str) -> bool:
    value = body.get(key)
    if type(value) is not bool:
        raise CorruptRecord(f"{where} field {key!r} should be true or false, got {short(value)}")
    return value


def read_list(body: Mapping[str, object], key: str, *, where: str = LEDGER) -> list[object]:
    value = read(body, key, list, where=where)
    assert isinstance(value, list)
    return value


def read_map(body: Mapping[str, object], key: str, *, where: str = LEDGER) -> Mapping[str, object]:
    value = body.get(key)
    if not isinstance(value, Mapping):
        raise CorruptRecord(f"{where} field {key!r} should be an object, got {short(value)}")
    return value


def read_enum(body: Mapping[str, object], key: str, kind: type[E], *, where: str) -> E:
    text = read_str(body, key, where=where)
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in kind)
        raise CorruptRecord(
            f"{where} field {key!r} should be one of {allowed}, got {short(text)}"
        ) from None


def read_date(body: Mapping[str, object], key: str, *, where: str = LEDGER) -> date:
    text = read_str(body, key, where=where)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or day.isoformat() != text:
        raise CorruptRecord(
            f"{where} field {key!r} should be a date written YYYY-MM-DD, got {short(text)}"
        )
    return day


def read_optional_date(body: Mapping[str, object], key: str, *, where: str) -> date | None:
    return None if body.get(key) is None else read_date(body, key, where=where)


def read_moment(body: Mapping[str, object], key: str, *, where: str = LEDGER) -> datetime:
    text = read_str(body, key, where=where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None or moment.isoformat() != text:
        raise CorruptRecord(
            f"{where} field {key!r} should be an ISO-8601 time with an offset, got {short(text)}"
        )
    return moment


def check_as_written(written: object, body: object, where: str) -> None:
    """Refuse ``body`` unless it is exactly ``written``, what the encoder writes for it.

    The last check of a reader: ``written`` is the value read from ``body``, encoded again.
    A body that reads as a valid value yet is not what the encoder writes (assignments in
    another order, a time at another offset, ``1`` for ``true``) is not one it wrote.

    Complexity: O(n) for n JSON values.

    Raises:
        CorruptRecord: ``body`` differs from ``written``; the message names the first
            field that differs, what it holds and what the encoder writes there.
    """
    found = _first_difference(written, body, "")
    if found is not None:
        path, expected, actual = found
        raise CorruptRecord(
            f"{where} field {path or '(the whole body)'} holds {short(actual)}; for the "
            f"value it reads as, the encoder writes {short(expected)}: not a body the "
            "encoder wrote"
        )


def _first_difference(
    written: object, body: object, path: str
) -> tuple[str, object, object] | None:
    children: list[tuple[str, object, object]] = []
    if isinstance(written, dict):
        same = isinstance(body, Mapping) and set(written) == set(body)
        if same:
            assert isinstance(body, Mapping)
            children = [
                (f"{path}.{key}" if path else str(key), value, body[key])
                for key, value in written.items()
            ]
    elif isinstance(written, list):
        same = isinstance(body, list) and len(written) == len(body)
        if same:
            assert isinstance(body, list)
            children = [
                (f"{path}[{n}]", v, b) for n, (v, b) in enumerate(zip(written, body, strict=True))
            ]
    else:
        same = type(written) is type(body) and written == body
    if not same:
        return path, written, body
    for child in children:
        found = _first_difference(child[1], child[2], child[0])
        if found is not None:
            return found
    return None
