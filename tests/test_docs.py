"""The docs stay true: their Python blocks run, and the lifecycle diagrams match the code."""

from __future__ import annotations

import pathlib
import re

import pytest

from casekit.cases import CASE_TYPES

DOCS = pathlib.Path(__file__).parent.parent / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
BUILT_IN = [
    "Application Case",
    "Assessment Case",
    "Integrated Case",
    "Investigation Case",
    "Issue Case",
    "Payment Correction Case",
    "Product Delivery Case",
    "Screening Case",
]


@pytest.mark.parametrize("page", sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")))
def test_python_blocks_run(page: str) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page}"}
    for block in BLOCK.findall((DOCS / page).read_text()):
        exec(compile(block, f"{page}", "exec"), namespace)


@pytest.mark.parametrize("name", BUILT_IN)
def test_lifecycle_diagrams_match_the_code(name: str) -> None:
    text = (DOCS / "lifecycles.md").read_text()
    assert f"```mermaid\n{CASE_TYPES[name].to_mermaid()}```" in text
