"""Label queries: which documents a search returns, as data every adapter evaluates alike.

A document's labels ([`Document.labels`][casekit.storage.Document]) map names to a text,
or to a set of texts (a *set label*, such as a case's participants). A label query is a
boolean expression over them, built from:

- [`Has`][]: the label is one of the values given (a set label: it holds one of them);
- [`Missing`][]: the document has no such label;
- [`AllOf`][], [`AnyOf`][] and [`Not`][].

``query.matches(labels)`` is the definition: the in-memory adapter evaluates it, and the SQL
adapters compile the query to a WHERE clause that gives the same answers (the storage
contract suite checks that they agree). Pass one to
[`DocumentStore.find`][casekit.storage.ports.DocumentStore.find] as ``where=``.

**How the SQL adapters plan it.** Every label value of every document is also a row of an
index, ``document_labels(collection, name, value, key)`` (schema version 7), kept by the
database itself (triggers on ``documents``). A query's *entry terms*
([`entry_terms`][casekit.storage.label_query.LabelQuery.entry_terms]) are label values
such that every matching document holds at least one of them. When there are some, the
adapter reads, for each term, the keys holding it from that index in key order, checks
the whole query on each, and merges these streams in key order until the page is full; the
work is then about the page's size times the number of terms, not the collection's size.
Without entry terms it reads the collection in key order, checking each document, until the
page is full. The entry terms are:

- ``Has(name, values)``: ``(name, value)`` for each value;
- ``AnyOf``: the entry terms of all its parts (none when one part has none);
- ``AllOf``: those of its *first* part that has some, so put the most selective condition
  first (its owner before its status);
- ``Missing`` and ``Not``: none.

Limits (checked when a query is built): names are ids, values texts of at most 1,024
characters without NUL or lone surrogates, at most 10,000 values and 32 levels of nesting
in one query.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from typing import TypeAlias

import attrs

from casekit.checks import check_id
from casekit.errors import ValidationError

__all__ = [
    "FALSE",
    "MAX_QUERY_DEPTH",
    "MAX_QUERY_VALUES",
    "TRUE",
    "AllOf",
    "AnyOf",
    "Has",
    "LabelQuery",
    "LabelValue",
    "Labels",
    "Missing",
    "Not",
    "check_label_query",
]

LabelValue: TypeAlias = str | tuple[str, ...]
"""A stored label's value: a text, or a set label's texts (sorted, without repeats)."""

Labels: TypeAlias = Mapping[str, str | tuple[str, ...] | frozenset[str]]
"""The labels a writer gives: texts, or sets of texts (a tuple or a frozenset)."""

MAX_QUERY_VALUES = 10_000
"""The most values one label query names, over all its ``Has``."""

MAX_QUERY_DEPTH = 32
"""The deepest nesting of ``AllOf``, ``AnyOf`` and ``Not`` in one label query."""

_MAX_VALUE_LENGTH = 1024  # as storage._checks.MAX_LABEL_LENGTH (imported lazily there)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _name(value: object) -> str:
    return check_id(value, what="the label name of a label query")


def _values(value: object) -> frozenset[str]:
    items = (value,) if isinstance(value, str) else value
    if isinstance(items, Mapping) or not isinstance(items, Iterable):
        raise ValidationError(
            f"the values of Has must be a text or a set of texts, got {_short(value)}"
        )
    found: set[str] = set()
    for item in items:
        if type(item) is not str:
            raise ValidationError(f"a value of Has must be a text, got {_short(item)}")
        if len(item) > _MAX_VALUE_LENGTH or "\x00" in item:
            raise ValidationError(
                f"a value of Has must be a text of at most {_MAX_VALUE_LENGTH} characters "
                f"without NUL, got {_short(item)}"
            )
        if not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValidationError(
                    f"a value of Has must be valid Unicode (no lone surrogates), got {_short(item)}"
                ) from None
        found.add(item)
    return frozenset(found)


def _parts(value: object) -> tuple[LabelQuery, ...]:
    if isinstance(value, LabelQuery):
        return (value,)
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(
            f"the parts of AllOf or AnyOf must be label queries (Has, Missing, AllOf, AnyOf, "
            f"Not), got {_short(value)}"
        )
    parts = tuple(value)
    for part in parts:
        _part(part)
    return parts


def _part(value: object) -> LabelQuery:
    if not isinstance(value, LabelQuery):
        raise ValidationError(
            f"a part of a label query must be Has, Missing, AllOf, AnyOf or Not, "
            f"got {_short(value)}"
        )
    return value


class LabelQuery(abc.ABC):
    """A condition on a document's labels (see the module for the forms and how it runs)."""

    __slots__ = ()

    @abc.abstractmethod
    def matches(self, labels: Mapping[str, LabelValue]) -> bool:
        """True when a document with ``labels`` is in the result: the definition.

        Complexity: O(size of the query), with a set label's values as a tuple (sorted)
        scanned per ``Has``.
        """

    @abc.abstractmethod
    def entry_terms(self) -> tuple[tuple[str, str], ...] | None:
        """Label values one of which every matching document holds, or None if unknown.

        An empty tuple: no document matches. SQL adapters read the documents holding
        them from their label index (see the module). Sorted, without repeats.

        Complexity: O(size of the query).
        """

    @abc.abstractmethod
    def describe(self) -> str:
        """The query as a readable expression, for logs and messages."""

    def given(self, name: str, value: str) -> LabelQuery:
        """The query for documents known to hold the label value ``(name, value)``.

        Every ``Has(name, values)`` with ``value`` among its values holds, and
        ``Missing(name)`` does not; ``AllOf``, ``AnyOf`` and ``Not`` are simplified around
        them (``TRUE`` is ``AllOf([])``, ``FALSE`` ``AnyOf([])``). For a document holding
        that value, ``q.given(name, value).matches(labels) == q.matches(labels)``: the SQL
        adapters check each entry term's documents with the query given that term.

        Complexity: O(size of the query).
        """
        return _given(self, name, value)

    def __str__(self) -> str:
        return self.describe()


