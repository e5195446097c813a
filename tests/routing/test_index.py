"""The sorted load index: walk order is (rank, id), skill tests are exact, keys survive growth."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from casekit.routing.index import AgentIndex

SKILLS = [f"s{n}" for n in range(4)]

ids = st.text(min_size=1, max_size=40)
agents = st.dictionaries(
    ids,
    st.tuples(
        st.integers(min_value=-(2**50), max_value=2**50),  # packed ranks may be negative
        st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), min_size=1),
    ),
    min_size=1,
    max_size=30,
)


def walk(index: AgentIndex, skills: dict[str, int]) -> list[str]:
    pool = index.pool(skills)
    return [index.agent_of(key) for key in index.holding(pool, index.need(skills))]


@settings(max_examples=200, deadline=None)
@given(agents, st.data())
def test_walk_order_is_rank_then_id_and_only_agents_holding_the_skills(
    roster: dict[str, tuple[int, dict[str, int]]], data: st.DataObject
) -> None:
    index = AgentIndex()
    order = data.draw(st.permutations(sorted(roster)))
    for agent_id in order:
        rank, skills = roster[agent_id]
        index.insert(agent_id, rank, index.grades(skills), skills)
    gone = data.draw(st.sets(st.sampled_from(sorted(roster))))
    for agent_id in gone:
        index.remove(agent_id)
    wanted = data.draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=2))
    expected = [
        agent_id
        for agent_id in sorted(roster, key=lambda a: (roster[a][0], a))
        if agent_id not in gone
        and all(roster[agent_id][1].get(name, 0) >= level for name, level in wanted.items())
    ]
    assert walk(index, wanted) == expected
    assert len(index) == len(roster) - len(gone)


def test_an_id_that_begins_another_sorts_first_whatever_its_characters() -> None:
    index = AgentIndex()
    names = ["a", "a\x00", "a\x00b", "ab", "b", "é", "\U0001f600", "\ud800"]
    for name in reversed(names):
        index.insert(name, 0, index.grades({"s": 1}), {"s": 1})
    assert walk(index, {"s": 1}) == sorted(names)


def test_long_ids_and_many_grades_widen_the_keys_without_losing_order() -> None:
    index = AgentIndex()
    index.insert("b", 5, index.grades({"s": 1}), {"s": 1})
    index.insert("a", 5, index.grades({"s": 1}), {"s": 1})
    long_id = "x" * 100  # wider than the first id field
    many = {f"skill{n}": 3 for n in range(40)} | {"s": 1}  # 121 grade bits: past the first 64
    index.insert(long_id, 4, index.grades(many), many)
    index.insert("c", 5, index.grades({"s": 1}), {"s": 1})
    assert walk(index, {"s": 1}) == [long_id, "a", "b", "c"]
    assert walk(index, {"skill39": 3}) == [long_id]
    index.remove(long_id)
    index.forget(long_id)
    assert walk(index, {"s": 1}) == ["a", "b", "c"]


def test_tuple_ranks_keep_tuple_keys() -> None:
    index = AgentIndex()
    for agent_id, rank in [("b", (1.5, 0)), ("a", (1.5, 0)), ("c", (0.5, 3))]:
        index.insert(agent_id, rank, index.grades({"s": 1}), {"s": 1})
    assert walk(index, {"s": 1}) == ["c", "a", "b"]
    assert walk(index, {}) == ["c", "a", "b"]
