"""Start a new page: its Markdown file, its first snippet and its entry in mkdocs.yml's nav.

Command line (``make new-page SECTION=fundamentals TITLE="Batch normalization"`` calls it)::

    python -m sitetools.scaffold [--root DIR] SECTION TITLE

writes ``docs/<section>/<slug>.md`` and ``snippets/<section>/<slug>/first_snippet.py`` and adds
``- <Title>: <section>/<slug>.md`` at the end of the section's list in ``nav``. The new page
passes the site's checks as it is; then replace its placeholder prose and rename the snippet after
what it shows. Nothing is overwritten: an unknown section, an empty title or an existing page is
refused before any file is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import yaml

from sitetools import markup

__all__ = [
    "Scaffold",
    "ScaffoldError",
    "create_page",
    "nav_sections",
    "plan_page",
    "slugify",
]

SNIPPET_NAME = "first_snippet.py"
# A key the bibliography is sure to keep (the site's opening pages cite it); any key would do, as
# long as it exists, because `[[references]]` on a page that cites nothing fails the build.
PREFERRED_KEY = "lecun2015"
_NAV_RE = re.compile(r"^nav:\s*(#.*)?$")
_SECTION_INDEX_RE = re.compile(r"^(?P<indent>[ \t]*)- (?P<section>[\w.-]+)/index\.md[ \t]*(#.*)?$")


class ScaffoldError(ValueError):
    """An argument is wrong or the page exists; the message names the argument and the fix."""


@dataclasses.dataclass(frozen=True)
class Scaffold:
    """What :func:`create_page` writes: paths relative to the repository root, and their text."""

    page: Path
    page_text: str
    snippet: Path
    snippet_text: str
    mkdocs_text: str
    nav_line: str


def slugify(title: str) -> str:
    """Return the file name stem for a title: "Batch normalization" → "batch-normalization"."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")


def _yaml_scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when YAML reads it back unchanged, else double-quoted."""
    try:
        if yaml.safe_load(f"k: {text}") == {"k": text}:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)


def nav_sections(mkdocs_text: str) -> dict[str, tuple[int, str]]:
    """Map each section that can take pages to (line index of its last nav item, item indent).

    A section is a list in ``nav`` whose first item is ``<section>/index.md``; a new page goes
    after the list's last item (and after any line nested deeper under that item).
    """
    lines = mkdocs_text.splitlines()
    start = next((i for i, line in enumerate(lines) if _NAV_RE.match(line)), None)
    if start is None:
        return {}
    found: dict[str, tuple[int, str]] = {}
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if line.strip() and not line[0].isspace() and not line.startswith("-"):
            break  # the next top-level key: nav is over
        match = _SECTION_INDEX_RE.match(line)
        if match is None:
            i += 1
            continue
        indent = match["indent"]
        last = i
        j = i + 1
        while j < len(lines):
            nxt = lines[j]
            if not nxt.strip() or nxt.lstrip().startswith("#"):
                j += 1
                continue
            width = len(nxt) - len(nxt.lstrip())
            if width > len(indent):
                last = j  # nested under the current item
            elif width == len(indent) and nxt.lstrip().startswith("- "):
                last = j  # the next item of this section
            else:
                break
            j += 1
        found[match["section"]] = (last, indent)
        i = j
    return found


def _check_arguments(section: str, title: str, sections: Sequence[str]) -> str:
    if section not in sections:
        raise ScaffoldError(
            f"`section` must be one of the sections in mkdocs.yml's nav ({', '.join(sections)}). "
            f"Received: section={section!r}"
        )
    if not title.strip():
        raise ScaffoldError(f"`title` must be a non-empty string. Received: title={title!r}")
    if any(unicodedata.category(c).startswith("C") for c in title):
        raise ScaffoldError(
            "`title` must be one line of text without control characters. "
            f"Received: title={title!r}"
        )
    slug = slugify(title)
    if not slug:
        raise ScaffoldError(
            "`title` must contain letters or digits to name the page file. "
            f"Received: title={title!r}"
        )
    return slug


def _citation_key(root: Path) -> str:
    refs = markup.load_references(root / "docs" / "research" / "references.yml")
    if PREFERRED_KEY in refs:
        return PREFERRED_KEY
    if not refs:
        raise ScaffoldError(
            "docs/research/references.yml has no entry to cite; the page's [[references]] "
            "needs at least one"
        )
    return next(iter(refs))


def _page_text(*, section: str, slug: str, title: str, key: str) -> str:
    description = f"One sentence about {title} for search results and link previews."
    return f"""---
