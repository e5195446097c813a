"""Subject and documentation templates: what a case's CRM documentation must say.

A [`DocTemplate`][] names a subject (``"For Cause Reason – {For Cause Reason}"``) and the
fields the documentation needs (``Participant Name(s)/For Cause Reason/MA/SSN/New MCO``).
Filling it refuses missing fields by name, unknown fields and values outside a field's
choices, and seals the sensitive fields ([`Sensitive`][]),
so the [`Documentation`][] it returns only ever shows them masked.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

import attrs

from casekit.checks import (
    attrs_check,
    check_bool,
    check_free_text,
    check_instance,
    check_mapping,
    check_text,
)
from casekit.classification.sensitive import DEFAULT_VAULT, Sensitive, Vault, check_vault
from casekit.errors import MissingFields, ValidationError, allowed_list

__all__ = ["DocTemplate", "Documentation", "Field"]


def _names(value: Iterable[str] | str) -> tuple[str, ...]:
    """Names or choices: one string is one name; a collection is checked name by name."""
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, Iterable) or isinstance(items, Mapping):
        raise ValidationError(f"field names must be a string or a collection, got {value!r:.80}")
    return tuple(check_text(v, what="a field name or choice") for v in items)


def _fields(value: Iterable[Field]) -> tuple[Field, ...]:
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(f"template fields must be a collection of Field, got {value!r:.80}")
    return tuple(check_instance(f, Field, what="a template field") for f in value)


def _entries(value: object) -> tuple[tuple[str, str | Sensitive], ...]:
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(
            f"documentation entries must be (name, value) pairs, got {value!r:.80}"
        )
    entries: list[tuple[str, str | Sensitive]] = []
    for pair in value:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ValidationError(
                f"a documentation entry is a (name, value) pair, got {pair!r:.80}"
            )
        name, given = pair
        check_text(name, what="a documentation entry's name")
        if not isinstance(given, Sensitive):
            check_free_text(given, what=f"documentation entry {name!r}")
        entries.append((name, given))
    return tuple(entries)


class _Blank(dict[str, str]):
    """Subject values; an optional field left out fills its placeholder with nothing."""

    def __missing__(self, key: str) -> str:
        return ""


@attrs.frozen(slots=True)
class Field:
    """One documentation field.

    Attributes:
        name: The field's name (``"SSN"``).
        sensitive: Personal data: sealed, and only ever shown masked.
        alternatives: Other names that satisfy the field (``"New Provider"`` for
            ``"New MCO"``: the template's "New MCO or New Provider").
        choices: The values allowed, when the field is a pick list.
        required: Whether the documentation must give it.
    """

    name: str = attrs.field(validator=attrs_check(check_text))
    sensitive: bool = attrs.field(default=False, validator=attrs_check(check_bool))
    alternatives: tuple[str, ...] = attrs.field(default=(), converter=_names)
    choices: tuple[str, ...] = attrs.field(default=(), converter=_names)
    required: bool = attrs.field(default=True, validator=attrs_check(check_bool))

    @property
    def names(self) -> tuple[str, ...]:
        """The name and its alternatives."""
        return (self.name, *self.alternatives)

    @property
    def label(self) -> str:
        """How the template shows the field: ``"New MCO or New Provider"``."""
        return " or ".join(self.names)


@attrs.frozen(slots=True)
class Documentation:
    """A filled documentation template, as recorded on a case.

    Attributes:
        template: The template's name (``"MCT Span"``).
        subject: The case subject.
        entries: ``(field name, value)`` pairs in the template's order; sensitive values are
            [`Sensitive`][] handles.
    """

    template: str = attrs.field(validator=attrs_check(check_text))
    subject: str = attrs.field(validator=attrs_check(check_free_text))
    entries: tuple[tuple[str, str | Sensitive], ...] = attrs.field(converter=_entries)

    def get(self, name: str) -> str | Sensitive | None:
        """The value given for ``name``, or None."""
        for key, value in self.entries:
            if key == name:
                return value
        return None

    @property
    def text(self) -> str:
        """The documentation line, sensitive values masked: ``"MA: •••••4321/SSN: ..."``."""
        return " / ".join(f"{key}: {value}" for key, value in self.entries)

    def __str__(self) -> str:
        return f"{self.subject} — {self.text}"


@attrs.frozen(slots=True)
class DocTemplate:
    """A sub-category's (or subject's) subject line and required fields.

    Attributes:
        name: The template's name, by which taxonomy rules and cases refer to it.
        fields: The fields, in the order the documentation lists them.
        subject: The subject line; ``{Field Name}`` placeholders are filled from
            non-sensitive fields. Defaults to the name.

    Raises:
        ValidationError: Two fields of one name, or a subject placeholder that names an
            unknown or sensitive field.
    """

    name: str = attrs.field(validator=attrs_check(check_text))
    fields: tuple[Field, ...] = attrs.field(converter=_fields)
    subject: str = attrs.field(validator=attrs_check(check_text))

    @subject.default
    def _subject(self) -> str:
        return self.name

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for field in self.fields:
            for name in field.names:
                if name in seen:
                    raise ValidationError(f"template {self.name!r} names field {name!r} twice")
                seen.add(name)
            if field.sensitive and field.choices:
                raise ValidationError(
                    f"template {self.name!r}: sensitive field {field.name!r} cannot have choices"
                )
        plain = {n for f in self.fields if not f.sensitive for n in f.names}
        try:
            parsed = list(string.Formatter().parse(self.subject))
        except ValueError as e:
            raise ValidationError(
                f"template {self.name!r}: subject {self.subject!r} is not a valid template "
                f"({e}); write {{Field Name}} placeholders, and {{{{ }}}} for braces"
            ) from None
        for _, placeholder, spec, conversion in parsed:
            if placeholder is not None and placeholder not in plain:
                raise ValidationError(
                    f"template {self.name!r}: subject placeholder {{{placeholder}}} must name a "
                    f"non-sensitive field; fields: {allowed_list(plain)}"
                )
            if spec or conversion:
                raise ValidationError(
                    f"template {self.name!r}: subject placeholder {{{placeholder}}} takes no "
                    "format spec or conversion; write {Field Name}"
                )

    @property
    def layout(self) -> str:
        """The documentation layout: ``"Participant Name(s)/MA/SSN/New MCO or New Provider"``."""
        return "/".join(field.label for field in self.fields)

    def fill(
        self,
        values: Mapping[str, str | Sensitive],
        *,
        vault: Vault = DEFAULT_VAULT,
        what: str = "documentation",
    ) -> Documentation:
        """Check ``values`` against the template and return the documentation.

        Args:
            values: Field name → value (a plain string; sensitive fields may also be given
                already sealed).
            vault: Where sensitive values are sealed.
            what: What is being documented, for messages (``"documentation of MCO-7"``).

        Every value is checked before any is sealed: a refused fill leaves nothing in the
        vault. (Should the vault itself fail part way, what it already kept stays there: the
        ``Vault`` protocol has no delete.)

        Raises:
            MissingFields: Required fields not given (named, with the template's layout).
            ValidationError: Values that are not a mapping with string keys, an unknown field,
                a blank value, or a value outside a field's choices; a vault without
                ``put``. Messages never show a sensitive value.
        """
        what = check_text(what, what="what a documentation is of")
        values = check_mapping(values, what=f"the values of {what} ({self.name})")
        check_vault(vault, what=f"the vault of {what}")
        known = {name: field for field in self.fields for name in field.names}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValidationError(
                f"{what} ({self.name}) has unknown fields {', '.join(unknown)}; "
                f"fields: {self.layout}"
            )
        missing = [
            field.label
            for field in self.fields
            if field.required and not any(n in values for n in field.names)
        ]
        if missing:
            raise MissingFields(
                f"{what} ({self.name}) is missing {', '.join(missing)}; "
                f"the template is {self.layout}",
                missing=missing,
            )
        checked = [
            (field, name, self._value(field, name, values[name], what))
            for field in self.fields
            for name in field.names
            if name in values
        ]
        # Every value is valid: only now does anything reach the vault.
        entries: list[tuple[str, str | Sensitive]] = [
            (name, Sensitive.seal(value, kind=name, vault=vault) if field.sensitive else value)
            for field, name, value in checked
        ]
        plain = _Blank({k: v for k, v in entries if isinstance(v, str)})
        return Documentation(self.name, self.subject.format_map(plain), tuple(entries))

    def _value(self, field: Field, name: str, value: object, what: str) -> str | Sensitive:
        """Check one value (sealing nothing): a sensitive one comes back stripped, unsealed."""
        if field.sensitive:
            if isinstance(value, Sensitive):
                return value
            try:
                return check_text(value, what=name).strip()
            except ValidationError:
                raise ValidationError(
                    f"{what} ({self.name}): {name} must be a non-empty string without NUL or "
                    f"lone surrogates, got a {type(value).__name__} (value not shown)"
                ) from None
        value = check_text(value, what=f"{what} ({self.name}): {name}")
        if field.choices and value not in field.choices:
            raise ValidationError(
                f"{what} ({self.name}): {name} {value!r} is not allowed; "
                f"allowed: {allowed_list(field.choices)}"
            )
        return value.strip()
