"""Rebuild one page alone, after running its snippets afresh: the contributor's edit loop.

``make snippets PAGE=vision/input-pipelines`` calls this. It runs the snippets the page embeds,
with no cache, then builds that page and nothing else (the other pages, their snippets and the
bibliography check are left out) into ``site-preview/``, in seconds rather than the minutes of
a full build. The page's links to other pages lead nowhere in the preview; ``make serve``
builds the whole site.

    python -m sitetools.preview vision/input-pipelines [--cached] [--show-runtime-log]
        [--site-dir DIR]

``--show-runtime-log`` prints each snippet's TensorFlow C++ log lines under it (see
`sitetools.snippets`).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sitetools import snippets
from sitetools._cli import command_parser
from sitetools.markup import page_url, snippet_embeds

ROOT = Path(__file__).resolve().parents[1]
# The hooks (sitetools/hooks.py) read this: set, they build this page alone.
PAGE_VARIABLE = "DLCV_PAGE"


class PreviewError(Exception):
    """A page that does not exist, or one of its snippets failed."""


def page_source(root: Path, page: str) -> str:
    """Return the page's source path under docs/ (``section/page.md``) from a selector.

    Accepts ``section/page``, ``section/page.md``, ``docs/section/page.md`` and a section
    (its ``index.md``).

    Examples:
        >>> page_source(ROOT, "docs/vision/input-pipelines.md")
        'vision/input-pipelines.md'
    """
    name = page.strip().strip("/").removeprefix("docs/").removesuffix(".md").removesuffix(".py")
    docs = root / "docs"
    for candidate in (f"{name}.md", f"{name}/index.md", f"{name}.py"):
        if name and (docs / candidate).is_file():
            return candidate
    pages = sorted(
        p.relative_to(docs).with_suffix("").as_posix()
        for p in docs.rglob("*.md")
        if "assets" not in p.parts
    )
    raise PreviewError(
        f"`PAGE` must name a page under docs/, as section/page. Received: PAGE={page!r}. "
        f"Pages: {', '.join(pages)}"
    )


def preview(
    root: Path,
    page: str,
    *,
    site_dir: Path | None = None,
    fresh: bool = True,
    show_runtime_log: bool = False,
    log: Callable[[str], None] = print,
) -> Path:
    """Run one page's snippets (afresh by default), build that page alone; return its HTML file.

    Raises:
        PreviewError: if `page` names no page, or one of its snippets fails.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    root = root.resolve()
    source = page_source(root, page)
    site_dir = (site_dir or root / "site-preview").resolve()
    start = time.perf_counter()
    embedded = snippet_embeds((root / "docs" / source).read_text(encoding="utf-8"))
    if embedded:
        results = snippets.run_all(
            root, selectors=embedded, fresh=fresh, show_runtime_log=show_runtime_log, log=log
        )
        log(snippets.summarize(results))
        if not all(result.ok for result in results):
            raise PreviewError(f"a snippet of docs/{source} failed; the page was not rebuilt")
    previous = os.environ.get(PAGE_VARIABLE)
    os.environ[PAGE_VARIABLE] = source
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    try:
        config = load_config(str(root / "mkdocs.yml"), site_dir=str(site_dir))
        build(config)
    finally:
        if previous is None:
            os.environ.pop(PAGE_VARIABLE, None)
        else:
            os.environ[PAGE_VARIABLE] = previous
    html = site_dir / page_url(source) / "index.html"
    log(f"docs/{source} rebuilt alone in {time.perf_counter() - start:.1f} s: {html}")
    log(f"see it with: python -m http.server --bind 127.0.0.1 --directory {site_dir} 8001")
    return html


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("sitetools.preview", __doc__)
    parser.add_argument("page", help="the page, as section/page (docs/section/page.md)")
    parser.add_argument("--cached", action="store_true", help="reuse cached snippet results")
    parser.add_argument(
        "--show-runtime-log", action="store_true", help="print the snippets' TensorFlow C++ log"
    )
    parser.add_argument("--site-dir", type=Path, default=None, help="default: site-preview/")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s - %(message)s")
    try:
        preview(
            args.root,
            args.page,
            site_dir=args.site_dir,
            fresh=not args.cached,
            show_runtime_log=args.show_runtime_log,
        )
    except (PreviewError, snippets.SnippetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
