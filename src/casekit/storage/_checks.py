"""What storage checks at the door, before a statement runs or a row changes.

Every adapter calls these first, so a bad argument is refused the same way on every adapter
(a [`ValidationError`][] naming the object, the value and what is valid)
and never reaches a driver, where it would surface as a driver error (a NUL byte, a lone
surrogate, a key too long for an index) or be written half-way.

The general checks (actors, ids, aware times) are `casekit.checks`; this module adds
what only storage needs: collection names, label maps, JSON bodies and the fields of an
audit entry.

Complexity: O(size of the value) each.
"""

from __future__ import annotations

import functools
import json
import math
import reprlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from casekit.checks import (
    KNOWN_IDS,
    MAX_ID_LENGTH,
    check_actor,
    check_aware,
    check_id,
    check_int,
    check_text,
)
from casekit.errors import ValidationError
from casekit.storage.label_query import LabelQuery, check_label_query

__all__ = [
    "MAX_COLLECTION_LENGTH",
    "MAX_FIND_LIMIT",
    "MAX_LABEL_LENGTH",
    "MAX_LABEL_VALUES",
    "MAX_SEQ",
    "MAX_VERSION",
    "body_text",
    "check_after",
    "check_audit_fields",
    "check_collection",
    "check_document",
    "check_documents",
    "check_find",
    "check_journal_entries",
    "check_journal_read",
    "check_key",
    "check_label_filter",
    "check_labels",
    "check_limit",
    "check_optional_aware",
    "check_plain_json",
    "check_seconds",
    "check_version",
]

MAX_COLLECTION_LENGTH = 128
"""The longest collection name: with a key of `MAX_ID_LENGTH`
characters it still fits a PostgreSQL index entry."""

MAX_LABEL_LENGTH = 2 * MAX_ID_LENGTH
"""The longest label value (an owner label is its kind and a full-length id)."""

MAX_VERSION = 2**31 - 2
"""The highest version a write may state (the stored one, +1, fits a 32-bit column)."""

MAX_SEQ = 2**63 - 1
"""The highest journal sequence number (a 64-bit column on SQLite and PostgreSQL)."""

MAX_LABEL_VALUES = 10_000
"""The most texts one set label holds."""

MAX_FIND_LIMIT = 100_000
"""The most documents one ``find`` returns (page with ``after`` for more)."""

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 80, 80


def _short(value: object) -> str:
    """``repr(value)`` in at most 80 characters, safe for deeply nested values."""
    text = _REPR.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _plain_string(value: str, *, what: str, allow_nul: bool) -> None:
    if not allow_nul and "\x00" in value:
        raise ValidationError(f"{what} must not contain a NUL character, got {_short(value)}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(
                f"{what} must be valid Unicode text (no lone surrogates), got {_short(value)}"
            ) from None


def check_collection(value: object) -> str:
    """A collection name: non-blank text of at most `MAX_COLLECTION_LENGTH` characters."""
    return check_text(value, what="collection name", max_length=MAX_COLLECTION_LENGTH)


def check_key(collection: str, value: object) -> str:
    """A document key: an id (non-blank, at most 512 characters, no NUL or lone surrogate)."""
    if type(value) is str and value in KNOWN_IDS:
        return value
    return check_id(value, what=f"key of a document in {collection}")


def check_version(value: object, *, what: str, minimum: int = 0) -> int:
    """A version number: an int from ``minimum`` to `MAX_VERSION`."""
    return check_int(value, what=what, minimum=minimum, maximum=MAX_VERSION)


def check_limit(value: object, *, what: str) -> int:
    """How many rows to return: an int from 1 to `MAX_FIND_LIMIT`."""
    return check_int(value, what=what, minimum=1, maximum=MAX_FIND_LIMIT)


def check_optional_aware(value: object, *, what: str) -> datetime | None:
    """``None`` or a timezone-aware datetime, converted to UTC."""
    return None if value is None else check_aware(value, what=what)


