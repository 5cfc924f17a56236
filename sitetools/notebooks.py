"""Walkthrough notebooks: one per section, written as jupytext percent-format ``.py`` files.

``docs/<section>/walkthrough.py`` is the source. At build time `execute` runs it with nbclient
(the snippets' environment, a fresh kernel, an empty folder) and `check_outputs` checks the
executed notebook's output data: TensorFlow's C++ log lines on stderr are dropped from what is
shown, any other stderr output fails the build. mkdocs-jupyter then renders the executed
notebook as a page (its own ``execute`` is off; sitetools/hooks.py hands it the executed file).
Its HTML comes with nbconvert's script tags for MathJax and Mermaid, from CDNs:
:func:`strip_third_party` removes them (the site loads nothing from other hosts), and
:func:`mark_math` marks the markdown cells' formulas as the other pages' are, so that
``sitetools.katex`` renders them to HTML at build time.

Beside the source sits ``walkthrough.ipynb``, generated from it (without outputs)
by ``python -m sitetools.notebooks sync``: the site serves that file for download, and the
"Open in Colab" link opens it from the repository, since Colab opens ``.ipynb`` files only.
Its links point at the published site (``site_url``): a link relative to the page would resolve
against the notebook's own location and never reach the site. A test fails when the two drift
apart.

Under ``make serve`` a walkthrough that has not run yet is shown without outputs, under a
placeholder, while ``python -m sitetools.notebooks run`` executes it in the background (beside
the snippets, at a lower priority): the served site does not wait for the notebooks, and
fills in when they finish.

Command line::

    python -m sitetools.notebooks sync     # rewrite every walkthrough.ipynb from its .py
    python -m sitetools.notebooks check    # exit 1 naming the notebooks that are out of date
    python -m sitetools.notebooks run      # execute every walkthrough into the cache
"""

from __future__ import annotations

import argparse
import hashlib
import html
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from sitetools import snippets

__all__ = [
    "COLAB",
    "NotebookError",
    "cache_dir",
    "cached",
    "check_outputs",
    "committed_ipynb",
    "config_value",
    "execute",
    "mark_math",
    "notebook_links",
    "out_of_date",
    "pending_note",
    "sources",
    "strip_third_party",
    "third_party_assets",
    "to_ipynb",
]

SOURCE_NAME = "walkthrough.py"
COLAB = "https://colab.research.google.com/github/{repository}/blob/main/{path}"

_H1_END = re.compile(r"</h1>")
# The longest a walkthrough may run; beyond it the build fails rather than hangs.
TIMEOUT_S = 900


class NotebookError(ValueError):
    """A notebook failed to run, wrote to stderr besides TensorFlow's runtime log, or its page
    would load something it must not; the message says what."""


def sources(root: Path) -> list[Path]:
    """The walkthrough notebooks' sources, ``docs/<section>/walkthrough.py``, sorted."""
    return sorted((root / "docs").glob(f"*/{SOURCE_NAME}"))


_CONFIG_LINE = r"^{key}:\s*[\"']?(?P<value>[^\"'\s#]+)"
# The target of a Markdown link or image: `[text](target)`.
_LINK_TARGET = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def config_value(root: Path, key: str) -> str | None:
    """A top-level scalar of mkdocs.yml (which holds Python tags that a safe YAML load refuses),
    or None when it has none."""
    path = root / "mkdocs.yml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    match = re.search(_CONFIG_LINE.format(key=re.escape(key)), text, re.M)
    return None if match is None else match["value"]


def _absolute_links(markdown: str, base: str) -> str:
    """Resolve the relative link targets of `markdown` against the URL `base`."""

    def resolve(link: re.Match[str]) -> str:
        target = link["target"]
        if urlsplit(target).scheme or target.startswith(("#", "/")):
            return link[0]
        return f"]({urljoin(base, target)})"

    return _LINK_TARGET.sub(resolve, markdown)


# A Markdown heading written as a comment ("# ## Train it"): in a code cell it means the
# `# %% [markdown]` line above it is missing, and the section would show as code comments.
_COMMENTED_HEADING = re.compile(r"^# #{1,6} \S.*$", re.MULTILINE)


