"""Start a new page: its Markdown file, its first snippet and its entry in mkdocs.yml's nav.

Command line (``make new-page SECTION=fundamentals TITLE="Batch normalization"`` calls it)::

    python -m sitetools.scaffold [--root DIR] SECTION TITLE

writes ``docs/<section>/<slug>.md``, ``snippets/<section>/<slug>/first_snippet.py`` and the page's
notebook, ``notebooks/<section>/<slug>.ipynb`` (`sitetools.page_notebooks`), and adds
``- <Title>: <section>/<slug>.md`` at the end of the section's list in ``nav``. A content page
(:func:`sitetools.skeleton.is_content_page`) is written in the skeleton of one: a "Before you
start" box, then key takeaways and exercises before its references. The new page passes the
site's checks as it is; then replace its placeholder prose and rename the snippet after what it
shows. Nothing is overwritten: an unknown section, a title that is empty, longer than 80
characters, on more than one line or holding markup, or an existing page is refused before any
file is written; and the written mkdocs.yml and page are read back (with MkDocs's YAML loader and
the site's own page transform) before success is reported, or else restored.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import posixpath
import re
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from sitetools import markup, page_notebooks, skeleton

__all__ = [
    "MAX_TITLE_LENGTH",
    "Scaffold",
    "ScaffoldError",
    "check_written",
    "create_page",
    "nav_sections",
    "plan_page",
    "slugify",
]

SNIPPET_NAME = "first_snippet.py"
# A key the bibliography is sure to keep (the site's opening pages cite it); any key would do, as
# long as it exists, because `[[references]]` on a page that cites nothing fails the build.
PREFERRED_KEY = "lecun2015"
MAX_TITLE_LENGTH = 80
# What the page's "# Title" line would read as markup: an embed or list ([[...]]), a citation
# ([@key]), inline code, raw HTML, or attr_list's {: ...}.
_TITLE_MARKUP = ("[[", "[@", "`", "<", "{")
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
    # Zl and Zp are U+2028 and U+2029, which YAML and str.splitlines() read as line breaks.
    if any(
        unicodedata.category(c).startswith("C") or unicodedata.category(c) in {"Zl", "Zp"}
        for c in title
    ):
        raise ScaffoldError(
            "`title` must be one line of text without control characters or line and "
            f"paragraph separators. Received: title={title!r}"
        )
    if len(title) > MAX_TITLE_LENGTH:
        raise ScaffoldError(
            f"`title` must be at most {MAX_TITLE_LENGTH} characters long (it names the page's "
            f"file). Received: title={title!r} ({len(title)} characters)"
        )
    markup_found = [token for token in _TITLE_MARKUP if token in title]
    if markup_found:
        raise ScaffoldError(
            "`title` must be plain text, without the site's embed and citation syntax or "
            f"Markdown and HTML markup ({' '.join(_TITLE_MARKUP)}); found "
            f"{' '.join(markup_found)}. Received: title={title!r}"
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


def _prerequisites(mkdocs_text: str, uri: str) -> str:
    """The placeholder prerequisites: a link to the content page read just before ``uri``."""
    entries = skeleton.nav_entries(mkdocs_text)
    order = [entry_uri for _, entry_uri in entries]
    earlier = entries[: order.index(uri)] if uri in order else entries
    previous = [entry for entry in earlier if skeleton.is_content_page(entry[1])]
    if not previous:
        return skeleton.NO_PREREQUISITES
    title, previous_uri = previous[-1]
    link = posixpath.relpath(previous_uri, posixpath.dirname(uri))
    name = title or posixpath.splitext(posixpath.basename(previous_uri))[0]
    return (
        f"[{name}]({link}), the page read just before this one; "
        "link the earlier pages whose ideas this one uses."
    )


def _page_text(*, section: str, slug: str, title: str, key: str, prerequisites: str | None) -> str:
    """The new page; with ``prerequisites`` (a content page), in the skeleton of one."""
    description = f"One sentence about {title} for search results and link previews."
    snippet = f"[[snippet {section}/{slug}/{SNIPPET_NAME}]]"
    box = end = ""
    if prerequisites is not None:
        box = f"""
{skeleton.BOX_LINE}
    **Prerequisites:** {prerequisites}

    **What you will learn:**

    - What a reader can explain or do after this page, one idea per bullet.
    - Three to five bullets, in the order the page takes them up.
    - Only what the page itself shows or cites.
"""
        end = f"""
{skeleton.TAKEAWAYS}

- The page's main points again, one per bullet, three to five of them.
- Nothing new: every fact here is one the page states above with its citation.
- No number that a run prints; that belongs to the snippet's output.

{skeleton.EXERCISES}

1. Change one value in `{SNIPPET_NAME}`, say which, and ask the reader to predict what the
   output will show before running it.
2. Ask a question that the output or figure of `{SNIPPET_NAME}` answers.
"""
    return f"""---
title: {_yaml_scalar(title)}
description: {_yaml_scalar(description)}
---

# {title}
{box}
State the idea of this page in a few sentences, one sentence per line.
Back each fact with a citation of a primary source, like this one [@{key}].

## A first example

Say what the program below shows and what to look for in its output.

