"""The few Markdown extensions the site adds, as plain text transformations.

A page writes, each on a line of its own::

    [[snippet fundamentals/what-deep-means/layer_representations.py]]   the whole file
    [[snippet fundamentals/what-deep-means/layer_representations.py#model]]   a marked section
    [[source dlcv/data/arrays.py#load_digits_images]]   a marked section of dlcv's own source
    [[include CONTRIBUTING.md]]   a Markdown file from the repository, as it is
    [[references]]   the entries this page cites
    [[bibliography]]   every entry in docs/research/references.yml

and cites in prose with ``[@key]``, ``[@key1; @key2]`` or, with a locator, ``[@key, ch. 6]``
(`sitetools.citations`: each links to the page's own reference list). Sections are marked in
Python files with ``# --8<-- [start:name]`` and ``# --8<-- [end:name]`` lines. Nothing inside
fenced code blocks or inline code is touched, so pages can show this syntax.
"""

from __future__ import annotations

import dataclasses
import html
import posixpath
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, NamedTuple
from urllib.parse import quote

from sitetools import citations

__all__ = [
    "BIBLIOGRAPHY_PAGE",
    "EXCERPT_SUFFIX",
    "WHOLE_PROGRAM_SUMMARY",
    "FigureShown",
    "MarkupError",
    "Reference",
    "extract_section",
    "figure_html",
    "load_references",
    "transform",
    "whole_program",
]

BIBLIOGRAPHY_PAGE = "research/bibliography.md"
EMBED_RE = re.compile(
    r"^(?P<indent>[ \t]*)\[\[(?P<kind>snippet|source|include) (?P<target>[^\]#\s]+)"
    r"(?:#(?P<section>[\w.-]+))?\]\][ \t]*$"
)
LIST_RE = re.compile(r"^(?P<indent>[ \t]*)\[\[(?P<kind>references|bibliography)\]\][ \t]*$")
CITE_RE = citations.CITE_RE
FENCE_RE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})")
INLINE_CODE_RE = re.compile(r"(`+)(?P<code>.+?)\1")
MARKER_RE = re.compile(r"^\s*#\s*--8<--\s*\[(?P<which>start|end):(?P<name>[\w.-]+)\]\s*$")
_REQUIRED_FIELDS = ("key", "authors", "title", "year")
_ORG_TYPES = {"datasheet", "docs", "press", "web"}


class MarkupError(ValueError):
    """A page or file the site embeds is wrong; the message says where and what to fix."""


@dataclasses.dataclass(frozen=True)
class Reference:
    """One bibliography entry."""

    key: str
    type: str
    authors: tuple[str, ...]
    title: str
    year: int
    venue: str = ""
    doi: str = ""
    arxiv: str = ""
    url: str = ""
    note: str = ""
    # "a", "b", ... when two entries would otherwise read the same in text ("NVIDIA, 2007a").
    suffix: str = ""

    def label(self) -> str:
        """The short in-text form: "LeCun et al., 2015"."""
        people = [a for a in self.authors if a.lower() != "others"]
        truncated = len(people) < len(self.authors)

        def surname(name: str) -> str:
            # A lone author of a datasheet or web page is an organisation ("NVIDIA"), not a person.
            if len(self.authors) == 1 and (self.type in _ORG_TYPES or " " not in name):
                return name
            return name.split()[-1]

        if len(people) == 1 and not truncated:
            who = surname(people[0])
        elif len(people) == 2 and not truncated:
            who = f"{surname(people[0])} and {surname(people[1])}"
        else:
            who = f"{surname(people[0])} et al."
        return f"{who}, {self.year}{self.suffix}"

    def sort_key(self) -> tuple[str, int, str]:
        first = self.authors[0]
        organisation = len(self.authors) == 1 and self.type in _ORG_TYPES
        last = first if organisation else first.split()[-1]
        return (last.lower(), self.year, self.key)

    def to_markdown(self) -> str:
        """The full entry, one paragraph."""
        people = [a for a in self.authors if a.lower() != "others"]
        authors = ", ".join(people) + (", et al." if len(people) < len(self.authors) else "")
        parts = [f"{authors} ({self.year}{self.suffix}).", f"*{self.title}*."]
        if self.venue:
            parts.append(f"{self.venue}.")
        links = []
        if self.doi:
            links.append(f"[doi:{self.doi}](https://doi.org/{self.doi})")
        if self.arxiv:
            links.append(f"[arXiv:{self.arxiv}](https://arxiv.org/abs/{self.arxiv})")
        if self.url:
            links.append(f"[{_host(self.url)}]({self.url})")
        if links:
            parts.append(" · ".join(links))
        if self.note:
            parts.append(f"<br><small>{self.note}</small>")
        return " ".join(parts)


