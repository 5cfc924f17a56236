"""Walkthrough notebooks: the .ipynb beside each .py is current; outputs and links are handled."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from sitetools import katex, notebooks

ROOT = Path(__file__).resolve().parents[2]


def test_every_content_section_has_a_walkthrough_notebook() -> None:
    sections = {p.parent.name for p in notebooks.sources(ROOT)}
    assert sections == {"fundamentals", "hardware", "why-deep-learning", "vision"}


def test_committed_ipynb_matches_its_source() -> None:
    stale = [str(p.relative_to(ROOT)) for p in notebooks.out_of_date(ROOT)]
    assert not stale, f"out of date: {stale}; run `make notebooks` and commit the result"


def test_ipynb_has_no_outputs_and_a_python_kernel(tmp_path: Path) -> None:
    source = tmp_path / "docs" / "x" / "walkthrough.py"
    source.parent.mkdir(parents=True)
    source.write_text("# %% [markdown]\n# # Title\n\n# %%\nprint(1)\n", encoding="utf-8")
    notebook = json.loads(notebooks.to_ipynb(source))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert [c["cell_type"] for c in notebook["cells"]] == ["markdown", "code"]
    assert notebook["cells"][1].get("outputs") == []
    assert notebooks.out_of_date(tmp_path) == [source.with_suffix(".ipynb")]


def test_the_committed_copy_links_to_the_site_and_the_rendered_page_stays_relative(
    tmp_path: Path,
) -> None:
    # Colab and a downloaded copy cannot follow a link relative to the walkthrough's page.
    (tmp_path / "mkdocs.yml").write_text("site_url: https://example.org/kb/\n", encoding="utf-8")
    source = tmp_path / "docs" / "vision" / "walkthrough.py"
    source.parent.mkdir(parents=True)
    markdown = (
        "# %% [markdown]\n# See [a page](../video/), [the API](../../reference/training/),\n"
        "# [a paper](https://arxiv.org/abs/1512.03385) and [below](#train-it).\n"
    )
    source.write_text(markdown + "\n# %%\nprint('[x](../y/)')\n", encoding="utf-8")
    cells = json.loads(notebooks.committed_ipynb(tmp_path, source))["cells"]
    assert "".join(cells[0]["source"]) == (
        "See [a page](https://example.org/kb/vision/video/), "
        "[the API](https://example.org/kb/reference/training/),\n"
        "[a paper](https://arxiv.org/abs/1512.03385) and [below](#train-it)."
    )
    assert "".join(cells[1]["source"]) == "print('[x](../y/)')"  # code is left alone
    rendered = json.loads(notebooks.to_ipynb(source))["cells"]
    assert "[a page](../video/)" in "".join(rendered[0]["source"])


def test_no_committed_walkthrough_has_a_relative_link() -> None:
    for source in notebooks.sources(ROOT):
        cells = json.loads(source.with_suffix(".ipynb").read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "markdown":
                for target in re.findall(r"\]\(([^)\s]+)\)", "".join(cell["source"])):
                    assert target.startswith(("https://", "#")), (source, target)


def test_a_markdown_section_without_its_cell_marker_is_refused(tmp_path: Path) -> None:
    # The vision walkthrough once lost two `# %% [markdown]` lines in a merge: its sections
    # "Attack it" and "Two views" showed as comments at the end of the code above them.
    source = tmp_path / "docs" / "x" / "walkthrough.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "# %%\nprint(1)\n# ## Next step\n#\n# Some text.\n\n# %%\nprint(2)\n", encoding="utf-8"
    )
    with pytest.raises(notebooks.NotebookError, match=r"'# ## Next step'.*# %% \[markdown\]"):
        notebooks.to_ipynb(source)
    # A comment that is not a heading stays code.
    source.write_text("# %%\n# #2 is the second digit\nprint(1)\n", encoding="utf-8")
    assert json.loads(notebooks.to_ipynb(source))["cells"][0]["cell_type"] == "code"


def _notebook(*outputs: list[dict[str, str]]) -> Any:
    import nbformat

    cells = [nbformat.v4.new_markdown_cell("# Title")]
    for cell_outputs in outputs:
        cell = nbformat.v4.new_code_cell("pass")
        cell.outputs = [nbformat.v4.new_output("stream", **o) for o in cell_outputs]
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


ONEDNN = (
    "E0000 00:00:1733000000.123456   12345 util.cc:131] oneDNN supports DT_HALF only on "
    "platforms with AVX-512. Falling back to the default Eigen-based implementation if present."
)


def test_runtime_log_is_dropped_from_stderr_outputs_and_kept_apart() -> None:
    notebook = _notebook(
        [
            {"name": "stderr", "text": ONEDNN[:40]},  # a line may arrive in pieces
            {"name": "stdout", "text": "accuracy 0.9\n"},
            {"name": "stderr", "text": ONEDNN[40:] + "\n"},
        ]
    )
    assert notebooks.check_outputs(notebook, where="nb") == ONEDNN
    (outputs,) = [c.outputs for c in notebook.cells if c.cell_type == "code"]
    assert [(o.name, o.text) for o in outputs] == [("stdout", "accuracy 0.9\n")]


@pytest.mark.parametrize(
    "text",
    [
        "/tmp/x.py:3: UserWarning: careful\n",
        "printed to stderr by the notebook\n",
        "F0000 00:00:1732000000.000000    1234 stream_executor.cc:77] Check failed: device\n",
    ],
)
def test_any_other_stderr_output_fails_naming_the_cell(text: str) -> None:
    notebook = _notebook([{"name": "stdout", "text": "ok\n"}], [{"name": "stderr", "text": text}])
    with pytest.raises(notebooks.NotebookError, match="nb: cell 3 wrote to stderr"):
        notebooks.check_outputs(notebook, where="nb")


def test_execute_runs_checks_and_caches_the_notebook(tmp_path: Path) -> None:
    source = tmp_path / "docs" / "x" / "walkthrough.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "# %% [markdown]\n# # Title\n\n# %%\nimport sys\n"
        f"print({ONEDNN!r}, file=sys.stderr)\nprint('shown')\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    executed = notebooks.execute(source, cache_dir=cache, where="docs/x/walkthrough.py")
    cell = json.loads(executed.read_text(encoding="utf-8"))["cells"][1]
    assert [o.get("name") for o in cell["outputs"]] == ["stdout"]
    assert executed.with_suffix(".runtime.log").read_text(encoding="utf-8") == ONEDNN
    assert notebooks.execute(source, cache_dir=cache, where="x") == executed  # cached
    source.write_text("# %%\nimport sys\nprint('noise', file=sys.stderr)\n", encoding="utf-8")
    with pytest.raises(notebooks.NotebookError, match="cell 1 wrote to stderr"):
        notebooks.execute(source, cache_dir=cache, where="docs/x/walkthrough.py")


def test_links_go_under_the_title(tmp_path: Path) -> None:
    import nbformat

    cells = [
        nbformat.v4.new_markdown_cell("# Walkthrough\n\nWhat this notebook shows."),
        nbformat.v4.new_code_cell("print(1)"),
    ]
    rendered = _convert(tmp_path, cells, mathjax_url="")
    page = notebooks.notebook_links(
        rendered, src_uri="fundamentals/walkthrough.py", repository="owner/repo"
    )
    # The rendered page, less the links, is what nbconvert wrote; the links follow the title.
    links = re.search(r'<p class="dlcv-notebook-links">.*?</p>', page, re.S)
    assert links is not None and page.count("dlcv-notebook-links") == 1
    assert page[: links.start()] + page[links.end() :] == rendered
    title = re.search(r"<h1\b[^>]*>(?P<text>.*?)</h1>", rendered, re.S)
    assert title is not None and title["text"].startswith("Walkthrough")
    assert links.start() == title.end()
    assert 'href="../walkthrough.ipynb" download' in links[0]
    assert (
        "https://colab.research.google.com/github/owner/repo/blob/main/"
        "docs/fundamentals/walkthrough.ipynb" in links[0]
    )


# --- third-party code and math on notebook pages ----------------------------------------------

MATH_CELL = (
    "# Tiny\n\nInline $a_i < b^2$ and display:\n\n$$\\sum_{i=1}^n x_i$$\n\n"
    "Code `$x$` and a price of &#36;5.\n\n\\begin{equation}E = mc^2\\end{equation}"
)
MERMAID_CELL = "```mermaid\ngraph LR; A-->B\n```"
CODE_CELL = "print('$1 and $2')"
# What mkdocs-jupyter 0.26 passes nbconvert (an empty address), and a MathJax 3 address on
# jsDelivr, as 0.27 loads.
MATHJAX_URLS = ["", "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"]


def _convert(folder: Path, cells: list[Any], *, mathjax_url: str) -> str:
    """A notebook's page HTML, from mkdocs-jupyter and nbconvert themselves."""
    import nbformat
    from mkdocs_jupyter import convert  # type: ignore[import-untyped]

    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = folder / "tiny.ipynb"
    nbformat.write(notebook, path)
    html: str = convert.nb2html(str(path), execute=False, custom_mathjax_url=mathjax_url)
    return html


