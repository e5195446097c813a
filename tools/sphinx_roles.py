"""Rewrite the Sphinx roles in casekit's docstrings into mkdocstrings cross-references.

``:class:`Router``` becomes ``[`Router`][]`` (resolved by mkdocstrings-python's scoped
cross-references, ``scoped_crossrefs: true`` in mkdocs.yml, from the docstring's own scope as
Sphinx would), ``[`title`][casekit.full.path]`` where the scope does not find it, and plain
``` `Router` ``` where the API reference renders no such object (the standard library, private
helpers).

Usage: build the site once (``mkdocs build``), then
``python tools/sphinx_roles.py site/objects.inv`` from the repository root; review the diff.
A merge that brings new roles back is fixed by running it again.
"""

from __future__ import annotations

import collections
import contextlib
import re
import sys
import zlib
from pathlib import Path

import griffe

ROLE = re.compile(
    r":(?:py:)?(class|meth|func|mod|attr|data|exc|obj|const):`(~?)([^`<]+?)(?:\s*<([^>`]+)>)?`"
)


def inventory(path: Path) -> set[str]:
    """The identifiers the built site can link to (its Sphinx-format objects.inv)."""
    header, _, body = path.read_bytes().partition(b"zlib.\n")
    assert header.startswith(b"# Sphinx inventory version 2"), header[:40]
    return {line.split()[0] for line in zlib.decompress(body).decode().splitlines() if line}


def documented(obj: griffe.Object) -> list[griffe.Object]:
    """Every object under ``obj`` (itself included) that has a docstring, aliases skipped."""
    found = [obj] if obj.docstring else []
    for member in obj.members.values():
        if not member.is_alias:
            found.extend(documented(member))  # type: ignore[arg-type]
    return found


def scoped(owner: griffe.Object, identifier: str) -> str:
    """What mkdocstrings-python's scoped cross-references make of ``identifier``."""
    first, dot, rest = identifier.partition(".")
    with contextlib.suppress(griffe.NameResolutionError):
        first = owner.resolve(first)
    return f"{first}{dot}{rest}"


def explicit(
    package: griffe.Object, owner: griffe.Object, identifier: str, known: set[str]
) -> str | None:
    """A full path the site knows for ``identifier`` as seen from ``owner``, or None."""
    if identifier in known:
        return identifier
    scopes: list[griffe.Object] = []
    obj: griffe.Object | None = owner
    while obj is not None:
        scopes.append(obj)
        obj = obj.parent  # type: ignore[assignment]
    for scope in scopes:
        if scope.is_class or scope.is_module:
            first, _, rest = identifier.partition(".")
            members = scope.all_members if scope.is_class else scope.members
            if first in members:
                member = members[first]
                base = member.target_path if member.is_alias else member.path
                # Inherited members are documented under the class that inherits them.
                if scope.is_class and first not in scope.members:
                    base = f"{scope.path}.{first}"
                candidate = f"{base}.{rest}" if rest else base
                if candidate in known:
                    return candidate
    # Last resort, for a class or a dotted name (``Router.explain``), never a bare method
    # name: one public object of that name anywhere in the package.
    if "." not in identifier and not identifier[:1].isupper():
        return None
    tail = f".{identifier}"
    public = sorted(
        k for k in known if k.endswith(tail) and not any(p.startswith("_") for p in k.split("."))
    )
    if len(public) == 1:
        return public[0]
    # Several public paths: fine when they all name one object (re-exports).
    if public and len({_canonical(package, k) for k in public}) == 1:
        return min(public, key=len)
    return None


def _canonical(package: griffe.Object, path: str) -> str:
    try:
        obj = package[path.removeprefix("casekit.")]
    except (KeyError, griffe.AliasResolutionError):
        return path
    try:
        return obj.canonical_path
    except griffe.AliasResolutionError:
        return path


def _same(package: griffe.Object, path: str, other: str) -> bool:
    return path == other or _canonical(package, path) == _canonical(package, other)


def rewrite(known: set[str]) -> collections.Counter[str]:
    """Rewrite every role in a docstring under src/casekit; return what was made of them."""
    package = griffe.load("casekit", search_paths=["src"], resolve_aliases=True)
    by_file: dict[Path, list[griffe.Object]] = collections.defaultdict(list)
    for obj in documented(package):
        by_file[Path(obj.filepath)].append(obj)  # type: ignore[arg-type]
    counts: collections.Counter[str] = collections.Counter()
    for path, objects in sorted(by_file.items()):
        lines = path.read_text().splitlines(keepends=True)
        changed = False
        for obj in objects:
            doc = obj.docstring
            assert doc is not None
            assert doc.lineno
            assert doc.endlineno
            for number in range(doc.lineno - 1, doc.endlineno):
                line = lines[number]

                def replace(
                    match: re.Match[str], obj: griffe.Object = obj, path: Path = path
                ) -> str:
                    _, tilde, target, explicit_target = match.groups()
                    identifier = (explicit_target or target).removesuffix("()").lstrip(".")
                    if explicit_target:
                        title = target.strip()
                    else:
                        title = identifier.rsplit(".", 1)[-1] if tilde else target
                    target_path = scoped(obj, identifier)
                    if target_path in known:
                        counts["scoped"] += 1
                        # The title alone, where the scope finds the same object by it.
                        if title == identifier or _same(package, scoped(obj, title), target_path):
                            return f"[`{title}`][]"
                        return f"[`{title}`][{identifier}]"
                    full = explicit(package, obj, identifier, known)
                    if full is not None:
                        counts["explicit"] += 1
                        return f"[`{title}`][{full}]"
                    counts["plain"] += 1
                    print(f"{path}: no target for {match.group(0)}", file=sys.stderr)
                    return f"`{title}`"

                new = ROLE.sub(replace, line)
                if new != line:
                    lines[number] = new
                    changed = True
        if changed:
            path.write_text("".join(lines))
    return counts


if __name__ == "__main__":
    print(rewrite(inventory(Path(sys.argv[1]))))
