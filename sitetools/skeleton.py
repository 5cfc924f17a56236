"""The skeleton of a content page, and the check that a page follows it.

A content page teaches one idea with its snippets (:func:`is_content_page` says which pages are
content pages). It opens, right after its ``# Title`` line, with a box that says what to read
first and what the page teaches, and it ends, before its references, with what to remember and
what to try::

    # Title

    !!! abstract "Before you start"
        **Prerequisites:** [Tensors and operations](tensors-and-operations.md): the matrix product.

        **What you will learn:**

        - three to five bullets

    (the page)

    ## Key takeaways

    - three to five bullets that restate what the page says

    ## Exercises

    1. two or three numbered tasks, each naming one of the page's snippets, as `name.py`

    ## References

    [[references]]

Prerequisites link to pages that come earlier in the reading order (mkdocs.yml's ``nav``), or
read exactly :data:`NO_PREREQUISITES`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import Any

import yaml

from sitetools import markup

__all__ = [
    "BOX_LINE",
    "CONTENT_SECTIONS",
    "EXERCISES",
    "NO_PREREQUISITES",
    "TAKEAWAYS",
    "is_content_page",
    "nav_entries",
    "problems",
    "reading_order",
]

# The sections whose pages teach; each section's index.md, the bibliography and the glossary do not.
CONTENT_SECTIONS = ("fundamentals", "hardware", "why-deep-learning", "vision", "research")
_NOT_CONTENT = frozenset({"research/bibliography.md", "research/glossary.md"})

BOX_LINE = '!!! abstract "Before you start"'
PREREQUISITES = "**Prerequisites:**"
LEARN = "**What you will learn:**"
NO_PREREQUISITES = "None: this page starts from scratch."
TAKEAWAYS = "## Key takeaways"
EXERCISES = "## Exercises"
REFERENCES = "## References"
LEARN_BULLETS = (3, 5)
TAKEAWAY_BULLETS = (3, 5)
EXERCISE_ITEMS = (2, 3)

_H1_RE = re.compile(r"^#\s+\S")
_H2_RE = re.compile(r"^##\s+\S")
_BULLET_RE = re.compile(r"^[-*]\s+\S")
_NUMBERED_RE = re.compile(r"^\d+\.\s+\S")
_LINK_RE = re.compile(r"\[[^\]]+\]\((?P<target>[^)\s]+)\)")
_CODE_SPAN_RE = re.compile(r"`([^`]+)`")


def is_content_page(uri: str) -> bool:
    """Whether the page at ``docs/<uri>`` is a content page, which follows the skeleton.

    A content page is a Markdown page in one of :data:`CONTENT_SECTIONS`, other than the
    section's ``index.md`` and the bibliography; walkthrough notebooks are not Markdown pages.

    Examples:
        >>> [is_content_page(u) for u in ("vision/video.md", "vision/index.md",
        ...  "research/timeline.md", "research/bibliography.md", "reference/data.md",
        ...  "index.md", "vision/walkthrough.py")]
        [True, False, True, False, False, False, False]
    """
    parts = uri.split("/")
    return (
        len(parts) == 2
        and parts[0] in CONTENT_SECTIONS
        and parts[1].endswith(".md")
        and parts[1] != "index.md"
        and uri not in _NOT_CONTENT
    )


def nav_entries(mkdocs_text: str) -> list[tuple[str | None, str]]:
    """(title or None, path under docs/) of each page of mkdocs.yml's ``nav``, in order.

    Examples:
        >>> nav_entries("nav:\\n  - Home: index.md\\n  - A:\\n      - a/index.md\\n")
        [('Home', 'index.md'), (None, 'a/index.md')]
    """

    def walk(node: Any, title: str | None = None) -> list[tuple[str | None, str]]:
        if isinstance(node, str):
            return [(title, node)]
        if isinstance(node, list):
            return [entry for item in node for entry in walk(item)]
        if isinstance(node, dict):
            return [entry for key, value in node.items() for entry in walk(value, str(key))]
        return []

    config = yaml.safe_load(mkdocs_text)
    return walk(config.get("nav") if isinstance(config, dict) else None)


def reading_order(mkdocs_text: str) -> list[str]:
    """The pages of mkdocs.yml's ``nav``, as paths under docs/, in the order a reader meets them.

    Examples:
        >>> reading_order("nav:\\n  - Home: index.md\\n  - A:\\n      - a/index.md\\n"
        ...               "      - One: a/one.md\\n")
        ['index.md', 'a/index.md', 'a/one.md']
    """
    return [uri for _, uri in nav_entries(mkdocs_text)]


def _body(text: str) -> tuple[list[str], int]:
    """The page's lines after its front matter, and how many lines the front matter took."""
    lines = text.splitlines()
    if lines and lines[0] == "---" and "---" in lines[1:]:
        start = lines.index("---", 1) + 1
        return lines[start:], start
    return lines, 0


