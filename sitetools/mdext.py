"""The site's page transforms (`sitetools.markup`) as a Python-Markdown extension.

mkdocs.yml lists it under ``markdown_extensions`` as ``sitetools.mdext``, so every generator
that renders pages with Python-Markdown from that list (MkDocs, Zensical) expands snippet and
source embeds, includes, citations, reference lists, snippet outputs and provenance lines the
same way. It runs first, before whitespace is normalised and fenced code is read, so the rest of
the Markdown chain sees what the page would say had it been written out by hand.

Python-Markdown converts text, not files, and the embeds need the page's path (links, figure
addresses and error messages are relative to it). The extension takes it from, in this order:

1. its own ``page`` setting (and ``docs_dir``), for a caller that converts one page itself;
2. Zensical's rendering context, the ``rendering_context`` preprocessor that Zensical registers
   on each page's Markdown, holding the page's ``path`` and ``url`` and the project's
   ``root_dir`` and ``docs_dir``;
3. MkDocs's ``relpath`` treeprocessor, which MkDocs registers on each page's Markdown before
   converting it, holding the page's ``file`` and the ``config``.

Text converted without any of these (a docstring that mkdocstrings renders under MkDocs) is
left alone when it holds none of this markup, and raises `MarkupError` when it does.

Snippet results are read from the cache (``.cache/snippets``), never produced here: run
``python -m sitetools.snippets run`` before the site generator (``make build`` does). A snippet
without a result raises `MarkupError`, which fails the build; only with ``placeholders: true``,
which sitetools/hooks.py sets under ``make serve``, does it show a "Running…" placeholder.

The files a page links to (each snippet's file and its figures, under ``_snippets/``) are not
pages, and Markdown cannot add files to a site: MkDocs gets them from sitetools/hooks.py, any
other generator from ``python -m sitetools.mdext copy-files SITE_DIR`` after its build.

Example:
    >>> import markdown
    >>> docs = Path(markup.__file__).resolve().parents[1] / "docs"
    >>> extension = MarkupExtension(page="index.md", docs_dir=str(docs))
    >>> html = markdown.markdown("Deep nets [@lecun2015].", extensions=[extension])
    >>> 'href="research/bibliography.md#lecun2015"' in html
    True
"""

from __future__ import annotations

import argparse
import posixpath
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# Python-Markdown ships no type information (and pyproject.toml, which the snippet cache keys
# hash, is left alone for it).
from markdown import Extension, Markdown  # type: ignore[import-untyped]
from markdown.preprocessors import Preprocessor  # type: ignore[import-untyped]

from sitetools import glossary, install, markup, page_notebooks, snippets

__all__ = ["NAME", "MarkupExtension", "PageContext", "makeExtension", "site_files"]

# How mkdocs.yml names the extension (sitetools/hooks.py looks its settings up by it).
NAME = "sitetools.mdext"
FIGURES_DIR = "_snippets"
REFERENCES_FILE = "research/references.yml"
GLOSSARY_FILE = "research/glossary.yml"
# Above Python-Markdown's whitespace normalisation (30) and every fenced-code reader
# (pymdownx.superfences 28.1, fenced_code 25): the page is expanded before anyone reads it.
PRIORITY = 35
# Below sitetools.frontdoor's preprocessor (34), which adds text too, and above Python-Markdown's
# whitespace normalisation (30): the abbreviations see every word the page will show.
ABBREVIATIONS_PRIORITY = 31
_ANY_MARKUP = re.compile(
    r"\[\[(?:snippet|source|include|references|bibliography)\b|" + markup.CITE_RE.pattern
)


class PageContext:
    """Where the page being converted lives: its path under docs/, its URL and docs/ itself.

    ``html_base`` is the folder an address in raw HTML (a figure's ``<img src>``) is relative
    to: MkDocs leaves raw HTML alone, so the browser reads it from the page's URL; Zensical
    rewrites it as it rewrites Markdown links, from the page's source folder.
    """

    def __init__(
        self, page: str, url: str, docs_dir: Path, *, html_base: str | None = None
    ) -> None:
        self.page = page
        self.url = url
        self.docs_dir = docs_dir
        self.html_base = url.rstrip("/") if html_base is None else html_base

    @property
    def root(self) -> Path:
        """The repository root: the folder holding docs/, snippets/ and dlcv/."""
        return self.docs_dir.parent


def _context(md: Markdown, page: str, docs_dir: str) -> PageContext | None:
    """The page being converted, from the extension's settings or the generator (see above)."""
    if page:
        if not docs_dir:
            raise markup.MarkupError(
                f"{NAME}: `docs_dir` must be set with `page`. Received: page={page!r}, docs_dir=''"
            )
        return PageContext(page, markup.page_url(page), Path(docs_dir).resolve())
    if "rendering_context" in md.preprocessors:  # Zensical
        context: Any = md.preprocessors["rendering_context"]
        config = context.config
        folder = Path(config["root_dir"], config["docs_dir"]).resolve()
        path = context.page.path
        return PageContext(path, context.page.url, folder, html_base=posixpath.dirname(path))
    if "relpath" in md.treeprocessors:  # MkDocs
        relpath: Any = md.treeprocessors["relpath"]
        file = relpath.file
        return PageContext(file.src_uri, file.url, Path(relpath.config["docs_dir"]).resolve())
    return None


