"""What a reader installs to run a snippet: the one ``pip install`` line its page shows.

A snippet's page names the distribution (``dlcv-kb``, at the release series the site documents)
and any extra the snippet needs. The line is not typed by hand: `requirements_of` reads the
imports the snippet makes, keeps those it really made in its run (the recorder in
``sitetools/_recorder`` lists the modules each run imported), maps them to the distributions
that provide them, and checks that installing ``dlcv-kb`` (with an extra, if one is needed)
brings each of them. A snippet that imports anything else fails, naming the module.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib.metadata as metadata
import re
import sys
from collections.abc import Iterable, Mapping, Sequence

from packaging.requirements import Requirement

__all__ = [
    "DISTRIBUTION",
    "FIRST_RELEASE",
    "Requirements",
    "direct_imports",
    "install_line",
    "release_series",
    "requirements_of",
]

# The name on PyPI: `dlcv` there is an unrelated project; the import name is still `dlcv`.
DISTRIBUTION = "dlcv-kb"
# The version the install lines name until CHANGELOG.md records a release.
FIRST_RELEASE = "0.1.0"
# The extras a snippet may need, in the order they are tried.
EXTRAS = ("gpu",)

_RELEASE = re.compile(r"^## \[(\d+)\.(\d+)\.\d+\]", re.M)


def release_series(changelog: str) -> str:
    """X.Y of the newest release CHANGELOG.md records, or of the first one while none is out.

    Example:
        >>> release_series("## [Unreleased]\\n\\n## [0.2.1] - 2026-01-02\\n## [0.2.0] - 2026")
        '0.2'
        >>> release_series("## [Unreleased]\\n")
        '0.1'
    """
    match = _RELEASE.search(changelog)
    if match is None:
        return ".".join(FIRST_RELEASE.split(".")[:2])
    return f"{match[1]}.{match[2]}"


def install_line(series: str, extras: Sequence[str] = ()) -> str:
    """The command that installs what a snippet needs.

    Example:
        >>> install_line("0.1")
        'pip install "dlcv-kb==0.1.*"'
        >>> install_line("0.1", ["gpu"])
        'pip install "dlcv-kb[gpu]==0.1.*"'
    """
    name = DISTRIBUTION + (f"[{','.join(extras)}]" if extras else "")
    return f'pip install "{name}=={series}.*"'


def direct_imports(source: str) -> list[str]:
    """The top-level modules a program's own import statements name, standard library aside.

    Example:
        >>> direct_imports("import os, numpy as np\\nfrom dlcv.data import x\\nfrom . import y")
        ['dlcv', 'numpy']
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return sorted(name for name in names if name not in sys.stdlib_module_names)


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def _providers() -> Mapping[str, list[str]]:
    return metadata.packages_distributions()


@functools.cache
def _closure(extras: tuple[str, ...] = ()) -> frozenset[str]:
    """The distributions that installing dlcv-kb with `extras` brings, as installed here."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    todo = [(DISTRIBUTION, extras)]
    while todo:
        name, wanted = todo.pop()
        if (_key(name), wanted) in seen:
            continue
        seen.add((_key(name), wanted))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in map(Requirement, requires):
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in ("", *wanted)):
                todo.append((requirement.name, tuple(sorted(requirement.extras))))
    return frozenset(name for name, _ in seen)


@dataclasses.dataclass(frozen=True)
class Requirements:
    """What a snippet needs installed.

    Attributes:
        extras: the extras of ``dlcv-kb`` it needs, e.g. ``("gpu",)``; usually none.
        distributions: each directly imported module with the distribution that provides it.
        problems: one line per import that installing ``dlcv-kb`` does not provide.
    """

    extras: tuple[str, ...]
    distributions: tuple[tuple[str, str], ...]
    problems: tuple[str, ...]


def requirements_of(source: str, imported: Iterable[str]) -> Requirements:
    """Check a snippet's imports against what installing ``dlcv-kb`` brings.

    Args:
        source: the snippet's text; its import statements name what it uses directly.
        imported: the top-level modules its run imported (the recorder's list), so that only
            imports the run really made count.

    Returns:
        The extras it needs and, in `problems`, every direct import that neither ``dlcv-kb``
        nor one of its extras installs.
    """
    made = set(imported)
    providers = _providers()
    base = _closure()
    with_extra = {extra: _closure((extra,)) for extra in EXTRAS}
    extras: set[str] = set()
    found, problems = [], []
    for name in direct_imports(source):
        if name not in made:
            continue  # imported in a branch this run did not take
        dists = [_key(d) for d in providers.get(name, [])]
        if name == "dlcv":
            dists = [DISTRIBUTION]
        if not dists:
            problems.append(f"imports `{name}`, which no installed distribution provides")
            continue
        found.append((name, dists[0]))
        if any(d in base for d in dists):
            continue
        extra = next((e for e in EXTRAS if any(d in with_extra[e] for d in dists)), None)
        if extra is None:
            problems.append(
                f"imports `{name}` (from {', '.join(dists)}), which `pip install "
                f"{DISTRIBUTION}` does not install: use what dlcv-kb depends on, or add it "
                "to dlcv-kb's dependencies"
            )
        else:
            extras.add(extra)
    return Requirements(tuple(sorted(extras)), tuple(found), tuple(problems))