def check_after(value: object, *, what: str) -> str | None:
    """``None`` or a string to page after (no NUL or lone surrogate)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string or None, got {_short(value)}")
    _plain_string(value, what=what, allow_nul=False)
    return str(value)


def check_labels(
    value: object, *, what: str, sets: bool = True
) -> dict[str, str | tuple[str, ...]]:
    """A label map: non-blank text names, each a text (may be empty) or a set of texts.

    A set label (a list, tuple, set or frozenset of texts: a case's participants) is kept as
    a sorted tuple without repeats; an empty one is left out (it reads back absent).

    Args:
        value: The labels.
        what: What they label, for messages.
        sets: Whether set labels are allowed (not in an equality filter).

    Raises:
        ValidationError: Not a mapping, a name that is not an id, a value that is not a
            string (or a set of them, where allowed), contains NUL or a lone surrogate, or
            is longer than `MAX_LABEL_LENGTH`, or a set of more than
            `MAX_LABEL_VALUES` texts.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"{what} must be a mapping of str to str, got {_short(value)}")
    labels: dict[str, str | tuple[str, ...]] = {}
    for given, text in value.items():
        if type(given) is str and given in KNOWN_IDS:
            name = given
        else:
            name = check_id(given, what=f"a label name of {what}")
        if isinstance(text, str):
            labels[name] = _label_text(text, name, what)
            continue
        if not sets or not isinstance(text, list | tuple | set | frozenset):
            kinds = "a string or a set of strings" if sets else "a string"
            raise ValidationError(f"label {name!r} of {what} must be {kinds}, got {_short(text)}")
        if len(text) > MAX_LABEL_VALUES:
            raise ValidationError(
                f"set label {name!r} of {what} holds {len(text):,} values; at most "
                f"{MAX_LABEL_VALUES:,} are allowed"
            )
        items = {_label_text(item, name, what) for item in text}
        if items:
            labels[name] = tuple(sorted(items))
    return labels


def check_label_filter(value: object, *, what: str) -> dict[str, str]:
    """The labels an equality filter asks for: as `check_labels`, texts only."""
    checked = check_labels(value, what=what, sets=False)
    return {name: text for name, text in checked.items() if isinstance(text, str)}


def _label_text(text: object, name: str, what: str) -> str:
    if not isinstance(text, str):
        raise ValidationError(f"label {name!r} of {what} must hold strings, got {_short(text)}")
    if len(text) > MAX_LABEL_LENGTH:
        raise ValidationError(
            f"label {name!r} of {what} must be at most {MAX_LABEL_LENGTH} characters, "
            f"got {len(text)}"
        )
    if "\x00" in text or not text.isascii():  # only then can _plain_string refuse it
        _plain_string(text, what=f"label {name!r} of {what}", allow_nul=False)
    return str(text)


def check_plain_json(value: object, *, what: str) -> None:
    """Check ``value`` is what JSON stores and reads back unchanged.

    Allowed: ``None``, ``bool``, ``int``, finite ``float``, ``str`` (no lone surrogate; NUL
    is escaped in JSON and allowed), lists and tuples of these, mappings with string keys.

    Raises:
        ValidationError: The first value that is not allowed, with its path.
    """
    try:
        _walk(value, what)
    except RecursionError:
        raise ValidationError(f"{what} is nested too deeply to store") from None


_JSON_AT_ONCE = frozenset({str, int, bool, type(None)})
"""Types `_walk` passes without a look further (a ``str`` when it is ASCII)."""


def _walk(value: object, path: str) -> None:  # noqa: PLR0912  a branch per JSON type, inline
    if value is None or type(value) is bool or type(value) is int:
        return
    if isinstance(value, str):
        _plain_string(value, what=path, allow_nul=True)
        return
    if isinstance(value, bool | int):  # an IntEnum or an int subclass: JSON reads an int
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{path} is not finite ({value!r}); JSON cannot hold it")
        return
    # ASCII text, None, bools and ints pass at once; the path naming an item (for the
    # message) is only built for what has to be looked at further.
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(
                    f"{path} has a key that is not a string: {_short(key)} (JSON keys are text)"
                )
            if not key.isascii():
                _plain_string(key, what=f"a key of {path}", allow_nul=True)
            if type(item) not in _JSON_AT_ONCE or (type(item) is str and not item.isascii()):
                _walk(item, f"{path}[{key!r}]")
        return
    if isinstance(value, list | tuple):
        for n, item in enumerate(value):
            if type(item) not in _JSON_AT_ONCE or (type(item) is str and not item.isascii()):
                _walk(item, f"{path}[{n}]")
        return
    raise ValidationError(
        f"{path} is a {type(value).__name__} ({_short(value)}), which is not JSON-safe; "
        "use str, int, bool, None, a list or a mapping with string keys"
    )