def _host(url: str) -> str:
    match = re.match(r"https?://([^/]+)", url)
    return match.group(1) if match else "link"


def load_references(path: Path) -> dict[str, Reference]:
    """Read the bibliography file; raise MarkupError naming the entry that is malformed."""
    import yaml

    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise MarkupError(f"{path}: expected a YAML list of entries, got {type(data).__name__}")
    refs: dict[str, Reference] = {}
    for i, raw in enumerate(data):
        if not isinstance(raw, dict):
            raise MarkupError(f"{path}: entry {i} is not a mapping")
        missing = [f for f in _REQUIRED_FIELDS if not raw.get(f)]
        if missing:
            raise MarkupError(f"{path}: entry {raw.get('key', i)!r} lacks {', '.join(missing)}")
        unknown = set(raw) - ({f.name for f in dataclasses.fields(Reference)} - {"suffix"})
        if unknown:
            raise MarkupError(f"{path}: entry {raw['key']!r} has unknown fields {sorted(unknown)}")
        key = str(raw["key"])
        if key in refs:
            raise MarkupError(f"{path}: key {key!r} appears twice")
        authors = raw["authors"]
        refs[key] = Reference(
            key=key,
            type=str(raw.get("type", "paper")),
            authors=tuple(authors) if isinstance(authors, list) else (str(authors),),
            title=str(raw["title"]).strip(),
            year=int(raw["year"]),
            **{
                f: str(raw[f]).strip() for f in ("venue", "doi", "arxiv", "url", "note") if f in raw
            },
        )
    by_label: dict[str, list[str]] = {}
    for key in sorted(refs):
        by_label.setdefault(refs[key].label(), []).append(key)
    for keys in by_label.values():
        if len(keys) > 1:
            for letter, key in zip("abcdefghijklmnopqrstuvwxyz", keys, strict=False):
                refs[key] = dataclasses.replace(refs[key], suffix=letter)
    return refs


def extract_section(source: str, section: str | None, *, where: str) -> str:
    """Return the lines between a section's markers (or the whole file), markers removed."""
    lines = source.splitlines()
    if section is None:
        return "\n".join(line for line in lines if not MARKER_RE.match(line)).strip("\n")
    start = end = None
    for i, line in enumerate(lines):
        match = MARKER_RE.match(line)
        if match and match["name"] == section:
            if match["which"] == "start":
                start = i
            else:
                end = i
    if start is None or end is None or end <= start:
        names = sorted({m["name"] for line in lines if (m := MARKER_RE.match(line))})
        raise MarkupError(
            f"{where}: no section {section!r} (needs `# --8<-- [start:{section}]` and "
            f"`# --8<-- [end:{section}]`); sections there: {names or 'none'}"
        )
    body = [line for line in lines[start + 1 : end] if not MARKER_RE.match(line)]
    return textwrap.dedent("\n".join(body)).strip("\n")


