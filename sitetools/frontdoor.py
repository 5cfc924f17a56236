"""The home page's gallery and its facts about the build, computed when the site is built.

A Python-Markdown extension, listed in mkdocs.yml as ``sitetools.frontdoor`` after
``sitetools.mdext``, which finds the page being converted as that extension does and reads its
settings (the snippet cache, the repository's address). A page writes, each on a line of its
own, outside code blocks::

    [[site-facts]]   how many pages, snippets and references this build has, and where and at
                     which commit its snippets ran (from the snippet cache's provenance records)
    [[gallery]]      one figure from each page whose snippets saved any, in reading order
                     (mkdocs.yml's nav), each linking to its page

The gallery shows each page's first figure, the file the page itself shows (under
``_snippets/``), with the alt text the snippet saved: nothing is copied or redrawn.

Example:
    >>> facts = Facts(pages=27, notebooks=4, snippets=58, references=150,
    ...               runs=[Run("CPU (2 cores)", "0123abc", "2026-12-01", 58)])
    >>> print(facts_markdown(facts, repo_url="https://github.com/o/n"))
    This build has **27** pages that teach, **4** walkthrough notebooks, **58** snippets and **150** references.
    Every snippet's output on it ran on CPU (2 cores) at commit <a href="https://github.com/o/n/commit/0123abc">0123abc</a> (2026-12-01).
"""  # noqa: E501

from __future__ import annotations

import collections
import dataclasses
import html
import posixpath
import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markdown import Markdown  # type: ignore[import-untyped]
from markdown.preprocessors import Preprocessor  # type: ignore[import-untyped]

from sitetools import markup, mdext, skeleton, snippets
from sitetools._one_processor import OneProcessorExtension

__all__ = [
    "Facts",
    "FrontDoor",
    "GalleryItem",
    "Run",
    "facts_markdown",
    "gallery_items",
    "gallery_markdown",
    "makeExtension",
    "site_facts",
]

# After sitetools.mdext (35) has expanded the page, before whitespace is normalised (30).
PRIORITY = 34
_LINE_RE = re.compile(r"^\[\[(?P<kind>site-facts|gallery)\]\][ \t]*$")


@dataclasses.dataclass(frozen=True)
class Run:
    """Snippet results that ran on one device at one commit: how many, and the newest date."""

    device: str
    commit: str
    date: str
    count: int


@dataclasses.dataclass(frozen=True)
class Facts:
    """What one build of the site holds."""

    pages: int  # content pages (sitetools.skeleton) in the nav
    notebooks: int  # walkthrough notebooks in the nav
    snippets: int  # snippet files
    references: int  # bibliography entries
    runs: list[Run]  # where the snippet results came from, most snippets first
    pending: int = 0  # snippets without a result yet (only under `make serve`)


def _nav(root: Path) -> list[tuple[str | None, str]]:
    config = root / "mkdocs.yml"
    if not config.is_file():
        raise markup.MarkupError(f"{mdext.NAME}: no mkdocs.yml in {root}, whose nav orders pages")
    return skeleton.nav_entries(config.read_text(encoding="utf-8"))


# Each snippet's result (None: not run yet), by its name under snippets/.
Results = dict[str, snippets.Result | None]


def site_facts(root: Path, *, cache: Path | None = None, results: Results | None = None) -> Facts:
    """Count the pages, snippets and references under `root`, and group the snippet results
    by the device and the commit they ran at: `results` (the build's snapshot, by snippet name),
    or those in the cache."""
    nav = [uri for _, uri in _nav(root)]
    found = results if results is not None else snippets.collect(root, cache_root=cache)
    groups: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for result in found.values():
        if result is not None:
            prov = result.provenance
            key = (str(prov.get("device", "?")), str(prov.get("commit", "?")))
            groups[key].append(str(prov.get("date", "?")))
    runs = [
        Run(device, commit, max(dates), len(dates)) for (device, commit), dates in groups.items()
    ]
    runs.sort(key=lambda run: (-run.count, run.device, run.commit))
    references = markup.load_references(root / "docs" / mdext.REFERENCES_FILE)
    return Facts(
        pages=sum(1 for uri in nav if skeleton.is_content_page(uri)),
        notebooks=sum(1 for uri in nav if uri.endswith("/walkthrough.py")),
        snippets=len(found),
        references=len(references),
        runs=runs,
        pending=sum(1 for result in found.values() if result is None),
    )


