"""The shared argument checks: one implementation of each rule every public method applies.

Every public constructor and mutating method checks all of its arguments before it changes
anything. The checks here are the common ones, written once, so that "an actor" or "a reason"
means the same thing everywhere. Each returns the value to use (stripped, converted to UTC,
copied) or raises [`ValidationError`][] with a message that names the
object (``what``), the bad value and what would be valid.

They are small functions rather than a framework: call them at the top of a method, in the
order of the parameters, before the first change. On ``attrs`` value objects use them from
``__attrs_post_init__`` or as validators (`attrs_check`).

Example::

    def suspend(self, *, actor: str, reason: str) -> None:
        actor = check_actor(actor, what=f"suspend {self.id}")
        reason = check_text(reason, what=f"reason to suspend {self.id}")
        ...
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from casekit.clock import as_utc
from casekit.errors import ValidationError, allowed_list

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_LEVEL",
    "MIN_LEVEL",
    "attrs_check",
    "check_actor",
    "check_aware",
    "check_bool",
    "check_callable",
    "check_date",
    "check_decimal",
    "check_enum",
    "check_free_text",
    "check_id",
    "check_instance",
    "check_int",
    "check_json_safe",
    "check_level",
    "check_mapping",
    "check_optional_id",
    "check_optional_text",
    "check_text",
    "check_timedelta",
]

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")

MAX_ID_LENGTH = 512
"""The longest id casekit accepts (ids are keys in every store; PostgreSQL indexes refuse
very long keys)."""


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_plain_text(value: str, *, what: str) -> None:
    if "\x00" in value:
        raise ValidationError(f"{what} must not contain a NUL character, got {_describe(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            f"{what} must be valid Unicode text (no lone surrogates), got {_describe(value)}"
        ) from None


def check_text(value: object, *, what: str, max_length: int | None = None) -> str:
    """Return ``value`` if it is a non-blank string (kept as given, not stripped).

    Raises:
        ValidationError: Not a ``str``, blank (empty or only white space), containing NUL or
            a lone surrogate, or longer than ``max_length``.
    """
    if type(value) is not str and not isinstance(value, str):
        raise ValidationError(f"{what} must be a non-blank string, got {_describe(value)}")
    if not value.strip():
        raise ValidationError(f"{what} must be a non-blank string, got {value!r}")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            f"{what} must be at most {max_length} characters, got {len(value)} characters"
        )
    _check_plain_text(value, what=what)
    return str(value)


def check_optional_text(value: object, *, what: str) -> str | None:
    """Return ``None`` or a non-blank string (as `check_text`)."""
    return None if value is None else check_text(value, what=what)


KNOWN_IDS: set[str] = set()
"""Strings (exactly ``str``) that passed `check_id` lately: the same actors, actions and
label names come back again and again, and a set lookup is cheaper than checking them, or
than building the message a check needs. A caller may test ``type(v) is str and v in
KNOWN_IDS`` before building that message. Bounded: cleared when it fills up."""
_KNOWN_IDS_MAX = 8192


def check_id(value: object, *, what: str) -> str:
    """Return ``value`` if it is a usable id: a non-blank string of at most 512 characters.

    Raises:
        ValidationError: Not a string, blank, with NUL or a lone surrogate, or too long.
    """
    if type(value) is str and value in KNOWN_IDS:
        return value
    checked = check_text(value, what=what, max_length=MAX_ID_LENGTH)
    if len(KNOWN_IDS) >= _KNOWN_IDS_MAX:
        KNOWN_IDS.clear()
    KNOWN_IDS.add(checked)
    return checked


def check_actor(value: object, *, what: str = "actor") -> str:
    """Return the id of whoever performs an action (a non-blank string, as `check_id`)."""
    return check_id(value, what=what)


MIN_LEVEL = 1
"""The lowest sensitivity level and clearance."""

MAX_LEVEL = 5
"""The highest sensitivity level and clearance."""


def check_level(value: object, *, what: str) -> int:
    """Return ``value`` if it is a sensitivity level or clearance: an int from 1 to 5.

    Cases carry a level and principals a clearance (domain.md §7, as in Cúram).

    Complexity: O(1).

    Raises:
        ValidationError: Not an int, or outside 1–5.
    """
    if type(value) is int and MIN_LEVEL <= value <= MAX_LEVEL:
        return value
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationError(
            f"{what} must be a level from {MIN_LEVEL} to {MAX_LEVEL} (an integer), "
            f"got {_describe(value)}"
        )
    number = int(value)
    if not MIN_LEVEL <= number <= MAX_LEVEL:
        raise ValidationError(
            f"{what} must be a level from {MIN_LEVEL} to {MAX_LEVEL}, got {number}"
        )
    return number


def check_bool(value: object, *, what: str) -> bool:
    """Return ``value`` if it is exactly ``True`` or ``False`` (a truthy string is refused).

    Raises:
        ValidationError: Anything but a ``bool``.
    """
    if type(value) is not bool:
        raise ValidationError(f"{what} must be True or False, got {_describe(value)}")
    return value


def check_int(
    value: object, *, what: str, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` if it is an ``int`` (not a bool) within the bounds given.

    Raises:
        ValidationError: Not an int, a bool, or out of bounds.
    """
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationError(f"{what} must be an integer, got {_describe(value)}")
    number = int(value)
    if minimum is not None and number < minimum:
        raise ValidationError(f"{what} must be >= {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ValidationError(f"{what} must be <= {maximum}, got {number}")
    return number


def check_decimal(value: object, *, what: str, allow_negative: bool = True) -> Decimal:
    """Return ``value`` as a finite `Decimal` (from a Decimal, int or str).

    Floats are refused: money and rates are exact.

    Raises:
        ValidationError: A float, a bool, a non-number, NaN or infinity, or a negative value
            where ``allow_negative`` is false.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValidationError(
            f"{what} must be a Decimal, int or numeric string (not a float), got {_describe(value)}"
        )
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise ValidationError(f"{what} must be a number, got {_describe(value)}") from None
    if not number.is_finite():
        raise ValidationError(f"{what} must be finite, got {_describe(value)}")
    if not allow_negative and number < 0:
        raise ValidationError(f"{what} must not be negative, got {number}")
    return number


def check_date(value: object, *, what: str) -> date:
    """Return ``value`` if it is a calendar date (a ``datetime`` is refused: say which day).

    Raises:
        ValidationError: Not a ``date``, or a ``datetime``.
    """
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(f"{what} must be a date, got {_describe(value)}")
    return value


def check_aware(value: object, *, what: str) -> datetime:
    """Return ``value`` converted to UTC if it is a timezone-aware ``datetime``.

    The rule is [`as_utc`][casekit.clock.as_utc]'s (one implementation of it).

    Raises:
        ValidationError: Not a datetime, or naive.
    """
    return as_utc(value, what=what)  # type: ignore[arg-type]  # as_utc checks the type


def check_timedelta(
    value: object, *, what: str, positive: bool = False, allow_none: bool = False
) -> timedelta | None:
    """Return ``value`` if it is a ``timedelta`` (positive if asked; ``None`` if allowed).

    Raises:
        ValidationError: Not a timedelta (or None where allowed), or not positive.
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, timedelta):
        allowed = "a timedelta or None" if allow_none else "a timedelta"
        raise ValidationError(f"{what} must be {allowed}, got {_describe(value)}")
    if positive and value <= timedelta(0):
        raise ValidationError(f"{what} must be positive, got {value}")
    return value


