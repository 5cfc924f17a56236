"""The page transforms as a Python-Markdown extension (sitetools.mdext), outside any generator.

Each test converts page text with plain `markdown.markdown`, reading snippet results from a
cache folder written here by hand, as the snippet runner writes one: nothing runs.
"""

from __future__ import annotations

import doctest
import html as html_module
import json
import re
import shutil
from pathlib import Path
from typing import Any

import markdown
import pytest
from helpers.site_markdown import site_markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from PIL import Image

from sitetools import (
    citations,
    frontdoor,
    glossary,
    markup,
    mdext,
    output_tables,
    page_notebooks,
    snippets,
)

PAGE = "demo/page.md"
SNIPPET = "demo/page/hello.py"
BIBLIOGRAPHY = """\
- key: lecun2015
  type: paper
  authors: [Yann LeCun, Yoshua Bengio, Geoffrey Hinton]
  title: Deep learning
  year: 2015
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A repository with one page, one snippet (with a marked section) and a bibliography."""
    (tmp_path / "docs" / "research").mkdir(parents=True)
    (tmp_path / "docs" / "research" / "references.yml").write_text(BIBLIOGRAPHY)
    snippet = tmp_path / "snippets" / SNIPPET
    snippet.parent.mkdir(parents=True)
    snippet.write_text("# --8<-- [start:main]\nprint(6 * 7)\n# --8<-- [end:main]\n")
    return tmp_path


def _save_result(root: Path, stdout: str, figure: str | None = None) -> None:
    """Write the snippet's cache entry as `snippets.run_one` does, without running it."""
    keys = snippets.CacheKeys(root, root / ".cache" / "snippets")
    entry = keys.cache_root / keys.record(root / "snippets" / SNIPPET, [])
    entry.mkdir(parents=True)
    figures = []
    if figure is not None:
        Image.new("RGB", (4, 4)).save(entry / figure)
        figures.append({"name": figure, "alt": "A black square", "caption": "Black, 4 px"})
    record = {
        "name": SNIPPET,
        "stdout": stdout,
        "figures": figures,
        "seconds": 1.0,
        "cpu_seconds": 1.5,
        "provenance": {"device": "CPU (test)", "date": "2026-01-01"},
        "extras": [],
    }
    (entry / "result.json").write_text(json.dumps(record))


def _convert(root: Path, text: str, **settings: Any) -> str:
    extension = mdext.MarkupExtension(page=PAGE, docs_dir=str(root / "docs"), **settings)
    extensions = [extension, "md_in_html", "attr_list", "pymdownx.details", "pymdownx.superfences"]
    return str(markdown.markdown(text, extensions=extensions))


def test_a_snippet_embed_shows_the_cached_output_figure_and_provenance(root: Path) -> None:
    _save_result(root, "42\n", figure="square.png")
    html = _convert(root, f"# Demo\n\n[[snippet {SNIPPET}]]\n")
    text = re.sub(r"<[^>]+>", "", html)
    assert "[[snippet" not in text
    assert "print(6 * 7)" in text and "42" in text
    assert "Ran on CPU (test)" in html and "1.5 s CPU time" in html
    # The figure's address is relative to the page's URL, demo/page/.
    assert 'src="../../_snippets/demo/page/hello/square.png"' in html
    # Its size reserves its box; it links to itself (to enlarge it) above its caption.
    assert 'width="4" height="4"' in html
    assert '<a class="dlcv-zoom" href="../../_snippets/demo/page/hello/square.png">' in html
    assert "<figcaption>Black&#44; 4 px</figcaption>" in html  # punctuation as references


def test_an_excerpt_links_the_whole_program_relative_to_the_page_source(root: Path) -> None:
    _save_result(root, "42\n")
    html = _convert(root, f"[[snippet {SNIPPET}#main]]\n")
    assert "(excerpt)" in html and markup.WHOLE_PROGRAM_SUMMARY in html
    assert 'href="../_snippets/demo/page/hello.py"' in html


def test_a_snippet_without_a_result_fails_naming_the_page_line_and_command(root: Path) -> None:
    text = f"# Demo\n\n[[snippet {SNIPPET}]]\n"
    with pytest.raises(markup.MarkupError) as caught:
        _convert(root, text)
    message = str(caught.value)
    assert f"docs/{PAGE}: no run result for snippets/{SNIPPET}" in message
    assert f"python -m sitetools.snippets run {SNIPPET}" in message
    # Never a placeholder, unless asked for (make serve).
    html = _convert(root, text, placeholders=True)
    assert "Running…" in html and "42" not in html


