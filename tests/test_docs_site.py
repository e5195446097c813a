"""The documentation site builds with warnings as errors, and every page is in its nav."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent
DOCS = ROOT / "docs"


def _need_mkdocs() -> None:
    try:
        import mkdocs  # noqa: F401, PLC0415  (optional: the docs extra)
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")


def test_every_page_is_in_the_nav() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    missing = [page for page in pages if f": {page}" not in config]
    assert not missing, f"pages missing from mkdocs.yml's nav: {missing}"


def test_site_builds_with_warnings_as_errors(tmp_path: pathlib.Path) -> None:
    _need_mkdocs()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert (tmp_path / "site" / "reference" / "routing" / "index.html").exists()
