"""The page syntax: embeds, marked sections, citations and reference lists."""

from __future__ import annotations

import html as html_module
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers.site_markdown import site_markdown

from sitetools import markup

REFS = {
    "lecun2015": markup.Reference(
        key="lecun2015",
        type="paper",
        authors=("Yann LeCun", "Yoshua Bengio", "Geoffrey Hinton"),
        title="Deep learning",
        year=2015,
        venue="Nature 521",
        doi="10.1038/nature14539",
    ),
    "nvidia2014": markup.Reference(
        key="nvidia2014",
        type="datasheet",
        authors=("NVIDIA",),
        title="Tesla K80",
        year=2014,
        url="https://example.org/k80.pdf",
    ),
}


def _echo(name: str, section: str | None, code: str) -> str:
    return f"<<{name}|{section}|{code}>>"


def _transform(md: str, root: Path, cited: set[str] | None = None) -> str:
    return markup.transform(
        md,
        page_uri="fundamentals/page.md",
        root=root,
        references=REFS,
        render_snippet=_echo,
        cited=cited,
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "snippets" / "fundamentals" / "page"
    folder.mkdir(parents=True)
    (folder / "demo.py").write_text(
        "import math\n# --8<-- [start:core]\n    x = math.pi\n    print(x)\n# --8<-- [end:core]\n"
    )
    (tmp_path / "dlcv").mkdir()
    (tmp_path / "dlcv" / "mod.py").write_text(
        "def f():\n    # --8<-- [start:body]\n    return 1\n    # --8<-- [end:body]\n"
    )
    return tmp_path


def test_whole_snippet_is_the_file_markers_included(root: Path) -> None:
    # A reader copies and runs exactly what the snippet pass ran (tests/site/test_copy.py).
    source = (root / "snippets" / "fundamentals" / "page" / "demo.py").read_text()
    out = _transform("[[snippet fundamentals/page/demo.py]]", root)
    assert f"<<fundamentals/page/demo.py|None|{source.rstrip()}>>" in out


def test_section_is_extracted_and_dedented(root: Path) -> None:
    out = _transform("[[snippet fundamentals/page/demo.py#core]]", root)
    assert "<<fundamentals/page/demo.py|core|x = math.pi\nprint(x)>>" in out


def test_source_embed_shows_dlcv_code_with_title(root: Path) -> None:
    out = _transform("[[source dlcv/mod.py#body]]", root)
    assert '```` python title="dlcv/mod.py"' not in out  # fence is as short as it can be
    assert '``` python title="dlcv/mod.py"\nreturn 1\n```' in out


def test_unknown_section_lists_the_sections_that_exist(root: Path) -> None:
    with pytest.raises(markup.MarkupError, match=r"no section 'nope'.*\['core'\]"):
        _transform("[[snippet fundamentals/page/demo.py#nope]]", root)


def test_missing_snippet_names_page_and_file(root: Path) -> None:
    with pytest.raises(
        markup.MarkupError, match=r"docs/fundamentals/page.md:1: embeds snippets/x.py"
    ):
        _transform("[[snippet x.py]]", root)


def test_embed_inside_a_sentence_is_an_error(root: Path) -> None:
    with pytest.raises(markup.MarkupError, match="must stand alone"):
        _transform("See [[snippet fundamentals/page/demo.py]] here", root)


def test_embeds_and_citations_inside_code_are_left_alone(root: Path) -> None:
    md = "```markdown\n[[snippet nope.py]]\n[@unknown]\n```\nUse `[@unknown]` to cite.\n"
    assert _transform(md, root) == md


def test_citation_without_a_reference_list_links_into_the_bibliography(root: Path) -> None:
    cited: set[str] = set()
    out = _transform("Deep nets [@lecun2015; @nvidia2014].", root, cited)
    assert "[LeCun et al., 2015](../research/bibliography.md#lecun2015 " in out
    assert "[NVIDIA, 2014](../research/bibliography.md#nvidia2014 " in out
    assert cited == {"lecun2015", "nvidia2014"}


def test_citation_links_to_the_page_reference_list_with_a_preview(root: Path) -> None:
    html = site_markdown().convert(
        _transform("Deep nets [@lecun2015, sec. 2].\n\n## References\n\n[[references]]\n", root)
    )
    link = re.search(r'<a href="#ref-lecun2015" title="([^"]*)">([^<]*)</a>', html)
    assert link, html
    # The tooltip (docs/javascripts/tooltips.js shows the title on hover and on focus).
    assert (
        html_module.unescape(link[1])
        == "Yann LeCun, Yoshua Bengio, Geoffrey Hinton (2015). Deep learning."
    )
    assert link[2] == "LeCun et al., 2015, sec. 2"  # the locator follows the year
    assert '<div class="dlcv-ref" id="ref-lecun2015">' in html


@pytest.mark.parametrize("locator", ["chapter 6", "ch 6", "ch. six", ""])
def test_malformed_locator_fails_naming_the_line(root: Path, locator: str) -> None:
    with pytest.raises(markup.MarkupError, match=r"page\.md:2: citation \[@lecun2015, "):
        _transform(f"Text.\nAs shown [@lecun2015, {locator}].", root)


def test_unknown_citation_key_fails(root: Path) -> None:
    with pytest.raises(markup.MarkupError, match=r"page\.md:3: citation \[@hinton2006\] has no"):
        _transform("Text.\n\nAs shown [@hinton2006].", root)


def test_references_lists_only_what_the_page_cites(root: Path) -> None:
    out = _transform("Text [@lecun2015].\n\n## References\n\n[[references]]\n", root)
    assert "https://doi.org/10.1038/nature14539" in out
    assert "Tesla K80" not in out


def test_references_without_citations_is_an_error(root: Path) -> None:
    with pytest.raises(markup.MarkupError, match="cites nothing"):
        _transform("[[references]]", root)


def test_bibliography_gives_every_entry_an_anchor(root: Path) -> None:
    out = _transform("[[bibliography]]", root)
    assert 'id="lecun2015"' in out and 'id="nvidia2014"' in out


def test_load_references_rejects_duplicates_and_missing_fields(tmp_path: Path) -> None:
    path = tmp_path / "refs.yml"
    path.write_text(
        "- {key: a, authors: [X Y], title: T, year: 2000}\n"
        "- {key: a, authors: [Z], title: U, year: 2001}\n"
    )
    with pytest.raises(markup.MarkupError, match="'a' appears twice"):
        markup.load_references(path)
    path.write_text("- {key: b, title: T, year: 2000}\n")
    with pytest.raises(markup.MarkupError, match="'b' lacks authors"):
        markup.load_references(path)


def test_snippet_block_shows_output_figures_and_provenance() -> None:
    block = markup.snippet_block(
        name="a/b/c.py",
        code="print(1)",
        stdout="1\n",
        figures=[("x.png", "A [plot]")],
        provenance={
            "device": "CPU",
            "tensorflow": "2.21.0",
            "keras": "3.15.1",
            "dlcv": "0.1.0",
            "python": "3.11",
            "commit": "abc1234",
            "date": "2026-11-26",
        },
        cpu_seconds=1.25,
    )
    assert '``` python title="snippets/a/b/c.py"\nprint(1)\n```' in block
    assert '``` text title="Output"\n1\n```' in block
    assert '<img src="x.png" alt="A &#91;plot&#93;" loading="lazy">' in block
    assert (
        "Ran on CPU · TensorFlow 2.21.0 · Keras 3.15.1 · dlcv-kb 0.1.0 · Python 3.11"
        " · 1.2 s CPU time"
        " · commit abc1234" in block
    )


def test_include_inserts_a_markdown_file(root: Path) -> None:
    (root / "GUIDE.md").write_text("# Guide\n\nHello.\n")
    assert _transform("[[include GUIDE.md]]", root) == "# Guide\n\nHello.\n"
    with pytest.raises(markup.MarkupError, match=r"needs an existing \.md file"):
        _transform("[[include dlcv/mod.py]]", root)


def test_entries_that_would_read_alike_get_letters(tmp_path: Path) -> None:
    path = tmp_path / "refs.yml"
    path.write_text(
        "- {key: nvidia2007b, type: press, authors: [NVIDIA], title: B, year: 2007}\n"
        "- {key: nvidia2007a, type: press, authors: [NVIDIA], title: A, year: 2007}\n"
        "- {key: lecun2015, authors: [Yann LeCun, Yoshua Bengio, Geoffrey Hinton], title: D,"
        " year: 2015}\n"
    )
    refs = markup.load_references(path)
    assert refs["nvidia2007a"].label() == "NVIDIA, 2007a"
    assert refs["nvidia2007b"].label() == "NVIDIA, 2007b"
    assert refs["lecun2015"].label() == "LeCun et al., 2015"


def test_unwrap_plain_tokens_keeps_the_text_and_the_coloured_spans() -> None:
    html = (
        '<pre><code><span class="n">model</span><span class="o">.</span>'
        '<span class="n">fit</span><span class="p">(</span><span class="w">  </span>'
        '<span class="mi">3</span><span class="p">)</span></code></pre>'
    )
    slim = markup.unwrap_plain_tokens(html)
    assert slim == (
        '<pre><code>model<span class="o">.</span>fit<span class="p">(</span>  '
        '<span class="mi">3</span><span class="p">)</span></code></pre>'
    )
    assert re.sub("<[^>]+>", "", slim) == re.sub("<[^>]+>", "", html)  # same text to copy
    assert (
        markup.unwrap_plain_tokens('<span class="nb">len</span>') == '<span class="nb">len</span>'
    )


def test_snippet_embeds_lists_each_embedded_snippet_once_outside_code() -> None:
    page = (
        "[[snippet a/b/one.py#main]]\n"
        "[[source dlcv/data/arrays.py#make_batches]]\n"
        "```text\n[[snippet a/b/fenced.py]]\n```\n"
        "    [[snippet a/b/two.py]]\n"
        "[[snippet a/b/one.py#other]]\n"
    )
    assert markup.snippet_embeds(page) == ["a/b/one.py", "a/b/two.py"]


@pytest.fixture
def secret(root: Path) -> Path:
    """A file beside the repository copy, outside it: what no embed may reach."""
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    (outside / "secret.md").write_text("TOP SECRET include\n")
    (outside / "secret.py").write_text(
        "# --8<-- [start:s]\nTOKEN = 'TOP SECRET source'\n# --8<-- [end:s]\n"
    )
    return outside


@pytest.mark.parametrize(
    ("embed", "phrase"),
    [
        ("[[include ../{out}/secret.md]]", "points outside the repository"),
        ("[[include {abs}/secret.md]]", "absolute paths are refused"),
        ("[[source ../{out}/secret.py#s]]", "points outside the repository"),
        ("[[source {abs}/secret.py#s]]", "absolute paths are refused"),
        ("[[snippet ../../{out}/secret.py]]", "points outside snippets/"),
        ("[[snippet ../dlcv/mod.py#body]]", "points outside snippets/"),
        ("[[snippet {abs}/secret.py]]", "absolute paths are refused"),
        ("[[source dlcv/../../{out}/secret.py#s]]", "points outside the repository"),
    ],
)
def test_embeds_outside_their_folder_are_refused_naming_page_and_line(
    root: Path, secret: Path, embed: str, phrase: str
) -> None:
    line = embed.format(out=secret.name, abs=secret.as_posix())
    with pytest.raises(markup.MarkupError, match=re.escape(phrase)) as caught:
        _transform(f"# Title\n\nSome text.\n\n{line}\n", root)
    assert "docs/fundamentals/page.md:5:" in str(caught.value)
    assert "TOP SECRET" not in str(caught.value)


@pytest.mark.parametrize(
    ("link", "embed"),
    [
        ("leak.md", "[[include leak.md]]"),
        ("dlcv/leak.py", "[[source dlcv/leak.py#s]]"),
        ("snippets/fundamentals/page/leak.py", "[[snippet fundamentals/page/leak.py]]"),
    ],
)
def test_symbolic_links_pointing_outside_are_refused(
    root: Path, secret: Path, link: str, embed: str
) -> None:
    target = secret / ("secret.md" if link.endswith(".md") else "secret.py")
    (root / link).symlink_to(target)
    with pytest.raises(markup.MarkupError, match="points outside"):
        _transform(embed, root)


def test_links_and_dot_dot_inside_the_repository_still_embed(root: Path) -> None:
    (root / "GUIDE.md").write_text("# Guide\n")
    (root / "docs").mkdir()
    (root / "docs" / "guide.md").symlink_to(root / "GUIDE.md")
    assert _transform("[[include docs/guide.md]]", root) == "# Guide\n"
    assert _transform("[[include dlcv/../GUIDE.md]]", root) == "# Guide\n"


def test_line_numbers_count_the_front_matter(root: Path) -> None:
    with pytest.raises(markup.MarkupError, match=r"page\.md:7: embeds snippets/x\.py"):
        markup.transform(
            "Text.\n\n[[snippet x.py]]\n",
            page_uri="fundamentals/page.md",
            root=root,
            references=REFS,
            render_snippet=_echo,
            line_offset=4,
        )


ROOT = Path(__file__).resolve().parents[2]
TRICKY_ALT = (
    'Loss *falls* from 2.3 to <0.1 in snake_case_steps (see "[fig](x.png)") '
    "`code` \\* & a_b_c_ {: .cls} ![i](j) <https://example.org> end)"
)


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.found.append(dict(attrs))


def test_figure_alt_text_reaches_the_page_exactly() -> None:
    block = markup.snippet_block(
        name="a/b/c.py",
        code="print(1)",
        stdout="",
        figures=[("../../_snippets/a/b/c/loss curve.png", TRICKY_ALT + "\n  wrapped")],
        provenance={},
        cpu_seconds=0.0,
    )
    html = site_markdown().convert(block)
    parser = _Images()
    parser.feed(html)
    assert parser.found == [
        {
            "src": "../../_snippets/a/b/c/loss%20curve.png",
            "alt": TRICKY_ALT + " wrapped",
            "loading": "lazy",
        }
    ], html
    assert "<a " not in html and "<code>" not in html.split("dlcv-provenance")[1]


@pytest.mark.parametrize("alt", ["*", "_", ")", "<", '"', "a]b[c", "\\", "`", "&amp;"])
def test_figure_alt_text_escapes_each_special_character(alt: str) -> None:
    parser = _Images()
    parser.feed(site_markdown().convert(markup.figure_html("f.png", f"x {alt} y")))
    assert [image["alt"] for image in parser.found] == [f"x {alt} y"]