def test_pages_render_from_the_builds_snapshot_not_a_result_saved_since(root: Path) -> None:
    """make serve: a result saved while a build runs waits for the next build, whose files
    include its figures; read mid-build, a page would link files the build never registered."""
    text = f"# Demo\n\n[[snippet {SNIPPET}]]\n"
    _save_result(root, "42\n", figure="square.png")  # saved after the build read the cache
    html = _convert(root, text, placeholders=True, results={SNIPPET: None})
    assert "Running…" in html and "square.png" not in html
    result = snippets.collect(root)[SNIPPET]
    assert result is not None
    html = _convert(root, text, placeholders=True, results={SNIPPET: result})
    assert "Running…" not in html and "square.png" in html


def test_error_lines_count_the_front_matter_the_generator_cut(root: Path) -> None:
    body = "# Demo\n\nText.\n\n[[snippet missing/x.py]]\n"
    (root / "docs" / PAGE).parent.mkdir(parents=True)
    (root / "docs" / PAGE).write_text(f"---\ntitle: Demo\n---\n\n{body}")
    with pytest.raises(markup.MarkupError, match=rf"docs/{PAGE}:9: embeds snippets/missing/x.py"):
        _convert(root, body)


def test_citations_link_the_page_reference_list_and_are_collected(root: Path) -> None:
    cited: set[str] = set()
    html = _convert(
        root, "Deep nets [@lecun2015].\n\n## References\n\n[[references]]\n", cited=cited
    )
    assert '<a href="#ref-lecun2015" title="Yann LeCun' in html
    assert '<div class="dlcv-ref" id="ref-lecun2015">' in html
    assert "LeCun et al., 2015" in html and "<em>Deep learning</em>" in html
    assert cited == {"lecun2015"}
    with pytest.raises(markup.MarkupError, match=r"\[@nobody\] has no entry"):
        _convert(root, "As [@nobody] said.\n")


GLOSSARY = """\
- term: mAP
  expansion: mean average precision
  definition: "AP averaged over classes [@lecun2015]."
  link: demo/detection.md#map
"""


def test_acronyms_get_their_expansion_in_prose_but_not_in_code(root: Path) -> None:
    (root / "docs" / "research" / "glossary.yml").write_text(GLOSSARY)
    extension = mdext.MarkupExtension(page=PAGE, docs_dir=str(root / "docs"))
    html = markdown.markdown("The mAP, not a map; `mAP` in code.\n", extensions=[extension, "abbr"])
    assert html.count("<abbr") == 1
    assert '<abbr title="mean average precision">mAP</abbr>, not a map' in html
    assert "<code>mAP</code>" in html


def test_only_the_terms_a_text_uses_are_defined_and_an_included_file_counts(
    root: Path,
) -> None:
    """Each conversion (a page, or one docstring of the API reference) gets the definitions of
    the terms in its final text: none for a text without them, which Markdown would otherwise
    parse as blocks for nothing; those of an included file, which is expanded first."""
    (root / "docs" / "research" / "glossary.yml").write_text(GLOSSARY)
    extension = mdext.MarkupExtension(page=PAGE, docs_dir=str(root / "docs"))
    md = markdown.Markdown(extensions=[extension, "abbr"])
    lines = md.preprocessors["dlcv_abbreviations"].run(["No acronym here."])
    assert lines == ["No acronym here."]
    (root / "docs" / "demo").mkdir(exist_ok=True)
    (root / "docs" / "demo" / "part.md").write_text("Ranked by mAP.\n")
    html = markdown.markdown("[[include docs/demo/part.md]]\n", extensions=[extension, "abbr"])
    assert '<abbr title="mean average precision">mAP</abbr>' in html


def test_the_glossary_lists_each_term_with_its_page_and_citations(root: Path) -> None:
    (root / "docs" / "research" / "glossary.yml").write_text(GLOSSARY)
    extension = mdext.MarkupExtension(page=PAGE, docs_dir=str(root / "docs"))
    html = markdown.markdown(
        "[[glossary]]\n\n## References\n\n[[references]]\n",
        extensions=[extension, "abbr", "toc", "md_in_html"],
    )
    # A heading per term: search finds the term in a title, and each has an anchor.
    assert '<h2 id="map"><abbr title="mean average precision">mAP</abbr></h2>' in html
    assert '<a href="detection.md#map">demo/detection</a>' in html  # relative to demo/page.md
    assert '<a href="#ref-lecun2015"' in html  # its citations resolve like any page's