def whole_program(source: str) -> str:
    r"""A snippet file as a page shows it whole: the file itself, section markers included.

    A reader who copies it runs what the snippet pass ran, byte for byte (trailing whitespace
    aside, which a copy button trims): a program may read its own file, as one that counts the
    lines between its markers does, so even a comment line left out could change what it does.

    Examples:
        >>> whole_program("# --8<-- [start:a]\nx = 1\n# --8<-- [end:a]\n\n")
        '# --8<-- [start:a]\nx = 1\n# --8<-- [end:a]'
    """
    return source.rstrip()


def _fence(code: str, info: str) -> str:
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", code)), default=0) + 1)
    return f"{ticks}{info}\n{code}\n{ticks}"


def _outside_code(lines: list[str]) -> Iterator[tuple[int, bool]]:
    """Yield (index, is_prose) for each line, tracking fenced code blocks."""
    fence: str | None = None
    for i, line in enumerate(lines):
        match = FENCE_RE.match(line)
        if fence is None and match:
            fence = match["fence"]
            yield i, False
        elif fence is not None:
            if (
                line.strip().startswith(fence[0] * len(fence))
                and line.strip().strip(fence[0]) == ""
            ):
                fence = None
            yield i, False
        else:
            yield i, True


def page_url(src_uri: str) -> str:
    """Return a page's folder under the site root, from its source path under docs/.

    With MkDocs's directory URLs, `section/page.md` (or a notebook, `section/page.py`) is
    served from `section/page/`, and an `index.md` from its own folder.

    Examples:
        >>> [page_url(p) for p in ("index.md", "vision/index.md", "vision/reindex.md")]
        ['', 'vision/', 'vision/reindex/']
    """
    stem = src_uri.rsplit(".", 1)[0]
    if stem == "index" or stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


def snippet_embeds(markdown: str) -> list[str]:
    r"""Return the snippets a page embeds (paths under snippets/), in order, each once.

    Examples:
        >>> snippet_embeds("[[snippet a/b/c.py#main]]\n```\n[[snippet a/b/d.py]]\n```\n")
        ['a/b/c.py']
    """
    lines = markdown.splitlines()
    names: list[str] = []
    for index, prose in _outside_code(lines):
        match = EMBED_RE.match(lines[index]) if prose else None
        if match and match["kind"] == "snippet" and match["target"] not in names:
            names.append(match["target"])
    return names


