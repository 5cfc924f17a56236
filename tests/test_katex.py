"""Formulas are rendered to HTML at build time; pages without formulas skip KaTeX's CSS."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitetools import katex

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules/katex").is_dir(),
    reason="needs Node.js and node_modules/katex (make setup installs them)",
)


def test_inline_and_display_formulas_become_katex_html_inside_their_wrappers() -> None:
    page = (
        '<p>Inline <span class="arithmatex">\\(a &lt; b\\)</span>.</p>\n'
        '<div class="arithmatex">\\[\\sum_i x_i\\]</div>'
    )
    out = katex.render_math(page, root=ROOT, where="docs/x.md")
    assert out.startswith('<p>Inline <span class="arithmatex"><span class="katex">')
    assert '<div class="arithmatex"><span class="katex-display">' in out
    # The entity was unescaped before KaTeX saw it: it renders a less-than sign, not "&lt;".
    assert "&lt;" in out and "lt;" not in out.replace("&lt;", "")
    assert "\\(" not in out and "\\[" not in out


def test_a_page_without_formulas_is_returned_unchanged() -> None:
    page = "<p>No math here, only \\(text\\) outside any wrapper.</p>"
    assert katex.render_math(page, root=ROOT, where="docs/x.md") == page


def test_a_formula_katex_cannot_parse_fails_naming_page_and_formula() -> None:
    page = '<span class="arithmatex">\\(\\frac{1}{\\)</span>'
    with pytest.raises(katex.KatexError, match=r"docs/bad\.md: KaTeX cannot render '\\\\frac"):
        katex.render_math(page, root=ROOT, where="docs/bad.md")


def test_the_stylesheet_is_dropped_only_from_pages_without_rendered_math() -> None:
    head = '<head>\n  <link rel="stylesheet" href="../assets/vendor/katex/katex.min.css">\n</head>'
    assert "katex.min.css" not in katex.adjust_assets(head + "<p>plain</p>")
    with_math = head + '<span class="katex">x</span>'
    assert katex.adjust_assets(with_math) == with_math


def test_pages_with_math_preload_the_fonts_their_formulas_use() -> None:
    head = '<head>\n  <link rel="stylesheet" href="../assets/vendor/katex/katex.min.css">\n</head>'
    italic = '<span class="katex"><span class="mord mathnormal">x</span></span>'
    html = katex.adjust_assets(head + italic)
    assert html.count('rel="preload"') == 1
    assert (
        '<link rel="preload" href="../assets/vendor/katex/fonts/KaTeX_Math-Italic.woff2" '
        'as="font" type="font/woff2" crossorigin>'
    ) in html
    both = head + italic + '<span class="mrel">=</span>'
    assert "KaTeX_Main-Regular.woff2" in katex.adjust_assets(both)