def test_a_malformed_glossary_entry_fails_naming_the_term(root: Path) -> None:
    bad = GLOSSARY.replace("  expansion: mean average precision\n", "")
    (root / "docs" / "research" / "glossary.yml").write_text(bad)
    with pytest.raises(ValueError, match=r"term 'mAP' must have .* missing \['expansion'\]"):
        _convert(root, "Text.\n")


def test_code_blocks_are_left_as_written(root: Path) -> None:
    html = _convert(root, f"```text\n[[snippet {SNIPPET}]] [@lecun2015]\n```\n")
    assert f"[[snippet {SNIPPET}]] [@lecun2015]" in html


def test_text_of_no_known_page_passes_through_unless_it_uses_the_markup() -> None:
    # As mkdocstrings renders a docstring under MkDocs: no page, and usually no markup.
    plain = markdown.markdown("A *docstring* with x[0].", extensions=[mdext.NAME])
    assert plain == "<p>A <em>docstring</em> with x[0].</p>"
    with pytest.raises(markup.MarkupError, match="the page it belongs to is unknown"):
        markdown.markdown("See [@lecun2015].", extensions=[mdext.NAME])


class _ZensicalContext(Preprocessor):  # type: ignore[misc]
    """What Zensical 0.0.73 registers on each page's Markdown (zensical/extensions/context.py):
    the page's path and URL, and the project's configuration."""

    def __init__(self, md: markdown.Markdown, page: Any, config: dict[str, Any]) -> None:
        super().__init__(md)
        self.page, self.config = page, config

    def run(self, lines: list[str]) -> list[str]:
        return lines


def test_the_page_comes_from_zensicals_rendering_context(root: Path) -> None:
    _save_result(root, "42\n", figure="square.png")

    class Page:
        path, url = PAGE, "demo/page/"

    class Context(Extension):  # type: ignore[misc]
        def extendMarkdown(self, md: markdown.Markdown) -> None:
            config = {"root_dir": str(root), "docs_dir": "docs"}
            md.preprocessors.register(_ZensicalContext(md, Page(), config), "rendering_context", 0)

    html = markdown.markdown(f"[[snippet {SNIPPET}]]\n", extensions=[Context(), mdext.NAME])
    # Zensical rewrites raw HTML addresses from the source folder, as it rewrites links.
    assert "42" in html and 'src="../_snippets/demo/page/hello/square.png"' in html


def test_copy_files_puts_snippet_files_and_figures_into_a_built_site(root: Path) -> None:
    site = root / "site"
    with pytest.raises(snippets.SnippetError, match=f"no run result for {SNIPPET}"):
        site.mkdir()
        mdext.copy_files(root, site)
    _save_result(root, "42\n", figure="square.png")
    assert mdext.main(["copy-files", str(site), "--root", str(root)]) == 0
    assert (site / "_snippets" / SNIPPET).read_text() == (root / "snippets" / SNIPPET).read_text()
    assert (site / "_snippets/demo/page/hello/square.png").is_file()
    assert not (site / "_notebooks").exists()  # no page embeds the snippet yet
    (root / "docs" / PAGE).parent.mkdir(parents=True)
    (root / "docs" / PAGE).write_text(f"# Demo\n\n[[snippet {SNIPPET}#main]]\n")
    assert mdext.main(["copy-files", str(site), "--root", str(root)]) == 0
    notebook = (site / "_notebooks" / "demo" / "page.ipynb").read_text()
    assert page_notebooks.snippet_cells(notebook) == [
        (SNIPPET, (root / "snippets" / SNIPPET).read_text())
    ]


def test_a_page_with_snippets_offers_its_notebook_in_its_before_you_start_box(root: Path) -> None:
    _save_result(root, "42\n")
    (root / "mkdocs.yml").write_text("site_name: demo\nrepo_url: https://github.com/o/n\n")
    page = (
        '# Demo\n\n!!! abstract "Before you start"\n    **What you will learn:**\n\n'
        f"    - One thing.\n\nProse.\n\n[[snippet {SNIPPET}]]\n"
    )
    extensions: list[Any] = [
        mdext.MarkupExtension(page=PAGE, docs_dir=str(root / "docs")),
        "admonition",
        "attr_list",
    ]
    html = markdown.markdown(page, extensions=extensions)
    box = html.split('<div class="admonition abstract">')[1].split("</div>")[0]
    assert '<a download="page.ipynb" href="../_notebooks/demo/page.ipynb">' in box
    colab = "https://colab.research.google.com/github/o/n/blob/main/notebooks/demo/page.ipynb"
    assert f'<a href="{colab}">Open in Colab</a>' in box
    without = markdown.markdown("# Demo\n\nProse [@lecun2015].\n", extensions=extensions)
    assert "Run the whole page" not in without and "_notebooks" not in without


