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


# ----- moves, first blocks and their chunks ---------------------------------------------
SEQ = 1 << 42  # a packed rank is score << 42 | last offer number


def rank(score: int, seq: int) -> int:
    return score * SEQ + seq


moves = st.lists(
    st.tuples(
        st.integers(0, 39),  # which agent
        st.integers(-3, 3),  # its new score
        st.sampled_from([0, 1, 2, 4095, 4096, 4097, 8191, 8192, 20_000]),  # offer block edges
        st.booleans(),  # leave the index instead (and come back at the next move)
    ),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(moves, st.integers(1, 4))
def test_moves_keep_the_walk_in_rank_then_id_order_across_first_blocks_and_chunks(
    steps: list[tuple[int, int, int, bool]], chunk: int
) -> None:
    """Never-offered agents (offer number 0) sit in first blocks, split into chunks; agents
    offered work before sit in later blocks, whatever their offer number; moves between
    them keep the walk exactly the model's (rank, id) order for every skill."""
    from casekit.routing import index as index_module  # noqa: PLC0415  # its chunk size

    saved = index_module._CHUNK
    index_module._CHUNK = chunk  # tiny chunks: splits and emptied chunks on every path
    try:
        index = AgentIndex()
        skills = {
            f"a{n:02d}": {SKILLS[n % 4]: 1 + n % 3, SKILLS[(n + 1) % 4]: 1} for n in range(40)
        }
        model: dict[str, int] = {}
        for n, agent_id in enumerate(skills):  # a new office: everyone never offered
            index.insert(agent_id, rank(n % 2, 0), index.grades(skills[agent_id]), skills[agent_id])
            model[agent_id] = rank(n % 2, 0)
        for who, score, seq, leave in steps:
            agent_id = f"a{who:02d}"
            grades = index.grades(skills[agent_id])
            if agent_id not in model:
                index.insert(agent_id, rank(score, seq), grades, skills[agent_id])
                model[agent_id] = rank(score, seq)
            elif leave:
                index.remove(agent_id)
                del model[agent_id]
            else:
                index.move(agent_id, rank(score, seq), grades, skills[agent_id])
                model[agent_id] = rank(score, seq)
        for name in SKILLS:
            for level in (1, 2):
                wanted = {name: level}
                expected = [
                    a for a in sorted(model, key=lambda a: (model[a], a))
                    if skills[a].get(name, 0) >= level
                ]  # fmt: skip
                assert walk(index, wanted) == expected
                assert len(index.pool({name: 1})) == sum(name in skills[a] for a in model)
        assert walk(index, {}) == sorted(model, key=lambda a: (model[a], a))
        assert len(index) == len(model)
    finally:
        index_module._CHUNK = saved


def test_a_new_office_of_many_agents_leaving_the_first_block_one_by_one_keeps_order() -> None:
    """The first block of a large office (5,000 agents of one skill, in chunks of the real
    size) empties agent by agent, from the front and from the middle, as offers take them;
    the walk stays in order and emptied chunks go."""
    index = AgentIndex()
    ids = [f"agent-{n:05d}" for n in range(5000)]
    grades = index.grades({"s0": 1})
    for agent_id in reversed(ids):  # inserted back to front: every insert at the start
        index.insert(agent_id, rank(0, 0), grades, {"s0": 1})
    offered: list[str] = []
    for n, agent_id in enumerate(ids[::2] + ids[1::2]):  # the front, then the middle
        index.move(agent_id, rank(1, n + 1), grades, {"s0": 1})
        offered.append(agent_id)
        if n % 997 == 0:
            left = [a for a in ids if a not in set(offered)]
            assert walk(index, {"s0": 1}) == left + offered
    assert walk(index, {"s0": 1}) == offered
    first_blocks = [
        bucket for bucket in index._by_skill["s0"].buckets.values() if hasattr(bucket, "lists")
    ]
    assert first_blocks == []  # the first block emptied and went


def test_re_keying_keeps_offered_and_never_offered_agents_in_order() -> None:
    """Widening the id and grade fields rebuilds every key from its rank: agents offered work
    (the added bit set) and agents never offered it come back in the same order."""
    index = AgentIndex()
    skills = {"s0": 1}
    ids = [f"a{n:02d}" for n in range(30)]
    for agent_id in ids:
        index.insert(agent_id, rank(0, 0), index.grades(skills), skills)
    model = dict.fromkeys(ids, rank(0, 0))
    for n, agent_id in enumerate(ids[::3]):  # some offered work, in the first offer block
        model[agent_id] = rank(1, n + 1)
        index.move(agent_id, model[agent_id], index.grades(skills), skills)
    model["a01"] = rank(-1, 9000)  # and one in a later block, with a lower score
    index.move("a01", model["a01"], index.grades(skills), skills)
    before = walk(index, skills)
    assert before == sorted(model, key=lambda a: (model[a], a))
    long_id = "z" * 40  # wider than the id field: every key is rebuilt
    index.insert(long_id, rank(1, 0), index.grades(skills), skills)
    model[long_id] = rank(1, 0)
    many = {f"g{n}": 3 for n in range(30)} | skills  # past 64 grade bits: rebuilt again
    index.insert("b", rank(0, 5), index.grades(many), many)
    model["b"] = rank(0, 5)
    assert walk(index, skills) == sorted(model, key=lambda a: (model[a], a))
    index.move("a00", rank(2, 9001), index.grades(skills), skills)  # moves still work after
    model["a00"] = rank(2, 9001)
    assert walk(index, skills) == sorted(model, key=lambda a: (model[a], a))


def test_a_first_block_holds_only_agents_never_offered_work() -> None:
    """An agent offered work (offer number 1 to 4095 included) leaves its score's first block
    for a plain bucket, and never enters a first block again, whatever its score."""
    from casekit.routing.index import _Chunks  # noqa: PLC0415  # the first blocks' type

    index = AgentIndex()
    skills = {"s0": 1}
    ids = [f"a{n:02d}" for n in range(6)]
    for agent_id in ids:
        index.insert(agent_id, rank(0, 0), index.grades(skills), skills)
    for n, agent_id in enumerate(ids[:4]):
        index.move(agent_id, rank(n % 2, n + 1), index.grades(skills), skills)
    index.move(ids[0], rank(0, 1), index.grades(skills), skills)  # back to score 0
    pool = index._by_skill["s0"]
    in_first_blocks = {
        index.agent_of(key)
        for bucket in pool.buckets.values()
        if isinstance(bucket, _Chunks)
        for key in bucket
    }
    assert in_first_blocks == set(ids[4:])