def check_enum(value: object, enum_type: type[E], *, what: str) -> E:
    """Return ``value`` as a member of ``enum_type`` (a member, or one of its values).

    Raises:
        ValidationError: Neither a member nor the value of one; the message lists them.
    """
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except (ValueError, TypeError):
        allowed = allowed_list(member.value for member in enum_type)
        raise ValidationError(f"{what} must be one of {allowed}, got {_describe(value)}") from None


def check_instance(value: object, kind: type[T], *, what: str) -> T:
    """Return ``value`` if it is an instance of ``kind``.

    Raises:
        ValidationError: Of another type; the message names the expected one.
    """
    if not isinstance(value, kind):
        raise ValidationError(
            f"{what} must be a {kind.__name__}, got {type(value).__name__} {_describe(value)}"
        )
    return value


def check_mapping(value: object, *, what: str) -> dict[str, Any]:
    """Return a copy of ``value`` if it is a mapping with non-blank string keys.

    Raises:
        ValidationError: Not a mapping, or a key that is not a non-blank string.
    """
    if not isinstance(value, Mapping):
        raise ValidationError(f"{what} must be a mapping, got {_describe(value)}")
    for key in value:
        check_text(key, what=f"a key of {what}")
    return dict(value)


def check_json_safe(value: object, *, what: str) -> object:
    """Return ``value`` if storage can keep it exactly: JSON values without floats.

    Allowed: ``None``, ``bool``, ``int``, ``str`` (no NUL, no lone surrogate),
    `Decimal` (finite), ``date`` / aware ``datetime``, enums, lists and tuples
    of these and mappings with string keys. Floats are refused (use Decimal): they would be
    accepted now and break every later save.

    Raises:
        ValidationError: The first value that is not allowed, with its path.
    """
    _json_safe(value, what)
    return value


