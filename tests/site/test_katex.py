"""Formulas are rendered to HTML at build time; pages without formulas skip KaTeX's CSS.

The HTML these tests read comes from the real tools: Python-Markdown with the site's
extensions (pymdownx.arithmatex marks the formulas), KaTeX through Node, and, for what a
page's head loads, a small site built by MkDocs with Material and the site's hooks.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from helpers.mkdocs_build import mkdocs_build
from helpers.site_markdown import site_markdown

from sitetools import katex

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules/katex").is_dir(),
    reason="needs Node.js and node_modules/katex (make setup installs them)",
)
KATEX_CSS = "assets/vendor/katex/katex.min.css"
PRELOAD = re.compile(r'<link rel="preload" href="(?P<href>[^"]+)" as="font"[^>]*>')


def _page(markdown: str) -> str:
    """A page's content HTML, as the site's Markdown set-up writes it."""
    return site_markdown().convert(markdown)


def test_inline_and_display_formulas_become_katex_html_inside_their_wrappers() -> None:
    page = _page("Inline $a < b$.\n\n$$\\sum_i x_i$$\n")
    assert '<span class="arithmatex">\\(a &lt; b\\)</span>' in page  # what KaTeX is given
    out = katex.render_math(page, root=ROOT, where="docs/x.md")
    assert out.startswith('<p>Inline <span class="arithmatex"><span class="katex">')
    assert '<div class="arithmatex"><span class="katex-display">' in out
    # The entity was unescaped before KaTeX saw it: it renders a less-than sign, not "&lt;".
    assert "&lt;" in out and "lt;" not in out.replace("&lt;", "")
    assert "\\(" not in out and "\\[" not in out


def test_a_page_without_formulas_is_returned_unchanged() -> None:
    page = _page("No math here: a price of \\$5, and `$x$` in code.\n")
    assert "$5" in page and "<code>$x$</code>" in page
    assert katex.render_math(page, root=ROOT, where="docs/x.md") == page


def test_a_formula_katex_cannot_parse_fails_naming_page_and_formula() -> None:
    page = _page("Broken: $\\frac{1}{$.\n")
    with pytest.raises(katex.KatexError, match=r"docs/bad\.md: KaTeX cannot render '\\\\frac"):
        katex.render_math(page, root=ROOT, where="docs/bad.md")


# --- what a built page loads ------------------------------------------------------------------

PAGES = {
    "index.md": "# Plain\n\nNo formulas, only a price of \\$5.\n",
    "digits.md": "# Digits\n\nOnly upright digits: $1 + 2 = 3$.\n",
    "section/letters.md": "# Letters\n\nInline $a < b$.\n\n$$\\sum_i x_i$$\n",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three pages built by MkDocs with the site's theme, Markdown extensions, KaTeX
    stylesheet and hooks: one without formulas, one whose formulas are digits alone, one
    with letters."""
    project = tmp_path_factory.mktemp("katex-site")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert KATEX_CSS in config["extra_css"]
    vendor = project / "docs" / KATEX_CSS.rsplit("/", 1)[0]
    vendor.mkdir(parents=True)
    dist = ROOT / "node_modules" / "katex" / "dist"
    shutil.copy2(dist / "katex.min.css", vendor)
    shutil.copytree(dist / "fonts", vendor / "fonts")
    (project / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    for name, text in PAGES.items():
        (project / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "docs" / name).write_text(text, encoding="utf-8")
    theme = {**config["theme"], "custom_dir": str(ROOT / config["theme"]["custom_dir"])}
    (project / "mkdocs.yml").write_text(
        yaml.safe_dump(
            {
                "site_name": "demo",
                "theme": theme,
                "hooks": [str(ROOT / "sitetools" / "hooks.py")],
                "markdown_extensions": config["markdown_extensions"],
                "extra_css": [KATEX_CSS],
            }
        ),
        encoding="utf-8",
    )
    proc = mkdocs_build(cwd=project, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return project / "site"


def _built(site: Path, folder: str) -> str:
    return (site / folder / "index.html").read_text(encoding="utf-8")


def test_a_built_page_without_formulas_loads_no_katex(site: Path) -> None:
    page = _built(site, "")
    assert "Plain" in page and "$5" in page  # the page is there, its dollar sign left alone
    assert "katex" not in page.lower()


def test_a_built_page_with_formulas_loads_the_stylesheet_and_preloads_only_its_fonts(
    site: Path,
) -> None:
    fonts = {}
    for folder in ("digits", "section/letters"):
        page = _built(site, folder)
        assert 'class="katex"' in page and "\\(" not in page and "\\[" not in page
        up = "../" * (folder.count("/") + 1)
        assert f'<link rel="stylesheet" href="{up}{KATEX_CSS}">' in page
        hrefs = PRELOAD.findall(page)
        for href in hrefs:
            assert (site / folder / href).resolve().is_file(), f"{folder}: {href} is not there"
        fonts[folder] = sorted(Path(href).stem for href in hrefs)
    assert fonts == {
        "digits": ["KaTeX_Main-Regular"],
        "section/letters": ["KaTeX_Main-Regular", "KaTeX_Math-Italic"],
    }
