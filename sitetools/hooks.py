"""MkDocs hooks: what a Markdown extension cannot do for the site.

Listed under ``hooks:`` in mkdocs.yml. The pages' embeds, citations and snippet outputs are
expanded by the Markdown extension `sitetools.mdext`, which Zensical applies too; these hooks do
the rest, which needs MkDocs's build rather than one page's text:

- ``on_config``: the footer's versions line, the one-page preview (``DLCV_PAGE``), the notebook
  cache's key;
- ``on_files``: the snippet files and figures the pages link to become files of the site (read
  from the snippet cache; the build fails when a result is missing), so does each page's
  notebook (`sitetools.page_notebooks`), and the extension is told
  whether to show placeholders and where to collect citations;
- ``on_pre_page``: walkthrough notebooks are executed and checked before mkdocs-jupyter renders
  them (under ``make serve``, one not run yet is shown without outputs), and an embed or
  citation error is reported as MkDocs reports a plugin's;
- ``on_page_content`` and ``on_post_page``: formulas rendered with KaTeX, notebook HTML cleaned;
- ``on_env``: every bibliography entry is cited by some page (a check across pages);
- ``on_serve``: ``mkdocs serve`` watches snippets/, dlcv/ and the snippet and notebook caches.

The snippets run before the build (``python -m sitetools.snippets run``; ``make build`` does),
never here. The build fails (also without ``--strict``) when a snippet has no result, an embed
or citation does not resolve, or a bibliography entry is cited by no page.

``DLCV_PLACEHOLDERS=1`` (what ``make serve`` sets, beside a snippet runner in the background):
a snippet without a result yet shows a placeholder naming the command that runs it, and every
result the runner saves rebuilds the site, with live reload. It is honoured by ``mkdocs serve``
alone; a build with it fails, so no built or published site shows one.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

# MkDocs loads this file by path; make its package importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from sitetools import katex, markup, mdext, notebooks, page_notebooks, snippets

log = logging.getLogger("mkdocs.hooks.dlcv")

REFERENCES_FILE = mdext.REFERENCES_FILE

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


def blob_url(config: Any) -> str:
    """``https://github.com/OWNER/NAME/blob/BRANCH/``: where a file of the repository is shown,
    on the branch that mkdocs.yml's ``edit_uri`` (``edit/BRANCH/docs/``) edits."""
    parts = (config.edit_uri or "").strip("/").split("/")
    branch = parts[1] if len(parts) >= 2 and parts[0] in {"edit", "blob"} else "main"
    return f"https://github.com/{repository(config)}/blob/{branch}/"


def on_config(config: Any) -> Any:
    root = _root(config)
    # The published address, where the publish workflow knows it (GitHub Pages' base_url).
    site_url = os.environ.get(SITE_URL_VARIABLE, "").strip()
    if site_url:
        config.site_url = site_url.rstrip("/") + "/"
    settings = _extension_settings(config)
    if config.repo_url:
        # The provenance lines link the run's commit in the repository (markup.commit_html).
        settings["repo_url"] = f"https://github.com/{repository(config)}"
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
        jupyter.config["cache_dir"] = str(notebooks.cache_dir(root).parent)
        if os.environ.get("DLCV_SNIPPET_CACHE", "").lower() in {"off", "0", "no"}:
            jupyter.config["cache"] = False
        # sitetools.notebooks runs the notebooks (on_pre_page) and checks their output data;
        # mkdocs-jupyter only renders what that run produced.
        jupyter.config["execute"] = False
    return config


def _extension_settings(config: Any) -> dict[str, Any]:
    """The settings MkDocs hands `sitetools.mdext` for each page (``mdx_configs``)."""
    if mdext.NAME not in config.markdown_extensions:
        raise PluginError(
            f"mkdocs.yml: list `- {mdext.NAME}` under `markdown_extensions`: it expands the "
            "pages' embeds and citations (sitetools/mdext.py)"
        )
    settings: dict[str, Any] = config.mdx_configs.setdefault(mdext.NAME, {})
    return settings