@functools.cache
def _json_text() -> type[str]:
    """``casekit.storage.ports.JsonText`` (ports imports this module, so not at the top)."""
    from casekit.storage.ports import JsonText  # noqa: PLC0415  see above

    return JsonText


def body_text(what: str, body: object) -> str:
    """The JSON text a document body is stored as, after checking it can be stored.

    ``body`` is a mapping (checked with `check_plain_json`) or
    `JsonText` (a ``str``, stored as it is once it is known
    to be encodable).

    Raises:
        ValidationError: Not a mapping or JSON text, or holding what JSON cannot store.
    """
    if isinstance(body, str):
        if type(body) is not _json_text():
            raise ValidationError(
                f"{what}: the body must be a mapping or JsonText, got a plain str {_short(body)}"
            )
        _plain_string(body, what=f"{what} (JSON text)", allow_nul=False)
        return str(body)
    if not isinstance(body, Mapping):
        raise ValidationError(f"{what}: the body must be a mapping, got {_short(body)}")
    check_plain_json(body, what=f"{what} body")
    return _ENCODER.encode(body)


def check_journal_entries(entries: object) -> Sequence[Any]:
    """The entries of a routing journal append: a list or tuple (each entry checked later).

    Raises:
        ValidationError: Not a list or tuple.
    """
    if not isinstance(entries, list | tuple):
        raise ValidationError(
            f"routing journal entries to append must be a list of JournalEntry, "
            f"got {_short(entries)}"
        )
    return entries


def check_journal_read(domain: object, after: object, limit: object) -> tuple[str, int, int | None]:
    """The arguments of a routing journal read: a domain, a seq >= 0, ``None`` or a limit.

    Raises:
        ValidationError: A bad domain, an ``after`` that is not an int >= 0, or a ``limit``
            that is not ``None`` or an int from 1 to `MAX_FIND_LIMIT`.
    """
    domain = check_id(domain, what="routing domain")
    where = f"a read of the {domain} routing journal"
    after = check_int(
        after, what=f"after (the last seq already read) of {where}", minimum=0, maximum=MAX_SEQ
    )
    if limit is not None:
        limit = check_limit(limit, what=f"limit of {where}")
    return domain, after, limit


_AUDIT_FIELDS = frozenset({"case_id", "actor", "action", "at", "before", "after", "detail"})


def check_audit_specs(entries: object) -> list[dict[str, Any]]:
    """Check every entry of an audit ``append_many`` before the first is written.

    Each entry is a mapping of the keyword arguments of an append (``case_id``, ``actor``,
    ``action``, ``at``, and optionally ``before``, ``after``, ``detail``).

    Returns:
        The checked entries, as `check_audit_fields` returns them.

    Raises:
        ValidationError: Not a sequence of mappings, an entry with an unknown or missing
            field, or a bad field (named in the message).
    """
    if isinstance(entries, str | bytes) or not isinstance(entries, Sequence):
        raise ValidationError(
            f"audit entries to append must be a list of mappings, got {_short(entries)}"
        )
    checked: list[dict[str, Any]] = []
    for n, spec in enumerate(entries):
        if not isinstance(spec, Mapping):
            raise ValidationError(
                f"audit entry {n} to append must be a mapping of append's arguments, "
                f"got {_short(spec)}"
            )
        unknown = sorted(map(str, set(spec) - _AUDIT_FIELDS))
        if unknown:
            raise ValidationError(
                f"audit entry {n} to append has unknown fields {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(_AUDIT_FIELDS))}"
            )
        if type(spec) is _CheckedAuditFields:  # checked already, and not changed since
            checked.append(spec)
        else:
            checked.append(check_audit_fields(spec.get("case_id"), spec))
    return checked


class _CheckedAuditFields(dict[str, Any]):
    """What `check_audit_fields` returns: the append's fields, known to be good.

    A repository checks its entries before its first write (so a refused call writes
    nothing) and hands them to ``append_many``, which would otherwise check them all a
    second time. Only `check_audit_fields` makes one, from checked values, and neither
    side changes it afterwards; ``append_many`` still checks any other mapping in full.
    """

    __slots__ = ()