def _join(parts: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def facts_markdown(facts: Facts, *, repo_url: str | None) -> str:
    """Two sentences for the home page: the counts, then where the snippets ran."""
    counts = (
        f"This build has **{facts.pages}** pages that teach, **{facts.notebooks}** walkthrough "
        f"notebooks, **{facts.snippets}** snippets and **{facts.references}** references."
    )
    if not facts.runs:
        return counts + "\nNo snippet has run yet."
    places = []
    for run in facts.runs:
        where = (
            f"on {html.escape(run.device)} at commit {markup.commit_html(run.commit, repo_url)}"
            f" ({run.date})"
        )
        places.append(where if len(facts.runs) == 1 else f"{run.count} {where}")
    lead = "Every snippet's output on it ran " if len(facts.runs) == 1 else "Its snippets ran: "
    pending = f" {facts.pending} have not run yet." if facts.pending else ""
    return f"{counts}\n{lead}{_join(places)}.{pending}"


@dataclasses.dataclass(frozen=True)
class GalleryItem:
    """One figure of the gallery: the page that shows it and the figure itself."""

    page: str  # path under docs/
    title: str
    uri: str  # the figure's path under the site root
    alt: str
    size: tuple[int, int] | None  # (width, height) in pixels, when the PNG header says


def _png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, or None when the file is no PNG."""
    try:
        with path.open("rb") as file:
            head = file.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def gallery_items(
    root: Path,
    *,
    cache: Path | None = None,
    placeholders: bool = False,
    results: Results | None = None,
) -> list[GalleryItem]:
    """The first figure of each page whose snippets saved any, in the nav's order, from
    `results` (the build's snapshot, by snippet name) or from the cache.

    With `placeholders` (``make serve``, while the snippets run) a snippet without a result yet
    is passed over; the page is built again when it has one.

    Raises:
        markup.MarkupError: when a page's snippet has no result in the cache (placeholders
            aside).
    """
    keys = snippets.CacheKeys(root, cache or root / ".cache" / "snippets")
    items = []
    for title, uri in _nav(root):
        path = root / "docs" / uri
        if not uri.endswith(".md") or not path.is_file():
            continue
        for name in markup.snippet_embeds(path.read_text(encoding="utf-8")):
            if results is not None:
                result = results.get(name)
            else:
                result = snippets.cached_result(root / "snippets" / name, keys=keys)
            if result is None and placeholders:
                continue
            if result is None:
                raise markup.MarkupError(
                    f"{mdext.NAME}: the gallery needs a run result for snippets/{name}: run "
                    f"python -m sitetools.snippets run {name}"
                )
            if result.figures:
                figure = result.figures[0]
                items.append(
                    GalleryItem(
                        page=uri,
                        title=title or uri,
                        uri=mdext.figure_uri(name, figure.name),
                        alt=figure.alt,
                        size=_png_size(figure.path),
                    )
                )
                break
    return items


def gallery_markdown(items: Sequence[GalleryItem], *, page: str, html_base: str) -> str:
    """A grid of figures, each a link to its page (a Markdown link, which the generator checks
    and rewrites), its caption the page's title.

    Example:
        >>> item = GalleryItem("vision/video.md", "Video", "_snippets/v/f.png", "Frames", (8, 4))
        >>> print(gallery_markdown([item], page="index.md", html_base=""))
        <div class="dlcv-gallery" markdown>
        <BLANKLINE>
        [<img src="_snippets/v/f.png" alt="Frames" loading="lazy" width="8" height="4"><span>Video</span>](vision/video.md)
        <BLANKLINE>
        </div>
    """  # noqa: E501
    here = posixpath.dirname(page) or "."
    lines = ['<div class="dlcv-gallery" markdown>', ""]
    for item in items:
        image = markup.figure_html(posixpath.relpath(item.uri, html_base or "."), item.alt)
        if item.size is not None:
            image = image.removesuffix(">") + f' width="{item.size[0]}" height="{item.size[1]}">'
        title = html.escape(item.title)
        lines += [f"[{image}<span>{title}</span>]({posixpath.relpath(item.page, here)})", ""]
    lines.append("</div>")
    return "\n".join(lines)


def _markup_extension(md: Markdown) -> Any:
    for extension in md.registeredExtensions:
        if isinstance(extension, mdext.MarkupExtension):
            return extension
    raise markup.MarkupError(
        f"sitetools.frontdoor needs {mdext.NAME} before it in the extension list: it reads the "
        "page and the snippet cache from that extension's settings"
    )


class _Expand(Preprocessor):  # type: ignore[misc]  # Markdown is untyped
    def run(self, lines: list[str]) -> list[str]:
        wanted = [
            (i, match["kind"])
            for i, prose in markup._outside_code(lines)
            if prose and (match := _LINE_RE.match(lines[i]))
        ]
        if not wanted:
            return lines
        settings = _markup_extension(self.md).getConfigs()
        context = mdext._context(self.md, settings["page"], settings["docs_dir"])
        if context is None:
            raise markup.MarkupError(
                "sitetools.frontdoor: [[site-facts]] and [[gallery]] need to know the page: "
                "convert it through MkDocs or Zensical, or set sitetools.mdext's `page`"
            )
        cache = Path(settings["cache"]).resolve() if settings["cache"] else None
        # The build's snapshot of the results, as sitetools.mdext reads it (sitetools/hooks.py
        # registers exactly those figures as files of the site); without one, the cache.
        snapshot = settings.get("results")
        results = snapshot if isinstance(snapshot, dict) else None
        out = list(lines)
        for i, kind in wanted:
            if kind == "site-facts":
                text = facts_markdown(
                    site_facts(context.root, cache=cache, results=results),
                    repo_url=settings["repo_url"] or None,
                )
            else:
                items = gallery_items(
                    context.root,
                    cache=cache,
                    placeholders=bool(settings["placeholders"]),
                    results=results,
                )
                text = gallery_markdown(items, page=context.page, html_base=context.html_base)
            out[i] = text
        return "\n".join(out).split("\n")


class FrontDoor(OneProcessorExtension):
    """Expands ``[[site-facts]]`` and ``[[gallery]]`` (see the module's docstring)."""

    processor, stage, registered_name = _Expand, "preprocessors", "dlcv_frontdoor"
    priority = PRIORITY


makeExtension = FrontDoor  # the entry point Python-Markdown calls with the configuration
