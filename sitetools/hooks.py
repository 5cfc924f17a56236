"""MkDocs hooks: run the snippets, then expand embeds and citations in every page.

Listed under ``hooks:`` in mkdocs.yml. The build fails (also without ``--strict``) when a
snippet fails, an embed or citation does not resolve, or a bibliography entry is cited by no page.

``DLCV_PLACEHOLDERS=1`` (what ``make serve`` sets, beside a snippet runner in the background)
runs no snippet: a snippet without a result yet shows a placeholder naming the command that
runs it, and every result the runner saves rebuilds the site, with live reload. It is honoured
by ``mkdocs serve`` alone; a build with it fails, so no built or published site shows one.
"""

from __future__ import annotations

import logging
import os
import posixpath
import sys
from pathlib import Path
from typing import Any

# MkDocs loads this file by path; make its package importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from sitetools import install, katex, markup, notebooks, snippets

log = logging.getLogger("mkdocs.hooks.dlcv")

REFERENCES_FILE = "research/references.yml"
FIGURES_DIR = "_snippets"

_state: dict[str, Any] = {}
PLACEHOLDERS_VARIABLE = "DLCV_PLACEHOLDERS"
# Set by on_startup for `mkdocs serve`: MkDocs reloads this file for every rebuild, and calls
# on_startup only once, so the command is kept where a reloaded module finds it.
_SERVING_VARIABLE = "_DLCV_HOOKS_SERVING"


def on_startup(command: str, dirty: bool) -> None:
    if command == "serve":
        os.environ[_SERVING_VARIABLE] = "1"
    else:
        os.environ.pop(_SERVING_VARIABLE, None)


def placeholders() -> bool:
    """Whether pages show a placeholder for snippets that have not run yet.

    Raises:
        PluginError: if `DLCV_PLACEHOLDERS` is set outside `mkdocs serve`.
    """
    if os.environ.get(PLACEHOLDERS_VARIABLE, "").lower() not in {"1", "true", "yes"}:
        return False
    if os.environ.get(_SERVING_VARIABLE) != "1":
        raise PluginError(
            f"{PLACEHOLDERS_VARIABLE}=1 is for `mkdocs serve` (make serve) only: a built site "
            "must show every snippet's result, so unset it to build"
        )
    return True


def _root(config: Any) -> Path:
    # The repository root is the folder holding docs/ (and snippets/, dlcv/ beside it).
    return Path(config.docs_dir).resolve().parent


def build_versions(root: Path) -> str:
    """One line naming what built the site: Python, TensorFlow, Keras and the dlcv commit."""
    from importlib import metadata
    from platform import python_version

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    return (
        f"Built with Python {python_version()}, TensorFlow {version('tensorflow')}, "
        f"Keras {version('keras')}, dlcv {snippets._commit(root)}"
    )


def _page_mode() -> str | None:
    """The page `python -m sitetools.preview` builds alone (docs/<it>), or None: the whole site."""
    return os.environ.get("DLCV_PAGE") or None


SITE_URL_VARIABLE = "DLCV_SITE_URL"


def repository(config: Any) -> str:
    """``owner/name`` of the GitHub repository that mkdocs.yml's ``repo_url`` names.

    Raises:
        PluginError: if ``repo_url`` is not a GitHub repository's address.
    """
    url = (config.repo_url or "").rstrip("/")
    prefix = "https://github.com/"
    name = url.removeprefix(prefix)
    if not url.startswith(prefix) or name.count("/") != 1:
        raise PluginError(
            f"mkdocs.yml: repo_url must be https://github.com/OWNER/NAME, not {url!r}"
        )
    return name