@attrs.frozen(slots=True, cache_hash=True)
class Has(LabelQuery):
    """The label ``name`` is one of ``values`` (a set label: holds one of them).

    ``Has("owner", "User:ann")``, ``Has("participants", {"client-1", "client-2"})``. With
    no values it matches nothing.

    Raises:
        ValidationError: A name that is not an id, or a value that is not a storable text.
    """

    name: str = attrs.field(converter=_name)
    values: frozenset[str] = attrs.field(converter=_values)

    def matches(self, labels: Mapping[str, LabelValue]) -> bool:
        """See [`LabelQuery.matches`][casekit.storage.label_query.LabelQuery.matches]."""
        value = labels.get(self.name)
        if value is None:
            return False
        if type(value) is str:
            return value in self.values
        return not self.values.isdisjoint(value)

    def entry_terms(self) -> tuple[tuple[str, str], ...]:
        """See [`LabelQuery.entry_terms`][casekit.storage.label_query.LabelQuery.entry_terms]."""
        return tuple((self.name, value) for value in sorted(self.values))

    def describe(self) -> str:
        """See [`LabelQuery.describe`][casekit.storage.label_query.LabelQuery.describe]."""
        if len(self.values) == 1:
            return f"{self.name} = {next(iter(self.values))!r}"
        return f"{self.name} in {sorted(self.values)!r}"


@attrs.frozen(slots=True, cache_hash=True)
class Missing(LabelQuery):
    """The document has no label ``name``.

    Raises:
        ValidationError: A name that is not an id.
    """

    name: str = attrs.field(converter=_name)

    def matches(self, labels: Mapping[str, LabelValue]) -> bool:
        """See [`LabelQuery.matches`][casekit.storage.label_query.LabelQuery.matches]."""
        return self.name not in labels

    def entry_terms(self) -> None:
        """See [`LabelQuery.entry_terms`][casekit.storage.label_query.LabelQuery.entry_terms]."""
        return

    def describe(self) -> str:
        """See [`LabelQuery.describe`][casekit.storage.label_query.LabelQuery.describe]."""
        return f"no {self.name}"


@attrs.frozen(slots=True, cache_hash=True)
class AllOf(LabelQuery):
    """Every part holds (with no parts: every document).

    ``AllOf([Has("owner", "User:ann"), Has("status", "Open")])``.

    Raises:
        ValidationError: A part that is not a label query.
    """

    parts: tuple[LabelQuery, ...] = attrs.field(converter=_parts)

    def matches(self, labels: Mapping[str, LabelValue]) -> bool:
        """See [`LabelQuery.matches`][casekit.storage.label_query.LabelQuery.matches]."""
        return all(part.matches(labels) for part in self.parts)

    def entry_terms(self) -> tuple[tuple[str, str], ...] | None:
        """Those of the first part that has some (see the module)."""
        for part in self.parts:
            terms = part.entry_terms()
            if terms is not None:
                return terms
        return None

    def describe(self) -> str:
        """See [`LabelQuery.describe`][casekit.storage.label_query.LabelQuery.describe]."""
        return "(" + " and ".join(p.describe() for p in self.parts) + ")" if self.parts else "true"


