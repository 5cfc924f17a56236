"""The site's acronyms: one file, the glossary page, and a tooltip on every use.

``docs/research/glossary.yml`` lists each acronym the pages use, what it stands for, a one-line
definition and the page (and section) that explains it. `sitetools.mdext` does two things
with it, on every page it converts:

- it replaces a ``[[glossary]]`` line (the glossary page has one) with the list of terms;
- it appends a Python-Markdown ``abbr`` definition (``*[mAP]: mean average precision``) for
  each term, so that the ``abbr`` extension (listed in mkdocs.yml) wraps every use of the
  acronym in prose in ``<abbr title="...">``, and ``docs/javascripts/tooltips.js`` shows the
  expansion on hover and on focus.

``abbr`` matches whole words, case-sensitively, and leaves code alone: "mAP" is tagged and
"map" is not. It applies where Python-Markdown converts a page with the site's extensions:
every Markdown page. It does not reach the walkthrough notebooks (nbconvert renders their
Markdown cells) or the docstrings mkdocstrings renders on the API reference pages (converted
without a page, so `sitetools.mdext` adds nothing to them).
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from pathlib import Path

__all__ = [
    "GLOSSARY_RE",
    "GlossaryError",
    "Term",
    "abbreviations",
    "expand",
    "insert_table",
    "load",
    "page_title",
    "table",
    "with_abbreviations",
]

GLOSSARY_RE = re.compile(r"^[ \t]*\[\[glossary\]\][ \t]*$", re.MULTILINE)
_FIELDS = ("term", "expansion", "definition", "link")


class GlossaryError(ValueError):
    """The glossary file is malformed; the message names the entry."""


@dataclasses.dataclass(frozen=True)
class Term:
    """One acronym: what it stands for, a one-line definition, and where the site explains it
    (a page under docs/, with an optional ``#anchor``)."""

    term: str
    expansion: str
    definition: str
    link: str


def load(path: Path) -> list[Term]:
    """Read the glossary; no file, no terms.

    Raises:
        GlossaryError: naming the entry that lacks a field, has an unknown one, repeats a term
            or holds a character that would break an ``abbr`` definition.
    """
    import yaml

    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise GlossaryError(f"{path}: expected a YAML list of terms, got {type(data).__name__}")
    terms: list[Term] = []
    for i, raw in enumerate(data):
        if not isinstance(raw, dict):
            raise GlossaryError(f"{path}: entry {i} is not a mapping")
        name = raw.get("term", i)
        missing = [f for f in _FIELDS if not raw.get(f)]
        unknown = sorted(set(raw) - set(_FIELDS))
        if missing or unknown:
            raise GlossaryError(
                f"{path}: term {name!r} must have exactly the fields {', '.join(_FIELDS)}; "
                f"missing {missing}, unknown {unknown}"
            )
        entry = Term(**{f: " ".join(str(raw[f]).split()) for f in _FIELDS})
        if not re.fullmatch(r"[\w/-]+", entry.term) or "]" in entry.expansion:
            raise GlossaryError(
                f"{path}: term {entry.term!r} must be letters, digits, '-' or '/', and its "
                f"expansion must not hold ']'; got {entry.term!r}: {entry.expansion!r}"
            )
        if any(t.term == entry.term for t in terms):
            raise GlossaryError(f"{path}: term {entry.term!r} appears twice")
        terms.append(entry)
    return terms


def abbreviations(terms: list[Term]) -> str:
    """The ``abbr`` definitions for `terms`, one per line.

    Example:
        >>> abbreviations([Term("mAP", "mean average precision", "...", "a.md")])
        '*[mAP]: mean average precision'
    """
    return "\n".join(f"*[{t.term}]: {t.expansion}" for t in terms)


def page_title(path: Path) -> str:
    """A page's title from its front matter; "" when it has none (or no such file).

    Example:
        >>> page_title(Path("no/such/page.md"))
        ''
    """
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    meta = yaml.safe_load(match[1]) if match else None
    title = meta.get("title") if isinstance(meta, dict) else None
    return str(title) if title else ""


def table(terms: list[Term], *, page_uri: str, docs_dir: Path | None = None) -> str:
    """The glossary's entries as Markdown, alphabetically: a heading per term (so that search
    finds the term by its title, and each has an anchor), its expansion, definition and a link,
    relative to `page_uri`, to the page that explains it, named by its title when `docs_dir`
    is given.

    Example:
        >>> print(table([Term("IoU", "intersection over union", "Overlap.", "v/d.md#iou")],
        ...             page_uri="research/glossary.md"))
        ## IoU
        <BLANKLINE>
        **intersection over union.** Overlap. Explained in [v/d](../v/d.md#iou).
    """
    here = posixpath.dirname(page_uri) or "."
    entries = []
    for t in sorted(terms, key=lambda t: t.term.lower()):
        page, _, anchor = t.link.partition("#")
        target = posixpath.relpath(page, here) + (f"#{anchor}" if anchor else "")
        label = (page_title(docs_dir / page) if docs_dir else "") or page.removesuffix(".md")
        entries.append(
            f"## {t.term}\n\n**{t.expansion}.** {t.definition} Explained in [{label}]({target})."
        )
    return "\n\n".join(entries)


def expand(text: str, *, page_uri: str, terms: list[Term], docs_dir: Path | None = None) -> str:
    """A page's Markdown with its ``[[glossary]]`` line replaced by the terms (`insert_table`)
    and the ``abbr`` definitions of the terms it uses appended (`with_abbreviations`).

    Example:
        >>> expand("The mAP.\\n", page_uri="a.md", terms=[Term("mAP", "m a p", "d", "a.md")])
        'The mAP.\\n\\n*[mAP]: m a p\\n'
    """
    text = insert_table(text, page_uri=page_uri, terms=terms, docs_dir=docs_dir)
    return with_abbreviations(text, terms)


def insert_table(
    text: str, *, page_uri: str, terms: list[Term], docs_dir: Path | None = None
) -> str:
    """`text` with its ``[[glossary]]`` line replaced by `table`; unchanged without one."""
    if not terms:
        return text
    return GLOSSARY_RE.sub(lambda _: table(terms, page_uri=page_uri, docs_dir=docs_dir), text)


def with_abbreviations(text: str, terms: list[Term]) -> str:
    """`text` with the ``abbr`` definitions appended of the terms it uses, as whole words (the
    way Python-Markdown's ``abbr`` finds them); unchanged when it uses none.

    Only the terms used: Markdown parses every definition as a block of its own, and MkDocs
    converts each docstring of the API reference separately (mkdocstrings), so appending all of
    them to every conversion made about a third of a site build.

    Example:
        >>> terms = [Term("mAP", "m a p", "d", "a.md"), Term("IoU", "i o u", "d", "a.md")]
        >>> with_abbreviations("The IoU.", terms)
        'The IoU.\\n\\n*[IoU]: i o u\\n'
        >>> with_abbreviations("Maps.", terms)
        'Maps.'
    """
    used = [t for t in terms if re.search(rf"\b{re.escape(t.term)}\b", text)]
    if not used:
        return text
    return f"{text.rstrip(chr(10))}\n\n{abbreviations(used)}\n"
