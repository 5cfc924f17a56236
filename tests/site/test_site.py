"""The site builds strictly from the snippet results the runner saved, and a snippet that has
none (it failed, or never ran) fails the build, naming the snippet."""

from __future__ import annotations

import difflib
import html
import os
import posixpath
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from helpers.mkdocs_build import mkdocs_build
from helpers.site_markdown import site_markdown
from helpers.snippet_boxes import snippet_boxes

from sitetools import markup, notebooks, page_notebooks, snippets

ROOT = Path(__file__).resolve().parents[2]
# A project of its own, as the site configures it: the hooks, and the Markdown extension
# (importable through PYTHONPATH, see _ENV).
DEMO_CONFIG = f"""\
site_name: demo
hooks: ["{ROOT / "sitetools" / "hooks.py"}"]
markdown_extensions: [sitetools.mdext]
"""
_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}


def _mkdocs(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return mkdocs_build(*args, cwd=cwd, env=_ENV)


def _run_snippets(root: Path) -> subprocess.CompletedProcess[str]:
    """The step before the build: `python -m sitetools.snippets run`."""
    return _run_tool("snippets", root)


def _run_tool(tool: str, root: Path) -> subprocess.CompletedProcess[str]:
    """`python -m sitetools.<tool> run --root root`, as the Makefile runs it."""
    return subprocess.run(
        [sys.executable, "-m", f"sitetools.{tool}", "run", "--root", str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=_ENV,
    )


def test_site_builds_strictly(built_site: Path) -> None:
    site = built_site
    home = (site / "index.html").read_text(encoding="utf-8")
    # Nothing is fetched from third-party hosts: no Google Fonts, no CDN scripts.
    assert "fonts.googleapis.com" not in home and "cdn.jsdelivr.net" not in home
    assert (site / "assets/vendor/katex/katex.min.css").is_file()
    page = (site / "fundamentals/what-deep-means/index.html").read_text(encoding="utf-8")
    assert "dlcv-provenance" in page and "Ran on" in page
    _assert_pages_show_snippet_output(site)


_ATTRIBUTE_URL = re.compile(r'\s(?:href|src)="([^"]*)"')
_ELEMENT_ID = re.compile(r'\s(?:id|name)="([^"]+)"')
# Code is text: a URL shown inside it is not a link.
_CODE = re.compile(r"<(script|pre|code)\b.*?</\1>", re.S)


def test_every_link_within_the_site_leads_to_a_file_and_anchor_it_has(built_site: Path) -> None:
    """MkDocs checks the links of Markdown pages; this checks every built page, including
    those it does not (the walkthrough notebooks, the API reference's cross-references)."""
    # The 404 page, served at any depth, links by absolute path under the site's own.
    site_path = urlsplit(notebooks.config_value(ROOT, "site_url") or "/").path
    anchors: dict[Path, set[str]] = {}
    broken, checked = [], 0
    for page in sorted(built_site.rglob("*.html")):
        text = _CODE.sub("", page.read_text(encoding="utf-8"))
        where = "/" + page.relative_to(built_site).as_posix()
        for raw in _ATTRIBUTE_URL.findall(text):
            url = urlsplit(html.unescape(raw))
            if url.scheme or url.netloc or not (url.path or url.fragment):
                continue  # another site, mailto:, data:, or an empty attribute
            path = unquote(url.path)
            if path.startswith(site_path):
                path = "/" + path[len(site_path) :]
            target = posixpath.normpath(posixpath.join(posixpath.dirname(where), path or where))
            file = built_site / target.lstrip("/")
            if file.is_dir():
                file = file / "index.html"
            checked += 1
            if not file.is_file():
                broken.append(f"{where}: {raw} (no such file)")
            elif url.fragment and file.suffix == ".html":
                if file not in anchors:
                    anchors[file] = set(_ELEMENT_ID.findall(file.read_text(encoding="utf-8")))
                if url.fragment not in anchors[file]:
                    broken.append(f"{where}: {raw} (no such anchor)")
    assert checked > 5000, checked  # the pages were read
    assert not broken, "\n".join(broken[:40])


# Figures are most of a page's bytes; dlcv.plot.save_figure keeps them light (a palette of 256
# colours for a heavy one), and a figure over this fails.
MAX_FIGURE_BYTES = 400 * 1024


def test_every_figure_weighs_at_most_400_kb(built_site: Path) -> None:
    figures = sorted((built_site / "_snippets").rglob("*.png"))
    assert len(figures) >= 20, f"only {len(figures)} figures in the site"
    heavy = [
        f"{path.relative_to(built_site)}: {path.stat().st_size / 1024:.0f} KB"
        for path in figures
        if path.stat().st_size > MAX_FIGURE_BYTES
    ]
    assert not heavy, "figures over 400 KB:\n" + "\n".join(heavy)


def _text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def output_problems(page_html: str, printed: Mapping[str, str], *, where: str) -> list[str]:
    """What is wrong with the Output blocks of one page; empty if each shows what it should.

    Each snippet box must show, in its Output block, exactly what its snippet printed (the
    trailing newlines aside), and a snippet that printed nothing must have no Output block.

    Args:
        page_html: the page's HTML.
        printed: each snippet's stdout, by name under snippets/.
        where: the page, for messages.
    """
    problems = []
    for box in snippet_boxes(page_html):
        name = box.snippet()
        if name is None or name not in printed:
            problems.append(f"{where}: a snippet box of {name or 'no snippet'} with no result")
            continue
        expected = [printed[name].rstrip("\n")] if printed[name].strip() else []
        shown = [text.rstrip("\n") for text in box.outputs()]
        if shown != expected:
            diff = difflib.unified_diff(
                "\n".join(expected).splitlines(),
                "\n".join(shown).splitlines(),
                "printed",
                "shown",
                lineterm="",
            )
            problems.append(
                f"{where}: the Output block of snippets/{name} is not what it printed "
                f"({len(shown)} Output block(s)):\n" + "\n".join(diff)
            )
    return problems


def _assert_pages_show_snippet_output(site: Path) -> None:
    """Each page shows exactly what its snippets printed in the run the build used."""
    results = {r.name: r for r in snippets.run_all(ROOT, log=lambda _: None)}
    printed = {name: result.stdout for name, result in results.items()}
    problems: list[str] = []
    checked = 0
    for page in sorted((ROOT / "docs").rglob("*.md")):
        uri = page.relative_to(ROOT / "docs").as_posix()
        embedded = markup.snippet_embeds(page.read_text(encoding="utf-8"))
        if not embedded:
            continue
        page_html = (site / markup.page_url(uri) / "index.html").read_text(encoding="utf-8")
        shown = [box.snippet() for box in snippet_boxes(page_html)]
        assert set(shown) == set(embedded), f"{uri}: boxes of {shown}, embeds of {embedded}"
        problems += output_problems(page_html, printed, where=uri)
        for name in embedded:
            for figure in results[name].figures:
                folder = site / "_snippets" / name.removesuffix(".py")
                assert (folder / figure.name).is_file(), f"{name}: {figure.name} missing"
            checked += 1
    assert checked >= 1
    assert not problems, "\n".join(problems)


def test_output_check_holds_a_page_to_every_character_printed() -> None:
    """`output_problems` on boxes that `markup.snippet_block` writes, rendered as the site
    renders them: equal output passes; a changed character, a line the page lacks, an
    empty line, or an Output block for a silent snippet each fail."""
    printed = "loss 0.25\n\n  a < b & c\nx\n"

    def page(stdout: str) -> str:
        block = markup.snippet_block(
            name="s/p/x.py", code="...", stdout=stdout, figures=[], provenance={}, cpu_seconds=1
        )
        return site_markdown().convert(block)

    assert output_problems(page(printed), {"s/p/x.py": printed}, where="p") == []
    changed = "loss 0.26\n\n  a < b & c\nx\n"
    for other in [changed, printed + "y\n", printed.replace("\n\n", "\n"), " " + printed]:
        (problem,) = output_problems(page(printed), {"s/p/x.py": other}, where="p")
        assert problem.startswith("p: the Output block of snippets/s/p/x.py is not what")
    assert output_problems(page(""), {"s/p/x.py": ""}, where="p") == []
    assert output_problems(page(printed), {"s/p/x.py": "\n"}, where="p")
    assert output_problems(page(printed), {}, where="p")


def test_failing_snippet_fails_the_build_and_is_named(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Demo\n\n[[snippet demo/index/boom.py]]\n")
    (tmp_path / "snippets" / "demo" / "index").mkdir(parents=True)
    (tmp_path / "snippets" / "demo" / "index" / "boom.py").write_text(
        "raise ValueError('this snippet is broken')\n"
    )
    (tmp_path / "mkdocs.yml").write_text(DEMO_CONFIG)
    ran = _run_snippets(tmp_path)
    assert ran.returncode == 1
    assert "demo/index/boom.py: exited with status 1" in ran.stdout + ran.stderr
    assert "this snippet is broken" in ran.stdout + ran.stderr
    # The build runs nothing: the snippet has no result, and that fails it.
    proc = _mkdocs(cwd=tmp_path)
    assert proc.returncode != 0
    assert "no run result for 1 snippet(s): demo/index/boom.py" in proc.stderr
    assert "python -m sitetools.snippets run" in proc.stderr


def test_footer_names_the_versions_the_site_was_built_with(built_site: Path) -> None:
    from importlib import metadata
    from platform import python_version

    footer = _text(built_site / "index.html")
    expected = (
        f"Built with Python {python_version()}, TensorFlow {metadata.version('tensorflow')}, "
        f"Keras {metadata.version('keras')}, dlcv "
    )
    assert expected in footer


def test_embed_outside_the_repository_fails_the_build_and_leaks_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (tmp_path / "secret.md").write_text("TOP SECRET\n")
    (repo / "docs" / "index.md").write_text("# Demo\n\n[[include ../secret.md]]\n")
    (repo / "mkdocs.yml").write_text(DEMO_CONFIG)
    proc = _mkdocs("--site-dir", str(tmp_path / "site"), cwd=repo)
    assert proc.returncode != 0
    assert "docs/index.md:3: [[include ../secret.md]] points outside the repository" in proc.stderr
    assert "TOP SECRET" not in proc.stderr
    built = [p.read_text(errors="replace") for p in (tmp_path / "site").rglob("*.html")]
    assert not any("TOP SECRET" in text for text in built)


_SERVE_BUILD = """\
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config

config = load_config("mkdocs.yml", site_dir=sys.argv[1])
config.plugins.on_startup(command="serve", dirty=False)  # as `mkdocs serve` starts
build(config)
"""


def _serve_build(root: Path, site: Path) -> None:
    """Build `root` into `site` as `make serve` does (`mkdocs serve`, DLCV_PLACEHOLDERS=1)."""
    proc = subprocess.run(
        [sys.executable, "-c", _SERVE_BUILD, str(site)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**_ENV, "DLCV_PLACEHOLDERS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]


def _pending_project(root: Path) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Demo\n\n[[snippet demo/index/slow.py]]\n")
    (root / "snippets" / "demo" / "index").mkdir(parents=True)
    (root / "snippets" / "demo" / "index" / "slow.py").write_text("print(6 * 7)\n")
    (root / "mkdocs.yml").write_text(DEMO_CONFIG)
    return root


def test_serve_shows_a_placeholder_for_a_snippet_not_run_yet_and_runs_nothing(
    tmp_path: Path,
) -> None:
    root = _pending_project(tmp_path / "project")
    site = tmp_path / "site"
    _serve_build(root, site)
    page = _text(site / "index.html")
    assert "Running…" in page
    assert "python -m sitetools.snippets run demo/index/slow.py" in page
    assert "42" not in page
    assert not list((root / ".cache" / "snippets").glob("*/result.json"))


NOTEBOOK_CONFIG = f"""\
site_name: demo
repo_url: https://github.com/example/demo
hooks: ["{ROOT / "sitetools" / "hooks.py"}"]
markdown_extensions: [sitetools.mdext]
plugins:
  - mkdocs-jupyter:
      include: ["*/walkthrough.py"]
      execute: false
"""


def test_serve_shows_a_walkthrough_without_outputs_until_it_has_run(tmp_path: Path) -> None:
    """make serve does not wait for the notebooks: it shows them unrun, then fills them in."""
    root = tmp_path / "project"
    (root / "docs" / "demo").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Demo\n")
    (root / "docs" / "demo" / "walkthrough.py").write_text(
        "# %% [markdown]\n# # Walkthrough\n\n# %%\nprint('answer:', 6 * 7)\n"
    )
    (root / "mkdocs.yml").write_text(NOTEBOOK_CONFIG)

    def serve_build(site: Path) -> str:
        _serve_build(root, site)
        return _text(site / "demo" / "walkthrough" / "index.html")

    page = serve_build(tmp_path / "before")
    assert "Running…" in page and "python -m sitetools.notebooks run" in page
    assert "answer" in page and "answer: 42" not in page  # the code, without its output
    assert not list((root / ".cache").rglob("executed/*.ipynb"))  # serving ran nothing

    ran = _run_tool("notebooks", root)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "demo/walkthrough.py: ok" in ran.stdout
    page = serve_build(tmp_path / "after")
    assert "answer: 42" in page and "Running…" not in page
    # Nor does a build afterwards reuse the rendering without outputs.
    built = _mkdocs("--site-dir", str(tmp_path / "built"), cwd=root)
    assert built.returncode == 0, built.stderr[-4000:]
    assert "answer: 42" in _text(tmp_path / "built" / "demo" / "walkthrough" / "index.html")


def test_a_build_never_shows_a_placeholder(tmp_path: Path) -> None:
    root = _pending_project(tmp_path / "project")
    proc = mkdocs_build(cwd=root, env={**_ENV, "DLCV_PLACEHOLDERS": "1"}, timeout=300)
    assert proc.returncode != 0
    assert "DLCV_PLACEHOLDERS=1 is for `mkdocs serve`" in proc.stderr
    # Without it, and once the snippet has run, the build shows what it printed.
    assert _run_snippets(root).returncode == 0
    built = _mkdocs(cwd=root)
    assert built.returncode == 0, built.stderr[-4000:]
    page = _text(root / "site" / "index.html")
    assert "42" in page and "Running…" not in page


def test_the_sitemap_lists_every_page_and_pages_link_back_to_their_source(
    built_site: Path,
) -> None:
    """Search engines find every page at its canonical address; readers find its source."""
    import xml.etree.ElementTree as ET

    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    site_url = os.environ.get("DLCV_SITE_URL", "").strip().rstrip("/") or config["site_url"]
    site_url = site_url.rstrip("/") + "/"
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    listed = {
        loc.text
        for loc in ET.parse(built_site / "sitemap.xml").getroot().findall(".//s:loc", namespace)
    }
    pages = {
        site_url
        + ("" if p.parent == built_site else p.parent.relative_to(built_site).as_posix() + "/")
        for p in built_site.rglob("index.html")
    }
    assert listed == pages, (sorted(pages - listed)[:5], sorted(listed - pages)[:5])
    source = "fundamentals/what-deep-means.md"
    page = (built_site / markup.page_url(source) / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{site_url}{markup.page_url(source)}">' in page
    assert f'href="{config["repo_url"]}/{config["edit_uri"]}{source}"' in page
    assert f'href="{config["repo_url"]}"' in page


def _built_pages(built_site: Path) -> Iterator[tuple[Path, str, str]]:
    """Each page of docs/ that the build wrote: its source, its path under docs/, its HTML."""
    for source in sorted((ROOT / "docs").rglob("*.md")):
        rel = source.relative_to(ROOT / "docs").as_posix()
        built = built_site / markup.page_url(rel) / "index.html"
        if "vendor" not in source.parts and built.is_file():
            yield source, rel, built.read_text(encoding="utf-8")


def test_pages_link_to_their_snippet_files_run_commits_and_a_problem_report(
    built_site: Path,
) -> None:
    """From any page a reader gets back to the source: each snippet's file, the commit its
    output ran at (unless it ran from uncommitted changes), and a form to report a problem,
    with the page filled in."""
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    repo = config["repo_url"].rstrip("/")
    branch = config["edit_uri"].strip("/").split("/")[1]
    provenance = re.compile(r'<p class="dlcv-provenance">(.*?)</p>', re.S)
    commit = re.compile(
        rf' · commit (?:<a href="{re.escape(repo)}/commit/(?P<sha>[0-9a-f]{{7,40}})">(?P=sha)</a>'
        r"|(?P<plain>[^ <]+)) · "
    )
    checked = 0
    for source, rel, page in _built_pages(built_site):
        report = f"{repo}/issues/new?template=fact-to-correct.yml&page=docs/{rel}&title="
        assert report in page, f"docs/{rel}: no link to report a problem with the page filled in"
        for name in markup.snippet_embeds(source.read_text(encoding="utf-8")):
            link = f'<a href="{repo}/blob/{branch}/snippets/{name}">snippets/{name}</a>'
            assert link in page, f"docs/{rel}: the title of snippets/{name} does not link the file"
        lines = provenance.findall(page)
        assert all(commit.search(line) for line in lines), f"docs/{rel}: {lines}"
        for match in (commit.search(line) for line in lines):
            assert match is not None
            plain = match["plain"]
            assert plain is None or "+" in plain or plain == "uncommitted", (
                f"docs/{rel}: the provenance commit {plain} is not linked"
            )
        checked += 1
    assert checked > 20, f"only {checked} pages checked"


def test_every_page_with_snippets_offers_its_notebook_and_no_other_page_does(
    built_site: Path,
) -> None:
    """A page with snippets links its notebook, served by the site with the snippets' exact
    text in page order, and the same notebook in the repository through Colab."""
    pages = page_notebooks.pages(ROOT)
    served = built_site / page_notebooks.SITE_FOLDER
    assert sorted(p.relative_to(built_site).as_posix() for p in served.rglob("*.ipynb")) == sorted(
        page_notebooks.notebook_path(page, folder=page_notebooks.SITE_FOLDER) for page in pages
    )
    repository = page_notebooks.repository(ROOT)
    assert repository is not None
    checked = 0
    for source, rel, page in _built_pages(built_site):
        embeds = markup.snippet_embeds(source.read_text(encoding="utf-8"))
        if not embeds:
            # The contributors' pages name these links in their prose: no link, no notebook.
            assert not re.search(r'href="[^"]*(?:_notebooks/|colab\.research)', page), rel
            continue
        notebook = (
            built_site / page_notebooks.notebook_path(rel, folder=page_notebooks.SITE_FOLDER)
        ).read_text(encoding="utf-8")
        assert page_notebooks.snippet_cells(notebook) == [
            (name, (ROOT / "snippets" / name).read_text(encoding="utf-8")) for name in embeds
        ], f"docs/{rel}: the served notebook's cells are not its snippets in page order"
        href = posixpath.relpath(
            page_notebooks.notebook_path(rel, folder=page_notebooks.SITE_FOLDER),
            markup.page_url(rel),
        )
        name = posixpath.basename(href)
        assert f'<a download="{name}" href="{href}">' in page, f"docs/{rel}: no download link"
        colab = html.escape(page_notebooks.colab_url(repository, rel))
        assert f'<a href="{colab}">Open in Colab</a>' in page, f"docs/{rel}: no Colab link"
        checked += 1
    assert checked == len(pages), f"{checked} of {len(pages)} pages with snippets were built"


def test_the_home_page_counts_this_build_and_its_gallery_links_figures_to_their_pages(
    built_site: Path,
) -> None:
    """The counts are this checkout's, the device and commit those of the snippet results the
    build read, and each gallery figure is a file the linked page itself shows."""
    from sitetools import frontdoor, skeleton

    home = (built_site / "index.html").read_text(encoding="utf-8")
    text = _text(built_site / "index.html")
    nav = skeleton.reading_order((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = sum(1 for uri in nav if skeleton.is_content_page(uri))
    notebooks = sum(1 for uri in nav if uri.endswith("/walkthrough.py"))
    references = markup.load_references(ROOT / "docs" / "research" / "references.yml")
    assert (
        f"This build has {pages} pages that teach, {notebooks} walkthrough notebooks, "
        f"{len(snippets.discover(ROOT))} snippets and {len(references)} references." in text
    )
    found = snippets.collect(ROOT).values()
    runs = {(r.provenance["device"], r.provenance["commit"]) for r in found if r is not None}
    for device, commit in runs:
        assert f"on {device} at commit {commit} (" in text, (device, commit)
    gallery = re.findall(r'<a href="([^"]+)"><img src="([^"]+)"', home)
    assert len(gallery) == len(frontdoor.gallery_items(ROOT)) >= 10
    for href, src in gallery:
        assert src.startswith("_snippets/") and (built_site / src).is_file(), src
        page = (built_site / href / "index.html").read_text(encoding="utf-8")
        assert f'src="{"../" * href.count("/")}{src}"' in page, f"/{href} does not show {src}"
