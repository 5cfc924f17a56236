"""Read the snippet boxes (``<div class="dlcv-snippet">``) of a page's HTML.

A box holds the code blocks `sitetools.markup.snippet_block` wrote: the program (or an excerpt
and, collapsed under it, the whole program), its Output block, and download links. Only
``div``, ``details``, ``code`` and the title ``span`` are tracked, whose end tags the HTML
always writes. Used on the built site (tests/site/test_site.py, tests/site/test_copy.py) and
on blocks rendered with the site's Markdown set-up (`helpers.site_markdown`).
"""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

from sitetools import markup

SNIPPET_TITLE = re.compile(
    r"^snippets/(?P<name>\S+\.py)(?P<excerpt>" + re.escape(markup.EXCERPT_SUFFIX) + r")?$"
)


@dataclasses.dataclass
class CodeBlock:
    """One highlighted code block: its title and the text of its ``<code>`` element."""

    title: str
    text: str
    in_details: bool

    @property
    def copied(self) -> str:
        """What its copy button copies: Material takes the text, trailing whitespace trimmed."""
        return self.text.rstrip()


@dataclasses.dataclass
class SnippetBox:
    """One ``.dlcv-snippet`` box: its code blocks, in order, and its download links."""

    blocks: list[CodeBlock] = dataclasses.field(default_factory=list)
    downloads: list[str] = dataclasses.field(default_factory=list)

    def snippet(self) -> str | None:
        """The name (under snippets/) of the snippet the box shows, from its first title."""
        for block in self.blocks:
            if match := SNIPPET_TITLE.match(block.title):
                return match["name"]
        return None

    def outputs(self) -> list[str]:
        """The text of each block titled "Output" (one, or none when nothing was printed)."""
        return [block.text for block in self.blocks if block.title == "Output"]


class _Boxes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.boxes: list[SnippetBox] = []
        self._divs: list[str] = []
        self._details = 0
        self._block: CodeBlock | None = None
        self._into: str | None = None  # "title" or "code": where text goes

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        in_box = "box" in self._divs
        if tag == "div":
            if "dlcv-snippet" in classes:
                self._divs.append("box")
                self.boxes.append(SnippetBox())
            elif "highlight" in classes and in_box:
                self._divs.append("highlight")
                self._block = CodeBlock("", "", self._details > 0)
            else:
                self._divs.append("other")
        elif tag == "details":
            self._details += 1
        elif self._block is not None and self._into is None:
            if tag == "span" and "filename" in classes:
                self._into = "title"
            elif tag == "code":
                self._into = "code"
        elif tag == "a" and in_box and "download" in dict(attrs):
            self.boxes[-1].downloads.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._divs:
            kind = self._divs.pop()
            if kind == "highlight" and self._block is not None:
                self.boxes[-1].blocks.append(self._block)
                self._block = None
        elif tag == "details":
            self._details -= 1
        elif (tag, self._into) in {("span", "title"), ("code", "code")}:
            self._into = None

    def handle_data(self, data: str) -> None:
        if self._block is None or self._into is None:
            return
        if self._into == "title":
            self._block.title += data
        else:
            self._block.text += data


def snippet_boxes(html: str) -> list[SnippetBox]:
    """The snippet boxes of a page's HTML, in order, character references read back."""
    parser = _Boxes()
    parser.feed(html)
    parser.close()
    return parser.boxes
