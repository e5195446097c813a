"""The document store's contract ([`DocumentStore`][casekit.storage.ports.DocumentStore]).

Versioned round trips, any JSON body, `JsonText` stored as
it is, conflicts that write nothing, ``find`` by labels and time in key order, set labels,
and label queries (``find(where=...)``) returning what their ``matches`` says, through
updates and deletes, page by page.

Subclass `DocumentStoreContract` as ``Test...`` in a test module and provide a
``storage`` fixture (class- or session-scoped, so Hypothesis may use it), as for
`StorageContract`, which combines every port's
contract; an adapter that implements only the document store runs only this one::

    class TestMyDocumentStore(DocumentStoreContract):
        @pytest.fixture(scope="class")
        @classmethod
        def storage(cls):
            return MyStorage()

Needs ``pip install casekit[testing]`` (pytest and Hypothesis).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casekit.errors import AlreadyExists, ConcurrencyConflict, NotFound, ValidationError
from casekit.storage.label_query import (
    AllOf,
    AnyOf,
    Has,
    LabelQuery,
    LabelValue,
    Missing,
    Not,
)
from casekit.storage.ports import JsonText
from casekit.storage.sql_labels import MAX_BRANCHES
from casekit.storage.unit_of_work import Storage
from casekit.testing.contract_support import T0, unique

__all__ = ["DocumentStoreContract"]

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


_NAMES = ("a", "b", "c")
_VALUES = ("x", "y", "z", "")
_label_values = st.sampled_from(_VALUES) | st.frozensets(st.sampled_from(_VALUES), max_size=3)
_labels = st.dictionaries(st.sampled_from(_NAMES), _label_values, max_size=3)
_queries: st.SearchStrategy[LabelQuery] = st.recursive(
    st.builds(Has, st.sampled_from(_NAMES), st.frozensets(st.sampled_from(_VALUES), max_size=3))
    | st.builds(Missing, st.sampled_from(_NAMES)),
    lambda parts: (
        st.builds(AllOf, st.lists(parts, max_size=3))
        | st.builds(AnyOf, st.lists(parts, max_size=3))
        | st.builds(Not, parts)
    ),
    max_leaves=6,
)


def _stored(labels: dict[str, Any]) -> dict[str, LabelValue]:
    """Labels as a store reads them back: sets as sorted tuples, empty sets left out."""
    return {
        name: value if isinstance(value, str) else tuple(sorted(value))
        for name, value in labels.items()
        if isinstance(value, str) or value
    }


class DocumentStoreContract:
    """The tests every [`DocumentStore`][casekit.storage.ports.DocumentStore] must pass."""

    def test_document_round_trip_and_versions(self, storage: Storage) -> None:
        """A document reads back as written; each write bumps the version."""
        key = unique()
        body = {"a": [1, "two", None, True], "b": {"nested": "é ✓"}}
        with storage.unit_of_work() as uow:
            assert (
                uow.documents.put(
                    "things", key, body, expected_version=0, labels={"x": "1"}, updated_at=T0
                )
                == 1
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            doc = uow.documents.get("things", key)
            assert doc is not None
            assert (doc.version, dict(doc.body), dict(doc.labels), doc.updated_at) == (
                1,
                body,
                {"x": "1"},
                T0,
            )
            assert (
                uow.documents.put(
                    "things", key, {"c": 1}, expected_version=1, labels={}, updated_at=T0
                )
                == 2
            )
            assert uow.documents.get("things", unique()) is None
            uow.commit()

    @settings(max_examples=25)
    @given(body=st.dictionaries(st.text(max_size=6), _json, max_size=4))
    def test_any_json_document_round_trips(self, storage: Storage, body: dict[str, Any]) -> None:
        """Any JSON-safe document reads back equal."""
        key = unique()
        with storage.unit_of_work() as uow:
            uow.documents.put("json", key, body, expected_version=0, labels={}, updated_at=T0)
            uow.commit()
        with storage.unit_of_work() as uow:
            doc = uow.documents.get("json", key)
        assert doc is not None
        assert doc.body == body

    def test_json_text_bodies_are_stored_as_they_are(self, storage: Storage) -> None:
        """A `JsonText` body is written as given and reads back as the object it encodes."""
        key, other = unique(), unique()
        text = JsonText('{"b":[1,"é ✓",null],"a":{"n":2}}')
        with storage.unit_of_work() as uow:
            uow.documents.put("json", key, text, expected_version=0, labels={}, updated_at=T0)
            uow.documents.put_new("json", [(other, text, {"k": "v"}, T0)])
            uow.commit()
        with storage.unit_of_work() as uow:
            for stored in (uow.documents.get("json", key), uow.documents.get("json", other)):
                assert stored is not None
                assert dict(stored.body) == {"b": [1, "é ✓", None], "a": {"n": 2}}

    def test_document_conflicts_write_nothing(self, storage: Storage) -> None:
        """Writes and deletes over the wrong version fail and change nothing."""
        key = unique()
        with storage.unit_of_work() as uow:
            uow.documents.put("things", key, {"v": 1}, expected_version=0, labels={}, updated_at=T0)
            uow.commit()
        with storage.unit_of_work() as uow:
            with pytest.raises(AlreadyExists, match=key):
                uow.documents.put(
                    "things", key, {"v": 9}, expected_version=0, labels={}, updated_at=T0
                )
            with pytest.raises(ConcurrencyConflict, match="version 1, not 5"):
                uow.documents.put(
                    "things", key, {"v": 9}, expected_version=5, labels={}, updated_at=T0
                )
            with pytest.raises(ConcurrencyConflict):
                uow.documents.delete("things", key, expected_version=2)
            with pytest.raises(NotFound):
                uow.documents.delete("things", unique(), expected_version=1)
            doc = uow.documents.get("things", key)
            assert doc is not None
            assert (doc.version, dict(doc.body)) == (1, {"v": 1})
            uow.documents.delete("things", key, expected_version=1)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.documents.get("things", key) is None

    def test_document_refuses_what_is_not_json(self, storage: Storage) -> None:
        """A body that is not JSON-safe is refused, naming the key."""
        key = unique()
        with storage.unit_of_work() as uow:
            with pytest.raises(ValidationError, match=key):
                uow.documents.put(
                    "things", key, {"x": Decimal(1)}, expected_version=0, labels={}, updated_at=T0
                )
            assert uow.documents.get("things", key) is None

    def test_find_filters_and_pages_in_key_order(self, storage: Storage) -> None:
        """`find` filters by labels and time range, pages in key order."""
        collection = unique("coll")
        with storage.unit_of_work() as uow:
            for i in range(7):
                uow.documents.put(
                    collection,
                    f"k{i}",
                    {"i": i},
                    expected_version=0,
                    labels={"parity": str(i % 2), "kind": "x"},
                    updated_at=T0 + timedelta(hours=i),
                )
            uow.commit()
        with storage.unit_of_work() as uow:
            find = uow.documents.find
            assert [d.key for d in find(collection, labels={"parity": "0"})] == [
                "k0",
                "k2",
                "k4",
                "k6",
            ]
            assert [
                d.key for d in find(collection, labels={"parity": "1", "kind": "x"}, limit=2)
            ] == ["k1", "k3"]
            assert [d.key for d in find(collection, after="k4")] == ["k5", "k6"]
            assert [
                d.key
                for d in find(
                    collection,
                    updated_from=T0 + timedelta(hours=2),
                    updated_to=T0 + timedelta(hours=4),
                )
            ] == ["k2", "k3"]
            assert find(collection, labels={"parity": "2"}) == []
            assert find(unique("empty")) == []

    def test_set_labels_round_trip_sorted_and_match_no_equality_filter(
        self, storage: Storage
    ) -> None:
        """A set label reads back as a sorted tuple (an empty one not at all)."""
        collection = unique("sets")
        with storage.unit_of_work() as uow:
            uow.documents.put(
                collection,
                "k1",
                {},
                expected_version=0,
                labels={"p": frozenset({"b", "a"}), "q": ("x", "x"), "r": (), "s": "t"},
                updated_at=T0,
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            document = uow.documents.get(collection, "k1")
            assert document is not None
            assert dict(document.labels) == {"p": ("a", "b"), "q": ("x",), "s": "t"}
            assert uow.documents.find(collection, labels={"q": "x"}) == []
            assert [d.key for d in uow.documents.find(collection, where=Has("q", "x"))] == ["k1"]
            with pytest.raises(ValidationError, match="label 'q' of the label filter"):
                uow.documents.find(collection, labels={"q": ["x"]})  # type: ignore[dict-item]
            with pytest.raises(ValidationError, match="'where' of a search of"):
                uow.documents.find(collection, where={"q": "x"})  # type: ignore[arg-type]

    def test_label_queries_return_what_they_match(self, storage: Storage) -> None:
        """``find(where=q)`` returns exactly the documents whose labels ``q.matches``.

        In key order and page by page, after updates and deletes, with ``labels`` and
        times too.
        """

        @settings(max_examples=40, deadline=None)
        @given(
            documents=st.lists(st.tuples(_labels, st.integers(0, 3)), max_size=12),
            changes=st.lists(st.tuples(st.integers(0, 11), st.none() | _labels), max_size=4),
            queries=st.lists(_queries, min_size=1, max_size=4),
            limit=st.integers(1, 4),
            equal=st.none() | st.tuples(st.sampled_from(_NAMES), st.sampled_from(_VALUES)),
        )
        def check(
            documents: list[tuple[dict[str, Any], int]],
            changes: list[tuple[int, dict[str, Any] | None]],
            queries: list[LabelQuery],
            limit: int,
            equal: tuple[str, str] | None,
        ) -> None:
            collection = unique("lq")
            stored = {
                f"k{n:02d}": (_stored(labels), T0 + timedelta(days=day))
                for n, (labels, day) in enumerate(documents)
            }
            with storage.unit_of_work() as uow:
                uow.documents.put_new(
                    collection,
                    [(key, {"n": key}, labels, at) for key, (labels, at) in stored.items()],
                )
                for n, labels in changes:
                    key = f"k{n:02d}"
                    if key not in stored or uow.documents.get(collection, key) is None:
                        continue
                    version = uow.documents.get(collection, key).version  # type: ignore[union-attr]
                    if labels is None:
                        uow.documents.delete(collection, key, expected_version=version)
                        del stored[key]
                    else:
                        at = stored[key][1]
                        uow.documents.put(
                            collection,
                            key,
                            {"n": key},
                            expected_version=version,
                            labels=labels,
                            updated_at=at,
                        )
                        stored[key] = (_stored(labels), at)
                uow.commit()
            since = T0 + timedelta(days=1)
            with storage.unit_of_work() as uow:
                for query in queries:
                    for labels_filter, low in ((None, None), (equal, since)):
                        wanted = [
                            key
                            for key, (labels, at) in sorted(stored.items())
                            if query.matches(labels)
                            and (
                                labels_filter is None
                                or labels.get(labels_filter[0]) == labels_filter[1]
                            )
                            and (low is None or at >= low)
                        ]
                        found: list[str] = []
                        after = None
                        while True:
                            page = uow.documents.find(
                                collection,
                                where=query,
                                labels=dict([labels_filter]) if labels_filter else None,
                                updated_from=low,
                                after=after,
                                limit=limit,
                            )
                            found.extend(d.key for d in page)
                            if len(page) < limit:
                                break
                            after = page[-1].key
                        assert found == wanted, query.describe()

        check()

    def test_a_label_query_with_many_entry_terms_reads_the_collection(
        self, storage: Storage
    ) -> None:
        """Past the branches an adapter merges, a query is still answered (by a scan)."""
        collection = unique("many")
        values = [f"v{n:03d}" for n in range(MAX_BRANCHES + 10)]
        with storage.unit_of_work() as uow:
            uow.documents.put_new(
                collection,
                [(f"k{n:03d}", {}, {"v": value}, T0) for n, value in enumerate(values)],
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            query = AnyOf([Has("v", values[::2]), Has("w", "none")])
            keys = [d.key for d in uow.documents.find(collection, where=query, limit=1000)]
            assert keys == [f"k{n:03d}" for n in range(0, len(values), 2)]
            few = AllOf([Has("v", values[:3]), Not(Has("v", values[1]))])
            assert [d.key for d in uow.documents.find(collection, where=few)] == ["k000", "k002"]
            assert uow.documents.find(collection, where=Has("v", ())) == []

    def test_label_queries_on_names_and_values_that_need_quoting(self, storage: Storage) -> None:
        """Quotes, backslashes, control characters and non-ASCII in names and values."""
        collection = unique("quoted")
        names = ['we"ird', "back\\slash", "tab\tname", "é ✓ 𝄞", "$.x", "a'b"]
        with storage.unit_of_work() as uow:
            uow.documents.put_new(
                collection,
                [
                    (f"k{n}", {}, {name: f'{name} "value" \\ 𝄞', "set": (name,)}, T0)
                    for n, name in enumerate(names)
                ],
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            for n, name in enumerate(names):
                has = Has(name, f'{name} "value" \\ 𝄞')
                assert [d.key for d in uow.documents.find(collection, where=has)] == [f"k{n}"]
                missing = AllOf([Missing(name), Has("set", names)])
                assert len(uow.documents.find(collection, where=missing)) == len(names) - 1
                assert [d.key for d in uow.documents.find(collection, where=Has("set", name))] == [
                    f"k{n}"
                ]
