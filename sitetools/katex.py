"""Render the site's formulas to HTML at build time, with the KaTeX copy npm installed.

`pymdownx.arithmatex` (generic mode) wraps each formula as ``<span class="arithmatex">\\(...\\)``
or ``<div class="arithmatex">\\[...\\]``. Rendering them here, once per page in one Node.js
process, means a reader's browser runs no math script at all: the page needs only KaTeX's CSS
and fonts: `adjust_assets` leaves them out of pages without formulas and preloads, on pages
with formulas, the fonts those use. A formula KaTeX cannot parse fails the build, naming the
page and the formula.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["KatexError", "adjust_assets", "render_math"]

_FORMULA_RE = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">'
    r"(?P<open>\\\(|\\\[)(?P<tex>.*?)(?:\\\)|\\\])</(?P=tag)>",
    re.S,
)
# Reads [[tex, display], ...] as JSON on stdin; writes the HTML of each, or the first error.
_RENDER_JS = r"""
const katex = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const out = [];
  for (const [tex, displayMode] of JSON.parse(input)) {
    try {
      out.push(katex.renderToString(tex, { displayMode, throwOnError: true, output: "html" }));
    } catch (err) {
      process.stdout.write(JSON.stringify({ error: String(err.message), tex }));
      return;
    }
  }
  process.stdout.write(JSON.stringify({ html: out }));
});
"""
_ASSET_RE = re.compile(
    r'\s*<link rel="stylesheet" href="(?P<base>[^"]*)assets/vendor/katex/katex\.min\.css">'
)
# The two KaTeX fonts nearly every formula uses, and the markup that shows a page uses each.
_FONT_USES = {
    "KaTeX_Main-Regular": re.compile(r'class="(?:mord|mbin|mrel|mopen|mclose|mpunct|mop)"'),
    "KaTeX_Math-Italic": re.compile(r'class="mord mathnormal"'),
}


class KatexError(ValueError):
    """Raised when a formula cannot be rendered; the message names the page and the formula."""


def render_math(page_html: str, *, root: Path, where: str) -> str:
    """Replace each arithmatex formula in ``page_html`` by KaTeX's HTML, keeping its wrapper.

    Args:
        page_html: a page's HTML.
        root: the repository root, holding ``node_modules/katex``.
        where: the page's source path, for error messages.

    Returns:
        The HTML with every formula rendered.

    Raises:
        KatexError: if Node.js or KaTeX is missing, or a formula does not parse.
    """
    found = list(_FORMULA_RE.finditer(page_html))
    if not found:
        return page_html
    node = shutil.which("node")
    module = root / "node_modules" / "katex"
    if node is None or not module.is_dir():
        raise KatexError(
            f"{where}: rendering its formulas needs Node.js and node_modules/katex "
            "(`make setup` installs them)"
        )
    formulas = [[html.unescape(m["tex"]), m["open"] == "\\["] for m in found]
    proc = subprocess.run(
        [node, "-e", _RENDER_JS, str(module.resolve())],
        input=json.dumps(formulas),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise KatexError(f"{where}: KaTeX failed to run:\n{proc.stderr.strip()}")
    result = json.loads(proc.stdout)
    if "error" in result:
        raise KatexError(f"{where}: KaTeX cannot render {result['tex']!r}: {result['error']}")
    parts, last = [], 0
    for match, rendered in zip(found, result["html"], strict=True):
        tag = match["tag"]
        parts += [page_html[last : match.start()], f'<{tag} class="arithmatex">{rendered}</{tag}>']
        last = match.end()
    parts.append(page_html[last:])
    return "".join(parts)


def adjust_assets(page_html: str) -> str:
    """Drop the link to KaTeX's stylesheet from a page with no rendered formula; on a page with
    formulas, preload the fonts they use.

    A browser finds a font only once the stylesheet is in and the page laid out; a preload
    link fetches it alongside the stylesheet instead, so the formulas are drawn sooner. Only
    fonts the page uses are preloaded (an unused preload is a console warning).
    """
    if 'class="katex' not in page_html:
        return _ASSET_RE.sub("", page_html)

    def preload(match: re.Match[str]) -> str:
        links = "".join(
            f'\n  <link rel="preload" href="{match["base"]}assets/vendor/katex/fonts/{font}.woff2"'
            ' as="font" type="font/woff2" crossorigin>'
            for font, used in _FONT_USES.items()
            if used.search(page_html)
        )
        return match[0] + links

    return _ASSET_RE.sub(preload, page_html, count=1)
