"""The docs stay true: their Python blocks run and type-check, and the diagrams match the code."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

from casekit.cases import CASE_TYPES

ROOT = pathlib.Path(__file__).parent.parent
DOCS = ROOT / "docs"
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


@pytest.mark.quality
def test_python_blocks_pass_mypy_strict(tmp_path: pathlib.Path) -> None:
    # A page's blocks run in one namespace, so each page becomes one module, checked as a
    # reader would check code copied from it: mypy --strict, with the project's settings.
    modules = []
    for page in sorted(DOCS.rglob("*.md")):
        blocks = BLOCK.findall(page.read_text())
        if blocks:
            name = re.sub(r"\W", "_", str(page.relative_to(DOCS).with_suffix("")))
            module = tmp_path / f"docs_{name}.py"
            module.write_text("\n".join(blocks))
            modules.append(module)
    assert len(modules) >= 10, modules
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *map(str, modules)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", BUILT_IN)
def test_lifecycle_diagrams_match_the_code(name: str) -> None:
    text = (DOCS / "lifecycles.md").read_text()
    assert f"```mermaid\n{CASE_TYPES[name].to_mermaid()}```" in text
