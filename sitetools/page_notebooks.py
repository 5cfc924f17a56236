"""Page notebooks: every page with snippets, as one notebook that runs the whole page.

For ``docs/<section>/<page>.md``, `to_ipynb` makes an nbformat v4 notebook of the snippets the
page embeds, in the order the page first embeds each file: a page may show only a section of a
snippet (``[[snippet a/b/c.py#train]]``), but a section alone does not run, so the notebook takes
each whole file, once. Its cells:

1. a markdown cell: the page's title, a link back to it, where the cells come from;
2. the install cell, for Colab: the line README.md gives readers, as a ``%pip`` magic
   (`sitetools.install.install_line`, the series CHANGELOG.md's, as on the pages);
3. a set-up cell that runs each snippet cell as ``python name.py`` would: before the cell runs
   it saves the cell's text as ``name.py`` in the working folder and points ``__file__`` at it,
   since a snippet may read its own file or start a copy of itself (``multiprocessing`` with
   ``spawn``, a worker process); figures are saved to the working folder, as in the snippet run;
4. for each snippet file, a markdown cell naming it and a code cell holding its exact text.

Colab opens notebooks from GitHub files only (``colab.research.google.com/github/OWNER/NAME/
blob/REF/PATH``), so the notebooks are committed, under ``notebooks/<section>/<page>.ipynb``,
and ``python -m sitetools.page_notebooks check`` (run by the test suite) fails when one is out
of date. The site serves each page's notebook for download under ``_notebooks/``, made at build
time: the same cells, with the commit the site was built from named in the first cell.

The snippet cells are the snippets' text, which ran in the snippet pass; the test suite checks
that identity on every run. `execute` runs a notebook top to bottom (without the install cell,
with the checkout's ``dlcv``), which the publish workflow and the weekly canary do for every page.

Command line::

    python -m sitetools.page_notebooks sync           # rewrite notebooks/ from the pages
    python -m sitetools.page_notebooks check          # exit 1 naming the notebooks out of date
    python -m sitetools.page_notebooks run [PAGE ...] # execute the page notebooks (all: none named)
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import posixpath
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sitetools import _cli, install, markup, notebooks

__all__ = [
    "FOLDER",
    "SITE_FOLDER",
    "PageNotebookError",
    "colab_url",
    "execute",
    "insert_links",
    "links_line",
    "notebook_path",
    "out_of_date",
    "pages",
    "repository",
    "snippet_cells",
    "to_ipynb",
]

# Where the committed notebooks live (Colab opens them from GitHub), and where the site serves them.
FOLDER = "notebooks"
SITE_FOLDER = "_notebooks"
# Each cell's role, in its metadata: the identity check and `execute` read it.
ROLE = "dlcv"
_TITLE = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$")
_BOX = re.compile(r'^(?P<indent>[ \t]*)!!! abstract "Before you start"')


def pages(root: Path) -> list[str]:
    """The pages under ``docs/`` that embed at least one snippet, as paths under ``docs/``, sorted.

    Example:
        >>> root = Path(markup.__file__).resolve().parents[1]
        >>> "fundamentals/what-deep-means.md" in pages(root), "index.md" in pages(root)
        (True, False)
    """
    docs = root / "docs"
    return sorted(
        path.relative_to(docs).as_posix()
        for path in docs.rglob("*.md")
        if markup.snippet_embeds(path.read_text(encoding="utf-8"))
    )


def notebook_path(page: str, *, folder: str = FOLDER) -> str:
    """Where a page's notebook lies under `folder`: `FOLDER`, where it is committed
    (relative to the repository root), or `SITE_FOLDER`, where the site serves it (under
    the site root).

    Examples:
        >>> notebook_path("vision/video.md")
        'notebooks/vision/video.ipynb'
        >>> notebook_path("vision/video.md", folder=SITE_FOLDER)
        '_notebooks/vision/video.ipynb'
    """
    return f"{folder}/{_stem(page)}.ipynb"


def _stem(page: str) -> str:
    if not page.endswith(".md") or page.startswith("/") or ".." in page.split("/"):
        raise ValueError(
            "`page` must be a Markdown page's path under docs/, such as 'vision/video.md'. "
            f"Received: page={page!r}"
        )
    return page.removesuffix(".md")


def repository(root: Path) -> str | None:
    """``owner/name`` of the GitHub repository that mkdocs.yml's ``repo_url`` names, or None
    when it names none.

    Raises:
        ValueError: if ``repo_url`` is not ``https://github.com/OWNER/NAME``.
    """
    url = notebooks.config_value(root, "repo_url")
    if url is None:
        return None
    url = url.rstrip("/")
    name = url.removeprefix("https://github.com/")
    if name == url or name.count("/") != 1:
        raise ValueError(f"mkdocs.yml: repo_url must be https://github.com/OWNER/NAME, not {url!r}")
    return name


def colab_url(repository: str, page: str) -> str:
    """The "Open in Colab" address of a page's committed notebook (on ``main``).

    Example:
        >>> colab_url("dlcv/dlcv", "vision/video.md")
        'https://colab.research.google.com/github/dlcv/dlcv/blob/main/notebooks/vision/video.ipynb'
    """
    return notebooks.COLAB.format(repository=repository, path=notebook_path(page))


def links_line(page: str, *, repository: str | None) -> str:
    """The Markdown line that offers a page's notebook: a download and an "Open in Colab" link
    (without a repository, the download alone).

    The download is a Markdown link relative to the page's source file, so that MkDocs checks
    that the site holds it (under `SITE_FOLDER`), as it checks a snippet's download link.

    Example:
        >>> download, colab = links_line("a/b.md", repository="o/n").split(" · ")
        >>> for part in download.split("]("):
        ...     print(part)
        **Run the whole page:** [Download the notebook (b.ipynb)
        ../_notebooks/a/b.ipynb){ download="b.ipynb" }
        >>> colab == f"[Open in Colab]({colab_url('o/n', 'a/b.md')})"
        True
    """
    served = notebook_path(page, folder=SITE_FOLDER)
    name = posixpath.basename(served)
    download = posixpath.relpath(served, posixpath.dirname(page) or ".")
    line = (
        f"**Run the whole page:** [Download the notebook ({name})]({download})"
        f'{{ download="{name}" }}'
    )
    if repository is None:
        return line
    return f"{line} · [Open in Colab]({colab_url(repository, page)})"


def insert_links(markdown: str, line: str) -> str:
    r"""Put ``line`` at the end of the page's "Before you start" box, or under its title.

    A content page opens with a ``!!! abstract "Before you start"`` box (sitetools/skeleton.py):
    the line becomes its last paragraph. A page without one gets it after its ``# Title``
    line, or first when it has no title. Lines inside fenced code are never matched.

    Examples:
        >>> page = '# T\n\n!!! abstract "Before you start"\n    **You will learn:**\n\nText'
        >>> print(insert_links(page, "LINKS"))
        # T
        <BLANKLINE>
        !!! abstract "Before you start"
            **You will learn:**
        <BLANKLINE>
            LINKS
        <BLANKLINE>
        Text
        >>> insert_links("```\n# not a title\n```\n# Title\nText", "LINKS").splitlines()[3:6]
        ['# Title', '', 'LINKS']
    """
    lines = markdown.split("\n")
    prose = [index for index, is_prose in markup._outside_code(lines) if is_prose]
    box = next((i for i in prose if _BOX.match(lines[i])), None)
    if box is not None:
        end = box + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][:1] in {" ", "\t"}):
            end += 1
        while end > box + 1 and not lines[end - 1].strip():
            end -= 1
        indent = _BOX.match(lines[box])["indent"] + "    "  # type: ignore[index]
        return "\n".join([*lines[:end], "", indent + line, *lines[end:]])
    title = next((i for i in prose if _TITLE.match(lines[i])), None)
    if title is None:
        return "\n".join([line, "", *lines])
    return "\n".join([*lines[: title + 1], "", line, "", *lines[title + 1 :]])


def _title(markdown: str, page: str) -> str:
    lines = markdown.splitlines()
    for index, prose in markup._outside_code(lines):
        match = _TITLE.match(lines[index]) if prose else None
        if match:
            return match["title"]
    return _stem(page).rsplit("/", 1)[-1].replace("-", " ").capitalize()


def _setup_source(names: Sequence[tuple[str, str]]) -> str:
    """The set-up cell: run each snippet cell as its file, ``python name.py``, would run."""
    known = {_digest(text): posixpath.basename(name) for name, text in names}
    return (
        "# Each snippet ran as `python name.py` in an empty folder. So that a snippet cell runs\n"
        "# the same way, this saves the cell as name.py here before it runs and points __file__\n"
        "# at it (a snippet may read its own file or start a copy of itself). A cell that is not\n"
        "# one of the page's snippets, as written, runs as a plain cell.\n"
        "import hashlib as _hashlib\n"
        "import pathlib as _pathlib\n\n"
        f"_DLCV_SNIPPETS = {json.dumps(known, indent=4, sort_keys=True)}\n\n\n"
        "def _dlcv_as_file(info):\n"
        "    namespace = get_ipython().user_ns\n"
        "    key = _hashlib.sha256(info.raw_cell.rstrip().encode()).hexdigest()[:16]\n"
        "    name = _DLCV_SNIPPETS.get(key)\n"
        "    if name is None:\n"
        '        namespace.pop("__file__", None)\n'
        "        return\n"
        "    path = _pathlib.Path(name).resolve()\n"
        '    path.write_text(info.raw_cell, encoding="utf-8")\n'
        '    namespace["__file__"] = str(path)\n\n\n'
        "# Run again, this cell replaces its callback rather than adding a second one.\n"
        'for _callback in list(get_ipython().events.callbacks["pre_run_cell"]):\n'
        '    if getattr(_callback, "__name__", "") == "_dlcv_as_file":\n'
        '        get_ipython().events.unregister("pre_run_cell", _callback)\n'
        'get_ipython().events.register("pre_run_cell", _dlcv_as_file)'
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.rstrip().encode()).hexdigest()[:16]


def to_ipynb(root: Path, page: str, *, commit: str | None = None) -> str:
    """The notebook of a page's snippets, as ``.ipynb`` text (see the module's docstring).

    Args:
        root: the repository root (docs/, snippets/, mkdocs.yml).
        page: the page's path under docs/, such as ``vision/video.md``.
        commit: the commit the site is built from, named in the first cell; None for the
            committed copy, which is part of its commit.

    Raises:
        ValueError: if the page does not exist or embeds no snippet.
    """
    source = root / "docs" / page
    if not source.is_file():
        raise ValueError(f"`page` must be a page under docs/. Received: page={page!r}")
    text = source.read_text(encoding="utf-8")
    names = markup.snippet_embeds(text)
    if not names:
        raise ValueError(f"docs/{page} embeds no snippet, so it has no notebook")
    programs = [(name, (root / "snippets" / name).read_text(encoding="utf-8")) for name in names]
    site_url = notebooks.config_value(root, "site_url")
    link = f"{site_url.rstrip('/')}/{markup.page_url(page)}" if site_url else f"docs/{page}"
    where = f"the commit `{commit}`" if commit else "the commit that holds this file (`notebooks/`)"
    intro = (
        f"# {_title(text, page)}\n\n"
        f"The snippets of [this page]({link}), in page order, "
        f"from {where}.\n"
        "Each code cell below the set-up is one snippet, its file's exact text: the build ran "
        "each on its own, as `python name.py` in an empty folder, and the page shows what it "
        "printed and drew.\n"
        "Here they share one kernel, so run them top to bottom; figures are saved to the "
        "working folder.\n\n"
        "Generated by `python -m sitetools.page_notebooks` (do not edit by hand)."
    )
    series = install.release_series(_read(root / "CHANGELOG.md"))
    cells = [
        _cell("markdown", intro, {"role": "intro"}),
        _cell(
            "code",
            "# What README.md tells readers to install (Colab has the rest).\n"
            f"%{install.install_line(series)}",
            {"role": "install"},
        ),
        _cell("code", _setup_source(programs), {"role": "setup"}),
    ]
    for name, program in programs:
        heading = f"## `{posixpath.basename(name)}`\n\n`snippets/{name}`"
        cells += [_cell("markdown", heading, None), _cell("code", program, {"snippet": name})]
    for number, cell in enumerate(cells, 1):
        cell["id"] = f"cell-{number}"  # stable ids: the committed file must be reproducible
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    # nbformat's own layout (nbformat.writes), without its untyped API.
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _cell(kind: str, source: str, role: dict[str, str] | None) -> dict[str, Any]:
    """An nbformat v4 cell; its source as a list of lines, as nbformat writes it."""
    cell: dict[str, Any] = {
        "cell_type": kind,
        "metadata": {ROLE: role} if role else {},
        "source": source.splitlines(keepends=True),
    }
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def snippet_cells(notebook_text: str) -> list[tuple[str, str]]:
    """(snippet name, source) of each snippet cell of a page notebook, in order.

    Raises:
        ValueError: if a code cell is neither the install cell, the set-up cell nor a snippet.
    """
    cells = json.loads(notebook_text)["cells"]
    found = []
    for number, cell in enumerate(cells, 1):
        if cell["cell_type"] != "code":
            continue
        role = cell.get("metadata", {}).get(ROLE, {})
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if "snippet" in role:
            found.append((role["snippet"], source))
        elif role.get("role") not in {"install", "setup"}:
            raise ValueError(f"cell {number} is a code cell that is no snippet: {source[:80]!r}")
    return found


def out_of_date(root: Path) -> list[str]:
    """The committed notebooks that are missing, differ from what their page gives, or belong
    to no page with snippets; paths relative to the root."""
    wanted = {notebook_path(page): page for page in pages(root)}
    stale = [
        path
        for path, page in wanted.items()
        if _read(root / path) != to_ipynb(root, page) or not (root / path).is_file()
    ]
    folder = root / FOLDER
    extra = [p.relative_to(root).as_posix() for p in sorted(folder.glob("**/*.ipynb"))]
    return sorted(stale + [path for path in extra if path not in wanted])


def sync(root: Path) -> list[str]:
    """Rewrite the committed notebooks from the pages, remove those of no page; return what
    changed (paths relative to the root)."""
    changed = out_of_date(root)
    wanted = {notebook_path(page): page for page in pages(root)}
    for path in changed:
        target = root / path
        if path in wanted:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(to_ipynb(root, wanted[path]), encoding="utf-8")
        else:
            target.unlink()
    return changed


class PageNotebookError(ValueError):
    """A page notebook failed to run, or wrote to stderr besides TensorFlow's runtime log."""


