"""The documentation site builds with warnings as errors, and every page is in its nav."""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import shutil
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


# --- Mermaid diagrams render offline -------------------------------------------------------

MERMAID = DOCS / "javascripts" / "mermaid.min.js"


def test_the_shipped_mermaid_is_the_one_its_notice_names() -> None:
    notice = (DOCS / "javascripts" / "mermaid.NOTICE.txt").read_text()
    checksum = re.search(r"sha256 ([0-9a-f]{64})", notice)
    assert checksum is not None, notice
    assert hashlib.sha256(MERMAID.read_bytes()).hexdigest() == checksum.group(1)
    assert "MIT License" in (DOCS / "javascripts" / "mermaid.LICENSE.txt").read_text()


def test_pages_load_nothing_from_outside_the_site(site: pathlib.Path) -> None:
    outside = re.compile(
        r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"(?:https?:)?//[^\"]*\""
    )
    found = [
        f"{page.relative_to(site)}: {match.group(0)}"
        for page in sorted(site.rglob("*.html"))
        for match in outside.finditer(page.read_text())
    ]
    assert not found, found[:20]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("no chromium, chromium-browser or google-chrome on PATH (CI needs one)")
    pytest.skip("no chromium, chromium-browser or google-chrome on PATH")


def test_mermaid_diagrams_render_with_no_network(
    site: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    browser = _chromium()
    page = site / "lifecycles" / "index.html"
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-quic",
            "--disable-sync",
            "--disable-component-update",
            "--disable-background-networking",
            # No name resolves and every connection goes to a closed port: a page that needs
            # a CDN (Material fetches mermaid from one) is left with its diagrams as text.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=127.0.0.1:9",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    source = (DOCS / "lifecycles.md").read_text()
    titles = re.findall(r"^```mermaid\n---\ntitle: (.+)$", source, re.M)
    assert len(titles) == source.count("```mermaid") >= 8, titles
    # Each diagram's element now holds its own drawing: an SVG state diagram with its title.
    diagrams = re.split(r'<div class="mermaid"', done.stdout)[1:]
    assert len(diagrams) == len(titles), done.stdout[:3000]
    for title, diagram in zip(titles, diagrams, strict=True):
        svg = diagram[: diagram.find("</svg>")]
        assert re.match(r'[^>]*>\s*<svg\b[^>]*aria-roledescription="stateDiagram"', svg), svg[:500]
        assert title in svg, (title, re.sub(r"<style>.*?</style>", "", svg, flags=re.S)[:500])