def on_files(files: Files, config: Any) -> Files:
    """Register the snippet files and figures the pages link to: Markdown cannot add files.

    The snippets have run before the build (``python -m sitetools.snippets run``); this reads
    their results from the cache, runs nothing, and fails when one is missing (placeholders
    aside).
    """
    root = _root(config)
    settings = _extension_settings(config)
    page = _page_mode()
    required: list[str] | None = None  # None: every snippet
    if page is not None:
        if files.get_file_from_path(page) is None:
            raise PluginError(f"DLCV_PAGE={page!r} is not a page under docs/")
        for file in list(files.documentation_pages()):
            if file.src_uri != page:
                files.remove(file)
        required = markup.snippet_embeds(Path(config.docs_dir, page).read_text(encoding="utf-8"))
    _state["placeholders"] = placeholders()
    _state["pending_notebooks"] = set()
    jupyter = config.plugins.get("mkdocs-jupyter")
    if _state["placeholders"] and jupyter is not None:
        executed = _executed_dir(jupyter)
        if any(notebooks.cached(s, cache_dir=executed) is None for s in notebooks.sources(root)):
            # mkdocs-jupyter keys its cache on the walkthrough's source alone: a notebook shown
            # without outputs (on_pre_page) must not be kept as its rendering.
            jupyter.config["cache"] = False
    found = snippets.collect(root)
    wanted = sorted(found) if required is None else required
    # A snippet that does not exist is the page's error, which the extension reports.
    missing = [name for name in wanted if name in found and found[name] is None]
    if missing and _state["placeholders"]:
        log.info(f"snippets: {len(missing)} not run yet, shown as placeholders")
    elif missing:
        raise PluginError(
            f"no run result for {len(missing)} snippet(s): {', '.join(missing)}. Run the "
            "snippets before building the site (make build does): python -m sitetools.snippets "
            "run; a snippet that fails there has no result"
        )
    results = [result for name in wanted if (result := found.get(name)) is not None]
    log.info(f"snippets: {len(results)} results read from the cache")
    # A page built alone may still show other pages' figures (the home page's gallery), so the
    # files of every result there is are registered; only the page's own must be there.
    shown = results if page is None else [r for r in found.values() if r is not None]
    for uri, path in mdext.site_files(root, shown):
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    # Each page's notebook, which the extension's "Run the whole page" line links to: made
    # from the page and its snippets' files, naming the commit the site is built from.
    commit = snippets._commit(root)
    for notebook_page in page_notebooks.pages(root) if page is None else [page]:
        if not markup.snippet_embeds(Path(config.docs_dir, notebook_page).read_text("utf-8")):
            continue
        try:
            content = page_notebooks.to_ipynb(root, notebook_page, commit=commit)
        except (OSError, ValueError) as exc:
            raise PluginError(f"docs/{notebook_page}: its notebook: {exc}") from exc
        files.append(
            File.generated(
                config,
                page_notebooks.notebook_path(notebook_page, folder=page_notebooks.SITE_FOLDER),
                content=content,
            )
        )
    try:
        _state["references"] = markup.load_references(Path(config.docs_dir) / REFERENCES_FILE)
    except markup.MarkupError as exc:
        raise PluginError(str(exc)) from exc
    # The extension adds each page's citations here, for on_env's "cited by no page" check.
    _state["cited"] = set()
    # The pages render from this same snapshot: a result saved while this build runs (make
    # serve) would otherwise reach a page without the files registered above.
    settings.update(placeholders=_state["placeholders"], cited=_state["cited"], results=found)
    return files


def _report_markup_errors(page: Any) -> None:
    """Make an embed or citation error of `sitetools.mdext` fail the build as a plugin's error
    does: its message alone, without a traceback."""
    render = page.render

    def render_checked(config: Any, files: Files) -> None:
        try:
            render(config, files)
        except markup.MarkupError as exc:
            raise PluginError(str(exc)) from exc

    page.render = render_checked


def on_pre_page(page: Any, config: Any, files: Files) -> Any:
    """Hand mkdocs-jupyter the executed, checked notebook instead of the walkthrough's source.

    mkdocs-jupyter (whose hooks run before these) has replaced the page's `render` by one that
    converts ``page.file.abs_src_path``; this wraps it to run the notebook first
    (`notebooks.execute`, cached) and to point it at the executed ``.ipynb`` meanwhile.
    """
    _report_markup_errors(page)
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is None or not page.file.src_uri.endswith("/" + notebooks.SOURCE_NAME):
        return page
    source = page.file.abs_src_path
    cache_dir = _executed_dir(jupyter)
    where = f"docs/{page.file.src_uri}"
    render = page.render

    def render_executed(config: Any, files: Files) -> None:
        executed = notebooks.cached(Path(source), cache_dir=cache_dir)
        if executed is None and _state.get("placeholders"):
            # make serve: shown without outputs until `python -m sitetools.notebooks run`
            # (in the background, beside the snippets) has run it; serving does not wait.
            executed = _unexecuted(Path(source), cache_dir)
            _state["pending_notebooks"].add(page.file.src_uri)
        elif executed is None:
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


def _executed_dir(jupyter: Any) -> Path:
    """The executed walkthroughs' folder, under the cache folder on_config gave mkdocs-jupyter
    (`notebooks.cache_dir`), without hashing dlcv again."""
    return Path(jupyter.config["cache_dir"]) / "executed"


def _unexecuted(source: Path, cache_dir: Path) -> Path:
    """The walkthrough as an ``.ipynb`` without outputs, for `make serve` until it has run."""
    target = cache_dir.parent / "pending" / f"{source.parent.name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(notebooks.to_ipynb(source), encoding="utf-8")
    return target


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    where = f"docs/{page.file.src_uri}"
    notebook = page.file.src_uri.endswith("/" + notebooks.SOURCE_NAME)
    if notebook and page.file.src_uri in _state.get("pending_notebooks", ()):
        html = notebooks.pending_note(html)
    if notebook:
        # nbconvert's HTML loads MathJax and Mermaid from CDNs and leaves formulas as $...$:
        # drop the scripts and mark the formulas, which KaTeX then renders as on other pages.
        try:
            html = notebooks.strip_third_party(html, where=where)
            html = notebooks.mark_math(html)
        except notebooks.NotebookError as exc:
            raise PluginError(str(exc)) from exc
    html = markup.unwrap_plain_tokens(html)
    if config.repo_url:
        html = markup.link_snippet_titles(html, blob_url=blob_url(config))
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
        # ...and so does each walkthrough that `python -m sitetools.notebooks run` executes.
        for cache in (root / ".cache" / "snippets", notebooks.cache_dir(root)):
            cache.mkdir(parents=True, exist_ok=True)
            server.watch(str(cache))
    return server
