"""Turning a case into a JSON-safe record and back, for storage adapters.

Everything a case holds round-trips: participants, roles, status and history, evidence
versions, tasks, milestones, notes, communications, links, type-specific fields, ``Money`` as
exact decimals and timezone-aware times. Values are tagged (``{"$datetime": "..."}``,
``{"$decimal": "..."}``, ``{"$enum": ..., "value": ...}``, ``{"$attrs": ..., "fields": ...}``).

A record names attrs classes and enums by *topic*, the text ``"module:qualname"``, looked
up in a registry (as eventsourcing's ``register_topic`` does): decoding never imports a
module named by the data, so a stored record cannot make the decoder import or run
anything; an unregistered topic is a [`CorruptRecord`][]. Registered
are every built-in class the codec writes, the status enum and field types a registered
case type declares, every class this process has encoded, and what you register with
`register_type` (give aliases for a class that moved, so records written under its
old topic still read)::

    from casekit.cases.codec import register_type

    @register_type
    @attrs.frozen
    class Household:
        size: int

    register_type(Household, "old.module:Household")  # it used to live there

Complexity: O(size of the case) both ways.
"""

from __future__ import annotations

import enum
import threading
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from casekit.cases import (
    application,
    evidence,
    issue,
    parts,
    payment_correction,
    product_delivery,
    simple,
)
from casekit.cases.base import CASE_TYPES, Case
from casekit.cases.evidence import EvidenceLog
from casekit.checks import check_text
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import CorruptRecord, ValidationError
from casekit.money import Money
from casekit.priority import Priority

__all__ = ["RECORD_FORMAT", "case_from_record", "case_to_record", "register_type", "type_topic"]

T = TypeVar("T", bound=type)

RECORD_FORMAT = 1
"""The version of the record layout; bumped when it changes incompatibly."""

_SKIP = frozenset({"clock", "_pending", "_withheld"})


def _type_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


# ----- the type registry ------------------------------------------------------------------
_TYPES: dict[str, type] = {}
"""Every class a record may name, by topic and by alias."""
_REGISTRY_LOCK = threading.Lock()
_builtins_registered = False
_declared: set[type] = set()  # case classes whose declared types are registered


def type_topic(cls: type) -> str:
    """The topic a class is written under: ``"module:qualname"`` (as records hold today)."""
    return _type_name(cls)


def register_type(cls: T, *aliases: str) -> T:
    """Let records name ``cls`` (an attrs class or an enum) by its topic and ``aliases``.

    Register the attrs classes and enums your own case types store (evidence values, custom
    fields) before reading records in a process that has not written them; give the old
    topic (``"old.module:Name"``) as an alias when a class moves. Registering again is
    harmless; the latest class registered under a topic wins (a reloaded module). Usable as
    a class decorator.

    Args:
        cls: The class.
        aliases: Further topics that name it.

    Returns:
        ``cls``.

    Raises:
        ValidationError: ``cls`` is neither an attrs class nor an enum, or an alias is
            not a non-blank string or already names another class.
    """
    if not (isinstance(cls, type) and (attrs.has(cls) or issubclass(cls, enum.Enum))):
        raise ValidationError(
            f"register_type takes an attrs class or an enum, got {cls!r:.80}; only those "
            "can be stored in a case record"
        )
    checked = [check_text(alias, what=f"an alias of {type_topic(cls)}") for alias in aliases]
    with _REGISTRY_LOCK:
        for alias in checked:
            known = _TYPES.get(alias)
            if known is not None and known is not cls and type_topic(known) != alias:
                raise ValidationError(
                    f"alias {alias!r} of {type_topic(cls)} already names {type_topic(known)}"
                )
        _TYPES[type_topic(cls)] = cls
        for alias in checked:
            _TYPES[alias] = cls
    return cls


def _register_builtins() -> None:
    """Register every built-in class the codec writes (once, on the first decode)."""
    global _builtins_registered  # noqa: PLW0603  a flag set once
    if _builtins_registered:
        return
    from casekit.classification import levels, sensitive, templates  # noqa: PLC0415  cycle

    builtins: tuple[type, ...] = (
        Priority,
        Money,
        parts.ParticipantRole,
        parts.Participant,
        parts.OwnerKind,
        parts.Owner,
        parts.CaseRoles,
        parts.StatusChange,
        parts.TaskStatus,
        parts.Task,
        parts.MilestoneKind,
        parts.MilestoneStatus,
        parts.Milestone,
        parts.Note,
        parts.Communication,
        parts.LinkKind,
        parts.CaseLink,
        parts.Certification,
        evidence.Evidence,
        application.ApplicationStatus,
        application.ProgramStatus,
        application.Disposal,
        issue.IssueStatus,
        issue.InvestigationStatus,
        issue.Finding,
        payment_correction.PCCStatus,
        payment_correction.CorrectionOutcome,
        payment_correction.CorrectionLine,
        product_delivery.PDCStatus,
        product_delivery.ClosureReason,
        product_delivery.DeferredStep,
        simple.IntegratedStatus,
        simple.OpenClosedStatus,
        simple.EligibilityResult,
        levels.Classification,
        sensitive.Sensitive,
        templates.Documentation,
        templates.Field,
    )
    for cls in builtins:
        register_type(cls)
    _builtins_registered = True


