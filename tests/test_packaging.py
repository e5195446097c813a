"""The sdist and wheel carry the licence and the sources, never what running casekit leaves."""

from __future__ import annotations

import email.parser
import fnmatch
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

import casekit

ROOT = pathlib.Path(__file__).parent.parent
# What `casekit demo`, `casekit report` and a docs build leave in a checkout.
GENERATED = ("casekit-demo.db", "casekit-report.html", "docs/demo.db", "tests/leftover.sqlite3")
NOT_SHIPPED = ("*.db", "*.sqlite", "*.sqlite3", "*casekit-report.html", "*/__pycache__/*", "*.pyc")
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".nox", ".venv", ".*_cache", ".hypothesis", "__pycache__", "site", "dist", "build"
)


def _need_build() -> None:
    try:
        import build  # noqa: F401, PLC0415  (the test extra)
        import hatchling  # noqa: F401, PLC0415
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("build or hatchling is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """Build a copy of the checkout into which a demo run and a report have been written."""
    _need_build()
    work = tmp_path_factory.mktemp("packaging")
    project = work / "casekit"
    shutil.copytree(ROOT, project, ignore=COPY_IGNORE)
    # Without .gitignore, hatch's own sdist excludes must keep generated files out.
    (project / ".gitignore").unlink()
    for name in GENERATED:
        (project / name).write_text("generated\n")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(work / "dist"), "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return work / "dist"


def _sdist_names(dist: pathlib.Path) -> list[str]:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        return archive.getnames()


def _wheel(dist: pathlib.Path) -> zipfile.ZipFile:
    (wheel,) = dist.glob("*.whl")
    return zipfile.ZipFile(wheel)


def test_gitignore_keeps_generated_files_out_of_the_checkout() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for name in ("casekit-demo.db", "casekit-report.html", "any.db"):
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name


def test_sdist_has_the_licence_and_sources_and_no_generated_files(dist: pathlib.Path) -> None:
    names = _sdist_names(dist)
    top = f"casekit-{casekit.__version__}"
    for shipped in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml"):
        assert f"{top}/{shipped}" in names
    for shipped in ("src/casekit/__init__.py", "src/casekit/py.typed", "tests/test_docs.py"):
        assert f"{top}/{shipped}" in names
    assert any(name.startswith(f"{top}/docs/") for name in names)
    leaked = [n for n in names if any(fnmatch.fnmatch(n, p) for p in NOT_SHIPPED)]
    assert not leaked, leaked


def test_wheel_has_the_licence_and_the_version_written_once(dist: pathlib.Path) -> None:
    with _wheel(dist) as wheel:
        names = wheel.namelist()
        info = f"casekit-{casekit.__version__}.dist-info"
        assert f"{info}/licenses/LICENSE" in names
        metadata = email.parser.Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
    assert metadata["Version"] == casekit.__version__
    assert metadata["License-Expression"] == "MIT"
    classifiers = metadata.get_all("Classifier") or []
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "casekit/py.typed" in names
    leaked = [n for n in names if any(fnmatch.fnmatch(n, p) for p in NOT_SHIPPED)]
    assert not leaked, leaked
    assert all(n.startswith(("casekit/", info)) for n in names), names


def test_licence_is_mit_for_the_casekit_developers() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 casekit developers\n")