def to_ipynb(source: Path, *, site_url: str | None = None) -> str:
    """The ``.ipynb`` text of a percent-format notebook, without outputs, with a Python kernel.

    With `site_url`, the Markdown cells' relative links are made absolute, pointing at the
    published site: the committed copy is what Colab opens and what the site offers for
    download, where a link relative to the walkthrough's page never reaches the site. Without it
    (the notebook the site renders as that page) they stay relative.

    Raises:
        NotebookError: if a code cell holds a Markdown heading as a comment: the
            ``# %% [markdown]`` line that should start that text is missing.
    """
    import jupytext  # type: ignore[import-untyped]

    notebook = jupytext.read(source)
    page = f"{site_url.rstrip('/')}/{source.parent.name}/walkthrough/" if site_url else None
    for number, cell in enumerate(notebook.cells, 1):
        cell.id = f"cell-{number}"  # nbformat makes random ids; the file must be reproducible
        heading = _COMMENTED_HEADING.search(cell.source) if cell.cell_type == "code" else None
        if heading is not None:
            raise NotebookError(
                f"{source}: a code cell holds the heading {heading.group()!r}; start that "
                "text with a `# %% [markdown]` line, or it shows as comments in the code"
            )
        if page and cell.cell_type == "markdown":
            cell.source = _absolute_links(cell.source, page)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    text: str = jupytext.writes(notebook, fmt="ipynb")
    return text if text.endswith("\n") else text + "\n"


def committed_ipynb(root: Path, source: Path) -> str:
    """What the committed ``walkthrough.ipynb`` beside `source` must hold: `to_ipynb` with
    links to the site that mkdocs.yml's ``site_url`` names."""
    return to_ipynb(source, site_url=config_value(root, "site_url"))


def out_of_date(root: Path) -> list[Path]:
    """The ``.ipynb`` files that are missing or differ from what their ``.py`` gives."""
    return [
        source.with_suffix(".ipynb")
        for source in sources(root)
        if not source.with_suffix(".ipynb").is_file()
        or source.with_suffix(".ipynb").read_text(encoding="utf-8") != committed_ipynb(root, source)
    ]


def check_outputs(notebook: Any, *, where: str) -> str:
    """Drop the runtime's log lines from the notebook's stderr outputs; refuse any other stderr.

    The rule is the snippet runner's (`sitetools.snippets.split_stderr`), applied to the
    executed notebook's output data: a cell's ``stderr`` stream outputs are joined (a line may
    arrive in pieces) and split into TensorFlow's C++ log lines, which are removed from what the
    page shows, and everything else, which fails the build (a warning on a page is noise for a
    reader or a problem to fix).

    Args:
        notebook: an executed nbformat notebook; changed in place.
        where: names the notebook in error messages.

    Returns:
        The runtime log lines removed, one per line.

    Raises:
        NotebookError: naming the notebook, the cell and the first lines left on stderr.
    """
    removed: list[str] = []
    for number, cell in enumerate(notebook.cells, 1):
        if cell.get("cell_type") != "code":
            continue
        outputs = cell.get("outputs", [])
        stderr = [
            o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"
        ]
        if not stderr:
            continue
        runtime, other = snippets.split_stderr("".join(o.get("text", "") for o in stderr))
        if other:
            shown = "\n".join(other[:8])
            raise NotebookError(f"{where}: cell {number} wrote to stderr:\n{shown}")
        removed += runtime
        cell["outputs"] = [o for o in outputs if all(o is not e for e in stderr)]
    return "\n".join(removed)


def cache_dir(root: Path) -> Path:
    """Where executed walkthroughs are cached: keyed on dlcv and the locked versions, as the
    snippet cache is (`sitetools.snippets.environment_hash`), so a change to either reruns them.
    """
    return root / ".cache" / "notebooks" / snippets.environment_hash(root)[:16] / "executed"


def _target(source: Path, cache_dir: Path) -> Path:
    key = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    return cache_dir / f"{source.parent.name}-{key}.ipynb"


def cached(source: Path, *, cache_dir: Path) -> Path | None:
    """The executed notebook of ``source`` in ``cache_dir``, or None when it has not run yet."""
    target = _target(source, cache_dir)
    return target if target.is_file() else None