def _json_safe(value: object, path: str) -> None:  # noqa: PLR0911  one return per kind
    if value is None or isinstance(value, bool | int | enum.Enum):
        return
    if isinstance(value, str):
        _check_plain_text(value, what=path)
        return
    if isinstance(value, float):
        detail = "not finite" if not math.isfinite(value) else "a float"
        raise ValidationError(f"{path} is {detail} ({value!r}); use a Decimal or a string")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError(f"{path} must be a finite Decimal, got {value!r}")
        return
    if isinstance(value, datetime):
        check_aware(value, what=path)
        return
    if isinstance(value, date):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"{path} has a key that is not a string: {key!r}")
            _json_safe(item, f"{path}[{key!r}]")
        return
    if isinstance(value, list | tuple):
        for n, item in enumerate(value):
            _json_safe(item, f"{path}[{n}]")
        return
    raise ValidationError(
        f"{path} is a {type(value).__name__}, which cannot be stored; use None, bool, int, "
        "str, Decimal, date, datetime, an enum, a list or a mapping"
    )


def attrs_check(check: Callable[..., object], **options: Any) -> Callable[[Any, Any, Any], None]:
    """Adapt a ``check_*`` function to an ``attrs`` validator (the field name is ``what``).

    Example::

        @attrs.frozen
        class Note:
            author: str = attrs.field(validator=attrs_check(check_actor))
    """

    def validate(instance: object, attribute: Any, value: object) -> None:
        check(value, what=f"{type(instance).__name__}.{attribute.name}", **options)

    return validate


def check_optional_id(value: object, *, what: str) -> str | None:
    """Return ``None`` or a usable id (as `check_id`)."""
    return None if value is None else check_id(value, what=what)


def check_free_text(value: object, *, what: str, max_length: int | None = None) -> str:
    """Return ``value`` if it is a string, possibly empty (a note): no NUL, no lone surrogate.

    Raises:
        ValidationError: Not a ``str``, containing NUL or a lone surrogate, or too long.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {_describe(value)}")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            f"{what} must be at most {max_length} characters, got {len(value)} characters"
        )
    _check_plain_text(value, what=what)
    return str(value)


def check_callable(value: T, *, what: str) -> T:
    """Return ``value`` if it can be called (a callback, a subscriber).

    Raises:
        ValidationError: Not callable.
    """
    if not callable(value):
        raise ValidationError(f"{what} must be callable, got {_describe(value)}")
    return value
