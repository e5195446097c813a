"""Label queries (casekit.storage.label_query) in themselves: what adapters rely on.

The SQL adapters read a query's entry terms and check each term's documents with the
query given that term; both must be sound: every matching document holds an entry term,
and given a term a document holds, the simplified query answers as the query does.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casekit.errors import ValidationError
from casekit.storage import AllOf, AnyOf, Has, LabelQuery, Missing, Not
from casekit.storage.label_query import (
    FALSE,
    MAX_QUERY_DEPTH,
    MAX_QUERY_VALUES,
    TRUE,
    check_label_query,
)

NAMES = ("a", "b", "c")
VALUES = ("x", "y", "z")
labels_st = st.dictionaries(
    st.sampled_from(NAMES),
    st.sampled_from(VALUES)
    | st.lists(st.sampled_from(VALUES), min_size=1, max_size=3, unique=True).map(
        lambda v: tuple(sorted(v))
    ),
    max_size=3,
)
queries: st.SearchStrategy[LabelQuery] = st.recursive(
    st.builds(Has, st.sampled_from(NAMES), st.frozensets(st.sampled_from(VALUES), max_size=3))
    | st.builds(Missing, st.sampled_from(NAMES)),
    lambda parts: (
        st.builds(AllOf, st.lists(parts, max_size=3))
        | st.builds(AnyOf, st.lists(parts, max_size=3))
        | st.builds(Not, parts)
    ),
    max_leaves=8,
)


def _holds(labels: dict[str, Any], name: str, value: str) -> bool:
    found = labels.get(name)
    return found == value or (isinstance(found, tuple) and value in found)


@given(queries, labels_st)
def test_every_matching_document_holds_an_entry_term(
    query: LabelQuery, labels: dict[str, Any]
) -> None:
    terms = query.entry_terms()
    if terms is not None and query.matches(labels):
        assert any(_holds(labels, name, value) for name, value in terms)
    if terms is not None:
        assert list(terms) == sorted(set(terms))


@given(queries, labels_st, st.sampled_from(NAMES), st.sampled_from(VALUES))
def test_a_query_given_a_term_answers_as_the_query_on_its_documents(
    query: LabelQuery, labels: dict[str, Any], name: str, value: str
) -> None:
    if not _holds(labels, name, value):
        labels = {**labels, name: value}
    assert query.given(name, value).matches(labels) is query.matches(labels)


def test_given_simplifies_what_the_term_settles() -> None:
    owner = Has("owner", {"User:ann", "Work Queue:q"})
    query = AllOf(
        [
            AnyOf([owner, Has("work_queue", "q")]),
            Has("sensitivity", {"1", "2"}),
            AnyOf([Missing("location"), Has("owner", "User:ann")]),
        ]
    )
    assert query.given("owner", "User:ann") == Has("sensitivity", {"1", "2"})
    assert query.given("sensitivity", "9") == query
    assert Not(Missing("a")).given("a", "x") == TRUE
    assert AllOf([Missing("a"), Has("b", "y")]).given("a", "x") == FALSE
    assert (TRUE.describe(), FALSE.describe()) == ("true", "false")


def test_queries_describe_themselves() -> None:
    query = AllOf([Has("a", "x"), AnyOf([Has("b", {"y", "z"}), Not(Missing("c"))])])
    assert str(query) == "(a = 'x' and (b in ['y', 'z'] or not no c))"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Has(" ", "x"), "the label name of a label query must be a non-blank"),
        (lambda: Has("a", 3), "the values of Has must be a text or a set of texts"),
        (lambda: Has("a", ["x", 3]), "a value of Has must be a text, got 3"),
        (lambda: Has("a", "x\x00"), "at most 1024 characters without NUL"),
        (lambda: Has("a", "\ud800"), "no lone surrogates"),
        (lambda: AllOf("ab"), "the parts of AllOf or AnyOf must be label queries"),
        (lambda: AnyOf([Has("a", "x"), "b"]), "a part of a label query must be"),
        (lambda: Not({"a": "x"}), "a part of a label query must be"),
    ],
)
def test_a_malformed_query_is_refused_when_built(make: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make()


def test_check_label_query_refuses_what_is_too_big_or_not_a_query() -> None:
    with pytest.raises(ValidationError, match="'where' must be a label query"):
        check_label_query({"a": "x"}, what="'where'")
    deep: LabelQuery = Has("a", "x")
    for _ in range(MAX_QUERY_DEPTH):
        deep = Not(deep)
    with pytest.raises(ValidationError, match=f"at most {MAX_QUERY_DEPTH} levels"):
        check_label_query(deep, what="q")
    wide = Has("a", [f"v{n}" for n in range(MAX_QUERY_VALUES + 1)])
    with pytest.raises(ValidationError, match="names 10,001 values; at most 10,000"):
        check_label_query(wide, what="q")
    assert check_label_query(Has("a", "x"), what="q") == Has("a", "x")