def check_audit_fields(case_id: object, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Check the keyword arguments of one audit append before anything is written.

    Returns:
        The fields to append: ``case_id``, ``actor``, ``action``, ``at`` (UTC), ``before``,
        ``after`` and ``detail`` (a dict).

    Raises:
        ValidationError: A bad case id, actor, action, time, before/after or detail.
    """
    case_id = check_id(case_id, what="audit entry case id")
    where = f"audit entry for {case_id}"
    actor, action = fields.get("actor"), fields.get("action")
    if type(actor) is not str or actor not in KNOWN_IDS:  # else checked already
        actor = check_actor(actor, what=f"actor of the {where}")
    if type(action) is not str or action not in KNOWN_IDS:
        action = check_id(action, what=f"action of the {where}")
    checked: dict[str, Any] = _CheckedAuditFields(
        case_id=case_id,
        actor=actor,
        action=action,
        at=check_aware(fields.get("at"), what=f"time of the {where}"),
    )
    for name in ("before", "after"):
        value = fields.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise ValidationError(
                    f"{name!r} of the {where} must be a string or None, got {_short(value)}"
                )
            _plain_string(value, what=f"{name!r} of the {where}", allow_nul=False)
        checked[name] = value
    detail = fields.get("detail") or {}
    if not isinstance(detail, Mapping):
        raise ValidationError(f"detail of the {where} must be a mapping, got {_short(detail)}")
    check_plain_json(detail, what=f"detail of the {where}")
    checked["detail"] = dict(detail)
    return checked


def check_document(
    collection: object, key: object, body: object, labels: object, updated_at: object
) -> tuple[str, str, str, dict[str, str | tuple[str, ...]], datetime]:
    """Check one document write; return collection, key, body text, labels, UTC time.

    Raises:
        ValidationError: The first argument that cannot be stored, named in the message.
    """
    collection = check_collection(collection)
    key = check_key(collection, key)
    where = f"document {collection}/{key}"
    text = body_text(where, body)
    checked_labels = check_labels(labels, what=f"the labels of {where}")
    moment = check_aware(updated_at, what=f"updated_at of {where}")
    return collection, key, text, checked_labels, moment


def check_documents(
    collection: str, documents: object
) -> list[tuple[str, str, dict[str, str | tuple[str, ...]], datetime]]:
    """Check a batch of new documents ``(key, body, labels, updated_at)``, all of them.

    Returns:
        ``(key, body text, labels, updated_at in UTC)`` per document, in order.

    Raises:
        ValidationError: Not a sequence of 4-tuples, or a document that cannot be stored.
    """
    if isinstance(documents, str | bytes | Mapping) or not hasattr(documents, "__iter__"):
        raise ValidationError(
            f"new documents for {collection} must be a sequence of (key, body, labels, "
            f"updated_at) tuples, got {_short(documents)}"
        )
    checked = []
    for item in documents:
        if not isinstance(item, tuple | list) or len(item) != 4:
            raise ValidationError(
                f"a new document for {collection} must be a (key, body, labels, updated_at) "
                f"tuple, got {_short(item)}"
            )
        _, key, text, labels, moment = check_document(collection, *item)
        checked.append((key, text, labels, moment))
    return checked


def check_find(
    collection: object,
    *,
    labels: object,
    updated_from: object,
    updated_to: object,
    after: object,
    limit: object,
    where: object = None,
) -> tuple[
    str, dict[str, str], datetime | None, datetime | None, str | None, int, LabelQuery | None
]:
    """Check the arguments of [`find`][casekit.storage.ports.DocumentStore.find]."""
    collection = check_collection(collection)
    return (
        collection,
        check_label_filter(labels, what=f"the label filter on {collection}"),
        check_optional_aware(updated_from, what=f"updated_from of a search of {collection}"),
        check_optional_aware(updated_to, what=f"updated_to of a search of {collection}"),
        check_after(after, what=f"'after' of a search of {collection}"),
        check_limit(limit, what=f"limit of a search of {collection}"),
        None
        if where is None
        else check_label_query(where, what=f"'where' of a search of {collection}"),
    )


def check_seconds(value: object, *, what: str) -> float:
    """A duration in seconds: a finite int or float >= 0 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{what} must be a number of seconds, got {_short(value)}")
    if not math.isfinite(value) or value < 0:
        raise ValidationError(f"{what} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)