@attrs.frozen(slots=True, cache_hash=True)
class AnyOf(LabelQuery):
    """Some part holds (with no parts: no document).

    Raises:
        ValidationError: A part that is not a label query.
    """

    parts: tuple[LabelQuery, ...] = attrs.field(converter=_parts)

    def matches(self, labels: Mapping[str, LabelValue]) -> bool:
        """See [`LabelQuery.matches`][casekit.storage.label_query.LabelQuery.matches]."""
        return any(part.matches(labels) for part in self.parts)

    def entry_terms(self) -> tuple[tuple[str, str], ...] | None:
        """All its parts' terms, or None when one part has none (see the module)."""
        found: set[tuple[str, str]] = set()
        for part in self.parts:
            terms = part.entry_terms()
            if terms is None:
                return None
            found.update(terms)
        return tuple(sorted(found))

    def describe(self) -> str:
        """See [`LabelQuery.describe`][casekit.storage.label_query.LabelQuery.describe]."""
        return "(" + " or ".join(p.describe() for p in self.parts) + ")" if self.parts else "false"


@attrs.frozen(slots=True, cache_hash=True)
class Not(LabelQuery):
    """``part`` does not hold.

    Raises:
        ValidationError: ``part`` is not a label query.
    """

    part: LabelQuery = attrs.field(converter=_part)

    def matches(self, labels: Mapping[str, LabelValue]) -> bool:
        """See [`LabelQuery.matches`][casekit.storage.label_query.LabelQuery.matches]."""
        return not self.part.matches(labels)

    def entry_terms(self) -> None:
        """See [`LabelQuery.entry_terms`][casekit.storage.label_query.LabelQuery.entry_terms]."""
        return

    def describe(self) -> str:
        """See [`LabelQuery.describe`][casekit.storage.label_query.LabelQuery.describe]."""
        return f"not {self.part.describe()}"


def check_label_query(value: object, *, what: str) -> LabelQuery:
    """Return ``value`` if it is a label query within the limits (see the module).

    Complexity: O(size of the query).

    Raises:
        ValidationError: Not a label query, more than [`MAX_QUERY_VALUES`][] values, or
            nested deeper than [`MAX_QUERY_DEPTH`][].
    """
    if not isinstance(value, LabelQuery):
        raise ValidationError(
            f"{what} must be a label query (Has, Missing, AllOf, AnyOf or Not from "
            f"casekit.storage), got {_short(value)}"
        )
    values = 0
    stack: list[tuple[LabelQuery, int]] = [(value, 1)]
    while stack:
        query, depth = stack.pop()
        if depth > MAX_QUERY_DEPTH:
            raise ValidationError(
                f"{what} is nested {depth} deep; at most {MAX_QUERY_DEPTH} levels are allowed"
            )
        if isinstance(query, Has):
            values += len(query.values)
        elif isinstance(query, AllOf | AnyOf):
            stack.extend((part, depth + 1) for part in query.parts)
        elif isinstance(query, Not):
            stack.append((query.part, depth + 1))
        elif not isinstance(query, Missing):
            raise ValidationError(f"{what} holds {_short(query)}, which is not a label query")
    if values > MAX_QUERY_VALUES:
        raise ValidationError(
            f"{what} names {values:,} values; at most {MAX_QUERY_VALUES:,} are allowed"
        )
    return value


TRUE = AllOf(())
"""The query every document matches."""
FALSE = AnyOf(())
"""The query no document matches."""


def _given(query: LabelQuery, name: str, value: str) -> LabelQuery:  # noqa: PLR0911  per form
    if isinstance(query, Has):
        return TRUE if query.name == name and value in query.values else query
    if isinstance(query, Missing):
        return FALSE if query.name == name else query
    if isinstance(query, Not):
        part = _given(query.part, name, value)
        if part == TRUE:
            return FALSE
        return TRUE if part == FALSE else Not(part)
    if isinstance(query, AllOf | AnyOf):
        absorbing, neutral = (FALSE, TRUE) if isinstance(query, AllOf) else (TRUE, FALSE)
        parts: list[LabelQuery] = []
        for part in query.parts:
            simpler = _given(part, name, value)
            if simpler == absorbing:
                return absorbing
            if simpler != neutral:
                parts.append(simpler)
        if len(parts) == 1:
            return parts[0]
        return type(query)(parts)
    raise TypeError(f"not a label query: {query!r}")  # pragma: no cover  (checked at the door)
