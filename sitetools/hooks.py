"""MkDocs hooks: run the snippets, then expand embeds and citations in every page.

Listed under ``hooks:`` in mkdocs.yml. The build fails (also without ``--strict``) when a
snippet fails, an embed or citation does not resolve, or a bibliography entry is cited by no page.
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

from sitetools import markup, snippets

log = logging.getLogger("mkdocs.hooks.dlcv")

REFERENCES_FILE = "research/references.yml"
FIGURES_DIR = "_snippets"

_state: dict[str, Any] = {}


def _root(config: Any) -> Path:
    # The repository root is the folder holding docs/ (and snippets/, dlcv/ beside it).
    return Path(config.docs_dir).resolve().parent


def on_files(files: Files, config: Any) -> Files:
    root = _root(config)
    fresh = os.environ.get("DLCV_SNIPPET_CACHE", "").lower() in {"off", "0", "no"}
    try:
        results = snippets.run_all(root, fresh=fresh, log=log.info)
    except snippets.SnippetError as exc:
        raise PluginError(str(exc)) from exc
    failed = [r for r in results if not r.ok]
    if failed:
        raise PluginError(snippets.summarize(results))
    log.info(snippets.summarize(results))
    _state["results"] = {r.name: r for r in results}
    for result in results:
        for figure in result.figures:
            uri = f"{FIGURES_DIR}/{result.name.removesuffix('.py')}/{figure.name}"
            files.append(File.generated(config, uri, abs_src_path=str(figure.path)))
    try:
        _state["references"] = markup.load_references(Path(config.docs_dir) / REFERENCES_FILE)
    except markup.MarkupError as exc:
        raise PluginError(str(exc)) from exc
    _state["cited"] = set()
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    root = _root(config)
    page_uri = page.file.src_uri
    results = _state["results"]

    def render_snippet(name: str, section: str | None, code: str) -> str:
        result = results.get(name)
        if result is None:
            raise markup.MarkupError(f"docs/{page_uri}: no run result for snippets/{name}")
        page_dir = posixpath.dirname(page_uri) or "."
        figures = [
            (
                posixpath.relpath(f"{FIGURES_DIR}/{name.removesuffix('.py')}/{fig.name}", page_dir),
                fig.alt,
            )
            for fig in result.figures
        ]
        return markup.snippet_block(
            name=name,
            code=code,
            stdout=result.stdout,
            figures=figures,
            provenance=result.provenance,
            seconds=result.seconds,
        )

    try:
        return markup.transform(
            markdown,
            page_uri=page_uri,
            root=root,
            references=_state["references"],
            render_snippet=render_snippet,
            cited=_state["cited"],
        )
    except markup.MarkupError as exc:
        raise PluginError(str(exc)) from exc


def on_env(env: Any, config: Any, files: Files) -> Any:
    # Every page's Markdown has been read by now, so every citation has been seen.
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
    return server
