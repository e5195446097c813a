"""Turning a case into a JSON-safe record and back, for storage adapters.

Everything a case holds round-trips: participants, roles, status and history, evidence
versions, tasks, milestones, notes, communications, links, type-specific fields, ``Money`` as
exact decimals and timezone-aware times. Values are tagged (``{"$datetime": "..."}``,
``{"$decimal": "..."}``, ``{"$enum": ..., "value": ...}``, ``{"$attrs": ..., "fields": ...}``);
a record only ever names attrs classes and enums, which are looked up by module and
qualified name and must be attrs classes or enums, so a stored record cannot make the
decoder run arbitrary code.

Complexity: O(size of the case) both ways.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from casekit.cases.base import CASE_TYPES, Case
from casekit.cases.evidence import EvidenceLog
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import CorruptRecord

__all__ = ["RECORD_FORMAT", "case_from_record", "case_to_record"]

RECORD_FORMAT = 1
"""The version of the record layout; bumped when it changes incompatibly."""

_SKIP = frozenset({"clock", "_pending"})


def _type_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _encode(value: object) -> object:
    """Tag ``value`` for JSON. One dict lookup picks the encoder for the value's type."""
    cls = type(value)
    encoder = _ENCODERS.get(cls)
    if encoder is None:
        encoder = _ENCODERS[cls] = _encoder_for(cls)
    return encoder(value)


def _same(value: object) -> object:
    return value


_PLAIN = frozenset({str, int, bool, type(None)})


def _encode_fields(obj: object, pairs: tuple[tuple[str, str], ...]) -> dict[str, object]:
    """``{init name: encoded attribute}``; plain values are taken as they are, in line."""
    fields: dict[str, object] = {}
    for key, field in pairs:
        value = getattr(obj, field)
        fields[key] = value if type(value) in _PLAIN else _encode(value)
    return fields


def _encoder_for(cls: type) -> Callable[[Any], object]:  # noqa: PLR0911  one per JSON tag
    """The encoder for values of exactly ``cls`` (cached by :func:`_encode`)."""
    if issubclass(cls, enum.Enum):  # before str: a StrEnum is a str
        name = _type_name(cls)
        # ``_value_`` is what ``.value`` returns, without the descriptor (a third the cost)
        return lambda v: {"$enum": name, "value": _encode(v._value_)}
    if cls is type(None) or issubclass(cls, bool | int | str):
        return _same
    if issubclass(cls, Decimal):
        return lambda v: {"$decimal": str(v)}
    if issubclass(cls, datetime):
        return lambda v: {"$datetime": v.isoformat()}
    if issubclass(cls, date):
        return lambda v: {"$date": v.isoformat()}
    if issubclass(cls, EvidenceLog):
        return lambda v: {"$evidence": [_encode(e) for e in v.all_versions()]}
    if attrs.has(cls):
        name = _type_name(cls)
        pairs = tuple((f.alias or f.name, f.name) for f in attrs.fields(cls))
        return lambda v: {"$attrs": name, "fields": _encode_fields(v, pairs)}
    if issubclass(cls, tuple):
        return lambda v: {"$tuple": [_encode(item) for item in v]}
    if issubclass(cls, frozenset | set):
        return lambda v: {"$set": sorted((_encode(item) for item in v), key=repr)}
    if issubclass(cls, list):
        return lambda v: [_encode(item) for item in v]
    if issubclass(cls, Mapping):
        return lambda v: {"$dict": [[_encode(k), _encode(item)] for k, item in v.items()]}

    def refuse(value: object) -> object:
        raise TypeError(f"cannot encode {cls.__name__} value {value!r}")

    return refuse


_ENCODERS: dict[type, Callable[[Any], object]] = {}


def _resolve(name: str) -> type:
    module_name, _, qualname = name.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as error:
        raise CorruptRecord(f"record names unknown type {name!r}") from error
    if not (isinstance(obj, type) and (attrs.has(obj) or issubclass(obj, enum.Enum))):
        raise CorruptRecord(f"record names {name!r}, which is neither an attrs class nor an enum")
    return obj


def _decode(value: object) -> object:  # noqa: PLR0911  one branch per JSON tag
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$enum" in value:
        enum_type: Any = _resolve(value["$enum"])
        return enum_type(_decode(value["value"]))
    if "$decimal" in value:
        return Decimal(value["$decimal"])
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$evidence" in value:
        return EvidenceLog([_decode(e) for e in value["$evidence"]])  # type: ignore[misc]
    if "$attrs" in value:
        cls: Any = _resolve(value["$attrs"])
        return cls(**{k: _decode(v) for k, v in value["fields"].items()})
    if "$tuple" in value:
        return tuple(_decode(v) for v in value["$tuple"])
    if "$set" in value:
        return frozenset(_decode(v) for v in value["$set"])
    if "$dict" in value:
        return {_decode(k): _decode(v) for k, v in value["$dict"]}
    raise CorruptRecord(f"unknown tagged value with keys {sorted(value)}")


_CASE_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {}


def _case_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """A case class's stored fields as ``(init name, attribute)``, computed once per class."""
    pairs = _CASE_FIELDS.get(cls)
    if pairs is None:
        pairs = _CASE_FIELDS[cls] = tuple(
            (f.alias or f.name, f.name) for f in attrs.fields(cls) if f.name not in _SKIP
        )
    return pairs


def case_to_record(case: Case[Any]) -> dict[str, object]:
    """Return a JSON-safe record of everything ``case`` holds (not its pending events).

    The record has ``format``, ``case_type``, ``id``, ``status``, ``version`` and
    ``fields`` (every attrs field by its init name, tagged).
    """
    fields = _encode_fields(case, _case_fields(type(case)))
    return {
        "format": RECORD_FORMAT,
        "case_type": type(case).case_type,
        "id": case.id,
        "status": case.status.value,
        "version": case.version,
        "fields": fields,
    }


def case_from_record(record: Mapping[str, Any], *, clock: Clock = SYSTEM_CLOCK) -> Case[Any]:
    """Rebuild the case ``record`` describes, bound to ``clock``.

    Raises:
        CorruptRecord: Unknown format or case type, or a field that cannot be read; the
            message names the case id.
    """
    case_id = record.get("id", "<no id>")
    if record.get("format") != RECORD_FORMAT:
        raise CorruptRecord(
            f"case {case_id}: record format {record.get('format')!r} is not {RECORD_FORMAT}"
        )
    cls = CASE_TYPES.get(record.get("case_type", ""))
    if cls is None:
        raise CorruptRecord(
            f"case {case_id}: unknown case type {record.get('case_type')!r}; "
            f"registered: {', '.join(sorted(CASE_TYPES))}"
        )
    try:
        kwargs: dict[str, Any] = {k: _decode(v) for k, v in record["fields"].items()}
        return cls(clock=clock, **kwargs)
    except CorruptRecord:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise CorruptRecord(f"case {case_id}: unreadable record ({error})") from error
