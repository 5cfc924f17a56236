"""Printed tables that stay readable on a phone: each row's first column stays in view.

A snippet's Output block keeps its lines whole and scrolls sideways, so a table wider than the
screen (about 46 characters of code at 375 px) hides its right-hand columns, often the one the
prose asks about. This Python-Markdown extension, listed in mkdocs.yml as
``sitetools.output_tables``, finds the tables in each Output block and wraps each row's first
column (with one space of its gutter) in ``<span class="dlcv-row-label">``; the site's
stylesheet makes that span sticky, so a reader who scrolls to the last column still sees which
row each number belongs to. The text is unchanged: what the copy button copies and what the
tests compare with the snippet's output stay exactly what the snippet printed.

A table is a run of at least three non-blank lines (a header and two rows) with a first column
that ends at the same place in every line, followed by a gutter of at least two spaces and by
more text in at least two of the lines: what `label_width` finds.

Example:
    >>> import markdown
    >>> block = '```text title="Output"\\nname    n\\nalpha   1\\nbeta    2\\n```'
    >>> html = markdown.markdown(block, extensions=["pymdownx.superfences",
    ...                                             "pymdownx.highlight", OutputTables()])
    >>> html.count('<span class="dlcv-row-label">')
    3
"""

from __future__ import annotations

import html
import re

from markdown.postprocessors import Postprocessor  # type: ignore[import-untyped]

from sitetools._one_processor import OneProcessorExtension

__all__ = ["LABEL_CLASS", "MAX_LABEL", "OutputTables", "label_width", "makeExtension", "mark_rows"]

LABEL_CLASS = "dlcv-row-label"
# A first column wider than this would cover most of a phone's screen when it sticks.
MAX_LABEL = 28
# After every other postprocessor: the highlighted code is back in the HTML by then (the raw
# HTML postprocessor, 30, restores it).
PRIORITY = 5
# The code block that `sitetools.markup.snippet_block` titles "Output", as pymdownx.highlight
# writes it. Its text lexer leaves the text as plain escaped text, without spans.
_OUTPUT_RE = re.compile(
    r'(<span class="filename">Output</span><pre>(?:<span></span>)?<code>)(?P<text>[^<]*)(</code>)'
)


def label_width(lines: list[str]) -> int | None:
    """Where the first column of a table ends (its width), or None when `lines` are no table.

    The first column ends where every line has two spaces (or has ended), within
    `MAX_LABEL` characters; every line has more text after it, and the first line, the header,
    names the column (it is not blank there). No line opens a bracket, as a printed array's
    rows do.

    Examples:
        >>> label_width(["kernel   size", "sobel x  3x3", "box      7x7"])
        7
        >>> label_width(["a few words", "of prose", "that wrap"]) is None
        True
        >>> label_width(["[[1.  0.5]", " [0.5 1. ]]", " [0.   0.]]"]) is None
        True
    """
    if len(lines) < 3 or lines[0][:1] == "(" or any(line.lstrip()[:1] == "[" for line in lines):
        return None
    widest = max(len(line) for line in lines)
    for end in range(1, min(widest, MAX_LABEL + 1)):
        if all(line[end : end + 2].strip() == "" for line in lines):
            named = lines[0][:end].strip() != ""
            rest = all(line[end:].strip() for line in lines)
            return end if named and rest else None
    return None


def _tables(lines: list[str], start: int, end: int) -> list[tuple[int, int, int]]:
    """(first line, end line, label width) of each table in ``lines[start:end]``, a run of
    non-blank lines: the longest table first, then those before and after it."""
    for size in range(end - start, 2, -1):
        for first in range(start, end - size + 1):
            width = label_width(lines[first : first + size])
            if width is not None:
                return [
                    *_tables(lines, start, first),
                    (first, first + size, width),
                    *_tables(lines, first + size, end),
                ]
    return []


def mark_rows(text: str) -> str:
    """Wrap the first column of every table in `text` (an Output block's escaped HTML text).

    A table may follow or precede other lines without a blank line between them.

    Example:
        >>> print(mark_rows("Scores\\nname   n\\na &lt; b  1\\nc      2\\nDone"))
        Scores
        <span class="dlcv-row-label">name  </span> n
        <span class="dlcv-row-label">a &lt; b </span> 1
        <span class="dlcv-row-label">c     </span> 2
        Done
    """
    lines = html.unescape(text).split("\n")
    out = [html.escape(line, quote=False) for line in lines]
    start = 0
    while start < len(lines):
        if not lines[start].strip():
            start += 1
            continue
        end = start
        while end < len(lines) and lines[end].strip():
            end += 1
        for first, last, width in _tables(lines, start, end):
            for i in range(first, last):
                label, rest = lines[i][: width + 1], lines[i][width + 1 :]
                out[i] = (
                    f'<span class="{LABEL_CLASS}">{html.escape(label, quote=False)}</span>'
                    + html.escape(rest, quote=False)
                )
        start = end
    return "\n".join(out)


class _MarkRows(Postprocessor):  # type: ignore[misc]  # Markdown is untyped
    def run(self, text: str) -> str:
        if 'class="filename">Output<' not in text:
            return text
        return _OUTPUT_RE.sub(lambda m: m[1] + mark_rows(m["text"]) + m[3], text)


class OutputTables(OneProcessorExtension):
    """Marks the first column of the tables in Output blocks (see the module's docstring)."""

    processor, stage, registered_name = _MarkRows, "postprocessors", "dlcv_output_tables"
    priority = PRIORITY


makeExtension = OutputTables  # the entry point Python-Markdown calls with the configuration
