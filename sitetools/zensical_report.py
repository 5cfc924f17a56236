"""Compare the site MkDocs built with the one Zensical built from the same mkdocs.yml.

Material for MkDocs reaches end of life in 2027 and names Zensical as its successor
(docs/contributing/architecture.md). Zensical applies the site's Markdown extension
(sitetools/mdext.py), so snippets, outputs and citations come out as in the MkDocs build, but
not MkDocs's hooks and plugins. The report lists only the pages whose text differs, each with
what in the MkDocs page explains it (a walkthrough notebook, the API reference, formulas that
the KaTeX hook rendered), and says how many match. It never fails: CI runs it in a job that
does not block.

Command line::

    python -m sitetools.zensical_report MKDOCS_SITE ZENSICAL_SITE   # Markdown on stdout
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import html
import re
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["MATCH_SIMILARITY", "PageDiff", "compare_sites", "format_report"]

# Two pages whose article texts are at least this similar, with no unexpanded markup and as many
# images, match.
MATCH_SIMILARITY = 0.99

_ARTICLE = re.compile(r"<article\b[^>]*>(?P<body>.*?)</article>", re.S)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
# Code shows the markup on purpose (the contributing guide explains it).
_CODE = re.compile(r"<(pre|code)\b.*?</\1>", re.S | re.I)
_IMG = re.compile(r"<img\b", re.I)
# Our own Markdown extensions (sitetools.markup), visible as text when they were not expanded.
_RAW_MARKUP = re.compile(r"\[\[(?:snippet|source|include|references|bibliography)\b|\[@[\w-]+")
# What MkDocs alone does to a page, recognised in its HTML: a likely cause of a difference.
_MKDOCS_ONLY = (
    ("walkthrough notebook (mkdocs-jupyter)", re.compile(r'class="[^"]*\bjupyter-wrapper\b')),
    ("API reference (mkdocstrings)", re.compile(r'class="[^"]*\bdoc-contents\b')),
    ("formulas (KaTeX, an MkDocs hook)", re.compile(r'class="katex\b')),
)


@dataclasses.dataclass(frozen=True)
class PageDiff:
    """How one page differs between the two builds."""

    page: str
    similarity: float  # 0 to 1, difflib's ratio of the two article texts' words
    raw_markup: int  # our markup left unexpanded in Zensical's page, outside code
    images: tuple[int, int]  # <img> count in (MkDocs, Zensical)
    # What MkDocs alone did to the page (see _MKDOCS_ONLY), which likely explains a difference.
    causes: tuple[str, ...] = ()

    @property
    def matches(self) -> bool:
        """Whether the two builds show the same page."""
        return (
            self.similarity >= MATCH_SIMILARITY
            and self.raw_markup == 0
            and self.images[0] == self.images[1]
        )


def _article(path: Path) -> str:
    source = path.read_text(encoding="utf-8", errors="replace")
    match = _ARTICLE.search(source)
    return _SCRIPT_STYLE.sub(" ", match["body"] if match else source)


def _text(body: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", body)).split())


def _pages(site: Path) -> set[str]:
    return {
        p.relative_to(site).as_posix()
        for p in site.rglob("index.html")
        if not p.relative_to(site).as_posix().startswith(("assets/", "_snippets/"))
    }


def compare_sites(mkdocs_site: Path, zensical_site: Path) -> tuple[list[PageDiff], list[str]]:
    """Compare every page the two builds share; also list pages only one of them has.

    Args:
        mkdocs_site: folder of the MkDocs build (the published site).
        zensical_site: folder of the Zensical build of the same sources.

    Returns:
        The shared pages' differences, least similar first, and the pages only one build has
        (each prefixed with which build has it).

    Raises:
        NotADirectoryError: if either folder does not exist.
    """
    for name, folder in (("mkdocs_site", mkdocs_site), ("zensical_site", zensical_site)):
        if not folder.is_dir():
            raise NotADirectoryError(f"`{name}` must be a built site folder. Received: {folder}")
    ours, theirs = _pages(mkdocs_site), _pages(zensical_site)
    diffs = []
    for page in sorted(ours & theirs):
        body_a, body_b = _article(mkdocs_site / page), _article(zensical_site / page)
        text_a, text_b = _text(body_a), _text(body_b)
        # Word by word: character by character takes minutes on the longest pages.
        words_a, words_b = text_a.split(), text_b.split()
        ratio = (
            1.0
            if words_a == words_b
            else difflib.SequenceMatcher(None, words_a, words_b, autojunk=False).ratio()
        )
        raw = len(_RAW_MARKUP.findall(_text(_CODE.sub(" ", body_b))))
        images = (len(_IMG.findall(body_a)), len(_IMG.findall(body_b)))
        causes = tuple(name for name, pattern in _MKDOCS_ONLY if pattern.search(body_a))
        diffs.append(PageDiff(page, round(ratio, 3), raw, images, causes))
    diffs.sort(key=lambda d: (d.similarity, d.page))
    only = [f"MkDocs only: {p}" for p in sorted(ours - theirs)]
    only += [f"Zensical only: {p}" for p in sorted(theirs - ours)]
    return diffs, only


def format_report(diffs: Sequence[PageDiff], only: Sequence[str]) -> str:
    """The comparison as a Markdown report (for a CI job summary): the pages that differ."""
    differ = [d for d in diffs if not d.matches]
    lines = [
        "## Zensical build compared with the MkDocs build",
        "",
        f"{len(diffs)} pages in both builds; {len(diffs) - len(differ)} match (text similarity "
        f"≥ {MATCH_SIMILARITY}, no unexpanded markup, as many images).",
    ]
    if differ:
        lines += [
            "",
            f"The {len(differ)} that differ:",
            "",
            "| Page | Text similarity | Unexpanded markup | Images (MkDocs / Zensical) "
            "| MkDocs alone did |",
            "|---|---:|---:|---:|---|",
        ]
        lines += [
            f"| {d.page} | {d.similarity:.3f} | {d.raw_markup} | {d.images[0]} / {d.images[1]} "
            f"| {', '.join(d.causes) or '?'} |"
            for d in differ
        ]
    if only:
        lines += ["", "Pages only one build has:", "", *[f"- {item}" for item in only]]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mkdocs_site", type=Path)
    parser.add_argument("zensical_site", type=Path)
    args = parser.parse_args(argv)
    diffs, only = compare_sites(args.mkdocs_site, args.zensical_site)
    sys.stdout.write(format_report(diffs, only))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
