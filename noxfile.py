"""Developer sessions: ``nox -s tests typecheck lint bench``."""

from __future__ import annotations

import glob

import nox

nox.options.sessions = ["tests", "typecheck", "lint"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "not quality", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("mypy", "--strict", "src", "examples")


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "examples", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "examples", "benchmarks")


@nox.session
def examples(session: nox.Session) -> None:
    session.install("-e", ".")
    for script in sorted(glob.glob("examples/*.py")):
        session.run("python", script)


@nox.session
def bench(session: nox.Session) -> None:
    session.install("-e", ".[bench]")
    scripts = session.posargs or sorted(glob.glob("benchmarks/*.py"))
    for script in scripts:
        session.run("python", script)
