"""Personal data: values that are never shown whole outside an explicit accessor.

A [`Sensitive`][] holds an opaque token and the last four characters of the value. Its
``str``, ``repr`` and ``format`` show ``•••••6789``; the case codec stores only the token and
the tail (it is an attrs class of those two fields), so records, CSV exports, exceptions, logs
and history entries built from it cannot contain the whole value. The value itself lives in a
[`Vault`][] and comes back only through [`Sensitive.reveal`][].

The default vault is a process-local [`MemoryVault`][]; an application that stores cases
durably passes its own vault (backed by a KMS or a tokenisation service) to
[`Sensitive.seal`][] and [`Sensitive.reveal`][]. Tokens are random, never derived from
the value (an SSN has only 10⁹ values: a hash of one is as good as the number).
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol

import attrs

from casekit.checks import attrs_check, check_text
from casekit.errors import NotFound, ValidationError

__all__ = ["DEFAULT_VAULT", "MASK", "MemoryVault", "Sensitive", "Vault", "check_vault", "mask"]

MASK = "•••••"
"""What stands in for the hidden characters (always five, so the length is not shown)."""


def mask(value: str) -> str:
    """Return ``value`` masked to its last four characters (all hidden when it is that short).

    >>> mask("123-45-6789")
    '•••••6789'

    Raises:
        ValidationError: ``value`` is not a string (the message does not show it).
    """
    if not isinstance(value, str):
        raise ValidationError(f"only a string can be masked, got a {type(value).__name__}")
    return MASK + _tail(value)


def _tail(value: str) -> str:
    return value[-4:] if len(value) > 4 else ""


def _tail_check(instance: object, attribute: object, value: Any) -> None:
    if not isinstance(value, str) or len(value) > 4:
        raise ValidationError(f"a Sensitive's tail is at most 4 characters, got {value!r:.20}")


def _check_secret(value: object, kind: object) -> None:
    """Refuse a value that is not usable text, without ever showing it."""
    try:
        check_text(value, what="a sensitive value")
    except ValidationError:
        raise ValidationError(
            f"a sensitive {kind} must be a non-blank string without NUL or lone surrogates, "
            f"got a {type(value).__name__} (value not shown)"
        ) from None


class Vault(Protocol):
    """Where sensitive values are kept, by token."""

    def put(self, kind: str, value: str) -> str:
        """Keep ``value`` (an SSN, a member id ...) and return a fresh token for it."""
        ...

    def get(self, token: str) -> str:
        """Return the value kept under ``token``.

        Raises:
            NotFound: No value is kept under ``token``.
        """
        ...


def check_vault(value: object, *, what: str = "vault") -> Vault:
    """Return ``value`` if it has the [`Vault`][] methods ``put`` and ``get``.

    Raises:
        ValidationError: It does not.
    """
    if not (callable(getattr(value, "put", None)) and callable(getattr(value, "get", None))):
        raise ValidationError(
            f"{what} must be a Vault (with put and get), got a {type(value).__name__}"
        )
    return value  # type: ignore[return-value]  # checked structurally just above


class MemoryVault:
    """A vault in process memory: for tests, examples and single-process applications.

    Deliberately not an attrs class, so attrs-aware printers (``attrs.asdict``, pretty
    printers, debuggers' field views) do not walk into the values it keeps.
    """

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"MemoryVault({len(self._values)} values)"

    def put(self, kind: str, value: str) -> str:
        """Keep ``value``; O(1).

        Raises:
            ValidationError: ``kind`` or ``value`` is not a non-blank string (the message
                never shows the value).
        """
        check_text(kind, what="the kind of a sensitive value", max_length=100)
        _check_secret(value, kind)
        token = f"{kind.lower().replace(' ', '-')}:{secrets.token_hex(12)}"
        self._values[token] = value
        return token

    def get(self, token: str) -> str:
        """Return the value kept under ``token``; O(1).

        Raises:
            ValidationError: ``token`` is not a non-blank string.
            NotFound: No value is kept under ``token`` (e.g. a record from another process).
        """
        check_text(token, what="a vault token", max_length=512)
        try:
            return self._values[token]
        except KeyError:
            raise NotFound(
                f"no sensitive value under token {token!r} in this vault; "
                "pass the vault the value was sealed in"
            ) from None

    def __len__(self) -> int:
        return len(self._values)


DEFAULT_VAULT = MemoryVault()
"""The vault used when none is given."""


@attrs.frozen(slots=True, repr=False)
class Sensitive:
    """A personal-data value (SSN, member id) shown only as ``•••••6789``.

    Create one with [`seal`][]; read the value with [`reveal`][]. Two seals of the same
    value are different tokens and compare unequal (compare revealed values if you must).

    Attributes:
        kind: What the value is (``"SSN"``, ``"MA"``), for messages and exports.
        token: The vault's token for the value.
        tail: The last four characters (empty for values of four characters or fewer).
    """

    kind: str = attrs.field(validator=attrs_check(check_text, max_length=100))
    token: str = attrs.field(validator=attrs_check(check_text, max_length=512))
    tail: str = attrs.field(validator=_tail_check)

    @classmethod
    def seal(cls, value: str | Sensitive, *, kind: str, vault: Vault = DEFAULT_VAULT) -> Sensitive:
        """Put ``value`` in ``vault`` and return its masked handle (a handle is returned as is).

        Raises:
            ValidationError: ``value`` is not a non-blank string without NUL or lone
                surrogates (the message never shows it), ``kind`` is not a non-blank string,
                or ``vault`` is not a [`Vault`][].
        """
        if isinstance(value, Sensitive):
            return value
        check_text(kind, what="the kind of a sensitive value", max_length=100)
        _check_secret(value, kind)
        check_vault(vault, what=f"the vault for a sensitive {kind}")
        return cls(kind, vault.put(kind, value), _tail(value))

    def reveal(self, vault: Vault = DEFAULT_VAULT) -> str:
        """Return the whole value: the only way to read it.

        Raises:
            ValidationError: ``vault`` is not a [`Vault`][].
            NotFound: ``vault`` does not hold the token.
        """
        return check_vault(vault, what=f"the vault to reveal {self.kind}").get(self.token)

    @property
    def masked(self) -> str:
        """The masked form, ``•••••6789``."""
        return MASK + self.tail

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Sensitive({self.kind}: {self.masked})"

    def __format__(self, spec: str) -> str:
        return format(self.masked, spec)