def _sub_outside_inline_code(line: str, repl: Callable[[re.Match[str]], str]) -> str:
    out, pos = [], 0
    for match in INLINE_CODE_RE.finditer(line):
        out.append(CITE_RE.sub(repl, line[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(CITE_RE.sub(repl, line[pos:]))
    return "".join(out)


def transform(
    markdown: str,
    *,
    page_uri: str,
    root: Path,
    references: Mapping[str, Reference],
    render_snippet: Callable[[str, str | None, str], str],
    cited: set[str] | None = None,
    line_offset: int = 0,
) -> str:
    """Expand embeds, citations and reference lists in one page's Markdown.

    Every embed is resolved inside its own folder: a snippet inside ``snippets/``, a source or
    an include inside the repository. A path that leaves it (``..``, an absolute path, a symbolic
    link pointing out) is refused, so a page cannot put a file from elsewhere on the site.

    Args:
        markdown: the page source.
        page_uri: the page's path under docs/, e.g. "fundamentals/what-deep-means.md".
        root: the repository root (snippets/ and dlcv/ live there).
        references: the bibliography, by key.
        render_snippet: called with (snippet name, section or None, code) to render a snippet
            with its output; raises MarkupError when the snippet has no result.
        cited: a set that collects every key cited, for the "nobody cites it" check.
        line_offset: how many lines of the page file come before `markdown` (its front
            matter), so that messages give the line number in the file.

    Raises:
        MarkupError: naming the page and the line, when an embed, citation or list is wrong.
    """
    where = f"docs/{page_uri}"
    page_dir = posixpath.dirname(page_uri)
    bib_link = posixpath.relpath(BIBLIOGRAPHY_PAGE, page_dir or ".")
    # A citation links to the page's own reference list, or to the bibliography without one.
    page_lines = markdown.splitlines()
    has_list = any(
        prose and (m := LIST_RE.match(page_lines[i])) and m["kind"] == "references"
        for i, prose in _outside_code(page_lines)
    )
    page_keys: list[str] = []
    line_where = where  # the page and the line being read, for citation errors

    def cite(match: re.Match[str]) -> str:
        try:
            cites = citations.parse(match["keys"], where=line_where)
        except ValueError as exc:
            raise MarkupError(str(exc)) from None
        parts = []
        for item in cites:
            key = item.key
            if key not in references:
                raise MarkupError(
                    f"{line_where}: citation [@{key}] has no entry in docs/research/references.yml"
                )
            if key not in page_keys:
                page_keys.append(key)
            target = f"#{citations.anchor(key)}" if has_list else f"{bib_link}#{key}"
            parts.append(citations.link(references[key], item, target))
        return f'<span class="dlcv-cite">({"; ".join(parts)})</span>'

    lines = markdown.splitlines()
    out: list[str] = []
    pending_lists: list[tuple[int, str, str]] = []
    for i, prose in _outside_code(lines):
        line = lines[i]
        if not prose:
            out.append(line)
            continue
        embed = EMBED_RE.match(line)
        listing = LIST_RE.match(line)
        if embed:
            block = _render_embed(
                embed,
                root=root,
                where=f"{where}:{i + 1 + line_offset}",
                render_snippet=render_snippet,
            )
            out.append(textwrap.indent(block, embed["indent"]) if embed["indent"] else block)
        elif listing:
            pending_lists.append((len(out), listing["kind"], listing["indent"]))
            out.append("")
        else:
            if "[[" in line and re.search(
                r"\[\[(snippet|source|include|references|bibliography)\b", line
            ):
                raise MarkupError(
                    f"{where}:{i + 1 + line_offset}: an embed must stand alone on its line, "
                    f"as `[[snippet section/page/name.py]]`; got {line.strip()!r}"
                )
            line_where = f"{where}:{i + 1 + line_offset}"
            out.append(_sub_outside_inline_code(line, cite))
    for index, kind, indent in pending_lists:
        if kind == "references":
            chosen = [references[k] for k in page_keys]
            if not chosen:
                raise MarkupError(f"{where}: [[references]] but the page cites nothing")
            chosen.sort(key=Reference.sort_key)
            block = "\n\n".join(
                f'<div class="dlcv-ref" id="{citations.anchor(r.key)}" markdown>\n'
                f"{r.to_markdown()}\n</div>"
                for r in chosen
            )
        else:
            everything = sorted(references.values(), key=Reference.sort_key)
            block = "\n\n".join(
                f'<div class="dlcv-ref" id="{r.key}" markdown>\n{r.to_markdown()}\n</div>'
                for r in everything
            )
        out[index] = textwrap.indent(block, indent) if indent else block
    if cited is not None:
        cited.update(page_keys)
    return "\n".join(out) + "\n"


def _inside(base: Path, target: str, *, where: str, embed: str, allowed: str) -> Path:
    """Return ``base / target`` when it resolves inside ``base``; raise MarkupError otherwise.

    Resolving follows symbolic links, so a link inside ``base`` that points out is refused too.
    """
    relative = PurePosixPath(target)
    if relative.is_absolute() or PureWindowsPath(target).drive or "\\" in target:
        raise MarkupError(
            f"{where}: {embed} must name a path relative to {allowed}; absolute paths are refused"
        )
    path = base / relative
    if not path.resolve().is_relative_to(base.resolve()):
        raise MarkupError(f"{where}: {embed} points outside {allowed}; embed only files inside it")
    return path


def _render_embed(
    match: re.Match[str],
    *,
    root: Path,
    where: str,
    render_snippet: Callable[[str, str | None, str], str],
) -> str:
    target, section, kind = match["target"], match["section"], match["kind"]
    embed = f"[[{kind} {target}{'#' + section if section else ''}]]"
    if kind == "include":
        path = _inside(root, target, where=where, embed=embed, allowed="the repository")
        if not path.is_file() or path.suffix != ".md" or section:
            raise MarkupError(f"{where}: [[include {target}]] needs an existing .md file")
        return path.read_text(encoding="utf-8").strip("\n")
    if kind == "snippet":
        path = _inside(root / "snippets", target, where=where, embed=embed, allowed="snippets/")
        shown = f"snippets/{target}"
    else:
        path = _inside(root, target, where=where, embed=embed, allowed="the repository")
        shown = target
        if section is None:
            raise MarkupError(
                f"{where}: [[source {target}]] needs a section: [[source {target}#name]]"
            )
    if not path.is_file() or path.suffix != ".py":
        raise MarkupError(f"{where}: embeds {shown}, which does not exist")
    source = path.read_text(encoding="utf-8")
    if kind == "snippet" and section is None:
        code = whole_program(source)
    else:
        code = extract_section(source, section, where=f"{where} → {shown}")
    if kind == "snippet":
        return render_snippet(target, section, code)
    return "\n".join(
        [
            '<div class="dlcv-source" markdown>',
            "",
            _fence(code, f' python title="{shown}"'),
            "",
            "</div>",
        ]
    )


def _attribute(text: str) -> str:
    """``text`` for a double-quoted HTML attribute inside Markdown, which must not touch it.

    Python-Markdown runs its code, link and escape patterns over a paragraph before it sets
    inline HTML aside, so an alt text holding `` ` ``, ``[...](...)`` or ``\\`` would be turned
    into markup inside the attribute. Every ASCII punctuation character is written as a numeric
    character reference, which no Markdown pattern matches and every browser reads back as the
    character; whitespace runs (a blank line would end the paragraph) become one space.
    """
    return "".join(
        f"&#{ord(c)};" if c.isascii() and not c.isalnum() and c != " " else c
        for c in " ".join(text.split())
    )


class FigureShown(NamedTuple):
    """A snippet's figure as a page shows it (`figure_html`)."""

    src: str  # relative to the page's URL
    alt: str
    caption: str = ""  # shown under the figure; none when empty
    width: int | None = None  # the PNG's size in pixels: the browser reserves its box
    height: int | None = None


def figure_html(
    src: str,
    alt: str,
    caption: str = "",
    width: int | None = None,
    height: int | None = None,
) -> str:
    """A snippet's figure for a Markdown page: the image, with its alt text kept exactly, as a
    link to the file (docs/javascripts/figures.js enlarges it in place), and its caption.

    The image is HTML rather than ``![alt](src)``, whose alt text Markdown would read as
    Markdown. Raw HTML is not rewritten by MkDocs, so `src` must already be relative to the
    page's URL (``../../_snippets/...`` for ``section/page/``), not to its source file.

    Examples:
        >>> figure_html("../f.png", 'Loss < 1 "after" *3* epochs')
        '<img src="../f.png" alt="Loss &#60; 1 &#34;after&#34; &#42;3&#42; epochs" loading="lazy">'
        >>> shown = figure_html("f.png", "Two lines.", "Loss, 10 epochs", 800, 500)
        >>> shown.startswith('<figure class="dlcv-figure"><a class="dlcv-zoom" href="f.png"><img')
        True
        >>> shown.endswith('height="500" loading="lazy"></a><figcaption>Loss&#44; 10 epochs'
        ...                '</figcaption></figure>')
        True
    """
    # Percent-encoding leaves letters, digits and "_.-~/" in the address: nothing Markdown reads.
    address = quote(src, safe="/")
    size = f' width="{width}" height="{height}"' if width and height else ""
    image = f'<img src="{address}" alt="{_attribute(alt)}"{size} loading="lazy">'
    if not caption:
        return image
    # One line: Python-Markdown keeps a block of raw HTML as it is up to its first blank line.
    return (
        f'<figure class="dlcv-figure"><a class="dlcv-zoom" href="{address}">{image}</a>'
        f"<figcaption>{_attribute(caption)}</figcaption></figure>"
    )


EXCERPT_SUFFIX = " (excerpt)"
WHOLE_PROGRAM_SUMMARY = "The whole program: "


def _preloaded(provenance: Mapping[str, Any]) -> str:
    """What the CPU time leaves out when the run started in a warm Python (`run --warm`): the
    imports, and collecting the objects they made (sitetools/_zygote/zygote.py)."""
    preloaded = provenance.get("preloaded")
    return f" after importing {preloaded}" if preloaded else ""


_COMMIT_RE = re.compile(r"[0-9a-f]{7,40}")


def commit_html(commit: str, repo_url: str | None) -> str:
    """The provenance line's commit, linked to that commit in the repository when it names one
    exactly: a run from uncommitted changes (``abc1234+changes``) ran code no commit holds.

    Examples:
        >>> commit_html("0123abc", "https://github.com/o/n")
        '<a href="https://github.com/o/n/commit/0123abc">0123abc</a>'
        >>> commit_html("0123abc+changes", "https://github.com/o/n")
        '0123abc+changes'
        >>> commit_html("0123abc", None)
        '0123abc'
    """
    if repo_url and _COMMIT_RE.fullmatch(commit):
        return f'<a href="{html.escape(repo_url.rstrip("/"))}/commit/{commit}">{commit}</a>'
    return html.escape(commit)


_SNIPPET_TITLE_RE = re.compile(
    r'<span class="filename">(?P<path>snippets/[\w./-]+?\.py)(?P<rest>[^<]*)</span>'
)


def link_snippet_titles(page_html: str, *, blob_url: str) -> str:
    """Make the file name in each snippet code block's title a link to that file under
    ``blob_url`` (``https://github.com/OWNER/NAME/blob/BRANCH/``).

    Example:
        >>> out = link_snippet_titles('<span class="filename">snippets/a/b.py (excerpt)</span>',
        ...                           blob_url="https://github.com/o/n/blob/main/")
        >>> out.endswith('/blob/main/snippets/a/b.py">snippets/a/b.py</a> (excerpt)</span>')
        True
    """
    base = html.escape(blob_url.rstrip("/") + "/")

    def link(match: re.Match[str]) -> str:
        path = match["path"]
        return f'<span class="filename"><a href="{base}{path}">{path}</a>{match["rest"]}</span>'

    return _SNIPPET_TITLE_RE.sub(link, page_html)


def snippet_block(
    *,
    name: str,
    code: str,
    stdout: str,
    figures: Sequence[FigureShown | tuple[str, str]],
    provenance: Mapping[str, Any],
    cpu_seconds: float,
    whole: str | None = None,
    download: str | None = None,
    install: str | None = None,
    repo_url: str | None = None,
) -> str:
    """Markdown for a snippet: its code, what it printed, its figures and a provenance line.

    When the page shows a section of the snippet, its code block is titled as an excerpt and a
    collapsed "The whole program" block follows it, holding the whole file under its own copy
    button (and a link to download the file): an excerpt alone does not run, and a reader who
    copies code must be able to get a program that does. The output is the whole program's.

    The line gives the run's CPU time rather than its wall time, which depends on what else ran
    beside it.

    Args:
        name: the snippet's path under snippets/.
        code: the code shown (the whole file or a section).
        stdout: what the run printed.
        figures: each figure the run saved, as a `FigureShown` or a (URL relative to the page's
            URL, alt text) pair; see :func:`figure_html`.
        provenance: the run's device, versions, commit and date.
        cpu_seconds: the run's CPU time.
        whole: the whole program when `code` is a section of it; None when `code` is whole.
        download: the snippet file's path relative to the page's source file (MkDocs turns it
            into a URL and checks it), linked under the whole program; only with `whole`.
        install: the command that installs what the snippet needs (`sitetools.install`), shown
            above the provenance line; None shows none.
        repo_url: the repository's address (``https://github.com/OWNER/NAME``); the provenance
            line's commit then links to that commit there (`commit_html`).

    Example:
        >>> block = snippet_block(name="a/b/c.py", code="x = 1", stdout="", figures=[],
        ...                       provenance={}, cpu_seconds=0.0, whole="x = 1; print(x)")
        >>> 'title="snippets/a/b/c.py (excerpt)"' in block
        True
    """
    title = f"snippets/{name}"
    parts = [
        '<div class="dlcv-snippet" markdown>',
        "",
        _fence(code, f' python title="{title}{EXCERPT_SUFFIX if whole is not None else ""}"'),
    ]
    if whole is not None:
        inner = [_fence(whole, f' python title="{title}"')]
        if download:
            file_name = posixpath.basename(name)
            # A Markdown link, not HTML: MkDocs checks that its target is a file of the site.
            inner += [
                "",
                f'[Download {file_name}]({quote(download, safe="/")}){{ download="{file_name}" }}',
            ]
        parts += [
            "",
            f'??? example "{WHOLE_PROGRAM_SUMMARY}{title}"',
            "",
            textwrap.indent("\n".join(inner), "    "),
        ]
    if stdout.strip():
        parts += ["", _fence(stdout.rstrip("\n"), ' text title="Output"')]
    for figure in figures:
        parts += ["", figure_html(*FigureShown(*figure))]
    prov = (
        f"Ran on {provenance.get('device', '?')} · TensorFlow {provenance.get('tensorflow', '?')}"
        f" · Keras {provenance.get('keras', '?')} · dlcv-kb {provenance.get('dlcv', '?')}"
        f" · Python {provenance.get('python', '?')}"
        f" · {cpu_seconds:.1f} s CPU time{_preloaded(provenance)}"
        f" · commit {commit_html(str(provenance.get('commit', '?')), repo_url)}"
        f" · {provenance.get('date', '?')}"
    )
    if install:
        parts += [
            "",
            f'<p class="dlcv-install">To run it: <code>{html.escape(install)}</code></p>',
        ]
    parts += ["", f'<p class="dlcv-provenance">{prov}</p>', "", "</div>"]
    return "\n".join(parts)


def placeholder_block(*, name: str, code: str) -> str:
    """Markdown for a snippet that has not run yet (``make serve`` only): its code, and a note
    saying it is running and which command runs it.

    Example:
        >>> "python -m sitetools.snippets run a/b/c.py" in placeholder_block(name="a/b/c.py",
        ...                                                                   code="print(1)")
        True
    """
    note = (
        "Running… this snippet's output and figures appear here when it finishes "
        f"(<code>python -m sitetools.snippets run {name}</code> runs it alone)."
    )
    return "\n".join(
        [
            '<div class="dlcv-snippet dlcv-pending" markdown>',
            "",
            _fence(code, f' python title="snippets/{name}"'),
            "",
            f'<p class="dlcv-provenance dlcv-running">{note}</p>',
            "",
            "</div>",
        ]
    )


# Pygments wraps every name and every run of whitespace in a span of its own, and Material draws
# names in the code's own colour (--md-code-hl-name-color is --md-code-fg-color) and whitespace
# in none: on a code-heavy page these spans are a tenth of the page's elements, each of which the
# browser styles and lays out on load, for no visible difference.
_PLAIN_TOKEN_RE = re.compile(r'<span class="(?:n|w)">([^<]*)</span>')


def unwrap_plain_tokens(html: str) -> str:
    """Drop the spans around highlighted code's names and whitespace, keeping their text.

    Examples:
        >>> unwrap_plain_tokens('<code><span class="n">x</span><span class="w"> </span>'
        ...                     '<span class="o">=</span></code>')
        '<code>x <span class="o">=</span></code>'
    """
    return _PLAIN_TOKEN_RE.sub(r"\1", html)