def _line_offset(path: Path, text: str) -> int:
    """How many lines of the page's file precede `text`: the generator has cut its front
    matter. 0 when the file does not end with the text."""
    try:
        source = path.read_text(encoding="utf-8").rstrip("\n")
    except (OSError, UnicodeDecodeError):
        return 0
    text = text.rstrip("\n")
    if not text or not source.endswith(text):
        return 0
    return source.count("\n", 0, len(source) - len(text))


_MEMO: dict[tuple[str, Path], tuple[tuple[int, int], Any]] = {}


def _read_memo(kind: str, path: Path, read: Any) -> Any:
    """``read(path)``, reread only when the file changes (MkDocs converts page after page)."""
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = (-1, -1)
    memo = _MEMO.get((kind, path))
    if memo is None or memo[0] != stamp:
        memo = (stamp, read(path))
        _MEMO[(kind, path)] = memo
    return memo[1]


def _references(path: Path) -> dict[str, markup.Reference]:
    return dict(_read_memo("references", path, markup.load_references))


def _glossary(path: Path) -> list[glossary.Term]:
    return list(_read_memo("glossary", path, glossary.load))


def _series(root: Path) -> str:
    def read(path: Path) -> str:
        return install.release_series(path.read_text(encoding="utf-8") if path.is_file() else "")

    return str(_read_memo("series", root / "CHANGELOG.md", read))


def _size(path: Path) -> tuple[int, int]:
    """A PNG's width and height in pixels, read from its header."""
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def figure_uri(name: str, figure: str) -> str:
    """Where a snippet's figure is served from, under the site root.

    Example:
        >>> figure_uri("vision/video/frames.py", "frames.png")
        '_snippets/vision/video/frames/frames.png'
    """
    return f"{FIGURES_DIR}/{name.removesuffix('.py')}/{figure}"


def site_files(root: Path, results: Iterable[snippets.Result]) -> list[tuple[str, Path]]:
    """(path under the site root, file) of each file the snippet blocks link to: every
    snippet's own file (its download link) and every figure it saved."""
    files = []
    for result in results:
        files.append((f"{FIGURES_DIR}/{result.name}", root / "snippets" / result.name))
        files += [(figure_uri(result.name, f.name), f.path) for f in result.figures]
    return files


