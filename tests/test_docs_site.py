"""The documentation site builds with warnings as errors, and every page is in its nav."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent
DOCS = ROOT / "docs"
ROLES = "class|meth|func|mod|attr|data|exc|obj|const"
SPHINX_ROLE = re.compile(rf":(?:py:)?(?:{ROLES}):`[^`]+`")
# In the built HTML a role's target is a code span: ":class:<code>Router</code>".
RENDERED_ROLE = re.compile(rf":(?:py:)?(?:{ROLES}):(?:<code>|`)")
# A cross-reference autorefs could not resolve stays as text: "[<code>Router</code>][]".
UNRESOLVED_REF = re.compile(r"\[<code>[^<]*</code>\]\[[\w.]*\]")


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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The site, built once for this module with warnings as errors."""
    _need_mkdocs()
    built = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(built)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return built


def test_site_builds_with_warnings_as_errors(site: pathlib.Path) -> None:
    assert (site / "reference" / "routing" / "index.html").exists()


def test_docstrings_write_cross_references_for_mkdocstrings() -> None:
    # Sphinx roles are not markup to mkdocstrings: they would show as ":class:`Router`".
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for match in SPHINX_ROLE.finditer(path.read_text())
    ]
    assert not found, found


def test_api_reference_links_instead_of_showing_sphinx_roles(site: pathlib.Path) -> None:
    pages = sorted(site.rglob("*.html"))
    raw = [
        f"{page.relative_to(site)}: {match.group(0)}"
        for page in pages
        for match in RENDERED_ROLE.finditer(page.read_text())
    ]
    assert not raw, raw[:20]
    routing = (site / "reference" / "routing" / "index.html").read_text()
    # "A [`Router`][] holds agents...": a link to the class, and Router's methods from its
    # private mixins (explain lives in routing/_views.py) are documented to be linked to.
    assert re.search(
        r'A <a [^>]*href="#casekit\.routing\.Router"[^>]*><code>Router</code></a>', routing
    )
    assert 'id="casekit.routing.Router.explain"' in routing
    unresolved = [
        f"{page.relative_to(site)}: {match.group(0)}"
        for page in pages
        for match in UNRESOLVED_REF.finditer(page.read_text())
    ]
    assert not unresolved, unresolved[:20]
