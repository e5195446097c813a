"""casekit.testing's routing strategies draw valid, well-shaped agents, items and rosters."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given

from casekit.cases import ProductDeliveryCase
from casekit.routing import Agent, Priority, WorkItem
from casekit.testing import (
    SKILL_VOCABULARY,
    STAGES,
    ActionStep,
    action_sequences,
    agents,
    rosters,
    work_items,
)


@given(agents(skills=("x", "y"), max_level=2, min_capacity=3, max_capacity=5))
def test_agents_draw_skills_from_the_vocabulary_within_bounds(agent: Agent) -> None:
    assert set(agent.skills) <= {"x", "y"}
    assert len(agent.skills) >= 1
    assert all(1 <= level <= 2 for level in agent.skills.values())
    assert 3 <= agent.capacity <= 5


@given(agents())
def test_agents_by_default_use_the_skill_vocabulary(agent: Agent) -> None:
    assert set(agent.skills) <= set(SKILL_VOCABULARY)
    assert agent.id.startswith("a")


@given(rosters(min_size=2, max_size=5))
def test_rosters_have_distinct_ids(roster: list[Agent]) -> None:
    assert 2 <= len(roster) <= 5
    assert len({agent.id for agent in roster}) == len(roster)


@given(st.data())
def test_work_items_need_skills_some_agent_of_the_roster_holds(data: st.DataObject) -> None:
    roster = data.draw(rosters(agent=agents(max_level=3)))
    item = data.draw(work_items(roster, max_weight=4))
    for name, level in item.skills.items():
        assert any(agent.skills.get(name, 0) >= level for agent in roster), (name, level)
    assert 1 <= item.weight <= 4
    assert 1 <= len(item.skills) <= 2
    assert item.stage in STAGES
    assert isinstance(item.priority, Priority)


@given(work_items({"reviewer": 2}, min_skills=0, priorities=st.just(Priority.URGENT), stages=()))
def test_work_items_from_a_mapping_respect_the_ceiling(item: WorkItem) -> None:
    assert set(item.skills) <= {"reviewer"}
    assert item.skills.get("reviewer", 1) <= 2
    assert item.priority is Priority.URGENT
    assert item.stage is None


def test_work_items_need_a_skill_to_draw_from() -> None:
    with pytest.raises(ValueError, match="at least one skill"):
        work_items(())


@given(action_sequences(ProductDeliveryCase, max_size=5))
def test_action_sequences_draw_steps_of_the_case_types_lifecycle(steps: list[ActionStep]) -> None:
    declared = {action.name for action in ProductDeliveryCase.lifecycle().actions}
    assert len(steps) <= 5
    assert all(step.action in declared | {"__undeclared__"} for step in steps)


@given(action_sequences(ProductDeliveryCase.lifecycle(), min_size=1, include_unknown=False))
def test_action_sequences_accept_a_lifecycle(steps: list[ActionStep]) -> None:
    assert steps
    assert all(step.action != "__undeclared__" for step in steps)
