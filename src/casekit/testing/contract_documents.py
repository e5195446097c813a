"""The document store's contract ([`DocumentStore`][casekit.storage.ports.DocumentStore]).

Versioned round trips, any JSON body, `JsonText` stored as
it is, conflicts that write nothing, and ``find`` by labels and time in key order.

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
from casekit.storage.ports import JsonText
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