class _Expand(Preprocessor):  # type: ignore[misc]  # Markdown is untyped
    def __init__(self, md: Markdown, extension: MarkupExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        settings = self.extension.getConfigs()
        context = _context(self.md, settings["page"], settings["docs_dir"])
        if context is None:
            if _ANY_MARKUP.search(text) is None:
                return lines
            raise markup.MarkupError(
                f"{NAME}: this text uses the site's markup ([[snippet ...]], [@key], ...), but "
                "the page it belongs to is unknown: set the extension's `page` and `docs_dir`, "
                "or convert it through MkDocs or Zensical"
            )
        return self.expand(text, context, settings).split("\n")

    def expand(self, text: str, context: PageContext, settings: dict[str, Any]) -> str:
        root, page = context.root, context.page
        where = f"docs/{page}"
        series = _series(root)

        # The build's snapshot of the results (sitetools/hooks.py), when it hands one over: a
        # result saved while the build runs (make serve) waits for the next build, whose files
        # include its figures and download; without one, the cache is read.
        snapshot = settings["results"] if isinstance(settings["results"], dict) else None
        if snapshot is None:
            cache = Path(settings["cache"]).resolve() if settings["cache"] else None
            keys = snippets.CacheKeys(root, cache or root / ".cache" / "snippets")

        def render_snippet(name: str, section: str | None, code: str) -> str:
            if snapshot is not None:
                result = snapshot.get(name)
            else:
                result = snippets.cached_result(root / "snippets" / name, keys=keys)
            if result is None and settings["placeholders"]:
                return markup.placeholder_block(name=name, code=code)
            if result is None:
                raise markup.MarkupError(
                    f"{where}: no run result for snippets/{name}; run the snippets before "
                    f"building the site: python -m sitetools.snippets run {name}"
                )
            # The figure is raw HTML (markup.figure_html): see PageContext.html_base.
            base = context.html_base or "."
            figures = [
                markup.FigureShown(
                    posixpath.relpath(figure_uri(name, f.name), base),
                    f.alt,
                    f.caption,
                    *_size(f.path),
                )
                for f in result.figures
            ]
            whole = download = None
            if section is not None:
                # An excerpt does not run alone: the whole program goes beside it (markup.py).
                whole = markup.whole_program((root / "snippets" / name).read_text(encoding="utf-8"))
                download = posixpath.relpath(
                    f"{FIGURES_DIR}/{name}", posixpath.dirname(page) or "."
                )
            return markup.snippet_block(
                name=name,
                code=code,
                stdout=result.stdout,
                figures=figures,
                provenance=result.provenance,
                cpu_seconds=result.cpu_seconds,
                whole=whole,
                download=download,
                install=install.install_line(series, result.extras),
                repo_url=settings["repo_url"] or None,
            )

        cited = settings["cited"]
        offset = _line_offset(context.docs_dir / page, text)
        # The glossary table ([[glossary]]); the abbreviations come later (`_Abbreviations`).
        terms = _glossary(context.docs_dir / settings["glossary"]) if settings["glossary"] else []
        text = glossary.insert_table(text, page_uri=page, terms=terms, docs_dir=context.docs_dir)
        expanded = markup.transform(
            text,
            page_uri=page,
            root=root,
            references=_references(context.docs_dir / settings["references"]),
            render_snippet=render_snippet,
            cited=cited if isinstance(cited, set) else None,
            line_offset=offset,
        )
        if not page.endswith(".md") or not markup.snippet_embeds(text):
            return expanded
        # A page with snippets offers them as one notebook (sitetools/page_notebooks.py), which
        # the site serves under _notebooks/ and Colab opens from the repository.
        repo_url = settings["repo_url"] or ""
        repository = repo_url.removeprefix("https://github.com/") or page_notebooks.repository(root)
        return page_notebooks.insert_links(
            expanded, page_notebooks.links_line(page, repository=repository)
        )


class _Abbreviations(Preprocessor):  # type: ignore[misc]  # Markdown is untyped
    """Appends the ``abbr`` definitions of the glossary terms a page uses, once every embed and
    count is in its text (`glossary.with_abbreviations`)."""

    def __init__(self, md: Markdown, extension: MarkupExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        settings = self.extension.getConfigs()
        context = _context(self.md, settings["page"], settings["docs_dir"])
        if context is None or not settings["glossary"]:
            return lines
        terms = _glossary(context.docs_dir / settings["glossary"])
        return glossary.with_abbreviations("\n".join(lines), terms).split("\n")


class MarkupExtension(Extension):  # type: ignore[misc]  # Markdown is untyped
    """Expands the site's embeds and citations in each page (see the module's docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "page": ["", "the page's path under docs_dir; empty: from MkDocs or Zensical"],
            "docs_dir": ["", "the docs folder, with `page`"],
            "references": [REFERENCES_FILE, "the bibliography, under docs_dir"],
            "glossary": [GLOSSARY_FILE, "the acronyms, under docs_dir; empty: none"],
            "cache": ["", "the snippet cache folder; empty: .cache/snippets in the repository"],
            "placeholders": [False, "show a placeholder for a snippet without a result"],
            "repo_url": [
                "",
                "the repository's address; the provenance lines link their commits there",
            ],
            # Any value but a set is ignored; not None, which Markdown would turn into a bool.
            "cited": ["", "a set that collects every key the pages cite (sitetools/hooks.py)"],
            "results": [
                "",
                "a dict of each snippet's result or None, read once for the whole build "
                "(sitetools/hooks.py); any other value: each page reads the cache",
            ],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        md.preprocessors.register(_Expand(md, self), "dlcv_markup", PRIORITY)
        md.preprocessors.register(
            _Abbreviations(md, self), "dlcv_abbreviations", ABBREVIATIONS_PRIORITY
        )


def makeExtension(**kwargs: Any) -> MarkupExtension:
    """The entry point Python-Markdown calls for ``sitetools.mdext`` in an extension list."""
    return MarkupExtension(**kwargs)


def copy_files(root: Path, site_dir: Path) -> int:
    """Copy the files the snippet blocks link to, and the page notebooks, into a built site;
    return how many.

    For a generator without MkDocs's hooks (Zensical), after its build. Every snippet must
    have a result in the cache.

    Raises:
        snippets.SnippetError: naming the snippets without a result.
    """
    if not site_dir.is_dir():
        raise snippets.SnippetError(f"`site_dir` must be a built site folder. Received: {site_dir}")
    found = snippets.collect(root)
    missing = sorted(name for name, result in found.items() if result is None)
    if missing:
        raise snippets.SnippetError(
            f"no run result for {', '.join(missing)}: run python -m sitetools.snippets run"
        )
    files = site_files(root, [r for r in found.values() if r is not None])
    for uri, path in files:
        target = site_dir / uri
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    # Each page's notebook, which its "Run the whole page" line offers for download.
    commit = snippets._commit(root)
    pages = page_notebooks.pages(root)
    for page in pages:
        target = site_dir / page_notebooks.notebook_path(page, folder=page_notebooks.SITE_FOLDER)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page_notebooks.to_ipynb(root, page, commit=commit), encoding="utf-8")
    return len(files) + len(pages)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitetools.mdext")
    sub = parser.add_subparsers(dest="command", required=True)
    copying = sub.add_parser(
        "copy-files", help="copy snippet files and figures into a site another generator built"
    )
    copying.add_argument("site_dir", type=Path)
    copying.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    try:
        count = copy_files(args.root.resolve(), args.site_dir)
    except snippets.SnippetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{NAME}: copied {count} snippet files, figures and notebooks into {args.site_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