def _count(what: str, found: int, bounds: tuple[int, int]) -> str | None:
    low, high = bounds
    if low <= found <= high:
        return None
    return f"{what}: expected {low} to {high}, found {found}"


def _box(lines: list[str], start: int) -> list[str]:
    """The dedented lines of the admonition whose title line is ``lines[start]``."""
    body = []
    for line in lines[start + 1 :]:
        if line.strip() and not line.startswith("    "):
            break
        body.append(line[4:])
    while body and not body[-1].strip():
        body.pop()
    return body


def _check_prerequisites(
    paragraph: str, *, page_uri: str, order: Sequence[str], where: str
) -> list[str]:
    if paragraph == NO_PREREQUISITES:
        return []
    targets = [m["target"] for m in _LINK_RE.finditer(paragraph)]
    if not targets:
        return [
            f"{where}: {PREREQUISITES} must link to earlier pages, as "
            f"[Title](page.md), or read exactly {NO_PREREQUISITES!r}"
        ]
    found = []
    here = order.index(page_uri) if page_uri in order else len(order)
    for target in targets:
        path = target.split("#", 1)[0]
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page_uri), path))
        if "://" in target or not path.endswith(".md"):
            found.append(f"{where}: prerequisite {target} is not a relative link to a .md page")
        elif resolved not in order:
            found.append(f"{where}: prerequisite {target} is not a page in mkdocs.yml's nav")
        elif order.index(resolved) >= here:
            found.append(
                f"{where}: prerequisite {target} does not come before this page in the reading "
                "order (mkdocs.yml's nav); link only pages read earlier"
            )
    return found


def _check_top(
    lines: list[str], *, offset: int, page: str, page_uri: str, order: Sequence[str]
) -> list[str]:
    h1 = next((i for i, line in enumerate(lines) if _H1_RE.match(line)), None)
    if h1 is None:
        return [f"{page}: no '# Title' line, so no {BOX_LINE} box after it"]
    after = next((i for i in range(h1 + 1, len(lines)) if lines[i].strip()), None)
    if after is None or lines[after].rstrip() != BOX_LINE:
        return [f"{page}:{h1 + 1 + offset}: put a {BOX_LINE} box right after the '# Title' line"]
    where = f"{page}:{after + 1 + offset}"
    box = _box(lines, after)
    prerequisites = next((i for i, b in enumerate(box) if b.startswith(PREREQUISITES)), None)
    learn = next((i for i, b in enumerate(box) if b.rstrip() == LEARN), None)
    found = []
    if prerequisites is None:
        found.append(f"{where}: the box lacks its {PREREQUISITES} line")
    if learn is None:
        found.append(f"{where}: the box lacks its {LEARN} line, followed by a list")
    if prerequisites is None or learn is None:
        return found
    if learn < prerequisites:
        return [f"{where}: put {PREREQUISITES} before {LEARN} in the box"]
    paragraph = []
    for line in box[prerequisites:learn]:
        if not line.strip():
            break
        paragraph.append(line.strip())
    text = " ".join(paragraph).removeprefix(PREREQUISITES).strip()
    found += _check_prerequisites(text, page_uri=page_uri, order=order, where=where)
    bullets = sum(1 for line in box[learn + 1 :] if _BULLET_RE.match(line))
    if problem := _count(f"{where}: bullets under {LEARN}", bullets, LEARN_BULLETS):
        found.append(problem)
    return found