title: {_yaml_scalar(title)}
description: {_yaml_scalar(description)}
---

# {title}

State the idea of this page in a few sentences, one sentence per line.
Back each fact with a citation of a primary source, like this one [@{key}].

## A first example

Say what the program below shows and what to look for in its output.

[[snippet {section}/{slug}/{SNIPPET_NAME}]]

## References

[[references]]
"""


_SNIPPET_TEXT = '''\
"""A first snippet: rename this file after what it shows and make it teach the page's idea."""

import keras
import numpy as np

# Seeded, so every run (and the page) shows the same numbers.
keras.utils.set_random_seed(0)

inputs = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
layer = keras.layers.Dense(2)
outputs = keras.ops.convert_to_numpy(layer(inputs))

print("input shape: ", inputs.shape)
print("output shape:", outputs.shape)
print("outputs:")
print(np.round(outputs, 3))
'''


def plan_page(root: Path, section: str, title: str) -> Scaffold:
    """Check the arguments and return what :func:`create_page` would write, writing nothing.

    Raises:
        ScaffoldError: the section is not in nav, the title is empty, or the page, its snippet
            folder or its nav entry exists already.
    """
    mkdocs_path = root / "mkdocs.yml"
    mkdocs_text = mkdocs_path.read_text(encoding="utf-8")
    sections = nav_sections(mkdocs_text)
    slug = _check_arguments(section, title, sorted(sections))
    page = Path("docs", section, f"{slug}.md")
    snippet_dir = Path("snippets", section, slug)
    uri = f"{section}/{slug}.md"
    if (root / page).exists():
        raise ScaffoldError(
            f"`title` names a page that exists: {page.as_posix()}. Received: title={title!r}"
        )
    if (root / snippet_dir).exists():
        raise ScaffoldError(
            f"`title` names a page whose snippet folder exists: {snippet_dir.as_posix()}. "
            f"Received: title={title!r}"
        )
    if re.search(rf":\s*{re.escape(uri)}\s*(#.*)?$", mkdocs_text, re.M):
        raise ScaffoldError(
            f"`title` names a page that mkdocs.yml's nav lists already: {uri}. "
            f"Received: title={title!r}"
        )
    last, indent = sections[section]
    nav_line = f"{indent}- {_yaml_scalar(title)}: {uri}"
    lines = mkdocs_text.splitlines(keepends=True)
    newline = "\r\n" if lines[last].endswith("\r\n") else "\n"
    if not lines[last].endswith(("\n", "\r")):
        lines[last] += newline
    lines.insert(last + 1, nav_line + newline)
    return Scaffold(
        page=page,
        page_text=_page_text(section=section, slug=slug, title=title, key=_citation_key(root)),
        snippet=snippet_dir / SNIPPET_NAME,
        snippet_text=_SNIPPET_TEXT,
        mkdocs_text="".join(lines),
        nav_line=nav_line.strip(),
    )


def create_page(root: Path, section: str, title: str) -> Scaffold:
    """Write a new page, its first snippet and its nav entry under ``root``; return what it wrote.

    Args:
        root: the repository root (holding mkdocs.yml, docs/ and snippets/).
        section: a section listed in nav with its own ``<section>/index.md``, e.g. "fundamentals".
        title: the page title, e.g. "Batch normalization"; the file name is its slug.

    Returns:
        The paths written and their text.

    Raises:
        ScaffoldError: see :func:`plan_page`; nothing is written then.
    """
    plan = plan_page(root, section, title)
    (root / plan.snippet).parent.mkdir(parents=True)
    (root / plan.page).write_text(plan.page_text, encoding="utf-8")
    (root / plan.snippet).write_text(plan.snippet_text, encoding="utf-8")
    (root / "mkdocs.yml").write_text(plan.mkdocs_text, encoding="utf-8")
    return plan


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sitetools.scaffold",
        description="Create docs/<section>/<slug>.md, its first snippet and its nav entry.",
    )
    parser.add_argument("section", help="a section in mkdocs.yml's nav, e.g. fundamentals")
    parser.add_argument("title", help='the page title, e.g. "Batch normalization"')
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    try:
        plan = create_page(args.root, args.section, args.title)
    except (ScaffoldError, markup.MarkupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    section_page = plan.snippet.parent.relative_to("snippets").as_posix()
    print(f"created {plan.page.as_posix()}")
    print(f"created {plan.snippet.as_posix()}")
    print(f"added to mkdocs.yml nav: {plan.nav_line}")
    print("next:")
    print(f"  make snippets PAGE={section_page}  # run its snippet")
    print("  make serve  # preview it at http://127.0.0.1:8000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