def test_mkdocs_yml_lists_the_extension_and_the_examples_run() -> None:
    config = (Path(mdext.__file__).resolve().parents[1] / "mkdocs.yml").read_text()
    assert f"\n  - {mdext.NAME}\n" in config
    # The extension and the two modules it adds to each page with (citations, acronyms).
    for module in (mdext, citations, glossary):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_output_tables_mark_each_row_label_and_keep_the_text() -> None:
    """An Output table's first column is wrapped for the stylesheet to keep in view; the code
    above it and prose in the output are left alone, and the text reads as printed."""
    printed = "accuracy: 0.9\n\nlayer    size  score\npixels     64  0.158\nout < 1    10  0.878\n"
    code = "rows = [('pixels', 64), ('layer', 32)]\nprint(rows)"
    block = markup.snippet_block(
        name="s/p/x.py", code=code, stdout=printed, figures=[], provenance={}, cpu_seconds=1
    )
    page = site_markdown().convert(block)
    labels = re.findall(r'<span class="dlcv-row-label">([^<]*)</span>', page)
    assert [html_module.unescape(label) for label in labels] == ["layer   ", "pixels  ", "out < 1 "]
    output = page[page.index(">Output<") :]
    text = html_module.unescape(re.sub(r"<[^>]+>", "", output[: output.index("</code>")]))
    assert text.rstrip("\n").endswith(printed.rstrip("\n"))
    assert page.count("dlcv-row-label") == 3  # none in the program above
    assert output_tables.label_width(["prose that", "wraps on", "three lines"]) is None
    result = doctest.testmod(output_tables)
    assert result.attempted > 0 and result.failed == 0


def test_the_front_door_counts_this_build_and_shows_one_figure_per_page(root: Path) -> None:
    """[[site-facts]] and [[gallery]] on the home page, from the cache and the nav; code blocks
    that show the syntax are left alone, and without sitetools.mdext the lines are an error."""
    _save_result(root, "42\n", figure="square.png")
    (root / "mkdocs.yml").write_text("nav:\n  - Home: index.md\n  - Demo page: demo/page.md\n")
    (root / "docs" / PAGE).parent.mkdir(parents=True)
    (root / "docs" / PAGE).write_text(f"# Demo\n\n[[snippet {SNIPPET}]]\n")
    home = mdext.MarkupExtension(page="index.md", docs_dir=str(root / "docs"))
    text = "[[site-facts]]\n\n[[gallery]]\n\n```\n[[gallery]]\n```\n"
    html = markdown.markdown(text, extensions=[home, frontdoor.FrontDoor(), "md_in_html"])
    assert "<strong>1</strong> snippets and <strong>1</strong> references" in html
    assert "ran on CPU (test) at commit ? (2026-01-01)" in html
    image = '<img src="_snippets/demo/page/hello/square.png" alt="A black square" loading="lazy"'
    assert f'<a href="demo/page.md">{image} width="4" height="4"><span>Demo page</span></a>' in html
    assert html.count("<img") == 1 and "<code>[[gallery]]" in html
    # The build's snapshot wins over the cache: a result saved after it was taken waits.
    snapshot = mdext.MarkupExtension(
        page="index.md", docs_dir=str(root / "docs"), placeholders=True, results={SNIPPET: None}
    )
    later = markdown.markdown(text, extensions=[snapshot, frontdoor.FrontDoor(), "md_in_html"])
    assert "<img" not in later and "No snippet has run yet." in later
    for entry in (root / ".cache" / "snippets").iterdir():  # a snippet still to run
        if entry.is_dir():
            shutil.rmtree(entry)
    with pytest.raises(markup.MarkupError, match=r"the gallery needs a run result for snippets/"):
        markdown.markdown(text, extensions=[home, frontdoor.FrontDoor(), "md_in_html"])
    serving = mdext.MarkupExtension(page="index.md", docs_dir=str(root / "docs"), placeholders=True)
    html = markdown.markdown(text, extensions=[serving, frontdoor.FrontDoor(), "md_in_html"])
    assert "<img" not in html and "No snippet has run yet." in html
    with pytest.raises(markup.MarkupError, match=r"needs sitetools\.mdext before it"):
        markdown.markdown(text, extensions=[frontdoor.FrontDoor()])
    result = doctest.testmod(frontdoor)
    assert result.attempted > 0 and result.failed == 0