def _items(section: list[str], item: re.Pattern[str]) -> list[str]:
    """The text of each top-level list item of a section, its indented lines included."""
    items: list[str] = []
    open_item = False
    for line in section:
        if item.match(line):
            items.append(line)
            open_item = True
        elif open_item and line.strip() and line.startswith(" "):
            items[-1] += " " + line.strip()
        elif line.strip():
            open_item = False  # a paragraph after the list
    return items


def _check_end(lines: list[str], prose: list[bool], *, offset: int, page: str) -> list[str]:
    heads = [
        (i, lines[i].rstrip()) for i in range(len(lines)) if prose[i] and _H2_RE.match(lines[i])
    ]
    titles = [title for _, title in heads]
    found = [
        f"{page}: no '{title}' section; end the page with '{TAKEAWAYS}' then '{EXERCISES}'"
        for title in (TAKEAWAYS, EXERCISES)
        if title not in titles
    ]
    found += [
        f"{page}: '{title}' appears {titles.count(title)} times; write it once"
        for title in (TAKEAWAYS, EXERCISES)
        if titles.count(title) > 1
    ]
    if found:
        return found
    takeaways, exercises = titles.index(TAKEAWAYS), titles.index(EXERCISES)
    after = titles[exercises + 1 :]
    if exercises != takeaways + 1 or after not in ([], [REFERENCES]):
        expected = [TAKEAWAYS, EXERCISES] + ([REFERENCES] if REFERENCES in titles else [])
        return [
            f"{page}: the last sections must be {', '.join(repr(t) for t in expected)}, in that "
            f"order; found {', '.join(repr(t) for t in titles[takeaways:])}"
        ]

    def section(index: int) -> list[str]:
        start = heads[index][0] + 1
        end = heads[index + 1][0] if index + 1 < len(heads) else len(lines)
        return [lines[i] if prose[i] else "" for i in range(start, end)]

    where = f"{page}:{heads[takeaways][0] + 1 + offset}"
    bullets = len(_items(section(takeaways), _BULLET_RE))
    if problem := _count(f"{where}: bullets under '{TAKEAWAYS}'", bullets, TAKEAWAY_BULLETS):
        found.append(problem)
    where = f"{page}:{heads[exercises][0] + 1 + offset}"
    items = _items(section(exercises), _NUMBERED_RE)
    if problem := _count(
        f"{where}: numbered items under '{EXERCISES}'", len(items), EXERCISE_ITEMS
    ):
        found.append(problem)
    embeds = [posixpath.basename(name) for name in markup.snippet_embeds("\n".join(lines))]
    for number, text in enumerate(items, start=1):
        named = {posixpath.basename(span) for span in _CODE_SPAN_RE.findall(text)}
        if not named & set(embeds):
            found.append(
                f"{where}: exercise {number} names none of the page's snippets "
                f"({', '.join(embeds) or 'it embeds none'}); name one as `file.py`"
            )
    return found


def problems(text: str, *, page_uri: str, order: Sequence[str]) -> list[str]:
    """What keeps a page's text from following the skeleton; an empty list when it does.

    Args:
        text: the page file, front matter included.
        page_uri: its path under docs/, e.g. "fundamentals/what-deep-means.md".
        order: the reading order, :func:`reading_order` of mkdocs.yml.

    Returns:
        One message per problem, naming the page, the line where it can, and what to write.

    Examples:
        >>> print(problems("# T\\n\\nProse.\\n", page_uri="a/b.md", order=["a/b.md"])[0])
        docs/a/b.md:1: put a !!! abstract "Before you start" box right after the '# Title' line
    """
    lines, offset = _body(text)
    page = f"docs/{page_uri}"
    prose = [False] * len(lines)
    for index, outside in markup._outside_code(lines):
        prose[index] = outside
    return [
        *_check_top(
            [line if prose[i] else "" for i, line in enumerate(lines)],
            offset=offset,
            page=page,
            page_uri=page_uri,
            order=order,
        ),
        *_check_end(lines, prose, offset=offset, page=page),
    ]