{snippet}
{end}
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
    new_mkdocs_text = "".join(lines)
    prerequisites = _prerequisites(new_mkdocs_text, uri) if skeleton.is_content_page(uri) else None
    return Scaffold(
        page=page,
        page_text=_page_text(
            section=section,
            slug=slug,
            title=title,
            key=_citation_key(root),
            prerequisites=prerequisites,
        ),
        snippet=snippet_dir / SNIPPET_NAME,
        snippet_text=_SNIPPET_TEXT,
        mkdocs_text=new_mkdocs_text,
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
        ScaffoldError: see :func:`plan_page`; nothing is written then. Also when mkdocs.yml or
            the page, read back after writing, does not load or would fail the build: every
            file is then restored as it was.
    """
    plan = plan_page(root, section, title)
    mkdocs_path = root / "mkdocs.yml"
    mkdocs_before = mkdocs_path.read_bytes()
    # The page's notebook (sitetools/page_notebooks.py), which the checks require committed.
    notebook = root / page_notebooks.notebook_path(plan.page.relative_to("docs").as_posix())
    created = [
        d
        for path in (plan.snippet, notebook.relative_to(root))
        for d in reversed((root / path).parents)
        if not d.exists()
    ]
    created = list(dict.fromkeys(created))
    try:
        (root / plan.snippet).parent.mkdir(parents=True)
        (root / plan.page).write_text(plan.page_text, encoding="utf-8")
        (root / plan.snippet).write_text(plan.snippet_text, encoding="utf-8")
        mkdocs_path.write_text(plan.mkdocs_text, encoding="utf-8")
        check_written(root, plan, section=section, title=title)
        notebook.parent.mkdir(parents=True, exist_ok=True)
        notebook.write_text(
            page_notebooks.to_ipynb(root, plan.page.relative_to("docs").as_posix()),
            encoding="utf-8",
        )
    except BaseException:
        # Leave the repository as it was: a half-written page would fail the next build, and a
        # broken mkdocs.yml every later scaffold.
        mkdocs_path.write_bytes(mkdocs_before)
        for path in (root / plan.page, root / plan.snippet, notebook):
            path.unlink(missing_ok=True)
        for folder in reversed(created):
            if folder.is_dir():
                folder.rmdir()
        raise
    return plan


def _load_mkdocs_yml(text: str) -> Any:
    """Parse mkdocs.yml as MkDocs does: its loader also builds !!python/name objects and !ENV."""
    from mkdocs.utils.yaml import get_yaml_loader

    loader = get_yaml_loader()
    # !relative needs the loaded config to mean anything; here only whether it parses matters.
    loader.add_constructor("!relative", lambda _loader, node: node.value)
    # The full loader, as MkDocs uses: mkdocs.yml is the repository's own file, not input.
    return yaml.load(text, Loader=loader)


def check_written(root: Path, plan: Scaffold, *, section: str, title: str) -> None:
    """Check that mkdocs.yml and the page, as written, load and pass the page's checks.

    Raises:
        ScaffoldError: naming the file that does not load and why, or what keeps a content
            page from following the skeleton (:func:`sitetools.skeleton.problems`).
    """
    from mkdocs.utils.meta import get_data

    uri = plan.page.relative_to("docs").as_posix()
    try:
        config = _load_mkdocs_yml((root / "mkdocs.yml").read_text(encoding="utf-8"))
    except (yaml.YAMLError, ImportError, ValueError) as exc:
        raise ScaffoldError(f"mkdocs.yml no longer loads after adding {uri}: {exc}") from exc
    if not _nav_lists(config.get("nav") if isinstance(config, dict) else None, {title: uri}):
        raise ScaffoldError(f"mkdocs.yml's nav, read back, lacks `{plan.nav_line}`")
    text = (root / plan.page).read_text(encoding="utf-8")
    body, meta = get_data(text)
    if meta.get("title") != title or not meta.get("description"):
        raise ScaffoldError(
            f"{plan.page.as_posix()}: the front matter, read back, gives "
            f"title={meta.get('title')!r}, not {title!r}"
        )
    try:
        markup.transform(
            body,
            page_uri=uri,
            root=root,
            references=markup.load_references(root / "docs" / "research" / "references.yml"),
            render_snippet=lambda _name, _section, _code: "",
            line_offset=text.count("\n", 0, len(text) - len(body)),
        )
    except markup.MarkupError as exc:
        raise ScaffoldError(f"the new page would fail the build: {exc}") from exc
    if skeleton.is_content_page(uri):
        order = skeleton.reading_order((root / "mkdocs.yml").read_text(encoding="utf-8"))
        missing = skeleton.problems(text, page_uri=uri, order=order)
        if missing:
            raise ScaffoldError(
                "the new page would not follow a content page's skeleton: " + "; ".join(missing)
            )


def _nav_lists(nav: Any, entry: dict[str, str]) -> bool:
    """Whether ``entry`` appears anywhere in a nav tree (lists of str or one-key dicts)."""
    if isinstance(nav, list):
        return any(item == entry or _nav_lists(item, entry) for item in nav)
    if isinstance(nav, dict):
        return any(_nav_lists(value, entry) for value in nav.values())
    return False


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
    print(f"created {page_notebooks.notebook_path(plan.page.relative_to('docs').as_posix())}")
    print(f"added to mkdocs.yml nav: {plan.nav_line}")
    print("next:")
    print(f"  make snippets PAGE={section_page}  # run its snippet")
    print("  make serve  # preview it at http://127.0.0.1:8000")
    print("  make notebooks  # after renaming or adding snippets: the page's notebook follows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