def run_in_empty_folder(notebook: Any, *, timeout_s: float, prefix: str) -> None:
    """Execute ``notebook`` in place, top to bottom, as a reader would: nbclient starts a fresh
    ``python3`` kernel in an empty temporary folder (named from ``prefix``, removed after) with
    the snippets' environment (`sitetools.snippets._snippet_env`).

    Raises:
        nbclient.exceptions.CellExecutionError: at the first cell that raises (the cell's
            outputs then hold the error).
        nbclient.exceptions.CellTimeoutError: if a cell runs longer than ``timeout_s``.
    """
    from nbclient import NotebookClient

    workdir = tempfile.mkdtemp(prefix=prefix)
    try:
        client = NotebookClient(
            notebook,
            timeout=timeout_s,
            kernel_name="python3",
            allow_errors=False,
            resources={"metadata": {"path": workdir}},
        )
        client.execute(env=snippets._snippet_env())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def execute(source: Path, *, cache_dir: Path, where: str) -> Path:
    """Run a walkthrough as a reader would, check its outputs; return the executed ``.ipynb``.

    The notebook runs in a fresh kernel, in an empty temporary folder, with the snippets'
    environment (`sitetools.snippets._snippet_env`). Its outputs are checked and cleaned by
    `check_outputs`; the result is cached in ``cache_dir`` under a hash of the source (the
    caller keys ``cache_dir`` on dlcv and the locked versions), with the removed runtime log
    beside it (``.runtime.log``).

    Raises:
        NotebookError: if a cell raises, the run takes over `TIMEOUT_S`, or a cell writes
            anything but runtime log lines to stderr.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    target = _target(source, cache_dir)
    if target.is_file():
        return target
    notebook = nbformat.reads(to_ipynb(source), as_version=4)  # type: ignore[no-untyped-call]
    try:
        run_in_empty_folder(notebook, timeout_s=TIMEOUT_S, prefix="dlcv-notebook-")
    except (CellExecutionError, CellTimeoutError) as exc:
        raise NotebookError(f"{where}: {exc}") from exc
    runtime_log = check_outputs(notebook, where=where)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(nbformat.writes(notebook), encoding="utf-8")  # type: ignore[no-untyped-call]
    target.with_suffix(".runtime.log").write_text(runtime_log, encoding="utf-8")
    partial.replace(target)  # atomic: a later build never reads a half-written notebook
    return target


PENDING_NOTE = (
    '<p class="dlcv-provenance dlcv-running">Running… this notebook is shown without its '
    "outputs until it has run; they appear here when it finishes "
    "(<code>python -m sitetools.notebooks run</code> runs the walkthroughs).</p>"
)


def pending_note(page_html: str) -> str:
    """Put `PENDING_NOTE` under the notebook's title (``make serve``, before the notebook ran).

    Example:
        >>> "Running…" in pending_note("<h1>Walkthrough</h1><p>text</p>")
        True
    """
    return _H1_END.sub(lambda m: m.group(0) + PENDING_NOTE, page_html, count=1)


def notebook_links(page_html: str, *, src_uri: str, repository: str) -> str:
    """Add "Download" and "Open in Colab" links under the notebook's title.

    Args:
        page_html: the rendered notebook page.
        src_uri: the notebook's path under ``docs/``, e.g. ``fundamentals/walkthrough.py``.
        repository: the GitHub repository, ``owner/name``.
    """
    ipynb = Path(src_uri).with_suffix(".ipynb")
    colab = COLAB.format(repository=repository, path=f"docs/{ipynb.as_posix()}")
    links = (
        '<p class="dlcv-notebook-links">'
        f'<a href="../{ipynb.name}" download>Download the notebook ({ipynb.name})</a> · '
        f'<a href="{html.escape(colab)}">Open in Colab</a> · '
        "the outputs below come from the run that built this site</p>"
    )
    return _H1_END.sub(lambda m: m.group(0) + links, page_html, count=1)


# What makes a browser fetch code or styles: a script's or a link's address, and, in inline
# scripts and styles, module imports and CSS imports and url()s.
_SCRIPT_SRC = re.compile(r"""<script\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*))""", re.I)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_ATTRIBUTE = re.compile(r"""\b(rel|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*))""", re.I)
# rel values that name a page or a person rather than fetch anything for this one.
_NO_FETCH_RELS = {"alternate", "author", "canonical", "help", "license", "next", "prev", "search"}
_INLINE = re.compile(
    r"<(?P<tag>script|style)\b(?P<attrs>[^>]*)>(?P<body>.*?)</(?P=tag)\s*>", re.I | re.S
)
_IMPORT = re.compile(
    r"""\bimport\s*(?:\(\s*|[\w*{}\s,$]+?\s+from\s*)?(?P<q>["'`])(?P<url>[^"'`]+)(?P=q)"""
)
_CSS_URL = re.compile(
    r"""(?:@import\s+(?:url\(\s*)?|url\(\s*)(?P<q>["']?)(?P<url>[^"')\s;]+)(?P=q)""", re.I
)
# nbconvert's comments around the MathJax and Mermaid set-up, left empty once those are gone.
_SETUP_COMMENT = re.compile(r"<!--[^>]*?\b(?:mathjax|mermaid)\b[^>]*?-->", re.I)


def _elsewhere(url: str) -> bool:
    """Whether ``url`` names a host (``https://cdn...``, ``//cdn...``); ``data:`` names none."""
    try:
        return bool(urlsplit(url.strip()).netloc)
    except ValueError:
        return True  # an address too malformed to parse is not one to trust either


def _link_href(tag: str) -> str | None:
    """The address a ``<link>`` tag fetches, or None when its rel fetches nothing."""
    attrs: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(tag):
        attrs[match[1].lower()] = next(v for v in match.groups()[1:] if v is not None)
    rels = set(attrs.get("rel", "").lower().split())
    if "href" not in attrs or (rels and rels <= _NO_FETCH_RELS):
        return None
    return attrs["href"]


def third_party_assets(page_html: str) -> list[str]:
    """Every address on another host that ``page_html`` loads code or styles from.

    Looks at ``<script src>``, ``<link href>`` (but not ``rel="canonical"`` and the like, which
    fetch nothing), and inside inline scripts and styles at module imports (``import x from``,
    ``import(...)``), CSS ``@import`` and ``url(...)``. Relative and ``data:`` addresses are
    the site's own.

    Examples:
        >>> third_party_assets('<script src="https://cdn.example/m.js"></script>'
        ...                    '<script type="module">import("//cdn.example/x.mjs")</script>'
        ...                    '<link rel="stylesheet" href="../site.css">')
        ['https://cdn.example/m.js', '//cdn.example/x.mjs']
    """
    found = [
        next(v for v in match.groups() if v is not None)
        for match in _SCRIPT_SRC.finditer(page_html)
    ]
    found += [href for tag in _LINK.findall(page_html) if (href := _link_href(tag)) is not None]
    for block in _INLINE.finditer(page_html):
        pattern = _IMPORT if block["tag"].lower() == "script" else _CSS_URL
        found += [m["url"] for m in pattern.finditer(block["body"])]
    return [url for url in found if _elsewhere(url)]


def strip_third_party(page_html: str, *, where: str) -> str:
    """Remove what a notebook page would load from other hosts, and nbconvert's MathJax set-up.

    nbconvert's template loads MathJax with ``<script src>`` (from cdnjs, or from whatever
    address mkdocs-jupyter gives it, jsDelivr in 0.27, or the page itself when it gives ""),
    configures it in a ``text/x-mathjax-config`` script, and imports Mermaid from cdnjs in a
    module script. The site renders formulas at build time instead (:func:`mark_math`), and
    draws no Mermaid diagram, so all of these go, as does any other script or stylesheet from
    another host. A page that has a Mermaid diagram fails: without Mermaid it would show none.

    Raises:
        NotebookError: naming the notebook (`where`), when it holds a Mermaid diagram, or when
            something from another host is left that could not be removed.
    """
    if 'class="jp-Mermaid"' in page_html:
        raise NotebookError(
            f"{where}: a markdown cell holds a Mermaid diagram, which needs mermaid.js from a CDN "
            "that the site does not load; draw it as a figure the notebook saves instead"
        )

    def inline(match: re.Match[str]) -> str:
        attrs, body = match["attrs"], match["body"]
        if match["tag"].lower() == "script":
            if "text/x-mathjax-config" in attrs.lower():
                return ""
            sources = [
                next(v for v in m.groups() if v is not None) for m in _SCRIPT_SRC.finditer(match[0])
            ]
            # An empty src is mkdocs-jupyter's blank MathJax address: a request for the page itself.
            if any(_elsewhere(src) or not src.strip() for src in sources):
                return ""
            if any(_elsewhere(m["url"]) for m in _IMPORT.finditer(body)):
                return ""
        elif any(_elsewhere(m["url"]) for m in _CSS_URL.finditer(body)):
            return ""
        return match[0]

    def link(match: re.Match[str]) -> str:
        href = _link_href(match[0])
        return "" if href is not None and _elsewhere(href) else match[0]

    cleaned = _SETUP_COMMENT.sub("", _LINK.sub(link, _INLINE.sub(inline, page_html)))
    # A <script src> with no closing tag in sight would escape _INLINE; refuse what is left.
    left = third_party_assets(cleaned)
    if left:
        raise NotebookError(f"{where}: loads code or styles from other hosts: {', '.join(left)}")
    return cleaned


# A markdown cell's rendered HTML (nbconvert's lab template); outputs of display(Markdown(...))
# carry the same classes.
_MARKDOWN_CELL = re.compile(r'<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown[^"]*"[^>]*>')
_DIV = re.compile(r"<div\b|</div\s*>", re.I)
_TAG = re.compile(r"(<[^>]*>)")
_NO_MATH_IN = {"code", "pre", "script", "style", "textarea"}
# nbconvert's markdown renderer writes formulas back with TeX delimiters, their text escaped as
# HTML: $$...$$ for display, $...$ for inline (also for \\(...\\) and \\[...\\] in the source),
# and LaTeX environments as they are.
_TEX = re.compile(
    r"\$\$(?P<display>.+?)\$\$"
    r"|(?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.*?\\end\{(?P=name)\})"
    r"|(?<![$\\])\$(?P<inline>[^$]+?)(?<![$\\])\$",
    re.S,
)


def _arithmatex(match: re.Match[str]) -> str:
    # The markup pymdownx.arithmatex gives the other pages, which sitetools.katex renders.
    if match["inline"] is not None:
        return f'<span class="arithmatex">\\({match["inline"]}\\)</span>'
    tex = match["display"] if match["display"] is not None else match["env"]
    return f'<span class="arithmatex">\\[{tex}\\]</span>'


def _mark_text(fragment: str) -> str:
    parts, skip = _TAG.split(fragment), 0
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            name = re.match(r"</?\s*([A-Za-z0-9]+)", part)
            if name and name[1].lower() in _NO_MATH_IN and not part.endswith("/>"):
                skip += -1 if part.startswith("</") else 1
        elif skip <= 0 and part:
            parts[i] = _TEX.sub(_arithmatex, part)
    return "".join(parts)


def mark_math(page_html: str) -> str:
    r"""Mark the formulas in a notebook page's markdown cells as arithmatex does on other pages.

    Text in code, pre, script and style elements is left alone, as are code cells and their
    outputs. Two ``$`` in one run of a markdown cell's text (not split by a tag) make a formula,
    as they did for MathJax: nbconvert writes ``\$`` and ``&#36;`` back as a bare ``$``, so
    the two cannot be told apart afterwards. A lone ``$`` stays a dollar sign.

    Examples:
        >>> cell = '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown">'
        >>> page = cell + "<p>$a &lt; b$ <code>$x$</code></p></div><pre>$y$</pre>"
        >>> print(mark_math(page).removeprefix(cell))
        <p><span class="arithmatex">\(a &lt; b\)</span> <code>$x$</code></p></div><pre>$y$</pre>
    """
    out, last = [], 0
    for cell in _MARKDOWN_CELL.finditer(page_html):
        if cell.start() < last:
            continue  # nested inside a cell already marked
        depth, end = 1, len(page_html)
        for tag in _DIV.finditer(page_html, cell.end()):
            depth += -1 if tag[0].startswith("</") else 1
            if depth == 0:
                end = tag.start()
                break
        out += [page_html[last : cell.end()], _mark_text(page_html[cell.end() : end])]
        last = end
    out.append(page_html[last:])
    return "".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["sync", "check", "run"])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    if args.command == "run":
        # Stopped by `make serve` with SIGTERM: exit through nbclient's clean-up, which shuts
        # the kernel down rather than leaving it behind.
        with snippets._terminate_as_exit():
            return _run_all(args.root.resolve())
    stale = out_of_date(args.root)
    if args.command == "check":
        for path in stale:
            print(f"{path.relative_to(args.root)} is out of date: run `make notebooks`")
        return 1 if stale else 0
    for path in stale:
        path.write_text(committed_ipynb(args.root, path.with_suffix(".py")), encoding="utf-8")
        print(f"wrote {path.relative_to(args.root)}")
    return 0


def _run_all(root: Path) -> int:
    """Execute every walkthrough not cached yet (what `make serve` runs beside the snippets)."""
    folder = cache_dir(root)
    failed = 0
    for source in sources(root):
        where = source.relative_to(root).as_posix()
        if cached(source, cache_dir=folder) is not None:
            continue
        print(f"notebooks: running {where} ...", flush=True)
        try:
            execute(source, cache_dir=folder, where=where)
        except NotebookError as exc:
            failed += 1
            print(f"notebooks: {exc}", flush=True)
        else:
            print(f"notebooks: {where}: ok", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