def execute(root: Path, page: str, *, timeout_s: int = notebooks.TIMEOUT_S) -> Any:
    """Run a page's notebook top to bottom, as a reader would after installing ``dlcv``.

    The install cell is left out (the kernel's Python has the checkout's ``dlcv``); the rest
    runs in a fresh kernel, in an empty temporary folder, with the snippets' environment, and
    stderr is held to the walkthroughs' rule (`notebooks.check_outputs`).

    Returns:
        The executed notebook (an nbformat node), with TensorFlow's runtime log lines dropped
        from its stderr outputs.

    Raises:
        PageNotebookError: naming the page and the cell (its snippet) that failed.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    where = f"docs/{page} ({notebook_path(page)})"
    notebook = nbformat.reads(to_ipynb(root, page), as_version=4)  # type: ignore[no-untyped-call]
    notebook.cells = [
        c for c in notebook.cells if c.metadata.get(ROLE, {}).get("role") != "install"
    ]
    try:
        notebooks.run_in_empty_folder(notebook, timeout_s=timeout_s, prefix="dlcv-page-notebook-")
    except (CellExecutionError, CellTimeoutError) as exc:
        failed = next(
            (
                cell
                for cell in notebook.cells
                if any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            ),
            None,
        )
        cell = _describe(failed) if failed is not None else "a cell"
        raise PageNotebookError(f"{where}: {cell} failed:\n{exc}") from exc
    try:
        notebooks.check_outputs(notebook, where=where)
    except notebooks.NotebookError as exc:
        raise PageNotebookError(str(exc)) from exc
    return notebook


def _describe(cell: Any) -> str:
    role = cell.get("metadata", {}).get(ROLE, {})
    if "snippet" in role:
        return f"the cell of snippets/{role['snippet']}"
    return f"the {role.get('role', 'unnamed')} cell"


def _run(root: Path, page: str) -> tuple[str, str | None]:
    try:
        execute(root, page)
    except PageNotebookError as exc:
        return page, str(exc)
    return page, None


def run(root: Path, chosen: Sequence[str], *, jobs: int) -> int:
    """Execute the chosen pages' notebooks (all when none is chosen), ``jobs`` at a time; print
    each page's outcome and return how many failed."""
    available = pages(root)
    unknown = [page for page in chosen if page not in available]
    if unknown:
        example = f"; pages with snippets are such as {available[0]!r}" if available else ""
        raise ValueError(
            f"`pages` must be pages with snippets, under docs/ (section/page.md){example}. "
            f"Received: {', '.join(unknown)}"
        )
    todo = list(chosen) or available
    failed = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        for page, error in pool.map(_run, [root] * len(todo), todo):
            if error is None:
                print(f"{notebook_path(page)}: ok", flush=True)
            else:
                failed += 1
                print(f"error: {error}", file=sys.stderr, flush=True)
    return failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = _cli.command_parser("sitetools.page_notebooks", __doc__)
    parser.add_argument("command", choices=["sync", "check", "run"])
    parser.add_argument("pages", nargs="*", help="run: pages under docs/, e.g. vision/video.md")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="run: notebooks at a time"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.pages and args.command != "run":
        parser.error(f"only `run` takes pages. Received: {' '.join(args.pages)}")
    if args.command == "sync":
        for path in sync(root):
            print(f"wrote {path}" if (root / path).is_file() else f"removed {path}")
        return 0
    if args.command == "check":
        stale = out_of_date(root)
        for path in stale:
            print(f"error: {path} is out of date", file=sys.stderr)
        if stale:
            print("run: python -m sitetools.page_notebooks sync", file=sys.stderr)
        return 1 if stale else 0
    try:
        failed = run(root, args.pages, jobs=args.jobs)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if failed:
        print(f"error: {failed} page notebook(s) failed (above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
