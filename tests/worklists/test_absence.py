"""Absence windows, delegation chains (loops refused when declared), and where work goes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casekit.errors import CasekitError, DelegationCycle, ValidationError
from casekit.worklists import (
    Absence,
    AbsenceBook,
    AbsenceKind,
    AbsenceRule,
    Delegate,
    DelegateKind,
    Disposition,
    HeldWork,
    Placement,
    WorkKind,
    place_work,
)

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
WEEK = timedelta(days=7)
AGENTS = [f"A{i}" for i in range(6)]


def away(agent: str, kind: AbsenceKind = AbsenceKind.PLANNED_LEAVE) -> Absence:
    return Absence(agent, NOW - timedelta(days=1), NOW + WEEK, kind)


def acyclic(edges: dict[str, str]) -> bool:
    """Oracle: Kahn's algorithm on the agent-to-agent graph."""
    indegree = dict.fromkeys(AGENTS, 0)
    for to in edges.values():
        indegree[to] += 1
    ready = [a for a, n in indegree.items() if n == 0]
    removed = 0
    while ready:
        a = ready.pop()
        removed += 1
        if a in edges:
            indegree[edges[a]] -= 1
            if indegree[edges[a]] == 0:
                ready.append(edges[a])
    return removed == len(AGENTS)


@given(
    edges=st.dictionaries(st.sampled_from(AGENTS), st.sampled_from(AGENTS)),
    queues=st.dictionaries(st.sampled_from(AGENTS), st.sampled_from(["Q1", "Q2"])),
    absent=st.frozensets(st.sampled_from(AGENTS)),
)
def test_delegation_chains_with_cycles_are_refused(
    edges: dict[str, str], queues: dict[str, str], absent: frozenset[str]
) -> None:
    # Agents delegating to a queue have no agent edge.
    edges = {a: b for a, b in edges.items() if a not in queues}
    delegations = {a: Delegate.agent(b) for a, b in edges.items()}
    delegations |= {a: Delegate.queue(q) for a, q in queues.items()}
    absences = [away(a) for a in absent]
    if not acyclic(edges):
        with pytest.raises(DelegationCycle) as refused:
            AbsenceBook(absences, delegations)
        cycle = refused.value.cycle
        assert cycle[0] == cycle[-1]
        assert all(edges[a] == b for a, b in itertools.pairwise(cycle))
        assert " -> ".join(cycle) in str(refused.value)
        # Declared one at a time, the delegation that closes the loop is the one refused.
        book = AbsenceBook(absences)
        refusals = 0
        for agent, to in delegations.items():
            try:
                book = book.with_delegation(agent, to)
            except DelegationCycle:
                refusals += 1
        assert refusals >= 1
        AbsenceBook(book.absences, book.delegations)  # what was kept has no loop
        return
    book = AbsenceBook(absences, delegations)
    assert book.absent_at(NOW) == absent
    for agent in AGENTS:
        to = book.resolve(agent, NOW)
        if to.kind is DelegateKind.AGENT:
            assert to.id is not None
            assert not book.is_absent(to.id, NOW)
        else:
            assert agent in absent
        # After the absences end everyone is back.
        assert book.resolve(agent, NOW + 2 * WEEK) == Delegate.agent(agent)


def test_self_delegation_is_a_cycle() -> None:
    with pytest.raises(DelegationCycle, match="delegations loop: A -> A") as refused:
        AbsenceBook().with_delegation("A", Delegate.agent("A"))
    assert refused.value.cycle == ("A", "A")
    assert isinstance(refused.value, CasekitError)


def test_a_chain_past_absent_delegates() -> None:
    book = AbsenceBook(
        [away("ann"), away("bob", AbsenceKind.SICK)],
        {"ann": Delegate.agent("bob"), "bob": Delegate.agent("cat")},
    )
    assert book.is_absent("ann", NOW)
    assert not book.is_absent("ann", NOW + WEEK)  # back (ends is exclusive)
    assert book.absent_at(NOW) == {"ann", "bob"}
    assert book.resolve("ann", NOW) == Delegate.agent("cat")
    assert book.resolve("cat", NOW) == Delegate.agent("cat")
    # cat away too, with no delegation: work goes back to its queue.
    book = book.with_absence(away("cat"))
    assert book.resolve("ann", NOW) == Delegate.return_to_queue()
    book = book.with_delegation("cat", Delegate.queue("triage"))
    assert book.resolve("ann", NOW) == Delegate.queue("triage")


def test_place_work_follows_the_rule() -> None:
    book = AbsenceBook([away("ann")], {"ann": Delegate.agent("bob")})
    items = [
        HeldWork("T-1", "ann", WorkKind.TASK, "intake"),
        HeldWork("C-1", "ann", WorkKind.PINNED, "intake"),
        HeldWork("T-2", "bob", WorkKind.TASK, "intake"),
    ]
    placed = place_work(items, book, AbsenceRule(), NOW)
    assert [(p.item_id, p.destination, p.moved) for p in placed] == [
        ("T-1", Delegate.agent("bob"), True),
        ("C-1", Delegate.agent("ann"), False),
        ("T-2", Delegate.agent("bob"), False),
    ]
    back = AbsenceRule(tasks=Disposition.RETURN_TO_QUEUE, pinned="redirect")
    placed = place_work(items, book, back, NOW)
    assert [p.destination for p in placed] == [
        Delegate.queue("intake"),
        Delegate.agent("bob"),
        Delegate.agent("bob"),
    ]
    # A redirect with nobody to take it returns the item to its own queue.
    alone = AbsenceBook([away("ann")])
    (placement,) = place_work(items[:1], alone, AbsenceRule(), NOW)
    assert placement == Placement(
        "T-1", Delegate.queue("intake"), True, "ann absent; tasks redirect -> queue intake"
    )


def test_the_door() -> None:
    book = AbsenceBook([away("ann")])
    with pytest.raises(ValidationError, match="give an end after its start"):
        Absence("ann", NOW, NOW)
    with pytest.raises(ValidationError, match="absence kind must be one of"):
        Absence("ann", NOW, NOW + WEEK, "holiday")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="naive"):
        book.is_absent("ann", datetime(2026, 6, 1))
    with pytest.raises(ValidationError, match="names no id"):
        Delegate(DelegateKind.RETURN_TO_QUEUE, "Q")
    with pytest.raises(ValidationError, match="queue id of a delegate"):
        Delegate(DelegateKind.QUEUE)
    with pytest.raises(ValidationError, match="no delegation to remove"):
        book.without_delegation("ann")
    with pytest.raises(ValidationError, match="to cancel"):
        book.without_absence(away("bob"))
    with pytest.raises(ValidationError, match="kind of held work"):
        HeldWork("T", "ann", "case", "Q")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="collection of HeldWork"):
        place_work("T", book, AbsenceRule(), NOW)  # type: ignore[arg-type]
    assert book.without_absence(away("ann")).absent_at(NOW) == frozenset()
    assert book.absent_at(NOW) == {"ann"}  # the original is unchanged