def _register_declared(case_class: type) -> None:
    """Register the status enum and the field types a registered case type declares.

    They are named by the case class itself (trusted code), not by the data, so a process
    that only reads records of a user-declared case type can decode them. Field types are
    followed into the attrs classes they name (a field's class's own fields, and so on).
    """
    if case_class in _declared:
        return
    compiled = getattr(case_class, "_compiled", None)
    statuses = getattr(getattr(compiled, "lifecycle", None), "statuses", None)
    if isinstance(statuses, type) and issubclass(statuses, enum.Enum):
        register_type(statuses)
    seen: set[type] = {case_class}
    todo: list[type] = [case_class]
    while todo:
        cls = todo.pop()
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # unresolvable annotations: take the field types already resolved
            hints = {f.name: f.type for f in attrs.fields(cls) if not isinstance(f.type, str)}
        for field in attrs.fields(cls):
            if field.name in _SKIP or field.name not in hints:
                continue
            for named in _classes_in(hints[field.name]):
                if named not in seen:
                    seen.add(named)
                    register_type(named)
                    if attrs.has(named):
                        todo.append(named)
    _declared.add(case_class)


def _classes_in(hint: object) -> list[type]:
    """The attrs classes and enums an annotation names (through unions and generics)."""
    found: list[type] = []
    stack = [hint]
    while stack:
        item = stack.pop()
        if (
            isinstance(item, type)
            and (attrs.has(item) or issubclass(item, enum.Enum))
            and not issubclass(item, Case)
        ):
            found.append(item)
        stack.extend(typing.get_args(item))
    return found


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
    """The encoder for values of exactly ``cls`` (cached by `_encode`)."""
    if issubclass(cls, enum.Enum):  # before str: a StrEnum is a str
        name = _type_name(cls)
        register_type(cls)  # a process that writes a type can read it back
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
        register_type(cls)
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
        raise ValidationError(
            f"a case cannot store a {cls.__name__} ({value!r:.80}); store None, bool, int, "
            "str, Decimal, date, datetime, an enum, an attrs class, or a tuple, list, set "
            "or dict of these"
        )

    return refuse


_ENCODERS: dict[type, Callable[[Any], object]] = {}


def _resolve(name: object, *, enum_kind: bool) -> type:
    """The registered class (an enum, or an attrs class) a record's topic names.

    Never imports anything: a topic that is not registered is a CorruptRecord.
    """
    cls = _TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        _register_builtins()
        cls = _TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise CorruptRecord(
            f"record names unknown type {name!r:.120}: it is neither an attrs class nor an enum "
            "registered with casekit.cases.codec.register_type (nothing was imported)"
        )
    if issubclass(cls, enum.Enum) != enum_kind:
        wanted = "an enum" if enum_kind else "an attrs class"
        raise CorruptRecord(f"record names {name!r} where {wanted} belongs")
    return cls


def _decode(value: object) -> object:  # noqa: PLR0911  one branch per JSON tag
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$enum" in value:
        enum_type: Any = _resolve(value["$enum"], enum_kind=True)
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
        cls: Any = _resolve(value["$attrs"], enum_kind=False)
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
    if case.withheld_notes:
        raise ValidationError(
            f"{case.id} was read for someone not cleared for {len(case.withheld_notes)} of its "
            "notes, which this object leaves out; load the case again to change it"
        )
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
    if not isinstance(record, Mapping):
        raise CorruptRecord(f"a case record must be a JSON object, got {type(record).__name__}")
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
    _register_declared(cls)
    fields = record.get("fields")
    if isinstance(fields, dict):
        # Only fields the encoder writes: a record naming others ("pending_events", "clock")
        # would hand the case events or a clock that storage never wrote.
        written = {field.alias for field in attrs.fields(cls) if field.name not in _SKIP}
        stray = sorted(set(fields) - written)
        if stray:
            raise CorruptRecord(
                f"case {case_id}: the record holds fields a case record never has: "
                f"{', '.join(map(str, stray))}"
            )
    try:
        kwargs: dict[str, Any] = {k: _decode(v) for k, v in record["fields"].items()}
        return cls(clock=clock, **kwargs)
    except CorruptRecord:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
        raise CorruptRecord(f"case {case_id}: unreadable record ({error})") from error
