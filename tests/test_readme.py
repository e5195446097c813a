"""README's quick start is what CI runs and what a new user runs first."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).parent.parent


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", readme, re.S)]


def test_the_first_command_installs_and_runs_the_demo() -> None:
    assert _commands()[0] == 'python -m pip install -e ".[demo]" && casekit demo'


def test_ci_runs_the_test_command_exactly_as_readme_shows_it() -> None:
    test_command = _commands()[1]
    assert test_command == 'python -m pip install -e ".[test]" && python -m pytest'
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in [line.strip() for line in ci]
