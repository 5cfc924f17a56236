"""Citations in a page's prose: ``[@key]``, ``[@key, ch. 6]``, ``[@a; @b, sec. 9.3]``.

A citation becomes a link to the entry in the page's own reference list (``#ref-KEY``, which
``[[references]]`` gives each entry), titled with the entry's authors, year and title: the site's
``docs/javascripts/tooltips.js`` shows that title as a tooltip both on hover and on keyboard
focus. A page without a reference list links into the bibliography instead.

A citation may carry a locator after a comma, to say where in a long work (a book) the claim
is: a chapter, section or page, written ``ch. 6``, ``sec. 9.3``, ``p. 12``, ``pp. 12-14``
(or ``chs.``/``secs.`` for ranges). It is shown after the year: "(Goodfellow et al., 2016,
ch. 6)".
"""

from __future__ import annotations

import re
from typing import Protocol

__all__ = ["CITE_RE", "LOCATOR_RE", "Citation", "anchor", "link", "parse", "preview"]

# One citation group: [@key] or [@key, locator] items separated by ';'. The locator is read
# loosely here (anything but ';', '[' and ']') and checked by `parse`, so that a malformed
# one fails the build, naming it, rather than staying in the page as text.
_ITEM = r"@[\w-]+(?:,[^;\[\]\n]*)?"
CITE_RE = re.compile(rf"\[(?P<keys>{_ITEM}(?:\s*;\s*{_ITEM})*)\]")
LOCATOR_RE = re.compile(r"(?:chs?|secs?|pp?|app)\. [0-9A-Z][0-9.]*(?:[\u2013-][0-9A-Z][0-9.]*)?")


class Cited(Protocol):
    """What a citation reads of a bibliography entry (`sitetools.markup.Reference`)."""

    @property
    def authors(self) -> tuple[str, ...]: ...
    @property
    def title(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def suffix(self) -> str: ...
    def label(self) -> str: ...


class Citation:
    """One cited key and its locator ("" when none)."""

    __slots__ = ("key", "locator")

    def __init__(self, key: str, locator: str = "") -> None:
        self.key = key
        self.locator = locator

    def __repr__(self) -> str:
        return f"Citation({self.key!r}, {self.locator!r})"


def parse(keys: str, *, where: str) -> list[Citation]:
    """The citations of one ``[...]`` group (the text between the brackets).

    Raises:
        ValueError: naming `where` when a locator is not one of the accepted forms.

    Examples:
        >>> parse("@a; @b, sec. 9.3", where="p.md:1")
        [Citation('a', ''), Citation('b', 'sec. 9.3')]
        >>> parse("@a, chapter six", where="p.md:1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: p.md:1: citation [@a, chapter six] has a locator 'chapter six'; expected ...
    """
    out = []
    for item in keys.split(";"):
        key, _, locator = item.strip().lstrip("@").partition(",")
        locator = " ".join(locator.split())
        if _ and not LOCATOR_RE.fullmatch(locator):
            raise ValueError(
                f"{where}: citation [@{key}, {locator}] has a locator {locator!r}; expected a "
                "chapter, section or page: 'ch. 6', 'sec. 9.3', 'p. 12', 'pp. 12-14'"
            )
        out.append(Citation(key.strip(), locator))
    return out


def anchor(key: str) -> str:
    """The id of a key's entry in a page's reference list.

    Example:
        >>> anchor("lecun2015")
        'ref-lecun2015'
    """
    return f"ref-{key}"


def preview(ref: Cited) -> str:
    """The tooltip of a citation: authors, year and title, as plain text.

    Example:
        >>> class R:
        ...     key, authors, title, year, suffix = "k", ("A B", "C D", "others"), "T", 2020, ""
        >>> preview(R())
        'A B, C D, et al. (2020). T.'
    """
    people = [a for a in ref.authors if a.lower() != "others"]
    authors = ", ".join(people) + (", et al." if len(people) < len(ref.authors) else "")
    title = ref.title.rstrip(".")
    return f"{authors} ({ref.year}{ref.suffix}). {title}."


def _attribute(text: str) -> str:
    # As sitetools.markup._attribute: punctuation as numeric character references, which no
    # Markdown pattern reads inside the link title, and every browser reads back as text.
    return "".join(
        f"&#{ord(c)};" if c.isascii() and not c.isalnum() and c != " " else c
        for c in " ".join(text.split())
    )


def link(ref: Cited, citation: Citation, target: str) -> str:
    """A Markdown link for one citation: its label (and locator), to `target`, titled with
    the entry's preview.

    Example:
        >>> class R:
        ...     key, authors, title, year, suffix = "k", ("Ann Lee",), "On X", 2020, ""
        ...     def label(self): return "Lee, 2020"
        >>> link(R(), Citation("k", "ch. 2"), "#ref-k")
        '[Lee, 2020, ch. 2](#ref-k "Ann Lee &#40;2020&#41;&#46; On X&#46;")'
    """
    text = ref.label() + (f", {citation.locator}" if citation.locator else "")
    return f'[{text}]({target} "{_attribute(preview(ref))}")'