def on_config(config: Any) -> Any:
    root = _root(config)
    # The published address, where the publish workflow knows it (GitHub Pages' base_url).
    site_url = os.environ.get(SITE_URL_VARIABLE, "").strip()
    if site_url:
        config.site_url = site_url.rstrip("/") + "/"
    # Snippets' install lines name the release series CHANGELOG.md documents.
    changelog = root / "CHANGELOG.md"
    _state["series"] = install.release_series(
        changelog.read_text(encoding="utf-8") if changelog.is_file() else ""
    )
    page = _page_mode()
    if page is not None:
        # One page alone: a nav of that page, and its links to the absent pages are expected.
        config.nav = [page]
        for group in (config.validation.nav, config.validation.links):
            for check in ("omitted_files", "not_found", "absolute_links", "anchors"):
                if check in group:
                    group[check] = logging.DEBUG
        # ...and so are its cross-references to the API reference, which is left out too.
        logging.getLogger("mkdocs.plugins.mkdocs_autorefs").setLevel(logging.ERROR)
    # Material shows `copyright` in every page's footer: readers see what the site ran with.
    versions = build_versions(root)
    config.copyright = f"{config.copyright} · {versions}" if config.copyright else versions
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None:
        # mkdocs-jupyter keys its cache on the notebook alone; key it on dlcv and the locked
        # versions too, as the snippet cache is, so a change to dlcv reruns the notebooks.
        jupyter.config["cache_dir"] = str(
            root / ".cache" / "notebooks" / snippets.environment_hash(root)[:16]
        )
        if os.environ.get("DLCV_SNIPPET_CACHE", "").lower() in {"off", "0", "no"}:
            jupyter.config["cache"] = False
        # sitetools.notebooks runs the notebooks (on_pre_page) and checks their output data;
        # mkdocs-jupyter only renders what that run produced.
        jupyter.config["execute"] = False
    return config


def on_files(files: Files, config: Any) -> Files:
    root = _root(config)
    fresh = os.environ.get("DLCV_SNIPPET_CACHE", "").lower() in {"off", "0", "no"}
    selectors: list[str] = []
    page = _page_mode()
    if page is not None:
        if files.get_file_from_path(page) is None:
            raise PluginError(f"DLCV_PAGE={page!r} is not a page under docs/")
        for file in list(files.documentation_pages()):
            if file.src_uri != page:
                files.remove(file)
        selectors = markup.snippet_embeds(Path(config.docs_dir, page).read_text(encoding="utf-8"))
    _state["placeholders"] = placeholders()
    try:
        if _state["placeholders"]:
            # Read what the background runner has saved so far; run nothing here.
            found = snippets.collect(root)
            results = [r for r in found.values() if r is not None]
            pending = sorted(name for name, r in found.items() if r is None)
            if pending:
                log.info(f"snippets: {len(pending)} not run yet, shown as placeholders")
        elif selectors or page is None:
            results = snippets.run_all(root, selectors=selectors, fresh=fresh, log=log.info)
        else:
            results = []
    except snippets.SnippetError as exc:
        raise PluginError(str(exc)) from exc
    failed = [r for r in results if not r.ok]
    if failed:
        raise PluginError(snippets.summarize(results))
    log.info(snippets.summarize(results))
    _state["results"] = {r.name: r for r in results}
    for result in results:
        # The file itself, for the download link under a page's excerpt of it.
        files.append(
            File.generated(
                config,
                f"{FIGURES_DIR}/{result.name}",
                abs_src_path=str(root / "snippets" / result.name),
            )
        )
        for figure in result.figures:
            uri = f"{FIGURES_DIR}/{result.name.removesuffix('.py')}/{figure.name}"
            files.append(File.generated(config, uri, abs_src_path=str(figure.path)))
    try:
        _state["references"] = markup.load_references(Path(config.docs_dir) / REFERENCES_FILE)
    except markup.MarkupError as exc:
        raise PluginError(str(exc)) from exc
    _state["cited"] = set()
    return files