def _render(folder: Path, *, mermaid: bool, mathjax_url: str) -> str:
    """A tiny notebook's page HTML: formulas, perhaps a Mermaid diagram, and code."""
    import nbformat

    cells = [nbformat.v4.new_markdown_cell(MATH_CELL)]
    if mermaid:
        cells.append(nbformat.v4.new_markdown_cell(MERMAID_CELL))
    cells.append(nbformat.v4.new_code_cell(CODE_CELL))
    return _convert(folder, cells, mathjax_url=mathjax_url)


@pytest.fixture(scope="module", params=MATHJAX_URLS, ids=["mathjax-blank", "mathjax-jsdelivr"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _render(tmp_path_factory.mktemp("nb"), mermaid=False, mathjax_url=request.param)


def test_nbconvert_output_loads_from_other_hosts_as_found(rendered: str) -> None:
    # Guards the tests below: the real template does carry what they remove.
    assert "text/x-mathjax-config" in rendered
    assert re.search(r'import\("https://cdnjs\.cloudflare\.com/[^"]*mermaid', rendered)
    assert any("cdnjs.cloudflare.com" in url for url in notebooks.third_party_assets(rendered))


def test_stripping_leaves_no_third_party_code_and_keeps_the_notebook(rendered: str) -> None:
    page = notebooks.strip_third_party(rendered, where="nb")
    assert notebooks.third_party_assets(page) == []
    assert "mathjax" not in page.lower()
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "https://cdnjs" not in page and "cdn.jsdelivr" not in page
    # The copy buttons' script and the notebook's styles and cells stay.
    assert "clipboard-copy" in page and "jp-Notebook" in page
    assert page.count("<style") == rendered.count("<style")  # every stylesheet of the notebook
    assert "print</span>" in page


def test_a_mermaid_diagram_fails_naming_the_notebook(tmp_path: Path) -> None:
    page = _render(tmp_path, mermaid=True, mathjax_url="")
    with pytest.raises(notebooks.NotebookError, match=r"nb\.py: a markdown cell holds a Mermaid"):
        notebooks.strip_third_party(page, where="nb.py")


@pytest.mark.parametrize(
    ("html", "url"),
    [
        ('<script src="https://a.example/x.js"></script>', "https://a.example/x.js"),
        ("<script src=//a.example/x.js></script>", "//a.example/x.js"),
        ('<link rel="stylesheet" href="https://a.example/x.css">', "https://a.example/x.css"),
        ('<link href="https://a.example/f.woff2" rel="preload">', "https://a.example/f.woff2"),
        ("<script type=module>import m from 'https://a.example/m.mjs'</script>", None),
        ('<script>import("https://a.example/m.mjs")</script>', "https://a.example/m.mjs"),
        ('<script type="module">import "https://a.example/m.mjs";</script>', None),
        ("<style>@import url(https://a.example/x.css);</style>", "https://a.example/x.css"),
        ('<style>@font-face{src:url("https://a.example/f.woff2")}</style>', None),
    ],
)
def test_third_party_assets_finds_each_kind(html: str, url: str | None) -> None:
    found = notebooks.third_party_assets(f"<p>page</p>{html}")
    assert found == [url or re.findall(r"https://[^'\")\s;]+", html)[0]]
    assert notebooks.third_party_assets(notebooks.strip_third_party(html, where="nb")) == []


@pytest.mark.parametrize(
    "html",
    [
        '<script src="../assets/javascripts/bundle.js"></script>',
        '<link rel="stylesheet" href="/assets/site.css">',
        '<link rel="canonical" href="https://dlcv.example/page/">',
        '<img src="data:image/png;base64,AAAA">',
        "<style>.x{background:url(data:image/svg+xml;base64,AAAA)}</style>",
        '<script>const ns = "http://www.w3.org/2000/svg";</script>',
        '<a href="https://doi.org/10.1038/nature14539">doi</a>',
    ],
)
def test_the_sites_own_assets_and_plain_links_are_not_third_party(html: str) -> None:
    assert notebooks.third_party_assets(html) == []


def test_markdown_cell_math_is_marked_and_code_is_left_alone(rendered: str) -> None:
    page = notebooks.mark_math(notebooks.strip_third_party(rendered, where="nb"))
    assert '<span class="arithmatex">\\(a_i &lt; b^2\\)</span>' in page
    assert '<span class="arithmatex">\\[\\sum_{i=1}^n x_i\\]</span>' in page
    assert '<span class="arithmatex">\\[\\begin{equation}E = mc^2\\end{equation}\\]</span>' in page
    assert "<code>$x$</code>" in page and "a price of $5." in page  # a lone $ is a dollar
    assert "'$1 and $2'" in page  # the code cell, in its highlighted and its clipboard copy
    assert page.count('class="arithmatex"') == 3


@pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules/katex").is_dir(),
    reason="needs Node.js and node_modules/katex (make setup installs them)",
)
def test_notebook_math_renders_with_the_sites_katex(rendered: str) -> None:
    page = notebooks.mark_math(notebooks.strip_third_party(rendered, where="nb"))
    html = katex.render_math(page, root=ROOT, where="nb")
    assert html.count('class="katex"') >= 3 and 'class="katex-display"' in html
    assert "$a_i" not in html and "$$" not in html