def _front_matter_lines(file: File, markdown: str) -> int:
    """How many lines of the page's file precede `markdown`: MkDocs has cut its front matter."""
    try:
        source = file.content_string
    except (OSError, UnicodeDecodeError):
        return 0
    if not markdown or not source.endswith(markdown):
        return 0
    return source.count("\n", 0, len(source) - len(markdown))


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    root = _root(config)
    page_uri = page.file.src_uri
    results = _state["results"]

    def render_snippet(name: str, section: str | None, code: str) -> str:
        result = results.get(name)
        if result is None and _state["placeholders"]:
            return markup.placeholder_block(name=name, code=code)
        if result is None:
            raise markup.MarkupError(f"docs/{page_uri}: no run result for snippets/{name}")
        # The figure is raw HTML (markup.figure_html), which MkDocs does not rewrite: its
        # address is relative to where the page is served, not to the page's source file.
        figures = [
            (
                get_relative_url(f"{FIGURES_DIR}/{name.removesuffix('.py')}/{fig.name}", page.url),
                fig.alt,
            )
            for fig in result.figures
        ]
        whole = download = None
        if section is not None:
            # An excerpt does not run alone: the whole program goes beside it (markup.py).
            source = (root / "snippets" / name).read_text(encoding="utf-8")
            whole = markup.whole_program(source)
            download = posixpath.relpath(
                f"{FIGURES_DIR}/{name}", posixpath.dirname(page_uri) or "."
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
            install=install.install_line(_state["series"], result.extras),
        )

    try:
        return markup.transform(
            markdown,
            page_uri=page_uri,
            root=root,
            references=_state["references"],
            render_snippet=render_snippet,
            cited=_state["cited"],
            line_offset=_front_matter_lines(page.file, markdown),
        )
    except markup.MarkupError as exc:
        raise PluginError(str(exc)) from exc


def on_pre_page(page: Any, config: Any, files: Files) -> Any:
    """Hand mkdocs-jupyter the executed, checked notebook instead of the walkthrough's source.

    mkdocs-jupyter (whose hooks run before these) has replaced the page's `render` by one that
    converts ``page.file.abs_src_path``; this wraps it to run the notebook first
    (`notebooks.execute`, cached) and to point it at the executed ``.ipynb`` meanwhile.
    """
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is None or not page.file.src_uri.endswith("/" + notebooks.SOURCE_NAME):
        return page
    source = page.file.abs_src_path
    cache_dir = Path(jupyter.config["cache_dir"]) / "executed"
    where = f"docs/{page.file.src_uri}"
    render = page.render

    def render_executed(config: Any, files: Files) -> None:
        try:
            executed = notebooks.execute(Path(source), cache_dir=cache_dir, where=where)
        except notebooks.NotebookError as exc:
            raise PluginError(str(exc)) from exc
        page.file.abs_src_path = str(executed)
        try:
            render(config, files)
        finally:
            page.file.abs_src_path = source

    page.render = render_executed
    return page


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    where = f"docs/{page.file.src_uri}"
    notebook = page.file.src_uri.endswith("/" + notebooks.SOURCE_NAME)
    if notebook:
        # nbconvert's HTML loads MathJax and Mermaid from CDNs and leaves formulas as $...$:
        # drop the scripts and mark the formulas, which KaTeX then renders as on other pages.
        try:
            html = notebooks.strip_third_party(html, where=where)
            html = notebooks.mark_math(html)
        except notebooks.NotebookError as exc:
            raise PluginError(str(exc)) from exc
    html = markup.unwrap_plain_tokens(html)
    try:
        html = katex.render_math(html, root=_root(config), where=where)
    except katex.KatexError as exc:
        raise PluginError(str(exc)) from exc
    if not notebook:
        return html
    return notebooks.notebook_links(html, src_uri=page.file.src_uri, repository=repository(config))


def on_post_page(output: str, page: Any, config: Any) -> str:
    # Formulas are HTML by now (on_page_content): a page without any needs no KaTeX stylesheet,
    # and a page with some gets its fonts preloaded.
    return katex.adjust_assets(output)


def on_env(env: Any, config: Any, files: Files) -> Any:
    # Every page's Markdown has been read by now, so every citation has been seen.
    if _page_mode() is not None:
        return env  # one page alone cites only part of the bibliography
    unused = sorted(set(_state["references"]) - _state["cited"])
    if unused:
        raise PluginError(
            f"docs/{REFERENCES_FILE}: entries cited by no page: {', '.join(unused)} "
            "(cite them with [@key] or remove them)"
        )
    return env


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    root = _root(config)
    for folder in ("snippets", "dlcv"):
        if (root / folder).is_dir():
            server.watch(str(root / folder))
    if placeholders():
        # Each result the background runner saves rebuilds the site: its page fills in.
        cache = root / ".cache" / "snippets"
        cache.mkdir(parents=True, exist_ok=True)
        server.watch(str(cache))
    return server
